"""An invitation across two mail domains by iMIP (RFC 6047), client to
client: Lisa (otherisp.test, one postroomd on 127.0.0.2) adds an event
with Bob (comentum.test, another postroomd on 127.0.0.3) as attendee;
dnsmasq serves both domains' MX records. The REQUEST leaves through
Lisa's submission server, is relayed and lands in Bob's INBOX as a
text/calendar part with method=REQUEST; Bob's client lists it, accepts
it (the event goes into his calendar and to his CalDAV server with his
PARTSTAT). Both servers schedule (RFC 6638, calendar-auto-schedule), so
neither client mails anything itself: Lisa's server sends the REQUEST
when her sync puts the event, Bob's the REPLY when his sync puts his
answer, and Lisa's server applies the REPLY to her event as it arrives
(deliver_imip); her client's next sync brings the change down. A forged
REPLY is refused by the client's own `cal apply`."""
import json
import os
import re
import unittest

from client_dav_fixtures import TZ, Server, unfold
from client_fixtures import ClientHome
from dav_fixtures import cal
from harness import Postroom
from relay_fixtures import Dnsmasq

LISA, LISA_PW = "lisa@otherisp.test", "lisa-pw"
BOB, BOB_PW = "bob@comentum.test", "bob-pw"


def relay_conf(dns, mx_port):
    return {"dns_server": dns.server, "mx_port": mx_port,
            "connect_timeout": "5s", "command_timeout": "10s",
            "data_timeout": "10s"}


class ClientImip(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = Dnsmasq(
            mx=[("otherisp.test", "mx.otherisp.test", 10),
                ("comentum.test", "mx.comentum.test", 10)],
            hosts=[("mx.otherisp.test", "127.0.0.2"),
                   ("mx.comentum.test", "127.0.0.3")])
        queue = {"run_interval": "2s", "min_backoff": "1s",
                 "max_backoff": "2s"}
        cls.isp = Postroom(hostname="mx.otherisp.test", listen="127.0.0.2",
                           sections={"queue": queue})
        cls.com = Postroom(hostname="mx.comentum.test", listen="127.0.0.3",
                           sections={"queue": queue})
        cls.isp.sections["relay"] = relay_conf(cls.dns, cls.com.port)
        cls.com.sections["relay"] = relay_conf(cls.dns, cls.isp.port)
        cls.isp.write_conf()
        cls.com.write_conf()
        cls.isp.start()
        cls.com.start()
        cls.isp.add_user(LISA, LISA_PW)
        cls.com.add_user(BOB, BOB_PW)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.isp.stop()
            cls.com.stop()
        finally:
            cls.dns.stop()
            cls.isp.cleanup()
            cls.com.cleanup()

    def client(self, pr, address, password, host):
        home = ClientHome({"dns_server": self.dns.server})
        home.write_account(
            "me", address, password,
            tls_ca_file=os.path.join(pr.data, "tls", "cert.pem"),
            incoming={"protocol": "imap", "host": host, "port": pr.imaps,
                      "tls": "implicit"},
            outgoing={"host": host, "port": pr.submissions,
                      "tls": "implicit"})
        with open(os.path.join(home.config_dir, "accounts", "me.conf"),
                  "a") as f:
            f.write(f"[dav]\ncaldav = http://{pr.listen}:{pr.http}/dav/\n")
        self.addCleanup(home.cleanup)
        return home

    def sync(self, home):
        proc = home.run("--json", "sync", env=TZ)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)

    def test_invitation_accepted_updates_the_organizer(self):
        lisa = self.client(self.isp, LISA, LISA_PW, "mx.otherisp.test")
        bob = self.client(self.com, BOB, BOB_PW, "mx.comentum.test")
        self.sync(lisa)
        self.sync(bob)
        proc = lisa.run("--json", "cal", "add", "--summary", "Planning",
                        "--start", "2024-09-02 10:00", "--duration", "1h",
                        "--location", "Room 7", "--attendee", BOB, env=TZ)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        uid = json.loads(proc.stdout.splitlines()[-1])["uid"]
        got = self.sync(lisa)
        self.assertEqual(got["dav"]["up"], 1, got)
        # postroomd schedules (calendar-auto-schedule, RFC 6638 §2): the
        # client sent nothing itself, Lisa's server sent the REQUEST
        self.assertEqual(lisa.json("list", "--mailbox", "Sent", env=TZ),
                         [])
        self.assertRegex(self.isp.log(), r"imip-queued [^\n]*method=REQUEST"
                                         r"[^\n]*uid=" + re.escape(uid))

        # the REQUEST reached Bob's server as an iMIP message
        stored = self.com.wait_messages(BOB, 1, timeout=60)
        self.assertRegex(stored[0].decode(),
                         r"(?i)content-type: text/calendar;[^\r\n]*"
                         r"method=\"?REQUEST")
        self.sync(bob)
        inv = bob.json("cal", "invitations", env=TZ)
        self.assertEqual(len(inv), 1, inv)
        self.assertEqual((inv[0]["method"], inv[0]["uid"], inv[0]["state"],
                          inv[0]["organizer"]),
                         ("REQUEST", uid, "new", LISA))
        self.assertEqual(inv[0]["start"], "2024-09-02T10:00:00+02:00")

        # Bob accepts: his calendar has it; his server sends the REPLY
        out = bob.json("cal", "accept", str(inv[0]["message"]), env=TZ)
        self.assertEqual((out["partstat"], out["reply"]),
                         ("ACCEPTED", "server"))
        day = bob.json("cal", "day", "2024-09-02", env=TZ)
        self.assertEqual([(e["uid"], e["summary"]) for e in day],
                         [(uid, "Planning")])
        mine = [a for a in day[0]["attendees"] if a["address"] == BOB]
        self.assertEqual(mine[0]["partstat"], "ACCEPTED")
        self.assertEqual(bob.json("cal", "invitations", env=TZ)[0]["state"],
                         "ACCEPTED")
        got = self.sync(bob)
        self.assertEqual(got["dav"]["up"], 1, got)
        self.assertEqual(bob.json("list", "--mailbox", "Sent", env=TZ), [])
        bob_server = Server(f"http://{self.com.listen}:{self.com.http}",
                            {"calendar": cal(user=BOB)}, user=BOB,
                            password=BOB_PW)
        _, text = bob_server.find("calendar", "UID:" + uid)
        self.assertRegex(unfold(text),
                         r"ATTENDEE;[^\r\n]*PARTSTAT=ACCEPTED[^\r\n]*"
                         r":mailto:" + re.escape(BOB))
        self.assertRegex(self.com.log(), r"imip-queued [^\n]*method=REPLY"
                                         r"[^\n]*uid=" + re.escape(uid))

        # the REPLY reaches Lisa; her server applies it to her event, and
        # her client's next sync brings the change down
        self.isp.wait_messages(LISA, 1, timeout=60)
        self.assertRegex(self.isp.log(), r"reply-applied[^\n]*" +
                         re.escape(uid))
        got = self.sync(lisa)
        self.assertEqual(got["dav"]["down"], 1, got)
        ev = lisa.json("cal", "day", "2024-09-02", env=TZ)
        theirs = [a for a in ev[0]["attendees"] if a["address"] == BOB]
        self.assertEqual(theirs[0]["partstat"], "ACCEPTED")
        inv = lisa.json("cal", "invitations", env=TZ)
        self.assertEqual([(i["method"], i["from"], i["partstat"],
                           i["state"]) for i in inv],
                         [("REPLY", BOB, "ACCEPTED", "applied")])

    def test_reply_from_someone_else_is_refused(self):
        lisa = self.client(self.isp, LISA, LISA_PW, "mx.otherisp.test")
        uid = lisa.json("cal", "add", "--summary", "Private", "--start",
                        "2024-09-03 10:00", "--attendee", BOB,
                        env=TZ)["uid"]
        # a forged REPLY, from an address that is not the attendee's
        forged = (
            "From: mallory@otherisp.test\r\nTo: " + LISA + "\r\n"
            "Subject: Accepted\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/calendar; method=REPLY; charset=utf-8\r\n"
            "\r\nBEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n"
            "METHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\n"
            "DTSTAMP:20240901T000000Z\r\nSEQUENCE:0\r\n"
            "ORGANIZER:mailto:" + LISA + "\r\n"
            "ATTENDEE;PARTSTAT=DECLINED:mailto:" + BOB + "\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")
        path = os.path.join(lisa.tmp, "forged.eml")
        with open(path, "w", newline="") as f:
            f.write(forged)
        lisa.run("import", path, env=TZ, check=True)
        inv = lisa.json("cal", "invitations", env=TZ)
        proc = lisa.run("cal", "apply", str(inv[0]["message"]), env=TZ)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("the sender is not the attendee", proc.stderr)
        ev = lisa.json("cal", "day", "2024-09-03", env=TZ)[0]
        self.assertEqual(ev["attendees"][0]["partstat"], "NEEDS-ACTION")


if __name__ == "__main__":
    unittest.main()
