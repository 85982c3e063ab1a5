"""SPF (RFC 7208) results of smtpd, read from its Authentication-Results,
equal pyspf's (python3-spf) on a table of records served by dnsmasq: ip4
and cidr, a, mx, ptr, exists with macros, include, redirect, the HELO
identity of a null sender, the 10-look-up limit, the 2-void-look-up limit,
syntax errors and several records. Clients connect from different loopback
addresses (127.0.0.5 ... 127.0.0.9)."""
import json
import os
import re
import smtplib
import subprocess
import unittest

from harness import Postroom
from relay_fixtures import Dnsmasq

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "mailauth_peer.py")

HOSTS = [("mail.spf.test", "127.0.0.5"), ("mx1.spf.test", "127.0.0.6"),
         ("mx2.spf.test", "127.0.0.7"), ("other.spf.test", "127.0.0.9"),
         ("127.0.0.5.ex.spf.test", "127.0.0.2"),
         ("x.spf.test.lp.spf.test", "127.0.0.2")]
MX = [("mx.spf.test", "mx1.spf.test", 10), ("mx.spf.test", "mx2.spf.test", 20),
      ("mxcidr.spf.test", "mx1.spf.test", 10)]
TXT = [
    ("ip4.spf.test", "v=spf1 ip4:127.0.0.5 -all"),
    ("cidr.spf.test", "v=spf1 ip4:127.0.0.0/29 ~all"),
    ("a.spf.test", "v=spf1 a:mail.spf.test -all"),
    ("acidr.spf.test", "v=spf1 a:mail.spf.test/30 -all"),
    ("mx.spf.test", "v=spf1 mx -all"),
    ("mxcidr.spf.test", "v=spf1 mx/24 -all"),
    ("ptr.spf.test", "v=spf1 ptr:spf.test -all"),
    ("exists.spf.test", "v=spf1 exists:%{i}.ex.spf.test -all"),
    ("macro.spf.test", "v=spf1 exists:%{l}.%{d2}.lp.spf.test -all"),
    ("include.spf.test", "v=spf1 include:ip4.spf.test ?all"),
    ("incnone.spf.test", "v=spf1 include:nospf.spf.test -all"),
    ("redirect.spf.test", "v=spf1 redirect=ip4.spf.test"),
    ("rednone.spf.test", "v=spf1 redirect=nospf.spf.test"),
    ("ten.spf.test", "v=spf1 " + "a:mail.spf.test " * 10 + "-all"),
    ("eleven.spf.test", "v=spf1 " + "a:mail.spf.test " * 11 + "-all"),
    ("twovoid.spf.test",
     "v=spf1 a:void1.spf.test a:void2.spf.test -all"),
    ("threevoid.spf.test",
     "v=spf1 a:void1.spf.test a:void2.spf.test a:void3.spf.test -all"),
    ("syntax.spf.test", "v=spf1 ip4:127.0.0.5 foo:bar -all"),
    ("multi.spf.test", "v=spf1 -all"),
    ("multi.spf.test", "v=spf1 +all"),
    ("softall.spf.test", "v=spf1 ~all"),
    ("neutral.spf.test", "v=spf1"),
]
# (client address, MAIL FROM, HELO)
CASES = [
    ("127.0.0.5", "x@ip4.spf.test", "c.test"),
    ("127.0.0.8", "x@ip4.spf.test", "c.test"),
    ("127.0.0.5", "x@cidr.spf.test", "c.test"),
    ("127.0.0.9", "x@cidr.spf.test", "c.test"),
    ("127.0.0.5", "x@a.spf.test", "c.test"),
    ("127.0.0.6", "x@a.spf.test", "c.test"),
    ("127.0.0.6", "x@acidr.spf.test", "c.test"),
    ("127.0.0.8", "x@acidr.spf.test", "c.test"),
    ("127.0.0.6", "x@mx.spf.test", "c.test"),
    ("127.0.0.7", "x@mx.spf.test", "c.test"),
    ("127.0.0.5", "x@mx.spf.test", "c.test"),
    ("127.0.0.8", "x@mxcidr.spf.test", "c.test"),
    ("127.0.0.5", "x@ptr.spf.test", "c.test"),
    ("127.0.0.8", "x@ptr.spf.test", "c.test"),
    ("127.0.0.5", "x@exists.spf.test", "c.test"),
    ("127.0.0.6", "x@exists.spf.test", "c.test"),
    ("127.0.0.5", "x@macro.spf.test", "c.test"),
    ("127.0.0.5", "y@macro.spf.test", "c.test"),
    ("127.0.0.5", "x@include.spf.test", "c.test"),
    ("127.0.0.8", "x@include.spf.test", "c.test"),
    ("127.0.0.8", "x@incnone.spf.test", "c.test"),
    ("127.0.0.5", "x@redirect.spf.test", "c.test"),
    ("127.0.0.8", "x@redirect.spf.test", "c.test"),
    ("127.0.0.8", "x@rednone.spf.test", "c.test"),
    ("127.0.0.8", "x@ten.spf.test", "c.test"),
    ("127.0.0.8", "x@eleven.spf.test", "c.test"),
    ("127.0.0.8", "x@twovoid.spf.test", "c.test"),
    ("127.0.0.8", "x@threevoid.spf.test", "c.test"),
    ("127.0.0.5", "x@syntax.spf.test", "c.test"),
    ("127.0.0.8", "x@multi.spf.test", "c.test"),
    ("127.0.0.8", "x@softall.spf.test", "c.test"),
    ("127.0.0.8", "x@neutral.spf.test", "c.test"),
    ("127.0.0.8", "x@nospf.spf.test", "c.test"),
    ("127.0.0.5", "", "ip4.spf.test"),  # null sender: the HELO identity
    ("127.0.0.8", "", "ip4.spf.test"),
]


class MailauthSpfTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = Dnsmasq(mx=MX, hosts=HOSTS, txt=TXT)
        cls.pr = Postroom(sections={"mailauth": {
            "dns_server": cls.dns.server, "timeout": "10s"}}).start()
        cls.pr.add_user("bob@local.test")

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        cls.dns.stop()
        assert code == 0, f"postroomd exited {code}"

    def ours(self):
        """Sends one message per case; returns smtpd's SPF results."""
        for i, (ip, sender, helo) in enumerate(CASES):
            with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=60,
                              local_hostname=helo,
                              source_address=(ip, 0)) as s:
                s.sendmail(sender, ["bob@local.test"],
                           f"Subject: case {i}\r\n\r\nx\r\n".encode())
        stored = self.pr.wait_messages("bob@local.test", len(CASES))
        results = {}
        for m in stored:
            case = int(re.search(rb"Subject: case (\d+)", m).group(1))
            spf = re.search(rb"spf=(\w+)", m).group(1).decode()
            results[case] = spf
        return [results[i] for i in range(len(CASES))]

    def pyspf(self):
        proc = subprocess.run(["/usr/bin/python3", PEER, "spf",
                               self.dns.server],
                              input=json.dumps(CASES).encode(),
                              capture_output=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        return json.loads(proc.stdout)

    def test_results_equal_pyspf(self):
        theirs = self.pyspf()
        ours = self.ours()
        # the table covers every result
        self.assertEqual(set(theirs), {"pass", "fail", "softfail",
                                       "neutral", "none", "permerror"})
        for i, case in enumerate(CASES):
            with self.subTest(case=case):
                self.assertEqual(ours[i], theirs[i])
        self.assertFalse(self.pr.sanitizer_reports())


if __name__ == "__main__":
    unittest.main()
