require ["fileinto", "reject"];
require "envelope";
/* a bracket comment
   over two lines */
if envelope :all :is "from" "tim@example.com" { discard; }
