"""postroom's full-screen interface driven in tmux against a real postroomd
(plaintext IMAP and submission on loopback, which the embedded defaults
allow): the list shows a message fetched by `postroom sync`, Enter opens it
with its body, 'r' writes a reply through $EDITOR (a script that appends a
line), 'y' sends it, and the original sender finds it in their INBOX with
In-Reply-To naming the original. The key bar stays on screen throughout.
A second test delivers mail while the interface is open and waits for it
to appear with no key pressed (the IDLE child and the store's change fd);
a third switches account with 'A' and sends SIGTERM: the client exits 1,
the terminal is out of curses (endwin) and the IDLE child is gone. A
fourth runs search, flag, move and delete from the keyboard and composes
with the To prompt completed from the contacts; the next sync carries
every change to the server."""
import email
import email.policy
import imaplib
import json
import os
import shutil
import smtplib
import subprocess
import time
import unittest

from harness import BUILD, Postroom

POSTROOM = os.path.join(BUILD, "clients", "postroom", "postroom")
USER = "lisa@local.test"
PW = "lisa-pw"
PEER = "bob@local.test"
PEER_PW = "bob-pw"
HAS_TOOLS = shutil.which("tmux") is not None and os.path.exists(POSTROOM)
REPLY_LINE = "Reply line written by the UI test editor."


def message(subject, body, msgid):
    return (f"From: Bob Peer <{PEER}>\r\nTo: Lisa <{USER}>\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{msgid}>\r\n"
            f"Date: Mon, 06 May 2024 10:00:00 +0000\r\n"
            f"\r\n{body}\r\n").encode()


