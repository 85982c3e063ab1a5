"""Sharing and isolation over raw WebDAV with curl: alice shares her
calendar with bob read-only and her address book read-write (postroomctl
dav share); bob finds both in his own homes with the owner, a name that
says whose they are and the privileges she gave (RFC 3744
current-user-privilege-set), reads them with GET, PROPFIND, the queries
and sync-collection, writes where he may, and is refused 403
DAV:need-privileges everywhere else with nothing changed; DELETE of a
share leaves it; unshare takes it away. eve, with no share, gets 403 or
404 on every path to alice's data: her home, a collection, a guessed
href, PUT, DELETE, PROPPATCH, MOVE and COPY into it, a multiget naming
alice's hrefs, alice's sync token, bob's name for the share. And the
domain's directory: every account's card, read-only, kept up to date as
accounts come, go, get a name or hide (postroomctl dav directory)."""
import re
import subprocess
import time
import unittest

from dav_fixtures import (BOB, EVE, NS, XMLNS, book, cal, curl, event, home,
                          multistatus, propfind_body, start, sync_body,
                          vcard)

D = "{DAV:}"
C = "{urn:ietf:params:xml:ns:caldav}"
ALICE = "alice@example.test"
ALICE_PASSWORD = "alice-secret"
CT_CAL = {"Content-Type": "text/calendar"}
CT_CARD = {"Content-Type": "text/vcard"}
SHARED_CAL = cal(f"calendar_shared_by_{ALICE}", BOB)
SHARED_BOOK = book(f"contacts_shared_by_{ALICE}", BOB)
DIRECTORY = book("directory", BOB)


def privileges(props, href):
    """The privilege names of DAV:current-user-privilege-set."""
    code, el = props[href][D + "current-user-privilege-set"]
    assert code == 200
    return sorted(p[0].tag.split("}")[1] for p in el.findall("D:privilege",
                                                             NS))


class DavShareTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start()
        cls.pr.add_user(ALICE, ALICE_PASSWORD)
        cls.base = f"http://127.0.0.1:{cls.pr.http}"
        for i in range(3):
            r = cls.alice("PUT", cal(user=ALICE) + f"a{i}.ics",
                          event(f"a-{i}", f"2024011{i}T100000Z",
                                f"2024011{i}T110000Z", f"Alice {i}"), CT_CAL)
            assert r.status == 201, r
        r = cls.alice("PUT", book(user=ALICE) + "c0.vcf",
                      vcard("c-0", "Carl Card", "carl@example.org"), CT_CARD)
        assert r.status == 201, r
        out = cls.pr.ctl("dav", "share", ALICE, "calendar", BOB,
                         "read").stdout
        assert f"as calendars/calendar_shared_by_{ALICE}" in out, out
        cls.pr.ctl("dav", "share", ALICE, "addressbooks/contacts", BOB,
                   "read-write")

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    @classmethod
    def alice(cls, method, path, body=None, headers=None):
        return curl(cls.base, method, path, body, headers, ALICE,
                    ALICE_PASSWORD)

    def dav(self, method, path, body=None, headers=None, user=BOB):
        return curl(self.base, method, path, body, headers, user)

    def alice_members(self, path):
        r = self.alice("PROPFIND", path, propfind_body("D:getetag"),
                       {"Depth": "1"})
        props, _ = multistatus(r)
        return sorted(h.rsplit("/", 1)[1] for h in props if h != path)

    def assert_refused(self, r, status=403, privilege=True):
        self.assertEqual(r.status, status, r)
        if privilege:
            self.assertIn(b"need-privileges", r.body)

    def test_read_share_seen_from_bob(self):
        r = self.dav("PROPFIND", home("calendars"), propfind_body(
            "D:displayname", "D:owner", "D:current-user-privilege-set",
            "D:resourcetype", "C:supported-calendar-component-set"),
            {"Depth": "1"})
        props, _ = multistatus(r)
        self.assertIn(SHARED_CAL, props)
        p = props[SHARED_CAL]
        self.assertEqual(p[D + "displayname"][1].text, f"Calendar ({ALICE})")
        self.assertEqual(p[D + "owner"][1].findtext("D:href", namespaces=NS),
                         f"/dav/principals/{ALICE}/")
        self.assertIsNotNone(p[D + "resourcetype"][1].find("C:calendar", NS))
        self.assertEqual(privileges(props, SHARED_CAL),
                         ["read", "read-current-user-privilege-set",
                          "read-free-busy"])
        # his own calendar is all his
        self.assertIn("all", privileges(props, cal()))
        # the members, by the share's path
        r = self.dav("PROPFIND", SHARED_CAL, propfind_body("D:getetag"),
                     {"Depth": "1"})
        props, _ = multistatus(r)
        self.assertEqual(sorted(h for h in props if h != SHARED_CAL),
                         [SHARED_CAL + f"a{i}.ics" for i in range(3)])
        r = self.dav("GET", SHARED_CAL + "a1.ics")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body.decode(), event(
            "a-1", "20240111T100000Z", "20240111T110000Z", "Alice 1"))
        # a query and a sync name the share's paths
        q = (f'<C:calendar-query {XMLNS}><D:prop><D:getetag/></D:prop>'
             '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter '
             'name="VEVENT"><C:time-range start="20240111T000000Z" '
             'end="20240112T000000Z"/></C:comp-filter></C:comp-filter>'
             '</C:filter></C:calendar-query>')
        r = self.dav("REPORT", SHARED_CAL, q, {"Depth": "1"})
        self.assertEqual(list(multistatus(r)[0]), [SHARED_CAL + "a1.ics"])
        r = self.dav("REPORT", SHARED_CAL, sync_body())
        self.assertEqual(r.status, 207)
        self.assertEqual(len(multistatus(r)[0]), 3)
        # the owner's own path serves the share too
        self.assertEqual(self.dav("GET", cal(user=ALICE) + "a1.ics").status,
                         200)

    def test_read_share_refuses_writes(self):
        before = self.alice_members(cal(user=ALICE))
        new = event("bob-new")
        self.assert_refused(self.dav("PUT", SHARED_CAL + "b.ics", new,
                                     CT_CAL))
        self.assert_refused(self.dav("PUT", cal(user=ALICE) + "b.ics", new,
                                     CT_CAL))
        self.assert_refused(self.dav("PUT", SHARED_CAL + "a0.ics", new,
                                     CT_CAL))
        self.assert_refused(self.dav("DELETE", SHARED_CAL + "a0.ics"))
        self.assert_refused(self.dav(
            "PROPPATCH", SHARED_CAL,
            f'<D:propertyupdate {XMLNS}><D:set><D:prop><D:displayname>'
            'Mine</D:displayname></D:prop></D:set></D:propertyupdate>'))
        self.assert_refused(self.dav(
            "MOVE", SHARED_CAL + "a0.ics", None,
            {"Destination": self.base + cal() + "stolen.ics"}))
        self.assert_refused(self.dav(
            "COPY", SHARED_CAL + "a0.ics", None,
            {"Destination": self.base + cal() + "copied.ics"}))
        self.assertEqual(self.alice_members(cal(user=ALICE)), before)
        self.assertEqual(self.dav("GET", cal() + "stolen.ics").status, 404)
        self.assertEqual(self.dav("GET", cal() + "copied.ics").status, 404)
        # what she did not share stays hers alone
        self.assertEqual(self.dav("PROPFIND", cal("tasks", ALICE), None,
                                  {"Depth": "0"}).status, 404)
        self.assertEqual(self.dav("PUT", cal("tasks", ALICE) + "t.ics",
                                  event("t").replace("VEVENT", "VTODO"),
                                  CT_CAL).status, 404)

    def test_read_write_share(self):
        r = self.dav("PROPFIND", SHARED_BOOK, propfind_body(
            "D:current-user-privilege-set", "D:sync-token"), {"Depth": "0"})
        props, _ = multistatus(r)
        self.assertIn("write-content", privileges(props, SHARED_BOOK))
        self.assertNotIn("all", privileges(props, SHARED_BOOK))
        token = props[SHARED_BOOK][D + "sync-token"][1].text
        r = self.dav("PUT", SHARED_BOOK + "from-bob.vcf",
                     vcard("from-bob", "Bea Bob", "bea@example.org"),
                     CT_CARD)
        self.assertEqual(r.status, 201, r)
        # alice sees bob's card in her book, and her sync reports it
        self.assertIn("from-bob.vcf", self.alice_members(book(user=ALICE)))
        r = self.alice("REPORT", book(user=ALICE), sync_body(token))
        self.assertEqual(list(multistatus(r)[0]),
                         [book(user=ALICE) + "from-bob.vcf"])
        self.assertEqual(self.dav("DELETE", SHARED_BOOK + "from-bob.vcf")
                         .status, 204)
        self.assertNotIn("from-bob.vcf",
                         self.alice_members(book(user=ALICE)))
        # a member's dead property, and the collection's
        r = self.dav("PROPPATCH", SHARED_BOOK,
                     f'<D:propertyupdate {XMLNS} xmlns:X="urn:x"><D:set>'
                     '<D:prop><X:note>shared</X:note></D:prop></D:set>'
                     '</D:propertyupdate>')
        self.assertEqual(r.status, 207)
        self.assertIn(b"200 OK", r.body)
        # but her home stays hers
        self.assertEqual(self.dav("MKCOL", book("x", ALICE)).status, 404)
        r = self.dav("PUT", SHARED_BOOK + "bad.vcf", "BEGIN:VCARD\r\n",
                     CT_CARD)
        self.assertEqual(r.status, 400)

    def test_leave_and_unshare(self):
        other = cal("tasks", ALICE)
        self.pr.ctl("dav", "share", ALICE, "tasks", BOB, "read")
        mount = cal(f"tasks_shared_by_{ALICE}", BOB)
        self.assertEqual(self.dav("PROPFIND", mount, None,
                                  {"Depth": "0"}).status, 207)
        # bob leaves the share: alice's collection stays
        self.assertEqual(self.dav("DELETE", mount).status, 204)
        self.assertEqual(self.dav("PROPFIND", mount, None,
                                  {"Depth": "0"}).status, 404)
        self.assertEqual(self.alice("PROPFIND", other, None,
                                    {"Depth": "0"}).status, 207)
        self.assertEqual(self.dav("PROPFIND", other, None,
                                  {"Depth": "0"}).status, 404)
        self.assertNotIn("tasks_shared_by",
                         self.pr.ctl("dav", "list", BOB).stdout)
        # unshare by the owner, and the refusals of postroomctl
        self.pr.ctl("dav", "share", ALICE, "tasks", BOB, "read-write")
        out = self.pr.ctl("dav", "list", ALICE).stdout
        self.assertIn(f"shared with {BOB} (read-write) as calendars/"
                      f"tasks_shared_by_{ALICE}", out)
        self.pr.ctl("dav", "unshare", ALICE, "calendars/tasks", BOB)
        self.assertEqual(self.dav("PROPFIND", mount, None,
                                  {"Depth": "0"}).status, 404)
        p = self.pr.ctl("dav", "unshare", ALICE, "tasks", BOB, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no such share", p.stderr)
        for args, msg in (
                (("tasks", "nobody@example.test", "read"), "no such account"),
                (("tasks", ALICE, "read"), "cannot share with its owner"),
                (("tasks", BOB, "admin"), "read or read-write"),
                (("nothing", BOB, "read"), "no such collection")):
            p = self.pr.ctl("dav", "share", ALICE, *args, check=False)
            self.assertEqual(p.returncode, 1, args)
            self.assertIn(msg, p.stderr)

    def test_isolation_from_eve(self):
        """eve has no share: every path to alice's data is 403 or 404."""
        before = self.alice_members(cal(user=ALICE))
        checks = [
            ("PROPFIND", home("calendars", ALICE), None, {"Depth": "1"},
             403),
            ("PROPFIND", home("addressbooks", ALICE), None, {"Depth": "0"},
             403),
            ("PROPFIND", f"/dav/principals/{ALICE}/", None, {"Depth": "0"},
             403),
            ("PROPFIND", cal(user=ALICE), None, {"Depth": "1"}, 404),
            ("GET", cal(user=ALICE) + "a0.ics", None, None, 404),
            ("GET", cal(user=ALICE) + "guess.ics", None, None, 404),
            ("GET", book(user=ALICE) + "c0.vcf", None, None, 404),
            ("PUT", cal(user=ALICE) + "e.ics", event("e"), CT_CAL, 404),
            ("DELETE", cal(user=ALICE) + "a0.ics", None, None, 404),
            ("DELETE", cal(user=ALICE), None, None, 404),
            ("PROPPATCH", cal(user=ALICE),
             f'<D:propertyupdate {XMLNS}><D:set><D:prop><D:displayname>x'
             '</D:displayname></D:prop></D:set></D:propertyupdate>', None,
             404),
            ("MKCOL", cal("new", ALICE), None, None, 404),
            ("REPORT", cal(user=ALICE), sync_body(), None, 404),
            # bob's name for the share is bob's, not eve's
            ("PROPFIND", SHARED_CAL, None, {"Depth": "1"}, 404),
            ("GET", SHARED_CAL + "a0.ics", None, None, 404),
        ]
        for method, path, body, headers, status in checks:
            r = self.dav(method, path, body, headers, user=EVE)
            self.assertEqual(r.status, status, (method, path, r))
            self.assertNotIn(b"Alice", r.body, (method, path))
        # MOVE and COPY of her own event into alice's calendar
        self.assertEqual(self.dav("PUT", cal(user=EVE) + "mine.ics",
                                  event("eve-1"), CT_CAL, user=EVE).status,
                         201)
        for method in ("MOVE", "COPY"):
            r = self.dav(method, cal(user=EVE) + "mine.ics", None,
                         {"Destination": self.base + cal(user=ALICE) +
                          "planted.ics"}, user=EVE)
            self.assert_refused(r)
        # a multiget on her own calendar naming alice's members
        mg = (f'<C:calendar-multiget {XMLNS}><D:prop><C:calendar-data/>'
              f'</D:prop><D:href>{cal(user=ALICE)}a0.ics</D:href>'
              f'<D:href>{SHARED_CAL}a0.ics</D:href>'
              '</C:calendar-multiget>')
        r = self.dav("REPORT", cal(user=EVE), mg, {"Depth": "1"}, user=EVE)
        self.assertEqual(r.status, 207)
        self.assertEqual(set(multistatus(r)[1].values()), {404})
        self.assertNotIn(b"Alice", r.body)
        # alice's sync token on eve's calendar
        r = self.alice("PROPFIND", cal(user=ALICE),
                       propfind_body("D:sync-token"), {"Depth": "0"})
        token = multistatus(r)[0][cal(user=ALICE)][D + "sync-token"][1].text
        r = self.dav("REPORT", cal(user=EVE), sync_body(token), user=EVE)
        self.assertEqual(r.status, 403)
        self.assertIn(b"valid-sync-token", r.body)
        # eve's home lists nothing of alice's
        r = self.dav("PROPFIND", home("calendars", EVE), None,
                     {"Depth": "1"}, user=EVE)
        self.assertNotIn(ALICE.encode(), r.body)
        self.assertEqual(self.alice_members(cal(user=ALICE)), before)
        self.assertIn("dav refused", self.pr.log())

    def directory_cards(self, user=BOB):
        r = self.dav("PROPFIND", book("directory", user), None,
                     {"Depth": "1"}, user=user)
        self.assertEqual(r.status, 207, r)
        props, _ = multistatus(r)
        return sorted(h.rsplit("/", 1)[1] for h in props
                      if h != book("directory", user))

    def test_directory(self):
        r = self.dav("PROPFIND", home("addressbooks"), propfind_body(
            "D:displayname", "D:current-user-privilege-set"), {"Depth": "1"})
        props, _ = multistatus(r)
        self.assertEqual(props[DIRECTORY][D + "displayname"][1].text,
                         "Directory of example.test")
        self.assertEqual(privileges(props, DIRECTORY),
                         ["read", "read-current-user-privilege-set"])
        cards = self.directory_cards()
        self.assertEqual(cards, sorted(f"{a}.vcf" for a in (ALICE, BOB,
                                                            EVE)))
        r = self.dav("PROPFIND", DIRECTORY, propfind_body("D:sync-token"),
                     {"Depth": "0"})
        token = multistatus(r)[0][DIRECTORY][D + "sync-token"][1].text
        card = self.dav("GET", DIRECTORY + f"{ALICE}.vcf").body.decode()
        self.assertIn(f"EMAIL;TYPE=INTERNET:{ALICE}", card)
        self.assertIn("FN:alice\r\n", card)
        # a name, an account hidden, one added: the sync says so
        self.pr.ctl("dav", "directory", ALICE, "--name", "Alice Liddell")
        self.pr.ctl("dav", "directory", EVE, "--hide")
        self.pr.add_user("zoe@example.test", "zoe-pw")
        self.pr.add_user("max@other.test", "max-pw")
        r = self.dav("REPORT", DIRECTORY, sync_body(token))
        props, statuses = multistatus(r)
        self.assertEqual(sorted(h.rsplit("/", 1)[1] for h in props
                                if h not in statuses),
                         [f"{ALICE}.vcf", "zoe@example.test.vcf"])
        self.assertEqual(statuses, {DIRECTORY + f"{EVE}.vcf": 404})
        card = self.dav("GET", DIRECTORY + f"{ALICE}.vcf").body.decode()
        self.assertIn("FN:Alice Liddell\r\n", card)
        self.assertIn("N:Liddell;Alice;;;\r\n", card)
        # a card query finds her by name
        q = (f'<CR:addressbook-query {XMLNS}><D:prop><D:getetag/></D:prop>'
             '<CR:filter><CR:prop-filter name="FN"><CR:text-match '
             'match-type="contains">liddell</CR:text-match></CR:prop-filter>'
             '</CR:filter></CR:addressbook-query>')
        r = self.dav("REPORT", DIRECTORY, q, {"Depth": "1"})
        self.assertEqual(list(multistatus(r)[0]), [DIRECTORY +
                                                   f"{ALICE}.vcf"])
        self.pr.ctl("account", "del", "zoe@example.test")
        self.assertNotIn("zoe@example.test.vcf", self.directory_cards())
        self.pr.ctl("dav", "directory", EVE, "--show")
        self.assertIn(f"{EVE}.vcf", self.directory_cards())
        # another domain has a book of its own
        self.assertEqual(self.other_domain_cards(), ["max@other.test.vcf"])
        # read-only for everyone
        self.assert_refused(self.dav("PUT", DIRECTORY + "x.vcf",
                                     vcard("x"), CT_CARD))
        self.assert_refused(self.dav("DELETE", DIRECTORY + f"{ALICE}.vcf"))
        self.assert_refused(self.dav("DELETE", DIRECTORY))
        self.assert_refused(self.dav(
            "PROPPATCH", DIRECTORY,
            f'<D:propertyupdate {XMLNS}><D:set><D:prop><D:displayname>x'
            '</D:displayname></D:prop></D:set></D:propertyupdate>'))
        self.assertEqual(self.dav("MKCOL", DIRECTORY).status, 405)
        out = self.pr.ctl("dav", "directory", ALICE).stdout
        self.assertIn('name "Alice Liddell"  in the directory', out)

    def test_export(self):
        path = f"{self.pr.tmp}/alice.ics"
        out = self.pr.ctl("dav", "export", ALICE, "calendars/calendar",
                          path).stdout
        self.assertIn("3 objects of calendars/calendar written", out)
        with open(path, newline="") as f:
            ics = f.read()
        self.assertTrue(ics.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"))
        self.assertTrue(ics.endswith("END:VCALENDAR\r\n"))
        self.assertEqual(ics.count("BEGIN:VCALENDAR"), 1)
        self.assertEqual(sorted(re.findall(r"^UID:(.*)\r$", ics, re.M)),
                         ["a-0", "a-1", "a-2"])
        # Debian's python3-icalendar reads it back as one calendar
        got = subprocess.run(
            ["/usr/bin/python3", "-c",
             "import icalendar,sys; c=icalendar.Calendar.from_ical("
             "open(sys.argv[1]).read()); print(len(c.walk('VEVENT')))",
             path], capture_output=True, text=True, timeout=60)
        self.assertEqual(got.stdout.strip(), "3", got.stderr)
        # an address book to stdout: the cards one after another
        vcf = self.pr.ctl("dav", "export", ALICE, "contacts").stdout
        self.assertEqual(vcf.count("BEGIN:VCARD"), 1)
        self.assertIn("FN:Carl Card", vcf)
        p = self.pr.ctl("dav", "export", ALICE, "nothing", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no such collection 'nothing'", p.stderr)

    def test_account_made_again_sees_nothing_old(self):
        """httpd keeps account databases open between requests
        (dav_cache.c): an account deleted and made again under the same
        address must not find the old one's data, nor its shares."""
        who, pw = "kim@third.test", "kim-pw"
        self.pr.add_user(who, pw)
        r = curl(self.base, "PUT", cal(user=who) + "old.ics", event("old"),
                 CT_CAL, who, pw)
        self.assertEqual(r.status, 201)
        self.pr.ctl("dav", "share", ALICE, "calendar", who, "read")
        self.assertEqual(curl(self.base, "GET", cal(user=who) + "old.ics",
                              None, None, who, pw).status, 200)
        self.pr.ctl("account", "del", who)
        self.pr.add_user(who, pw)
        self.assertEqual(curl(self.base, "GET", cal(user=who) + "old.ics",
                              None, None, who, pw).status, 404)
        r = curl(self.base, "PROPFIND", home("calendars", who), None,
                 {"Depth": "1"}, who, pw)
        self.assertNotIn(b"shared_by", r.body)

    def test_quota_is_the_owners(self):
        """RFC 4331: a write that would take the owner past its quota
        (mail and DAV data together) is 507 DAV:quota-not-exceeded, a
        grantee's write too; nothing is stored."""
        who, pw = "quo@third.test", "quo-pw"
        self.pr.add_user(who, pw)
        self.pr.ctl("account", "quota", who, "4K")
        self.pr.ctl("dav", "share", who, "calendar", BOB, "read-write")
        mount = cal(f"calendar_shared_by_{who}", BOB)
        small = event("small")
        self.assertEqual(curl(self.base, "PUT", cal(user=who) + "s.ics",
                              small, CT_CAL, who, pw).status, 201)
        big = event("big", extra="DESCRIPTION:" + "x" * 5000 + "\r\n")
        for user, password, path in ((who, pw, cal(user=who)),
                                     (BOB, None, mount)):
            r = curl(self.base, "PUT", path + "big.ics", big, CT_CAL, user,
                     password)
            self.assertEqual(r.status, 507, r)
            self.assertIn(b"quota-not-exceeded", r.body)
        self.assertEqual(curl(self.base, "MKCALENDAR", cal("c2", who), None,
                              None, who, pw).status, 201)
        r = curl(self.base, "COPY", cal(user=who) + "s.ics", None,
                 {"Destination": self.base + cal("c2", who) + "s.ics"},
                 who, pw)
        self.assertEqual(r.status, 201)  # a small copy still fits
        self.assertEqual(curl(self.base, "GET", cal(user=who) + "big.ics",
                              None, None, who, pw).status, 404)

    def other_domain_cards(self):
        r = curl(self.base, "PROPFIND", book("directory", "max@other.test"),
                 None, {"Depth": "1"}, "max@other.test", "max-pw")
        props, _ = multistatus(r)
        return sorted(h.rsplit("/", 1)[1] for h in props
                      if not h.endswith("/directory/"))


class DavTombstoneTest(unittest.TestCase):
    """Maintenance prunes the tombstones of a collection beyond
    expunge_log_keep (here 2): a sync token from before the cut gets 403
    DAV:valid-sync-token (RFC 6578 §3.2), a later one the deletions it
    still can, and a fresh sync everything there is."""

    @classmethod
    def setUpClass(cls):
        cls.pr = start(sections={"queue": {"maintenance_interval": "1s",
                                           "expunge_log_keep": "2"}})
        cls.base = f"http://127.0.0.1:{cls.pr.http}"

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    def token(self):
        r = curl(self.base, "PROPFIND", cal(), propfind_body("D:sync-token"),
                 {"Depth": "0"})
        return multistatus(r)[0][cal()][D + "sync-token"][1].text

    def test_old_token_refused_after_pruning(self):
        for i in range(6):
            self.assertEqual(curl(self.base, "PUT", cal() + f"t{i}.ics",
                                  event(f"t-{i}"), CT_CAL).status, 201)
        old = self.token()
        for i in range(4):
            self.assertEqual(curl(self.base, "DELETE",
                                  cal() + f"t{i}.ics").status, 204)
            if i == 2:
                late = self.token()
        deadline = time.monotonic() + 30
        while "dav-tombstones-pruned" not in self.pr.log():
            self.assertLess(time.monotonic(), deadline, self.pr.log())
            time.sleep(0.2)
        r = curl(self.base, "REPORT", cal(), sync_body(old))
        self.assertEqual(r.status, 403)
        self.assertIn(b"valid-sync-token", r.body)
        r = curl(self.base, "REPORT", cal(), sync_body(late))
        self.assertEqual(r.status, 207)
        self.assertEqual(multistatus(r)[1], {cal() + "t3.ics": 404})
        r = curl(self.base, "REPORT", cal(), sync_body())
        self.assertEqual(sorted(multistatus(r)[0]),
                         [cal() + "t4.ics", cal() + "t5.ics"])


if __name__ == "__main__":
    unittest.main()
