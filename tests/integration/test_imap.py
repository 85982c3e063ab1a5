"""IMAP4rev2/IMAP4rev1 with clients we did not write: Python's imaplib
(plain with loopback plaintext, STARTTLS, IMAP4_SSL) and curl imap://.
Mail comes in over SMTP and APPEND; what FETCH returns is compared byte for
byte with what the store holds."""
import imaplib
import re
import shutil
import smtplib
import socket
import subprocess
import time
import unittest

from harness import Postroom, client_tls_context

USER = "bob@local.test"
PW = "bob-pw"


def msg(subject, body="Hello.\r\n", sender="alice@remote.test"):
    return (f"From: Alice <{sender}>\r\nTo: {USER}\r\n"
            f"Subject: {subject}\r\nDate: Mon, 02 Jan 2023 10:00:00 +0000\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@remote.test>\r\n"
            f"\r\n{body}").encode()


class ImapTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user(USER, PW)
        cls.pr.add_user("eve@local.test", "eve-pw")

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def login(self, user=USER, pw=PW):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        m.login(user, pw)
        return m

    def smtp_send(self, to, data):
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.sendmail("alice@remote.test", [to], data)

    def test_search_full_text_index(self):
        """TEXT and BODY answered from the FTS5 index that deliver keeps:
        quoted-printable decoded, case-insensitive, substrings, short
        queries, and combined with other keys."""
        self.pr.add_user("fts@local.test", "fts-pw")
        qp = ("From: Zoe <zoe@remote.test>\r\nTo: fts@local.test\r\n"
              "Subject: =?utf-8?q?R=C3=A9sum=C3=A9?=\r\n"
              "MIME-Version: 1.0\r\nContent-Type: text/plain; "
              "charset=utf-8\r\nContent-Transfer-Encoding: "
              "quoted-printable\r\n\r\nThe caf=C3=A9 opens at nine=\r\n"
              "teen hours.\r\n").encode()
        for data in (qp, msg("plain one", "Nothing to see.\r\n")):
            self.smtp_send("fts@local.test", data)
        self.pr.wait_messages("fts@local.test", 2)
        m = self.login("fts@local.test", "fts-pw")
        m.select("INBOX")
        self.assertEqual(m.search("UTF-8", "BODY", "CAFÉ".encode())[1], [b"1"])
        self.assertEqual(m.search(None, "TEXT", "nineteen")[1], [b"1"])
        self.assertEqual(m.search(None, "TEXT", "zoe@remote")[1], [b"1"])
        self.assertEqual(m.search(None, "BODY", "zoe@remote")[1], [b""])
        self.assertEqual(m.search(None, "TEXT", "to")[1], [b"1 2"])
        self.assertEqual(m.search(None, "OR", "TEXT", "nineteen", "BODY",
                                  "nothing")[1], [b"1 2"])
        self.assertEqual(m.search(None, "NOT", "TEXT", "nineteen")[1],
                         [b"2"])
        m.logout()

    def test_capability_and_namespace(self):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        for cap in ("IMAP4REV1", "IMAP4REV2", "STARTTLS", "AUTH=PLAIN",
                    "IDLE", "UIDPLUS", "MOVE", "LITERAL+", "SASL-IR"):
            self.assertIn(cap, m.capabilities)
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        m.login(USER, PW)
        typ, data = m.namespace()
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0], b'(("" "/")) NIL NIL')
        typ, data = m.xatom("ID", "NIL")
        self.assertEqual(typ, "OK")
        m.logout()

    def test_quota(self):
        """RFC 9208: one root "" with STORAGE; SETQUOTA is refused (no
        QUOTASET) because limits belong to the administrator."""
        self.pr.ctl("account", "quota", "eve@local.test", "10M")
        self.smtp_send("eve@local.test", msg("quota one", ("x" * 70 + "\r\n") * 60))
        self.pr.wait_messages("eve@local.test", 1)
        m = self.login("eve@local.test", "eve-pw")
        self.assertIn("QUOTA", m.capabilities)
        self.assertNotIn("QUOTASET", m.capabilities)
        typ, data = m.getquotaroot("INBOX")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0][0], b'INBOX ""')
        used, limit = map(int, re.search(
            rb'"" \(STORAGE (\d+) (\d+)\)', data[1][0]).groups())
        self.assertEqual(limit, 10 * 1024)
        self.assertGreaterEqual(used, 4)
        typ, data = m.getquota('""')
        self.assertEqual(typ, "OK")
        self.assertIn(b"STORAGE", data[0])
        typ, data = m._simple_command("SETQUOTA", '""', "(STORAGE 1)")
        self.assertEqual(typ, "NO")
        m.logout()

    def test_searchres_saved_result(self):
        """RFC 9051 §6.4.4.1 / RFC 5182: SEARCH RETURN (SAVE) keeps the
        result for "$" in FETCH, STORE, COPY, UID SEARCH; SAVE alone
        answers no ESEARCH; an expunged message drops out of "$"."""
        m = self.login()
        self.assertIn("SEARCHRES", m.capabilities)
        m.create("ResBox")
        for i in range(5):
            m.append("ResBox", "(\\Flagged)" if i % 2 == 0 else None,
                     None, msg(f"saved {i}"))
        m.select("ResBox")
        typ, data = m._simple_command("SEARCH", "RETURN", "(SAVE)",
                                      "FLAGGED")
        self.assertEqual(typ, "OK")
        self.assertNotIn("ESEARCH", m.untagged_responses)
        typ, data = m.fetch("$", "(FLAGS)")
        self.assertEqual([d.split()[0] for d in data], [b"1", b"3", b"5"])
        typ, _ = m.store("$", "+FLAGS", "(\\Deleted)")
        self.assertEqual(typ, "OK")
        m.expunge()  # 1, 3 and 5 go: "$" is empty now
        typ, data = m.fetch("$", "(FLAGS)")
        self.assertEqual(data, [None])
        typ, data = m._simple_command("UID", "SEARCH", "RETURN",
                                      "(SAVE MIN)", "ALL")
        self.assertEqual(typ, "OK")
        typ, data = m.uid("SEARCH", "$")
        uids = data[0].split()
        self.assertEqual(len(uids), 1)
        typ, data = m.uid("SEARCH", "ALL")
        self.assertEqual(uids[0], data[0].split()[0])
        # a search that fails leaves "$" empty
        with self.assertRaises(imaplib.IMAP4.error):
            m._simple_command("SEARCH", "RETURN", "(SAVE)", "BOGUS")
        typ, data = m.search(None, "$")
        self.assertEqual(data, [b""])
        m.close()
        m.delete("ResBox")
        m.logout()

    def test_utf8_append(self):
        """RFC 6855 §4: APPEND's UTF8 (~{n}) form, refused before ENABLE
        UTF8=ACCEPT; the message with UTF-8 headers is stored as sent."""
        data = ("From: J\u00f6rg <j\u00f6rg@example.de>\r\n"
                "Subject: Gr\u00fc\u00dfe\r\n\r\nHallo\r\n").encode()
        with socket.create_connection(("127.0.0.1", self.pr.imap),
                                      timeout=30) as sock:
            f = sock.makefile("rb")
            f.readline()

            def cmd(line, literal=None):
                sock.sendall(line)
                if literal is not None:
                    cont = f.readline()
                    if not cont.startswith(b"+"):
                        return cont
                    sock.sendall(literal + b")\r\n")
                while True:
                    reply = f.readline()
                    if reply.startswith(line.split(b" ")[0] + b" "):
                        return reply

            self.assertIn(b"OK", cmd(b"a1 LOGIN eve@local.test eve-pw\r\n"))
            head = b"APPEND INBOX UTF8 (~{%d}\r\n" % len(data)
            self.assertIn(b"BAD", cmd(b"a2 " + head, data))
            self.assertIn(b"OK", cmd(b"a3 ENABLE UTF8=ACCEPT\r\n"))
            reply = cmd(b"a4 " + head, data)
            self.assertIn(b"OK [APPENDUID", reply)
        stored = self.pr.messages("eve@local.test")
        self.assertIn(data, stored)

    def test_bad_password(self):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        with self.assertRaises(imaplib.IMAP4.error):
            m.login(USER, "wrong")
        m.logout()

    def test_authenticate_plain(self):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        typ, _ = m.authenticate("PLAIN",
                                lambda _: f"\0{USER}\0{PW}".encode())
        self.assertEqual(typ, "OK")
        self.assertEqual(m.state, "AUTH")
        m.logout()

    def test_list_status_create_rename_delete(self):
        m = self.login()
        typ, data = m.list()
        names = [d.decode() for d in data]
        self.assertTrue(any(n.endswith(" INBOX") for n in names))
        self.assertTrue(any("\\Sent" in n and n.endswith(" Sent")
                            for n in names))
        self.assertEqual(m.create("Work/Projects")[0], "OK")
        self.assertEqual(m.create("Work/Projects")[0], "NO")
        self.assertEqual(m.rename("Work/Projects", "Work/Old")[0], "OK")
        typ, data = m.list('""', "Work/%")
        self.assertEqual(typ, "OK")
        self.assertIn(b'"/" Work/Old', data[0])
        self.assertEqual(m.subscribe("Work/Old")[0], "OK")
        typ, data = m.lsub('""', "Work*")
        self.assertTrue(any(b"Work/Old" in d for d in data))
        # modified UTF-7 for an IMAP4rev1 client
        self.assertEqual(m.create("Entw&APw-rfe")[0], "OK")
        typ, data = m.list('""', "Entw*")
        self.assertIn(b'"/" Entw&APw-rfe', data[0])
        typ, data = m.status("INBOX", "(MESSAGES UIDNEXT UIDVALIDITY SIZE)")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0].decode(),
                         r"INBOX \(MESSAGES \d+ UIDNEXT \d+ UIDVALIDITY \d+"
                         r" SIZE \d+\)")
        self.assertEqual(m.delete("Work/Old")[0], "OK")
        self.assertEqual(m.delete("Entw&APw-rfe")[0], "OK")
        self.assertEqual(m.delete("INBOX")[0], "NO")
        self.assertEqual(m.select("../etc")[0], "NO")
        self.assertEqual(m.create("a/../b")[0], "NO")
        m.logout()

    def test_append_fetch_store_search_copy_move_expunge(self):
        m = self.login()
        m.create("T1")
        typ, data = m.select("T1")
        self.assertEqual(data[0], b"0")
        body = msg("first one", "Line one\r\nLine two\r\n")
        typ, data = m.append("T1", r"(\Flagged)", None, body)
        self.assertEqual(typ, "OK")
        uv, uid = re.search(rb"APPENDUID (\d+) (\d+)", data[0]).groups()
        self.assertEqual(uid, b"1")
        m.append("T1", None, None, msg("second", "other text\r\n"))
        m.noop()
        stored = self.pr.messages(USER, "T1")
        self.assertEqual(stored[0], body)
        typ, data = m.uid("FETCH", "1", "(RFC822.SIZE FLAGS BODY.PEEK[])")
        self.assertEqual(data[0][1], stored[0])
        self.assertIn(b"RFC822.SIZE %d" % len(body), data[0][0])
        self.assertIn(b"\\Flagged", data[0][0])
        self.assertNotIn(b"\\Seen", data[0][0])
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (Subject)])")
        self.assertEqual(data[0][1], b"Subject: first one\r\n\r\n")
        typ, data = m.fetch("1", "(BODY.PEEK[TEXT]<5.3>)")
        self.assertEqual(data[0][1], b"one")
        typ, data = m.fetch("1", "(ENVELOPE BODYSTRUCTURE)")
        self.assertIn(b'"first one"', data[0])
        self.assertIn(b'("text" "plain"', data[0])
        typ, data = m.fetch("1", "(RFC822)")  # sets \Seen
        self.assertEqual(data[0][1], stored[0])
        typ, data = m.fetch("1", "FLAGS")
        self.assertIn(b"\\Seen", data[0])
        typ, data = m.store("2", "+FLAGS", r"(\Answered $Label1)")
        self.assertIn(b"\\Answered", data[0])
        self.assertIn(b"$Label1", data[0])
        self.assertEqual(m.search(None, "ANSWERED")[1], [b"2"])
        self.assertEqual(m.search(None, "KEYWORD", "$Label1")[1], [b"2"])
        self.assertEqual(m.search(None, "SUBJECT", "FIRST")[1], [b"1"])
        self.assertEqual(m.search(None, "BODY", "other")[1], [b"2"])
        self.assertEqual(m.search(None, "FROM", "alice")[1], [b"1 2"])
        self.assertEqual(m.search(None, "NOT", "SEEN")[1], [b"2"])
        self.assertEqual(m.search(None, "OR", "SEEN", "ANSWERED")[1],
                         [b"1 2"])
        self.assertEqual(m.search(None, "LARGER", "100000")[1], [b""])
        self.assertEqual(m.search(None, "SENTON", "2-Jan-2023")[1], [b"1 2"])
        self.assertEqual(m.uid("SEARCH", "UID", "2:*")[1], [b"2"])
        typ, data = m.copy("1:2", "Trash")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"\[COPYUID \d+ 1:2 \d+:\d+\]")
        typ, data = m.uid("MOVE", "2", "Archive")
        self.assertEqual(typ, "OK")
        self.assertEqual(m.response("EXPUNGE")[1], [b"2"])
        self.assertEqual(len(self.pr.messages(USER, "T1")), 1)
        m.store("1", "+FLAGS.SILENT", r"\Deleted")
        typ, data = m.expunge()
        self.assertEqual(data, [b"1"])
        self.assertEqual(self.pr.messages(USER, "T1"), [])
        m.close()
        m.delete("T1")
        m.logout()

    def test_append_literal_plus_and_big(self):
        m = self.login()
        big = msg("big", ("x" * 998 + "\r\n") * 3000)  # 3 MB, streamed
        typ, data = m.append("INBOX", None, None, big)
        self.assertEqual(typ, "OK")
        uid = re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1)
        m.select("INBOX")
        typ, data = m.uid("FETCH", uid, "(BODY.PEEK[])")
        self.assertEqual(data[0][1], big)
        m.logout()

    def test_idle_sees_smtp_delivery(self):
        m = self.login()
        m.select("INBOX")
        tag = m._new_tag()
        m.send(tag + b" IDLE\r\n")
        self.assertTrue(m.readline().startswith(b"+"))
        self.smtp_send(USER, msg("during idle"))
        m.sock.settimeout(30)
        line = m.readline()
        self.assertRegex(line, rb"^\* \d+ EXISTS\r\n$")
        m.send(b"DONE\r\n")
        while True:
            line = m.readline()
            if line.startswith(tag):
                break
        self.assertIn(b"OK", line)
        m.logout()

    def test_two_sessions(self):
        a = self.login()
        b = self.login()
        a.create("Shared")
        a.append("Shared", None, None, msg("s1"))
        a.append("Shared", None, None, msg("s2"))
        a.select("Shared")
        b.select("Shared")
        b.response("EXISTS")
        a.store("1", "+FLAGS", r"(\Deleted)")
        a.expunge()
        # b fetches: no EXPUNGE may come during FETCH
        typ, data = b.fetch("1:*", "(UID)")
        self.assertEqual(typ, "OK")
        self.assertNotIn("EXPUNGE", b.untagged_responses)
        typ, data = b.noop()
        self.assertEqual(b.response("EXPUNGE")[1], [b"1"])
        a.append("Shared", None, None, msg("s3"))
        b.noop()
        self.assertEqual(b.response("EXISTS")[1], [b"2"])
        a.store("1", "+FLAGS", r"\Flagged")
        typ, data = b.noop()
        self.assertTrue(any(b"\\Flagged" in d
                            for d in b.untagged_responses.get("FETCH", [])))
        a.logout()
        b.logout()

    def test_curl(self):
        curl = shutil.which("curl")
        if curl is None:
            self.skipTest("curl not installed")
        m = self.login()
        m.append("Drafts", None, None, msg("for curl"))
        m.logout()
        url = f"imap://127.0.0.1:{self.pr.imap}/"
        out = subprocess.run([curl, "-s", "--user", f"{USER}:{PW}", url],
                             capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(b"Drafts", out.stdout)
        out = subprocess.run([curl, "-s", "--user", f"{USER}:{PW}",
                              url + "Drafts;UID=1"],
                             capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, msg("for curl"))


class ImapRefusalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(main={"plaintext_auth_loopback": "no"}).start()
        cls.pr.add_user(USER, PW)

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def raw(self):
        s = socket.create_connection(("127.0.0.1", self.pr.imap), timeout=30)
        f = s.makefile("rb")
        self.assertTrue(f.readline().startswith(b"* OK"))
        return s, f

    def test_login_needs_tls(self):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        self.assertIn("LOGINDISABLED", m.capabilities)
        with self.assertRaises(imaplib.IMAP4.error):
            m.login(USER, PW)
        m.starttls(ssl_context=client_tls_context())
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        self.assertEqual(m.login(USER, PW)[0], "OK")
        m.logout()

    def test_imaps(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.pr.imaps,
                              ssl_context=client_tls_context(), timeout=30)
        self.assertEqual(m.login(USER, PW)[0], "OK")
        self.assertEqual(m.select("INBOX")[0], "OK")
        m.logout()

    def test_garbage(self):
        s, f = self.raw()
        cases = [
            (b"+bad NOOP\r\n", b"* BAD"),
            (b"a1 FROB\r\n", b"a1 BAD"),
            (b"a2 SELECT INBOX\r\n", b"a2 BAD"),
            (b"a3 NOOP (\r\n", b"a3 BAD"),
            (b"a4 X " + b"(" * 100 + b"\r\n", b"a4 BAD"),
            (b"a5 LOGIN {100000}\r\n", b"a5 NO [TOOBIG]"),
            (b"a6 X \"unterminated\r\n", b"a6 BAD"),
            (b"\x00\xff\xfe garbage\r\n", b"* BAD"),
            (b"a7 NOOP\r\n", b"a7 OK"),
        ]
        for send, want in cases:
            s.sendall(send)
            line = f.readline()
            self.assertTrue(line.startswith(want), (send, line))
        s.sendall(b"a8 LOGOUT\r\n")
        self.assertTrue(f.readline().startswith(b"* BYE"))
        s.close()

    def test_literal_plus_too_big_before_login(self):
        s, f = self.raw()
        s.sendall(b"a1 LOGIN {100000+}\r\n")
        self.assertTrue(f.readline().startswith(b"* BYE"))
        self.assertEqual(f.readline(), b"")
        s.close()

    def test_long_line(self):
        s, f = self.raw()
        s.sendall(b"a1 NOOP " + b"x" * 100000 + b"\r\na2 NOOP\r\n")
        self.assertTrue(f.readline().startswith(b"a1 BAD"))
        self.assertTrue(f.readline().startswith(b"a2 OK"))
        s.close()


if __name__ == "__main__":
    unittest.main()
