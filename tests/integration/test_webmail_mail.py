"""The webmail end to end in headless Chromium, against the real servers:
log in; read a message that arrived by SMTP (smtplib); reply with an
attachment chosen in the file picker, which the recipient then fetches over
IMAP (imaplib) byte for byte, with a text/plain alternative and the
In-Reply-To of the original; search (with the server's snippet); move a
conversation to another folder and flag one, both seen over IMAP; and new
mail appearing by push without a reload. axe-core checks the inbox, the
reader and the composer (no serious or critical violation), and each view
is kept as a screenshot (webmail_browser.ARTIFACTS). Needs the JMAP API
(servers/httpd/jmap_*): skipped, saying so, where httpd has none."""
import email
import email.policy
import http.client
import imaplib
import os
import smtplib
import tempfile
import time
import unittest
from email.message import EmailMessage

from harness import Postroom
from http_fixtures import wait_http
from webmail_browser import ARTIFACTS, Browser, wait_until

BOB, BOB_PW = "bob@example.test", "bob-secret"
ALICE, ALICE_PW = "alice@example.test", "alice-secret"


def has_jmap(pr):
    conn = http.client.HTTPConnection("127.0.0.1", pr.http, timeout=30)
    conn.request("GET", "/jmap/session")
    status = conn.getresponse().status
    conn.close()
    return status != 404


def login(browser, origin, user, password):
    browser.get(origin + "/")
    browser.wait_css("#login-user").send_keys(user)
    browser.find("#login-pass").send_keys(password)
    browser.find("#login-submit").click()
    browser.wait_css(".vrow[data-thread-id]", timeout=60)


def row_with(browser, subject, timeout=30):
    return browser.wait(
        lambda d: next((r for r in browser.finds(".vrow[data-thread-id]")
                        if subject in r.text), None), timeout, subject)


def click_in_row(browser, subject, css):
    """Clicks css inside the row of subject; rows are re-rendered when
    data arrives, so a stale element is looked up again."""
    from selenium.common.exceptions import StaleElementReferenceException

    def attempt(d):
        try:
            row_with(browser, subject).find_element(
                "css selector", css).click()
            return True
        except StaleElementReferenceException:
            return False
    browser.wait(attempt, what=f"{css} in {subject}")


def frame_text(browser, article_css=".email .msg-frame"):
    return browser.js(
        "const f = document.querySelector(arguments[0]);"
        "return f && f.contentDocument && f.contentDocument.body ?"
        " f.contentDocument.body.textContent : null;", article_css)


class WebmailMailTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.browser = None
        try:
            cls.pr.add_user(BOB, BOB_PW)
            cls.pr.add_user(ALICE, ALICE_PW)
            wait_http(cls.pr)
            if not has_jmap(cls.pr):
                raise unittest.SkipTest("httpd has no JMAP API yet "
                                        "(servers/httpd/jmap_*)")
            cls.browser = Browser()
            cls.origin = f"http://127.0.0.1:{cls.pr.http}"
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.browser:
            cls.browser.close()
        cls.pr.cleanup()

    def smtp_send(self, msg):
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.send_message(msg)

    def imap(self, user, password):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap)
        m.login(user, password)
        return m

    def assert_accessible(self, view):
        self.assertEqual(self.browser.axe(), [], view)
        self.browser.shot(view)

    def test_read_reply_search_move_flag_push(self):
        b = self.browser
        first = EmailMessage()
        first["From"] = f"Alice <{ALICE}>"
        first["To"] = BOB
        first["Subject"] = "Lunch plans"
        first["Message-ID"] = "<lunch-1@example.test>"
        first.set_content("Shall we meet at noon?\n")
        first.add_alternative("<p>Shall we meet at <b>noon</b>?</p>",
                              subtype="html")
        self.smtp_send(first)
        budget = EmailMessage()
        budget["From"] = f"Carol <carol@other.test>"
        budget["To"] = BOB
        budget["Subject"] = "Quarterly budget"
        budget.set_content("The quarterly budget spreadsheet is attached "
                           "in spirit.\n")
        self.smtp_send(budget)
        self.pr.wait_messages(BOB, 2)

        login(b, self.origin, BOB, BOB_PW)
        self.assertEqual(len(b.finds(".vrow[data-thread-id]")), 2)
        self.assertIn("unread", row_with(b, "Lunch plans").get_attribute(
            "class"))
        self.assert_accessible("inbox")

        # read: the HTML part in its frame
        row_with(b, "Lunch plans").click()
        b.wait_css(".email .msg-frame")
        self.assertIn("Shall we meet at noon",
                      b.wait(lambda d: frame_text(b), what="frame text"))
        self.assertEqual(b.find("#reader-subject").text, "Lunch plans")
        self.assert_accessible("reader")
        m = self.imap(BOB, BOB_PW)
        m.select("INBOX")
        self.assertTrue(wait_until(lambda: b"\\Seen" in m.fetch(
            "1", "(FLAGS)")[1][0]), "read in the webmail: \\Seen over IMAP")

        # reply with an attachment from the file picker
        attachment = os.urandom(3000) + b"\x00\r\n\xff binary end"
        path = os.path.join(tempfile.mkdtemp(prefix="postroom-att-"),
                            "notes.bin")
        with open(path, "wb") as f:
            f.write(attachment)
        b.find(".email-actions button").click()  # Reply
        editor = b.wait_css(".compose .editor")
        self.assertEqual(b.find(".compose input[id^=c-to-]").get_attribute(
            "value"), f"Alice <{ALICE}>")
        editor.send_keys("Noon is fine. Notes attached.")
        b.find(".compose input[type=file]").send_keys(path)
        # (read in one script: the list is re-rendered as the upload goes)
        b.wait(lambda d: b.js(
            "return [...document.querySelectorAll('.compose-attachments li')]"
            ".some(li => li.textContent.includes('notes.bin') &&"
            " !li.className)"), what="upload")
        self.assert_accessible("compose")
        b.find(".compose .send").click()
        b.wait(lambda d: not b.finds(".compose"), what="sent")

        def alice_has_reply():
            msgs = self.pr.messages(ALICE)
            return msgs[-1] if msgs else None
        wait_until(alice_has_reply, timeout=30)
        a = self.imap(ALICE, ALICE_PW)
        a.select("INBOX")
        typ, data = a.search(None, "SUBJECT", '"Re: Lunch plans"')
        self.assertEqual(typ, "OK")
        self.assertTrue(data[0], self.pr.log()[-3000:])
        raw = a.fetch(data[0].split()[-1], "(BODY.PEEK[])")[1][0][1]
        reply = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(reply["In-Reply-To"], "<lunch-1@example.test>")
        parts = {p.get_content_type(): p for p in reply.walk()}
        text = parts["text/plain"].get_content()
        self.assertIn("Noon is fine", text)
        # the new text above the quote, the quote marked with "> "
        self.assertLess(text.index("Noon is fine"), text.index("> "))
        self.assertIn("Noon is fine", parts["text/html"].get_content())
        att = [p for p in reply.walk() if p.get_filename() == "notes.bin"]
        self.assertEqual(len(att), 1)
        self.assertEqual(att[0].get_payload(decode=True), attachment)
        a.logout()

        # search, with the server's snippet
        b.find("#search").send_keys("quarterly\n")
        row = row_with(b, "Quarterly budget")
        self.assertEqual(len(b.finds(".vrow[data-thread-id]")), 1)
        self.assertTrue(row.find_elements("css selector", ".row-preview mark")
                        or "quarterly" in row.text.lower())
        b.shot("search")

        # move it to a folder made over IMAP (which push brings to the
        # folder list), and flag the other
        m.create("Projects")
        b.wait(lambda d: "Projects" in b.find("#folders").text,
               what="Projects by push")
        b.find('#folders button[data-role="inbox"]').click()
        row_with(b, "Lunch plans")
        click_in_row(b, "Quarterly budget", ".row-check")
        options = b.js("return [...document.querySelectorAll("
                       "'#list-move option')].map(o => o.textContent.trim())")
        self.assertIn("Projects", options)
        from selenium.webdriver.support.ui import Select
        Select(b.find("#list-move")).select_by_visible_text("Projects")
        m.select("Projects")
        self.assertTrue(wait_until(lambda: m.search(None, "ALL")[1][0]),
                        "moved over JMAP: in Projects over IMAP")
        click_in_row(b, "Lunch plans", ".row-flag")
        m.select("INBOX")
        self.assertTrue(wait_until(lambda: b"\\Flagged" in m.fetch(
            "1", "(FLAGS)")[1][0]))
        m.logout()

        # push: new mail appears without a reload
        b.js("window.__noReload = 1")
        news = EmailMessage()
        news["From"] = "Dave <dave@other.test>"
        news["To"] = BOB
        news["Subject"] = "Pushed while you watched"
        news.set_content("hello\n")
        self.smtp_send(news)
        row_with(b, "Pushed while you watched", timeout=60)
        self.assertEqual(b.js("return window.__noReload"), 1)
        b.shot("inbox-after-push")
        self.assertTrue(os.path.exists(os.path.join(ARTIFACTS, "reader.png")))

        # the keyboard: ? lists the shortcuts, c composes, Escape closes
        from selenium.webdriver.common.keys import Keys
        body = b.find("body")
        b.js("document.activeElement.blur()")
        body.send_keys("?")
        self.assertTrue(b.wait_css("dialog.help[open]").is_displayed())
        body.send_keys(Keys.ESCAPE)
        b.wait(lambda d: not b.finds("dialog.help"), what="help closed")
        b.js("document.activeElement.blur()")
        body.send_keys("c")
        b.wait_css(".compose")
        b.find(".compose input[id^=c-to-]").send_keys(Keys.ESCAPE)
        b.wait(lambda d: not b.finds(".compose"), what="compose closed")

        # a phone-sized screen: one pane at a time, still accessible
        b.driver.set_window_size(390, 844)
        self.assertFalse(b.find("#folders").is_displayed())
        self.assert_accessible("inbox-phone")
        row_with(b, "Lunch plans").click()
        b.wait_css(".email .msg-frame")
        self.assertFalse(b.find(".list").is_displayed())
        self.assertTrue(b.find(".reader .back").is_displayed())
        self.assert_accessible("reader-phone")
        b.find(".reader .back").click()
        self.assertTrue(b.find(".list").is_displayed())
        b.driver.set_window_size(1280, 900)

    def test_wrong_password_is_refused(self):
        b = self.browser
        # a session cookie of another test would log the page in
        b.get(self.origin + "/")
        b.driver.delete_all_cookies()
        b.js("localStorage.clear()")
        b.get(self.origin + "/")
        b.wait_css("#login-user").send_keys(BOB)
        b.find("#login-pass").send_keys("not-the-password")
        b.find("#login-submit").click()
        err = b.wait(lambda d: b.find("#login-error").text, timeout=60,
                     what="login error")
        self.assertIn("Wrong address or password", err)
        self.assertEqual(b.finds(".vrow"), [])


if __name__ == "__main__":
    unittest.main()
