"""What the webmail's browser tests share: Debian's headless Chromium driven
by Debian's python3-selenium through chromedriver (the flags of
.library's "known to work": no sandbox as root, no background networking,
a fresh profile), every request the page and its frames make (Chromium's
performance log), screenshots kept as artifacts, axe-core's checks, and a
beacon: a loopback HTTP server that counts every request, which hostile
messages try to reach."""
import glob
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest

from harness import ROOT

# python3-selenium is Debian's; the tests may run under another Python
sys.path.append("/usr/lib/python3/dist-packages")
try:
    from selenium import webdriver
    from selenium.common.exceptions import (NoAlertPresentException,
                                            TimeoutException)
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    HAVE_SELENIUM = True
except ImportError:  # install-deps test installs it
    HAVE_SELENIUM = False

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
AXE = os.path.join(ROOT, "web", "node_modules", "axe-core", "axe.min.js")
ARTIFACTS = os.environ.get("POSTROOM_ARTIFACTS") or os.path.join(
    ROOT, "build-asan", "webmail-artifacts")


def require_browser():
    """Fails (not skips) when a tool the tests need is missing."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER, AXE)
               if not os.path.exists(p)]
    if missing or not HAVE_SELENIUM:
        raise AssertionError(
            f"missing {missing or 'python3-selenium'}: run "
            "scripts/install-deps test and make web")


class Browser:
    def __init__(self, width=1280, height=900):
        require_browser()
        self.profile = tempfile.mkdtemp(prefix="postroom-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for arg in ["--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-quic", "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--lang=en-US",
                    f"--window-size={width},{height}",
                    f"--user-data-dir={self.profile}"]:
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs",
                            {"performance": "ALL", "browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER),
                                       options=opts)
        self.driver.set_script_timeout(60)

    def close(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def get(self, url):
        self.driver.get(url)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def js_async(self, script, *args):
        return self.driver.execute_async_script(script, *args)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait(self, cond, timeout=30, what="condition"):
        """Waits until cond(driver) is truthy; returns its value."""
        try:
            return WebDriverWait(self.driver, timeout, 0.1).until(cond)
        except TimeoutException:
            self.shot(f"timeout-{what}")
            logs = [e["message"] for e in self.console()][-10:]
            raise AssertionError(f"timed out waiting for {what}; "
                                 f"console: {logs}")

    def wait_css(self, css, timeout=30):
        return self.wait(lambda d: (d.find_elements(By.CSS_SELECTOR, css)
                                    or [None])[0], timeout, css)

    def requests(self):
        """URLs requested (by the page and every frame) since the last
        call, from the performance log, less those Chromium blocked before
        they left (CSP, mixed content: loadingFailed with a
        blockedReason)."""
        sent, blocked = [], set()
        for entry in self.driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            params = msg.get("params", {})
            if msg.get("method") == "Network.requestWillBeSent":
                sent.append((params["requestId"], params["request"]["url"]))
            elif (msg.get("method") == "Network.loadingFailed"
                  and params.get("blockedReason")):
                blocked.add(params["requestId"])
        return [url for rid, url in sent if rid not in blocked]

    def console(self):
        return self.driver.get_log("browser")

    def alert_text(self):
        """The text of an open dialog (then dismissed), else None."""
        try:
            alert = self.driver.switch_to.alert
            text = alert.text
            alert.dismiss()
            return text
        except NoAlertPresentException:
            return None

    def completions(self, prefix):
        """What a new message's To field offers for prefix (the webmail's
        address completion); the message is closed again."""
        from selenium.webdriver.common.keys import Keys
        self.wait_css(".compose-btn").click()
        to = self.wait_css(".compose input[id^=c-to-]")
        to.send_keys(prefix)
        opts = self.wait(lambda d: [o.text for o in self.finds(
            ".completions li[role=option]")], what="completion")
        to.send_keys(Keys.ESCAPE)
        to.send_keys(Keys.ESCAPE)
        self.wait(lambda d: not self.finds(".compose"), what="compose closed")
        return opts

    def shot(self, name):
        """Saves a screenshot into ARTIFACTS; returns its path."""
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, f"{name}.png")
        self.driver.save_screenshot(path)
        return path

    def axe(self, context=None):
        """axe-core's serious and critical violations on the page as it is
        now (WCAG 2.1 A and AA rules): a list of (id, impact, targets)."""
        if not self.js("return !!window.axe"):
            with open(AXE, encoding="utf-8") as f:
                self.js(f.read() + "\nwindow.axe = axe;")
        result = self.js_async(
            "const done = arguments[arguments.length - 1];"
            "axe.run(arguments[0] || document, {runOnly: {type: 'tag',"
            " values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
            ".then(r => done(r.violations.map(v => [v.id, v.impact,"
            " v.nodes.map(n => n.target.join(' ')).slice(0, 5)])))"
            ".catch(e => done([['axe-error', 'critical', [String(e)]]]));",
            context)
        return [v for v in result if v[1] in ("serious", "critical")]


class Beacon:
    """A loopback HTTP server that answers 404 to everything and keeps
    every path asked for: where a payload that ran would report."""

    def __init__(self):
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_HEAD = do_GET

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def corpus():
    """The hostile messages: [(name, bytes of the .eml)]."""
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "data", "xss",
                                              "*.eml"))):
        with open(path, "rb") as f:
            out.append((os.path.basename(path)[:-4], f.read()))
    return out


def fill_beacon(raw, beacon):
    return (raw.replace(b"{BEACON_PROTO_RELATIVE}",
                        beacon.url[len("http:"):].encode())
            .replace(b"{BEACON}", beacon.url.encode()))


def generated_messages():
    """Huge and deeply nested HTML, made here: [(name, bytes)]."""
    head = (b"From: Mallory <mallory@evil.test>\r\nTo: bob@example.test\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n")
    # short lines: SMTP's limit is 1000 bytes (RFC 5321 §4.5.3.1.6)
    deep = (b"<div>\r\n" * 20000
            + b"<img src=x onerror=fetch('{BEACON}/deep')>\r\n"
            + b"</div>\r\n" * 20000)
    tables = (b"<table><tr><td>\r\n" * 3000 + b"x\r\n"
              + b"</td></tr></table>\r\n" * 3000)
    huge = b"".join(b"<p>line %d <b>bold</b> <a href='https://example.org/%d'>"
                    b"link</a></p>\r\n" % (i, i) for i in range(60000))
    huge += b"<img src=x onerror=fetch('{BEACON}/huge')>\r\n"
    return [("deep", head + b"Subject: xss deep\r\n\r\n" + deep + b"\r\n"),
            ("tables", head + b"Subject: xss tables\r\n\r\n" + tables + b"\r\n"),
            ("huge", head + b"Subject: xss huge\r\n\r\n" + huge)]


def skip_unless(cond, why):
    if not cond:
        raise unittest.SkipTest(why)


def wait_until(fn, timeout=10, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(step)
    return fn()
