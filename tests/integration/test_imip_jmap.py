"""JMAP's CalendarEvent/set schedules as a CalDAV PUT or DELETE does (RFC
6638 implicit scheduling, servers/httpd/dav_sched.c: one path for both)
when the client asks for it (sendSchedulingMessages, draft-ietf-jmap-
calendars; false by default, so a client that mails its own invitations
sends nothing twice). bob organizes an event in America/New_York over JMAP
with eve (an account here) and two guests elsewhere, whose mail is relayed
to a loopback SMTP peer. Creating it sends each a REQUEST. Taking zed off
sends zed a CANCEL (RFC 5546 §3.2.5, "uninvite": METHOD:CANCEL, the UID,
only his ATTENDEE, no STATUS) and the others a REQUEST with a higher
SEQUENCE and without him; taking eve off puts the CANCEL with her ATTENDEE
into her schedule inbox and marks her copy cancelled; destroying the event
sends ann a CANCEL with STATUS:CANCELLED (Subject "Cancelled: ...", zed's
"Invitation withdrawn: ..."). Every message, and eve's copy,
parses with Python's icalendar (Debian's python3-icalendar) and carries a
VTIMEZONE whose TZID is its DTSTART's (RFC 5545 §3.6.5), though the stored
event names the zone by reference (RFC 7809)."""
import email
import email.policy
import json
import subprocess
import time
import unittest

from dav_fixtures import (BOB, DEBIAN_PYTHON, EVE, PASSWORDS, cal, curl,
                          multistatus, propfind_body)
from harness import free_port
from jmap_fixtures import CORE, Jmap, start
from relay_fixtures import FakeSmtp

USING = [CORE, "urn:ietf:params:jmap:calendars"]
ZED = "zed@elsewhere.test"
ANN = "ann@elsewhere.test"
ZONE = "America/New_York"

# Reads an iCalendar object on stdin with icalendar; prints what the test
# looks at as JSON.
READER = r"""
import json, sys
import icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.read())
out = {"method": str(cal.get("METHOD", "")), "zones": [], "events": []}
for c in cal.walk():
    if c.name == "VTIMEZONE":
        out["zones"].append(str(c["TZID"]))
    elif c.name == "VEVENT":
        start = c.get("DTSTART")
        att = c.get("ATTENDEE") or []
        if not isinstance(att, list):
            att = [att]
        out["events"].append({
            "uid": str(c["UID"]),
            "sequence": int(c.get("SEQUENCE", 0)),
            "status": str(c.get("STATUS", "")),
            "tzid": start.params.get("TZID") if start is not None else None,
            "attendees": sorted(str(a).lower().replace("mailto:", "")
                                for a in att),
        })
print(json.dumps(out))
"""


