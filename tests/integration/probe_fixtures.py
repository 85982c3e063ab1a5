"""Raw-socket probes for the connection-layer tests (test_probes_*.py):
aborted TLS handshakes (plain close, reset, part of a ClientHello), byte
tricklers, and a count of the server side's TCP sockets on the listening
ports, read from /proc (each child's fds matched against /proc/net/tcp*).
Loopback only; every socket is closed by the probe that made it."""
import os
import socket
import ssl
import struct
import time

# /proc/net/tcp states (include/net/tcp_states.h)
TCP_STATES = {"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV",
              "04": "FIN_WAIT1", "05": "FIN_WAIT2", "06": "TIME_WAIT",
              "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK",
              "0A": "LISTEN", "0B": "CLOSING"}


def partial_client_hello():
    """The first half of a real TLS ClientHello, made by Python's own ssl
    module through memory BIOs: a handshake that can never complete."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="probe.test")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    assert hello[:1] == b"\x16", hello[:8]  # a handshake record
    return hello[:len(hello) // 2]


def _tcp_sockets():
    """inode -> (local port, state name) of every TCP socket on the host."""
    out = {}
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    port = int(fields[1].rsplit(":", 1)[1], 16)
                    out[fields[9]] = (port, TCP_STATES.get(fields[3], "?"))
        except OSError:
            pass
    return out


def _other_sockets():
    """Inodes of the host's UDP, UNIX, raw and netlink sockets."""
    out = set()
    for name, column in (("udp", 9), ("udp6", 9), ("raw", 9), ("raw6", 9),
                         ("unix", 6), ("netlink", -1)):
        try:
            with open(f"/proc/net/{name}") as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if len(fields) > abs(column):
                        out.add(fields[column])
        except OSError:
            pass
    return out


def server_sockets(pr, ports):
    """The states of the sockets that postroomd's children hold open on
    ports, other than the listening ones: what a leaked connection
    leaves behind (CLOSE_WAIT after the peer's FIN). A TCP socket reset by
    the peer leaves the kernel's tables while its fd stays open: a socket
    fd found in none of them counts as "CLOSE" (whatever its port)."""
    tcp = _tcp_sockets()
    other = _other_sockets()
    states = []
    for pid in pr.children():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if not target.startswith("socket:["):
                continue
            inode = target[8:-1]
            entry = tcp.get(inode)
            if entry is None and inode not in other:
                states.append("CLOSE")
            elif entry is not None and entry[0] in ports and \
                    entry[1] != "LISTEN":
                states.append(entry[1])
    return states


def wait_no_server_sockets(pr, ports, timeout=30):
    """Waits until the children hold no connection on ports; returns what
    is left (empty on success)."""
    deadline = time.monotonic() + timeout
    left = server_sockets(pr, ports)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = server_sockets(pr, ports)
    return left


def connect(port, source="127.0.0.1", timeout=10):
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_until(s, marker, timeout=10):
    """Reads until marker is in the data (or EOF); returns the data."""
    s.settimeout(timeout)
    data = b""
    while marker not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


# (the command that starts TLS, what ends its go-ahead reply)
STARTTLS = {
    "smtp": (b"EHLO probe.test\r\nSTARTTLS\r\n", b"220 2.0.0"),
    "imap": (b"a STARTTLS\r\n", b"a OK"),
    "pop3": (b"STLS\r\n", b"+OK Begin TLS"),
}


def starttls_ready(s, proto):
    """Reads the greeting, sends the STARTTLS command and reads its
    go-ahead: the next byte the server reads belongs to a handshake."""
    cmd, ok = STARTTLS[proto]
    read_until(s, b"\r\n")
    s.sendall(cmd)
    reply = read_until(s, ok)
    assert ok in reply, reply
    # the rest of the go-ahead line
    if not reply.endswith(b"\r\n"):
        read_until(s, b"\r\n")


def abort(s, how, hello):
    """Ends a connection whose TLS handshake has not begun or finished:
    "close" (FIN), "reset" (RST through SO_LINGER 0), "partial" (half a
    ClientHello, then FIN)."""
    if how == "partial":
        s.sendall(hello)
        time.sleep(0.05)
    if how == "reset":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    s.close()


def tls_client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def wait_closed(s, timeout):
    """Reads until the server closes; returns (all data, seconds waited),
    or (data, None) if it did not close within timeout."""
    start = time.monotonic()
    s.settimeout(1)
    data = b""
    while time.monotonic() - start < timeout:
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return data, time.monotonic() - start
        if not chunk:
            return data, time.monotonic() - start
        data += chunk
    return data, None


def trickle(s, data, interval, timeout):
    """Sends data one byte every interval seconds while reading what the
    server says; stops when it closes. Returns (what it said, seconds
    until it closed or None, bytes sent)."""
    start = time.monotonic()
    s.setblocking(False)
    said = b""
    sent = 0
    next_send = start
    try:
        while time.monotonic() - start < timeout:
            now = time.monotonic()
            if now >= next_send and sent < len(data):
                try:
                    s.send(data[sent:sent + 1])
                except (BrokenPipeError, ConnectionResetError):
                    return said, now - start, sent
                sent += 1
                next_send = now + interval
            try:
                chunk = s.recv(4096)
                if not chunk:
                    return said, time.monotonic() - start, sent
                said += chunk
            except BlockingIOError:
                time.sleep(0.05)
            except ConnectionResetError:
                return said, time.monotonic() - start, sent
        return said, None, sent
    finally:
        s.setblocking(True)
