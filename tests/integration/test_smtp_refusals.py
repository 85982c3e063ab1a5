"""What must be refused, with the right codes, without a crash and without
anything reaching a mailbox or the queue: open-relay tricks on the MX port,
AUTH before TLS, a sender that is not the user's, oversized mail, every SMTP
smuggling ending, and plaintext pipelined after STARTTLS."""
import base64
import smtplib
import socket
import ssl
import time
import unittest

from harness import Postroom, client_tls_context


def reply(sock_file):
    """Reads one (possibly multi-line) SMTP reply; returns (code, text)."""
    lines = []
    while True:
        line = sock_file.readline()
        if not line:
            raise ConnectionError("connection closed")
        lines.append(line.decode("utf-8", "replace").rstrip("\r\n"))
        if len(line) < 4 or line[3:4] != b"-":
            break
    return int(lines[-1][:3]), "\n".join(lines)


class Raw:
    """A hand-driven SMTP session, for what smtplib would not send."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.sock.makefile("rb")
        code, _ = reply(self.f)
        assert code == 220

    def cmd(self, line):
        self.sock.sendall(line if isinstance(line, bytes) else line.encode() + b"\r\n")
        return reply(self.f)

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        return reply(self.f)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class RefusalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(smtpd={"max_message_size": "200k",
                                 "max_recipients": 100}).start()
        cls.pr.add_user("bob@local.test")
        cls.pr.add_user("lisa@local.test", "lisa-pw")

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def count(self):
        return len(self.pr.messages("bob@local.test"))

    def assert_nothing_new(self, before):
        time.sleep(0.5)
        self.assertEqual(self.count(), before)
        for state in ("incoming", "active", "deferred"):
            self.assertEqual(self.pr.queue_files(state), [], state)

    def test_open_relay_attempts(self):
        attempts = ["u@foreign.test", "u%foreign.test@local.test",
                    '"u@foreign.test"@local.test',
                    "@local.test:u@foreign.test", "foreign.test!u@local.test",
                    "u@foreign.test@local.test", "bob@local.test.foreign.test"]
        s = Raw(self.pr.port)
        s.cmd("EHLO relay-tester.test")
        self.assertEqual(s.cmd("MAIL FROM:<spammer@foreign.test>")[0], 250)
        for rcpt in attempts:
            code, text = s.cmd(f"RCPT TO:<{rcpt}>")
            self.assertTrue(500 <= code < 600, f"{rcpt}: {code} {text}")
        code, text = s.cmd("DATA")
        self.assertEqual(code, 554, text)  # no valid recipients
        s.cmd("QUIT")
        s.close()
        self.assert_nothing_new(0)

    def test_relay_denied_and_unknown_user_codes(self):
        s = Raw(self.pr.port)
        s.cmd("EHLO t.test")
        s.cmd("MAIL FROM:<a@remote.test>")
        code, text = s.cmd("RCPT TO:<u@foreign.test>")
        self.assertEqual(code, 554)
        self.assertIn("5.7.1", text)
        code, text = s.cmd("RCPT TO:<nobody@local.test>")
        self.assertEqual(code, 550)
        self.assertIn("5.1.1", text)
        s.close()

    def test_auth_required_on_submission(self):
        s = Raw(self.pr.submission)
        s.cmd("EHLO t.test")
        code, text = s.cmd("MAIL FROM:<lisa@local.test>")
        self.assertEqual(code, 530, text)
        self.assertIn("5.7.0", text)
        s.close()

    def test_wrong_password_same_reply_as_unknown_user(self):
        replies = []
        for user, pw in (("lisa@local.test", "wrong"), ("ghost@local.test", "x")):
            s = Raw(self.pr.submission)
            s.cmd("EHLO t.test")
            tok = base64.b64encode(f"\0{user}\0{pw}".encode()).decode()
            replies.append(s.cmd(f"AUTH PLAIN {tok}"))
            s.close()
        self.assertEqual(replies[0][0], 535)
        self.assertEqual(replies[0], replies[1])

    def test_sender_must_be_the_users(self):
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.starttls(context=client_tls_context())
            s.login("lisa@local.test", "lisa-pw")
            code, text = s.mail("bob@local.test")
            self.assertEqual(code, 553, text)
            self.assertIn(b"5.7.1", text)
            code, text = s.mail("<>")
            self.assertEqual(code, 553, text)

    def test_oversized_message(self):
        before = self.count()
        s = Raw(self.pr.port)
        s.cmd("EHLO t.test")
        code, text = s.cmd("MAIL FROM:<a@remote.test> SIZE=999999999")
        self.assertEqual(code, 552, text)
        self.assertIn("5.3.4", text)
        self.assertEqual(s.cmd("MAIL FROM:<a@remote.test>")[0], 250)
        self.assertEqual(s.cmd("RCPT TO:<bob@local.test>")[0], 250)
        self.assertEqual(s.cmd("DATA")[0], 354)
        line = b"x" * 500 + b"\r\n"
        s.send(b"Subject: big\r\n\r\n" + line * 1000 + b".\r\n")
        code, text = s.reply()
        self.assertEqual(code, 552, text)
        self.assertIn("5.3.4", text)
        # The session goes on.
        self.assertEqual(s.cmd("NOOP")[0], 250)
        s.close()
        self.assert_nothing_new(before)

    def test_smuggling_endings(self):
        endings = [b"\n.\n", b"\r.\r", b"\r\n.\n", b"\n.\r\n", b"\r.\r\n",
                   b"\r\n.\r", b"\n.\r"]
        for ending in endings:
            before = self.count()
            s = Raw(self.pr.port)
            s.cmd("EHLO t.test")
            s.cmd("MAIL FROM:<a@remote.test>")
            s.cmd("RCPT TO:<bob@local.test>")
            self.assertEqual(s.cmd("DATA")[0], 354)
            smuggled = (b"Subject: outer\r\n\r\nouter body" + ending +
                        b"MAIL FROM:<admin@local.test>\r\n"
                        b"RCPT TO:<bob@local.test>\r\nDATA\r\n"
                        b"Subject: smuggled\r\n\r\nsmuggled\r\n.\r\n")
            s.send(smuggled)
            code, text = s.reply()
            self.assertTrue(code >= 500, f"{ending!r}: {code} {text}")
            self.assertEqual(s.cmd("NOOP")[0], 250, repr(ending))
            s.close()
            time.sleep(0.3)
            for stored in self.pr.messages("bob@local.test")[before:]:
                self.assertNotIn(b"smuggled", stored, repr(ending))
            self.assertEqual(self.count(), before, repr(ending))

    def test_starttls_discards_pipelined_plaintext(self):
        s = Raw(self.pr.submission)
        s.cmd("EHLO t.test")
        # The injected command rides in the same packet as STARTTLS.
        s.send(b"STARTTLS\r\nRSET\r\n")
        code, _ = s.reply()
        self.assertEqual(code, 220)
        ctx = client_tls_context()
        try:
            tls = ctx.wrap_socket(s.sock, server_hostname="mx.local.test")
        except (ssl.SSLError, OSError):
            return  # refusing the whole connection is also safe
        tls.settimeout(10)
        tls.sendall(b"EHLO t.test\r\n")
        f = tls.makefile("rb")
        code, text = reply(f)
        # The first reply inside TLS must answer EHLO, not the injected RSET.
        self.assertEqual(code, 250)
        self.assertIn("PIPELINING", text)
        self.assertNotIn("2.0.0", text.split("\n")[0])
        tls.close()

    def test_too_many_recipients(self):
        s = Raw(self.pr.port)
        s.cmd("EHLO t.test")
        s.cmd("MAIL FROM:<a@remote.test>")
        codes = [s.cmd("RCPT TO:<bob@local.test>")[0] for _ in range(101)]
        self.assertEqual(codes[:100], [250] * 100)
        code, text = s.cmd("RCPT TO:<bob@local.test>")
        self.assertEqual(code, 452, text)
        self.assertIn("4.5.3", text)
        s.close()

    def test_long_command_line_and_garbage(self):
        s = Raw(self.pr.port)
        code, text = s.cmd(b"EHLO " + b"a" * 5000 + b"\r\n")
        self.assertEqual(code, 500, text)
        code, _ = s.cmd(b"\x00\xff\xfe binary \x01\r\n")
        self.assertEqual(code // 100, 5)
        self.assertEqual(s.cmd("NOOP")[0], 250)
        s.close()

    def test_errors_then_disconnect(self):
        s = Raw(self.pr.port)
        last = None
        for _ in range(30):
            try:
                last = s.cmd("BOGUS")
            except (ConnectionError, OSError):
                break
            if last[0] == 421:
                break
        self.assertEqual(last[0], 421)
        s.close()

    def test_commands_out_of_sequence(self):
        s = Raw(self.pr.port)
        self.assertEqual(s.cmd("RCPT TO:<bob@local.test>")[0], 503)
        s.cmd("EHLO t.test")
        self.assertEqual(s.cmd("DATA")[0], 503)
        self.assertEqual(s.cmd("MAIL FROM:<bad address>")[0], 501)
        s.close()


if __name__ == "__main__":
    unittest.main()
