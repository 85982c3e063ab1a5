"""JMAP for Contacts (RFC 9610) on httpd, against CardDAV on the same
address books: the session's capability, AddressBook/get and /set, the
RFC 9610 §3 ContactCard with JSContact (RFC 9553) members, a card PUT by
curl over CardDAV showing in ContactCard/changes and /get, a card made
over JMAP showing in a CardDAV GET and sync-collection, a JMAP edit of a
client's vCard 3.0 that keeps its X- properties, groups and inline
PHOTO, ContactCard/query filters (text, name, email, inAddressBook, AND
and NOT) and sorts, invalid Cards (invalidProperties naming the member),
and another account's ids (notFound, accountNotFound)."""
import json
import unittest

from dav_fixtures import BOB, EVE, PASSWORDS, book, curl, sync_body
from jmap_fixtures import CORE, Jmap, start

CONTACTS = "urn:ietf:params:jmap:contacts"
USING = [CORE, CONTACTS]

APPLE = ("BEGIN:VCARD\r\nVERSION:3.0\r\n"
         "PRODID:-//Apple Inc.//iOS 17.0//EN\r\n"
         "N:Appleseed;Johnny;;;\r\nFN:Johnny Appleseed\r\n"
         "EMAIL;type=INTERNET;type=HOME;type=pref:johnny@example.com\r\n"
         "item1.EMAIL;type=INTERNET:work@example.com\r\n"
         "item1.X-ABLabel:_$!<Other>!$_\r\n"
         "TEL;type=CELL;type=VOICE;type=pref:(555) 555-1234\r\n"
         "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD\r\n"
         "X-SOCIALPROFILE;type=twitter:http://twitter.com/johnny\r\n"
         "UID:apple-1\r\nEND:VCARD\r\n")


class JmapContactsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start(users=((BOB, PASSWORDS[BOB]), (EVE, PASSWORDS[EVE])))
        cls.base = f"http://127.0.0.1:{cls.pr.http}"
        cls.bob = Jmap(cls.pr, BOB, PASSWORDS[BOB])
        cls.bob.get_session()
        cls.eve = Jmap(cls.pr, EVE, PASSWORDS[EVE])
        cls.eve.get_session()

    @classmethod
    def tearDownClass(cls):
        cls.bob.close()
        cls.eve.close()
        reports = cls.pr.sanitizer_reports()
        cls.pr.cleanup()
        assert not reports, reports

    def one(self, name, args, who=None):
        return (who or self.bob).one(name, args, using=USING)

    def default_book(self):
        _, r = self.one("AddressBook/get", {"ids": None})
        return next(b["id"] for b in r["list"] if b["isDefault"])

    def test_session_and_books(self):
        s = self.bob.session
        self.assertIn(CONTACTS, s["capabilities"])
        self.assertEqual(s["primaryAccounts"][CONTACTS], self.bob.account)
        acct = s["accounts"][self.bob.account]["accountCapabilities"]
        self.assertTrue(acct[CONTACTS]["mayCreateAddressBook"])
        name, r = self.one("AddressBook/get", {"ids": None})
        self.assertEqual(name, "AddressBook/get")
        books = {b["name"]: b for b in r["list"]}
        self.assertIn("Contacts", books)
        b = books["Contacts"]
        self.assertTrue(b["isDefault"])
        self.assertEqual(b["myRights"], {"mayRead": True, "mayWrite": True,
                                         "mayShare": False,
                                         "mayDelete": True})
        # create, rename, refuse to destroy a full one, destroy
        _, r = self.one("AddressBook/set", {"create": {
            "w": {"name": "Work", "description": "colleagues"}}})
        wid = r["created"]["w"]["id"]
        _, r = self.one("AddressBook/set", {"update": {
            wid: {"name": "Job"}}})
        self.assertIn(wid, r["updated"])
        _, r = self.one("AddressBook/get", {"ids": [wid]})
        self.assertEqual(r["list"][0]["name"], "Job")
        self.assertEqual(r["list"][0]["description"], "colleagues")
        _, r = self.one("ContactCard/set", {"create": {"k": {
            "addressBookIds": {wid: True}, "name": {"full": "Colleague"}}}})
        self.assertIn("k", r["created"])
        _, r = self.one("AddressBook/set", {"destroy": [wid]})
        self.assertEqual(r["notDestroyed"][wid]["type"],
                         "addressBookHasContents")
        _, r = self.one("AddressBook/set", {
            "destroy": [wid], "onDestroyRemoveContents": True})
        self.assertEqual(r["destroyed"], [wid])
        _, r = self.one("AddressBook/get", {"ids": [wid]})
        self.assertEqual(r["notFound"], [wid])

    def test_carddav_put_shows_in_jmap(self):
        _, r = self.one("ContactCard/get", {"ids": []})
        state = r["state"]
        resp = curl(self.base, "PUT", book() + "apple.vcf", APPLE,
                    {"Content-Type": "text/vcard"})
        self.assertEqual(resp.status, 201)
        _, ch = self.one("ContactCard/changes", {"sinceState": state})
        self.assertEqual(len(ch["created"]), 1)
        cid = ch["created"][0]
        _, r = self.one("ContactCard/get", {"ids": [cid]})
        c = r["list"][0]
        self.assertEqual(c["@type"], "Card")
        self.assertEqual(c["uid"], "apple-1")
        self.assertEqual(c["name"]["full"], "Johnny Appleseed")
        self.assertEqual(c["addressBookIds"], {self.default_book(): True})
        emails = sorted(e["address"] for e in c["emails"].values())
        self.assertEqual(emails, ["johnny@example.com", "work@example.com"])
        phone = next(iter(c["phones"].values()))
        self.assertEqual(phone["features"], {"mobile": True, "voice": True})
        self.assertEqual(phone["pref"], 1)
        # a JMAP edit keeps what JSContact has no member for
        _, r = self.one("ContactCard/set", {"update": {
            cid: {"name/full": "John Appleseed",
                  "notes": {"n1": {"note": "met at IETF"}}}}})
        self.assertIn(cid, r["updated"])
        resp = curl(self.base, "GET", book() + "apple.vcf")
        self.assertEqual(resp.status, 200)
        text = resp.body.decode()
        for line in ("FN:John Appleseed", "NOTE:met at IETF",
                     "ITEM1.X-ABLABEL:_$!<Other>!$_",
                     "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD",
                     "X-SOCIALPROFILE;TYPE=twitter:http://twitter.com/johnny",
                     "ITEM1.EMAIL;TYPE=internet:work@example.com",
                     "UID:apple-1"):
            self.assertIn(line + "\r\n", text)
        # a CardDAV write after it is a JMAP update of the same id
        _, r = self.one("ContactCard/get", {"ids": []})
        state = r["state"]
        resp = curl(self.base, "PUT", book() + "apple.vcf",
                    APPLE.replace("Johnny Appleseed", "J. Appleseed"),
                    {"Content-Type": "text/vcard"})
        self.assertEqual(resp.status, 204)
        _, ch = self.one("ContactCard/changes", {"sinceState": state})
        self.assertEqual(ch["updated"], [cid])
        self.assertEqual(ch["created"], [])

    def test_jmap_create_shows_in_carddav(self):
        resp = curl(self.base, "REPORT", book(), sync_body(),
                    {"Depth": "1", "Content-Type": "application/xml"})
        self.assertEqual(resp.status, 207)
        token = resp.xml().find("{DAV:}sync-token").text
        _, r = self.one("ContactCard/set", {"create": {"a": {
            "@type": "Card", "version": "1.0",
            "addressBookIds": {self.default_book(): True},
            "name": {"components": [{"kind": "given", "value": "Ada"},
                                    {"kind": "surname",
                                     "value": "Lovelace"}]},
            "emails": {"e1": {"address": "ada@example.org",
                              "contexts": {"work": True}}},
            "example.com:custom": {"x": 1}}}})
        made = r["created"]["a"]
        self.assertTrue(made["uid"].startswith("urn:uuid:"))
        resp = curl(self.base, "REPORT", book(), sync_body(token),
                    {"Depth": "1", "Content-Type": "application/xml"})
        hrefs = [h.text for h in resp.xml().iter("{DAV:}href")]
        self.assertEqual(len(hrefs), 1, resp)
        resp = curl(self.base, "GET", hrefs[0])
        text = resp.body.decode()
        self.assertIn("FN;DERIVED=TRUE:Ada Lovelace\r\n", text)
        self.assertIn("N:Lovelace;Ada;;;\r\n", text)
        self.assertIn("EMAIL;TYPE=work:ada@example.org\r\n", text)
        self.assertIn("UID:" + made["uid"] + "\r\n", text)
        # the member without a vCard form comes back through JSPROP
        _, r = self.one("ContactCard/get", {"ids": [made["id"]]})
        self.assertEqual(r["list"][0]["example.com:custom"], {"x": 1})
        # destroyed in JMAP: gone in CardDAV
        _, r = self.one("ContactCard/set", {"destroy": [made["id"]]})
        self.assertEqual(r["destroyed"], [made["id"]])
        self.assertEqual(curl(self.base, "GET", hrefs[0]).status, 404)

    def test_query(self):
        bid = self.default_book()
        _, r = self.one("ContactCard/set", {"create": {
            "1": {"addressBookIds": {bid: True}, "uid": "q-1",
                  "name": {"full": "Zed Query",
                           "components": [{"kind": "surname",
                                           "value": "Query"},
                                          {"kind": "given", "value": "Zed"}]},
                  "emails": {"e": {"address": "zed@query.example"}}},
            "2": {"addressBookIds": {bid: True}, "uid": "q-2",
                  "name": {"full": "Amy Query",
                           "components": [{"kind": "surname",
                                           "value": "Query"},
                                          {"kind": "given", "value": "Amy"}]},
                  "notes": {"n": {"note": "likes cheese"}}}}})
        one, two = r["created"]["1"]["id"], r["created"]["2"]["id"]
        _, r = self.one("ContactCard/query", {
            "filter": {"name": "query"},
            "sort": [{"property": "name/given"}]})
        self.assertEqual(r["ids"], [two, one])
        _, r = self.one("ContactCard/query", {
            "filter": {"email": "ZED@query"}})
        self.assertEqual(r["ids"], [one])
        _, r = self.one("ContactCard/query", {
            "filter": {"operator": "AND", "conditions": [
                {"text": "cheese"}, {"inAddressBook": bid}]}})
        self.assertEqual(r["ids"], [two])
        _, r = self.one("ContactCard/query", {
            "filter": {"operator": "AND", "conditions": [
                {"name/surname": "Query"},
                {"operator": "NOT", "conditions": [{"uid": "q-1"}]}]},
            "calculateTotal": True})
        self.assertEqual(r["ids"], [two])
        self.assertEqual(r["total"], 1)
        name, r = self.one("ContactCard/query", {"filter": {"colour": "x"}})
        self.assertEqual((name, r["type"]), ("error", "unsupportedFilter"))
        name, r = self.one("ContactCard/query", {
            "sort": [{"property": "shoeSize"}]})
        self.assertEqual((name, r["type"]), ("error", "unsupportedSort"))

    def test_invalid_cards(self):
        bid = self.default_book()
        _, r = self.one("ContactCard/set", {"create": {
            "a": {"addressBookIds": {bid: True}, "@type": "Event"},
            "b": {"addressBookIds": {bid: True},
                  "emails": {"e1": {"address": 5}}},
            "c": {"name": {"full": "no book"}},
            "d": {"addressBookIds": {"c999": True}},
            "e": {"addressBookIds": {bid: True}, "phones": ["x"]}}})
        nc = r["notCreated"]
        self.assertEqual(nc["a"]["properties"], ["@type"])
        self.assertEqual(nc["b"]["properties"], ["emails/e1/address"])
        self.assertEqual(nc["c"]["properties"], ["addressBookIds"])
        self.assertEqual(nc["d"]["properties"], ["addressBookIds"])
        self.assertEqual(nc["e"]["properties"], ["phones"])
        for v in nc.values():
            self.assertEqual(v["type"], "invalidProperties")
        # the uid of a card cannot change
        _, r = self.one("ContactCard/set", {"create": {"k": {
            "addressBookIds": {bid: True}, "uid": "fixed"}}})
        kid = r["created"]["k"]["id"]
        _, r = self.one("ContactCard/set", {"update": {
            kid: {"uid": "other"}}})
        self.assertEqual(r["notUpdated"][kid]["properties"], ["uid"])

    def test_other_account(self):
        bid = self.default_book()
        _, r = self.one("ContactCard/set", {"create": {"s": {
            "addressBookIds": {bid: True}, "name": {"full": "Secret"}}}})
        sid = r["created"]["s"]["id"]
        # eve's ids are her own: bob's id is not found in her account
        _, r = self.one("ContactCard/get", {"ids": [sid]}, who=self.eve)
        self.assertEqual(r["notFound"], [sid])
        self.assertNotIn("Secret", json.dumps(r))
        _, r = self.one("ContactCard/set", {"destroy": [sid]}, who=self.eve)
        self.assertEqual(r["notDestroyed"][sid]["type"], "notFound")
        name, r = self.eve.one("ContactCard/get", {
            "accountId": self.bob.account, "ids": [sid]}, using=USING)
        self.assertEqual((name, r["type"]), ("error", "accountNotFound"))
        _, r = self.one("ContactCard/get", {"ids": [sid]})
        self.assertEqual(r["list"][0]["name"]["full"], "Secret")


if __name__ == "__main__":
    unittest.main()
