require ["copy", "fileinto"];
redirect :copy "sent@example.com";
fileinto :copy "incoming";
