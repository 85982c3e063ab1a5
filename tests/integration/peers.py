"""Debian's Dovecot and Postfix as the peers of the postroom client tests,
started by the test in a temporary folder on free loopback ports, with
their own configuration (nothing of /etc/dovecot or /etc/postfix's main.cf
is read), and stopped and cleaned up by PID. The machine's own services are
neither used nor touched. Traffic stays on loopback: Postfix delivers the
test domain to Dovecot over LMTP on a unix socket, refuses other domains at
RCPT (550) unless relayhost names a loopback fake to relay to, and makes no
DNS lookups.

    peers = DovecotPostfix().start()
    peers.add_user("bob@peers.test", "bob-pw")
    ... peers.submission, peers.imaps, peers.ca_file ...
    peers.wait_messages("bob@peers.test", 1)
    peers.stop(); peers.cleanup()

Dovecot: IMAP (STARTTLS), IMAPS, POP3 (STLS), POP3S; users in a
passwd-file ({PLAIN} passwords), mail in ~/Maildir under the temp dir owned
by the Debian user "mail"; `auth_mechanisms = plain login`;
`disable_plaintext_auth = yes` and `ssl = required`, so LOGIN/USER/AUTH
without TLS are refused. Dovecot counts a connection whose remote and local
address are the same as secure, whatever the TLS, so it listens on
127.0.0.2 by default: the client's address is then 127.0.0.1 (the source
Linux picks for the whole 127/8) and the refusals are real.

Postfix: submission (STARTTLS required before AUTH; SASL through Dovecot's
auth socket; permit_sasl_authenticated, reject) and plain SMTP (accepts
mail for the test domain only) on free ports of the same address. Postfix
takes any local part of the domain at RCPT; Dovecot's LMTP refuses unknown
users, and Postfix then bounces to the sender.

Needs root (postfix start does) and the packages of
`scripts/install-deps test`."""
import glob
import os
import pwd
import grp
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from harness import free_port