@unittest.skipUnless(HAS_TOOLS, "tmux or the postroom client is missing")
class ClientUiTest(unittest.TestCase):
    def setUp(self):
        self.pr = Postroom().start()
        self.pr.add_user(USER, PW)
        self.pr.add_user(PEER, PEER_PW)
        self.home = os.path.join(self.pr.tmp, "ui-home")
        self.config = os.path.join(self.home, ".config")
        accounts = os.path.join(self.config, "postroom", "accounts")
        os.makedirs(accounts)
        os.makedirs(os.path.join(self.home, ".local", "share"))
        pass_file = os.path.join(self.config, "postroom", "lisa.pass")
        with open(pass_file, "w") as f:
            f.write(PW + "\n")
        os.chmod(pass_file, 0o600)
        with open(os.path.join(accounts, "lisa.conf"), "w") as f:
            f.write(f"address = {USER}\ndisplay_name = Lisa Example\n"
                    f"password_file = {pass_file}\ntls_verify = no\n"
                    f"\n[incoming]\nprotocol = imap\nhost = 127.0.0.1\n"
                    f"port = {self.pr.imap}\ntls = none\n"
                    f"\n[outgoing]\nhost = 127.0.0.1\n"
                    f"port = {self.pr.submission}\ntls = none\n")
        editor = os.path.join(self.home, "editor.sh")
        with open(editor, "w") as f:
            f.write(f"#!/bin/sh\nprintf '\\n{REPLY_LINE}\\n' >> \"$1\"\n")
        os.chmod(editor, 0o755)
        env = self.pr.env()
        env.update(HOME=self.home, XDG_CONFIG_HOME=self.config,
                   XDG_DATA_HOME=os.path.join(self.home, ".local", "share"),
                   EDITOR=editor, VISUAL="", TERM="xterm", LANG="C.UTF-8",
                   LC_ALL="C.UTF-8")
        env.pop("TMUX", None)
        self.env = env
        self.socket = f"postroom-ui-{os.getpid()}"
        self.pid = None

    def tearDown(self):
        if self.pid is not None:
            try:  # the client and the IDLE child it forked, by PID
                for child in self.children(self.pid):
                    os.kill(child, 9)
                os.kill(self.pid, 9)
            except ProcessLookupError:
                pass
        subprocess.run(["tmux", "-L", self.socket, "kill-server"],
                       env=self.env, capture_output=True)
        code = self.pr.stop()
        self.pr.cleanup()
        self.assertEqual(code, 0)

    @staticmethod
    def children(pid):
        out = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                out.append(int(entry))
        return out

    # ---- tmux ---------------------------------------------------------

    def tmux(self, *args, check=True):
        return subprocess.run(["tmux", "-L", self.socket, *args],
                              env=self.env, capture_output=True, text=True,
                              check=check).stdout

    def start_ui(self):
        # remain-on-exit keeps the pane (and what the client printed last)
        # for the exit checks
        self.tmux("new-session", "-d", "-s", "ui", "-x", "120", "-y", "40",
                  f"exec {POSTROOM}")
        self.tmux("set-option", "-t", "ui", "remain-on-exit", "on")
        self.pid = int(self.tmux("display-message", "-p", "-t", "ui",
                                 "#{pane_pid}").strip())

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "ui", *keys)

    def text(self, keys):
        self.tmux("send-keys", "-t", "ui", "-l", keys)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "ui")

    def wait_screen(self, what, timeout=30):
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if what in screen:
                return screen
            time.sleep(0.2)
        self.fail(f"{what!r} not on screen:\n{screen}\n"
                  f"{self.pr.log()[-3000:]}")

    def wait_status(self, what, timeout=60):
        """Waits for the status line (above the key bar) to start with
        what; returns the screen."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            lines = screen.rstrip("\n").split("\n")
            if len(lines) >= 2 and lines[-2].startswith(what):
                return screen
            time.sleep(0.2)
        self.fail(f"status {what!r} not shown:\n{screen}\n"
                  f"{self.pr.log()[-3000:]}")

    def key_bar(self, screen):
        lines = screen.rstrip("\n").split("\n")
        return lines[-1] if lines else ""

    # ---- the rest -----------------------------------------------------

    def deliver(self, subject, body, msgid, count):
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.sendmail(PEER, [USER], message(subject, body, msgid))
        self.pr.wait_messages(USER, count)

    def postroom(self, *args):
        proc = subprocess.run([POSTROOM, *args], env=self.env,
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0,
                         f"postroom {' '.join(args)}: {proc.stderr}"
                         f"{proc.stdout}\n{self.pr.log()[-3000:]}")
        return proc.stdout

    def peer_messages(self):
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        m.login(PEER, PEER_PW)
        m.select("INBOX")
        typ, data = m.fetch("1:*", "(BODY.PEEK[])")
        m.logout()
        return [email.message_from_bytes(d[1], policy=email.policy.default)
                for d in data if isinstance(d, tuple)]

    def wait_exit(self, timeout=15):
        """Waits for the client to end; returns its exit status (a death
        by a signal fails the test). tmux does not always reap the pane's
        process at once, so a zombie's status is read from /proc (the
        exit_code field of stat, Linux 3.5+)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(f"/proc/{self.pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if fields[0] == "Z":
                    status = int(fields[-1])
                    self.assertEqual(status & 0x7f, 0, "killed by a signal")
                    self.pid = None
                    return status >> 8
            except FileNotFoundError:
                out = self.tmux("display-message", "-p", "-t", "ui",
                                "#{pane_dead_status}:#{pane_dead_signal}")
                status, _, signal = out.strip().partition(":")
                self.assertEqual(signal, "", "killed by a signal")
                self.pid = None
                return int(status)
            time.sleep(0.2)
        self.fail(f"postroom did not exit:\n{self.screen()}")

    def test_open_reply_send(self):
        self.deliver("Lunch on Friday", "Shall we try the new place?",
                     "lunch.1@local.test", 1)
        self.postroom("sync")
        self.start_ui()
        screen = self.wait_screen("Lunch on Friday")
        bar = self.key_bar(screen)
        for key in ("q:quit", "Enter:open", "r:reply", "?:help"):
            self.assertIn(key, bar, screen)
        self.assertIn("INBOX", screen)
        self.keys("Enter")
        screen = self.wait_screen("Shall we try the new place?")
        self.assertIn("Subject: Lunch on Friday", screen)
        self.assertIn("r:reply", self.key_bar(screen), screen)
        self.text("r")
        # the editor script ran outside curses; back in the interface
        self.wait_screen("y:send")
        self.text("y")
        self.wait_status("sent")
        deadline = time.monotonic() + 30
        replies = []
        while time.monotonic() < deadline and not replies:
            replies = [m for m in self.peer_messages()
                       if m["Subject"] == "Re: Lunch on Friday"]
            time.sleep(0.2)
        self.assertEqual(len(replies), 1, self.pr.log()[-3000:])
        reply = replies[0]
        self.assertEqual(reply["In-Reply-To"], "<lunch.1@local.test>")
        self.assertIn("lunch.1@local.test", reply["References"])
        self.assertIn(USER, reply["From"])
        self.assertIn(REPLY_LINE, reply.get_body(("plain",)).get_content())
        # q closes the message, q again quits with the terminal restored
        self.text("q")
        self.wait_screen("q:quit")
        self.text("q")
        self.assertEqual(self.wait_exit(), 0)

    def test_new_mail_appears_while_open(self):
        self.deliver("First of two", "one", "first.2@local.test", 1)
        self.postroom("sync")
        self.start_ui()
        self.wait_screen("First of two")
        self.wait_screen("live")  # the IDLE child runs
        # and has logged in (after `postroom sync`'s login); a moment for
        # it to reach IDLE, since mail that lands between its first sync
        # and IDLE waits for its next cycle (XXX: sync_imap.c)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and \
                self.pr.log().count(f"user={USER} login") < 2:
            time.sleep(0.1)
        time.sleep(1)
        self.deliver("Second while open", "two", "second.2@local.test", 2)
        self.wait_screen("Second while open", timeout=60)
        self.text("?")
        self.wait_screen("postroom keys")
        self.text(" ")
        self.wait_screen("r:reply")
        self.text("q")
        self.assertEqual(self.wait_exit(), 0)

    def test_switch_account_and_sigterm(self):
        accounts = os.path.join(self.config, "postroom", "accounts")
        pass_file = os.path.join(self.config, "postroom", "bob.pass")
        with open(pass_file, "w") as f:
            f.write(PEER_PW + "\n")
        os.chmod(pass_file, 0o600)
        with open(os.path.join(accounts, "zbob.conf"), "w") as f:
            f.write(f"address = {PEER}\npassword_file = {pass_file}\n"
                    f"\n[incoming]\nprotocol = imap\nhost = 127.0.0.1\n"
                    f"port = {self.pr.imap}\ntls = none\n")
        self.start_ui()
        self.wait_screen(f"lisa <{USER}>")
        self.text("A")
        self.wait_screen(f"zbob <{PEER}>")
        self.wait_screen("live")
        forked = self.children(self.pid)
        self.assertEqual(len(forked), 1, "one IDLE child")
        pid = self.pid
        os.kill(pid, 15)
        self.assertEqual(self.wait_exit(), 1)
        # endwin ran: the terminal left the alternate screen (tmux pipe-pane
        # could show the bytes, but it hides the exit status); the IDLE
        # child was stopped with the client
        deadline = time.monotonic() + 10
        state = ""
        while time.monotonic() < deadline and state != "0":
            state = self.tmux("display-message", "-p", "-t", "ui",
                              "#{alternate_on}").strip()
            time.sleep(0.1)
        self.assertEqual(state, "0")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and \
                os.path.exists(f"/proc/{forked[0]}"):
            time.sleep(0.1)
        self.assertFalse(os.path.exists(f"/proc/{forked[0]}"))

    def local_list(self, mailbox="INBOX"):
        out = subprocess.run([POSTROOM, "--json", "list", "--mailbox",
                              mailbox], env=self.env, capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return {m["subject"]: m for m in json.loads(out.stdout)}

    def test_flag_search_move_delete_compose_with_completion(self):
        self.deliver("Alpha notes", "the needle is here", "alpha@local.test",
                     1)
        self.deliver("Beta plans", "nothing to see", "beta@local.test", 2)
        self.postroom("sync")
        self.postroom("contacts", "add", "--name", "Bob Peer", "--email",
                      PEER)
        self.start_ui()
        self.wait_screen("Beta plans")
        # search: only the message whose body holds the word
        self.text("/")
        self.wait_screen("Search all folders for:")
        self.text("needle")
        self.keys("Enter")
        screen = self.wait_status("1 found")
        self.assertIn("Alpha notes", screen)
        self.assertNotIn("Beta plans", screen)
        # flag it, then move it to Archive with the folder prompt
        self.text("F")
        self.wait_status("flagged")
        self.assertIn("\\Flagged", self.local_list()["Alpha notes"]["flags"])
        self.text("m")
        self.wait_screen("Move to folder")
        self.text("Archive")
        self.keys("Enter")
        self.wait_status("moved to Archive")
        self.assertIn("Alpha notes", self.local_list("Archive"))
        self.assertNotIn("Alpha notes", self.local_list())
        # back to INBOX: delete the other one to Trash
        self.text("q")
        self.wait_screen("Beta plans")
        self.text("d")
        self.wait_status("moved to Trash")
        self.assertIn("Beta plans", self.local_list("Trash"))
        # compose: "Bob" + Tab completes from the contacts, then send
        self.text("c")
        self.wait_screen("To (Tab completes):")
        self.text("Bob")
        self.keys("Tab")
        self.wait_screen(PEER)
        self.keys("Enter")
        self.wait_screen("y:send")
        self.text("y")
        self.wait_status("sent")
        deadline = time.monotonic() + 30
        got = []
        while time.monotonic() < deadline and not got:
            got = [m for m in self.peer_messages()
                   if REPLY_LINE in m.get_body(("plain",)).get_content()]
            time.sleep(0.2)
        self.assertEqual(len(got), 1)
        self.assertIn("Bob Peer", got[0]["To"])
        self.text("q")
        self.assertEqual(self.wait_exit(), 0)
        # and the next sync carries the local changes to the server
        self.postroom("sync")
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap, timeout=30)
        m.login(USER, PW)
        for box, subject in (("Archive", "Alpha notes"),
                             ("Trash", "Beta plans")):
            m.select(box)
            typ, data = m.search(None, "SUBJECT", f'"{subject}"')
            self.assertEqual(len(data[0].split()), 1, box)
        m.select("INBOX")
        typ, data = m.search(None, "ALL")
        self.assertEqual(data, [b""])
        m.logout()


if __name__ == "__main__":
    unittest.main()
