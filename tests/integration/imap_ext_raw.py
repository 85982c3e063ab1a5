"""A raw IMAP connection for the extension tests (test_imap_ext*.py):
bytes in, every line up to the tagged reply out, where imaplib cannot
speak the syntax (LITERAL+ inside lists, CATENATE, NOTIFY's unsolicited
responses)."""
import imaplib
import socket
import time


class Raw:
    def __init__(self, port, user=None, password=None, rcvbuf=None):
        if rcvbuf is None:
            self.s = socket.create_connection(("127.0.0.1", port),
                                              timeout=30)
        else:
            # a small receive window, set before the handshake
            self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.s.settimeout(30)
            self.s.connect(("127.0.0.1", port))
        self.buf = b""
        self.read_until(b"\r\n")  # the greeting
        if user is not None:
            out = self.cmd(b"l0", f"LOGIN {user} {password}".encode())
            assert b"l0 OK" in out, out

    def send(self, data):
        self.s.sendall(data)

    def read_until(self, mark, timeout=30):
        """Everything read up to and including the line holding mark."""
        deadline = time.monotonic() + timeout
        while True:
            i = self.buf.find(mark)
            if i >= 0:
                end = self.buf.find(b"\r\n", i)
                if end >= 0:
                    out, self.buf = self.buf[:end + 2], self.buf[end + 2:]
                    return out
            if time.monotonic() > deadline:
                raise AssertionError(f"no {mark!r} in {self.buf[-800:]!r}")
            self.s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                chunk = self.s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                chunk = b"" if time.monotonic() > deadline else None
            if chunk is None:
                continue
            if not chunk:
                out, self.buf = self.buf, b""
                return out + b"<closed>"
            self.buf += chunk

    def read_for(self, seconds):
        """Whatever arrives within seconds (for unsolicited responses)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            self.buf += chunk
        out, self.buf = self.buf, b""
        return out

    def cmd(self, tag, line):
        """Sends tag SP line CRLF; returns the lines up to tag's reply."""
        self.send(tag + b" " + line + b"\r\n")
        return self._tagged(tag)

    def _tagged(self, tag):
        deadline = time.monotonic() + 30
        out = b""
        while time.monotonic() < deadline:
            line = self.read_until(b"\r\n")
            out += line
            if line.startswith(tag + b" ") or line.endswith(b"<closed>"):
                return out
        raise AssertionError(f"no reply to {tag!r}: {out[-500:]!r}")

    def close(self):
        self.s.close()


def login(port, user, password):
    m = imaplib.IMAP4("127.0.0.1", port, timeout=30)
    m.login(user, password)
    return m
