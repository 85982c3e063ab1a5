"""postroom's calendars, tasks, journal and contacts against postroomd's
CalDAV and CardDAV (doc/postroom.md, "Calendars, tasks, journal"): the
two-way cases of client_dav_fixtures.CalSyncCases (events with a weekly
rule in Europe/Berlin and an alarm, a task, a journal entry and contacts
both ways; a recurring event edited on each side; a conflict keeping both
versions); a change made offline (postroomd stopped) carried at the next
sync; account add finding CalDAV and CardDAV by SRV records (dnsmasq) over
HTTPS and testing them, or without SRV by the well-known URIs on port
443 of the incoming server's name; sync tokens surviving a restart; an
account without DAV untouched; the domain's directory synced read-only;
a calendar shared read-write written to;
free/busy of a colleague who shares a calendar and of one who does not,
both through postroomd's schedule outbox (RFC 6638 §5): periods only."""
import datetime
import json
import os
import socket
import time
import unittest
import zoneinfo

from client_dav_fixtures import TZ, CalSyncCases, Server, dav_home, event
from client_fixtures import ClientHome
from dav_fixtures import (BOB, BOB_PASSWORD, EVE, EVE_PASSWORD, book, cal,
                          start)
from harness import Postroom
from relay_fixtures import Dnsmasq


def postroom_paths():
    return {"calendar": cal(), "tasks": cal("tasks"),
            "journal": cal("journal"), "contacts": book()}


