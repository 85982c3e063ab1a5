"""Hostile messages through the whole webmail: every message of
tests/data/xss (script tags, event handlers, javascript: URLs, SVG, MathML,
CSS, mutation XSS, remote images, malformed and exotic charsets) and huge
and deeply nested HTML made here is delivered by SMTP and opened in
headless Chromium as the user would (the list, the reader: DOMPurify, the
sandboxed frame and its CSP). For each: no dialog opens, the beacon the
payloads call gets no request, no request leaves the webmail's origin, the
page keeps its title and address. Then "Show images" on the remote-image
message: the images arrive at the beacon, which shows the probe sees what
it must. Needs the JMAP API: skipped, saying so, where httpd has none."""
import re
import smtplib
import unittest

from harness import Postroom
from http_fixtures import wait_http
from test_webmail_mail import BOB, BOB_PW, has_jmap, login, row_with
from webmail_browser import (Beacon, Browser, corpus, fill_beacon,
                             generated_messages, wait_until)


class WebmailXssTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.beacon = Beacon()
        cls.browser = None
        try:
            cls.pr.add_user(BOB, BOB_PW)
            wait_http(cls.pr)
            if not has_jmap(cls.pr):
                raise unittest.SkipTest("httpd has no JMAP API yet "
                                        "(servers/httpd/jmap_*)")
            cls.browser = Browser()
            cls.origin = f"http://127.0.0.1:{cls.pr.http}"
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.browser:
            cls.browser.close()
        cls.beacon.close()
        cls.pr.cleanup()

    def test_hostile_messages_run_nothing(self):
        messages = corpus() + generated_messages()
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=60) as s:
            for name, raw in messages:
                # SMTP lines end in CRLF (RFC 5321 §2.3.8)
                data = re.sub(rb"\r?\n", b"\r\n", fill_beacon(raw, self.beacon))
                s.sendmail("mallory@evil.test", [BOB], data)
        self.pr.wait_messages(BOB, len(messages), timeout=60)
        b = self.browser
        login(b, self.origin, BOB, BOB_PW)
        title = b.js("return document.title")
        b.requests()
        for name, _ in messages:
            with self.subTest(message=name):
                # a click on the row itself (rows further down are
                # scrolled to first)
                b.js("arguments[0].scrollIntoView(); arguments[0].click()",
                     row_with(b, f"xss {name}"))
                b.wait(lambda d: b.js(
                    "const h = document.getElementById('reader-subject');"
                    "return h && h.textContent === arguments[0];",
                    f"xss {name}"), what=f"reader of {name}")
                b.wait(lambda d: b.js(
                    "const f = document.querySelector('.msg-frame');"
                    "if (!f) return !!document.querySelector('.email-text');"
                    "return !!(f.contentDocument && f.contentDocument.body"
                    " && f.contentDocument.body.childNodes.length);"),
                    what=f"body of {name}")
                # hover and click what a user might
                b.js("const f = document.querySelector('.msg-frame');"
                     "const d = f && f.contentDocument; if (!d) return;"
                     "for (const el of [...d.querySelectorAll('*')]"
                     ".slice(0, 2000)) {"
                     " el.dispatchEvent(new MouseEvent('mouseover',"
                     " {bubbles: true}));"
                     " if (el.matches('a:not([href]), summary, button'))"
                     " el.click(); }")
                wait_until(lambda: self.beacon.hits, timeout=0.5)
                self.assertIsNone(b.alert_text(), name)
                self.assertEqual(self.beacon.hits, [], name)
                self.assertEqual(b.js("return document.title"), title, name)
                self.assertTrue(b.js("return location.href").startswith(
                    self.origin + "/"), name)
                leaving = [u for u in b.requests()
                           if not u.startswith((self.origin, "blob:",
                                                "data:", "about:"))]
                self.assertEqual(leaving, [], name)
                if name in ("remote", "mxss", "svg"):
                    b.shot(f"xss-{name}")

        # remote images: held back with a banner, loaded on consent
        b.js("arguments[0].scrollIntoView(); arguments[0].click()",
             row_with(b, "xss remote"))
        banner = b.wait_css(".images-banner")
        self.assertIn("remote image", banner.text)
        self.assertEqual(self.beacon.hits, [])
        b.find(".show-images").click()
        self.assertTrue(wait_until(lambda: "/remote.png" in self.beacon.hits,
                                   timeout=20), self.beacon.hits)
        self.assertIsNone(b.alert_text())
        b.shot("xss-remote-allowed")


if __name__ == "__main__":
    unittest.main()
