# How arc-dkimpy-*.eml were made (dkimpy 1.1.4, Debian python3-dkim): two
# RSA-2048 keys (openssl genrsa), a message with the Authentication-Results
# of mx.forwarder.test sealed by forwarder.test (i=1), then the verdict of
# mx.list.test on top sealed by list.test (i=2). The private keys were not
# kept; arc-dkimpy-keys.txt holds the public key records.
import dkim, base64, subprocess
def record(path):
    der = subprocess.run(["openssl","rsa","-in",path,"-pubout","-outform","DER"],capture_output=True,check=True).stdout
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
msg = (b"Authentication-Results: mx.forwarder.test;\r\n"
       b"\tspf=pass smtp.mailfrom=ann@origin.test;\r\n\tdkim=none;\r\n\tdmarc=pass header.from=origin.test\r\n"
       b"From: Ann <ann@origin.test>\r\nTo: list@forwarder.test\r\n"
       b"Subject: ARC test\r\nDate: Mon, 4 Mar 2024 10:00:00 +0000\r\n"
       b"Message-ID: <arc-1@origin.test>\r\n\r\n"
       b"Hello,\r\n  this is  the body.\r\n\r\n")
fwd = open("fwd.key","rb").read()
hdrs = dkim.arc_sign(msg, b"arc1", b"forwarder.test", fwd, b"mx.forwarder.test", timestamp=1700000000)
m1 = b"".join(hdrs) + msg
open("i1.eml","wb").write(m1)
# a second hop: its own AR with arc=pass, sealed by list.test
m1b = (b"Authentication-Results: mx.list.test;\r\n\tarc=pass;\r\n\tspf=fail smtp.mailfrom=list@forwarder.test\r\n" + m1)
lst = open("list.key","rb").read()
hdrs2 = dkim.arc_sign(m1b, b"arc2", b"list.test", lst, b"mx.list.test", timestamp=1700000100)
m2 = b"".join(hdrs2) + m1b
open("i2.eml","wb").write(m2)
open("keys.txt","w").write("arc1._domainkey.forwarder.test " + record("fwd.key") + "\n" + "arc2._domainkey.list.test " + record("list.key") + "\n")
def dnsfunc(name, timeout=5):
    name=name.decode() if isinstance(name,bytes) else name
    for line in open("keys.txt"):
        n,r=line.split(" ",1)
        if n==name.rstrip("."): return r.strip().encode()
    return None
print(dkim.arc_verify(m1, dnsfunc=dnsfunc)[0], dkim.arc_verify(m2, dnsfunc=dnsfunc)[0])
