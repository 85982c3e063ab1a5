"""ManageSieve (RFC 5804) on a real postroomd, driven by clients we did not
write: Debian's sieve-connect (a Perl client, over STARTTLS, scripted with
its command-line modes) and python3-sievelib, then raw sockets for what
the RFC says a server must answer. An invalid script is refused naming its
line and column, a valid one is stored, activated, listed, fetched,
renamed and deleted; the quotas on script count and size; AUTHENTICATE
needs STARTTLS when plaintext logins are off; failed logins go through
authd's throttle; and after SETACTIVE a message delivered over SMTP
follows the new rules, as IMAP shows."""
import base64
import imaplib
import os
import re
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

from harness import Postroom, client_tls_context

try:
    from sievelib.managesieve import Client as SieveClient
except ImportError:
    # Debian's python3-sievelib (scripts/install-deps), pure Python, when
    # the tests run under another interpreter
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        from sievelib.managesieve import Client as SieveClient
    except ImportError:
        SieveClient = None

SIEVE_CONNECT = "/usr/bin/sieve-connect"


def wait_log(pr, text, timeout=30):
    """Waits for text in the log (a server may log a disconnect after the
    client has read its last reply); returns the log."""
    deadline = time.monotonic() + timeout
    while True:
        log = pr.log()
        if text in log or time.monotonic() > deadline:
            return log
        time.sleep(0.1)

BOB = ("bob@local.test", "bob-pw-1")
GOOD = b'require ["fileinto", "mailbox"];\r\n' \
       b'if header :contains "subject" "report" {\r\n' \
       b'  fileinto :create "Reports";\r\n' \
       b'}\r\n'
# fileinto without its require: line 2, column 3
BAD = b'if true {\r\n  fileinto "X";\r\n}\r\n'


