"""UIDONLY (RFC 9586), written from the RFC's text over raw sockets
(imaplib cannot parse UIDFETCH):

- §3: after ENABLE UIDONLY the client MUST NOT use message sequence
  numbers: FETCH, STORE, SEARCH, COPY, MOVE, SORT, THREAD without UID, a
  sequence-set search key and QRESYNC's seq-match-data get a tagged BAD
  with the UIDREQUIRED response code; UID commands work.
- §3.3: FETCH responses are replaced by UIDFETCH responses, which carry
  the UID where FETCH has the sequence number: for UID FETCH, UID STORE
  and flag changes made by another session.
- §3.4: EXPUNGE responses are replaced by VANISHED (without EARLIER),
  also for MOVE and for expunges by another session.
- Without ENABLE nothing changes (FETCH, EXPUNGE)."""
import re
import unittest

from harness import Postroom
from imap_ext_raw import Raw, login

USER = "uo@local.test"
PW = "uo-pw"


class UidOnlyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user(USER, PW)

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def fill(self, mailbox, n):
        m = login(self.pr.imap, USER, PW)
        m.create(mailbox)
        uids = []
        for i in range(n):
            typ, data = m.append(mailbox, None, None,
                                 f"Subject: m{i}\r\n\r\nbody {i}\r\n"
                                 .encode())
            uids.append(int(re.search(rb"APPENDUID \d+ (\d+)",
                                      data[0]).group(1)))
        m.logout()
        return uids

    def session(self, mailbox):
        r = Raw(self.pr.imap, USER, PW)
        out = r.cmd(b"e", b"ENABLE UIDONLY")
        self.assertIn(b"* ENABLED UIDONLY", out)
        self.assertIn(b"s OK", r.cmd(b"s", b"SELECT " + mailbox.encode()))
        return r

    def test_capability(self):
        r = Raw(self.pr.imap, USER, PW)
        self.assertIn(b" UIDONLY", r.cmd(b"c", b"CAPABILITY"))
        r.close()

    def test_sequence_numbers_refused(self):
        """§3: BAD [UIDREQUIRED] for every use of sequence numbers."""
        self.fill("Refuse", 3)
        r = self.session("Refuse")
        for i, cmd in enumerate((b"FETCH 1 FLAGS", b"STORE 1 +FLAGS (x)",
                                 b"SEARCH ALL", b"COPY 1 INBOX",
                                 b"MOVE 1 INBOX", b"SORT (DATE) UTF-8 ALL",
                                 b"THREAD REFERENCES UTF-8 ALL",
                                 b"UID SEARCH 1:2", b"UID SEARCH NOT 1",
                                 b"UID SEARCH OR UID 1 2",
                                 b"UID SORT (DATE) UTF-8 (1:*)",
                                 b"SELECT Refuse (QRESYNC (1 1 (1 1)))")):
            tag = b"b%d" % i
            out = r.cmd(tag, cmd)
            self.assertIn(tag + b" BAD [UIDREQUIRED]", out, cmd)
        # UID forms, UID search keys, "$" and plain EXPUNGE are fine
        for i, cmd in enumerate((b"UID SEARCH UID 1:* SUBJECT m",
                                 b"UID SEARCH LARGER 1 NOT UID 2",
                                 b"UID SORT (SUBJECT) UTF-8 ALL",
                                 b"UID FETCH 1:* (FLAGS)", b"EXPUNGE",
                                 b"UID THREAD REFERENCES UTF-8 ALL")):
            tag = b"g%d" % i
            self.assertIn(tag + b" OK", r.cmd(tag, cmd), cmd)
        r.close()

    def test_uidfetch_responses(self):
        """§3.3: "* <uid> UIDFETCH (...)" replaces "* <seq> FETCH"."""
        uids = self.fill("Fetch", 3)
        r = self.session("Fetch")
        out = r.cmd(b"f1", b"UID FETCH %d:* (FLAGS)" % uids[1])
        self.assertNotRegex(out, rb"\* \d+ FETCH ")
        self.assertIn(b"* %d UIDFETCH (" % uids[1], out)
        self.assertIn(b"* %d UIDFETCH (" % uids[2], out)
        out = r.cmd(b"f2", b"UID STORE %d +FLAGS (\\Flagged)" % uids[2])
        self.assertIn(b"* %d UIDFETCH (" % uids[2], out)
        self.assertIn(b"\\Flagged", out)
        # a flag change by another session reaches this one as UIDFETCH
        m = login(self.pr.imap, USER, PW)
        m.select("Fetch")
        m.uid("STORE", str(uids[0]), "+FLAGS", "(\\Seen)")
        m.logout()
        out = r.cmd(b"n", b"NOOP")
        self.assertRegex(out, rb"\* %d UIDFETCH \(UID %d FLAGS \(\\Seen"
                         % (uids[0], uids[0]))
        self.assertNotRegex(out, rb"\* \d+ FETCH ")
        r.close()

    def test_vanished_replaces_expunge(self):
        """§3.4: VANISHED instead of EXPUNGE, for this session's EXPUNGE,
        MOVE and another session's expunge."""
        uids = self.fill("Van", 4)
        r = self.session("Van")
        r.cmd(b"d", b"UID STORE %d +FLAGS.SILENT (\\Deleted)" % uids[0])
        out = r.cmd(b"x", b"EXPUNGE")
        self.assertIn(b"* VANISHED %d\r\n" % uids[0], out)
        self.assertNotIn(b"EXPUNGE\r\n", out.split(b"x OK")[0])
        out = r.cmd(b"mv", b"UID MOVE %d INBOX" % uids[1])
        self.assertIn(b"* VANISHED %d\r\n" % uids[1], out)
        m = login(self.pr.imap, USER, PW)
        m.select("Van")
        m.uid("STORE", str(uids[3]), "+FLAGS", "(\\Deleted)")
        m.expunge()
        m.logout()
        out = r.cmd(b"n", b"NOOP")
        self.assertIn(b"* VANISHED %d\r\n" % uids[3], out)
        self.assertNotIn(b" EXPUNGE", out)
        r.close()

    def test_without_enable_nothing_changes(self):
        self.fill("Plain", 2)
        r = Raw(self.pr.imap, USER, PW)
        r.cmd(b"s", b"SELECT Plain")
        out = r.cmd(b"f", b"FETCH 1 (FLAGS)")
        self.assertIn(b"* 1 FETCH (FLAGS", out)
        r.cmd(b"d", b"STORE 1 +FLAGS.SILENT (\\Deleted)")
        self.assertIn(b"* 1 EXPUNGE", r.cmd(b"x", b"EXPUNGE"))
        r.close()


if __name__ == "__main__":
    unittest.main()
