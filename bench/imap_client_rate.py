#!/usr/bin/env python3
"""bench/imap_client_rate: how many commands per second, and in what
bursts, real IMAP clients send when they sync a large mailbox, to choose
[imapd] command_rate and command_burst so that they never slow a client.
Reports figures; asserts nothing. Loopback only.

imapd runs with command_rate = 0 (no limit) and a recording proxy between
the client and the server notes the time each whole command (literals
included) reached it. For a token bucket of rate R, the burst a client
needs never to be held is max over i <= j of (j - i + 1) - R * (t_j - t_i);
the table gives it for several R, with the peak count in any one second.

Clients: imaplib uploading with APPEND, then an offlineimap-like imaplib
sync (UID FETCH of FLAGS for all, then one UID FETCH BODY.PEEK[] per
message, then one UID STORE per message), `postroom sync` (the project's
client, tls = none) and, when installed, mbsync (isync), which pipelines."""
import argparse
import imaplib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

USER, PW = "rate@bench.test", "bench-pw"
LITERAL = re.compile(rb"~?\{(\d+)\+?\}\r?\n$")


class Recorder:
    """A TCP proxy to the server that records command arrival times."""

    def __init__(self, target_port):
        self.target = target_port
        self.times = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            s = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self.up, args=(c, s), daemon=True).start()
            threading.Thread(target=self.down, args=(s, c),
                             daemon=True).start()

    def up(self, src, dst):
        """Client to server: a command ends at a line end outside a
        literal whose line announced none."""
        buf, skip = b"", 0
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                dst.close()
                return
            dst.sendall(data)
            now = time.monotonic()
            buf += data
            while True:
                if skip > 0:
                    n = min(skip, len(buf))
                    buf, skip = buf[n:], skip - n
                    if skip > 0:
                        break
                i = buf.find(b"\n")
                if i < 0:
                    break
                line, buf = buf[:i + 1], buf[i + 1:]
                m = LITERAL.search(line)
                if m:
                    skip = int(m.group(1))
                    continue
                with self.lock:
                    self.times.append(now)

    @staticmethod
    def down(src, dst):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                dst.close()
                return
            try:
                dst.sendall(data)
            except OSError:
                return

    def take(self):
        with self.lock:
            t, self.times = self.times, []
        return t


def burst_needed(times, rate):
    """The smallest bucket that never holds this arrival sequence."""
    best, low = 0.0, float("inf")
    for i, t in enumerate(times):
        low = min(low, i - rate * t)
        best = max(best, i - rate * t - low + 1)
    return int(best + 0.999)


def peak_per_second(times):
    j, best = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


RATES = (100, 1000, 2000, 5000)


def report(name, times):
    if len(times) < 2:
        print(f"| {name} | {len(times)} | - | - | - |")
        return
    took = times[-1] - times[0]
    bursts = " / ".join(str(burst_needed(times, r)) for r in RATES)
    print(f"| {name} | {len(times)} | {took:.1f} s | "
          f"{len(times) / took:.0f} | {peak_per_second(times)} | {bursts} |")


def msg(i):
    return (f"From: user{i % 50}@sender.test\r\nTo: {USER}\r\n"
            f"Subject: message {i}\r\nMessage-ID: <{i}@bench.test>\r\n"
            f"\r\n" + "Body line of a small message.\r\n" * 20).encode()


def imaplib_sessions(rec, count):
    m = imaplib.IMAP4("127.0.0.1", rec.port, timeout=120)
    m.login(USER, PW)
    rec.take()
    for i in range(count):
        m.append("INBOX", None, None, msg(i))
    report("imaplib APPEND, one by one", rec.take())
    m.select("INBOX")
    typ, data = m.uid("SEARCH", None, "ALL")
    uids = data[0].split()
    m.uid("FETCH", "1:*", "(FLAGS)")
    for uid in uids:
        m.uid("FETCH", uid, "(BODY.PEEK[])")
    report("imaplib sync: UID FETCH BODY.PEEK[] each", rec.take())
    for uid in uids:
        m.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    report("imaplib sync: UID STORE each", rec.take())
    m.logout()


