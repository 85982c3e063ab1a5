"""Raw WebDAV, CalDAV and CardDAV against postroomd with curl: OPTIONS and
its compliance classes, RFC 6764's well-known redirects, discovery from
current-user-principal to the homes, PROPFIND at depth 0 and 1 (infinity
refused), PROPPATCH all or nothing, extended MKCOL and MKCALENDAR, PUT and
GET with ETags, If-Match / If-None-Match (412), COPY, MOVE and Overwrite,
DELETE, the CalDAV and CardDAV preconditions (valid data: 400 with the
reason and nothing stored; media type: 415; component set, UID, size:
403), and the refusals across accounts."""
import unittest

from dav_fixtures import (BOB, EVE, NS, XMLNS, book, cal, curl, event, home,
                          multistatus, propfind_body, start, vcard)

D = "{DAV:}"
C = "{urn:ietf:params:xml:ns:caldav}"
CR = "{urn:ietf:params:xml:ns:carddav}"


class DavWebdavTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start()
        cls.base = f"http://127.0.0.1:{cls.pr.http}"

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    def dav(self, method, path, body=None, headers=None, user=BOB):
        return curl(self.base, method, path, body, headers, user)

    def test_options_and_well_known(self):
        r = self.dav("OPTIONS", "/dav/")
        self.assertEqual(r.status, 200)
        classes = [c.strip() for c in r.header("DAV").split(",")]
        for c in ("1", "3", "calendar-access", "addressbook",
                  "sync-collection"):
            self.assertIn(c, classes)
        for m in ("PROPFIND", "REPORT", "MKCALENDAR", "MOVE"):
            self.assertIn(m, r.header("Allow"))
        for path in ("/.well-known/caldav", "/.well-known/carddav"):
            r = self.dav("PROPFIND", path, headers={"Depth": "0"})
            self.assertEqual(r.status, 301)
            self.assertEqual(r.header("Location"), "/dav/")
        # credentials are required
        self.assertEqual(self.dav("PROPFIND", "/dav/", user=None).status, 401)

    def test_over_https(self):
        base = f"https://127.0.0.1:{self.pr.https}"
        r = curl(base, "PROPFIND", "/dav/", propfind_body(
            "D:current-user-principal"), {"Depth": "0"})
        self.assertEqual(r.status, 207)
        self.assertIn(f"/dav/principals/{BOB}/".encode(), r.body)
        r = curl(base, "PUT", cal() + "tls.ics", event("tls-1"),
                 {"Content-Type": "text/calendar"})
        self.assertEqual(r.status, 201)
        self.assertEqual(self.dav("GET", cal() + "tls.ics").body.decode(),
                         event("tls-1"))

    def test_discovery_and_depth(self):
        r = self.dav("PROPFIND", "/dav/", propfind_body(
            "D:current-user-principal"), {"Depth": "0"})
        self.assertEqual(r.status, 207)
        props, _ = multistatus(r)
        principal = props["/dav/"][D + "current-user-principal"][1] \
            .findtext("D:href", namespaces=NS)
        self.assertEqual(principal, f"/dav/principals/{BOB}/")
        r = self.dav("PROPFIND", principal, propfind_body(
            "C:calendar-home-set", "CR:addressbook-home-set",
            "C:calendar-user-address-set", "D:no-such"), {"Depth": "0"})
        props, _ = multistatus(r)
        p = props[principal]
        self.assertEqual(p[C + "calendar-home-set"][1].findtext(
            "D:href", namespaces=NS), home("calendars"))
        self.assertEqual(p[CR + "addressbook-home-set"][1].findtext(
            "D:href", namespaces=NS), home("addressbooks"))
        self.assertEqual(p[C + "calendar-user-address-set"][1].findtext(
            "D:href", namespaces=NS), f"mailto:{BOB}")
        self.assertEqual(p[D + "no-such"][0], 404)
        # depth 1 on the home: the default collections
        r = self.dav("PROPFIND", home("calendars"), propfind_body(
            "D:resourcetype", "C:supported-calendar-component-set",
            "D:sync-token"), {"Depth": "1"})
        props, _ = multistatus(r)
        self.assertIn(cal("calendar"), props)
        comps = [c.get("name") for c in props[cal("tasks")][
            C + "supported-calendar-component-set"][1]]
        self.assertEqual(comps, ["VTODO"])
        rt = props[cal("calendar")][D + "resourcetype"][1]
        self.assertIsNotNone(rt.find("C:calendar", NS))
        self.assertTrue(props[cal("calendar")][D + "sync-token"][1].text
                        .startswith("http://postroom.invalid/ns/sync/"))
        # depth 0 on the home: the home only
        r = self.dav("PROPFIND", home("calendars"), propfind_body(
            "D:resourcetype"), {"Depth": "0"})
        self.assertEqual(list(multistatus(r)[0]), [home("calendars")])
        # Depth: infinity is refused (RFC 4918 9.1)
        r = self.dav("PROPFIND", home("calendars"), propfind_body(
            "D:resourcetype"), {"Depth": "infinity"})
        self.assertEqual(r.status, 403)
        self.assertIsNotNone(r.xml().find("D:propfind-finite-depth", NS))
        # allprop (an empty body) and propname
        r = self.dav("PROPFIND", cal("calendar"), None, {"Depth": "0"})
        self.assertIn(D + "displayname", multistatus(r)[0][cal("calendar")])
        r = self.dav("PROPFIND", cal("calendar"),
                     f'<D:propfind {XMLNS}><D:propname/></D:propfind>',
                     {"Depth": "0"})
        names = multistatus(r)[0][cal("calendar")]
        self.assertIn(C + "max-resource-size", names)
        self.assertEqual(names[C + "max-resource-size"][1].text, None)
        # a malformed body is 400
        r = self.dav("PROPFIND", "/dav/", "<D:propfind", {"Depth": "0"})
        self.assertEqual(r.status, 400)

    def test_proppatch(self):
        path = cal("calendar")
        body = (f'<D:propertyupdate {XMLNS} xmlns:A="http://apple.com/ns/'
                f'ical/" xmlns:X="urn:x-test"><D:set><D:prop>'
                f'<D:displayname>Work &amp; play</D:displayname>'
                f'<A:calendar-color>#3366FFFF</A:calendar-color>'
                f'<X:mood level="2">calm</X:mood></D:prop></D:set>'
                f'</D:propertyupdate>')
        r = self.dav("PROPPATCH", path, body)
        self.assertEqual(r.status, 207, r)
        props, _ = multistatus(r)
        self.assertTrue(all(v[0] == 200 for v in props[path].values()))
        r = self.dav("PROPFIND", path, propfind_body(
            "D:displayname", "X:mood").replace(
            "<D:propfind ", '<D:propfind xmlns:X="urn:x-test" '),
            {"Depth": "0"})
        props, _ = multistatus(r)
        self.assertEqual(props[path][D + "displayname"][1].text,
                         "Work & play")
        mood = props[path]["{urn:x-test}mood"][1]
        self.assertEqual((mood.text, mood.get("level")), ("calm", "2"))
        # a protected property fails the whole update (RFC 4918 9.2)
        body = (f'<D:propertyupdate {XMLNS}><D:set><D:prop>'
                f'<D:displayname>Never</D:displayname><D:getetag>x'
                f'</D:getetag></D:prop></D:set></D:propertyupdate>')
        r = self.dav("PROPPATCH", path, body)
        props, _ = multistatus(r)
        self.assertEqual(props[path][D + "getetag"][0], 403)
        self.assertEqual(props[path][D + "displayname"][0], 424)
        r = self.dav("PROPFIND", path, propfind_body("D:displayname"),
                     {"Depth": "0"})
        self.assertEqual(multistatus(r)[0][path][D + "displayname"][1].text,
                         "Work & play")

    def test_mkcol_and_mkcalendar(self):
        path = cal("trips")
        body = (f'<C:mkcalendar {XMLNS}><D:set><D:prop><D:displayname>Trips'
                f'</D:displayname><C:supported-calendar-component-set>'
                f'<C:comp name="VEVENT"/><C:comp name="VTODO"/>'
                f'</C:supported-calendar-component-set></D:prop></D:set>'
                f'</C:mkcalendar>')
        self.assertEqual(self.dav("MKCALENDAR", path, body).status, 201)
        self.assertEqual(self.dav("MKCALENDAR", path, body).status, 405)
        r = self.dav("PROPFIND", path, propfind_body(
            "D:displayname", "C:supported-calendar-component-set"),
            {"Depth": "0"})
        props, _ = multistatus(r)
        self.assertEqual(props[path][D + "displayname"][1].text, "Trips")
        self.assertEqual(
            sorted(c.get("name") for c in props[path][
                C + "supported-calendar-component-set"][1]),
            ["VEVENT", "VTODO"])
        # extended MKCOL (RFC 5689) for an address book
        body = (f'<D:mkcol {XMLNS}><D:set><D:prop><D:resourcetype>'
                f'<D:collection/><CR:addressbook/></D:resourcetype>'
                f'<D:displayname>Work</D:displayname></D:prop></D:set>'
                f'</D:mkcol>')
        self.assertEqual(self.dav("MKCOL", book("work"), body).status, 201)
        # a calendar in the address book home is refused
        self.assertEqual(self.dav("MKCALENDAR", book("oops")).status, 403)
        body = body.replace("<CR:addressbook/>", "<C:calendar/>")
        self.assertEqual(self.dav("MKCOL", book("oops"), body).status, 403)
        self.assertEqual(self.dav("PROPFIND", book("oops"),
                                  headers={"Depth": "0"}).status, 404)
        # deleting a collection takes its members
        self.assertEqual(self.dav("PUT", path + "a.ics", event("trip-a"), {
            "Content-Type": "text/calendar"}).status, 201)
        self.assertEqual(self.dav("DELETE", path).status, 204)
        self.assertEqual(self.dav("GET", path + "a.ics").status, 404)

    def test_put_get_etags_and_preconditions(self):
        path = cal() + "etag.ics"
        ct = {"Content-Type": "text/calendar; charset=utf-8"}
        r = self.dav("PUT", path, event("etag-1"), dict(
            ct, **{"If-None-Match": "*"}))
        self.assertEqual(r.status, 201)
        etag = r.header("ETag")
        self.assertRegex(etag, r'^"[0-9a-f]{32}"$')
        r = self.dav("GET", path)
        self.assertEqual((r.status, r.header("ETag")), (200, etag))
        self.assertEqual(r.body.decode(), event("etag-1"))
        self.assertTrue(r.header("Content-Type").startswith("text/calendar"))
        # conditional GET
        self.assertEqual(self.dav("GET", path, headers={
            "If-None-Match": etag}).status, 304)
        # If-None-Match: * on an existing resource, If-Match with another tag
        self.assertEqual(self.dav("PUT", path, event("etag-1"), dict(
            ct, **{"If-None-Match": "*"})).status, 412)
        self.assertEqual(self.dav("PUT", path, event("etag-1", summary="B"),
                                  dict(ct, **{"If-Match": '"nope"'})).status,
                         412)
        r = self.dav("PUT", path, event("etag-1", summary="B"),
                     dict(ct, **{"If-Match": etag}))
        self.assertEqual(r.status, 204)
        self.assertNotEqual(r.header("ETag"), etag)
        self.assertEqual(self.dav("DELETE", path, headers={
            "If-Match": etag}).status, 412)
        # the If header (RFC 4918 10.4) with the current tag
        new = r.header("ETag")
        self.assertEqual(self.dav("DELETE", path, headers={
            "If": f"([{etag}])"}).status, 412)
        self.assertEqual(self.dav("DELETE", path, headers={
            "If": f"([{new}])"}).status, 204)
        self.assertEqual(self.dav("GET", path).status, 404)
        self.assertEqual(self.dav("DELETE", path).status, 404)
        # PUT into a collection that does not exist
        self.assertEqual(self.dav("PUT", cal("none") + "x.ics", event("x"),
                                  ct).status, 409)

    def test_copy_move(self):
        src = cal() + "orig.ics"
        ct = {"Content-Type": "text/calendar"}
        self.assertEqual(self.dav("PUT", src, event("copy-1"), ct).status,
                         201)
        # a copy into the same calendar would hold the UID twice
        r = self.dav("COPY", src, headers={
            "Destination": self.base + cal() + "copy.ics"})
        self.assertEqual(r.status, 403)
        self.assertIsNotNone(r.xml().find("C:no-uid-conflict", NS))
        self.assertEqual(r.xml().findtext("C:no-uid-conflict/D:href",
                                          namespaces=NS), src)
        # into another calendar that takes events
        self.assertEqual(self.dav("MKCALENDAR", cal("other")).status, 201)
        dst = cal("other") + "copy.ics"
        r = self.dav("COPY", src, headers={"Destination": self.base + dst})
        self.assertEqual(r.status, 201)
        self.assertEqual(self.dav("GET", dst).body.decode(), event("copy-1"))
        r = self.dav("COPY", src, headers={"Destination": self.base + dst,
                                           "Overwrite": "F"})
        self.assertEqual(r.status, 412)
        self.assertEqual(self.dav("COPY", src, headers={
            "Destination": self.base + dst}).status, 204)
        # not into the task list (VTODO only)
        r = self.dav("COPY", src, headers={
            "Destination": self.base + cal("tasks") + "t.ics"})
        self.assertEqual(r.status, 403)
        self.assertIsNotNone(r.xml().find("C:supported-calendar-component",
                                          NS))
        # MOVE renames within the calendar
        moved = cal() + "moved.ics"
        self.assertEqual(self.dav("MOVE", src, headers={
            "Destination": self.base + moved}).status, 201)
        self.assertEqual(self.dav("GET", src).status, 404)
        self.assertEqual(self.dav("GET", moved).status, 200)
        # a destination on another server is 502
        self.assertEqual(self.dav("MOVE", moved, headers={
            "Destination": "http://elsewhere.example/dav/x"}).status, 502)

    def test_invalid_bodies_are_not_stored(self):
        ct = {"Content-Type": "text/calendar"}
        cases = [
            ("not-ical.ics", "hello", "text outside the VCALENDAR"),
            ("unbalanced.ics", event("x").replace("END:VEVENT\r\n", ""),
             "END:VCALENDAR without its BEGIN"),
            ("no-uid.ics", event("x").replace("UID:x\r\n", ""),
             "VEVENT without UID"),
            ("bad-date.ics", event("x", start="tomorrow"), "DATE-TIME"),
            ("two-uids.ics", event("a").replace(
                "END:VCALENDAR", "BEGIN:VEVENT\r\nUID:b\r\nDTSTART:"
                "20240101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR"),
             "different UIDs"),
        ]
        for name, body, reason in cases:
            r = self.dav("PUT", cal() + name, body, ct)
            self.assertEqual(r.status, 400, name)
            self.assertIsNotNone(r.xml().find("C:valid-calendar-data", NS))
            self.assertIn(reason, r.xml().findtext("D:responsedescription",
                                                   namespaces=NS))
            self.assertEqual(self.dav("GET", cal() + name).status, 404)
        r = self.dav("PUT", book() + "bad.vcf", "BEGIN:VCARD\r\nVERSION:4.0"
                     "\r\nFN:x\r\nEND:VCARD\r\n",
                     {"Content-Type": "text/vcard"})
        self.assertEqual(r.status, 400)
        self.assertIsNotNone(r.xml().find("CR:valid-address-data", NS))
        self.assertIn("without UID", r.body.decode())
        self.assertEqual(self.dav("GET", book() + "bad.vcf").status, 404)
        # the wrong media type is 415
        r = self.dav("PUT", cal() + "json.ics", '{"a": 1}',
                     {"Content-Type": "application/json"})
        self.assertEqual(r.status, 415)
        r = self.dav("PUT", book() + "ics.vcf", event("z"), ct)
        self.assertEqual(r.status, 415)
        # a VTODO does not go into the events calendar
        todo = event("todo-1").replace("VEVENT", "VTODO")
        r = self.dav("PUT", cal() + "todo.ics", todo, ct)
        self.assertEqual(r.status, 403)
        self.assertIsNotNone(r.xml().find("C:supported-calendar-component",
                                          NS))
        self.assertEqual(self.dav("PUT", cal("tasks") + "todo.ics", todo,
                                  ct).status, 201)
        # a vCard keeps its UID to itself
        self.assertEqual(self.dav("PUT", book() + "a.vcf", vcard("card-1"),
                                  {"Content-Type": "text/vcard"}).status, 201)
        r = self.dav("PUT", book() + "b.vcf", vcard("card-1"),
                     {"Content-Type": "text/vcard"})
        self.assertEqual(r.status, 403)
        self.assertIsNotNone(r.xml().find("CR:no-uid-conflict", NS))
        # past max-resource-size
        big = event("big", extra="DESCRIPTION:" + "x" * 70 + "\r\n" +
                    ("  " + "y" * 70 + "\r\n") * 160000)
        r = self.dav("PUT", cal() + "big.ics", big, ct)
        self.assertIn(r.status, (403, 413))
        self.assertEqual(self.dav("GET", cal() + "big.ics").status, 404)
        self.assertIn("dav refused method=PUT", self.pr.log())

    def test_other_accounts_are_refused(self):
        ct = {"Content-Type": "text/calendar"}
        mine = cal() + "private.ics"
        self.assertEqual(self.dav("PUT", mine, event("private-1"), ct).status,
                         201)
        # eve cannot list bob's homes or principal
        for path in (home("calendars"), home("addressbooks"),
                     f"/dav/principals/{BOB}/"):
            r = self.dav("PROPFIND", path, propfind_body("D:displayname"),
                         {"Depth": "1"}, user=EVE)
            self.assertEqual(r.status, 403, path)
        # nor read a guessed href, nor a calendar, nor write into one
        self.assertEqual(self.dav("GET", mine, user=EVE).status, 404)
        self.assertEqual(self.dav("PROPFIND", cal(), propfind_body(
            "D:getetag"), {"Depth": "1"}, user=EVE).status, 404)
        self.assertEqual(self.dav("PUT", cal() + "eve.ics", event("eve-1"),
                                  ct, user=EVE).status, 404)
        self.assertEqual(self.dav("DELETE", mine, user=EVE).status, 404)
        self.assertEqual(self.dav("REPORT", cal(), "<x/>",
                                  user=EVE).status, 404)
        # eve's own event cannot be moved into bob's calendar
        evesown = cal(user=EVE) + "e.ics"
        self.assertEqual(self.dav("PUT", evesown, event("eve-2"), ct,
                                  user=EVE).status, 201)
        r = self.dav("MOVE", evesown, headers={
            "Destination": self.base + cal() + "stolen.ics"}, user=EVE)
        self.assertEqual(r.status, 403)
        self.assertEqual(self.dav("GET", cal() + "stolen.ics").status, 404)
        self.assertEqual(self.dav("GET", evesown, user=EVE).status, 200)
        self.assertEqual(self.dav("GET", mine).status, 200)


if __name__ == "__main__":
    unittest.main()
