"""Foo/queryChanges (RFC 8620 §5.6) for Mailbox and Email, and Foo/copy
(§5.4) between the accounts a user reaches (only the own one today).
queryChanges is checked the way a client uses it: keep the ids of a
query, apply removed then added, and get exactly what the query gives
now, after new mail, a keyword change that moves an Email out of a
filter, a destroy, and (collapsing threads) a reply that takes its
thread's place; maxChanges is tooManyChanges, a bad state
cannotCalculateChanges."""
import smtplib
import unittest

from jmap_fixtures import CORE, MAIL, Jmap, start, wait_for

BOB = ("bob@example.test", "bob-secret-1")
CAROL = ("carol@example.test", "carol-secret-1")
CONTACTS = "urn:ietf:params:jmap:contacts"


def apply(ids, qc):
    """A client's update of its cached ids (§5.6)."""
    ids = [i for i in ids if i not in set(qc["removed"])]
    for a in sorted(qc["added"], key=lambda a: a["index"]):
        ids.insert(a["index"], a["id"])
    return ids


class JmapQueryChangesTest(unittest.TestCase):
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
        msg = (f"From: ann@example.org\r\nTo: {BOB[0]}\r\n"
               f"Subject: {subject}\r\n{extra}\r\nhello\r\n").encode()
        with smtplib.SMTP("127.0.0.1", self.pr.port) as c:
            c.sendmail("ann@example.org", [BOB[0]], msg)

    def query(self, args):
        _, r = self.j.one("Email/query", args)
        return r

    def check(self, args, old):
        """queryChanges from old applied to old's ids gives the query's
        ids now."""
        _, qc = self.j.one("Email/queryChanges",
                           dict(args, sinceQueryState=old["queryState"]))
        self.assertEqual(qc["oldQueryState"], old["queryState"])
        now = self.query(args)
        self.assertEqual(qc["newQueryState"], now["queryState"])
        self.assertEqual(apply(old["ids"], qc), now["ids"], qc)
        return now, qc

    def test_email(self):
        for i in range(3):
            self.deliver(f"Message {i}", f"Message-ID: <m{i}@x>\r\n")
        inbox = {"filter": {"inMailbox": self.boxes["inbox"],
                            "notKeyword": "$seen"},
                 "sort": [{"property": "receivedAt",
                           "isAscending": False}]}
        wait_for(lambda: len(self.query(inbox)["ids"]) == 3)
        old = first = self.query(inbox)
        self.assertTrue(old["canCalculateChanges"])
        # new mail, one seen (leaves the filter), one destroyed
        self.deliver("Message 3", "Message-ID: <m3@x>\r\n")
        wait_for(lambda: len(self.query(inbox)["ids"]) == 4)
        ids = self.query(inbox)["ids"]
        self.j.one("Email/set", {"update": {ids[1]: {"keywords/$seen": True}},
                                 "destroy": [ids[2]]})
        now, qc = self.check(inbox, old)
        self.assertEqual(len(now["ids"]), 2)
        self.assertIn(ids[1], qc["removed"])
        self.assertEqual(qc["added"][0], {"id": ids[0], "index": 0})
        # collapsed threads: a reply takes its thread's place
        coll = {"filter": {"inMailbox": self.boxes["inbox"]},
                "collapseThreads": True}
        old = self.query(coll)
        self.deliver("Re: Message 0", "Message-ID: <r0@x>\r\n"
                     "In-Reply-To: <m0@x>\r\nReferences: <m0@x>\r\n")
        wait_for(lambda: self.query(coll)["queryState"] !=
                 old["queryState"])
        now, qc = self.check(coll, old)
        self.assertEqual(len(now["ids"]), len(old["ids"]))
        # limits and bad states
        _, r = self.j.one("Email/queryChanges", dict(
            inbox, sinceQueryState=first["queryState"], maxChanges=1))
        self.assertEqual(r["type"], "tooManyChanges")
        for bad in ("x1", "99999999"):
            _, r = self.j.one("Email/queryChanges",
                              dict(inbox, sinceQueryState=bad))
            self.assertEqual(r["type"], "cannotCalculateChanges")
        _, r = self.j.one("Email/queryChanges", {"filter": None})
        self.assertEqual(r["type"], "invalidArguments")

    def test_mailbox(self):
        args = {"filter": {"hasAnyRole": False},
                "sort": [{"property": "name"}]}
        _, old = self.j.one("Mailbox/query", args)
        self.assertTrue(old["canCalculateChanges"])
        _, s = self.j.one("Mailbox/set", {"create": {
            "a": {"name": "Alpha", "parentId": None},
            "z": {"name": "Zulu", "parentId": None}}})
        z = s["created"]["z"]["id"]
        self.j.one("Mailbox/set", {"update": {z: {"name": "Beta"}}})
        _, qc = self.j.one("Mailbox/queryChanges",
                           dict(args, sinceQueryState=old["queryState"],
                                calculateTotal=True))
        _, now = self.j.one("Mailbox/query", args)
        self.assertEqual(apply(old["ids"], qc), now["ids"])
        self.assertEqual(qc["total"], len(now["ids"]))
        self.assertEqual(now["ids"][-1], z)

    def test_copy(self):
        carol = Jmap(self.pr, *CAROL)
        carol.get_session()
        e = self.query({})["ids"][:1] or ["e" + "0" * 32]
        create = {"c": {"id": e[0], "mailboxIds": {self.boxes["inbox"]:
                                                   True}}}
        for from_, to, want in (
                (self.j.account, self.j.account, "invalidArguments"),
                (carol.account, self.j.account, "fromAccountNotFound"),
                (self.j.account, carol.account, "accountNotFound")):
            _, r = self.j.one("Email/copy", {"fromAccountId": from_,
                                             "accountId": to,
                                             "create": create})
            self.assertEqual(r["type"], want, (from_, to))
        _, r = self.j.one("ContactCard/copy", {
            "fromAccountId": carol.account, "accountId": self.j.account,
            "create": {}}, using=[CORE, CONTACTS])
        self.assertEqual(r["type"], "fromAccountNotFound")
        carol.close()


if __name__ == "__main__":
    unittest.main()
