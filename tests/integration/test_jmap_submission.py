"""JMAP Identity (RFC 8621 §6) and kept EmailSubmissions (§7): the
account's own identity cannot go; another may be added only with an
address the account may send from (its +detail or an alias that reaches
it, the same check as MAIL FROM on port 587), else forbiddenFrom; its email
cannot change; Identity/changes from an old state. Submissions are kept:
EmailSubmission/get, /query with filters and sorts, /changes, destroy;
sending from an added identity uses its address as MAIL FROM;
onSuccessDestroyEmail with a creation id destroys the Email."""
import unittest

from jmap_fixtures import Jmap, start

BOB = ("bob@example.test", "bob-secret-1")
CAROL = ("carol@example.test", "carol-secret-1")


class JmapSubmissionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start(users=(BOB, CAROL))
        cls.pr.ctl("alias", "add", "robert@example.test", BOB[0])
        cls.j = Jmap(cls.pr, *BOB)
        cls.j.get_session()
        cls.boxes = cls.j.mailbox_ids()

    @classmethod
    def tearDownClass(cls):
        cls.j.close()
        reports = cls.pr.sanitizer_reports()
        cls.pr.cleanup()
        assert not reports, reports

    def draft(self, subject, sender=BOB[0]):
        _, s = self.j.one("Email/set", {"create": {"d": {
            "mailboxIds": {self.boxes["drafts"]: True},
            "from": [{"email": sender}], "to": [{"email": CAROL[0]}],
            "subject": subject,
            "bodyValues": {"b": {"value": "hello\n"}},
            "textBody": [{"partId": "b", "type": "text/plain"}]}}})
        return s["created"]["d"]["id"]

    def test_identities(self):
        _, g = self.j.one("Identity/get", {"ids": None})
        self.assertEqual(g["list"], [{
            "id": "i1", "name": "", "email": BOB[0], "replyTo": None,
            "bcc": None, "textSignature": "", "htmlSignature": "",
            "mayDelete": False}])
        old = g["state"]
        _, s = self.j.one("Identity/set", {"create": {
            "alias": {"name": "Robert", "email": "robert@example.test",
                      "replyTo": [{"name": "R", "email": BOB[0]}],
                      "textSignature": "-- \nRobert"},
            "detail": {"email": "bob+work@example.test"},
            "carol": {"email": CAROL[0]},
            "stranger": {"email": "ceo@other.test"},
            "bad": {"email": "robert@example.test", "mayDelete": False}},
            "destroy": ["i1"]})
        alias = s["created"]["alias"]["id"]
        self.assertTrue(s["created"]["alias"]["mayDelete"])
        self.assertIn("detail", s["created"])
        self.assertEqual(s["notCreated"]["carol"]["type"], "forbiddenFrom")
        self.assertEqual(s["notCreated"]["stranger"]["type"],
                         "forbiddenFrom")
        self.assertEqual(s["notCreated"]["bad"]["properties"],
                         ["mayDelete"])
        self.assertEqual(s["notDestroyed"]["i1"]["type"], "forbidden")
        _, s = self.j.one("Identity/set", {"update": {
            alias: {"name": "Rob", "email": "robert@example.test"},
            "i1": {"email": "robert@example.test"}}})
        self.assertIn(alias, s["updated"], s)
        self.assertEqual(s["notUpdated"]["i1"]["properties"], ["email"])
        _, g = self.j.one("Identity/get", {"ids": [alias, "i99"]})
        self.assertEqual(g["list"][0]["name"], "Rob")
        self.assertEqual(g["list"][0]["replyTo"],
                         [{"name": "R", "email": BOB[0]}])
        self.assertEqual(g["notFound"], ["i99"])
        _, ch = self.j.one("Identity/changes", {"sinceState": old})
        self.assertEqual(len(ch["created"]), 2)
        self.assertIn(alias, ch["created"])
        # send from the alias identity: its address is MAIL FROM
        email = self.draft("From the alias", "robert@example.test")
        _, s = self.j.one("EmailSubmission/set", {"create": {"s": {
            "identityId": alias, "emailId": email}}})
        self.assertIn("s", s["created"], s)
        got = self.pr.wait_messages(CAROL[0], 1)
        self.assertTrue(any(b"Return-Path: <robert@example.test>" in m
                            for m in got), got)
        _, s = self.j.one("Identity/set", {"destroy": [alias]})
        self.assertEqual(s["destroyed"], [alias])
        _, s = self.j.one("EmailSubmission/set", {"create": {"s": {
            "identityId": alias, "emailId": email}}})
        self.assertEqual(s["notCreated"]["s"]["properties"], ["identityId"])

    def test_submissions_kept(self):
        _, g = self.j.one("EmailSubmission/get", {"ids": None})
        old = g["state"]
        first = self.draft("First")
        second = self.draft("Second")
        resp = self.j.call([["EmailSubmission/set", {
            "accountId": self.j.account,
            "create": {"a": {"identityId": "i1", "emailId": first},
                       "b": {"identityId": "i1", "emailId": second,
                             "envelope": {
                                 "mailFrom": {"email": BOB[0]},
                                 "rcptTo": [{"email": CAROL[0]}]}}},
            "onSuccessDestroyEmail": ["#b"]}, "0"]])
        names = [r[0] for r in resp["methodResponses"]]
        self.assertEqual(names, ["EmailSubmission/set", "Email/set"])
        created = resp["methodResponses"][0][1]["created"]
        a, b = created["a"]["id"], created["b"]["id"]
        self.assertEqual(resp["methodResponses"][1][1]["destroyed"],
                         [second])
        _, g = self.j.one("EmailSubmission/get", {"ids": [a, b, "S999"]})
        self.assertEqual(g["notFound"], ["S999"])
        sa = g["list"][0]
        self.assertEqual(sa["identityId"], "i1")
        self.assertEqual(sa["emailId"], first)
        self.assertEqual(sa["undoStatus"], "final")
        self.assertEqual(sa["threadId"], created["a"]["threadId"])
        self.assertEqual(sa["envelope"]["mailFrom"]["email"], BOB[0])
        self.assertEqual([r["email"] for r in sa["envelope"]["rcptTo"]],
                         [CAROL[0]])
        self.assertEqual(sa["dsnBlobIds"], [])
        _, q = self.j.one("EmailSubmission/query", {
            "filter": {"emailIds": [second]}})
        self.assertEqual(q["ids"], [b])
        _, q = self.j.one("EmailSubmission/query", {
            "filter": {"undoStatus": "final"},
            "sort": [{"property": "sentAt", "isAscending": False}]})
        self.assertEqual(q["ids"][:2], [b, a])
        _, q = self.j.one("EmailSubmission/query", {
            "sort": [{"property": "size"}]})
        self.assertEqual(q["type"], "unsupportedSort")
        _, ch = self.j.one("EmailSubmission/changes", {"sinceState": old})
        self.assertEqual(ch["created"], [a, b])
        _, s = self.j.one("EmailSubmission/set", {"destroy": [a]})
        self.assertEqual(s["destroyed"], [a])
        _, ch = self.j.one("EmailSubmission/changes",
                           {"sinceState": s["oldState"]})
        self.assertEqual(ch["destroyed"], [a])
        _, g = self.j.one("EmailSubmission/get", {"ids": [a]})
        self.assertEqual(g["notFound"], [a])


if __name__ == "__main__":
    unittest.main()
