"""Free/busy of a colleague on the same server through CalDAV scheduling
(RFC 6638 §5), with curl: alice POSTs an iTIP VFREEBUSY REQUEST (RFC 5546
§3.3.2) to her schedule outbox and gets a CALDAV:schedule-response whose
response for bob holds request-status 2.0 and a VFREEBUSY REPLY with
exactly his busy periods: a weekly event in Europe/Berlin expanded across
the change to summer time, an event of a second calendar, a tentative one
as BUSY-TENTATIVE; his transparent and cancelled events and anything out
of the range left out, and no summary, location or UID of his events in
the answer. An unknown address here answers 3.7, one of another domain
5.x; eve POSTing to alice's outbox 403, a forged ORGANIZER 403
CALDAV:organizer-allowed, too many attendees or too long a range 403, a
malformed body 400, another content type 415, POST elsewhere 405."""
import re
import unittest

from dav_fixtures import BOB, EVE, NS, cal, curl, start

C = "{urn:ietf:params:xml:ns:caldav}"
D = "{DAV:}"
ALICE = "alice@example.test"
ALICE_PASSWORD = "alice-secret"
CT_CAL = {"Content-Type": "text/calendar"}
OUTBOX = f"/dav/calendars/{ALICE}/outbox/"

BERLIN = (
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"
    "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
    "TZNAME:CEST\r\nDTSTART:19700329T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
    "TZNAME:CET\r\nDTSTART:19701025T030000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
    "END:VTIMEZONE\r\n")


def vevent(uid, props, tz=""):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            f"{tz}BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n"
            f"{props}END:VEVENT\r\nEND:VCALENDAR\r\n")


def fb_request(attendees, organizer=ALICE, start="20240318T000000Z",
               end="20240402T000000Z", method="REQUEST"):
    lines = "".join(f"ATTENDEE:mailto:{a}\r\n" for a in attendees)
    times = (f"DTSTART:{start}\r\n" if start else "") + \
        (f"DTEND:{end}\r\n" if end else "")
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            f"METHOD:{method}\r\nBEGIN:VFREEBUSY\r\nUID:fb-1\r\n"
            f"DTSTAMP:20240301T000000Z\r\n{times}"
            f"ORGANIZER:mailto:{organizer}\r\n{lines}"
            "END:VFREEBUSY\r\nEND:VCALENDAR\r\n")


def unfold(text):
    return re.sub(r"\r?\n[ \t]", "", text)


class DavFreeBusyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start()
        cls.pr.add_user(ALICE, ALICE_PASSWORD)
        cls.base = f"http://127.0.0.1:{cls.pr.http}"
        put = [
            # Mondays 09:00-10:00 Berlin: 08:00Z, then 07:00Z from the
            # 31st of March (summer time)
            ("calendar", "weekly", vevent(
                "weekly", "DTSTART;TZID=Europe/Berlin:20240311T090000\r\n"
                "DTEND;TZID=Europe/Berlin:20240311T100000\r\n"
                "RRULE:FREQ=WEEKLY\r\nSUMMARY:Secret standup\r\n"
                "LOCATION:Room 42\r\n", BERLIN)),
            ("calendar", "tentative", vevent(
                "tentative", "DTSTART:20240319T140000Z\r\n"
                "DTEND:20240319T150000Z\r\nSTATUS:TENTATIVE\r\n"
                "SUMMARY:Secret dentist\r\n")),
            ("calendar", "transparent", vevent(
                "transparent", "DTSTART:20240321T100000Z\r\n"
                "DTEND:20240321T110000Z\r\nTRANSP:TRANSPARENT\r\n"
                "SUMMARY:Secret reminder\r\n")),
            ("calendar", "cancelled", vevent(
                "cancelled", "DTSTART:20240322T100000Z\r\n"
                "DTEND:20240322T110000Z\r\nSTATUS:CANCELLED\r\n")),
            ("calendar", "outside", vevent(
                "outside", "DTSTART:20240410T100000Z\r\n"
                "DTEND:20240410T110000Z\r\n")),
            ("work", "review", vevent(
                "review", "DTSTART:20240320T120000Z\r\n"
                "DURATION:PT1H30M\r\nSUMMARY:Secret review\r\n")),
        ]
        r = curl(cls.base, "MKCALENDAR", cal("work"))
        assert r.status == 201, r
        for coll, name, body in put:
            r = curl(cls.base, "PUT", cal(coll) + name + ".ics", body,
                     CT_CAL)
            assert r.status == 201, r

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    def post(self, body, user=ALICE, path=OUTBOX, headers=CT_CAL):
        password = ALICE_PASSWORD if user == ALICE else None
        return curl(self.base, "POST", path, body, headers, user, password)

    def responses(self, r):
        """{recipient: (request-status, calendar-data or None)}"""
        self.assertEqual(r.status, 200, r)
        root = r.xml()
        self.assertEqual(root.tag, C + "schedule-response")
        out = {}
        for resp in root.findall("C:response", NS):
            href = resp.find("C:recipient/D:href", NS).text
            status = resp.find("C:request-status", NS).text
            data = resp.find("C:calendar-data", NS)
            out[href] = (status, data.text if data is not None else None)
        return out

    def test_busy_periods(self):
        r = self.post(fb_request([BOB]))
        got = self.responses(r)
        self.assertEqual(list(got), [f"mailto:{BOB}"])
        status, data = got[f"mailto:{BOB}"]
        self.assertTrue(status.startswith("2.0"), status)
        lines = unfold(data).splitlines()
        self.assertIn("METHOD:REPLY", lines)
        self.assertIn("UID:fb-1", lines)
        self.assertIn(f"ORGANIZER:mailto:{ALICE}", lines)
        self.assertIn(f"ATTENDEE:mailto:{BOB}", lines)
        self.assertIn("DTSTART:20240318T000000Z", lines)
        self.assertIn("DTEND:20240402T000000Z", lines)
        busy = [ln for ln in lines if ln.startswith("FREEBUSY")]
        self.assertEqual(busy, [
            "FREEBUSY;FBTYPE=BUSY:20240318T080000Z/20240318T090000Z",
            "FREEBUSY;FBTYPE=BUSY:20240320T120000Z/20240320T133000Z",
            "FREEBUSY;FBTYPE=BUSY:20240325T080000Z/20240325T090000Z",
            "FREEBUSY;FBTYPE=BUSY:20240401T070000Z/20240401T080000Z",
            "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20240319T140000Z/"
            "20240319T150000Z",
        ])
        text = r.body.decode()
        for leak in ("Secret", "SUMMARY", "LOCATION", "Room 42", "weekly",
                     "VEVENT"):
            self.assertNotIn(leak, text)
        self.assertIn("dav freebusy user=alice@example.test attendees=1",
                      self.pr.log())

    def test_unknown_and_remote_attendees(self):
        got = self.responses(self.post(fb_request(
            ["nobody@example.test", BOB, "carol@elsewhere.invalid"])))
        self.assertTrue(got["mailto:nobody@example.test"][0]
                        .startswith("3.7"), got)
        self.assertIsNone(got["mailto:nobody@example.test"][1])
        self.assertTrue(got[f"mailto:{BOB}"][0].startswith("2.0"))
        self.assertTrue(got["mailto:carol@elsewhere.invalid"][0]
                        .startswith("5."), got)
        self.assertIsNone(got["mailto:carol@elsewhere.invalid"][1])

    def test_own_free_busy(self):
        got = self.responses(self.post(fb_request([ALICE])))
        status, data = got[f"mailto:{ALICE}"]
        self.assertTrue(status.startswith("2.0"))
        self.assertNotIn("FREEBUSY;", data)

    def test_other_users_outbox(self):
        r = self.post(fb_request([BOB], organizer=EVE), user=EVE)
        self.assertEqual(r.status, 403, r)
        self.assertIn(b"need-privileges", r.body)
        self.assertNotIn(b"FREEBUSY", r.body)

    def test_forged_organizer(self):
        r = self.post(fb_request([BOB], organizer=EVE))
        self.assertEqual(r.status, 403, r)
        self.assertIn(b"organizer-allowed", r.body)
        self.assertIn("organizer-allowed", self.pr.log())

    def test_limits(self):
        many = [f"u{i}@example.test" for i in range(51)]
        r = self.post(fb_request(many))
        self.assertEqual(r.status, 403, r)
        self.assertIn(b"max-attendees-per-instance", r.body)
        r = self.post(fb_request([BOB], start="20240101T000000Z",
                                 end="20260101T000000Z"))
        self.assertEqual(r.status, 403, r)
        self.assertIn(b"max-date-time", r.body)

    def test_malformed(self):
        for body in ("not a calendar",
                     fb_request([BOB]).replace("END:VCALENDAR\r\n", ""),
                     fb_request([BOB], end=None),
                     fb_request([BOB], start="20240402T000000Z",
                                end="20240318T000000Z"),
                     fb_request([BOB], method="REPLY"),
                     fb_request([])):
            r = self.post(body)
            self.assertEqual(r.status, 400, (body, r))
        self.assertEqual(self.post("").status, 400)

    def test_content_type_and_elsewhere(self):
        r = self.post(fb_request([BOB]),
                      headers={"Content-Type": "text/plain"})
        self.assertEqual(r.status, 415, r)
        r = self.post(fb_request([BOB]), path=cal(user=ALICE))
        self.assertEqual(r.status, 405, r)
        r = curl(self.base, "OPTIONS", OUTBOX, None, None, ALICE,
                 ALICE_PASSWORD)
        self.assertIn("POST", r.header("Allow"))


if __name__ == "__main__":
    unittest.main()
