"""What pop3d refuses, and how: USER/PASS/AUTH before STLS when
plaintext_auth_loopback is off ([AUTH], RFC 2595), commands before login,
bad and deleted message numbers, DELE twice, lines over 255 octets (RFC 2449
§4), binary garbage, too many errors, the same reply for an unknown user
and a wrong password, and the per-IP connection limit. Every refusal is a
-ERR and the session goes on (or is closed cleanly), never a hang."""
import base64
import socket
import ssl
import unittest

from harness import Postroom, client_tls_context
from test_pop3 import deliver, sample, wait_pop3


class Raw:
    """A line-level POP3 client that sends exactly the bytes it is given."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.file = self.sock.makefile("rb")
        self.greeting = self.line()

    def line(self):
        data = self.file.readline(100000)
        if not data:
            raise EOFError("connection closed")
        return data.rstrip(b"\r\n")

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, text):
        self.send(text if isinstance(text, bytes) else text.encode())
        if not text.endswith(b"\r\n" if isinstance(text, bytes) else "\r\n"):
            self.send(b"\r\n")
        return self.line()

    def multi(self):
        lines = []
        while True:
            line = self.line()
            if line == b".":
                return lines
            lines.append(line)

    def stls(self):
        assert self.cmd("STLS").startswith(b"+OK")
        self.file.close()
        self.sock = client_tls_context().wrap_socket(self.sock)
        self.file = self.sock.makefile("rb")

    def login(self):
        self.stls()
        assert self.cmd("USER bob@local.test").startswith(b"+OK")
        reply = self.cmd("PASS bob-pw")
        assert reply.startswith(b"+OK"), reply

    def is_closed(self):
        try:
            return self.file.readline() == b""
        except (ConnectionError, ssl.SSLError):
            return True

    def close(self):
        self.file.close()
        self.sock.close()


class Pop3RefusalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(main={"plaintext_auth_loopback": "no"}).start()
        cls.pr.add_user("bob@local.test", "bob-pw")
        cls.pr.add_user("eve@local.test", "eve-pw")
        deliver(cls.pr, "eve@local.test", [sample(1), sample(2)])
        wait_pop3(cls.pr)

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def raw(self):
        r = Raw(self.pr.pop3)
        self.addCleanup(r.close)
        self.assertTrue(r.greeting.startswith(b"+OK"))
        return r

    def eve(self):
        r = self.raw()
        r.stls()
        self.assertTrue(r.cmd("USER eve@local.test").startswith(b"+OK"))
        self.assertTrue(r.cmd("PASS eve-pw").startswith(b"+OK"))
        return r

    def test_plaintext_login_refused_before_stls(self):
        r = self.raw()
        self.assertTrue(r.cmd("CAPA").startswith(b"+OK"))
        caps = r.multi()
        self.assertIn(b"STLS", caps)
        self.assertNotIn(b"USER", caps)
        for cmd in ("USER bob@local.test", "PASS bob-pw",
                    "AUTH PLAIN " + base64.b64encode(
                        b"\0bob@local.test\0bob-pw").decode(),
                    "AUTH LOGIN"):
            self.assertTrue(r.cmd(cmd).startswith(b"-ERR [AUTH]"), cmd)
        r.stls()
        self.assertTrue(r.cmd("USER bob@local.test").startswith(b"+OK"))
        self.assertTrue(r.cmd("PASS bob-pw").startswith(b"+OK"))
        self.assertTrue(r.cmd("STLS").startswith(b"-ERR"))
        self.assertTrue(r.cmd("QUIT").startswith(b"+OK"))

    def test_commands_before_login(self):
        r = self.raw()
        for cmd in ("STAT", "LIST", "RETR 1", "DELE 1", "UIDL", "TOP 1 1",
                    "RSET", "NOOP", "PASS x"):
            self.assertTrue(r.cmd(cmd).startswith(b"-ERR"), cmd)
        self.assertTrue(r.cmd("QUIT").startswith(b"+OK"))
        self.assertTrue(r.is_closed())

    def test_same_reply_unknown_user_and_wrong_password(self):
        replies = []
        for user, pw in (("nobody@local.test", "bob-pw"),
                         ("bob@local.test", "wrong"),
                         ("nobody@nowhere.test", "x")):
            r = self.raw()
            r.stls()
            r.cmd("USER " + user)
            replies.append(r.cmd("PASS " + pw))
        self.assertEqual(replies, [b"-ERR [AUTH] Authentication failed"] * 3)

    def test_bad_message_numbers_and_dele_twice(self):
        # Fewer than 10 errors per session: more would disconnect.
        for cmds in (("RETR 0", "RETR 3", "RETR 99999999999", "RETR -1",
                      "RETR abc", "RETR"),
                     ("LIST 3", "UIDL 0", "TOP 1", "TOP 1 x", "TOP 9 1",
                      "DELE 3", "DELE")):
            r = self.eve()
            for cmd in cmds:
                self.assertTrue(r.cmd(cmd).startswith(b"-ERR"), cmd)
            self.assertTrue(r.cmd("QUIT").startswith(b"+OK"))
            r.close()
        r = self.eve()
        self.assertTrue(r.cmd("DELE 1").startswith(b"+OK"))
        self.assertTrue(r.cmd("DELE 1").startswith(b"-ERR"))
        self.assertTrue(r.cmd("RETR 1").startswith(b"-ERR"))
        self.assertTrue(r.cmd("LIST 1").startswith(b"-ERR"))
        self.assertTrue(r.cmd("STAT").startswith(b"+OK 1 "))
        self.assertTrue(r.cmd("RSET").startswith(b"+OK"))
        r.close()  # no QUIT: nothing deleted

    def test_long_lines_and_garbage(self):
        r = self.eve()
        self.assertEqual(r.cmd("NOOP " + "x" * 300), b"-ERR Line too long")
        self.assertEqual(r.cmd(b"LIST " + b"9" * 100000),
                         b"-ERR Line too long")
        self.assertTrue(r.cmd(b"\x00\x01\x02\xff\xfe").startswith(b"-ERR"))
        self.assertTrue(r.cmd(b"\x16\x03\x01\x00\xa5").startswith(b"-ERR"))
        self.assertTrue(r.cmd(b"RETR 1\x00").startswith(b"-ERR"))
        self.assertTrue(r.cmd("").startswith(b"-ERR"))
        self.assertTrue(r.cmd("XYZZY").startswith(b"-ERR"))
        # 254 octets and CRLF is the longest allowed line.
        self.assertTrue(r.cmd("NOOP" + " " * 249).startswith(b"+OK"))
        self.assertTrue(r.cmd("STAT").startswith(b"+OK 2 "))
        self.assertTrue(r.cmd("QUIT").startswith(b"+OK"))

    def test_pipelined_commands_answered_in_order(self):
        r = self.eve()
        r.send(b"STAT\r\nLIST\r\nRETR 2\r\nUIDL 1\r\nNOOP\r\n")
        self.assertTrue(r.line().startswith(b"+OK 2 "))
        self.assertTrue(r.line().startswith(b"+OK"))
        self.assertEqual(len(r.multi()), 2)
        self.assertTrue(r.line().startswith(b"+OK"))
        self.assertIn(b"Subject: message 2", b"\n".join(r.multi()))
        self.assertTrue(r.line().startswith(b"+OK 1 "))
        self.assertTrue(r.line().startswith(b"+OK"))
        r.cmd("QUIT")

    def test_too_many_errors_disconnects(self):
        r = self.raw()
        replies = [r.cmd("BOGUS") for _ in range(10)]
        self.assertTrue(all(x.startswith(b"-ERR") for x in replies))
        self.assertEqual(r.line(), b"-ERR Too many errors, closing")
        self.assertTrue(r.is_closed())

    def test_auth_exchange_cancel_and_bad_base64(self):
        r = self.raw()
        r.stls()
        self.assertEqual(r.cmd("AUTH PLAIN"), b"+ ")
        self.assertTrue(r.cmd("*").startswith(b"-ERR"))
        self.assertEqual(r.cmd("AUTH LOGIN"), b"+ VXNlcm5hbWU6")
        self.assertTrue(r.cmd("%%%not base64").startswith(b"-ERR"))
        self.assertTrue(r.cmd("AUTH CRAM-MD5").startswith(b"-ERR"))
        self.assertEqual(r.cmd("AUTH"), b"+OK")
        self.assertEqual(r.multi(), [b"PLAIN", b"LOGIN"])
        self.assertEqual(r.cmd("AUTH PLAIN " + base64.b64encode(
            b"\0bob@local.test\0bob-pw").decode())[:3], b"+OK")
        r.cmd("QUIT")


class Pop3LimitTest(unittest.TestCase):
    def test_per_ip_connection_limit(self):
        pr = Postroom(sections={"pop3d": {"max_connections_per_ip": 3}})
        pr.start()
        try:
            wait_pop3(pr)
            conns = [Raw(pr.pop3) for _ in range(3)]
            self.assertTrue(all(c.greeting.startswith(b"+OK")
                                for c in conns))
            extra = Raw(pr.pop3)
            self.assertTrue(extra.greeting.startswith(b"-ERR [SYS/TEMP]"),
                            extra.greeting)
            self.assertTrue(extra.is_closed())
            extra.close()
            for c in conns:
                c.cmd("QUIT")
                c.close()
            self.assertEqual(pr.stop(), 0)
        finally:
            pr.cleanup()


if __name__ == "__main__":
    unittest.main()
