"""postroom's calendars, tasks, journal and contacts against Debian's
Radicale (started on loopback; it rewrites what it stores and answers PUT
with the ETag of its own version): the same two-way cases as against
postroomd (client_dav_fixtures.CalSyncCases), a change made while Radicale
is down carried at the next sync, a read-only address book (as the
domain's shared one will be: Radicale's rights make it read-only to bob)
synced into the address book and completion but never written to, local
changes to it undone, and free/busy of a colleague whose calendar bob may
read. The same two-way cases again against a Radicale without
sync-collection (radicale_no_sync.py: an older server): members listed
with PROPFIND Depth 1 and compared by ETag, the listing spared while a
collection's CTag is unchanged."""
import json
import unittest

from client_dav_fixtures import (TZ, CalSyncCases, RadicaleServer, Server,
                                 card, dav_home, event)
from dav_fixtures import BOB


class ClientCalRadicale(CalSyncCases, unittest.TestCase):
    def setUp(self):
        self.rad = RadicaleServer()
        self.server = Server(self.rad.base, self.rad.bob_paths())
        self.home = dav_home(self.rad.base, path="/")

    def tearDown(self):
        self.home.cleanup()
        self.rad.cleanup()

    def test_offline_change_synced_later(self):
        self.sync()
        self.rad.stop()
        self.ok("journal", "add", "--date", "2024-06-04", "--summary",
                "Offline day", "--body-file", self.write("b", "Written "
                                                              "offline.\n"))
        proc = self.sync(check=False)
        self.assertEqual(proc.returncode, 1)
        self.rad.start()
        got = self.sync()
        self.assertEqual(got["up"], 1, got)
        _, text = self.server.find("journal", "Offline day")
        self.assertIn("DESCRIPTION:Written offline.", text)

    def test_read_only_address_book(self):
        admin = Server(self.rad.base, {"contacts":
                                       self.rad.make(BOB, "directory",
                                                     "book", by="admin")},
                       user="admin", password="admin-secret")
        admin.put("contacts", "zoe.vcf",
                  card("dir-zoe", "Zoe Director", "zoe@example.test"),
                  new=True)
        self.ok("contacts", "add", "--name", "Yann Own", "--email",
                "yann@example.test")
        got = self.sync()
        self.assertEqual((got["down"], got["up"]), (1, 1), got)
        # the directory's card is in the address book and completes
        found = self.home.json("contacts", "search", "director", env=TZ)
        self.assertEqual([c["name"] for c in found], ["Zoe Director"])
        # the new contact went to bob's own book, not the directory
        self.assertEqual(list(admin.members("contacts")), ["zoe.vcf"])
        self.assertIsNotNone(self.server.find("contacts", "Yann Own")[0])
        # editing a read-only card is refused here
        zoe = found[0]["id"]
        proc = self.home.run("contacts", "edit", str(zoe), "--name", "Z",
                             env=TZ)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("read-only address book", proc.stderr)
        # the directory changes: the change comes down
        text, etag = admin.get("contacts", "zoe.vcf")
        admin.put("contacts", "zoe.vcf",
                  text.replace("zoe@example.test", "zoe@new.example"),
                  etag=etag)
        self.sync()
        c = self.home.json("contacts", "show", str(zoe), env=TZ)
        self.assertEqual(c["emails"], ["zoe@new.example"])

    def test_free_busy_of_a_colleague(self):
        alice = Server(self.rad.base, {"calendar": self.rad.make(
            "alice@example.test", "work", "cal")},
            user="alice@example.test", password="alice-secret")
        alice.put("calendar", "a.ics", event(
            "alice-1", "20240610T090000", "20240610T103000", "Busy"),
            new=True)
        alice.put("calendar", "b.ics", event(
            "alice-2", "20240610T140000", "20240610T150000", "Maybe",
            extra="STATUS:TENTATIVE\r\n"), new=True)
        alice.put("calendar", "c.ics", event(
            "alice-3", "20240611T090000", "20240611T100000", "Free",
            extra="TRANSP:TRANSPARENT\r\n"), new=True)
        out = self.home.json("cal", "freebusy", "alice@example.test",
                             "--from", "2024-06-10", "--days", "2", env=TZ)
        self.assertEqual(out, [
            {"start": "2024-06-10T09:00:00+02:00",
             "end": "2024-06-10T10:30:00+02:00", "type": "BUSY"},
            {"start": "2024-06-10T14:00:00+02:00",
             "end": "2024-06-10T15:00:00+02:00", "type": "BUSY-TENTATIVE"}])
        # none of eve's calendars may be read
        proc = self.home.run("cal", "freebusy", "eve@example.test", env=TZ)
        self.assertEqual(proc.returncode, 1)


