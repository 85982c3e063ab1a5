"""TLS 1.2 on every TLS port offers ECDHE with AEAD ciphers only (AES-GCM,
ChaCha20-Poly1305), as today's "intermediate" profiles do: openssl
s_client offering only one of the CBC suites OpenSSL 3 would otherwise
negotiate is refused, an AEAD one is accepted, and TLS 1.3 is as before.
Implicit TLS (465, 995, 993) and STARTTLS (587, 25, 110, 143) alike."""
import shutil
import subprocess
import unittest

from harness import Postroom

CBC = ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA",
       "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384"]
AEAD = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305"]


@unittest.skipUnless(shutil.which("openssl"), "openssl not installed")
class Tls12AeadOnlyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom()
        try:
            cls.pr.start()
        except BaseException:
            cls.pr.cleanup()  # tearDownClass does not run
            raise
        p = cls.pr
        # (name, port, s_client -starttls protocol or None)
        cls.ports = [("submissions", p.submissions, None),
                     ("pop3s", p.pop3s, None), ("imaps", p.imaps, None),
                     ("submission", p.submission, "smtp"),
                     ("smtp", p.port, "smtp"), ("pop3", p.pop3, "pop3"),
                     ("imap", p.imap, "imap")]

    @classmethod
    def tearDownClass(cls):
        cls.pr.stop()
        cls.pr.cleanup()

    def s_client(self, port, starttls, *args):
        cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
               "-servername", "mx.local.test", *args]
        if starttls:
            cmd += ["-starttls", starttls]
        p = subprocess.run(cmd, input="", capture_output=True, text=True,
                           timeout=60)
        return p.returncode, p.stdout + p.stderr

    def test_cbc_suites_refused_on_every_port(self):
        for name, port, starttls in self.ports:
            for cipher in CBC:
                with self.subTest(port=name, cipher=cipher):
                    code, out = self.s_client(port, starttls, "-tls1_2",
                                              "-cipher", cipher)
                    self.assertNotEqual(code, 0, out)
                    self.assertIn("handshake failure", out)
                    self.assertNotIn(f"Cipher is {cipher}", out)

    def test_aead_suites_accepted_on_every_port(self):
        for name, port, starttls in self.ports:
            for cipher in AEAD:
                with self.subTest(port=name, cipher=cipher):
                    code, out = self.s_client(port, starttls, "-tls1_2",
                                              "-cipher", cipher)
                    self.assertEqual(code, 0, out)
                    self.assertIn(f"Cipher is {cipher}", out)

    def test_tls13_unchanged(self):
        for name, port, starttls in self.ports:
            with self.subTest(port=name):
                code, out = self.s_client(port, starttls, "-tls1_3")
                self.assertEqual(code, 0, out)
                self.assertRegex(out, r"TLSv1\.3, Cipher is TLS_(AES_(128|256)"
                                      r"_GCM_SHA(256|384)|CHACHA20_POLY1305_"
                                      r"SHA256)\b")


if __name__ == "__main__":
    unittest.main()
