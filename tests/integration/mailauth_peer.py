#!/usr/bin/python3
"""The independent implementations the mail-authentication tests compare
with, run under Debian's own Python (where python3-dkim and python3-spf
live), with DNS from the test's dnsmasq:
  mailauth_peer.py sign DOMAIN SELECTOR KEYFILE ALG [length] < message
      > the DKIM-Signature field (length: with l=)
  mailauth_peer.py verify DNS < message   one line per signature: pass|fail
  mailauth_peer.py spf DNS < [[ip, sender, helo], ...]  (JSON) > results
  mailauth_peer.py arcsign DOMAIN SELECTOR KEYFILE SRVID < message
      > the ARC set dkimpy adds (ARC-Seal, ARC-Message-Signature, AAR)
  mailauth_peer.py arcverify DNS < message   "pass|fail|none reason"
DNS is "127.0.0.1:port"."""
import json
import sys

import dkim
import dns.resolver
import spf


def resolver(server):
    host, port = server.rsplit(":", 1)
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [host]
    r.port = int(port)
    r.lifetime = 5
    dns.resolver.default_resolver = r
    return r


def main():
    cmd = sys.argv[1]
    if cmd == "sign":
        domain, selector, keyfile, alg = sys.argv[2:6]
        length = sys.argv[6:7] == ["length"]
        msg = sys.stdin.buffer.read()
        key = open(keyfile, "rb").read()
        sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                        signature_algorithm=alg.encode(),
                        canonicalize=(b"relaxed", b"relaxed"),
                        length=length,
                        include_headers=[b"from", b"to", b"subject",
                                         b"date", b"message-id"])
        sys.stdout.buffer.write(sig)
    elif cmd == "verify":
        r = resolver(sys.argv[2])

        def dnsfunc(name, timeout=5):
            name = name.decode() if isinstance(name, bytes) else name
            try:
                answer = r.resolve(name, "TXT")
            except Exception:
                return None
            return b"".join(b"".join(rr.strings) for rr in answer)

        msg = sys.stdin.buffer.read()
        d = dkim.DKIM(msg)
        count = sum(1 for name, _ in d.headers
                    if name.lower() == b"dkim-signature")
        for i in range(count):
            try:
                ok = d.verify(idx=i, dnsfunc=dnsfunc)
            except dkim.DKIMException:
                ok = False
            print("pass" if ok else "fail")
    elif cmd == "arcsign":
        domain, selector, keyfile, srv_id = sys.argv[2:6]
        msg = sys.stdin.buffer.read()
        key = open(keyfile, "rb").read()
        fields = dkim.arc_sign(msg, selector.encode(), domain.encode(), key,
                               srv_id.encode())
        sys.stdout.buffer.write(b"".join(fields))
    elif cmd == "arcverify":
        r = resolver(sys.argv[2])

        def dnsfunc(name, timeout=5):
            name = name.decode() if isinstance(name, bytes) else name
            try:
                answer = r.resolve(name, "TXT")
            except Exception:
                return None
            return b"".join(b"".join(rr.strings) for rr in answer)

        msg = sys.stdin.buffer.read()
        cv, _, reason = dkim.arc_verify(msg, dnsfunc=dnsfunc)
        cv = cv.decode() if isinstance(cv, bytes) else str(cv)
        print(f"{cv} {reason}")
    elif cmd == "spf":
        resolver(sys.argv[2])
        cases = json.load(sys.stdin)
        out = []
        for ip, sender, helo in cases:
            result, _ = spf.check2(i=ip, s=sender, h=helo, timeout=10)
            out.append(result)
        json.dump(out, sys.stdout)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