class ClientCalRadicaleNoSync(CalSyncCases, unittest.TestCase):
    def setUp(self):
        self.rad = RadicaleServer(no_sync=True)
        self.server = Server(self.rad.base, self.rad.bob_paths())
        self.home = dav_home(self.rad.base, path="/")

    def tearDown(self):
        self.home.cleanup()
        self.rad.cleanup()

    def sync(self, check=True):
        self.rad.requests()  # only the client's requests from here
        return super().sync(check)

    def listed(self, requests):
        """The collections listed member by member (PROPFIND Depth 1)."""
        paths = {v: k for k, v in self.server.paths.items()}
        return sorted(paths[r[1]] for r in requests
                      if r[0] == "PROPFIND" and r[2] == "1" and
                      r[1] in paths)

    def test_listing_by_etag_spared_by_ctag(self):
        s = self.server
        uid = self.home.json("cal", "add", "--summary", "Old server",
                             "--start", "2024-06-12 10:00", env=TZ)["uid"]
        got = self.sync()
        self.assertEqual(got["up"], 1, got)
        reqs = self.rad.requests()
        self.assertNotIn("sync-collection", [r[3] for r in reqs])
        self.assertEqual(self.listed(reqs),
                         ["calendar", "contacts", "journal", "tasks"])
        # our own PUT moved the calendar's CTag: only it is listed again
        # (and nothing found to do); then nothing is listed at all
        got = self.sync()
        self.assertEqual((got["up"], got["down"]), (0, 0), got)
        self.assertEqual(self.listed(self.rad.requests()), ["calendar"])
        got = self.sync()
        self.assertEqual((got["up"], got["down"]), (0, 0), got)
        self.assertEqual(self.listed(self.rad.requests()), [])
        # a change there: only that collection is listed; the new and
        # the changed member come down by multiget
        s.put("calendar", "new.ics", event(
            "radicale-new", "20240612T140000", "20240612T150000", "New"),
            new=True)
        name, _ = s.find("calendar", "UID:" + uid)
        text, etag = s.get("calendar", name)
        s.put("calendar", name, text.replace("SUMMARY:Old server",
                                             "SUMMARY:Old server moved"),
              etag=etag)
        got = self.sync()
        self.assertEqual((got["down"], got["up"], got["conflicts"]),
                         (2, 0, 0), got)
        reqs = self.rad.requests()
        self.assertEqual(self.listed(reqs), ["calendar"])
        self.assertIn("calendar-multiget", [r[3] for r in reqs])
        self.assertNotIn("sync-collection", [r[3] for r in reqs])
        day = self.cal("day", "2024-06-12")
        self.assertEqual([e["summary"] for e in day],
                         ["Old server moved", "New"])
        # a member deleted there goes here too
        s.delete("calendar", "new.ics")
        got = self.sync()
        self.assertEqual(got["deleted_down"], 1, got)
        self.assertEqual([e["summary"] for e in self.cal("day",
                                                         "2024-06-12")],
                         ["Old server moved"])


if __name__ == "__main__":
    unittest.main()
