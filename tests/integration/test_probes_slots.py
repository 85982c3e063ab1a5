"""The per-process connection slots protect logged-in users: a flood of
connections that never log in (a partial command each, from a handful of
addresses, three times the process's max_connections) does not lock a
user out of IMAP, POP3 or submission. When a process is full, a newcomer
takes the slot of the oldest session that has not logged in, which is told
so (* BYE [UNAVAILABLE], -ERR [SYS/TEMP], 421 4.7.0) and logged as
reason=evicted; a session logged in before the flood is never the one to
go. Before this, the flood held every slot and the user was refused."""
import imaplib
import poplib
import smtplib
import time
import unittest

from harness import Postroom
from probe_fixtures import connect, read_until

SLOTS = 40   # max_connections of each (single-worker) server
FLOOD = 120  # pre-login connections, 20 from each of 6 addresses
USER, PASSWORD = "bob@example.test", "secret-pw"


class SlotProbeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        limits = {"max_connections": SLOTS, "max_connections_per_ip": 50}
        cls.pr = Postroom(workers=1, smtpd=dict(limits),
                          sections={"pop3d": dict(limits),
                                    "imapd": dict(limits)}).start()
        cls.pr.add_user(USER, PASSWORD)

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def flood(self, port, partial):
        """FLOOD connections that read the greeting and send part of a
        command, never a login. Returns the sockets and their greetings."""
        socks, greetings = [], []
        for i in range(FLOOD):
            s = connect(port, f"127.0.5.{1 + i % 6}")
            greetings.append(read_until(s, b"\r\n"))
            s.sendall(partial)
            socks.append(s)
        return socks, greetings

    def evicted(self, socks, want):
        """How many flood sockets the server told want and closed."""
        count = 0
        for s in socks:
            s.settimeout(0.1)
            data = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            if want in data:
                count += 1
            s.close()
        return count

    def check(self, name, port, partial, login, still_works, want):
        before = login()
        socks, greetings = self.flood(port, partial)
        # the newest connections are served: none was refused
        self.assertTrue(all(not g.startswith(want) for g in greetings),
                        f"{name}: {greetings[-1]!r}")
        # a user logs in while the flood holds every other slot
        after = login()
        self.assertTrue(still_works(after), name)
        self.assertTrue(still_works(before), name)
        gone = self.evicted(socks, want)
        # FLOOD + 1 newcomers for SLOTS - 1 slots left by the first user
        self.assertGreaterEqual(gone, FLOOD - SLOTS + 2, name)
        return before, after

    def test_imap_user_gets_in(self):
        def login():
            imap = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
            imap.login(USER, PASSWORD)
            return imap

        before, after = self.check(
            "imap", self.pr.imap, b"a NOO", login,
            lambda imap: imap.noop()[0] == "OK",
            b"* BYE [UNAVAILABLE] Too many connections")
        before.logout()
        after.logout()

    def test_pop3_user_gets_in(self):
        # POP3 locks the maildrop per session: the second user session
        # waits until the first has quit, so check them one after another
        def login():
            pop = poplib.POP3("127.0.0.1", self.pr.pop3, timeout=30)
            return pop

        def logged_in(pop):
            pop.user(USER)
            pop.pass_(PASSWORD)
            ok = pop.stat()[0] >= 0
            pop.quit()
            return ok

        pop = login()
        pop.user(USER)
        pop.pass_(PASSWORD)
        socks, greetings = self.flood(self.pr.pop3, b"CAP")
        self.assertTrue(all(g.startswith(b"+OK") for g in greetings))
        self.assertTrue(pop.noop().startswith(b"+OK"))
        pop.quit()
        self.assertTrue(logged_in(login()))
        # the second session took the slot the first one gave back
        self.assertGreaterEqual(
            self.evicted(socks, b"-ERR [SYS/TEMP] Too many connections"),
            FLOOD - SLOTS + 1)

    def test_submission_user_gets_in(self):
        def login():
            smtp = smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30)
            smtp.login(USER, PASSWORD)
            return smtp

        before, after = self.check(
            "submission", self.pr.submission, b"EHLO x", login,
            lambda smtp: smtp.noop()[0] == 250,
            b"421 4.7.0 Too many connections")
        before.quit()
        after.quit()

    def test_zz_evictions_are_logged(self):
        # runs last (unittest sorts by name): all three floods are done
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and \
                self.pr.log().count("reason=evicted") < 3:
            time.sleep(0.1)
        log = self.pr.log()
        self.assertGreaterEqual(log.count("reason=evicted"),
                                3 * (FLOOD - SLOTS + 2) - 1, log[-2000:])


if __name__ == "__main__":
    unittest.main()