def postroom_sync(rec, pr):
    from client_fixtures import ClientHome
    home = ClientHome()
    try:
        home.write_account(
            "bench", USER, PW,
            incoming={"protocol": "imap", "host": "127.0.0.1",
                      "port": rec.port, "tls": "none"},
            outgoing={"host": "127.0.0.1", "port": pr.submission,
                      "tls": "none"})
        rec.take()
        proc = home.run("sync", timeout=600)
        times = rec.take()
        if proc.returncode != 0:
            print(f"postroom sync failed: {proc.stderr[-500:]}",
                  file=sys.stderr)
        report("postroom sync (first, all messages)", times)
    finally:
        shutil.rmtree(home.tmp, ignore_errors=True)


def server_commands(pr, since):
    """Commands imapd counted in the sessions that ended after the log
    held since characters."""
    return sum(int(n) for n in re.findall(
        r"imapd\[\d+\]: info: .* disconnect .*commands=(\d+)",
        pr.log()[since:]))


def mbsync(pr):
    """mbsync talks to imapd directly: through the recording proxy it
    stalled after its first pipelined commands (XXX not understood; the
    direct sync completes), so only the total and the rate are known."""
    if shutil.which("mbsync") is None:
        print("| mbsync | not installed (Debian package isync) | | | | |")
        return
    tmp = tempfile.mkdtemp(prefix="bench-mbsync-")
    os.makedirs(os.path.join(tmp, "mail"))
    try:
        conf = os.path.join(tmp, "mbsyncrc")
        with open(conf, "w") as f:
            f.write(f"IMAPAccount a\nHost 127.0.0.1\nPort {pr.imap}\n"
                    f"User {USER}\nPass {PW}\nSSLType None\n"
                    "AuthMechs LOGIN\n\n"
                    "IMAPStore remote\nAccount a\n\n"
                    f"MaildirStore local\nPath {tmp}/mail/\n"
                    f"Inbox {tmp}/mail/INBOX\n\n"
                    "Channel c\nFar :remote:\nNear :local:\n"
                    "Patterns INBOX\nCreate Near\nSync All\n"
                    f"SyncState *\n")
        since = len(pr.log())
        t0 = time.monotonic()
        proc = subprocess.run(["mbsync", "-c", conf, "-a"],
                              capture_output=True, text=True, timeout=600)
        took = time.monotonic() - t0
        if proc.returncode != 0:
            print(f"mbsync failed: {proc.stderr[-500:]}", file=sys.stderr)
        time.sleep(0.5)  # the disconnect line
        n = server_commands(pr, since)
        print(f"| mbsync (first sync, pipelined; direct) | {n} | "
              f"{took:.1f} s | {n / took:.0f} | - | - |")
        # flags changed locally on every message go up as STOREs
        for d in ("cur", "new"):
            path = os.path.join(tmp, "mail", "INBOX", d)
            for name in os.listdir(path) if os.path.isdir(path) else []:
                base = name.split(":2,")[0]
                os.rename(os.path.join(path, name),
                          os.path.join(tmp, "mail", "INBOX", "cur",
                                       base + ":2,F"))
        since = len(pr.log())
        t0 = time.monotonic()
        subprocess.run(["mbsync", "-c", conf, "-a"], capture_output=True,
                       timeout=600)
        took = time.monotonic() - t0
        time.sleep(0.5)
        n = server_commands(pr, since)
        print(f"| mbsync (flag every message; direct) | {n} | "
              f"{took:.1f} s | {n / took:.0f} | - | - |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-asan")
    ap.add_argument("--messages", type=int, default=2000)
    args = ap.parse_args()
    os.environ["POSTROOM_BUILD"] = os.path.join(ROOT, args.build)
    from harness import Postroom
    pr = Postroom(sections={"imapd": {"command_rate": 0}}).start()
    try:
        pr.add_user(USER, PW)
        rec = Recorder(pr.imap)
        print(f"{args.messages} messages of ~800 bytes; build {args.build}\n")
        print("| client | commands | time | per second | peak in 1 s | "
              "burst needed at " + " / ".join(map(str, RATES)) + "/s |")
        print("|---|---|---|---|---|---|")
        imaplib_sessions(rec, args.messages)
        postroom_sync(rec, pr)
        mbsync(pr)
    finally:
        pr.stop()
        pr.cleanup()


if __name__ == "__main__":
    main()
