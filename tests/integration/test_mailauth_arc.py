"""ARC (RFC 8617) both ways against dkimpy (python3-dkim), the keys served
by dnsmasq. Inbound on port 25: a chain dkimpy sealed validates here
(arc=pass in Authentication-Results), a changed body or an unknown key does
not, and a forwarded message whose From domain says p=reject is accepted
when a trusted sealer's chain passes (arc_trusted_sealers), refused with
550 5.7.1 otherwise. Outbound: mail an alias forwards to another domain
leaves with our ARC set, which dkimpy's arcverify passes, alone (i=1) and
on top of a chain that came in (i=2); so does a copy a Sieve redirect
(postroomctl account forward) sends on, sealed by deliver."""
import base64
import os
import re
import shutil
import smtplib
import subprocess
import tempfile
import time
import unittest

from harness import Postroom, free_port
from relay_fixtures import Dnsmasq, FakeSmtp
from test_mailauth_dkim import ar_of, peer, published_records

TXT = [
    ("origin.test", "v=spf1 ip4:127.0.0.5 -all"),
    ("_dmarc.origin.test", "v=DMARC1; p=reject"),
]


def rsa_key(path):
    subprocess.run(["openssl", "genrsa", "-out", path, "2048"], check=True,
                   capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", path, "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


class MailauthArcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = tempfile.mkdtemp(prefix="postroom-arc-")
        txt = list(TXT)
        for sealer in ("forwarder.test", "untrusted.test"):
            path = os.path.join(cls.keys, sealer + ".key")
            txt.append((f"arc._domainkey.{sealer}", rsa_key(path)))
        cls.peer_smtp = FakeSmtp("127.0.0.1", free_port())
        cls.pr = Postroom(sections={
            "mailauth": {"arc_trusted_sealers": "forwarder.test",
                         "timeout": "10s"},
            "relay": {"transport_map":
                      f"elsewhere.test=127.0.0.1:{cls.peer_smtp.port}"},
            "queue": {"run_interval": "2s", "min_backoff": "1s"}})
        cls.pr.add_user("bob@local.test")
        cls.pr.add_user("dora@local.test")
        # local.test's keys exist now: publish what postroomctl dns prints
        cls.dns = Dnsmasq(txt=txt + published_records(cls.pr, "local.test"))
        cls.pr.sections["mailauth"]["dns_server"] = cls.dns.server
        cls.pr.write_conf()
        cls.pr.start()
        cls.pr.ctl("alias", "add", "fwd@local.test", "carl@elsewhere.test")
        cls.pr.ctl("account", "forward", "dora@local.test",
                   "dave@elsewhere.test")

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        cls.dns.stop()
        cls.peer_smtp.stop()
        shutil.rmtree(cls.keys)
        assert code == 0, f"postroomd exited {code}"

    def message(self, subject, body=b"Hello,\r\n  forwarded  text.\r\n"):
        return (f"From: Ann <ann@origin.test>\r\nTo: list@forwarder.test\r\n"
                f"Subject: {subject}\r\nDate: Mon, 4 Mar 2024 10:00:00 +0000"
                f"\r\nMessage-ID: <{abs(hash(subject))}@origin.test>\r\n"
                f"\r\n").encode() + body

    def sealed(self, msg, sealer):
        """msg as the forwarder passed it on: its verdict on top, sealed
        by dkimpy with sealer's key."""
        msg = (b"Authentication-Results: mx." + sealer.encode() +
               b";\r\n\tspf=pass smtp.mailfrom=ann@origin.test;\r\n"
               b"\tdmarc=pass header.from=origin.test\r\n" + msg)
        arc = peer("arcsign", sealer, "arc",
                   os.path.join(self.keys, sealer + ".key"), "mx." + sealer,
                   data=msg)
        return arc + msg

    def send(self, msg, rcpt="bob@local.test", ip="127.0.0.8",
             sender="list@forwarder.test"):
        """Returns None when accepted, else (code, text)."""
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=60,
                          local_hostname="mx.forwarder.test",
                          source_address=(ip, 0)) as s:
            try:
                s.sendmail(sender, [rcpt], msg)
            except smtplib.SMTPDataError as e:
                return e.smtp_code, e.smtp_error.decode()
        return None

    def stored(self, subject):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for m in self.pr.messages("bob@local.test"):
                if f"Subject: {subject}\r\n".encode() in m:
                    return m
            time.sleep(0.05)
        raise AssertionError(f"{subject} not delivered\n{self.pr.log()}")

    def forwarded(self, subject):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with self.peer_smtp.lock:
                for m in self.peer_smtp.messages:
                    if f"Subject: {subject}\r\n".encode() in m["data"]:
                        return m["data"]
            time.sleep(0.1)
        raise AssertionError(f"{subject} not forwarded\n{self.pr.log()}")

    def test_trusted_sealer_overrides_dmarc_reject(self):
        # forwarded from 127.0.0.8: SPF of origin.test fails, no DKIM, so
        # DMARC fails at a p=reject domain; forwarder.test vouches
        msg = self.sealed(self.message("arc trusted"), "forwarder.test")
        self.assertIsNone(self.send(msg))
        ar = ar_of(self.stored("arc trusted"))
        self.assertIn("arc=pass (i=1 d=forwarder.test) "
                      "smtp.remote-ip=127.0.0.8", ar)
        self.assertIn("dmarc=fail (p=reject dis=none "
                      "arc-override=forwarder.test) header.from=origin.test",
                      ar)
        self.assertIn("arc_override=forwarder.test", self.pr.log())

    def test_untrusted_sealer_refused(self):
        msg = self.sealed(self.message("arc untrusted"), "untrusted.test")
        refusal = self.send(msg)
        self.assertIsNotNone(refusal)
        self.assertEqual(refusal[0], 550)
        self.assertTrue(refusal[1].startswith("5.7.1 "), refusal)

    def test_broken_chains_fail(self):
        msg = self.sealed(self.message("arc changed"), "forwarder.test")
        changed = msg.replace(b"forwarded  text", b"altered text")
        refusal = self.send(changed)
        self.assertEqual(refusal[0], 550, refusal)
        # the same on a domain without DMARC policy: delivered, arc=fail
        msg = self.sealed(self.message("arc changed 2").replace(
            b"ann@origin.test", b"ann@nodmarc.test"), "forwarder.test")
        self.assertIsNone(self.send(msg.replace(b"forwarded  text",
                                                b"altered text")))
        ar = ar_of(self.stored("arc changed 2"))
        self.assertRegex(ar, r"arc=fail \(ARC-Message-Signature i=1: body "
                             r"hash did not verify\)")
        # a seal whose key is not published
        msg = self.sealed(self.message("arc no key").replace(
            b"ann@origin.test", b"ann@nodmarc.test"), "forwarder.test")
        self.assertIsNone(self.send(msg.replace(b"s=arc;", b"s=gone;", 1)))
        self.assertIn("arc=fail", ar_of(self.stored("arc no key")))
        self.assertFalse(self.pr.sanitizer_reports())

    def test_forwarded_mail_sealed_for_dkimpy(self):
        # passes SPF here (127.0.0.5), then goes on through the alias
        self.assertIsNone(self.send(self.message("arc forward"),
                                    rcpt="fwd@local.test", ip="127.0.0.5",
                                    sender="ann@origin.test"))
        data = self.forwarded("arc forward")
        self.assertTrue(data.startswith(b"ARC-Seal: i=1; a=rsa-sha256; "),
                        data[:200])
        self.assertIn(b"cv=none", data.split(b"\r\n", 1)[0])
        self.assertIn(b"ARC-Authentication-Results: i=1; mx.local.test;", data)
        verdict = peer("arcverify", self.dns.server, data=data).decode()
        self.assertTrue(verdict.startswith("pass"), verdict)
        self.assertIn("arc-sealed domain=local.test cv=none", self.pr.log())

    def test_forwarded_chain_resealed_for_dkimpy(self):
        # a chain from forwarder.test comes in, we add i=2 with cv=pass
        msg = self.sealed(self.message("arc reseal"), "forwarder.test")
        self.assertIsNone(self.send(msg, rcpt="fwd@local.test"))
        data = self.forwarded("arc reseal")
        self.assertTrue(data.startswith(b"ARC-Seal: i=2; a=rsa-sha256; "),
                        data[:200])
        self.assertIn(b"cv=pass", data.split(b"\r\n", 1)[0])
        verdict = peer("arcverify", self.dns.server, data=data).decode()
        self.assertTrue(verdict.startswith("pass"), verdict)
        # and changed on the way, dkimpy sees the break
        bad = data.replace(b"forwarded  text", b"forwarded text!")
        verdict = peer("arcverify", self.dns.server, data=bad).decode()
        self.assertTrue(verdict.startswith("fail"), verdict)


    def test_sieve_redirect_sealed_for_dkimpy(self):
        self.assertIsNone(self.send(self.message("arc sieve"),
                                    rcpt="dora@local.test", ip="127.0.0.5",
                                    sender="ann@origin.test"))
        data = self.forwarded("arc sieve")
        self.assertTrue(data.startswith(b"ARC-Seal: i=1; a=rsa-sha256; "),
                        data[:300])
        self.assertIn(b"\r\nDelivered-To: dora@local.test\r\n", data)
        verdict = peer("arcverify", self.dns.server, data=data).decode()
        self.assertTrue(verdict.startswith("pass"), verdict)
        self.assertRegex(self.pr.log(), r"deliver\[\d+\]: info: arc-sealed "
                                        r"id=\w+ domain=local\.test cv=none")


if __name__ == "__main__":
    unittest.main()
