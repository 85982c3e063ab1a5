"""The story on one server: lisa@ submits a message with a MIME attachment
over submission, bob@ downloads it with poplib, byte for byte. Around it,
the session rules of RFC 1939: the snapshot seen at login (mail delivered
meanwhile shows up next session), nothing deleted by a session that ends
without QUIT (socket closed, or the pop3d worker killed with -9), and one
session per maildrop ([IN-USE], RFC 2449 §8.1.1)."""
import email.message
import email.policy
import email.utils
import os
import poplib
import signal
import smtplib
import time
import unittest

from harness import Postroom, body_of, client_tls_context
from test_pop3 import deliver, joined, sample, wait_pop3


class Pop3StoryTest(unittest.TestCase):
    def setUp(self):
        self.pr = Postroom().start()
        self.addCleanup(self.pr.cleanup)
        self.pr.add_user("bob@local.test", "bob-pw")
        self.pr.add_user("lisa@local.test", "lisa-pw")
        wait_pop3(self.pr)

    def tearDown(self):
        self.assertEqual(self.pr.stop(), 0, "postroomd exit status")

    def login(self, deadline=30):
        """Logs bob in over 995; retries while a session that just went
        away still holds the maildrop ([IN-USE])."""
        end = time.monotonic() + deadline
        while True:
            p = poplib.POP3_SSL("127.0.0.1", self.pr.pop3s, timeout=30,
                                context=client_tls_context())
            p.user("bob@local.test")
            try:
                p.pass_("bob-pw")
                return p
            except poplib.error_proto as e:
                p.close()
                if b"[IN-USE]" not in e.args[0] or time.monotonic() > end:
                    raise
                time.sleep(0.1)

    def test_lisa_sends_bob_downloads(self):
        m = email.message.EmailMessage()
        m["From"] = "Lisa <lisa@local.test>"
        m["To"] = "Bob <bob@local.test>"
        m["Subject"] = "the photos from Sunday"
        m["Date"] = email.utils.formatdate(localtime=True)
        m["Message-ID"] = email.utils.make_msgid(domain="local.test")
        m.set_content("Hi Bob,\n\nhere they are.\n.\n..and a dot line\n")
        blob = os.urandom(200000)
        m.add_attachment(blob, maintype="image", subtype="jpeg",
                         filename="sunday.jpg")
        raw = m.as_bytes(policy=email.policy.SMTP)
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.starttls(context=client_tls_context())
            s.login("lisa@local.test", "lisa-pw")
            s.sendmail("lisa@local.test", ["bob@local.test"], raw)
        stored = self.pr.wait_messages("bob@local.test", 1)
        p = poplib.POP3("127.0.0.1", self.pr.pop3, timeout=30)
        p.stls(client_tls_context())
        p.user("bob@local.test")
        p.pass_("bob-pw")
        resp, lines, _ = p.retr(1)
        p.quit()
        got = joined(lines)
        self.assertEqual(got, stored[0])
        self.assertEqual(resp, b"+OK %d octets" % len(got))
        self.assertTrue(got.startswith(b"Return-Path: <lisa@local.test>"))
        self.assertEqual(body_of(got), raw)
        parsed = email.message_from_bytes(got, policy=email.policy.default)
        att = next(parsed.iter_attachments())
        self.assertEqual(att.get_filename(), "sunday.jpg")
        self.assertEqual(att.get_content(), blob)

    def test_snapshot_at_login(self):
        deliver(self.pr, "bob@local.test", [sample(1)])
        p = self.login()
        self.assertEqual(p.stat()[0], 1)
        deliver(self.pr, "bob@local.test", [sample(2), sample(3)])
        self.assertEqual(p.stat()[0], 1, "this session keeps its snapshot")
        self.assertEqual(len(p.list()[1]), 1)
        with self.assertRaises(poplib.error_proto):
            p.retr(2)
        p.dele(1)
        p.quit()
        p = self.login()
        self.assertEqual(p.stat()[0], 2, "the next session sees new mail")
        p.quit()
        self.assertEqual(len(self.pr.messages("bob@local.test")), 2)

    def test_dropped_session_deletes_nothing(self):
        deliver(self.pr, "bob@local.test", [sample(1), sample(2)])
        p = self.login()
        p.dele(1)
        p.dele(2)
        p.close()  # no QUIT: never reaches the UPDATE state
        p = self.login()
        self.assertEqual(p.stat()[0], 2)
        p.quit()
        self.assertEqual(len(self.pr.messages("bob@local.test")), 2)

    def test_killed_worker_deletes_nothing_and_unlocks(self):
        deliver(self.pr, "bob@local.test", [sample(1), sample(2)])
        p = self.login()
        p.dele(1)
        pids = self.pr.children("pop3d")
        self.assertTrue(pids)
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        p.close()
        wait_pop3(self.pr)
        # The flock died with the process: the maildrop is free again.
        p = self.login()
        self.assertEqual(p.stat()[0], 2)
        p.quit()
        self.assertEqual(len(self.pr.messages("bob@local.test")), 2)

    def test_second_session_in_use(self):
        deliver(self.pr, "bob@local.test", [sample(1)])
        p = self.login()
        q = poplib.POP3_SSL("127.0.0.1", self.pr.pop3s, timeout=30,
                            context=client_tls_context())
        q.user("bob@local.test")
        with self.assertRaises(poplib.error_proto) as cm:
            q.pass_("bob-pw")
        self.assertTrue(cm.exception.args[0].startswith(b"-ERR [IN-USE]"))
        q.quit()
        self.assertEqual(p.stat()[0], 1, "the first session is unharmed")
        p.quit()
        p = self.login()
        p.quit()


if __name__ == "__main__":
    unittest.main()
