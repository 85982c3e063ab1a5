"""LIST-EXTENDED (RFC 5258) and CREATE-SPECIAL-USE (RFC 6154), written
from the RFCs' text and examples, over raw sockets and imaplib:

- RFC 5258 §3: several patterns in one LIST; unknown options are BAD;
  RECURSIVEMATCH alone (or with only REMOTE) is BAD; SUBSCRIBED selects
  subscribed names and implies the SUBSCRIBED return option (\\Subscribed);
  RECURSIVEMATCH returns a parent that does not meet the criteria but has
  a descendant that does (and that the pattern does not match) with the
  CHILDINFO extended data item (§3.5), never without RECURSIVEMATCH; a
  name that does not exist is \\NonExistent (§3, §3.5's table); return
  options never add names.
- RFC 6154 §3 (LIST (SPECIAL-USE)) and §5.3 (CREATE ... (USE (...))):
  the created mailbox has the use; a use the server cannot give gets
  NO [USEATTR] and the mailbox MUST NOT be created; an unknown
  create-param is BAD."""
import imaplib
import re
import unittest

from harness import Postroom
from imap_ext_raw import Raw, login

USER = "lst@local.test"
PW = "lst-pw"


def names(out, tag=b"t"):
    """{name: (attributes, rest)} of the LIST lines of out."""
    res = {}
    for line in out.split(b"\r\n"):
        m = re.match(rb'\* LIST \(([^)]*)\) "/" ("[^"]*"|\S+)(.*)', line)
        if m:
            res[m.group(2).strip(b'"').decode()] = (
                m.group(1).decode().split(), m.group(3).decode().strip())
    return res


class ListExtTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user(USER, PW)
        r = Raw(cls.pr.imap, USER, PW)
        # RFC 5258 §5's fruit: Fruit exists, Fruit/Banana is subscribed,
        # Tofu exists unsubscribed, Vegetable/Broccoli exists under a
        # parent that does not
        for cmd in (b"CREATE Fruit", b"CREATE Fruit/Apple",
                    b"CREATE Fruit/Banana", b"CREATE Tofu",
                    b"CREATE Vegetable/Broccoli", b"DELETE Vegetable",
                    b"SUBSCRIBE Fruit/Banana",
                    b"SUBSCRIBE Vegetable/Broccoli"):
            r.cmd(b"s", cmd)
        r.close()

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def list(self, args):
        r = Raw(self.pr.imap, USER, PW)
        out = r.cmd(b"t", b"LIST " + args)
        r.close()
        return out

    def test_capabilities(self):
        r = Raw(self.pr.imap, USER, PW)
        caps = r.cmd(b"c", b"CAPABILITY")
        for cap in (b"LIST-EXTENDED", b"CREATE-SPECIAL-USE",
                    b"SPECIAL-USE", b"LIST-STATUS"):
            self.assertIn(b" " + cap + b" ", caps)
        r.close()

    def test_multiple_patterns(self):
        """mbox-or-pat = list-mailbox / patterns (§6)."""
        out = self.list(b'"" ("INBOX" "Fruit/%")')
        self.assertIn(b"t OK", out)
        self.assertEqual(set(names(out)),
                         {"INBOX", "Fruit/Apple", "Fruit/Banana"})

    def test_bad_options(self):
        """§3: unknown options are BAD; RECURSIVEMATCH must not be the
        only selection option, nor come with only REMOTE."""
        for args in (b'(FOO) "" "*"', b'(RECURSIVEMATCH) "" "*"',
                     b'(REMOTE RECURSIVEMATCH) "" "*"',
                     b'"" "*" RETURN (FOO)'):
            self.assertIn(b"t BAD", self.list(args), args)
        # REMOTE alone is fine (no remote mailboxes here)
        self.assertIn(b"t OK", self.list(b'(REMOTE) "" "Tofu"'))

    def test_subscribed_selection(self):
        """§3.1: exactly the subscribed names that match, \\Subscribed
        set on each; an unsubscribed parent is not returned."""
        got = names(self.list(b'(SUBSCRIBED) "" "*"'))
        self.assertIn("Fruit/Banana", got)
        self.assertNotIn("Fruit", got)
        self.assertNotIn("Tofu", got)
        for attrs, _ in got.values():
            self.assertIn("\\Subscribed", attrs)
        # Fruit/Banana with "%": the parent is not returned without
        # RECURSIVEMATCH, and there is no CHILDINFO
        out = self.list(b'(SUBSCRIBED) "" "%"')
        self.assertNotIn("Fruit", names(out))
        self.assertNotIn(b"CHILDINFO", out)

    def test_recursivematch_childinfo(self):
        """§3.5 and §5 example 9: with RECURSIVEMATCH, a parent that is
        not subscribed but has a subscribed child the pattern does not
        match is returned without \\Subscribed, with CHILDINFO; a name that
        does not exist also gets \\NonExistent (the table in §3.5)."""
        got = names(self.list(b'(SUBSCRIBED RECURSIVEMATCH) "" "%"'))
        attrs, rest = got["Fruit"]
        self.assertNotIn("\\Subscribed", attrs)
        self.assertNotIn("\\NonExistent", attrs)
        self.assertEqual(rest, '("CHILDINFO" ("SUBSCRIBED"))')
        attrs, rest = got["Vegetable"]
        self.assertIn("\\NonExistent", attrs)
        self.assertEqual(rest, '("CHILDINFO" ("SUBSCRIBED"))')
        self.assertNotIn("Tofu", got)
        # with "*" the child itself matches: no CHILDINFO for Fruit
        got = names(self.list(b'(SUBSCRIBED RECURSIVEMATCH) "" "*"'))
        self.assertNotIn("Fruit", got)
        self.assertIn("Fruit/Banana", got)

    def test_nonexistent_parent_and_return_options(self):
        """§3: a name that does not exist but has children is
        \\NonExistent (which implies \\NoSelect); RETURN (SUBSCRIBED) marks
        subscribed names and adds none; STATUS is not given for it."""
        out = self.list(b'"" "%" RETURN (SUBSCRIBED CHILDREN '
                        b'STATUS (MESSAGES))')
        got = names(out)
        self.assertIn("\\NonExistent", got["Vegetable"][0])
        self.assertIn("\\HasChildren", got["Vegetable"][0])
        self.assertIn("\\HasChildren", got["Fruit"][0])
        self.assertIn("\\HasNoChildren", got["Tofu"][0])
        self.assertNotIn("\\Subscribed", got["Tofu"][0])
        self.assertIn(b'* STATUS Tofu (MESSAGES 0)', out)
        self.assertNotIn(b"* STATUS Vegetable", out)
        plain = names(self.list(b'"" "%"'))
        self.assertEqual(set(got), set(plain))

    def test_imaplib_list_still_works(self):
        m = login(self.pr.imap, USER, PW)
        typ, data = m.list('""', "Fruit/*")
        self.assertEqual(typ, "OK")
        self.assertEqual(len(data), 2)
        m.logout()

    # ---- RFC 6154 ---------------------------------------------------

    def test_special_use_selection(self):
        """§3: LIST (SPECIAL-USE) returns only mailboxes with a use."""
        got = names(self.list(b'(SPECIAL-USE) "" "*" RETURN (SPECIAL-USE)'))
        self.assertIn("Sent", got)
        self.assertNotIn("INBOX", got)
        self.assertNotIn("Tofu", got)
        for attrs, _ in got.values():
            self.assertTrue(set(attrs) & {"\\Sent", "\\Drafts", "\\Trash",
                                          "\\Junk", "\\Archive"}, attrs)

    def test_create_special_use(self):
        """§5.3 example: CREATE MyDrafts (USE (\\Drafts)) gives the
        mailbox that use (here once the old Drafts gave it up)."""
        r = Raw(self.pr.imap, USER, PW)
        # one mailbox per use: taken -> USEATTR, nothing created
        out = r.cmd(b"c1", b'CREATE MyDrafts (USE (\\Drafts))')
        self.assertIn(b"c1 NO [USEATTR]", out)
        self.assertNotIn("MyDrafts", names(r.cmd(b"t", b'LIST "" "*"')))
        self.assertIn(b"c2 OK", r.cmd(b"c2", b"DELETE Drafts"))
        self.assertIn(b"c3 OK", r.cmd(b"c3",
                                     b'CREATE MyDrafts (USE (\\Drafts))'))
        got = names(r.cmd(b"t", b'LIST "" "MyDrafts"'))
        self.assertIn("\\Drafts", got["MyDrafts"][0])
        r.close()

    def test_create_special_use_refused(self):
        """§3: a use that cannot be given (\\All and \\Flagged name virtual
        mailboxes; \\Foo is none) gets NO [USEATTR] and no mailbox; an
        unknown create-param is BAD (RFC 4466 §2.2)."""
        r = Raw(self.pr.imap, USER, PW)
        for i, use in enumerate((b"\\All", b"\\Flagged", b"\\Foo",
                                 b"\\Sent \\Trash")):
            tag = b"u%d" % i
            out = r.cmd(tag, b"CREATE Virt%d (USE (%s))" % (i, use))
            self.assertIn(tag + b" NO [USEATTR]", out)
        self.assertIn(b"b1 BAD", r.cmd(b"b1", b"CREATE Virt9 (COLOR (red))"))
        got = names(r.cmd(b"t", b'LIST "" "Virt*"'))
        self.assertEqual(got, {})
        r.close()


if __name__ == "__main__":
    unittest.main()