class ClientCalPostroom(CalSyncCases, unittest.TestCase):
    DIRECTORY = ("bob", "eve")  # example.test's directory (doc/dav.md)

    def setUp(self):
        self.pr = start()
        self.base = f"http://127.0.0.1:{self.pr.http}"
        self.server = Server(self.base, postroom_paths())
        self.home = dav_home(self.base)

    def tearDown(self):
        self.home.cleanup()
        self.pr.cleanup()

    def test_offline_change_synced_later(self):
        self.sync()
        self.pr.stop()
        # offline: the change is kept, the sync says what failed
        uid = self.home.json("cal", "add", "--summary", "Dentist",
                             "--start", "2024-06-03 08:30", env=TZ)["uid"]
        self.ok("tasks", "add", "Buy milk")
        proc = self.sync(check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("connection refused", proc.stderr)
        self.assertEqual([e["uid"] for e in self.cal("day", "2024-06-03")],
                         [uid])
        self.pr.start()
        got = self.sync()
        self.assertEqual(got["up"], 2, got)
        name, text = self.server.find("calendar", "UID:" + uid)
        self.assertIn("SUMMARY:Dentist", text)
        self.assertIsNotNone(self.server.find("tasks", "Buy milk")[0])

    def test_sync_token_kept_across_restart(self):
        self.ok("cal", "add", "--summary", "One", "--start",
                "2024-07-01 10:00")
        self.sync()
        self.pr.stop()
        self.pr.start()
        # an incremental sync after the restart: only what changed
        self.server.put("calendar", "two.ics", event(
            "two", "20240701T140000", "20240701T150000", "Two"),
            new=True)
        got = self.sync()
        self.assertEqual((got["down"], got["up"]), (1, 0), got)
        log = self.pr.log()
        self.assertNotIn("valid-sync-token", log)

    def test_domain_directory_read_only(self):
        self.pr.ctl("dav", "directory", EVE, "--name", "Eve Example")
        self.ok("contacts", "add", "--name", "Own Contact", "--email",
                "own@example.org")
        got = self.sync()
        self.assertEqual((got["up"], got["errors"]), (1, 0), got)
        # the domain's directory came down and completes like the rest
        found = self.home.json("contacts", "search", "eve@", env=TZ)
        self.assertEqual([(c["name"], c["emails"]) for c in found],
                         [("Eve Example", [EVE])])
        # the new contact went to bob's own book, not the directory
        self.assertIsNotNone(self.server.find("contacts", "Own Contact")[0])
        for args in (("edit", str(found[0]["id"]), "--name", "E"),
                     ("delete", str(found[0]["id"]))):
            proc = self.home.run("contacts", *args, env=TZ)
            self.assertEqual(proc.returncode, 1, args)
            self.assertIn("read-only address book", proc.stderr)
        # the directory changes on the server: the change comes down
        self.pr.ctl("dav", "directory", EVE, "--name", "Eve Renamed")
        got = self.sync()
        self.assertEqual((got["down"], got["errors"]), (1, 0), got)
        found = self.home.json("contacts", "search", "eve@", env=TZ)
        self.assertEqual([c["name"] for c in found], ["Eve Renamed"])

    def test_free_busy_and_calendar_shared_by_a_colleague(self):
        eve = Server(self.base, {"calendar": cal(user=EVE)}, user=EVE,
                     password=EVE_PASSWORD)
        eve.put("calendar", "a.ics", event(
            "eve-1", "20240610T090000", "20240610T103000", "Busy"),
            new=True)
        eve.put("calendar", "b.ics", event(
            "eve-2", "20240610T140000", "20240610T150000", "Maybe",
            extra="STATUS:TENTATIVE\r\n"), new=True)
        self.pr.ctl("dav", "share", EVE, "calendar", BOB, "read")
        # the free-busy POST to bob's outbox answers
        out = self.home.json("cal", "freebusy", EVE, "--from",
                             "2024-06-10", "--days", "2", env=TZ)
        self.assertEqual(out, [
            {"start": "2024-06-10T09:00:00+02:00",
             "end": "2024-06-10T10:30:00+02:00", "type": "BUSY"},
            {"start": "2024-06-10T14:00:00+02:00",
             "end": "2024-06-10T15:00:00+02:00", "type": "BUSY-TENTATIVE"}])
        # the shared calendar is synced too, read-only (and the
        # directory's two cards)
        got = self.sync()
        self.assertEqual((got["down"], got["errors"]), (4, 0), got)
        day = self.cal("day", "2024-06-10")
        self.assertEqual([e["summary"] for e in day], ["Busy", "Maybe"])
        shared = day[0]["calendar"]
        self.assertNotEqual(shared, "calendar")
        self.ok("cal", "edit", day[0]["uid"], "--summary", "Mine now")
        got = self.sync()
        self.assertEqual(got["up"], 0, got)
        self.assertEqual([e["summary"] for e in self.cal("day",
                                                         "2024-06-10")],
                         ["Busy", "Maybe"])
        self.assertIn("SUMMARY:Busy", eve.get("calendar", "a.ics")[0])

    def test_calendar_shared_read_write(self):
        eve = Server(self.base, {"calendar": cal(user=EVE)}, user=EVE,
                     password=EVE_PASSWORD)
        eve.put("calendar", "team.ics", event(
            "eve-team", "20240612T090000", "20240612T100000", "Team"),
            new=True)
        self.pr.ctl("dav", "share", EVE, "calendar", BOB, "read-write")
        self.sync()
        ev = self.cal("day", "2024-06-12")
        self.assertEqual([e["summary"] for e in ev], ["Team"])
        # bob may change eve's event: it goes up into her calendar
        self.ok("cal", "edit", ev[0]["uid"], "--summary", "Team (moved)",
                "--start", "2024-06-12 11:00")
        got = self.sync()
        self.assertEqual((got["up"], got["errors"]), (1, 0), got)
        text = eve.get("calendar", "team.ics")[0]
        self.assertIn("SUMMARY:Team (moved)", text)
        self.assertRegex(text, r"DTSTART;TZID=Europe/Berlin:20240612T110000")

    def test_invitation_on_the_same_server(self):
        # invitations are listed from now on: a day next month
        day = (datetime.date.today() +
               datetime.timedelta(days=30)).isoformat()
        uid = self.home.json("cal", "add", "--summary", "Budget", "--start",
                             day + " 10:00", "--attendee", EVE,
                             env=TZ)["uid"]
        self.sync()
        # postroomd schedules: eve's copy is in her calendar, no mail
        eve = dav_home(self.base, address=EVE, password=EVE_PASSWORD)
        self.addCleanup(eve.cleanup)
        proc = eve.run("--json", "sync", "--dav", env=TZ)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        inv = eve.json("cal", "invitations", env=TZ)
        self.assertEqual([(i["message"], i["event"], i["organizer"],
                           i["state"]) for i in inv],
                         [(None, uid, BOB, "new")])
        self.assertIn(f"--event {uid[:8]}",
                      eve.run("cal", "invitations", env=TZ).stdout)
        out = eve.json("cal", "accept", "--event", uid[:8], env=TZ)
        self.assertEqual((out["uid"], out["partstat"], out["reply"]),
                         (uid, "ACCEPTED", "server"))
        # answered: no longer listed
        self.assertEqual(eve.json("cal", "invitations", env=TZ), [])
        proc = eve.run("--json", "sync", "--dav", env=TZ)
        self.assertEqual(json.loads(proc.stdout)["dav"]["up"], 1)
        # eve's server sent the REPLY to bob's copy; his sync brings it
        got = self.sync()
        self.assertEqual(got["down"], 1, got)
        ev = self.cal("day", day)[0]
        self.assertEqual([(a["address"], a["partstat"])
                          for a in ev["attendees"]], [(EVE, "ACCEPTED")])
        # an event bob organizes is no invitation to answer
        proc = self.home.run("cal", "decline", "--event", uid, env=TZ)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("not an invitation to " + BOB, proc.stderr)

    def test_free_busy_of_a_colleague_not_shared(self):
        # nothing shared: the outbox's VFREEBUSY REPLY has eve's periods
        eve = Server(self.base, {"calendar": cal(user=EVE)}, user=EVE,
                     password=EVE_PASSWORD)
        eve.put("calendar", "a.ics", event(
            "eve-1", "20240610T090000", "20240610T103000", "Private"),
            new=True)
        out = self.home.json("cal", "freebusy", EVE, "--from",
                             "2024-06-10", "--days", "2", env=TZ)
        self.assertEqual(out, [
            {"start": "2024-06-10T09:00:00+02:00",
             "end": "2024-06-10T10:30:00+02:00", "type": "BUSY"}])
        self.assertIn("dav freebusy user=bob@example.test", self.pr.log())
        proc = self.home.run("cal", "freebusy", "nobody@example.test",
                             env=TZ)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("postroom: cal freebusy nobody@example.test",
                      proc.stderr)


class ClientCalAccount(unittest.TestCase):
    """account add finds CalDAV and CardDAV (RFC 6764 SRV records) over
    HTTPS beside IMAP and SMTP, tests them, and saves them."""

    @classmethod
    def setUpClass(cls):
        cls.pr = start()
        cls.cert = os.path.join(cls.pr.data, "tls", "cert.pem")

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    def setUp(self):
        self.dns = None
        self.home = ClientHome()

    def tearDown(self):
        if self.dns:
            self.dns.stop()
        self.home.cleanup()

    def add(self, *args, srv=(), txt=()):
        s = self.pr
        self.dns = Dnsmasq(hosts=[("mx.local.test", "127.0.0.1")], srv=[
            ("_imaps._tcp.example.test", "mx.local.test", s.imaps),
            ("_submissions._tcp.example.test", "mx.local.test",
             s.submissions), *srv], txt=txt)
        self.home.write_client_conf({"dns_server": self.dns.server})
        pw = self.home.password_file("new", BOB_PASSWORD)
        return self.home.run("account", "add", "bob", "--address", BOB,
                             "--password-file", pw, "--ca-file", self.cert,
                             *args)

    def test_srv_records_find_caldav_and_carddav(self):
        s = self.pr
        # CalDAV's context path from its TXT record (RFC 6764 §4),
        # CardDAV's from the well-known URI at the SRV target
        proc = self.add(srv=[
            ("_caldavs._tcp.example.test", "mx.local.test", s.https),
            ("_carddavs._tcp.example.test", "mx.local.test", s.https)],
            txt=[("_caldavs._tcp.example.test", "path=/dav/")])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("calendars and contacts from SRV", proc.stdout)
        a = self.home.json("account", "list")[0]
        host = f"https://mx.local.test:{s.https}"
        self.assertEqual(a["caldav"], host + "/dav/")
        self.assertEqual(a["carddav"], host + "/.well-known/carddav")
        self.assertIn("CalDAV and CardDAV work",
                      self.home.run("account", "test", "bob").stdout)
        # the saved account syncs (over HTTPS, the server's certificate
        # checked against the CA file)
        self.home.run("cal", "add", "--summary", "Via SRV", "--start",
                      "2024-08-01 10:00", env=TZ, check=True)
        out = json.loads(self.home.run("--json", "sync", env=TZ,
                                       check=True).stdout)
        self.assertEqual(out["dav"]["up"], 1, out)

    def test_account_without_dav_still_works(self):
        proc = self.add()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("no CalDAV or CardDAV server found", proc.stdout)
        a = self.home.json("account", "list")[0]
        self.assertIsNone(a["caldav"])
        out = json.loads(self.home.run("--json", "sync", check=True).stdout)
        self.assertTrue(out["ok"])
        self.assertEqual(out["dav"]["up"], 0)
        # the local calendar works without a server
        self.home.run("cal", "add", "--summary", "Local only", "--start",
                      "2024-08-02 10:00", env=TZ, check=True)
        self.assertEqual(len(self.home.json("cal", "day", "2024-08-02",
                                            env=TZ)), 1)

    def test_dav_named_and_wrong_password_not_saved(self):
        url = f"https://localhost:{self.pr.https}/dav/"
        proc = self.add("--dav", url)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.home.json("account", "list")[0]["caldav"], url)
        other = ClientHome()
        try:
            pw = other.password_file("new", "wrong")
            proc = other.run("account", "add", "x", "--address", BOB,
                             "--password-file", pw, "--ca-file", self.cert,
                             "--imap", f"localhost:{self.pr.imaps}",
                             "--smtp", f"localhost:{self.pr.submissions}",
                             "--no-test", "--dav", url)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            proc = other.run("account", "test", "x")
            self.assertEqual(proc.returncode, 1)
        finally:
            other.cleanup()


