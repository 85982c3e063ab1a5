if address :is :all "from" "tim@example.com" {
   discard;
}
if allof (header :contains "From" "Cleopatra",
          header :contains "Subject" "Antony") {
   keep;
}
if exists ["From","Date"] { keep; }
if not exists ["From","Date"] { discard; }
if size :over 500K { discard; }
if false { stop; }
if true { keep; }
