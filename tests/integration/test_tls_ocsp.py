"""OCSP stapling (RFC 6066 section 8, RFC 6960): with a certificate from a
test CA made here by the openssl command, whose Authority Information
Access names an OCSP responder on loopback, postroomd starts ocspd, which
fetches the response into data_dir/tls/ocsp.der, and every TLS server
staples it: `openssl s_client -status` shows "OCSP Response Status:
successful" and "Cert Status: good". The responder is openssl's own
(`openssl ocsp -index ... -reqin/-respout`, the same code as `openssl ocsp
-port`) behind a small HTTP front bound to 127.0.0.1 only, because `openssl
ocsp -port` binds every interface. With a CA that revokes the certificate,
nothing is stapled and ocspd says why. The refresh before nextUpdate (one
minute with -nmin 1) runs in `make test-long`."""
import datetime
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from harness import LONG, Postroom, free_port

HOST = "mx.local.test"


def openssl(*args, cwd=None):
    return subprocess.run(["openssl", *args], capture_output=True, text=True,
                          timeout=60, check=True, cwd=cwd)


class TestCa:
    """A CA, a server certificate naming an OCSP URL on 127.0.0.1:port, an
    index.txt for `openssl ocsp`, and the responder serving it."""

    def __init__(self, revoked=False):
        self.dir = tempfile.mkdtemp(prefix="postroom-ocsp-")
        os.chmod(self.dir, 0o755)  # the servers may run as nobody
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        d = self.dir
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
                "-out", "ca.pem", "-subj", "/CN=Postroom Test CA", "-days",
                "2", cwd=d)
        openssl("req", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout", "key.pem",
                "-out", "leaf.csr", "-subj", f"/CN={HOST}", cwd=d)
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            f.write(f"subjectAltName=DNS:{HOST},IP:127.0.0.1\n"
                    f"authorityInfoAccess=OCSP;URI:{self.url}\n"
                    "basicConstraints=critical,CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey",
                "ca.key", "-CAcreateserial", "-days", "1", "-extfile",
                "ext.cnf", "-out", "leaf.pem", cwd=d)
        self.key = os.path.join(d, "key.pem")
        os.chmod(self.key, 0o644)  # a test key, read by nobody
        self.chain = os.path.join(d, "chain.pem")
        with open(self.chain, "w") as out:
            for name in ("leaf.pem", "ca.pem"):
                with open(os.path.join(d, name)) as f:
                    out.write(f.read())
        self.write_index(revoked)
        self.requests = 0
        self.server = None

    def write_index(self, revoked):
        """index.txt as `openssl ca` keeps it: status, expiry, revocation
        date, serial, file, subject."""
        leaf = os.path.join(self.dir, "leaf.pem")
        serial = openssl("x509", "-in", leaf, "-noout", "-serial") \
            .stdout.strip().split("=")[1]
        end = openssl("x509", "-in", leaf, "-noout", "-enddate") \
            .stdout.strip().split("=")[1]
        expiry = datetime.datetime.strptime(end, "%b %d %H:%M:%S %Y %Z") \
            .strftime("%y%m%d%H%M%SZ")
        now = datetime.datetime.now(datetime.timezone.utc) \
            .strftime("%y%m%d%H%M%SZ")
        line = (f"R\t{expiry}\t{now}\t" if revoked else f"V\t{expiry}\t\t")
        with open(os.path.join(self.dir, "index.txt"), "w") as f:
            f.write(f"{line}{serial}\tunknown\t/CN={HOST}\n")

    def start(self):
        ca = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                req = os.path.join(ca.dir, "req.der")
                resp = os.path.join(ca.dir, "resp.der")
                with open(req, "wb") as f:
                    f.write(body)
                openssl("ocsp", "-index", "index.txt", "-CA", "ca.pem",
                        "-rsigner", "ca.pem", "-rkey", "ca.key", "-reqin",
                        "req.der", "-respout", "resp.der", "-nmin", "1",
                        cwd=ca.dir)
                with open(resp, "rb") as f:
                    data = f.read()
                ca.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/ocsp-response")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        shutil.rmtree(self.dir, ignore_errors=True)


def postroom_with(ca):
    pr = Postroom(hostname=HOST,
                  main={"tls_cert": ca.chain, "tls_key": ca.key})
    # the fetch goes straight to 127.0.0.1, whatever proxy this shell has
    env = pr.env()
    pr.env = lambda: {k: v for k, v in env.items()
                      if k.lower() not in ("http_proxy", "https_proxy")}
    return pr


