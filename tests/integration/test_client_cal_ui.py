"""The full-screen calendar in tmux: python3-caldav (Debian's, under
/usr/bin/python3) puts events of the current week and a task into
postroomd; `postroom sync` fetches them; in the interface 'W' shows the
week with the events in their days' columns and the agenda below, with
the calendar keys on the key bar; 'T' lists the task and 'x' marks it
done; 'J' then 'a' writes a journal entry in $EDITOR (a script); 's'
syncs, and the server has the completed task and the entry. An event's
reminder shows on the status line when its alarm goes off. An invitation
received by mail is answered with 'y' in the message view (the keys only
there for an invitation)."""
import datetime
import os
import re
import shutil
import subprocess
import textwrap
import time
import unittest
import zoneinfo

from client_dav_fixtures import Server, dav_home
from dav_fixtures import BOB, BOB_PASSWORD, DEBIAN_PYTHON, book, cal, start
from harness import BUILD

POSTROOM = os.path.join(BUILD, "clients", "postroom", "postroom")
HAS_TOOLS = (shutil.which("tmux") is not None and os.path.exists(POSTROOM)
             and subprocess.run([DEBIAN_PYTHON, "-c", "import caldav"],
                                capture_output=True).returncode == 0)
JOURNAL_LINE = "Written by the editor of the calendar UI test."


