require "fileinto";
if header :contains ["from"] "coyote" {
   redirect "acm@example.com";
} elsif header :contains "subject" "$$$" {
   redirect "postmaster@example.com";
} else {
   redirect "field@example.com";
}
if size :under 1M { keep; } else { discard; }
if header :contains ["from"] "coyote" {
   fileinto "INBOX.harassment";
}
