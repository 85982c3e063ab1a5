"""NOTIFY (RFC 5465), written from the RFC's text and examples: one raw
session listens, another (imaplib) makes the changes.

- §3.1: NOTIFY SET replaces the events, NOTIFY NONE ends them; with the
  STATUS indicator a STATUS (MESSAGES UIDNEXT UIDVALIDITY) for each
  mailbox with message events comes before the tagged OK; unsupported
  events get NO [BADEVENT (...)] listing the supported ones (§3.1);
  MessageNew without MessageExpunge, FlagChange alone, two SELECTED
  specifiers, non-message events with SELECTED and fetch attributes
  outside SELECTED are BAD (§5, §6.1, §8).
- §5.2/§5.3: a new or expunged message in another mailbox gives an
  unsolicited STATUS (UIDNEXT MESSAGES) while no command is in progress;
  in the selected mailbox (SELECTED) EXISTS, then a FETCH with the
  requested attributes (UID, FLAGS, BODY.PEEK[HEADER.FIELDS (...)]) and
  EXPUNGE at once; SELECTED-DELAYED holds the EXPUNGE for a command.
- §5.1: FlagChange in another mailbox gives STATUS with HIGHESTMODSEQ and
  UIDVALIDITY once CONDSTORE is on.
- §5.4: MailboxName: LIST for a created mailbox, LIST (\\NonExistent) for
  a deleted one, LIST with ("OLDNAME" (old)) for a renamed one.
- §5.5: SubscriptionChange: LIST with \\Subscribed iff subscribed.
- §6: SUBTREE and MAILBOXES limit the mailboxes; events of mailboxes
  outside every group are not sent.
- §4: in IDLE the same events arrive.
- §5: changes the listening session makes itself are not reported back."""
import imaplib
import re
import socket
import time
import unittest

from harness import Postroom
from imap_ext_raw import Raw, login

USER = "ntf@local.test"
PW = "ntf-pw"


def msg(subject):
    return (f"From: Boss <boss@remote.test>\r\nTo: {USER}\r\n"
            f"Subject: {subject}\r\n\r\nHello.\r\n").encode()


class NotifyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user(USER, PW)
        m = login(cls.pr.imap, USER, PW)
        for name in ("Lists", "Lists/Lemonade", "Lists/Im2000", "misc",
                     "Other"):
            m.create(name)
        m.logout()

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def listener(self, notify, select=None):
        r = Raw(self.pr.imap, USER, PW)
        if select is not None:
            self.assertIn(b"s OK", r.cmd(b"s", b"SELECT " + select))
        out = r.cmd(b"n", b"NOTIFY " + notify)
        self.assertIn(b"n OK", out)
        return r, out

    def other(self):
        return login(self.pr.imap, USER, PW)

    def wait_for(self, r, mark, timeout=20):
        out = r.read_until(mark, timeout=timeout)
        return out

    def test_capability(self):
        r = Raw(self.pr.imap, USER, PW)
        self.assertIn(b" NOTIFY", r.cmd(b"c", b"CAPABILITY"))
        r.close()

    def test_set_status_and_new_message_elsewhere(self):
        """§3.1 example: STATUS for the subtree's mailboxes before OK,
        then a delivery to Lists/Lemonade gives STATUS (UIDNEXT MESSAGES)
        with no command in progress."""
        # the grammar of §8 puts the events in parentheses; §3.1's example
        # (as published) does not: both are taken
        r, out = self.listener(
            b"SET STATUS (SELECTED (MessageNew (UID BODY.PEEK[HEADER.FIELDS "
            b"(FROM TO SUBJECT)]) MessageExpunge)) (SUBTREE Lists MessageNew "
            b"MessageExpunge)", select=b"INBOX")
        self.assertRegex(out, rb"\* STATUS Lists/Lemonade \(MESSAGES 0 "
                              rb"UIDNEXT \d+ UIDVALIDITY \d+\)")
        self.assertIn(b"* STATUS Lists/Im2000 (", out)
        self.assertIn(b"* STATUS Lists (", out)
        self.assertNotIn(b"* STATUS misc", out)
        self.assertNotIn(b"* STATUS INBOX", out)
        m = self.other()
        m.append("Lists/Lemonade", None, None, msg("lemonade"))
        got = self.wait_for(r, b"STATUS Lists/Lemonade")
        self.assertRegex(got, rb"\* STATUS Lists/Lemonade \(UIDNEXT \d+ "
                              rb"MESSAGES 1\)")
        # a mailbox outside every group: nothing
        m.append("misc", None, None, msg("misc"))
        # the selected mailbox: EXISTS then FETCH with the attributes
        m.append("INBOX", None, None, msg("good morning"))
        got = self.wait_for(r, b"Subject:")
        got += r.read_until(b")")
        self.assertIn(b"* 1 EXISTS", got)
        self.assertRegex(got, rb"\* 1 FETCH \(UID \d+ BODY\[HEADER\.FIELDS "
                              rb"\(FROM TO SUBJECT\)\] \{\d+\}\r\n")
        self.assertLess(got.index(b"EXISTS"), got.index(b"FETCH"))
        self.assertIn(b"Subject: good morning", got)
        self.assertNotIn(b"STATUS misc", got)
        m.logout()
        out = r.cmd(b"z", b"NOOP")
        self.assertNotIn(b"STATUS misc", out)
        r.close()

    def test_expunge_selected_and_delayed(self):
        """§5.3 and §6.1: SELECTED sends EXPUNGE at once; SELECTED-DELAYED
        keeps it until a command that may carry it (NOOP)."""
        m = self.other()
        m.create("Exp")
        for i in range(3):
            m.append("Exp", None, None, msg(f"e{i}"))
        r, _ = self.listener(b"SET (SELECTED (MessageNew MessageExpunge))",
                             select=b"Exp")
        m.select("Exp")
        m.store("2", "+FLAGS", "(\\Deleted)")
        m.expunge()
        got = self.wait_for(r, b"EXPUNGE")
        self.assertIn(b"* 2 EXPUNGE", got)
        r.cmd(b"n2", b"NOTIFY SET (SELECTED-DELAYED (MessageNew "
                     b"MessageExpunge))")
        m.store("1", "+FLAGS", "(\\Deleted)")
        m.expunge()
        m.append("Exp", None, None, msg("late"))
        got = self.wait_for(r, b"EXISTS")
        self.assertNotIn(b"EXPUNGE", got)
        time.sleep(0.5)
        got += r.read_for(0.5)
        self.assertNotIn(b"EXPUNGE", got)
        out = r.cmd(b"z", b"NOOP")
        self.assertIn(b"* 1 EXPUNGE", out)
        # IDLE is such a command: there the expunge comes at once
        r.send(b"i IDLE\r\n")
        self.assertTrue(r.read_until(b"\r\n").startswith(b"+"))
        m.store("1", "+FLAGS", "(\\Deleted)")
        m.expunge()
        got = self.wait_for(r, b"EXPUNGE")
        self.assertIn(b"* 1 EXPUNGE", got)
        r.send(b"DONE\r\n")
        self.assertIn(b"i OK", r.read_until(b"i "))
        m.logout()
        r.close()

    def test_flagchange_elsewhere_with_condstore(self):
        """§5.1: FlagChange in another mailbox, CONDSTORE on: STATUS with
        HIGHESTMODSEQ and UIDVALIDITY."""
        m = self.other()
        m.append("Other", None, None, msg("o1"))
        r = Raw(self.pr.imap, USER, PW)
        r.cmd(b"e", b"ENABLE CONDSTORE")
        self.assertIn(b"n OK", r.cmd(b"n", b"NOTIFY SET (MAILBOXES Other "
                                          b"(MessageNew MessageExpunge "
                                          b"FlagChange))"))
        m.select("Other")
        m.store("1", "+FLAGS", "(\\Flagged)")
        got = self.wait_for(r, b"STATUS Other")
        self.assertRegex(got, rb"\* STATUS Other \(UIDVALIDITY \d+ "
                              rb"HIGHESTMODSEQ \d+\)")
        m.logout()
        r.close()

    def test_mailbox_name_and_subscription(self):
        """§5.4 examples: created, renamed (OLDNAME), deleted
        (\\NonExistent); §5.5: \\Subscribed iff subscribed after."""
        r, _ = self.listener(b"SET (PERSONAL (MailboxName "
                             b"SubscriptionChange))")
        m = self.other()
        m.create("NewMailbox")
        got = self.wait_for(r, b"NewMailbox")
        self.assertIn(b'* LIST (\\HasNoChildren) "/" NewMailbox', got)
        m.subscribe("NewMailbox")
        got = self.wait_for(r, b"NewMailbox")
        self.assertIn(b'* LIST (\\HasNoChildren \\Subscribed) "/" '
                      b'NewMailbox', got)
        m.rename("NewMailbox", "Renamed")
        got = self.wait_for(r, b"Renamed")
        self.assertRegex(got, rb'\* LIST \([^)]*\) "/" Renamed '
                              rb'\("OLDNAME" \(NewMailbox\)\)')
        m.unsubscribe("Renamed")
        got = self.wait_for(r, b"Renamed")
        self.assertIn(b'* LIST (\\HasNoChildren) "/" Renamed', got)
        m.delete("Renamed")
        got = self.wait_for(r, b"Renamed")
        self.assertIn(b'* LIST (\\NonExistent \\HasNoChildren) "/" Renamed',
                      got)
        m.logout()
        # §5: this session's own CREATE is not reported back to it
        out = r.cmd(b"c", b"CREATE Mine")
        out += r.read_for(1.0)
        self.assertNotIn(b"* LIST", out)
        r.close()

    def test_idle_gets_the_same_events(self):
        """§4: during IDLE the events asked for by NOTIFY arrive."""
        r, _ = self.listener(b"SET (MAILBOXES misc (MessageNew "
                             b"MessageExpunge))")
        r.send(b"i IDLE\r\n")
        self.assertTrue(r.read_until(b"\r\n").startswith(b"+"))
        m = self.other()
        m.append("misc", None, None, msg("idle"))
        m.logout()
        got = self.wait_for(r, b"STATUS misc")
        self.assertRegex(got, rb"\* STATUS misc \(UIDNEXT \d+ MESSAGES \d+\)")
        r.send(b"DONE\r\n")
        self.assertIn(b"i OK", r.read_until(b"i "))
        r.close()

    def test_update_with_fetch_attributes(self):
        """§7's example: SEARCH RETURN (COUNT UPDATE (fetch-att ...)); a
        new matching message gives EXISTS, then the FETCH, then ESEARCH
        ADDTO; a message that matches after a flag change gives no FETCH."""
        m = self.other()
        m.create("Boss")
        m.append("Boss", None, None, msg("first"))
        r = Raw(self.pr.imap, USER, PW)
        r.cmd(b"s", b"SELECT Boss")
        out = r.cmd(b"a00", b"SEARCH RETURN (COUNT UPDATE (UID BODY.PEEK["
                            b"HEADER.FIELDS (TO FROM SUBJECT)])) FROM \"boss\" "
                            b"UNDELETED")
        self.assertIn(b'* ESEARCH (TAG "a00") COUNT 1', out)
        m.append("Boss", None, None, msg("Re: good morning"))
        out = r.cmd(b"n1", b"NOOP")
        exists = out.index(b"* 2 EXISTS")
        fetch = out.index(b"* 2 FETCH (UID ")
        addto = out.index(b'* ESEARCH (TAG "a00") ADDTO (0 2)')
        self.assertLess(exists, fetch)
        self.assertLess(fetch, addto)
        self.assertIn(b"Subject: Re: good morning", out)
        self.assertIn(b"BODY[HEADER.FIELDS (TO FROM SUBJECT)] {", out)
        # in and out again by flags: ADDTO with no FETCH
        m.select("Boss")
        m.store("1", "+FLAGS", "(\\Deleted)")
        out = r.cmd(b"n2", b"NOOP")
        self.assertIn(b'REMOVEFROM (0 1)', out)
        m.store("1", "-FLAGS", "(\\Deleted)")
        out = r.cmd(b"n3", b"NOOP")
        self.assertIn(b'ADDTO (0 1)', out)
        self.assertNotIn(b"BODY[HEADER", out)
        # fetch attributes that set \Seen are refused
        self.assertIn(b"a01 BAD", r.cmd(b"a01", b"SEARCH RETURN (UPDATE "
                                                b"(BODY[])) ALL"))
        m.logout()
        r.close()

    def test_notification_overflow(self):
        """§5.8: a server that will not deliver as many notifications as
        asked sends OK [NOTIFICATIONOVERFLOW] and acts as after NOTIFY
        NONE. Here the listener (a 4 KiB receive window) reads nothing
        while MessageNew headers of 100 KB pile up; once it reads again it
        finds the overflow, and no event after it."""
        m = self.other()
        m.create("Flood")
        r = Raw(self.pr.imap, USER, PW, rcvbuf=4096)
        r.cmd(b"s", b"SELECT Flood")
        self.assertIn(b"n OK", r.cmd(b"n", b"NOTIFY SET (SELECTED (MessageNew "
                                          b"(BODY.PEEK[HEADER]) "
                                          b"MessageExpunge))"))
        header = "".join(f"X-Pad-{i}: {'p' * 990}\r\n" for i in range(100))
        big = (header + "Subject: flood\r\n\r\nx\r\n").encode()
        for _ in range(40):
            m.append("Flood", None, None, big)
        time.sleep(1)
        m.append("Flood", None, None, b"Subject: after\r\n\r\nx\r\n")
        time.sleep(1)
        got = b""
        deadline = time.monotonic() + 60
        while b"NOTIFICATIONOVERFLOW" not in got and \
                time.monotonic() < deadline:
            got += r.read_for(1.0)
        self.assertTrue(b"* OK [NOTIFICATIONOVERFLOW]" in got,
                        f"no overflow in {len(got)} bytes")
        rest = got.split(b"NOTIFICATIONOVERFLOW", 1)[1] + r.read_for(1.0)
        self.assertFalse(b"Subject: after" in rest)
        self.assertFalse(b"FETCH" in rest)
        m.logout()
        out = r.cmd(b"z", b"NOOP")
        self.assertIn(b"z OK", out[-200:])
        r.close()

    def test_none_and_errors(self):
        """NOTIFY NONE stops events; §3.1 BADEVENT; §5/§6.1/§8 BAD."""
        r = Raw(self.pr.imap, USER, PW)
        out = r.cmd(b"b1", b"NOTIFY SET (PERSONAL (MessageNew MessageExpunge "
                           b"AnnotationChange))")
        self.assertRegex(out, rb"b1 NO \[BADEVENT \(MessageNew MessageExpunge "
                              rb"FlagChange MailboxName SubscriptionChange\)\]")
        out = r.cmd(b"b2", b"NOTIFY SET (PERSONAL (MailboxMetadataChange))")
        self.assertIn(b"b2 NO [BADEVENT", out)
        for i, bad in enumerate((
                b"SET (PERSONAL (MessageNew))",
                b"SET (PERSONAL (FlagChange))",
                b"SET (SELECTED (MailboxName))",
                b"SET (SELECTED (MessageNew MessageExpunge)) "
                b"(SELECTED-DELAYED (MessageNew MessageExpunge))",
                b"SET (PERSONAL (MessageNew (UID) MessageExpunge))",
                b"SET (SELECTED (MessageNew (BODY[TEXT]) MessageExpunge))",
                b"SET (NOWHERE (MessageNew MessageExpunge))",
                b"SET", b"FOO")):
            tag = b"x%d" % i
            self.assertIn(tag + b" BAD", r.cmd(tag, b"NOTIFY " + bad), bad)
        self.assertIn(b"n OK", r.cmd(b"n", b"NOTIFY SET (MAILBOXES misc "
                                          b"(MessageNew MessageExpunge))"))
        self.assertIn(b"o OK", r.cmd(b"o", b"NOTIFY NONE"))
        m = self.other()
        m.append("misc", None, None, msg("after none"))
        m.logout()
        time.sleep(0.5)
        got = r.read_for(1.0)
        self.assertNotIn(b"STATUS", got)
        r.close()


if __name__ == "__main__":
    unittest.main()
