"""postroom's writing side against a real postroomd: `send` with an
attachment (the received attachment byte-compares, Bcc is delivered but not
shown), a reply written through $EDITOR (In-Reply-To/References point at the
original, which is marked \\Answered locally), an editor that changes
nothing (nothing sent), a template without recipients (kept in Drafts), and
a server that cannot be reached (the message waits in the Outbox and goes at
the next `postroom sync`)."""
import email
import email.policy
import glob
import os
import smtplib
import sqlite3
import sys
import unittest

from client_fixtures import POSTROOM, ClientHome
from harness import Postroom, free_port

FLAG_ANSWERED = 1 << 1
FLAG_DRAFT = 1 << 4

# An editor for the tests: replaces the template's empty or given fields
# and puts text before the quote. Arguments come from the environment.
EDITOR = r'''
import os, sys
path = sys.argv[1]
with open(path) as f:
    text = f.read()
head, _, body = text.partition("\n\n")
lines = head.split("\n")
for key in ("To", "Subject"):
    value = os.environ.get("TEST_EDIT_" + key.upper())
    if value is not None:
        lines = [l for l in lines if not l.startswith(key + ":")]
        lines.append(f"{key}: {value}")
with open(os.environ["TEST_EDIT_SEEN"], "w") as f:
    f.write(text)
with open(path, "w") as f:
    f.write("\n".join(lines) + "\n\n" + os.environ.get("TEST_EDIT_BODY", "")
            + "\n" + body)
'''


def local_messages(client, mailbox):
    """(uid, flags, bytes) of each message in mailbox of the client's
    local store, read straight from its SQLite files and blobs."""
    store = os.path.join(client.data_dir, "store")
    out = []
    for path in glob.glob(os.path.join(store, "accounts", "*", "mail.db")):
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            rows = db.execute(
                "SELECT m.uid, m.flags, m.blob_id FROM messages m JOIN "
                "mailboxes b ON m.mailbox_id = b.id WHERE b.name = ? "
                "ORDER BY m.uid", (mailbox,)).fetchall()
        finally:
            db.close()
        for uid, flags, blob in rows:
            with open(os.path.join(store, "blobs", blob[:2], blob),
                      "rb") as f:
                out.append((uid, flags, f.read()))
    return out


def parse(data):
    return email.message_from_bytes(data, policy=email.policy.default)


