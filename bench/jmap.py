#!/usr/bin/env python3
"""bench/jmap: JMAP against IMAP in one run, with IMAP as the reference
(issue 13): Postroom's own IMAP (plain and IMAPS) on the same postroomd,
and Debian's Dovecot 2.3 IMAP (IMAPS: it refuses plaintext logins) with
the same mail. Reports figures and JMAP/IMAP ratios; asserts nothing.
Loopback only.

1. One INBOX of --messages (100,000) small messages (about 800 bytes).
   Postroom: filled through the store API by bench/store_fill (fsync off
   with bench/nosync, as in bench/imap_search.py). Dovecot: the same
   messages (same headers, same shape of body; every third \\Seen)
   written straight into Maildir/cur. Timed, each --repeat times, fastest
   and slowest:
   - "first page": JMAP, one request: Email/query (inMailbox, newest
     first, collapseThreads, limit 50) + Email/get of those 50 (the list
     view's properties: threadId, mailboxIds, keywords, size, receivedAt,
     from, subject, preview) + Thread/get of their threads, by result
     references. IMAP: SELECT INBOX + FETCH of the newest 50 (UID FLAGS
     INTERNALDATE RFC822.SIZE ENVELOPE). The first JMAP request and each
     server's first SELECT (Dovecot indexes its Maildir then) are
     reported apart, once.
   - "resync after one new message": one message arrives by SMTP
     (Postroom's port 25; Postfix + LMTP for Dovecot) and, once it is
     stored, JMAP Email/changes from the old state + Email/get of what it
     created; IMAP (CONDSTORE, RFC 7162) on a session selected before the
     message came: NOOP + UID FETCH 1:* (the list items) (CHANGEDSINCE the
     old HIGHESTMODSEQ).
2. Push fan-out on a second account (10 messages): --clients (1,000) idle
   EventSource streams (bearer token, types=Email) and as many Postroom
   IMAP IDLE sessions, and --dovecot-clients (100) Dovecot IMAPS IDLE
   sessions (each connection costs Dovecot an imap process and, with TLS,
   its imap-login proxy; and each imap process in IDLE takes an inotify
   instance: past fs.inotify.max_user_instances, 128 by default, Dovecot
   polls the mailbox every 30 s instead, which a fan-out time would show); then one message arrives by SMTP and the time
   until every client has heard of it (the state event, "* n EXISTS") is
   taken, and the memory per idle connection: the summed Pss (/proc/<pid>/
   smaps_rollup) of httpd (workers = 1), of imapd (workers = 1), and of
   Dovecot's whole process tree before and after the clients connected,
   divided by their number. Clients are non-blocking sockets in one
   thread, from 127.0.1.x (the per-address limit). IMAP logins are
   checked by authd (yescrypt) and so take time; JMAP uses a bearer token.

Needs a release build: `make bench` (meson setup build-release -Dbuildtype=
release). Dovecot's side needs root (tests/integration/peers.py);
--no-dovecot leaves it out."""
import argparse
import http.client
import json
import os
import resource
import selectors
import smtplib
import socket
import ssl
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

BIG, FAN, PW = "big@bench.test", "fan@bench.test", "pw"
CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"


