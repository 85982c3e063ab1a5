"""The story of issue 5: Lisa at otherisp.test writes to Bob at
comentum.test. Two postroomd instances on 127.0.0.2 and 127.0.0.3, dnsmasq
serving the MX records of both domains; otherisp's relay looks up
comentum's MX and delivers on its MX port; Bob reads the message with
poplib, byte for byte; then Bob replies and Lisa gets it."""
import os
import poplib
import smtplib
import unittest

from harness import BUILD, Postroom, body_of
from relay_fixtures import Dnsmasq


def relay_conf(dns, mx_port):
    return {"dns_server": dns.server, "mx_port": mx_port,
            "connect_timeout": "5s", "command_timeout": "10s",
            "data_timeout": "10s"}


class RelayStoryTest(unittest.TestCase):
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
        # each relays to the other's MX port, found through DNS MX
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

    def submit(self, pr, user, password, sender, rcpts, msg):
        with smtplib.SMTP(pr.listen, pr.submission, timeout=30) as s:
            s.ehlo("client.test")
            s.login(user, password)
            s.sendmail(sender, rcpts, msg)

    def pop3_fetch_last(self, pr, user, password):
        pop = poplib.POP3(pr.listen, pr.pop3, timeout=30)
        try:
            pop.user(user)
            pop.pass_(password)
            count, _ = pop.stat()
            self.assertGreater(count, 0)
            _, lines, _ = pop.retr(count)
            return b"\r\n".join(lines) + b"\r\n"
        finally:
            pop.quit()

    def test_lisa_to_bob_and_back(self):
        msg = (b"From: Lisa <lisa@otherisp.test>\r\n"
               b"To: Bob <bob@comentum.test>\r\n"
               b"Subject: across two domains\r\n"
               b"Date: Mon, 4 Mar 2024 10:00:00 +0100\r\n"
               b"Message-ID: <story-1@otherisp.test>\r\n\r\n"
               b"Hi Bob,\r\n.a line with a leading dot\r\n\r\nLisa\r\n")
        self.submit(self.isp, "lisa@otherisp.test", "lisa-pw",
                    "lisa@otherisp.test", ["bob@comentum.test"], msg)
        stored = self.com.wait_messages("bob@comentum.test", 1, timeout=60)
        self.assertEqual(len(stored), 1)
        self.assertEqual(body_of(stored[0]), msg)
        self.assertTrue(stored[0].startswith(
            b"Return-Path: <lisa@otherisp.test>\r\n"))
        # DNS MX was used: the relay names the MX host it reached
        self.assertIn("host=mx.comentum.test", self.isp.log())
        self.assertIn("dest=mx:comentum.test", self.isp.log())
        if os.path.exists(os.path.join(BUILD, "servers", "pop3d", "pop3d")):
            popped = self.pop3_fetch_last(self.com, "bob@comentum.test",
                                          "bob-pw")
            self.assertEqual(body_of(popped), msg)
        self.isp.settle()

        reply = (b"From: Bob <bob@comentum.test>\r\n"
                 b"To: Lisa <lisa@otherisp.test>\r\n"
                 b"Subject: Re: across two domains\r\n"
                 b"Date: Mon, 4 Mar 2024 11:00:00 +0100\r\n"
                 b"Message-ID: <story-2@comentum.test>\r\n"
                 b"In-Reply-To: <story-1@otherisp.test>\r\n\r\n"
                 b"Hi Lisa, got it.\r\n")
        self.submit(self.com, "bob@comentum.test", "bob-pw",
                    "bob@comentum.test", ["lisa@otherisp.test"], reply)
        got = self.isp.wait_messages("lisa@otherisp.test", 1, timeout=60)
        self.assertEqual(len(got), 1)
        self.assertEqual(body_of(got[0]), reply)
        self.com.settle()
        # delivered exactly once each way
        self.assertEqual(len(self.com.messages("bob@comentum.test")), 1)
        self.assertEqual(len(self.isp.messages("lisa@otherisp.test")), 1)


if __name__ == "__main__":
    unittest.main()