@unittest.skipUnless(HAS_TOOLS, "tmux, python3-caldav or postroom missing")
class ClientCalUi(unittest.TestCase):
    def setUp(self):
        self.pr = start()
        self.base = f"http://127.0.0.1:{self.pr.http}"
        self.home = dav_home(self.base)
        editor = os.path.join(self.home.tmp, "editor.sh")
        with open(editor, "w") as f:
            # fills the template's Summary and adds a line of text
            f.write("#!/bin/sh\nsed -i 's/^Summary: $/Summary: UI day/' "
                    f"\"$1\"\nprintf '{JOURNAL_LINE}\\n' >> \"$1\"\n")
        os.chmod(editor, 0o755)
        self.env = self.home.env({"EDITOR": editor, "TERM": "xterm",
                                  "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                                  "TZ": "Europe/Berlin"})
        self.env.pop("TMUX", None)
        self.socket = f"postroom-cal-ui-{os.getpid()}"

    def tearDown(self):
        subprocess.run(["tmux", "-L", self.socket, "kill-server"],
                       env=self.env, capture_output=True)
        self.home.cleanup()
        self.pr.cleanup()

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, *args],
                              env=self.env, capture_output=True, text=True,
                              check=True).stdout

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "ui")

    def wait_screen(self, what, timeout=30):
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if re.search(what, screen):
                return screen
            time.sleep(0.2)
        self.fail(f"{what!r} not on screen:\n{screen}")

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "ui", *keys)

    def caldav_put_week(self):
        """Events on this week's Monday 09:00 and Wednesday 14:00 (Berlin)
        and a task, through python3-caldav."""
        script = textwrap.dedent(f"""\
            import caldav, datetime
            c = caldav.DAVClient("{self.base}/dav/", username="{BOB}",
                                 password="{BOB_PASSWORD}")
            p = c.principal()
            cals = {{str(x.url).rstrip("/").rsplit("/", 1)[1]: x
                    for x in p.calendars()}}
            today = datetime.date.today()
            monday = today - datetime.timedelta(days=today.weekday())
            def ev(uid, day, hour, summary):
                d = monday + datetime.timedelta(days=day)
                return ("BEGIN:VCALENDAR\\r\\nVERSION:2.0\\r\\n"
                        "PRODID:-//py//EN\\r\\nBEGIN:VEVENT\\r\\n"
                        f"UID:{{uid}}\\r\\nDTSTAMP:20240101T000000Z\\r\\n"
                        f"DTSTART;TZID=Europe/Berlin:{{d:%Y%m%d}}T"
                        f"{{hour:02d}}0000\\r\\n"
                        f"DTEND;TZID=Europe/Berlin:{{d:%Y%m%d}}T"
                        f"{{hour + 1:02d}}0000\\r\\n"
                        f"SUMMARY:{{summary}}\\r\\nEND:VEVENT\\r\\n"
                        "END:VCALENDAR\\r\\n")
            cals["calendar"].save_event(ev("py-kickoff", 0, 9, "Kickoff"))
            cals["calendar"].save_event(ev("py-review", 2, 14,
                                           "Design review"))
            cals["tasks"].save_todo(
                "BEGIN:VCALENDAR\\r\\nVERSION:2.0\\r\\nPRODID:-//py//EN\\r\\n"
                "BEGIN:VTODO\\r\\nUID:py-task\\r\\n"
                "DTSTAMP:20240101T000000Z\\r\\nSUMMARY:File expenses\\r\\n"
                "END:VTODO\\r\\nEND:VCALENDAR\\r\\n")
            print("ok")
            """)
        out = subprocess.run([DEBIAN_PYTHON, "-c", script],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.stdout.strip(), "ok", out.stderr)

    def test_week_view_shows_caldav_events(self):
        self.caldav_put_week()
        self.home.run("sync", "--dav", env={"TZ": "Europe/Berlin"},
                      check=True)
        self.tmux("new-session", "-d", "-s", "ui", "-x", "120", "-y", "40",
                  f"exec {POSTROOM}")
        self.wait_screen("postroom")
        self.keys("W")
        screen = self.wait_screen("Design review")
        self.assertIn("Kickoff", screen)
        self.assertIn("| calendar", screen)
        lines = screen.rstrip("\n").split("\n")
        grid = [l for l in lines if "Kickoff" in l or "Design review" in l]
        # each event in its day's column: Monday first, Wednesday third
        week_row = [l for l in lines if l.startswith(("Mon ", "Mo"))]
        self.assertTrue(week_row, screen)
        cols = week_row[0]
        wed = cols.index("Wed")
        self.assertTrue(any(l.find("09:00 Kickoff") == 0 for l in grid),
                        screen)
        self.assertTrue(any(l.find("14:00 Design rev") == wed
                            for l in grid), screen)
        keybar = lines[-1]
        for key in ("n:next", "p:prev", "t:today", "a:add", "s:sync"):
            self.assertIn(key, keybar)
        # next week is empty, back again shows them
        self.keys("n")
        self.wait_screen("nothing planned this week")
        self.keys("p")
        self.wait_screen("Design review")

        # tasks: mark done
        self.keys("T")
        self.wait_screen(r"\[ \] File expenses")
        self.keys("x")
        self.wait_screen(r"\[x\] File expenses")
        # journal: write today's entry in the editor
        self.keys("J")
        self.wait_screen(r"\| journal")
        self.keys("a")
        self.wait_screen("journal entry saved")
        self.wait_screen("UI day")
        self.keys("s")
        self.wait_screen("calendars and contacts|received|sync", timeout=60)
        server = Server(self.base, {"tasks": cal("tasks"),
                                    "journal": cal("journal"),
                                    "calendar": cal(), "contacts": book()})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            _, text = server.find("journal", "UI day")
            if text is not None:
                break
            time.sleep(0.5)
        self.assertIsNotNone(text, self.screen())
        self.assertIn(JOURNAL_LINE, text)
        _, task = server.find("tasks", "File expenses")
        self.assertIn("STATUS:COMPLETED", task)
        self.keys("q")
        self.keys("q")

    def test_reminder_on_the_status_line(self):
        # an event 80 s from now with a reminder a minute before: it goes
        # off about 20 s after the interface started, whatever the pane
        berlin = zoneinfo.ZoneInfo("Europe/Berlin")
        when = datetime.datetime.now(berlin) + datetime.timedelta(
            seconds=80)
        self.home.run("cal", "add", "--summary", "Standup call",
                      "--start", when.strftime("%Y-%m-%d %H:%M:%S"),
                      "--alarm", "1m", env={"TZ": "Europe/Berlin"},
                      check=True)
        self.tmux("new-session", "-d", "-s", "ui", "-x", "120", "-y", "40",
                  f"exec {POSTROOM}")
        self.wait_screen("postroom")
        self.assertNotIn("Reminder:", self.screen())
        screen = self.wait_screen(r"Reminder: Standup call at "
                                  + when.strftime("%H:%M"), timeout=120)
        self.assertEqual(screen.count("Reminder:"), 1, screen)
        self.keys("q")

    def test_invitation_answered_in_the_message_view(self):
        lisa = "lisa@otherisp.test"
        request = (
            f"From: {lisa}\r\nTo: {BOB}\r\nSubject: Invitation: Offsite\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/calendar; method=REQUEST; charset=utf-8\r\n"
            "\r\nBEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            "METHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:offsite-1@otherisp.test"
            "\r\nDTSTAMP:20240901T000000Z\r\nSEQUENCE:0\r\n"
            "DTSTART:20240910T070000Z\r\nDTEND:20240910T150000Z\r\n"
            f"SUMMARY:Offsite\r\nORGANIZER:mailto:{lisa}\r\n"
            f"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{BOB}\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")
        path = os.path.join(self.home.tmp, "request.eml")
        with open(path, "w", newline="") as f:
            f.write(request)
        note = os.path.join(self.home.tmp, "note.eml")
        with open(note, "w", newline="") as f:
            f.write(f"From: {lisa}\r\nTo: {BOB}\r\nSubject: Just a note\r\n"
                    "\r\nHello there.\r\n")
        berlin = {"TZ": "Europe/Berlin"}
        self.home.run("import", note, env=berlin, check=True)
        self.home.run("import", path, env=berlin, check=True)
        self.tmux("new-session", "-d", "-s", "ui", "-x", "120", "-y", "40",
                  f"exec {POSTROOM}")
        self.wait_screen("Invitation: Offsite")
        self.keys("Enter")
        # the answers are on the key bar for an invitation
        screen = self.wait_screen("y:accept")
        self.assertIn("n:decline", screen)
        self.keys("y")
        self.wait_screen(f"ACCEPTED Offsite; reply sent to {lisa}")
        day = self.home.json("cal", "day", "2024-09-10", env=berlin)
        self.assertEqual([(e["summary"], e["start"]) for e in day],
                         [("Offsite", "2024-09-10T09:00:00+02:00")])
        self.assertEqual(day[0]["attendees"][0]["partstat"], "ACCEPTED")
        outbox = self.home.json("list", "--mailbox", "Outbox", env=berlin)
        self.assertEqual([m["subject"] for m in outbox],
                         ["Accepted: Offsite"])
        # a message that is no invitation has no such keys
        self.keys("q")
        self.keys("k")
        self.keys("Enter")
        screen = self.wait_screen("Hello there")
        self.assertNotIn("y:accept", screen)
        self.keys("y")
        self.wait_screen("this message is no invitation")
        self.keys("q")
        self.keys("q")


if __name__ == "__main__":
    unittest.main()
