"""Scheduled expiry of Trash and Junk, seen from Python's imaplib: messages
APPENDed to Trash with internal dates older than [queue]
trash_expiry_days are expunged by qmgr's maintenance timer (every 2 s
here), a fresh one and one of 29 days are kept, a session in IDLE gets the
EXPUNGE responses and another one's NOOP too, and the log has one line per
mailbox with the count. A year-old message MOVEd to Trash now stays: the
clock starts when a message arrives in the mailbox. postroomctl account
expiry shows each mailbox's term and sets one (a folder after 1 day, Junk
never, back to the default)."""
import imaplib
import re
import time
import unittest
from datetime import datetime, timedelta, timezone

from harness import Postroom

USER = "dora@local.test"
PW = "dora-pw"


def msg(subject):
    return (f"From: Alice <alice@remote.test>\r\nTo: {USER}\r\n"
            f"Subject: {subject}\r\n\r\n{subject}\r\n").encode()


def days_ago(days):
    return imaplib.Time2Internaldate(
        (datetime.now(timezone.utc) - timedelta(days=days)).timestamp())


class ExpiryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(sections={"queue": {"maintenance_interval": "2s"}})
        cls.pr.start()
        cls.pr.add_user(USER, PW)

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def login(self):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        m.login(USER, PW)
        return m

    def subjects(self, m, box):
        m.select(box)
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        if data == [None]:
            return []
        return sorted(re.search(rb"Subject: (\S+)", d[1]).group(1).decode()
                      for d in data if isinstance(d, tuple))

    def wait_log(self, pattern, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.pr.log())
            if found:
                return found
            time.sleep(0.1)
        self.fail(f"no {pattern!r} in the log:\n{self.pr.log()[-3000:]}")

    def test_trash_expires_old_mail_and_sessions_see_it(self):
        m = self.login()
        m.append("INBOX", None, days_ago(400), msg("inbox-old"))
        # held off while two sessions learn of the messages
        self.pr.ctl("account", "expiry", USER, "Trash", "never")
        # APPEND with a date: the message arrived then
        for subject, age in (("old-1", 40), ("old-2", 31), ("old-3", 365),
                             ("day-29", 29), ("fresh", 0)):
            m.append("Trash", None, days_ago(age), msg(subject))
        # a session in IDLE on Trash, and one that will NOOP
        idle = self.login()
        idle.select("Trash")
        tag = idle._new_tag()
        idle.send(tag + b" IDLE\r\n")
        self.assertTrue(idle.readline().startswith(b"+"))
        noop = self.login()
        noop.select("Trash")
        self.pr.ctl("account", "expiry", USER, "Trash", "default")
        # IDLE sees 3 EXPUNGE
        idle.sock.settimeout(30)
        expunges = 0
        deadline = time.monotonic() + 30
        while expunges < 3 and time.monotonic() < deadline:
            line = idle.readline()
            if re.match(rb"^\* \d+ EXPUNGE\r\n$", line):
                expunges += 1
        self.assertEqual(expunges, 3)
        idle.send(b"DONE\r\n")
        while not idle.readline().startswith(tag):
            pass
        found = self.wait_log(r"expired account=dora@local\.test "
                              r"mailbox=Trash days=30 removed=(\d+)")
        self.assertEqual(found.group(1), "3")
        # the other session's NOOP gets the expunges as well
        typ, data = noop.noop()
        self.assertEqual(typ, "OK")
        self.assertEqual(len(noop.untagged_responses.get("EXPUNGE", [])),
                         3, noop.untagged_responses)
        left = self.subjects(m, "Trash")
        self.assertIn("day-29", left)
        self.assertIn("fresh", left)
        self.assertFalse([s for s in left if s.startswith("old-")], left)
        # INBOX has no expiry by default
        self.assertEqual(self.subjects(m, "INBOX"), ["inbox-old"])
        for s in (m, idle, noop):
            s.logout()

    def test_move_to_trash_starts_the_clock(self):
        m = self.login()
        m.create("Old")
        m.append("Old", None, days_ago(500), msg("moved-old"))
        m.select("Old")
        typ, data = m._simple_command("MOVE", "1", "Trash")
        self.assertEqual(typ, "OK", data)
        # several maintenance runs (every 2 s) later it is still there
        time.sleep(5)
        self.assertIn("moved-old", self.subjects(m, "Trash"))
        m.logout()

    def test_ctl_shows_and_sets_expiry(self):
        out = self.pr.ctl("account", "expiry", USER).stdout
        self.assertRegex(out, r"(?m)^Trash +30 days \(default of \\Trash\)$")
        self.assertRegex(out, r"(?m)^Junk +30 days \(default of \\Junk\)$")
        self.assertRegex(out, r"(?m)^INBOX +never \(default of its role\)$")
        m = self.login()
        m.create("Keep")
        m.append("Keep", None, days_ago(3), msg("keep-3"))
        m.append("Keep", None, days_ago(0), msg("keep-0"))
        out = self.pr.ctl("account", "expiry", USER, "Keep", "1").stdout
        self.assertIn("expires after 1 day", out)
        self.assertRegex(self.pr.ctl("account", "expiry", USER).stdout,
                         r"(?m)^Keep +1 day$")
        self.wait_log(r"expired account=dora@local\.test mailbox=Keep "
                      r"days=1 removed=1")
        self.assertEqual(self.subjects(m, "Keep"), ["keep-0"])
        # Junk never: old mail stays
        out = self.pr.ctl("account", "expiry", USER, "Junk", "never").stdout
        self.assertIn("never expires", out)
        m.append("Junk", None, days_ago(90), msg("never-90"))
        time.sleep(5)
        self.assertIn("never-90", self.subjects(m, "Junk"))
        self.pr.ctl("account", "expiry", USER, "Keep", "default")
        self.assertRegex(self.pr.ctl("account", "expiry", USER).stdout,
                         r"(?m)^Keep +never \(default of its role\)$")
        bad = self.pr.ctl("account", "expiry", USER, "Nope", "3",
                          check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("no such mailbox", bad.stderr)
        bad = self.pr.ctl("account", "expiry", USER, "Keep", "soon",
                          check=False)
        self.assertEqual(bad.returncode, 2)
        m.logout()


if __name__ == "__main__":
    unittest.main()
