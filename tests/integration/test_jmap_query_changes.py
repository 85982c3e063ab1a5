"""Foo/queryChanges (RFC 8620 §5.6) for Mailbox, Email, ContactCard
(RFC 9610 §3.6), CalendarEvent, Task and JournalEntry, and Foo/copy
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
CALS = "urn:ietf:params:jmap:calendars"
TASKS = "urn:ietf:params:jmap:tasks"
JOURNAL = "urn:postroom:jmap:journal"
DAV = [CORE, CONTACTS, CALS, TASKS, JOURNAL]


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

    def dav(self, name, args):
        return self.j.one(name, args, using=DAV)

    def dav_check(self, typ, args, old):
        """queryChanges from old: the fields of §5.6, and old's ids with
        removed and added applied are the query's ids now."""
        name, qc = self.dav(f"{typ}/queryChanges", dict(
            args, sinceQueryState=old["queryState"], calculateTotal=True))
        self.assertEqual(name, f"{typ}/queryChanges", qc)
        _, now = self.dav(f"{typ}/query", args)
        _, got = self.dav(f"{typ}/get", {"ids": []})
        self.assertEqual(qc["accountId"], self.j.account)
        self.assertEqual(qc["oldQueryState"], old["queryState"])
        self.assertEqual(qc["newQueryState"], now["queryState"])
        self.assertEqual(now["queryState"], got["state"])
        self.assertEqual(qc["total"], len(now["ids"]))
        self.assertEqual(apply(old["ids"], qc), now["ids"], qc)
        return now, qc

    def dav_errors(self, typ, args, since, changes):
        """maxChanges below the changes is tooManyChanges, at them not;
        a state not ours is cannotCalculateChanges."""
        q = dict(args, sinceQueryState=since)
        if changes > 1:
            _, r = self.dav(f"{typ}/queryChanges",
                            dict(q, maxChanges=changes - 1))
            self.assertEqual(r["type"], "tooManyChanges", r)
        name, r = self.dav(f"{typ}/queryChanges", dict(q, maxChanges=changes))
        self.assertEqual(name, f"{typ}/queryChanges", r)
        for bad in ("x1", "99999999", "-1"):
            _, r = self.dav(f"{typ}/queryChanges",
                            dict(args, sinceQueryState=bad))
            self.assertEqual(r["type"], "cannotCalculateChanges", bad)
        _, r = self.dav(f"{typ}/queryChanges", {"filter": None})
        self.assertEqual(r["type"], "invalidArguments", r)

    def test_contact_card(self):
        _, r = self.dav("AddressBook/set", {"create": {"b": {"name": "QC"}}})
        book = r["created"]["b"]["id"]

        def card(surname, vip):
            c = {"addressBookIds": {book: True},
                 "name": {"components": [{"kind": "surname",
                                          "value": surname}]}}
            if vip:
                c["notes"] = {"n": {"note": "VIP client"}}
            return c
        _, r = self.dav("ContactCard/set", {"create": {
            "a": card("Adams", True), "c": card("Clark", True),
            "d": card("Davis", True), "e": card("Evans", False),
            "o": card("Other", True)}})
        ids = {k: v["id"] for k, v in r["created"].items()}
        args = {"filter": {"inAddressBook": book, "note": "vip"},
                "sort": [{"property": "name/surname"}]}
        _, old = self.dav("ContactCard/query", args)
        self.assertTrue(old["canCalculateChanges"])
        self.assertEqual(old["ids"], [ids[k] for k in "acdo"])
        # a create that enters, an update that leaves, one that enters,
        # a destroy
        _, r = self.dav("ContactCard/set", {"create": {
            "b": card("Baker", True)}})
        ids["b"] = r["created"]["b"]["id"]
        _, r = self.dav("ContactCard/set", {
            "update": {ids["c"]: {"notes": None},
                       ids["e"]: {"notes": {"n": {"note": "now a vip"}}}},
            "destroy": [ids["d"]]})
        self.assertEqual(sorted(r["updated"]), sorted([ids["c"], ids["e"]]))
        self.assertEqual(r["destroyed"], [ids["d"]])
        now, qc = self.dav_check("ContactCard", args, old)
        self.assertEqual(now["ids"], [ids[k] for k in "abeo"])
        self.assertEqual(sorted(qc["removed"]),
                         sorted(ids[k] for k in "bcde"))
        self.assertEqual(qc["added"], [{"id": ids["b"], "index": 1},
                                       {"id": ids["e"], "index": 2}])
        # nothing changed since now
        _, qc = self.dav("ContactCard/queryChanges",
                         dict(args, sinceQueryState=now["queryState"]))
        self.assertEqual((qc["removed"], qc["added"]), ([], []))
        self.assertEqual(qc["newQueryState"], now["queryState"])
        self.dav_errors("ContactCard", args, old["queryState"], 4)
        _, r = self.dav("ContactCard/queryChanges", {
            "filter": {"bogus": 1}, "sinceQueryState": now["queryState"]})
        self.assertEqual(r["type"], "unsupportedFilter")

    def test_calendar_event(self):
        _, r = self.dav("Calendar/set", {"create": {"k": {"name": "QC"}}})
        cal = r["created"]["k"]["id"]

        def event(title, day):
            return {"@type": "Event", "calendarIds": {cal: True},
                    "title": title, "start": f"2025-03-{day:02}T10:00:00",
                    "timeZone": "Etc/UTC", "duration": "PT1H"}
        _, r = self.dav("CalendarEvent/set", {"create": {
            "a": event("Standup A", 3), "b": event("Standup B", 4),
            "l": event("Lunch", 5), "x": event("Standup X", 20)}})
        ids = {k: v["id"] for k, v in r["created"].items()}
        args = {"filter": {"inCalendars": [cal], "title": "standup",
                           "before": "2025-03-15T00:00:00Z"}}
        _, old = self.dav("CalendarEvent/query", args)
        self.assertTrue(old["canCalculateChanges"])
        self.assertEqual(sorted(old["ids"]), sorted([ids["a"], ids["b"]]))
        _, r = self.dav("CalendarEvent/set", {
            "create": {"n": event("Standup new", 6)},
            "update": {ids["a"]: {"title": "Review"},
                       ids["l"]: {"title": "Standup lunch"},
                       ids["x"]: {"title": "Standup moved"}},
            "destroy": [ids["b"]]})
        ids["n"] = r["created"]["n"]["id"]
        self.assertEqual(len(r["updated"]), 3, r)
        now, qc = self.dav_check("CalendarEvent", args, old)
        self.assertEqual(sorted(now["ids"]), sorted([ids["l"], ids["n"]]))
        self.assertEqual(sorted(qc["removed"]),
                         sorted(ids[k] for k in "abnlx"))
        self.assertEqual(sorted(a["id"] for a in qc["added"]),
                         sorted([ids["l"], ids["n"]]))
        for a in qc["added"]:
            self.assertEqual(now["ids"][a["index"]], a["id"])
        self.dav_errors("CalendarEvent", args, old["queryState"], 5)

    def test_task_and_journal(self):
        _, r = self.dav("Calendar/get", {"ids": None})
        for typ, obj in (("Task", {"title": "Do it", "due":
                                   "2025-04-15T17:00:00"}),
                         ("JournalEntry", {"title": "Dear diary", "start":
                                           "2025-03-01T00:00:00"})):
            cal = next(c["id"] for c in r["list"]
                       if c["postroom.org:types"] == [typ])
            args = {"filter": {"inCalendars": [cal]}}
            _, old = self.dav(f"{typ}/query", args)
            self.assertTrue(old["canCalculateChanges"], typ)
            name, made = self.dav(f"{typ}/set", {"create": {"t": dict(
                obj, calendarIds={cal: True}, timeZone="Etc/UTC",
                **{"@type": typ})}})
            self.assertIn("t", made.get("created", {}), (name, made))
            tid = made["created"]["t"]["id"]
            now, qc = self.dav_check(typ, args, old)
            self.assertEqual(qc["removed"], [tid])
            self.assertEqual(qc["added"],
                             [{"id": tid, "index": now["ids"].index(tid)}])
            self.dav_errors(typ, args, old["queryState"], 1)

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
