"""Password checks happen in authd, off the protocol servers' event loops
(doc/architecture.md, "authd"): while ten logins wait for their yescrypt
verifications, a session already logged in on the same single worker keeps
answering NOOP at once, before the logins are answered; commands pipelined
behind a login wait for it; and when authd is killed a login in flight gets
a temporary failure (SMTP 454 4.7.0, IMAP NO [UNAVAILABLE], POP3 -ERR
[SYS/TEMP]) and logins work again once the master has restarted it."""
import base64
import os
import select
import signal
import socket
import time
import unittest

from harness import Postroom

LOGINS = 10
USER, PASSWORD = "bob@local.test", "bob-pw"


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_until(s, pred, timeout=30):
    """Reads from s until pred(data) is true; returns the data."""
    data = b""
    deadline = time.monotonic() + timeout
    while not pred(data):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out, got {data!r}")
        s.settimeout(left)
        chunk = s.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed, got {data!r}")
        data += chunk
    return data


def line_ending(prefix):
    return lambda d: d.endswith(b"\r\n") and prefix in d


def plain(user, password):
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


class Proto:
    """What differs between the three servers: the greeting, a login, its
    answers, and NOOP."""

    def __init__(self, name, pr):
        self.name = name
        self.port = {"imap": pr.imap, "pop3": pr.pop3,
                     "smtp": pr.submission}[name]

    def open(self):
        s = connect(self.port)
        if self.name == "smtp":
            read_until(s, line_ending(b"220 "))
            s.sendall(b"EHLO client.test\r\n")
            read_until(s, line_ending(b"250 "))
        elif self.name == "pop3":
            read_until(s, line_ending(b"+OK"))
        else:
            read_until(s, line_ending(b"* OK"))
        return s

    def login_cmd(self, password=PASSWORD):
        if self.name == "smtp":
            return f"AUTH PLAIN {plain(USER, password)}\r\n".encode()
        if self.name == "pop3":
            return f"AUTH PLAIN {plain(USER, password)}\r\n".encode()
        return f"a LOGIN {USER} {password}\r\n".encode()

    def done(self, data):
        """True once the login's answer is complete."""
        if self.name == "smtp":
            return data.endswith(b"\r\n") and data[:3].isdigit()
        if self.name == "pop3":
            return data.endswith(b"\r\n")
        return b"\r\na " in b"\r\n" + data and data.endswith(b"\r\n")

    def ok(self, data):
        return {"smtp": data.startswith(b"235 "),
                "pop3": data.startswith(b"+OK"),
                "imap": b"a OK" in data}[self.name]

    def tempfail(self, data):
        return {"smtp": data.startswith(b"454 4.7.0"),
                "pop3": data.startswith(b"-ERR [SYS/TEMP]"),
                "imap": b"a NO [UNAVAILABLE]" in data}[self.name]

    def noop(self, s, i):
        if self.name == "imap":
            s.sendall(b"n%d NOOP\r\n" % i)
            read_until(s, line_ending(b"n%d OK" % i))
        else:
            s.sendall(b"NOOP\r\n")
            read_until(s, line_ending(b"250 " if self.name == "smtp"
                                      else b"+OK"))

    def login(self, s, password=PASSWORD):
        s.sendall(self.login_cmd(password))
        return read_until(s, self.done)


