"""The peers of the postroom client tests work: Debian's Postfix takes a
message on submission (STARTTLS, then AUTH) and delivers it over LMTP to
Debian's Dovecot, where IMAPS shows it and POP3 (STLS) returns it byte for
byte apart from the trace headers put in front; a wrong password is
refused, and so is a login before TLS."""
import imaplib
import poplib
import smtplib
import unittest

from peers import DovecotPostfix, strip_trace

MESSAGE = (b"From: Lisa <lisa@peers.test>\r\n"
           b"To: Bob <bob@peers.test>\r\n"
           b"Subject: peers smoke\r\n"
           b"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
           b"Message-ID: <smoke-1@peers.test>\r\n"
           b"MIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=us-ascii\r\n"
           b"\r\n"
           b"Hello Bob,\r\n"
           b".a line that starts with a dot\r\n"
           b"\r\n"
           b"-- \r\n"
           b"Lisa\r\n")


class PeersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.peers = DovecotPostfix(domain="peers.test")
        try:
            cls.peers.add_user("bob@peers.test", "bob-pw")
            cls.peers.add_user("lisa@peers.test", "lisa-pw")
            cls.peers.start()
        except BaseException:
            cls.peers.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.peers.stop()
        finally:
            cls.peers.cleanup()

    def smtp(self):
        s = smtplib.SMTP(self.peers.host, self.peers.submission, timeout=30)
        s.ehlo("client.test")
        return s

    def test_submit_then_read_with_imaps_and_pop3(self):
        p = self.peers
        with self.smtp() as s:
            self.assertNotIn("auth", s.esmtp_features)  # not before TLS
            s.starttls(context=p.tls_context())
            s.ehlo("client.test")
            self.assertIn("PLAIN", s.esmtp_features["auth"])
            s.login("lisa@peers.test", "lisa-pw")
            s.sendmail("lisa@peers.test", ["bob@peers.test"], MESSAGE)
        stored = p.wait_messages("bob@peers.test", 1)
        self.assertEqual(strip_trace(stored[0]), MESSAGE)

        imap = imaplib.IMAP4_SSL(p.host, p.imaps, ssl_context=p.tls_context(),
                                 timeout=30)
        try:
            imap.login("bob@peers.test", "bob-pw")
            typ, data = imap.select("INBOX", readonly=True)
            self.assertEqual((typ, data), ("OK", [b"1"]))
            typ, data = imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            self.assertIn(b"Subject: peers smoke", data[0][1])
        finally:
            imap.logout()

        pop = poplib.POP3(p.host, p.pop3, timeout=30)
        try:
            pop.stls(context=p.tls_context())
            pop.user("bob@peers.test")
            pop.pass_("bob-pw")
            self.assertEqual(pop.stat()[0], 1)
            _, lines, _ = pop.retr(1)
            self.assertEqual(strip_trace(b"\r\n".join(lines) + b"\r\n"),
                             MESSAGE)
        finally:
            pop.quit()

    def test_wrong_password_refused(self):
        p = self.peers
        with self.smtp() as s:
            s.starttls(context=p.tls_context())
            s.ehlo("client.test")
            with self.assertRaises(smtplib.SMTPAuthenticationError):
                s.login("bob@peers.test", "wrong")
        imap = imaplib.IMAP4_SSL(p.host, p.imaps, ssl_context=p.tls_context(),
                                 timeout=30)
        try:
            with self.assertRaises(imaplib.IMAP4.error):
                imap.login("bob@peers.test", "wrong")
        finally:
            imap.shutdown()
        pop = poplib.POP3_SSL(p.host, p.pop3s, context=p.tls_context(),
                              timeout=30)
        try:
            pop.user("bob@peers.test")
            with self.assertRaises(poplib.error_proto):
                pop.pass_("wrong")
        finally:
            pop.close()

    def test_no_login_before_tls(self):
        p = self.peers
        imap = imaplib.IMAP4(p.host, p.imap, timeout=30)
        try:
            self.assertIn("LOGINDISABLED", imap.capabilities)
            typ, _ = imap._simple_command("LOGIN", "bob@peers.test",
                                          "bob-pw")
            self.assertEqual(typ, "NO")
        finally:
            imap.shutdown()
        pop = poplib.POP3(p.host, p.pop3, timeout=30)
        try:
            with self.assertRaises(poplib.error_proto):
                pop.user("bob@peers.test")
                pop.pass_("bob-pw")
        finally:
            pop.close()
        with self.smtp() as s:
            with self.assertRaises(smtplib.SMTPException):
                s.login("bob@peers.test", "bob-pw")
            # and no mail without AUTH
            s.starttls(context=p.tls_context())
            s.ehlo("client.test")
            with self.assertRaises(smtplib.SMTPRecipientsRefused):
                s.sendmail("x@peers.test", ["bob@peers.test"], MESSAGE)


if __name__ == "__main__":
    unittest.main()
