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


def retr_all(port, count):
    """Retrieves messages 1..count; returns (seconds, bytes received)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
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
        return fill, secs, total
    finally:
        pr.stop()
        pr.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-release")
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--sessions", type=int, default=20,
                    help="SMTP sessions that fill the maildrop")
    args = ap.parse_args()
    print(f"bench/pop3: one session, RETR pipelined {PIPELINE} deep, "
          f"{args.count} messages, {os.cpu_count()} cores")
    print(f"{'size':>7} {'msgs':>6} {'fill s':>7} {'RETR s':>7} "
          f"{'msgs/s':>8} {'MB/s':>7}")
    for size in (4096, 102400):
        fill, secs, total = scenario(args.build, size, args.count,
                                     args.sessions)
        print(f"{size // 1024:>6}K {args.count:>6} {fill:>7.1f} "
              f"{secs:>7.2f} {args.count / secs:>8.0f} "
              f"{total / secs / 1e6:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
