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
again.

Dovecot (as root, unless --no-dovecot): the same measurements, in the same
run, against Debian's Dovecot 2.3 started by tests/integration/peers.py
(DovecotPostfix, durable=True: Dovecot's normal fsyncs) on 127.0.0.2, its
10 accounts filled with the same mail through Postfix's SMTP port (LMTP
into Maildir). Dovecot refuses plaintext logins, so it is measured over
implicit TLS (IMAPS), and Postroom is measured both plain (as before) and
over IMAPS; the client checks each server's own certificate against the
name "localhost". Dovecot's default_process_limit is raised (appended to
the generated dovecot.conf) since with TLS every connection keeps an
imap-login process (the TLS proxy) besides its imap process. Dovecot's
CPU is that of the master's whole process tree (exited children counted
through the master's cutime + cstime), split into "auth" processes and the
rest; its memory per idle connection is the summed VmRSS of the whole tree
before and after (--dovecot-idle clients, 250 by default: two processes
per connection), with the summed Pss beside it, since VmRSS counts the
shared pages of every process again. Postroom's memory figures are each
taken on a freshly restarted postroomd, plain and TLS."""
import argparse
import os
import random
import resource
import socket
import ssl
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

    def __init__(self, port, index, host="127.0.0.1", tls=None):
        """tls: an ssl.SSLContext for implicit TLS (IMAPS), checked
        against the name "localhost"; None for plaintext."""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind((f"127.0.1.{1 + index % 250}", 0))
        self.sock.settimeout(120)
        self.sock.connect((host, port))
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock,
                                        server_hostname="localhost")
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


def session(t, index, user, messages, rng, deadline, counter):
    c = Conn(t.port, index, t.host, t.tls)
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


def tree_pids(root):
    from peers import _descendants
    return [root] + _descendants(root)


def tree_cpu(root):
    """CPU seconds of root and every live descendant, each with the CPU
    of its children already reaped (cutime + cstime): Dovecot's per
    connection processes are counted after they exit, as its master reaps
    them. Returns (all, auth) where auth is the "auth" processes' share."""
    total = auth = 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        ticks = sum(int(x) for x in fields[11:15])
        total += ticks
        if comm.startswith("auth"):
            auth += ticks
    return total / TICK, auth / TICK


def tree_mem_kib(root):
    """Summed VmRSS and Pss of root and its descendants."""
    rss = pss = 0
    for pid in tree_pids(root):
        try:
            rss += rss_kib(pid)
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        break
        except OSError:
            pass
    return rss, pss


class Target:
    """An IMAP server under test: where to connect and how to read its
    CPU (imapd-like share, password-check share) and memory."""

    def __init__(self, name, host, port, tls, cpu, mem, processes):
        self.name, self.host, self.port, self.tls = name, host, port, tls
        self.cpu, self.mem, self.processes = cpu, mem, processes


def postroom_target(pr, tls):
    """Postroom's imapd, plain or IMAPS. CPU: the imapd and authd
    processes running when cpu() is first called; memory: the one imapd
    (workers = 1) VmRSS."""
    ctx = None
    port = pr.imap
    if tls:
        ctx = ssl.create_default_context(
            cafile=os.path.join(pr.data, "tls", "cert.pem"))
        port = pr.imaps
    pids = {}

    def cpu():
        if not pids:
            pids["imapd"] = pr.children("imapd")
            pids["authd"] = pr.children("authd")
        return cpu_seconds(pids["imapd"]), cpu_seconds(pids["authd"])

    def mem():
        (pid,) = pr.children("imapd")
        return rss_kib(pid), None

    return Target("postroom TLS" if tls else "postroom", "127.0.0.1", port,
                  ctx, cpu, mem, lambda: len(pr.children("imapd")))


def dovecot_target(peers):
    root = peers.dovecot.pid
    return Target("dovecot TLS", peers.host, peers.imaps,
                  peers.tls_context(), lambda: tree_cpu(root),
                  lambda: tree_mem_kib(root), lambda: 0)


def mixed_load(t, clients, messages, duration):
    counter = [0] * clients
    errors = []
    deadline = time.monotonic() + duration

    def client(i):
        rng = random.Random(i)
        try:
            while time.monotonic() < deadline:
                session(t, i, f"bench{i % ACCOUNTS}@bench.test",
                        messages, rng, deadline, counter)
        except Exception as e:  # reported, not fatal
            errors.append(f"client {i}: {e}")

    cpu0, auth0 = t.cpu()
    own0 = os.times()
    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,))
               for i in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    secs = time.monotonic() - t0
    own1 = os.times()
    cpu1, auth1 = t.cpu()
    own = (own1.user + own1.system) - (own0.user + own0.system)
    for e in errors[:5]:
        print("  error:", e, file=sys.stderr)
    total = sum(counter)
    # imapd_cpu: Postroom's imapd processes; for Dovecot every process but
    # auth (login, imap, master, anvil, log, ...)
    return {"name": t.name, "clients": clients, "commands": total,
            "secs": secs, "per_s": total / secs,
            "imapd_cpu": (cpu1 - cpu0) - (auth1 - auth0)
            if t.name.startswith("dovecot") else cpu1 - cpu0,
            "authd_cpu": auth1 - auth0, "client_cpu": own,
            "errors": len(errors), "workers": t.processes()}


