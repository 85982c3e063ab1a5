"""A small IMAP client of our own for the MIME tests (test_imap_mime*.py):
raw sockets, so that a test sees the exact bytes a server sends (literal or
literal8, NUL bytes, quoting) and can APPEND with literal8 (RFC 3516 §4.4),
which imaplib cannot. Responses are parsed into Python values by the RFC
9051 §9 grammar: NIL is None, strings (quoted, literal, literal8) are bytes,
atoms are str, lists are lists; a FETCH response becomes a dict by item
name (upper-cased). It answers what both servers of the differential test
send, Postroom and Dovecot, and compares the two by value, not by syntax."""
import os
import re
import socket
import ssl

DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "data", "imap-mime")


class Literal8(bytes):
    """A string that came as literal8 (~{n})."""


class Literal(bytes):
    """A string that came as a literal ({n})."""


class ImapError(AssertionError):
    pass


class RawImap:
    def __init__(self, host, port, tls_context=None, server_hostname=None,
                 timeout=30):
        sock = socket.create_connection((host, port), timeout=timeout)
        if tls_context is not None:
            sock = tls_context.wrap_socket(
                sock, server_hostname=server_hostname or host)
        self.sock = sock
        self.buf = b""
        self.tag = 0
        greeting = self.read_response()
        if not greeting.startswith(b"* OK"):
            raise ImapError(f"greeting {greeting!r}")

    def close(self):
        try:
            self.command(b"LOGOUT")
        except (OSError, ImapError):
            pass
        self.sock.close()

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ImapError("connection closed")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i + 2], self.buf[i + 2:]
                return line
            self._fill()

    def _bytes(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self):
        """One response with its literals inline, CRLF kept at the end."""
        out = b""
        while True:
            line = self._line()
            out += line
            m = re.search(rb"~?\{(\d+)\+?\}\r\n$", line)
            if m is None:
                return out
            out += self._bytes(int(m.group(1)))

    def command(self, cmd, literal=None, literal8=False):
        """Sends "tag cmd" (with one synchronizing literal at the end when
        given); returns (untagged responses, tagged status line)."""
        self.tag += 1
        tag = b"T%d" % self.tag
        if literal is None:
            self.sock.sendall(tag + b" " + cmd + b"\r\n")
        else:
            head = b"~{%d}" % len(literal) if literal8 else \
                b"{%d}" % len(literal)
            self.sock.sendall(tag + b" " + cmd + b" " + head + b"\r\n")
            resp = self.read_response()
            if not resp.startswith(b"+"):
                raise ImapError(f"{cmd!r}: literal refused: {resp!r}")
            self.sock.sendall(literal + b"\r\n")
        untagged = []
        while True:
            resp = self.read_response()
            if resp.startswith(tag + b" "):
                return untagged, resp
            untagged.append(resp)

    def ok(self, cmd, literal=None, literal8=False):
        untagged, status = self.command(cmd, literal, literal8)
        if not status.split(b" ", 2)[1] == b"OK":
            raise ImapError(f"{cmd!r}: {status!r}")
        return untagged

    def login(self, user, password):
        self.ok(b"LOGIN " + quote(user) + b" " + quote(password))

    def append(self, mailbox, data):
        """APPENDs data, as literal8 when it holds a NUL."""
        self.ok(b"APPEND " + quote(mailbox), data, literal8=b"\0" in data)

    def fetch(self, uid, items):
        """UID FETCH uid (items): the dict of the FETCH response."""
        for resp in self.ok(b"UID FETCH %d (%s)" % (uid, items.encode())):
            value = parse_response(resp)
            if len(value) >= 3 and value[2] == "FETCH":
                return fetch_dict(value[3])
        raise ImapError(f"no FETCH response for {uid} {items}")

    def fetch_status(self, uid, items):
        """(status word, dict or None) of UID FETCH: for items a server
        may refuse (NO / BAD)."""
        untagged, status = self.command(
            b"UID FETCH %d (%s)" % (uid, items.encode()))
        word = status.split(b" ", 2)[1].decode()
        for resp in untagged:
            value = parse_response(resp)
            if len(value) >= 3 and value[2] == "FETCH":
                return word, fetch_dict(value[3])
        return word, None

    def uid_search(self, keys, literal=None):
        """UID SEARCH keys: the set of UIDs (ESEARCH or SEARCH)."""
        uids = set()
        for resp in self.ok(b"UID SEARCH " + keys, literal):
            value = parse_response(resp)
            if value[1] == "SEARCH":
                uids.update(int(u) for u in value[2:])
            elif value[1] == "ESEARCH":
                rest = value[2:]
                for i, v in enumerate(rest):
                    if v == "ALL":
                        uids.update(seqset_expand(rest[i + 1]))
        return uids


