"""postroomctl queue show|hold|release|delete on remote mail that cannot
leave (relay's DNS points at a loopback port where nobody answers), and the
retry back-off that qmgr applies to it."""
import re
import smtplib
import time
import unittest

from harness import Postroom, free_port


class RelayQueueCtlTest(unittest.TestCase):
    def setUp(self):
        self.pr = Postroom(sections={
            "relay": {"dns_server": f"127.0.0.1:{free_port()}"},
            "queue": {"min_backoff": "1h", "max_backoff": "2h"}}).start()
        self.pr.add_user("eve@d1.test", "pw")

    def tearDown(self):
        code = self.pr.stop()
        self.pr.cleanup()
        self.assertEqual(code, 0)

    def queued_id(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            out = self.pr.ctl("queue", "list").stdout
            m = re.search(r"^([0-9A-F]{23}) +deferred .*attempts=1", out,
                          re.M)
            if m:
                return m.group(1)
            time.sleep(0.2)
        self.fail("not deferred:\n" + out + self.pr.log()[-2000:])

    def test_show_hold_release_delete(self):
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.login("eve@d1.test", "pw")
            s.sendmail("eve@d1.test", ["friend@far.test"],
                       b"From: eve@d1.test\r\nSubject: stuck\r\n\r\n"
                       b"waiting\r\n")
        qid = self.queued_id()
        self.assertIn("delay=3600", self.pr.log())
        show = self.pr.ctl("queue", "show", qid).stdout
        self.assertIn("sender: <eve@d1.test>", show)
        self.assertIn("recipient: pending <friend@far.test> (remote)", show)
        self.assertIn("Subject: stuck", show)
        self.assertIn("held", self.pr.ctl("queue", "hold", qid).stdout)
        self.assertEqual(self.pr.queue_files("held"), [qid])
        self.pr.ctl("queue", "flush")
        time.sleep(1)
        self.assertEqual(self.pr.queue_files("held"), [qid])
        self.assertIn(f"{qid} held", self.pr.ctl("queue", "list").stdout)
        self.pr.ctl("queue", "release", qid)
        self.assertEqual(self.pr.queue_files("held"), [])
        # released mail is tried again at once, and deferred again
        deadline = time.monotonic() + 30
        while "attempts=2" not in self.pr.ctl("queue", "list").stdout:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        self.pr.ctl("queue", "delete", qid)
        self.assertEqual(self.pr.queue_files("deferred"), [])
        bad = self.pr.ctl("queue", "delete", qid, check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("0 messages", self.pr.ctl("queue", "list").stdout)


if __name__ == "__main__":
    unittest.main()
