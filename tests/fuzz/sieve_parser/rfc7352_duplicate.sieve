require ["duplicate", "fileinto", "mailbox", "variables", "imap4flags"];
if duplicate {
  fileinto :create "Trash/Duplicate";
}
if header :matches "subject" "ALERT: *" {
  if duplicate :seconds 60 :uniqueid "${1}" {
    setflag "\\seen";
  }
  fileinto "Alerts";
}
if duplicate :header "X-Event-ID" :handle "notifier" {
  discard;
}
if duplicate :header "X-Ticket-ID" :handle "support" :last {
  discard;
}
