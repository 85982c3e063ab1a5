"""MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) between two postroomd on
loopback, with a test CA the sender trusts ([relay] tls_ca_file) and
dnsmasq for DNS. comentum.test's httpd serves its policy (mode enforce)
at mta-sts.comentum.test; otherisp.test's relay finds the _mta-sts record,
fetches and caches the policy and delivers over verified TLS. Other
domains' policies come from a Python HTTPS server: one in enforce mode
whose MX offers no STARTTLS gets nothing (the relay refuses plaintext and
defers with 4.7.10), one whose MX is not in its policy is not contacted,
one in testing mode is delivered in plaintext and reported. postroomctl
report send-now then sends TLS-RPT reports (gzip'ed JSON) to the rua= of
each domain: the failures to a fake MX, the successes to comentum.test,
whose DKIM check of the report passes."""
import gzip
import json
import os
import shutil
import smtplib
import socket
import ssl
import tempfile
import time
import unittest
from email import message_from_bytes

from harness import Postroom, free_port
from relay_fixtures import Dnsmasq, FakeSmtp
from test_mailauth_dkim import ar_of, published_records
from tls_fixtures import PolicyServer, TestCA

ENFORCE_PLAIN = ("version: STSv1\nmode: enforce\nmx: mx.plain.test\n"
                 "max_age: 86400\n")
ENFORCE_ELSEWHERE = ("version: STSv1\nmode: enforce\nmx: mx.other.test\n"
                     "max_age: 86400\n")
TESTING = ("version: STSv1\r\nmode: testing\r\nmx: *.testing.test\r\n"
           "max_age: 86400\r\n")


class MtaStsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="postroom-sts-")
        cls.ca = TestCA(cls.tmp)
        cert, key = cls.ca.issue("comentum", ["mx.comentum.test",
                                              "mta-sts.comentum.test"])
        queue = {"run_interval": "2s", "min_backoff": "1s",
                 "max_backoff": "2s"}
        cls.com = Postroom(hostname="mx.comentum.test", listen="127.0.0.3",
                           main={"tls_cert": cert, "tls_key": key},
                           sections={"queue": queue, "mailauth": {
                               "mta_sts_mode": "enforce"}})
        cls.isp = Postroom(hostname="mx.otherisp.test", listen="127.0.0.2",
                           sections={"queue": queue})
        cls.com.add_user("bob@comentum.test", "bob-pw")
        cls.isp.add_user("lisa@otherisp.test", "lisa-pw")
        # the other policies: from 127.0.0.4 on comentum's HTTPS port,
        # since the relay fetches from one port ([relay] mta_sts_port)
        names = ["mta-sts.plain.test", "mta-sts.elsewhere.test",
                 "mta-sts.testing.test"]
        pcert, pkey = cls.ca.issue("policies", names)
        cls.policies = PolicyServer("127.0.0.4", cls.com.https, pcert, pkey, {
            "mta-sts.plain.test": ENFORCE_PLAIN,
            "mta-sts.elsewhere.test": ENFORCE_ELSEWHERE,
            "mta-sts.testing.test": TESTING})
        # their MX: no STARTTLS, on the port the relay uses for MX hosts
        cls.plain_mx = FakeSmtp("127.0.0.4", cls.com.port)
        cls.reports_mx = FakeSmtp("127.0.0.1", free_port())
        rua = "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test"
        txt = [("_mta-sts.plain.test", "v=STSv1; id=plain1"),
               ("_mta-sts.elsewhere.test", "v=STSv1; id=else1"),
               ("_mta-sts.testing.test", "v=STSv1; id=testing1"),
               ("_smtp._tls.plain.test", rua),
               ("_smtp._tls.testing.test", rua)]
        txt += published_records(cls.com, "comentum.test")
        txt += published_records(cls.isp, "otherisp.test")
        cls.dns = Dnsmasq(
            mx=[("comentum.test", "mx.comentum.test", 10),
                ("otherisp.test", "mx.otherisp.test", 10),
                ("plain.test", "mx.plain.test", 10),
                ("elsewhere.test", "mx.elsewhere.test", 10),
                ("testing.test", "mx1.testing.test", 10)],
            hosts=[("mx.comentum.test", "127.0.0.3"),
                   ("mta-sts.comentum.test", "127.0.0.3"),
                   ("mx.otherisp.test", "127.0.0.2"),
                   ("mx.plain.test", "127.0.0.4"),
                   ("mx.elsewhere.test", "127.0.0.4"),
                   ("mx1.testing.test", "127.0.0.4"),
                   ("mta-sts.plain.test", "127.0.0.4"),
                   ("mta-sts.elsewhere.test", "127.0.0.4"),
                   ("mta-sts.testing.test", "127.0.0.4")],
            txt=txt)
        cls.isp.sections["relay"] = {
            "dns_server": cls.dns.server, "mx_port": cls.com.port,
            "mta_sts_port": cls.com.https, "tls_ca_file": cls.ca.pem,
            "mta_sts_timeout": "10s", "connect_timeout": "5s",
            "command_timeout": "10s",
            "transport_map": f"reports.test=127.0.0.1:{cls.reports_mx.port}"}
        cls.isp.sections["mailauth"] = {"dns_server": cls.dns.server}
        cls.com.sections["mailauth"]["dns_server"] = cls.dns.server
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
            cls.policies.stop()
            cls.plain_mx.stop()
            cls.reports_mx.stop()
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

    def wait_log(self, pr, pattern, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pattern in pr.log():
                return
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} in the log:\n"
                             f"{pr.log()[-4000:]}")

    def test_a_policy_served_by_httpd(self):
        ctx = ssl.create_default_context(cafile=self.ca.pem)
        for host, want in (("mta-sts.comentum.test", 200),
                           ("mta-sts.unknown.test", 404)):
            # the certificate is checked for mta-sts.comentum.test (SNI)
            with socket.create_connection(("127.0.0.3", self.com.https),
                                          timeout=10) as raw, \
                    ctx.wrap_socket(raw, server_hostname=
                                    "mta-sts.comentum.test") as s:
                s.sendall(f"GET /.well-known/mta-sts.txt HTTP/1.1\r\n"
                          f"Host: {host}\r\nConnection: close\r\n\r\n"
                          .encode())
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            self.assertTrue(head.startswith(f"HTTP/1.1 {want} ".encode()),
                            head)
            if want == 200:
                self.assertIn(b"\r\nContent-Type: text/plain\r\n", head)
                self.assertEqual(body, b"version: STSv1\r\nmode: enforce"
                                       b"\r\nmx: mx.comentum.test\r\n"
                                       b"max_age: 604800\r\n")

    def test_b_enforced_policy_verified_tls(self):
        self.submit("bob@comentum.test", "over verified TLS")
        stored = self.com.wait_messages("bob@comentum.test", 1, timeout=60)
        self.assertIn(b"Subject: over verified TLS", stored[-1])
        log = self.isp.log()
        self.assertRegex(log, r"mta-sts-policy domain=comentum\.test "
                              r"id=[0-9a-f]{20} mode=enforce max_age=604800")
        self.assertRegex(log, r"connected dest=mx:comentum\.test:\d+ "
                              r"host=mx\.comentum\.test addr=127\.0\.0\.3 "
                              r"tls=yes verified=yes policy=sts-enforce")
        cache = os.path.join(self.isp.data, "relay", "mta-sts",
                             "comentum.test")
        with open(cache) as f:
            self.assertIn("mode: enforce", f.read())

    def test_c_enforced_policy_refuses_plaintext(self):
        self.submit("x@plain.test", "never in plaintext")
        self.wait_log(self.isp, "4.7.10")
        self.wait_log(self.isp, "deferred id=")
        with self.plain_mx.lock:
            commands = list(self.plain_mx.commands)
        self.assertTrue(any(c.startswith("EHLO") for c in commands))
        self.assertFalse(any("x@plain.test" in c for c in commands),
                         commands)
        self.assertRegex(self.isp.log(), r"connect-failed dest=mx:plain\."
                                         r"test:\d+ host=mx\.plain\.test "
                                         r"code=451 enhanced=4\.7\.10 .*"
                                         r"policy=sts-enforce")

    def test_d_host_outside_the_policy_not_contacted(self):
        before = self.plain_mx.connections
        self.submit("x@elsewhere.test", "wrong mx")
        self.wait_log(self.isp, "no MX host of elsewhere.test is in its "
                                "MTA-STS policy")
        self.assertIn("mta-sts-mx-mismatch dest=mx:elsewhere.test",
                      self.isp.log())
        time.sleep(1)
        with self.plain_mx.lock:
            self.assertFalse(any("x@elsewhere.test" in c
                                 for c in self.plain_mx.commands))

    def test_e_testing_delivers_and_reports(self):
        self.submit("y@testing.test", "testing mode")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with self.plain_mx.lock:
                if any("y@testing.test" in m["rcpts"]
                       for m in self.plain_mx.messages):
                    break
            time.sleep(0.1)
        else:
            raise AssertionError(self.isp.log()[-4000:])
        self.assertRegex(self.isp.log(), r"host=mx1\.testing\.test "
                                         r"addr=127\.0\.0\.4 tls=no "
                                         r"policy=sts-testing")
        # comentum's earlier delivery and these failures: reports now
        self.isp.ctl("report", "send-now")
        report = self.wait_report("tlsrpt@reports.test", "testing.test")
        policy = report["policies"][0]
        self.assertEqual(policy["policy"]["policy-type"], "sts")
        self.assertEqual(policy["policy"]["policy-domain"], "testing.test")
        self.assertEqual(policy["policy"]["policy-string"],
                         ["version: STSv1", "mode: testing",
                          "mx: *.testing.test", "max_age: 86400"])
        self.assertEqual(policy["policy"]["mx-host"], ["*.testing.test"])
        self.assertGreaterEqual(
            policy["summary"]["total-failure-session-count"], 1)
        details = {d["result-type"] for d in policy["failure-details"]}
        self.assertIn("starttls-not-supported", details)
        plain = self.wait_report("tlsrpt@reports.test", "plain.test")
        self.assertEqual(plain["policies"][0]["failure-details"][0]
                         ["result-type"], "starttls-not-supported")
        # comentum.test reports to its postmaster (bob, the first account)
        deadline = time.monotonic() + 60
        stored = None
        while stored is None and time.monotonic() < deadline:
            for m in self.com.messages("bob@comentum.test"):
                if b"TLS-Report-Domain: comentum.test" in m:
                    stored = m
            time.sleep(0.1)
        self.assertIsNotNone(stored, self.isp.log()[-3000:])
        self.assertRegex(ar_of(stored), r"dkim=pass \(\d+-bit \w+ key\) "
                                        r"header\.d=otherisp\.test")
        msg = message_from_bytes(stored)
        part = [p for p in msg.walk()
                if p.get_content_type() == "application/tlsrpt+gzip"][0]
        data = json.loads(gzip.decompress(part.get_payload(decode=True)))
        self.assertGreaterEqual(data["policies"][0]["summary"]
                                ["total-successful-session-count"], 1)
        self.assertFalse(self.isp.sanitizer_reports())

    def wait_report(self, rcpt, domain):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with self.reports_mx.lock:
                for m in self.reports_mx.messages:
                    if rcpt in m["rcpts"] and \
                            f"TLS-Report-Domain: {domain}\r\n".encode() \
                            in m["data"]:
                        msg = message_from_bytes(m["data"])
                        self.assertEqual(msg.get_param("report-type"),
                                         "tlsrpt")
                        part = [p for p in msg.walk()
                                if p.get_content_type() ==
                                "application/tlsrpt+gzip"][0]
                        return json.loads(gzip.decompress(
                            part.get_payload(decode=True)))
            time.sleep(0.1)
        raise AssertionError(f"no report for {domain}\n"
                             f"{self.isp.log()[-4000:]}")


if __name__ == "__main__":
    unittest.main()
