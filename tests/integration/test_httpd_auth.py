"""Basic credentials on httpd (RFC 7617, RFC 9110 §11): 401 with a
challenge without them or with a wrong password, 200 with them over HTTPS
and over plain HTTP from loopback in the embedded default, 403 over plain
HTTP where credentials may not travel, 400 for malformed ones; authd checks
them (service=http) and its login throttle holds failures back; 503 when
authd cannot be reached; and lib/http's per-connection
cache: 1,000 requests with the same credentials on one keep-alive
connection cost one password check, counted in authd's log, httpd's log and
authd's CPU time."""
import base64
import http.client
import os
import plistlib
import re
import subprocess
import time
import unittest

from harness import Postroom, client_tls_context
from http_fixtures import PASSWORD, USER, Raw, request, wait_http

PROFILE = "/apple/postroom.mobileconfig"


def basic(user=USER, password=PASSWORD):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return ("Authorization", f"Basic {token}")


def authd_cpu_ticks(pr):
    """utime + stime of every authd process, in clock ticks."""
    total = 0
    for pid in pr.children("authd"):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total


class HttpdAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user(USER, PASSWORD)
        cls.pr.add_user("eve@example.test", "eve-secret")
        wait_http(cls.pr)
        # Both log in once first, so each (address, account) pair is
        # trusted (throttle_trust) and the failures other tests send from
        # 127.0.0.1 (some still held in authd when the next test starts)
        # cannot hold back their right passwords.
        for user, password in ((USER, PASSWORD),
                               ("eve@example.test", "eve-secret")):
            raw = Raw(cls.pr, tls=True)
            raw.send(request("GET", PROFILE,
                             headers=[basic(user, password)]))
            assert raw.response()[0] == 200, user
            raw.close()

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    def login_lines(self, user=USER):
        return [l for l in self.pr.log().splitlines()
                if "httpd[" in l and f" login mech=basic user={user}" in l]

    def authd_checks(self, user=USER):
        """authd's own line for each password it checked for httpd."""
        return [l for l in self.pr.log().splitlines()
                if "authd[" in l and " checked service=http " in l and
                f" user={user} " in l]

    def test_401_without_and_200_with(self):
        raw = Raw(self.pr, tls=True)
        raw.send(request("GET", PROFILE))
        status, headers, _ = raw.response()
        self.assertEqual(status, 401)
        self.assertEqual(headers["www-authenticate"],
                         'Basic realm="Postroom", charset="UTF-8"')
        raw.send(request("GET", PROFILE, headers=[basic()]))
        status, headers, body = raw.response()
        self.assertEqual(status, 200)
        self.assertEqual(plistlib.loads(body)["PayloadType"],
                         "Configuration")
        raw.close()
        # curl, over HTTPS and over plain HTTP from loopback
        for url in (f"https://127.0.0.1:{self.pr.https}{PROFILE}",
                    f"http://127.0.0.1:{self.pr.http}{PROFILE}"):
            out = subprocess.run(
                ["curl", "-sk", "-w", "%{http_code}", "-o", "/dev/null",
                 "-u", f"{USER}:{PASSWORD}", url],
                capture_output=True, text=True, timeout=60)
            self.assertEqual(out.stdout, "200", url)

    def test_wrong_password_and_throttle(self):
        raw = Raw(self.pr, tls=True)
        for _ in range(2):
            raw.send(request("GET", PROFILE,
                             headers=[basic("eve@example.test", "wrong")]))
            status, headers, _ = raw.response()
            self.assertEqual(status, 401)
            self.assertIn("www-authenticate", headers)
        # the same connection goes on, and the right password works
        raw.send(request("GET", PROFILE,
                         headers=[basic("eve@example.test", "eve-secret")]))
        self.assertEqual(raw.response()[0], 200)
        raw.close()
        log = self.pr.log()
        delays = [int(d) for d in re.findall(
            r"login-failed mech=basic user=eve@example.test delay=(\d+)ms",
            log)]
        # authd's throttle: a failure after a failure is held back (the
        # 401 waits for the penalty)
        self.assertEqual(len(delays), 2, log[-3000:])
        self.assertGreater(delays[1], 0)
        self.assertIn("reason=\"wrong credentials\"", log)

    def test_client_leaves_during_the_check(self):
        # a failure delayed by the throttle, and the client goes away
        for _ in range(3):
            raw = Raw(self.pr, tls=True)
            raw.send(request("GET", PROFILE,
                             headers=[basic("nobody@example.test", "x")]))
            raw.close()
        time.sleep(0.5)
        raw = Raw(self.pr, tls=True)
        raw.send(request("GET", PROFILE, headers=[basic()]))
        self.assertEqual(raw.response()[0], 200)
        raw.close()
        self.assertEqual(len(self.pr.children("httpd")), 1)

    def test_malformed_and_other_schemes(self):
        raw = Raw(self.pr, tls=True)
        for value, want in (("Basic !!!", 400), ("Basic " + base64.b64encode(
                b"no-colon").decode(), 400), ("Bearer abc.def", 401),
                ("Digest x=1", 401)):
            raw.send(request("GET", PROFILE,
                             headers=[("Authorization", value)]))
            self.assertEqual(raw.response()[0], want, value)
        raw.close()
        # an unknown bearer token (doc/jmap.md, Authentication)
        self.assertIn("login-failed mech=bearer error=no such token",
                      self.pr.log())

    def test_one_password_check_per_connection(self):
        before = len(self.login_lines())
        checks_before = len(self.authd_checks())
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.pr.https, timeout=60,
            context=client_tls_context())
        headers = dict([basic()])
        conn.request("GET", PROFILE, headers=headers)
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        first = resp.read()
        sock = conn.sock
        ticks_one = authd_cpu_ticks(self.pr)
        for i in range(999):
            conn.request("GET", PROFILE, headers=headers)
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200, i)
            self.assertEqual(resp.read(), first)
        self.assertIs(conn.sock, sock)  # one connection throughout
        ticks_all = authd_cpu_ticks(self.pr)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = [l for l in self.pr.log().splitlines()
                     if "httpd[" in l and f"path={PROFILE} status=200" in l
                     and f"user={USER}" in l]
            if len(lines) >= 1000:
                break
            time.sleep(0.1)
        conn_ids = {re.search(r"conn=(\d+)", l).group(1)
                    for l in lines[-1000:]}
        self.assertEqual(len(conn_ids), 1)
        self.assertEqual(len(self.login_lines()) - before, 1)
        self.assertEqual(len(self.authd_checks()) - checks_before, 1)
        # authd did next to nothing for the 999 (one check costs tens of
        # milliseconds of CPU; 999 would cost tens of seconds)
        self.assertLess(ticks_all - ticks_one, os.sysconf("SC_CLK_TCK"))
        # other credentials on the same connection are checked anew
        conn.request("GET", PROFILE,
                     headers=dict([basic("eve@example.test", "eve-secret")]))
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertIn(b"eve@example.test", resp.read())
        conn.close()
        # and a new connection checks again
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.pr.https, timeout=60,
            context=client_tls_context())
        conn.request("GET", PROFILE, headers=headers)
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()
        self.assertEqual(len(self.login_lines()) - before, 2)
        self.assertEqual(len(self.authd_checks()) - checks_before, 2)


