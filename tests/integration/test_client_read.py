"""postroom's reading side on its local store, with no server: import of
.eml files, list (flags, threads, --unread), read (decoded HTML, charsets,
attachments listed and saved byte for byte, --raw), search over decoded
bodies, and the local changes flag, move and delete make."""
import email.policy
import json
import os
import subprocess
import unittest
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone

from client_fixtures import POSTROOM, ClientHome

# bytes of every value, so a save that changes one byte shows
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 3 + b"\n%%EOF\n"


def html_mail():
    m = EmailMessage(policy=email.policy.SMTP)
    m["From"] = "Shop News <news@shop.example>"
    m["To"] = "test@example.org"
    m["Subject"] = "Fr\u00fchlings-Sale \u2013 20 %"
    m["Date"] = format_datetime(datetime(2024, 3, 12, 7, 15,
                                         tzinfo=timezone.utc))
    m["Message-ID"] = "<sale@shop.example>"
    m.set_content(
        "<html><head><style>p{color:red}</style><title>t</title></head>"
        "<body><h1>Spring sale</h1><p>Hello Lisa,<br>everything "
        "&amp; more with <a href=\"https://shop.example/sale\">our "
        "offers</a>.</p><ul><li>pineapples</li><li>shoes</li></ul>"
        "<script>var hidden = 'scriptword';</script></body></html>",
        subtype="html", charset="utf-8", cte="quoted-printable")
    return m.as_bytes()


def pdf_mail():
    m = EmailMessage(policy=email.policy.SMTP)
    m["From"] = "=?iso-8859-1?q?J=F6rg?= <joerg@example.de>"
    m["To"] = "test@example.org"
    m["Subject"] = "the report"
    m["Date"] = format_datetime(datetime(2024, 4, 1, 8, 0,
                                         tzinfo=timezone.utc))
    m["Message-ID"] = "<report@example.de>"
    m.set_content("Gr\u00fc\u00dfe, the quarterly numbers are attached.\n",
                  charset="iso-8859-1", cte="quoted-printable")
    m.add_attachment(PDF, maintype="application", subtype="pdf",
                     filename="report.pdf")
    return m.as_bytes()


def thread_mail(subject, msgid, parent=None, refs=(), day=1):
    m = EmailMessage(policy=email.policy.SMTP)
    m["From"] = "Ann <ann@example.net>"
    m["To"] = "test@example.org"
    m["Subject"] = subject
    m["Date"] = format_datetime(datetime(2024, 5, day, 9, 0,
                                         tzinfo=timezone.utc))
    m["Message-ID"] = msgid
    if parent:
        m["In-Reply-To"] = parent
        m["References"] = " ".join(refs)
    m.set_content(f"body of {subject}\n")
    return m.as_bytes()


