"""Independent clients against postroomd's CalDAV and CardDAV, all from
Debian: vdirsyncer syncing a calendar and an address book both ways, then
again with nothing to do (no upload, no download, no write at the
server); khal and khard reading vdirsyncer's local copy (events in a
range, recurring ones expanded by khal; contacts); and python3-caldav
creating events, querying a time range with a weekly event in
Europe/Berlin with an EXDATE and an override, expanding it, and deleting.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import unittest

from dav_fixtures import (BOB, BOB_PASSWORD, DEBIAN_PYTHON, cal, book, curl,
                          event, start, vcard, weekly_event)

CT_CAL = {"Content-Type": "text/calendar"}
CT_CARD = {"Content-Type": "text/vcard"}


def run(args, env=None, input=None):
    out = subprocess.run(args, capture_output=True, text=True, timeout=180,
                         env=env, input=input)
    if out.returncode != 0:
        raise AssertionError(f"{args[0]} failed ({out.returncode}):\n"
                             f"{out.stdout}\n{out.stderr}")
    return out.stdout + out.stderr


class DavClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start()
        cls.base = f"http://127.0.0.1:{cls.pr.http}"
        cls.tmp = tempfile.mkdtemp(prefix="dav-clients-")

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def dav(self, method, path, body=None, headers=None):
        return curl(self.base, method, path, body, headers)

    def vdirsyncer_config(self):
        root = os.path.join(self.tmp, "vdirsyncer")
        for d in ("status", "cal/calendar", "cal/tasks", "cal/journal",
                  "card/contacts"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        conf = os.path.join(root, "config")
        url = self.base + "/dav/"
        with open(conf, "w") as f:
            f.write(textwrap.dedent(f"""\
                [general]
                status_path = "{root}/status/"

                [pair cal]
                a = "cal_local"
                b = "cal_remote"
                collections = ["calendar", "tasks"]

                [storage cal_local]
                type = "filesystem"
                path = "{root}/cal/"
                fileext = ".ics"

                [storage cal_remote]
                type = "caldav"
                url = "{url}"
                username = "{BOB}"
                password = "{BOB_PASSWORD}"

                [pair card]
                a = "card_local"
                b = "card_remote"
                collections = ["contacts"]

                [storage card_local]
                type = "filesystem"
                path = "{root}/card/"
                fileext = ".vcf"

                [storage card_remote]
                type = "carddav"
                url = "{url}"
                username = "{BOB}"
                password = "{BOB_PASSWORD}"
                """))
        return root, conf

    def server_uids(self, path):
        """The UIDs of a collection's members, read with a multiget of
        what PROPFIND lists."""
        r = self.dav("PROPFIND", path, None, {"Depth": "1"})
        hrefs = re.findall(r"<D:href>([^<]*)</D:href>", r.body.decode())
        uids = []
        for href in hrefs:
            if href.rstrip("/") != path.rstrip("/"):
                body = self.dav("GET", href).body.decode()
                uids += re.findall(r"^UID:(.*?)\r?$", body, re.M)
        return sorted(set(uids))

    @staticmethod
    def local_uids(folder):
        uids = []
        for name in os.listdir(folder):
            with open(os.path.join(folder, name)) as f:
                uids += re.findall(r"^UID:(.*?)\r?$", f.read(), re.M)
        return sorted(set(uids))

    def writes_in_log(self):
        return sum(1 for line in self.pr.log().splitlines()
                   if "http method=" in line and
                   any(f"method={m} " in line for m in ("PUT", "DELETE")))

    def test_vdirsyncer_khal_khard(self):
        root, conf = self.vdirsyncer_config()
        vds = ["vdirsyncer", "-c", conf]
        # what is there before the first sync, on either side
        self.assertEqual(self.dav("PUT", cal() + "remote-1.ics",
                                  weekly_event("remote-1"), CT_CAL).status,
                         201)
        self.assertEqual(self.dav("PUT", book() + "remote-c.vcf",
                                  vcard("remote-c", "Remote Person",
                                        "remote@example.org"),
                                  CT_CARD).status, 201)
        with open(f"{root}/cal/calendar/local-1.ics", "w") as f:
            f.write(event("local-1", "20240116T120000Z", "20240116T130000Z",
                          "Local lunch"))
        with open(f"{root}/cal/tasks/todo-1.ics", "w") as f:
            f.write(event("todo-1").replace("VEVENT", "VTODO"))
        with open(f"{root}/card/contacts/local-c.vcf", "w") as f:
            f.write(vcard("local-c", "Local Friend", "friend@example.org"))
        run(vds + ["discover"], input="")
        out = run(vds + ["sync"])
        self.assertIn("local-1", out)
        self.assertIn("remote-1", out)
        # both sides hold both now
        self.assertEqual(self.server_uids(cal()), ["local-1", "remote-1"])
        self.assertEqual(self.server_uids(cal("tasks")), ["todo-1"])
        self.assertEqual(self.server_uids(book()), ["local-c", "remote-c"])
        self.assertEqual(self.local_uids(f"{root}/cal/calendar"),
                         ["local-1", "remote-1"])
        self.assertEqual(self.local_uids(f"{root}/card/contacts"),
                         ["local-c", "remote-c"])
        # a change on each side goes across
        self.assertEqual(self.dav("PUT", cal() + "remote-2.ics", event(
            "remote-2", "20240117T080000Z", "20240117T090000Z",
            "Remote breakfast"), CT_CAL).status, 201)
        local = os.path.join(f"{root}/card/contacts", "local-c.vcf")
        os.unlink(local)
        out = run(vds + ["sync"])
        self.assertIn("remote-2", out)
        self.assertEqual(self.local_uids(f"{root}/cal/calendar"),
                         ["local-1", "remote-1", "remote-2"])
        self.assertEqual(self.server_uids(book()), ["remote-c"])
        # the second sync with no changes copies nothing and writes nothing
        before = self.writes_in_log()
        out = run(vds + ["sync"])
        for word in ("Copying", "Updating", "Deleting"):
            self.assertNotIn(word, out)
        self.assertEqual(self.writes_in_log(), before)

        # khal over the local copy: the weekly event expanded, the moved
        # instance on Tuesday, the excluded Monday absent
        data = os.path.join(self.tmp, "khal-data")
        os.makedirs(data, exist_ok=True)
        khal_conf = os.path.join(self.tmp, "khal.conf")
        with open(khal_conf, "w") as f:
            f.write(textwrap.dedent(f"""\
                [calendars]
                [[bob]]
                path = {root}/cal/calendar/
                type = calendar
                [locale]
                timeformat = %H:%M
                dateformat = %Y-%m-%d
                longdateformat = %Y-%m-%d
                datetimeformat = %Y-%m-%d %H:%M
                longdatetimeformat = %Y-%m-%d %H:%M
                local_timezone = Europe/Berlin
                default_timezone = Europe/Berlin
                """))
        env = dict(os.environ, XDG_DATA_HOME=data, XDG_CONFIG_HOME=data)
        out = run(["khal", "-c", khal_conf, "list", "2024-01-15", "3d"],
                  env=env)
        self.assertIn("10:00-11:00 Weekly", out)
        self.assertIn("Local lunch", out)
        self.assertIn("Remote breakfast", out)
        out = run(["khal", "-c", khal_conf, "list", "2024-01-22", "1d"],
                  env=env)
        self.assertNotIn("Weekly", out)
        out = run(["khal", "-c", khal_conf, "list", "2024-01-29", "2d"],
                  env=env)
        self.assertIn("15:00-16:00 Weekly (moved)", out)
        self.assertNotIn("10:00-11:00 Weekly", out)

        # khard over the local copy
        khard_conf = os.path.join(self.tmp, "khard.conf")
        with open(khard_conf, "w") as f:
            f.write(textwrap.dedent(f"""\
                [addressbooks]
                [[contacts]]
                path = {root}/card/contacts/
                [general]
                debug = no
                default_action = list
                editor = /bin/true
                merge_editor = /bin/true
                """))
        out = run(["khard", "-c", khard_conf, "email", "--parsable"])
        self.assertIn("remote@example.org\tRemote Person", out)
        self.assertNotIn("friend@example.org", out)

    def test_python_caldav(self):
        script = textwrap.dedent(f"""\
            import caldav, datetime, json, sys
            utc = datetime.timezone.utc
            c = caldav.DAVClient("{self.base}/dav/", username="{BOB}",
                                 password="{BOB_PASSWORD}")
            cals = c.principal().calendars()
            out = {{"calendars": sorted(str(x.url).rstrip("/").rsplit("/", 1)[1]
                                       for x in cals)}}
            cal = c.principal().make_calendar(name="Python",
                                              cal_id="python")
            ev = cal.save_event(sys.stdin.read())
            single = cal.save_event(
                "BEGIN:VCALENDAR\\r\\nVERSION:2.0\\r\\nPRODID:-//p//EN\\r\\n"
                "BEGIN:VEVENT\\r\\nUID:py-single\\r\\n"
                "DTSTAMP:20240101T000000Z\\r\\nDTSTART:20240115T120000Z\\r\\n"
                "DTEND:20240115T130000Z\\r\\nSUMMARY:Single\\r\\n"
                "END:VEVENT\\r\\nEND:VCALENDAR\\r\\n")
            def search(a, b, expand=False):
                r = cal.date_search(datetime.datetime(*a, tzinfo=utc),
                                    datetime.datetime(*b, tzinfo=utc),
                                    expand=expand)
                return sorted(str(x.url).rsplit("/", 1)[1] for x in r), r
            out["15th"] = search((2024, 1, 15), (2024, 1, 16))[0]
            out["22nd"] = search((2024, 1, 22), (2024, 1, 23))[0]
            out["29th"] = search((2024, 1, 29), (2024, 1, 30))[0]
            out["30th"] = search((2024, 1, 30), (2024, 1, 31))[0]
            names, r = search((2024, 1, 1), (2024, 2, 1), expand=True)
            out["expanded"] = sorted(
                line for x in r for line in x.data.splitlines()
                if line.startswith("RECURRENCE-ID"))
            ev.delete()
            out["after_delete"] = search((2024, 1, 1), (2024, 3, 1))[0]
            print(json.dumps(out))
            """)
        out = run([DEBIAN_PYTHON, "-c", script], input=weekly_event("py-1"))
        got = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(got["calendars"], ["calendar", "journal", "tasks"])
        self.assertEqual(got["15th"], ["py-1.ics", "py-single.ics"])
        self.assertEqual(got["22nd"], [])
        self.assertEqual(got["29th"], [])
        self.assertEqual(got["30th"], ["py-1.ics"])
        # the 8th and 15th (09:00Z in winter), the 30th's override keeps
        # the 29th as its RECURRENCE-ID
        self.assertEqual(got["expanded"], [
            "RECURRENCE-ID:20240108T090000Z",
            "RECURRENCE-ID:20240115T090000Z",
            "RECURRENCE-ID:20240129T090000Z"])
        self.assertEqual(got["after_delete"], ["py-single.ics"])
        self.assertEqual(self.dav("GET", cal("python") + "py-1.ics").status,
                         404)


if __name__ == "__main__":
    unittest.main()
