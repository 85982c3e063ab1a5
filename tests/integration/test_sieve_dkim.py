"""Mail that delivery rules send is DKIM-signed where deliver queues it,
with the keys postroomctl made for the domain (doc/authentication.md,
servers/deliver/deliver_sign.c): a vacation reply from the user's address
is signed by the user's domain, ereject's DSN from MAILER-DAEMON@<host
name> by the nearest local parent of the host name, and dkimpy
(python3-dkim) verifies both with the records postroomctl dns prints,
served by dnsmasq. With [mailauth] sign = no nothing is signed."""
import re
import smtplib
import time
import unittest

from harness import Postroom, client_tls_context
from relay_fixtures import Dnsmasq
from test_mailauth_dkim import peer, published_records

VACATION = ('require "vacation";\r\n'
            'vacation :days 1 :subject "Away" "Back on Monday.";\r\n')
EREJECT = 'require "ereject";\r\nereject "No mail here, please.";\r\n'


def signatures(stored):
    """The DKIM-Signature fields of the message's own header (a DSN
    carries those of the original too, in its attached header)."""
    header = stored.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    return re.findall(rb"^DKIM-Signature: (.*?)\r\n(?![ \t])", header,
                      re.M | re.S)


class SieveDkimTest(unittest.TestCase):
    sign = "yes"

    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(sections={"mailauth": {"sign": cls.sign}}).start()
        cls.pr.add_user("carol@local.test", "carol-pw")
        for name, script in (("bob", VACATION), ("dave", EREJECT)):
            address = f"{name}@local.test"
            cls.pr.add_user(address, f"{name}-pw")
            cls.pr.ctl("account", "sieve", "put", address, "main",
                       input=script)
            cls.pr.ctl("account", "sieve", "activate", address, "main")

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def submit(self, to, subject):
        msg = (f"From: Carol <carol@local.test>\r\nTo: {to}\r\n"
               f"Subject: {subject}\r\nMessage-ID: <{time.time_ns()}"
               f"@local.test>\r\n\r\nHello.\r\n").encode()
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.starttls(context=client_tls_context())
            s.login("carol@local.test", "carol-pw")
            s.sendmail("carol@local.test", [to], msg)

    def reply_to_carol(self, pattern):
        """The message in carol's INBOX whose header matches pattern."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for stored in self.pr.messages("carol@local.test"):
                if re.search(pattern, stored):
                    return stored
            time.sleep(0.1)
        self.fail(f"no {pattern!r} for carol:\n{self.pr.log()[-3000:]}")

    def verify(self, stored):
        dns = Dnsmasq(txt=published_records(self.pr, "local.test"))
        try:
            # without deliver's Return-Path line, as it was queued
            return peer("verify", dns.server,
                        data=stored.split(b"\r\n", 1)[1]).decode().split()
        finally:
            dns.stop()

    def test_vacation_reply_signed(self):
        self.submit("bob@local.test", "are you there?")
        stored = self.reply_to_carol(rb"(?m)^Subject: Away")
        sigs = signatures(stored)
        if self.sign == "no":
            self.assertEqual(sigs, [])
            self.assertRegex(self.pr.log(), r"rules-mail id=\S+ "
                             r"kind=vacation .* dkim=none")
            return
        self.assertEqual(len(sigs), 2, stored)
        for s in sigs:
            self.assertIn(b"d=local.test", s)
            h = re.sub(rb"\s", b"", re.search(rb"h=([^;]*);", s).group(1))
            self.assertTrue(h.startswith(b"from:from:"), h)
        self.assertEqual(self.verify(stored), ["pass", "pass"])
        self.assertRegex(self.pr.log(),
                         r"rules-mail id=\S+ kind=vacation .* "
                         r"dkim=local\.test")

    def test_ereject_dsn_signed_by_parent_domain(self):
        self.submit("dave@local.test", "hello dave")
        stored = self.reply_to_carol(rb"(?m)^From: Mail Delivery System "
                                     rb"<MAILER-DAEMON@mx\.local\.test>")
        sigs = signatures(stored)
        if self.sign == "no":
            self.assertEqual(sigs, [])
            return
        self.assertEqual(len(sigs), 2, stored)
        self.assertTrue(all(b"d=local.test" in s for s in sigs))
        self.assertEqual(self.verify(stored), ["pass", "pass"])


class SieveDkimOffTest(SieveDkimTest):
    sign = "no"


if __name__ == "__main__":
    unittest.main()
