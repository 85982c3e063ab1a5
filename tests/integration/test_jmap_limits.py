"""The [jmap] section (doc/configuration.md): its limits are what the
Session object advertises (RFC 8620 §2) and what httpd enforces:
maxCallsInRequest as a urn:ietf:params:jmap:error:limit problem,
maxObjectsInGet and maxObjectsInSet as requestTooLarge, maxSizeRequest and
maxSizeUpload as 413 before the body is read."""
import json
import unittest

from jmap_fixtures import CORE, MAIL, Jmap, start

BOB = ("bob@example.test", "bob-secret-1")


class JmapLimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start(users=(BOB,), sections={"jmap": {
            "max_size_upload": "4k", "max_size_request": "2k",
            "max_calls_in_request": "3", "max_objects_in_get": "5",
            "max_objects_in_set": "2", "max_concurrent_requests": "7"}})
        cls.j = Jmap(cls.pr, *BOB)
        cls.session = cls.j.get_session()

    @classmethod
    def tearDownClass(cls):
        cls.j.close()
        reports = cls.pr.sanitizer_reports()
        cls.pr.cleanup()
        assert not reports, reports

    def test_advertised(self):
        core = self.session["capabilities"][CORE]
        self.assertEqual(core["maxSizeUpload"], 4096)
        self.assertEqual(core["maxSizeRequest"], 2048)
        self.assertEqual(core["maxCallsInRequest"], 3)
        self.assertEqual(core["maxObjectsInGet"], 5)
        self.assertEqual(core["maxObjectsInSet"], 2)
        self.assertEqual(core["maxConcurrentRequests"], 7)
        self.assertEqual(core["maxConcurrentUpload"], 4)
        self.assertIn("max_calls_in_request = 3",
                      self.pr.ctl("config").stdout)

    def test_enforced(self):
        calls = [["Core/echo", {}, str(i)] for i in range(4)]
        status, _, body = self.j.post(json.dumps(
            {"using": [CORE], "methodCalls": calls}).encode())
        self.assertEqual(status, 400)
        problem = json.loads(body)
        self.assertEqual(problem["type"], "urn:ietf:params:jmap:error:limit")
        self.assertEqual(problem["limit"], "maxCallsInRequest")
        _, r = self.j.one("Mailbox/get", {"ids": ["m1"] * 6},
                          using=[CORE, MAIL])
        self.assertEqual(r["type"], "requestTooLarge")
        _, r = self.j.one("Mailbox/set", {"destroy": ["m7", "m8", "m9"]},
                          using=[CORE, MAIL])
        self.assertEqual(r["type"], "requestTooLarge")
        status, _, _ = self.j.post(json.dumps({
            "using": [CORE], "methodCalls": [
                ["Core/echo", {"pad": "x" * 3000}, "0"]]}).encode())
        self.assertEqual(status, 413)
        status, _ = self.j.upload(b"x" * 5000, "application/octet-stream")
        self.assertEqual(status, 413)
        status, _ = self.j.upload(b"x" * 4000, "application/octet-stream")
        self.assertEqual(status, 201)


if __name__ == "__main__":
    unittest.main()
