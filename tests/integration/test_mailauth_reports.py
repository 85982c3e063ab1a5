"""Mail qmgr writes itself, signed: a bounce (DSN) carries a DKIM signature
of the hostname's domain that dkimpy verifies; and DMARC aggregate reports
(RFC 7489 §7.2): messages on port 25 from domains whose DMARC record asks
for reports (rua=) are recorded, and postroomctl report send-now makes
qmgr send one report per domain, gzip'ed XML as Appendix C describes,
signed, through the queue (here to a fake MX); a report address outside
the domain goes out only when the receiving domain authorised it in DNS
(§7.1)."""
import gzip
import os
import re
import smtplib
import time
import unittest
import xml.etree.ElementTree as ET
from email import message_from_bytes

from harness import Postroom, client_tls_context, free_port
from relay_fixtures import Dnsmasq, FakeSmtp
from test_mailauth_dkim import peer, published_records

TXT = [
    ("origin.test", "v=spf1 ip4:127.0.0.5 -all"),
    ("_dmarc.origin.test",
     "v=DMARC1; p=quarantine; rua=mailto:dmarc@origin.test"),
    ("ext.test", "v=spf1 ip4:127.0.0.5 -all"),
    ("_dmarc.ext.test", "v=DMARC1; p=none; rua=mailto:agg@reports.test"),
    ("ext.test._report._dmarc.reports.test", "v=DMARC1"),
    ("noauth.test", "v=spf1 ip4:127.0.0.5 -all"),
    ("_dmarc.noauth.test", "v=DMARC1; p=none; rua=mailto:agg@reports.test"),
]


class MailauthReportsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mx = FakeSmtp("127.0.0.1", free_port())
        cls.mx.rcpt_replies["gone@elsewhere.test"] = [
            "550 5.1.1 no such user"]
        route = f"127.0.0.1:{cls.mx.port}"
        cls.pr = Postroom(sections={
            "mailauth": {"timeout": "10s"},
            "relay": {"transport_map": ", ".join(
                f"{d}={route}" for d in ("origin.test", "reports.test",
                                         "elsewhere.test"))},
            "queue": {"run_interval": "2s", "min_backoff": "1s"}})
        cls.pr.add_user("bob@local.test", "bob-pw")
        cls.dns = Dnsmasq(txt=TXT + published_records(cls.pr, "local.test"))
        cls.pr.sections["mailauth"]["dns_server"] = cls.dns.server
        cls.pr.write_conf()
        cls.pr.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        cls.dns.stop()
        cls.mx.stop()
        assert code == 0, f"postroomd exited {code}"

    def send_mx(self, from_domain, ip, subject):
        msg = (f"From: a@{from_domain}\r\nTo: bob@local.test\r\n"
               f"Subject: {subject}\r\n\r\nhello\r\n").encode()
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=60,
                          local_hostname="client.test",
                          source_address=(ip, 0)) as s:
            s.sendmail(f"a@{from_domain}", ["bob@local.test"], msg)

    def wait_mx(self, rcpt, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.mx.lock:
                found = [m for m in self.mx.messages if rcpt in m["rcpts"]]
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"nothing for {rcpt}\n{self.pr.log()[-3000:]}")

    def test_bounce_signed(self):
        msg = (b"From: Bob <bob@local.test>\r\nTo: gone@elsewhere.test\r\n"
               b"Subject: to nobody\r\n\r\nhello\r\n")
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.starttls(context=client_tls_context())
            s.login("bob@local.test", "bob-pw")
            s.sendmail("bob@local.test", ["gone@elsewhere.test"], msg)
        deadline = time.monotonic() + 60
        bounce = None
        while bounce is None and time.monotonic() < deadline:
            for m in self.pr.messages("bob@local.test"):
                if b"MAILER-DAEMON@mx.local.test" in m:
                    bounce = m
            time.sleep(0.1)
        self.assertIsNotNone(bounce, self.pr.log()[-3000:])
        self.assertRegex(bounce, rb"DKIM-Signature: v=1; a=ed25519-sha256;"
                                 rb" c=relaxed/relaxed;\r\n\td=local.test;")
        # without the Return-Path deliver put on top
        data = bounce.split(b"\r\n", 1)[1]
        self.assertEqual(peer("verify", self.dns.server,
                              data=data).decode().split(),
                         ["pass", "pass"])

    def test_dmarc_aggregate_report(self):
        self.send_mx("origin.test", "127.0.0.5", "report pass")
        self.send_mx("origin.test", "127.0.0.5", "report pass 2")
        self.send_mx("origin.test", "127.0.0.8", "report forged")
        self.send_mx("ext.test", "127.0.0.5", "report ext")
        self.send_mx("noauth.test", "127.0.0.5", "report noauth")
        self.pr.wait_messages("bob@local.test", 4)
        reports = os.path.join(self.pr.data, "reports")
        self.assertTrue(any(n.startswith("dmarc-")
                            for n in os.listdir(reports)))
        self.assertIn("report run requested",
                      self.pr.ctl("report", "send-now").stdout)
        mail = self.wait_mx("dmarc@origin.test")[0]["data"]
        msg = message_from_bytes(mail)
        self.assertEqual(msg["From"], "postmaster@local.test")
        self.assertRegex(msg["Subject"], r"^Report Domain: origin\.test "
                                         r"Submitter: mx\.local\.test "
                                         r"Report-ID: <[^>]+>$")
        parts = [p for p in msg.walk()
                 if p.get_content_type() == "application/gzip"]
        self.assertEqual(len(parts), 1)
        self.assertRegex(parts[0].get_filename(),
                         r"^mx\.local\.test!origin\.test!\d+!\d+!.*\.xml\.gz$")
        root = ET.fromstring(gzip.decompress(parts[0].get_payload(
            decode=True)))
        self.assertEqual(root.findtext("policy_published/domain"),
                         "origin.test")
        self.assertEqual(root.findtext("policy_published/p"), "quarantine")
        rows = {r.findtext("row/source_ip"): r for r in root.iter("record")}
        self.assertEqual(rows["127.0.0.5"].findtext("row/count"), "2")
        self.assertEqual(rows["127.0.0.5"].findtext(
            "row/policy_evaluated/disposition"), "none")
        self.assertEqual(rows["127.0.0.5"].findtext(
            "row/policy_evaluated/spf"), "pass")
        self.assertEqual(rows["127.0.0.8"].findtext("row/count"), "1")
        self.assertEqual(rows["127.0.0.8"].findtext(
            "row/policy_evaluated/disposition"), "quarantine")
        self.assertEqual(rows["127.0.0.8"].findtext(
            "auth_results/spf/result"), "fail")
        # signed by local.test, verified by dkimpy
        self.assertEqual(peer("verify", self.dns.server,
                              data=mail).decode().split(), ["pass", "pass"])
        # ext.test authorised reports.test; noauth.test did not
        agg = self.wait_mx("agg@reports.test")
        self.assertEqual(len(agg), 1)
        self.assertIn(b"Report Domain: ext.test", agg[0]["data"])
        log = self.pr.log()
        self.assertRegex(log, r"report-skipped kind=dmarc domain=noauth\.test"
                              r" to=<agg@reports\.test>")
        self.assertRegex(log, r"report-sent kind=dmarc domain=origin\.test "
                              r"to=<dmarc@origin\.test> events=3")
        # the records were used up
        self.assertFalse([n for n in os.listdir(reports)
                          if n.startswith("dmarc-")])
        self.assertFalse(self.pr.sanitizer_reports())


if __name__ == "__main__":
    unittest.main()
