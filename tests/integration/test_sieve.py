"""Delivery rules (Sieve, doc/rules.md) on a real postroomd: scripts put
with postroomctl, mail sent with smtplib (MX port and submission), the
results read with imaplib. fileinto :create with flags, :copy, reject's
RFC 5429 MDN to the sender, vacation once per sender and never to a list
or a bounce, a notification by mailto, a script that fails at run time
keeps the mail and tells its owner once, and the administrator's
before/after scripts."""
import email
import email.policy
import imaplib
import os
import re
import smtplib
import time
import unittest

from harness import Postroom, client_tls_context


def msg(sender, to, subject, body="Hello.\r\n", extra=""):
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{time.time_ns()}@{sender.split('@')[1]}>\r\n"
            f"{extra}\r\n{body}").encode()


class SieveDeliveryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user("alice@local.test", "alice-pw")

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def user(self, name, script=None):
        address = f"{name}@local.test"
        self.pr.add_user(address, f"{name}-pw")
        if script is not None:
            self.pr.ctl("account", "sieve", "put", address, "main",
                        input=script)
            self.pr.ctl("account", "sieve", "activate", address, "main")
        return address

    def mx_send(self, sender, to, data):
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.sendmail(sender, [to], data)

    def submit(self, user, password, to, data):
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.starttls(context=client_tls_context())
            s.login(user, password)
            s.sendmail(user, [to], data)

    def imap(self, address):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        m.login(address, address.split("@")[0] + "-pw")
        return m

    def fetch(self, m, mailbox):
        """(flags, header bytes) of each message of mailbox."""
        typ, _ = m.select(f'"{mailbox}"', readonly=True)
        self.assertEqual(typ, "OK", mailbox)
        typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER])")
        out = []
        for item in data:
            if isinstance(item, tuple):
                flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1)
                out.append((flags.decode().split(), item[1]))
        return out

    def wait_box(self, address, mailbox, count, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.pr.messages(address, mailbox)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        self.fail(f"{address} {mailbox}: want {count} messages\n"
                  f"{self.pr.log()[-3000:]}")

    def test_fileinto_create_flags_copy(self):
        bob = self.user("bob", (
            'require ["fileinto", "mailbox", "imap4flags", "copy"];\n'
            'if header :contains "subject" "[project]" {\n'
            '  fileinto :create :flags ["\\\\Flagged", "$project"]\n'
            '           "Projects/Alpha";\n'
            '}\n'
            'if header :contains "subject" "[archive]" {\n'
            '  fileinto :copy :create "Archive/2024";\n'
            '}\n'))
        self.mx_send("ann@remote.test", bob,
                     msg("ann@remote.test", bob, "[project] plan"))
        self.mx_send("ann@remote.test", bob,
                     msg("ann@remote.test", bob, "[archive] minutes"))
        self.wait_box(bob, "Projects/Alpha", 1)
        self.wait_box(bob, "Archive/2024", 1)
        self.pr.settle()
        m = self.imap(bob)
        try:
            typ, boxes = m.list()
            names = [b.rsplit(b" ", 1)[-1].strip(b'"') for b in boxes]
            self.assertIn(b"Projects/Alpha", names)
            self.assertIn(b"Archive/2024", names)
            [(flags, header)] = self.fetch(m, "Projects/Alpha")
            self.assertIn("\\Flagged", flags)
            self.assertIn("$project", flags)
            self.assertIn(b"Subject: [project] plan", header)
            [(flags, header)] = self.fetch(m, "Archive/2024")
            self.assertIn(b"Subject: [archive] minutes", header)
            inbox = self.fetch(m, "INBOX")
            # :copy keeps the implicit keep; fileinto without it does not
            self.assertEqual(len([h for _, h in inbox
                                  if b"[archive]" in h]), 1)
            self.assertFalse([h for _, h in inbox if b"[project]" in h])
        finally:
            m.logout()

    def test_reject_sends_mdn_to_sender(self):
        carol = self.user("carol", (
            'require "reject";\n'
            'reject "I do not take mail about this.";\n'))
        before = len(self.pr.messages("alice@local.test"))
        self.submit("alice@local.test", "alice-pw", carol,
                    msg("alice@local.test", carol, "an offer"))
        got = self.pr.wait_messages("alice@local.test", before + 1)
        mdn = email.message_from_bytes(got[-1], policy=email.policy.default)
        # RFC 5429 §2.2.1: a failure MDN (RFC 8098) with "deleted"
        self.assertEqual(mdn.get_content_type(), "multipart/report")
        self.assertEqual(mdn.get_param("report-type"),
                         "disposition-notification")
        self.assertTrue(got[-1].startswith(b"Return-Path: <>\r\n"))
        parts = list(mdn.iter_parts())
        self.assertIn("I do not take mail about this.",
                      parts[0].get_content())
        notification = parts[1].as_bytes().decode()
        self.assertIn("Disposition: automatic-action/"
                      "MDN-sent-automatically; deleted", notification)
        self.assertIn("Final-Recipient: rfc822; carol@local.test",
                      notification)
        self.pr.settle()
        self.assertEqual(self.pr.messages(carol), [])

    def test_vacation_once_per_sender(self):
        dan = self.user("dan")
        self.pr.ctl("account", "vacation", dan, "on", "--days", "2",
                    "--subject", "Out of office",
                    "--message", "Back on Monday.")
        before = len(self.pr.messages("alice@local.test"))
        for i in range(2):
            self.submit("alice@local.test", "alice-pw", dan,
                        msg("alice@local.test", dan, f"question {i}"))
        self.pr.wait_messages(dan, 2)
        got = self.pr.wait_messages("alice@local.test", before + 1)
        reply = email.message_from_bytes(got[before],
                                         policy=email.policy.default)
        self.assertEqual(reply["Subject"], "Out of office")
        self.assertTrue(reply["Auto-Submitted"].startswith("auto-replied"))
        self.assertIn("Back on Monday.", reply.get_content())
        self.assertTrue(got[before].startswith(b"Return-Path: <>\r\n"))
        # a mailing list and a bounce get no reply (a reply to them would
        # stay in the queue: there is no route to remote.test)
        self.mx_send("list-bounces@remote.test", dan,
                     msg("list@remote.test", dan, "digest",
                         extra="List-Id: A list <list.remote.test>\r\n"))
        self.mx_send("", dan, msg("mailer-daemon@remote.test", dan,
                                  "Undelivered Mail"))
        self.pr.wait_messages(dan, 4)
        self.pr.settle()
        self.assertEqual(len(self.pr.messages("alice@local.test")),
                         before + 1, "one reply only")
        log = self.pr.log()
        self.assertEqual(log.count("kind=vacation"), 1, log[-3000:])

    def test_notify_mailto(self):
        hank = self.user("hank", (
            'require ["enotify", "variables"];\n'
            'if header :matches "subject" "*" { set "s" "${1}"; }\n'
            'notify :importance "1" :message "New: ${s}"\n'
            '       "mailto:alice@local.test";\n'))
        before = len(self.pr.messages("alice@local.test"))
        self.mx_send("ann@remote.test", hank,
                     msg("ann@remote.test", hank, "the report"))
        self.pr.wait_messages(hank, 1)
        got = self.pr.wait_messages("alice@local.test", before + 1)
        note = email.message_from_bytes(got[-1], policy=email.policy.default)
        # RFC 5436 §2.7: from the user, marked auto-notified, from <>
        self.assertEqual(note["Subject"], "New: the report")
        self.assertTrue(note["Auto-Submitted"].startswith("auto-notified"))
        self.assertEqual(note["From"], "hank@local.test")
        self.assertTrue(got[-1].startswith(b"Return-Path: <>\r\n"))

    def test_runtime_error_keeps_and_tells_once(self):
        erin = self.user("erin", (
            'require ["fileinto", "variables"];\n'
            'fileinto "${nothing}";\n'))
        for i in range(2):
            self.mx_send("ann@remote.test", erin,
                         msg("ann@remote.test", erin, f"kept {i}"))
        got = self.pr.wait_messages(erin, 3)
        self.pr.settle()
        got = self.pr.messages(erin)
        self.assertEqual(len(got), 3)
        notes = [g for g in got if b"Subject: Your mail filter failed" in g]
        self.assertEqual(len(notes), 1)
        self.assertIn(b"line 2, column 1", notes[0])
        self.assertEqual(sum(b"Subject: kept" in g for g in got), 2)
        self.assertIn("rules-failed", self.pr.log())


class SieveGlobalScriptsTest(unittest.TestCase):
    """before.sieve and after.sieve of sieve_dir run around every user's
    rules; a domain's default runs for accounts without a script."""

    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom()
        sieve_dir = os.path.join(cls.pr.tmp, "sieve")
        os.makedirs(os.path.join(sieve_dir, "domains"))
        files = {
            "before.sieve": ('require "fileinto";\n'
                             'if header :contains "X-Spam-Flag" "YES" {\n'
                             '  fileinto "Junk"; stop;\n}\n'),
            "after.sieve": ('require "imap4flags";\n'
                            'addflag "$scanned";\n'),
            "domains/local.test.sieve": ('require "fileinto";\n'
                                         'fileinto "Default";\n'),
        }
        for name, text in files.items():
            with open(os.path.join(sieve_dir, name), "w") as f:
                f.write(text)
        for root, dirs, names in os.walk(sieve_dir):
            os.chmod(root, 0o755)
            for n in names:
                os.chmod(os.path.join(root, n), 0o644)
        cls.pr.sections["deliver"] = {"sieve_dir": sieve_dir}
        cls.pr.write_conf()
        cls.pr.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def send(self, to, data):
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.sendmail("ann@remote.test", [to], data)

    def test_before_user_after(self):
        self.pr.add_user("fred@local.test", "fred-pw")
        self.pr.ctl("account", "sieve", "put", "fred@local.test", "mine",
                    input='if false { discard; }\n')
        self.pr.ctl("account", "sieve", "activate", "fred@local.test", "mine")
        self.send("fred@local.test",
                  msg("ann@remote.test", "fred@local.test", "normal"))
        self.send("fred@local.test",
                  msg("ann@remote.test", "fred@local.test", "spam",
                      extra="X-Spam-Flag: YES\r\n"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
                self.pr.messages("fred@local.test") and
                self.pr.messages("fred@local.test", "Junk")):
            time.sleep(0.05)
        self.pr.settle()
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        try:
            m.login("fred@local.test", "fred-pw")
            m.select("INBOX", readonly=True)
            typ, data = m.fetch("1:*", "(FLAGS)")
            self.assertEqual(len(data), 1)
            # after.sieve ran after fred's script
            self.assertIn(b"$scanned", data[0])
            m.select("Junk", readonly=True)
            typ, data = m.fetch("1:*", "(FLAGS)")
            self.assertEqual(len(data), 1)
            # before.sieve's stop ended the run: no after.sieve
            self.assertNotIn(b"$scanned", data[0])
        finally:
            m.logout()

    def test_domain_default(self):
        self.pr.add_user("gina@local.test", "gina-pw")
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        try:
            m.login("gina@local.test", "gina-pw")
            self.assertEqual(m.create("Default")[0], "OK")
        finally:
            m.logout()
        self.send("gina@local.test",
                  msg("ann@remote.test", "gina@local.test", "welcome"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and \
                not self.pr.messages("gina@local.test", "Default"):
            time.sleep(0.05)
        self.assertEqual(len(self.pr.messages("gina@local.test",
                                              "Default")), 1)
        self.assertEqual(self.pr.messages("gina@local.test"), [])


if __name__ == "__main__":
    unittest.main()