class ClientRead(unittest.TestCase):
    def setUp(self):
        self.home = ClientHome()
        self.home.write_account("test", "test@example.org")
        self.files = {}
        for name, data in (("html", html_mail()), ("pdf", pdf_mail())):
            path = os.path.join(self.home.tmp, f"{name}.eml")
            with open(path, "wb") as f:
                f.write(data)
            self.files[name] = (path, data)
        out = self.home.json("import", self.files["html"][0],
                             self.files["pdf"][0])
        self.uid = {"html": out[0]["uid"], "pdf": out[1]["uid"]}

    def tearDown(self):
        self.home.cleanup()

    def ok(self, *args):
        return self.home.run(*args, check=True)

    def fails(self, *args, code=1, want=""):
        proc = self.home.run(*args)
        self.assertEqual(proc.returncode, code, (args, proc.stderr))
        self.assertIn(want, proc.stderr)
        self.assertTrue(proc.stderr.startswith("postroom: "), proc.stderr)
        return proc

    def listing(self, *args):
        return {m["uid"]: m for m in self.home.json("list", *args)}

    def test_list(self):
        msgs = self.listing()
        self.assertEqual(len(msgs), 2)
        html = msgs[self.uid["html"]]
        self.assertEqual(html["subject"], "Fr\u00fchlings-Sale \u2013 20 %")
        self.assertEqual(html["from"], "Shop News")
        self.assertEqual(html["from_address"], "news@shop.example")
        self.assertEqual(html["date"], "2024-03-12T07:15:00Z")
        self.assertEqual(html["flags"], [])
        self.assertFalse(html["has_attachments"])
        pdf = msgs[self.uid["pdf"]]
        self.assertEqual(pdf["from"], "J\u00f6rg")
        self.assertTrue(pdf["has_attachments"])
        lines = self.ok("list").stdout.splitlines()
        self.assertEqual(len(lines), 2)
        self.assertIn(" N ", lines[0])
        self.assertIn("Fr\u00fchlings-Sale", lines[0])

    def test_read_html(self):
        out = self.ok("read", str(self.uid["html"])).stdout
        self.assertIn("Subject: Fr\u00fchlings-Sale", out)
        self.assertIn("Hello Lisa,\neverything & more with our offers "
                      "<https://shop.example/sale>.", out)
        self.assertIn("- pineapples\n- shoes", out)
        for hidden in ("<p>", "color:red", "scriptword", "&amp;"):
            self.assertNotIn(hidden, out)
        # reading marks it seen; --unread leaves it out
        self.assertEqual(self.listing()[self.uid["html"]]["flags"],
                         ["\\Seen"])
        self.assertEqual(list(self.listing("--unread")), [self.uid["pdf"]])

    def test_read_attachment(self):
        uid = str(self.uid["pdf"])
        doc = self.home.json("read", uid)
        self.assertIn("Gr\u00fc\u00dfe, the quarterly numbers", doc["text"])
        self.assertEqual(doc["from"], "J\u00f6rg")
        self.assertEqual(doc["attachments"], [{
            "index": 1, "filename": "report.pdf", "save_as": "report.pdf",
            "content_type": "application/pdf", "size": len(PDF)}])
        human = self.ok("read", uid).stdout
        self.assertIn("[1] report.pdf  application/pdf", human)
        target = os.path.join(self.home.tmp, "saved.pdf")
        self.ok("read", uid, "--save", "1", "--to", target)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), PDF)
        folder = os.path.join(self.home.tmp, "all")
        os.mkdir(folder)
        self.ok("read", uid, "--save-all", folder)
        self.ok("read", uid, "--save-all", folder)  # no overwrite
        self.assertEqual(sorted(os.listdir(folder)),
                         ["report-2.pdf", "report.pdf"])
        with open(os.path.join(folder, "report-2.pdf"), "rb") as f:
            self.assertEqual(f.read(), PDF)
        raw = subprocess.run([POSTROOM, "read", uid, "--raw"],
                             capture_output=True, env=self.home.env(),
                             check=True).stdout
        self.assertEqual(raw, self.files["pdf"][1])
        self.fails("read", uid, "--save", "2", "--to", target,
                   want="no attachment 2")

    def test_search(self):
        hits = self.home.json("search", "pineapples")
        self.assertEqual([(h["mailbox"], h["uid"]) for h in hits],
                         [("INBOX", self.uid["html"])])
        hits = self.home.json("search", "quarterly", "--mailbox", "INBOX")
        self.assertEqual([h["uid"] for h in hits], [self.uid["pdf"]])
        self.assertEqual(self.home.json("search", "no-such-word-here"), [])
        self.assertIn("the report", self.ok("search", "quarterly").stdout)

    def test_flag_move_delete(self):
        uid = str(self.uid["pdf"])
        out = self.home.json("flag", uid, "+flagged", "+seen")
        self.assertEqual(out["flags"], ["\\Seen", "\\Flagged"])
        self.home.json("flag", uid, "-seen", "+answered")
        self.assertEqual(self.listing()[self.uid["pdf"]]["flags"],
                         ["\\Answered", "\\Flagged"])
        self.fails("flag", uid, "+bogus", code=2, want="+seen")
        moved = self.home.json("move", uid, "Archive")
        self.assertNotIn(self.uid["pdf"], self.listing())
        archived = self.listing("--mailbox", "Archive")
        self.assertEqual(list(archived), [moved["new_uid"]])
        self.assertEqual(archived[moved["new_uid"]]["subject"], "the report")
        out = self.home.json("delete", str(moved["new_uid"]),
                             "--mailbox", "Archive")
        self.assertFalse(out["expunged"])
        self.assertEqual(self.listing("--mailbox", "Archive"), {})
        trash = self.listing("--mailbox", "Trash")
        self.assertEqual(len(trash), 1)
        out = self.home.json("delete", str(list(trash)[0]),
                             "--mailbox", "Trash")
        self.assertTrue(out["expunged"])
        boxes = {b["name"]: b for b in self.home.json("mailboxes")}
        self.assertEqual(boxes["Trash"]["messages"], 0)
        self.assertEqual(boxes["INBOX"]["messages"], 1)
        self.assertEqual(boxes["INBOX"]["unseen"], 1)
        self.assertEqual(boxes["Trash"]["role"], "trash")

    def test_threads(self):
        root, r1, r2 = make_msgid(), make_msgid(), make_msgid()
        mails = [thread_mail("plans", root, day=2),
                 thread_mail("other topic", make_msgid(), day=3),
                 thread_mail("Re: plans", r1, root, [root], day=4),
                 thread_mail("Re: plans", r2, r1, [root, r1], day=5)]
        paths = []
        for i, data in enumerate(mails):
            paths.append(os.path.join(self.home.tmp, f"t{i}.eml"))
            with open(paths[-1], "wb") as f:
                f.write(data)
        self.home.run("mailboxes", check=True)
        self.ok("import", "--mailbox", "Archive", *paths)
        got = [(m["subject"], m["depth"]) for m in
               self.home.json("list", "--threads", "--mailbox", "Archive")]
        self.assertEqual(got, [("plans", 0), ("Re: plans", 1),
                               ("Re: plans", 2), ("other topic", 0)])
        text = self.ok("list", "--threads", "--mailbox", "Archive").stdout
        self.assertIn("    > Re: plans", text)

    def test_errors(self):
        self.fails("read", "999", want="no message with UID 999")
        self.fails("list", "--mailbox", "Nope", want="no such mailbox")
        self.fails("list", "--bogus", code=2, want="unknown option")
        self.fails("read", "abc", code=2, want="not a message UID")
        self.fails("move", str(self.uid["html"]), "Nope",
                   want="no such target mailbox")
        self.fails("import", os.path.join(self.home.tmp, "missing.eml"),
                   want="No such file")


if __name__ == "__main__":
    unittest.main()
