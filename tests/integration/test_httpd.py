"""httpd as postroomd runs it, driven by clients we did not write (curl,
Python's http.client) and a raw socket: the process (unprivileged, a child
of the master), HTTP and HTTPS with the certificate of the other servers,
keep-alive, pipelining answered in order, HEAD, Range, gzip, conditional
GET on a generated document, chunked uploads and 100-continue, the
security fields, the access log, what the plain port does outside
loopback (redirects), reload on SIGHUP and the graceful stop on SIGTERM."""
import gzip
import http.client
import os
import re
import signal
import ssl
import subprocess
import time
import unittest
import xml.etree.ElementTree as ET

from harness import Postroom, client_tls_context
from http_fixtures import (DOMAIN, PASSWORD, USER, Raw, autodiscover_request,
                           request, wait_http)

AUTOCONFIG = f"/mail/config-v1.1.xml?emailaddress={USER.replace('@', '%40')}"


def start(**kw):
    pr = Postroom(**kw).start()
    pr.add_user(USER, PASSWORD)
    wait_http(pr)
    return pr


class HttpdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start()

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    def https(self):
        return http.client.HTTPSConnection(
            "127.0.0.1", self.pr.https, timeout=30,
            context=client_tls_context())

    def test_process_is_a_child_and_unprivileged(self):
        pids = self.pr.children("httpd")
        self.assertEqual(len(pids), 1, self.pr.log()[-2000:])
        if os.geteuid() == 0:
            status = open(f"/proc/{pids[0]}/status").read()
            uid = re.search(r"^Uid:\s+(.*)$", status, re.M).group(1)
            self.assertNotIn("0", uid.split(), f"httpd runs as root: {uid}")

    def test_https_uses_the_servers_certificate(self):
        with open(os.path.join(self.pr.data, "tls", "cert.pem")) as f:
            want = ssl.PEM_cert_to_DER_cert(f.read())
        raw = Raw(self.pr, tls=True)
        self.assertEqual(raw.sock.getpeercert(binary_form=True), want)
        raw.close()

    def test_keep_alive_reuses_one_connection(self):
        conn = self.https()
        conn.request("GET", "/health")
        resp = conn.getresponse()
        self.assertEqual((resp.status, resp.read()), (200, b"ok\n"))
        sock = conn.sock
        conn.request("GET", AUTOCONFIG)
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        resp.read()
        self.assertIs(conn.sock, sock)
        conn.close()
        # curl: two URLs, one connection (both access lines on one conn=)
        out = subprocess.run(
            ["curl", "-sk", "-o", "/dev/null", "-o", "/dev/null",
             "-w", "%{num_connects}\n",
             f"https://127.0.0.1:{self.pr.https}/health",
             f"https://127.0.0.1:{self.pr.https}{AUTOCONFIG}"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(out.stdout.split(), ["1", "0"], out.stderr)

    def test_pipelined_requests_are_answered_in_order(self):
        raw = Raw(self.pr)
        raw.send(request("GET", "/health") + request("GET", AUTOCONFIG) +
                 request("GET", "/no/such/thing") +
                 request("HEAD", "/health") + request("GET", "/health"))
        status, _, body = raw.response()
        self.assertEqual((status, body), (200, b"ok\n"))
        status, headers, body = raw.response()
        self.assertEqual(status, 200)
        self.assertTrue(body.startswith(b"<?xml"), body[:100])
        self.assertEqual(raw.response()[0], 404)
        status, headers, _ = raw.response(head_only=True)
        self.assertEqual((status, headers["content-length"]), (200, "3"))
        self.assertEqual(raw.response()[:3:2], (200, b"ok\n"))
        raw.close()

    def test_head_is_get_without_body(self):
        conn = self.https()
        conn.request("GET", AUTOCONFIG)
        get = conn.getresponse()
        body = get.read()
        conn.request("HEAD", AUTOCONFIG)
        head = conn.getresponse()
        self.assertEqual(head.status, 200)
        self.assertEqual(head.read(), b"")
        self.assertEqual(int(head.getheader("Content-Length")), len(body))
        self.assertEqual(head.getheader("ETag"), get.getheader("ETag"))
        # nothing was left on the connection: the next answer is whole
        conn.request("GET", "/health")
        self.assertEqual(conn.getresponse().read(), b"ok\n")
        conn.close()

    def test_range_and_conditional_get(self):
        conn = self.https()
        conn.request("GET", AUTOCONFIG)
        full = conn.getresponse()
        body = full.read()
        etag = full.getheader("ETag")
        modified = full.getheader("Last-Modified")
        self.assertRegex(etag, r'^"[0-9a-f]{32}"$')
        self.assertEqual(full.getheader("Accept-Ranges"), "bytes")
        conn.request("GET", AUTOCONFIG, headers={"Range": "bytes=5-14"})
        part = conn.getresponse()
        self.assertEqual(part.status, 206)
        self.assertEqual(part.getheader("Content-Range"),
                         f"bytes 5-14/{len(body)}")
        self.assertEqual(part.read(), body[5:15])
        conn.request("GET", AUTOCONFIG, headers={"If-None-Match": etag})
        resp = conn.getresponse()
        self.assertEqual((resp.status, resp.read()), (304, b""))
        conn.request("GET", AUTOCONFIG,
                     headers={"If-Modified-Since": modified})
        resp = conn.getresponse()
        self.assertEqual((resp.status, resp.read()), (304, b""))
        conn.request("GET", AUTOCONFIG, headers={"If-None-Match": '"other"'})
        resp = conn.getresponse()
        self.assertEqual((resp.status, resp.read()), (200, body))
        conn.close()

    def test_gzip_when_accepted(self):
        conn = self.https()
        conn.request("GET", AUTOCONFIG)
        plain = conn.getresponse().read()
        conn.request("GET", AUTOCONFIG, headers={"Accept-Encoding": "gzip"})
        resp = conn.getresponse()
        self.assertEqual(resp.getheader("Content-Encoding"), "gzip")
        self.assertIn("Accept-Encoding", resp.getheader("Vary"))
        self.assertEqual(gzip.decompress(resp.read()), plain)
        conn.close()
        out = subprocess.run(
            ["curl", "-sk", "--compressed", "-D", "-",
             f"https://127.0.0.1:{self.pr.https}{AUTOCONFIG}"],
            capture_output=True, timeout=60)
        self.assertIn(b"content-encoding: gzip", out.stdout.lower())
        self.assertTrue(out.stdout.endswith(plain))

    def test_chunked_upload(self):
        body = autodiscover_request()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 50]),
                                            body[i:i + 50])
                          for i in range(0, len(body), 50))
        raw = Raw(self.pr, tls=True)
        raw.send(request("POST", "/autodiscover/autodiscover.xml",
                         headers=[("Transfer-Encoding", "chunked"),
                                  ("Content-Type", "text/xml")]) +
                 chunks + b"0\r\n\r\n")
        status, headers, answer = raw.response()
        self.assertEqual(status, 200, answer)
        root = ET.fromstring(answer)
        self.assertIn("responseschema/2006}Autodiscover", root.tag)
        # the connection goes on after a chunked body
        raw.send(request("GET", "/health"))
        self.assertEqual(raw.response()[0], 200)
        raw.close()
        # curl sends a chunked body when told to
        out = subprocess.run(
            ["curl", "-sk", "-H", "Transfer-Encoding: chunked",
             "--data-binary", "@-",
             f"https://127.0.0.1:{self.pr.https}/autodiscover/"
             "autodiscover.xml"],
            input=body, capture_output=True, timeout=60)
        self.assertIn(b"<Server>mx.local.test</Server>", out.stdout)

    def test_expect_100_continue(self):
        body = autodiscover_request()
        raw = Raw(self.pr, tls=True)
        raw.send(request("POST", "/autodiscover/autodiscover.xml",
                         headers=[("Content-Length", str(len(body))),
                                  ("Expect", "100-continue")]))
        status, _, _ = raw.response()
        self.assertEqual(status, 100)
        raw.send(body)
        status, _, answer = raw.response()
        self.assertEqual(status, 200)
        self.assertIn(b"<LoginName>bob@example.test</LoginName>", answer)
        raw.close()
        # a refused request never invites the body: 405 without a 100
        raw = Raw(self.pr, tls=True)
        raw.send(request("PUT", "/autodiscover/autodiscover.xml",
                         headers=[("Content-Length", "100000"),
                                  ("Expect", "100-continue")]))
        status, headers, _ = raw.response()
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "POST")
        raw.close()

    def test_security_fields(self):
        for tls in (True, False):
            raw = Raw(self.pr, tls=tls)
            raw.send(request("GET", "/nothing/here"))
            status, headers, _ = raw.response()
            self.assertEqual(status, 404)
            self.assertEqual(headers["x-content-type-options"], "nosniff")
            # (a 404 under "/" is the webmail's, with its whole policy)
            self.assertIn("frame-ancestors 'none'",
                          headers["content-security-policy"])
            self.assertEqual(headers["referrer-policy"], "no-referrer")
            if tls:
                self.assertEqual(headers["strict-transport-security"],
                                 "max-age=31536000")
            else:
                self.assertNotIn("strict-transport-security", headers)
            raw.close()

    def test_access_log_lines(self):
        raw = Raw(self.pr)
        raw.send(request("GET", AUTOCONFIG + "&secret=1"))
        self.assertEqual(raw.response()[0], 200)
        raw.send(request("GET", "/missing"))
        self.assertEqual(raw.response()[0], 404)
        raw.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = [l for l in self.pr.log().splitlines()
                     if "httpd[" in l and " http method=" in l]
            found = [l for l in lines if "path=/missing status=404" in l]
            if found:
                break
            time.sleep(0.05)
        self.assertTrue(found, "\n".join(lines[-10:]))
        self.assertRegex(found[0], r"conn=\d+ peer=127\.0\.0\.1 http "
                         r"method=GET path=/missing status=404 bytes=\d+ "
                         r"duration=\d+ms user=-")
        ok = [l for l in lines if "path=/mail/config-v1.1.xml status=200"
              in l]
        self.assertTrue(ok)
        self.assertFalse(any("secret" in l for l in lines))

    def test_routes_methods_and_well_known(self):
        raw = Raw(self.pr, tls=True)
        for method in ("GET", "PROPFIND"):
            raw.send(request(method, "/.well-known/caldav"))
            status, headers, _ = raw.response()
            self.assertEqual((status, headers["location"]), (301, "/dav/"))
        raw.send(request("GET", "/.well-known/carddav"))
        self.assertEqual(raw.response()[1]["location"], "/dav/")
        raw.send(request("DELETE", "/mail/config-v1.1.xml"))
        status, headers, _ = raw.response()
        self.assertEqual((status, headers["allow"]), (405, "GET, HEAD"))
        raw.send(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, _ = raw.response()
        self.assertEqual(status, 204)
        self.assertIn("POST", headers["allow"])
        raw.send(request("GET", "/mail/config-v1.1.xml/more"))
        self.assertEqual(raw.response()[0], 404)
        raw.close()


class HttpdRedirectTest(unittest.TestCase):
    """The plain port where credentials may not travel: only redirects to
    HTTPS, and the autoconfig files mail clients fetch over plain HTTP.
    (plaintext_auth_loopback off makes loopback count as elsewhere.)"""

    @classmethod
    def setUpClass(cls):
        cls.pr = start(main={"plaintext_auth_loopback": "no"})

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    def test_redirects_keep_target_and_method(self):
        origin = f"https://127.0.0.1:{self.pr.https}"
        raw = Raw(self.pr)
        cases = [("GET", "/health", 301), ("HEAD", "/x?a=1&b=%20", 301),
                 ("POST", "/autodiscover/autodiscover.xml", 308),
                 ("PROPFIND", "/.well-known/caldav", 308),
                 ("GET", "/.well-known/caldav", 301)]
        for method, target, want in cases:
            raw.send(request(method, target, host=f"127.0.0.1:{self.pr.http}",
                             body=b"<x/>" if method == "POST" else b""))
            status, headers, _ = raw.response(head_only=method == "HEAD")
            self.assertEqual(status, want, target)
            self.assertEqual(headers["location"], origin + target)
        raw.close()
        # the Host's name is kept, its port replaced
        raw = Raw(self.pr)
        raw.send(request("GET", "/a", host="mail.example.test:80"))
        self.assertEqual(raw.response()[1]["location"],
                         f"https://mail.example.test:{self.pr.https}/a")
        raw.close()
        # curl follows it to the same resource on HTTPS
        out = subprocess.run(
            ["curl", "-skL", f"http://127.0.0.1:{self.pr.http}/health"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(out.stdout, "ok\n")

    def test_autoconfig_is_served_plain(self):
        for path in (AUTOCONFIG, "/.well-known/autoconfig/mail/"
                                 "config-v1.1.xml"):
            raw = Raw(self.pr)
            raw.send(request("GET", path, host=DOMAIN))
            status, _, body = raw.response()
            self.assertEqual(status, 200, path)
            self.assertEqual(ET.fromstring(body).tag, "clientConfig")
            raw.close()


class HttpdBodyFileTest(unittest.TestCase):
    """A request body past body_memory_max is streamed to an unlinked file
    in data_dir/run/http-tmp, never held whole in memory, and the route
    still reads it."""

    def tmp_fds(self, pid, tmp_dir):
        out = []
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith(tmp_dir) and target.endswith("(deleted)"):
                out.append(target)
        return out

    def test_large_body_goes_to_a_file(self):
        pr = start(sections={"httpd": {"body_memory_max": "1k"}})
        try:
            pid = pr.children("httpd")[0]
            tmp_dir = os.path.join(pr.data, "run", "http-tmp")
            body = autodiscover_request().replace(
                b"<Request>", b"<Request><!-- " + b"x" * 20000 + b" -->")
            raw = Raw(pr, tls=True)
            raw.send(request("POST", "/autodiscover/autodiscover.xml",
                             headers=[("Content-Length", str(len(body)))]))
            raw.send(body[:10000])
            deadline = time.monotonic() + 20
            while not self.tmp_fds(pid, tmp_dir):
                self.assertLess(time.monotonic(), deadline,
                                "no body file in run/http-tmp")
                time.sleep(0.05)
            self.assertEqual(os.listdir(tmp_dir), [])  # unlinked
            raw.send(body[10000:])
            status, _, answer = raw.response()
            self.assertEqual(status, 200, answer)
            self.assertIn(b"<LoginName>bob@example.test</LoginName>",
                          answer)
            deadline = time.monotonic() + 20
            while self.tmp_fds(pid, tmp_dir):  # closed with the request
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            raw.close()
        finally:
            pr.cleanup()


class HttpdLifecycleTest(unittest.TestCase):
    def setUp(self):
        self.pr = start()

    def tearDown(self):
        self.pr.cleanup()

    def test_reload_starts_a_new_httpd(self):
        old = self.pr.children("httpd")
        os.kill(self.pr.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = self.pr.children("httpd")
            if len(now) == 1 and now != old:
                break
            time.sleep(0.1)
        else:
            self.fail(f"httpd not replaced:\n{self.pr.log()[-3000:]}")
        wait_http(self.pr)

    def test_sigterm_closes_idle_and_finishes_busy(self):
        idle = Raw(self.pr)
        idle.send(request("GET", "/health"))
        self.assertEqual(idle.response()[0], 200)
        busy = Raw(self.pr, tls=True)
        busy.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # head unfinished
        time.sleep(0.3)
        self.pr.proc.send_signal(signal.SIGTERM)
        self.assertTrue(idle.is_closed(), "idle connection left open")
        busy.send(b"\r\n")
        status, headers, body = busy.response()
        self.assertEqual((status, body), (200, b"ok\n"))
        self.assertEqual(headers.get("connection"), "close")
        self.assertTrue(busy.is_closed())
        self.assertEqual(self.pr.proc.wait(60), 0)
        self.pr.proc = None
        self.pr.log_file.close()
        self.assertRegex(self.pr.log(), r"httpd\[\d+\]: info: stopped")


if __name__ == "__main__":
    unittest.main()