def idle_memory(t, count):
    for i in range(ACCOUNTS):  # warm each account once
        c = Conn(t.port, i, t.host, t.tls)
        c.cmd(b"LOGIN bench%d@bench.test pw" % i)
        c.cmd(b"SELECT INBOX")
        c.cmd(b"LOGOUT")
        c.close()
    time.sleep(6)
    before, pss0 = t.mem()
    cpu0, auth0 = t.cpu()
    conns = []
    t0 = time.monotonic()
    for i in range(count):
        c = Conn(t.port, i, t.host, t.tls)
        c.cmd(b"LOGIN bench%d@bench.test pw" % (i % ACCOUNTS))
        c.cmd(b"SELECT INBOX")
        c.n += 1
        c.send(b"a%d IDLE\r\n" % c.n)
        line = c.read_line()
        if not line.startswith(b"+"):
            raise SystemExit(f"IDLE: {line!r}")
        conns.append(c)
    login_secs = time.monotonic() - t0
    cpu1, auth1 = t.cpu()
    auth_cpu = auth1 - auth0
    cpu = cpu1 - cpu0
    if t.name.startswith("dovecot"):
        cpu -= auth_cpu
    time.sleep(7)  # account handles close 5 s after last use
    after, pss1 = t.mem()
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
    return {"name": t.name, "count": count, "alive": alive,
            "before": before, "after": after,
            "per_conn": (after - before) / count,
            "pss_per_conn": None if pss0 is None else (pss1 - pss0) / count,
            "login_secs": login_secs,
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


def fill_dovecot(peers, build, messages):
    """The same mail through Postfix's SMTP port (LMTP into Dovecot's
    Maildirs, Dovecot's normal fsyncs)."""
    src = os.path.join(ROOT, build, "bench", "smtp_source")
    t0 = time.monotonic()
    out = subprocess.run([src, peers.host, str(peers.smtp), "20",
                          str(messages), "4096", str(ACCOUNTS),
                          f"bench%d@bench.test:{ACCOUNTS}"],
                         capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise SystemExit(f"smtp_source failed: {out.stdout}{out.stderr}")
    for i in range(ACCOUNTS):
        maildir = os.path.join(peers.home(f"bench{i}@bench.test"), "Maildir")
        while True:
            n = 0
            for sub in ("new", "cur"):
                try:
                    n += len(os.listdir(os.path.join(maildir, sub)))
                except FileNotFoundError:
                    pass
            if n >= messages:
                break
            if time.monotonic() - t0 > 1200:
                raise SystemExit(f"dovecot mailboxes not filled\n"
                                 f"{peers.logs()}")
            time.sleep(0.5)
    return time.monotonic() - t0


# Dovecot's default_process_limit (100) caps imap-login processes, and with
# TLS each connection keeps its login process (it proxies the TLS): raised
# so that 100 clients and the idle test fit.
DOVECOT_EXTRA = """
# bench/imap.py: room for the benchmark's TLS connections
default_process_limit = {limit}
default_client_limit = {clients}
"""

MIXED_HEAD = (f"{'server':>13} {'clients':>7} {'accounts':>8} "
              f"{'commands':>9} {'commands/s':>11} {'imapd CPU s':>12} "
              f"{'authd CPU s':>12} {'srv CPU/cmd':>12} {'client CPU s':>13} "
              f"{'errors':>6}")
IDLE_HEAD = (f"{'server':>13} {'idle clients':>12} {'in IDLE':>8} "
             f"{'RSS before KiB':>15} {'RSS after KiB':>14} {'KiB/conn':>9} "
             f"{'PSS KiB/conn':>13} {'login+SELECT CPU/conn':>22} "
             f"{'auth CPU/conn':>14}")


def mixed_row(r):
    srv = (r["imapd_cpu"] + r["authd_cpu"]) * 1e6 / max(1, r["commands"])
    print(f"{r['name']:>13} {r['clients']:>7} "
          f"{min(r['clients'], ACCOUNTS):>8} {r['commands']:>9} "
          f"{r['per_s']:>11.0f} {r['imapd_cpu']:>12.2f} "
          f"{r['authd_cpu']:>12.2f} {srv:>9.0f} us {r['client_cpu']:>13.2f} "
          f"{r['errors']:>6}", flush=True)


def idle_row(m):
    pss = "-" if m["pss_per_conn"] is None else f"{m['pss_per_conn']:.1f}"
    print(f"{m['name']:>13} {m['count']:>12} {m['alive']:>8} "
          f"{m['before']:>15} {m['after']:>14} {m['per_conn']:>9.1f} "
          f"{pss:>13} {m['cpu_per_conn_ms']:>19.1f} ms "
          f"{m['authd_per_conn_ms']:>11.1f} ms", flush=True)


def run_postroom(args):
    harness = setup_harness(args.build)
    limits = {"max_connections": 2 * args.idle + 1000,
              "max_connections_per_ip": 2 * args.idle + 1000}
    pr = harness.Postroom(main={"log_level": "warn"}, sections={
        "imapd": dict(limits, workers=args.workers)}).start()
    mixed, idle = [], []
    try:
        fill_secs = fill(pr, args.build, args.messages)
        print(f"bench/imap: {ACCOUNTS} accounts x {args.messages} messages "
              f"of 4 KB (postroom filled in {fill_secs:.0f} s), "
              f"{os.cpu_count()} cores, imapd workers={args.workers}, "
              f"{CMDS_PER_SESSION} commands per session, "
              f"{args.duration:.0f} s per run")
        print(MIXED_HEAD)
        for tls in (False, True):
            for clients in (10, 100):
                r = mixed_load(postroom_target(pr, tls), clients,
                               args.messages, args.duration)
                mixed.append(r)
                mixed_row(r)
        pr.sections["imapd"]["workers"] = 1
        pr.write_conf()
        print(IDLE_HEAD)
        for tls in (False, True):
            pr.stop()  # a fresh imapd for each memory figure
            pr.start()
            m = idle_memory(postroom_target(pr, tls), args.idle)
            idle.append(m)
            idle_row(m)
    finally:
        pr.stop()
        pr.cleanup()
    return mixed, idle


def run_dovecot(args):
    from peers import DovecotPostfix
    peers = DovecotPostfix(domain="bench.test", durable=True)
    mixed, idle = [], []
    try:
        for i in range(ACCOUNTS):
            peers.add_user(f"bench{i}@bench.test", "pw")
        with open(peers.dc_conf, "a") as f:
            f.write(DOVECOT_EXTRA.format(
                limit=2 * args.dovecot_idle + 500,
                clients=4 * args.dovecot_idle + 1000))
        peers.start()
        fill_secs = fill_dovecot(peers, args.build, args.messages)
        time.sleep(2)
        version = subprocess.run(["/usr/sbin/dovecot", "--version"],
                                 capture_output=True, text=True).stdout
        print(f"dovecot {version.strip()}: filled through Postfix + LMTP "
              f"in {fill_secs:.0f} s, IMAPS")
        print(MIXED_HEAD)
        t = dovecot_target(peers)
        for clients in (10, 100):
            r = mixed_load(t, clients, args.messages, args.duration)
            mixed.append(r)
            mixed_row(r)
        time.sleep(3)
        print(IDLE_HEAD)
        m = idle_memory(t, args.dovecot_idle)
        idle.append(m)
        idle_row(m)
    finally:
        peers.cleanup()
    return mixed, idle


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
                    help="clients in IDLE for Postroom's memory figure")
    ap.add_argument("--dovecot-idle", type=int, default=250,
                    help="clients in IDLE for Dovecot's memory figure "
                         "(two processes each)")
    ap.add_argument("--no-dovecot", action="store_true",
                    help="measure Postroom only")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * max(args.idle, args.dovecot_idle) + 1000))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    mixed, idle = run_postroom(args)
    if args.no_dovecot:
        pass
    elif os.geteuid() != 0:
        print("bench/imap: not root, Dovecot side skipped (its peers need "
              "root)")
    else:
        dm, di = run_dovecot(args)
        mixed += dm
        idle += di
    for r in mixed:
        print(f"imap mixed load, {r['name']}, {r['clients']} clients: "
              f"{r['per_s']:.0f} commands/s ({r['commands']} in "
              f"{r['secs']:.1f} s), imapd CPU {r['imapd_cpu']:.2f} s, "
              f"authd CPU {r['authd_cpu']:.2f} s, "
              f"client CPU {r['client_cpu']:.2f} s")
    for m in idle:
        print(f"imap idle, {m['name']}: {m['per_conn']:.1f} KiB per "
              f"connection in IDLE (RSS {m['before']} -> {m['after']} KiB "
              f"for {m['count']}), {m['cpu_per_conn_ms']:.1f} ms server CPU "
              f"and {m['authd_per_conn_ms']:.1f} ms auth CPU per "
              f"LOGIN+SELECT+IDLE, {m['count']} logins in "
              f"{m['login_secs']:.1f} s")
    by = {(r["name"], r["clients"]): r for r in mixed}
    for clients in (10, 100):
        pt = by.get(("postroom TLS", clients))
        dc = by.get(("dovecot TLS", clients))
        if pt and dc and dc["per_s"]:
            print(f"ratio commands/s, {clients} clients, postroom TLS / "
                  f"dovecot TLS: {pt['per_s'] / dc['per_s']:.2f}x")
    mem = {m["name"]: m for m in idle}
    dc = mem.get("dovecot TLS")
    for name in ("postroom", "postroom TLS"):
        if dc and mem.get(name) and mem[name]["per_conn"] > 0:
            print(f"ratio memory per idle connection, dovecot TLS / {name}: "
                  f"{dc['per_conn'] / mem[name]['per_conn']:.1f}x")


if __name__ == "__main__":
    main()
