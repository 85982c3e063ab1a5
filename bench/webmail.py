#!/usr/bin/env python3
"""bench/webmail: the webmail in headless Chromium against a mailbox of
--messages messages (default 100,000, filled through the store by
bench/store_fill, as bench/imap_search.py does). Reports, asserts nothing:
- bytes shipped: the page and its assets as sent (gzip) and unpacked;
- time to interactive after login: from the click on "Log in" to the first
  conversation rows on screen (the session, the folders, the first window);
- time to open a thread: from a click on a row to its message shown, for
  rows at the top, and after scrolling to the middle and the end of the
  list (windows fetched on demand);
- time to scroll: from a jump to the middle of the list to its rows filled.
Each timing is taken in the page (performance.now()), --repeat times.
Needs the JMAP API in httpd. Usage: bench/webmail.py [--build build-release]
[--messages N] [--repeat N]"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
USER, PW = "bench@bench.test", "bench-pw"

# a click, then until selector has a match; in the page's clock
TIMED_CLICK = """
const [target, selector, done] = arguments;
const t0 = performance.now();
target.click();
const check = () => {
  if (document.querySelector(selector)) done(performance.now() - t0);
  else requestAnimationFrame(check);
};
check();
"""

OPEN_ROW = """
const [index, done] = arguments;
const list = document.querySelector('.vlist');
const old = document.getElementById('reader-subject');
list.scrollTop = index * 64;
const t0 = performance.now();
const wait = () => {
  const row = document.querySelector(`.vrow[data-index="${index}"][data-thread-id]`);
  if (!row) { requestAnimationFrame(wait); return; }
  const filled = performance.now() - t0;
  const subject = row.querySelector('.row-subject').textContent;
  const t1 = performance.now();
  row.click();
  const shown = () => {
    const h = document.getElementById('reader-subject');
    const body = document.querySelector('.email-text, .msg-frame');
    if (h && h !== old && h.textContent === subject && body)
      done([filled, performance.now() - t1]);
    else requestAnimationFrame(shown);
  };
  shown();
};
wait();
"""


def stats(values):
    values = sorted(values)
    return (f"median {values[len(values) // 2]:.0f} ms, "
            f"min {values[0]:.0f}, max {values[-1]:.0f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-release")
    ap.add_argument("--messages", type=int, default=100000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from imap import setup_harness
    harness = setup_harness(args.build)
    from webmail_browser import Browser
    pr = harness.Postroom(main={"log_level": "warn"},
                          sections={"httpd": {"request_rate": 0}}).start()
    browser = None
    try:
        pr.ctl("domain", "add", "bench.test")
        pr.ctl("account", "add", USER, input=f"{PW}\n")
        fill = os.path.join(ROOT, args.build, "bench", "store_fill")
        # no fsync while filling; an ASan build tolerates the preload
        env = dict(os.environ, LD_PRELOAD=os.path.join(
            ROOT, args.build, "bench", "libnosync.so"),
            ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=0")
        t0 = time.monotonic()
        out = subprocess.run([fill, pr.data, USER, str(args.messages)],
                             capture_output=True, text=True, timeout=7200,
                             env=env)
        if out.returncode != 0:
            raise SystemExit(f"store_fill failed: {out.stdout}{out.stderr}")
        print(f"bench/webmail: {args.messages} messages in INBOX "
              f"(filled in {time.monotonic() - t0:.0f} s), "
              f"{os.cpu_count()} cores, build {args.build}")
        from http_fixtures import wait_http
        wait_http(pr)
        origin = f"http://127.0.0.1:{pr.http}"
        browser = Browser()
        b = browser

        # bytes shipped: the login page as a browser loads it, cold
        b.driver.execute_cdp_cmd("Network.enable", {})
        b.driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        b.driver.get_log("performance")
        b.get(origin + "/")
        b.wait_css("#login-user")
        urls, sizes = {}, {}
        for entry in b.driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            params = msg.get("params", {})
            if msg.get("method") == "Network.requestWillBeSent":
                urls[params["requestId"]] = params["request"]["url"]
            elif msg.get("method") == "Network.loadingFinished":
                sizes[params["requestId"]] = params["encodedDataLength"]
        sent = decoded = 0
        dist = os.path.join(ROOT, "web", "dist")
        for rid, size in sizes.items():
            url = urls.get(rid, "?")
            if url.startswith(origin):
                path = url[len(origin):].split("?")[0]
                print(f"  {path}: {size} bytes on the wire")
                sent += size
                local = os.path.join(dist, path.lstrip("/") or "index.html")
                if os.path.isfile(local):
                    decoded += os.path.getsize(local)
        # (the views besides mail are chunks loaded when first shown: not
        # part of the login page)
        print(f"bytes shipped at the login page: {sent} on the wire "
              f"(headers and gzip bodies), {decoded} unpacked")

        tti = []
        for _ in range(args.repeat):
            b.driver.delete_all_cookies()
            b.get(origin + "/")
            b.js("localStorage.clear()")
            b.get(origin + "/")
            b.wait_css("#login-user").send_keys(USER)
            b.find("#login-pass").send_keys(PW)
            tti.append(b.js_async(TIMED_CLICK, b.find("#login-submit"),
                                  ".vrow[data-thread-id]"))
        print(f"time to interactive after login: {stats(tti)}")

        for label, index in [("top", 0), ("middle", args.messages // 2),
                             ("end", args.messages - 1)]:
            fills, opens = [], []
            for i in range(args.repeat):
                row = index + i if label == "top" else index - i
                filled, opened = b.js_async(OPEN_ROW, row)
                fills.append(filled)
                opens.append(opened)
            print(f"rows at the {label}: list filled {stats(fills)}; "
                  f"thread opened {stats(opens)}")
    finally:
        if browser:
            browser.close()
        pr.stop()
        pr.cleanup()


if __name__ == "__main__":
    main()
