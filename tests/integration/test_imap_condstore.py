"""CONDSTORE and QRESYNC (RFC 7162) with Python's imaplib: ENABLE, SELECT
with QRESYNC after another session expunged and flagged messages
(VANISHED (EARLIER) and FETCH), UID FETCH CHANGEDSINCE with VANISHED, STORE
UNCHANGEDSINCE answering [MODIFIED], STATUS HIGHESTMODSEQ, and VANISHED
instead of EXPUNGE in a QRESYNC session (its own EXPUNGE and MOVE, and
expunges by another session). And \\Recent for IMAP4rev1 sessions."""
import imaplib
import re
import unittest

from harness import Postroom

USER = "carol@local.test"
PW = "carol-pw"


def msg(n):
    return (f"From: Alice <alice@remote.test>\r\nTo: {USER}\r\n"
            f"Subject: m{n}\r\nMessage-ID: <m{n}@remote.test>\r\n"
            f"\r\nBody {n}.\r\n").encode()


class ImapCondstoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
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

    def fill(self, m, box, count):
        m.create(box)
        for i in range(1, count + 1):
            m.append(box, None, None, msg(i))

    @staticmethod
    def select(m, box, params=None):
        """SELECT with parameters imaplib does not know; returns the
        tagged reply and leaves the untagged ones in m.untagged_responses."""
        m.untagged_responses.clear()
        args = (box,) if params is None else (box, params)
        typ, data = m._simple_command("SELECT", *args)
        m.state = "SELECTED"
        return typ, data

    @staticmethod
    def code(m, name):
        return int(m.untagged_responses[name][-1])

    def test_capability_and_enable(self):
        m = self.login()
        for cap in ("CONDSTORE", "QRESYNC", "ESEARCH", "BINARY"):
            self.assertIn(cap, m.capabilities)
        # SELECT (QRESYNC ...) before ENABLE QRESYNC is a BAD
        with self.assertRaises(imaplib.IMAP4.error):
            self.select(m, "INBOX", "(QRESYNC (1 1))")
        self.assertEqual(m.enable("CONDSTORE"), ("OK", [b"Enabled"]))
        self.assertEqual(m.untagged_responses.pop("ENABLED"), [b"CONDSTORE"])
        m.enable("QRESYNC")
        self.assertEqual(m.untagged_responses.pop("ENABLED"), [b"QRESYNC"])
        typ, _ = self.select(m, "INBOX", "(CONDSTORE)")
        self.assertEqual(typ, "OK")
        self.assertIn("HIGHESTMODSEQ", m.untagged_responses)
        self.assertNotIn("NOMODSEQ", m.untagged_responses)
        typ, data = m.status("INBOX", "(HIGHESTMODSEQ MESSAGES)")
        self.assertRegex(data[0], rb"HIGHESTMODSEQ \d+ MESSAGES \d+")
        m.logout()

    def test_select_qresync_and_changedsince_vanished(self):
        a = self.login()
        self.fill(a, "Q1", 5)
        self.select(a, "Q1", "(CONDSTORE)")
        uv = self.code(a, "UIDVALIDITY")
        hms = self.code(a, "HIGHESTMODSEQ")
        # another session flags 2 and expunges 3 and 5
        b = self.login()
        b.select("Q1")
        b.uid("STORE", "2", "+FLAGS", r"(\Flagged)")
        b.uid("STORE", "3,5", "+FLAGS", r"(\Deleted)")
        b.expunge()

        c = self.login()
        c.enable("QRESYNC")
        self.select(c, "Q1", f"(QRESYNC ({uv} {hms}))")
        self.assertEqual(c.untagged_responses["VANISHED"],
                         [b"(EARLIER) 3,5"])
        fetch = c.untagged_responses["FETCH"]
        self.assertEqual(len(fetch), 1, fetch)
        self.assertRegex(fetch[0], rb"^2 \(UID 2 FLAGS \(\\Flagged\) "
                                   rb"MODSEQ \(\d+\)\)$")
        # known-uids limit VANISHED to what the client has
        self.select(c, "Q1", f"(QRESYNC ({uv} {hms} 1:4 (1:3 1:3)))")
        self.assertEqual(c.untagged_responses["VANISHED"],
                         [b"(EARLIER) 3"])
        self.assertIn("CLOSED", c.untagged_responses)
        # another UIDVALIDITY: nothing to resynchronise
        self.select(c, "Q1", f"(QRESYNC ({uv + 1} {hms}))")
        self.assertNotIn("VANISHED", c.untagged_responses)
        self.assertNotIn("FETCH", c.untagged_responses)
        with self.assertRaises(imaplib.IMAP4.error):
            self.select(c, "Q1", "(QRESYNC (x))")

        self.select(c, "Q1", f"(QRESYNC ({uv} {hms}))")
        hms2 = self.code(c, "HIGHESTMODSEQ")
        b.uid("STORE", "4", "+FLAGS", r"(\Seen)")
        b.uid("STORE", "1", "+FLAGS", r"(\Deleted)")
        b.expunge()
        c.untagged_responses.clear()
        typ, data = c.uid("FETCH", "1:*", f"(FLAGS) (CHANGEDSINCE {hms2} "
                                          "VANISHED)")
        self.assertEqual(typ, "OK")
        self.assertEqual(c.untagged_responses["VANISHED"][0],
                         b"(EARLIER) 1")
        self.assertTrue(any(re.search(rb"UID 4 FLAGS \(\\Seen\) MODSEQ", f)
                            for f in data), data)
        self.assertNotIn("EXPUNGE", c.untagged_responses)
        # VANISHED needs UID FETCH and CHANGEDSINCE
        with self.assertRaises(imaplib.IMAP4.error):
            c.fetch("1:*", "(FLAGS) (CHANGEDSINCE 1 VANISHED)")
        with self.assertRaises(imaplib.IMAP4.error):
            c.uid("FETCH", "1:*", "(FLAGS) (VANISHED)")
        for m in (a, b, c):
            m.logout()

    def test_store_unchangedsince_modified(self):
        a = self.login()
        self.fill(a, "Q2", 2)
        a.enable("CONDSTORE")
        self.select(a, "Q2")
        typ, data = a.uid("FETCH", "1:2", "(MODSEQ)")
        modseqs = [int(re.search(rb"MODSEQ \((\d+)\)", d).group(1))
                   for d in data]
        b = self.login()
        b.select("Q2")
        b.uid("STORE", "1", "+FLAGS", r"(\Answered)")
        typ, data = a._simple_command(
            "UID", "STORE", "1:2", f"(UNCHANGEDSINCE {max(modseqs)})",
            "+FLAGS", r"(\Seen)")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"^\[MODIFIED 1\]")
        a.untagged_responses.clear()
        typ, data = a.uid("FETCH", "1:2", "(FLAGS)")
        self.assertNotIn(b"\\Seen", data[0])
        self.assertIn(b"\\Seen", data[1])
        self.assertIn(b"MODSEQ", data[1])  # CONDSTORE: MODSEQ always
        # SEARCH MODSEQ finds the two changed messages
        typ, data = a.uid("SEARCH", "MODSEQ", str(max(modseqs) + 1))
        self.assertRegex(data[0], rb"^1 2 \(MODSEQ \d+\)$")
        a.logout()
        b.logout()

    def test_vanished_instead_of_expunge(self):
        a = self.login()
        self.fill(a, "Q3", 6)
        a.enable("QRESYNC")
        self.select(a, "Q3")
        a.untagged_responses.clear()
        a.store("2", "+FLAGS.SILENT", r"(\Deleted)")
        a.expunge()
        self.assertEqual(a.untagged_responses.pop("VANISHED"), [b"2"])
        self.assertNotIn("EXPUNGE", a.untagged_responses)
        a.uid("STORE", "4,5", "+FLAGS.SILENT", r"(\Deleted)")
        a.uid("EXPUNGE", "5")
        self.assertEqual(a.untagged_responses.pop("VANISHED"), [b"5"])
        a.uid("MOVE", "3", "Trash")
        self.assertEqual(a.untagged_responses.pop("VANISHED"), [b"3"])
        # expunges by another session, after its own: one VANISHED
        b = self.login()
        b.enable("CONDSTORE")
        b.select("Q3")
        b.uid("STORE", "1,6", "+FLAGS.SILENT", r"(\Deleted)")
        b.expunge()
        a.untagged_responses.clear()
        a.noop()
        self.assertEqual(a.untagged_responses.get("VANISHED"), [b"1,4,6"])
        self.assertNotIn("EXPUNGE", a.untagged_responses)
        self.assertEqual(self.pr.messages(USER, "Q3"), [])
        # a CONDSTORE-only session still gets EXPUNGE
        b.append("Q3", None, None, msg(7))
        b.noop()
        b.uid("STORE", "7", "+FLAGS.SILENT", r"(\Deleted)")
        self.assertEqual(b.expunge(), ("OK", [b"1"]))
        a.logout()
        b.logout()

    def test_recent_rev1(self):
        """\\Recent (RFC 3501 §2.3.2): the first session to SELECT sees new
        messages as \\Recent; EXAMINE and IMAP4rev2 sessions claim none."""
        a = self.login()
        self.fill(a, "R1", 2)
        self.assertEqual(a.status("R1", "(RECENT)")[1], [b"R1 (RECENT 2)"])
        e = self.login()
        e.select("R1", readonly=True)
        self.assertEqual(e.untagged_responses["RECENT"], [b"2"])
        r2 = self.login()
        r2.enable("IMAP4rev2")
        r2.select("R1")
        self.assertNotIn("RECENT", r2.untagged_responses)
        a.select("R1")
        self.assertEqual(a.untagged_responses.pop("RECENT"), [b"2"])
        typ, data = a.fetch("1:2", "(FLAGS)")
        self.assertTrue(all(b"\\Recent" in d for d in data), data)
        self.assertEqual(a.search(None, "RECENT")[1], [b"1 2"])
        self.assertEqual(a.search(None, "NEW")[1], [b"1 2"])
        self.assertEqual(a.search(None, "OLD")[1], [b""])
        b = self.login()
        b.select("R1")
        self.assertEqual(b.untagged_responses.pop("RECENT"), [b"0"])
        self.assertEqual(b.search(None, "OLD")[1], [b"1 2"])
        self.assertTrue(a.status("R1", "(RECENT)")[1][0].endswith(
            b"(RECENT 0)"))
        # a new message goes to whichever session syncs first
        e.append("R1", None, None, msg(3))
        a.noop()
        self.assertEqual(a.untagged_responses.pop("RECENT"), [b"3"])
        b.noop()
        self.assertEqual(b.untagged_responses.pop("RECENT"), [b"0"])
        typ, data = a.fetch("3", "(FLAGS)")
        self.assertIn(b"\\Recent", data[0])
        a.store("3", "+FLAGS", r"(\Seen)")
        self.assertEqual(a.search(None, "NEW")[1], [b"1 2"])
        for m in (a, b, e, r2):
            m.logout()


if __name__ == "__main__":
    unittest.main()
