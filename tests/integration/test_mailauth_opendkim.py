"""The OpenDKIM tools (opendkim-tools) as independent checks. libopendkim
resolves through libunbound, which takes a configuration file: one that
forwards every query to the test's dnsmasq (and lifts unbound's built-in
refusal of the special-use .test, RFC 6761) lets the tools run against
loopback instead of the system resolver.
- opendkim-testkey: the RSA key record postroomctl dns publishes matches
  the private key smtpd signs with ("key OK"), and another key does not.
- opendkim-testmsg: it signs with rsa-sha1, which RFC 8301 §3.1 says
  verifiers must not accept; our verdict is dkim=permerror saying so."""
import glob
import os
import re
import shutil
import smtplib
import subprocess
import tempfile
import unittest

from harness import Postroom
from relay_fixtures import Dnsmasq
from test_mailauth_dkim import ar_of, published_records

TESTKEY = "/usr/sbin/opendkim-testkey"
TESTMSG = "/usr/sbin/opendkim-testmsg"


@unittest.skipUnless(os.path.exists(TESTKEY) and os.path.exists(TESTMSG),
                     "opendkim-tools not installed")
class OpenDkimTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="postroom-opendkim-")
        cls.pr = Postroom(sections={"mailauth": {"timeout": "10s"}})
        cls.pr.add_user("bob@local.test")
        cls.dns = Dnsmasq(txt=published_records(cls.pr, "local.test"))
        cls.pr.sections["mailauth"]["dns_server"] = cls.dns.server
        cls.pr.write_conf()
        cls.pr.start()
        unbound = os.path.join(cls.tmp, "unbound.conf")
        with open(unbound, "w") as f:
            f.write("server:\n  do-not-query-localhost: no\n"
                    "  local-zone: \"test.\" nodefault\n"
                    "  domain-insecure: \"test\"\n"
                    "forward-zone:\n  name: \".\"\n"
                    f"  forward-addr: 127.0.0.1@{cls.dns.port}\n")
        cls.conf = os.path.join(cls.tmp, "opendkim.conf")
        with open(cls.conf, "w") as f:
            f.write(f"ResolverConfiguration {unbound}\n")

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        cls.dns.stop()
        shutil.rmtree(cls.tmp)
        assert code == 0, f"postroomd exited {code}"

    def run_testkey(self, selector, keyfile):
        return subprocess.run([TESTKEY, "-d", "local.test", "-s", selector,
                               "-k", keyfile, "-x", self.conf, "-vvv"],
                              capture_output=True, text=True, timeout=60)

    def test_published_rsa_key_matches(self):
        keys = glob.glob(os.path.join(self.pr.data, "dkim", "local.test",
                                      "r*.key"))
        self.assertEqual(len(keys), 1, keys)
        selector = os.path.basename(keys[0])[:-4]
        proc = self.run_testkey(selector, keys[0])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("key OK", proc.stdout + proc.stderr)
        other = os.path.join(self.tmp, "other.key")
        subprocess.run(["openssl", "genrsa", "-out", other, "2048"],
                       check=True, capture_output=True)
        os.chmod(other, 0o600)
        proc = self.run_testkey(selector, other)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("keys do not match", proc.stdout + proc.stderr)

    def test_rsa_sha1_signature_refused(self):
        key = os.path.join(self.tmp, "sha1.key")
        subprocess.run(["openssl", "genrsa", "-out", key, "2048"],
                       check=True, capture_output=True)
        msg = (b"From: a@sender.test\r\nTo: bob@local.test\r\n"
               b"Subject: signed by opendkim\r\n"
               b"Date: Mon, 4 Mar 2024 10:00:00 +0000\r\n"
               b"Message-ID: <odk-1@sender.test>\r\n\r\nbody\r\n")
        proc = subprocess.run([TESTMSG, "-d", "sender.test", "-s", "odk",
                               "-k", key], input=msg, capture_output=True,
                              timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        signed = proc.stdout.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        self.assertRegex(signed, rb"^DKIM-Signature: v=1; a=rsa-sha1;")
        before = len(self.pr.messages("bob@local.test"))
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=60) as s:
            s.sendmail("a@sender.test", ["bob@local.test"], signed)
        stored = self.pr.wait_messages("bob@local.test", before + 1)[-1]
        self.assertRegex(ar_of(stored),
                         r"dkim=permerror \(rsa-sha1 is not accepted "
                         r"RFC 8301\)")


if __name__ == "__main__":
    unittest.main()
