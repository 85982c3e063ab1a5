"""JMAP Mail (RFC 8621) against the same store as IMAP: imaplib on one
side, JMAP on the other, each change made through one seen through the
other at once (flags and keywords, moves, expunges and \\Deleted, new mail,
UIDs); a realistic session (query, threads, create with an attachment,
keywords, move, destroy, then /changes from the old state); Email/import,
EmailSubmission through the queue to a local account, and EventSource
push (§7.3 of RFC 8620) driven by a delivery."""
import calendar
import http.client
import imaplib
import json
import smtplib
import socket
import time
import unittest

from jmap_fixtures import Jmap, start, wait_for

BOB = ("bob@example.test", "bob-secret")
CAROL = ("carol@example.test", "carol-secret")


def deliver(pr, rcpt, subject, extra=""):
    msg = (f"From: Ann <ann@example.org>\r\nTo: {rcpt}\r\n"
           f"Subject: {subject}\r\n{extra}\r\nhello {subject}\r\n").encode()
    with smtplib.SMTP("127.0.0.1", pr.port) as c:
        c.sendmail("ann@example.org", [rcpt], msg)


class JmapMailTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start(users=(BOB, CAROL))
        cls.j = Jmap(cls.pr, *BOB)
        cls.j.get_session()
        cls.boxes = cls.j.mailbox_ids()

    @classmethod
    def tearDownClass(cls):
        cls.j.close()
        reports = cls.pr.sanitizer_reports()
        cls.pr.cleanup()
        assert not reports, reports

    def deliver(self, subject, extra=""):
        """Delivers a message to bob and waits until JMAP finds it."""
        deliver(self.pr, BOB[0], subject, extra)
        return wait_for(lambda: self.email_by_subject(subject))

    def imap(self):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap)
        m.login(*BOB)
        return m

    def email_by_subject(self, subject, props=("subject", "keywords",
                                                 "mailboxIds")):
        """The Email whose Subject is subject, or None. The filter finds
        the text anywhere in the Subject (RFC 8621 §4.4.1), so a query
        for "Story start" also lists "Re: Story start", first when it is
        newer: the match must be exact."""
        _, q = self.j.one("Email/query", {"filter": {"subject": subject}})
        self.assertIn("ids", q, q)
        if not q["ids"]:
            return None
        _, g = self.j.one("Email/get", {"ids": q["ids"], "properties":
                                        list(set(props) | {"subject"})})
        exact = [e for e in g["list"] if e["subject"] == subject]
        return exact[0] if exact else None

    def test_imap_to_jmap_and_back(self):
        self.deliver("Agree one")
        _, st = self.j.one("Email/get", {"ids": []})
        state0 = st["state"]
        m = self.imap()
        m.select("INBOX")
        typ, data = m.uid("SEARCH", "SUBJECT", '"Agree one"')
        uid = data[0].split()[-1]
        # IMAP sets \Flagged and a keyword: JMAP sees them
        m.uid("STORE", uid, "+FLAGS", "(\\Flagged $Label1)")
        e = self.email_by_subject("Agree one")
        self.assertEqual(e["keywords"], {"$flagged": True, "$label1": True})
        _, ch = self.j.one("Email/changes", {"sinceState": state0})
        self.assertIn(e["id"], ch["updated"])
        # JMAP sets $seen and drops $flagged: IMAP sees it
        _, s = self.j.one("Email/set", {"update": {e["id"]: {
            "keywords/$seen": True, "keywords/$flagged": None}}})
        self.assertIn(e["id"], s["updated"])
        m.noop()
        typ, data = m.uid("FETCH", uid, "(FLAGS)")
        flags = data[0].decode()
        self.assertIn("\\Seen", flags)
        self.assertNotIn("\\Flagged", flags)
        self.assertIn("$label1", flags.lower())
        # JMAP moves it to Archive: IMAP finds it there, gone from INBOX
        _, s = self.j.one("Email/set", {"update": {e["id"]: {
            "mailboxIds": {self.boxes["archive"]: True}}}})
        self.assertIn(e["id"], s["updated"])
        typ, data = m.uid("SEARCH", "SUBJECT", '"Agree one"')
        self.assertEqual(data[0], b"")
        m.select("Archive")
        typ, data = m.uid("SEARCH", "SUBJECT", '"Agree one"')
        archive_uid = data[0].split()[-1]
        # IMAP \Deleted hides it from JMAP, EXPUNGE destroys it
        m.uid("STORE", archive_uid, "+FLAGS", "(\\Deleted)")
        self.assertIsNone(self.email_by_subject("Agree one"))
        _, g = self.j.one("Email/get", {"ids": [e["id"]]})
        self.assertEqual(g["notFound"], [e["id"]])
        _, ch = self.j.one("Email/changes", {"sinceState": s["newState"]})
        self.assertIn(e["id"], ch["destroyed"])
        m.uid("STORE", archive_uid, "-FLAGS", "(\\Deleted)")
        self.assertIsNotNone(self.email_by_subject("Agree one"))
        m.uid("STORE", archive_uid, "+FLAGS", "(\\Deleted)")
        m.expunge()
        m.logout()
        _, ch = self.j.one("Email/changes", {"sinceState": state0})
        self.assertIn(e["id"], ch["destroyed"])

    def test_jmap_to_imap_uids_and_new_mail(self):
        m = self.imap()
        m.select("INBOX")
        uidnext_before = int(m.response("UIDNEXT")[1][0] or 0) \
            if m.response("UIDNEXT")[1][0] else None
        self.deliver("Agree two")
        e = self.email_by_subject("Agree two")
        self.assertEqual(list(e["mailboxIds"]), [self.boxes["inbox"]])
        m.noop()
        typ, data = m.uid("SEARCH", "SUBJECT", '"Agree two"')
        self.assertEqual(len(data[0].split()), 1)
        # JMAP destroys: IMAP's EXPUNGE/VANISHED and SEARCH agree
        _, s = self.j.one("Email/set", {"destroy": [e["id"]]})
        self.assertEqual(s["destroyed"], [e["id"]])
        m.noop()
        typ, data = m.uid("SEARCH", "SUBJECT", '"Agree two"')
        self.assertEqual(data[0], b"")
        m.logout()
        del uidnext_before

    def test_realistic_session(self):
        j = self.j
        original = self.deliver("Story start",
                                "Message-ID: <story1@example.org>\r\n")
        _, g = j.one("Email/get", {"ids": [original["id"]],
                                   "properties": ["receivedAt"]})
        received = time.strptime(g["list"][0]["receivedAt"],
                                 "%Y-%m-%dT%H:%M:%SZ")
        # the reply is received a minute later, so that it is the newer
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(
            calendar.timegm(received) + 60))
        _, old = j.one("Email/get", {"ids": []})
        old_state = old["state"]
        _, old = j.one("Mailbox/get", {"ids": []})
        old_mailbox_state = old["state"]
        # query the inbox, fetch the threads
        resp = j.call([
            ["Email/query", {"accountId": j.account, "filter": {
                "inMailbox": self.boxes["inbox"]}, "sort": [
                {"property": "receivedAt", "isAscending": False}],
                "collapseThreads": True, "limit": 20}, "q"],
            ["Email/get", {"accountId": j.account, "#ids": {
                "resultOf": "q", "name": "Email/query", "path": "/ids"},
                "properties": ["threadId", "subject"]}, "g"],
            ["Thread/get", {"accountId": j.account, "#ids": {
                "resultOf": "g", "name": "Email/get",
                "path": "/list/*/threadId"}}, "t"]])
        r = {x[2]: x[1] for x in resp["methodResponses"]}
        self.assertTrue(r["q"]["ids"])
        self.assertEqual(len(r["t"]["list"]), len(r["g"]["list"]))
        # a reply with an attachment, made as a draft
        status, up = j.upload(b"%PDF-1.4 test\n", "application/pdf")
        self.assertEqual(status, 201)
        _, s = j.one("Email/set", {"create": {"d1": {
            "mailboxIds": {self.boxes["drafts"]: True},
            "keywords": {"$draft": True, "$seen": True},
            "receivedAt": later,
            "from": [{"name": "Bob", "email": BOB[0]}],
            "to": [{"name": "Carol Ä", "email": CAROL[0]}],
            "subject": "Re: Story start",
            "inReplyTo": ["story1@example.org"],
            "references": ["story1@example.org"],
            "bodyValues": {"b": {"value": "Grüße\nsee attached\n"}},
            "textBody": [{"partId": "b", "type": "text/plain"}],
            "attachments": [{"blobId": up["blobId"], "type":
                             "application/pdf", "name": "a.pdf"}]}}})
        self.assertIn("d1", s["created"], s)
        draft = s["created"]["d1"]
        _, g = j.one("Email/get", {"ids": [draft["id"]], "properties": [
            "threadId", "subject", "to", "attachments", "bodyValues",
            "textBody", "keywords"], "fetchTextBodyValues": True})
        got = g["list"][0]
        self.assertEqual(got["subject"], "Re: Story start")
        self.assertEqual(got["to"], [{"name": "Carol Ä", "email": CAROL[0]}])
        self.assertEqual(got["attachments"][0]["name"], "a.pdf")
        self.assertEqual(got["attachments"][0]["type"], "application/pdf")
        part = got["textBody"][0]["partId"]
        self.assertEqual(got["bodyValues"][part]["value"],
                         "Grüße\nsee attached\n")
        # a subject filter finds the text: both, the newer reply first
        _, q = j.one("Email/query", {
            "filter": {"subject": "Story start"},
            "sort": [{"property": "receivedAt", "isAscending": False}]})
        self.assertEqual(q["ids"], [draft["id"], original["id"]])
        # the reply joined the thread of the message it answers
        start = self.email_by_subject("Story start",
                                      ("threadId", "subject"))
        self.assertEqual(start["id"], original["id"])
        self.assertEqual(got["threadId"], start["threadId"])
        # download the attachment part
        att = got["attachments"][0]["blobId"]
        status, _, body = j.request(
            "GET", f"/jmap/download/{j.account}/{att}/a.pdf")
        self.assertEqual((status, body), (200, b"%PDF-1.4 test\n"))
        # send it: carol gets it, the draft goes to Sent
        _, ids = j.one("Identity/get", {})
        resp = j.call([["EmailSubmission/set", {
            "accountId": j.account,
            "create": {"s1": {"identityId": ids["list"][0]["id"],
                              "emailId": draft["id"]}},
            "onSuccessUpdateEmail": {"#s1": {
                "mailboxIds/" + self.boxes["drafts"]: None,
                "mailboxIds/" + self.boxes["sent"]: True,
                "keywords/$draft": None}}}, "s"]])
        names = [x[0] for x in resp["methodResponses"]]
        self.assertEqual(names, ["EmailSubmission/set", "Email/set"])
        self.assertIn("s1", resp["methodResponses"][0][1]["created"])
        stored = self.pr.wait_messages(CAROL[0], 1)
        self.assertIn(b"Re: Story start", stored[0])
        self.assertNotIn(b"Bcc:", stored[0])
        e = self.email_by_subject("Re: Story start",
                                  ("mailboxIds", "keywords"))
        self.assertEqual(list(e["mailboxIds"]), [self.boxes["sent"]])
        self.assertNotIn("$draft", e["keywords"])
        # destroy the original, then /changes from the old state
        _, s = j.one("Email/set", {"destroy": [start["id"]]})
        _, ch = j.one("Email/changes", {"sinceState": old_state})
        self.assertIn(draft["id"], ch["created"], (old_state, ch))
        self.assertIn(start["id"], ch["destroyed"])
        self.assertEqual(ch["newState"], s["newState"])
        _, mch = j.one("Mailbox/changes",
                       {"sinceState": old_mailbox_state})
        self.assertIn(self.boxes["sent"], mch["updated"])
        self.assertEqual(mch["updatedProperties"], [
            "totalEmails", "unreadEmails", "totalThreads", "unreadThreads"])

    def test_forbidden_sender(self):
        e = self.deliver("Forged")
        _, s = self.j.one("EmailSubmission/set", {"create": {"x": {
            "identityId": "i1", "emailId": e["id"], "envelope": {
                "mailFrom": {"email": "ceo@example.test"},
                "rcptTo": [{"email": CAROL[0]}]}}}})
        self.assertEqual(s["notCreated"]["x"]["type"], "forbiddenMailFrom")

    def test_import_and_mailbox_set(self):
        raw = (b"From: x@example.org\r\nSubject: Imported\r\n"
               b"Message-ID: <imp@example.org>\r\n\r\nbody\r\n")
        status, up = self.j.upload(raw, "message/rfc822")
        _, s = self.j.one("Mailbox/set", {"create": {"f": {
            "name": "Projects", "parentId": None}}})
        folder = s["created"]["f"]["id"]
        _, s = self.j.one("Mailbox/set", {"create": {"c": {
            "name": "Child", "parentId": folder}}})
        child = s["created"]["c"]["id"]
        _, imp = self.j.one("Email/import", {"emails": {"i": {
            "blobId": up["blobId"], "mailboxIds": {child: True},
            "keywords": {"$seen": True},
            "receivedAt": "2020-01-02T03:04:05Z"}}})
        self.assertIn("i", imp["created"], imp)
        _, g = self.j.one("Email/get", {"ids": [imp["created"]["i"]["id"]],
                                        "properties": ["receivedAt",
                                                       "keywords"]})
        self.assertEqual(g["list"][0]["receivedAt"], "2020-01-02T03:04:05Z")
        # IMAP sees the hierarchy and the message
        m = self.imap()
        typ, data = m.list()
        self.assertTrue(any(b"Projects/Child" in line for line in data))
        m.select("Projects/Child")
        typ, data = m.uid("SEARCH", "SEEN")
        self.assertEqual(len(data[0].split()), 1)
        m.logout()
        _, s = self.j.one("Mailbox/set", {"destroy": [folder]})
        self.assertEqual(s["notDestroyed"][folder]["type"],
                         "mailboxHasChild")
        _, s = self.j.one("Mailbox/set", {"destroy": [child]})
        self.assertEqual(s["notDestroyed"][child]["type"],
                         "mailboxHasEmail")

    def test_eventsource(self):
        sock = socket.create_connection(("127.0.0.1", self.pr.http),
                                        timeout=20)
        sock.sendall((
            "GET /jmap/eventsource/?types=*&closeafter=no&ping=0 HTTP/1.1"
            f"\r\nHost: x\r\nAuthorization: {self.j.auth}\r\n\r\n"
        ).encode())
        buf = b""

        def events():
            nonlocal buf
            buf += sock.recv(65536)
            return buf.count(b"event: state")

        wait_for(lambda: events() >= 1)
        self.assertIn(b"text/event-stream", buf)
        deliver(self.pr, BOB[0], "Pushed")
        wait_for(lambda: events() >= 2)
        last = buf.split(b"event: state")[-1]
        data = json.loads(last.split(b"data: ")[1].split(b"\n")[0])
        self.assertEqual(data["@type"], "StateChange")
        self.assertIn("Email", data["changed"][self.j.account])
        sock.close()


if __name__ == "__main__":
    unittest.main()
