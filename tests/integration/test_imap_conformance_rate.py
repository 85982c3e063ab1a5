"""The default command rate ([imapd] command_rate, command_burst) never
slows an ordinary bulk client: a sync that fetches message by message, one
that stores flags message by message, and one that pipelines thousands of
commands at once (mbsync sends its UID FETCHes without waiting) all run
without imapd holding their input once. imapd logs "command-rate hold" the
first time it holds a session, so the test reads that, not a clock.
bench/imap_client_rate.py measured what real clients send."""
import imaplib
import socket
import unittest

from harness import Postroom

USER = "bulk@local.test"
PW = "bulk-pw"
SEQUENTIAL = 3000  # more than the old burst (500), faster than 100/s
PIPELINED = 3000   # one write, as a pipelining client sends them


class ImapDefaultRateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()  # the defaults, nothing overridden
        cls.pr.add_user(USER, PW)
        m = imaplib.IMAP4("127.0.0.1", cls.pr.imap, timeout=60)
        m.login(USER, PW)
        for i in range(10):
            m.append("INBOX", None, None,
                     b"Subject: bulk %d\r\n\r\nbody\r\n" % i)
        m.logout()

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def assert_never_held(self, since):
        self.assertNotIn("command-rate hold", self.pr.log()[since:])

    def test_message_by_message_sync(self):
        since = len(self.pr.log())
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=60)
        m.login(USER, PW)
        m.select("INBOX")
        typ, data = m.uid("SEARCH", None, "ALL")
        uids = data[0].split()
        for i in range(SEQUENTIAL):
            typ, data = m.uid("FETCH", uids[i % len(uids)],
                              "(FLAGS BODY.PEEK[HEADER])")
            self.assertEqual(typ, "OK")
        for i in range(len(uids) * 20):
            typ, _ = m.uid("STORE", uids[i % len(uids)],
                           "+FLAGS" if i % 2 == 0 else "-FLAGS",
                           "(\\Flagged)")
            self.assertEqual(typ, "OK")
        m.logout()
        self.assert_never_held(since)

    def test_pipelined_burst(self):
        since = len(self.pr.log())
        s = socket.create_connection(("127.0.0.1", self.pr.imap), timeout=60)
        s.sendall(f"l LOGIN {USER} {PW}\r\ns SELECT INBOX\r\n".encode())
        s.sendall(b"".join(b"p%d UID FETCH %d (FLAGS)\r\n" % (i, i % 10 + 1)
                           for i in range(PIPELINED)))
        data = b""
        last = b"p%d OK" % (PIPELINED - 1)
        while last not in data:
            chunk = s.recv(65536)
            self.assertTrue(chunk, data[-300:])
            data += chunk
        s.close()
        tags = [ln.split()[0] for ln in data.split(b"\r\n")
                if ln.startswith(b"p")]
        self.assertEqual(tags, [b"p%d" % i for i in range(PIPELINED)])
        self.assertNotIn(b"BYE", data)
        self.assert_never_held(since)


if __name__ == "__main__":
    unittest.main()
