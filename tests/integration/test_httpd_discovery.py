"""Client autoconfiguration, filled from the running configuration and read
by parsers we did not write: Thunderbird's autoconfig file (xml.etree),
Outlook's POX autodiscover (POST, xml.etree), the Apple profile (plistlib);
`postroomctl dns` (RFC 6186, RFC 6764 records in zone-file form), whose SRV
records, served by dnsmasq, lead the terminal client's `account add` to a
working account; and, as root, the terminal client finding our autoconfig
file over plain HTTP on port 80."""
import os
import plistlib
import re
import time
import unittest
import uuid
import xml.etree.ElementTree as ET

from client_fixtures import ClientHome
from harness import Postroom
from http_fixtures import (DOMAIN, PASSWORD, USER, Raw, autodiscover_request,
                           request, wait_http)
from relay_fixtures import Dnsmasq
from test_httpd_auth import basic

HOST = "mx.local.test"
OUTLOOK = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/" \
          "responseschema/2006a}"


def get(pr, path, tls=True, host="127.0.0.1", headers=()):
    raw = Raw(pr, tls=tls)
    raw.send(request("GET", path, host=host, headers=headers))
    resp = raw.response()
    raw.close()
    return resp


def post(pr, path, body):
    raw = Raw(pr, tls=True)
    raw.send(request("POST", path, headers=[("Content-Type", "text/xml")],
                     body=body))
    resp = raw.response()
    raw.close()
    return resp


def autoconfig_servers(body):
    """[(element, type, hostname, port, socketType, username)]"""
    root = ET.fromstring(body)
    provider = root.find("emailProvider")
    return [(s.tag, s.get("type"), s.findtext("hostname"),
             int(s.findtext("port")), s.findtext("socketType"),
             s.findtext("username")) for s in provider
            if s.tag in ("incomingServer", "outgoingServer")]


