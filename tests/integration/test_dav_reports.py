"""REPORTs against postroomd with curl: sync-collection (RFC 6578) from an
initial sync through changes and deletions, a token still valid after
postroomd restarts (kill -9 included), tokens refused (403
DAV:valid-sync-token), the limit (507 for the collection); calendar-query
with a time range on a weekly event in Europe/Berlin with an EXDATE and
an override (RFC 4791 9.9) and with expand; calendar-multiget with a
missing href; free-busy-query; addressbook-query with collations, match
types and its limit; addressbook-multiget and address-data with prop."""
import os
import signal
import unittest

from dav_fixtures import (BOB, NS, XMLNS, book, cal, calendar_query, curl,
                          event, multistatus, start, sync_body, vcard,
                          weekly_event)
from http_fixtures import wait_http

D = "{DAV:}"
C = "{urn:ietf:params:xml:ns:caldav}"
CR = "{urn:ietf:params:xml:ns:carddav}"
CT_CAL = {"Content-Type": "text/calendar"}
CT_CARD = {"Content-Type": "text/vcard"}


class DavReportsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = start()
        cls.base = f"http://127.0.0.1:{cls.pr.http}"

    @classmethod
    def tearDownClass(cls):
        cls.pr.cleanup()

    def dav(self, method, path, body=None, headers=None):
        return curl(self.base, method, path, body, headers)

    def sync(self, path, token="", limit=None):
        r = self.dav("REPORT", path, sync_body(token, limit), {"Depth": "1"})
        self.assertEqual(r.status, 207, r)
        props, statuses = multistatus(r)
        token = r.xml().findtext("D:sync-token", namespaces=NS)
        return props, statuses, token

    def test_sync_collection_across_restarts(self):
        self.assertEqual(self.dav("MKCALENDAR", cal("sync")).status, 201)
        path = cal("sync")
        for i in range(3):
            self.assertEqual(self.dav("PUT", f"{path}{i}.ics",
                                      event(f"sync-{i}"), CT_CAL).status, 201)
        props, statuses, t1 = self.sync(path)
        self.assertEqual(sorted(props), [f"{path}{i}.ics" for i in range(3)])
        self.assertTrue(all(D + "getetag" in p for p in props.values()))
        # nothing changed: nothing listed, the same token
        props, statuses, same = self.sync(path, t1)
        self.assertEqual((props, same), ({}, t1))
        self.assertEqual(self.dav("PUT", f"{path}1.ics",
                                  event("sync-1", summary="changed"),
                                  CT_CAL).status, 204)
        self.assertEqual(self.dav("DELETE", f"{path}2.ics").status, 204)
        props, statuses, t2 = self.sync(path, t1)
        self.assertIn(f"{path}1.ics", props)
        self.assertEqual(statuses, {f"{path}2.ics": 404})
        self.assertNotIn(f"{path}0.ics", props)
        # the token survives a restart, and a crash
        self.pr.stop()
        self.pr.start()
        wait_http(self.pr)
        props, statuses, t3 = self.sync(path, t2)
        self.assertEqual((props, statuses, t3), ({}, {}, t2))
        self.assertEqual(self.dav("PUT", f"{path}3.ics", event("sync-3"),
                                  CT_CAL).status, 201)
        os.kill(self.pr.proc.pid, signal.SIGKILL)
        self.pr.proc.wait()
        self.pr.kill_all()
        self.pr.start()
        wait_http(self.pr)
        props, statuses, t4 = self.sync(path, t2)
        self.assertEqual(list(props), [f"{path}3.ics"])
        # limit: the first change, 507 for the collection, a token that
        # picks up where it stopped
        self.assertEqual(self.dav("PUT", f"{path}4.ics", event("sync-4"),
                                  CT_CAL).status, 201)
        props, statuses, _ = self.sync(path, t4, limit=1)
        self.assertEqual((list(props), statuses), ([f"{path}4.ics"], {}))
        props, statuses, t5 = self.sync(path, t2, limit=1)
        self.assertEqual(statuses.get(path), 507)
        self.assertIn(f"{path}3.ics", props)
        props, statuses, t6 = self.sync(path, t5)
        self.assertEqual(list(props), [f"{path}4.ics"])
        # tokens this collection did not make are refused
        for bad in ("http://postroom.invalid/ns/sync/999999-1",
                    "http://postroom.invalid/ns/sync/1-999999999",
                    "urn:x:nonsense"):
            r = self.dav("REPORT", path, sync_body(bad))
            self.assertEqual(r.status, 403, bad)
            self.assertIsNotNone(r.xml().find("D:valid-sync-token", NS))
        # a collection deleted and made again: the old token is refused
        self.assertEqual(self.dav("DELETE", path).status, 204)
        self.assertEqual(self.dav("MKCALENDAR", path).status, 201)
        r = self.dav("REPORT", path, sync_body(t6))
        self.assertEqual(r.status, 403)

    def test_calendar_query_recurring(self):
        path = cal()
        self.assertEqual(self.dav("PUT", path + "weekly.ics", weekly_event(),
                                  CT_CAL).status, 201)
        self.assertEqual(self.dav("PUT", path + "single.ics",
                                  event("single", "20240301T120000Z",
                                        "20240301T130000Z"), CT_CAL).status,
                         201)
        cases = [
            # the 15th, 10:00 CET is 09:00Z
            ("20240115T090000Z", "20240115T093000Z", ["weekly.ics"]),
            ("20240115T100000Z", "20240115T110000Z", []),
            # the 22nd is excluded, the 29th moved to the 30th 14:00Z
            ("20240122T000000Z", "20240123T000000Z", []),
            ("20240129T000000Z", "20240130T000000Z", []),
            ("20240130T140000Z", "20240130T141500Z", ["weekly.ics"]),
            # the tenth instance is March 11th; March 1st holds the single
            ("20240301T000000Z", "20240312T000000Z",
             ["single.ics", "weekly.ics"]),
            ("20240312T000000Z", "20250101T000000Z", []),
        ]
        for start_, end, want in cases:
            r = self.dav("REPORT", path, calendar_query(start_, end),
                         {"Depth": "1"})
            self.assertEqual(r.status, 207)
            got = sorted(h.rsplit("/", 1)[1] for h in multistatus(r)[0])
            self.assertEqual(got, want, (start_, end))
        # expand: the instances in the range, in UTC, each with its
        # RECURRENCE-ID (RFC 4791 9.6.5)
        props = ('<D:getetag/><C:calendar-data><C:expand '
                 'start="20240108T000000Z" end="20240201T000000Z"/>'
                 '</C:calendar-data>')
        r = self.dav("REPORT", path, calendar_query(
            "20240108T000000Z", "20240201T000000Z", props), {"Depth": "1"})
        data = multistatus(r)[0][path + "weekly.ics"][C + "calendar-data"][
            1].text
        self.assertEqual(data.count("BEGIN:VEVENT"), 3)
        self.assertIn("RECURRENCE-ID:20240115T090000Z", data)
        self.assertIn("DTSTART:20240130T140000Z", data)
        self.assertNotIn("RRULE", data)
        self.assertNotIn("20240122", data)

    def test_multiget_and_free_busy(self):
        path = cal()
        for uid, s, e in (("fb-1", "20240601T090000Z", "20240601T100000Z"),
                          ("fb-2", "20240601T093000Z", "20240601T110000Z")):
            self.assertEqual(self.dav("PUT", f"{path}{uid}.ics",
                                      event(uid, s, e), CT_CAL).status, 201)
        body = (f'<C:calendar-multiget {XMLNS}><D:prop><D:getetag/>'
                f'<C:calendar-data/></D:prop><D:href>{path}fb-1.ics</D:href>'
                f'<D:href>{path}missing.ics</D:href></C:calendar-multiget>')
        r = self.dav("REPORT", path, body, {"Depth": "1"})
        props, statuses = multistatus(r)
        self.assertEqual(statuses, {f"{path}missing.ics": 404})
        self.assertEqual(props[f"{path}fb-1.ics"][C + "calendar-data"][1]
                         .text.replace("\n", "\r\n").replace("\r\r", "\r"),
                         event("fb-1", "20240601T090000Z",
                               "20240601T100000Z"))
        body = (f'<C:free-busy-query {XMLNS}><C:time-range '
                f'start="20240601T000000Z" end="20240602T000000Z"/>'
                f'</C:free-busy-query>')
        r = self.dav("REPORT", path, body, {"Depth": "1"})
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/calendar"))
        self.assertIn("FREEBUSY;FBTYPE=BUSY:20240601T090000Z/"
                      "20240601T110000Z", r.body.decode())
        # a report that does not belong here
        r = self.dav("REPORT", path, f'<CR:addressbook-query {XMLNS}>'
                     f'<CR:filter/></CR:addressbook-query>')
        self.assertEqual(r.status, 403)
        self.assertIsNotNone(r.xml().find("D:supported-report", NS))

    def test_addressbook_query(self):
        path = book("people")
        body = (f'<D:mkcol {XMLNS}><D:set><D:prop><D:resourcetype>'
                f'<D:collection/><CR:addressbook/></D:resourcetype>'
                f'</D:prop></D:set></D:mkcol>')
        self.assertEqual(self.dav("MKCOL", path, body).status, 201)
        people = [("p1", "J\u00f6rg M\u00fcller", "joerg@example.org"),
                  ("p2", "Ann Example", "ann@example.org"),
                  ("p3", "Anna Other", "anna@example.net")]
        for uid, fn, email in people:
            self.assertEqual(self.dav("PUT", f"{path}{uid}.vcf",
                                      vcard(uid, fn, email), CT_CARD).status,
                             201)

        def query(filt, limit=""):
            body = (f'<CR:addressbook-query {XMLNS}><D:prop><D:getetag/>'
                    f'<CR:address-data><CR:prop name="EMAIL"/>'
                    f'</CR:address-data></D:prop><CR:filter>{filt}'
                    f'</CR:filter>{limit}</CR:addressbook-query>')
            r = self.dav("REPORT", path, body, {"Depth": "1"})
            self.assertEqual(r.status, 207, r)
            return multistatus(r)

        props, _ = query('<CR:prop-filter name="FN"><CR:text-match '
                         'match-type="starts-with">ann</CR:text-match>'
                         '</CR:prop-filter>')
        self.assertEqual(sorted(props), [f"{path}p2.vcf", f"{path}p3.vcf"])
        data = props[f"{path}p2.vcf"][CR + "address-data"][1].text
        self.assertIn("EMAIL:ann@example.org", data)
        self.assertNotIn("FN:", data)
        props, _ = query('<CR:prop-filter name="FN"><CR:text-match '
                         'collation="i;unicode-casemap">M\u00dcLLER'
                         '</CR:text-match></CR:prop-filter>')
        self.assertEqual(list(props), [f"{path}p1.vcf"])
        props, _ = query('<CR:prop-filter name="EMAIL"><CR:text-match '
                         'match-type="ends-with">.org</CR:text-match>'
                         '</CR:prop-filter>')
        self.assertEqual(len(props), 2)
        props, statuses = query('<CR:prop-filter name="EMAIL"/>',
                                '<CR:limit><CR:nresults>2</CR:nresults>'
                                '</CR:limit>')
        self.assertEqual(statuses.get(path), 507)
        self.assertEqual(len([p for p in props if p != path]), 2)
        body = (f'<CR:addressbook-multiget {XMLNS}><D:prop><D:getetag/>'
                f'<CR:address-data/></D:prop><D:href>{path}p3.vcf</D:href>'
                f'</CR:addressbook-multiget>')
        r = self.dav("REPORT", path, body, {"Depth": "1"})
        props, _ = multistatus(r)
        self.assertIn("FN:Anna Other",
                      props[f"{path}p3.vcf"][CR + "address-data"][1].text)
        r = self.dav("REPORT", path, f'<CR:addressbook-query {XMLNS}>'
                     f'<CR:filter><CR:prop-filter name="FN"><CR:text-match '
                     f'collation="i;klingon">x</CR:text-match>'
                     f'</CR:prop-filter></CR:filter></CR:addressbook-query>')
        self.assertEqual(r.status, 403)
        self.assertIsNotNone(r.xml().find("CR:supported-collation", NS))


if __name__ == "__main__":
    unittest.main()
