"""The login throttle lives in authd, where the checks of every worker of
smtpd, pop3d and imapd meet (doc/architecture.md, "Password checks"):
failures per client address, per account and per (address, account) raise
a penalty during which the password is not even checked, so guessers in
parallel connections get one check per penalty between them. Counted from
authd's log ("checked ..." for a password verified, "throttled ..." for a
login refused without a check):

- 20 imaplib connections guessing one account from one address, the same
  spread over ten accounts, the same from twenty loopback addresses against
  one account, and 21 connections split over imaplib, smtplib and poplib:
  each time a handful of checks in GUESS_SECS, spaced by the penalty the
  previous one started (before the throttle moved into authd, every
  connection was checked at once: 20 checks in the first second);
- a successful login of another account from the guessing address leaves
  the penalty on the attacked account in place, and the account's owner
  still logs in from another address;
- an unknown user and a wrong password get the same reply and the same
  delays, and a client that waits for each reply is delayed, never refused."""
import datetime
import imaplib
import poplib
import re
import smtplib
import socket
import threading
import time
import unittest

from harness import Postroom

GUESS_SECS = 8
# A short cap keeps the test short; the schedule is 0, 1, 2, 4, 4 ... s.
MAX_DELAY = 4
# At most three checks can start before two failures are on record (two
# authd workers; the first failure costs nothing); every later one waits a
# penalty of 2 s or more, and one more may start as the guessers stop.
MAX_CHECKS = 3 + GUESS_SECS // 2 + 1
BOB, BOB_PW = "bob@local.test", "bob-pw"
ALICE, ALICE_PW = "alice@local.test", "alice-pw"

LINE = re.compile(
    r"^(\S+) authd\[\d+\]: info: (checked|throttled) service=(\S+) "
    r"ip=(\S+) user=(\S+) (?:result=(\S+) delay=(\d+)ms|wait=(\d+)ms)")


class Check:
    def __init__(self, m):
        self.time = datetime.datetime.strptime(
            m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
        self.kind, self.service, self.ip, self.user = m.group(2, 3, 4, 5)
        self.result = m.group(6)
        self.delay = int(m.group(7) or m.group(8))

    def __repr__(self):
        return (f"{self.kind} {self.service} {self.ip} {self.user} "
                f"{self.result} {self.delay}ms @{self.time:.3f}")


def authd_lines(pr, kind, user=None, ip=None):
    out = []
    for line in pr.log().splitlines():
        m = LINE.match(line)
        if m is None:
            continue
        c = Check(m)
        if c.kind == kind and user in (None, c.user) and ip in (None, c.ip):
            out.append(c)
    return sorted(out, key=lambda c: c.time)


class IMAP(imaplib.IMAP4):
    """imaplib from a chosen loopback source address."""

    def __init__(self, port, src):
        self.src = src
        super().__init__("127.0.0.1", port, timeout=60)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self.src, 0))


class POP3(poplib.POP3):
    def __init__(self, port, src):
        self.src = src
        super().__init__("127.0.0.1", port, timeout=60)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self.src, 0))


class Client:
    """One kept connection of one protocol that logs in again and again."""

    def __init__(self, pr, proto, src):
        self.pr, self.proto, self.src = pr, proto, src
        self.conn = None

    def open(self):
        if self.proto == "imap":
            return IMAP(self.pr.imap, self.src)
        if self.proto == "pop3":
            return POP3(self.pr.pop3, self.src)
        c = smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=60,
                         source_address=(self.src, 0))
        c.ehlo("guesser.test")
        return c

    def login(self, user, password):
        """True if the login worked (the connection is then closed)."""
        if self.conn is None:
            self.conn = self.open()
        try:
            if self.proto == "imap":
                self.conn.login(user, password)
            elif self.proto == "pop3":
                self.conn.user(user)
                self.conn.pass_(password)
            else:
                # one mechanism, one guess (login() would try LOGIN too)
                self.conn.auth("PLAIN",
                               lambda _=None: f"\0{user}\0{password}")
        except (imaplib.IMAP4.error, poplib.error_proto,
                smtplib.SMTPAuthenticationError):
            return False
        self.close()
        return True

    def close(self):
        if self.conn is not None:
            try:
                if self.proto == "imap":
                    self.conn.logout()
                else:
                    self.conn.quit()
            except (OSError, imaplib.IMAP4.error, poplib.error_proto,
                    smtplib.SMTPException):
                pass
            self.conn = None


def guess(pr, jobs, seconds=GUESS_SECS):
    """Runs one thread per (proto, src, user) guessing wrong passwords for
    seconds; returns how many answers they got."""
    stop = time.monotonic() + seconds
    answers = []

    def run(proto, src, user):
        client = Client(pr, proto, src)
        n = 0
        while time.monotonic() < stop:
            if client.login(user, f"guess-{n}"):
                raise AssertionError(f"{user}: a guess worked")
            n += 1
        client.close()
        answers.append(n)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(answers)


