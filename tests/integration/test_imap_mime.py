"""Message content over IMAP, each test written from the RFC's own text:
RFC 9051 §6.4.5 section numbering and §7.5.2 ENVELOPE/BODYSTRUCTURE for a
message whose top level is message/rfc822 or message/global; RFC 2045 §6.7
quoted-printable decoding (BINARY, BINARY.SIZE, SEARCH); RFC 9051 §4.3 on
NUL in literals; RFC 9051 §6.4.4 SEARCH HEADER and the address keys; and an
upgraded store whose MIME cache and search index an older version made.
Clients: Python's imaplib and smtplib, and raw sockets where the exact
bytes on the wire are the point (literal or literal8)."""
import imaplib
import re
import smtplib
import sqlite3
import unittest

from harness import Postroom
from imap_mime_fixtures import RawImap, Literal8, Literal

USER = "mime@local.test"
PW = "mime-pw"

INNER = (b"From: Carol <carol@example.org>\r\n"
         b"To: Dan <dan@example.org>\r\n"
         b"Subject: Inner subject\r\n"
         b"Date: Mon, 4 Mar 2024 08:00:00 +0000\r\n"
         b"Message-ID: <inner-1@example.org>\r\n"
         b"MIME-Version: 1.0\r\n"
         b"Content-Type: multipart/mixed; boundary=\"in\"\r\n"
         b"\r\n"
         b"--in\r\nContent-Type: text/plain\r\n\r\nfirst inner part\r\n"
         b"--in\r\nContent-Type: text/plain\r\n\r\nsecond inner part\r\n"
         b"--in--\r\n")
INNER_HEADER, INNER_TEXT = INNER.split(b"\r\n\r\n", 1)
INNER_HEADER += b"\r\n\r\n"


def outer(subtype, subject):
    return (b"From: Alice <alice@example.com>\r\n"
            b"To: Bob <bob@example.net>\r\n"
            b"Subject: " + subject + b"\r\n"
            b"Date: Tue, 5 Mar 2024 09:30:00 +0100\r\n"
            b"Message-ID: <outer@example.com>\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: message/" + subtype + b"\r\n\r\n" + INNER)


QP_BODY = (b"trailing spaces   \r\n"        # rule 3: deleted
           b"a trailing tab\t\r\n"          # rule 3
           b"kept=20\r\n"                   # an encoded space stays
           b"soft break with blanks= \t \r\n"  # rules 3 and 5: soft
           b"here, and a tab=\t\r\n"
           b"joined\r\n")
QP_DECODED = (b"trailing spaces\r\n"
              b"a trailing tab\r\n"
              b"kept \r\n"
              b"soft break with blankshere, and a tabjoined\r\n")


