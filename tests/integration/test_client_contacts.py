"""postroom contacts on its local store, with no server: add, list,
search, show, edit, delete, import of a .vcf with two cards (a folded line,
an escaped comma, a 3.0 card), import of a card whose UID is there already
(an update), export as vCard 4.0 and a re-import round trip, with --json
output parsed here."""
import os
import unittest

from client_fixtures import ClientHome

TWO_CARDS = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "UID:card-one\r\n"
    "FN:Doe\\, Jane\r\n"
    "N:Doe;Jane;;;\r\n"
    "EMAIL;TYPE=INTERNET,WORK:jane.doe@\r\n"
    " work.example\r\n"
    "EMAIL;TYPE=HOME:jane@home.example\r\n"
    "TEL;TYPE=CELL:+44 20 7946 0000\r\n"
    "ORG:Widgets\\, Ltd;Sales\r\n"
    "NOTE:A note that is long enough to be folded by any writer that kee\r\n"
    " ps to seventy-five octets\\nsecond line\r\n"
    "X-CUSTOM:kept\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "UID:urn:uuid:0f6b5c1e-1111-4222-8333-444455556666\r\n"
    "FN:Bob Builder\r\n"
    "EMAIL;PREF=1:bob@build.example\r\n"
    "END:VCARD\r\n")


class ClientContacts(unittest.TestCase):
    def setUp(self):
        self.home = ClientHome()
        self.home.write_account("test", "test@example.org")

    def tearDown(self):
        self.home.cleanup()

    def ok(self, *args):
        return self.home.run(*args, check=True)

    def write(self, name, text):
        path = os.path.join(self.home.tmp, name)
        with open(path, "w", newline="") as f:
            f.write(text)
        return path

    def by_name(self):
        return {c["name"]: c for c in self.home.json("contacts", "list")}

    def test_add_search_edit_delete(self):
        added = self.home.json("contacts", "add", "--name", "Ann Example",
                               "--email", "ann@example.org", "--email",
                               "a.example@work.example", "--phone",
                               "+1 555 0100", "--org", "Acme, Inc",
                               "--note", "met at the fair")
        self.assertEqual(added["emails"],
                         ["ann@example.org", "a.example@work.example"])
        self.assertTrue(added["uid"].startswith("urn:uuid:"))
        self.assertIn("ORG:Acme\\, Inc\r\n", added["vcard"])
        self.ok("contacts", "add", "--name", "Bob Other", "--email",
                "bob@other.example")
        # human output names the contact
        out = self.ok("contacts", "list").stdout
        self.assertIn("Ann Example", out)
        self.assertIn("<bob@other.example>", out)
        # search: name or any address, case-insensitively
        for query, want in (("ANN", ["Ann Example"]),
                            ("work.EXAMPLE", ["Ann Example"]),
                            ("example", ["Ann Example", "Bob Other"]),
                            ("nobody", [])):
            got = [c["name"] for c in
                   self.home.json("contacts", "search", query)]
            self.assertEqual(got, want, query)
        # edit: name and the address list, the rest stays
        cid = str(added["id"])
        edited = self.home.json("contacts", "edit", cid, "--name",
                                "Ann Changed", "--email", "new@example.org")
        self.assertEqual(edited["name"], "Ann Changed")
        shown = self.home.json("contacts", "show", cid)
        self.assertEqual(shown["emails"], ["new@example.org"])
        self.assertEqual(shown["phones"], ["+1 555 0100"])
        self.assertEqual(shown["org"], "Acme, Inc")
        self.assertIn("FN:Ann Changed\r\n", shown["vcard"])
        self.assertIn("EMAIL:new@example.org\r\n", shown["vcard"])
        self.assertEqual(shown["uid"], added["uid"])
        # delete
        self.ok("contacts", "delete", cid)
        self.assertEqual(list(self.by_name()), ["Bob Other"])
        proc = self.home.run("contacts", "show", cid)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("no contact", proc.stderr)
        proc = self.home.run("contacts", "frobnicate")
        self.assertEqual(proc.returncode, 2)

    def test_import_export_round_trip(self):
        path = self.write("two.vcf", TWO_CARDS)
        self.assertEqual(self.home.json("contacts", "import", path),
                         {"added": 2, "updated": 0})
        cards = self.by_name()
        self.assertEqual(sorted(cards), ["Bob Builder", "Doe, Jane"])
        jane = cards["Doe, Jane"]
        self.assertEqual(jane["uid"], "card-one")
        self.assertEqual(jane["emails"], ["jane.doe@work.example",
                                          "jane@home.example"])
        self.assertEqual(jane["phones"], ["+44 20 7946 0000"])
        self.assertEqual(jane["org"], "Widgets, Ltd")
        self.assertEqual(jane["note"],
                         "A note that is long enough to be folded by any "
                         "writer that keeps to seventy-five octets\n"
                         "second line")

        # export to a file: vCard 4.0, folded at 75 octets, CRLF
        out = os.path.join(self.home.tmp, "out.vcf")
        self.ok("contacts", "export", out)
        with open(out, "rb") as f:
            exported = f.read()
        self.assertEqual(exported.count(b"BEGIN:VCARD\r\nVERSION:4.0\r\n"),
                         2)
        for line in exported.split(b"\r\n"):
            self.assertLessEqual(len(line), 75)
        self.assertIn(b"X-CUSTOM:kept\r\n", exported)
        self.assertIn(b"FN:Doe\\, Jane\r\n", exported)
        # stdout gives the same
        self.assertEqual(self.ok("contacts", "export").stdout.encode(),
                         exported.replace(b"\r\n", b"\n"))

        # re-import into a fresh home gives the same contacts
        other = ClientHome()
        try:
            other.write_account("test", "test@example.org")
            self.assertEqual(other.json("contacts", "import", out),
                             {"added": 2, "updated": 0})
            again = {c["name"]: c for c in other.json("contacts", "list")}
            for name in cards:
                for key in ("uid", "emails", "phones", "org", "note"):
                    self.assertEqual(again[name][key], cards[name][key],
                                     f"{name} {key}")
        finally:
            other.cleanup()

        # importing the export here again updates, adds nothing
        self.assertEqual(self.home.json("contacts", "import", out),
                         {"added": 0, "updated": 2})
        self.assertEqual(len(self.by_name()), 2)
        # a card with a known UID replaces that contact
        path = self.write("update.vcf",
                          "BEGIN:VCARD\nVERSION:4.0\nUID:card-one\n"
                          "FN:Jane Doe\nEMAIL:jd@new.example\nEND:VCARD\n")
        self.assertEqual(self.home.json("contacts", "import", path),
                         {"added": 0, "updated": 1})
        cards = self.by_name()
        self.assertEqual(cards["Jane Doe"]["emails"], ["jd@new.example"])
        self.assertNotIn("Doe, Jane", cards)

    def test_import_refuses_malformed(self):
        path = self.write("bad.vcf", "BEGIN:VCARD\nFN:x\n")
        proc = self.home.run("contacts", "import", path)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("no END:VCARD", proc.stderr)
        self.assertEqual(self.home.json("contacts", "list"), [])


if __name__ == "__main__":
    unittest.main()
