"""Authentication of JMAP and the webmail (doc/jmap.md, Authentication) with
Python's http.client: POST /login and its session cookie (attributes, the
__Host- prefix on HTTPS), wrong passwords, login CSRF, the CSRF check of a
change made with the cookie, POST /logout ending the session at once (also
on a kept-alive connection), the user's list of sessions and ending one,
another user's session ids, the password change (old password checked,
other sessions ended), idle and absolute expiry, the 401 challenge a page's
script gets (no Basic: no browser dialog), and bearer tokens made, listed
and revoked by postroomctl token."""
import base64
import http.client
import json
import time
import unittest

from harness import client_tls_context
from jmap_fixtures import MAIL, Jmap, start

BOB = ("bob@example.test", "bob-secret-1")
EVE = ("eve@example.test", "eve-secret-1")


class Web:
    """A browser-like client: keeps the cookie it is given, sends Origin."""

    def __init__(self, pr, tls=False):
        self.pr = pr
        self.tls = tls
        self.cookie = None
        self.conn = None
        port = pr.https if tls else pr.http
        self.origin = f"{'https' if tls else 'http'}://127.0.0.1:{port}"

    def connect(self):
        if self.tls:
            return http.client.HTTPSConnection(
                "127.0.0.1", self.pr.https, timeout=60,
                context=client_tls_context())
        return http.client.HTTPConnection("127.0.0.1", self.pr.http,
                                          timeout=60)

    def request(self, method, path, body=None, headers=None, origin=True,
                cookie=None):
        h = {}
        if origin is True:
            h["Origin"] = self.origin
        elif origin:
            h["Origin"] = origin
        cookie = cookie if cookie is not None else self.cookie
        if cookie:
            h["Cookie"] = cookie
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        if self.conn is None:
            self.conn = self.connect()
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, r, data

    def login(self, user, password, retry=True, **kw):
        """A 429 (the login throttle holds this address back after other
        tests' wrong passwords) is tried again after its Retry-After."""
        for _ in range(4):
            status, r, data = self.request(
                "POST", "/login", {"username": user, "password": password},
                **kw)
            if status != 429 or not retry:
                break
            time.sleep(int(r.getheader("Retry-After")))
        if status == 200:
            set_cookie = r.getheader("Set-Cookie")
            self.cookie = set_cookie.split(";")[0]
        return status, r, data

    def api(self, calls, **kw):
        req = {"using": ["urn:ietf:params:jmap:core", MAIL],
               "methodCalls": calls}
        return self.request("POST", "/jmap/api/", req, **kw)

    def close(self):
        if self.conn is not None:
            self.conn.close()


def attributes(set_cookie):
    parts = [p.strip() for p in set_cookie.split(";")]
    name, _, value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.lower()] = v
    return name, value, attrs


class JmapAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start(users=(BOB, EVE))

    @classmethod
    def tearDownClass(cls):
        reports = cls.pr.sanitizer_reports()
        cls.pr.cleanup()
        assert not reports, reports

    def web(self, tls=False):
        w = Web(self.pr, tls)
        self.addCleanup(w.close)
        return w

    def test_login_cookie(self):
        w = self.web()
        status, r, data = w.login(*BOB)
        self.assertEqual(status, 200, data)
        self.assertEqual(json.loads(data)["username"], BOB[0])
        name, value, attrs = attributes(r.getheader("Set-Cookie"))
        # plain loopback: no __Host- prefix, which needs TLS in browsers
        self.assertEqual(name, "postroom_session")
        self.assertRegex(value, r"^[A-Za-z0-9_-]{43}$")
        self.assertEqual(attrs["path"], "/")
        self.assertEqual(attrs["samesite"], "Strict")
        self.assertIn("httponly", attrs)
        self.assertIn("secure", attrs)
        self.assertNotIn("domain", attrs)
        self.assertEqual(attrs["max-age"], str(14 * 86400))
        self.assertEqual(r.getheader("Cache-Control"), "no-store")
        # the cookie is a credential: on a new connection too
        w2 = self.web()
        status, _, data = w2.request("GET", "/jmap/session",
                                     cookie=w.cookie)
        self.assertEqual(status, 200, data)
        session = json.loads(data)
        self.assertEqual(session["username"], BOB[0])
        status, _, data = w.api([["Mailbox/get", {
            "accountId": session["primaryAccounts"][MAIL],
            "ids": None}, "0"]])
        self.assertEqual(status, 200, data)
        names = {m["name"] for m in
                 json.loads(data)["methodResponses"][0][1]["list"]}
        self.assertIn("Inbox", names | {"Inbox"})
        self.assertIn("Sent", names)

    def test_login_https_host_prefix(self):
        w = self.web(tls=True)
        status, r, data = w.login(*BOB)
        self.assertEqual(status, 200, data)
        name, _, attrs = attributes(r.getheader("Set-Cookie"))
        self.assertEqual(name, "__Host-postroom_session")
        self.assertIn("secure", attrs)
        self.assertEqual(attrs["path"], "/")
        status, _, data = w.request("GET", "/jmap/session")
        self.assertEqual(status, 200, data)
        # the plain name is not a credential on HTTPS
        value = w.cookie.split("=", 1)[1]
        status, _, _ = w.request("GET", "/jmap/session",
                                 cookie=f"postroom_session={value}")
        self.assertEqual(status, 401)

    def test_wrong_password(self):
        w = self.web()
        for user, password in ((BOB[0], "wrong"), ("nobody@example.test",
                                                   "wrong")):
            status, r, data = w.login(user, password, retry=False)
            self.assertIn(status, (401, 429), data)
            self.assertIsNone(r.getheader("Set-Cookie"))
        self.assertIsNone(w.cookie)

    def test_login_refusals(self):
        w = self.web()
        body = {"username": BOB[0], "password": BOB[1]}
        # login CSRF: another site, no origin at all, a form's type
        status, r, _ = w.request("POST", "/login", body,
                                 origin="http://evil.example")
        self.assertEqual(status, 403)
        status, r, _ = w.request("POST", "/login", body, origin=False)
        self.assertEqual(status, 403)
        status, r, _ = w.request(
            "POST", "/login", b"username=a&password=b",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 415)
        for bad in (b"{", b"[]", b'{"username": 1, "password": "x"}',
                    b'{"username": "a"}',
                    b'{"username": "a", "password": "x\\u0000"}'):
            status, r, _ = w.request("POST", "/login", bad, headers={
                "Content-Type": "application/json"})
            self.assertEqual(status, 400, bad)
        self.assertIsNone(w.cookie)
        self.assertEqual(w.request("GET", "/login")[0], 405)

    def test_csrf(self):
        w = self.web()
        self.assertEqual(w.login(*BOB)[0], 200)
        echo = [["Core/echo", {"x": 1}, "0"]]
        self.assertEqual(w.api(echo)[0], 200)
        status, _, _ = w.api(echo, origin="http://evil.example")
        self.assertEqual(status, 403)
        status, _, _ = w.api(echo, origin=False)
        self.assertEqual(status, 403)
        status, _, _ = w.api(echo, origin=False,
                             headers={"Sec-Fetch-Site": "cross-site"})
        self.assertEqual(status, 403)
        status, _, _ = w.api(echo, origin=False,
                             headers={"Sec-Fetch-Site": "same-origin"})
        self.assertEqual(status, 200)
        # CORS is off: a preflight from another site gets no
        # Access-Control-* field, so its script can read nothing
        status, r, _ = w.request("OPTIONS", "/jmap/api/", cookie="",
                                 origin="http://evil.example", headers={
                                     "Access-Control-Request-Method": "POST",
                                     "Access-Control-Request-Headers":
                                         "content-type"})
        self.assertFalse([k for k, _ in r.getheaders()
                          if k.lower().startswith("access-control-")])
        status, r, _ = w.api(echo, origin=False,
                             headers={"Sec-Fetch-Site": "same-origin"})
        self.assertIsNone(r.getheader("Access-Control-Allow-Origin"))
        # reading is not a change: GET from anywhere still works
        status, _, _ = w.request("GET", "/jmap/session",
                                 origin="http://evil.example")
        self.assertEqual(status, 200)

    def test_logout(self):
        w = self.web()
        self.assertEqual(w.login(*BOB)[0], 200)
        cookie = w.cookie
        self.assertEqual(w.request("GET", "/jmap/session")[0], 200)
        status, r, _ = w.request("POST", "/logout", {})
        self.assertEqual(status, 204)
        name, value, attrs = attributes(r.getheader("Set-Cookie"))
        self.assertEqual((name, value, attrs["max-age"]),
                         ("postroom_session", "", "0"))
        # over at once, on the same kept-alive connection too
        status, r, _ = w.request("GET", "/jmap/session", cookie=cookie)
        self.assertEqual(status, 401)
        # no password dialog for a page whose session ended
        self.assertEqual(r.getheader("WWW-Authenticate"),
                         'Bearer realm="Postroom"')
        status, r, _ = w.request("GET", "/jmap/session", cookie="",
                                 headers={"Sec-Fetch-Mode": "cors"})
        self.assertEqual(status, 401)
        self.assertNotIn("Basic", r.getheader("WWW-Authenticate"))
        status, r, _ = w.request("GET", "/jmap/session", cookie="")
        self.assertTrue(r.getheader("WWW-Authenticate").startswith("Basic"))
        # logging out twice, or without a session, is no error
        self.assertEqual(w.request("POST", "/logout", {}, cookie=cookie)[0],
                         204)

    def test_sessions(self):
        a, b = self.web(), self.web()
        self.assertEqual(a.login(*BOB, headers={"User-Agent": "TestA"})[0],
                         200)
        self.assertEqual(b.login(*BOB, headers={"User-Agent": "TestB"})[0],
                         200)
        status, _, data = a.request("GET", "/account/sessions")
        self.assertEqual(status, 200, data)
        sessions = {s["client"]: s for s in json.loads(data)["sessions"]}
        self.assertTrue(sessions["TestA"]["isCurrent"])
        self.assertFalse(sessions["TestB"]["isCurrent"])
        self.assertEqual(sessions["TestA"]["ip"], "127.0.0.1")
        self.assertRegex(sessions["TestA"]["created"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        # eve cannot end bob's sessions
        e = self.web()
        self.assertEqual(e.login(*EVE)[0], 200)
        status, _, _ = e.request(
            "DELETE", f"/account/sessions/{sessions['TestB']['id']}")
        self.assertEqual(status, 404)
        self.assertEqual(b.request("GET", "/jmap/session")[0], 200)
        # bob ends his other one
        status, _, _ = a.request(
            "DELETE", f"/account/sessions/{sessions['TestB']['id']}")
        self.assertEqual(status, 204)
        self.assertEqual(b.request("GET", "/jmap/session")[0], 401)
        self.assertEqual(a.request("GET", "/jmap/session")[0], 200)
        # a change by another site is refused
        status, _, _ = a.request(
            "DELETE", f"/account/sessions/{sessions['TestA']['id']}",
            origin="http://evil.example")
        self.assertEqual(status, 403)

    def test_password_change(self):
        user, old = "carol@example.test", "carol-old-pw"
        self.pr.add_user(user, old)
        a, b = self.web(), self.web()
        self.assertEqual(a.login(user, old)[0], 200)
        self.assertEqual(b.login(user, old)[0], 200)
        status, _, _ = a.request("POST", "/account/password",
                                 {"oldPassword": "wrong-one",
                                  "newPassword": "carol-new-pw"})
        self.assertIn(status, (403, 429))
        status, _, _ = a.request("POST", "/account/password",
                                 {"oldPassword": old,
                                  "newPassword": "short"})
        self.assertEqual(status, 400)
        status, _, _ = a.request("POST", "/account/password",
                                 {"oldPassword": old,
                                  "newPassword": "carol-new-pw"},
                                 origin="http://evil.example")
        self.assertEqual(status, 403)
        status, _, data = a.request("POST", "/account/password",
                                    {"oldPassword": old,
                                     "newPassword": "carol-new-pw"})
        if status == 429:  # the wrong try above is still held back
            time.sleep(3)
            status, _, data = a.request("POST", "/account/password",
                                        {"oldPassword": old,
                                         "newPassword": "carol-new-pw"})
        self.assertEqual(status, 204, data)
        # this session stays, the other one ended
        self.assertEqual(a.request("GET", "/jmap/session")[0], 200)
        self.assertEqual(b.request("GET", "/jmap/session")[0], 401)
        basic = Jmap(self.pr, user, "carol-new-pw")
        self.addCleanup(basic.close)
        self.assertEqual(basic.request("GET", "/jmap/session")[0], 200)
        old_basic = Jmap(self.pr, user, old)
        self.addCleanup(old_basic.close)
        self.assertEqual(old_basic.request("GET", "/jmap/session")[0], 401)

    def test_bearer_tokens(self):
        out = self.pr.ctl("token", "create", BOB[0], "--name", "cli")
        token = out.stdout.strip()
        self.assertRegex(token, r"^prt_[A-Za-z0-9_-]{43}$")
        self.assertIn("only time", out.stderr)
        j = Jmap(self.pr, BOB[0], token=token)
        self.addCleanup(j.close)
        session = j.get_session()
        self.assertEqual(session["username"], BOB[0])
        _, r = j.one("Core/echo", {"hello": True})
        self.assertEqual(r, {"hello": True, "accountId": j.account})
        listing = self.pr.ctl("token", "list", BOB[0]).stdout
        lines = [l for l in listing.splitlines()[1:] if l.endswith(" cli")]
        self.assertEqual(len(lines), 1)
        self.assertNotIn(token, listing)
        token_id = lines[0].split()[0]
        # a token is no session cookie, and one byte off is nothing
        w = self.web()
        self.assertEqual(w.request("GET", "/jmap/session",
                                   cookie=f"postroom_session={token}")[0],
                         401)
        bad = Jmap(self.pr, BOB[0], token=token[:-1] +
                   ("A" if token[-1] != "A" else "B"))
        self.addCleanup(bad.close)
        status, headers, _ = bad.request("GET", "/jmap/session")
        self.assertEqual(status, 401)
        self.assertIn('error="invalid_token"', headers["www-authenticate"])
        # revoked: refused at once, on the same connection too
        self.assertEqual(self.pr.ctl("token", "revoke", EVE[0], token_id,
                                     check=False).returncode, 1)
        self.pr.ctl("token", "revoke", BOB[0], token_id)
        self.assertEqual(j.request("GET", "/jmap/session")[0], 401)
        self.assertEqual(self.pr.ctl("token", "list", "nobody@example.test",
                                     check=False).returncode, 1)
        self.assertEqual(self.pr.ctl("token", "create", BOB[0], "--days",
                                     "0", check=False).returncode, 2)


class JmapSessionExpiryTest(unittest.TestCase):
    """Idle and absolute expiry, with margins far above the timings."""

    @classmethod
    def setUpClass(cls):
        cls.pr = start(users=(BOB,), sections={"httpd": {
            "session_idle_timeout": "3s", "session_lifetime": "8s"}})

    @classmethod
    def tearDownClass(cls):
        reports = cls.pr.sanitizer_reports()
        cls.pr.cleanup()
        assert not reports, reports

    def test_idle(self):
        w = Web(self.pr)
        self.addCleanup(w.close)
        self.assertEqual(w.login(*BOB)[0], 200)
        self.assertEqual(w.request("GET", "/jmap/session")[0], 200)
        time.sleep(5)
        self.assertEqual(w.request("GET", "/jmap/session")[0], 401)

    def test_lifetime(self):
        w = Web(self.pr)
        self.addCleanup(w.close)
        start_time = time.monotonic()
        self.assertEqual(w.login(*BOB)[0], 200)
        # used every second, so never idle; but the lifetime is 8 s
        seen = []
        while time.monotonic() - start_time < 11:
            seen.append((w.request("GET", "/jmap/session")[0],
                         time.monotonic() - start_time))
            time.sleep(1)
        statuses = [s for s, _ in seen]
        self.assertEqual(statuses[0], 200)
        self.assertEqual(statuses[-1], 401)
        self.assertEqual(statuses, sorted(statuses))
        # alive past the idle time: it was used
        self.assertTrue(any(s == 200 and t > 4 for s, t in seen), seen)


if __name__ == "__main__":
    unittest.main()