class Session:
    """A raw ManageSieve session: bytes in, responses parsed as RFC 5804
    §4 writes them (lines, strings, literals)."""

    def __init__(self, port, tls=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        self.greeting = self.response()

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def response(self):
        """Lines up to OK/NO/BYE: (status, whole final line, data lines),
        literals read whole into the line that announced them."""
        lines = []
        while True:
            line = self.line()
            m = re.search(rb"\{(\d+)\}$", line)
            if m:
                line = line[:m.start()] + self.exact(int(m.group(1)))
                line += self.line()
            if re.match(rb"(OK|NO|BYE)\b", line):
                return line.split(b" ", 1)[0].decode(), line, lines
            lines.append(line)

    def cmd(self, data):
        self.send(data + b"\r\n")
        return self.response()

    def starttls(self):
        status, _, _ = self.cmd(b"STARTTLS")
        assert status == "OK"
        self.sock = client_tls_context().wrap_socket(self.sock)
        # RFC 5804 §2.2: the capabilities come again, unasked
        return self.response()

    def login(self, user, password):
        ir = base64.b64encode(f"\0{user}\0{password}".encode())
        return self.cmd(b'AUTHENTICATE "PLAIN" "' + ir + b'"')

    def put(self, name, script):
        return self.cmd(b'PUTSCRIPT "' + name + b'" {%d+}\r\n' % len(script)
                        + script)

    def close(self):
        self.sock.close()


class ManageSieveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(sections={"sieved": {"max_scripts": 3,
                                               "max_script_size": "2k"}})
        cls.pr.start()
        cls.pr.add_user(BOB[0], BOB[1])
        cls.pr.add_user("carol@local.test", "carol-pw-1")
        cls.pr.add_user("dave@local.test", "dave-pw-1")

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def session(self, user=BOB):
        s = Session(self.pr.sieve)
        self.addCleanup(s.close)
        status, line, _ = s.login(*user)
        self.assertEqual(status, "OK", line)
        return s

    # ---- sieve-connect ------------------------------------------------

    def sieve_connect(self, *args, user=BOB):
        with tempfile.TemporaryFile("w+") as pw:
            pw.write(user[1] + "\n")
            pw.flush()
            pw.seek(0)
            return subprocess.run(
                [SIEVE_CONNECT, "--server", "127.0.0.1", "--port",
                 str(self.pr.sieve), "--user", user[0], "--passwordfd",
                 str(pw.fileno()), "--nosslverify", *args],
                pass_fds=(pw.fileno(),), capture_output=True, text=True,
                timeout=60)

    @unittest.skipUnless(os.path.exists(SIEVE_CONNECT),
                         "sieve-connect is not installed")
    def test_sieve_connect(self):
        user = ("carol@local.test", "carol-pw-1")
        with tempfile.TemporaryDirectory() as tmp:
            bad, good = f"{tmp}/bad.sieve", f"{tmp}/good.sieve"
            with open(bad, "wb") as f:
                f.write(BAD)
            with open(good, "wb") as f:
                f.write(GOOD)
            # the invalid script is refused, naming line and column
            out = self.sieve_connect("--upload", "--localsieve", bad,
                                     "--remotesieve", "bad", user=user)
            self.assertNotEqual(out.returncode, 0, out)
            self.assertIn("line 2, column 3", out.stderr)
            self.assertIn('fileinto needs require', out.stderr)
            out = self.sieve_connect("--checkscript", "--localsieve", bad,
                                     user=user)
            self.assertNotEqual(out.returncode, 0, out)
            self.assertIn("line 2, column 3", out.stdout + out.stderr)
            # a valid one: upload, activate, list, download, delete
            out = self.sieve_connect("--upload", "--localsieve", good,
                                     "--remotesieve", "rules", user=user)
            self.assertEqual(out.returncode, 0, out)
            out = self.sieve_connect("--activate", "--remotesieve", "rules",
                                     user=user)
            self.assertEqual(out.returncode, 0, out)
            out = self.sieve_connect("--list", user=user)
            self.assertEqual(out.returncode, 0, out)
            self.assertEqual(out.stdout.split(), ['"rules"', "ACTIVE"])
            back = f"{tmp}/back.sieve"
            out = self.sieve_connect("--download", "--remotesieve", "rules",
                                     "--localsieve", back, user=user)
            self.assertEqual(out.returncode, 0, out)
            with open(back, "rb") as f:
                self.assertEqual(f.read(), GOOD)
            # the active script is not deleted; after deactivating it is
            out = self.sieve_connect("--delete", "--remotesieve", "rules",
                                     user=user)
            self.assertNotEqual(out.returncode, 0, out)
            out = self.sieve_connect("--deactivate", user=user)
            self.assertEqual(out.returncode, 0, out)
            out = self.sieve_connect("--delete", "--remotesieve", "rules",
                                     user=user)
            self.assertEqual(out.returncode, 0, out)
            out = self.sieve_connect("--list", user=user)
            self.assertEqual(out.stdout.strip(), "")
        # it went over TLS: sieve-connect did STARTTLS itself
        self.assertIn("starttls version=TLS",
                      wait_log(self.pr, "starttls version=TLS"))

    # ---- python3-sievelib ---------------------------------------------

    @unittest.skipIf(SieveClient is None, "python3-sievelib is not installed")
    def test_sievelib(self):
        c = SieveClient("127.0.0.1", self.pr.sieve)
        self.assertTrue(c.connect("dave@local.test", "dave-pw-1",
                                  starttls=True, authmech="PLAIN"))
        self.assertFalse(c.putscript("bad", BAD.decode()))
        self.assertIn(b"line 2, column 3", c.errmsg)
        self.assertTrue(c.checkscript(GOOD.decode()))
        self.assertFalse(c.checkscript(BAD.decode()))
        self.assertTrue(c.putscript("one", GOOD.decode()))
        self.assertTrue(c.putscript("two", GOOD.decode()))
        self.assertTrue(c.setactive("one"))
        self.assertEqual(c.listscripts(), ("one", ["two"]))
        self.assertIn("fileinto :create", c.getscript("one"))
        self.assertTrue(c.renamescript("one", "first"))
        self.assertEqual(c.listscripts(), ("first", ["two"]))
        self.assertFalse(c.renamescript("two", "first"))
        self.assertFalse(c.deletescript("first"))   # active
        self.assertTrue(c.deletescript("two"))
        self.assertTrue(c.havespace("x", 100))
        self.assertFalse(c.havespace("x", 3000))
        self.assertTrue(c.setactive(""))
        self.assertEqual(c.listscripts(), (None, ["first"]))
        c.logout()

    # ---- raw: RFC 5804's answers ----------------------------------------

    def test_greeting_and_capabilities(self):
        s = Session(self.pr.sieve)
        self.addCleanup(s.close)
        status, line, caps = s.greeting
        self.assertEqual(status, "OK")
        names = {c.split(b" ", 1)[0].strip(b'"') for c in caps}
        for want in (b"IMPLEMENTATION", b"SASL", b"SIEVE", b"STARTTLS",
                     b"VERSION", b"NOTIFY", b"MAXREDIRECTS"):
            self.assertIn(want, names)
        sieve = [c for c in caps if c.startswith(b'"SIEVE"')][0]
        self.assertIn(b"fileinto", sieve)
        self.assertIn(b"vacation", sieve)
        self.assertIn(b'"VERSION" "1.0"', caps)
        status, _, tls_caps = s.starttls()
        self.assertEqual(status, "OK")
        self.assertNotIn(b'"STARTTLS"', tls_caps)
        self.assertIn(b'"SASL" "PLAIN LOGIN"', tls_caps)
        self.assertEqual(s.login(*BOB)[0], "OK")
        status, _, caps = s.cmd(b"CAPABILITY")
        self.assertIn(b'"OWNER" "bob@local.test"', caps)
        self.assertEqual(s.cmd(b'NOOP "sync-42"')[1],
                         b'OK (TAG "sync-42") "Done"')
        self.assertEqual(s.cmd(b"LOGOUT")[0], "OK")

    def test_script_commands(self):
        s = self.session()
        status, line, _ = s.put(b"bad", BAD)
        self.assertEqual(status, "NO")
        self.assertIn(b"line 2, column 3", line)
        self.assertEqual(s.put(b"main", GOOD)[0], "OK")
        self.assertEqual(s.cmd(b'SETACTIVE "main"')[0], "OK")
        _, _, lines = s.cmd(b"LISTSCRIPTS")
        self.assertIn(b'"main" ACTIVE', lines)
        _, _, lines = s.cmd(b'GETSCRIPT "main"')
        self.assertEqual(lines, [GOOD])
        # RFC 5804 response codes
        self.assertEqual(s.cmd(b'GETSCRIPT "none"')[1][:16],
                         b"NO (NONEXISTENT)")
        self.assertEqual(s.cmd(b'DELETESCRIPT "main"')[1][:11],
                         b"NO (ACTIVE)")
        self.assertEqual(s.put(b"other", GOOD)[0], "OK")
        self.assertEqual(s.cmd(b'RENAMESCRIPT "other" "main"')[1][:18],
                         b"NO (ALREADYEXISTS)")
        self.assertEqual(s.cmd(b'RENAMESCRIPT "none" "x"')[1][:16],
                         b"NO (NONEXISTENT)")
        self.assertEqual(s.cmd(b'SETACTIVE "none"')[1][:16],
                         b"NO (NONEXISTENT)")
        # renaming the active script keeps it active
        self.assertEqual(s.cmd(b'RENAMESCRIPT "main" "renamed"')[0], "OK")
        _, _, lines = s.cmd(b"LISTSCRIPTS")
        self.assertEqual(sorted(lines), [b'"other"', b'"renamed" ACTIVE'])
        self.assertEqual(s.cmd(b'SETACTIVE ""')[0], "OK")
        self.assertEqual(s.cmd(b'DELETESCRIPT "renamed"')[0], "OK")
        self.assertEqual(s.cmd(b'DELETESCRIPT "other"')[0], "OK")
        _, _, lines = s.cmd(b"LISTSCRIPTS")
        self.assertEqual(lines, [])
        # CHECKSCRIPT stores nothing
        status, line, _ = s.cmd(b"CHECKSCRIPT {%d+}\r\n" % len(BAD) + BAD)
        self.assertEqual(status, "NO")
        self.assertIn(b"line 2, column 3", line)
        self.assertEqual(s.cmd(b"CHECKSCRIPT {%d+}\r\n" % len(GOOD)
                               + GOOD)[0], "OK")
        self.assertEqual(s.cmd(b"LISTSCRIPTS")[2], [])
        # errors are answered and the session goes on
        self.assertEqual(s.cmd(b"FROBNICATE")[0], "NO")
        self.assertEqual(s.cmd(b'PUTSCRIPT "x/y" "keep;"')[1],
                         b'NO "Invalid script name"')
        self.assertEqual(s.cmd(b'STARTTLS')[0], "NO")  # after login
        self.assertEqual(s.cmd(b"NOOP")[0], "OK")

    def test_quotas(self):
        s = self.session(("carol@local.test", "carol-pw-1"))
        small = b"keep;\r\n"
        for name in (b"q1", b"q2", b"q3"):
            self.assertEqual(s.put(name, small)[0], "OK")
        # a fourth name is over max_scripts; replacing one is not
        self.assertEqual(s.cmd(b'HAVESPACE "q4" 10')[1][:20],
                         b"NO (QUOTA/MAXSCRIPTS")
        self.assertEqual(s.put(b"q4", small)[1][:21],
                         b"NO (QUOTA/MAXSCRIPTS)")
        self.assertEqual(s.put(b"q1", small)[0], "OK")
        self.assertEqual(s.cmd(b'HAVESPACE "q1" 2048')[0], "OK")
        # over max_script_size (2k): HAVESPACE says so, and a literal of
        # that size is refused, read past, and the session goes on
        self.assertEqual(s.cmd(b'HAVESPACE "q1" 2049')[1][:17],
                         b"NO (QUOTA/MAXSIZE")
        big = b"# " + b"x" * 3000 + b"\r\nkeep;\r\n"
        status, line, _ = s.put(b"q1", big)
        self.assertEqual(line[:18], b"NO (QUOTA/MAXSIZE)")
        self.assertEqual(s.cmd(b"NOOP")[0], "OK")
        _, _, lines = s.cmd(b'GETSCRIPT "q1"')
        self.assertEqual(lines, [small])
        for name in (b"q1", b"q2", b"q3"):
            self.assertEqual(s.cmd(b'DELETESCRIPT "' + name + b'"')[0], "OK")

    def test_bad_input_is_answered(self):
        s = Session(self.pr.sieve)
        self.addCleanup(s.close)
        # before login: script commands and errors in the syntax
        self.assertEqual(s.cmd(b"LISTSCRIPTS")[1],
                         b'NO "Authenticate first"')
        self.assertEqual(s.cmd(b'NOOP "unterminated')[0], "NO")
        # a wrong line ending in a literal: its octets are not commands
        status, _, _ = s.cmd(b'NOOP ( {8+}\r\nLOGOUT\r\n')
        self.assertEqual(status, "NO")
        self.assertEqual(s.cmd(b"NOOP")[0], "OK")
        # an AUTHENTICATE cancelled with "*" (RFC 5804 §2.1)
        s.send(b'AUTHENTICATE "PLAIN"\r\n')
        self.assertEqual(s.line(), b'""')
        self.assertEqual(s.cmd(b'"*"')[0], "NO")
        # ten protocol errors end the session with BYE
        for _ in range(7):
            s.send(b"BOGUS\r\n")
        status, line, _ = s.response()
        while status == "NO":
            status, line, _ = s.response()
        self.assertEqual(status, "BYE", line)
        self.assertIn("reason=too many errors",
                      wait_log(self.pr, "reason=too many errors"))

    def test_delivery_follows_setactive(self):
        user = ("erin@local.test", "erin-pw-1")
        self.pr.add_user(*user)
        s = self.session(user)
        self.assertEqual(s.put(b"main", GOOD)[0], "OK")
        self.assertEqual(s.cmd(b'SETACTIVE "main"')[0], "OK")
        s.cmd(b"LOGOUT")
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as smtp:
            smtp.sendmail("ann@remote.test", [user[0]],
                          b"From: ann@remote.test\r\nTo: erin@local.test\r\n"
                          b"Subject: weekly report\r\n\r\nNumbers.\r\n")
            smtp.sendmail("ann@remote.test", [user[0]],
                          b"From: ann@remote.test\r\nTo: erin@local.test\r\n"
                          b"Subject: hello\r\n\r\nHi.\r\n")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
                len(self.pr.messages(user[0], "Reports")) < 1 or
                len(self.pr.messages(user[0])) < 1):
            time.sleep(0.05)
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        m.login(*user)
        typ, data = m.select('"Reports"', readonly=True)
        self.assertEqual((typ, data), ("OK", [b"1"]))
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertIn(b"weekly report", data[0][1])
        typ, data = m.select("INBOX", readonly=True)
        self.assertEqual(data, [b"1"])
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertIn(b"hello", data[0][1])
        m.logout()


