"""What the httpd tests share: waiting until httpd answers, and a raw HTTP/1.1
client over a socket (plain or TLS) that sends exactly the bytes it is given
and reads responses one at a time, by Content-Length or chunked, so that
pipelining, smuggling attempts and closes can be observed byte by byte."""
import socket
import time

from harness import client_tls_context

DOMAIN = "example.test"
USER = "bob@example.test"
PASSWORD = "bob-secret"


def wait_http(pr, timeout=30):
    """Until httpd answers on both ports (it starts after smtpd)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            for tls in (False, True):
                raw = Raw(pr, tls=tls)
                raw.send(b"GET /health HTTP/1.1\r\nHost: x\r\n"
                         b"Connection: close\r\n\r\n")
                status = raw.response()[0]
                raw.close()
                if status not in (200, 301):
                    raise OSError(f"status {status}")
            return
        except (OSError, EOFError):
            time.sleep(0.1)
    raise AssertionError(f"httpd not ready:\n{pr.log()[-3000:]}")


class Raw:
    """A raw HTTP/1.1 connection to httpd (the plain port, or HTTPS)."""

    def __init__(self, pr, tls=False, host="127.0.0.1", port=None):
        port = port or (pr.https if tls else pr.http)
        self.sock = socket.create_connection((host, port), timeout=30)
        if tls:
            self.sock = client_tls_context().wrap_socket(self.sock)
        self.file = self.sock.makefile("rb")

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        data = self.file.readline(65536)
        if not data:
            raise EOFError("connection closed")
        return data

    def response(self, head_only=False):
        """Reads one response: (status, {lowercase name: value}, body).
        head_only for the answer to HEAD (no body follows)."""
        status_line = self.line()
        parts = status_line.split(b" ", 2)
        if not status_line.startswith(b"HTTP/1.1 ") or len(parts) < 2:
            raise AssertionError(f"bad status line {status_line!r}")
        status = int(parts[1])
        headers = {}
        while True:
            line = self.line()
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if head_only or status in (204, 304) or 100 <= status < 200:
            return status, headers, b""
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size = int(self.line().split(b";")[0], 16)
                chunk = self.file.read(size + 2)
                body += chunk[:size]
                if size == 0:
                    while self.line() != b"\r\n":
                        pass
                    return status, headers, body
        length = int(headers.get("content-length", "0"))
        return status, headers, self.file.read(length)

    def is_closed(self, timeout=30):
        """True if the server closed the connection (nothing more came)."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except socket.timeout:
            return False
        except OSError:  # reset
            return True

    def close(self):
        self.file.close()
        self.sock.close()


def request(method, path, host="127.0.0.1", headers=(), body=b""):
    """The bytes of one request."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers]
    if body and not any(k.lower() in ("content-length", "transfer-encoding")
                        for k, _ in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def autodiscover_request(address=USER, schema=None):
    schema = schema or ("http://schemas.microsoft.com/exchange/autodiscover/"
                        "outlook/responseschema/2006a")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\r\n'
        '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/'
        'autodiscover/outlook/requestschema/2006">\r\n'
        f"  <Request>\r\n    <EMailAddress>{address}</EMailAddress>\r\n"
        f"    <AcceptableResponseSchema>{schema}</AcceptableResponseSchema>"
        "\r\n  </Request>\r\n</Autodiscover>\r\n").encode()
