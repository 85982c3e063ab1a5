"""The webmail's files and message frames as httpd serves them, driven by
Python's http.client and curl: index.html and the hashed assets with the
strict Content-Security-Policy (doc/webmail.md), a year of immutable cache
for hashed names and revalidation for index.html (ETag, 304), the build's
gzip copies sent with Content-Encoding and a length, HEAD, what never
reaches the file system (hidden files, folders, traversal), the 503 that
says the webmail is not built, and /msg/<id>/: an empty page whose CSP
allows no script and images only after consent."""
import gzip
import http.client
import os
import re
import subprocess
import tempfile
import unittest

from harness import ROOT, Postroom
from http_fixtures import wait_http

DIST = os.path.join(ROOT, "web", "dist")


def dist_assets():
    """(index.html's text, [asset names it links]); fails when the
    webmail is not built (`make` builds it)."""
    index = os.path.join(DIST, "index.html")
    if not os.path.exists(index):
        raise AssertionError(f"{index} is missing: run `make web`")
    with open(index, encoding="utf-8") as f:
        text = f.read()
    return text, re.findall(r'(?:src|href)="/(assets/[^"]+)"', text)


def csp_directives(value):
    out = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


class WebmailStaticTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.index_text, cls.assets = dist_assets()
        cls.pr = Postroom().start()
        wait_http(cls.pr)

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    def get(self, path, headers=None, method="GET"):
        conn = http.client.HTTPConnection("127.0.0.1", self.pr.http,
                                          timeout=30)
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return resp, body

    def test_index_has_the_strict_policy(self):
        resp, body = self.get("/")
        self.assertEqual(resp.status, 200)
        self.assertEqual(body.decode(), self.index_text)
        self.assertTrue(resp.getheader("Content-Type").startswith(
            "text/html"))
        self.assertEqual(resp.getheader("Cache-Control"), "no-cache")
        csp = csp_directives(resp.getheader("Content-Security-Policy"))
        self.assertEqual(csp["default-src"], ["'none'"])
        self.assertEqual(csp["script-src"], ["'self'"])
        self.assertEqual(csp["style-src"], ["'self'"])
        self.assertEqual(csp["connect-src"], ["'self'"])
        self.assertEqual(csp["frame-src"], ["'self'"])
        self.assertEqual(csp["frame-ancestors"], ["'none'"])
        self.assertEqual(csp["base-uri"], ["'none'"])
        self.assertEqual(csp["form-action"], ["'self'"])
        for words in csp.values():
            self.assertNotIn("'unsafe-inline'", words)
            self.assertNotIn("'unsafe-eval'", words)
        self.assertEqual(resp.getheader("X-Content-Type-Options"), "nosniff")
        # no inline script or style in the page itself
        self.assertNotRegex(self.index_text, r"<script(?![^>]*\bsrc=)")
        self.assertNotIn("<style", self.index_text)
        self.assertNotRegex(self.index_text, r"\son[a-z]+=")

    def test_index_revalidates_with_its_etag(self):
        resp, _ = self.get("/index.html")
        etag = resp.getheader("ETag")
        self.assertRegex(etag, r'^"[0-9a-f]+-[0-9a-f]+"$')
        self.assertIsNotNone(resp.getheader("Last-Modified"))
        resp, body = self.get("/", {"If-None-Match": etag})
        self.assertEqual((resp.status, body), (304, b""))
        resp, _ = self.get("/", {"If-None-Match": '"other"'})
        self.assertEqual(resp.status, 200)

    def test_hashed_assets_are_immutable_and_gzipped(self):
        # the index names one script and one style sheet, and preloads the
        # chunks the script imports; the views' chunks load when shown
        kinds = sorted(n.split("-")[0] for n in self.assets
                       if not n.startswith("assets/chunk-"))
        self.assertEqual(kinds, ["assets/app", "assets/style"],
                         self.index_text)
        every = sorted("assets/" + n for n in os.listdir(
            os.path.join(DIST, "assets")) if n.endswith((".js", ".css")))
        self.assertTrue(set(self.assets) <= set(every))
        self.assertGreater(len(every), len(self.assets))
        for name in every:
            self.assertRegex(name, r"^assets/[a-z]+-[A-Z0-9]{8}\.(js|css)$")
            with open(os.path.join(DIST, name), "rb") as f:
                raw = f.read()
            resp, body = self.get("/" + name)
            self.assertEqual(resp.status, 200)
            self.assertEqual(body, raw)
            self.assertEqual(resp.getheader("Cache-Control"),
                             "public, max-age=31536000, immutable")
            want = "text/javascript" if name.endswith(".js") else "text/css"
            self.assertTrue(resp.getheader("Content-Type").startswith(want))
            # the build's copy: a length, not chunks, and the same bytes
            resp, body = self.get("/" + name, {"Accept-Encoding": "gzip"})
            self.assertEqual(resp.getheader("Content-Encoding"), "gzip")
            self.assertEqual(resp.getheader("Vary"), "Accept-Encoding")
            self.assertEqual(int(resp.getheader("Content-Length")),
                             os.path.getsize(os.path.join(DIST, name + ".gz")))
            self.assertEqual(gzip.decompress(body), raw)
            etag = resp.getheader("ETag")
            self.assertTrue(etag.endswith('-gz"'), etag)
            resp, _ = self.get("/" + name, {"Accept-Encoding": "gzip",
                                            "If-None-Match": etag})
            self.assertEqual(resp.status, 304)
            resp, body = self.get("/" + name, method="HEAD")
            self.assertEqual((resp.status, body), (200, b""))
            self.assertEqual(int(resp.getheader("Content-Length")), len(raw))

    def test_curl_fetches_the_page_compressed(self):
        out = subprocess.run(
            ["curl", "-s", "--compressed", "-o", "-", "-w",
             "\n%{http_code} %{size_download}",
             f"http://127.0.0.1:{self.pr.http}/"],
            capture_output=True, text=True, timeout=60)
        body, _, tail = out.stdout.rpartition("\n")
        code, size = tail.split()
        self.assertEqual(code, "200")
        self.assertEqual(body, self.index_text)
        self.assertLess(int(size), len(self.index_text.encode()))

    def test_what_is_never_served(self):
        for path in ["/.gitignore", "/assets/", "/assets", "/nothing.js",
                     "/assets/%2e%2e/build.mjs", "/../build.mjs",
                     "/%2e%2e/package.json", "/index.html%00.js"]:
            resp, _ = self.get(path)
            self.assertIn(resp.status, (400, 404), path)
        # a folder beside the files, and a symbolic link to outside
        os.makedirs(os.path.join(DIST, "sub"), exist_ok=True)
        link = os.path.join(DIST, "passwd.txt")
        try:
            os.symlink("/etc/passwd", link)
            resp, _ = self.get("/sub")
            self.assertEqual(resp.status, 404)
            resp, body = self.get("/passwd.txt")
            self.assertEqual(resp.status, 404)
            self.assertNotIn(b"root:", body)
        finally:
            os.unlink(link)
            os.rmdir(os.path.join(DIST, "sub"))
        resp, _ = self.get("/", method="POST")
        self.assertEqual(resp.status, 405)

    def test_message_frame_runs_nothing(self):
        resp, body = self.get("/msg/Mabc-123_x/")
        self.assertEqual(resp.status, 200)
        self.assertIn(b"<body></body>", body)
        self.assertNotIn(b"<script", body)
        self.assertEqual(resp.getheader("Cache-Control"), "no-store")
        csp = csp_directives(resp.getheader("Content-Security-Policy"))
        self.assertEqual(csp["default-src"], ["'none'"])
        self.assertEqual(csp["img-src"], ["data:", "blob:"])
        self.assertEqual(csp["style-src"], ["'unsafe-inline'"])
        self.assertEqual(csp["frame-ancestors"], ["'self'"])
        self.assertEqual(csp["form-action"], ["'none'"])
        self.assertNotIn("script-src", csp)
        self.assertIn("sandbox", csp)
        self.assertNotIn("allow-scripts", csp["sandbox"])
        self.assertNotIn("allow-forms", csp["sandbox"])
        resp, _ = self.get("/msg/Mabc/?images=1")
        csp = csp_directives(resp.getheader("Content-Security-Policy"))
        self.assertEqual(csp["img-src"], ["data:", "blob:", "https:", "http:"])
        self.assertEqual(csp["default-src"], ["'none'"])
        for path in ["/msg", "/msg/", "/msg/a.b/", "/msg/a/b", "/msg/" + "a" * 256]:
            resp, _ = self.get(path)
            self.assertEqual(resp.status, 404, path)


class WebmailNotBuiltTest(unittest.TestCase):
    def test_missing_build_is_503_with_the_fix(self):
        empty = tempfile.mkdtemp(prefix="postroom-web-")
        pr = Postroom(sections={"httpd": {"web_root": empty}}).start()
        try:
            wait_http(pr)
            conn = http.client.HTTPConnection("127.0.0.1", pr.http, timeout=30)
            conn.request("GET", "/")
            resp = conn.getresponse()
            body = resp.read().decode()
            self.assertEqual(resp.status, 503)
            self.assertIn("make", body)
            conn.request("GET", "/assets/app-XXXXXXXX.js")
            resp = conn.getresponse()
            resp.read()
            self.assertEqual(resp.status, 404)
            conn.close()
        finally:
            pr.cleanup()
            os.rmdir(empty)


if __name__ == "__main__":
    unittest.main()
