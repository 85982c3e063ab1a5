require ["editheader", "variables"];
addheader "X-Sieve-Filtered" "<kim@job.example.com>";
addheader :last "X-Hello" "World";
deleteheader :index 1 :last "X-Hello";
deleteheader :matches "X-Spam-Score" "*";
deleteheader "X-Old";
if header :matches "Subject" "*" {
  deleteheader "Subject";
  addheader "Subject" "[filtered] ${1}";
}
