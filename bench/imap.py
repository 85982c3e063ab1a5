#!/usr/bin/env python3
"""bench/imap: IMAP commands per second for a mixed load with 10 and 100
concurrent clients (logins included), and imapd's memory per idle
connection with 1,000 logged-in clients in IDLE. Reports figures; asserts
nothing. Loopback only.

Setup: 10 accounts (bench0..bench9@bench.test), each INBOX filled with
--messages 4 KB messages through the SMTP port by bench/smtp_source
(each message to all 10 accounts). With
10 clients each client has its own account; with 100 clients, 10 clients
share each account (so they also see each other's EXPUNGE and EXISTS).
Client i connects from 127.0.1.(1 + i % 250), since postroomd steers each
source address to one imapd worker.

One session, in this fixed proportion (6 * ROUNDS + 3 commands):
    LOGIN, SELECT INBOX,
    ROUNDS x (FETCH a:a+19 (FLAGS ENVELOPE), FETCH r BODY[],
              UID SEARCH UNSEEN TEXT "bench", APPEND INBOX (4 KB, LITERAL+),
              UID STORE <appended> +FLAGS.SILENT (\\Deleted), EXPUNGE),
    LOGOUT
a and r are random; each client runs sessions back to back for --duration
seconds. Clients are Python threads on raw blocking sockets (one reader that
skips literals by their size, no imaplib). imapd's CPU seconds come from
/proc/<pid>/stat (utime + stime, all imapd processes), the client's own from
os.times(), so that the client's share of the machine is visible.

Memory: postroomd is restarted on the same data with [imapd] workers = 1;
one session per account logs in and out first (so account handles and
caches are warm), then imapd's VmRSS is read, 1,000 clients log in, SELECT
INBOX (1,000-message mailboxes, 100 clients per account) and enter IDLE,
and after a pause (account handles close 5 s after last use) VmRSS is read
again."""
import argparse
import os
import random
import resource
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

ACCOUNTS = 10
ROUNDS = 10
CMDS_PER_SESSION = 6 * ROUNDS + 3
TICK = os.sysconf("SC_CLK_TCK")


def append_message(n):
    head = (b"From: Bench <bench@remote.test>\r\nTo: bench@bench.test\r\n"
            b"Subject: appended %d\r\nDate: Mon, 02 Jan 2023 10:00:00 +0000\r\n"
            b"Message-ID: <appended.%d@remote.test>\r\n\r\n" % (n, n))
    line = b"y" * 76 + b"\r\n"
    return head + line * ((4096 - len(head)) // len(line))


class Conn:
    """One IMAP connection on a blocking socket."""

    def __init__(self, port, index):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind((f"127.0.1.{1 + index % 250}", 0))
        self.sock.settimeout(120)
        self.sock.connect(("127.0.0.1", port))
        self.buf = bytearray()
        self.n = 0
        line = self.read_line()
        if not line.startswith(b"* OK"):
            raise RuntimeError(f"greeting: {line!r}")

    def recv(self):
        data = self.sock.recv(262144)
        if not data:
            raise RuntimeError("imapd closed the connection")
        self.buf += data

    def read_line(self):
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buf[:end])
                del self.buf[:end + 2]
                return line
            self.recv()

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, text, literal=None):
        """Sends one command; returns its tagged line. Untagged responses
        (literals included, skipped by their size) are read and dropped."""
        self.n += 1
        tag = b"a%d" % self.n
        if literal is None:
            self.send(tag + b" " + text + b"\r\n")
        else:
            self.send(tag + b" " + text + b" {%d+}\r\n" % len(literal) +
                      literal + b"\r\n")
        return self.wait_tag(tag)

    def wait_tag(self, tag):
        want = tag + b" "
        start = 0   # where the current response line starts
        scan = 0    # where to look for the next CRLF
        while True:
            end = self.buf.find(b"\r\n", scan)
            if end < 0:
                scan = max(start, len(self.buf) - 1)
                self.recv()
                continue
            if end > start and self.buf[end - 1] == 0x7d:  # "...{n}"
                open_ = self.buf.rfind(b"{", start, end)
                size = int(self.buf[open_ + 1:end - 1].rstrip(b"+"))
                scan = end + 2 + size
                while len(self.buf) < scan:
                    self.recv()
                continue
            if self.buf.startswith(want, start):
                line = bytes(self.buf[start:end])
                del self.buf[:end + 2]
                if not line.startswith(want + b"OK"):
                    raise RuntimeError(f"{line!r}")
                return line
            start = scan = end + 2
            if start > 65536:
                del self.buf[:start]
                start = scan = 0

    def close(self):
        self.sock.close()