class AuthdTest(unittest.TestCase):
    def setUp(self):
        # One worker per server: every session shares one event loop.
        self.pr = Postroom(workers=1).start()
        self.addCleanup(self.pr.cleanup)
        self.pr.add_user(USER, PASSWORD)

    def wait_port(self, proto):
        deadline = time.monotonic() + 30
        while True:
            try:
                proto.open().close()
                return
            except (OSError, AssertionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def noop_during_logins(self, name):
        proto = Proto(name, self.pr)
        self.wait_port(proto)
        busy = proto.open()
        self.assertTrue(proto.ok(proto.login(busy)))
        proto.noop(busy, 0)
        sessions = [proto.open() for _ in range(LOGINS)]
        pending = {}
        for i, s in enumerate(sessions):
            # wrong passwords from one address would be throttled: only
            # right ones, so every answer comes as soon as it is checked
            s.sendall(proto.login_cmd())
            pending[s] = b""
        worst = 0.0
        answered_before_first_noop = None
        for i in range(1, 6):
            started = time.monotonic()
            proto.noop(busy, i)
            worst = max(worst, time.monotonic() - started)
            if answered_before_first_noop is None:
                readable, _, _ = select.select(list(pending), [], [], 0)
                answered_before_first_noop = len(readable)
        for s in sessions:
            data = read_until(s, proto.done)
            # POP3: the password was right, but busy holds the maildrop
            self.assertTrue(proto.ok(data) or
                            data.startswith(b"-ERR [IN-USE]"), data)
            s.close()
        busy.close()
        # Checked one after the other on the loop, the logins would hold
        # the first NOOP back for about LOGINS x 70 ms; through authd (two
        # workers here) most are still being checked when it is answered.
        self.assertLess(answered_before_first_noop, LOGINS // 2,
                        f"{name}: logins answered before the NOOP")
        self.assertLess(worst, 0.4, f"{name}: NOOP took {worst:.3f}s")

    def test_imap_noop_answers_while_logins_are_checked(self):
        self.noop_during_logins("imap")

    def test_pop3_noop_answers_while_logins_are_checked(self):
        self.noop_during_logins("pop3")

    def test_smtp_noop_answers_while_logins_are_checked(self):
        self.noop_during_logins("smtp")

    def test_pipelined_command_waits_for_login(self):
        proto = Proto("imap", self.pr)
        self.wait_port(proto)
        s = proto.open()
        s.sendall(proto.login_cmd() + b"b SELECT INBOX\r\n")
        data = read_until(s, line_ending(b"b OK"))
        self.assertIn(b"a OK", data)
        self.assertLess(data.index(b"a OK"), data.index(b"b OK"))
        s.close()

    @staticmethod
    def sockets(pid):
        """How many sockets pid holds (an authd with a check in hand holds
        one more than an idle one)."""
        n = 0
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith(
                        "socket:")
                except OSError:
                    pass
        except OSError:
            pass
        return n

    def login_held_by_authd(self, proto, old):
        """Sends a login and stops every authd once one has accepted it.
        Returns the session, or None if the answer beat the stop."""
        idle = {pid: self.sockets(pid) for pid in old}
        s = proto.open()
        s.sendall(proto.login_cmd())
        deadline = time.monotonic() + 10
        while not any(self.sockets(pid) > idle[pid] for pid in old):
            self.assertLess(time.monotonic(), deadline, "authd never busy")
            time.sleep(0.001)
        for pid in old:
            os.kill(pid, signal.SIGSTOP)
        if select.select([s], [], [], 0.2)[0]:
            # The check was done before the stop: try again.
            read_until(s, proto.done)
            s.close()
            for pid in old:
                os.kill(pid, signal.SIGCONT)
            return None
        return s

    def kill_during_login(self, name):
        proto = Proto(name, self.pr)
        self.wait_port(proto)
        old = sorted(self.pr.children("authd"))
        self.assertEqual(len(old), 2)
        s = None
        for _ in range(10):
            s = self.login_held_by_authd(proto, old)
            if s is not None:
                break
        self.assertIsNotNone(s, "every check ended before authd stopped")
        for pid in old:
            os.kill(pid, signal.SIGKILL)
        data = read_until(s, proto.done)
        self.assertTrue(proto.tempfail(data), data)
        s.close()
        # The master restarts authd; logins work again (one sent before
        # that waits in run/auth.sock's queue).
        deadline = time.monotonic() + 30
        while True:
            s = proto.open()
            data = proto.login(s)
            s.close()
            if proto.ok(data):
                break
            self.assertTrue(proto.tempfail(data), data)
            self.assertLess(time.monotonic(), deadline, data)
            time.sleep(0.1)
        new = self.pr.children("authd")
        self.assertEqual(len(new), 2)
        self.assertFalse(set(new) & set(old))
        self.assertIn("child-exited child=authd", self.pr.log())

    def test_imap_login_when_authd_is_killed(self):
        self.kill_during_login("imap")

    def test_pop3_login_when_authd_is_killed(self):
        self.kill_during_login("pop3")

    def test_smtp_login_when_authd_is_killed(self):
        self.kill_during_login("smtp")


if __name__ == "__main__":
    unittest.main()
