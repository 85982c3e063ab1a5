"""Calendars and address books other users share, over JMAP (RFC 8620
§1.6.2 and §2: other accounts in the Session; RFC 9610 and the JMAP
Calendars draft: myRights, shareWith). alice shares her address book with
bob read-only and her calendar read-write (postroomctl dav share); bob's
Session then holds alice's account under alice's own accountId, not
personal, with only the contacts and calendars capabilities. On it bob
sees exactly the shared collections with the share's rights, reads cards
and events, edits and creates events (alice sees them over CalDAV, with a
new ETag and sync token), is refused forbidden on the read-only book with
nothing stored, never sees alice's private calendar or its events (get,
query, changes, a set naming them), gets accountNotSupportedByMethod for
mail, submission, Sieve and vacation methods there; eve, with no share,
gets accountNotFound; /changes follow alice's CalDAV writes; changing or
ending a share changes the Session (and old states are
cannotCalculateChanges)."""
import asyncio
import json
import socket
import sys
import unittest

try:
    import websockets
except ImportError:
    # Debian's python3-websockets (scripts/install-deps)
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import websockets
    except ImportError:
        websockets = None

from dav_fixtures import (BOB, EVE, PASSWORDS, book, cal, curl, event,
                          multistatus, propfind_body, vcard)
from jmap_fixtures import CORE, MAIL, SUBMISSION, Jmap, start, wait_for

ALICE = "alice@example.test"
ALICE_PASSWORD = "alice-secret"
CONTACTS = "urn:ietf:params:jmap:contacts"
CALS = "urn:ietf:params:jmap:calendars"
TASKS = "urn:ietf:params:jmap:tasks"
JOURNAL = "urn:postroom:jmap:journal"
SIEVE = "urn:ietf:params:jmap:sieve"
VACATION = "urn:ietf:params:jmap:vacationresponse"
USING = [CORE, CONTACTS, CALS, TASKS, JOURNAL]
ALL = [CORE, MAIL, SUBMISSION, CONTACTS, CALS, TASKS, JOURNAL, SIEVE,
       VACATION]
CT_CAL = {"Content-Type": "text/calendar"}
CT_CARD = {"Content-Type": "text/vcard"}


class JmapShareTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start(users=((BOB, PASSWORDS[BOB]), (EVE, PASSWORDS[EVE]),
                              (ALICE, ALICE_PASSWORD)))
        cls.base = f"http://127.0.0.1:{cls.pr.http}"
        cls.alice_j = Jmap(cls.pr, ALICE, ALICE_PASSWORD)
        cls.alice_j.get_session()
        cls.aid = cls.alice_j.account
        # alice's data: two shared events, two cards, and a private
        # calendar with an event of its own
        for i in range(2):
            r = cls.alice("PUT", cal(user=ALICE) + f"a{i}.ics",
                          event(f"a-{i}", f"2024011{i}T100000Z",
                                f"2024011{i}T110000Z", f"Alice {i}"), CT_CAL)
            assert r.status == 201, r
            r = cls.alice("PUT", book(user=ALICE) + f"c{i}.vcf",
                          vcard(f"c-{i}", f"Carl Card{i}",
                                f"carl{i}@example.org"), CT_CARD)
            assert r.status == 201, r
        _, r = cls.alice_j.one("Calendar/set", {"create": {
            "p": {"name": "Private"}}}, using=USING)
        cls.private_cal = r["created"]["p"]["id"]
        _, r = cls.alice_j.one("CalendarEvent/set", {"create": {"e": {
            "@type": "Event", "calendarIds": {cls.private_cal: True},
            "uid": "secret-1", "title": "Secret", "start":
            "2024-01-12T10:00:00", "timeZone": "Etc/UTC",
            "duration": "PT1H"}}}, using=USING)
        cls.private_event = r["created"]["e"]["id"]
        cls.pr.ctl("dav", "share", ALICE, "addressbooks/contacts", BOB,
                   "read")
        cls.pr.ctl("dav", "share", ALICE, "calendar", BOB, "read-write")
        cls.bob = Jmap(cls.pr, BOB, PASSWORDS[BOB])
        cls.bob.get_session()
        cls.eve = Jmap(cls.pr, EVE, PASSWORDS[EVE])
        cls.eve.get_session()

    @classmethod
    def tearDownClass(cls):
        for j in (cls.alice_j, cls.bob, cls.eve):
            j.close()
        reports = cls.pr.sanitizer_reports()
        cls.pr.cleanup()
        assert not reports, reports

    @classmethod
    def alice(cls, method, path, body=None, headers=None):
        return curl(cls.base, method, path, body, headers, ALICE,
                    ALICE_PASSWORD)

    def on_alice(self, name, args, who=None, using=None):
        """One call of bob's (or who's) on alice's account."""
        args = dict(args)
        args["accountId"] = self.aid
        return (who or self.bob).one(name, args, using=using or USING)

    def own(self, name, args):
        return self.alice_j.one(name, args, using=USING)

    def alice_ids(self, type_, coll_type):
        """alice's own view: {collection name: id}, {uid: object id}."""
        _, r = self.own(f"{coll_type}/get", {"ids": None})
        colls = {c["name"]: c["id"] for c in r["list"]}
        _, r = self.own(f"{type_}/get", {"ids": None,
                                         "properties": ["uid"]})
        return colls, {o["uid"]: o["id"] for o in r["list"]}

    def alice_etags(self, path):
        """{href: ETag} of the members of alice's collection path."""
        r = self.alice("PROPFIND", path, propfind_body("D:getetag"),
                       {"Depth": "1"})
        props, _ = multistatus(r)
        return {h: p["{DAV:}getetag"][1].text for h, p in props.items()
                if h != path}

    def alice_sync_token(self, path):
        r = self.alice("PROPFIND", path, propfind_body("D:sync-token"),
                       {"Depth": "0"})
        props, _ = multistatus(r)
        code, el = props[path]["{DAV:}sync-token"]
        self.assertEqual(code, 200)
        return el.text

    # ---- the Session ----

    def test_session_lists_the_owner(self):
        s = self.bob.get_session()
        self.assertEqual(self.bob.account, s["primaryAccounts"][MAIL])
        self.assertNotEqual(self.aid, self.bob.account)
        self.assertEqual(sorted(s["accounts"]),
                         sorted([self.bob.account, self.aid]))
        a = s["accounts"][self.aid]
        self.assertEqual(a["name"], ALICE)
        self.assertIs(a["isPersonal"], False)
        # one share is read-write
        self.assertIs(a["isReadOnly"], False)
        self.assertEqual(sorted(a["accountCapabilities"]),
                         sorted([CONTACTS, CALS, TASKS, JOURNAL]))
        self.assertIs(a["accountCapabilities"][CALS]["mayCreateCalendar"],
                      False)
        self.assertIs(a["accountCapabilities"][CONTACTS]
                      ["mayCreateAddressBook"], False)
        # primaryAccounts stay bob's own
        for cap, acct in s["primaryAccounts"].items():
            self.assertEqual(acct, self.bob.account, cap)
        own = s["accounts"][self.bob.account]
        self.assertIs(own["isPersonal"], True)
        self.assertIn(MAIL, own["accountCapabilities"])
        # neither alice nor eve sees bob's or alice's account
        for j in (self.alice_j, self.eve):
            self.assertEqual(list(j.get_session()["accounts"]), [j.account])

    # ---- AddressBook/get, Calendar/get ----

    def test_collections_and_rights(self):
        colls, _ = self.alice_ids("ContactCard", "AddressBook")
        name, r = self.on_alice("AddressBook/get", {"ids": None})
        self.assertEqual(name, "AddressBook/get", r)
        self.assertEqual(r["accountId"], self.aid)
        self.assertEqual(len(r["list"]), 1, r)
        b = r["list"][0]
        self.assertEqual(b["id"], colls[b["name"]])
        self.assertIsNone(b["shareWith"])
        self.assertEqual(b["myRights"], {"mayRead": True, "mayWrite": False,
                                         "mayShare": False,
                                         "mayDelete": False})
        cals, _ = self.alice_ids("CalendarEvent", "Calendar")
        _, r = self.on_alice("Calendar/get", {"ids": None})
        self.assertEqual([c["id"] for c in r["list"]],
                         [cals[r["list"][0]["name"]]])
        c = r["list"][0]
        self.assertNotEqual(c["id"], self.private_cal)
        self.assertIsNone(c["shareWith"])
        rights = c["myRights"]
        for k in ("mayRead", "mayWrite", "mayReadItems", "mayWriteAll",
                  "mayWriteOwn", "mayUpdatePrivate", "mayRSVP"):
            self.assertIs(rights[k], True, k)
        for k in ("mayShare", "mayDelete", "mayAdmin"):
            self.assertIs(rights[k], False, k)
        # alice's own rights on the same calendar are an owner's
        _, r = self.own("Calendar/get", {"ids": [c["id"]]})
        self.assertIs(r["list"][0]["myRights"]["mayAdmin"], True)
        # her private calendar and the unshared tasks do not exist here
        _, r = self.on_alice("Calendar/get", {
            "ids": [self.private_cal, cals["Tasks"], c["id"]]})
        self.assertEqual([x["id"] for x in r["list"]], [c["id"]])
        self.assertEqual(r["notFound"], [self.private_cal, cals["Tasks"]])

    # ---- reading members ----

    def test_reads_cards_and_events(self):
        _, cards = self.alice_ids("ContactCard", "AddressBook")
        _, r = self.on_alice("ContactCard/get", {"ids": None})
        self.assertEqual(sorted(x["uid"] for x in r["list"]),
                         ["c-0", "c-1"])
        self.assertIn("Carl Card0", [x["name"]["full"] for x in r["list"]])
        _, r = self.on_alice("ContactCard/query", {})
        self.assertEqual(sorted(r["ids"]), sorted([cards["c-0"],
                                                  cards["c-1"]]))
        _, events = self.alice_ids("CalendarEvent", "Calendar")
        _, r = self.on_alice("CalendarEvent/get", {"ids": None})
        uids = sorted(x["uid"] for x in r["list"])
        self.assertIn("a-0", uids)
        self.assertNotIn("secret-1", uids)
        ev = [x for x in r["list"] if x["uid"] == "a-1"][0]
        self.assertEqual(ev["title"], "Alice 1")
        _, r = self.on_alice("CalendarEvent/query", {})
        self.assertIn(events["a-0"], r["ids"])
        self.assertNotIn(self.private_event, r["ids"])
        _, r = self.on_alice("CalendarEvent/query", {"filter": {
            "inCalendars": [self.private_cal]}})
        self.assertEqual(r["ids"], [])
        _, r = self.on_alice("CalendarEvent/get", {
            "ids": [self.private_event]})
        self.assertEqual((r["list"], r["notFound"]),
                         ([], [self.private_event]))
        # tasks live in alice's unshared "tasks": none here
        _, r = self.on_alice("Task/get", {"ids": None})
        self.assertEqual(r["list"], [])

    # ---- writing ----

    def test_edit_and_create_event_in_read_write_calendar(self):
        cals, events = self.alice_ids("CalendarEvent", "Calendar")
        path = cal(user=ALICE)
        etag = self.alice("GET", path + "a0.ics").header("ETag")
        token = self.alice_sync_token(path)
        _, r = self.on_alice("CalendarEvent/set", {"update": {
            events["a-0"]: {"title": "Edited by Bob"}}})
        self.assertIn(events["a-0"], r.get("updated") or {}, r)
        got = self.alice("GET", path + "a0.ics")
        self.assertIn("SUMMARY:Edited by Bob", got.body.decode())
        self.assertNotEqual(got.header("ETag"), etag)
        self.assertNotEqual(self.alice_sync_token(path), token)
        _, r = self.on_alice("CalendarEvent/set", {"create": {"n": {
            "@type": "Event", "calendarIds": {cals["Calendar"]: True},
            "uid": "from-bob", "title": "From Bob",
            "start": "2024-01-20T12:00:00", "timeZone": "Etc/UTC",
            "duration": "PT1H"}}})
        self.assertIn("n", r.get("created") or {}, r)
        r2 = self.alice("REPORT", path, '<?xml version="1.0"?>'
                        '<C:calendar-query xmlns:D="DAV:" xmlns:C='
                        '"urn:ietf:params:xml:ns:caldav"><D:prop>'
                        '<C:calendar-data/></D:prop><C:filter>'
                        '<C:comp-filter name="VCALENDAR"/></C:filter>'
                        '</C:calendar-query>', {"Depth": "1"})
        self.assertIn("UID:from-bob", r2.body.decode())
        # nothing of bob's own changed: the event is alice's only
        _, mine = self.bob.one("CalendarEvent/get", {"ids": None},
                               using=USING)
        self.assertNotIn("from-bob", [x["uid"] for x in mine["list"]])
        # into alice's private calendar: forbidden, nothing written
        _, r = self.on_alice("CalendarEvent/set", {"create": {"x": {
            "@type": "Event", "calendarIds": {self.private_cal: True},
            "uid": "sneaky", "title": "No", "start": "2024-01-20T12:00:00",
            "timeZone": "Etc/UTC"}}, "update": {self.private_event: {
                "title": "No"}}, "destroy": [self.private_event]})
        self.assertEqual(r["notCreated"]["x"]["type"], "forbidden")
        self.assertEqual(r["notUpdated"][self.private_event]["type"],
                         "notFound")
        self.assertEqual(r["notDestroyed"][self.private_event]["type"],
                         "notFound")
        _, own = self.own("CalendarEvent/get", {"ids": None,
                                                "properties": ["uid",
                                                               "title"]})
        titles = {x["uid"]: x["title"] for x in own["list"]}
        self.assertNotIn("sneaky", titles)
        self.assertTrue(titles["secret-1"].startswith("Secret"))
        # the calendar itself stays alice's: no rename, no destroy
        _, r = self.on_alice("Calendar/set", {
            "update": {cals["Calendar"]: {"name": "Mine"}},
            "destroy": [cals["Calendar"]],
            "create": {"c": {"name": "Bob's"}}})
        self.assertEqual(r["notUpdated"][cals["Calendar"]]["type"],
                         "forbidden")
        self.assertEqual(r["notDestroyed"][cals["Calendar"]]["type"],
                         "forbidden")
        self.assertEqual(r["notCreated"]["c"]["type"], "forbidden")
        _, r = self.on_alice("Calendar/set", {
            "destroy": [self.private_cal]})
        self.assertEqual(r["notDestroyed"][self.private_cal]["type"],
                         "notFound")
        cals_after, _ = self.alice_ids("CalendarEvent", "Calendar")
        self.assertEqual(cals_after, cals)

    def test_writes_count_against_the_owners_quota(self):
        # RFC 4331 §6 as for a CalDAV PUT: the owner's quota, not bob's
        cals, _ = self.alice_ids("CalendarEvent", "Calendar")
        before = self.alice_etags(cal(user=ALICE))
        create = {"q": {"@type": "Event",
                        "calendarIds": {cals["Calendar"]: True},
                        "uid": "over-quota", "title": "Too much",
                        "start": "2024-01-21T12:00:00",
                        "timeZone": "Etc/UTC"}}
        self.pr.ctl("account", "quota", ALICE, "1")
        try:
            _, r = self.on_alice("CalendarEvent/set", {"create": create})
            self.assertEqual(r["notCreated"]["q"]["type"], "overQuota", r)
            self.assertEqual(self.alice_etags(cal(user=ALICE)), before)
            # bob's own calendar is his own quota's
            _, mine = self.bob.one("Calendar/get", {"ids": None},
                                   using=USING)
            own = dict(create["q"], calendarIds={
                [c["id"] for c in mine["list"] if c["isDefault"]][0]: True})
            _, r = self.bob.one("CalendarEvent/set", {"create": {"q": own}},
                                using=USING)
            self.assertIn("q", r.get("created") or {}, r)
        finally:
            self.pr.ctl("account", "quota", ALICE, "unlimited")
        _, r = self.on_alice("CalendarEvent/set", {"create": create})
        self.assertIn("q", r.get("created") or {}, r)

    def test_read_only_book_refuses_writes(self):
        books, cards = self.alice_ids("ContactCard", "AddressBook")
        before = self.alice_etags(book(user=ALICE))
        self.assertEqual(len(before), 2)
        _, r = self.on_alice("ContactCard/set", {
            "create": {"k": {"@type": "Card", "version": "1.0",
                             "addressBookIds": {books["Contacts"]: True},
                             "name": {"full": "Not Allowed"}}},
            "update": {cards["c-0"]: {"name/full": "Changed"}},
            "destroy": [cards["c-1"]]})
        self.assertEqual(r["notCreated"]["k"]["type"], "forbidden", r)
        self.assertEqual(r["notUpdated"][cards["c-0"]]["type"], "forbidden")
        self.assertEqual(r["notDestroyed"][cards["c-1"]]["type"],
                         "forbidden")
        self.assertFalse(r.get("created"))
        self.assertFalse(r.get("updated"))
        self.assertFalse(r.get("destroyed"))
        self.assertEqual(self.alice_etags(book(user=ALICE)), before)
        self.assertIn("FN:Carl Card0", self.alice(
            "GET", book(user=ALICE) + "c0.vcf").body.decode())
        _, r = self.on_alice("AddressBook/set", {"create": {
            "b": {"name": "Bob's"}}})
        self.assertEqual(r["notCreated"]["b"]["type"], "forbidden")

    # ---- refusals ----

    def test_other_methods_not_supported(self):
        calls = [("Mailbox/get", {"ids": None}),
                 ("Email/query", {}),
                 ("Email/get", {"ids": []}),
                 ("Thread/get", {"ids": []}),
                 ("Identity/get", {"ids": None}),
                 ("EmailSubmission/get", {"ids": None}),
                 ("SieveScript/get", {"ids": None}),
                 ("VacationResponse/get", {"ids": None})]
        for method, args in calls:
            name, r = self.on_alice(method, args, using=ALL)
            self.assertEqual((name, r["type"]),
                             ("error", "accountNotSupportedByMethod"),
                             method)
        # a copy into the shared account is not one either
        name, r = self.bob.one("ContactCard/copy", {
            "fromAccountId": self.bob.account, "accountId": self.aid,
            "create": {}}, using=USING)
        self.assertEqual((name, r["type"]),
                         ("error", "accountNotSupportedByMethod"))
        # and alice's account id names no blob of bob's
        status, _, _ = self.bob.request(
            "POST", f"/jmap/upload/{self.aid}/", body=b"x",
            headers={"Content-Type": "text/plain"})
        self.assertEqual(status, 404)

    def test_third_user_gets_account_not_found(self):
        for method in ("AddressBook/get", "Calendar/get",
                       "CalendarEvent/get", "ContactCard/get",
                       "Mailbox/get"):
            name, r = self.on_alice(method, {"ids": None}, who=self.eve,
                                    using=ALL)
            self.assertEqual((name, r["type"]), ("error",
                                                 "accountNotFound"), method)

    # ---- changes ----

    def test_changes_follow_the_owner(self):
        _, r = self.on_alice("CalendarEvent/get", {"ids": []})
        state = r["state"]
        _, r = self.on_alice("ContactCard/get", {"ids": []})
        card_state = r["state"]
        self.assertEqual(self.alice("PUT", cal(user=ALICE) + "new.ics",
                                    event("a-new", summary="New"),
                                    CT_CAL).status, 201)
        _, r = self.own("CalendarEvent/set", {"create": {"e": {
            "@type": "Event", "calendarIds": {self.private_cal: True},
            "uid": "secret-3", "title": "Secret 3",
            "start": "2024-01-13T10:00:00", "timeZone": "Etc/UTC"}}})
        secret3 = r["created"]["e"]["id"]
        _, r = self.own("CalendarEvent/set", {"update": {
            self.private_event: {"title": "Secret, edited"}}})
        self.assertIn(self.private_event, r["updated"])
        self.assertEqual(self.alice(
            "PUT", book(user=ALICE) + "c1.vcf",
            vcard("c-1", "Carl Renamed", "carl1@example.org"),
            CT_CARD).status, 204)
        _, events = self.alice_ids("CalendarEvent", "Calendar")
        _, cards = self.alice_ids("ContactCard", "AddressBook")
        name, r = self.on_alice("CalendarEvent/changes",
                                {"sinceState": state})
        self.assertEqual(name, "CalendarEvent/changes", r)
        self.assertEqual(r["created"], [events["a-new"]])
        self.assertEqual(r["updated"], [])
        self.assertNotIn(secret3, r["created"] + r["updated"])
        self.assertNotEqual(r["newState"], state)
        _, r = self.on_alice("ContactCard/changes",
                             {"sinceState": card_state})
        self.assertEqual((r["created"], r["updated"]),
                         ([], [cards["c-1"]]))
        # queryChanges over the same changes
        _, r = self.on_alice("CalendarEvent/queryChanges",
                             {"sinceQueryState": state})
        self.assertEqual([a["id"] for a in r["added"]], [events["a-new"]])
        # a state of alice's own account is not one of bob's view
        _, own = self.own("CalendarEvent/get", {"ids": []})
        name, r = self.on_alice("CalendarEvent/changes",
                                {"sinceState": own["state"]})
        self.assertEqual((name, r["type"]),
                         ("error", "cannotCalculateChanges"))

    # ---- push ----

    def test_eventsource_pushes_the_shared_account(self):
        """RFC 8620 §7.3: bob's stream tells alice's account's shared
        types (never her mail) with the states /get gives there, and
        again when alice writes over CalDAV."""
        sock = socket.create_connection(("127.0.0.1", self.pr.http),
                                        timeout=20)
        self.addCleanup(sock.close)
        sock.sendall((
            "GET /jmap/eventsource/?types=CalendarEvent,Calendar,"
            "ContactCard,Email,Mailbox&closeafter=no&ping=0 HTTP/1.1"
            f"\r\nHost: x\r\nAuthorization: {self.bob.auth}\r\n\r\n"
        ).encode())
        buf = b""

        def changes():
            """Every StateChange so far, by account: a list of changed."""
            nonlocal buf
            buf += sock.recv(65536)
            out = {}
            for chunk in buf.split(b"event: state")[1:]:
                if b"\n\n" not in chunk:
                    continue
                data = json.loads(chunk.split(b"data: ")[1].split(b"\n")[0])
                for acct, ch in data["changed"].items():
                    out.setdefault(acct, []).append(ch)
            return out

        got = wait_for(lambda: (lambda c: c if self.aid in c and
                                self.bob.account in c else None)(changes()))
        first = got[self.aid][0]
        self.assertEqual(set(first),
                         {"CalendarEvent", "Calendar", "ContactCard"})
        self.assertIn("Email", got[self.bob.account][0])
        _, r = self.on_alice("CalendarEvent/get", {"ids": []})
        self.assertEqual(first["CalendarEvent"], r["state"])
        _, r = self.on_alice("ContactCard/get", {"ids": []})
        self.assertEqual(first["ContactCard"], r["state"])
        self.assertEqual(self.alice("PUT", cal(user=ALICE) + "push.ics",
                                    event("a-push", summary="Pushed"),
                                    CT_CAL).status, 201)
        got = wait_for(lambda: (lambda c: c if len(c.get(self.aid, [])) >= 2
                                else None)(changes()))
        second = got[self.aid][1]
        self.assertEqual(set(second), {"CalendarEvent"})
        _, r = self.on_alice("CalendarEvent/get", {"ids": []})
        self.assertEqual(second["CalendarEvent"], r["state"])
        # bob's own account moved nothing
        self.assertEqual(len(got[self.bob.account]), 1)

    def test_new_share_is_pushed_to_an_open_stream(self):
        """eve's stream, opened before alice shares anything with her,
        tells alice's account once the share is made (postroomctl)."""
        eve = Jmap(self.pr, EVE, PASSWORDS[EVE])
        sock = socket.create_connection(("127.0.0.1", self.pr.http),
                                        timeout=20)
        self.addCleanup(sock.close)
        sock.sendall((
            "GET /jmap/eventsource/?types=*&closeafter=no&ping=0 HTTP/1.1"
            f"\r\nHost: x\r\nAuthorization: {eve.auth}\r\n\r\n"
        ).encode())
        buf = b""

        def accounts():
            nonlocal buf
            sock.settimeout(0.2)
            try:
                buf += sock.recv(65536)
            except TimeoutError:
                pass
            return [acct for chunk in buf.split(b"data: ")[1:]
                    for acct in json.loads(chunk.split(b"\n")[0])
                    .get("changed", {})]

        eve.get_session()
        wait_for(lambda: eve.account in accounts())
        self.assertNotIn(self.aid, accounts())
        try:
            self.pr.ctl("dav", "share", ALICE, "calendar", EVE, "read")
            wait_for(lambda: self.aid in accounts())
            chunk = [c for c in buf.split(b"data: ")[1:]
                     if self.aid.encode() in c][0]
            changed = json.loads(chunk.split(b"\n")[0])["changed"]
            self.assertEqual(set(changed[self.aid]),
                             {"Calendar", "CalendarEvent", "Task",
                              "JournalEntry"})
            _, r = self.on_alice("CalendarEvent/get", {"ids": []}, who=eve)
            self.assertEqual(changed[self.aid]["CalendarEvent"], r["state"])
        finally:
            self.pr.ctl("dav", "unshare", ALICE, "calendar", EVE)
            eve.close()

    @unittest.skipIf(websockets is None, "python3-websockets is missing")
    def test_websocket_pushes_the_shared_account(self):
        url = self.bob.session["capabilities"][
            "urn:ietf:params:jmap:websocket"]["url"]

        async def go():
            async with websockets.connect(
                    url, subprotocols=["jmap"], max_size=None,
                    extra_headers={"Authorization": self.bob.auth}) as ws:
                await ws.send(json.dumps({"@type": "WebSocketPushEnable",
                                          "dataTypes": ["ContactCard"]}))
                # a request answered means the push is on
                await ws.send(json.dumps({
                    "@type": "Request", "id": "x", "using": [CORE],
                    "methodCalls": [["Core/echo", {}, "0"]]}))
                self.assertEqual(json.loads(await ws.recv())["requestId"],
                                 "x")
                r = self.alice("PUT", book(user=ALICE) + "push.vcf",
                               vcard("c-push", "Pushed Card"), CT_CARD)
                self.assertEqual(r.status, 201)
                change = json.loads(await ws.recv())
                self.assertEqual(change["@type"], "StateChange")
                self.assertEqual(list(change["changed"]), [self.aid])
                return change["changed"][self.aid]
        changed = asyncio.run(asyncio.wait_for(go(), 60))
        self.assertEqual(set(changed), {"ContactCard"})
        _, r = self.on_alice("ContactCard/get", {"ids": []})
        self.assertEqual(changed["ContactCard"], r["state"])

    # ---- a changed or ended share ----

    def test_share_change_and_revocation(self):
        _, r = self.on_alice("Calendar/get", {"ids": None})
        cal_state = r["state"]
        _, r = self.on_alice("CalendarEvent/get", {"ids": []})
        event_state = r["state"]
        try:
            self.pr.ctl("dav", "share", ALICE, "calendar", BOB, "read")
            a = self.bob.get_session()["accounts"][self.aid]
            self.assertIs(a["isReadOnly"], True)
            _, r = self.on_alice("Calendar/get", {"ids": None})
            self.assertIs(r["list"][0]["myRights"]["mayWrite"], False)
            # the shares changed: old states cannot be followed
            for t, st in (("Calendar", cal_state),
                          ("CalendarEvent", event_state)):
                name, r = self.on_alice(f"{t}/changes", {"sinceState": st})
                self.assertEqual((name, r["type"]),
                                 ("error", "cannotCalculateChanges"), t)
            _, events = self.alice_ids("CalendarEvent", "Calendar")
            _, r = self.on_alice("CalendarEvent/set", {"update": {
                events["a-1"]: {"title": "No"}}})
            self.assertEqual(r["notUpdated"][events["a-1"]]["type"],
                             "forbidden")
            self.pr.ctl("dav", "unshare", ALICE, "calendar", BOB)
            s = self.bob.get_session()
            self.assertEqual(sorted(s["accounts"][self.aid]
                                    ["accountCapabilities"]), [CONTACTS])
            name, r = self.on_alice("Calendar/get", {"ids": None})
            self.assertEqual((name, r["type"]),
                             ("error", "accountNotSupportedByMethod"))
            self.pr.ctl("dav", "unshare", ALICE, "addressbooks/contacts",
                        BOB)
            s = self.bob.get_session()
            self.assertEqual(list(s["accounts"]), [self.bob.account])
            name, r = self.on_alice("AddressBook/get", {"ids": None})
            self.assertEqual((name, r["type"]), ("error", "accountNotFound"))
        finally:
            self.pr.ctl("dav", "share", ALICE, "addressbooks/contacts", BOB,
                        "read")
            self.pr.ctl("dav", "share", ALICE, "calendar", BOB,
                        "read-write")
        self.assertIn(self.aid, self.bob.get_session()["accounts"])


if __name__ == "__main__":
    unittest.main()
