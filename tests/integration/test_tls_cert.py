"""The self-signed certificate of a first start names every address the
server listens on, the host name and localhost (RFC 5280 4.2.1.6), so a
client that verifies it (Python's ssl with the file as its CA and
check_hostname on, curl --cacert) may connect to 127.0.0.1, ::1 or the
name. A self-signed certificate an older version made (CN alone, no
addresses) is renewed with its own key at start; an operator's certificate
is never touched. Loopback only."""
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import unittest

from harness import Postroom

HOST = "mx.local.test"


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def verifying_context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    assert ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
    return ctx


def tls_hello(host, port, cafile, server_hostname=None):
    """Connects with verification; returns the IMAP greeting."""
    ctx = verifying_context(cafile)
    with socket.create_connection((host, port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname=server_hostname or host) \
                as s:
            return s.recv(200)


def openssl(*args, **kw):
    return subprocess.run(["openssl", *args], capture_output=True, text=True,
                          timeout=60, check=True, **kw)


class SelfSignedNamesTest(unittest.TestCase):
    """A first start on 127.0.0.1 and, where the machine has it, ::1."""

    @classmethod
    def setUpClass(cls):
        cls.v6 = has_ipv6_loopback()
        # the harness waits on 127.0.0.1; the server listens on both
        listen = "127.0.0.1, ::1" if cls.v6 else "127.0.0.1"
        cls.pr = Postroom(hostname=HOST, main={"listen": listen})
        try:
            cls.pr.start()
            cls.pr.add_user("bob@local.test", "bob-pw")
        except BaseException:
            cls.pr.cleanup()  # tearDownClass does not run
            raise
        cls.cert = os.path.join(cls.pr.data, "tls", "cert.pem")

    @classmethod
    def tearDownClass(cls):
        cls.pr.stop()
        cls.pr.cleanup()

    def test_verifies_at_127_0_0_1(self):
        self.assertTrue(tls_hello("127.0.0.1", self.pr.imaps, self.cert)
                        .startswith(b"* OK"))

    @unittest.skipUnless(has_ipv6_loopback(), "no IPv6 loopback")
    def test_verifies_at_ipv6_loopback(self):
        self.assertTrue(tls_hello("::1", self.pr.imaps, self.cert)
                        .startswith(b"* OK"))

    def test_verifies_by_host_name_and_localhost(self):
        for name in (HOST, "localhost"):
            self.assertTrue(tls_hello("127.0.0.1", self.pr.imaps, self.cert,
                                      server_hostname=name)
                            .startswith(b"* OK"), name)

    def test_other_names_fail_verification(self):
        # the check is real: a name the certificate lacks is refused
        for name in ("other.test", "127.0.0.2"):
            with self.assertRaises(ssl.SSLCertVerificationError):
                tls_hello("127.0.0.1", self.pr.imaps, self.cert,
                          server_hostname=name)

    def test_names_in_subject_alt_name(self):
        text = openssl("x509", "-in", self.cert, "-noout", "-ext",
                       "subjectAltName").stdout
        for want in (f"DNS:{HOST}", "DNS:localhost", "IP Address:127.0.0.1"):
            self.assertIn(want, text)
        if self.v6:
            self.assertIn("IP Address:0:0:0:0:0:0:0:1", text)

    def test_submission_starttls_verifies(self):
        ctx = verifying_context(self.cert)
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.starttls(context=ctx)
            self.assertEqual(s.login("bob@local.test", "bob-pw")[0], 235)

    @unittest.skipUnless(shutil.which("curl"), "curl not installed")
    def test_curl_cacert_imaps_to_127_0_0_1(self):
        out = subprocess.run(
            ["curl", "-sS", "--cacert", self.cert, "--max-time", "60",
             f"imaps://127.0.0.1:{self.pr.imaps}/", "-u", "bob@local.test:"
             "bob-pw", "-X", "NOOP"], capture_output=True, text=True,
            timeout=90)
        self.assertEqual(out.returncode, 0, out.stderr)

    def test_no_ocspd_without_a_responder(self):
        self.assertEqual(self.pr.children("ocspd"), [])


class OlderCertificateTest(unittest.TestCase):
    """What is found in data_dir/tls at start."""

    def setUp(self):
        self.pr = Postroom(hostname=HOST)
        self.tls = os.path.join(self.pr.data, "tls")
        os.makedirs(self.tls)
        self.cert = os.path.join(self.tls, "cert.pem")
        self.key = os.path.join(self.tls, "key.pem")
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-out", self.key)
        os.chmod(self.key, 0o600)

    def tearDown(self):
        self.pr.stop()
        self.pr.cleanup()

    def checkip(self):
        return openssl("x509", "-in", self.cert, "-noout", "-checkip",
                       "127.0.0.1").stdout

    def make_cert(self, *ext):
        args = ["req", "-x509", "-new", "-key", self.key, "-days", "30",
                "-subj", f"/CN={HOST}", "-out", self.cert]
        for e in ext:
            args += ["-addext", e]
        openssl(*args)
        with open(self.cert, "rb") as f:
            return f.read()

    def test_older_self_signed_is_renewed_with_its_key(self):
        # what Postroom wrote before the addresses: CN alone, CA:FALSE
        self.make_cert("basicConstraints=critical,CA:FALSE",
                       "keyUsage=critical,digitalSignature,keyEncipherment",
                       "extendedKeyUsage=serverAuth",
                       f"subjectAltName=DNS:{HOST},DNS:localhost")
        self.assertIn("does NOT match", self.checkip())
        with open(self.key, "rb") as f:
            key_before = f.read()
        self.pr.start()
        self.assertIn("renewed self-signed certificate", self.pr.log())
        self.assertIn("lacked=IP:127.0.0.1", self.pr.log())
        self.assertIn("does match", self.checkip())
        self.assertTrue(tls_hello("127.0.0.1", self.pr.imaps, self.cert)
                        .startswith(b"* OK"))
        with open(self.key, "rb") as f:
            self.assertEqual(f.read(), key_before)
        # and once is enough: the next start keeps it
        with open(self.cert, "rb") as f:
            renewed = f.read()
        self.pr.stop()
        self.pr.start()
        with open(self.cert, "rb") as f:
            self.assertEqual(f.read(), renewed)

    def test_operators_certificate_is_left_alone(self):
        # `openssl req -x509` makes a CA certificate: not one of ours
        before = self.make_cert(f"subjectAltName=DNS:{HOST}")
        self.assertIn("does NOT match", self.checkip())
        self.pr.start()
        with open(self.cert, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertNotIn("renewed", self.pr.log())
        with self.assertRaises(ssl.SSLCertVerificationError):
            tls_hello("127.0.0.1", self.pr.imaps, self.cert)


if __name__ == "__main__":
    unittest.main()
