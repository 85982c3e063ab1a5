"""iMIP (RFC 6047) between two postroomd instances on 127.0.0.2 and
127.0.0.3, dnsmasq serving both domains' MX: alice at example.test
invites zed at remote.test; the REQUEST leaves through alice's queue and
relay and arrives in zed's INBOX as mail (multipart/alternative,
text/calendar; method=REQUEST, From alice). zed accepts in his own
calendar over CalDAV: his server sends the REPLY by mail, and when it
arrives, alice's deliver sets zed's PARTSTAT in her event and puts the
REPLY into her schedule inbox. A REPLY in zed's name From another address
(sent straight to alice's MX with smtplib) changes nothing."""
import email
import email.policy
import re
import smtplib
import time
import unittest

from dav_fixtures import curl, multistatus, propfind_body
from harness import Postroom
from relay_fixtures import Dnsmasq

ALICE, ALICE_PW = "alice@example.test", "alice-pw"
ZED, ZED_PW = "zed@remote.test", "zed-pw"
CT_CAL = {"Content-Type": "text/calendar"}


def relay_conf(dns, mx_port):
    return {"dns_server": dns.server, "mx_port": mx_port,
            "connect_timeout": "5s", "command_timeout": "10s",
            "data_timeout": "10s"}


def unfold(text):
    return re.sub(r"\r?\n[ \t]", "", text)


def partstat(text, address):
    for line in unfold(text).splitlines():
        if line.startswith("ATTENDEE") and line.lower().endswith(address):
            m = re.search(r"PARTSTAT=([A-Z-]+)", line)
            return m.group(1) if m else "NEEDS-ACTION"
    return None


class DavSchedImipTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = Dnsmasq(
            mx=[("example.test", "mx.example.test", 10),
                ("remote.test", "mx.remote.test", 10)],
            hosts=[("mx.example.test", "127.0.0.2"),
                   ("mx.remote.test", "127.0.0.3")])
        queue = {"run_interval": "2s", "min_backoff": "1s",
                 "max_backoff": "2s"}
        cls.a = Postroom(hostname="mx.example.test", listen="127.0.0.2",
                         sections={"queue": queue})
        cls.b = Postroom(hostname="mx.remote.test", listen="127.0.0.3",
                         sections={"queue": queue})
        cls.a.sections["relay"] = relay_conf(cls.dns, cls.b.port)
        cls.b.sections["relay"] = relay_conf(cls.dns, cls.a.port)
        cls.a.write_conf()
        cls.b.write_conf()
        try:
            cls.a.start()
            cls.b.start()
            cls.a.add_user(ALICE, ALICE_PW)
            cls.b.add_user(ZED, ZED_PW)
            for pr in (cls.a, cls.b):
                deadline = time.monotonic() + 30
                while curl(f"http://{pr.listen}:{pr.http}", "GET",
                           "/health", user=None).status != 200:
                    assert time.monotonic() < deadline, "httpd not ready"
                    time.sleep(0.1)
        except BaseException:
            # tearDownClass does not run after a failed setUpClass
            cls.dns.stop()
            cls.a.cleanup()
            cls.b.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            codes = [cls.a.stop(), cls.b.stop()]
        finally:
            cls.dns.stop()
            cls.a.cleanup()
            cls.b.cleanup()
        assert codes == [0, 0], f"postroomd exited {codes}"

    def alice(self, method, path, body=None, headers=None):
        return curl(f"http://127.0.0.2:{self.a.http}", method, path, body,
                    headers, ALICE, ALICE_PW)

    def zed(self, method, path, body=None, headers=None):
        return curl(f"http://127.0.0.3:{self.b.http}", method, path, body,
                    headers, ZED, ZED_PW)

    def wait_for(self, what, check, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = check()
            if got:
                return got
            time.sleep(0.2)
        raise AssertionError(f"{what} after {timeout}s\nA:\n"
                             f"{self.a.log()[-3000:]}\nB:\n"
                             f"{self.b.log()[-3000:]}")

    def alice_event(self):
        return self.alice("GET", f"/dav/calendars/{ALICE}/calendar/"
                          "trip.ics").body.decode()

    def test_request_reply_round_trip(self):
        event = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
                 "BEGIN:VEVENT\r\nUID:trip-1\r\nDTSTAMP:20240101T000000Z\r\n"
                 "DTSTART:20240301T090000Z\r\nDTEND:20240301T170000Z\r\n"
                 "SUMMARY:Field trip\r\n"
                 "ORGANIZER;CN=Alice:mailto:alice@example.test\r\n"
                 "ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.test\r\n"
                 f"ATTENDEE;RSVP=TRUE:mailto:{ZED}\r\n"
                 "END:VEVENT\r\nEND:VCALENDAR\r\n")
        r = self.alice("PUT", f"/dav/calendars/{ALICE}/calendar/trip.ics",
                       event, CT_CAL)
        self.assertEqual(r.status, 201, r)
        self.assertIn("SCHEDULE-STATUS=1.1", unfold(self.alice_event()))
        # the REQUEST reaches zed as mail
        raw = self.wait_for("no invitation at zed", lambda: [
            m for m in self.b.messages(ZED) if b"UID:trip-1" in m or
            b"Field trip" in m])
        msg = email.message_from_bytes(raw[0], policy=email.policy.default)
        self.assertEqual(msg["From"].addresses[0].addr_spec, ALICE)
        self.assertEqual(str(msg["Subject"]), "Invitation: Field trip")
        cal = [p for p in msg.walk()
               if p.get_content_type() == "text/calendar"]
        self.assertEqual(len(cal), 1)
        self.assertEqual(cal[0].get_param("method"), "REQUEST")
        itip = cal[0].get_content()
        self.assertIn("METHOD:REQUEST", itip)
        # zed accepts in his calendar: his server replies by mail
        copy = unfold(itip).replace("METHOD:REQUEST\r\n", "").replace(
            f"RSVP=TRUE:mailto:{ZED}", f"RSVP=TRUE;PARTSTAT=ACCEPTED:"
            f"mailto:{ZED}")
        r = self.zed("PUT", f"/dav/calendars/{ZED}/calendar/trip.ics",
                     copy, CT_CAL)
        self.assertEqual(r.status, 201, r)
        self.assertIsNotNone(r.header("ETag"))  # an attendee's bytes stay
        self.wait_for("alice's event not updated",
                      lambda: partstat(self.alice_event(), ZED) ==
                      "ACCEPTED")
        self.assertIn("imip reply-applied", self.a.log())
        # the reply also went to alice's INBOX as mail, and her schedule
        # inbox
        r = self.alice("PROPFIND", f"/dav/calendars/{ALICE}/inbox/",
                       propfind_body("D:getetag"), {"Depth": "1"})
        hrefs = [h for h in multistatus(r)[0] if h.endswith(".ics")]
        self.assertEqual(len(hrefs), 1)
        self.assertIn("METHOD:REPLY",
                      self.alice("GET", hrefs[0]).body.decode())
        self.assertTrue(any(b"method=REPLY" in m
                            for m in self.a.messages(ALICE)))

    def test_forged_reply_changes_nothing(self):
        event = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
                 "BEGIN:VEVENT\r\nUID:forge-1\r\nDTSTAMP:20240101T000000Z\r\n"
                 "DTSTART:20240401T090000Z\r\nDTEND:20240401T100000Z\r\n"
                 "SUMMARY:Forge\r\n"
                 "ORGANIZER:mailto:alice@example.test\r\n"
                 f"ATTENDEE;RSVP=TRUE:mailto:{ZED}\r\n"
                 "END:VEVENT\r\nEND:VCALENDAR\r\n")
        path = f"/dav/calendars/{ALICE}/calendar/forge.ics"
        self.assertEqual(self.alice("PUT", path, event, CT_CAL).status, 201)
        before = self.alice("GET", path).body
        reply = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n"
                 "METHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:forge-1\r\n"
                 "DTSTAMP:20240102T000000Z\r\n"
                 "ORGANIZER:mailto:alice@example.test\r\n"
                 f"ATTENDEE;PARTSTAT=DECLINED:mailto:{ZED}\r\n"
                 "END:VEVENT\r\nEND:VCALENDAR\r\n")
        msg = ("From: mallory@remote.test\r\nTo: alice@example.test\r\n"
               "Subject: Declined\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/calendar; method=REPLY; charset=utf-8"
               f"\r\n\r\n{reply}")
        count = len(self.a.messages(ALICE))
        with smtplib.SMTP("127.0.0.2", self.a.port, timeout=30) as s:
            s.sendmail("mallory@remote.test", [ALICE], msg.encode())
        self.a.wait_messages(ALICE, count + 1)
        self.wait_for("no refusal logged",
                      lambda: "From is not the attendee" in self.a.log())
        self.assertEqual(self.alice("GET", path).body, before)


if __name__ == "__main__":
    unittest.main()