class ManageSieveTlsRequiredTest(unittest.TestCase):
    """With plaintext logins off, loopback is treated like any other
    network: no SASL mechanism is offered before STARTTLS and
    AUTHENTICATE gets NO (ENCRYPT-NEEDED); wrong passwords are throttled
    by authd like IMAP's."""

    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(main={"plaintext_auth_loopback": "no"})
        cls.pr.start()
        cls.pr.add_user(BOB[0], BOB[1])

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def test_starttls_required(self):
        s = Session(self.pr.sieve)
        self.addCleanup(s.close)
        self.assertIn(b'"SASL" ""', s.greeting[2])
        status, line, _ = s.login(*BOB)
        self.assertEqual(line[:20], b"NO (ENCRYPT-NEEDED) ")
        s.starttls()
        self.assertEqual(s.login(*BOB)[0], "OK")

    def test_throttle(self):
        s = Session(self.pr.sieve)
        self.addCleanup(s.close)
        s.starttls()
        delays = []
        for _ in range(3):
            start = time.monotonic()
            status, _, _ = s.login(BOB[0], "wrong-password")
            delays.append(time.monotonic() - start)
            self.assertEqual(status, "NO")
        log = self.pr.log()
        logged = [int(d) for d in re.findall(
            r"sieved\[\d+\]: info: .* auth-failed mech=PLAIN "
            r"user=bob@local.test delay=(\d+)ms", log)]
        self.assertEqual(len(logged), 3, log[-3000:])
        # later failures wait for the penalty authd gave before the NO
        # (doc/architecture.md, the login throttle)
        worst = max(range(3), key=lambda i: logged[i])
        self.assertGreater(logged[worst], 0)
        self.assertGreaterEqual(delays[worst], logged[worst] / 1000 * 0.9)
        self.assertIn("service=sieve", log)


if __name__ == "__main__":
    unittest.main()
