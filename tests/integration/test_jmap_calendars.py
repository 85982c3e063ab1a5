"""JMAP for Calendars (the IETF draft), tasks and Postroom's journal
(urn:postroom:jmap:journal) on httpd, against CalDAV on the same
calendars: an event PUT by curl with a time zone, a weekly RRULE, an
EXDATE, an overridden instance, an attendee and an alarm shows in
CalendarEvent/changes and /get as RFC 8984 JSCalendar, field by field;
an event made over JMAP shows in a CalDAV GET and sync-collection;
CalendarEvent/query after/before expands the recurrence; a JMAP edit
keeps unknown iCalendar properties; Task and JournalEntry both ways;
invalid objects (invalidProperties) and another account's ids."""
import unittest

from dav_fixtures import BOB, EVE, PASSWORDS, cal, curl, sync_body
from jmap_fixtures import CORE, Jmap, start

CALS = "urn:ietf:params:jmap:calendars"
TASKS = "urn:ietf:params:jmap:tasks"
JOURNAL = "urn:postroom:jmap:journal"
USING = [CORE, CALS, TASKS, JOURNAL]

WEEKLY = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
          "BEGIN:VEVENT\r\nUID:weekly-1\r\nDTSTAMP:20240101T000000Z\r\n"
          "DTSTART;TZID=Europe/Berlin:20240108T100000\r\n"
          "DTEND;TZID=Europe/Berlin:20240108T110000\r\n"
          "SUMMARY:Standup\r\nLOCATION:Room 1\r\n"
          "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\r\n"
          "EXDATE;TZID=Europe/Berlin:20240122T100000\r\n"
          "ORGANIZER;CN=Bob:mailto:bob@example.test\r\n"
          "ATTENDEE;CN=Ann;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT;RSVP=TRUE:"
          "mailto:ann@example.org\r\n"
          "X-CUSTOM;X-P=1:keep me\r\n"
          "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\n"
          "TRIGGER:-PT15M\r\nEND:VALARM\r\n"
          "END:VEVENT\r\n"
          "BEGIN:VEVENT\r\nUID:weekly-1\r\nDTSTAMP:20240101T000000Z\r\n"
          "RECURRENCE-ID;TZID=Europe/Berlin:20240115T100000\r\n"
          "DTSTART;TZID=Europe/Berlin:20240115T120000\r\n"
          "DTEND;TZID=Europe/Berlin:20240115T130000\r\n"
          "SUMMARY:Standup (moved)\r\nLOCATION:Room 1\r\n"
          "END:VEVENT\r\nEND:VCALENDAR\r\n")


class JmapCalendarsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start(users=((BOB, PASSWORDS[BOB]), (EVE, PASSWORDS[EVE])))
        cls.base = f"http://127.0.0.1:{cls.pr.http}"
        cls.bob = Jmap(cls.pr, BOB, PASSWORDS[BOB])
        cls.bob.get_session()
        cls.eve = Jmap(cls.pr, EVE, PASSWORDS[EVE])
        cls.eve.get_session()

    @classmethod
    def tearDownClass(cls):
        cls.bob.close()
        cls.eve.close()
        reports = cls.pr.sanitizer_reports()
        cls.pr.cleanup()
        assert not reports, reports

    def one(self, name, args, who=None):
        return (who or self.bob).one(name, args, using=USING)

    def calendar(self, name="calendar"):
        _, r = self.one("Calendar/get", {"ids": None})
        return {c["name"]: c["id"] for c in r["list"]}

    def test_session_and_calendars(self):
        s = self.bob.session
        for cap in (CALS, TASKS, JOURNAL):
            self.assertIn(cap, s["capabilities"])
            self.assertEqual(s["primaryAccounts"][cap], self.bob.account)
        _, r = self.one("Calendar/get", {"ids": None})
        names = sorted(c["name"] for c in r["list"])
        self.assertEqual(len(names), 3, r)
        default = [c for c in r["list"] if c["isDefault"]]
        self.assertEqual(len(default), 1)
        self.assertTrue(default[0]["myRights"]["mayWrite"])

    def test_caldav_event_in_jmap(self):
        cid = next(c for c in self.one("Calendar/get", {"ids": None})[1]
                   ["list"] if c["isDefault"])["id"]
        _, r = self.one("CalendarEvent/get", {"ids": []})
        state = r["state"]
        resp = curl(self.base, "PUT", cal() + "weekly.ics", WEEKLY,
                    {"Content-Type": "text/calendar"})
        self.assertEqual(resp.status, 201, resp)
        _, ch = self.one("CalendarEvent/changes", {"sinceState": state})
        self.assertEqual(len(ch["created"]), 1)
        eid = ch["created"][0]
        _, r = self.one("CalendarEvent/get", {"ids": [eid]})
        e = r["list"][0]
        self.assertEqual(e["@type"], "Event")
        self.assertEqual(e["uid"], "weekly-1")
        self.assertEqual(e["title"], "Standup")
        self.assertEqual(e["calendarIds"], {cid: True})
        self.assertEqual(e["start"], "2024-01-08T10:00:00")
        self.assertEqual(e["timeZone"], "Europe/Berlin")
        self.assertEqual(e["duration"], "PT1H")
        self.assertEqual(list(e["locations"].values())[0]["name"], "Room 1")
        rule = e["recurrenceRules"][0]
        self.assertEqual(rule["@type"], "RecurrenceRule")
        self.assertEqual(rule["frequency"], "weekly")
        self.assertEqual(rule["count"], 6)
        self.assertEqual(rule["byDay"], [{"@type": "NDay", "day": "mo"}])
        ov = e["recurrenceOverrides"]
        self.assertEqual(ov["2024-01-22T10:00:00"], {"excluded": True})
        self.assertEqual(ov["2024-01-15T10:00:00"]["start"],
                         "2024-01-15T12:00:00")
        self.assertEqual(ov["2024-01-15T10:00:00"]["title"],
                         "Standup (moved)")
        parts = sorted(e["participants"].values(),
                       key=lambda p: p.get("name", ""))
        self.assertEqual(parts[0]["name"], "Ann")
        self.assertEqual(parts[0]["participationStatus"], "accepted")
        self.assertTrue(parts[0]["expectReply"])
        self.assertEqual(parts[0]["roles"], {"attendee": True})
        self.assertEqual(parts[1]["roles"], {"owner": True})
        alert = list(e["alerts"].values())[0]
        self.assertEqual(alert["trigger"], {"@type": "OffsetTrigger",
                                            "offset": "-PT15M",
                                            "relativeTo": "start"})
        # query expands the rule: the week of the exdate has none, the
        # moved instance is found at its new time
        for after, before, hit in (
                ("2024-01-22T00:00:00Z", "2024-01-23T00:00:00Z", False),
                ("2024-01-29T08:00:00Z", "2024-01-29T10:00:00Z", True),
                ("2024-01-15T11:00:00Z", "2024-01-15T11:30:00Z", True),
                ("2024-01-15T08:00:00Z", "2024-01-15T09:30:00Z", False),
                ("2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z", False)):
            _, r = self.one("CalendarEvent/query", {
                "filter": {"after": after, "before": before}})
            self.assertEqual(eid in r["ids"], hit, (after, before))
        # a JMAP edit keeps the unknown property and the override
        _, r = self.one("CalendarEvent/set", {"update": {
            eid: {"title": "Daily standup"}}})
        self.assertIn(eid, r["updated"], r)
        text = curl(self.base, "GET", cal() + "weekly.ics").body.decode()
        self.assertIn("SUMMARY:Daily standup\r\n", text)
        self.assertIn("X-CUSTOM;X-P=1:keep me\r\n", text)
        self.assertIn("RECURRENCE-ID;TZID=Europe/Berlin:20240115T100000",
                      text)
        self.assertIn("EXDATE;TZID=Europe/Berlin:20240122T100000", text)

    def test_jmap_event_in_caldav(self):
        cid = next(c for c in self.one("Calendar/get", {"ids": None})[1]
                   ["list"] if c["isDefault"])["id"]
        resp = curl(self.base, "REPORT", cal(), sync_body(),
                    {"Depth": "1", "Content-Type": "application/xml"})
        token = resp.xml().find("{DAV:}sync-token").text
        _, r = self.one("CalendarEvent/set", {"create": {"e": {
            "@type": "Event", "calendarIds": {cid: True},
            "title": "Lunch", "start": "2024-02-01T12:00:00",
            "timeZone": "America/New_York", "duration": "PT1H30M",
            "alerts": {"a": {"@type": "Alert", "trigger": {
                "@type": "OffsetTrigger", "offset": "-PT10M"}}}}}})
        made = r["created"]["e"]
        resp = curl(self.base, "REPORT", cal(), sync_body(token),
                    {"Depth": "1", "Content-Type": "application/xml"})
        hrefs = [h.text for h in resp.xml().iter("{DAV:}href")]
        self.assertEqual(len(hrefs), 1, resp)
        text = curl(self.base, "GET", hrefs[0]).body.decode()
        self.assertIn("DTSTART;TZID=America/New_York:20240201T120000\r\n",
                      text)
        self.assertIn("DURATION:PT1H30M\r\n", text)
        self.assertIn("SUMMARY:Lunch\r\n", text)
        self.assertIn("TRIGGER:-PT10M\r\n", text)
        self.assertIn("UID:" + made["uid"] + "\r\n", text)
        _, r = self.one("CalendarEvent/set", {"destroy": [made["id"]]})
        self.assertEqual(r["destroyed"], [made["id"]])
        self.assertEqual(curl(self.base, "GET", hrefs[0]).status, 404)

    def test_tasks_and_journal(self):
        cals = {c["name"]: c for c in
                self.one("Calendar/get", {"ids": None})[1]["list"]}
        tasks = next(c["id"] for c in cals.values()
                     if c["postroom.org:types"] == ["Task"])
        journal = next(c["id"] for c in cals.values()
                       if c["postroom.org:types"] == ["JournalEntry"])
        _, r = self.one("Task/set", {"create": {"t": {
            "@type": "Task", "calendarIds": {tasks: True},
            "title": "File taxes", "due": "2024-04-15T17:00:00",
            "timeZone": "Etc/UTC", "progress": "needs-action",
            "percentComplete": 10}}})
        tid = r["created"]["t"]["id"]
        _, r = self.one("Task/get", {"ids": [tid]})
        t = r["list"][0]
        self.assertEqual((t["@type"], t["title"], t["due"], t["progress"],
                          t["percentComplete"]),
                         ("Task", "File taxes", "2024-04-15T17:00:00",
                          "needs-action", 10))
        resp = curl(self.base, "PUT", cal("journal") + "j.ics",
                    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
                    "BEGIN:VJOURNAL\r\nUID:j-1\r\nDTSTAMP:20240101T000000Z\r\n"
                    "DTSTART;VALUE=DATE:20240301\r\nSUMMARY:Diary\r\n"
                    "DESCRIPTION:A good day\\, mostly.\r\n"
                    "END:VJOURNAL\r\nEND:VCALENDAR\r\n",
                    {"Content-Type": "text/calendar"})
        self.assertEqual(resp.status, 201)
        _, r = self.one("JournalEntry/query", {
            "filter": {"inCalendars": [journal], "text": "good day"}})
        self.assertEqual(len(r["ids"]), 1)
        _, r = self.one("JournalEntry/get", {"ids": r["ids"]})
        j = r["list"][0]
        self.assertEqual((j["@type"], j["description"], j["start"],
                          j["showWithoutTime"]),
                         ("JournalEntry", "A good day, mostly.",
                          "2024-03-01T00:00:00", True))
        # an event is not a task
        _, r = self.one("Task/get", {"ids": [j["id"]]})
        self.assertEqual(r["notFound"], [j["id"]])

    def test_invalid_and_other_account(self):
        cid = next(c for c in self.one("Calendar/get", {"ids": None})[1]
                   ["list"] if c["isDefault"])["id"]
        _, r = self.one("CalendarEvent/set", {"create": {
            "a": {"calendarIds": {cid: True}, "@type": "Task"},
            "b": {"calendarIds": {cid: True}, "start": "tomorrow"},
            "c": {"calendarIds": {cid: True},
                  "start": "2024-01-01T10:00:00", "duration": "1 hour"},
            "d": {"start": "2024-01-01T10:00:00"},
            "e": {"calendarIds": {cid: True},
                  "start": "2024-01-01T10:00:00",
                  "recurrenceRules": [{"frequency": "fortnightly"}]}}})
        nc = r["notCreated"]
        self.assertEqual(nc["a"]["properties"], ["@type"])
        self.assertEqual(nc["b"]["properties"], ["start"])
        self.assertEqual(nc["c"]["properties"], ["duration"])
        self.assertEqual(nc["d"]["properties"], ["calendarIds"])
        self.assertEqual(nc["e"]["properties"], ["recurrenceRules/0"])
        _, r = self.one("CalendarEvent/set", {"create": {"s": {
            "calendarIds": {cid: True}, "title": "Secret",
            "start": "2024-05-01T10:00:00", "timeZone": "Etc/UTC"}}})
        sid = r["created"]["s"]["id"]
        _, r = self.one("CalendarEvent/get", {"ids": [sid]}, who=self.eve)
        self.assertEqual(r["notFound"], [sid])
        _, r = self.one("CalendarEvent/query", {}, who=self.eve)
        self.assertNotIn(sid, r["ids"])
        # ids are per account: bob's account is not eve's to name
        name, r = self.eve.one("Calendar/set", {
            "accountId": self.bob.account, "destroy": [cid]}, using=USING)
        self.assertEqual((name, r["type"]), ("error", "accountNotFound"))
        _, r = self.one("CalendarEvent/get", {"ids": [sid]})
        self.assertEqual(r["list"][0]["title"], "Secret")


if __name__ == "__main__":
    unittest.main()
