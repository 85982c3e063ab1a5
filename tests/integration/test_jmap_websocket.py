"""JMAP over WebSocket (RFC 8887 on RFC 6455) with Debian's python3-websockets
as the client: the session's capability, Requests with ids answered by
Responses carrying requestId (§4.3), RequestErrors for bad input, push with
WebSocketPushEnable and StateChange (§4.3.5), many requests sent without
reading answered in order (backpressure), a message over maxSizeRequest
closed with 1009, the session cookie from our own origin accepted and from
another site refused (cross-site WebSocket hijacking), and no credentials
refused."""
import asyncio
import base64
import json
import smtplib
import sys
import unittest

try:
    import websockets
except ImportError:
    # Debian's python3-websockets (scripts/install-deps), pure Python, when
    # the tests run under another interpreter of the same version
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import websockets
    except ImportError:
        websockets = None

from jmap_fixtures import CORE, MAIL, Jmap, start

BOB = ("bob@example.test", "bob-secret-1")
WS = "urn:ietf:params:jmap:websocket"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@unittest.skipIf(websockets is None, "python3-websockets is not installed")
class JmapWebSocketTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start(users=(BOB,))
        cls.jmap = Jmap(cls.pr, *BOB)
        cls.session = cls.jmap.get_session()
        cls.url = cls.session["capabilities"][WS]["url"]

    @classmethod
    def tearDownClass(cls):
        cls.jmap.close()
        reports = cls.pr.sanitizer_reports()
        cls.pr.cleanup()
        assert not reports, reports

    def run_async(self, coro):
        return asyncio.run(asyncio.wait_for(coro, 60))

    def connect(self, headers=None, **kw):
        h = {"Authorization": basic(*BOB)}
        h.update(headers or {})
        return websockets.connect(self.url, subprotocols=["jmap"],
                                  extra_headers=h, max_size=None, **kw)

    def test_capability(self):
        cap = self.session["capabilities"][WS]
        self.assertEqual(cap["url"], f"ws://127.0.0.1:{self.pr.http}/jmap/ws/")
        self.assertIs(cap["supportsPush"], True)

    def test_requests(self):
        async def go():
            async with self.connect() as ws:
                self.assertEqual(ws.subprotocol, "jmap")
                await ws.send(json.dumps({
                    "@type": "Request", "id": "r1", "using": [CORE],
                    "methodCalls": [["Core/echo", {"hello": True}, "c1"]]}))
                resp = json.loads(await ws.recv())
                self.assertEqual(resp["@type"], "Response")
                self.assertEqual(resp["requestId"], "r1")
                self.assertEqual(resp["methodResponses"],
                                 [["Core/echo", {"hello": True}, "c1"]])
                self.assertEqual(resp["sessionState"], self.session["state"])
                # a real method, without an id
                await ws.send(json.dumps({
                    "@type": "Request", "using": [CORE, MAIL],
                    "methodCalls": [["Mailbox/get", {
                        "accountId": self.jmap.account, "ids": None},
                        "m"]]}))
                resp = json.loads(await ws.recv())
                self.assertNotIn("requestId", resp)
                roles = {m["role"] for m in
                         resp["methodResponses"][0][1]["list"]}
                self.assertIn("inbox", roles)
                # RequestErrors, each with its requestId
                for msg, want in (
                        ("{not json", "notJSON"),
                        (json.dumps({"@type": "Request", "id": "r3",
                                     "using": ["urn:x:unknown"],
                                     "methodCalls": []}),
                         "unknownCapability"),
                        (json.dumps({"@type": "Request", "id": "r4",
                                     "using": [CORE]}), "notRequest"),
                        (json.dumps({"@type": "Nonsense", "id": "r5"}),
                         "notRequest")):
                    await ws.send(msg)
                    err = json.loads(await ws.recv())
                    self.assertEqual(err["@type"], "RequestError")
                    self.assertEqual(err["type"],
                                     "urn:ietf:params:jmap:error:" + want)
                    self.assertEqual(err["status"], 400)
                    if msg.startswith("{\""):
                        self.assertEqual(err["requestId"],
                                         json.loads(msg)["id"])
                # many requests sent before reading any answer: all come,
                # in order
                for i in range(200):
                    await ws.send(json.dumps({
                        "@type": "Request", "id": f"p{i}", "using": [CORE],
                        "methodCalls": [["Core/echo",
                                         {"pad": "x" * 2000}, "e"]]}))
                for i in range(200):
                    resp = json.loads(await ws.recv())
                    self.assertEqual(resp["requestId"], f"p{i}")
        self.run_async(go())

    def test_push(self):
        async def go():
            async with self.connect() as ws:
                await ws.send(json.dumps({"@type": "WebSocketPushEnable",
                                          "dataTypes": ["Email"]}))
                with smtplib.SMTP("127.0.0.1", self.pr.port) as c:
                    c.sendmail("ann@example.org", [BOB[0]],
                               b"From: ann@example.org\r\nSubject: push\r\n"
                               b"\r\nhello\r\n")
                change = json.loads(await ws.recv())
                self.assertEqual(change["@type"], "StateChange")
                changed = change["changed"][self.jmap.account]
                self.assertEqual(set(changed), {"Email"})
                self.assertRegex(change["pushState"], r"^\d+\.\d+\.\d+$")
                # the state told is the one Email/get reports
                _, r = self.jmap.one("Email/get", {"ids": []})
                self.assertEqual(changed["Email"], r["state"])
                # requests still work with push on
                await ws.send(json.dumps({
                    "@type": "Request", "id": "after", "using": [CORE],
                    "methodCalls": [["Core/echo", {}, "0"]]}))
                self.assertEqual(json.loads(await ws.recv())["requestId"],
                                 "after")
                return change["pushState"]
        old_state = self.run_async(go())

        async def resume():
            # a new connection with the old pushState hears what it missed
            with smtplib.SMTP("127.0.0.1", self.pr.port) as c:
                c.sendmail("ann@example.org", [BOB[0]],
                           b"From: ann@example.org\r\nSubject: missed\r\n"
                           b"\r\nhello\r\n")
            async with self.connect() as ws:
                for _ in range(100):
                    _, r = self.jmap.one("Email/get", {"ids": []})
                    if r["state"] != old_state.split(".")[0]:
                        break
                    await asyncio.sleep(0.1)
                await ws.send(json.dumps({"@type": "WebSocketPushEnable",
                                          "dataTypes": None,
                                          "pushState": old_state}))
                change = json.loads(await ws.recv())
                self.assertEqual(change["@type"], "StateChange")
                self.assertIn("Email", change["changed"][self.jmap.account])
        self.run_async(resume())

    def test_too_big(self):
        async def go():
            async with self.connect() as ws:
                limit = self.session["capabilities"][CORE]["maxSizeRequest"]
                # refused from the frame's header, before its payload
                with self.assertRaises(websockets.ConnectionClosed) as cm:
                    await ws.send("x" * (limit + 1))
                    await ws.recv()
                self.assertEqual(cm.exception.code, 1009)
        self.run_async(go())

    def test_refused(self):
        async def status_of(headers):
            try:
                async with websockets.connect(
                        self.url, subprotocols=["jmap"],
                        extra_headers=headers):
                    return 101
            except websockets.InvalidStatusCode as e:
                return e.status_code

        self.assertEqual(self.run_async(status_of({})), 401)
        # the session cookie: from our own origin yes, another site no
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.pr.http, timeout=30)
        origin = f"http://127.0.0.1:{self.pr.http}"
        c.request("POST", "/login", json.dumps(
            {"username": BOB[0], "password": BOB[1]}),
            {"Content-Type": "application/json", "Origin": origin})
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 200)
        cookie = r.getheader("Set-Cookie").split(";")[0]
        c.close()
        self.assertEqual(self.run_async(status_of(
            {"Cookie": cookie, "Origin": origin})), 101)
        self.assertEqual(self.run_async(status_of(
            {"Cookie": cookie, "Origin": "http://evil.example"})), 403)


if __name__ == "__main__":
    unittest.main()