def qp_message(subject, to=USER):
    return (f"From: Quinn <quinn@example.com>\r\nTo: {to}\r\n"
            f"Subject: {subject}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"q\"\r\n\r\n"
            "--q\r\nContent-Type: text/plain\r\n\r\nintro\r\n"
            "--q\r\nContent-Type: text/plain; charset=us-ascii\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            ).encode() + QP_BODY + b"--q--\r\n"


class ImapMimeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user(USER, PW)

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def login(self, user=USER, pw=PW):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        m.login(user, pw)
        return m

    def raw(self, user=USER, pw=PW):
        c = RawImap("127.0.0.1", self.pr.imap)
        c.login(user, pw)
        return c

    def new_user(self, name):
        address = f"{name}@local.test"
        self.pr.add_user(address, PW)
        return address

    def append(self, user, *messages):
        """APPENDs with raw literals (literal8 for NULs, RFC 3516 §4.4),
        then SELECTs INBOX; returns the connection."""
        c = self.raw(user)
        for data in messages:
            c.append("INBOX", data)
        c.ok(b"SELECT INBOX")
        self.addCleanup(c.close)
        return c

    # ---- RFC 9051 §6.4.5, §7.5.2: top-level message/rfc822 -----------

    def check_top_level_message(self, subtype):
        """§6.4.5: "Every message has at least one part number.
        Non-[MIME-IMB] messages, and non-multipart [MIME-IMB] messages with
        no encapsulated message, only have a part 1" and "If a particular
        part is of type message or multipart, its parts MUST be indicated
        by a period followed by the part number within that nested
        multipart part": part 1 of a message whose top level is
        message/rfc822 is the encapsulated message, 1.HEADER and 1.TEXT
        its header and text, 1.1 and 1.2 its parts. §7.5.2 ENVELOPE is
        "the envelope structure of the message", the outer one; the
        encapsulated message's envelope is in BODYSTRUCTURE."""
        user = self.new_user(f"top-{subtype.decode()}")
        c = self.append(user, outer(subtype, b"Outer " + subtype))
        f = c.fetch(1, "ENVELOPE BODYSTRUCTURE")
        env = f["ENVELOPE"]
        self.assertEqual(env[1], b"Outer " + subtype)
        self.assertEqual(env[2], [[b"Alice", None, b"alice", b"example.com"]])
        self.assertEqual(env[9], b"<outer@example.com>")
        bs = f["BODYSTRUCTURE"]
        self.assertEqual([bs[0].lower(), bs[1].lower()], [b"message", subtype])
        self.assertEqual(int(bs[6]), len(INNER))          # body-fld-octets
        self.assertEqual(bs[7][1], b"Inner subject")      # its envelope
        self.assertEqual(bs[8][-5].lower(), b"mixed")      # its body
        self.assertEqual(int(bs[9]), INNER.count(b"\n"))  # its lines
        want = {
            "BODY[1]": INNER,
            "BODY[1.HEADER]": INNER_HEADER,
            "BODY[1.TEXT]": INNER_TEXT,
            "BODY[1.1]": b"first inner part",
            "BODY[1.2]": b"second inner part",
            "BODY[1.1.MIME]": b"Content-Type: text/plain\r\n\r\n",
            # "the [MIME-IMB] header for this part": part 1's is the
            # message's own
            "BODY[1.MIME]": outer(subtype, b"Outer " + subtype)[
                :-len(INNER)],
            "BODY[1.3]": b"",
            "BODY[2]": b"",
            "BODY[TEXT]": INNER,
            "BINARY[1.2]": b"second inner part",
        }
        items = " ".join(k.replace("BODY[", "BODY.PEEK[").replace(
            "BINARY[", "BINARY.PEEK[") for k in want)
        got = c.fetch(1, items)
        for item, value in want.items():
            self.assertEqual(got[item], value, item)
        # imaplib, a client we did not write, agrees
        m = self.login(user)
        m.select("INBOX", readonly=True)
        typ, data = m.fetch("1", "(BODY.PEEK[1.HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0][1], b"Subject: Inner subject\r\n\r\n")
        m.logout()

    def test_top_level_message_rfc822(self):
        self.check_top_level_message(b"rfc822")

    def test_top_level_message_global(self):
        """RFC 9051 §9: media-message is "MESSAGE" / ("RFC822" /
        "GLOBAL"): message/global is numbered and described the same."""
        self.check_top_level_message(b"global")

    # ---- RFC 2045 §6.7: quoted-printable ------------------------------

    def test_quoted_printable_binary(self):
        """RFC 2045 §6.7 rule 3: "any trailing white space on a line must
        be deleted, as it will necessarily have been added by
        intermediate transport agents"; rule 5: "an equal sign as the
        last character on a encoded line indicates such a non-significant
        ("soft") line break" (with rule 3, also when blanks follow it).
        BINARY (RFC 9051 §6.4.5) is the part after decoding its
        Content-Transfer-Encoding, and BINARY.SIZE its size."""
        user = self.new_user("qp")
        c = self.append(user, qp_message("qp"))
        f = c.fetch(1, "BINARY.PEEK[2] BINARY.SIZE[2] BODY.PEEK[2]")
        # the last CRLF belongs to the delimiter (RFC 2046 §5.1.1)
        self.assertEqual(f["BINARY[2]"], QP_DECODED[:-2])
        self.assertEqual(int(f["BINARY.SIZE[2]"]), len(QP_DECODED) - 2)
        self.assertEqual(f["BODY[2]"], QP_BODY[:-2])  # BODY is not decoded

    def test_quoted_printable_search(self):
        """SEARCH BODY matches the decoded text (RFC 9051 §6.4.4), so a
        word split by a soft line break with blanks after the "=" is
        found, and the encoded form is not: for mail delivered over SMTP
        (indexed by deliver) and for mail APPENDed (indexed at search)."""
        user = self.new_user("qpsearch")
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.sendmail("quinn@example.com", [user], qp_message("smtp", user))
        self.pr.wait_messages(user, 1)
        self.append(user, qp_message("append"))
        m = self.login(user)
        m.select("INBOX")
        self.assertEqual(m.search(None, "BODY", '"blankshere"')[1], [b"1 2"])
        self.assertEqual(m.search(None, "BODY", '"tabjoined"')[1], [b"1 2"])
        self.assertEqual(m.search(None, "TEXT", '"spaces a trailing"')[1],
                         [b""])
        self.assertEqual(m.search(None, "BODY", '"blanks="')[1], [b""])
        m.logout()

    # ---- RFC 9051 §4.3: NUL in literals --------------------------------

    def test_nul_never_in_a_literal(self):
        """RFC 9051 §4.3: "unencoded binary strings are not permitted,
        unless returned in a <literal8> in response to a BINARY.PEEK[...]
        or BINARY[...] FETCH data item. A "binary string" is any string
        with NUL characters." A stored message with NULs: BODY[] and
        BODY[n] come as literals without NUL (each NUL sent as 0x80, so
        the length is still RFC822.SIZE and body-fld-octets), BINARY[n]
        as a literal8 with the exact bytes."""
        part = b"\x00\x01\x02 binary \x00 bytes"
        text = b"before\x00after"
        msg = (b"From: n@example.com\r\nSubject: NUL\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=\"n\"\r\n\r\n"
               b"--n\r\nContent-Type: text/plain\r\n"
               b"Content-Transfer-Encoding: 8bit\r\n\r\n" + text + b"\r\n"
               b"--n\r\nContent-Type: application/octet-stream\r\n"
               b"Content-Transfer-Encoding: binary\r\n\r\n" + part +
               b"\r\n--n--\r\n")
        user = self.new_user("nul")
        c = self.append(user, msg)
        self.assertEqual(self.pr.messages(user)[0], msg)  # stored as is
        # on the wire: a NUL only ever inside a literal8
        untagged, status = c.command(
            b"UID FETCH 1 (BODY.PEEK[] BODY.PEEK[2] BODY.PEEK[TEXT] "
            b"RFC822 BINARY.PEEK[2] BINARY.PEEK[1])")
        self.assertEqual(status.split()[1], b"OK", status)
        wire, kinds = b"".join(untagged), []
        for lit in re.finditer(rb"(~?)\{(\d+)\}\r\n", wire):
            body = wire[lit.end():lit.end() + int(lit.group(2))]
            kinds.append(lit.group(1) + (b"nul" if b"\0" in body else b""))
        self.assertEqual(kinds, [b"", b"", b"", b"", b"~nul", b"~nul"])
        self.assertNotIn(b"\0", re.sub(rb"~\{(\d+)\}\r\n.*", b"", wire,
                                       flags=re.S))
        f = c.fetch(1, "RFC822.SIZE BODY.PEEK[] BODY.PEEK[2] BINARY.PEEK[2] "
                       "BINARY.SIZE[2] BINARY.PEEK[1] BODYSTRUCTURE")
        self.assertIsInstance(f["BODY[]"], Literal)
        self.assertNotIn(b"\x00", f["BODY[]"])
        self.assertEqual(len(f["BODY[]"]), int(f["RFC822.SIZE"]))
        self.assertEqual(f["BODY[]"], msg.replace(b"\x00", b"\x80"))
        self.assertIsInstance(f["BODY[2]"], Literal)
        self.assertEqual(f["BODY[2]"], part.replace(b"\x00", b"\x80"))
        self.assertEqual(int(f["BODYSTRUCTURE"][1][6]), len(part))
        self.assertIsInstance(f["BINARY[2]"], Literal8)
        self.assertEqual(f["BINARY[2]"], part)
        self.assertEqual(int(f["BINARY.SIZE[2]"]), len(part))
        self.assertIsInstance(f["BINARY[1]"], Literal8)
        self.assertEqual(f["BINARY[1]"], text)
        # the text after a NUL is still searchable (UTF-8 in the index)
        self.assertEqual(c.uid_search(b'BODY "after"'), {1})

    # ---- RFC 9051 §6.4.4: HEADER and the address keys ------------------

    def test_search_header_every_field(self):
        """§6.4.4 HEADER: "Messages that have a header field with the
        specified field-name ... and that contains the specified string in
        the text of the header (what comes after the colon). If the string
        to search is zero-length, this matches all messages that have a
        header field with the specified field-name regardless of the
        contents." A field that occurs more than once: any of them."""
        msgs = [
            b"Received: from relay1.example.net by mx.example.com\r\n"
            b"Received: from relay2.example.net\r\n by relay1.example.net\r\n"
            b"X-Tag: first-tag\r\nX-Tag: second-tag\r\n"
            b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nbody\r\n",
            b"X-Tag: other\r\nSubject: plain\r\n\r\nbody\r\n",
            b"Subject: none\r\n\r\nbody\r\n",
        ]
        user = self.new_user("header")
        c = self.append(user, *msgs)
        cases = [
            (b'HEADER X-Tag "second-tag"', {1}),
            (b'HEADER x-tag "FIRST"', {1}),
            (b'HEADER X-Tag "tag"', {1}),
            (b'HEADER X-Tag ""', {1, 2}),
            (b'HEADER Received "relay2.example.net by relay1"', {1}),
            (b'NOT HEADER X-Tag ""', {3}),
            (b'HEADER Subject "=?utf-8?"', set()),
        ]
        for keys, want in cases:
            self.assertEqual(c.uid_search(keys), want, keys)
        # decoded (RFC 2047) and case-folded beyond ASCII
        self.assertEqual(c.uid_search(b"CHARSET UTF-8 HEADER Subject "
                                      b"\"GR\xc3\x9c\xc3\x9fE\""), {1})
        m = self.login(user)
        m.select("INBOX")
        self.assertEqual(m.search(None, "HEADER", "X-Tag", "second-tag")[1],
                         [b"1"])
        m.logout()

    def test_search_address_keys_as_envelope(self):
        """§6.4.4: "FROM <string> Messages that contain the specified
        string in the envelope structure's FROM field" (so TO, CC, BCC):
        the addresses as ENVELOPE parses them. A comment inside an address
        does not hide it; a comment is not part of the envelope (but for
        an address without a display name, whose name ENVELOPE takes from
        the comment)."""
        msg = (b"From: John (the boss) Smith <john.smith(work)@example.com>\r\n"
               b"To: mary@example.net (Mary Jones), \"Pete\" "
               b"<pete@(sub)example.net>\r\n"
               b"Cc: (only a comment) kim @ example . org, "
               b"lee(x)@example.org\r\n"
               b"Bcc: Hidden: secret@example.com;\r\n"
               b"Subject: comments\r\n\r\nbody\r\n")
        user = self.new_user("addr")
        c = self.append(user, msg, b"From: other@example.com\r\n\r\nx\r\n")
        env = c.fetch(1, "ENVELOPE")["ENVELOPE"]
        self.assertEqual(env[2], [[b"John Smith", None, b"john.smith",
                                   b"example.com"]])
        self.assertEqual(env[5][0], [b"Mary Jones", None, b"mary",
                                     b"example.net"])
        cases = [
            (b'FROM "john.smith@example.com"', {1}),
            (b'FROM "John Smith"', {1}),
            (b'FROM "the boss"', set()),
            (b'FROM "work"', set()),
            (b'TO "pete@example.net"', {1}),
            (b'TO "Mary Jones"', {1}),
            (b'TO "sub"', set()),
            (b'CC "kim@example.org"', {1}),
            (b'CC "lee@example.org"', {1}),
            (b'CC "only a comment"', set()),
            (b'BCC "secret@example.com"', {1}),
            (b'BCC "Hidden"', {1}),
            (b'FROM "example.com"', {1, 2}),
        ]
        for keys, want in cases:
            self.assertEqual(c.uid_search(keys), want, keys)

    # ---- an upgraded store ---------------------------------------------

    def test_upgraded_store_recomputes(self):
        """The MIME cache (postroom.db) and the search index (mail.db)
        hold what an older version computed, as a store from before this
        change would: the inner ENVELOPE of a top-level message/rfc822 and
        QP text with the soft line break missed. After a restart, FETCH
        and SEARCH answer from what is computed now."""
        user = self.new_user("upgrade")
        c = self.append(user, outer(b"rfc822", b"Upgraded outer"),
                        qp_message("upgrade qp"))
        self.assertEqual(c.fetch(1, "ENVELOPE")["ENVELOPE"][1],
                         b"Upgraded outer")
        self.assertEqual(c.uid_search(b'BODY "blankshere"'), {2})
        c.close()
        self.pr.stop()
        data = self.pr.data
        db = sqlite3.connect(f"{data}/postroom.db")
        account = db.execute("SELECT id FROM accounts WHERE address = ?",
                             (user,)).fetchone()[0]
        db.execute("UPDATE mime_cache SET version = 0, envelope = "
                   "'(NIL \"Inner subject\" NIL NIL NIL NIL NIL NIL NIL NIL)'")
        db.commit()
        db.close()
        db = sqlite3.connect(f"{data}/accounts/{account}/mail.db")
        db.execute("DELETE FROM meta WHERE key = 'text_version'")
        db.execute("UPDATE message_text SET body = 'soft break with blanks= "
                   "here stale-text'")
        db.commit()
        db.close()
        self.pr.start()
        c = self.raw(user)
        self.addCleanup(c.close)
        c.ok(b"SELECT INBOX")
        self.assertEqual(c.fetch(1, "ENVELOPE")["ENVELOPE"][1],
                         b"Upgraded outer")
        self.assertEqual(c.uid_search(b'BODY "stale-text"'), set())
        self.assertEqual(c.uid_search(b'BODY "blankshere"'), {2})
        db = sqlite3.connect(f"file:{data}/postroom.db?mode=ro", uri=True)
        self.assertEqual(db.execute("SELECT DISTINCT version FROM mime_cache"
                                    " WHERE envelope LIKE '%Upgraded%'")
                         .fetchall(), [(1,)])
        db.close()


if __name__ == "__main__":
    unittest.main()
