#!/usr/bin/env python3
"""bench/client_sync: how fast `postroom sync` brings a mailbox of N
messages (4 KB each) into an empty local store, over IMAP (implicit TLS)
and over POP3 (STLS, leave on server), from postroomd and from Debian's
Dovecot started on loopback in the same run (tests/integration/peers.py;
needs root). Both servers are filled the same way, with IMAP APPEND.
Reports messages/s; asserts nothing. Loopback only."""
import argparse
import imaplib
import os
import ssl
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))


def message(i):
    body = ("A line of text for the benchmark, about seventy bytes in "
            "all.\r\n") * 60
    return (f"From: lisa@bench.test\r\nTo: bob@bench.test\r\n"
            f"Subject: message {i}\r\nMessage-ID: <m{i}@bench.test>\r\n"
            f"\r\n{body}").encode()


def fill(host, port, ctx, user, password, count):
    m = imaplib.IMAP4_SSL(host, port, ssl_context=ctx, timeout=120)
    m.login(user, password)
    for i in range(count):
        m.append("INBOX", None, None, message(i))
    m.logout()


def timed_sync(client):
    t = time.monotonic()
    out = client.json("sync", timeout=600)
    return time.monotonic() - t, out["fetched"]


def run(name, count, make_account):
    from client_fixtures import ClientHome
    for proto in ("imap", "pop3"):
        client = ClientHome()
        try:
            make_account(client, proto)
            secs, fetched = timed_sync(client)
            print(f"{name:9} {proto}: {fetched} messages in {secs:.2f} s "
                  f"= {fetched / secs:.0f} msg/s")
        finally:
            client.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-release")
    ap.add_argument("--count", type=int, default=1000)
    args = ap.parse_args()
    os.environ["POSTROOM_BUILD"] = os.path.join(ROOT, args.build)
    from harness import Postroom
    from peers import DovecotPostfix
    user, pw = "bob@bench.test", "bob-pw"

    pr = Postroom().start()
    try:
        pr.add_user(user, pw)
        ctx = ssl.create_default_context(
            cafile=os.path.join(pr.data, "tls", "cert.pem"))
        fill("localhost", pr.imaps, ctx, user, pw, args.count)
        run("postroomd", args.count, lambda c, proto: c.for_postroomd(
            "bob", user, pw, pr, proto=proto))
    finally:
        pr.stop()
        pr.cleanup()

    dc = DovecotPostfix(domain="bench.test")
    try:
        dc.add_user(user, pw)
        dc.start()
        fill(dc.host, dc.imaps, dc.tls_context(), user, pw, args.count)

        def account(c, proto):
            port, tls = (dc.imaps, "implicit") if proto == "imap" \
                else (dc.pop3, "starttls")
            c.write_account("bob", user, pw, tls_ca_file=dc.ca_file,
                            incoming={"protocol": proto, "host": dc.host,
                                      "port": port, "tls": tls})
        run("dovecot", args.count, account)
    finally:
        dc.cleanup()


if __name__ == "__main__":
    main()