@unittest.skipUnless(os.path.exists(POSTROOM), "postroom is not built")
class ClientSend(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Postroom().start()
        for user in ("lisa", "bob", "carol"):
            cls.server.add_user(f"{user}@example.test", f"{user}-pw")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def setUp(self):
        self.client = ClientHome()
        self.client.for_postroomd("lisa", "lisa@example.test", "lisa-pw",
                                  self.server,
                                  display_name="Lisa Example")
        self.editor = os.path.join(self.client.tmp, "editor.py")
        with open(self.editor, "w") as f:
            f.write(EDITOR)
        self.seen = os.path.join(self.client.tmp, "seen.txt")

    def tearDown(self):
        self.client.cleanup()

    def editor_env(self, **fields):
        env = {"EDITOR": f"{sys.executable} {self.editor}",
               "TEST_EDIT_SEEN": self.seen}
        env.update({f"TEST_EDIT_{k.upper()}": v for k, v in fields.items()})
        return env

    def test_send_attachment(self):
        data = bytes(range(256)) * 41 + b"\r\n\x00end"
        attach = os.path.join(self.client.tmp, "r\u00e9sum\u00e9.bin")
        with open(attach, "wb") as f:
            f.write(data)
        body = os.path.join(self.client.tmp, "body.txt")
        with open(body, "w") as f:
            f.write("Gr\u00fc\u00dfe,\nthe file is attached.\n")
        before = len(self.server.messages("bob@example.test"))
        before_carol = len(self.server.messages("carol@example.test"))
        out = self.client.json(
            "send", "--to", "Bob <bob@example.test>", "--bcc",
            "carol@example.test", "--subject", "Caf\u00e9 report",
            "--attach", attach, "--body-file", body)
        self.assertTrue(out["queued"])
        self.assertTrue(out["sent"])
        msg = parse(self.server.wait_messages("bob@example.test",
                                              before + 1)[-1])
        self.server.wait_messages("carol@example.test", before_carol + 1)
        self.assertEqual(msg["Subject"], "Caf\u00e9 report")
        self.assertEqual(msg["Message-ID"], f"<{out['message_id']}>")
        self.assertTrue(out["message_id"].endswith("@example.test"))
        self.assertEqual(str(msg["From"]),
                         "Lisa Example <lisa@example.test>")
        self.assertIsNone(msg["Bcc"])
        text = msg.get_body(("plain",))
        self.assertEqual(text.get_content().replace("\r\n", "\n"),
                         "Gr\u00fc\u00dfe,\nthe file is attached.\n")
        parts = list(msg.iter_attachments())
        self.assertEqual(len(parts), 1)
        self.assertEqual(parts[0].get_filename(), "r\u00e9sum\u00e9.bin")
        self.assertEqual(parts[0].get_content_type(),
                         "application/octet-stream")
        self.assertEqual(parts[0].get_payload(decode=True), data)
        self.assertEqual(local_messages(self.client, "Outbox"), [])

    def fetch_original(self):
        """Mail from bob to lisa, synced into the client's INBOX. Returns
        the original's Message-ID."""
        msg = (b"From: Bob <bob@example.test>\r\n"
               b"To: lisa@example.test\r\n"
               b"Subject: Hello\r\n"
               b"Message-ID: <orig-1@example.test>\r\n"
               b"Date: Mon, 3 Feb 2025 10:00:00 +0000\r\n\r\n"
               b"How are you?\r\n")
        before = len(self.server.messages("lisa@example.test"))
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as s:
            s.sendmail("bob@example.test", ["lisa@example.test"], msg)
        self.server.wait_messages("lisa@example.test", before + 1)
        self.client.run("sync", check=True)
        inbox = local_messages(self.client, "INBOX")
        self.assertTrue(inbox, "sync brought nothing into INBOX")
        return inbox[-1][0]

    def test_reply_through_editor(self):
        uid = self.fetch_original()
        before = len(self.server.messages("bob@example.test"))
        proc = self.client.run("reply", str(uid), env=self.editor_env(
            body="Fine, thanks."), check=True)
        self.assertIn("sent", proc.stdout)
        with open(self.seen) as f:
            template = f.read()
        self.assertIn("To: \"Bob\" <bob@example.test>\n", template)
        self.assertIn("Subject: Re: Hello\n", template)
        self.assertIn("In-Reply-To: <orig-1@example.test>\n", template)
        self.assertIn("\n> How are you?\n", template)
        reply = parse(self.server.wait_messages("bob@example.test",
                                                before + 1)[-1])
        self.assertEqual(reply["In-Reply-To"], "<orig-1@example.test>")
        self.assertEqual(reply["References"], "<orig-1@example.test>")
        self.assertEqual(reply["Subject"], "Re: Hello")
        body = reply.get_body(("plain",)).get_content()
        self.assertIn("Fine, thanks.", body)
        self.assertIn("> How are you?", body)
        flags = {u: f for u, f, _ in local_messages(self.client, "INBOX")}
        self.assertTrue(flags[uid] & FLAG_ANSWERED)

    def test_unchanged_and_draft(self):
        proc = self.client.run("compose", env={"EDITOR": "true"},
                               check=True)
        self.assertIn("nothing sent", proc.stdout)
        proc = self.client.run("compose", env=self.editor_env(
            subject="Later", body="Half a thought."), check=True)
        self.assertIn("saved to Drafts", proc.stdout)
        drafts = local_messages(self.client, "Drafts")
        self.assertEqual(len(drafts), 1)
        self.assertTrue(drafts[0][1] & FLAG_DRAFT)
        self.assertEqual(parse(drafts[0][2])["Subject"], "Later")
        self.assertEqual(local_messages(self.client, "Outbox"), [])
        # Reopened and given a recipient, it is sent and leaves Drafts.
        before = len(self.server.messages("bob@example.test"))
        self.client.run("compose", "--draft", str(drafts[0][0]),
                        env=self.editor_env(to="bob@example.test"),
                        check=True)
        sent = parse(self.server.wait_messages("bob@example.test",
                                               before + 1)[-1])
        self.assertEqual(sent["Subject"], "Later")
        self.assertIn("Half a thought.", sent.get_body(("plain",))
                      .get_content())
        self.assertEqual(local_messages(self.client, "Drafts"), [])

    def test_server_down_then_sync(self):
        cert = os.path.join(self.server.data, "tls", "cert.pem")
        incoming = {"protocol": "imap", "host": "localhost",
                    "port": self.server.imaps, "tls": "implicit"}
        self.client.write_account(
            "lisa", "lisa@example.test", "lisa-pw", tls_ca_file=cert,
            display_name="Lisa Example", incoming=incoming,
            outgoing={"host": "localhost", "port": free_port(),
                      "tls": "implicit"})
        out = self.client.json("send", "--to", "bob@example.test",
                               "--subject", "Later please")
        self.assertEqual((out["queued"], out["sent"]), (True, False))
        outbox = local_messages(self.client, "Outbox")
        self.assertEqual(len(outbox), 1)
        proc = self.client.run("send", "--to", "bob@example.test",
                               "--subject", "Second", check=True)
        self.assertIn("next 'postroom sync'", proc.stdout)
        self.assertEqual(len(local_messages(self.client, "Outbox")), 2)
        before = len(self.server.messages("bob@example.test"))
        self.client.for_postroomd("lisa", "lisa@example.test", "lisa-pw",
                                  self.server,
                                  display_name="Lisa Example")
        self.client.run("sync", check=True)
        got = self.server.wait_messages("bob@example.test", before + 2)
        subjects = sorted(parse(m)["Subject"] for m in got[before:])
        self.assertEqual(subjects, ["Later please", "Second"])
        self.assertEqual(local_messages(self.client, "Outbox"), [])


if __name__ == "__main__":
    unittest.main()
