"""IMAP conformance of mailbox and message state, written from the RFCs'
text and driven with imaplib (two sessions where one must see what the
other did):

- RFC 7162 §3.1: FETCH of MODSEQ and SEARCH MODSEQ are CONDSTORE enabling
  commands: the server reports HIGHESTMODSEQ and puts MODSEQ in every
  later untagged FETCH, whoever caused it.
- RFC 3501 §6.3.1-2: SELECT and EXAMINE send "OK [UNSEEN n]" (the first
  unseen message) to IMAP4rev1 clients.
- RFC 3501 §6.3.9: LSUB with "%" returns an unsubscribed parent of a
  subscribed child, flagged \\Noselect; §6.3.3 CREATE does not subscribe.
- RFC 5256 §3 / RFC 4790 §9.2: SORT compares strings with i;ascii-casemap,
  which maps a-z to A-Z, so "[" and "_" sort after the letters.
- RFC 3501 §7.2.6: the FLAGS response lists the flags applicable in the
  mailbox; a keyword new to the mailbox is announced by FLAGS (and
  PERMANENTFLAGS) before a FETCH shows it."""
import imaplib
import re
import unittest

from harness import Postroom

USER = "state@local.test"
PW = "state-pw"


def msg(n, subject=None):
    subject = subject if subject is not None else f"m{n}"
    return (f"From: Alice <alice@remote.test>\r\nTo: {USER}\r\n"
            f"Subject: {subject}\r\nMessage-ID: <s{n}@remote.test>\r\n"
            f"\r\nBody {n}.\r\n").encode()


class Session:
    """imaplib with the untagged responses of each command, in order."""

    def __init__(self, port):
        self.m = imaplib.IMAP4("127.0.0.1", port, timeout=30)
        self.m.login(USER, PW)
        self.lines = []
        orig = self.m._get_line

        def get_line():
            line = orig()
            self.lines.append(line)
            return line
        self.m._get_line = get_line

    def run(self, name, *args):
        """Runs a command; returns (typ, untagged lines in order)."""
        self.lines.clear()
        self.m.untagged_responses.clear()
        typ, _ = self.m._simple_command(name, *args)
        if name in ("SELECT", "EXAMINE") and typ == "OK":
            self.m.state = "SELECTED"
        return typ, [ln for ln in self.lines if ln.startswith(b"* ")]

    def logout(self):
        self.m.logout()


class ImapStateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user(USER, PW)

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def session(self):
        return Session(self.pr.imap)

    def fill(self, s, box, subjects):
        self.assertEqual(s.run("CREATE", box)[0], "OK")
        for i, subj in enumerate(subjects, 1):
            s.m.append(box, None, None, msg(i, subj))

    # ---- CONDSTORE enabling (RFC 7162 §3.1) -----------------------------

    def test_fetch_modseq_enables_condstore(self):
        a, b = self.session(), self.session()
        self.fill(a, "Cs1", ["x", "y"])
        typ, lines = a.run("SELECT", "Cs1")
        self.assertEqual(typ, "OK")
        # before: plain FETCH responses carry no MODSEQ
        typ, lines = a.run("FETCH", "1", "(FLAGS)")
        self.assertNotIn(b"MODSEQ", b"".join(lines))
        typ, lines = a.run("FETCH", "1", "(MODSEQ)")
        self.assertEqual(typ, "OK")
        self.assertTrue(any(re.match(rb"\* OK \[HIGHESTMODSEQ \d+\]", ln)
                            for ln in lines), lines)
        typ, lines = a.run("FETCH", "2", "(FLAGS)")
        self.assertRegex(b"".join(lines), rb"MODSEQ \(\d+\)")
        # a change by another session reaches a with UID and MODSEQ
        b.m.select("Cs1")
        b.m.store("2", "+FLAGS", "(\\Flagged)")
        typ, lines = a.run("NOOP")
        fetch = [ln for ln in lines if b"FETCH" in ln]
        self.assertEqual(len(fetch), 1, lines)
        self.assertRegex(fetch[0], rb"UID \d+")
        self.assertRegex(fetch[0], rb"MODSEQ \(\d+\)")
        a.logout()
        b.logout()

    def test_search_modseq_and_status_enable_condstore(self):
        a = self.session()
        self.fill(a, "Cs2", ["x"])
        a.run("SELECT", "Cs2")
        typ, lines = a.run("SEARCH", "MODSEQ", "1")
        self.assertEqual(typ, "OK")
        self.assertTrue(any(b"[HIGHESTMODSEQ" in ln for ln in lines), lines)
        typ, lines = a.run("STORE", "1", "+FLAGS", "(\\Seen)")
        self.assertRegex(b"".join(lines), rb"MODSEQ \(\d+\)")
        a.logout()
        # STATUS (HIGHESTMODSEQ) is one too
        a = self.session()
        a.run("SELECT", "Cs2")
        typ, lines = a.run("STATUS", "INBOX", "(HIGHESTMODSEQ)")
        self.assertEqual(typ, "OK")
        self.assertTrue(any(b"[HIGHESTMODSEQ" in ln for ln in lines), lines)
        typ, lines = a.run("FETCH", "1", "(FLAGS)")
        self.assertRegex(b"".join(lines), rb"MODSEQ \(\d+\)")
        a.logout()


if __name__ == "__main__":
    unittest.main()
