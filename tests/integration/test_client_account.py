"""postroom account add: finding the servers from the address (RFC 6186
SRV records served by dnsmasq, an autoconfig file served over HTTP, common
names on the standard ports), testing the login before saving, and the
password file's mode. Everything on loopback; dnsmasq answers only from its
command line."""
import http.server
import os
import threading
import unittest

from client_fixtures import ClientHome
from harness import Postroom
from relay_fixtures import Dnsmasq

AUTOCONFIG = """<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="other.test">
    <domain>other.test</domain>
    <incomingServer type="pop3">
      <hostname>pop.other.test</hostname><port>1</port>
      <socketType>SSL</socketType><username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>mx.local.test</hostname><port>{imaps}</port>
      <socketType>SSL</socketType><username>%EMAILADDRESS%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>mx.local.test</hostname><port>{submission}</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%@%EMAILDOMAIN%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"""


class AccountAdd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Postroom().start()
        cls.server.add_user("lisa@example.test", "lisa-pw")
        cls.server.add_user("olga@other.test", "olga-pw")
        cls.cert = os.path.join(cls.server.data, "tls", "cert.pem")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def setUp(self):
        self.dns = None
        self.client = ClientHome()

    def tearDown(self):
        if self.dns:
            self.dns.stop()
        self.client.cleanup()

    def start_dns(self, **kw):
        hosts = [("mx.local.test", "127.0.0.1")] + kw.pop("hosts", [])
        self.dns = Dnsmasq(hosts=hosts, **kw)
        self.client.write_client_conf({"dns_server": self.dns.server})

    def add(self, *args, password="lisa-pw", address="lisa@example.test"):
        pw = self.client.password_file("new", password)
        return self.client.run("account", "add", "--address", address,
                               "--password-file", pw, "--ca-file",
                               self.cert, *args)

    def test_srv_records_found_tested_saved(self):
        s = self.server
        self.start_dns(srv=[
            ("_imaps._tcp.example.test", "mx.local.test", s.imaps),
            ("_imap._tcp.example.test", "", 0),
            ("_submissions._tcp.example.test", "mx.local.test",
             s.submissions),
            ("_submission._tcp.example.test", "mx.local.test",
             s.submission)])
        proc = self.add("lisa")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("from SRV records", proc.stdout)
        self.assertIn("saved and tested", proc.stdout)
        path = os.path.join(self.client.config_dir, "accounts", "lisa.conf")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        accounts = self.client.json("account", "list")
        self.assertEqual(len(accounts), 1)
        a = accounts[0]
        self.assertEqual(a["address"], "lisa@example.test")
        self.assertEqual(a["incoming"]["port"], s.imaps)
        self.assertEqual(a["incoming"]["tls"], "implicit")
        self.assertEqual(a["outgoing"]["port"], s.submissions)
        # the saved account works: test logs in again
        proc = self.client.run("account", "test", "lisa")
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_pop3_by_srv(self):
        s = self.server
        self.start_dns(srv=[
            ("_pop3s._tcp.example.test", "mx.local.test", s.pop3s),
            ("_submission._tcp.example.test", "mx.local.test",
             s.submission)])
        proc = self.add("lisa", "--pop3-discover")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        a = self.client.json("account", "list")[0]
        self.assertEqual(a["protocol"], "pop3")
        self.assertEqual(a["incoming"]["port"], s.pop3s)
        self.assertEqual(a["outgoing"]["tls"], "starttls")

    def test_wrong_password_is_not_saved(self):
        s = self.server
        self.start_dns(srv=[
            ("_imaps._tcp.example.test", "mx.local.test", s.imaps),
            ("_submissions._tcp.example.test", "mx.local.test",
             s.submissions)])
        proc = self.add("lisa", password="wrong")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("wrong password", proc.stderr)
        self.assertIn("not saved", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(
            self.client.config_dir, "accounts", "lisa.conf")))

    def test_untrusted_certificate_is_named(self):
        s = self.server
        pw = self.client.password_file("new", "lisa-pw")
        proc = self.client.run(
            "account", "add", "lisa", "--address", "lisa@example.test",
            "--password-file", pw, "--imap", f"localhost:{s.imaps}",
            "--smtp", f"localhost:{s.submissions}")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("certificate", proc.stderr)

    def test_named_servers_skip_discovery(self):
        s = self.server
        proc = self.add("lisa", "--imap", f"localhost:{s.imap}:starttls",
                        "--smtp", f"localhost:{s.submission}:starttls")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("from the command line", proc.stdout)

    def test_asks_for_address_and_password(self):
        s = self.server
        proc = self.client.run(
            "account", "add", "lisa", "--imap", f"localhost:{s.imaps}",
            "--smtp", f"localhost:{s.submissions}", "--ca-file", self.cert,
            input="lisa@example.test\nlisa-pw\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("Address: ", proc.stderr)
        self.assertIn("Password: ", proc.stderr)
        self.assertNotIn("lisa-pw", proc.stderr + proc.stdout)
        path = os.path.join(self.client.config_dir, "lisa.pass")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with open(path) as f:
            self.assertEqual(f.read(), "lisa-pw\n")
        self.assertEqual(self.client.run("sync").returncode, 0)

    @unittest.skipUnless(os.geteuid() == 0, "binds port 80 on 127.0.0.7")
    def test_autoconfig_file(self):
        s = self.server
        body = AUTOCONFIG.format(imaps=s.imaps,
                                 submission=s.submission).encode()
        seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append(self.path)
                if self.path.startswith("/mail/config-v1.1.xml"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/xml")
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_error(404)

            def log_message(self, *args):
                pass

        httpd = http.server.HTTPServer(("127.0.0.7", 80), Handler)
        t = threading.Thread(target=httpd.serve_forever, daemon=True)
        t.start()
        try:
            self.start_dns(hosts=[("autoconfig.other.test", "127.0.0.7")])
            proc = self.add("olga", password="olga-pw",
                            address="olga@other.test")
        finally:
            httpd.shutdown()
            httpd.server_close()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("from autoconfig", proc.stdout)
        self.assertTrue(any("emailaddress=olga@other.test" in p
                            for p in seen), seen)
        a = self.client.json("account", "list")[0]
        self.assertEqual(a["incoming"]["port"], s.imaps)
        self.assertEqual(a["outgoing"]["tls"], "starttls")
        self.assertEqual(a["outgoing"]["user"], "olga@other.test")

    def test_password_file_readable_by_others_is_refused(self):
        s = self.server
        self.client.for_postroomd("lisa", "lisa@example.test", "lisa-pw", s)
        os.chmod(os.path.join(self.client.config_dir, "lisa.pass"), 0o644)
        proc = self.client.run("sync")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("chmod 600", proc.stderr)


@unittest.skipUnless(os.geteuid() == 0, "binds 993 and 465 on 127.0.0.9")
class AccountAddCommonNames(unittest.TestCase):
    def test_common_names_on_standard_ports(self):
        server = Postroom(listen="127.0.0.9", sections={
            "imapd": {"imaps_port": 993},
            "smtpd": {"submissions_port": 465}})
        server.start()
        client = ClientHome()
        dns = Dnsmasq(hosts=[("imap.guess.test", "127.0.0.9"),
                             ("smtp.guess.test", "127.0.0.9")])
        try:
            server.add_user("gus@guess.test", "gus-pw")
            client.write_client_conf({"dns_server": dns.server,
                                      "timeout": "5s"})
            pw = client.password_file("new", "gus-pw")
            cert = os.path.join(server.data, "tls", "cert.pem")
            # the certificate names mx.local.test and localhost, not
            # imap.guess.test: found, but the login test must say so
            proc = client.run("account", "add", "gus", "--address",
                              "gus@guess.test", "--password-file", pw,
                              "--ca-file", cert)
            self.assertIn("from common names", proc.stdout)
            self.assertIn("imap.guess.test", proc.stdout)
            self.assertEqual(proc.returncode, 1)
            self.assertIn("certificate", proc.stderr)
            proc = client.run("account", "add", "gus", "--address",
                              "gus@guess.test", "--password-file", pw,
                              "--no-verify")
            self.assertEqual(proc.returncode, 0, proc.stderr)
        finally:
            dns.stop()
            server.stop()
            server.cleanup()
            client.cleanup()
