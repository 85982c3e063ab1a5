"""JMAP VacationResponse (RFC 8621 §8) and JMAP Sieve (RFC 9661) against
postroomd, over the one truth, the account's Sieve scripts: a vacation set
through JMAP is what `postroomctl account vacation` shows and what deliver
runs (carol gets the reply, with the HTML alternative); one set with
postroomctl is what VacationResponse/get reads; a user's own active script
keeps its rules around the block. SieveScript/set with uploaded blobs,
onSuccessActivateScript and onSuccessDeactivateScript, invalidSieve with
line and column, alreadyExists, sieveIsActive, renames that keep the id,
/query, /changes from an old state, SieveScript/validate, and blobId
downloads of the text; the capability's fields from lib/rules."""
import datetime
import email
import email.policy
import smtplib
import time
import unittest

from jmap_fixtures import CORE, MAIL, Jmap, start, wait_for

BOB = ("bob@example.test", "bob-secret-1")
CAROL = ("carol@example.test", "carol-secret-1")
VACATION = "urn:ietf:params:jmap:vacationresponse"
SIEVE = "urn:ietf:params:jmap:sieve"
USING_V = [CORE, MAIL, VACATION]
USING_S = [CORE, SIEVE]


def utc(t):
    return datetime.datetime.fromtimestamp(
        int(t), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class JmapVacationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start(users=(BOB, CAROL))
        cls.j = Jmap(cls.pr, *BOB)
        cls.session = cls.j.get_session()

    @classmethod
    def tearDownClass(cls):
        cls.j.close()
        reports = cls.pr.sanitizer_reports()
        cls.pr.cleanup()
        assert not reports, reports

    def vget(self):
        name, r = self.j.one("VacationResponse/get", {"ids": None},
                             using=USING_V)
        self.assertEqual(name, "VacationResponse/get", r)
        self.assertEqual(len(r["list"]), 1)
        return r["list"][0], r["state"]

    def vset(self, patch):
        name, r = self.j.one("VacationResponse/set",
                             {"update": {"singleton": patch}},
                             using=USING_V)
        self.assertEqual(name, "VacationResponse/set", r)
        return r

    def test_1_capabilities(self):
        caps = self.session["capabilities"]
        self.assertIn(VACATION, caps)
        self.assertIn(SIEVE, caps)
        acct = self.session["accounts"][self.j.account]
        sieve = acct["accountCapabilities"][SIEVE]
        self.assertEqual(sieve["implementation"], "Postroom")
        self.assertEqual(sieve["maxSizeScriptName"], 128)
        self.assertEqual(sieve["maxSizeScript"], 1024 * 1024)
        self.assertEqual(sieve["maxNumberRedirects"], 4)
        for ext in ("fileinto", "vacation", "date", "relational"):
            self.assertIn(ext, sieve["sieveExtensions"])
        self.assertEqual(sieve["notificationMethods"], ["mailto"])
        self.assertIsNone(sieve["externalLists"])
        self.assertEqual(self.session["primaryAccounts"][VACATION],
                         self.j.account)

    def test_2_jmap_sets_deliver_replies(self):
        v, state = self.vget()
        self.assertEqual(v, {"id": "singleton", "isEnabled": False,
                             "fromDate": None, "toDate": None,
                             "subject": None, "textBody": None,
                             "htmlBody": None})
        now = time.time()
        want = {"isEnabled": True, "fromDate": utc(now - 3600),
                "toDate": utc(now + 86400), "subject": 'Away "now"',
                "textBody": "Back on Monday.\nBob",
                "htmlBody": "<p>Back on <b>Monday</b>.</p>"}
        r = self.vset(want)
        self.assertIn("singleton", r["updated"], r)
        self.assertEqual(r["oldState"], state)
        self.assertNotEqual(r["newState"], state)
        v, _ = self.vget()
        self.assertEqual(v, dict(want, id="singleton"))
        # the same truth for postroomctl
        out = self.pr.ctl("account", "vacation", BOB[0]).stdout
        self.assertIn("vacation: on (script postroom)", out)
        self.assertIn('Away \\"now\\"', out)
        self.assertIn("currentdate", out)
        # and for deliver: carol writes, carol gets the reply
        with smtplib.SMTP("127.0.0.1", self.pr.port) as c:
            c.sendmail(CAROL[0], [BOB[0]],
                       (f"From: {CAROL[0]}\r\nTo: {BOB[0]}\r\n"
                        "Subject: lunch?\r\nMessage-ID: <l1@example.test>"
                        "\r\n\r\nlunch?\r\n").encode())
        got = self.pr.wait_messages(CAROL[0], 1)
        reply = email.message_from_bytes(got[0], policy=email.policy.default)
        self.assertEqual(reply["Subject"], 'Away "now"')
        self.assertTrue(reply["Auto-Submitted"].startswith("auto-replied"))
        self.assertEqual(reply["In-Reply-To"], "<l1@example.test>")
        self.assertEqual(reply.get_content_type(), "multipart/alternative")
        text = reply.get_body(("plain",)).get_content()
        html = reply.get_body(("html",)).get_content()
        self.assertIn("Back on Monday.\nBob", text.replace("\r\n", "\n"))
        self.assertIn("<b>Monday</b>", html)

    def test_3_ctl_sets_jmap_reads(self):
        self.pr.ctl("account", "vacation", BOB[0], "on", "--days", "3",
                    "--subject", "From the CLI", "--message", "cli text")
        v, _ = self.vget()
        self.assertEqual(v["isEnabled"], True)
        self.assertEqual(v["subject"], "From the CLI")
        self.assertEqual(v["textBody"], "cli text")
        self.assertIsNone(v["htmlBody"])
        self.assertIsNone(v["fromDate"])
        # a JMAP update keeps what it does not name (the days)
        self.vset({"subject": "Changed"})
        out = self.pr.ctl("account", "vacation", BOB[0]).stdout
        self.assertIn(":days 3", out)
        self.assertIn('"Changed"', out)
        # off through JMAP: the tool's own script goes
        self.vset({"isEnabled": False})
        v, _ = self.vget()
        self.assertFalse(v["isEnabled"])
        self.assertIn("vacation: off",
                      self.pr.ctl("account", "vacation", BOB[0]).stdout)
        self.assertNotIn("postroom", self.pr.ctl(
            "account", "sieve", "list", BOB[0]).stdout)

    def test_4_singleton_and_bad_input(self):
        _, r = self.j.one("VacationResponse/set", {
            "create": {"x": {"isEnabled": True}},
            "destroy": ["singleton"],
            "update": {"other": {"isEnabled": True}}}, using=USING_V)
        self.assertEqual(r["notCreated"]["x"]["type"], "singleton")
        self.assertEqual(r["notDestroyed"]["singleton"]["type"],
                         "singleton")
        self.assertEqual(r["notUpdated"]["other"]["type"], "notFound")
        for patch, prop in (({"fromDate": "yesterday"}, "fromDate"),
                            ({"isEnabled": "yes"}, "isEnabled"),
                            ({"subject": 5}, "subject"),
                            ({"id": "x"}, "id")):
            r = self.vset(patch)
            err = r["notUpdated"]["singleton"]
            self.assertEqual(err["type"], "invalidProperties")
            self.assertEqual(err["properties"], [prop])
        r = self.vset({"isEnabled": True, "fromDate": utc(2e9),
                       "toDate": utc(1.9e9)})
        self.assertEqual(r["notUpdated"]["singleton"]["properties"],
                         ["toDate"])
        # without the capability in using: unknownMethod
        _, r = self.j.one("VacationResponse/get", {}, using=[CORE, MAIL])
        self.assertEqual(r["type"], "unknownMethod")
        _, r = self.j.one("VacationResponse/get", {"accountId": "a999"},
                          using=USING_V)
        self.assertEqual(r["type"], "accountNotFound")


class JmapSieveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start(users=(BOB,))
        cls.j = Jmap(cls.pr, *BOB)
        cls.j.get_session()

    @classmethod
    def tearDownClass(cls):
        cls.j.close()
        reports = cls.pr.sanitizer_reports()
        cls.pr.cleanup()
        assert not reports, reports

    def call(self, name, args):
        n, r = self.j.one(name, args, using=USING_S)
        return r

    def blob(self, text):
        status, up = self.j.upload(text.encode(), "application/sieve")
        self.assertEqual(status, 201, up)
        return up["blobId"]

    def test_scripts(self):
        r = self.call("SieveScript/get", {"ids": None})
        self.assertEqual(r["list"], [])
        old = r["state"]
        rules = ('require ["fileinto"];\n'
                 'if header :contains "subject" "[list]" '
                 '{ fileinto "Lists"; }\n')
        r = self.call("SieveScript/set", {
            "create": {"a": {"name": "main", "blobId": self.blob(rules)},
                       "bad": {"name": "bad",
                               "blobId": self.blob("fileinto \"x\";\n")},
                       "dup": {"name": "main",
                               "blobId": self.blob("keep;")}},
            "onSuccessActivateScript": "#a"})
        main = r["created"]["a"]["id"]
        self.assertEqual(r["notCreated"]["bad"]["type"], "invalidSieve")
        self.assertRegex(r["notCreated"]["bad"]["description"],
                         r"^1:1: ")
        self.assertEqual(r["notCreated"]["dup"]["type"], "alreadyExists")
        r = self.call("SieveScript/get", {"ids": [main]})
        s = r["list"][0]
        self.assertEqual((s["name"], s["isActive"]), ("main", True))
        status, _, body = self.j.request(
            "GET", f"/jmap/download/{self.j.account}/{s['blobId']}/main")
        self.assertEqual((status, body.decode()), (200, rules))
        self.assertIn("main  ", self.pr.ctl("account", "sieve", "list",
                                            BOB[0]).stdout)
        # the vacation goes into this active script, after its require
        _, v = self.j.one("VacationResponse/set", {"update": {"singleton": {
            "isEnabled": True, "textBody": "away"}}},
            using=[CORE, MAIL, VACATION])
        self.assertIn("singleton", v["updated"], v)
        text = self.pr.ctl("account", "sieve", "get", BOB[0], "main").stdout
        self.assertTrue(text.startswith('require ["fileinto"];\n'
                                        "# BEGIN postroom settings"), text)
        self.assertIn('fileinto "Lists";', text)
        # a rename keeps the id; an update of the text with a new blob
        r = self.call("SieveScript/set", {"update": {main: {
            "name": "renamed", "blobId": self.blob(rules + "keep;\n")}}})
        self.assertIn(main, r["updated"], r)
        r = self.call("SieveScript/get", {"ids": [main],
                                          "properties": ["name"]})
        self.assertEqual(r["list"][0], {"id": main, "name": "renamed"})
        # the active script is not destroyed; deactivated first it is
        r = self.call("SieveScript/set", {"destroy": [main]})
        self.assertEqual(r["notDestroyed"][main]["type"], "sieveIsActive")
        r = self.call("SieveScript/set", {
            "create": {"b": {"name": None, "blobId": self.blob("keep;")}},
            "onSuccessDeactivateScript": True})
        other = r["created"]["b"]["id"]
        self.assertEqual(r["created"]["b"]["name"], "script-1")
        r = self.call("SieveScript/query", {"filter": {"isActive": False},
                                            "sort": [{"property": "name"}]})
        self.assertEqual(r["ids"], [main, other])
        r = self.call("SieveScript/query", {"filter": {"name": "REN"}})
        self.assertEqual(r["ids"], [main])
        r = self.call("SieveScript/set", {"destroy": [main]})
        self.assertEqual(r["destroyed"], [main])
        r = self.call("SieveScript/changes", {"sinceState": old})
        self.assertEqual(r["created"], [other])
        self.assertEqual(r["destroyed"], [])
        self.assertEqual(r["updated"], [])

    def test_validate(self):
        r = self.call("SieveScript/validate", {
            "blobId": self.blob('require "vacation";\nvacation "x";\n')})
        self.assertIsNone(r["error"])
        r = self.call("SieveScript/validate", {
            "blobId": self.blob('if true {\n  stop\n}\n')})
        self.assertEqual(r["error"]["type"], "invalidSieve")
        self.assertRegex(r["error"]["description"], r"^3:1: ")
        r = self.call("SieveScript/validate", {"blobId": "b" + "0" * 64})
        self.assertEqual(r["error"]["type"], "blobNotFound")
        r = self.call("SieveScript/set", {"create": {"x": {
            "name": "x/y", "blobId": self.blob("keep;")}}})
        self.assertEqual(r["notCreated"]["x"]["properties"], ["name"])
        r = self.call("SieveScript/set", {"create": {"x": {
            "name": "ok", "blobId": self.blob("keep;"), "isActive": True}}})
        self.assertEqual(r["notCreated"]["x"]["properties"], ["isActive"])


if __name__ == "__main__":
    unittest.main()
