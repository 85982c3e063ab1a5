#!/usr/bin/env python3
"""bench/pop3: RETR throughput of pop3d (messages/s and MB/s) on one
session over a 5,000-message maildrop, at 4 KB and 100 KB per message. The
maildrop is filled through the SMTP port with bench/smtp_source; the client
pipelines RETR commands over a raw loopback socket (plaintext, loopback
login) and finds each response's end with one bytes.find, so the client is
not the bottleneck. Reports figures; asserts nothing. Loopback only."""
import argparse
import os
import socket
import ssl
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

PIPELINE = 64


def read_line(sock, buf):
    while b"\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise SystemExit("pop3d closed the connection")
        buf += data
    line, _, rest = bytes(buf).partition(b"\r\n")
    return line, bytearray(rest)


def retr_all(port, count, host="127.0.0.1", tls=None):
    """Retrieves messages 1..count; returns (seconds, bytes received).
    tls: an ssl context for implicit TLS (POP3S), else plaintext."""
    sock = socket.create_connection((host, port), timeout=60)
    if tls is not None:
        sock = tls.wrap_socket(sock, server_hostname="localhost")
    buf = bytearray()
    line, buf = read_line(sock, buf)
    for cmd in (b"USER bench0@bench.test", b"PASS pw"):
        sock.sendall(cmd + b"\r\n")
        line, buf = read_line(sock, buf)
        if not line.startswith(b"+OK"):
            raise SystemExit(f"login: {line!r}")
    total = 0
    t0 = time.monotonic()
    sent = done = 0
    pos = 0
    while done < count:
        while sent < count and sent - done < PIPELINE:
            sent += 1
            sock.sendall(b"RETR %d\r\n" % sent)
        # Each response: "+OK ...\r\n" then the body ending "\r\n.\r\n".
        while True:
            end = buf.find(b"\r\n.\r\n", pos)
            if end >= 0:
                break
            pos = max(0, len(buf) - 4)
            data = sock.recv(1 << 20)
            if not data:
                raise SystemExit("pop3d closed the connection")
            buf += data
        total += end + 5
        del buf[:end + 5]
        pos = 0
        done += 1
    secs = time.monotonic() - t0
    sock.sendall(b"QUIT\r\n")
    sock.close()
    return secs, total


def scenario(build, size, count, sessions):
    os.environ["POSTROOM_BUILD"] = os.path.join(ROOT, build)
    import harness
    harness.BUILD = os.environ["POSTROOM_BUILD"]
    harness.POSTROOMD = os.path.join(harness.BUILD, "servers", "postroomd",
                                     "postroomd")
    harness.POSTROOMCTL = os.path.join(harness.BUILD, "clients",
                                       "postroomctl", "postroomctl")
    pr = harness.Postroom(main={"log_level": "warn"}).start()
    try:
        pr.ctl("domain", "add", "bench.test")
        pr.ctl("account", "add", "bench0@bench.test", input="pw\n")
        src = os.path.join(ROOT, build, "bench", "smtp_source")
        t0 = time.monotonic()
        out = subprocess.run([src, "127.0.0.1", str(pr.port), str(sessions),
                              str(count), str(size), "1",
                              "bench%d@bench.test:1"],
                             capture_output=True, text=True, timeout=1800)
        if out.returncode != 0:
            raise SystemExit(f"smtp_source failed: {out.stdout}{out.stderr}")
        while len(pr.messages("bench0@bench.test")) < count:
            if time.monotonic() - t0 > 1800:
                raise SystemExit("maildrop not filled")
            time.sleep(0.2)
        fill = time.monotonic() - t0
        runs = [retr_all(pr.pop3, count) for _ in range(3)]
        secs, total = min(runs)  # the best of three: warm caches
        ctx = ssl.create_default_context(
            cafile=os.path.join(pr.data, "tls", "cert.pem"))
        tls = min(retr_all(pr.pop3s, count, tls=ctx) for _ in range(3))
        return fill, (secs, total), tls
    finally:
        pr.stop()
        pr.cleanup()


def scenario_dovecot(build, size, count, sessions):
    """The same maildrop in Dovecot (filled through Postfix and LMTP),
    retrieved over POP3S: Dovecot refuses plaintext logins, so both sides
    are compared over TLS."""
    from peers import DovecotPostfix
    peers = DovecotPostfix(domain="bench.test", durable=True)
    try:
        peers.add_user("bench0@bench.test", "pw")
        peers.start()
        src = os.path.join(ROOT, build, "bench", "smtp_source")
        out = subprocess.run([src, peers.host, str(peers.smtp),
                              str(sessions), str(count), str(size), "1",
                              "bench%d@bench.test:1"],
                             capture_output=True, text=True, timeout=1800)
        if out.returncode != 0:
            raise SystemExit(f"smtp_source failed: {out.stdout}{out.stderr}")
        peers.wait_messages("bench0@bench.test", count, timeout=1800)
        return min(retr_all(peers.pop3s, count, host=peers.host,
                            tls=peers.tls_context()) for _ in range(3))
    finally:
        peers.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-release")
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--sessions", type=int, default=20,
                    help="SMTP sessions that fill the maildrop")
    ap.add_argument("--no-dovecot", action="store_true")
    args = ap.parse_args()
    print(f"bench/pop3: one session, RETR pipelined {PIPELINE} deep, "
          f"{args.count} messages, {os.cpu_count()} cores")
    print(f"{'':>16} {'size':>7} {'msgs':>6} {'RETR s':>7} "
          f"{'msgs/s':>8} {'MB/s':>7}")
    with_dovecot = os.geteuid() == 0 and not args.no_dovecot

    def row(name, size, secs, total):
        print(f"{name:>16} {size // 1024:>6}K {args.count:>6} "
              f"{secs:>7.2f} {args.count / secs:>8.0f} "
              f"{total / secs / 1e6:>7.1f}", flush=True)

    for size in (4096, 102400):
        fill, plain, tls = scenario(args.build, size, args.count,
                                    args.sessions)
        row("postroom", size, *plain)
        row("postroom TLS", size, *tls)
        if with_dovecot:
            dc = scenario_dovecot(args.build, size, args.count,
                                  args.sessions)
            row("dovecot TLS", size, *dc)
            print(f"{'ratio TLS':>16} {'':>7} {'':>6} {'':>7} "
                  f"{dc[0] / tls[0]:>7.2f}x", flush=True)


if __name__ == "__main__":
    main()
