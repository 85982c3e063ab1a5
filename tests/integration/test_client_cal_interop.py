"""postroom beside khal and khard (through vdirsyncer) on the same
postroomd account: what postroom writes (a weekly event in Europe/Berlin,
a task, a contact) khal and khard read after a vdirsyncer sync; what khal
and khard write (an event, a contact, and khal's edit of postroom's
event) postroom reads after its sync, and a deletion by postroom reaches
khal. All from Debian packages."""
import json
import os
import shutil
import subprocess
import tempfile
import textwrap
import unittest

from client_dav_fixtures import TZ, dav_home
from dav_fixtures import BOB, BOB_PASSWORD, start

HAS_TOOLS = all(shutil.which(t) for t in ("vdirsyncer", "khal", "khard"))


def run(args, env=None, input=None):
    out = subprocess.run(args, capture_output=True, text=True, timeout=180,
                         env=env, input=input)
    if out.returncode != 0:
        raise AssertionError(f"{args[0]} failed ({out.returncode}):\n"
                             f"{out.stdout}\n{out.stderr}")
    return out.stdout + out.stderr


@unittest.skipUnless(HAS_TOOLS, "vdirsyncer, khal or khard is missing")
class ClientInterop(unittest.TestCase):
    def setUp(self):
        self.pr = start()
        self.base = f"http://127.0.0.1:{self.pr.http}"
        self.home = dav_home(self.base)
        self.tmp = tempfile.mkdtemp(prefix="client-interop-")
        self.root = os.path.join(self.tmp, "vdirsyncer")
        for d in ("status", "cal/calendar", "cal/tasks", "card/contacts"):
            os.makedirs(os.path.join(self.root, d))
        self.conf = os.path.join(self.root, "config")
        url = self.base + "/dav/"
        with open(self.conf, "w") as f:
            f.write(textwrap.dedent(f"""\
                [general]
                status_path = "{self.root}/status/"
                [pair cal]
                a = "cal_local"
                b = "cal_remote"
                collections = ["calendar", "tasks"]
                [storage cal_local]
                type = "filesystem"
                path = "{self.root}/cal/"
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
                path = "{self.root}/card/"
                fileext = ".vcf"
                [storage card_remote]
                type = "carddav"
                url = "{url}"
                username = "{BOB}"
                password = "{BOB_PASSWORD}"
                """))
        self.khal_conf = os.path.join(self.tmp, "khal.conf")
        with open(self.khal_conf, "w") as f:
            f.write(textwrap.dedent(f"""\
                [calendars]
                [[bob]]
                path = {self.root}/cal/calendar/
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
        self.khard_conf = os.path.join(self.tmp, "khard.conf")
        with open(self.khard_conf, "w") as f:
            f.write(textwrap.dedent(f"""\
                [addressbooks]
                [[contacts]]
                path = {self.root}/card/contacts/
                [general]
                debug = no
                default_action = list
                editor = /bin/true
                merge_editor = /bin/true
                """))
        data = os.path.join(self.tmp, "xdg")
        os.makedirs(data)
        self.env = dict(os.environ, XDG_DATA_HOME=data, XDG_CONFIG_HOME=data,
                        TZ="Europe/Berlin")

    def tearDown(self):
        self.home.cleanup()
        self.pr.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def vdirsyncer(self):
        run(["vdirsyncer", "-c", self.conf, "discover"], input="",
            env=self.env)
        return run(["vdirsyncer", "-c", self.conf, "sync"], env=self.env)

    def khal(self, *args):
        return run(["khal", "-c", self.khal_conf, *args], env=self.env)

    def khard(self, *args, input=None):
        return run(["khard", "-c", self.khard_conf, *args], env=self.env,
                   input=input)

    def postroom(self, *args):
        proc = self.home.run(*args, env=TZ)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout

    def test_each_reads_what_the_other_writes(self):
        # postroom writes; khal and khard read
        self.postroom("cal", "add", "--summary", "Postroom weekly",
                      "--start", "2024-03-04 10:00", "--duration", "1h",
                      "--rrule", "FREQ=WEEKLY;COUNT=3")
        self.postroom("tasks", "add", "Postroom task")
        self.postroom("contacts", "add", "--name", "Pia Postroom",
                      "--email", "pia@postroom.example")
        self.postroom("sync", "--dav")
        self.vdirsyncer()
        out = self.khal("list", "2024-03-04", "15d")
        self.assertEqual(out.count("10:00-11:00 Postroom weekly"), 3, out)
        self.assertIn("pia@postroom.example\tPia Postroom",
                      self.khard("email", "--parsable"))
        tasks = os.listdir(os.path.join(self.root, "cal", "tasks"))
        self.assertEqual(len(tasks), 1)

        # khal and khard write; postroom reads
        self.khal("new", "-a", "bob", "2024-03-05 14:00", "15:00",
                  "Khal talk")
        self.khard("new", "-a", "contacts",
                   input="First name : Kim\nLast name : Khard\n"
                         "Email :\n    work : kim@khard.example\n")
        self.vdirsyncer()
        got = json.loads(self.postroom("--json", "sync", "--dav"))["dav"]
        self.assertEqual(got["down"], 2, got)
        week = {e["summary"]: e for e in
                self.home.json("cal", "week", "2024-03-04", env=TZ)}
        self.assertEqual(week["Khal talk"]["start"],
                         "2024-03-05T14:00:00+01:00")
        self.assertEqual(week["Khal talk"]["end"],
                         "2024-03-05T15:00:00+01:00")
        names = {c["name"]: c for c in
                 self.home.json("contacts", "list", env=TZ)}
        self.assertEqual(names["Kim Khard"]["emails"],
                         ["kim@khard.example"])

        # postroom deletes khal's event and changes its own: khal sees both
        self.postroom("cal", "delete", week["Khal talk"]["uid"])
        self.postroom("cal", "edit", week["Postroom weekly"]["uid"],
                      "--summary", "Renamed weekly")
        self.postroom("sync", "--dav")
        self.vdirsyncer()
        out = self.khal("list", "2024-03-04", "15d")
        self.assertNotIn("Khal talk", out)
        self.assertEqual(out.count("Renamed weekly"), 3, out)


if __name__ == "__main__":
    unittest.main()
