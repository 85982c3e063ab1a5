"""Starts a real postroomd on free loopback ports with a temporary data
folder, and gives tests what they need around it: postroomctl, the stored
messages (read straight from the real SQLite files and blobs), the log, the
child processes, and any sanitizer report. Traffic goes to 127.0.0.1 only."""
import glob
import os
import random
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("POSTROOM_BUILD", os.path.join(ROOT, "build-asan"))
POSTROOMD = os.path.join(BUILD, "servers", "postroomd", "postroomd")
POSTROOMCTL = os.path.join(BUILD, "clients", "postroomctl", "postroomctl")
LONG = os.environ.get("POSTROOM_LONG") == "1"
SANITIZER_MARKS = ("runtime error:", "ERROR: AddressSanitizer",
                   "ERROR: LeakSanitizer", "SUMMARY: UndefinedBehavior",
                   "SUMMARY: AddressSanitizer")


_PORTS_GIVEN = set()
# tests/run.py runs modules side by side, each in a slot of its own: a
# slot's ports come from its own share of 10000-32767, below the kernel's
# ephemeral range (32768-60999), so neither another module nor a client
# socket's port can take one between free_port and the server's bind.
_SLOT = os.environ.get("POSTROOM_PORT_SLOT")
_SLOTS = int(os.environ.get("POSTROOM_PORT_SLOTS", "1"))


def free_port(host="127.0.0.1"):
    """A port free on host now and not handed out before in this run: the
    kernel may offer the same ephemeral port twice in a row once it is
    closed, and one configuration needs seven different ones."""
    if _SLOT is not None:
        span = (32768 - 10000) // _SLOTS
        low = 10000 + int(_SLOT) * span
        rng = random.Random()
        for _ in range(10000):
            port = rng.randrange(low, low + span)
            if port in _PORTS_GIVEN:
                continue
            try:
                with socket.socket() as s:
                    s.bind((host, port))
            except OSError:
                continue
            _PORTS_GIVEN.add(port)
            return port
        raise RuntimeError(f"no free port in slot {_SLOT}")
    while True:
        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in _PORTS_GIVEN:
            _PORTS_GIVEN.add(port)
            return port


