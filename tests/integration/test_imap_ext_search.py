"""ESORT, CONTEXT=SEARCH, CONTEXT=SORT (RFC 5267) and SORT=DISPLAY (RFC
5957), written from the RFCs' text and examples over raw sockets (imaplib
knows no ESEARCH return data):

- RFC 5267 §3: SORT RETURN (...) answers with ESEARCH; ALL is in sort order
  and ranges only go upwards (§3.2: never 12:10); RETURN () means ALL; MIN
  and MAX are the first and last sorted messages; COUNT.
- §4.4 PARTIAL: the results at positions lo:hi (500:400 is 400:500), the
  range echoed, NIL when none; one PARTIAL or one ALL, never both (BAD).
- §4.3 UPDATE: ADDTO and REMOVEFROM follow changes by this session or
  another, with position 0 for SEARCH and real positions for SORT;
  REMOVEFROM for an expunged message comes before its EXPUNGE; a tag in
  use by an UPDATE context gets BAD on reuse; CANCELUPDATE stops updates;
  updates also reach an IDLE session; §4.3.1 NOUPDATE past the limit.
- §4.2 CONTEXT is a hint (answered like any search).
- RFC 5957 §3: DISPLAYFROM/DISPLAYTO sort by the display name (decoded),
  or the address when there is none."""
import re
import unittest

from harness import Postroom
from imap_ext_raw import Raw, login

USER = "srch@local.test"
PW = "srch-pw"


def msg(frm, to, subject, date):
    return (f"From: {frm}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: {date}\r\n\r\nbody\r\n").encode()


MSGS = [  # seq: display name of From / date
    msg("Zoe <zoe@x.test>", "=?UTF-8?Q?=C3=84rger?= <a@x.test>", "c",
        "Mon, 3 Jan 2022 10:00:00 +0000"),
    msg("adam@x.test", "Bert <b@x.test>", "a",
        "Sat, 1 Jan 2022 10:00:00 +0000"),
    msg("\"Bea Smith\" <bea@x.test>", "carl@x.test", "b",
        "Sun, 2 Jan 2022 10:00:00 +0000"),
    msg("Yann <y@x.test>", "Bert <b@x.test>", "d",
        "Tue, 4 Jan 2022 10:00:00 +0000"),
]


def esearch(out, tag):
    m = re.search(rb"\* ESEARCH \(TAG \"" + tag + rb"\"\)(.*)\r\n", out)
    assert m is not None, out
    return m.group(1).decode().strip()


class SearchExtTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user(USER, PW)
        m = login(cls.pr.imap, USER, PW)
        m.create("Ctx")
        for data in MSGS:
            m.append("INBOX", None, None, data)
            m.append("Ctx", None, None, data)
        m.logout()

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def session(self, mailbox="INBOX", examine=True):
        r = Raw(self.pr.imap, USER, PW)
        out = r.cmd(b"s", (b"EXAMINE " if examine else b"SELECT ")
                    + mailbox.encode())
        assert b"s OK" in out, out
        return r

    def test_capabilities(self):
        r = Raw(self.pr.imap, USER, PW)
        caps = r.cmd(b"c", b"CAPABILITY")
        for cap in (b"ESORT", b"CONTEXT=SEARCH", b"CONTEXT=SORT",
                    b"SORT=DISPLAY", b"ESEARCH", b"SORT"):
            self.assertIn(b" " + cap + b" ", caps)
        r.close()

    def test_sort_display(self):
        """RFC 5957: DISPLAYFROM sorts Bea Smith, Yann, Zoe and adam's
        address by the name shown; DISPLAYTO decodes RFC 2047."""
        r = self.session()
        out = r.cmd(b"d1", b"SORT (DISPLAYFROM) UTF-8 ALL")
        self.assertIn(b"* SORT 2 3 4 1\r\n", out)
        # \xc3\x84rger sorts after the ASCII names (octets after casemap)
        out = r.cmd(b"d2", b"SORT (DISPLAYTO REVERSE DATE) UTF-8 ALL")
        self.assertIn(b"* SORT 4 2 3 1\r\n", out)
        self.assertIn(b"d3 BAD", r.cmd(b"d3", b"SORT (DISPLAY) UTF-8 ALL"))
        r.close()

    def test_esort_return_options(self):
        """§3.3: RETURN () is ALL, in sort order; ranges never go down."""
        r = self.session()
        out = r.cmd(b"E01", b"UID SORT RETURN () (DATE) UTF-8 ALL")
        self.assertEqual(esearch(out, b"E01"), "UID ALL 2:3,1,4")
        # dates 4, 1, 3, 2 going down: 3,2 is never written 3:2
        out = r.cmd(b"E05", b"UID SORT RETURN (ALL) (REVERSE DATE) UTF-8 "
                            b"ALL")
        self.assertEqual(esearch(out, b"E05"), "UID ALL 4,1,3,2")
        out = r.cmd(b"E02", b"SORT RETURN (MIN MAX COUNT) (SUBJECT) UTF-8 "
                            b"ALL")
        self.assertEqual(esearch(out, b"E02"), "MIN 2 MAX 4 COUNT 4")
        out = r.cmd(b"E03", b"SORT RETURN (COUNT) (SUBJECT) UTF-8 "
                            b"SUBJECT zzz")
        self.assertEqual(esearch(out, b"E03"), "COUNT 0")
        self.assertIn(b"E04 BAD", r.cmd(b"E04", b"SORT RETURN (FOO) "
                                                b"(DATE) UTF-8 ALL"))
        r.close()

    def test_partial(self):
        """§4.4: PARTIAL lo:hi of the ordered results, echoed; reversed
        ranges mean the same; past the end NIL; PARTIAL with ALL is BAD."""
        r = self.session()
        out = r.cmd(b"A02", b"SEARCH RETURN (PARTIAL 2:3) ALL")
        self.assertEqual(esearch(out, b"A02"), "PARTIAL (2:3 2:3)")
        out = r.cmd(b"A03", b"SORT RETURN (PARTIAL 3:1) (DATE) UTF-8 ALL")
        self.assertEqual(esearch(out, b"A03"), "PARTIAL (1:3 2:3,1)")
        out = r.cmd(b"A04", b"UID SEARCH RETURN (PARTIAL 3:10) ALL")
        self.assertEqual(esearch(out, b"A04"), "UID PARTIAL (3:10 3:4)")
        out = r.cmd(b"A05", b"SEARCH RETURN (PARTIAL 10:20) ALL")
        self.assertEqual(esearch(out, b"A05"), "PARTIAL (10:20 NIL)")
        for bad in (b"PARTIAL 1:2 ALL", b"PARTIAL 0:2", b"PARTIAL 1:*",
                    b"PARTIAL 1:2 PARTIAL 3:4"):
            out = r.cmd(b"A06", b"SEARCH RETURN (" + bad + b") ALL")
            self.assertIn(b"A06 BAD", out, bad)
        # §4.2: CONTEXT is a hint
        out = r.cmd(b"A01", b"SEARCH RETURN (CONTEXT COUNT) ALL")
        self.assertEqual(esearch(out, b"A01"), "COUNT 4")
        r.close()

    def test_update_search_context(self):
        """§4.3.3-4: flag changes by another session move messages in and
        out of an UPDATE context: ADDTO/REMOVEFROM with position 0; a
        reused tag is BAD; CANCELUPDATE stops the updates."""
        r = self.session("Ctx", examine=False)
        out = r.cmd(b"B01", b"UID SEARCH RETURN (UPDATE COUNT) FLAGGED")
        self.assertEqual(esearch(out, b"B01"), "UID COUNT 0")
        out = r.cmd(b"B01", b"SORT RETURN (UPDATE) (DATE) UTF-8 ALL")
        self.assertIn(b"B01 BAD", out)
        other = login(self.pr.imap, USER, PW)
        other.select("Ctx")
        other.uid("STORE", "2:3", "+FLAGS", "(\\Flagged)")
        out = r.cmd(b"n1", b"NOOP")
        self.assertIn(b'* ESEARCH (TAG "B01") UID ADDTO (0 2:3)', out)
        # the ADDTO follows the FETCH that carries its cause
        self.assertLess(out.index(b"FETCH"), out.index(b"ADDTO"))
        other.uid("STORE", "2", "-FLAGS", "(\\Flagged)")
        out = r.cmd(b"n2", b"NOOP")
        self.assertIn(b'* ESEARCH (TAG "B01") UID REMOVEFROM (0 2)', out)
        # the session's own STORE too
        out = r.cmd(b"st", b"UID STORE 4 +FLAGS (\\Flagged)")
        self.assertIn(b'* ESEARCH (TAG "B01") UID ADDTO (0 4)', out)
        self.assertIn(b"c1 OK", r.cmd(b"c1", b'CANCELUPDATE "B01"'))
        other.uid("STORE", "1:4", "-FLAGS", "(\\Flagged)")
        out = r.cmd(b"n3", b"NOOP")
        self.assertNotIn(b"ESEARCH", out)
        other.logout()
        r.close()

    def test_update_sort_context_positions(self):
        """§4.3.3: for SORT the positions keep the requested order;
        §4.3.4: REMOVEFROM with message numbers comes before EXPUNGE."""
        m = login(self.pr.imap, USER, PW)
        m.create("Pos")
        for data in MSGS:
            m.append("Pos", None, None, data)
        m.logout()
        r = self.session("Pos", examine=False)
        # by date: 2 (Jan 1), 3 (Jan 2), 1 (Jan 3), 4 (Jan 4)
        out = r.cmd(b"S1", b"SORT RETURN (UPDATE ALL) (DATE) UTF-8 "
                           b"UNDELETED")
        self.assertEqual(esearch(out, b"S1"), "ALL 2:3,1,4")
        out = r.cmd(b"st", b"STORE 3 +FLAGS (\\Deleted)")
        # 3 held position 2
        self.assertIn(b'* ESEARCH (TAG "S1") REMOVEFROM (2 3)', out)
        out = r.cmd(b"st2", b"STORE 3 -FLAGS (\\Deleted)")
        self.assertIn(b'* ESEARCH (TAG "S1") ADDTO (2 3)', out)
        out = r.cmd(b"st3", b"STORE 1 +FLAGS (\\Deleted)")
        self.assertIn(b'* ESEARCH (TAG "S1") REMOVEFROM (3 1)', out)
        # an expunge: the SEARCH context's REMOVEFROM names message 2
        # while it still has that number, before "* 2 EXPUNGE"
        out = r.cmd(b"S2", b"SEARCH RETURN (UPDATE) UNDELETED")
        other = login(self.pr.imap, USER, PW)
        other.select("Pos")
        other.store("2", "+FLAGS", "(\\Deleted)")
        other.expunge()
        other.logout()
        out = r.cmd(b"n1", b"NOOP")
        rm = out.index(b'* ESEARCH (TAG "S2") REMOVEFROM (0 2)')
        self.assertLess(rm, out.index(b"* 2 EXPUNGE"))
        r.close()

    def test_update_reaches_idle(self):
        """§4.3.2: updates may come at any time: a delivery (here an
        APPEND by another session) reaches an IDLE session as EXISTS then
        ADDTO."""
        r = self.session("Ctx", examine=False)
        out = r.cmd(b"I1", b"UID SEARCH RETURN (UPDATE) SUBJECT idle")
        r.send(b"i IDLE\r\n")
        self.assertTrue(r.read_until(b"\r\n").startswith(b"+"))
        m = login(self.pr.imap, USER, PW)
        typ, data = m.append("Ctx", None, None,
                             msg("x@y", "z@y", "idle test", "1 Jan 2020"))
        uid = re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1)
        m.logout()
        out = r.read_until(b"ADDTO", timeout=20)
        self.assertIn(b"EXISTS", out)
        self.assertIn(b'* ESEARCH (TAG "I1") UID ADDTO (0 ' + uid + b")",
                      out)
        r.send(b"DONE\r\n")
        self.assertIn(b"i OK", r.read_until(b"i "))
        r.close()

    def test_noupdate_past_limit(self):
        """§4.3.1: a server may refuse more contexts with an untagged NO
        [NOUPDATE "tag"], still honouring the other return options."""
        r = self.session()
        for i in range(8):
            tag = b"U%d" % i
            out = r.cmd(tag, b"SEARCH RETURN (UPDATE COUNT) ALL")
            self.assertNotIn(b"NOUPDATE", out)
        out = r.cmd(b"U9", b"SEARCH RETURN (UPDATE COUNT) ALL")
        self.assertIn(b'* NO [NOUPDATE "U9"]', out)
        self.assertEqual(esearch(out, b"U9"), "COUNT 4")
        self.assertIn(b"U9 OK", out)
        # contexts end with the selection: a new SELECT has room again
        r.cmd(b"s2", b"EXAMINE INBOX")
        out = r.cmd(b"U10", b"SEARCH RETURN (UPDATE COUNT) ALL")
        self.assertNotIn(b"NOUPDATE", out)
        r.close()


if __name__ == "__main__":
    unittest.main()
