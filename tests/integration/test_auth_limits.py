"""User names and passwords longer than a login allows (AUTH_USER_MAX, 255
bytes; AUTH_PASSWORD_MAX, 1024) fail like a wrong password: a user name of
6000 bytes in IMAP LOGIN (quoted and literal), AUTHENTICATE PLAIN, SMTP
AUTH PLAIN (after 334, RFC 4954 §4) and LOGIN, and POP3 AUTH PLAIN, and a
password of 2000 bytes, get NO [AUTHENTICATIONFAILED], 535 5.7.8 and -ERR
[AUTH], with no error or authd warning in the log, and the session goes on
to a good login. (Before the limit, an IMAP user name of a few KB overflowed
authd's request limit: NO [UNAVAILABLE] and an error line; SASL PLAIN fields
over 255 octets were a syntax error, BAD or 501.) POP3 USER is bound by the
255-octet command line (RFC 2449 §4): the longest name it holds fails like
any other, a longer line gets -ERR Line too long."""
import base64
import imaplib
import smtplib
import socket
import time
import unittest

from harness import Postroom

BOB, BOB_PW = "bob@local.test", "bob-pw"


class AuthLimitsTest(unittest.TestCase):
    """Several KB where a user name or a password goes: a normal failed
    login, never a temporary failure or an error in the log."""

    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(workers=1).start()
        cls.pr.add_user(BOB, BOB_PW)

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    def setUp(self):
        self.log_start = len(self.pr.log())

    def tearDown(self):
        time.sleep(0.2)  # authd's and the server's lines are written
        log = self.pr.log()[self.log_start:]
        errors = [line for line in log.splitlines()
                  if ": error:" in line or "authd" in line and ": warn:" in line]
        self.assertEqual(errors, [])

    def raw(self, port):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        f = s.makefile("rb")
        f.readline()
        return s, f

    def test_imap_login_quoted_and_literal(self):
        user = "u" * 6000
        s, f = self.raw(self.pr.imap)
        s.sendall(f'a LOGIN "{user}" pw\r\n'.encode())
        self.assertEqual(f.readline(),
                         b"a NO [AUTHENTICATIONFAILED] Authentication failed"
                         b"\r\n")
        s.sendall(b"b LOGIN {%d}\r\n" % len(user))
        self.assertTrue(f.readline().startswith(b"+"))
        s.sendall(user.encode() + b" pw\r\n")
        self.assertEqual(f.readline(),
                         b"b NO [AUTHENTICATIONFAILED] Authentication failed"
                         b"\r\n")
        # a password of 2 KB too, and the session goes on
        s.sendall(b'c LOGIN bob@local.test "' + b"p" * 2000 + b'"\r\n')
        self.assertTrue(f.readline().startswith(b"c NO [AUTHENTICATIONFAILED]"))
        s.sendall(b"d LOGIN bob@local.test bob-pw\r\n")
        self.assertTrue(f.readline().startswith(b"d OK"))
        s.close()

    def test_imap_authenticate_plain(self):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        with self.assertRaisesRegex(imaplib.IMAP4.error,
                                    "AUTHENTICATIONFAILED"):
            m.authenticate("PLAIN",
                           lambda _: f"\0{'u' * 6000}\0pw".encode())
        m.logout()

    def test_smtp_auth(self):
        s = smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30)
        s.ehlo("client.test")
        user = "u" * 6000
        # RFC 4954 §4: too long for the AUTH line, so it goes after 334
        code, _ = s.docmd("AUTH", "PLAIN")
        self.assertEqual(code, 334)
        code, msg = s.docmd(base64.b64encode(
            f"\0{user}\0pw".encode()).decode())
        self.assertEqual((code, msg[:5]), (535, b"5.7.8"))
        code, _ = s.docmd("AUTH", "LOGIN " + base64.b64encode(
            b"u" * 1000).decode())
        self.assertEqual(code, 334)
        code, msg = s.docmd(base64.b64encode(b"pw").decode())
        self.assertEqual((code, msg[:5]), (535, b"5.7.8"))
        s.quit()

    def test_pop3(self):
        s, f = self.raw(self.pr.pop3)
        s.sendall(b"AUTH PLAIN\r\n")
        self.assertTrue(f.readline().startswith(b"+ "))
        s.sendall(base64.b64encode(b"\0" + b"u" * 6000 + b"\0pw") + b"\r\n")
        self.assertEqual(f.readline(),
                         b"-ERR [AUTH] Authentication failed\r\n")
        # USER: the longest name a 255-octet command line holds (RFC 2449
        # §4) is within the limit and fails like any other; a longer line
        # is refused as a line, not as a login
        s.sendall(b"USER " + b"u" * 248 + b"\r\n")
        self.assertTrue(f.readline().startswith(b"+OK"))
        s.sendall(b"PASS pw\r\n")
        self.assertEqual(f.readline(),
                         b"-ERR [AUTH] Authentication failed\r\n")
        s.sendall(b"USER " + b"u" * 5000 + b"\r\n")
        self.assertEqual(f.readline(), b"-ERR Line too long\r\n")
        s.sendall(b"USER bob@local.test\r\n")
        self.assertTrue(f.readline().startswith(b"+OK"))
        s.sendall(b"PASS bob-pw\r\n")
        self.assertTrue(f.readline().startswith(b"+OK"))
        s.close()


if __name__ == "__main__":
    unittest.main()