def client_tls_context():
    """TLS that accepts our self-signed certificate (tests only)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Postroom:
    def __init__(self, main=None, smtpd=None, workers=2, sections=None,
                 hostname="mx.local.test", listen="127.0.0.1"):
        """main, smtpd and each entry of sections ({"pop3d": {...}}) add to
        or override the keys this test instance is configured with."""
        self.tmp = tempfile.mkdtemp(prefix="postroom-it-")
        os.chmod(self.tmp, 0o755)  # the servers may run as nobody
        self.data = os.path.join(self.tmp, "data")
        self.listen = listen
        self.port = free_port()
        self.submission = free_port()
        self.submissions = free_port()
        self.pop3 = free_port()
        self.pop3s = free_port()
        self.imap = free_port()
        self.imaps = free_port()
        self.http = free_port()
        self.https = free_port()
        self.sieve = free_port()
        self.conf = os.path.join(self.tmp, "postroom.conf")
        self.log_path = os.path.join(self.tmp, "postroomd.log")
        self.asan_dir = os.path.join(self.tmp, "asan")
        os.mkdir(self.asan_dir)
        os.chmod(self.asan_dir, 0o777)
        self.sections = {
            "": {"data_dir": self.data, "hostname": hostname,
                 "listen": listen, "log_level": "info"},
            "smtpd": {"port": self.port, "submission_port": self.submission,
                      "submissions_port": self.submissions,
                      "workers": workers},
            "pop3d": {"port": self.pop3, "pop3s_port": self.pop3s,
                      "workers": 1},
            "imapd": {"port": self.imap, "imaps_port": self.imaps,
                      "workers": 1},
            "httpd": {"port": self.http, "https_port": self.https,
                      "workers": 1},
            "sieved": {"port": self.sieve, "workers": 1},
            # Tests reach loopback only: a DNS server nothing listens on,
            # unless the test brings its own (tests/integration/
            # relay_fixtures.py runs dnsmasq).
            "relay": {"dns_server": "127.0.0.1:9"},
            # Two password checkers whatever the machine's core count.
            "authd": {"workers": 2},
        }
        self.sections[""].update(main or {})
        self.sections["smtpd"].update(smtpd or {})
        for name, keys in (sections or {}).items():
            self.sections.setdefault(name, {}).update(keys)
        self.write_conf()
        self.proc = None
        self.log_file = None

    def write_conf(self, extra=""):
        with open(self.conf, "w") as f:
            for name, keys in self.sections.items():
                if name:
                    f.write(f"\n[{name}]\n")
                for k, v in keys.items():
                    f.write(f"{k} = {v}\n")
            f.write(extra)
        os.chmod(self.conf, 0o644)

    def env(self):
        env = dict(os.environ)
        env.pop("POSTROOM_CONF", None)
        opts = f"log_path={self.asan_dir}/report:detect_leaks=0"
        env["ASAN_OPTIONS"] = opts
        env["UBSAN_OPTIONS"] = (f"log_path={self.asan_dir}/report:"
                                "print_stacktrace=1:halt_on_error=1")
        return env

    def start(self, wait=True):
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen([POSTROOMD, "-c", self.conf],
                                     stdout=self.log_file,
                                     stderr=subprocess.STDOUT, env=self.env())
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"postroomd exited {self.proc.returncode}:\n{self.log()}")
            if self.banner_ok(self.port, self.listen) and \
                    self.banner_ok(self.submission, self.listen):
                return
            time.sleep(0.05)
        raise AssertionError(f"postroomd not ready:\n{self.log()}")

    @staticmethod
    def banner_ok(port, host="127.0.0.1"):
        try:
            with socket.create_connection((host, port), timeout=2) as s:
                s.settimeout(2)
                return s.recv(512).startswith(b"220")
        except OSError:
            return False

    def stop(self, timeout=60):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill_all()
                raise AssertionError("postroomd did not stop on SIGTERM")
        code = self.proc.returncode
        self.proc = None
        self.log_file.close()
        return code

    def kill_all(self):
        """kill -9 the master and every child (by PID)."""
        pids = self.children()
        if self.proc is not None and self.proc.poll() is None:
            pids.append(self.proc.pid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            self.proc.wait()
            self.proc = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
                os.path.exists(f"/proc/{p}") and not _is_zombie(p) for p in pids):
            time.sleep(0.05)
        if self.log_file:
            self.log_file.close()

    def children(self, name=None):
        """PIDs of the master's children, optionally only those named."""
        if self.proc is None:
            return []
        out = []
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                with open(stat) as f:
                    fields = f.read().rsplit(")", 1)
                with open(stat.replace("stat", "comm")) as f:
                    comm = f.read().strip()
            except OSError:
                continue
            ppid = int(fields[1].split()[1])
            if ppid == self.proc.pid and (name is None or comm == name):
                out.append(int(stat.split("/")[2]))
        return out

    def cleanup(self):
        try:
            if self.proc is not None:
                self.kill_all()
        finally:
            reports = self.sanitizer_reports()
            if not os.environ.get("POSTROOM_KEEP"):
                shutil.rmtree(self.tmp, ignore_errors=True)
            if reports:
                raise AssertionError("sanitizer reports:\n" + reports)

    def sanitizer_reports(self):
        """Reports in the sanitizer log folder, and any that a process
        printed to its stderr (UBSan may), which ends up in our log."""
        text = ""
        for path in sorted(glob.glob(os.path.join(self.asan_dir, "report*"))):
            with open(path, errors="replace") as f:
                text += f"--- {path}\n{f.read()[-6000:]}\n"
        for line in self.log().splitlines():
            if any(m in line for m in SANITIZER_MARKS):
                text += f"--- in postroomd.log: {line}\n"
        return text

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def ctl(self, *args, input=None, check=True):
        proc = subprocess.run([POSTROOMCTL, "-c", self.conf, *args],
                              input=input, text=True, capture_output=True,
                              env=self.env(), timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"postroomctl {' '.join(args)} exited {proc.returncode}: "
                f"{proc.stderr}")
        return proc

    def add_user(self, address, password="secret-pw"):
        domain = address.split("@")[1]
        if domain not in self.ctl("domain", "list").stdout.split():
            self.ctl("domain", "add", domain)
        self.ctl("account", "add", address, input=password + "\n")

    # ---- the store, read straight from SQLite and the blob folder -------

    def messages(self, address, mailbox="INBOX"):
        """The stored bytes of each message in mailbox, in UID order."""
        db = sqlite3.connect(f"file:{self.data}/postroom.db?mode=ro", uri=True,
                             timeout=30)
        try:
            row = db.execute("SELECT id FROM accounts WHERE address = ?",
                             (address.lower(),)).fetchone()
        finally:
            db.close()
        if row is None:
            raise AssertionError(f"no account {address}")
        path = f"{self.data}/accounts/{row[0]}/mail.db"
        if not os.path.exists(path):
            return []
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            rows = db.execute(
                "SELECT m.blob_id FROM messages m JOIN mailboxes b "
                "ON m.mailbox_id = b.id WHERE b.name = ? ORDER BY m.uid",
                (mailbox,)).fetchall()
        finally:
            db.close()
        out = []
        for (blob,) in rows:
            with open(f"{self.data}/blobs/{blob[:2]}/{blob}", "rb") as f:
                out.append(f.read())
        return out

    def wait_messages(self, address, count, timeout=30):
        deadline = time.monotonic() + timeout
        msgs = []
        while time.monotonic() < deadline:
            msgs = self.messages(address)
            if len(msgs) >= count:
                return msgs
            time.sleep(0.05)
        raise AssertionError(
            f"{address}: {len(msgs)} messages after {timeout}s, want "
            f"{count}\n{self.log()[-4000:]}")

    def settle(self, timeout=120):
        """Asks qmgr to retry deferred mail now, then waits until nothing
        local is left in the queue."""
        self.ctl("queue", "flush")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.queue_files("incoming") and \
                    not self.queue_files("active") and \
                    not self.queue_files("deferred"):
                return
            time.sleep(0.1)
        raise AssertionError("queue did not drain:\n" +
                             self.ctl("queue", "list").stdout)

    def queue_files(self, state):
        return sorted(os.listdir(os.path.join(self.data, "queue", state)))


def _is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def body_of(stored):
    """The message as the client sent it: the stored bytes minus the fields
    the servers put in front: Return-Path, and each server's Received with
    the Authentication-Results, DKIM-Signature and ARC fields above it
    (doc/authentication.md), up to the last Received of that leading run."""
    lines = stored.split(b"\r\n")
    front = (b"Return-Path:", b"Received:", b"Authentication-Results:",
             b"DKIM-Signature:", b"ARC-Seal:", b"ARC-Message-Signature:",
             b"ARC-Authentication-Results:")
    i = cut = 0
    while i < len(lines) and lines[i].startswith(front):
        is_received = lines[i].startswith((b"Return-Path:", b"Received:"))
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
        if is_received:
            cut = i
    return b"\r\n".join(lines[cut:])