def zone_records(text):
    """[(name, type, data)] of the zone-file lines (comments skipped)."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith(";"):
            continue
        name, ttl, cls, rtype, data = line.split(None, 4)
        assert (ttl, cls) == ("3600", "IN"), line
        out.append((name, rtype, data))
    return out


class DiscoveryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom(hostname=HOST).start()
        cls.pr.add_user(USER, PASSWORD)
        wait_http(cls.pr)

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    def test_autoconfig_matches_the_configuration(self):
        pr = self.pr
        want = [
            ("incomingServer", "imap", HOST, pr.imaps, "SSL",
             "%EMAILADDRESS%"),
            ("incomingServer", "imap", HOST, pr.imap, "STARTTLS",
             "%EMAILADDRESS%"),
            ("incomingServer", "pop3", HOST, pr.pop3s, "SSL",
             "%EMAILADDRESS%"),
            ("incomingServer", "pop3", HOST, pr.pop3, "STARTTLS",
             "%EMAILADDRESS%"),
            ("outgoingServer", "smtp", HOST, pr.submissions, "SSL",
             "%EMAILADDRESS%"),
            ("outgoingServer", "smtp", HOST, pr.submission, "STARTTLS",
             "%EMAILADDRESS%"),
        ]
        ways = [("/mail/config-v1.1.xml?emailaddress=bob%40example.test",
                 "127.0.0.1"),
                ("/mail/config-v1.1.xml", f"autoconfig.{DOMAIN}"),
                ("/.well-known/autoconfig/mail/config-v1.1.xml", DOMAIN),
                ("/.well-known/autoconfig/mail/config-v1.1.xml",
                 "EXAMPLE.test:443")]
        for path, host in ways:
            for tls in (True, False):
                status, headers, body = get(pr, path, tls=tls, host=host)
                self.assertEqual(status, 200, (path, host, body))
                self.assertTrue(headers["content-type"].startswith(
                    "application/xml"))
                self.assertEqual(autoconfig_servers(body), want)
                provider = ET.fromstring(body).find("emailProvider")
                self.assertEqual(provider.get("id"), DOMAIN)
                self.assertEqual(provider.findtext("domain"), DOMAIN)

    def test_autoconfig_refusals(self):
        for path, host, want in [
                ("/mail/config-v1.1.xml?emailaddress=x%40other.test",
                 "127.0.0.1", 404),
                ("/mail/config-v1.1.xml", "autoconfig.nowhere.test", 404),
                ("/mail/config-v1.1.xml", "127.0.0.1", 404),
                ("/mail/config-v1.1.xml?emailaddress=a%00%40example.test",
                 "127.0.0.1", 400)]:
            self.assertEqual(get(self.pr, path, host=host)[0], want, path)

    def test_autodiscover(self):
        pr = self.pr
        for path in ("/autodiscover/autodiscover.xml",
                     "/Autodiscover/Autodiscover.xml"):
            status, headers, body = post(pr, path, autodiscover_request())
            self.assertEqual(status, 200, body)
            self.assertTrue(headers["content-type"].startswith("text/xml"))
            root = ET.fromstring(body)
            account = root.find(f"{OUTLOOK}Response/{OUTLOOK}Account")
            self.assertEqual(account.findtext(f"{OUTLOOK}AccountType"),
                             "email")
            self.assertEqual(account.findtext(f"{OUTLOOK}Action"),
                             "settings")
            got = {p.findtext(f"{OUTLOOK}Type"): (
                p.findtext(f"{OUTLOOK}Server"),
                int(p.findtext(f"{OUTLOOK}Port")),
                p.findtext(f"{OUTLOOK}LoginName"),
                p.findtext(f"{OUTLOOK}Encryption"))
                for p in account.findall(f"{OUTLOOK}Protocol")}
            self.assertEqual(got, {
                "IMAP": (HOST, pr.imaps, USER, "SSL"),
                "POP3": (HOST, pr.pop3s, USER, "SSL"),
                "SMTP": (HOST, pr.submissions, USER, "SSL")})

    def test_autodiscover_refusals(self):
        path = "/autodiscover/autodiscover.xml"
        self.assertEqual(post(self.pr, path, autodiscover_request(
            "x@other.test"))[0], 404)
        for body in (b"", b"not xml", autodiscover_request("not-an-address"),
                     b'<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">'
                     b']><Autodiscover><Request><EMailAddress>&e;'
                     b'</EMailAddress></Request></Autodiscover>'):
            status, _, answer = post(self.pr, path, body)
            self.assertEqual(status, 400, body)
            self.assertNotIn(b"root:", answer)
        status, _, body = post(self.pr, path, autodiscover_request(
            schema="http://schemas.microsoft.com/exchange/autodiscover/"
                   "mobilesync/responseschema/2006"))
        self.assertEqual(status, 200)
        error = ET.fromstring(body).find(
            "{http://schemas.microsoft.com/exchange/autodiscover/"
            "responseschema/2006}Response/"
            "{http://schemas.microsoft.com/exchange/autodiscover/"
            "responseschema/2006}Error")
        self.assertEqual(error.findtext(
            "{http://schemas.microsoft.com/exchange/autodiscover/"
            "responseschema/2006}ErrorCode"), "601")
        # GET is not how POX autodiscover is asked
        self.assertEqual(get(self.pr, path)[0], 405)

    def test_mobileconfig(self):
        pr = self.pr
        status, headers, body = get(pr, "/apple/postroom.mobileconfig",
                                    headers=[basic()])
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["content-type"],
                         "application/x-apple-aspen-config")
        self.assertIn("postroom.mobileconfig",
                      headers["content-disposition"])
        profile = plistlib.loads(body)
        self.assertEqual(profile["PayloadType"], "Configuration")
        self.assertEqual(profile["PayloadVersion"], 1)
        payloads = {p["PayloadType"]: p for p in profile["PayloadContent"]}
        self.assertEqual(set(payloads), {"com.apple.mail.managed",
                                         "com.apple.caldav.account",
                                         "com.apple.carddav.account"})
        mail = payloads["com.apple.mail.managed"]
        self.assertEqual((mail["EmailAddress"], mail["EmailAccountType"]),
                         (USER, "EmailTypeIMAP"))
        self.assertEqual((mail["IncomingMailServerHostName"],
                          mail["IncomingMailServerPortNumber"],
                          mail["IncomingMailServerUseSSL"],
                          mail["IncomingMailServerUsername"]),
                         (HOST, pr.imaps, True, USER))
        self.assertEqual((mail["OutgoingMailServerHostName"],
                          mail["OutgoingMailServerPortNumber"],
                          mail["OutgoingMailServerUseSSL"]),
                         (HOST, pr.submissions, True))
        for kind, p in (("CalDAV", payloads["com.apple.caldav.account"]),
                        ("CardDAV", payloads["com.apple.carddav.account"])):
            self.assertEqual((p[f"{kind}HostName"], p[f"{kind}Port"],
                              p[f"{kind}UseSSL"], p[f"{kind}Username"]),
                             (HOST, pr.https, True, USER))
            self.assertEqual(p[f"{kind}PrincipalURL"],
                             f"https://{HOST}:{pr.https}/dav/")
        uuids = [p["PayloadUUID"] for p in profile["PayloadContent"]]
        uuids.append(profile["PayloadUUID"])
        self.assertEqual(len(set(uuids)), 4)
        for u in uuids:
            self.assertEqual(str(uuid.UUID(u)), u)
        # downloading it again gives the same profile (replaces it)
        self.assertEqual(get(pr, "/apple/postroom.mobileconfig",
                             headers=[basic()])[2], body)

    def test_postroomctl_dns(self):
        pr = self.pr
        out = pr.ctl("dns", "--address", "192.0.2.25", "--address",
                     "2001:db8::25", "Example.test").stdout
        records = zone_records(out)
        d = f"{DOMAIN}."
        h = f"{HOST}."
        self.assertIn((d, "MX", f"10 {h}"), records)
        self.assertIn((h, "A", "192.0.2.25"), records)
        self.assertIn((h, "AAAA", "2001:db8::25"), records)
        srv = {name: data.split() for name, rtype, data in records
               if rtype == "SRV"}
        for service, port, prio in [
                ("submissions", pr.submissions, "0"),
                ("submission", pr.submission, "10"),
                ("imaps", pr.imaps, "0"), ("imap", pr.imap, "10"),
                ("pop3s", pr.pop3s, "0"), ("pop3", pr.pop3, "10"),
                ("caldavs", pr.https, "0"), ("carddavs", pr.https, "0"),
                ("autodiscover", pr.https, "0"),
                ("sieve", pr.sieve, "0")]:
            self.assertEqual(srv[f"_{service}._tcp.{d}"],
                             [prio, "1", str(port), h], service)
        for service in ("caldav", "carddav"):
            self.assertEqual(srv[f"_{service}._tcp.{d}"],
                             ["0", "0", "0", "."])
            self.assertIn((f"_{service}s._tcp.{d}", "TXT", '"path=/dav/"'),
                          records)
        self.assertIn((f"autoconfig.{d}", "CNAME", h), records)
        self.assertIn((f"autodiscover.{d}", "CNAME", h), records)
        # the embedded default listens on loopback: nothing to publish
        out = pr.ctl("dns", DOMAIN).stdout
        self.assertNotIn(" A ", out)
        self.assertIn("; no address to publish", out)

    def test_dns_records_lead_the_terminal_client(self):
        pr = self.pr
        records = zone_records(pr.ctl("dns", "--address", "127.0.0.1",
                                      DOMAIN).stdout)
        srv = []
        for name, rtype, data in records:
            if rtype == "SRV" and name.split(".")[0] in (
                    "_imaps", "_imap", "_submissions", "_submission"):
                prio, weight, port, target = data.split()
                srv.append((name.rstrip("."), target.rstrip("."),
                            int(port)))
        hosts = [(name.rstrip("."), data) for name, rtype, data in records
                 if rtype == "A"]
        dns = Dnsmasq(hosts=hosts, srv=srv)
        client = ClientHome()
        try:
            client.write_client_conf({"dns_server": dns.server})
            pw = client.password_file("new", PASSWORD)
            proc = client.run("account", "add", "bob", "--address", USER,
                              "--password-file", pw, "--ca-file",
                              os.path.join(pr.data, "tls", "cert.pem"))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("from SRV records", proc.stdout)
            self.assertIn("saved and tested", proc.stdout)
            a = client.json("account", "list")[0]
            self.assertEqual((a["incoming"]["host"], a["incoming"]["port"],
                              a["incoming"]["tls"]),
                             (HOST, pr.imaps, "implicit"))
            self.assertEqual(a["outgoing"]["port"], pr.submissions)
        finally:
            dns.stop()
            client.cleanup()


class DiscoveryPartialTest(unittest.TestCase):
    """Services turned off do not appear; STARTTLS-only is said so."""

    def test_only_what_is_on(self):
        pr = Postroom(hostname=HOST, sections={
            "pop3d": {"port": 0, "pop3s_port": 0},
            "imapd": {"imaps_port": 0},
            "smtpd": {"submissions_port": 0}}).start()
        try:
            pr.add_user(USER, PASSWORD)
            wait_http(pr)
            _, _, body = get(pr, "/mail/config-v1.1.xml?emailaddress="
                                 "bob%40example.test")
            self.assertEqual(autoconfig_servers(body), [
                ("incomingServer", "imap", HOST, pr.imap, "STARTTLS",
                 "%EMAILADDRESS%"),
                ("outgoingServer", "smtp", HOST, pr.submission, "STARTTLS",
                 "%EMAILADDRESS%")])
            _, _, body = post(pr, "/autodiscover/autodiscover.xml",
                              autodiscover_request())
            protocols = ET.fromstring(body).findall(
                f"{OUTLOOK}Response/{OUTLOOK}Account/{OUTLOOK}Protocol")
            self.assertEqual(
                [(p.findtext(f"{OUTLOOK}Type"),
                  int(p.findtext(f"{OUTLOOK}Port")),
                  p.findtext(f"{OUTLOOK}Encryption")) for p in protocols],
                [("IMAP", pr.imap, "TLS"), ("SMTP", pr.submission, "TLS")])
            _, _, body = get(pr, "/apple/postroom.mobileconfig",
                             headers=[basic()])
            mail = plistlib.loads(body)["PayloadContent"][0]
            self.assertEqual((mail["IncomingMailServerPortNumber"],
                              mail["IncomingMailServerUseSSL"],
                              mail["OutgoingMailServerUseSSL"]),
                             (pr.imap, False, False))
            out = pr.ctl("dns", DOMAIN).stdout
            for service in ("pop3", "pop3s", "imaps", "submissions"):
                self.assertRegex(out, rf"_{service}\._tcp\.{DOMAIN}\. +3600 "
                                      r"IN SRV +0 0 0 \.\n")
        finally:
            pr.cleanup()


@unittest.skipUnless(os.geteuid() == 0, "binds port 80 on 127.0.0.13")
class AutoconfigOnPort80Test(unittest.TestCase):
    """The terminal client's discovery fetches http://autoconfig.<domain>/
    on port 80: our httpd answers it, and the account it makes works."""

    def test_terminal_client_uses_our_autoconfig(self):
        pr = Postroom(hostname=HOST, listen="127.0.0.13",
                      sections={"httpd": {"port": 80}}).start()
        client = ClientHome()
        dns = None
        try:
            pr.add_user(USER, PASSWORD)
            dns = Dnsmasq(hosts=[(HOST, "127.0.0.13"),
                                 (f"autoconfig.{DOMAIN}", "127.0.0.13")])
            client.write_client_conf({"dns_server": dns.server})
            pw = client.password_file("new", PASSWORD)
            proc = client.run("account", "add", "bob", "--address", USER,
                              "--password-file", pw, "--ca-file",
                              os.path.join(pr.data, "tls", "cert.pem"))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("from autoconfig", proc.stdout)
            a = client.json("account", "list")[0]
            self.assertEqual((a["incoming"]["port"], a["incoming"]["tls"]),
                             (pr.imaps, "implicit"))
            pattern = (r"httpd\[\d+\]: info: conn=\d+ peer=[0-9.]+ http "
                       r"method=GET path=/mail/config-v1\.1\.xml status=200")
            deadline = time.monotonic() + 10
            while not re.search(pattern, pr.log()):
                self.assertLess(time.monotonic(), deadline,
                                pr.log()[-2000:])
                time.sleep(0.05)
        finally:
            if dns:
                dns.stop()
            client.cleanup()
            pr.cleanup()


if __name__ == "__main__":
    unittest.main()