def session(port, index, user, messages, rng, deadline, counter):
    c = Conn(port, index)
    done = 0
    try:
        c.cmd(b"LOGIN %s pw" % user.encode())
        c.cmd(b"SELECT INBOX")
        done = 2
        for _ in range(ROUNDS):
            a = rng.randint(1, messages - 20)
            c.cmd(b"FETCH %d:%d (FLAGS ENVELOPE)" % (a, a + 19))
            c.cmd(b"FETCH %d BODY[]" % rng.randint(1, messages))
            c.cmd(b'UID SEARCH UNSEEN TEXT "bench"')
            line = c.cmd(b"APPEND INBOX", append_message(rng.randint(1, 1 << 30)))
            uid = int(line.split(b"[APPENDUID ", 1)[1].split(b"]")[0].split()[1])
            c.cmd(b"UID STORE %d +FLAGS.SILENT (\\Deleted)" % uid)
            c.cmd(b"EXPUNGE")
            done += 6
            if time.monotonic() > deadline:
                break
        c.cmd(b"LOGOUT")
        done += 1
    finally:
        c.close()
        counter[index] += done


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / TICK


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def mixed_load(pr, clients, messages, duration):
    imapds = pr.children("imapd")
    authds = pr.children("authd")  # password checks (none before authd)
    counter = [0] * clients
    errors = []
    deadline = time.monotonic() + duration

    def client(i):
        rng = random.Random(i)
        try:
            while time.monotonic() < deadline:
                session(pr.imap, i, f"bench{i % ACCOUNTS}@bench.test",
                        messages, rng, deadline, counter)
        except Exception as e:  # reported, not fatal
            errors.append(f"client {i}: {e}")

    cpu0 = cpu_seconds(imapds)
    auth0 = cpu_seconds(authds)
    own0 = os.times()
    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,))
               for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    own1 = os.times()
    cpu = cpu_seconds(imapds) - cpu0
    auth_cpu = cpu_seconds(authds) - auth0
    own = (own1.user + own1.system) - (own0.user + own0.system)
    for e in errors[:5]:
        print("  error:", e, file=sys.stderr)
    total = sum(counter)
    return {"clients": clients, "commands": total, "secs": secs,
            "per_s": total / secs, "imapd_cpu": cpu, "client_cpu": own,
            "authd_cpu": auth_cpu,
            "errors": len(errors), "workers": len(imapds)}


def idle_memory(pr, count):
    (pid,) = pr.children("imapd")
    for i in range(ACCOUNTS):  # warm each account once
        c = Conn(pr.imap, i)
        c.cmd(b"LOGIN bench%d@bench.test pw" % i)
        c.cmd(b"SELECT INBOX")
        c.cmd(b"LOGOUT")
        c.close()
    time.sleep(6)
    before = rss_kib(pid)
    cpu0 = cpu_seconds([pid])
    authds = pr.children("authd")
    auth0 = cpu_seconds(authds)
    conns = []
    t0 = time.monotonic()
    for i in range(count):
        c = Conn(pr.imap, i)
        c.cmd(b"LOGIN bench%d@bench.test pw" % (i % ACCOUNTS))
        c.cmd(b"SELECT INBOX")
        c.n += 1
        c.send(b"a%d IDLE\r\n" % c.n)
        line = c.read_line()
        if not line.startswith(b"+"):
            raise SystemExit(f"IDLE: {line!r}")
        conns.append(c)
    login_secs = time.monotonic() - t0
    cpu = cpu_seconds([pid]) - cpu0
    auth_cpu = cpu_seconds(authds) - auth0
    time.sleep(7)  # account handles close 5 s after last use
    after = rss_kib(pid)
    alive = 0
    for c in conns:
        c.send(b"DONE\r\n")
    for c in conns:
        try:
            c.wait_tag(b"a%d" % c.n)
            alive += 1
        except Exception:
            pass
        c.close()
    return {"count": count, "alive": alive, "before": before, "after": after,
            "per_conn": (after - before) / count, "login_secs": login_secs,
            "cpu_per_conn_ms": cpu * 1000 / count,
            "authd_per_conn_ms": auth_cpu * 1000 / count}


def setup_harness(build):
    os.environ["POSTROOM_BUILD"] = os.path.join(ROOT, build)
    import harness
    harness.BUILD = os.environ["POSTROOM_BUILD"]
    harness.POSTROOMD = os.path.join(harness.BUILD, "servers", "postroomd",
                                     "postroomd")
    harness.POSTROOMCTL = os.path.join(harness.BUILD, "clients",
                                       "postroomctl", "postroomctl")
    return harness


