"""Nothing is lost when a sync is interrupted: `postroom sync` is killed
with SIGKILL while it downloads 300 messages, then run again. Every
message must be in the local store exactly once, and in POP3 delete mode
every message must be either still on the server or stored locally at the
instant of the kill (the local copy is committed before DELE)."""
import os
import poplib
import signal
import sqlite3
import smtplib
import subprocess
import time
import unittest

from client_fixtures import ClientHome, POSTROOM
from harness import Postroom

USER, PASSWORD = "bob@example.test", "bob-pw"
COUNT = 300


class SyncKilled(unittest.TestCase):
    def setUp(self):
        self.server = Postroom().start()
        self.server.add_user(USER, PASSWORD)
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as s:
            for i in range(COUNT):
                body = f"message {i}\r\n" + "filler line\r\n" * 200
                s.sendmail("lisa@other.test", [USER],
                           f"Subject: m{i:03d}\r\nMessage-ID: <m{i}@x>\r\n"
                           f"\r\n{body}".encode())
        self.server.wait_messages(USER, COUNT, timeout=120)
        self.client = ClientHome()

    def tearDown(self):
        self.client.cleanup()
        self.server.stop()
        self.server.cleanup()

    def stored_count(self):
        """Messages in the local store now (0 before it exists)."""
        path = os.path.join(self.client.data_dir, "store", "accounts", "1",
                            "mail.db")
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                 timeout=5)
            n = db.execute("SELECT count(*) FROM messages").fetchone()[0]
            db.close()
            return n
        except sqlite3.Error:
            return 0

    def kill_during_sync(self, at_least):
        """Starts a sync and kills it once at_least more messages are
        stored here (whatever the machine's speed)."""
        start = self.stored_count()
        proc = subprocess.Popen([POSTROOM, "sync"], env=self.client.env(),
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline and \
                self.stored_count() < start + at_least:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return proc.returncode

    def local_subjects(self):
        out = self.client.json("list")
        return sorted(m["subject"] for m in out)

    def server_count(self):
        p = poplib.POP3("127.0.0.1", self.server.pop3, timeout=30)
        p.user(USER)
        p.pass_(PASSWORD)
        n = p.stat()[0]
        p.quit()
        return n

    def check_complete(self):
        subjects = self.local_subjects()
        self.assertEqual(len(subjects), len(set(subjects)),
                         "a message stored twice")
        self.assertEqual(subjects, [f"m{i:03d}" for i in range(COUNT)])

    def test_imap_sync_killed_then_resumed(self):
        self.client.for_postroomd("bob", USER, PASSWORD, self.server)
        for at_least in (20, 60):
            self.assertEqual(self.kill_during_sync(at_least),
                             -signal.SIGKILL, "sync ended before the kill")
        partial = len(self.local_subjects())
        self.client.run("sync", check=True)
        self.check_complete()
        print(f"\n  imap: {partial} of {COUNT} stored when killed; "
              f"complete after one more sync")

    def test_pop3_delete_mode_killed(self):
        self.client.for_postroomd("bob", USER, PASSWORD, self.server,
                                  proto="pop3",
                                  incoming={"leave_on_server": "no"})
        self.assertEqual(self.kill_during_sync(50), -signal.SIGKILL)
        here, there = len(self.local_subjects()), self.server_count()
        # killed before QUIT: the server deleted nothing (RFC 1939 §6)
        self.assertEqual(there, COUNT)
        self.client.run("sync", check=True)
        self.check_complete()
        self.assertEqual(self.server_count(), 0)
        print(f"\n  pop3: {here} stored when killed, all {COUNT} on the "
              f"server; complete and deleted after one more sync")