def pss_kib(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
    return total


class Jmap:
    def __init__(self, port, token):
        self.conn = http.client.HTTPConnection("127.0.0.1", port,
                                               timeout=600)
        self.auth = f"Bearer {token}"
        self.account = None

    def call(self, calls):
        body = json.dumps({"using": [CORE, MAIL], "methodCalls": calls})
        self.conn.request("POST", "/jmap/api/", body=body, headers={
            "Authorization": self.auth, "Content-Type": "application/json"})
        r = self.conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise SystemExit(f"JMAP {r.status}: {data[:300]!r}")
        out = json.loads(data)["methodResponses"]
        for name, args, _ in out:
            if name == "error":
                raise SystemExit(f"JMAP error: {args}")
        return out

    def session(self):
        self.conn.request("GET", "/.well-known/jmap",
                          headers={"Authorization": self.auth})
        s = json.loads(self.conn.getresponse().read())
        self.account = s["primaryAccounts"][MAIL]
        return s


def first_page(j, inbox):
    a = j.account
    return j.call([
        ["Email/query", {"accountId": a, "filter": {"inMailbox": inbox},
                         "sort": [{"property": "receivedAt",
                                   "isAscending": False}],
                         "collapseThreads": True, "limit": 50}, "q"],
        ["Email/get", {"accountId": a, "#ids": {
            "resultOf": "q", "name": "Email/query", "path": "/ids"},
            "properties": ["threadId", "mailboxIds", "keywords", "size",
                           "receivedAt", "from", "subject", "preview"]},
         "g"],
        ["Thread/get", {"accountId": a, "#ids": {
            "resultOf": "g", "name": "Email/get", "path": "/list/*/threadId"}},
         "t"]])


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.monotonic()
        fn()
        times.append(time.monotonic() - t0)
    return min(times), max(times)


def deliver(port, host, rcpt, subject):
    msg = (f"From: x@remote.test\r\nTo: {rcpt}\r\nSubject: {subject}\r\n"
           f"Message-ID: <{subject.replace(' ', '.')}@remote.test>\r\n"
           "\r\nnew\r\n").encode()
    with smtplib.SMTP(host, port) as c:
        c.sendmail("x@remote.test", [rcpt], msg)


class Imap:
    """A minimal IMAP client on a blocking socket (literals skipped);
    tls: an ssl.SSLContext for implicit TLS, checked against the name
    "localhost"."""

    def __init__(self, port, src=None, host="127.0.0.1", tls=None):
        self.s = socket.socket()
        if src is not None:
            self.s.bind((src, 0))
        self.s.connect((host, port))
        if tls is not None:
            self.s = tls.wrap_socket(self.s, server_hostname="localhost")
        self.f = self.s.makefile("rb")
        self.n = 0
        self.f.readline()

    def cmd(self, text):
        self.n += 1
        tag = b"a%d" % self.n
        self.s.sendall(tag + b" " + text.encode() + b"\r\n")
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                raise SystemExit(f"IMAP closed after {text}")
            if line.endswith(b"}\r\n") and b"{" in line:
                size = int(line[line.rindex(b"{") + 1:-3])
                self.f.read(size)
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise SystemExit(f"IMAP {text}: {line!r}")
                return lines
            lines.append(line)

    def number(self, lines, word):
        """The n of "* n word" (EXISTS) or of "[word n]" in lines."""
        for line in lines:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == word.encode():
                return int(parts[1])
            if b"[" + word.encode() + b" " in line:
                return int(line.split(b"[" + word.encode() + b" ")[1]
                           .split(b"]")[0])
        raise SystemExit(f"no {word} in {lines!r}")


class ImapSide:
    """An IMAP server of part 1: how to log in to the big account, how a
    message reaches it, and its name."""

    def __init__(self, name, port, host="127.0.0.1", tls=None,
                 deliver=None):
        self.name, self.port, self.host, self.tls = name, port, host, tls
        self.deliver = deliver

    def login(self):
        m = Imap(self.port, None, self.host, self.tls)
        m.cmd(f"LOGIN {BIG} {PW}")
        m.cmd("ENABLE CONDSTORE")
        return m


LIST_ITEMS = "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)"


def imap_ops(side, repeat):
    """IMAP's equivalents of part 1, on one session: SELECT + FETCH of the
    newest 50; after one new message, NOOP + UID FETCH of what changed
    since the old HIGHESTMODSEQ (CONDSTORE) with the list's items. Returns
    (first SELECT s, page (min, max), resync (min, max))."""
    m = side.login()
    t0 = time.monotonic()
    m.cmd("SELECT INBOX")
    first = time.monotonic() - t0

    def page():
        sel = m.cmd("SELECT INBOX")
        n = m.number(sel, "EXISTS")
        got = m.cmd(f"FETCH {n - 49}:* {LIST_ITEMS}")
        assert sum(1 for line in got if b"FETCH" in line) == 50
    page_t = timed(page, repeat)
    watch = side.login()  # sees the delivery apart from the timed session
    times = []
    for k in range(repeat):
        sel = m.cmd("SELECT INBOX")
        hms = m.number(sel, "HIGHESTMODSEQ")
        n = m.number(sel, "EXISTS")
        side.deliver(f"{side.name} new {k}")
        while True:
            st = watch.cmd("STATUS INBOX (MESSAGES)")
            if int(st[0].split(b"MESSAGES ")[1].split(b")")[0]) > n:
                break
            time.sleep(0.05)
        t0 = time.monotonic()
        m.cmd("NOOP")
        got = m.cmd(f"UID FETCH 1:* {LIST_ITEMS} (CHANGEDSINCE {hms})")
        times.append(time.monotonic() - t0)
        assert sum(1 for line in got if b"FETCH" in line) >= 1, got
    m.cmd("LOGOUT")
    watch.cmd("LOGOUT")
    return first, page_t, (min(times), max(times))


def jmap_ops(pr, j, repeat):
    """JMAP's part 1. Returns (first request s, page, resync)."""
    boxes = j.call([["Mailbox/get", {"accountId": j.account}, "0"]])
    inbox = next(m["id"] for m in boxes[0][1]["list"]
                 if m["role"] == "inbox")
    t0 = time.monotonic()
    page = first_page(j, inbox)
    first = time.monotonic() - t0
    assert len(page[1][1]["list"]) == 50, page[1][1]
    page_t = timed(lambda: first_page(j, inbox), repeat)
    times = []
    for k in range(repeat):
        state = j.call([["Email/get", {"accountId": j.account,
                                       "ids": []}, "0"]])[0][1]["state"]
        deliver(pr.port, "127.0.0.1", BIG, f"jmap new {k}")
        while j.call([["Email/get", {"accountId": j.account, "ids": []},
                       "0"]])[0][1]["state"] == state:
            time.sleep(0.05)
        t0 = time.monotonic()
        r = j.call([
            ["Email/changes", {"accountId": j.account, "sinceState": state},
             "c"],
            ["Email/get", {"accountId": j.account, "#ids": {
                "resultOf": "c", "name": "Email/changes",
                "path": "/created"},
                "properties": ["threadId", "mailboxIds", "keywords", "size",
                               "receivedAt", "from", "subject", "preview"]},
             "g"]])
        times.append(time.monotonic() - t0)
        assert len(r[1][1]["list"]) == 1, r
    return first, page_t, (min(times), max(times))


def fill_postroom(pr, build, messages):
    pr.ctl("account", "add", BIG, input=f"{PW}\n")
    fill = os.path.join(ROOT, build, "bench", "store_fill")
    env = dict(os.environ, LD_PRELOAD=os.path.join(
        ROOT, build, "bench", "libnosync.so"))
    if "asan" in build:  # a quick check of this script, not figures
        env["ASAN_OPTIONS"] = "verify_asan_link_order=0"
    out = subprocess.run([fill, pr.data, BIG, str(messages)],
                         capture_output=True, text=True, timeout=7200,
                         env=env)
    if out.returncode != 0:
        raise SystemExit(f"store_fill failed: {out.stdout}{out.stderr}")
    # store_fill ran as this user; the servers read as data_dir's owner
    st = os.stat(pr.data)
    for top in ("blobs", "accounts"):
        for d, dirs, files in os.walk(os.path.join(pr.data, top)):
            for name in [d] + [os.path.join(d, x) for x in files]:
                os.chown(name, st.st_uid, st.st_gid)
    return dict(kv.split("=") for kv in out.stdout.split())


WORDS = ("alpha budget meeting quarterly invoice shipping garden window "
         "rocket yellow database holiday coffee ticket printer harbour "
         "lantern minutes").split()


def maildir_message(i):
    """The shape of bench/store_fill's message i (headers, about 600
    bytes of words)."""
    r = (i * 2654435761) & 0xffffffff
    head = (f"From: User {i % 1000} <user{i % 1000}@sender{i % 7}.test>\r\n"
            f"To: bench@bench.test\r\n"
            f"Subject: report {i} {WORDS[r % len(WORDS)]}\r\n"
            f"Date: Mon, 02 Jan 2023 10:{(i // 60) % 60:02d}:{i % 60:02d} "
            f"+0000\r\nMessage-ID: <m{i}@sender.test>\r\n\r\n")
    body = []
    for _ in range(8):
        line = []
        for _ in range(10):
            r = (r * 1103515245 + 12345) & 0xffffffff
            line.append(WORDS[(r >> 16) % len(WORDS)])
        body.append(" ".join(line) + " \r\n")
    return (head + "".join(body)).encode()


def fill_dovecot(peers, messages):
    """Writes the messages straight into the account's Maildir/cur (as
    store_fill writes Postroom's store: SMTP would take hours), every
    third one \\Seen, owned by the mail user. Dovecot indexes them at the
    first SELECT (timed apart). Returns seconds."""
    t0 = time.monotonic()
    maildir = os.path.join(peers.home(BIG), "Maildir")
    for sub in ("", "cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    base = int(time.time()) - messages
    for i in range(messages):
        data = maildir_message(i)
        flags = "S" if i % 3 == 0 else ""
        name = f"{base + i}.M{i}P1.bench,S={len(data)}:2,{flags}"
        path = os.path.join(maildir, "cur", name)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (base + i, base + i))
    for d, dirs, files in os.walk(peers.home(BIG)):
        for name in [d] + [os.path.join(d, x) for x in files]:
            os.chown(name, peers.mail_uid, peers.mail_gid)
    home = peers.home(BIG)
    while home != peers.mail_dir:
        os.chown(home, peers.mail_uid, peers.mail_gid)
        home = os.path.dirname(home)
    return time.monotonic() - t0


def part1(pr, build, messages, repeat, peers):
    f = fill_postroom(pr, build, messages)
    print(f"bench/jmap: {f['messages']} messages of {f['bytes_each']} bytes "
          f"in one INBOX (fill {f['fill_s']} s, search index "
          f"{f['index_s']} s), {os.cpu_count()} cores", flush=True)
    token = pr.ctl("token", "create", BIG).stdout.strip()
    j = Jmap(pr.http, token)
    j.session()
    jr = jmap_ops(pr, j, repeat)
    print(f"JMAP first request: {jr[0]:.2f} s", flush=True)
    ctx = ssl.create_default_context(
        cafile=os.path.join(pr.data, "tls", "cert.pem"))
    sides = [ImapSide("postroom IMAP", pr.imap, deliver=lambda s: deliver(
        pr.port, "127.0.0.1", BIG, s)),
        ImapSide("postroom IMAPS", pr.imaps, tls=ctx,
                 deliver=lambda s: deliver(pr.port, "127.0.0.1", BIG, s))]
    if peers is not None:
        secs = fill_dovecot(peers, messages)
        print(f"dovecot: {messages} messages written into Maildir/cur in "
              f"{secs:.1f} s", flush=True)
        sides.append(ImapSide(
            "dovecot IMAPS", peers.imaps, peers.host, peers.tls_context(),
            deliver=lambda s: deliver(peers.smtp, peers.host, BIG, s)))
    results = [("JMAP", jr)]
    for side in sides:
        r = imap_ops(side, repeat)
        results.append((side.name, r))
        print(f"{side.name}: first SELECT {r[0]:.2f} s", flush=True)
    return results


def open_streams(pr, token, count, sel):
    req = ("GET /jmap/eventsource/?types=Email&closeafter=no&ping=0 "
           f"HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}"
           "\r\n\r\n").encode()
    socks = []
    for i in range(count):
        s = socket.socket()
        s.bind((f"127.0.1.{1 + i % 250}", 0))
        s.connect(("127.0.0.1", pr.http))
        s.sendall(req)
        socks.append(s)
    # each stream's first event is the current state
    seen = wait_all(socks, sel, b"event: state", 600)
    assert seen == count, (seen, count)
    return socks


def wait_all(socks, sel, needle, timeout):
    """Reads every socket (plain or TLS) until each has shown needle.
    Returns how many did within timeout."""
    bufs = {}
    done = set()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while len(done) < len(socks) and time.monotonic() < deadline:
        for key, _ in sel.select(1):
            s = key.fileobj
            data = b""
            try:
                while True:  # a TLS record may hold more than one read
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                    if not isinstance(s, ssl.SSLSocket) or not s.pending():
                        break
            except (BlockingIOError, ssl.SSLWantReadError):
                pass
            bufs[s] = bufs.get(s, b"") + data
            if needle in bufs[s]:
                done.add(s)
                sel.unregister(s)
    for s in socks:
        if s not in done:
            sel.unregister(s)
    return len(done)


def open_idles(port, host, tls, count):
    conns = []
    for i in range(count):
        c = Imap(port, f"127.0.1.{1 + i % 250}", host, tls)
        c.cmd(f"LOGIN {FAN} {PW}")
        c.cmd("SELECT INBOX")
        c.n += 1
        c.s.sendall(b"a%d IDLE\r\n" % c.n)
        if not c.f.readline().startswith(b"+"):
            raise SystemExit("IDLE refused")
        conns.append(c)
    return conns


def fan_jmap(pr, clients, sel):
    token = pr.ctl("token", "create", FAN).stdout.strip()
    (httpd,) = pr.children("httpd")
    before = pss_kib([httpd])
    t0 = time.monotonic()
    socks = open_streams(pr, token, clients, sel)
    connect_s = time.monotonic() - t0
    time.sleep(2)
    after = pss_kib([httpd])
    t0 = time.monotonic()
    deliver(pr.port, "127.0.0.1", FAN, "fan out")
    heard = wait_all(socks, sel, b'"Email"', 120)
    fan_s = time.monotonic() - t0
    for s in socks:
        s.close()
    return ("JMAP EventSource", clients, heard, connect_s,
            (after - before) / clients, fan_s)


def fan_imap(name, port, host, tls, count, mem, deliver_fn, sel):
    """count IDLE sessions; mem() is the server's summed Pss in KiB."""
    time.sleep(7)  # idle account handles close
    before = mem()
    t0 = time.monotonic()
    conns = open_idles(port, host, tls, count)
    connect_s = time.monotonic() - t0
    time.sleep(7)
    after = mem()
    t0 = time.monotonic()
    deliver_fn(f"fan out {name}")
    heard = wait_all([c.s for c in conns], sel, b"EXISTS", 120)
    fan_s = time.monotonic() - t0
    for c in conns:
        c.s.close()
    return (name, count, heard, connect_s, (after - before) / count, fan_s)


def part2(pr, clients, peers, dovecot_clients):
    """Push fan-out on the small account FAN of each server."""
    pr.ctl("account", "add", FAN, input=f"{PW}\n")
    for k in range(10):
        deliver(pr.port, "127.0.0.1", FAN, f"fan {k}")
    while len(pr.messages(FAN)) < 10:
        time.sleep(0.2)
    sel = selectors.DefaultSelector()
    rows = [fan_jmap(pr, clients, sel)]
    (imapd,) = pr.children("imapd")
    rows.append(fan_imap(
        "postroom IMAP IDLE", pr.imap, "127.0.0.1", None, clients,
        lambda: pss_kib([imapd]),
        lambda s: deliver(pr.port, "127.0.0.1", FAN, s), sel))
    if peers is not None:
        from imap import tree_mem_kib
        for k in range(10):
            deliver(peers.smtp, peers.host, FAN, f"fan {k}")
        m = Imap(peers.imaps, None, peers.host, peers.tls_context())
        m.cmd(f"LOGIN {FAN} {PW}")
        while True:
            st = m.cmd("STATUS INBOX (MESSAGES)")
            if int(st[0].split(b"MESSAGES ")[1].split(b")")[0]) >= 10:
                break
            time.sleep(0.2)
        m.cmd("LOGOUT")
        rows.append(fan_imap(
            "dovecot IMAPS IDLE", peers.imaps, peers.host,
            peers.tls_context(), dovecot_clients,
            lambda: tree_mem_kib(peers.dovecot.pid)[1],
            lambda s: deliver(peers.smtp, peers.host, FAN, s), sel))
    return rows


def ratio(a, b):
    return f"{a / b:.3g}" if b > 0 else "-"


def start_dovecot(dovecot_clients):
    """Debian's Dovecot 2.3 and Postfix (tests/integration/peers.py,
    durable: Dovecot's normal fsyncs) on 127.0.0.2, or None when not
    root."""
    if os.geteuid() != 0:
        print("bench/jmap: not root, Dovecot side skipped (its peers need "
              "root)")
        return None
    from imap import DOVECOT_EXTRA
    from peers import DovecotPostfix
    peers = DovecotPostfix(domain="bench.test", durable=True)
    try:
        peers.add_user(BIG, PW)
        peers.add_user(FAN, PW)
        with open(peers.dc_conf, "a") as f:
            f.write(DOVECOT_EXTRA.format(limit=2 * dovecot_clients + 500,
                                         clients=4 * dovecot_clients + 1000))
        peers.start()
    except BaseException:
        peers.cleanup()
        raise
    return peers


def report(ops, fan):
    names = [name for name, _ in ops]
    print(f"{'operation (s, min/max)':<30}" +
          "".join(f"{n:>22}" for n in names))
    for k, label in ((1, "first page: 50 newest"),
                     (2, "resync after 1 new message")):
        print(f"{label:<30}" + "".join(
            f"{r[k][0]:>11.4f}/{r[k][1]:<10.4f}" for _, r in ops),
            flush=True)
    jr = ops[0][1]
    for name, r in ops[1:]:
        print(f"ratio JMAP / {name}: first page "
              f"{ratio(jr[1][0], r[1][0])}, resync "
              f"{ratio(jr[2][0], r[2][0])}")
    print(f"{'push to idle clients':<22} {'clients':>7} {'heard':>6} "
          f"{'connect s':>10} {'Pss KiB/conn':>13} {'fan-out s':>10}")
    for name, count, heard, connect_s, per, fan_s in fan:
        print(f"{name:<22} {count:>7} {heard:>6} {connect_s:>10.1f} "
              f"{per:>13.1f} {fan_s:>10.3f}")
    for row in fan[1:]:
        print(f"ratio JMAP / {row[0]}: memory per idle connection "
              f"{ratio(fan[0][4], row[4])}, fan-out time "
              f"{ratio(fan[0][5], row[5])}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-release")
    ap.add_argument("--messages", type=int, default=100000)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--dovecot-clients", type=int, default=100,
                    help="IDLE clients for Dovecot (two processes each, "
                         "an inotify instance each)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-dovecot", action="store_true")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 3 * args.clients + 1000))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    from imap import setup_harness
    harness = setup_harness(args.build)
    limits = {"workers": 1, "max_connections": 2 * args.clients + 100,
              "max_connections_per_ip": 2 * args.clients + 100}
    peers = None if args.no_dovecot else start_dovecot(args.dovecot_clients)
    pr = None
    try:
        pr = harness.Postroom(main={"log_level": "warn"}, sections={
            "imapd": dict(limits, command_rate=0),
            "httpd": dict(limits, idle_timeout="10m", request_rate=0),
        }).start()
        pr.ctl("domain", "add", "bench.test")
        ops = part1(pr, args.build, args.messages, args.repeat, peers)
        fan = part2(pr, args.clients, peers, args.dovecot_clients)
        report(ops, fan)
    finally:
        if pr is not None:
            pr.stop()
            pr.cleanup()
        if peers is not None:
            peers.cleanup()


if __name__ == "__main__":
    main()