def fill(pr, build, messages):
    pr.ctl("domain", "add", "bench.test")
    for i in range(ACCOUNTS):
        pr.ctl("account", "add", f"bench{i}@bench.test", input="pw\n")
    src = os.path.join(ROOT, build, "bench", "smtp_source")
    t0 = time.monotonic()
    out = subprocess.run([src, "127.0.0.1", str(pr.port), "20",
                          str(messages), "4096", str(ACCOUNTS),
                          f"bench%d@bench.test:{ACCOUNTS}"],
                         capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise SystemExit(f"smtp_source failed: {out.stdout}{out.stderr}")
    for i in range(ACCOUNTS):
        while len(pr.messages(f"bench{i}@bench.test")) < messages:
            if time.monotonic() - t0 > 600:
                raise SystemExit("mailboxes not filled")
            time.sleep(0.5)
    secs = time.monotonic() - t0
    time.sleep(5)  # let deliver's idle work (search index) catch up
    return secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-release")
    ap.add_argument("--messages", type=int, default=1000,
                    help="4 KB messages per account (10 accounts)")
    ap.add_argument("--duration", type=float, default=20.0,
                    help="seconds per mixed-load run")
    ap.add_argument("--workers", type=int, default=os.cpu_count(),
                    help="imapd processes for the mixed load")
    ap.add_argument("--idle", type=int, default=1000,
                    help="clients in IDLE for the memory figure")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * args.idle + 1000))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    harness = setup_harness(args.build)
    limits = {"max_connections": 2 * args.idle + 1000,
              "max_connections_per_ip": 2 * args.idle + 1000}
    pr = harness.Postroom(main={"log_level": "warn"}, sections={
        "imapd": dict(limits, workers=args.workers)}).start()
    try:
        fill_secs = fill(pr, args.build, args.messages)
        print(f"bench/imap: {ACCOUNTS} accounts x {args.messages} messages "
              f"of 4 KB (filled in {fill_secs:.0f} s), {os.cpu_count()} "
              f"cores, imapd workers={args.workers}, "
              f"{CMDS_PER_SESSION} commands per session, "
              f"{args.duration:.0f} s per run")
        print(f"{'clients':>7} {'accounts':>8} {'commands':>9} "
              f"{'commands/s':>11} {'imapd CPU s':>12} {'imapd CPU/cmd':>14} "
              f"{'client CPU s':>13} {'authd CPU s':>12} {'errors':>6}")
        results = []
        for clients in (10, 100):
            r = mixed_load(pr, clients, args.messages, args.duration)
            results.append(r)
            print(f"{clients:>7} {min(clients, ACCOUNTS):>8} "
                  f"{r['commands']:>9} {r['per_s']:>11.0f} "
                  f"{r['imapd_cpu']:>12.2f} "
                  f"{r['imapd_cpu'] * 1e6 / max(1, r['commands']):>11.0f} us "
                  f"{r['client_cpu']:>13.2f} {r['authd_cpu']:>12.2f} "
                  f"{r['errors']:>6}", flush=True)
        pr.stop()
        pr.sections["imapd"]["workers"] = 1
        pr.write_conf()
        pr.start()
        m = idle_memory(pr, args.idle)
        print(f"{'idle clients':>12} {'in IDLE':>8} {'RSS before KiB':>15} "
              f"{'RSS after KiB':>14} {'KiB/conn':>9} {'login+SELECT CPU/conn':>22}")
        print(f"{m['count']:>12} {m['alive']:>8} {m['before']:>15} "
              f"{m['after']:>14} {m['per_conn']:>9.1f} "
              f"{m['cpu_per_conn_ms']:>19.1f} ms")
        for r in results:
            print(f"imap mixed load, {r['clients']} clients: "
                  f"{r['per_s']:.0f} commands/s ({r['commands']} in "
                  f"{r['secs']:.1f} s), imapd CPU {r['imapd_cpu']:.2f} s, "
                  f"client CPU {r['client_cpu']:.2f} s")
        print(f"imap idle: {m['per_conn']:.1f} KiB per connection in IDLE "
              f"(RSS {m['before']} -> {m['after']} KiB for {m['count']}), "
              f"{m['cpu_per_conn_ms']:.1f} ms imapd CPU and "
              f"{m['authd_per_conn_ms']:.1f} ms authd CPU per "
              f"LOGIN+SELECT+IDLE, {m['count']} logins in "
              f"{m['login_secs']:.1f} s")
    finally:
        pr.stop()
        pr.cleanup()


if __name__ == "__main__":
    main()
