"""The terminal client against everyone else's servers: Debian's Postfix
(submission with STARTTLS and AUTH) and Dovecot (IMAPS, POP3 with STLS),
started by the test on loopback (peers.py). Lisa sends Bob a message with
an attachment; Bob receives it over IMAP and over POP3; flags and moves go
both ways; Bob reads offline with the servers stopped; a message written
offline goes at the next sync."""
import email
import email.policy
import imaplib
import os
import unittest

from client_fixtures import ClientHome
from peers import DovecotPostfix

DOMAIN = "peers.test"
LISA, BOB, CAROL = (f"{n}@{DOMAIN}" for n in ("lisa", "bob", "carol"))


def listing(client, mailbox="INBOX"):
    return {m["subject"]: m for m in client.json("list", "--mailbox",
                                                  mailbox)}


class ClientAgainstDovecotPostfix(unittest.TestCase):
    def setUp(self):
        self.peers = DovecotPostfix(domain=DOMAIN)
        for user in (LISA, BOB, CAROL):
            self.peers.add_user(user, user.split("@")[0] + "-pw")
        self.peers.start()
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.cleanup()
        self.peers.cleanup()

    def client(self, name, address, proto="imap", **incoming):
        p = self.peers
        c = ClientHome()
        self.clients.append(c)
        port, tls = {"imap": (p.imaps, "implicit"),
                     "pop3": (p.pop3, "starttls")}[proto]
        c.write_account(
            name, address, name + "-pw", tls_ca_file=p.ca_file,
            incoming={"protocol": proto, "host": p.host, "port": port,
                      "tls": tls, **incoming},
            outgoing={"host": p.host, "port": p.submission,
                      "tls": "starttls"})
        return c

    def imap(self, user):
        m = imaplib.IMAP4_SSL(self.peers.host, self.peers.imaps,
                              ssl_context=self.peers.tls_context(),
                              timeout=30)
        m.login(user, user.split("@")[0] + "-pw")
        return m

    def remote_flags(self, user, mailbox="INBOX"):
        m = self.imap(user)
        m.select(mailbox)
        typ, data = m.fetch("1:*", "(FLAGS)")
        m.logout()
        return [d.decode() for d in data if d]

    def send_with_attachment(self, lisa, tmp):
        pdf = bytes(range(256)) * 40
        path = os.path.join(tmp, "report.pdf")
        with open(path, "wb") as f:
            f.write(pdf)
        proc = lisa.run("send", "--to", BOB, "--subject", "the report",
                        "--attach", path, "--body-file", "-",
                        input="Hello Bob,\nthe report is attached.\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return pdf

    def test_imap_story_both_ways_and_offline(self):
        lisa = self.client("lisa", LISA)
        bob = self.client("bob", BOB)
        pdf = self.send_with_attachment(lisa, lisa.tmp)
        # Postfix took it and Dovecot filed it, attachment intact
        stored = self.peers.wait_messages(BOB, 1)[0]
        msg = email.message_from_bytes(stored, policy=email.policy.default)
        self.assertEqual(msg["Subject"], "the report")
        att = next(msg.iter_attachments())
        self.assertEqual(att.get_content(), pdf)
        # Lisa's copy is in her Sent, uploaded to Dovecot by her sync
        self.assertIn("the report", listing(lisa, "Sent"))
        lisa.run("sync", check=True)
        self.assertEqual(len(self.peers.messages(LISA, "Sent")), 1)

        # Bob receives over IMAP and saves the attachment
        bob.run("sync", check=True)
        m = listing(bob)["the report"]
        out = os.path.join(bob.tmp, "saved.pdf")
        bob.run("read", str(m["uid"]), "--save", "1", "--to", out,
                check=True)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), pdf)
        text = bob.run("read", str(m["uid"]), check=True).stdout
        self.assertIn("the report is attached", text)

        # flags up: read here (\Seen) and flagged; down: answered there
        bob.run("flag", str(m["uid"]), "+flagged", check=True)
        bob.run("sync", check=True)
        flags = self.remote_flags(BOB)[0]
        self.assertIn("\\Seen", flags)
        self.assertIn("\\Flagged", flags)
        r = self.imap(BOB)
        r.select("INBOX")
        r.store("1", "+FLAGS", "(\\Answered)")
        r.logout()
        bob.run("sync", check=True)
        self.assertIn("\\Answered", listing(bob)["the report"]["flags"])

        # move up: to Archive here, gone from INBOX there
        bob.run("move", str(m["uid"]), "Archive", check=True)
        bob.run("sync", check=True)
        self.assertEqual(self.peers.messages(BOB), [])
        self.assertEqual(len(self.peers.messages(BOB, "Archive")), 1)
        # move down: back to INBOX with Dovecot's MOVE
        r = self.imap(BOB)
        r.select("Archive")
        typ, _ = r.uid("MOVE", "1:*", "INBOX")
        self.assertEqual(typ, "OK")
        r.logout()
        bob.run("sync", check=True)
        self.assertIn("the report", listing(bob))
        self.assertEqual(listing(bob, "Archive"), {})

        # servers gone: Bob still reads; Bob's reply waits in the Outbox
        self.peers.stop()
        uid = str(listing(bob)["the report"]["uid"])
        self.assertIn("the report is attached",
                      bob.run("read", uid, check=True).stdout)
        proc = bob.run("send", "--to", LISA, "--subject", "thanks",
                       "--body-file", "-", input="Got it.\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("thanks", listing(bob, "Outbox"))
        self.peers.start()
        bob.run("sync", check=True)
        self.assertEqual(listing(bob, "Outbox"), {})
        got = self.peers.wait_messages(LISA, 1)
        self.assertIn(b"Got it.", got[0])

    def test_pop3_keep_then_delete(self):
        lisa = self.client("lisa", LISA)
        self.send_with_attachment(lisa, lisa.tmp)
        self.peers.wait_messages(CAROL, 0)
        lisa.run("send", "--to", CAROL, "--subject", "hello carol",
                 "--body-file", "-", input="Hi!\n", check=True)
        self.peers.wait_messages(CAROL, 1)
        carol = self.client("carol", CAROL, proto="pop3")
        out = carol.json("sync")
        self.assertEqual(out["fetched"], 1, out)
        self.assertEqual(carol.json("sync")["fetched"], 0)
        self.assertIn("hello carol", listing(carol))
        self.assertEqual(len(self.peers.messages(CAROL)), 1)  # kept there
        # the same account in delete mode fetches nothing new, deletes
        carol.write_account(
            "carol", CAROL, "carol-pw", tls_ca_file=self.peers.ca_file,
            incoming={"protocol": "pop3", "host": self.peers.host,
                      "port": self.peers.pop3, "tls": "starttls",
                      "leave_on_server": "no"})
        self.assertEqual(carol.json("sync")["fetched"], 0)
        self.assertEqual(self.peers.messages(CAROL), [])
        self.assertEqual(len(listing(carol)), 1)
