"""SORT and THREAD (RFC 5256) and COMPRESS=DEFLATE (RFC 4978) against a real
imapd, with Python's imaplib and, for COMPRESS, a raw socket wrapped in
zlib's raw deflate. Messages are APPENDed with chosen INTERNALDATEs so every
sort key has a known order."""
import datetime
import imaplib
import socket
import unittest
import zlib

from harness import Postroom

USER = "sorter@local.test"
PW = "sorter-pw"


def day(n, month=1):
    return datetime.datetime(2023, month, n, 12, 0,
                             tzinfo=datetime.timezone.utc)


# (headers, INTERNALDATE); sequence numbers 1..5 in this order
MESSAGES = [
    ("Subject: Re: beta\r\nFrom: Carl <carl@x.test>\r\nTo: zed@x.test\r\n"
     "Date: Thu, 05 Jan 2023 10:00:00 +0000\r\nMessage-ID: <b2@x.test>\r\n"
     "References: <b1@x.test>\r\n", day(1, 2)),
    ("Subject: alpha\r\nFrom: amy@x.test\r\nTo: bob@x.test\r\n"
     "Cc: Yan <yan@x.test>\r\nDate: Tue, 03 Jan 2023 10:00:00 +0000\r\n"
     "Message-ID: <a1@x.test>\r\n", day(2, 2)),
    ("Subject: beta\r\nFrom: Bob <bob@x.test>\r\nTo: amy@x.test\r\n"
     "Date: Sun, 01 Jan 2023 10:00:00 +0000\r\nMessage-ID: <b1@x.test>\r\n",
     day(3, 2)),
    ("Subject: [list] Fwd: Alpha (fwd)\r\nFrom: dan@x.test\r\n"
     "To: bob@x.test\r\nMessage-ID: <a2@x.test>\r\n"
     "In-Reply-To: <a1@x.test>\r\n", day(2)),
    ("Subject: =?utf-8?q?gamma?=\r\nFrom: eve@x.test\r\nTo: bob@x.test\r\n"
     "Date: not a date\r\nMessage-ID: <c1@x.test>\r\n"
     "References: <a1@x.test>\r\n <a2@x.test>\r\n", day(4)),
]


class ImapSortTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user(USER, PW)
        m = imaplib.IMAP4("127.0.0.1", cls.pr.imap, timeout=30)
        m.login(USER, PW)
        for i, (head, date) in enumerate(MESSAGES):
            body = "x" * (200 * (i + 1)) + "\r\n"
            data = (head + "\r\n" + body).encode()
            typ, _ = m.append("INBOX", None, date, data)
            assert typ == "OK"
        m.logout()

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def login(self):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        m.login(USER, PW)
        m.select("INBOX")
        return m

    def sort(self, m, criteria, *search):
        typ, data = m.sort(criteria, "UTF-8", *(search or ("ALL",)))
        self.assertEqual(typ, "OK")
        return data[0].decode()

    def test_capabilities(self):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        for cap in ("SORT", "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT"):
            self.assertIn(cap, m.capabilities)
        m.logout()

    def test_sort_keys(self):
        m = self.login()
        cases = [
            ("(SUBJECT)", "2 4 1 3 5"),
            ("(DATE)", "3 4 2 5 1"),
            ("(REVERSE DATE)", "1 5 2 4 3"),
            ("(ARRIVAL)", "4 5 1 2 3"),
            ("(FROM)", "2 3 1 4 5"),
            ("(CC)", "1 3 4 5 2"),
            ("(TO)", "3 2 4 5 1"),
            ("(SIZE)", "1 2 3 4 5"),
            ("(REVERSE SIZE)", "5 4 3 2 1"),
            ("(TO REVERSE FROM)", "3 5 4 2 1"),
        ]
        for criteria, want in cases:
            with self.subTest(criteria=criteria):
                self.assertEqual(self.sort(m, criteria), want)
        self.assertEqual(self.sort(m, "(SUBJECT REVERSE DATE)", "NOT",
                                   "FROM", "dan"), "2 1 3 5")
        self.assertEqual(self.sort(m, "(SUBJECT)", "SUBJECT", "nothing"), "")
        m.logout()

    def test_uid_sort_and_errors(self):
        m = self.login()
        typ, data = m.uid("SEARCH", "ALL")
        uids = data[0].split()
        typ, data = m.uid("SORT", "(SUBJECT)", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        want = [uids[int(s) - 1] for s in "2 4 1 3 5".split()]
        self.assertEqual(data[0].split(), want)
        for args in (("(BOGUS)", "UTF-8", "ALL"), ("()", "UTF-8", "ALL"),
                     ("(REVERSE)", "UTF-8", "ALL"),
                     ("(DATE)", "UTF-8", "NOSUCHKEY")):
            with self.assertRaises(imaplib.IMAP4.error):
                m.sort(*args)
        typ, data = m._simple_command("SORT", "(DATE)", "KOI8-R", "ALL")
        self.assertEqual(typ, "NO")
        self.assertIn(b"BADCHARSET", data[0])
        m.logout()

    def test_thread(self):
        m = self.login()
        typ, data = m.thread("REFERENCES", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0], b"(3 1)(2 4 5)")
        typ, data = m.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
        self.assertEqual(data[0], b"(3 1)(4 2)(5)")
        typ, data = m.thread("REFERENCES", "UTF-8", "NOT", "FROM", "dan")
        self.assertEqual(data[0], b"(3 1)(2 5)")
        typ, data = m.uid("SEARCH", "ALL")
        uids = [u.decode() for u in data[0].split()]
        typ, data = m.uid("THREAD", "REFERENCES", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        want = "({} {})({} {} {})".format(*(uids[i - 1]
                                            for i in (3, 1, 2, 4, 5)))
        self.assertEqual(data[0].decode(), want)
        with self.assertRaises(imaplib.IMAP4.error):
            m.thread("BOGUS", "UTF-8", "ALL")
        m.logout()


class Deflated:
    """A raw socket speaking IMAP through raw deflate (RFC 4978)."""

    def __init__(self, sock):
        self.sock = sock
        self.comp = zlib.compressobj(wbits=-15)
        self.decomp = zlib.decompressobj(wbits=-15)
        self.buf = b""

    def send(self, line):
        data = self.comp.compress(line) + self.comp.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def read_until_tag(self, tag):
        """Returns every line up to and including the tagged reply."""
        while True:
            idx = self.buf.find(b"\r\n" + tag + b" ")
            if self.buf.startswith(tag + b" "):
                idx = -2
            if idx != -1 or self.buf.startswith(tag + b" "):
                end = self.buf.find(b"\r\n", idx + 2)
                if end != -1:
                    out, self.buf = self.buf[:end + 2], self.buf[end + 2:]
                    return out
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += self.decomp.decompress(chunk)


class ImapCompressTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user(USER, PW)
        m = imaplib.IMAP4("127.0.0.1", cls.pr.imap, timeout=30)
        m.login(USER, PW)
        body = ("compressible line of text\r\n" * 4000)
        m.append("INBOX", None, None,
                 (f"Subject: big\r\nFrom: a@x.test\r\n\r\n{body}").encode())
        m.logout()

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def test_capability_after_login_only(self):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        self.assertNotIn("COMPRESS=DEFLATE", m.capabilities)
        m.login(USER, PW)
        typ, data = m.capability()
        self.assertIn(b"COMPRESS=DEFLATE", data[0].split())
        m.logout()

    def test_compress_deflate(self):
        sock = socket.create_connection(("127.0.0.1", self.pr.imap),
                                        timeout=30)
        f = sock.makefile("rb")
        self.assertTrue(f.readline().startswith(b"* OK"))
        sock.sendall(f"a LOGIN {USER} {PW}\r\n".encode())
        while not (line := f.readline()).startswith(b"a "):
            pass
        self.assertTrue(line.startswith(b"a OK"), line)
        sock.sendall(b"b COMPRESS DEFLATE\r\n")
        self.assertTrue(f.readline().startswith(b"b OK"))
        z = Deflated(sock)
        z.send(b"c NOOP\r\n")
        self.assertIn(b"c OK", z.read_until_tag(b"c"))
        z.send(b"d COMPRESS DEFLATE\r\n")
        self.assertIn(b"d NO [COMPRESSIONACTIVE]", z.read_until_tag(b"d"))
        z.send(b"e CAPABILITY\r\n")
        reply = z.read_until_tag(b"e")
        self.assertNotIn(b"COMPRESS=DEFLATE", reply)
        z.send(b"f SELECT INBOX\r\n")
        self.assertIn(b"f OK", z.read_until_tag(b"f"))
        z.send(b"g FETCH 1 BODY.PEEK[TEXT]\r\n")
        reply = z.read_until_tag(b"g")
        self.assertIn(b"g OK", reply)
        self.assertEqual(reply.count(b"compressible line of text\r\n"), 4000)
        z.send(b"h SORT (SUBJECT) UTF-8 ALL\r\n")
        self.assertIn(b"* SORT 1\r\n", z.read_until_tag(b"h"))
        z.send(b"i LOGOUT\r\n")
        reply = z.read_until_tag(b"i")
        self.assertIn(b"* BYE", reply)
        self.assertIn(b"i OK", reply)
        f.close()
        sock.close()

    def test_compress_errors(self):
        imaplib.Commands.setdefault("COMPRESS", ("NONAUTH", "AUTH",
                                                 "SELECTED"))
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        with self.assertRaisesRegex(imaplib.IMAP4.error, "BAD"):
            m._simple_command("COMPRESS", "DEFLATE")  # not before login
        m.login(USER, PW)
        for args in (("GZIP",), ()):
            with self.assertRaises(imaplib.IMAP4.error):
                m._simple_command("COMPRESS", *args)
        m.logout()
