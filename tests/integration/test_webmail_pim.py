"""The webmail's contacts, calendar, tasks, journal and settings in
headless Chromium, against the real servers, each checked with a client we
did not write: a contact made in the webmail is in khard (through
vdirsyncer's CardDAV sync) and offered when addressing a message; the
address book exports as a vCard file and imports one; an event made with a
time zone and a weekly rule is found by python3-caldav with its TZID and
RRULE, and shows in the month, week and day views; an invitation put by
CalDAV is accepted in the webmail (PARTSTAT=ACCEPTED over CalDAV, and an
iMIP REPLY in the organizer's mailbox), and an event with a guest here is
scheduled by the server (a REQUEST in her schedule inbox and a copy in her
calendar; deleted, a CANCEL and her copy cancelled; no mail from the
webmail itself); a task added and ticked off is a
VTODO with STATUS:COMPLETED over CalDAV; a journal entry is a VJOURNAL with
its text; Settings list this login session and change the password (IMAP
takes the new one). axe-core checks each view (no serious or critical
violation) and each is kept as a screenshot (webmail_browser.ARTIFACTS).
Needs JMAP for contacts and calendars (servers/httpd/jmap_contacts.c,
jmap_calendars.c): skipped, saying so, where httpd has none."""
import datetime
import email
import email.policy
import http.client
import imaplib
import json
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import time
import unittest

from dav_fixtures import DEBIAN_PYTHON, cal, curl
from harness import Postroom
from http_fixtures import wait_http
from webmail_browser import Browser

BOB, BOB_PW = "bob@example.test", "bob-secret"
ALICE, ALICE_PW = "alice@example.test", "alice-secret"
PASSWORDS = {BOB: BOB_PW, ALICE: ALICE_PW}


def capabilities(pr):
    conn = http.client.HTTPConnection("127.0.0.1", pr.http, timeout=30)
    conn.request("GET", "/jmap/session", headers={
        "Authorization": "Basic " + __import__("base64").b64encode(
            f"{BOB}:{BOB_PW}".encode()).decode()})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return json.loads(body)["capabilities"] if resp.status == 200 else {}


def run(args, env=None, input=None):
    out = subprocess.run(args, capture_output=True, text=True, timeout=180,
                         env=env, input=input)
    if out.returncode != 0:
        raise AssertionError(f"{args[0]} failed ({out.returncode}):\n"
                             f"{out.stdout}\n{out.stderr}")
    return out.stdout + out.stderr


def set_input(browser, css, value):
    """Sets a date or time input as the user's picker would (typing into
    them depends on the locale)."""
    browser.js("const el = document.querySelector(arguments[0]);"
               "el.value = arguments[1];"
               "el.dispatchEvent(new Event('input', {bubbles: true}));"
               "el.dispatchEvent(new Event('change', {bubbles: true}));",
               css, value)


def texts(browser, css):
    """The text of each element matching css, read in one script (the
    views re-render, so an element found earlier may be gone)."""
    return browser.js("return [...document.querySelectorAll(arguments[0])]"
                      ".map(e => e.textContent)", css)


def has_text(browser, css, text):
    return any(text in t for t in texts(browser, css))


def click_with_text(browser, css, text, inner=None):
    """Clicks the element matching css with text in it (or inner inside
    it), looking again when a re-render replaced it."""
    from selenium.common.exceptions import StaleElementReferenceException

    def attempt(d):
        try:
            el = next((x for x in browser.finds(css) if text in x.text),
                      None)
            if el is None:
                return False
            (el.find_element("css selector", inner) if inner else
             el).click()
            return True
        except StaleElementReferenceException:
            return False
    browser.wait(attempt, what=f"{css} with {text}")


class WebmailPimTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.browser = None
        cls.tmp = tempfile.mkdtemp(prefix="webmail-pim-")
        try:
            cls.pr.add_user(BOB, BOB_PW)
            cls.pr.add_user(ALICE, ALICE_PW)
            wait_http(cls.pr)
            caps = capabilities(cls.pr)
            if "urn:ietf:params:jmap:contacts" not in caps or \
                    "urn:ietf:params:jmap:calendars" not in caps:
                raise unittest.SkipTest("httpd has no JMAP for contacts "
                                        "and calendars yet")
            cls.browser = Browser()
            cls.origin = f"http://127.0.0.1:{cls.pr.http}"
            cls.base = cls.origin
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.browser:
            cls.browser.close()
        cls.pr.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assert_accessible(self, view):
        self.assertEqual(self.browser.axe(), [], view)
        self.browser.shot(view)

    def login(self):
        b = self.browser
        b.get(self.origin + "/")
        b.wait_css("#login-user").send_keys(BOB)
        b.find("#login-pass").send_keys(BOB_PW)
        b.find("#login-submit").click()
        b.wait_css("#view-contacts", timeout=60)

    def dav_bodies(self, collection, user=BOB):
        """The iCalendar of every member of a CalDAV collection."""
        r = curl(self.base, "PROPFIND", collection, None, {"Depth": "1"},
                 user, PASSWORDS[user])
        out = []
        for href in re.findall(r"<D:href>([^<]*)</D:href>", r.body.decode()):
            if href.rstrip("/") != collection.rstrip("/"):
                out.append(curl(self.base, "GET", href, user=user,
                                password=PASSWORDS[user]).body.decode())
        return out

    def wait_itip(self, user, uid, method, timeout=60):
        """The scheduling message of method for uid in user's schedule
        inbox (RFC 6638 §2.2), unfolded."""
        deadline = time.monotonic() + timeout
        while True:
            for t in self.dav_bodies(cal("inbox", user), user):
                t = t.replace("\r\n ", "")
                if f"UID:{uid}\r\n" in t and f"METHOD:{method}\r\n" in t:
                    return t
            if time.monotonic() > deadline:
                self.fail(f"no {method} for {uid} in {user}'s inbox\n"
                          + self.pr.log()[-3000:])
            time.sleep(0.3)

    def khard_emails(self):
        root = os.path.join(self.tmp, "vdirsyncer")
        for d in ("status", "card/contacts"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        conf = os.path.join(root, "config")
        with open(conf, "w") as f:
            f.write(textwrap.dedent(f"""\
                [general]
                status_path = "{root}/status/"

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
                url = "{self.base}/dav/"
                username = "{BOB}"
                password = "{BOB_PW}"
                """))
        env = dict(os.environ, HOME=self.tmp)
        run(["vdirsyncer", "-c", conf, "discover"], env=env, input="y\n" * 8)
        run(["vdirsyncer", "-c", conf, "sync"], env=env)
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
        return run(["khard", "-c", khard_conf, "email", "--parsable"],
                   env=env)

    def caldav_events(self):
        script = textwrap.dedent(f"""\
            import caldav, datetime, json
            utc = datetime.timezone.utc
            c = caldav.DAVClient("{self.base}/dav/", username="{BOB}",
                                 password="{BOB_PW}")
            cal = c.principal().calendar(cal_id="calendar")
            now = datetime.datetime.now(utc)
            found = cal.date_search(now - datetime.timedelta(days=40),
                                    now + datetime.timedelta(days=40),
                                    expand=False)
            print(json.dumps([x.data for x in found]))
            """)
        out = run([DEBIAN_PYTHON, "-c", script])
        return json.loads(out.strip().splitlines()[-1])

    def test_contacts_calendar_tasks_journal(self):
        b = self.browser
        self.login()

        # contacts: make one; khard sees it; the composer offers it
        b.find("#view-contacts").click()
        b.wait_css("#contact-new").click()
        b.wait_css("#contact-name").send_keys("Zoe Example")
        b.find("#contact-email").send_keys("zoe@example.org")
        b.find("#contact-phone").send_keys("+1 555 0100")
        b.find("#contact-org").send_keys("Example Corp")
        b.find("#contact-save").click()
        b.wait(lambda d: has_text(b, "#contact-list .pim-item", "Zoe Example"),
               what="saved contact")
        self.assert_accessible("contacts")
        out = self.khard_emails()
        self.assertIn("zoe@example.org\tZoe Example", out)
        # an edit changes what the form shows and keeps the rest
        name = b.find("#contact-name")
        name.clear()
        name.send_keys("Zoe Q. Example")
        b.find("#contact-save").click()
        b.wait(lambda d: has_text(b, "#contact-list .pim-item",
                                  "Zoe Q. Example"),
               what="renamed")
        vcards = self.dav_bodies("/dav/addressbooks/bob@example.test/"
                                 "contacts/")
        self.assertEqual(len(vcards), 1, vcards)
        self.assertIn("FN:Zoe Q. Example", vcards[0])
        self.assertIn("Example Corp", vcards[0])
        self.assertIn("zoe@example.org", vcards[0])
        # export: the book as one vCard file, the server's own cards
        downloads = os.path.join(self.tmp, "downloads")
        os.makedirs(downloads)
        b.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {
            "behavior": "allow", "downloadPath": downloads})
        b.find("#vcard-export").click()
        got = b.wait(lambda d: [n for n in os.listdir(downloads)
                                if n.endswith(".vcf")], what="download")
        with open(os.path.join(downloads, got[0]), newline="") as f:
            exported = f.read()
        self.assertEqual(exported.count("BEGIN:VCARD"), 1, exported)
        self.assertIn("FN:Zoe Q. Example\r\n", exported)
        # import: a file of cards another program wrote, one of them
        # hostile (shown as text, never run)
        path = os.path.join(self.tmp, "import.vcf")
        with open(path, "w", newline="") as f:
            for name, addr in (("Ivan Import", "ivan@example.org"),
                               ("Jana Import", "jana@example.org"),
                               ("<img src=x onerror=alert(1)> X",
                                "x@example.org")):
                f.write(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\n"
                        f"N:{name.split()[1]};{name.split()[0]};;;\r\n"
                        f"EMAIL;TYPE=INTERNET:{addr}\r\nEND:VCARD\r\n")
        b.find("#vcard-file").send_keys(path)
        b.wait(lambda d: has_text(b, "#contact-list .pim-item",
                                  "Jana Import"), what="imported")
        self.assertTrue(has_text(b, "#contact-list .pim-item", "Ivan Import"))
        self.assertTrue(has_text(b, "#contact-list .pim-item",
                                 "<img src=x onerror=alert(1)>"))
        self.assertIsNone(b.alert_text())
        self.assertFalse(b.finds("#contact-list img"))
        vcards = self.dav_bodies("/dav/addressbooks/bob@example.test/"
                                 "contacts/")
        self.assertEqual(len(vcards), 4)
        self.assertTrue(any("jana@example.org" in v for v in vcards))
        # delete one (after the browser's confirmation)
        click_with_text(b, "#contact-list .pim-item", "Ivan Import")
        b.wait_css("#contact-delete").click()
        b.driver.switch_to.alert.accept()
        b.wait(lambda d: not has_text(b, "#contact-list .pim-item",
                                      "Ivan Import"), what="deleted")
        self.assertEqual(len(self.dav_bodies(
            "/dav/addressbooks/bob@example.test/contacts/")), 3)
        # search on the server
        b.find("#contact-search").send_keys("nobody-like-this\n")
        b.wait(lambda d: "No contact matches" in b.find(
            "#contact-list").text, what="no match")
        # completion in the composer
        b.find("#view-mail").click()
        self.assertIn("Zoe Q. Example <zoe@example.org>", b.completions("zoe"))

        # calendar: an event in New York time, every week
        b.find("#view-calendar").click()
        b.wait_css(".cal-month")
        self.assert_accessible("calendar-month")
        b.find("#event-new").click()
        b.wait_css("#ev-title").send_keys("Planning")
        day = datetime.date.today().isoformat()
        set_input(b, "#ev-start-date", day)
        set_input(b, "#ev-start-time", "10:00")
        set_input(b, "#ev-end-date", day)
        set_input(b, "#ev-end-time", "11:30")
        zone = b.find("#ev-zone")
        zone.clear()
        zone.send_keys("America/New_York")
        from selenium.webdriver.support.ui import Select
        Select(b.find("#ev-repeat")).select_by_value("weekly")
        b.find("#ev-location").send_keys("Room 4")
        self.assert_accessible("calendar-event")
        b.find("#ev-save").click()
        b.wait(lambda d: not b.finds("dialog.pim-dialog"), what="saved")
        b.wait(lambda d: has_text(b, ".cal-month .cal-event", "Planning"),
               what="event in month")
        # weekly: four or five occurrences in the six weeks shown
        n = len([t for t in texts(b, ".cal-month .cal-event")
                 if "Planning" in t])
        self.assertGreaterEqual(n, 2)
        events = self.caldav_events()
        self.assertEqual(len(events), 1, events)
        ics = events[0]
        self.assertIn("SUMMARY:Planning", ics)
        self.assertIn("DTSTART;TZID=America/New_York:"
                      + day.replace("-", "") + "T100000", ics)
        self.assertRegex(ics, r"RRULE:FREQ=WEEKLY\r?\n")
        self.assertIn("LOCATION:Room 4", ics)
        self.assertTrue("DURATION:PT1H30M" in ics or "DTEND" in ics, ics)
        b.js("document.activeElement.blur()")
        b.find("body").send_keys("w")  # the week, by the keyboard
        b.wait(lambda d: has_text(b, ".cal-week .cal-event", "Planning"),
               what="event in week")
        # placed on the time axis at 10:00 New York in the browser's zone
        # (the machine's, which Python's astimezone() also uses)
        from zoneinfo import ZoneInfo
        local = datetime.datetime.combine(
            datetime.date.today(), datetime.time(10, 0),
            ZoneInfo("America/New_York")).astimezone()
        top = b.js("const e = [...document.querySelectorAll("
                   "'.cal-week .cal-timed-list li')].find(li => "
                   "li.textContent.includes('Planning'));"
                   "return e ? parseFloat(e.style.top) : null;")
        if local.date() == datetime.date.today():
            self.assertAlmostEqual(top, (local.hour + local.minute / 60) * 44,
                                   places=1)
        self.assert_accessible("calendar-week")
        b.find('.cal-modes button[data-mode="day"]').click()
        b.wait(lambda d: has_text(b, ".cal-day .cal-event", "Planning"),
               what="event in day")
        self.assert_accessible("calendar-day")
        # edit: the title changes, the rule and the zone stay
        click_with_text(b, ".cal-event", "Planning")
        title = b.wait_css("#ev-title")
        self.assertEqual(b.find("#ev-zone").get_attribute("value"),
                         "America/New_York")
        self.assertEqual(b.find("#ev-start-time").get_attribute("value"),
                         "10:00")
        title.clear()
        title.send_keys("Planning (moved)")
        b.find("#ev-save").click()
        b.wait(lambda d: has_text(b, ".cal-event", "Planning (moved)"),
               what="edited")
        ics = self.caldav_events()[0]
        self.assertIn("SUMMARY:Planning (moved)", ics)
        self.assertRegex(ics, r"RRULE:FREQ=WEEKLY\r?\n")
        self.assertIn("DTSTART;TZID=America/New_York:", ics)

        # an event made and deleted: gone over CalDAV too
        b.find("#event-new").click()
        b.wait_css("#ev-title").send_keys("Short-lived")
        b.find("#ev-save").click()
        b.wait(lambda d: has_text(b, ".cal-event", "Short-lived"),
               what="short-lived event")
        click_with_text(b, ".cal-event", "Short-lived")
        b.wait_css("#ev-delete").click()
        b.driver.switch_to.alert.accept()
        b.wait(lambda d: not has_text(b, ".cal-event", "Short-lived"),
               what="event deleted")
        self.assertFalse([x for x in self.dav_bodies(cal())
                          if "Short-lived" in x])

        # an invitation: the answer is stored as bob's PARTSTAT, and
        # mailed to the organizer as an iMIP REPLY
        day_c = day.replace("-", "")
        resp = curl(self.base, "PUT", cal() + "invite.ics",
                    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//o//EN\r\n"
                    "BEGIN:VEVENT\r\nUID:invite-1\r\n"
                    "DTSTAMP:20240101T000000Z\r\n"
                    f"DTSTART:{day_c}T140000Z\r\nDTEND:{day_c}T150000Z\r\n"
                    "SUMMARY:Board meeting\r\n"
                    "ORGANIZER;CN=Alice:mailto:alice@example.test\r\n"
                    "ATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:"
                    "mailto:bob@example.test\r\n"
                    "END:VEVENT\r\nEND:VCALENDAR\r\n",
                    {"Content-Type": "text/calendar"})
        self.assertEqual(resp.status, 201)
        b.find("#cal-today").click()
        click_with_text(b, ".cal-event", "Board meeting")
        self.assertIn("needs action", b.wait_css(".invite").text)
        self.assert_accessible("calendar-invitation")
        b.find(".invite .answer-accepted").click()
        b.wait(lambda d: not b.finds("dialog.pim-dialog"), what="answered")
        ics = curl(self.base, "GET", cal() + "invite.ics").body.decode()
        ics = ics.replace("\r\n ", "")  # unfolded (RFC 5545 3.1)
        self.assertRegex(ics, r"ATTENDEE;[^\r\n]*PARTSTAT=ACCEPTED[^\r\n]*:"
                              r"mailto:bob@example.test")
        self.assertRegex(ics, r'ORGANIZER;CN="?Alice"?:mailto:'
                              r'alice@example.test')
        msgs = self.pr.wait_messages(ALICE, 1, timeout=60)
        self.assertTrue(msgs, self.pr.log()[-3000:])
        reply = email.message_from_bytes(msgs[-1],
                                         policy=email.policy.default)
        self.assertEqual(reply["Subject"], "Accepted: Board meeting")
        cal_part = next(p for p in reply.walk()
                        if p.get_content_type() == "text/calendar")
        self.assertEqual(cal_part.get_param("method"), "REPLY")
        itip = cal_part.get_content().replace("\r\n ", "")
        self.assertIn("METHOD:REPLY\r\n", itip)
        self.assertIn("UID:invite-1\r\n", itip)
        self.assertIn("PARTSTAT=ACCEPTED:mailto:bob@example.test", itip)
        self.assertIn("ORGANIZER:mailto:alice@example.test", itip)

        # an event with a guest: the server schedules it (the webmail asks
        # with sendSchedulingMessages): alice is an account here, so the
        # REQUEST goes into her schedule inbox and her calendar has a copy
        b.find("#event-new").click()
        b.wait_css("#ev-title").send_keys("Kickoff")
        b.find("#ev-guests").send_keys("alice@example.test")
        b.find("#ev-save").click()
        b.wait(lambda d: has_text(b, ".cal-event", "Kickoff"),
               what="kickoff event")
        stored = [x.replace("\r\n ", "") for x in self.dav_bodies(cal())
                  if "Kickoff" in x]
        self.assertEqual(len(stored), 1)
        self.assertIn("mailto:alice@example.test", stored[0])
        uid = re.search(r"^UID:(.*?)\r?$", stored[0], re.M).group(1)
        itip = self.wait_itip(ALICE, uid, "REQUEST")
        for want in ("METHOD:REQUEST\r\n", "SUMMARY:Kickoff\r\n",
                     "ORGANIZER:mailto:bob@example.test\r\n",
                     "mailto:alice@example.test\r\n", "DTSTART"):
            self.assertIn(want, itip)
        copy = [x for x in self.dav_bodies(cal(user=ALICE), ALICE)
                if f"UID:{uid}" in x]
        self.assertEqual(len(copy), 1, "alice's copy")
        # deleted: the guest hears it is off (CANCEL), her copy cancelled
        click_with_text(b, ".cal-event", "Kickoff")
        b.wait_css("#ev-delete").click()
        b.driver.switch_to.alert.accept()
        b.wait(lambda d: not has_text(b, ".cal-event", "Kickoff"),
               what="kickoff deleted")
        itip = self.wait_itip(ALICE, uid, "CANCEL")
        for want in ("METHOD:CANCEL\r\n", "STATUS:CANCELLED\r\n"):
            self.assertIn(want, itip)
        copy = [x.replace("\r\n ", "")
                for x in self.dav_bodies(cal(user=ALICE), ALICE)
                if f"UID:{uid}" in x]
        self.assertEqual(len(copy), 1, "alice's copy")
        self.assertIn("STATUS:CANCELLED\r\n", copy[0])
        # the webmail mailed nothing itself: alice has only the REPLY
        # invite-1's organizer received above
        self.assertEqual(len(self.pr.wait_messages(ALICE, 1, timeout=5)), 1)

        # tasks: add one, tick it off (reached by the keyboard: g then t)
        b.js("document.activeElement.blur()")
        b.find("body").send_keys("gt")
        b.wait_css("#task-title").send_keys("Renew passport")
        set_input(b, "#task-due", "2031-05-01")
        b.find("#task-add").click()
        click_with_text(b, "#task-list .item", "Renew passport",
                        "input[type=checkbox]")
        b.wait(lambda d: b.finds("#task-list .item.done"), what="done")
        self.assert_accessible("tasks")
        # edited: a new title and due date, still done
        click_with_text(b, "#task-list .item", "Renew passport",
                        ".item-edit")
        title = b.find("#task-title")
        self.assertEqual(title.get_attribute("value"), "Renew passport")
        title.send_keys(" and visa")
        set_input(b, "#task-due", "2031-05-02")
        b.find("#task-add").click()
        b.wait(lambda d: has_text(b, "#task-list .item",
                                  "Renew passport and visa"), what="edited")
        todos = [x for x in self.dav_bodies(cal("tasks"))
                 if "Renew passport" in x]
        self.assertEqual(len(todos), 1)
        self.assertIn("BEGIN:VTODO", todos[0])
        self.assertIn("STATUS:COMPLETED", todos[0])
        # at 17:00 of that day in the browser's zone (UTC here, or a TZID)
        self.assertIn("SUMMARY:Renew passport and visa\r\n", todos[0])
        self.assertRegex(todos[0], r"DUE(;TZID=[^:]+)?:20310502T170000Z?\r\n")

        # journal: an entry for a date
        b.find("#view-journal").click()
        set_input(b, "#journal-date", "2031-03-02")
        b.wait_css("#journal-title").send_keys("Spring")
        b.find("#journal-text").send_keys("First warm day, walked by the "
                                          "river.")
        b.find("#journal-save").click()
        b.wait(lambda d: has_text(b, "#journalentry-list .item",
                                  "First warm day"),
               what="entry")
        self.assert_accessible("journal")
        entries = [x for x in self.dav_bodies(cal("journal"))
                   if "Spring" in x]
        self.assertEqual(len(entries), 1)
        self.assertIn("BEGIN:VJOURNAL", entries[0])
        self.assertIn("DTSTART;VALUE=DATE:20310302", entries[0])
        self.assertIn("First warm day\\, walked by the river.", entries[0])

        # a phone-sized screen: the contacts list, then one contact
        b.driver.set_window_size(390, 844)
        b.find("#view-contacts").click()
        b.find("#contact-search").clear()
        b.find("#contact-search").send_keys("\n")
        b.wait(lambda d: has_text(b, "#contact-list .pim-item", "Zoe"),
               what="contact on a phone")
        self.assert_accessible("contacts-phone")
        # one pane at a time: the open contact hides the list
        click_with_text(b, "#contact-list .pim-item", "Zoe")
        self.assertTrue(b.wait_css("#contact-name").is_displayed())
        self.assertFalse(b.find("#contact-search").is_displayed())
        b.find("#contact-close").click()
        self.assertTrue(b.find("#contact-search").is_displayed())
        b.find("#view-calendar").click()
        b.find('.cal-modes button[data-mode="month"]').click()
        b.wait(lambda d: has_text(b, ".cal-month .cal-event", "Planning"),
               what="calendar on a phone")
        self.assertFalse(b.find("#calendars").is_displayed())
        self.assert_accessible("calendar-phone")
        b.driver.set_window_size(1280, 900)

        # settings: this session is listed; the password changes (IMAP
        # takes the new one and refuses the old)
        b.find("#view-settings").click()
        b.wait(lambda d: has_text(b, "#sessions td", "This session"),
               what="session list")
        self.assert_accessible("settings")
        b.find("#pw-old").send_keys(BOB_PW)
        b.find("#pw-new").send_keys("a-new-secret-42")
        b.find("#pw-again").send_keys("a-new-secret-42")
        b.find("#pw-save").click()
        b.wait(lambda d: "Password changed" in b.find("#pw-result").text,
               what="password changed")
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap)
        m.login(BOB, "a-new-secret-42")
        m.logout()
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap)
        with self.assertRaises(imaplib.IMAP4.error):
            m.login(BOB, BOB_PW)
        m.shutdown()


if __name__ == "__main__":
    unittest.main()
