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


    # ---- UNSEEN (RFC 3501 §6.3.1) -----------------------------------------

    def test_select_reports_first_unseen_to_rev1(self):
        a = self.session()
        self.fill(a, "Un", ["1", "2", "3", "4"])
        a.run("SELECT", "Un")
        a.run("STORE", "1:2", "+FLAGS", "(\\Seen)")
        a.run("STORE", "4", "+FLAGS", "(\\Seen)")
        for cmd in ("SELECT", "EXAMINE"):
            typ, lines = a.run(cmd, "Un")
            self.assertEqual(typ, "OK")
            self.assertIn(b"* OK [UNSEEN 3]", b"\n".join(lines))
        # IMAP4rev2 dropped the code (RFC 9051 Appendix E)
        b = self.session()
        b.run("ENABLE", "IMAP4rev2")
        typ, lines = b.run("SELECT", "Un")
        self.assertEqual(typ, "OK")
        self.assertNotIn(b"UNSEEN", b"".join(lines))
        b.logout()
        a.run("SELECT", "Un")  # EXAMINE left it read-only
        self.assertEqual(a.run("STORE", "3", "+FLAGS", "(\\Seen)")[0], "OK")
        typ, lines = a.run("SELECT", "Un")
        self.assertNotIn(b"UNSEEN", b"".join(lines))  # none to point at
        a.logout()

    # ---- LSUB and CREATE (RFC 3501 §6.3.9, §6.3.3) ------------------------

    def test_lsub_percent_shows_unsubscribed_parent(self):
        a = self.session()
        self.assertEqual(a.run("CREATE", "Lp")[0], "OK")
        self.assertEqual(a.run("CREATE", "Lp/bar")[0], "OK")
        self.assertEqual(a.run("SUBSCRIBE", "Lp/bar")[0], "OK")
        typ, lines = a.run("LSUB", '""', "Lp")
        self.assertEqual(lines, [])  # CREATE did not subscribe Lp
        typ, lines = a.run("LSUB", '""', "L%")
        self.assertEqual(typ, "OK")
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], rb'^\* LSUB \([^)]*\\Noselect[^)]*\) '
                                   rb'"/" "?Lp"?$')
        typ, lines = a.run("LSUB", '""', "Lp/%")
        self.assertEqual(len(lines), 1, lines)
        self.assertNotIn(b"Noselect", lines[0])
        self.assertTrue(lines[0].endswith(b"Lp/bar"), lines)
        # a parent that does not exist at all is shown the same way
        self.assertEqual(a.run("CREATE", "Ghost/child")[0], "OK")
        self.assertEqual(a.run("SUBSCRIBE", "Ghost/child")[0], "OK")
        typ, lines = a.run("LSUB", '""', "Gh%")
        self.assertEqual(len(lines), 1, lines)
        self.assertIn(b"\\Noselect", lines[0])
        # subscribed itself: listed as it is
        self.assertEqual(a.run("SUBSCRIBE", "Lp")[0], "OK")
        typ, lines = a.run("LSUB", '""', "L%")
        self.assertEqual(len(lines), 1, lines)
        self.assertNotIn(b"Noselect", lines[0])
        a.logout()

    # ---- SORT collation (RFC 5256 §3, RFC 4790 §9.2) ----------------------

    def test_sort_uses_ascii_casemap(self):
        a = self.session()
        self.fill(a, "So", ["_under", "apple", "[bracket", "Zebra", "mango"])
        a.run("SELECT", "So")
        typ, lines = a.run("SORT", "(SUBJECT)", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        # upper-cased: APPLE MANGO ZEBRA [BRACKET _UNDER
        self.assertEqual(lines, [b"* SORT 2 5 4 3 1"])
        typ, lines = a.run("SORT", "(REVERSE SUBJECT)", "UTF-8", "ALL")
        self.assertEqual(lines, [b"* SORT 1 3 4 5 2"])
        a.logout()

    def append_raw(self, s, box, headers):
        s.m.append(box, None, None,
                   ("\r\n".join(headers) + "\r\n\r\nbody\r\n").encode())

    def test_sort_by_address_in_group_syntax(self):
        # RFC 5256 §3: FROM sorts by "addr-mailbox of the first From
        # address"; our reading skips group syntax (RFC 5322 §3.4), whose
        # markers are no address: the first mailbox inside counts, and an
        # empty group gives the empty string
        a = self.session()
        self.assertEqual(a.run("CREATE", "Grp")[0], "OK")
        for frm in ("Team: Zed <zed@x.test>, Al <al@x.test>;",
                    "undisclosed-recipients:;",
                    "Bob <bob@x.test>",
                    "carl@x.test, Team: Ann <ann@x.test>;"):
            self.append_raw(a, "Grp", [f"From: {frm}", "Subject: g"])
        a.run("SELECT", "Grp")
        typ, lines = a.run("SORT", "(FROM)", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        # "", bob, carl, zed
        self.assertEqual(lines, [b"* SORT 2 3 4 1"])
        a.logout()

    def test_thread_references_loop(self):
        # RFC 5256 §3 REFERENCES (1)(B): no link that would make a loop;
        # our reading applies it to (1)(C) too, so the link made first, in
        # mailbox order, stays
        a = self.session()
        self.assertEqual(a.run("CREATE", "Loop")[0], "OK")
        self.append_raw(a, "Loop", ["Message-ID: <a@x.test>",
                                    "References: <b@x.test>",
                                    "Subject: loop"])
        self.append_raw(a, "Loop", ["Message-ID: <b@x.test>",
                                    "References: <a@x.test>",
                                    "Subject: Re: loop"])
        self.append_raw(a, "Loop", ["Message-ID: <c@x.test>",
                                    "References: <c@x.test>",
                                    "Subject: self"])
        a.run("SELECT", "Loop")
        typ, lines = a.run("THREAD", "REFERENCES", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        self.assertEqual(lines, [b"* THREAD (2 1)(3)"])
        a.logout()

    # ---- FLAGS announces new keywords (RFC 3501 §7.2.6) -------------------

    @staticmethod
    def flags_of(line):
        return re.search(rb"\(([^)]*)\)", line).group(1).split()

    def test_new_keyword_is_announced_before_fetch(self):
        a, b = self.session(), self.session()
        self.fill(a, "Kw", ["1", "2"])
        b.m.select("Kw")
        b.m.store("1", "+FLAGS", "($Label1)")
        # at SELECT: FLAGS lists the keyword in use
        typ, lines = a.run("SELECT", "Kw")
        flags = [ln for ln in lines if ln.startswith(b"* FLAGS")]
        self.assertEqual(len(flags), 1)
        self.assertIn(b"$Label1", self.flags_of(flags[0]))
        # another session brings a new one: FLAGS, PERMANENTFLAGS, FETCH
        b.m.store("2", "+FLAGS", "($Label2)")
        typ, lines = a.run("NOOP")
        kinds = [ln.split()[1] if not ln.startswith(b"* OK [")
                 else re.match(rb"\* OK \[([A-Z]+)", ln).group(1)
                 for ln in lines]
        self.assertIn(b"FLAGS", kinds, lines)
        self.assertLess(kinds.index(b"FLAGS"), kinds.index(b"2"), lines)
        self.assertIn(b"PERMANENTFLAGS", kinds, lines)
        flags = [ln for ln in lines if ln.startswith(b"* FLAGS")][0]
        self.assertIn(b"$Label1", self.flags_of(flags))
        self.assertIn(b"$Label2", self.flags_of(flags))
        perm = [ln for ln in lines if b"PERMANENTFLAGS" in ln][0]
        self.assertIn(b"$Label2", perm)
        self.assertIn(b"\\*", perm)
        # its own STORE of a new keyword: FLAGS before the FETCH
        typ, lines = a.run("STORE", "1", "+FLAGS", "(Project)")
        self.assertTrue(lines and lines[0].startswith(b"* FLAGS"), lines)
        self.assertIn(b"Project", self.flags_of(lines[0]))
        # a keyword already announced is not announced again
        typ, lines = a.run("STORE", "2", "+FLAGS", "(Project)")
        self.assertFalse(any(ln.startswith(b"* FLAGS") for ln in lines),
                         lines)
        # a new message with a new keyword: FLAGS comes with EXISTS
        b.m.append("Kw", "(Later)", None, msg(3))
        typ, lines = a.run("NOOP")
        self.assertTrue(any(ln.startswith(b"* FLAGS") and
                            b"Later" in ln for ln in lines), lines)
        typ, lines = a.run("FETCH", "3", "(FLAGS)")
        self.assertIn(b"Later", b"".join(lines))
        a.logout()
        b.logout()


if __name__ == "__main__":
    unittest.main()