def quote(s):
    if isinstance(s, str):
        s = s.encode()
    return b'"' + s.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def seqset_expand(s):
    out = []
    for piece in s.split(","):
        if ":" in piece:
            a, b = piece.split(":")
            lo, hi = sorted((int(a), int(b)))
            out.extend(range(lo, hi + 1))
        else:
            out.append(int(piece))
    return out


class Parser:
    """response = *(SP value) CRLF; value = atom / number / NIL / string /
    "(" [value *(SP value)] ")". An atom may hold a section in brackets
    ("BODY[HEADER.FIELDS (A B)]<0>") with spaces and parentheses in it."""

    ATOM_END = b" ()\r\n"

    def __init__(self, data):
        self.d = data
        self.i = 0

    def values(self, end=None):
        out = []
        while self.i < len(self.d):
            c = self.d[self.i:self.i + 1]
            if c == b" ":
                self.i += 1
            elif c == b"\r" or c == b"\n":
                self.i += 1
            elif c == b")":
                if end != b")":
                    raise ImapError(f"unbalanced ) at {self.i}")
                self.i += 1
                return out
            elif c == b"(":
                self.i += 1
                out.append(self.values(b")"))
            else:
                out.append(self.scalar())
        if end is not None:
            raise ImapError("unterminated list")
        return out

    def scalar(self):
        d = self.d
        if d[self.i:self.i + 1] == b'"':
            j, out = self.i + 1, bytearray()
            while d[j:j + 1] != b'"':
                if d[j:j + 1] == b"\\":
                    j += 1
                out += d[j:j + 1]
                j += 1
                if j >= len(d):
                    raise ImapError("unterminated quoted string")
            self.i = j + 1
            return bytes(out)
        m = re.compile(rb"(~?)\{(\d+)\+?\}\r\n").match(d, self.i)
        if m:
            start = m.end()
            n = int(m.group(2))
            self.i = start + n
            raw = d[start:start + n]
            return Literal8(raw) if m.group(1) else Literal(raw)
        j, depth = self.i, 0
        while j < len(d):
            c = d[j:j + 1]
            if c == b"[":
                depth += 1
            elif c == b"]":
                depth -= 1
            elif depth == 0 and c in (b" ", b"(", b")", b"\r", b"\n"):
                break
            j += 1
        atom = d[self.i:j].decode("latin-1")
        self.i = j
        return None if atom.upper() == "NIL" else atom


def parse_response(data):
    return Parser(data).values()


def fetch_dict(items):
    out = {}
    for i in range(0, len(items) - 1, 2):
        out[items[i].upper()] = items[i + 1]
    return out


def norm(value):
    """A value with the syntax forgotten (literal or quoted is the same
    string) and atoms upper-cased, for comparing two servers."""
    if isinstance(value, list):
        return [norm(v) for v in value]
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str):
        return value.upper()
    return value


def part_numbers(bodystructure, prefix=""):
    """Every section-part of a message from its BODYSTRUCTURE (RFC 9051
    §6.4.5): the parts of a multipart, and on into the message inside a
    message/rfc822 or message/global part."""
    out = []
    if isinstance(bodystructure[0], list):  # multipart
        n = 0
        for child in bodystructure:
            if not isinstance(child, list):
                break
            n += 1
            out += part_numbers_of_part(child, f"{prefix}{n}")
        return out
    # a single-part message: its body is part 1
    return part_numbers_of_part(bodystructure, f"{prefix}1", top=not prefix)


def part_numbers_of_part(part, number, top=False):
    out = [number]
    if isinstance(part[0], list):  # a multipart part
        n = 0
        for child in part:
            if not isinstance(child, list):
                break
            n += 1
            out += part_numbers_of_part(child, f"{number}.{n}")
        return out
    if isinstance(part[0], bytes) and part[0].lower() == b"message" and \
            isinstance(part[1], bytes) and \
            part[1].lower() in (b"rfc822", b"global") and len(part) > 9 and \
            isinstance(part[8], list):
        out += part_numbers(part[8], f"{number}.")
    return out


def corpus():
    """(name, bytes) of every message of tests/data/imap-mime, by name."""
    out = []
    for name in sorted(os.listdir(DATA_DIR)):
        if name.endswith(".eml"):
            with open(os.path.join(DATA_DIR, name), "rb") as f:
                out.append((name, f.read()))
    return out


def tls_client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx
