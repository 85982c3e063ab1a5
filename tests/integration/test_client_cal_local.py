"""postroom's calendar, tasks, journal and invitations with no server at
all (doc/postroom.md, "Calendars, tasks and journal", "Invitations"): the
month, week, day and agenda views in the terminal and as JSON, an event
in another time zone shown in the local one, all-day entries as dates;
tasks given a due date (a day or a time) and a priority, listed in their
order, completed and reopened; journal entries written and changed by
date in $EDITOR (a script), listed by range and deleted; an invitation
received by mail answered tentative, then declined, each answer a
text/calendar REPLY in the Outbox (RFC 6047 §2.4, RFC 5546 §3.2.3), and
the organizer's CANCEL removing the event."""
import base64
import email
import email.policy
import os
import re
import stat
import unittest

from client_dav_fixtures import TZ
from client_fixtures import ClientHome

BOB = "bob@example.test"
LISA = "lisa@otherisp.test"

EDITOR = """#!/bin/sh
# the test's $EDITOR: keeps what it was given, writes what it is told
cp "$1" "$EDITOR_SEEN_DIR/seen"
cp "$EDITOR_SEEN_DIR/next" "$1"
"""


def imip(method, sequence, partstat="NEEDS-ACTION", extra=""):
    return (
        f"From: {LISA}\r\nTo: {BOB}\r\nSubject: {method} Planning\r\n"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: text/calendar; method={method}; charset=utf-8\r\n"
        f"\r\nBEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        f"METHOD:{method}\r\nBEGIN:VEVENT\r\nUID:plan-1@otherisp.test\r\n"
        f"DTSTAMP:20240901T000000Z\r\nSEQUENCE:{sequence}\r\n"
        "DTSTART:20240902T080000Z\r\nDTEND:20240902T090000Z\r\n"
        f"SUMMARY:Planning\r\nORGANIZER:mailto:{LISA}\r\n{extra}"
        f"ATTENDEE;PARTSTAT={partstat};RSVP=TRUE:mailto:{BOB}\r\n"
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{LISA}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n")


class ClientCalCommands(unittest.TestCase):
    def setUp(self):
        self.home = ClientHome()
        self.home.write_account("local", BOB)
        self.editor = os.path.join(self.home.tmp, "editor.sh")
        with open(self.editor, "w") as f:
            f.write(EDITOR)
        os.chmod(self.editor, stat.S_IRWXU)
        self.env = dict(TZ, EDITOR=self.editor,
                        EDITOR_SEEN_DIR=self.home.tmp)

    def tearDown(self):
        self.home.cleanup()

    def run_ok(self, *args):
        proc = self.home.run(*args, env=self.env)
        self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
        return proc.stdout

    def json(self, *args):
        return self.home.json(*args, env=self.env)

    def test_month_week_day_agenda(self):
        team = self.json("cal", "add", "--summary", "Team", "--start",
                         "2024-03-18 10:00", "--duration", "1h", "--rrule",
                         "FREQ=WEEKLY;COUNT=3")["uid"]
        self.run_ok("cal", "add", "--summary", "Holiday", "--start",
                    "2024-03-29", "--all-day")
        # 09:00 in New York (EDT since 10 March) is 14:00 in Berlin (CET)
        self.run_ok("cal", "add", "--summary", "NY call", "--start",
                    "2024-03-20 09:00", "--tz", "America/New_York")
        month = self.run_ok("cal", "month", "2024-03")
        self.assertIn("March 2024", month)
        # days with something are starred, the others not
        for day in ("18", "20", "25", "29"):
            self.assertRegex(month, rf"(?m)(^| ){day}\*")
        self.assertNotRegex(month, r"(?m)(^| )(19|21|26|28)\*")
        self.assertRegex(month, r"(?m)^  14:00-15:00  NY call ")
        # a month by one of its dates is the same month
        self.assertEqual(self.run_ok("cal", "month", "2024-03-05"), month)
        got = self.json("cal", "month", "2024-03")
        self.assertEqual([e["summary"] for e in got],
                         ["Team", "NY call", "Team", "Holiday"])
        ny = got[1]
        self.assertEqual((ny["start"], ny["tzid"]),
                         ("2024-03-20T14:00:00+01:00", "America/New_York"))
        self.assertEqual((got[3]["all_day"], got[3]["date"]),
                         (True, "2024-03-29"))
        # the third Team is in April: the month ends it
        april = self.json("cal", "month", "2024-04")
        self.assertEqual([(e["uid"], e["start"]) for e in april],
                         [(team, "2024-04-01T10:00:00+02:00")])
        week = self.run_ok("cal", "week", "2024-03-20")
        self.assertTrue(week.startswith("Mon 2024-03-18\n"), week)
        self.assertIn("Sun 2024-03-24\n", week)
        self.assertNotIn("Holiday", week)
        self.assertEqual([e["summary"] for e in
                          self.json("cal", "day", "2024-03-20")],
                         ["NY call"])
        agenda = self.json("cal", "agenda", "2024-03-25", "--days", "5")
        self.assertEqual([e["summary"] for e in agenda],
                         ["Team", "Holiday"])
        for bad in ("2024-13", "2024-3", "March"):
            proc = self.home.run("cal", "month", bad, env=self.env)
            self.assertEqual(proc.returncode, 1, bad)
            self.assertIn("not a date: " + bad, proc.stderr)

    def test_tasks_due_priority_complete_reopen(self):
        taxes = self.json("tasks", "add", "Taxes", "--due",
                          "2024-04-30")["uid"]
        plumber = self.json("tasks", "add", "Call plumber", "--priority",
                            "3")["uid"]
        later = self.json("tasks", "add", "Someday")["uid"]
        # a UID may be given by a unique prefix
        self.run_ok("tasks", "priority", taxes[:8], "1")
        self.run_ok("tasks", "due", plumber, "2024-04-01 12:00")
        got = self.json("tasks")
        # by due date, then those without one
        self.assertEqual([t["uid"] for t in got], [plumber, taxes, later])
        self.assertEqual((got[0]["due"], got[0]["priority"]),
                         ("2024-04-01T12:00:00+02:00", 3))
        # a day's due date stays a date (DUE;VALUE=DATE)
        self.assertEqual((got[1]["due"], got[1]["priority"]),
                         ("2024-04-30", 1))
        text = self.run_ok("tasks")
        self.assertRegex(text, r"(?m)^\[ \] Taxes  due 2024-04-30  "
                               r"priority 1  " + taxes[:8] + "$")
        self.run_ok("tasks", "complete", taxes)
        self.assertEqual([t["uid"] for t in self.json("tasks")],
                         [plumber, later])
        done = [t for t in self.json("tasks", "list", "--all")
                if t["uid"] == taxes][0]
        self.assertEqual((done["status"], done["percent"]),
                         ("COMPLETED", 100))
        self.assertIsNotNone(done["completed"])
        self.assertRegex(self.run_ok("tasks", "list", "--all"),
                         r"(?m)^\[x\] Taxes ")
        self.run_ok("tasks", "reopen", taxes)
        again = [t for t in self.json("tasks") if t["uid"] == taxes][0]
        self.assertEqual((again["status"], again["percent"],
                          again["completed"]), ("NEEDS-ACTION", 0, None))
        self.run_ok("tasks", "due", taxes, "none")
        again = [t for t in self.json("tasks") if t["uid"] == taxes][0]
        self.assertIsNone(again["due"])
        self.run_ok("tasks", "delete", later)
        self.assertEqual(len(self.json("tasks", "list", "--all")), 2)
        proc = self.home.run("tasks", "priority", taxes, "10", env=self.env)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("a priority is 1 (highest) to 9", proc.stderr)

    def next_edit(self, text):
        with open(os.path.join(self.home.tmp, "next"), "w") as f:
            f.write(text)

    def seen(self):
        path = os.path.join(self.home.tmp, "seen")
        with open(path) as f:
            text = f.read()
        os.unlink(path)
        return text

    def test_journal_by_date_in_editor(self):
        self.next_edit("Summary: Tuesday\nDate: 2024-03-19\n\n"
                       "Met Ann.\nWrote the plan.\n")
        uid = self.json("journal", "add")["uid"]
        # the editor was given the template
        self.assertRegex(self.seen(), r"^Summary: *\nDate: \d{4}-\d\d-\d\d"
                                      r"\n\n")
        shown = self.run_ok("journal", "show", "2024-03-19")
        self.assertIn("Tuesday", shown)
        self.assertIn("Met Ann.\nWrote the plan.", shown)
        # edit by date: the editor gets the entry, its change is kept
        self.next_edit("Summary: Tuesday\nDate: 2024-03-19\n\n"
                       "Met Ann.\nWrote the plan.\nCalled Bert.\n")
        self.run_ok("journal", "edit", "2024-03-19")
        self.assertEqual(self.seen(), "Summary: Tuesday\nDate: 2024-03-19"
                                      "\n\nMet Ann.\nWrote the plan.\n")
        # show gives a list: a date may have several entries
        entries = self.json("journal", "show", uid)
        self.assertEqual(len(entries), 1)
        self.assertEqual(entries[0]["description"],
                         "Met Ann.\nWrote the plan.\nCalled Bert.")
        # a second day, from a file; lists by range
        path = os.path.join(self.home.tmp, "body")
        with open(path, "w") as f:
            f.write("Quiet day.\n")
        self.run_ok("journal", "add", "--date", "2024-03-21", "--summary",
                    "Thursday", "--body-file", path)
        got = self.json("journal", "list", "--from", "2024-03-01", "--to",
                        "2024-03-31")
        self.assertEqual([(e["date"], e["summary"]) for e in got],
                         [("2024-03-19", "Tuesday"),
                          ("2024-03-21", "Thursday")])
        got = self.json("journal", "list", "--from", "2024-03-20", "--to",
                        "2024-03-31")
        self.assertEqual([e["summary"] for e in got], ["Thursday"])
        # an edit that changes nothing changes nothing
        self.next_edit("Summary: Tuesday\nDate: 2024-03-19\n\n"
                       "Met Ann.\nWrote the plan.\nCalled Bert.\n")
        self.assertIn("unchanged", self.run_ok("journal", "edit", uid))
        self.run_ok("journal", "delete", uid)
        proc = self.home.run("journal", "show", "2024-03-19", env=self.env)
        self.assertEqual(proc.returncode, 1)

    def import_mail(self, text, name):
        path = os.path.join(self.home.tmp, name)
        with open(path, "w", newline="") as f:
            f.write(text)
        self.run_ok("import", path)

    def outbox_reply(self, uid):
        raw = self.run_ok("read", str(uid), "--mailbox", "Outbox", "--raw")
        msg = email.message_from_string(raw, policy=email.policy.default)
        self.assertEqual(msg["To"], LISA)
        parts = [p for p in msg.walk()
                 if p.get_content_type() == "text/calendar"]
        self.assertEqual(len(parts), 1)
        self.assertEqual(parts[0].get_param("method"), "REPLY")
        body = parts[0].get_payload(decode=True).decode()
        self.assertIn("METHOD:REPLY\r\n", body)
        # RFC 5546 §3.2.3: only the replying attendee
        self.assertEqual(re.findall(r"(?m)^ATTENDEE[^\r\n]*", body),
                         [f"ATTENDEE;PARTSTAT={self.partstat}:mailto:{BOB}"])
        return msg

    def test_invitation_tentative_declined_cancelled(self):
        self.import_mail(imip("REQUEST", 0), "request.eml")
        inv = self.json("cal", "invitations")
        self.assertEqual([(i["method"], i["state"]) for i in inv],
                         [("REQUEST", "new")])
        msg = str(inv[0]["message"])
        out = self.json("cal", "tentative", msg)
        # no CalDAV server schedules for this account: the client mails
        self.assertEqual((out["partstat"], out["reply"]),
                         ("TENTATIVE", "mail"))
        ev = self.json("cal", "day", "2024-09-02")
        self.assertEqual([(e["summary"], e["start"]) for e in ev],
                         [("Planning", "2024-09-02T10:00:00+02:00")])
        mine = [a for a in ev[0]["attendees"] if a["address"] == BOB]
        self.assertEqual(mine[0]["partstat"], "TENTATIVE")
        self.partstat = "TENTATIVE"
        reply = self.outbox_reply(1)
        self.assertEqual(reply["Subject"], "Tentative: Planning")
        # then declined: a second reply, the event says so
        self.json("cal", "decline", msg)
        self.partstat = "DECLINED"
        self.outbox_reply(2)
        self.assertEqual(self.json("cal", "invitations")[0]["state"],
                         "DECLINED")
        ev = self.json("cal", "day", "2024-09-02")
        mine = [a for a in ev[0]["attendees"] if a["address"] == BOB]
        self.assertEqual(mine[0]["partstat"], "DECLINED")
        # the organizer cancels: the event goes
        self.import_mail(imip("CANCEL", 1, extra="STATUS:CANCELLED\r\n"),
                         "cancel.eml")
        cancel = [i for i in self.json("cal", "invitations")
                  if i["method"] == "CANCEL"][0]
        self.run_ok("cal", "apply", str(cancel["message"]))
        self.assertEqual(self.json("cal", "day", "2024-09-02"), [])

    def test_reply_applied_by_the_organizers_client(self):
        # bob organizes; with no scheduling server his client mails the
        # REQUEST (it waits in the Outbox: no submission server here)
        uid = self.json("cal", "add", "--summary", "Review", "--start",
                        "2024-09-04 15:00", "--attendee", LISA)["uid"]
        sent = self.run_ok("read", "1", "--mailbox", "Outbox", "--raw")
        self.assertRegex(sent, r"(?i)content-type: text/calendar; "
                               r"method=REQUEST")
        reply = (
            f"From: {LISA}\r\nTo: {BOB}\r\nSubject: Accepted: Review\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/calendar; method=REPLY; charset=utf-8\r\n"
            "\r\nBEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            f"METHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
            "DTSTAMP:20240901T000000Z\r\nSEQUENCE:0\r\n"
            f"ORGANIZER:mailto:{BOB}\r\n"
            f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{LISA}\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")
        self.import_mail(reply, "reply.eml")
        inv = self.json("cal", "invitations")
        self.assertEqual([(i["method"], i["partstat"], i["state"])
                          for i in inv], [("REPLY", "ACCEPTED", "to apply")])
        out = self.json("cal", "apply", str(inv[0]["message"]))
        self.assertEqual((out["attendee"], out["partstat"]),
                         (LISA, "ACCEPTED"))
        ev = self.json("cal", "day", "2024-09-04")[0]
        self.assertEqual([(a["address"], a["partstat"])
                          for a in ev["attendees"]], [(LISA, "ACCEPTED")])
        self.assertEqual(self.json("cal", "invitations")[0]["state"],
                         "applied")
        # a change sends the new REQUEST, a deletion a CANCEL
        self.run_ok("cal", "edit", uid, "--start", "2024-09-04 16:00")
        self.run_ok("cal", "delete", uid)
        subjects = [m["subject"] for m in self.json("list", "--mailbox",
                                                    "Outbox")]
        self.assertEqual(subjects, ["Invitation: Review",
                                    "Invitation: Review",
                                    "Cancelled: Review"])
        for n, method, seq in ((2, "REQUEST", 1), (3, "CANCEL", 2)):
            msg = email.message_from_string(
                self.run_ok("read", str(n), "--mailbox", "Outbox", "--raw"),
                policy=email.policy.default)
            part = [p for p in msg.walk()
                    if p.get_content_type() == "text/calendar"][0]
            body = part.get_payload(decode=True).decode()
            self.assertIn(f"METHOD:{method}\r\n", body)
            self.assertIn(f"SEQUENCE:{seq}\r\n", body)


if __name__ == "__main__":
    unittest.main()
