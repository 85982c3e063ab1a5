"""DMARC (RFC 7489) as smtpd applies it on port 25, with the records served
by dnsmasq: pass and fail per alignment mode (relaxed and strict, SPF and
DKIM), the organisational domain's record for a subdomain, a forged From at
a p=reject domain refused with 550 5.7.1, p=quarantine filed in Junk,
p=none only recorded; one Authentication-Results field on top and a forged
one claiming our authserv-id removed; and a DNS server that never answers
gives temperror in bounded time, the message accepted."""
import os
import re
import shutil
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import Postroom
from relay_fixtures import Dnsmasq

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "mailauth_peer.py")

TXT = [
    ("reject.test", "v=spf1 ip4:127.0.0.5 -all"),
    ("mail.reject.test", "v=spf1 ip4:127.0.0.5 -all"),
    ("_dmarc.reject.test", "v=DMARC1; p=reject"),
    ("quar.test", "v=spf1 ip4:127.0.0.5 -all"),
    ("_dmarc.quar.test", "v=DMARC1; p=quarantine"),
    ("none.test", "v=spf1 ip4:127.0.0.5 -all"),
    ("_dmarc.none.test", "v=DMARC1; p=none"),
    ("mail.strict.test", "v=spf1 ip4:127.0.0.5 -all"),
    ("_dmarc.strict.test", "v=DMARC1; p=reject; aspf=s; adkim=s"),
    ("nodmarc.test", "v=spf1 ip4:127.0.0.5 -all"),
]

# (name, From, MAIL FROM, client, DKIM signer domain or None,
#  want: "pass"/"fail"/"none" and the outcome: INBOX, Junk or 550)
CASES = [
    ("spf aligned", "a@reject.test", "a@reject.test", "127.0.0.5", None,
     "pass", "INBOX"),
    ("forged From", "a@reject.test", "a@other.test", "127.0.0.8", None,
     "fail", "550"),
    ("spf relaxed", "a@reject.test", "x@mail.reject.test", "127.0.0.5",
     None, "pass", "INBOX"),
    ("spf pass elsewhere", "a@reject.test", "x@nodmarc.test", "127.0.0.5",
     None, "fail", "550"),
    ("spf strict", "a@strict.test", "x@mail.strict.test", "127.0.0.5",
     None, "fail", "550"),
    ("dkim aligned", "a@reject.test", "x@other.test", "127.0.0.8",
     "reject.test", "pass", "INBOX"),
    ("dkim strict", "a@strict.test", "x@other.test", "127.0.0.8",
     "sub.strict.test", "fail", "550"),
    ("dkim relaxed", "a@reject.test", "x@other.test", "127.0.0.8",
     "sub.reject.test", "pass", "INBOX"),
    ("dkim of another domain", "a@reject.test", "x@other.test",
     "127.0.0.8", "sender2.test", "fail", "550"),
    ("quarantine", "a@quar.test", "a@other.test", "127.0.0.8", None, "fail",
     "Junk"),
    ("p=none", "a@none.test", "a@other.test", "127.0.0.8", None, "fail",
     "INBOX"),
    ("no policy", "a@nodmarc.test", "a@other.test", "127.0.0.8", None,
     "none", "INBOX"),
    ("org domain policy", "a@sub.reject.test", "a@other.test", "127.0.0.8",
     None, "fail", "550"),
]


def ar_of(stored):
    m = re.search(rb"^Authentication-Results: (.*?)\r\n(?![ \t])", stored,
                  re.M | re.S)
    return re.sub(rb"\r\n[ \t]+", b" ", m.group(1)).decode() if m else ""


class MailauthDmarcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = tempfile.mkdtemp(prefix="postroom-dmarc-")
        txt = list(TXT)
        subprocess.run(["dknewkey", "--ktype", "ed25519",
                        os.path.join(cls.keys, "ed")], check=True,
                       capture_output=True)
        with open(os.path.join(cls.keys, "ed.dns")) as f:
            record = f.read().strip()
        for d in ("reject.test", "sub.reject.test", "sub.strict.test",
                  "sender2.test"):
            txt.append((f"ed._domainkey.{d}", record))
        cls.dns = Dnsmasq(txt=txt)
        cls.pr = Postroom(sections={"mailauth": {
            "dns_server": cls.dns.server, "timeout": "10s"}}).start()
        cls.pr.add_user("bob@local.test")

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        cls.dns.stop()
        shutil.rmtree(cls.keys)
        assert code == 0, f"postroomd exited {code}"

    def message(self, name, from_addr, signer):
        msg = (f"From: {from_addr}\r\nTo: bob@local.test\r\n"
               f"Subject: {name}\r\nMessage-ID: <{abs(hash(name))}@x>\r\n"
               f"\r\nbody of {name}\r\n").encode()
        if signer is None:
            return msg
        proc = subprocess.run(
            ["/usr/bin/python3", PEER, "sign", signer, "ed",
             os.path.join(self.keys, "ed.key"), "ed25519-sha256"],
            input=msg, capture_output=True, check=True)
        return proc.stdout + msg

    def send(self, ip, sender, msg):
        """Returns None when accepted, else (code, text)."""
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=60,
                          local_hostname="client.test",
                          source_address=(ip, 0)) as s:
            try:
                s.sendmail(sender, ["bob@local.test"], msg)
            except smtplib.SMTPDataError as e:
                return e.smtp_code, e.smtp_error.decode()
        return None

    def find(self, name):
        for box in ("INBOX", "Junk"):
            for m in self.pr.messages("bob@local.test", box):
                if f"Subject: {name}\r\n".encode() in m:
                    return box, m
        return None, None

    def test_dmarc_table(self):
        for name, from_addr, sender, ip, signer, want, outcome in CASES:
            with self.subTest(case=name):
                refusal = self.send(ip, sender,
                                    self.message(name, from_addr, signer))
                if outcome == "550":
                    self.assertIsNotNone(refusal)
                    self.assertEqual(refusal[0], 550)
                    self.assertTrue(refusal[1].startswith("5.7.1 "),
                                    refusal)
                    self.assertIn("DMARC", refusal[1])
                    continue
                self.assertIsNone(refusal)
                deadline = time.monotonic() + 30
                box = None
                while box is None and time.monotonic() < deadline:
                    box, stored = self.find(name)
                    time.sleep(0.05)
                self.assertEqual(box, outcome)
                ar = ar_of(stored)
                self.assertRegex(ar, rf"dmarc={want}\b")
                domain = from_addr.split("@")[1]
                self.assertIn(f"header.from={domain}", ar)
        log = self.pr.log()
        self.assertIn("action=reject", log)
        self.assertIn("action=quarantine", log)

    def test_authentication_results_replaced(self):
        before = len(self.pr.messages("bob@local.test"))
        msg = (b"Authentication-Results: mx.local.test; dkim=pass "
               b"header.d=bank.test\r\n"
               b"Authentication-Results: MX.LOCAL.TEST 1;\r\n"
               b"\tspf=pass smtp.mailfrom=bank.test\r\n"
               b"Authentication-Results: elsewhere.test; spf=fail\r\n"
               b"From: a@nodmarc.test\r\nTo: bob@local.test\r\n"
               b"Subject: forged results\r\n\r\nhello\r\n")
        self.assertIsNone(self.send("127.0.0.5", "a@nodmarc.test", msg))
        stored = self.pr.wait_messages("bob@local.test", before + 1)[-1]
        fields = re.findall(rb"^Authentication-Results:[^\r]*", stored,
                            re.M)
        self.assertEqual(len(fields), 2, stored)
        # ours first, above Received; the other server's stays
        self.assertTrue(re.search(rb"\r\nAuthentication-Results: "
                                  rb"mx\.local\.test;\r\n\tspf=pass",
                                  stored), stored)
        self.assertLess(stored.index(b"Authentication-Results: mx.local"),
                        stored.index(b"\r\nReceived:"))
        self.assertIn(b"Authentication-Results: elsewhere.test; spf=fail",
                      stored)
        self.assertNotIn(b"bank.test", stored)
        self.assertIn("authres-removed", self.pr.log())
        self.assertFalse(self.pr.sanitizer_reports())


class MailauthDnsSilentTest(unittest.TestCase):
    """A resolver that never answers: the checks end after [mailauth]
    timeout with temperror, and the message is accepted."""

    def setUp(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.queries = 0
        self.stop = False
        self.thread = threading.Thread(target=self.swallow, daemon=True)
        self.thread.start()
        server = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.pr = Postroom(sections={"mailauth": {
            "dns_server": server, "timeout": "3s"}}).start()
        self.pr.add_user("bob@local.test")

    def swallow(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                self.sock.recv(4096)
                self.queries += 1
            except OSError:
                pass

    def tearDown(self):
        code = self.pr.stop()
        self.pr.cleanup()
        self.stop = True
        self.thread.join()
        self.sock.close()
        self.assertEqual(code, 0)

    def test_silent_dns_temperror_in_bounded_time(self):
        msg = (b"From: a@reject.test\r\nTo: bob@local.test\r\n"
               b"Subject: silent dns\r\n\r\nhello\r\n")
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=60) as s:
            s.ehlo("client.test")
            s.mail("a@reject.test")
            s.rcpt("bob@local.test")
            started = time.monotonic()
            code, text = s.data(msg)
            took = time.monotonic() - started
        self.assertEqual(code, 250, text)
        # the deadline is 3 s after the end of DATA; generous margin
        self.assertLess(took, 20)
        self.assertGreater(self.queries, 0)
        stored = self.pr.wait_messages("bob@local.test", 1)[-1]
        ar = ar_of(stored)
        self.assertIn("spf=temperror", ar)
        self.assertIn("dmarc=temperror header.from=reject.test", ar)
        self.assertFalse(self.pr.sanitizer_reports())


if __name__ == "__main__":
    unittest.main()
