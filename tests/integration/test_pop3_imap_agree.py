"""POP3 and IMAP over one INBOX agree: a message expunged over IMAP is gone
for POP3, one deleted over POP3 is reported to an open IMAP session, both
return the same bytes, and a POP3 UIDL does not change when IMAP changes
the message's flags."""
import imaplib
import poplib
import smtplib
import unittest

from harness import Postroom

USER, PW = "bob@local.test", "bob-pw"


class Pop3ImapAgreeTest(unittest.TestCase):
    def setUp(self):
        self.pr = Postroom().start()
        self.pr.add_user(USER, PW)
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            for n in range(1, 4):
                s.sendmail("a@remote.test", [USER],
                           f"Subject: m{n}\r\n\r\nbody {n}\r\n".encode())
        self.pr.wait_messages(USER, 3)

    def tearDown(self):
        code = self.pr.stop()
        self.pr.cleanup()
        self.assertEqual(code, 0)

    def pop(self):
        p = poplib.POP3("127.0.0.1", self.pr.pop3, timeout=30)
        p.user(USER)
        p.pass_(PW)
        return p

    def test_both_protocols_see_one_inbox(self):
        p = self.pop()
        uidls = [l.split()[1] for l in p.uidl()[1]]
        p.quit()
        self.assertEqual(len(uidls), 3)

        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        m.login(USER, PW)
        m.select("INBOX")
        # IMAP's bytes and POP3's bytes are the same stored message.
        imap_body = m.fetch("1", "(BODY.PEEK[])")[1][0][1]
        # Flags change over IMAP; POP3's UIDL does not.
        m.store("1", "+FLAGS", "(\\Flagged \\Seen)")
        # Expunge message 2 over IMAP.
        m.store("2", "+FLAGS", "(\\Deleted)")
        m.expunge()

        p = self.pop()
        self.assertEqual(p.stat()[0], 2)
        now = [l.split()[1] for l in p.uidl()[1]]
        self.assertEqual(now, [uidls[0], uidls[2]])
        pop_body = b"\r\n".join(p.retr(1)[1]) + b"\r\n"
        self.assertEqual(pop_body, imap_body)
        self.assertIn(b"body 1", pop_body)
        # Delete the first over POP3 while IMAP holds the mailbox open.
        p.dele(1)
        p.quit()
        typ, data = m.noop()
        self.assertEqual(typ, "OK")
        self.assertIn(b"1", m.response("EXPUNGE")[1] or [b""])
        typ, data = m.select("INBOX")
        self.assertEqual(data, [b"1"])
        subject = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1]
        self.assertIn(b"m3", subject[0][1])
        m.logout()


if __name__ == "__main__":
    unittest.main()