@unittest.skipUnless(os.geteuid() == 0, "binds 443 on 127.0.0.14")
class ClientCalWellKnown(unittest.TestCase):
    """No SRV record for CalDAV or CardDAV: account add tries the
    well-known URIs (RFC 6764 §5) on port 443 of the domain, then of the
    incoming server's name, follows postroomd's redirect there, tests and
    saves them."""

    def test_well_known_at_the_incoming_server(self):
        pr = Postroom(listen="127.0.0.14",
                      sections={"httpd": {"https_port": 443}})
        pr.https = 443
        self.addCleanup(pr.cleanup)
        pr.start()
        pr.add_user(BOB, BOB_PASSWORD)
        # httpd starts after smtpd: until its HTTPS port answers
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.14", 443), 5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        home = ClientHome()
        self.addCleanup(home.cleanup)
        dns = Dnsmasq(hosts=[("mx.local.test", "127.0.0.14")])
        self.addCleanup(dns.stop)
        home.write_client_conf({"dns_server": dns.server, "timeout": "5s"})
        pw = home.password_file("new", BOB_PASSWORD)
        cert = os.path.join(pr.data, "tls", "cert.pem")
        proc = home.run("account", "add", "bob", "--address", BOB,
                        "--password-file", pw, "--ca-file", cert,
                        "--imap", f"mx.local.test:{pr.imaps}",
                        "--smtp", f"mx.local.test:{pr.submissions}")
        self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
        self.assertIn("calendars and contacts from well-known URI",
                      proc.stdout)
        a = home.json("account", "list")[0]
        self.assertEqual((a["caldav"], a["carddav"]),
                         ("https://mx.local.test/.well-known/caldav",
                          "https://mx.local.test/.well-known/carddav"))
        home.run("tasks", "add", "Via well-known", env=TZ, check=True)
        out = json.loads(home.run("--json", "sync", "--dav", env=TZ,
                                  check=True).stdout)
        self.assertEqual((out["dav"]["up"], out["dav"]["errors"]), (1, 0),
                         out)
        server = Server(f"http://127.0.0.14:{pr.http}",
                        {"tasks": cal("tasks")})
        self.assertIsNotNone(server.find("tasks", "Via well-known")[0])


class ClientCalLocal(unittest.TestCase):
    """What works with no server at all: reminders due soon."""

    def setUp(self):
        self.home = ClientHome()
        self.home.write_account("local", BOB)

    def tearDown(self):
        self.home.cleanup()

    def test_reminders_due_soon(self):
        berlin = zoneinfo.ZoneInfo("Europe/Berlin")
        start = (datetime.datetime.now(berlin) +
                 datetime.timedelta(hours=2)).replace(second=0,
                                                      microsecond=0)
        self.home.run("cal", "add", "--summary", "Call Ann", "--start",
                      start.strftime("%Y-%m-%d %H:%M"), "--alarm", "90m",
                      "--alarm", "5m", env=TZ, check=True)
        due = self.home.json("cal", "reminders", env=TZ)
        self.assertEqual([r["summary"] for r in due], ["Call Ann"])
        alarm = datetime.datetime.fromisoformat(due[0]["alarm"])
        self.assertEqual(alarm, start - datetime.timedelta(minutes=90))
        self.assertEqual(self.home.json("cal", "reminders", "--within",
                                        "10m", env=TZ), [])
        self.assertEqual(len(self.home.json("cal", "reminders", "--within",
                                            "3h", env=TZ)), 2)


if __name__ == "__main__":
    unittest.main()
