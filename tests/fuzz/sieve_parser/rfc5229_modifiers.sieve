require "variables";
set "a" "juMBlEd lETteRS";
set :length "b" "${a}";
set :lower "b" "${a}";
set :upperfirst "b" "${a}";
set :upperfirst :lower "b" "${a}";
set :quotewildcard "b" "Rock*";
set "state" "${state} pending";
if string :matches " ${state} " "* pending *" {
    # the above test always succeeds
}
