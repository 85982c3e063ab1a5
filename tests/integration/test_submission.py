"""Submission (RFC 6409) as a message submission agent: on 587 and 465 a
message without Date (§8.2) or Message-ID (§8.3) gets exactly one of each,
at the top of the header under our Received field; a message that has them
is stored untouched, and port 25 never changes a message. A submitted
message without a From field is refused with 554 5.6.0 (§6.3: 554 for
syntactic problems in the data; RFC 5322 §3.6 requires From). Every 553
reply is logged with the sender address it refused."""
import email.utils
import re
import smtplib
import socket
import time
import unittest
from datetime import datetime, timedelta, timezone

from harness import Postroom, body_of, client_tls_context

LISA = "lisa@local.test"
BOB = "bob@local.test"


def header_fields(stored):
    """The header fields of stored bytes, as (name, value) in order, read
    by hand: RFC 5322 §4.5.8 allows space before the colon, which Python's
    email parser takes for the end of the header."""
    head = stored.split(b"\r\n\r\n", 1)[0]
    fields = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1] += b" " + line.strip()
        elif b":" in line:
            name, value = line.split(b":", 1)
            fields.append([name.strip().decode(), value.strip()])
    return [(n, v.decode(errors="replace")) for n, v in fields]


class SubmissionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user(BOB)
        cls.pr.add_user(LISA, "lisa-pw")

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def submit_587(self, msg, sender=LISA):
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.starttls(context=client_tls_context())
            s.login(LISA, "lisa-pw")
            s.sendmail(sender, [BOB], msg)

    def submit_465(self, msg):
        with smtplib.SMTP_SSL("127.0.0.1", self.pr.submissions, timeout=30,
                              context=client_tls_context()) as s:
            s.login(LISA, "lisa-pw")
            s.sendmail(LISA, [BOB], msg)

    def send_25(self, msg):
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.sendmail("someone@remote.test", [BOB], msg)

    def test_553_lines_log_the_sender(self):
        with self.assertRaises(smtplib.SMTPSenderRefused) as cm:
            self.submit_587(b"From: bob@local.test\r\n\r\nx\r\n",
                            sender="bob@local.test")
        self.assertEqual(cm.exception.smtp_code, 553)
        # the engine's own 553 (UTF-8 sender without SMTPUTF8), port 25
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.ehlo("client.test")
            s.send(b"MAIL FROM:<j\xc3\xb6rg@remote.test>\r\n")
            code, _ = s.getreply()
            self.assertEqual(code, 553)
        time.sleep(0.3)
        lines = [l for l in self.pr.log().splitlines() if "code=553" in l]
        self.assertEqual(len(lines), 2, lines)
        self.assertIn("from=<bob@local.test>", lines[0])
        self.assertIn("from=<j", lines[1])


if __name__ == "__main__":
    unittest.main()
