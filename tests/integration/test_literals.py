"""Address literals as destinations (RFC 5321 §4.1.3, §5.1): an
authenticated user must not make the relay connect into loopback, private,
link-local, shared (100.64/10) or reserved networks by writing
RCPT TO:<u@[10.0.0.1]>. Submission refuses them at RCPT with 550 5.7.1
(RFC 6409 §6.2: a recipient inconsistent with the user's permissions),
unless `[relay] allowed_literal_networks` lists the network; the relay
refuses them too (a message queued before the check, defence in depth) and
delivers allowed literals straight to the address, without MX look-up."""
import os
import smtplib
import time
import unittest

from harness import Postroom, client_tls_context
from relay_fixtures import FakeSmtp, port_free_on

LISA = "lisa@local.test"

REFUSED = ["127.0.0.1", "127.1.2.3", "10.0.0.1", "192.168.1.20",
           "172.16.0.1", "172.31.255.254", "169.254.10.1", "100.64.0.1",
           "0.0.0.0", "224.0.0.1", "255.255.255.255",
           "IPv6:::1", "IPv6:::", "IPv6:fe80::1", "IPv6:fc00::1",
           "IPv6:fd12:3456::1", "IPv6:::ffff:127.0.0.1",
           "IPv6:::ffff:10.1.2.3", "IPv6:64:ff9b::a00:1", "IPv6:ff02::1",
           "IPv6:0:0:0:0:0:ffff:192.168.0.1"]


def submit_session(pr):
    s = smtplib.SMTP("127.0.0.1", pr.submission, timeout=30)
    s.starttls(context=client_tls_context())
    s.login(LISA, "lisa-pw")
    code, text = s.docmd(f"MAIL FROM:<{LISA}>")
    assert code == 250, text
    return s


class LiteralRefusalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # anything that reached 127.0.0.9 on the MX port would be seen here
        cls.host = "127.0.0.9"
        port = next(p for p in range(26000, 27000)
                    if port_free_on(cls.host, p))
        cls.peer = FakeSmtp(cls.host, port)
        cls.pr = Postroom(sections={
            "queue": {"min_backoff": "1s", "max_backoff": "2s",
                      "run_interval": "1s"},
            "relay": {"mx_port": port, "connect_timeout": "5s"}})
        try:
            cls.pr.start()
        except AssertionError:
            cls.peer.stop()
            cls.pr.cleanup()
            raise
        cls.pr.add_user(LISA, "lisa-pw")

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.pr.stop()
        finally:
            cls.peer.stop()
            cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def test_non_public_literals_refused_at_rcpt(self):
        # a few per session: each refusal counts toward max_errors
        for i in range(0, len(REFUSED), 5):
            s = submit_session(self.pr)
            try:
                for lit in REFUSED[i:i + 5]:
                    code, text = s.docmd(f"RCPT TO:<u@[{lit}]>")
                    self.assertEqual((code, text[:5]), (550, b"5.7.1"),
                                     f"[{lit}]: {code} {text}")
            finally:
                s.close()
        s = submit_session(self.pr)
        try:
            # a public literal is fine at RCPT (no message is sent: the
            # tests reach loopback only)
            code, text = s.docmd("RCPT TO:<u@[192.0.43.10]>")
            self.assertEqual(code, 250, text)
            code, text = s.docmd("RCPT TO:<u@[IPv6:2001:500:88:200::10]>")
            self.assertEqual(code, 250, text)
            s.docmd("RSET")
        finally:
            s.close()
        log = self.pr.log()
        self.assertIn("literal", log)
        self.assertEqual(self.pr.queue_files("incoming"), [])

    def test_port_25_still_denies_relay(self):
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.ehlo("client.test")
            s.docmd("MAIL FROM:<x@remote.test>")
            code, text = s.docmd("RCPT TO:<u@[127.0.0.1]>")
            self.assertEqual((code, text[:5]), (554, b"5.7.1"))

    def test_relay_refuses_a_queued_literal(self):
        """A queue file from before the RCPT check, naming [127.0.0.9]:
        relay must bounce it (5.7.1), never connect there."""
        host, peer = self.host, self.peer
        qid = "%013X%06X%04X" % (int(time.time() * 1e6) & (16**13 - 1),
                                 os.getpid() & 0xFFFFFF, 1)
        msg = b"From: lisa@local.test\r\nSubject: old\r\n\r\nold\r\n"
        head = (b"postroom-queue version=1\n"
                b"control id=%s size=%020d attempts=%010d next=%020d\n"
                b"envelope arrival=%d sender=%s body=7BIT\n"
                b"rcpt status=- local=0 address=u@[%s]\n\n" % (
                    qid.encode(), len(msg), 0, 0, int(time.time()),
                    LISA.encode(), host.encode()))
        tmp = os.path.join(self.pr.data, "queue", "tmp", qid)
        with open(tmp, "wb") as f:
            f.write(head + msg)
        os.chmod(tmp, 0o666)
        os.rename(tmp, os.path.join(self.pr.data, "queue", "incoming",
                                    qid))
        self.pr.ctl("queue", "flush")
        stored = self.pr.wait_messages(LISA, 1, timeout=30)
        self.assertIn(b"5.7.1", stored[0])
        self.assertIn(b"u@[127.0.0.9]", stored[0])
        self.assertEqual(peer.connections, 0)


class LiteralAllowedTest(unittest.TestCase):
    """allowed_literal_networks lets a listed network through, and the
    relay then connects to the literal's address on mx_port."""

    @classmethod
    def setUpClass(cls):
        cls.host = "127.0.0.7"
        cls.port = next(p for p in range(27000, 28000)
                        if port_free_on(cls.host, p))
        cls.peer = FakeSmtp(cls.host, cls.port)
        cls.pr = Postroom(sections={
            "relay": {"allowed_literal_networks": "127.0.0.0/29, fd00::/8",
                      "mx_port": cls.port, "connect_timeout": "5s"}})
        try:
            cls.pr.start()
        except AssertionError:
            cls.peer.stop()
            cls.pr.cleanup()
            raise
        cls.pr.add_user(LISA, "lisa-pw")

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.pr.stop()
        finally:
            cls.peer.stop()
            cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def test_listed_network_is_relayed_to_the_address(self):
        s = submit_session(self.pr)
        try:
            code, text = s.docmd("RCPT TO:<u@[127.0.0.8]>")  # not in /29
            self.assertEqual(code, 550, text)
            code, text = s.docmd("RCPT TO:<u@[10.0.0.1]>")
            self.assertEqual(code, 550, text)
            code, text = s.docmd(f"RCPT TO:<u@[{self.host}]>")
            self.assertEqual(code, 250, text)
            code, text = s.data(b"From: lisa@local.test\r\nSubject: lit\r\n"
                                b"\r\nto a literal\r\n")
            self.assertEqual(code, 250, text)
        finally:
            s.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not self.peer.messages:
            time.sleep(0.1)
        self.assertEqual(len(self.peer.messages), 1, self.pr.log()[-3000:])
        self.assertEqual(self.peer.messages[0]["rcpts"],
                         [f"u@[{self.host}]"])


if __name__ == "__main__":
    unittest.main()
