require "reject";
if header :contains "from" "coyote@desert.example.org" {
   reject text:
I am not taking mail from you, and I don't
want your birdseed, either!
..a dot-stuffed line
.
;
}
