"""Shared calendars seen by clients we did not write, all from Debian:
python3-caldav as bob lists alice's shared calendars among his own,
reads a read-only one by time range, is refused a write there (and
nothing reaches alice's calendar), and writes into a read-write one;
vdirsyncer as bob syncs alice's read-write calendar both ways (then a
second sync with nothing to do), and a read-only one down, its upload
refused by the server with alice's data unchanged."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import unittest

from dav_fixtures import (BOB, BOB_PASSWORD, DEBIAN_PYTHON, cal, curl, event,
                          multistatus, propfind_body, start)

ALICE = "alice@example.test"
ALICE_PASSWORD = "alice-secret"
CT_CAL = {"Content-Type": "text/calendar"}
RW = f"calendar_shared_by_{ALICE}"
RO = f"tasks_shared_by_{ALICE}"


def run(args, input=None, check=True):
    out = subprocess.run(args, capture_output=True, text=True, timeout=180,
                         input=input)
    if check and out.returncode != 0:
        raise AssertionError(f"{args[0]} failed ({out.returncode}):\n"
                             f"{out.stdout}\n{out.stderr}")
    return out


class DavShareClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start()
        cls.pr.add_user(ALICE, ALICE_PASSWORD)
        cls.base = f"http://127.0.0.1:{cls.pr.http}"
        cls.tmp = tempfile.mkdtemp(prefix="dav-share-clients-")
        for i in range(2):
            assert cls.alice("PUT", cal(user=ALICE) + f"a{i}.ics", event(
                f"a-{i}", f"2024011{i}T100000Z", f"2024011{i}T110000Z",
                f"Alice {i}"), CT_CAL).status == 201
        todo = event("t-0").replace("VEVENT", "VTODO").replace(
            "DTEND:20240110T110000Z\r\n", "")
        assert cls.alice("PUT", cal("tasks", ALICE) + "t0.ics", todo,
                         CT_CAL).status == 201
        cls.pr.ctl("dav", "share", ALICE, "calendar", BOB, "read-write")
        cls.pr.ctl("dav", "share", ALICE, "tasks", BOB, "read")

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def alice(cls, method, path, body=None, headers=None):
        return curl(cls.base, method, path, body, headers, ALICE,
                    ALICE_PASSWORD)

    def alice_uids(self, name):
        path = cal(name, ALICE)
        r = self.alice("PROPFIND", path, propfind_body("D:getetag"),
                       {"Depth": "1"})
        uids = []
        for href in multistatus(r)[0]:
            if href != path:
                uids += re.findall(r"^UID:(.*?)\r?$", self.alice(
                    "GET", href).body.decode(), re.M)
        return sorted(uids)

    def test_python_caldav(self):
        script = textwrap.dedent(f"""\
            import caldav, datetime, json, urllib.parse
            utc = datetime.timezone.utc
            c = caldav.DAVClient("{self.base}/dav/", username="{BOB}",
                                 password="{BOB_PASSWORD}")
            cals = {{urllib.parse.unquote(
                        str(x.url).rstrip("/").rsplit("/", 1)[1]): x
                    for x in c.principal().calendars()}}
            out = {{"calendars": sorted(cals),
                   "names": sorted(x.name for x in cals.values())}}
            r = cals["{RW}"].date_search(
                datetime.datetime(2024, 1, 11, tzinfo=utc),
                datetime.datetime(2024, 1, 12, tzinfo=utc))
            out["search"] = sorted(str(x.url).rsplit("/", 1)[1] for x in r)
            out["todos"] = sorted(
                x.vobject_instance.vtodo.uid.value
                for x in cals["{RO}"].todos())
            ics = ("BEGIN:VCALENDAR\\r\\nVERSION:2.0\\r\\nPRODID:-//p//EN\\r\\n"
                   "BEGIN:VTODO\\r\\nUID:bob-todo\\r\\n"
                   "DTSTAMP:20240101T000000Z\\r\\nSUMMARY:No\\r\\n"
                   "END:VTODO\\r\\nEND:VCALENDAR\\r\\n")
            try:
                cals["{RO}"].save_todo(ics)
                out["ro_write"] = "accepted"
            except caldav.lib.error.DAVError as e:
                out["ro_write"] = type(e).__name__ + " " + str(e)[:200]
            cals["{RW}"].save_event(
                "BEGIN:VCALENDAR\\r\\nVERSION:2.0\\r\\nPRODID:-//p//EN\\r\\n"
                "BEGIN:VEVENT\\r\\nUID:bob-event\\r\\n"
                "DTSTAMP:20240101T000000Z\\r\\nDTSTART:20240120T120000Z\\r\\n"
                "DTEND:20240120T130000Z\\r\\nSUMMARY:From bob\\r\\n"
                "END:VEVENT\\r\\nEND:VCALENDAR\\r\\n")
            print(json.dumps(out))
            """)
        self.addCleanup(self.alice, "DELETE",
                        cal(user=ALICE) + "bob-event.ics")
        out = run([DEBIAN_PYTHON, "-c", script]).stdout
        got = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(got["calendars"],
                         sorted(["calendar", "journal", "tasks", RW, RO]))
        self.assertIn(f"Calendar ({ALICE})", got["names"])
        self.assertEqual(got["search"], ["a1.ics"])
        self.assertEqual(got["todos"], ["t-0"])
        self.assertTrue(got["ro_write"].startswith("AuthorizationError"),
                        got["ro_write"])
        self.assertIn("Forbidden", got["ro_write"])
        self.assertEqual(self.alice_uids("tasks"), ["t-0"])
        self.assertIn("bob-event", self.alice_uids("calendar"))

    def vdirsyncer(self, name, collection, read_only=False):
        root = os.path.join(self.tmp, name)
        os.makedirs(os.path.join(root, "status"), exist_ok=True)
        os.makedirs(os.path.join(root, "cal", collection), exist_ok=True)
        conf = os.path.join(root, "config")
        with open(conf, "w") as f:
            f.write(textwrap.dedent(f"""\
                [general]
                status_path = "{root}/status/"

                [pair shared]
                a = "local"
                b = "remote"
                collections = ["{collection}"]

                [storage local]
                type = "filesystem"
                path = "{root}/cal/"
                fileext = ".ics"

                [storage remote]
                type = "caldav"
                url = "{self.base}/dav/"
                username = "{BOB}"
                password = "{BOB_PASSWORD}"
                """))
        vds = ["vdirsyncer", "-c", conf]
        run(vds + ["discover"], input="")
        return vds, os.path.join(root, "cal", collection)

    @staticmethod
    def local_uids(folder):
        uids = []
        for name in os.listdir(folder):
            with open(os.path.join(folder, name)) as f:
                uids += re.findall(r"^UID:(.*?)\r?$", f.read(), re.M)
        return sorted(uids)

    def test_vdirsyncer_read_write(self):
        vds, folder = self.vdirsyncer("rw", RW)
        run(vds + ["sync"])
        self.assertEqual(self.local_uids(folder), ["a-0", "a-1"])
        with open(os.path.join(folder, "bob-1.ics"), "w") as f:
            f.write(event("bob-1", "20240125T100000Z", "20240125T110000Z",
                          "Bob's"))
        out = run(vds + ["sync"])
        self.assertIn("bob-1", out.stdout + out.stderr)
        self.assertIn("bob-1", self.alice_uids("calendar"))
        # alice's change comes down; then nothing left to do
        self.assertEqual(self.alice("PUT", cal(user=ALICE) + "a9.ics", event(
            "a-9"), CT_CAL).status, 201)
        run(vds + ["sync"])
        self.assertIn("a-9", self.local_uids(folder))
        out = run(vds + ["sync"])
        for word in ("Copying", "Updating", "Deleting"):
            self.assertNotIn(word, out.stdout + out.stderr)

    def test_vdirsyncer_read_only(self):
        vds, folder = self.vdirsyncer("ro", RO)
        run(vds + ["sync"])
        self.assertEqual(self.local_uids(folder), ["t-0"])
        with open(os.path.join(folder, "bob-t.ics"), "w") as f:
            f.write(event("bob-t").replace("VEVENT", "VTODO").replace(
                "DTEND:20240110T110000Z\r\n", ""))
        out = run(vds + ["sync"], check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("403", out.stdout + out.stderr)
        self.assertEqual(self.alice_uids("tasks"), ["t-0"])


if __name__ == "__main__":
    unittest.main()
