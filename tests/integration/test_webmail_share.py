"""Collections another user shares, in the webmail (doc/webmail.md, "Shared
address books and calendars"), in headless Chromium against the real
servers: alice shares her address book read-only, her calendar read-write
and a second calendar and her tasks read-only with bob (`postroomctl dav share`); bob's
webmail lists her book with its owner and "read only", shows and finds her
card and offers no way to change it, shows a card she adds over CardDAV
by push, and exports her book; her events are in bob's month view,
told apart; bob moves and renames the one of the read-write calendar in
the webmail and alice's own CalDAV (python3-caldav, as alice) has the new
time and title; the read-only calendar's event opens without Save; a write
refused by the server after the share was narrowed is said so; her task
list, shared read-only, shows her task without Edit or Delete; bob's own
card and event are unchanged. A calendar a third user shares while bob's
calendar is open appears by push. axe-core on the contacts view with the
shared book, screenshots kept (webmail_browser.ARTIFACTS). Skipped, saying
so, where httpd's JMAP does not list shared collections as accounts."""
import base64
import datetime
import http.client
import json
import os
import re
import shutil
import tempfile
import textwrap
import unittest

from dav_fixtures import DEBIAN_PYTHON, book, cal, curl
from harness import Postroom
from http_fixtures import wait_http
from webmail_browser import Browser
from test_webmail_pim import click_with_text, has_text, run, set_input, texts

BOB, BOB_PW = "bob@example.test", "bob-secret"
ALICE, ALICE_PW = "alice@example.test", "alice-secret"
CARL, CARL_PW = "carl@example.test", "carl-secret"
CONTACTS = "urn:ietf:params:jmap:contacts"
CALENDARS = "urn:ietf:params:jmap:calendars"
TODAY = datetime.datetime.now(datetime.timezone.utc).date()
DAY = TODAY.strftime("%Y%m%d")


def session(pr, user, password):
    conn = http.client.HTTPConnection("127.0.0.1", pr.http, timeout=30)
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    conn.request("GET", "/jmap/session",
                 headers={"Authorization": "Basic " + auth})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return json.loads(body) if resp.status == 200 else {}


def vcard(uid, name, address):
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\n"
            f"N:{name.split()[-1]};{name.split()[0]};;;\r\n"
            f"EMAIL:{address}\r\nEND:VCARD\r\n")


def vevent(uid, title, start, end):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n"
            f"DTSTART:{DAY}T{start}00Z\r\nDTEND:{DAY}T{end}00Z\r\n"
            f"SUMMARY:{title}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


class WebmailShareTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.browser = None
        cls.tmp = tempfile.mkdtemp(prefix="webmail-share-")
        try:
            cls.pr.add_user(BOB, BOB_PW)
            cls.pr.add_user(ALICE, ALICE_PW)
            cls.pr.add_user(CARL, CARL_PW)
            wait_http(cls.pr)
            cls.base = f"http://127.0.0.1:{cls.pr.http}"
            caps = session(cls.pr, BOB, BOB_PW).get("capabilities", {})
            if CONTACTS not in caps or CALENDARS not in caps:
                raise unittest.SkipTest("httpd has no JMAP for contacts "
                                        "and calendars yet")
            cls.populate()
            accounts = session(cls.pr, BOB, BOB_PW).get("accounts", {})
            if not any(a.get("name") == ALICE and not a.get("isPersonal")
                       for a in accounts.values()):
                raise unittest.SkipTest("httpd's JMAP does not list "
                                        "collections shared with the user")
            cls.browser = Browser()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.browser:
            cls.browser.close()
        cls.pr.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def put(cls, path, body, user, password, ctype):
        r = curl(cls.base, "PUT", path, body, {"Content-Type": ctype},
                 user=user, password=password)
        assert r.status in (201, 204), (path, r.status, r.body)

    @classmethod
    def populate(cls):
        """alice's card and events, bob's own, and alice's three shares."""
        a = dict(user=ALICE, password=ALICE_PW)
        cls.put(book("contacts", ALICE) + "carol.vcf",
                vcard("carol-1", "Carol Shared", "carol@example.org"),
                ctype="text/vcard", **a)
        cls.put(cal("calendar", ALICE) + "standup.ics",
                vevent("alice-standup", "Alice standup", "1300", "1330"),
                ctype="text/calendar", **a)
        r = curl(cls.base, "MKCALENDAR", cal("holidays", ALICE), None,
                 user=ALICE, password=ALICE_PW)
        assert r.status == 201, (r.status, r.body)
        cls.put(cal("holidays", ALICE) + "off.ics",
                vevent("alice-off", "Alice away", "1500", "1600"),
                ctype="text/calendar", **a)
        cls.put(cal("tasks", ALICE) + "t.ics",
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
                "BEGIN:VTODO\r\nUID:alice-todo\r\nDTSTAMP:20240101T000000Z"
                "\r\nSUMMARY:Alice todo\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
                ctype="text/calendar", **a)
        cls.put(cal("calendar", CARL) + "review.ics",
                vevent("carl-review", "Carl review", "1100", "1200"),
                ctype="text/calendar", user=CARL, password=CARL_PW)
        b = dict(user=BOB, password=BOB_PW)
        cls.put(book("contacts", BOB) + "dan.vcf",
                vcard("dan-1", "Dan Own", "dan@example.org"),
                ctype="text/vcard", **b)
        cls.put(cal("calendar", BOB) + "own.ics",
                vevent("bob-own", "Bob own event", "0900", "1000"),
                ctype="text/calendar", **b)
        cls.pr.ctl("dav", "share", ALICE, "addressbooks/contacts", BOB,
                   "read")
        cls.pr.ctl("dav", "share", ALICE, "calendar", BOB, "read-write")
        cls.pr.ctl("dav", "share", ALICE, "holidays", BOB, "read")
        cls.pr.ctl("dav", "share", ALICE, "tasks", BOB, "read")
        cls.bob_card = cls.get(book("contacts", BOB) + "dan.vcf", BOB)
        cls.bob_event = cls.get(cal("calendar", BOB) + "own.ics", BOB)

    @classmethod
    def get(cls, path, user):
        r = curl(cls.base, "GET", path, user=user,
                 password=ALICE_PW if user == ALICE else BOB_PW)
        assert r.status == 200, (path, r.status)
        return r.body.decode()

    def alice_event(self, uid):
        """The event as alice's own CalDAV client (python3-caldav) has it."""
        script = textwrap.dedent(f"""\
            import caldav
            c = caldav.DAVClient("{self.base}/dav/", username="{ALICE}",
                                 password="{ALICE_PW}")
            cal = c.principal().calendar(cal_id="calendar")
            print(cal.event_by_uid("{uid}").data.replace("\\r\\n ", ""))
            """)
        return run([DEBIAN_PYTHON, "-c", script])

    def alice_calendar(self):
        """The iCalendar text of every member of alice's calendar, read
        by alice over CalDAV."""
        path = cal("calendar", ALICE)
        r = curl(self.base, "PROPFIND", path, None, {"Depth": "1"},
                 user=ALICE, password=ALICE_PW)
        return [self.get(href, ALICE)
                for href in re.findall(r"<D:href>([^<]*)</D:href>",
                                       r.body.decode())
                if href.rstrip("/") != path.rstrip("/")]

    def login(self):
        b = self.browser
        b.get(self.base + "/")
        b.wait_css("#login-user").send_keys(BOB)
        b.find("#login-pass").send_keys(BOB_PW)
        b.find("#login-submit").click()
        b.wait_css("#view-contacts", timeout=60)

    def test_shared_book_and_calendars(self):
        b = self.browser
        self.login()

        # contacts: her book below bob's own, with its owner, read only
        b.find("#view-contacts").click()
        shared = ".folders.shared .folder"
        b.wait(lambda d: has_text(b, shared, "shared by " + ALICE),
               what="shared book")
        self.assertTrue(any(ALICE in t and "read only" in t
                            for t in texts(b, shared)), texts(b, shared))
        self.assertFalse(has_text(b, "#books .folders:not(.shared) .folder",
                                  ALICE))
        click_with_text(b, shared, ALICE)
        # her book alone: her card, not bob's own
        b.wait(lambda d: has_text(b, "#contact-list .pim-item",
                                  "Carol Shared") and
               not has_text(b, "#contact-list .pim-item", "Dan Own"),
               what="her book's cards")
        self.assertTrue(b.find("#contact-new").get_attribute("disabled")
                        is not None, "New contact offered in a read-only "
                        "book")
        self.assertFalse(b.find("#vcard-import").is_displayed())
        click_with_text(b, "#contact-list .pim-item", "Carol Shared")
        b.wait(lambda d: has_text(b, "#contact-rights", "read only"),
               what="read-only form")
        self.assertIn(ALICE, b.find("#contact-rights").text)
        self.assertEqual(b.finds("#contact-save"), [])
        self.assertEqual(b.finds("#contact-delete"), [])
        self.assertIsNotNone(
            b.find("#contact-name").get_attribute("readonly"))
        self.assertEqual(b.find("#contact-email").get_attribute("value"),
                         "carol@example.org")
        self.assertEqual(b.axe(), [], "contacts with a shared book")
        b.shot("share-contacts")

        # a card alice adds over CardDAV appears by push (nothing else
        # loads the list again while bob only looks)
        self.put(book("contacts", ALICE) + "erin.vcf",
                 vcard("erin-1", "Erin Pushed", "erin@example.org"),
                 user=ALICE, password=ALICE_PW, ctype="text/vcard")
        b.wait(lambda d: has_text(b, "#contact-list .pim-item",
                                  "Erin Pushed"), what="pushed card")

        # her book exports (through its collection in bob's CardDAV home)
        downloads = os.path.join(self.tmp, "downloads")
        os.makedirs(downloads)
        b.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {
            "behavior": "allow", "downloadPath": downloads})
        b.find("#vcard-export").click()
        got = b.wait(lambda d: [n for n in os.listdir(downloads)
                                if n.endswith(".vcf")], what="download")
        with open(os.path.join(downloads, got[0]), newline="") as f:
            exported = f.read()
        self.assertIn("FN:Carol Shared\r\n", exported)
        self.assertIn("FN:Erin Pushed\r\n", exported)
        self.assertNotIn("Dan Own", exported)

        # all contacts: hers and his own, and the search finds hers
        b.find("#contact-close").click()
        click_with_text(b, "#books .folder", "All contacts")
        b.wait(lambda d: has_text(b, "#contact-list .pim-item", "Dan Own")
               and has_text(b, "#contact-list .pim-item", "Carol Shared"),
               what="all contacts")
        search = b.find("#contact-search")
        search.send_keys("Carol\n")
        b.wait(lambda d: not has_text(b, "#contact-list .pim-item",
                                      "Dan Own"), what="search")
        self.assertTrue(has_text(b, "#contact-list .pim-item",
                                 "Carol Shared"))

        # the composer offers her card's address
        self.assertIn("Carol Shared <carol@example.org>", b.completions("carol"))

        # calendar: her events beside bob's, told apart, owner listed
        b.find("#view-calendar").click()
        b.wait(lambda d: has_text(b, ".cal-month .cal-event.shared",
                                  "Alice standup"), what="her event")
        self.assertTrue(has_text(b, ".cal-month .cal-event:not(.shared)",
                                 "Bob own event"))
        self.assertTrue(has_text(b, ".cal-month .cal-event.shared",
                                 "Alice away"))
        cals = texts(b, "#calendars .cal-item.shared")
        self.assertTrue(any(ALICE in t and "read only" in t for t in cals),
                        cals)
        self.assertTrue(any(ALICE in t and "read only" not in t
                            for t in cals), cals)
        b.shot("share-calendar")

        # carl, who shared nothing when bob logged in, shares his calendar:
        # it comes by push, with carl as a new account of the session
        self.assertFalse(has_text(b, ".cal-event", "Carl review"))
        self.pr.ctl("dav", "share", CARL, "calendar", BOB, "read")
        b.wait(lambda d: has_text(b, ".cal-month .cal-event.shared",
                                  "Carl review"), what="carl's share")
        self.assertTrue(has_text(b, "#calendars .cal-item.shared",
                                 "shared by " + CARL))

        # the read-only calendar's event: shown, not editable
        click_with_text(b, ".cal-event", "Alice away")
        b.wait(lambda d: has_text(b, "#ev-rights", "read only"),
               what="read-only event")
        self.assertEqual(b.finds("#ev-save"), [])
        self.assertEqual(b.finds("#ev-delete"), [])
        self.assertIsNotNone(b.find("#ev-title").get_attribute("disabled"))
        b.find("#ev-cancel").click()
        b.wait(lambda d: not b.finds("dialog.pim-dialog"), what="closed")

        # the read-write one: bob moves it two hours on and renames it;
        # alice's CalDAV has the change
        click_with_text(b, ".cal-event", "Alice standup")
        title = b.wait_css("#ev-title")
        self.assertIn(ALICE, b.find("#ev-rights").text)
        zone = b.find("#ev-zone").get_attribute("value")
        start = b.find("#ev-start-time").get_attribute("value")
        self.assertEqual(start, "13:00", zone)
        title.clear()
        title.send_keys("Alice standup (moved)")
        set_input(b, "#ev-start-time", "15:00")
        set_input(b, "#ev-end-time", "15:30")
        b.find("#ev-save").click()
        b.wait(lambda d: not b.finds("dialog.pim-dialog"), what="saved")
        b.wait(lambda d: has_text(b, ".cal-event.shared",
                                  "Alice standup (moved)"), what="moved")
        ics = self.alice_event("alice-standup")
        self.assertIn("SUMMARY:Alice standup (moved)", ics)
        self.assertRegex(ics, rf"DTSTART[^:\r\n]*:{DAY}T150000")
        self.assertNotRegex(ics, rf"DTSTART[^:\r\n]*:{DAY}T130000")
        # in the week and day views too, told apart from bob's own
        b.find('.cal-modes button[data-mode="week"]').click()
        b.wait(lambda d: has_text(b, ".cal-week .cal-event.shared",
                                  "Alice standup (moved)"), what="week")
        self.assertTrue(has_text(b, ".cal-week .cal-event:not(.shared)",
                                 "Bob own event"))
        if datetime.date.today() == TODAY:  # the browser's day is UTC's
            b.find('.cal-modes button[data-mode="day"]').click()
            b.wait(lambda d: has_text(b, ".cal-day .cal-event.shared",
                                      "Alice standup (moved)"), what="day")
        b.find('.cal-modes button[data-mode="month"]').click()
        b.wait_css(".cal-month")

        # a new event in her read-write calendar is made in her account
        b.find("#event-new").click()
        b.wait_css("#ev-title").send_keys("Bob's slot")
        from selenium.webdriver.support.ui import Select
        Select(b.find("#ev-calendar")).select_by_visible_text(
            f"Calendar ({ALICE})")
        b.find("#ev-save").click()
        b.wait(lambda d: has_text(b, ".cal-event.shared", "Bob's slot"),
               what="new event in her calendar")
        self.assertTrue([x for x in self.alice_calendar()
                         if "SUMMARY:Bob's slot" in x])

        # hiding her calendar hides its events only
        click_with_text(b, "#calendars .cal-item.shared",
                        "Calendar — shared by", inner="input")
        b.wait(lambda d: not has_text(b, ".cal-event", "Alice standup"),
               what="hidden")
        self.assertTrue(has_text(b, ".cal-event", "Bob own event"))
        self.assertTrue(has_text(b, ".cal-event", "Alice away"))
        click_with_text(b, "#calendars .cal-item.shared",
                        "Calendar — shared by", inner="input")
        b.wait(lambda d: has_text(b, ".cal-event", "Alice standup"),
               what="shown again")

        # the share narrowed while the dialog is open: the refusal is said
        click_with_text(b, ".cal-event", "Alice standup")
        title = b.wait_css("#ev-title")
        self.pr.ctl("dav", "share", ALICE, "calendar", BOB, "read")
        title.send_keys(" again")
        b.find("#ev-save").click()
        b.wait(lambda d: has_text(b, ".toast-item.error", "Not saved"),
               what="refusal shown")
        self.assertIn("read only", " ".join(texts(b, ".toast-item.error")))
        self.assertNotIn("again", self.alice_event("alice-standup"))
        b.find("#ev-cancel").click()
        b.wait(lambda d: not b.finds("dialog.pim-dialog"), what="closed")

        # tasks: hers listed with her name, read only: no edit, no delete
        b.find("#view-tasks").click()
        row = ".items .item[data-account]"
        b.wait(lambda d: has_text(b, row, "Alice todo"), what="her task")
        text, buttons, disabled = b.js(
            "const li = [...document.querySelectorAll(arguments[0])]"
            ".find(e => e.textContent.includes('Alice todo'));"
            "return [li.textContent, li.querySelectorAll('button').length,"
            " li.querySelector('input[type=checkbox]').disabled];", row)
        self.assertIn("shared by " + ALICE, text)
        self.assertIn("read only", text)
        self.assertEqual(buttons, 0)
        self.assertTrue(disabled)

        # bob's own items and alice's card are as they were
        self.assertEqual(self.get(book("contacts", BOB) + "dan.vcf", BOB),
                         self.bob_card)
        self.assertEqual(self.get(cal("calendar", BOB) + "own.ics", BOB),
                         self.bob_event)
        self.assertIn("FN:Carol Shared",
                      self.get(book("contacts", ALICE) + "carol.vcf", ALICE))


if __name__ == "__main__":
    unittest.main()
