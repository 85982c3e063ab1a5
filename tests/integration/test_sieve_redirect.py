"""Forwarding through the queue to another server: two postroomd on
127.0.0.2 (otherisp.test) and 127.0.0.3 (comentum.test), dnsmasq with both
MX records. Bob at comentum forwards to Lisa at otherisp with
"postroomctl account forward" (a redirect :copy in his active script);
a message from a third party reaches Lisa through comentum's queue and
relay, from an SRS address of comentum.test (SPF at otherisp passes for
it) with "Delivered-To: bob@comentum.test" on top, and Bob keeps his copy.
comentum's MX takes a bounce to that SRS address and refuses a forged
one. When Lisa forwards back to Bob, the loop ends at Bob."""
import smtplib
import time
import unittest

from harness import Postroom, body_of
from relay_fixtures import Dnsmasq


def relay_conf(dns, mx_port):
    return {"dns_server": dns.server, "mx_port": mx_port,
            "connect_timeout": "5s", "command_timeout": "10s",
            "data_timeout": "10s"}


class SieveRedirectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = Dnsmasq(
            mx=[("otherisp.test", "mx.otherisp.test", 10),
                ("comentum.test", "mx.comentum.test", 10)],
            hosts=[("mx.otherisp.test", "127.0.0.2"),
                   ("mx.comentum.test", "127.0.0.3")])
        queue = {"run_interval": "2s", "min_backoff": "1s",
                 "max_backoff": "2s"}
        cls.isp = Postroom(hostname="mx.otherisp.test", listen="127.0.0.2",
                           sections={"queue": queue})
        cls.com = Postroom(hostname="mx.comentum.test", listen="127.0.0.3",
                           sections={"queue": queue})
        cls.isp.sections["relay"] = relay_conf(cls.dns, cls.com.port)
        cls.com.sections["relay"] = relay_conf(cls.dns, cls.isp.port)
        cls.isp.write_conf()
        cls.com.write_conf()
        cls.isp.start()
        cls.com.start()
        cls.isp.add_user("lisa@otherisp.test", "lisa-pw")
        cls.com.add_user("bob@comentum.test", "bob-pw")

    @classmethod
    def tearDownClass(cls):
        try:
            codes = [cls.isp.stop(), cls.com.stop()]
        finally:
            cls.dns.stop()
            cls.isp.cleanup()
            cls.com.cleanup()
        assert codes == [0, 0], f"postroomd exited {codes}"

    def mx_send(self, pr, sender, rcpt, data):
        with smtplib.SMTP(pr.listen, pr.port, timeout=30) as s:
            s.ehlo("mail.third.test")
            s.sendmail(sender, [rcpt], data)

    def test_1_forward_keeps_copy_and_leaves_from_srs(self):
        self.com.ctl("account", "forward", "bob@comentum.test",
                     "lisa@otherisp.test")
        msg = (b"From: Ann <ann@third.test>\r\nTo: bob@comentum.test\r\n"
               b"Subject: forwarded\r\nMessage-ID: <f1@third.test>\r\n\r\n"
               b"Hi Bob.\r\n")
        self.mx_send(self.com, "ann@third.test", "bob@comentum.test", msg)
        mine = self.com.wait_messages("bob@comentum.test", 1)
        self.assertEqual(body_of(mine[0]), msg)
        got = self.isp.wait_messages("lisa@otherisp.test", 1, timeout=60)
        self.assertIn(b"\r\nDelivered-To: bob@comentum.test\r\n", got[0])
        self.assertTrue(got[0].endswith(msg), got[0][:600])
        first = got[0].split(b"\r\n", 1)[0]
        self.assertTrue(first.startswith(b"Return-Path: <SRS0="), first)
        self.assertTrue(first.endswith(b"=third.test=ann@comentum.test>"),
                        first)
        self.assertIn("rules-mail", self.com.log())
        self.__class__.srs = first[len(b"Return-Path: <"):-1].decode()
        self.com.settle()

    def test_2_bounce_to_srs_is_taken_forged_is_not(self):
        srs = getattr(self.__class__, "srs", None)
        if srs is None:
            self.skipTest("needs the forward test")
        with smtplib.SMTP(self.com.listen, self.com.port, timeout=30) as s:
            s.ehlo("mx.otherisp.test")
            self.assertEqual(s.mail("<>")[0], 250)
            code, text = s.rcpt(srs)
            self.assertEqual(code, 250, text)
            forged = srs.replace("SRS0=", "SRS0=x", 1)
            code, text = s.rcpt(forged)
            self.assertEqual(code // 100, 5, text)
            s.rset()

    def test_3_forwarding_loop_ends(self):
        # Lisa sends everything back to Bob, without a copy; Bob still
        # forwards to Lisa: the message comes back to Bob once and stays
        self.isp.ctl("account", "forward", "lisa@otherisp.test",
                     "bob@comentum.test", "--no-copy")
        before_bob = len(self.com.messages("bob@comentum.test"))
        before_lisa = len(self.isp.messages("lisa@otherisp.test"))
        msg = (b"From: Ann <ann@third.test>\r\nTo: bob@comentum.test\r\n"
               b"Subject: round and round\r\n"
               b"Message-ID: <loop1@third.test>\r\n\r\nLoop?\r\n")
        self.mx_send(self.com, "ann@third.test", "bob@comentum.test", msg)
        got = self.com.wait_messages("bob@comentum.test", before_bob + 2,
                                     timeout=60)
        back = got[-1]
        self.assertIn(b"Delivered-To: lisa@otherisp.test\r\n", back)
        self.assertIn(b"Delivered-To: bob@comentum.test\r\n", back)
        self.assertIn("rules-redirect-loop", self.com.log())
        # it stops: nothing more is in flight anywhere
        for pr in (self.com, self.isp, self.com):
            pr.settle()
        time.sleep(1)
        self.assertEqual(len(self.com.messages("bob@comentum.test")),
                         before_bob + 2)
        self.assertEqual(len(self.isp.messages("lisa@otherisp.test")),
                         before_lisa)
        self.isp.ctl("account", "forward", "lisa@otherisp.test", "off")


if __name__ == "__main__":
    unittest.main()
