"""What the JMAP tests share: a small JMAP client over http.client (plain
HTTP from loopback, which the embedded default allows, or HTTPS), with Basic
or Bearer credentials, and the capabilities every request uses."""
import base64
import http.client
import json
import time

from harness import Postroom, client_tls_context
from http_fixtures import wait_http

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
SUBMISSION = "urn:ietf:params:jmap:submission"
USING = [CORE, MAIL]


class Jmap:
    """One user's JMAP connection (keep-alive)."""

    def __init__(self, pr, user, password=None, token=None, tls=False):
        self.pr = pr
        self.tls = tls
        self.user = user
        if token is not None:
            self.auth = f"Bearer {token}"
        else:
            raw = f"{user}:{password}".encode()
            self.auth = "Basic " + base64.b64encode(raw).decode()
        self.conn = None
        self.session = None
        self.account = None

    def connect(self):
        if self.tls:
            self.conn = http.client.HTTPSConnection(
                "127.0.0.1", self.pr.https, timeout=60,
                context=client_tls_context())
        else:
            self.conn = http.client.HTTPConnection(
                "127.0.0.1", self.pr.http, timeout=60)

    def request(self, method, path, body=None, headers=None):
        """Returns (status, headers dict, body bytes)."""
        h = {"Authorization": self.auth}
        h.update(headers or {})
        for attempt in range(2):
            if self.conn is None:
                self.connect()
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, {k.lower(): v for k, v in
                                  r.getheaders()}, data
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def get_session(self):
        status, _, body = self.request("GET", "/.well-known/jmap")
        assert status == 200, (status, body)
        self.session = json.loads(body)
        self.account = self.session["primaryAccounts"][MAIL]
        return self.session

    def post(self, body, content_type="application/json"):
        status, headers, data = self.request(
            "POST", "/jmap/api/", body=body,
            headers={"Content-Type": content_type})
        return status, headers, data

    def call(self, calls, using=None, created_ids=None):
        """Sends methodCalls; returns the Response object."""
        req = {"using": using or USING + [SUBMISSION],
               "methodCalls": calls}
        if created_ids is not None:
            req["createdIds"] = created_ids
        status, _, data = self.post(json.dumps(req).encode())
        assert status == 200, (status, data)
        return json.loads(data)

    def one(self, name, args, using=None):
        """One method call; returns its arguments (or the error)."""
        args = dict(args)
        args.setdefault("accountId", self.account)
        resp = self.call([[name, args, "c0"]], using=using)
        r = resp["methodResponses"][0]
        assert r[2] == "c0"
        return r[0], r[1]

    def upload(self, data, content_type):
        status, _, body = self.request(
            "POST", f"/jmap/upload/{self.account}/", body=data,
            headers={"Content-Type": content_type})
        return status, (json.loads(body) if status == 201 else body)

    def mailbox_ids(self):
        _, r = self.one("Mailbox/get", {"ids": None})
        return {m["role"] or m["name"]: m["id"] for m in r["list"]}

    def close(self):
        if self.conn is not None:
            self.conn.close()


def start(users=(("bob@example.test", "bob-secret"),), **kw):
    pr = Postroom(**kw).start()
    for user, password in users:
        pr.add_user(user, password)
    wait_http(pr)
    return pr


def wait_for(fn, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")