class HttpdPlainAuthTest(unittest.TestCase):
    """Where credentials may not travel in plain: plaintext_auth_loopback
    off, and no HTTPS port, so the plain port serves everything."""

    def test_403_on_plain(self):
        pr = Postroom(main={"plaintext_auth_loopback": "no"},
                      sections={"httpd": {"https_port": 0}}).start()
        try:
            pr.add_user(USER, PASSWORD)
            wait_http_plain(pr)
            raw = Raw(pr)
            for headers in ([basic()], []):
                raw.send(request("GET", PROFILE, headers=headers))
                status, _, body = raw.response()
                self.assertEqual(status, 403, body)
                self.assertIn(b"credentials need TLS", body)
            raw.send(request("GET", "/health"))
            self.assertEqual(raw.response()[0], 200)
            raw.close()
            self.assertNotIn(f"login mech=basic user={USER}", pr.log())
        finally:
            pr.cleanup()


class HttpdAuthdGoneTest(unittest.TestCase):
    """authd cannot be reached (its socket is gone): a temporary failure,
    503 with Retry-After, never a 401 that would make a client drop the
    password; a cached identity is still good."""

    def test_503_when_authd_cannot_answer(self):
        pr = Postroom().start()
        try:
            pr.add_user(USER, PASSWORD)
            wait_http(pr)
            cached = Raw(pr, tls=True)
            cached.send(request("GET", PROFILE, headers=[basic()]))
            self.assertEqual(cached.response()[0], 200)
            os.unlink(os.path.join(pr.data, "run", "auth.sock"))
            raw = Raw(pr, tls=True)
            raw.send(request("GET", PROFILE, headers=[basic()]))
            status, headers, _ = raw.response()
            self.assertEqual(status, 503)
            self.assertTrue(int(headers["retry-after"]) >= 1)
            # the connection goes on
            raw.send(request("GET", "/health"))
            self.assertEqual(raw.response()[0], 200)
            raw.close()
            cached.send(request("GET", PROFILE, headers=[basic()]))
            self.assertEqual(cached.response()[0], 200)
            cached.close()
            self.assertIn("login-tempfail", pr.log())
        finally:
            pr.cleanup()


def wait_http_plain(pr, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            raw = Raw(pr)
            raw.send(request("GET", "/health"))
            if raw.response()[0] == 200:
                raw.close()
                return
        except (OSError, EOFError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"httpd not ready:\n{pr.log()[-3000:]}")


if __name__ == "__main__":
    unittest.main()
