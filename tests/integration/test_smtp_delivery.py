"""The first half of the story: mail arrives over SMTP, from other servers on
the MX port and from our users on submission, and is filed byte for byte.
Clients we did not write: Python's smtplib and email package, swaks, curl."""
import email.message
import email.policy
import email.utils
import os
import shutil
import smtplib
import subprocess
import unittest

from harness import Postroom, body_of, client_tls_context


class SmtpDeliveryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user("bob@local.test")
        cls.pr.add_user("lisa@local.test", "lisa-pw")
        cls.pr.ctl("alias", "add", "team@local.test", "bob@local.test",
                   "lisa@local.test")

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def test_mx_port_smtplib(self):
        before = len(self.pr.messages("bob@local.test"))
        msg = (b"From: Someone <someone@remote.test>\r\nTo: bob@local.test\r\n"
               b"Subject: hello\r\n\r\nHello Bob.\r\n.leading dot\r\n")
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.ehlo("client.remote.test")
            self.assertTrue(s.has_extn("pipelining"))
            self.assertTrue(s.has_extn("chunking"))
            self.assertTrue(s.has_extn("8bitmime"))
            self.assertTrue(s.has_extn("smtputf8"))
            self.assertTrue(s.has_extn("enhancedstatuscodes"))
            self.assertTrue(s.has_extn("dsn"))
            self.assertFalse(s.has_extn("auth"), "no AUTH on the MX port")
            s.sendmail("someone@remote.test", ["bob@local.test"], msg)
        stored = self.pr.wait_messages("bob@local.test", before + 1)[-1]
        self.assertTrue(stored.startswith(b"Return-Path: <someone@remote.test>\r\n"))
        self.assertIn(b"\r\nReceived: from client.remote.test", stored)
        self.assertIn(b"by mx.local.test", stored)
        self.assertEqual(body_of(stored), msg)

    def test_submission_starttls_auth_attachment(self):
        before = len(self.pr.messages("bob@local.test"))
        m = email.message.EmailMessage()
        m["From"] = "Lisa <lisa@local.test>"
        m["To"] = "bob@local.test"
        m["Subject"] = "the report, with pictures"
        m["Date"] = email.utils.formatdate(localtime=True)
        m["Message-ID"] = email.utils.make_msgid(domain="local.test")
        m.set_content("Hi Bob,\n\nattached.\n\nLisa\n")
        blob = bytes(range(256)) * 400
        m.add_attachment(blob, maintype="application",
                         subtype="octet-stream", filename="data.bin")
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.starttls(context=client_tls_context())
            s.ehlo("lisa-laptop")
            self.assertIn("PLAIN", s.esmtp_features.get("auth", "").upper())
            s.login("lisa@local.test", "lisa-pw")
            raw = m.as_bytes(policy=email.policy.SMTP)
            s.sendmail("lisa@local.test", ["bob@local.test"], raw)
        stored = self.pr.wait_messages("bob@local.test", before + 1)[-1]
        self.assertIn(b"with ESMTPSA", stored)
        self.assertEqual(body_of(stored), raw)
        parsed = email.message_from_bytes(body_of(stored),
                                          policy=email.policy.default)
        att = next(parsed.iter_attachments())
        self.assertEqual(att.get_filename(), "data.bin")
        self.assertEqual(att.get_content(), blob)

    def test_submissions_implicit_tls(self):
        before = len(self.pr.messages("bob@local.test"))
        with smtplib.SMTP_SSL("127.0.0.1", self.pr.submissions, timeout=30,
                              context=client_tls_context()) as s:
            s.login("lisa@local.test", "lisa-pw")
            s.sendmail("lisa@local.test", ["bob@local.test"],
                       b"From: lisa@local.test\r\nSubject: over 465\r\n"
                       b"\r\nimplicit TLS\r\n")
        stored = self.pr.wait_messages("bob@local.test", before + 1)[-1]
        self.assertTrue(stored.endswith(b"\r\n\r\nimplicit TLS\r\n"))

    def test_alias_plus_address_and_one_blob(self):
        bob0 = len(self.pr.messages("bob@local.test"))
        lisa0 = len(self.pr.messages("lisa@local.test"))
        msg = b"Subject: to the team\r\n\r\nonce, twice\r\n"
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.sendmail("x@remote.test", ["team@local.test"], msg)
            s.sendmail("x@remote.test", ["bob+news@local.test"], msg)
        bob = self.pr.wait_messages("bob@local.test", bob0 + 2)
        lisa = self.pr.wait_messages("lisa@local.test", lisa0 + 1)
        self.assertEqual(body_of(bob[-2]), msg)
        self.assertEqual(body_of(lisa[-1]), msg)
        # One blob for both recipients of the alias: same bytes, same file.
        self.assertEqual(bob[-2], lisa[-1])

    @unittest.skipUnless(shutil.which("swaks"), "swaks not installed")
    def test_swaks(self):
        before = len(self.pr.messages("bob@local.test"))
        out = subprocess.run(
            ["swaks", "--server", f"127.0.0.1:{self.pr.port}", "--to",
             "bob@local.test", "--from", "swaks@remote.test", "--header",
             "Subject: from swaks", "--body", "swaks body line"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("250 2.0.0", out.stdout)
        stored = self.pr.wait_messages("bob@local.test", before + 1)[-1]
        self.assertIn(b"Subject: from swaks\r\n", stored)
        self.assertIn(b"swaks body line", stored)

    @unittest.skipUnless(shutil.which("swaks"), "swaks not installed")
    def test_swaks_bdat_and_tls_auth(self):
        before = len(self.pr.messages("bob@local.test"))
        out = subprocess.run(
            ["swaks", "--server", f"127.0.0.1:{self.pr.submission}",
             "--tls", "--auth", "LOGIN", "--auth-user", "lisa@local.test",
             "--auth-password", "lisa-pw", "--to", "bob@local.test",
             "--from", "lisa@local.test", "--header", "Subject: tls login",
             "--body", "over STARTTLS with AUTH LOGIN"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        stored = self.pr.wait_messages("bob@local.test", before + 1)[-1]
        self.assertIn(b"over STARTTLS with AUTH LOGIN", stored)

    @unittest.skipUnless(shutil.which("curl"), "curl not installed")
    def test_curl_smtp(self):
        before = len(self.pr.messages("bob@local.test"))
        mail = "From: c@remote.test\r\nSubject: curl\r\n\r\nsent by curl\r\n"
        out = subprocess.run(
            ["curl", "-sS", f"smtp://127.0.0.1:{self.pr.port}",
             "--mail-from", "c@remote.test", "--mail-rcpt", "bob@local.test",
             "--upload-file", "-"], input=mail, capture_output=True, text=True,
            timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        stored = self.pr.wait_messages("bob@local.test", before + 1)[-1]
        self.assertEqual(body_of(stored), mail.encode())

    def test_bdat_chunks_raw(self):
        before = len(self.pr.messages("bob@local.test"))
        part1 = b"Subject: chunked\r\n\r\nfirst part, "
        part2 = b"second part.\r\n.not a terminator\r\n"
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.ehlo("c.remote.test")
            self.assertEqual(s.mail("c@remote.test")[0], 250)
            self.assertEqual(s.rcpt("bob@local.test")[0], 250)
            s.send(b"BDAT %d\r\n" % len(part1) + part1)
            self.assertEqual(s.getreply()[0], 250)
            s.send(b"BDAT %d LAST\r\n" % len(part2) + part2)
            code, text = s.getreply()
            self.assertEqual(code, 250, text)
        stored = self.pr.wait_messages("bob@local.test", before + 1)[-1]
        self.assertEqual(body_of(stored), part1 + part2)

    def test_utf8_address_with_smtputf8(self):
        self.pr.add_user("jörg@local.test")
        msg = "Subject: grüße\r\n\r\nhallo\r\n".encode()
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.ehlo("c.remote.test")
            s.sendmail("zoë@remote.test", ["jörg@local.test"], msg,
                       mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        stored = self.pr.wait_messages("jörg@local.test", 1)[-1]
        self.assertEqual(body_of(stored), msg)


if __name__ == "__main__":
    unittest.main()
