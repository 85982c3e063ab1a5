"""JMAP Core (RFC 8620) over httpd with Python's http.client: the session
resource (§2) field by field, Core/echo (§4.1, the RFC's example), result
references (§3.7, the RFC's Email/query -> Email/get -> Thread/get ->
Email/get example), and every refusal: malformed JSON, not a Request,
unknown capability, too many calls, an oversized request and upload,
unknown methods, references to later calls, another account's ids and
blobs, no credentials. None of them may crash a server (the harness's
sanitizer check) or show another user's data."""
import json
import smtplib
import unittest

from http_fixtures import Raw
from jmap_fixtures import CORE, MAIL, SUBMISSION, Jmap, start

BOB = ("bob@example.test", "bob-secret")
EVE = ("eve@example.test", "eve-secret")


def deliver(pr, rcpt, subject, body="hello\r\n", extra=""):
    msg = (f"From: Ann <ann@example.org>\r\nTo: {rcpt}\r\n"
           f"Subject: {subject}\r\n{extra}\r\n{body}").encode()
    with smtplib.SMTP("127.0.0.1", pr.port) as c:
        c.sendmail("ann@example.org", [rcpt], msg)


class JmapCoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start(users=(BOB, EVE))
        cls.bob = Jmap(cls.pr, *BOB)
        cls.bob.get_session()
        cls.eve = Jmap(cls.pr, *EVE)
        cls.eve.get_session()

    @classmethod
    def tearDownClass(cls):
        cls.bob.close()
        cls.eve.close()
        reports = cls.pr.sanitizer_reports()
        cls.pr.cleanup()
        assert not reports, reports

    def problem(self, body, content_type="application/json"):
        status, headers, data = self.bob.post(body, content_type)
        self.assertEqual(status, 400, data)
        self.assertEqual(headers["content-type"], "application/problem+json")
        return json.loads(data)

    def test_session(self):
        s = self.bob.session
        core = s["capabilities"][CORE]
        # §2: every limit is advertised
        for key in ("maxSizeUpload", "maxConcurrentUpload", "maxSizeRequest",
                    "maxConcurrentRequests", "maxCallsInRequest",
                    "maxObjectsInGet", "maxObjectsInSet"):
            self.assertIsInstance(core[key], int, key)
            self.assertGreater(core[key], 0, key)
        self.assertIn("i;unicode-casemap", core["collationAlgorithms"])
        self.assertIn(MAIL, s["capabilities"])
        self.assertEqual(s["username"], "bob@example.test")
        account = s["accounts"][s["primaryAccounts"][MAIL]]
        self.assertEqual(account["name"], "bob@example.test")
        self.assertTrue(account["isPersonal"])
        self.assertFalse(account["isReadOnly"])
        # [smtpd] future_release_max, as on port 587
        self.assertEqual(
            account["accountCapabilities"][SUBMISSION]["maxDelayedSend"],
            30 * 86400)
        for url in ("apiUrl", "downloadUrl", "uploadUrl", "eventSourceUrl"):
            self.assertTrue(s[url].startswith("http://127.0.0.1:"), url)
        for var in ("{accountId}", "{blobId}", "{type}", "{name}"):
            self.assertIn(var, s["downloadUrl"])
        self.assertIn("{accountId}", s["uploadUrl"])
        for var in ("{types}", "{closeafter}", "{ping}"):
            self.assertIn(var, s["eventSourceUrl"])
        self.assertIsInstance(s["state"], str)
        # another user has another account id
        self.assertNotEqual(self.eve.account, self.bob.account)

    def test_no_credentials(self):
        j = Jmap(self.pr, "bob@example.test", "wrong")
        status, headers, _ = j.request("GET", "/.well-known/jmap")
        self.assertEqual(status, 401)
        self.assertIn("www-authenticate", headers)
        j.close()

    def test_echo(self):
        # RFC 8620 §4.1
        resp = self.bob.call([["Core/echo", {"hello": True, "high": 5},
                               "b3ff"]], using=[CORE])
        self.assertEqual(resp["methodResponses"],
                         [["Core/echo", {"hello": True, "high": 5}, "b3ff"]])
        self.assertEqual(resp["sessionState"], self.bob.session["state"])

    def test_request_problems(self):
        # §3.6.1, each as application/problem+json with status 400
        p = self.problem(b'{"using": [}')
        self.assertEqual(p["type"], "urn:ietf:params:jmap:error:notJSON")
        self.assertEqual(p["status"], 400)
        p = self.problem(b'{"using": [], "using": [], "methodCalls": []}')
        self.assertEqual(p["type"], "urn:ietf:params:jmap:error:notJSON")
        p = self.problem(b'{"using": ["urn:ietf:params:jmap:core"]}')
        self.assertEqual(p["type"], "urn:ietf:params:jmap:error:notRequest")
        p = self.problem(b'{"using": [], "methodCalls": [["a", {}]]}')
        self.assertEqual(p["type"], "urn:ietf:params:jmap:error:notRequest")
        p = self.problem(json.dumps({
            "using": [CORE, "urn:ietf:params:jmap:nope"],
            "methodCalls": []}).encode())
        self.assertEqual(p["type"],
                         "urn:ietf:params:jmap:error:unknownCapability")
        limit = self.bob.session["capabilities"][CORE]["maxCallsInRequest"]
        p = self.problem(json.dumps({
            "using": [CORE],
            "methodCalls": [["Core/echo", {}, str(i)]
                            for i in range(limit + 1)]}).encode())
        self.assertEqual(p["type"], "urn:ietf:params:jmap:error:limit")
        self.assertEqual(p["limit"], "maxCallsInRequest")
        # a form post from another site is not read
        p = self.problem(b"using=x", "application/x-www-form-urlencoded")
        self.assertEqual(p["type"], "urn:ietf:params:jmap:error:notRequest")

    def oversized(self, path, size, content_type):
        """The head of a body over the limit: 413 before any of it."""
        raw = Raw(self.pr)
        raw.send((f"POST {path} HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: {self.bob.auth}\r\n"
                  f"Content-Type: {content_type}\r\n"
                  f"Content-Length: {size}\r\n\r\n").encode())
        status = raw.response()[0]
        raw.close()
        return status

    def test_oversized(self):
        core = self.bob.session["capabilities"][CORE]
        self.assertEqual(self.oversized("/jmap/api/",
                                        core["maxSizeRequest"] + 1,
                                        "application/json"), 413)
        self.assertEqual(self.oversized(f"/jmap/upload/{self.bob.account}/",
                                        core["maxSizeUpload"] + 1,
                                        "text/plain"), 413)
        # the server is still there
        self.test_echo()

    def test_method_errors(self):
        resp = self.bob.call([
            ["Nope/get", {}, "a"],
            ["Mailbox/get", {"accountId": self.eve.account}, "b"],
            ["Mailbox/get", {"accountId": self.bob.account, "ids": 5}, "c"],
            ["Mailbox/get", {"accountId": self.bob.account,
                             "properties": ["name", "nope"]}, "d"],
            ["Mailbox/get", {"accountId": self.bob.account,
                             "#ids": {"resultOf": "z", "name": "Email/query",
                                      "path": "/ids"}}, "e"],
            ["Mailbox/get", {"accountId": self.bob.account,
                             "ids": ["m1"], "#ids": {
                                 "resultOf": "a", "name": "error",
                                 "path": "/type"}}, "f"],
            ["Mailbox/get", {"accountId": self.bob.account, "ids":
                             ["m1"] * 1001}, "g"],
            ["Email/changes", {"accountId": self.bob.account,
                               "sinceState": "999999999"}, "h"],
        ])
        types = {r[2]: r[1].get("type") for r in resp["methodResponses"]}
        self.assertEqual(types, {
            "a": "unknownMethod", "b": "accountNotFound",
            "c": "invalidArguments", "d": "invalidArguments",
            "e": "invalidResultReference", "f": "invalidArguments",
            "g": "requestTooLarge", "h": "cannotCalculateChanges"})
        # a capability not in using makes its methods unknown
        resp = self.bob.call([["Mailbox/get", {}, "a"]], using=[CORE])
        self.assertEqual(resp["methodResponses"][0][1]["type"],
                         "unknownMethod")
        # a reference may only look back: to itself is invalid
        resp = self.bob.call([["Email/get", {
            "accountId": self.bob.account, "#ids": {
                "resultOf": "self", "name": "Email/get", "path": "/ids"}},
            "self"]])
        self.assertEqual(resp["methodResponses"][0][1]["type"],
                         "invalidResultReference")

    def test_references_rfc_example(self):
        # RFC 8620 §3.7: query, then the emails, threads and the emails
        # of the threads, each from the previous result
        deliver(self.pr, "bob@example.test", "Ref one",
                extra="Message-ID: <r1@x>\r\n")
        deliver(self.pr, "bob@example.test", "Re: Ref one",
                extra="Message-ID: <r2@x>\r\nIn-Reply-To: <r1@x>\r\n")
        self.pr.wait_messages("bob@example.test", 2)
        a = self.bob.account
        resp = self.bob.call([
            ["Email/query", {"accountId": a,
                             "filter": {"subject": "Ref one"},
                             "sort": [{"property": "receivedAt",
                                       "isAscending": False}],
                             "collapseThreads": True, "position": 0,
                             "limit": 10, "calculateTotal": True}, "t0"],
            ["Email/get", {"accountId": a, "#ids": {
                "resultOf": "t0", "name": "Email/query", "path": "/ids"},
                "properties": ["threadId"]}, "t1"],
            ["Thread/get", {"accountId": a, "#ids": {
                "resultOf": "t1", "name": "Email/get",
                "path": "/list/*/threadId"}}, "t2"],
            ["Email/get", {"accountId": a, "#ids": {
                "resultOf": "t2", "name": "Thread/get",
                "path": "/list/*/emailIds"}, "properties": [
                    "from", "receivedAt", "subject"]}, "t3"]])
        r = {x[2]: x[1] for x in resp["methodResponses"]}
        self.assertEqual(r["t0"]["total"], 1)  # one thread
        self.assertEqual(len(r["t1"]["list"]), 1)
        self.assertEqual(len(r["t2"]["list"]), 1)
        self.assertEqual(len(r["t2"]["list"][0]["emailIds"]), 2)
        self.assertEqual(sorted(e["subject"] for e in r["t3"]["list"]),
                         ["Re: Ref one", "Ref one"])
        self.assertEqual(r["t3"]["list"][0]["from"],
                         [{"name": "Ann", "email": "ann@example.org"}])

    def test_other_account(self):
        deliver(self.pr, "eve@example.test", "Eve's secret",
                body="the eve secret\r\n")
        self.pr.wait_messages("eve@example.test", 1)
        _, q = self.eve.one("Email/query", {})
        eve_id = q["ids"][0]
        _, g = self.eve.one("Email/get", {"ids": [eve_id],
                                          "properties": ["blobId"]})
        blob = g["list"][0]["blobId"]
        # bob names eve's email and blob: not found, never her data
        _, g = self.bob.one("Email/get", {"ids": [eve_id]})
        self.assertEqual(g["list"], [])
        self.assertEqual(g["notFound"], [eve_id])
        status, _, body = self.bob.request(
            "GET", f"/jmap/download/{self.bob.account}/{blob}/x.eml")
        self.assertEqual(status, 404)
        self.assertNotIn(b"secret", body)
        status, _, _ = self.bob.request(
            "GET", f"/jmap/download/{self.eve.account}/{blob}/x.eml")
        self.assertEqual(status, 404)
        _, p = self.bob.one("Email/parse", {"blobIds": [blob]})
        self.assertEqual(p["notFound"], [blob])
        _, s = self.bob.one("Email/set", {"update": {
            eve_id: {"keywords/$seen": True}}, "destroy": [eve_id]})
        self.assertEqual(s["notUpdated"][eve_id]["type"], "notFound")
        self.assertEqual(s["notDestroyed"][eve_id]["type"], "notFound")
        status, _ = self.bob.upload(b"x", "text/plain")
        self.assertEqual(status, 201)
        status, _, _ = self.bob.request(
            "POST", f"/jmap/upload/{self.eve.account}/", body=b"x",
            headers={"Content-Type": "text/plain"})
        self.assertEqual(status, 404)

    def test_upload_download(self):
        data = bytes(range(256)) * 1000
        status, up = self.bob.upload(data, "application/octet-stream")
        self.assertEqual(status, 201)
        self.assertEqual(up["size"], len(data))
        self.assertEqual(up["accountId"], self.bob.account)
        url = f"/jmap/download/{self.bob.account}/{up['blobId']}/d.bin" \
              "?accept=application/octet-stream"
        status, headers, body = self.bob.request("GET", url)
        self.assertEqual(status, 200)
        self.assertEqual(body, data)
        self.assertIn("d.bin", headers["content-disposition"])
        status, headers, body = self.bob.request(
            "GET", url, headers={"Range": "bytes=1000-1999"})
        self.assertEqual(status, 206)
        self.assertEqual(body, data[1000:2000])
        # the same bytes are the same blob (content-addressed)
        status, up2 = self.bob.upload(data, "application/octet-stream")
        self.assertEqual(up2["blobId"], up["blobId"])


if __name__ == "__main__":
    unittest.main()
