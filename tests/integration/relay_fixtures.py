"""Fixtures for the relay tests: dnsmasq as the DNS server of the test
domains (started and killed by PID, on 127.0.0.1 and a free port), and a
small scriptable SMTP peer (plain sockets and threads: aiosmtpd is not
available) that can accept, refuse, stall or flood. Loopback only."""
import os
import signal
import socket
import subprocess
import threading
import time

DNSMASQ = "/usr/sbin/dnsmasq"


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free_on(host, port):
    try:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
        return True
    except OSError:
        return False


class Dnsmasq:
    """dnsmasq answering only from its command line: mx is a list of
    (domain, host, preference), hosts a list of (name, address), nxdomain a
    list of domains that do not exist, txt a list of (name, text) (a text
    over 255 octets is split into several strings), ptr a list of (reverse
    name, target)."""

    def __init__(self, mx=(), hosts=(), nxdomain=(), srv=(), txt=(), ptr=()):
        self.txt = txt
        self.ptr = ptr
        # dnsmasq binds the port for TCP too, which a free UDP port need
        # not be: on "address in use" it exits, and another port is tried
        for attempt in range(5):
            self.port = free_udp_port()
            self.server = f"127.0.0.1:{self.port}"
            if self.start(mx, hosts, nxdomain, srv):
                return
        raise AssertionError(f"dnsmasq exited: {self.error}")

    def start(self, mx, hosts, nxdomain, srv):
        args = [DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts",
                "--conf-file=/dev/null", "--bind-interfaces",
                "--listen-address=127.0.0.1", f"--port={self.port}",
                "--pid-file=", "--user=root", "--log-facility=-",
                "--local=/test/", "--local=/127.in-addr.arpa/"]
        for domain, host, pref in mx:
            args.append(f"--mx-host={domain},{host},{pref}")
        for name, addr in hosts:
            args.append(f"--host-record={name},{addr}")
        for name, target, port in srv:  # RFC 2782; target "" for "."
            args.append(f"--srv-host={name},{target},{port}" if target
                        else f"--srv-host={name}")
        for domain in nxdomain:
            args.append(f"--address=/{domain}/")
        for name, text in self.txt:
            # on the command line quotes are literal and a comma starts
            # the next string: texts here have no commas
            assert "," not in text, text
            parts = [text[i:i + 255] for i in range(0, len(text), 255)]
            args.append(f"--txt-record={name}," + ",".join(parts))
        for name, target in self.ptr:
            args.append(f"--ptr-record={name},{target}")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        try:
            self.wait_ready()
        except AssertionError:
            self.error = self.proc.stderr.read().decode(errors="replace")
            self.proc.wait()
            return False
        # it logs only at start: nothing more will fill the pipe
        return True

    def wait_ready(self):
        deadline = time.monotonic() + 10
        query = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                 b"\x04test\x00\x00\x01\x00\x01")
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("dnsmasq exited")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(0.2)
                try:
                    s.sendto(query, ("127.0.0.1", self.port))
                    s.recv(512)
                    return
                except OSError:
                    pass
        raise AssertionError("dnsmasq not ready")

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc.stderr is not None:
            self.proc.stderr.close()


class FakeSmtp:
    """An SMTP server on (host, port). behaviour(peer, event, arg) may
    override replies; the default accepts everything. Records every
    command line (commands) and every accepted message (messages:
    dicts with sender, rcpts, data)."""

    def __init__(self, host, port, mode="ok", ehlo_ext=None):
        self.host, self.port, self.mode = host, port, mode
        self.ehlo_ext = ehlo_ext if ehlo_ext is not None else [
            "PIPELINING", "8BITMIME", "SIZE 100000000", "ENHANCEDSTATUSCODES"]
        self.commands = []
        self.messages = []
        self.connections = 0
        self.rcpt_replies = {}  # address -> list of replies, used in turn
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(32)
        self.sock.settimeout(0.2)
        self.running = True
        self.threads = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with self.lock:
                self.connections += 1
            t = threading.Thread(target=self.session, args=(conn,),
                                 daemon=True)
            self.threads.append(t)
            t.start()

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()

    def session(self, conn):
        conn.settimeout(60)
        f = conn.makefile("rb")
        try:
            self.converse(conn, f)
        except (OSError, ValueError):
            pass
        finally:
            try:
                f.close()
                conn.close()
            except OSError:
                pass

    def send(self, conn, text):
        conn.sendall(text.encode() + b"\r\n")

    def converse(self, conn, f):
        if self.mode == "silent":
            time.sleep(60)
            return
        self.send(conn, f"220 {self.host} fake ESMTP")
        sender, rcpts = None, []
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.rstrip(b"\r\n").decode("utf-8", "replace")
            with self.lock:
                self.commands.append(cmd)
            verb = cmd.split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                if self.mode == "stall":
                    time.sleep(60)
                    return
                if self.mode == "endless":
                    self.flood(conn)
                    return
                lines = [f"{self.host} hello"] + self.ehlo_ext
                for i, l in enumerate(lines):
                    sep = " " if i == len(lines) - 1 else "-"
                    self.send(conn, f"250{sep}{l}")
            elif verb == "MAIL":
                sender, rcpts = cmd[10:].split(">")[0].lstrip("<"), []
                self.send(conn, "250 2.1.0 ok")
            elif verb == "RCPT":
                addr = cmd[8:].split(">")[0].lstrip("<")
                reply = "250 2.1.5 ok"
                with self.lock:
                    queue = self.rcpt_replies.get(addr)
                    if queue:
                        reply = queue.pop(0)
                if reply.startswith("2"):
                    rcpts.append(addr)
                self.send(conn, reply)
            elif verb == "DATA":
                if not rcpts:
                    self.send(conn, "554 5.5.1 no valid recipients")
                    continue
                self.send(conn, "354 go ahead")
                data = self.read_data(f)
                with self.lock:
                    self.messages.append({"sender": sender, "rcpts": rcpts,
                                          "data": data})
                self.send(conn, "250 2.0.0 queued")
            elif verb == "RSET":
                sender, rcpts = None, []
                self.send(conn, "250 2.0.0 ok")
            elif verb == "QUIT":
                self.send(conn, "221 2.0.0 bye")
                return
            else:
                self.send(conn, "502 5.5.1 unknown")

    @staticmethod
    def read_data(f):
        out = []
        while True:
            line = f.readline()
            if not line or line == b".\r\n":
                return b"".join(out)
            if line.startswith(b"."):
                line = line[1:]
            out.append(line)

    @staticmethod
    def flood(conn):
        """A reply without end: 10 MB of one line, then endless lines."""
        chunk = b"250-" + b"x" * 65536
        sent = 0
        try:
            conn.sendall(chunk)
            while sent < 10 * 1024 * 1024:
                conn.sendall(b"x" * 65536)
                sent += 65536
            while True:
                conn.sendall(b"\r\n250-more" * 4096)
        except OSError:
            return
