"""A small IMAP client of our own for the MIME tests (test_imap_mime*.py):
raw sockets, so that a test sees the exact bytes a server sends (literal or
literal8, NUL bytes, quoting) and can APPEND with literal8 (RFC 3516 §4.4),
which imaplib cannot. Responses are parsed into Python values by the RFC
9051 §9 grammar: NIL is None, strings (quoted, literal, literal8) are bytes,
atoms are str, lists are lists; a FETCH response becomes a dict by item
name (upper-cased). It answers what both servers of the differential test
send, Postroom and Dovecot, and compares the two by value, not by syntax."""
import binascii
import os
import quopri
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


# ---- the differential comparison (test_imap_mime_diff.py) ---------------

def section_items(numbers):
    """The BODY[...] items fetched of a message with part numbers."""
    items = ["BODY.PEEK[]", "BODY.PEEK[HEADER]", "BODY.PEEK[TEXT]",
             "BODY.PEEK[HEADER.FIELDS (From Subject X-Tag)]",
             "BODY.PEEK[HEADER.FIELDS.NOT (Received X-Tag)]"]
    for n in numbers:
        items += [f"BODY.PEEK[{n}]", f"BODY.PEEK[{n}.HEADER]",
                  f"BODY.PEEK[{n}.TEXT]", f"BODY.PEEK[{n}.MIME]"]
    return items


def collect(client, uid, numbers):
    """{item: (status word, value)} of one message: ENVELOPE, BODY,
    BODYSTRUCTURE, RFC822.SIZE and the sections in one FETCH, then each
    BINARY and BINARY.SIZE alone (a server may refuse one: NO)."""
    out = {}
    items = ["ENVELOPE", "BODYSTRUCTURE", "BODY", "RFC822.SIZE"]
    f = client.fetch(uid, " ".join(items + section_items(numbers)))
    for key, value in f.items():
        out[key] = ("OK", value)
    for n in numbers:
        for item in (f"BINARY.PEEK[{n}]", f"BINARY.SIZE[{n}]"):
            key = item.replace(".PEEK", "")
            status, d = client.fetch_status(uid, item)
            out[key] = (status, d.get(key) if d else None)
    return out


def flatten(body, number="", is_message=True, out=None):
    """{(part number, field): value} of a BODYSTRUCTURE or BODY (RFC 9051
    §7.5.2), so that two can be compared field by field. A multipart's own
    fields are under its number + "*" ("*" for the message's); parameter
    names are lower-cased (RFC 2045 §5.1: they are case-insensitive)."""
    out = {} if out is None else out
    if isinstance(body[0], list):  # body-type-mpart
        i = 0
        while i < len(body) and isinstance(body[i], list):
            child = f"{number}.{i + 1}" if number else str(i + 1)
            flatten(body[i], child, False, out)
            i += 1
        for name, value in zip(("subtype", "params", "dsp", "lang", "loc"),
                               body[i:]):
            out[(number + "*", name)] = _field(name, value)
        return out
    if is_message:  # a single-part message: its body is part 1
        number = f"{number}.1" if number else "1"
    names = ["type", "subtype", "params", "id", "desc", "enc", "size"]
    kind = (body[0] or b"").lower(), (body[1] or b"").lower()
    if kind[0] == b"message" and kind[1] in (b"rfc822", b"global") and \
            len(body) > 8 and isinstance(body[8], list):
        names += ["envelope", "body", "lines"]
    elif kind[0] == b"text":
        names += ["lines"]
    names += ["md5", "dsp", "lang", "loc"]
    for name, value in zip(names, body):
        if name == "body":
            flatten(value, number, True, out)
        else:
            out[(number, name)] = _field(name, value)
    return out


def _field(name, value):
    value = norm(value)
    if name in ("type", "subtype") and isinstance(value, str):
        return value.encode()
    if name == "params" and isinstance(value, list):
        return [v.lower() if i % 2 == 0 and isinstance(v, bytes) else v
                for i, v in enumerate(value)]
    if name == "dsp" and isinstance(value, list) and len(value) == 2:
        return [value[0].lower() if isinstance(value[0], bytes) else value[0],
                _field("params", value[1])]
    return value


def composite_parts(bodystructure):
    """The part numbers of multipart and message/rfc822|global parts."""
    flat = flatten(bodystructure)
    out = {n[:-1] for (n, f) in flat if n.endswith("*") and n != "*"}
    out |= {n for (n, f), v in flat.items()
            if f == "type" and v == b"message" and
            (n, "envelope") in flat}
    return out


CLOSE_DELIMITER = re.compile(rb"(^|\r?\n)--[^\r\n]+--[ \t]*$")


def is_nested_close_crlf(ours, theirs):
    """Dovecot's one known framing difference: a part that ends with the
    close-delimiter of a multipart nested in it gets the CRLF after that
    line, which RFC 2046 §5.1.1 gives to the next delimiter of the outer
    multipart ("the CRLF preceding the boundary delimiter line is
    conceptually attached to the boundary")."""
    return isinstance(ours, bytes) and isinstance(theirs, bytes) and \
        theirs == ours + b"\r\n" and CLOSE_DELIMITER.search(ours) is not None


def decode_cte(data, encoding):
    """A body decoded from its Content-Transfer-Encoding by Python's own
    decoders (an independent implementation of RFC 2045 §6.7-6.8)."""
    enc = (encoding or b"7bit").lower()
    if enc == b"base64":
        return binascii.a2b_base64(data)
    if enc == b"quoted-printable":
        lines = data.split(b"\n")
        # RFC 2045 §6.7 rule 3, which quopri leaves to the caller
        stripped = [ln.rstrip(b"\r").rstrip(b" \t") +
                    (b"\r" if ln.endswith(b"\r") else b"") for ln in lines]
        return quopri.decodestring(b"\n".join(stripped))
    return data
