"""What the terminal client's calendar and contacts tests share: a client
home whose account has a [dav] section, the server side seen through curl
(members listed with PROPFIND, read with GET, changed with PUT and
If-Match, deleted), Radicale with the collections a fresh Postroom account
has (calendar, tasks, journal, contacts) and rights that can make one of
them read-only, and the two-way sync cases that run against both servers
(CalSyncCases). Times are in Europe/Berlin (TZ) so what the client prints
is fixed."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse

from client_fixtures import ClientHome
from dav_fixtures import (BOB, BOB_PASSWORD, DEBIAN_PYTHON, NS, XMLNS, curl,
                          multistatus)
from harness import free_port

TZ = {"TZ": "Europe/Berlin"}
CT_CAL = {"Content-Type": "text/calendar; charset=utf-8"}
CT_CARD = {"Content-Type": "text/vcard; charset=utf-8"}


def dav_home(base, address=BOB, password=BOB_PASSWORD, path="/dav/",
             ca=None, carddav=None):
    """A client home with one account that has only CalDAV and CardDAV."""
    home = ClientHome()
    keys = {"password": password}
    if ca:
        keys["tls_ca_file"] = ca
    home.write_account("bob", address, **keys)
    p = os.path.join(home.config_dir, "accounts", "bob.conf")
    with open(p, "a") as f:
        f.write(f"[dav]\ncaldav = {base}{path}\n")
        if carddav:
            f.write(f"carddav = {carddav}\n")
    return home


def unfold(text):
    return re.sub(r"\r?\n[ \t]", "", text)


class Server:
    """The server side of a test, through curl: base URL, credentials and
    the paths of the four collections."""

    def __init__(self, base, paths, user=BOB, password=BOB_PASSWORD):
        self.base = base
        self.paths = paths  # {"calendar":..., "tasks":..., ...}
        self.user = user
        self.password = password

    def req(self, method, path, body=None, headers=None):
        return curl(self.base, method, path, body, headers, user=self.user,
                    password=self.password)

    def members(self, kind):
        """{name: etag} of a collection."""
        r = self.req("PROPFIND", self.paths[kind],
                     f'<D:propfind {XMLNS}><D:prop><D:getetag/></D:prop>'
                     f'</D:propfind>', {"Depth": "1"})
        assert r.status == 207, r
        props, _ = multistatus(r)
        out = {}
        for href, p in props.items():
            name = urllib.parse.unquote(href).rstrip("/").rsplit("/", 1)[1]
            if urllib.parse.unquote(href).rstrip("/") == \
                    self.paths[kind].rstrip("/"):
                continue
            out[name] = p["{DAV:}getetag"][1].text
        return out

    def get(self, kind, name):
        r = self.req("GET", self.paths[kind] + name)
        assert r.status == 200, r
        return unfold(r.body.decode()), r.header("etag")

    def find(self, kind, pattern):
        """The (name, text) of the member whose text matches pattern."""
        for name in self.members(kind):
            text, _ = self.get(kind, name)
            if re.search(pattern, text):
                return name, text
        return None, None

    def put(self, kind, name, text, etag=None, new=False):
        h = dict(CT_CAL if kind != "contacts" else CT_CARD)
        if etag:
            h["If-Match"] = etag
        if new:
            h["If-None-Match"] = "*"
        r = self.req("PUT", self.paths[kind] + name, text, h)
        assert r.status in (200, 201, 204), r
        return r

    def delete(self, kind, name):
        r = self.req("DELETE", self.paths[kind] + name)
        assert r.status in (200, 204), r


def event(uid, start, end, summary, tz="Europe/Berlin", extra=""):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n"
            f"DTSTART;TZID={tz}:{start}\r\nDTEND;TZID={tz}:{end}\r\n"
            f"SUMMARY:{summary}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n")


def card(uid, fn, email):
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{fn}\r\n"
            f"N:{fn.split()[-1]};{fn.split()[0]};;;\r\nEMAIL:{email}\r\n"
            "END:VCARD\r\n")


class CalSyncCases:
    """Two-way sync cases; a subclass sets self.server (Server) and
    self.home (a client home) in setUp, and may restart the server.
    DIRECTORY: the names of the cards of the server's read-only address
    book of the domain, which come down too."""

    DIRECTORY = ()

    def sync(self, check=True):
        proc = self.home.run("--json", "sync", "--dav", env=TZ)
        if check:
            self.assertEqual(proc.returncode, 0, proc.stderr)
            return json.loads(proc.stdout)["dav"]
        return proc

    def cal(self, *args):
        return self.home.json("cal", *args, env=TZ)

    def ok(self, *args):
        proc = self.home.run(*args, env=TZ)
        self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
        return proc.stdout

    def test_two_way_events_tasks_journal_contacts(self):
        s = self.server
        self.ok("cal", "add", "--summary", "Team", "--start",
                "2024-03-18 10:00", "--duration", "1h", "--rrule",
                "FREQ=WEEKLY;COUNT=4", "--alarm", "15m", "--location",
                "Room 1")
        self.ok("tasks", "add", "Write report", "--due", "2024-03-20 17:00",
                "--priority", "1")
        self.ok("journal", "add", "--date", "2024-03-18", "--summary",
                "Monday", "--body-file", self.write("body.txt",
                                                    "Started.\nMet Ann.\n"))
        self.ok("contacts", "add", "--name", "Ann Example", "--email",
                "ann@example.org")
        got = self.sync()
        self.assertEqual(got["up"], 4, got)
        self.assertEqual(got["errors"], 0, got)
        # what the server has now
        name, text = s.find("calendar", "SUMMARY:Team")
        self.assertIsNotNone(name)
        self.assertIn("RRULE:FREQ=WEEKLY;COUNT=4", text)
        self.assertRegex(text, r"DTSTART;TZID=Europe/Berlin:20240318T100000")
        self.assertIn("TRIGGER:-PT15M", text)
        self.assertIn("LOCATION:Room 1", text)
        _, text = s.find("tasks", "SUMMARY:Write report")
        self.assertIn("PRIORITY:1", text)
        self.assertRegex(text, r"DUE;TZID=Europe/Berlin:20240320T170000")
        _, text = s.find("journal", "BEGIN:VJOURNAL")
        self.assertIn("SUMMARY:Monday", text)
        self.assertIn("DESCRIPTION:Started.\\nMet Ann.", text)
        cname, text = s.find("contacts", "FN:Ann Example")
        self.assertIn("EMAIL", text)
        # a second sync moves nothing
        got = self.sync()
        self.assertEqual((got["up"], got["down"]), (0, 0), got)

        # changes made on the server come down
        s.put("calendar", "lunch.ics",
              event("lunch-1", "20240319T120000", "20240319T130000",
                    "Lunch"), new=True)
        tname, text = s.find("tasks", "SUMMARY:Write report")
        text2, etag = s.get("tasks", tname)
        s.put("tasks", tname, text2.replace(
            "END:VTODO", "STATUS:COMPLETED\r\nCOMPLETED:20240320T100000Z\r\n"
            "END:VTODO"), etag=etag)
        jname, _ = s.find("journal", "BEGIN:VJOURNAL")
        s.delete("journal", jname)
        s.put("contacts", "bert.vcf",
              card("bert-1", "Bert Sample", "bert@example.net"), new=True)
        got = self.sync()
        self.assertEqual(got["down"], 3, got)
        self.assertEqual(got["deleted_down"], 1, got)
        week = {e["summary"]: e for e in self.cal("week", "2024-03-18")}
        self.assertEqual(week["Lunch"]["start"], "2024-03-19T12:00:00+01:00")
        self.assertEqual(week["Team"]["alarms"], [15])
        tasks = self.home.json("tasks", "list", "--all", env=TZ)
        self.assertEqual(tasks[0]["status"], "COMPLETED")
        self.assertEqual(self.home.json("tasks", "list", env=TZ), [])
        self.assertEqual(self.home.json("journal", "list", env=TZ), [])
        names = sorted(c["name"] for c in
                       self.home.json("contacts", "list", env=TZ))
        self.assertEqual(names, sorted(["Ann Example", "Bert Sample",
                                        *self.DIRECTORY]))
        # and a deletion made here goes up
        lunch = [e for e in self.cal("week", "2024-03-18")
                 if e["summary"] == "Lunch"][0]
        self.ok("cal", "delete", lunch["uid"])
        got = self.sync()
        self.assertEqual(got["deleted_up"], 1, got)
        self.assertNotIn("lunch.ics", s.members("calendar"))

    def test_recurring_event_edited_on_each_side(self):
        s = self.server
        out = self.home.json("cal", "add", "--summary", "Standup",
                             "--start", "2024-04-01 09:00", "--duration",
                             "15m", "--rrule", "FREQ=WEEKLY;COUNT=4",
                             env=TZ)
        uid = out["uid"]
        self.sync()
        # here: the second Monday moves to Tuesday 15:00
        self.ok("cal", "edit", uid, "--instance", "2024-04-08 09:00",
                "--start", "2024-04-09 15:00", "--summary", "Standup moved")
        got = self.sync()
        self.assertEqual(got["up"], 1, got)
        name, text = s.find("calendar", "UID:" + uid)
        self.assertRegex(text, r"RECURRENCE-ID;TZID=Europe/Berlin:"
                               r"20240408T090000")
        self.assertRegex(text, r"DTSTART;TZID=Europe/Berlin:"
                               r"20240409T150000")
        self.assertIn("SUMMARY:Standup moved", text)
        # there: the series gets another title
        text, etag = s.get("calendar", name)
        changed = re.sub(r"SUMMARY:Standup\r\n", "SUMMARY:Daily sync\r\n",
                         text.replace("\n", "\r\n").replace("\r\r", "\r"),
                         count=1)
        self.assertNotEqual(changed, text)
        s.put("calendar", name, changed, etag=etag)
        got = self.sync()
        self.assertEqual(got["down"], 1, got)
        events = self.cal("agenda", "2024-04-01", "--days", "28")
        got = [(e["summary"], e["start"]) for e in events]
        self.assertEqual(got, [
            ("Daily sync", "2024-04-01T09:00:00+02:00"),
            ("Standup moved", "2024-04-09T15:00:00+02:00"),
            ("Daily sync", "2024-04-15T09:00:00+02:00"),
            ("Daily sync", "2024-04-22T09:00:00+02:00")])

    def test_conflict_keeps_both_versions(self):
        s = self.server
        uid = self.home.json("cal", "add", "--summary", "Review", "--start",
                             "2024-05-06 11:00", env=TZ)["uid"]
        self.sync()
        name, _ = s.find("calendar", "UID:" + uid)
        # both sides change the same event before the next sync
        self.ok("cal", "edit", uid, "--summary", "Review (mine)")
        text, etag = s.get("calendar", name)
        s.put("calendar", name, text.replace("SUMMARY:Review",
                                             "SUMMARY:Review (theirs)"),
              etag=etag)
        got = self.sync()
        self.assertEqual(got["conflicts"], 1, got)
        self.assertEqual(got["errors"], 0, got)
        day = {e["summary"]: e["uid"] for e in self.cal("day", "2024-05-06")}
        # the server's version is kept under the UID; ours is a copy
        self.assertEqual(day["Review (theirs)"], uid)
        self.assertIn("Review (mine) (conflict)", day)
        self.assertNotEqual(day["Review (mine) (conflict)"], uid)
        # and the copy reached the server too
        self.assertIsNotNone(s.find("calendar", r"Review \(mine\) "
                                                r"\(conflict\)")[0])
        got = self.sync()
        self.assertEqual((got["up"], got["down"], got["conflicts"]),
                         (0, 0, 0), got)

    def test_contacts_changed_on_both_sides(self):
        s = self.server
        self.ok("contacts", "add", "--name", "Cleo Annis", "--email",
                "cleo@example.org")
        self.sync()
        name, text = s.find("contacts", "FN:Cleo Annis")
        # there: a new address; here: a new note on another contact
        text, etag = s.get("contacts", name)
        s.put("contacts", name, text.replace("cleo@example.org",
                                             "cleo@new.example"), etag=etag)
        self.sync()
        c = [c for c in self.home.json("contacts", "list", env=TZ)
             if c["name"] == "Cleo Annis"][0]
        self.assertEqual(c["emails"], ["cleo@new.example"])
        # completion sees the synced address
        out = self.home.json("contacts", "search", "new.example", env=TZ)
        self.assertEqual([x["name"] for x in out], ["Cleo Annis"])
        # here: the contact is edited, then deleted
        self.ok("contacts", "edit", str(c["id"]), "--name", "Cleo Annis-Lee")
        self.sync()
        self.assertIn("FN:Cleo Annis-Lee", s.get("contacts", name)[0])
        self.ok("contacts", "delete", str(c["id"]))
        got = self.sync()
        self.assertEqual(got["deleted_up"], 1, got)
        self.assertNotIn(name, s.members("contacts"))

    def test_contact_conflict_keeps_both(self):
        s = self.server
        self.ok("contacts", "add", "--name", "Dora Both", "--email",
                "dora@example.org")
        self.sync()
        name, _ = s.find("contacts", "FN:Dora Both")
        c = [c for c in self.home.json("contacts", "list", env=TZ)
             if c["name"] == "Dora Both"][0]
        # both sides change the same card before the next sync
        self.ok("contacts", "edit", str(c["id"]), "--name", "Dora Here")
        text, etag = s.get("contacts", name)
        s.put("contacts", name, text.replace("FN:Dora Both",
                                             "FN:Dora There"), etag=etag)
        got = self.sync()
        self.assertEqual((got["conflicts"], got["errors"]), (1, 0), got)
        names = sorted(c["name"] for c in
                       self.home.json("contacts", "list", env=TZ)
                       if c["name"].startswith("Dora"))
        self.assertEqual(names, ["Dora Here (conflict)", "Dora There"])
        # the server's card kept its name, the copy went up beside it
        self.assertIn("FN:Dora There", s.get("contacts", name)[0])
        self.assertIsNotNone(s.find("contacts",
                                    r"FN:Dora Here \(conflict\)")[0])
        got = self.sync()
        self.assertEqual((got["up"], got["down"], got["conflicts"]),
                         (0, 0, 0), got)

    def write(self, name, text):
        path = os.path.join(self.home.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path


class RadicaleServer:
    """Debian's Radicale with bob (and alice, and an admin) and the four
    collections of a fresh Postroom account; rights from a file, so that
    bob's "directory" address book is read-only to him (filled by admin)
    and alice's calendars are readable by bob."""

    USERS = {BOB: BOB_PASSWORD, "alice@example.test": "alice-secret",
             "admin": "admin-secret"}
    RIGHTS = """
[admin-directory]
user: admin
collection: (bob@example\\.test(/directory)?)?
permissions: RWrw

[bob-reads-directory]
user: bob@example\\.test
collection: bob@example\\.test/directory
permissions: r

[bob-reads-alice]
user: bob@example\\.test
collection: alice@example\\.test(/[^/]+)?
permissions: Rr

[owner-principal]
user: .+
collection: {user}
permissions: RW

[owner-collections]
user: .+
collection: {user}/[^/]+
permissions: rw

[root]
user: .+
collection:
permissions: R
"""

    def __init__(self, no_sync=False):
        """no_sync: Radicale without sync-collection (radicale_no_sync.py),
        its requests logged in self.requests_log."""
        self.no_sync = no_sync
        self.tmp = tempfile.mkdtemp(prefix="radicale-client-")
        self.requests_log = os.path.join(self.tmp, "requests")
        self.port = free_port()
        users = os.path.join(self.tmp, "users")
        with open(users, "w") as f:
            for u, p in self.USERS.items():
                f.write(f"{u}:{p}\n")
        rights = os.path.join(self.tmp, "rights")
        with open(rights, "w") as f:
            f.write(self.RIGHTS)
        self.conf = os.path.join(self.tmp, "config")
        with open(self.conf, "w") as f:
            f.write(f"[server]\nhosts = 127.0.0.1:{self.port}\n"
                    f"[auth]\ntype = htpasswd\nhtpasswd_filename = {users}\n"
                    "htpasswd_encryption = plain\n"
                    f"[storage]\nfilesystem_folder = {self.tmp}/collections\n"
                    f"[rights]\ntype = from_file\nfile = {rights}\n"
                    "[logging]\nlevel = warning\n")
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.start()

    def start(self):
        self.log = open(os.path.join(self.tmp, "radicale.log"), "ab")
        cmd = [DEBIAN_PYTHON, "-m", "radicale"]
        if self.no_sync:
            cmd = [DEBIAN_PYTHON, os.path.join(os.path.dirname(
                os.path.abspath(__file__)), "radicale_no_sync.py"),
                self.requests_log]
        self.proc = subprocess.Popen(
            cmd + ["--config", self.conf],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                r = curl(self.base, "OPTIONS", "/", user=None)
                if r.status in (200, 401):
                    return
            except AssertionError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError("radicale did not start: " + open(
            os.path.join(self.tmp, "radicale.log")).read())

    def stop(self):
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self.log.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def requests(self):
        """With no_sync: the requests so far, as (method, path, depth,
        report) tuples; the log starts again empty."""
        if not os.path.exists(self.requests_log):
            return []
        with open(self.requests_log) as f:
            out = [tuple(line.split()) for line in f]
        os.unlink(self.requests_log)
        return out

    def make(self, user, name, kind, comps=("VEVENT",), by=None):
        """MKCALENDAR (kind "cal") or an address book (kind "book") at
        /user/name/, as by (default: user)."""
        by = by or user
        path = f"/{user}/{name}/"
        if kind == "cal":
            comp = "".join(f'<C:comp name="{c}"/>' for c in comps)
            body = (f'<C:mkcalendar {XMLNS}><D:set><D:prop><D:displayname>'
                    f'{name}</D:displayname><C:supported-calendar-component-'
                    f'set>{comp}</C:supported-calendar-component-set>'
                    f'</D:prop></D:set></C:mkcalendar>')
            method = "MKCALENDAR"
        else:
            body = (f'<D:mkcol {XMLNS}><D:set><D:prop><D:resourcetype>'
                    f'<D:collection/><CR:addressbook/></D:resourcetype>'
                    f'<D:displayname>{name}</D:displayname></D:prop>'
                    f'</D:set></D:mkcol>')
            method = "MKCOL"
        r = curl(self.base, method, path, body, user=by,
                 password=self.USERS[by])
        assert r.status == 201, r
        return path

    def bob_paths(self):
        """Bob's four collections, as a fresh Postroom account has them."""
        return {"calendar": self.make(BOB, "calendar", "cal"),
                "tasks": self.make(BOB, "tasks", "cal", ("VTODO",)),
                "journal": self.make(BOB, "journal", "cal", ("VJOURNAL",)),
                "contacts": self.make(BOB, "contacts", "book")}