class AuthThrottleTest(unittest.TestCase):
    def setUp(self):
        self.pr = Postroom(
            workers=1,
            sections={"authd": {"throttle_max_delay": f"{MAX_DELAY}s"}})
        self.pr.start()
        self.addCleanup(self.pr.cleanup)
        for user, pw in ((BOB, BOB_PW), (ALICE, ALICE_PW)):
            self.pr.add_user(user, pw)

    def assert_throttled(self, checks, answers):
        """A handful of checks for many answers, and no check before the
        penalty the one before it started was over."""
        self.assertGreaterEqual(len(checks), 2, checks)
        self.assertLessEqual(len(checks), MAX_CHECKS, checks)
        self.assertGreater(answers, 2 * len(checks), checks)
        for before, after in zip(checks[2:], checks[3:]):
            self.assertGreaterEqual(after.time - before.time,
                                    before.delay / 1000 - 0.1,
                                    f"{before} then {after}")

    def test_parallel_guessers_one_account(self):
        answers = guess(self.pr, [("imap", "127.0.0.2", BOB)] * 20)
        checks = authd_lines(self.pr, "checked", BOB)
        self.assert_throttled(checks, answers)
        self.assertTrue(all(c.result == "fail" for c in checks))
        self.assertGreater(len(authd_lines(self.pr, "throttled", BOB)), 0)

    def test_guessers_over_accounts_from_one_address(self):
        users = [f"user{i}@local.test" for i in range(10)]
        for user in users[:5]:  # half of them exist
            self.pr.add_user(user, "right-pw")
        answers = guess(self.pr, [("imap", "127.0.0.3", users[i % 10])
                                  for i in range(20)])
        checks = authd_lines(self.pr, "checked", ip="127.0.0.3")
        self.assertLessEqual(len(checks), MAX_CHECKS, checks)
        self.assertGreater(answers, 2 * len(checks), checks)

    def test_guessers_over_addresses_against_one_account(self):
        # bob logged in from his usual address before the attack
        self.assertTrue(Client(self.pr, "imap", "127.0.1.1")
                        .login(BOB, BOB_PW))
        answers = guess(self.pr, [("imap", f"127.0.0.{10 + i}", BOB)
                                  for i in range(20)])
        checks = authd_lines(self.pr, "checked", BOB)
        fails = [c for c in checks if c.result == "fail"]
        self.assertLessEqual(len(fails), MAX_CHECKS, fails)
        self.assertGreater(answers, 2 * len(fails), fails)
        self.assertGreater(len({c.ip for c in authd_lines(
            self.pr, "throttled", BOB)}), 5)
        # from there he is not held by the account's penalty
        self.assertTrue(Client(self.pr, "imap", "127.0.1.1")
                        .login(BOB, BOB_PW))

    def test_other_account_success_keeps_the_penalty(self):
        # alice logs in from the guessing address too (a shared NAT)
        self.assertTrue(Client(self.pr, "imap", "127.0.0.4")
                        .login(ALICE, ALICE_PW))
        logins = {"alice": 0, "bob": False}
        stop = time.monotonic() + GUESS_SECS

        def alice_logs_in():
            while time.monotonic() < stop:
                if Client(self.pr, "imap", "127.0.0.4").login(ALICE,
                                                              ALICE_PW):
                    logins["alice"] += 1
                time.sleep(0.3)

        def bob_logs_in_elsewhere():
            time.sleep(GUESS_SECS / 2)
            logins["bob"] = Client(self.pr, "pop3", "127.0.0.5").login(
                BOB, BOB_PW)

        helpers = [threading.Thread(target=alice_logs_in),
                   threading.Thread(target=bob_logs_in_elsewhere)]
        for t in helpers:
            t.start()
        answers = guess(self.pr, [("imap", "127.0.0.4", BOB)] * 10)
        for t in helpers:
            t.join()
        self.assertGreaterEqual(logins["alice"], 5, logins)
        self.assertTrue(logins["bob"], "bob could not log in elsewhere")
        checks = authd_lines(self.pr, "checked", BOB, "127.0.0.4")
        self.assert_throttled(checks, answers)
        ok = authd_lines(self.pr, "checked", ALICE, "127.0.0.4")
        self.assertGreaterEqual(len(ok), logins["alice"])
        self.assertTrue(all(c.result == "ok" for c in ok))

    def test_imap_smtp_pop3_count_into_one_throttle(self):
        jobs = [(proto, "127.0.0.6", BOB)
                for proto in ("imap", "smtp", "pop3") for _ in range(7)]
        answers = guess(self.pr, jobs)
        checks = authd_lines(self.pr, "checked", BOB)
        self.assert_throttled(checks, answers)
        seen = checks + authd_lines(self.pr, "throttled", BOB)
        self.assertEqual({c.service for c in seen}, {"imap", "smtp", "pop3"})

    def test_unknown_user_like_wrong_password(self):
        replies = {}
        for ip, user in (("127.0.0.7", BOB), ("127.0.0.8", "nobody@local.test")):
            client = Client(self.pr, "imap", ip)
            client.conn = client.open()
            replies[user] = []
            for n in range(4):
                try:
                    client.conn.login(user, f"wrong-{n}")
                except imaplib.IMAP4.error as e:
                    replies[user].append(str(e))
            client.close()
        self.assertEqual(replies[BOB], replies["nobody@local.test"])
        self.assertEqual(len(replies[BOB]), 4)
        self.assertIn("AUTHENTICATIONFAILED", replies[BOB][0])
        want = [0, 1000, 2000, 4000]
        for user in (BOB, "nobody@local.test"):
            checks = authd_lines(self.pr, "checked", user)
            self.assertEqual([c.delay for c in checks], want, checks)
        # each reply waited for its penalty: nothing was refused
        self.assertEqual(authd_lines(self.pr, "throttled"), [])


if __name__ == "__main__":
    unittest.main()
