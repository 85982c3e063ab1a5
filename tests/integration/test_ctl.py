"""postroomctl: domains, accounts, aliases and the queue, with one clear line
and a non-zero exit for bad input; passwords stored as yescrypt hashes."""
import smtplib
import sqlite3
import time
import unittest

from harness import Postroom, client_tls_context, free_port


class CtlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # relay's DNS goes to a loopback port where nobody answers, so
        # remote mail waits in deferred/ (and no query leaves the host)
        cls.pr = Postroom(sections={"relay": {
            "dns_server": f"127.0.0.1:{free_port()}"}}).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0

    def fails(self, *args, input=None, want=""):
        out = self.pr.ctl(*args, input=input, check=False)
        self.assertNotEqual(out.returncode, 0, f"{args} succeeded")
        self.assertIn(want, out.stderr, args)
        self.assertEqual(len(out.stderr.strip().splitlines()), 1, out.stderr)
        self.assertNotIn("Sanitizer", out.stderr)
        return out

    def test_domains(self):
        self.pr.ctl("domain", "add", "d1.test")
        self.assertIn("d1.test", self.pr.ctl("domain", "list").stdout.split())
        self.fails("domain", "add", "d1.test", want="exists")
        self.fails("domain", "add", "bad..domain", want="invalid")
        self.fails("domain", "add", "-x.test", want="invalid")
        self.pr.ctl("account", "add", "a@d1.test", input="pw\n")
        self.fails("domain", "del", "d1.test", want="accounts")
        self.pr.ctl("account", "del", "a@d1.test")
        self.pr.ctl("domain", "del", "d1.test")
        self.fails("domain", "del", "d1.test", want="no such domain")

    def test_accounts(self):
        self.pr.ctl("domain", "add", "d2.test")
        self.pr.ctl("account", "add", "carol@d2.test", input="first-pw\n")
        self.fails("account", "add", "carol@d2.test", input="pw\n",
                   want="exists")
        self.fails("account", "add", "x@nodomain.test", input="pw\n",
                   want="no such domain")
        self.fails("account", "add", "not-an-address", input="pw\n",
                   want="invalid")
        self.assertIn("carol@d2.test", self.pr.ctl("account", "list").stdout)
        db = sqlite3.connect(f"{self.pr.data}/postroom.db")
        (h,) = db.execute("SELECT password_hash FROM accounts WHERE "
                          "address='carol@d2.test'").fetchone()
        db.close()
        self.assertTrue(h.startswith("$y$"), h)
        self.pr.ctl("account", "passwd", "carol@d2.test", input="second-pw\n")
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.starttls(context=client_tls_context())
            with self.assertRaises(smtplib.SMTPAuthenticationError):
                s.login("carol@d2.test", "first-pw")
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.starttls(context=client_tls_context())
            s.login("carol@d2.test", "second-pw")
        self.fails("account", "passwd", "nobody@d2.test", input="x\n",
                   want="no such account")

    def test_aliases_and_catch_all(self):
        self.pr.ctl("domain", "add", "d3.test")
        self.pr.ctl("account", "add", "dan@d3.test", input="pw\n")
        self.pr.ctl("alias", "add", "info@d3.test", "dan@d3.test")
        self.pr.ctl("alias", "add", "@d3.test", "dan@d3.test")
        self.fails("alias", "add", "x@nodomain.test", "dan@d3.test",
                   want="no such domain")
        self.fails("alias", "add", "bad", "dan@d3.test", want="invalid")
        listing = self.pr.ctl("alias", "list").stdout
        self.assertIn("info@d3.test", listing)
        self.assertIn("@d3.test", listing)
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.sendmail("x@remote.test", ["info@d3.test", "whatever@d3.test"],
                       b"Subject: catch\r\n\r\nall\r\n")
        self.pr.wait_messages("dan@d3.test", 1)
        self.pr.ctl("alias", "del", "@d3.test")
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            code, _ = s.docmd("EHLO", "x.test")
            s.mail("x@remote.test")
            self.assertEqual(s.rcpt("whatever@d3.test")[0], 550)

    def test_remote_mail_waits_in_queue(self):
        self.pr.ctl("domain", "add", "d4.test")
        self.pr.ctl("account", "add", "eve@d4.test", input="pw\n")
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.starttls(context=client_tls_context())
            s.login("eve@d4.test", "pw")
            s.sendmail("eve@d4.test", ["friend@elsewhere.test"],
                       b"From: eve@d4.test\r\nSubject: out\r\n\r\n"
                       b"to the world\r\n")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            out = self.pr.ctl("queue", "list").stdout
            if "friend@elsewhere.test" in out and "deferred" in out:
                break
            time.sleep(0.2)
        else:
            self.fail("remote mail not listed as deferred:\n" + out)
        self.assertIn("eve@d4.test", out)
        self.assertIn("(remote)", out)

    def test_quota_defers_then_flush_delivers(self):
        self.pr.ctl("domain", "add", "d5.test")
        self.pr.ctl("account", "add", "fay@d5.test", "--quota", "1k",
                    input="pw\n")
        big = b"Subject: big\r\n\r\n" + (b"y" * 76 + b"\r\n") * 40
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.ehlo("x.test")
            # With SIZE the quota is checked at RCPT: 452 4.2.2.
            s.mail("x@remote.test", ["SIZE=%d" % len(big)])
            code, text = s.rcpt("fay@d5.test")
            self.assertEqual(code, 452, text)
            self.assertIn(b"4.2.2", text)
            s.rset()
            # Without SIZE it is accepted, and deliver defers it.
            self.assertEqual(s.mail("x@remote.test")[0], 250)
            self.assertEqual(s.rcpt("fay@d5.test")[0], 250)
            self.assertEqual(s.data(big)[0], 250)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            out = self.pr.ctl("queue", "list").stdout
            if "fay@d5.test" in out and "deferred" in out:
                break
            time.sleep(0.2)
        else:
            self.fail("over-quota mail not deferred:\n" + out)
        self.assertEqual(self.pr.messages("fay@d5.test"), [])
        self.pr.ctl("account", "quota", "fay@d5.test", "10M")
        self.assertIn("flush requested",
                      self.pr.ctl("queue", "flush").stdout)
        self.pr.wait_messages("fay@d5.test", 1)

    def test_usage_errors(self):
        out = self.pr.ctl("frobnicate", check=False)
        self.assertEqual(out.returncode, 2)
        out = self.pr.ctl("domain", check=False)
        self.assertEqual(out.returncode, 2)


if __name__ == "__main__":
    unittest.main()
