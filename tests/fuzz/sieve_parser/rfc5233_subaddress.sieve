require ["envelope", "subaddress", "fileinto"];
if envelope :detail "to" "mta-filters" {
    fileinto "mta-filters";
}
if address :user "to" "ken" { keep; }
