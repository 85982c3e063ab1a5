"""CalDAV scheduling (RFC 6638) between accounts of one server, over raw
WebDAV with curl. alice organizes; bob attends on the same server:
alice's PUT of an event with attendees puts the REQUEST into bob's
schedule inbox and the event into his calendar (automatic processing),
and SCHEDULE-STATUS into her copy (1.2 delivered, 3.7 no such user,
none for SCHEDULE-AGENT=CLIENT), with no ETag in the answer (RFC 4791
§5.3.4: the stored bytes are not the request's); bob's PARTSTAT change
goes back as a REPLY into alice's copy and inbox; a reschedule updates
bob's copy and keeps his answer; a change attendees need not hear of
sends nothing; taking bob off, or deleting the event, cancels his copy;
bob deleting his copy declines. The discovery properties (schedule-inbox-
URL, schedule-outbox-URL, calendar-user-address-set, the
calendar-auto-schedule class), the inbox as a collection (queries, GET,
DELETE; PUT refused), an attendee elsewhere getting an iMIP message in
the queue (From alice, text/calendar; method=REQUEST), and no scheduling
for a share's grantee nor as an address the account may not send as."""
import email
import email.policy
import os
import re
import unittest

from dav_fixtures import (BOB, EVE, NS, XMLNS, cal, curl, multistatus,
                          propfind_body, start)

D = "{DAV:}"
C = "{urn:ietf:params:xml:ns:caldav}"
ALICE = "alice@example.test"
ALICE_PASSWORD = "alice-secret"
CT_CAL = {"Content-Type": "text/calendar"}
INBOX = "inbox"


def meeting(uid, attendees, start="20240110T100000Z",
            end="20240110T110000Z", summary="Planning", organizer=ALICE,
            extra=""):
    lines = "".join(f"ATTENDEE;{params}:mailto:{addr}\r\n"
                    for addr, params in attendees)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n"
            f"DTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:{summary}\r\n"
            f"ORGANIZER;CN=Alice:mailto:{organizer}\r\n{lines}{extra}"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")


def unfold(text):
    return re.sub(r"\r?\n[ \t]", "", text)


def attendee_params(text, address):
    """The parameters of address's ATTENDEE line, as a dict."""
    for line in unfold(text).splitlines():
        if line.upper().startswith("ATTENDEE") and \
                line.lower().endswith("mailto:" + address):
            params = line.split(":", 1)[0].split(";")[1:]
            return dict(p.split("=", 1) for p in params)
    return None


class DavSchedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start()
        cls.pr.add_user(ALICE, ALICE_PASSWORD)
        cls.base = f"http://127.0.0.1:{cls.pr.http}"

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    def dav(self, method, path, body=None, headers=None, user=BOB):
        if user == ALICE:
            return curl(self.base, method, path, body, headers, ALICE,
                        ALICE_PASSWORD)
        return curl(self.base, method, path, body, headers, user)

    def members(self, path, user):
        r = self.dav("PROPFIND", path, propfind_body("D:getetag"),
                     {"Depth": "1"}, user=user)
        self.assertEqual(r.status, 207, r)
        return sorted(h for h in multistatus(r)[0] if h != path)

    def find_uid(self, user, uid, name="calendar"):
        """The body of user's member holding uid, or None."""
        for href in self.members(cal(name, user), user):
            body = self.dav("GET", href, user=user).body.decode()
            if f"UID:{uid}" in unfold(body):
                return href, body
        return None, None

    def inbox(self, user):
        out = []
        for href in self.members(cal(INBOX, user), user):
            out.append(self.dav("GET", href, user=user).body.decode())
        return out

    def test_invite_reply_reschedule_cancel(self):
        uid = "plan-1"
        inbox_before = len(self.inbox(BOB))
        body = meeting(uid, [(ALICE, "PARTSTAT=ACCEPTED"),
                             (BOB, "RSVP=TRUE;PARTSTAT=NEEDS-ACTION"),
                             ("nobody@example.test", "RSVP=TRUE"),
                             ("cli@example.test", "SCHEDULE-AGENT=CLIENT")])
        path = cal(user=ALICE) + "plan.ics"
        r = self.dav("PUT", path, body, CT_CAL, user=ALICE)
        self.assertEqual(r.status, 201, r)
        self.assertIsNone(r.header("ETag"))
        stored = self.dav("GET", path, user=ALICE).body.decode()
        self.assertEqual(attendee_params(stored, BOB)["SCHEDULE-STATUS"],
                         "1.2")
        self.assertEqual(attendee_params(
            stored, "nobody@example.test")["SCHEDULE-STATUS"], "3.7")
        self.assertNotIn("SCHEDULE-STATUS",
                         attendee_params(stored, "cli@example.test"))
        # bob's inbox has the REQUEST, his calendar the event
        inbox = self.inbox(BOB)
        self.assertEqual(len(inbox), inbox_before + 1)
        self.assertIn("METHOD:REQUEST", "".join(inbox))
        href, copy = self.find_uid(BOB, uid)
        self.assertIsNotNone(href)
        self.assertNotIn("METHOD", copy)
        self.assertEqual(attendee_params(copy, BOB)["PARTSTAT"],
                         "NEEDS-ACTION")
        self.assertIn("alice@example.test", self.pr.log())
        # bob accepts: his PUT goes back to alice as a REPLY
        etag = self.dav("PROPFIND", href, propfind_body("D:getetag"),
                        {"Depth": "0"})
        etag = multistatus(etag)[0][href][D + "getetag"][1].text
        accepted = copy.replace("PARTSTAT=NEEDS-ACTION", "PARTSTAT=ACCEPTED")
        r = self.dav("PUT", href, accepted, dict(CT_CAL, **{"If-Match":
                                                            etag}))
        self.assertEqual(r.status, 204, r)
        stored = self.dav("GET", path, user=ALICE).body.decode()
        p = attendee_params(stored, BOB)
        self.assertEqual(p["PARTSTAT"], "ACCEPTED")
        self.assertEqual(p["SCHEDULE-STATUS"], "2.0")
        self.assertTrue(any("METHOD:REPLY" in m and uid in m
                            for m in self.inbox(ALICE)))
        # alice reschedules: bob's copy moves, his answer stays
        r = self.dav("PUT", path, stored.replace(
            "20240110T100000Z", "20240111T150000Z").replace(
            "20240110T110000Z", "20240111T160000Z"), CT_CAL, user=ALICE)
        self.assertIn(r.status, (204, 201), r)
        _, copy = self.find_uid(BOB, uid)
        self.assertIn("DTSTART:20240111T150000Z", copy)
        self.assertEqual(attendee_params(copy, BOB)["PARTSTAT"], "ACCEPTED")
        # nothing attendees must hear of: no message
        count = len(self.inbox(BOB))
        stored = self.dav("GET", path, user=ALICE).body.decode()
        alarm = ("BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\n"
                 "TRIGGER:-PT5M\r\nEND:VALARM\r\n")
        r = self.dav("PUT", path, unfold(stored).replace(
            "END:VEVENT", alarm + "END:VEVENT"), CT_CAL, user=ALICE)
        self.assertEqual(r.status, 204, r)
        self.assertIsNotNone(r.header("ETag"))
        self.assertEqual(len(self.inbox(BOB)), count)
        # bob taken off: his copy is cancelled
        stored = unfold(self.dav("GET", path, user=ALICE).body.decode())
        without = "\r\n".join(l for l in stored.split("\r\n")
                              if not l.endswith("mailto:" + BOB))
        r = self.dav("PUT", path, without, CT_CAL, user=ALICE)
        self.assertIn(r.status, (201, 204), r)
        _, copy = self.find_uid(BOB, uid)
        self.assertIn("STATUS:CANCELLED", copy)
        # the uninvite (RFC 5546 §3.2.5): a CANCEL naming bob alone, the
        # event itself not cancelled, its SEQUENCE raised
        cancels = [unfold(m) for m in self.inbox(BOB)
                   if "METHOD:CANCEL" in m and f"UID:{uid}" in m]
        self.assertEqual(len(cancels), 1, cancels)
        attendees = re.findall(r"^ATTENDEE[^\r\n]*", cancels[0], re.M)
        self.assertEqual(len(attendees), 1, attendees)
        self.assertTrue(attendees[0].lower().endswith("mailto:" + BOB))
        self.assertNotIn("STATUS:CANCELLED", cancels[0])
        seq = re.search(r"^SEQUENCE:(\d+)", cancels[0], re.M)
        self.assertIsNotNone(seq, cancels[0])
        self.assertGreater(int(seq.group(1)), 0)

    def test_delete_cancels_and_declines(self):
        path = cal(user=ALICE) + "del.ics"
        r = self.dav("PUT", path, meeting("del-1", [(BOB, "RSVP=TRUE")]),
                     CT_CAL, user=ALICE)
        self.assertEqual(r.status, 201)
        href, _ = self.find_uid(BOB, "del-1")
        self.assertEqual(self.dav("DELETE", path, user=ALICE).status, 204)
        _, copy = self.find_uid(BOB, "del-1")
        self.assertIn("STATUS:CANCELLED", copy)
        # bob deletes his copy of another: alice sees DECLINED
        path = cal(user=ALICE) + "del2.ics"
        self.dav("PUT", path, meeting("del-2", [(BOB, "RSVP=TRUE")]),
                 CT_CAL, user=ALICE)
        href, _ = self.find_uid(BOB, "del-2")
        self.assertEqual(self.dav("DELETE", href).status, 204)
        stored = self.dav("GET", path, user=ALICE).body.decode()
        self.assertEqual(attendee_params(stored, BOB)["PARTSTAT"],
                         "DECLINED")

    def test_discovery_and_inbox(self):
        r = self.dav("OPTIONS", "/dav/")
        self.assertIn("calendar-auto-schedule", r.header("DAV"))
        principal = f"/dav/principals/{BOB}/"
        r = self.dav("PROPFIND", principal, propfind_body(
            "C:schedule-inbox-URL", "C:schedule-outbox-URL",
            "C:calendar-user-address-set", "C:calendar-user-type"),
            {"Depth": "0"})
        p = multistatus(r)[0][principal]
        self.assertEqual(p[C + "schedule-inbox-URL"][1].findtext(
            "D:href", namespaces=NS), cal(INBOX, BOB))
        self.assertEqual(p[C + "schedule-outbox-URL"][1].findtext(
            "D:href", namespaces=NS), cal("outbox", BOB))
        self.assertEqual(p[C + "calendar-user-type"][1].text, "INDIVIDUAL")
        r = self.dav("PROPFIND", cal(INBOX, BOB), propfind_body(
            "D:resourcetype", "C:schedule-default-calendar-URL"),
            {"Depth": "0"})
        p = multistatus(r)[0][cal(INBOX, BOB)]
        self.assertIsNotNone(p[D + "resourcetype"][1].find(
            "C:schedule-inbox", NS))
        self.assertEqual(p[C + "schedule-default-calendar-URL"][1].findtext(
            "D:href", namespaces=NS), cal(user=BOB))
        # the home lists the boxes, which are not calendars
        r = self.dav("PROPFIND", f"/dav/calendars/{BOB}/",
                     propfind_body("D:resourcetype"), {"Depth": "1"})
        props = multistatus(r)[0]
        self.assertIsNotNone(props[cal("outbox", BOB)][D + "resourcetype"][1]
                             .find("C:schedule-outbox", NS))
        self.assertIsNone(props[cal(INBOX, BOB)][D + "resourcetype"][1]
                          .find("C:calendar", NS))
        # the inbox: a query, GET, DELETE; no PUT, no MKCALENDAR there
        self.dav("PUT", cal(user=ALICE) + "q.ics",
                 meeting("q-1", [(BOB, "RSVP=TRUE")], summary="Query me"),
                 CT_CAL, user=ALICE)
        q = (f'<C:calendar-query {XMLNS}><D:prop><C:calendar-data/>'
             '</D:prop><C:filter><C:comp-filter name="VCALENDAR">'
             '<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY">'
             '<C:text-match>Query me</C:text-match></C:prop-filter>'
             '</C:comp-filter></C:comp-filter></C:filter>'
             '</C:calendar-query>')
        r = self.dav("REPORT", cal(INBOX, BOB), q, {"Depth": "1"})
        hrefs = list(multistatus(r)[0])
        self.assertEqual(len(hrefs), 1, r)
        self.assertIn(b"METHOD:REQUEST", r.body)
        r = self.dav("PUT", cal(INBOX, BOB) + "mine.ics",
                     meeting("x", []), CT_CAL)
        self.assertEqual(r.status, 403)
        self.assertEqual(self.dav("MKCALENDAR", cal(INBOX, BOB)).status, 405)
        self.assertEqual(self.dav("DELETE", hrefs[0]).status, 204)
        self.assertEqual(self.dav("GET", hrefs[0]).status, 404)
        # another account's inbox is not there for bob
        self.assertEqual(self.dav("PROPFIND", cal(INBOX, ALICE), None,
                                  {"Depth": "1"}).status, 404)

    def test_remote_attendee_by_mail(self):
        before = set(self.pr.queue_files("incoming") +
                     self.pr.queue_files("active") +
                     self.pr.queue_files("deferred"))
        r = self.dav("PUT", cal(user=ALICE) + "far.ics",
                     meeting("far-1", [("zed@elsewhere.test", "RSVP=TRUE")],
                             summary="Über den Fluss"), CT_CAL, user=ALICE)
        self.assertEqual(r.status, 201)
        stored = self.dav("GET", cal(user=ALICE) + "far.ics",
                          user=ALICE).body.decode()
        self.assertEqual(attendee_params(
            stored, "zed@elsewhere.test")["SCHEDULE-STATUS"], "1.1")
        files = []
        for state in ("incoming", "active", "deferred"):
            files += [os.path.join(self.pr.data, "queue", state, f)
                      for f in self.pr.queue_files(state)
                      if f not in before]
        self.assertEqual(len(files), 1, files)
        with open(files[0], "rb") as f:
            raw = f.read()
        envelope, _, data = raw.partition(b"\n\n")
        self.assertIn(b"sender=" + ALICE.encode(), envelope)
        self.assertIn(b"address=zed@elsewhere.test", envelope)
        msg = email.message_from_bytes(data, policy=email.policy.default)
        self.assertEqual(msg["From"].addresses[0].addr_spec, ALICE)
        self.assertEqual(msg["To"].addresses[0].addr_spec,
                         "zed@elsewhere.test")
        self.assertEqual(str(msg["Subject"]), "Invitation: Über den Fluss")
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        parts = list(msg.iter_parts())
        self.assertEqual(parts[0].get_content_type(), "text/plain")
        self.assertEqual(parts[1].get_content_type(), "text/calendar")
        self.assertEqual(parts[1].get_param("method"), "REQUEST")
        itip = parts[1].get_content()
        self.assertIn("METHOD:REQUEST", itip)
        self.assertIn("UID:far-1", itip)
        self.assertNotIn("SCHEDULE-", itip)

    def test_no_scheduling_for_grantee_or_foreign_organizer(self):
        self.pr.ctl("dav", "share", ALICE, "calendar", EVE, "read-write")
        count = len(self.inbox(BOB))
        mount = cal(f"calendar_shared_by_{ALICE}", EVE)
        r = self.dav("PUT", mount + "eve.ics",
                     meeting("eve-1", [(BOB, "RSVP=TRUE")]), CT_CAL,
                     user=EVE)
        self.assertEqual(r.status, 201, r)
        self.assertIsNotNone(r.header("ETag"))
        # eve as organizer in her own calendar naming alice: not hers
        r = self.dav("PUT", cal(user=EVE) + "forged.ics",
                     meeting("forged-1", [(BOB, "RSVP=TRUE")]), CT_CAL,
                     user=EVE)
        self.assertEqual(r.status, 201)
        self.assertIsNotNone(r.header("ETag"))
        self.assertEqual(len(self.inbox(BOB)), count)
        self.assertIsNone(self.find_uid(BOB, "eve-1")[0])
        self.assertIsNone(self.find_uid(BOB, "forged-1")[0])


if __name__ == "__main__":
    unittest.main()
