"""Fixtures for the tests of TLS policies (MTA-STS, DANE, TLS-RPT): a test
certificate authority made with the openssl command, server certificates
it signs for given names, an HTTPS server on loopback that serves MTA-STS
policies by Host, and a tiny DNS server that answers from a table and can
set the AD bit (dnsmasq sets it only for what it validated itself), so a
test can play a validating resolver. Loopback only."""
import base64
import hashlib
import http.server
import os
import socket
import ssl
import struct
import subprocess
import threading


class TestCA:
    """A CA in folder: ca.pem, and certificates for names."""

    def __init__(self, folder):
        """folder is made readable by all: the servers run as an
        unprivileged user and read the certificates and keys there."""
        self.folder = folder
        os.chmod(folder, 0o755)
        self.pem = os.path.join(folder, "ca.pem")
        self.key = os.path.join(folder, "ca.key")
        self.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                  "-nodes", "-keyout", self.key, "-out", self.pem,
                  "-days", "2", "-subj", "/CN=Postroom Test CA",
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign"])

    @staticmethod
    def run(args):
        subprocess.run(args, check=True, capture_output=True)

    def issue(self, name, dns_names):
        """Returns (cert, key) paths of a server certificate for the names;
        cert holds the chain (server, then the CA)."""
        key = os.path.join(self.folder, name + ".key")
        csr = os.path.join(self.folder, name + ".csr")
        cert = os.path.join(self.folder, name + ".pem")
        ext = os.path.join(self.folder, name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=" +
                    ",".join("DNS:" + n for n in dns_names) +
                    "\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n")
        self.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes",
                  "-keyout", key, "-out", csr, "-subj",
                  "/CN=" + dns_names[0]])
        self.run(["openssl", "x509", "-req", "-in", csr, "-CA", self.pem,
                  "-CAkey", self.key, "-CAcreateserial", "-out", cert,
                  "-days", "2", "-extfile", ext])
        with open(cert, "a") as out, open(self.pem) as ca:
            out.write(ca.read())
        for path in (cert, key, self.pem):
            os.chmod(path, 0o644)  # a test key: readable by the servers
        return cert, key


def spki_sha256(cert_path):
    """The SHA-256 of a certificate's SubjectPublicKeyInfo: the data of a
    TLSA 3 1 1 record (RFC 6698 §2.1)."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_path, "-noout",
                          "-pubkey"], check=True,
                         capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                         input=pub, check=True, capture_output=True).stdout
    return hashlib.sha256(der).hexdigest()


class PolicyServer:
    """HTTPS on (host, port) answering GET /.well-known/mta-sts.txt with
    policies[Host] (404 for other hosts); records each request."""

    def __init__(self, host, port, cert, key, policies):
        self.policies = policies
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = (self.headers.get("Host") or "").split(":")[0]
                outer.requests.append((name, self.path))
                body = outer.policies.get(name)
                if self.path != "/.well-known/mta-sts.txt" or body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


TYPES = {"A": 1, "MX": 15, "TXT": 16, "AAAA": 28, "TLSA": 52}


def _name(labels):
    out = b""
    for label in labels.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


class AdDns:
    """A DNS server on 127.0.0.1 (UDP) answering from records, a list of
    (name, type, value): A "127.0.0.3", MX (pref, host), TXT "text", TLSA
    (usage, selector, mtype, hexdata). Every answer has the AD bit when
    ad is true, as a validating resolver sets it for secure data (RFC
    4035 §3.2.3), except for the names in insecure; queries lists what
    was asked, with whether the query had the AD bit (RFC 6840 §5.7) and
    an OPT record with DO (RFC 3225)."""

    def __init__(self, records, ad=True, insecure=()):
        self.records = records
        self.ad = ad
        self.insecure = {n.lower() for n in insecure}
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.server = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()

    def serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                continue
            try:
                self.sock.sendto(self.answer(data), peer)
            except (ValueError, IndexError, struct.error):
                pass

    def rdata(self, rtype, value):
        if rtype == "A":
            return socket.inet_aton(value)
        if rtype == "MX":
            return struct.pack("!H", value[0]) + _name(value[1])
        if rtype == "TXT":
            raw = value.encode()
            return b"".join(bytes([len(raw[i:i + 255])]) + raw[i:i + 255]
                            for i in range(0, max(len(raw), 1), 255))
        if rtype == "TLSA":
            return bytes(value[:3]) + bytes.fromhex(value[3])
        raise ValueError(rtype)

    def answer(self, query):
        qid, flags, qd = struct.unpack("!HHH", query[:6])
        pos, labels = 12, []
        while query[pos]:
            n = query[pos]
            labels.append(query[pos + 1:pos + 1 + n].decode().lower())
            pos += 1 + n
        qtype, _ = struct.unpack("!HH", query[pos + 1:pos + 5])
        question = query[12:pos + 5]
        name = ".".join(labels)
        # an OPT record (type 41) after the question, its flags' DO bit
        opt = query[pos + 5:]
        has_do = len(opt) >= 11 and opt[1:3] == b"\x00\x29" and \
            opt[7] & 0x80 != 0
        self.queries.append((name, qtype, bool(flags & 0x0020), has_do))
        rrs = [(t, v) for n, t, v in self.records
               if n.lower() == name and TYPES[t] == qtype]
        known = any(n.lower() == name for n, _, _ in self.records)
        rcode = 0 if known or rrs else 3
        rflags = 0x8000 | (flags & 0x0100) | 0x0080 | rcode
        if self.ad and name not in self.insecure:
            rflags |= 0x0020
        out = struct.pack("!HHHHHH", qid, rflags, 1, len(rrs), 0, 0)
        out += question
        for rtype, value in rrs:
            rd = self.rdata(rtype, value)
            out += b"\xc0\x0c" + struct.pack("!HHIH", TYPES[rtype], 1, 300,
                                             len(rd)) + rd
        return out
