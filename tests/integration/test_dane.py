"""DANE for SMTP (RFC 7672): the relay with [relay] dane = yes looks up the
TLSA records of each MX host and, when the resolver marks the answer
authenticated (the AD bit), requires TLS that matches them (OpenSSL's
DANE). The resolver here is tls_fixtures.AdDns, which plays a validating
resolver: it sets AD on its answers, as unbound does for data it
validated. What this proves: the relay asks with AD and DO, honours the
AD bit and only it, and OpenSSL matches DANE-EE (3 1 1, no name check, a
certificate no CA store trusts) and DANE-TA (2 1 1, the name checked) and
refuses a certificate no record matches (4.7.5, deferred; a TLS-RPT
"tlsa-invalid" record). What it cannot prove: DNSSEC validation itself,
which Postroom leaves to the resolver it is told to trust."""
import os
import shutil
import smtplib
import tempfile
import time
import unittest

from harness import Postroom
from tls_fixtures import AdDns, TestCA, spki_sha256


class DaneTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="postroom-dane-")
        cls.ca = TestCA(cls.tmp)
        cert, key = cls.ca.issue("mx", ["mx.comentum.test",
                                        "mx-ta.comentum.test",
                                        "mx-bad.comentum.test"])
        queue = {"run_interval": "2s", "min_backoff": "1s",
                 "max_backoff": "2s"}
        cls.com = Postroom(hostname="mx.comentum.test", listen="127.0.0.3",
                           main={"tls_cert": cert, "tls_key": key},
                           sections={"queue": queue})
        cls.isp = Postroom(hostname="mx.otherisp.test", listen="127.0.0.2",
                           sections={"queue": queue})
        for domain in ("good.test", "ta.test", "bad.test", "insecure.test"):
            cls.com.add_user(f"bob@{domain}")
        cls.isp.add_user("lisa@otherisp.test", "lisa-pw")
        port = cls.com.port
        ee = spki_sha256(cert)
        wrong = "00" * 32
        records = [("mx.comentum.test", "A", "127.0.0.3"),
                   ("mx-ta.comentum.test", "A", "127.0.0.3"),
                   ("mx-bad.comentum.test", "A", "127.0.0.3"),
                   ("good.test", "MX", (10, "mx.comentum.test")),
                   ("ta.test", "MX", (10, "mx-ta.comentum.test")),
                   ("bad.test", "MX", (10, "mx-bad.comentum.test")),
                   ("insecure.test", "MX", (10, "mx-bad.comentum.test")),
                   (f"_{port}._tcp.mx.comentum.test", "TLSA",
                    (3, 1, 1, ee)),
                   (f"_{port}._tcp.mx-ta.comentum.test", "TLSA",
                    (2, 1, 1, spki_sha256(cls.ca.pem))),
                   (f"_{port}._tcp.mx-bad.comentum.test", "TLSA",
                    (3, 1, 1, wrong)),
                   ("_smtp._tls.bad.test", "TXT",
                    "v=TLSRPTv1; rua=mailto:tls@otherisp.test")]
        cls.dns = AdDns(records)
        cls.isp.sections["relay"] = {
            "dns_server": cls.dns.server, "mx_port": port, "dane": "yes",
            "connect_timeout": "5s", "command_timeout": "10s"}
        cls.isp.sections["mailauth"] = {"dns_server": cls.dns.server}
        cls.com.sections["mailauth"] = {"dns_server": cls.dns.server}
        cls.isp.write_conf()
        cls.com.write_conf()
        cls.com.start()
        cls.isp.start()

    @classmethod
    def tearDownClass(cls):
        try:
            codes = [cls.isp.stop(), cls.com.stop()]
        finally:
            cls.dns.stop()
            cls.isp.cleanup()
            cls.com.cleanup()
            shutil.rmtree(cls.tmp)
        assert codes == [0, 0], f"postroomd exited {codes}"

    def submit(self, rcpt, subject):
        msg = (f"From: Lisa <lisa@otherisp.test>\r\nTo: {rcpt}\r\n"
               f"Subject: {subject}\r\n\r\nhello\r\n").encode()
        with smtplib.SMTP("127.0.0.2", self.isp.submission, timeout=30) as s:
            s.ehlo("client.test")
            s.login("lisa@otherisp.test", "lisa-pw")
            s.sendmail("lisa@otherisp.test", [rcpt], msg)

    def wait_log(self, pattern, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pattern in self.isp.log():
                return
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r}:\n{self.isp.log()[-4000:]}")

    def test_dane_ee_and_ta_verified(self):
        self.submit("bob@good.test", "dane ee")
        self.submit("bob@ta.test", "dane ta")
        self.com.wait_messages("bob@good.test", 1)
        self.com.wait_messages("bob@ta.test", 1)
        log = self.isp.log()
        self.assertRegex(log, r"host=mx\.comentum\.test addr=127\.0\.0\.3 "
                              r"tls=yes verified=yes policy=dane")
        self.assertRegex(log, r"host=mx-ta\.comentum\.test "
                              r"addr=127\.0\.0\.3 tls=yes verified=yes "
                              r"policy=dane")
        # the relay asked with AD and DO
        tlsa = [q for q in self.dns.queries if q[1] == 52]
        self.assertTrue(tlsa)
        self.assertTrue(all(q[2] and q[3] for q in tlsa), tlsa)

    def test_dane_mismatch_refused(self):
        self.submit("bob@bad.test", "dane mismatch")
        self.wait_log("no TLSA record matches the certificate")
        self.assertRegex(self.isp.log(),
                         r"connect-failed dest=mx:bad\.test:\d+ "
                         r"host=mx-bad\.comentum\.test code=421 "
                         r"enhanced=4\.7\.5 text=certificate verify failed:"
                         r" no TLSA record matches the certificate "
                         r"policy=dane")
        self.assertEqual(self.com.messages("bob@bad.test"), [])
        reports = os.path.join(self.isp.data, "reports")
        deadline = time.monotonic() + 10
        text = ""
        while "tlsa-invalid" not in text and time.monotonic() < deadline:
            for name in os.listdir(reports) if os.path.isdir(reports) else []:
                with open(os.path.join(reports, name)) as f:
                    text = f.read()
            time.sleep(0.1)
        self.assertIn("type=tlsa", text)
        self.assertIn("result=tlsa-invalid", text)

    def test_no_ad_no_dane(self):
        # the wrong record again, now answered without AD: not DNSSEC
        # data, so no DANE (§2.2), opportunistic TLS delivers
        self.dns.insecure.add(f"_{self.com.port}._tcp.mx-bad.comentum.test")
        try:
            self.submit("bob@insecure.test", "no ad")
            self.com.wait_messages("bob@insecure.test", 1)
        finally:
            self.dns.insecure.clear()
        self.assertRegex(self.isp.log(), r"host=mx-bad\.comentum\.test "
                                         r"addr=127\.0\.0\.3 tls=yes "
                                         r"verified=no policy=none")


if __name__ == "__main__":
    unittest.main()
