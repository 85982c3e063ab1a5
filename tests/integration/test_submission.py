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

    def deliver(self, send, msg):
        before = len(self.pr.messages(BOB))
        send(msg)
        return self.pr.wait_messages(BOB, before + 1)[-1]

    def assert_fields_added(self, stored, msg):
        # our DKIM signatures (doc/authentication.md) go above Received
        names = [n.lower() for n, _ in header_fields(stored)
                 if n.lower() != "dkim-signature"]
        self.assertEqual(names.count("date"), 1, stored[:600])
        self.assertEqual(names.count("message-id"), 1, stored[:600])
        # Return-Path, Received, then what we added, then the client's
        # header and body byte for byte
        self.assertEqual(names[:4], ["return-path", "received", "date",
                                     "message-id"], names)
        self.assertTrue(stored.endswith(msg))
        added = body_of(stored)[:-len(msg)]
        self.assertTrue(re.fullmatch(
            rb"Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} "
            rb"\d{2}:\d{2}:\d{2} [+-]\d{4}\r\n"
            rb"Message-ID: <[0-9A-Za-z.]+@mx\.local\.test>\r\n", added),
            added)
        fields = dict((n.lower(), v) for n, v in header_fields(stored))
        date = email.utils.parsedate_to_datetime(fields["date"])
        self.assertIsNotNone(date.tzinfo)
        self.assertLess(abs(date - datetime.now(timezone.utc)),
                        timedelta(hours=1))
        return fields["message-id"]

    def test_587_adds_date_and_message_id_once(self):
        msg = (b"From: Lisa <lisa@local.test>\r\nTo: Bob <bob@local.test>\r\n"
               b"Subject: no date, no id\r\n\r\nHello Bob\r\n")
        first = self.assert_fields_added(
            self.deliver(self.submit_587, msg), msg)
        second = self.assert_fields_added(
            self.deliver(self.submit_587, msg), msg)
        self.assertNotEqual(first, second)

    def test_465_adds_date_and_message_id(self):
        msg = (b"From: lisa@local.test\r\nSubject: over TLS\r\n"
               b"\r\nHi\r\n")
        self.assert_fields_added(self.deliver(self.submit_465, msg), msg)

    def test_only_the_missing_field_is_added(self):
        msg = (b"from: lisa@local.test\r\nDATE : Mon, 1 Jan 2024 10:00:00 "
               b"+0000\r\nSubject: has a date\r\n\r\nx\r\n")
        stored = self.deliver(self.submit_587, msg)
        names = [n.lower() for n, _ in header_fields(stored)]
        self.assertEqual(names.count("date"), 1)
        self.assertEqual(names.count("message-id"), 1)
        self.assertTrue(re.fullmatch(rb"Message-ID: <[^>]+>\r\n",
                                     body_of(stored)[:-len(msg)]))

    def test_folded_lookalike_is_not_a_field(self):
        # "Date:" inside a folded Subject is not a Date field
        msg = (b"From: lisa@local.test\r\nSubject: a\r\n Date: no\r\n"
               b"\tMessage-ID: <no@no>\r\n\r\nbody\r\n")
        self.assert_fields_added(self.deliver(self.submit_587, msg), msg)

    def test_complete_message_is_untouched(self):
        msg = (b"From: Lisa <lisa@local.test>\r\nTo: bob@local.test\r\n"
               b"Date: Tue, 2 Jan 2024 09:00:00 +0100\r\n"
               b"Message-ID: <kept-1@client.test>\r\nSubject: complete\r\n"
               b"\r\nUntouched.\r\n")
        self.assertEqual(body_of(self.deliver(self.submit_587, msg)), msg)
        self.assertEqual(body_of(self.deliver(self.submit_465, msg)), msg)

    def test_port_25_is_never_changed(self):
        msg = b"Subject: no From, no Date, no Message-ID\r\n\r\nmx\r\n"
        self.assertEqual(body_of(self.deliver(self.send_25, msg)), msg)

    def test_header_only_message_and_bdat_chunks(self):
        # BDAT cut inside the blank line and inside a field name; then a
        # message that is all header, with no blank line at all
        s = socket.create_connection(("127.0.0.1", self.pr.submission),
                                     timeout=30)
        f = s.makefile("rb")

        def cmd(line, data=b""):
            s.sendall(line.encode() + b"\r\n" + data)
            while True:
                reply = f.readline()
                if reply[3:4] != b"-":
                    return reply

        try:
            f.readline()
            cmd("EHLO client.test")
            auth = "AGxpc2FAbG9jYWwudGVzdABsaXNhLXB3"  # \0lisa@..\0lisa-pw
            self.assertTrue(cmd("AUTH PLAIN " + auth).startswith(b"235"))
            before = len(self.pr.messages(BOB))
            msg = b"From: lisa@local.test\r\nSubj: chunked\r\n\r\nbody\r\n"
            cut = [msg[:5], msg[5:38], msg[38:39], msg[39:]]
            self.assertTrue(cmd(f"MAIL FROM:<{LISA}>").startswith(b"250"))
            self.assertTrue(cmd(f"RCPT TO:<{BOB}>").startswith(b"250"))
            for i, part in enumerate(cut):
                last = " LAST" if i == len(cut) - 1 else ""
                reply = cmd(f"BDAT {len(part)}{last}", part)
                self.assertTrue(reply.startswith(b"250"), reply)
            stored = self.pr.wait_messages(BOB, before + 1)[-1]
            self.assert_fields_added(stored, msg)
            only = b"From: lisa@local.test\r\nSubject: all header\r\n"
            self.assertTrue(cmd(f"MAIL FROM:<{LISA}>").startswith(b"250"))
            self.assertTrue(cmd(f"RCPT TO:<{BOB}>").startswith(b"250"))
            reply = cmd(f"BDAT {len(only)} LAST", only)
            self.assertTrue(reply.startswith(b"250"), reply)
            stored = self.pr.wait_messages(BOB, before + 2)[-1]
            self.assert_fields_added(stored, only)
        finally:
            s.close()

    def test_missing_from_is_refused(self):
        msg = b"To: bob@local.test\r\nSubject: anonymous\r\n\r\nwho?\r\n"
        before = len(self.pr.messages(BOB))
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.submit_587(msg)
        self.assertEqual(cm.exception.smtp_code, 554)
        self.assertIn(b"5.6.0", cm.exception.smtp_error)
        self.assertIn(b"From", cm.exception.smtp_error)
        # a Sender field does not stand in for From (RFC 5322 §3.6.2)
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.submit_587(b"Sender: lisa@local.test\r\n\r\nx\r\n")
        self.assertEqual(cm.exception.smtp_code, 554)
        time.sleep(0.5)
        self.assertEqual(len(self.pr.messages(BOB)), before)
        self.assertEqual(self.pr.queue_files("incoming"), [])
        self.assertIn("code=554", self.pr.log())

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
