require ["date", "variables", "fileinto", "editheader"];
if currentdate :matches "month" "*" { set "month" "${1}"; }
if currentdate :matches "year"  "*" { set "year"  "${1}"; }
fileinto "${month}-${year}";
if currentdate :matches "std11" "*"
  {addheader "Processing-date" "${0}";}
