"""Sending later through JMAP (RFC 8621 §7, futureRelease with RFC 4865's
HOLDFOR and HOLDUNTIL in envelope.mailFrom.parameters): the session
advertises maxDelayedSend and the FUTURERELEASE extension from [smtpd]
future_release_max (the same limit as port 587); a submission held for
later is in the queue with its release time and has not reached the
recipient; HOLDUNTIL in the past sends now; a hold past the limit or a
malformed one is refused with invalidProperties and queues nothing."""
import datetime
import json
import time
import unittest

from jmap_fixtures import SUBMISSION, Jmap, start, wait_for

BOB = ("bob@example.test", "bob-secret-1")
CAROL = ("carol@example.test", "carol-secret-1")
MAX = 30 * 86400  # [smtpd] future_release_max default


class JmapSendLaterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start(users=(BOB, CAROL))
        cls.j = Jmap(cls.pr, *BOB)
        cls.session = cls.j.get_session()
        cls.boxes = cls.j.mailbox_ids()

    @classmethod
    def tearDownClass(cls):
        cls.j.close()
        reports = cls.pr.sanitizer_reports()
        cls.pr.cleanup()
        assert not reports, reports

    def draft(self, subject):
        _, s = self.j.one("Email/set", {"create": {"d": {
            "mailboxIds": {self.boxes["drafts"]: True},
            "from": [{"email": BOB[0]}], "to": [{"email": CAROL[0]}],
            "subject": subject,
            "bodyValues": {"b": {"value": "later\n"}},
            "textBody": [{"partId": "b", "type": "text/plain"}]}}})
        return s["created"]["d"]["id"]

    def submit(self, subject, params):
        email = self.draft(subject)
        _, s = self.j.one("EmailSubmission/set", {"create": {"s": {
            "identityId": "i1", "emailId": email, "envelope": {
                "mailFrom": {"email": BOB[0], "parameters": params},
                "rcptTo": [{"email": CAROL[0]}]}}}})
        return s

    def held(self, subject):
        for line in self.pr.ctl("queue", "list").stdout.splitlines():
            if "release=" in line:
                qid = line.split()[0]
                if f"Subject: {subject}" in self.pr.ctl(
                        "queue", "show", qid).stdout:
                    return line
        return None

    def test_session(self):
        acct = self.session["accounts"][self.j.account]
        cap = acct["accountCapabilities"][SUBMISSION]
        self.assertEqual(cap["maxDelayedSend"], MAX)
        ext = cap["submissionExtensions"]["FUTURERELEASE"]
        self.assertEqual(ext[0], str(MAX))
        self.assertRegex(ext[1], r"^\d{4}-\d\d-\d\dT00:00:00Z$")

    def test_holdfor(self):
        before = time.time()
        s = self.submit("Held for an hour", {"HOLDFOR": "3600"})
        created = s["created"]["s"]
        self.assertEqual(created["undoStatus"], "final")
        send_at = datetime.datetime.strptime(
            created["sendAt"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        self.assertGreaterEqual(send_at, int(before) + 3600)
        self.assertLess(send_at, before + 3600 + 120)
        line = wait_for(lambda: self.held("Held for an hour"))
        self.assertIn("deferred", line)
        # held: carol has nothing yet
        time.sleep(1)
        self.assertEqual(self.pr.messages(CAROL[0]), [])

    def test_holduntil(self):
        until = (datetime.datetime.now(datetime.timezone.utc) +
                 datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        s = self.submit("Held two days", {"HOLDUNTIL": until})
        self.assertEqual(s["created"]["s"]["sendAt"], until)
        wait_for(lambda: self.held("Held two days"))
        # a time in the past: now
        s = self.submit("Sent now", {"HOLDUNTIL": "2001-01-01T00:00:00Z"})
        self.assertIn("s", s["created"])
        stored = self.pr.wait_messages(CAROL[0], 1)
        self.assertTrue(any(b"Subject: Sent now" in m for m in stored))

    def test_refused(self):
        for params, why in (({"HOLDFOR": str(MAX + 1)}, "maxDelayedSend"),
                            ({"HOLDFOR": "soon"}, "HOLDFOR"),
                            ({"HOLDUNTIL": "tomorrow"}, "HOLDUNTIL")):
            s = self.submit("Refused " + why, params)
            err = s["notCreated"]["s"]
            self.assertEqual(err["type"], "invalidProperties", err)
            self.assertEqual(err["properties"], ["envelope"])
            self.assertIsNone(self.held("Refused " + why))


if __name__ == "__main__":
    unittest.main()
