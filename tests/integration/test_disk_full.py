"""A full disk, on a real small file system: a tmpfs of 16 MiB mounted as
the data folder (root only). smtpd checks free space before the body is
sent: 452 4.3.1 "Insufficient system storage" (RFC 3463 §3.4) at MAIL
(counting SIZE=) and at DATA when the space left is under
`[smtpd] min_free_space`; a body that fills the disk anyway gets 452 4.3.1
at its end. A local delivery deferred for lack of space is retried as soon
as space returns, not after min_backoff (set to an hour here, so waiting
for it would fail the test)."""
import os
import smtplib
import socket
import subprocess
import time
import unittest

from harness import Postroom

BOB = "bob@local.test"
MIB = 1024 * 1024


def reply(f):
    while True:
        line = f.readline()
        if not line:
            raise ConnectionError("closed")
        if line[3:4] != b"-":
            return int(line[:3]), line


@unittest.skipUnless(os.geteuid() == 0,
                     "needs root to mount a small tmpfs as the data folder")
class DiskFullTest(unittest.TestCase):
    def setUp(self):
        self.pr = Postroom(
            smtpd={"min_free_space": "1M"},
            sections={"queue": {"min_backoff": "1h", "max_backoff": "2h",
                                "run_interval": "1h"}})
        os.mkdir(self.pr.data)
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o",
                               "size=16m,mode=0755", "tmpfs", self.pr.data],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            self.pr.cleanup()
            self.skipTest(f"cannot mount a tmpfs: {proc.stderr.strip()}")
        self.addCleanup(self.cleanup)
        self.filler = os.path.join(self.pr.data, "filler")
        self.pr.start()
        self.pr.add_user(BOB)

    def cleanup(self):
        try:
            self.pr.stop()
        finally:
            subprocess.run(["umount", "-l", self.pr.data])
            self.pr.cleanup()

    def free(self):
        st = os.statvfs(self.pr.data)
        return st.f_bavail * st.f_frsize

    def leave_free(self, size):
        """Grows or shrinks the filler file until about size bytes are
        left on the file system."""
        have = os.path.getsize(self.filler) if os.path.exists(
            self.filler) else 0
        want = max(0, have + self.free() - size)
        with open(self.filler, "ab") as f:
            f.truncate(0)
            if want:
                os.posix_fallocate(f.fileno(), 0, want)
        self.assertLess(abs(self.free() - size), 256 * 1024)

    def session(self):
        s = socket.create_connection(("127.0.0.1", self.pr.port), timeout=30)
        f = s.makefile("rb")
        reply(f)
        s.sendall(b"EHLO client.test\r\n")
        reply(f)
        return s, f

    def cmd(self, s, f, line):
        s.sendall(line + b"\r\n")
        return reply(f)

    def test_452_at_mail_and_data_before_the_body(self):
        s, f = self.session()
        try:
            self.leave_free(512 * 1024)
            code, text = self.cmd(s, f, b"MAIL FROM:<a@remote.test>")
            self.assertEqual(code, 452, text)
            self.assertIn(b"4.3.1", text)
            self.leave_free(3 * MIB)
            code, text = self.cmd(s, f,
                                  b"MAIL FROM:<a@remote.test> SIZE=5000000")
            self.assertEqual((code, text[4:9]), (452, b"4.3.1"), text)
            code, text = self.cmd(s, f,
                                  b"MAIL FROM:<a@remote.test> SIZE=100000")
            self.assertEqual(code, 250, text)
            code, text = self.cmd(s, f, b"RCPT TO:<bob@local.test>")
            self.assertEqual(code, 250, text)
            self.leave_free(512 * 1024)
            code, text = self.cmd(s, f, b"DATA")
            self.assertEqual((code, text[4:9]), (452, b"4.3.1"), text)
            # the session goes on: nothing of a body was read as commands
            self.assertEqual(self.cmd(s, f, b"RSET")[0], 250)
            self.assertEqual(self.cmd(s, f, b"NOOP")[0], 250)
        finally:
            s.close()
        log = self.pr.log()
        self.assertIn("code=452", log)
        self.assertEqual(self.pr.queue_files("incoming"), [])

    def test_body_that_fills_the_disk_gets_452(self):
        self.leave_free(int(1.5 * MIB))
        body = (b"x" * 998 + b"\r\n") * (3 * 1024)  # 3 MiB, no SIZE=
        s, f = self.session()
        try:
            self.assertEqual(self.cmd(s, f, b"MAIL FROM:<a@remote.test>")[0],
                             250)
            self.assertEqual(self.cmd(s, f, b"RCPT TO:<bob@local.test>")[0],
                             250)
            self.assertEqual(self.cmd(s, f, b"DATA")[0], 354)
            s.sendall(b"Subject: big\r\n\r\n" + body + b".\r\n")
            code, text = reply(f)
            self.assertEqual((code, text[4:9]), (452, b"4.3.1"), text)
        finally:
            s.close()
        self.assertEqual(self.pr.queue_files("incoming"), [])
        self.assertEqual(os.listdir(os.path.join(self.pr.data, "queue",
                                                 "tmp")), [])

    def test_deferred_delivery_retried_when_space_returns(self):
        # room for the queue file (2 MiB) but not for the blob after it
        self.leave_free(1 * MIB + int(2.5 * MIB))
        msg = (b"Subject: waits for space\r\n\r\n" +
               (b"y" * 998 + b"\r\n") * 2048)
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.sendmail("a@remote.test", [BOB], msg)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not self.pr.queue_files(
                "deferred"):
            time.sleep(0.1)
        self.assertEqual(len(self.pr.queue_files("deferred")), 1,
                         self.pr.log()[-3000:])
        self.assertIn("4.3.1", self.pr.log())
        self.assertEqual(self.pr.messages(BOB), [])
        os.unlink(self.filler)
        # min_backoff is an hour: only the space watch can deliver it now
        stored = self.pr.wait_messages(BOB, 1, timeout=15)
        self.assertTrue(stored[0].endswith(msg))
        self.assertEqual(self.pr.queue_files("deferred"), [])


if __name__ == "__main__":
    unittest.main()