def s_client_status(port, starttls=None, cafile=None):
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
           "-servername", HOST, "-status"]
    if cafile:
        cmd += ["-CAfile", cafile, "-verify_return_error"]
    if starttls:
        cmd += ["-starttls", starttls]
    p = subprocess.run(cmd, input="", capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout + p.stderr


@unittest.skipUnless(shutil.which("openssl"), "openssl not installed")
class OcspStaplingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ca = TestCa()
        cls.ca.start()
        cls.pr = postroom_with(cls.ca)
        cls.cache = os.path.join(cls.pr.data, "tls", "ocsp.der")
        try:
            cls.pr.start()
            deadline = time.monotonic() + 60
            while not os.path.exists(cls.cache):
                if time.monotonic() > deadline:
                    raise AssertionError("no OCSP response cached:\n" +
                                         cls.pr.log()[-3000:])
                time.sleep(0.1)
        except BaseException:
            cls.pr.cleanup()  # tearDownClass does not run
            cls.ca.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.pr.stop()
        cls.pr.cleanup()
        cls.ca.stop()

    def test_ocspd_runs_and_logs(self):
        self.assertEqual(len(self.pr.children("ocspd")), 1)
        self.assertIn(f"response saved responder={self.ca.url}",
                      self.pr.log())

    def test_stapled_on_every_tls_port(self):
        p = self.pr
        for name, port, starttls in (
                ("submissions", p.submissions, None),
                ("pop3s", p.pop3s, None), ("imaps", p.imaps, None),
                ("submission", p.submission, "smtp"),
                ("imap", p.imap, "imap")):
            with self.subTest(port=name):
                code, out = s_client_status(port, starttls,
                                            os.path.join(self.ca.dir,
                                                         "ca.pem"))
                self.assertEqual(code, 0, out)
                self.assertIn("OCSP Response Status: successful (0x0)", out)
                self.assertIn("Cert Status: good", out)
                self.assertIn("Verify return code: 0 (ok)", out)

    def test_stapled_over_tls12_too(self):
        # TLS 1.2 carries it in CertificateStatus, 1.3 in the Certificate
        p = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{self.pr.imaps}",
             "-status", "-tls1_2"], input="", capture_output=True,
            text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("OCSP Response Status: successful", p.stdout)
        self.assertIn("Cert Status: good", p.stdout)

    def test_cached_file_is_what_the_responder_said(self):
        out = openssl("ocsp", "-respin", self.cache, "-issuer",
                      os.path.join(self.ca.dir, "ca.pem"), "-CAfile",
                      os.path.join(self.ca.dir, "ca.pem"), "-cert",
                      os.path.join(self.ca.dir, "leaf.pem")).stdout
        self.assertIn("leaf.pem: good", out)
        self.assertIn("Next Update:", out)

    @unittest.skipUnless(LONG, "waits for a refresh (make test-long)")
    def test_refreshed_before_next_update(self):
        # -nmin 1: nextUpdate one minute after thisUpdate; ocspd fetches
        # again half way
        before = os.stat(self.cache).st_ino
        asked = self.ca.requests
        deadline = time.monotonic() + 120
        while os.stat(self.cache).st_ino == before:
            self.assertLess(time.monotonic(), deadline, self.pr.log())
            time.sleep(1)
        self.assertGreater(self.ca.requests, asked)
        code, out = s_client_status(self.pr.imaps)
        self.assertIn("Cert Status: good", out)


@unittest.skipUnless(shutil.which("openssl"), "openssl not installed")
class OcspRevokedTest(unittest.TestCase):
    def test_revoked_is_not_stapled(self):
        ca = TestCa(revoked=True)
        ca.start()
        pr = postroom_with(ca)
        try:
            pr.start()
            deadline = time.monotonic() + 60
            while "fetch failed" not in pr.log():
                self.assertLess(time.monotonic(), deadline, pr.log())
                time.sleep(0.1)
            self.assertIn('error="certificate status revoked"', pr.log())
            self.assertFalse(os.path.exists(
                os.path.join(pr.data, "tls", "ocsp.der")))
            code, out = s_client_status(pr.imaps)
            self.assertEqual(code, 0, out)
            self.assertIn("OCSP response: no response sent", out)
        finally:
            pr.stop()
            pr.cleanup()
            ca.stop()


if __name__ == "__main__":
    unittest.main()
