"""imapd's per-session command rate ([imapd] command_rate, command_burst,
command_flood_time): a pipelined burst beyond the bucket is slowed down to
the rate (imapd stops reading; every command is still answered, in order),
a sustained flood gets "* BYE Too many commands" and a log line, ordinary
use with pauses is never touched, and another client's session goes at full
speed while one floods."""
import imaplib
import socket
import threading
import time
import unittest

from harness import Postroom

USER = "rate@local.test"
PW = "rate-pw"
RATE, BURST, FLOOD = 20, 40, 4


def raw_login(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.recv(4096)  # the greeting
    s.sendall(f"l LOGIN {USER} {PW}\r\n".encode())
    data = b""
    while b"l OK" not in data:
        chunk = s.recv(4096)
        assert chunk, "closed during login"
        data += chunk
    return s


def read_until(s, marks, timeout):
    """Reads until one of marks is in the data or the peer closes; returns
    (data, closed)."""
    data = b""
    deadline = time.monotonic() + timeout
    s.settimeout(1)
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
        if any(m in data for m in marks):
            return data, False
    return data, False


class ImapLimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(sections={"imapd": {
            "command_rate": RATE, "command_burst": BURST,
            "command_flood_time": f"{FLOOD}s"}}).start()
        cls.pr.add_user(USER, PW)

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def test_burst_is_slowed_not_refused(self):
        n = BURST * 2  # half beyond the bucket: about 2 s at the rate
        s = raw_login(self.pr.imap)
        start = time.monotonic()
        s.sendall(b"".join(b"n%d NOOP\r\n" % i for i in range(n)))
        data, closed = read_until(s, [b"n%d OK" % (n - 1)], 30)
        took = time.monotonic() - start
        s.close()
        self.assertFalse(closed, data[-200:])
        self.assertNotIn(b"BYE", data)
        tags = [int(line.split()[0][1:]) for line in data.split(b"\r\n")
                if line.startswith(b"n")]
        self.assertEqual(tags, list(range(n)))
        # the commands beyond the bucket came at about RATE per second
        beyond = n - BURST
        self.assertGreater(took, 0.7 * beyond / RATE, f"took {took:.2f} s")
        self.assertLess(took, FLOOD, f"took {took:.2f} s")

    def test_sustained_flood_is_cut(self):
        s = raw_login(self.pr.imap)
        start = time.monotonic()
        sent = 2000
        flood = b"".join(b"f%d NOOP\r\n" % i for i in range(sent))
        # the server stops reading: send from a thread so we can read
        sender = threading.Thread(target=lambda: self._send_quietly(s, flood))
        sender.start()
        # meanwhile another session is not slowed down
        other = self._ordinary_session(rounds=1, per_round=30, pause=0)
        data, closed = read_until(s, [b"* BYE"], 30)
        if not closed:
            more, closed = read_until(s, [b"\0"], 10)
            data += more
        took = time.monotonic() - start
        s.close()
        sender.join(30)
        self.assertIn(b"* BYE Too many commands\r\n", data)
        self.assertTrue(closed, "still open after BYE")
        answered = data.count(b" OK NOOP")
        self.assertLess(answered, sent // 2)
        self.assertGreater(took, FLOOD, f"cut after {took:.2f} s")
        self.assertLess(other, 2.0, f"other session took {other:.2f} s")
        self.assertIn("command-flood", self.pr.log())

    @staticmethod
    def _send_quietly(s, data):
        try:
            s.sendall(data)
        except OSError:
            pass  # cut off

    def _ordinary_session(self, rounds, per_round, pause):
        """An imaplib session: rounds of per_round commands with pause
        seconds between; returns the time the commands took (pauses not
        counted)."""
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        m.login(USER, PW)
        busy = 0.0
        for r in range(rounds):
            start = time.monotonic()
            self.assertEqual(m.select("INBOX")[0], "OK")
            for _ in range(per_round - 2):
                self.assertEqual(m.noop()[0], "OK")
            self.assertEqual(m.uid("SEARCH", "ALL")[0], "OK")
            busy += time.monotonic() - start
            if r + 1 < rounds:
                time.sleep(pause)
        m.logout()
        return busy

    def test_ordinary_use_is_untouched(self):
        # 4 rounds of 30 commands (beyond the bucket in total) with the
        # pauses a person or a syncing client makes
        busy = self._ordinary_session(rounds=4, per_round=30, pause=1.6)
        self.assertLess(busy, 3.0, f"commands took {busy:.2f} s")


if __name__ == "__main__":
    unittest.main()
