"""DKIM both ways against dkimpy (python3-dkim), with the key records served
by dnsmasq: what smtpd signs on submission (Ed25519 and RSA-2048, from the
keys postroomctl made) verifies with dkimpy through the records postroomctl
dns prints, and what dkimpy signs verifies here (Authentication-Results),
while a changed body, a 512-bit key and an l= that leaves text unsigned do
not pass. Rotation keeps the old record published and signs with the new
keys."""
import base64
import os
import re
import shutil
import smtplib
import subprocess
import tempfile
import unittest

from harness import POSTROOMCTL, Postroom, body_of, client_tls_context
from relay_fixtures import Dnsmasq

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "mailauth_peer.py")
SYSTEM_PYTHON = "/usr/bin/python3"


def peer(*args, data=b""):
    proc = subprocess.run([SYSTEM_PYTHON, PEER, *args], input=data,
                          capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError(f"peer {args[0]}: {proc.stderr.decode()}")
    return proc.stdout


def published_records(pr, domain):
    """(name, text) of every TXT record postroomctl dns prints."""
    out = pr.ctl("dns", domain).stdout
    records = []
    for line in out.splitlines():
        m = re.match(r'^(\S+)\.\s+\d+ IN TXT\s+(.*)$', line)
        if m:
            text = "".join(re.findall(r'"([^"]*)"', m.group(2)))
            records.append((m.group(1), text))
    return records


def ar_of(stored):
    """The unfolded Authentication-Results field at the top."""
    m = re.search(rb"^Authentication-Results: (.*?)\r\n(?![ \t])", stored,
                  re.M | re.S)
    return re.sub(rb"\r\n[ \t]+", b" ", m.group(1)).decode() if m else None


class MailauthDkimTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = tempfile.mkdtemp(prefix="postroom-dkim-")
        txt = []
        for name, ktype in (("ed1", "ed25519"), ("rsa1", "rsa")):
            subprocess.run(["dknewkey", "--ktype", ktype,
                            os.path.join(cls.keys, name)], check=True,
                           capture_output=True)
            with open(os.path.join(cls.keys, name + ".dns")) as f:
                txt.append((f"{name}._domainkey.sender.test",
                            f.read().strip()))
        short = os.path.join(cls.keys, "short.key")
        subprocess.run(["openssl", "genrsa", "-out", short, "512"],
                       check=True, capture_output=True)
        der = subprocess.run(["openssl", "rsa", "-in", short, "-pubout",
                              "-outform", "DER"], check=True,
                             capture_output=True).stdout
        txt.append(("short._domainkey.sender.test",
                    "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()))
        cls.dns = Dnsmasq(txt=txt)
        cls.pr = Postroom(sections={"mailauth": {
            "dns_server": cls.dns.server, "timeout": "5s"}}).start()
        cls.pr.add_user("bob@local.test")
        cls.pr.add_user("lisa@local.test", "lisa-pw")

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        cls.dns.stop()
        shutil.rmtree(cls.keys)
        assert code == 0, f"postroomd exited {code}"

    def submit(self, subject, body=b"", extra=b""):
        before = len(self.pr.messages("bob@local.test"))
        msg = extra + (
            f"From: Lisa <lisa@local.test>\r\nTo: bob@local.test\r\n"
            f"Subject: {subject}\r\n\r\nHello  Bob,\r\n\r\nsee you.\r\n"
        ).encode() + body
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.starttls(context=client_tls_context())
            s.login("lisa@local.test", "lisa-pw")
            s.sendmail("lisa@local.test", ["bob@local.test"], msg)
        return self.pr.wait_messages("bob@local.test", before + 1)[-1]

    def verify_with_dkimpy(self, stored):
        """dkimpy's verdict on each signature, with our published records
        served by a dnsmasq of their own."""
        dns = Dnsmasq(txt=published_records(self.pr, "local.test"))
        try:
            return peer("verify", dns.server,
                        data=stored.split(b"\r\n", 1)[1]).decode().split()
        finally:
            dns.stop()

    def send_mx(self, msg, sender="x@sender.test"):
        before = len(self.pr.messages("bob@local.test"))
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=60) as s:
            s.sendmail(sender, ["bob@local.test"], msg)
        return self.pr.wait_messages("bob@local.test", before + 1)[-1]

    def test_submission_signed_verifies_with_dkimpy(self):
        stored = self.submit("signed")
        sigs = re.findall(rb"^DKIM-Signature: (.*?)\r\n(?![ \t])", stored,
                          re.M | re.S)
        self.assertEqual(len(sigs), 2, stored)
        algs = sorted(re.search(rb"a=([\w-]+)", s).group(1) for s in sigs)
        self.assertEqual(algs, [b"ed25519-sha256", b"rsa-sha256"])
        for s in sigs:
            h = re.search(rb"h=([^;]*);", s).group(1).replace(b"\r\n\t", b"")
            self.assertTrue(h.startswith(b"from:from:"), h)
            self.assertIn(b"d=local.test", s)
        self.assertEqual(self.verify_with_dkimpy(stored), ["pass", "pass"])
        # a changed body does not verify
        changed = stored.replace(b"see you.", b"see you!")
        self.assertEqual(self.verify_with_dkimpy(changed), ["fail", "fail"])

    def dns_check(self, dns):
        """postroomctl dns check local.test with dns as the resolver."""
        conf = os.path.join(self.pr.tmp, "check.conf")
        with open(self.pr.conf) as f:
            text = f.read().replace(self.dns.server, dns.server)
        with open(conf, "w") as f:
            f.write(text)
        return subprocess.run([POSTROOMCTL, "-c", conf, "dns", "check",
                               "local.test"], capture_output=True,
                              text=True, timeout=60, env=self.pr.env())

    def test_dns_check(self):
        records = published_records(self.pr, "local.test")
        mx = [("local.test", "mx.local.test", 10)]
        # the policy's host (a CNAME to the MX in the printed records)
        hosts = [("mta-sts.local.test", "127.0.0.1")]
        dns = Dnsmasq(txt=records, mx=mx, hosts=hosts)
        try:
            proc = self.dns_check(dns)
        finally:
            dns.stop()
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        lines = proc.stdout.splitlines()
        # MX, SPF, two DKIM keys, DMARC, MTA-STS record and host, TLS-RPT
        self.assertEqual(len(lines), 8, proc.stdout)
        self.assertTrue(all(l.startswith("ok") for l in lines), lines)
        # no DMARC record, someone else's DKIM key, two SPF records
        broken = [(n, t) for n, t in records if not n.startswith("_dmarc")]
        broken = [(n, t if "k=ed25519" not in t else
                   "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
                  for n, t in broken]
        broken.append(("local.test", "v=spf1 -all"))
        # an MTA-STS id of an older policy, no TLS-RPT record
        broken = [(n, "v=STSv1; id=older" if n.startswith("_mta-sts") else
                   t) for n, t in broken if not n.startswith("_smtp._tls")]
        dns = Dnsmasq(txt=broken, mx=mx)
        try:
            proc = self.dns_check(dns)
        finally:
            dns.stop()
        self.assertEqual(proc.returncode, 1, proc.stdout)
        self.assertRegex(proc.stdout, r"MISSING .*DMARC _dmarc\.local\.test")
        self.assertRegex(proc.stdout, r"WRONG .*DKIM e\w+\._domainkey\.local"
                                      r"\.test: the published key is not")
        self.assertRegex(proc.stdout, r"WRONG .*SPF local\.test: 2 SPF")
        self.assertRegex(proc.stdout, r"WRONG .*MTA-STS _mta-sts\.local\.test:"
                                      r" id=older, but the policy served "
                                      r"now has id=[0-9a-f]{20}")
        self.assertRegex(proc.stdout, r"MISSING .*MTA-STS mta-sts\.local\."
                                      r"test: publish mta-sts\.local\.test\. "
                                      r"CNAME mx\.local\.test\.")
        self.assertRegex(proc.stdout, r"MISSING .*TLS-RPT _smtp\._tls\.local"
                                      r"\.test: publish TXT \"v=TLSRPTv1; "
                                      r"rua=mailto:postmaster@local\.test\"")

    def test_submission_cannot_forge_our_results(self):
        # a user may not hand another our verdict (RFC 8601 §5)
        stored = self.submit("forged verdict", extra=(
            b"Authentication-Results: mx.local.test; dkim=pass "
            b"header.d=bank.test\r\n"))
        self.assertNotIn(b"bank.test", stored)
        self.assertEqual(self.verify_with_dkimpy(stored), ["pass", "pass"])

    def test_large_submission_signed_in_place(self):
        # past the queue writer's buffer: the signatures fill the room
        # smtpd reserved before the body, nothing is copied
        body = b"".join(b"line %06d of a long report\r\n" % i
                        for i in range(20000))
        stored = self.submit("large", body)
        self.assertTrue(stored.endswith(body))
        self.assertEqual(self.verify_with_dkimpy(stored), ["pass", "pass"])

    def test_dkimpy_signatures_verify_here(self):
        msg = (b"From: Xavier <x@sender.test>\r\nTo: bob@local.test\r\n"
               b"Subject: from dkimpy\r\nDate: Mon, 7 Dec 2026 10:00:00 "
               b"+0000\r\nMessage-ID: <1@sender.test>\r\n\r\n"
               b"Hi Bob,  two   spaces.\r\n\r\n")
        signed = msg
        for sel, alg in (("ed1", "ed25519-sha256"), ("rsa1", "rsa-sha256")):
            signed = peer("sign", "sender.test", sel,
                          os.path.join(self.keys, sel + ".key"), alg,
                          data=msg) + signed
        ar = ar_of(self.send_mx(signed))
        self.assertIsNotNone(ar)
        self.assertRegex(ar, r"dkim=pass \(256-bit ed25519 key\) "
                             r"header\.d=sender\.test header\.s=ed1")
        self.assertRegex(ar, r"dkim=pass \(2048-bit rsa key\) "
                             r"header\.d=sender\.test header\.s=rsa1")
        # the body changed on the way
        ar = ar_of(self.send_mx(signed.replace(b"two   spaces",
                                               b"three spaces")))
        self.assertEqual(ar.count("dkim=fail (body hash did not verify)"),
                         2, ar)

    def test_short_key_and_length_tag(self):
        msg = (b"From: x@sender.test\r\nTo: bob@local.test\r\n"
               b"Subject: weak\r\n\r\nbody\r\n")
        signed = peer("sign", "sender.test", "short",
                      os.path.join(self.keys, "short.key"), "rsa-sha256",
                      data=msg) + msg
        ar = ar_of(self.send_mx(signed))
        self.assertIn("dkim=permerror (key too short) header.d=sender.test",
                      ar)
        # l= covers the body as signed; text appended after it is not
        signed = peer("sign", "sender.test", "ed1",
                      os.path.join(self.keys, "ed1.key"), "ed25519-sha256",
                      "length", data=msg) + msg
        self.assertIn(b"l=", signed)
        ar = ar_of(self.send_mx(signed + b"appended by someone else\r\n"))
        self.assertIn("dkim=policy (l= leaves part of the body unsigned)",
                      ar)
        ar = ar_of(self.send_mx(signed))
        self.assertIn("dkim=pass", ar)

    def test_rotate_keeps_old_record_and_signs_with_new(self):
        before = {n for n, _ in published_records(self.pr, "local.test")
                  if "_domainkey" in n}
        self.assertEqual(len(before), 2)
        out = self.pr.ctl("dkim", "rotate", "local.test").stdout
        self.assertEqual(out.count("retired"), 2, out)
        after = {n for n, _ in published_records(self.pr, "local.test")
                 if "_domainkey" in n}
        self.assertEqual(len(after), 4)
        self.assertTrue(before < after)
        listing = self.pr.ctl("dkim", "list", "local.test").stdout
        self.assertEqual(listing.count(" active"), 2, listing)
        self.assertEqual(listing.count(" retired-until "), 2, listing)
        stored = self.submit("after the rotation")
        selectors = set(re.findall(rb"s=([\w]+);", stored))
        new = {n.split(".")[0].encode() for n in after - before}
        self.assertEqual(selectors, new)
        self.assertEqual(self.verify_with_dkimpy(stored), ["pass", "pass"])
        self.assertFalse(self.pr.sanitizer_reports())


if __name__ == "__main__":
    unittest.main()
