"""Postmaster (RFC 5321 §4.5.1): RCPT TO:<Postmaster> (no domain, any case)
and postmaster@ every local domain are accepted and reach someone even when
the operator made no postmaster alias: the `postmaster` setting when set,
else the installation's first account (the administrator who set it up).
An explicit account, alias or catch-all of the domain takes precedence."""
import smtplib
import unittest

from harness import Postroom

ADMIN = "admin@local.test"
BOB = "bob@other.test"


class PostmasterDefaultTest(unittest.TestCase):
    """No postmaster setting: the first account takes it."""

    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(hostname="mx.local.test").start()
        cls.pr.add_user(ADMIN)   # the first account of the installation
        cls.pr.add_user(BOB)
        cls.pr.add_user("carol@third.test")

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def send(self, rcpt, subject):
        msg = (f"From: someone@remote.test\r\nSubject: {subject}\r\n\r\n"
               f"to {rcpt}\r\n").encode()
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.ehlo("remote.test")
            code, text = s.docmd("MAIL FROM:<someone@remote.test>")
            self.assertEqual(code, 250, text)
            code, text = s.docmd(f"RCPT TO:<{rcpt}>")
            self.assertEqual(code, 250, f"RCPT TO:<{rcpt}>: {code} {text}")
            code, text = s.data(msg)
            self.assertEqual(code, 250, text)
        return subject.encode()

    def assert_reaches(self, account, subject, count):
        stored = self.pr.wait_messages(account, count)
        self.assertIn(b"Subject: " + subject, stored[count - 1])

    def test_bare_postmaster_and_each_domain(self):
        n = len(self.pr.messages(ADMIN))
        others = len(self.pr.messages(BOB))
        for i, rcpt in enumerate(["Postmaster", "postmaster@local.test",
                                  "POSTMASTER@other.test",
                                  "PostMaster@Third.Test"]):
            subject = self.send(rcpt, f"pm-{i}")
            self.assert_reaches(ADMIN, subject, n + i + 1)
        # nobody else got them
        self.assertEqual(len(self.pr.messages(BOB)), others)
        self.assertEqual(self.pr.messages("carol@third.test"), [])

    def test_unknown_users_are_still_refused(self):
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.ehlo("remote.test")
            s.docmd("MAIL FROM:<someone@remote.test>")
            for rcpt in ("postmasterx@local.test", "postmaster+x@zzz.test",
                         "nobody@other.test"):
                code, _ = s.docmd(f"RCPT TO:<{rcpt}>")
                self.assertIn(code, (550, 554), rcpt)

    def test_alias_overrides_the_default(self):
        self.pr.ctl("alias", "add", "postmaster@other.test", BOB)
        try:
            before = len(self.pr.messages(BOB))
            subject = self.send("postmaster@other.test", "alias-wins")
            self.assert_reaches(BOB, subject, before + 1)
        finally:
            self.pr.ctl("alias", "del", "postmaster@other.test")


class PostmasterSettingTest(unittest.TestCase):
    """postmaster = an address: every domain's postmaster goes there."""

    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(main={"postmaster": BOB})
        try:
            cls.pr.start()
        except AssertionError:
            cls.pr.cleanup()
            raise
        cls.pr.add_user(ADMIN)
        cls.pr.add_user(BOB)

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def test_configured_address_gets_postmaster(self):
        for i, rcpt in enumerate(["Postmaster", "postmaster@local.test",
                                  "postmaster@other.test"]):
            with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
                s.sendmail("x@remote.test", [rcpt],
                           f"From: x@remote.test\r\nSubject: s{i}\r\n\r\n"
                           f"hi\r\n".encode())
            stored = self.pr.wait_messages(BOB, i + 1)
            self.assertIn(f"Subject: s{i}".encode(), stored[i])
        self.assertEqual(self.pr.messages(ADMIN), [])


if __name__ == "__main__":
    unittest.main()
