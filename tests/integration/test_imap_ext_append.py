"""APPEND extensions, written from the RFCs' text and driven over raw
sockets (imaplib sends one message per APPEND and no CATENATE):

- RFC 3502 MULTIAPPEND: "APPEND" SP mailbox 1*append-message; the
  operation is atomic (all messages or none); a zero-length message
  literal is an error that MUST return NO (and cancels the append); a
  missing mailbox gets NO [TRYCREATE]; with UIDPLUS, APPENDUID returns as
  many UIDs as messages, in the order they were appended.
- RFC 4469 CATENATE: "CATENATE" SP "(" cat-part *(SP cat-part) ")" with
  TEXT literals and URL parts; the URL's octets are those FETCH
  BODY[section] returns (relative IMAP URLs of RFC 5092, also against the
  selected mailbox); a URL that cannot be used gets NO [BADURL url];
  TOOBIG past the server's size limit; \\Seen is not set on the source;
  CATENATE combines with MULTIAPPEND; TEXT may be a literal8 (RFC 3516).
The streamed-literal machinery is the one of plain APPEND: these tests
also check that the literals of a refused command never run as commands."""
import imaplib
import re
import unittest

from harness import Postroom
from imap_ext_raw import Raw, login

USER = "app@local.test"
PW = "app-pw"

SRC = (b"From: Alice <alice@remote.test>\r\nTo: app@local.test\r\n"
       b"Subject: source\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: multipart/mixed; boundary=\"xx\"\r\n\r\n"
       b"--xx\r\nContent-Type: text/plain\r\n\r\nFirst part.\r\n"
       b"--xx\r\nContent-Type: application/octet-stream\r\n"
       b"Content-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--xx--\r\n")


def lit(data, plus=True, eight=False):
    """A literal of data (LITERAL+ unless plus is False)."""
    return (b"~" if eight else b"") + b"{%d%s}\r\n" % (
        len(data), b"+" if plus else b"") + data


class AppendExtTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(sections={"imapd": {"max_literal_size": "4096"}})
        cls.pr.start()
        cls.pr.add_user(USER, PW)
        m = login(cls.pr.imap, USER, PW)
        for name in ("Multi", "Atomic", "Cat", "Src"):
            m.create(name)
        m.append("Src", None, None, SRC)
        typ, data = m.select("Src")
        cls.src_uidvalidity = int(
            m.untagged_responses["UIDVALIDITY"][0])
        m.logout()

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def raw(self):
        return Raw(self.pr.imap, USER, PW)

    def bodies(self, mailbox, section="BODY.PEEK[]"):
        """The messages as FETCHed; BODY[] sends a NUL as 0x80 (RFC 9051
        §4.3, doc/imap.md), BINARY.PEEK[] gives the stored bytes."""
        m = login(self.pr.imap, USER, PW)
        m.select(mailbox, readonly=True)
        typ, data = m.fetch("1:*", f"(UID FLAGS INTERNALDATE {section})")
        m.logout()
        out = []
        for d in data:
            if isinstance(d, tuple):
                out.append((d[0], d[1]))
        return out

    def test_capabilities(self):
        r = self.raw()
        caps = r.cmd(b"c", b"CAPABILITY")
        for cap in (b"MULTIAPPEND", b"CATENATE", b"UIDPLUS", b"LITERAL+"):
            self.assertIn(b" " + cap, caps)
        r.close()

    # ---- RFC 3502 ---------------------------------------------------

    def test_multiappend_rfc_example(self):
        """§6.3.11's example: two messages, the second with flags and a
        date-time, in one command; APPENDUID names both UIDs in order."""
        one = (b"Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
               b"From: Fred Foobar <foobar@Blurdybloop.example.COM>\r\n"
               b"Subject: afternoon meeting\r\n\r\n"
               b"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n")
        two = (b"Date: Mon, 7 Feb 1994 22:43:04 -0800 (PST)\r\n"
               b"From: Joe Mooch <mooch@OWaTaGu.example.net>\r\n"
               b"Subject: Re: afternoon meeting\r\n\r\n"
               b"3:30 is fine with me.\r\n")
        r = self.raw()
        # synchronizing literals: a "+" before each message
        r.send(b"A003 APPEND Multi (\\Seen) {%d}\r\n" % len(one))
        self.assertTrue(r.read_until(b"\r\n").startswith(b"+"))
        r.send(one + b' (\\Seen) " 7-Feb-1994 22:43:04 -0800" {%d}\r\n'
               % len(two))
        self.assertTrue(r.read_until(b"\r\n").startswith(b"+"))
        r.send(two + b"\r\n")
        out = r.read_until(b"A003 ")
        self.assertIn(b"A003 OK", out)
        code = re.search(rb"\[APPENDUID (\d+) ([0-9:,]+)\]", out)
        self.assertIsNotNone(code, out)
        r.close()
        msgs = self.bodies("Multi")
        self.assertEqual(len(msgs), 2)
        self.assertEqual(msgs[0][1], one)
        self.assertEqual(msgs[1][1], two)
        uids = [int(re.search(rb"UID (\d+)", h).group(1)) for h, _ in msgs]
        self.assertEqual(code.group(2), b"%d:%d" % (uids[0], uids[1]))
        self.assertIn(b"\\Seen", msgs[0][0])
        # the same instant (kept in UTC)
        self.assertIn(b"08-Feb-1994 06:43:04 +0000", msgs[1][0])

    def test_multiappend_is_atomic(self):
        """A zero-length message literal MUST return NO, and the mailbox
        MUST be restored to its state before the APPEND."""
        r = self.raw()
        out = r.cmd(b"a1", b"APPEND Atomic " + lit(b"Subject: a\r\n\r\na")
                    + b" " + lit(b"Subject: b\r\n\r\nb") + b" " + lit(b""))
        self.assertIn(b"a1 NO", out)
        self.assertNotIn(b"APPENDUID", out)
        st = r.cmd(b"s1", b"STATUS Atomic (MESSAGES)")
        self.assertIn(b"MESSAGES 0", st)
        # the session goes on: nothing of the refused command ran
        self.assertIn(b"n1 OK", r.cmd(b"n1", b"NOOP"))
        r.close()

    def test_multiappend_trycreate(self):
        """A missing mailbox: NO with [TRYCREATE], nothing created."""
        r = self.raw()
        out = r.cmd(b"a2", b"APPEND NoSuch " + lit(b"x: y\r\n\r\nz") + b" "
                    + lit(b"x: y\r\n\r\nw"))
        self.assertIn(b"a2 NO [TRYCREATE]", out)
        self.assertIn(b"NONEXISTENT", r.cmd(b"s2", b"STATUS NoSuch "
                                                   b"(MESSAGES)"))
        r.close()

    def test_multiappend_literal_too_big_refused(self):
        """A message over the limit: NO [TOOBIG] instead of "+" (the
        limit is 4096 here), none of the command's messages added."""
        r = self.raw()
        r.send(b"a3 APPEND Atomic " + lit(b"Subject: ok\r\n\r\nok")
               + b" {5000}\r\n")
        out = r.read_until(b"a3 ")
        self.assertIn(b"a3 NO [TOOBIG]", out)
        self.assertIn(b"MESSAGES 0", r.cmd(b"s3", b"STATUS Atomic "
                                                  b"(MESSAGES)"))
        r.close()

    # ---- RFC 4469 ---------------------------------------------------

    def src(self, rest=b""):
        return (b'"/Src;UIDVALIDITY=%d/;UID=1%s"'
                % (self.src_uidvalidity, rest))

    def test_catenate_builds_message_from_parts(self):
        """Example 1's shape: URL of a HEADER, TEXT, a part's MIME header
        and body, TEXT; the result is the octets of each, in order."""
        sep = b"\r\n--yy\r\n"
        r = self.raw()
        cmd = (b"A003 APPEND Cat (\\Seen \\Draft $MDNSent) CATENATE (URL "
               + self.src(b"/;section=HEADER") + b" TEXT " + lit(sep)
               + b" URL " + self.src(b"/;section=1.MIME")
               + b" URL " + self.src(b"/;Section=1")
               + b" TEXT " + lit(b"\r\n--yy--\r\n") + b")")
        out = r.cmd(b"A003", cmd[5:])
        self.assertIn(b"A003 OK [APPENDUID", out)
        r.close()
        msgs = self.bodies("Cat")
        head = SRC[:SRC.index(b"\r\n\r\n") + 4]
        want = (head + sep + b"Content-Type: text/plain\r\n\r\n"
                + b"First part." + b"\r\n--yy--\r\n")
        self.assertEqual(msgs[-1][1], want)
        self.assertIn(b"$MDNSent", msgs[-1][0])

    def test_catenate_whole_message_partial_and_relative_url(self):
        """A URL without section is the whole message; ;PARTIAL=o.l cuts
        it (RFC 5092); ";UID=n" is relative to the selected mailbox; the
        source does not become \\Seen."""
        r = self.raw()
        r.cmd(b"e1", b"EXAMINE Src")
        out = r.cmd(b"a4", b"APPEND Cat CATENATE (URL \";UID=1\" TEXT "
                    + lit(b"|") + b" URL \"/Src/;UID=1/;PARTIAL=6.5\")")
        self.assertIn(b"a4 OK", out)
        out = r.cmd(b"f1", b"FETCH 1 (FLAGS)")
        self.assertNotIn(b"\\Seen", out)
        r.close()
        self.assertEqual(self.bodies("Cat")[-1][1], SRC + b"|" + SRC[6:11])

    def test_catenate_text_literal8_and_multiappend(self):
        """TEXT may be a literal8 (RFC 3516 §4.4 with RFC 4469), and
        CATENATE messages mix with plain ones in a MULTIAPPEND; APPENDUID
        gives a UID for each."""
        r = self.raw()
        out = r.cmd(b"a5", b"APPEND Cat CATENATE (TEXT "
                    + lit(b"Subject: bin\r\n\r\n\x00\x01", eight=True)
                    + b") " + lit(b"Subject: plain\r\n\r\np")
                    + b" CATENATE (URL " + self.src(b"/;SECTION=2") + b")")
        m = re.search(rb"a5 OK \[APPENDUID \d+ (\d+):(\d+)\]", out)
        self.assertIsNotNone(m, out)
        self.assertEqual(int(m.group(2)) - int(m.group(1)), 2)
        r.close()
        msgs = self.bodies("Cat", "BINARY.PEEK[]")
        self.assertEqual(msgs[-3][1], b"Subject: bin\r\n\r\n\x00\x01")
        self.assertEqual(msgs[-2][1], b"Subject: plain\r\n\r\np")
        self.assertEqual(msgs[-1][1], b"AAECAw==")

    def test_catenate_badurl(self):
        """§4.1: BADURL names the first URL that failed; bad syntax, an
        unknown UID, a wrong UIDVALIDITY, a part that does not exist,
        another user, URLAUTH: nothing is appended (Example 4)."""
        r = self.raw()
        before = r.cmd(b"s0", b"STATUS Cat (MESSAGES)")
        bad = [b'"/Src/;UID=999"',
               b'"/Src;UIDVALIDITY=1/;UID=1"',
               b'"/Src/;UID=1/;SECTION=7.5.9"',
               b'"/NoSuchBox/;UID=1"',
               b'"imap://someone-else@localhost/Src/;UID=1"',
               b'"/Src/;UID=1;URLAUTH=anonymous"',
               b'"http://example.com/"',
               b'"/Src/;UID=1/;SECTION=1/;PARTIAL=x"']
        for i, url in enumerate(bad):
            tag = b"b%d" % i
            out = r.cmd(tag, b"APPEND Cat CATENATE (TEXT " + lit(b"x: y\r\n")
                        + b" URL " + url + b" URL " + self.src() + b")")
            want = tag + b" NO [BADURL " + url.strip(b'"') + b"]"
            self.assertIn(want, out)
        # an absolute URL naming this user is one of ours
        out = r.cmd(b"g1", b"APPEND Cat CATENATE (URL \"imap://"
                    + USER.replace("@", "%40").encode()
                    + b"@localhost/Src/;UID=1\")")
        self.assertIn(b"g1 OK", out)
        after = r.cmd(b"s1", b"STATUS Cat (MESSAGES)")
        n0 = int(re.search(rb"MESSAGES (\d+)", before).group(1))
        n1 = int(re.search(rb"MESSAGES (\d+)", after).group(1))
        self.assertEqual(n1, n0 + 1)
        r.close()

    def test_catenate_toobig(self):
        """§4.2: TOOBIG when the resulting message exceeds the server's
        limit (4096 here), though each part is within it."""
        r = self.raw()
        part = b"x" * 3000
        out = r.cmd(b"t1", b"APPEND Cat CATENATE (TEXT " + lit(part)
                    + b" TEXT " + lit(part) + b")")
        self.assertIn(b"t1 NO [TOOBIG]", out)
        r.close()

    def test_catenate_syntax(self):
        """cat-part = text-literal / url: anything else is BAD, and the
        literals of a refused command are consumed, not run."""
        r = self.raw()
        self.assertIn(b"c1 BAD", r.cmd(b"c1", b"APPEND Cat CATENATE ()"))
        self.assertIn(b"c2 BAD", r.cmd(b"c2", b'APPEND Cat CATENATE '
                                              b'(TEXT "quoted")'))
        self.assertIn(b"c3 BAD", r.cmd(b"c3", b"APPEND Cat CATENATE (FOO "
                                              + lit(b"z1 LOGOUT") + b")"))
        out = r.cmd(b"n2", b"NOOP")
        self.assertIn(b"n2 OK", out)
        self.assertNotIn(b"BYE", out)
        r.close()

    def test_plain_append_still_works_with_imaplib(self):
        m = login(self.pr.imap, USER, PW)
        typ, data = m.append("Multi", "(\\Flagged)", None,
                             b"Subject: imaplib\r\n\r\nhi\r\n")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0].decode(), r"APPENDUID \d+ \d+\]")
        m.logout()


if __name__ == "__main__":
    unittest.main()
