"""IMAP conformance of the command syntax, written from the RFCs' text and
driven over raw sockets (where imaplib would hide the bytes) and imaplib:

- RFC 7888 §3 / RFC 9051 §4.3: the octets of a non-synchronizing literal
  {n+} belong to the command whose line announced them, even when that
  command is refused before its end; they are never read as commands,
  before login or after.
- RFC 3516 §4.4 (literal8 in APPEND) and RFC 9051 §9: "~" is an ATOM-CHAR,
  so "~foo" is an atom; "~{n}" is only valid where the grammar allows a
  literal8.
- RFC 3501 §5.1.3: modified UTF-7 names that are not in the one correct
  form (superfluous shifts, encoded printable ASCII, U+0000, lone
  surrogates, bad padding) are refused, and the server writes names in
  that one form, so one mailbox has one wire name.
- RFC 9051 §9: nz-number goes up to 4,294,967,295 in sequence sets."""
import imaplib
import re
import socket
import time
import unittest

from harness import Postroom

USER = "conf@local.test"
PW = "conf-pw"


class Raw:
    """A raw IMAP connection: send bytes, read until a tagged reply."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        self.read_until(b"\r\n")  # the greeting

    def send(self, data):
        self.s.sendall(data)

    def read_until(self, mark, timeout=30):
        """Returns everything read up to and including the line holding
        mark; b"" ends the data when the server closed."""
        deadline = time.monotonic() + timeout
        while True:
            i = self.buf.find(mark)
            if i >= 0:
                end = self.buf.find(b"\r\n", i)
                if end >= 0:
                    out, self.buf = self.buf[:end + 2], self.buf[end + 2:]
                    return out
            if time.monotonic() > deadline:
                raise AssertionError(f"no {mark!r} in {self.buf[-500:]!r}")
            self.s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                chunk = self.s.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                out, self.buf = self.buf, b""
                return out + b"<closed>"
            self.buf += chunk

    def cmd(self, tag, line):
        self.send(tag + b" " + line + b"\r\n")
        return self.read_until(tag + b" ")

    def login(self):
        out = self.cmd(b"l", f"LOGIN {USER} {PW}".encode())
        assert b"l OK" in out, out

    def close(self):
        self.s.close()


class ImapSyntaxTest(unittest.TestCase):
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

    def names(self, m, pattern="*"):
        typ, data = m.list('""', pattern)
        self.assertEqual(typ, "OK")
        out = []
        for d in data:
            if d is None:
                continue
            if isinstance(d, tuple):  # a literal name
                out.append(d[1].decode())
                continue
            out.append(d.decode().split(' "/" ', 1)[1].strip('"'))
        return out

    # ---- RFC 7888: the literal of a refused command is consumed -------

    def smuggle(self, r, tag, head, inner):
        """Sends tag + head + "{n+}" CRLF + inner + CRLF, where inner is a
        whole IMAP command, then "z NOOP"; returns what came back up to
        z's reply."""
        r.send(tag + b" " + head + b" {%d+}\r\n" % len(inner) + inner +
               b"\r\nz NOOP\r\n")
        return r.read_until(b"z ")

    def test_refused_line_literal_is_not_a_command_prelogin(self):
        r = Raw(self.pr.imap)
        # ")" with no "(" is refused at once, mid-line (RFC 9051 §9)
        out = self.smuggle(r, b"a1", b"NOOP )", b"b1 LOGOUT\r\n")
        self.assertIn(b"a1 BAD", out)
        self.assertNotIn(b"BYE", out)
        self.assertNotIn(b"b1 ", out)
        self.assertIn(b"z OK", out)
        # the same after a line too long for the server (65536 bytes)
        out = self.smuggle(r, b"a2", b"LOGIN " + b"x" * 70000,
                           b"b2 LOGOUT\r\n")
        self.assertIn(b"a2 BAD", out)
        self.assertNotIn(b"b2 ", out)
        self.assertIn(b"z OK", out)
        # two literals on the refused line: both are skipped
        r.send(b"a3 NOOP ) {11+}\r\nb3 LOGOUT\r\n {11+}\r\nb4 LOGOUT\r\n"
               b"\r\nz NOOP\r\n")
        out = r.read_until(b"z ")
        self.assertIn(b"a3 BAD", out)
        self.assertNotIn(b"b3 ", out)
        self.assertNotIn(b"b4 ", out)
        self.assertIn(b"z OK", out)
        r.close()

    def test_refused_line_literal_is_not_a_command_after_login(self):
        r = Raw(self.pr.imap)
        r.login()
        out = self.smuggle(r, b"a1", b'LIST "" )', b"x1 CREATE evil")
        self.assertIn(b"a1 BAD", out)
        self.assertNotIn(b"x1 ", out)
        self.assertIn(b"z OK", out)
        # a literal8 outside APPEND is refused, and its bytes consumed
        r.send(b'a2 LIST "" ~{15+}\r\nx2 CREATE evil2\r\nz NOOP\r\n')
        out = r.read_until(b"z ")
        self.assertIn(b"a2 BAD", out)
        self.assertNotIn(b"x2 ", out)
        self.assertIn(b"z OK", out)
        out = r.cmd(b"l", b'LIST "" evil*')
        self.assertNotIn(b"* LIST", out)
        r.close()

    def test_refused_sync_literal_gets_no_continuation(self):
        # RFC 9051 §7.5: without "+" the client does not send the octets
        r = Raw(self.pr.imap)
        r.send(b"a1 NOOP ) {11}\r\n")
        out = r.read_until(b"a1 ")
        self.assertIn(b"a1 BAD", out)
        self.assertNotIn(b"+ ", out)
        self.assertIn(b"b OK", r.cmd(b"b", b"NOOP"))
        r.close()

    def test_refused_line_with_huge_literal_gets_bye(self):
        # RFC 7888 §4: a server may close the connection rather than read
        # a non-synchronizing literal it would never accept
        r = Raw(self.pr.imap)
        r.send(b"a1 NOOP ) {100000000+}\r\n" + b"y" * 4096)
        out = r.read_until(b"<closed>")
        self.assertIn(b"a1 BAD", out)
        self.assertIn(b"* BYE", out)
        r.close()

    # ---- literal8 and "~" -----------------------------------------------

    def test_tilde_atom_and_literal8_append(self):
        m = self.login()
        # the RFC 3501 §5.1.3 example name, sent as an atom
        name = "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        typ, data = m._simple_command("CREATE", name)
        self.assertEqual(typ, "OK", data)
        self.assertIn(name, self.names(m, "~peter/mail/%/%"))
        typ, data = m._simple_command("LIST", '""', "~peter/mail/%")
        self.assertEqual(typ, "OK", data)
        m.logout()
        # literal8 is the message of an APPEND (RFC 3516 §4.4)
        r = Raw(self.pr.imap)
        r.login()
        body = b"Subject: lit8\r\n\r\nbinary append\r\n"
        r.send(b"a APPEND INBOX ~{%d+}\r\n" % len(body) + body + b"\r\n")
        out = r.read_until(b"a ")
        self.assertIn(b"a OK", out)
        r.close()

    # ---- modified UTF-7 (RFC 3501 §5.1.3) ---------------------------------

    def test_mutf7_one_form_per_name(self):
        m = self.login()
        refused = [
            "&U,BTFw-&ZeVnLIqe-",  # the RFC's superfluous shift
            "&Jjo!",               # the RFC's missing shift back
            "&AGE-",               # "a" in base64: printable ASCII
            "&AAA-",               # U+0000
            "&2AA-",               # a lone high surrogate
            "&3AA-",               # a lone low surrogate
            "&AOk-&AOk-",          # two shifts where one is the form
            "&AOl-",               # padding bits not zero
            "&AOkA-",              # a base64 digit too many
        ]
        for name in refused:
            typ, data = m._simple_command("CREATE", f'"{name}"')
            self.assertEqual(typ, "NO", (name, data))
        typ, data = m._simple_command("CREATE", '"&U,BTF2XlZyyKng-"')
        self.assertEqual(typ, "OK", data)
        self.assertIn("&U,BTF2XlZyyKng-", self.names(m))
        # U+FFFD is a character of its own, not what U+0000 becomes
        typ, data = m._simple_command("CREATE", '"&,,0-"')
        self.assertEqual(typ, "OK", data)
        # a long non-ASCII name is written back in one shift, as sent
        long_name = "&" + "ZeVnLIqe" * 30 + "-"  # 90 UTF-16 units
        typ, data = m._simple_command("CREATE", f'"{long_name}"')
        self.assertEqual(typ, "OK", data)
        listed = [n for n in self.names(m) if n.startswith("&ZeVn")]
        self.assertEqual(listed, [long_name])
        m.logout()

    # ---- sequence sets (RFC 9051 §9) --------------------------------------

    def test_largest_uid_in_sets(self):
        m = self.login()
        m.create("Seq")
        for i in range(3):
            m.append("Seq", None, None, b"Subject: s%d\r\n\r\nx\r\n" % i)
        m.select("Seq")
        typ, data = m.uid("FETCH", "1:4294967295", "(UID)")
        self.assertEqual(typ, "OK", data)
        self.assertEqual(len([d for d in data if d]), 3)
        typ, data = m.uid("SEARCH", "UID", "4294967295")
        self.assertEqual((typ, data), ("OK", [b""]))
        typ, data = m.uid("FETCH", "4294967295:*", "(UID)")
        self.assertEqual(typ, "OK", data)
        self.assertEqual(len([d for d in data if d]), 1)
        with self.assertRaises(imaplib.IMAP4.error):
            m.uid("FETCH", "1:4294967296", "(UID)")
        m.logout()


if __name__ == "__main__":
    unittest.main()