def ical_read(text):
    """The object as Python's icalendar reads it (Debian's python3)."""
    out = subprocess.run([DEBIAN_PYTHON, "-c", READER], input=text.encode(),
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode()
    return json.loads(out.stdout)


class ImipJmapTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.peer = FakeSmtp("127.0.0.1", free_port())
        cls.pr = start(users=((BOB, PASSWORDS[BOB]), (EVE, PASSWORDS[EVE])),
                       sections={"relay": {
                           "smarthost": f"127.0.0.1:{cls.peer.port}"}})
        cls.base = f"http://127.0.0.1:{cls.pr.http}"
        cls.bob = Jmap(cls.pr, BOB, PASSWORDS[BOB])
        cls.bob.get_session()
        cls.subjects = {}  # (rcpt, index among its messages) -> Subject

    @classmethod
    def tearDownClass(cls):
        cls.bob.close()
        reports = cls.pr.sanitizer_reports()
        code = cls.pr.stop()
        cls.peer.stop()
        cls.pr.cleanup()
        assert not reports, reports
        assert code == 0, f"postroomd exited {code}"

    def one(self, name, args):
        return self.bob.one(name, args, using=USING)

    def calendar_id(self):
        _, r = self.one("Calendar/get", {"ids": None})
        return next(c["id"] for c in r["list"] if c["isDefault"])

    def mails(self, rcpt, uid):
        """The iTIP parts (method, text) the peer got for rcpt about
        uid, in order."""
        out = []
        with self.peer.lock:
            msgs = [m for m in self.peer.messages if rcpt in m["rcpts"]]
        for m in msgs:
            msg = email.message_from_bytes(m["data"],
                                           policy=email.policy.default)
            for part in msg.walk():
                if part.get_content_type() == "text/calendar":
                    text = part.get_content()
                    if f"UID:{uid}" in text:
                        self.subjects[(rcpt, len(out))] = str(
                            msg["Subject"])
                        out.append((part.get_param("method"), text))
        return out

    def wait_mails(self, rcpt, uid, count):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            got = self.mails(rcpt, uid)
            if len(got) >= count:
                return got
            self.pr.ctl("queue", "flush")
            time.sleep(0.3)
        log = "\n".join(l for l in self.pr.log().splitlines()
                        if " dav " in l or "relay" in l)
        raise AssertionError(f"{rcpt} got {len(self.mails(rcpt, uid))} "
                             f"messages, want {count}\n{log[-3000:]}")

    def dav_members(self, path, user):
        r = curl(self.base, "PROPFIND", path, propfind_body("D:getetag"),
                 {"Depth": "1"}, user)
        self.assertEqual(r.status, 207, r)
        return [curl(self.base, "GET", h, user=user).body.decode()
                for h in sorted(multistatus(r)[0]) if h != path]

    def inbox(self, user, uid):
        return [t for t in self.dav_members(cal("inbox", user), user)
                if f"UID:{uid}" in t]

    def copy(self, user, uid):
        return next((t for t in self.dav_members(cal(user=user), user)
                     if f"UID:{uid}" in t), None)

    def assert_zoned(self, got):
        """One VTIMEZONE, for the TZID of every DTSTART."""
        self.assertEqual(got["zones"], [ZONE], got)
        for e in got["events"]:
            self.assertEqual(e["tzid"], ZONE, got)

    def participant(self, eid, address):
        """The key of address among the event's participants."""
        _, r = self.one("CalendarEvent/get", {"ids": [eid]})
        parts = r["list"][0]["participants"]
        return next(k for k, p in parts.items() if p.get("email") == address)

    def set_(self, args):
        return self.one("CalendarEvent/set",
                        dict(args, sendSchedulingMessages=True))

    def test_create_uninvite_destroy(self):
        uid = "jmap-sched-1"
        guest = {"@type": "Participant", "roles": {"attendee": True},
                 "participationStatus": "needs-action", "expectReply": True}
        _, r = self.set_({"create": {"e": {
            "@type": "Event", "calendarIds": {self.calendar_id(): True},
            "uid": uid, "title": "Budget", "start": "2024-03-05T10:00:00",
            "timeZone": ZONE, "duration": "PT1H",
            "participants": {
                "bob": {"@type": "Participant", "email": BOB,
                        "roles": {"owner": True}},
                "eve": dict(guest, email=EVE),
                "zed": dict(guest, email=ZED),
                "ann": dict(guest, email=ANN)}}}})
        self.assertIn("e", r.get("created", {}), r)
        eid = r["created"]["e"]["id"]
        # everyone is invited
        for rcpt in (ZED, ANN):
            method, text = self.wait_mails(rcpt, uid, 1)[0]
            self.assertEqual(method, "REQUEST")
            got = ical_read(text)
            self.assertEqual(got["method"], "REQUEST")
            self.assertEqual(got["events"][0]["sequence"], 0)
            self.assertIn(rcpt, got["events"][0]["attendees"])
            self.assert_zoned(got)
        [req] = self.inbox(EVE, uid)
        self.assert_zoned(ical_read(req))
        # eve's copy is made from the same message: it has the zone too
        copy = self.copy(EVE, uid)
        self.assertIsNotNone(copy)
        self.assert_zoned(ical_read(copy))

        # zed taken off: a CANCEL for him alone, a new REQUEST for the rest
        _, r = self.set_({"update": {eid: {
            "participants/" + self.participant(eid, ZED): None}}})
        self.assertIn(eid, r.get("updated", {}), r)
        method, text = self.wait_mails(ZED, uid, 2)[1]
        self.assertEqual(method, "CANCEL")
        got = ical_read(text)
        self.assertEqual(got["method"], "CANCEL")
        self.assertEqual(got["events"][0]["uid"], uid)
        self.assertEqual(got["events"][0]["attendees"], [ZED])
        self.assertNotEqual(got["events"][0]["status"], "CANCELLED")
        self.assertEqual(got["events"][0]["sequence"], 1)
        self.assert_zoned(got)
        # the mail says he was taken off, not that the event is off
        self.assertEqual(self.subjects[(ZED, 1)],
                         "Invitation withdrawn: Budget")
        method, text = self.wait_mails(ANN, uid, 2)[1]
        self.assertEqual(method, "REQUEST")
        got = ical_read(text)
        self.assertEqual(got["events"][0]["sequence"], 1)
        self.assertEqual(got["events"][0]["attendees"], [ANN, EVE])
        self.assert_zoned(got)
        reqs = [ical_read(t) for t in self.inbox(EVE, uid)]
        self.assertEqual(sorted(g["events"][0]["sequence"] for g in reqs),
                         [0, 1])
        copy = ical_read(self.copy(EVE, uid))
        self.assertNotIn(ZED, copy["events"][0]["attendees"])
        self.assertEqual(copy["events"][0]["sequence"], 1)
        # the organizer's copy keeps the raised SEQUENCE
        _, r = self.one("CalendarEvent/get", {"ids": [eid]})
        self.assertEqual(r["list"][0]["sequence"], 1, r)

        # eve taken off: her CANCEL goes into her inbox, her copy cancelled
        _, r = self.set_({"update": {eid: {
            "participants/" + self.participant(eid, EVE): None}}})
        self.assertIn(eid, r.get("updated", {}), r)
        cancels = [g for g in (ical_read(t) for t in self.inbox(EVE, uid))
                   if g["method"] == "CANCEL"]
        self.assertEqual(len(cancels), 1, cancels)
        self.assertEqual(cancels[0]["events"][0]["attendees"], [EVE])
        self.assert_zoned(cancels[0])
        copy = ical_read(self.copy(EVE, uid))
        self.assertEqual(copy["events"][0]["status"], "CANCELLED")
        method, text = self.wait_mails(ANN, uid, 3)[2]
        self.assertEqual(method, "REQUEST")
        got = ical_read(text)
        self.assertEqual(got["events"][0]["attendees"], [ANN])
        self.assertEqual(got["events"][0]["sequence"], 2)

        # destroyed: the whole event cancelled for the last guest
        _, r = self.set_({"destroy": [eid]})
        self.assertEqual(r.get("destroyed"), [eid], r)
        method, text = self.wait_mails(ANN, uid, 4)[3]
        self.assertEqual(method, "CANCEL")
        got = ical_read(text)
        self.assertEqual(got["events"][0]["status"], "CANCELLED")
        self.assertEqual(got["events"][0]["sequence"], 3)
        self.assert_zoned(got)
        self.assertEqual(self.subjects[(ANN, 3)], "Cancelled: Budget")
        self.assertEqual(len(self.mails(ZED, uid)), 2)
        self.assertIn(f"method=CANCEL from=<{BOB}> to=<{ZED}>",
                      self.pr.log())

    def test_nothing_sent_unless_asked(self):
        uid = "jmap-quiet-1"
        _, r = self.one("CalendarEvent/set", {"create": {"q": {
            "@type": "Event", "calendarIds": {self.calendar_id(): True},
            "uid": uid, "title": "Quiet", "start": "2024-03-06T10:00:00",
            "timeZone": ZONE, "duration": "PT1H",
            "participants": {
                "bob": {"@type": "Participant", "email": BOB,
                        "roles": {"owner": True}},
                "eve": {"@type": "Participant", "email": EVE,
                        "roles": {"attendee": True}}}}}})
        self.assertIn("q", r.get("created", {}), r)
        qid = r["created"]["q"]["id"]
        _, r = self.one("CalendarEvent/set", {
            "update": {qid: {
                "participants/" + self.participant(qid, EVE): None}},
            "sendSchedulingMessages": False})
        self.assertIn(qid, r.get("updated", {}), r)
        # local delivery happens within the request: nothing arrived
        self.assertEqual(self.inbox(EVE, uid), [])
        self.assertIsNone(self.copy(EVE, uid))
        self.assertNotIn(f"uid={uid}", self.pr.log())
        # a value that is no boolean is refused
        name, r = self.one("CalendarEvent/set", {
            "destroy": [qid], "sendSchedulingMessages": "yes"})
        self.assertEqual(name, "error", r)
        self.assertEqual(r["type"], "invalidArguments", r)


if __name__ == "__main__":
    unittest.main()
