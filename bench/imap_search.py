#!/usr/bin/env python3
"""bench/imap_search: IMAP SEARCH times on one 100,000-message mailbox.
Reports figures; asserts nothing. Loopback only.

Setup: one account, its INBOX filled straight through the store API by
bench/store_fill (blob, row and FTS5 search index per message; SMTP would
take hours), which reports the fill and the index build times. The fill
runs with bench/nosync preloaded (fsync is a no-op): with three syncs per
message it would take most of an hour, and durability is not measured. Messages are
small (about 750 bytes: From user<i % 1000>@sender<i % 7>.test, Subject
"report <i> <word>", eight lines of common words); every 10,000th carries
"needle" in its subject and "needle<k>" in its body; every third is \\Seen.

Each query runs --repeat times over imaplib on one session with INBOX
selected; the table gives the hits and the fastest and slowest wall time
seen by the client (the first run of each key is the slowest when caches
are cold)."""
import argparse
import imaplib
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

USER, PW = "search@bench.test", "pw"

QUERIES = [
    ("TEXT hit (1)", "SEARCH", 'TEXT "needle3 is"'),
    ("TEXT miss", "SEARCH", 'TEXT "zqxjkv"'),
    ("TEXT common word", "SEARCH", 'TEXT "budget"'),
    ("BODY hit (1)", "SEARCH", 'BODY "needle5"'),
    ("BODY miss", "SEARCH", 'BODY "zqxjkv"'),
    ("SUBJECT hit (10)", "SEARCH", 'SUBJECT "needle"'),
    ("SUBJECT hit (1)", "SEARCH", 'SUBJECT "report 99999"'),
    ("SUBJECT miss", "SEARCH", 'SUBJECT "zqxjkv"'),
    ("FROM hit (100)", "SEARCH", 'FROM "user7@"'),
    ("FROM hit (1/7)", "SEARCH", 'FROM "sender3"'),
    ("FROM miss", "SEARCH", 'FROM "nobody@"'),
    ("TEXT 2 chars", "SEARCH", 'TEXT "zq"'),
    ("UNSEEN", "SEARCH", "UNSEEN"),
    ("UID SEARCH 1:1000", "UID", "SEARCH UID 1:1000"),
    ("UID SEARCH 50000:*", "UID", "SEARCH UID 50000:*"),
    ("UID SEARCH UNSEEN SUBJECT", "UID", 'SEARCH UID 1:* UNSEEN SUBJECT "needle"'),
    ("SEARCH ALL", "SEARCH", "ALL"),
]


def run(m, kind, args):
    t0 = time.monotonic()
    if kind == "UID":
        typ, data = m.uid(*args.split(" ", 1))
    else:
        typ, data = m.search(None, args)
    took = time.monotonic() - t0
    if typ != "OK":
        raise SystemExit(f"{args}: {typ} {data}")
    return took, len(data[0].split())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-release")
    ap.add_argument("--messages", type=int, default=100000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from imap import setup_harness
    harness = setup_harness(args.build)
    pr = harness.Postroom(main={"log_level": "warn"},
                          sections={"imapd": {"command_rate": 0}}).start()
    try:
        pr.ctl("domain", "add", "bench.test")
        pr.ctl("account", "add", USER, input=f"{PW}\n")
        fill = os.path.join(ROOT, args.build, "bench", "store_fill")
        env = dict(os.environ, LD_PRELOAD=os.path.join(
            ROOT, args.build, "bench", "libnosync.so"))
        out = subprocess.run([fill, pr.data, USER, str(args.messages)],
                             capture_output=True, text=True, timeout=7200,
                             env=env)
        if out.returncode != 0:
            raise SystemExit(f"store_fill failed: {out.stdout}{out.stderr}")
        f = dict(kv.split("=") for kv in out.stdout.split())
        print(f"bench/imap_search: {f['messages']} messages of "
              f"{f['bytes_each']} bytes in one INBOX; fill {f['fill_s']} s, "
              f"search index build {f['index_s']} s ({os.cpu_count()} cores)")
        m = imaplib.IMAP4("127.0.0.1", pr.imap, timeout=600)
        m._mode_utf8 = False
        m.login(USER, PW)
        t0 = time.monotonic()
        typ, _ = m.select("INBOX")
        print(f"SELECT INBOX: {time.monotonic() - t0:.3f} s")
        print(f"{'query':<28} {'hits':>7} {'fastest s':>10} {'slowest s':>10}")
        for name, kind, q in QUERIES:
            times, hits = [], 0
            for _ in range(args.repeat):
                took, hits = run(m, kind, q)
                times.append(took)
            print(f"{name:<28} {hits:>7} {min(times):>10.3f} "
                  f"{max(times):>10.3f}", flush=True)
        m.logout()
    finally:
        pr.stop()
        pr.cleanup()


if __name__ == "__main__":
    main()
