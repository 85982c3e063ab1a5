"""The webmail's rules and vacation in headless Chromium, against the real
servers: a vacation reply set in the webmail answers a message sent by
SMTP (smtplib); rules made in the simple editor file a newsletter into a
folder and flag an urgent message at delivery (seen over IMAP with
imaplib); the raw Sieve shows the server's vacation block and the
webmail's section side by side, and Check reports a broken script with
the compiler's message; the identity's name and signature set in Settings
are what Identity/get answers; a card PUT over CardDAV appears in the open
contacts view by push. axe-core checks the view. Needs JMAP Sieve and
VacationResponse (servers/httpd/jmap_sieve.c, jmap_vacation.c): skipped,
saying so, where httpd has none."""
import base64
import email
import email.policy
import http.client
import imaplib
import json
import smtplib
import unittest
from email.message import EmailMessage

from harness import Postroom
from http_fixtures import wait_http
from webmail_browser import Browser, wait_until

BOB, BOB_PW = "bob@example.test", "bob-secret"
ALICE, ALICE_PW = "alice@example.test", "alice-secret"


def capabilities(pr):
    conn = http.client.HTTPConnection("127.0.0.1", pr.http, timeout=30)
    auth = base64.b64encode(f"{BOB}:{BOB_PW}".encode()).decode()
    conn.request("GET", "/jmap/session",
                 headers={"Authorization": "Basic " + auth})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return json.loads(body)["capabilities"] if resp.status == 200 else {}


def script_text(browser):
    """The raw script shown (read in one script: the view re-renders)."""
    return browser.js("const t = document.querySelector('#sieve-text');"
                      "return t ? t.value : '';")


class WebmailRulesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.browser = None
        try:
            cls.pr.add_user(BOB, BOB_PW)
            cls.pr.add_user(ALICE, ALICE_PW)
            wait_http(cls.pr)
            caps = capabilities(cls.pr)
            if "urn:ietf:params:jmap:sieve" not in caps or \
                    "urn:ietf:params:jmap:vacationresponse" not in caps:
                raise unittest.SkipTest("httpd has no JMAP Sieve and "
                                        "VacationResponse yet")
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

    def send(self, sender, subject, text="hello\n"):
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = BOB
        msg["Subject"] = subject
        msg.set_content(text)
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.send_message(msg)

    def login(self):
        """A fresh login (another test's session cookie may be there)."""
        b = self.browser
        b.get(self.origin + "/")
        b.driver.delete_all_cookies()
        b.js("localStorage.clear()")
        b.get(self.origin + "/")
        b.wait_css("#login-user").send_keys(BOB)
        b.find("#login-pass").send_keys(BOB_PW)
        b.find("#login-submit").click()

    def imap(self):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap)
        m.login(BOB, BOB_PW)
        return m

    def test_vacation_rules_and_raw_sieve(self):
        b = self.browser
        m = self.imap()
        m.create("Newsletters")
        self.login()
        b.wait_css("#view-rules", timeout=60).click()

        # vacation
        b.wait_css("#vac-on").click()
        b.find("#vac-subject").send_keys("Away this week")
        b.find("#vac-text").send_keys("Back on Monday.")
        b.find("#vac-save").click()
        b.wait(lambda d: "BEGIN postroom settings" in script_text(b),
               what="vacation stored")
        self.send(ALICE, "Are you there?")
        replies = self.pr.wait_messages(ALICE, 1, timeout=60)
        self.assertTrue(replies, self.pr.log()[-3000:])
        reply = email.message_from_bytes(replies[-1],
                                         policy=email.policy.default)
        self.assertEqual(reply["Subject"], "Away this week")
        self.assertIn("Back on Monday.", reply.get_body(
            ("plain",)).get_content())

        # two rules in the simple editor
        b.find("#rule-add").click()
        b.wait_css("#rule-value-0").send_keys("newsletter@")
        from selenium.webdriver.support.ui import Select
        Select(b.find("#rule-field-0")).select_by_value("from")
        Select(b.find("#rule-action-0")).select_by_value("move")
        Select(b.find("#rule-folder-0")).select_by_visible_text(
            "Newsletters")
        b.find("#rule-add").click()
        Select(b.wait_css("#rule-field-1")).select_by_value("subject")
        b.find("#rule-value-1").send_keys("urgent")
        Select(b.find("#rule-action-1")).select_by_value("flag")
        b.find("#rules-save").click()
        b.wait(lambda d: "BEGIN postroom webmail rules" in script_text(b),
               what="rules stored")
        script = script_text(b)
        # the vacation block is still there, next to the rules
        self.assertIn("BEGIN postroom settings", script)
        self.assertIn('fileinto "Newsletters"', script)
        b.shot("rules")
        self.assertEqual(b.axe(), [], "rules view")

        self.send("News <newsletter@other.test>", "Weekly digest")
        self.send("Carol <carol@other.test>", "This is urgent")
        m.select("Newsletters")
        self.assertTrue(wait_until(lambda: m.search(
            None, "SUBJECT", '"Weekly digest"')[1][0], timeout=30),
            "the newsletter was filed into Newsletters")
        m.select("INBOX")
        found = []

        def urgent_flagged():
            m.noop()
            typ, data = m.search(None, "SUBJECT", '"This is urgent"')
            if not data[0]:
                return False
            found.append(m.fetch(data[0].split()[-1], "(FLAGS)")[1][0])
            return b"\\Flagged" in found[-1]
        self.assertTrue(wait_until(urgent_flagged, timeout=30), found)
        m.logout()

        # the editor reads back what it wrote, after a reload
        b.driver.refresh()
        b.wait_css("#rule-value-1", timeout=60)
        self.assertEqual(b.find("#rule-value-0").get_attribute("value"),
                         "newsletter@")
        self.assertEqual(b.find("#rule-value-1").get_attribute("value"),
                         "urgent")
        self.assertTrue(b.find("#vac-on").is_selected())

        # raw Sieve: Check reports an error with the compiler's words
        def raw_shown(d):
            # (chromedriver calls a textarea in a closed <details>
            # displayed)
            if b.js("return document.querySelector('#sieve-text')"
                    ".closest('details').open"):
                return True
            b.find("#raw-title").click()
            return False
        b.wait(raw_shown, what="the raw script")
        raw = b.find("#sieve-text")
        raw.send_keys("\nfileinto \"x\"")
        b.find("#sieve-check").click()
        msg = b.wait(lambda d: b.find("#sieve-result").text, what="check")
        self.assertTrue(msg.startswith("Error:"), msg)

        # vacation off again: the server's block goes, the rules stay
        b.find("#vac-on").click()
        b.find("#vac-save").click()
        b.wait(lambda d: "BEGIN postroom settings" not in script_text(b),
               what="vacation off")
        self.assertIn("BEGIN postroom webmail rules",
                      script_text(b))

        # settings: the identity's name and signature (Identity/set)
        b.find("#view-settings").click()
        name = b.wait_css("#id-name")
        name.clear()
        name.send_keys("Bob Builder")
        b.find("#id-signature").send_keys("-- \nBob")
        b.find("#id-save").click()

        def identity():
            conn = http.client.HTTPConnection("127.0.0.1", self.pr.http,
                                              timeout=30)
            auth = base64.b64encode(f"{BOB}:{BOB_PW}".encode()).decode()
            conn.request("GET", "/jmap/session",
                         headers={"Authorization": "Basic " + auth})
            account = json.loads(conn.getresponse().read())[
                "primaryAccounts"]["urn:ietf:params:jmap:mail"]
            conn.request("POST", "/jmap/api", json.dumps({
                "using": ["urn:ietf:params:jmap:core",
                          "urn:ietf:params:jmap:submission"],
                "methodCalls": [["Identity/get", {"accountId": account,
                                                  "ids": None}, "0"]]}),
                {"Authorization": "Basic " + auth,
                 "Content-Type": "application/json"})
            body = json.loads(conn.getresponse().read())
            conn.close()
            return body["methodResponses"][0][1]["list"][0]
        self.assertTrue(wait_until(
            lambda: identity()["name"] == "Bob Builder", timeout=30),
            identity())
        self.assertEqual(identity()["textSignature"], "-- \nBob")

    def test_contacts_follow_carddav_by_push(self):
        """(jmap3's push of every type, merged with JMAP Sieve) a card
        PUT over CardDAV shows in the open contacts view, no reload."""
        b = self.browser
        self.login()
        b.wait_css("#view-contacts", timeout=60).click()
        b.wait_css("#contact-new")
        b.js("window.__noReload = 1")
        card = ("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:pushed-1\r\n"
                "FN:Pushed Person\r\nEMAIL:pushed@example.org\r\n"
                "END:VCARD\r\n")
        conn = http.client.HTTPConnection("127.0.0.1", self.pr.http,
                                          timeout=30)
        auth = base64.b64encode(f"{BOB}:{BOB_PW}".encode()).decode()
        conn.request("PUT", f"/dav/addressbooks/{BOB}/contacts/pushed-1.vcf",
                     card, {"Authorization": "Basic " + auth,
                            "Content-Type": "text/vcard"})
        self.assertEqual(conn.getresponse().status, 201)
        conn.close()
        b.wait(lambda d: "Pushed Person" in b.js(
            "return document.querySelector('#contact-list').textContent"),
            timeout=60, what="the card by push")
        self.assertEqual(b.js("return window.__noReload"), 1)


if __name__ == "__main__":
    unittest.main()