DOVECOT = "/usr/sbin/dovecot"
POSTFIX = "/usr/sbin/postfix"
OPENSSL = "/usr/bin/openssl"


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _descendants(root):
    """PIDs of every process below root, found through /proc."""
    children = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(stat.split("/")[2]))
    out, todo = [], [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            out.append(pid)
            todo.append(pid)
    return out


def _kill(pids, sig=signal.SIGKILL):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _wait_gone(pids, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.02)
    return False


class DovecotPostfix:
    def __init__(self, domain="peers.test", host="127.0.0.2",
                 relayhost=None, durable=False):
        """host: the loopback address both listen on (see the module text
        on why not 127.0.0.1). relayhost: "[127.0.0.1]:port" to send mail
        for other domains to (a FakeSmtp); without it such mail is refused
        at RCPT."""
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            raise unittest.SkipTest("Dovecot/Postfix peers need root")
        for path in (DOVECOT, POSTFIX, OPENSSL):
            if not os.path.exists(path):
                raise AssertionError(
                    f"{path} missing: run scripts/install-deps test")
        self.domain = domain
        self.host = host
        self.relayhost = relayhost
        # tests skip Dovecot's fsyncs; benchmarks keep them (its default
        # "optimized": a delivered message is synced before LMTP's 250)
        self.mail_fsync = "optimized" if durable else "never"
        self.tmp = tempfile.mkdtemp(prefix="postroom-peers-")
        os.chmod(self.tmp, 0o755)
        self.imap = free_port(host)
        self.imaps = free_port(host)
        self.pop3 = free_port(host)
        self.pop3s = free_port(host)
        self.submission = free_port(host)
        self.smtp = free_port(host)
        # the mail user: Dovecot does not deliver as root
        self.mail_uid = pwd.getpwnam("mail").pw_uid
        self.mail_gid = grp.getgrnam("mail").gr_gid
        self.tls_dir = os.path.join(self.tmp, "tls")
        self.cert = os.path.join(self.tls_dir, "cert.pem")
        self.key = os.path.join(self.tls_dir, "key.pem")
        self.ca_file = self.cert  # self-signed: the cert is its own CA
        self.mail_dir = os.path.join(self.tmp, "mail")
        self.dc_dir = os.path.join(self.tmp, "dovecot")
        self.dc_base = os.path.join(self.dc_dir, "run")
        self.dc_conf = os.path.join(self.dc_dir, "dovecot.conf")
        self.dc_log = os.path.join(self.dc_dir, "dovecot.log")
        self.passwd = os.path.join(self.dc_dir, "passwd")
        self.lmtp_socket = os.path.join(self.dc_base, "lmtp")
        self.auth_socket = os.path.join(self.dc_base, "auth-postfix")
        self.pf_dir = os.path.join(self.tmp, "postfix")
        self.pf_conf = os.path.join(self.pf_dir, "etc")
        self.pf_queue = os.path.join(self.pf_dir, "queue")
        self.pf_data = os.path.join(self.pf_dir, "data")
        self.pf_log = os.path.join(self.pf_dir, "postfix.log")
        for d in (self.tls_dir, self.dc_dir, self.pf_dir, self.pf_conf):
            os.mkdir(d)
            os.chmod(d, 0o755)
        os.mkdir(self.mail_dir)
        os.chown(self.mail_dir, self.mail_uid, self.mail_gid)
        self.users = {}
        self.dovecot = None
        self.dc_log_file = None
        self.postfix = None
        self.postfix_pid = None
        self.pf_log_file = None
        try:
            self.make_cert()
            self.write_passwd()
            self.write_dovecot_conf()
            self.write_postfix_conf()
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise

    # ---- configuration ---------------------------------------------------

    def make_cert(self):
        self.run([OPENSSL, "req", "-x509", "-newkey", "ec",
                  "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                  "-days", "2", "-subj", "/CN=localhost",
                  "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,"
                  f"IP:{self.host}",
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
                  "-keyout", self.key, "-out", self.cert])
        os.chmod(self.cert, 0o644)
        os.chmod(self.key, 0o600)

    def write_passwd(self):
        """Writes the passwd-file anew (renamed into place: the auth
        process may read it at any time) with an mtime that differs from
        the last one, as Dovecot reloads it when mtime or size changes."""
        old = None
        try:
            old = os.stat(self.passwd).st_mtime_ns
        except FileNotFoundError:
            pass
        tmp = self.passwd + ".new"
        with open(tmp, "w") as f:
            for address, password in self.users.items():
                home = self.home(address)
                f.write(f"{address}:{{PLAIN}}{password}::::{home}::\n")
        # read by Dovecot's auth process, which runs as user dovecot
        os.chmod(tmp, 0o644)
        if old is not None:
            stamp = max(time.time_ns(), old + 1_000_000_000)
            os.utime(tmp, ns=(stamp, stamp))
        os.replace(tmp, self.passwd)

    def home(self, address):
        local, domain = address.lower().split("@")
        return os.path.join(self.mail_dir, domain, local)

    def write_dovecot_conf(self):
        h = self.host
        conf = f"""# written by tests/integration/peers.py
base_dir = {self.dc_base}
state_dir = {self.dc_dir}/state
instance_name = {os.path.basename(self.tmp)}
log_path = {self.dc_log}
info_log_path = {self.dc_log}
debug_log_path = {self.dc_log}
auth_verbose = yes
protocols = imap pop3 lmtp
listen = {h}
ssl = required
ssl_cert = <{self.cert}
ssl_key = <{self.key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
# tests try wrong passwords: no delay, no growing penalty per IP
auth_failure_delay = 0
first_valid_uid = {self.mail_uid}
last_valid_uid = {self.mail_uid}
first_valid_gid = {self.mail_gid}
mail_uid = {self.mail_uid}
mail_gid = {self.mail_gid}
mail_location = maildir:~/Maildir
mail_fsync = {self.mail_fsync}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.passwd}
}}
userdb {{
  driver = passwd-file
  args = {self.passwd}
}}
service imap-login {{
  inet_listener imap {{
    address = {h}
    port = {self.imap}
  }}
  inet_listener imaps {{
    address = {h}
    port = {self.imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = {h}
    port = {self.pop3}
  }}
  inet_listener pop3s {{
    address = {h}
    port = {self.pop3s}
    ssl = yes
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth {{
  unix_listener auth-postfix {{
    mode = 0666
  }}
}}
protocol pop3 {{
  pop3_uidl_format = %08Xu%08Xv
}}
"""
        with open(self.dc_conf, "w") as f:
            f.write(conf)
        os.chmod(self.dc_conf, 0o644)

    def write_postfix_conf(self):
        if self.relayhost:
            outside = f"relayhost = {self.relayhost}\n"
        else:
            outside = ("default_transport = error:5.7.1 no delivery outside "
                       "the test domain\n")
        main = f"""# written by tests/integration/peers.py
compatibility_level = 3.6
queue_directory = {self.pf_queue}
data_directory = {self.pf_data}
maillog_file = {self.pf_log}
maillog_file_prefixes = {self.tmp}
myhostname = mx.{self.domain}
mydomain = {self.domain}
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
# the machine's loopback interface; master.cf binds {self.host} (any
# 127/8 address is local) on its free ports
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_peername_lookup = no
virtual_mailbox_domains = {self.domain}
virtual_transport = lmtp:unix:{self.lmtp_socket}
relay_domains =
{outside}smtpd_relay_restrictions =
  permit_sasl_authenticated, reject_unauth_destination
smtpd_tls_cert_file = {self.cert}
smtpd_tls_key_file = {self.key}
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = {self.auth_socket}
smtp_tls_security_level = none
biff = no
smtpd_error_sleep_time = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
"""
        ns = "-o syslog_name=postfix"
        master = f"""# written by tests/integration/peers.py: loopback only
{self.host}:{self.smtp} inet n - n - - smtpd
{self.host}:{self.submission} inet n - n - - smtpd
  {ns}/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
lmtp      unix - - n - - lmtp
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""
        with open(os.path.join(self.pf_conf, "main.cf"), "w") as f:
            f.write(main)
        with open(os.path.join(self.pf_conf, "master.cf"), "w") as f:
            f.write(master)
        # Postfix waits until a config file is a second old (so as not to
        # read one half written): date them back
        past = time.time() - 10
        for name in ("main.cf", "master.cf"):
            os.chmod(os.path.join(self.pf_conf, name), 0o644)
            os.utime(os.path.join(self.pf_conf, name), (past, past))

    # ---- processes -------------------------------------------------------

    def run(self, args, check=True):
        proc = subprocess.run(args, capture_output=True, text=True,
                              timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {proc.returncode}:\n"
                f"{proc.stdout}{proc.stderr}\n{self.logs()}")
        return proc

    def start(self):
        try:
            self.start_dovecot()
            self.start_postfix()
        except BaseException:
            self.stop(check=False)
            raise
        return self

    def start_dovecot(self):
        self.dc_log_file = open(self.dc_log, "ab")
        # -F: in the foreground, so its PID is ours to stop
        self.dovecot = subprocess.Popen(
            [DOVECOT, "-F", "-c", self.dc_conf], stdout=self.dc_log_file,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.dovecot.poll() is not None:
                raise AssertionError(
                    f"dovecot exited {self.dovecot.returncode}:\n"
                    f"{self.logs()}")
            want = {self.imap: b"* OK", self.pop3: b"+OK"}
            if os.path.exists(self.lmtp_socket) and self.banners_ok(want) and \
                    os.path.exists(self.auth_socket):
                return
            time.sleep(0.02)
        raise AssertionError(f"dovecot not ready:\n{self.logs()}")

    # Postfix's queue tree (as /etc/postfix/postfix-files makes it): name,
    # owner, group, mode. "postfix start" would make it too (post-install
    # create-missing, then its integrity checks: about a second more).
    QUEUE_TREE = (
        ("active", "postfix", "root", 0o700),
        ("bounce", "postfix", "root", 0o700),
        ("corrupt", "postfix", "root", 0o700),
        ("defer", "postfix", "root", 0o700),
        ("deferred", "postfix", "root", 0o700),
        ("flush", "postfix", "root", 0o700),
        ("hold", "postfix", "root", 0o700),
        ("incoming", "postfix", "root", 0o700),
        ("private", "postfix", "root", 0o700),
        ("saved", "postfix", "root", 0o700),
        ("trace", "postfix", "root", 0o700),
        ("maildrop", "postfix", "postdrop", 0o730),
        ("public", "postfix", "postdrop", 0o710),
        ("pid", "root", "root", 0o755),
    )

    def make_queue(self):
        os.mkdir(self.pf_queue)
        os.chmod(self.pf_queue, 0o755)
        for name, owner, group, mode in self.QUEUE_TREE:
            path = os.path.join(self.pf_queue, name)
            os.mkdir(path)
            os.chown(path, pwd.getpwnam(owner).pw_uid,
                     grp.getgrnam(group).gr_gid)
            os.chmod(path, mode)
        os.mkdir(self.pf_data)
        os.chown(self.pf_data, pwd.getpwnam("postfix").pw_uid, 0)
        os.chmod(self.pf_data, 0o700)
        # tells postfix-script to skip the checks, once
        open(os.path.join(self.pf_queue, "quick-start"), "w").close()

    def start_postfix(self):
        if not os.path.exists(self.pf_queue):
            self.make_queue()
        # start-fg: "postfix start" whose master stays our child's child
        # (postfix-script waits for it), so it is reaped, never a zombie
        self.pf_log_file = open(self.pf_log + ".out", "ab")
        self.postfix = subprocess.Popen(
            [POSTFIX, "-c", self.pf_conf, "start-fg"],
            stdout=self.pf_log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        pid_file = os.path.join(self.pf_queue, "pid", "master.pid")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.postfix.poll() is not None:
                raise AssertionError(
                    f"postfix exited {self.postfix.returncode}:\n"
                    f"{self.logs()}")
            if self.postfix_pid is None:
                try:
                    with open(pid_file) as f:
                        self.postfix_pid = int(f.read().split()[0])
                except (OSError, ValueError, IndexError):
                    pass
            if self.postfix_pid is not None and \
                    self.banners_ok({self.smtp: b"220",
                                     self.submission: b"220"}):
                return
            time.sleep(0.02)
        raise AssertionError(f"postfix not ready:\n{self.logs()}")

    def banners_ok(self, want):
        """Connects to every port at once, then reads each greeting (so
        the servers start their first process in parallel)."""
        socks = {}
        try:
            for port in want:
                try:
                    socks[port] = socket.create_connection((self.host, port),
                                                           timeout=2)
                except OSError:
                    return False
            for port, s in socks.items():
                try:
                    s.settimeout(2)
                    if not s.recv(512).startswith(want[port]):
                        return False
                except OSError:
                    return False
            return True
        finally:
            for s in socks.values():
                s.close()

    def stop(self, check=True):
        """Stops Postfix (SIGTERM to its master, as `postfix stop` does,
        without its one-second polls) and Dovecot (SIGTERM to its master
        and its children: the master alone waits a second for them), then
        kills by PID whatever of theirs is left."""
        left = []
        if self.postfix is not None:
            pids = _descendants(self.postfix.pid)
            if self.postfix_pid is not None and _alive(self.postfix_pid):
                pids.append(self.postfix_pid)
                _kill([self.postfix_pid], signal.SIGTERM)
            try:
                self.postfix.wait(10)
            except subprocess.TimeoutExpired:
                left.append("postfix master")
            _kill(pids + [self.postfix.pid])
            _wait_gone(pids, 5)
            self.postfix.wait()
            self.postfix = self.postfix_pid = None
            self.pf_log_file.close()
        if self.dovecot is not None:
            pids = _descendants(self.dovecot.pid)
            if self.dovecot.poll() is None:
                self.dovecot.send_signal(signal.SIGTERM)
                _kill(pids, signal.SIGTERM)
                try:
                    self.dovecot.wait(10)
                except subprocess.TimeoutExpired:
                    left.append("dovecot master")
                    self.dovecot.kill()
                    self.dovecot.wait()
            _kill(pids)
            _wait_gone(pids, 5)
            self.dovecot = None
            self.dc_log_file.close()
        if check and left:
            raise AssertionError(f"did not stop on SIGTERM: {left}\n"
                                 f"{self.logs()}")

    def cleanup(self):
        try:
            self.stop(check=False)
        finally:
            if not os.environ.get("POSTROOM_KEEP"):
                shutil.rmtree(self.tmp, ignore_errors=True)

    def logs(self):
        out = ""
        for path in (self.dc_log, self.pf_log, self.pf_log + ".out"):
            try:
                with open(path, errors="replace") as f:
                    out += f"--- {path}\n{f.read()[-6000:]}\n"
            except OSError:
                pass
        return out

    # ---- users and mail --------------------------------------------------

    def add_user(self, address, password="secret-pw"):
        """Adds (or changes the password of) a Dovecot user. Works while
        running too: Dovecot reads the passwd-file again when it changed,
        but looks at most once a second, so then this waits for the next
        second to begin (at most a second; add users before start())."""
        self.users[address.lower()] = password
        home = self.home(address)
        for d in (os.path.dirname(home), home):
            if not os.path.isdir(d):
                os.mkdir(d, 0o700)
                os.chown(d, self.mail_uid, self.mail_gid)
        self.write_passwd()
        if self.dovecot is not None:
            time.sleep(1.02 - time.time() % 1)

    def messages(self, address, folder="INBOX"):
        """The delivered bytes of each message in a Maildir folder (as
        stored: LF line ends, Dovecot's and Postfix's headers in front),
        oldest first."""
        maildir = os.path.join(self.home(address), "Maildir")
        if folder != "INBOX":
            maildir = os.path.join(maildir, "." + folder)
        paths = []
        for sub in ("cur", "new"):
            paths += glob.glob(os.path.join(maildir, sub, "*"))
        paths.sort(key=lambda p: os.path.basename(p).split(":")[0])
        out = []
        for p in paths:
            try:
                with open(p, "rb") as f:
                    out.append(f.read())
            except FileNotFoundError:  # moved new -> cur meanwhile
                return self.messages(address, folder)
        return out

    def wait_messages(self, address, count, folder="INBOX", timeout=30):
        deadline = time.monotonic() + timeout
        msgs = []
        while time.monotonic() < deadline:
            msgs = self.messages(address, folder)
            if len(msgs) >= count:
                return msgs
            time.sleep(0.05)
        raise AssertionError(
            f"{address}: {len(msgs)} messages in {folder} after {timeout}s, "
            f"want {count}\n{self.logs()}")

    def tls_context(self):
        """A client context that trusts only the fixture's certificate,
        checking the name "localhost"."""
        ctx = ssl.create_default_context(cafile=self.ca_file)
        return ctx


def strip_trace(delivered):
    """The message as the client sent it, with CRLF line ends: the
    delivered bytes minus the Return-Path, Delivered-To and Received
    headers Dovecot and Postfix put in front."""
    lines = delivered.replace(b"\r\n", b"\n").split(b"\n")
    i = 0
    while i < len(lines):
        if lines[i].split(b":")[0].lower() in (b"return-path",
                                               b"delivered-to", b"received"):
            i += 1
            while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
                i += 1
            continue
        break
    return b"\r\n".join(lines[i:])


def process_tree_peak_rss_kib(root_pids):
    """The sum of VmHWM over root_pids and all their descendants."""
    pids = set()
    for root in root_pids:
        pids.add(root)
        pids.update(_descendants(root))
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total
