"""mutt driven in tmux against imapd over loopback plaintext (which the
embedded default allows): the index shows a message delivered by SMTP, the
pager shows its body, and a message deleted in mutt and synced with '$' is
gone for imaplib too."""
import imaplib
import os
import shutil
import smtplib
import subprocess
import time
import unittest

from harness import Postroom

USER = "mutt@local.test"
PW = "mutt-pw"
HAS_MUTT = shutil.which("mutt") is not None and \
    shutil.which("tmux") is not None


def msg(subject, body):
    return (f"From: Alice <alice@remote.test>\r\nTo: {USER}\r\n"
            f"Subject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@remote.test>\r\n"
            f"\r\n{body}\r\n").encode()


@unittest.skipUnless(HAS_MUTT, "mutt or tmux is not installed")
class ImapMuttTest(unittest.TestCase):
    def setUp(self):
        self.pr = Postroom().start()
        self.pr.add_user(USER, PW)
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            for subject, body in (("Mutt first visit", "Body of the first "
                                   "message, seen in the pager."),
                                  ("Mutt second visit", "Second body.")):
                s.sendmail("alice@remote.test", [USER], msg(subject, body))
        self.pr.wait_messages(USER, 2)
        self.home = os.path.join(self.pr.tmp, "mutt-home")
        os.mkdir(self.home)
        self.socket = f"postroom-mutt-{os.getpid()}"
        rc = os.path.join(self.home, "muttrc")
        url = f"imap://127.0.0.1:{self.pr.imap}"
        with open(rc, "w") as f:
            f.write(f'set imap_user = "{USER}"\n'
                    f'set imap_pass = "{PW}"\n'
                    f'set folder = "{url}/"\n'
                    f'set spoolfile = "{url}/INBOX"\n'
                    "set ssl_starttls = no\nset ssl_force_tls = no\n"
                    "set delete = yes\nset quit = yes\nset move = no\n"
                    "set sort = date-sent\nset pager_stop = yes\n"
                    "set wait_key = no\nset sleep_time = 0\n"
                    "set imap_keepalive = 30\nset mail_check = 1\n"
                    "set header_cache = ''\nset message_cachedir = ''\n")
        env = dict(os.environ, HOME=self.home, TERM="xterm")
        env.pop("TMUX", None)
        self.env = env
        self.tmux("new-session", "-d", "-s", "mutt", "-x", "160", "-y",
                  "40", f"mutt -n -F {rc}")

    def tearDown(self):
        subprocess.run(["tmux", "-L", self.socket, "kill-server"],
                       env=self.env, capture_output=True)
        code = self.pr.stop()
        self.pr.cleanup()
        self.assertEqual(code, 0)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, *args],
                              env=self.env, capture_output=True, text=True,
                              check=True).stdout

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "mutt", *keys)

    def text(self, keys):
        self.tmux("send-keys", "-t", "mutt", "-l", keys)

    def wait_screen(self, what, timeout=20):
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.tmux("capture-pane", "-p", "-t", "mutt")
            if what in screen:
                return screen
            time.sleep(0.2)
        self.fail(f"{what!r} not on screen:\n{screen}\n{self.pr.log()}")

    def subjects(self):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        m.login(USER, PW)
        m.select("INBOX")
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        m.logout()
        return [d[1].decode().strip() for d in data if isinstance(d, tuple)]

    def test_read_delete_sync(self):
        self.wait_screen("Mutt first visit")
        self.wait_screen("Mutt second visit")
        # open the first message through a search, as a user would
        self.text("/")
        self.text("first visit")
        self.keys("Enter")
        self.keys("Enter")
        self.wait_screen("Body of the first message, seen in the pager.")
        self.keys("q")
        self.wait_screen("Mutt second visit")
        # delete it and sync the mailbox
        self.text("d")
        self.text("$")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            subjects = self.subjects()
            if len(subjects) == 1:
                break
            time.sleep(0.2)
        self.assertEqual(subjects, ["Subject: Mutt second visit"])
        self.text("q")
