"""postroom rules and postroom vacation against a real postroomd over
ManageSieve (RFC 5804, STARTTLS on the sieved port): scripts listed,
edited with EDITOR set to a script that rewrites the file (the server's
CHECKSCRIPT then PUTSCRIPT), a bad script refused naming its line and
column with nothing stored, activated, deleted; vacation turned on by the
client answers a message sent over SMTP (the sender's mailbox has the
auto-reply) and `postroomctl account vacation` shows the same block, then
off; and a wrong password refused. What the server holds is read back
with postroomctl, which we did not drive through ManageSieve."""
import email
import email.policy
import os
import pty
import select
import smtplib
import stat
import subprocess
import time
import unittest

from client_fixtures import POSTROOM, ClientHome
from harness import Postroom

USER, PASSWORD = "lisa@local.test", "lisa-pw"
ALICE, ALICE_PW = "alice@local.test", "alice-pw"

GOOD = ('require ["fileinto"];\n'
        'if header :contains "subject" "report" {\n'
        '  fileinto "Reports";\n'
        '}\n')
# fileinto without its require: line 2, column 3
BAD = 'if true {\n  fileinto "X";\n}\n'


def msg(sender, to, subject):
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{time.time_ns()}@local.test>\r\n\r\n"
            f"Hello.\r\n").encode()


class ClientRulesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = Postroom().start()
        cls.pr.add_user(USER, PASSWORD)
        cls.pr.add_user(ALICE, ALICE_PW)

    @classmethod
    def tearDownClass(cls):
        reports = cls.pr.sanitizer_reports()
        cls.pr.stop()
        cls.pr.cleanup()
        assert not reports, reports

    def setUp(self):
        self.client = self.home(PASSWORD)

    def tearDown(self):
        self.client.cleanup()

    def home(self, password):
        client = ClientHome()
        client.for_postroomd("lisa", USER, password, self.pr)
        path = os.path.join(client.config_dir, "accounts", "lisa.conf")
        with open(path, "a") as f:
            f.write(f"\n[sieve]\nhost = localhost\nport = {self.pr.sieve}\n"
                    "tls = starttls\n")
        return client

    def editor(self, text):
        """An EDITOR that replaces the file with text."""
        src = os.path.join(self.client.tmp, f"new-{time.time_ns()}.sieve")
        with open(src, "w") as f:
            f.write(text)
        path = os.path.join(self.client.tmp, "editor.sh")
        with open(path, "w") as f:
            f.write(f"#!/bin/sh\ncp '{src}' \"$1\"\n")
        os.chmod(path, stat.S_IRWXU)
        return {"EDITOR": path}

    def ctl_scripts(self):
        return self.pr.ctl("account", "sieve", "list", USER).stdout

    def ctl_get(self, name):
        return self.pr.ctl("account", "sieve", "get", USER, name,
                           check=False)

    def rules(self, *args, env=None, check=True):
        return self.client.run("rules", *args, env=env, check=check)

    def test_1_edit_activate_list_delete(self):
        self.assertEqual(self.client.json("rules", "list"), [])
        self.rules("edit", "filters", env=self.editor(GOOD))
        self.assertEqual(self.ctl_get("filters").stdout.replace("\r\n",
                                                                "\n"), GOOD)
        # rewriting what GETSCRIPT gave: the file holds the stored text
        self.rules("edit", "filters",
                   env=self.editor(GOOD + "# second\n"))
        self.assertIn("# second", self.ctl_get("filters").stdout)
        self.assertEqual(self.client.json("rules"),
                         [{"name": "filters", "active": False}])
        self.rules("activate", "filters")
        self.assertEqual(self.client.json("rules"),
                         [{"name": "filters", "active": True}])
        out = self.rules("list").stdout
        self.assertIn("filters (active)", out)
        self.rules("activate", "--none")
        self.assertEqual(self.client.json("rules"),
                         [{"name": "filters", "active": False}])
        self.rules("delete", "filters")
        self.assertEqual(self.client.json("rules"), [])
        self.assertNotEqual(self.ctl_get("filters").returncode, 0)

    def test_2_bad_script_refused_with_line_and_column(self):
        proc = self.rules("edit", "broken", env=self.editor(BAD),
                          check=False)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("line 2, column 3", proc.stderr)
        self.assertNotIn("broken", self.ctl_scripts())
        self.assertEqual(self.client.json("rules"), [])
        # a missing script to delete is the server's NO, exit 1
        proc = self.rules("delete", "nothing", check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertTrue(proc.stderr.startswith("postroom: "), proc.stderr)

    def test_2b_refused_script_edited_again_at_a_terminal(self):
        """At a terminal the refusal offers the editor again: the first
        run writes BAD, the second GOOD, which is stored."""
        good = os.path.join(self.client.tmp, "good.sieve")
        bad = os.path.join(self.client.tmp, "bad.sieve")
        for path, text in ((good, GOOD), (bad, BAD)):
            with open(path, "w") as f:
                f.write(text)
        count = os.path.join(self.client.tmp, "count")
        editor = os.path.join(self.client.tmp, "editor2.sh")
        with open(editor, "w") as f:
            f.write(f"#!/bin/sh\nif [ -e '{count}' ]; then cp '{good}' "
                    f"\"$1\"; else touch '{count}'; cp '{bad}' \"$1\"; fi\n")
        os.chmod(editor, stat.S_IRWXU)
        master, slave = pty.openpty()
        proc = subprocess.Popen([POSTROOM, "rules", "edit", "tty"],
                                stdin=slave, stdout=slave,
                                stderr=subprocess.PIPE,
                                env=self.client.env({"EDITOR": editor}))
        os.close(slave)
        out = b""
        deadline = time.monotonic() + 60
        while b"Edit again?" not in out and time.monotonic() < deadline:
            if select.select([master], [], [], 1)[0]:
                out += os.read(master, 4096)
        os.write(master, b"y\n")
        while proc.poll() is None and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    break
        proc.wait(timeout=60)
        os.close(master)
        err = proc.stderr.read().decode()
        proc.stderr.close()
        self.assertIn(b"Edit again?", out)
        self.assertIn("line 2, column 3", err)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(self.ctl_get("tty").stdout.replace("\r\n", "\n"),
                         GOOD)
        self.rules("delete", "tty")

    def test_3_vacation_on_replies_and_agrees_with_postroomctl(self):
        self.assertIn("vacation: off",
                      self.client.run("vacation", check=True).stdout)
        self.client.run("vacation", "on", "--days", "2", "--subject",
                        "Away", "--message", "Back on Monday.",
                        check=True)
        out = self.pr.ctl("account", "vacation", USER).stdout
        self.assertIn("vacation: on (script postroom)", out)
        self.assertIn("Back on Monday.", out)
        shown = self.client.json("vacation")
        self.assertEqual((shown["enabled"], shown["days"], shown["subject"],
                          shown["message"]),
                         (True, 2, "Away", "Back on Monday."))
        self.assertEqual(self.client.json("rules"),
                         [{"name": "postroom", "active": True}])

        before = len(self.pr.messages(ALICE))
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.sendmail(ALICE, [USER], msg(ALICE, USER, "question"))
        self.pr.wait_messages(USER, 1)
        got = self.pr.wait_messages(ALICE, before + 1)
        reply = email.message_from_bytes(got[before],
                                         policy=email.policy.default)
        self.assertEqual(reply["Subject"], "Away")
        self.assertTrue(reply["Auto-Submitted"].startswith("auto-replied"))
        self.assertIn("Back on Monday.", reply.get_content())

        self.client.run("vacation", "off", check=True)
        self.assertIn("vacation: off",
                      self.pr.ctl("account", "vacation", USER).stdout)
        self.assertIn("vacation: off",
                      self.client.run("vacation", check=True).stdout)
        # the script made for the block is gone with it
        self.assertEqual(self.client.json("rules"), [])

    def test_4_vacation_kept_inside_the_users_own_script(self):
        self.rules("edit", "mine", env=self.editor(GOOD))
        self.rules("activate", "mine")
        self.client.run("vacation", "on", "--message", "Away.", check=True)
        out = self.pr.ctl("account", "vacation", USER).stdout
        self.assertIn("vacation: on (script mine)", out)
        text = self.ctl_get("mine").stdout
        self.assertIn('fileinto "Reports"', text)
        self.assertIn("BEGIN postroom settings", text)
        self.client.run("vacation", "off", check=True)
        text = self.ctl_get("mine").stdout
        self.assertNotIn("vacation", text.split("BEGIN")[0] +
                         text.split("END postroom settings")[-1])
        self.rules("activate", "--none")
        self.rules("delete", "mine")

    def test_5_wrong_password_refused(self):
        other = self.home("not-the-password")
        try:
            proc = other.run("rules", "list")
            self.assertEqual(proc.returncode, 1)
            self.assertIn("login refused", proc.stderr)
            proc = other.run("vacation", "on", "--message", "x")
            self.assertEqual(proc.returncode, 1)
        finally:
            other.cleanup()
        self.assertIn("vacation: off",
                      self.pr.ctl("account", "vacation", USER).stdout)

    def test_6_usage(self):
        for args in (("rules", "bogus"), ("rules", "activate"),
                     ("vacation", "on"), ("vacation", "on", "--days", "0",
                                           "--message", "x")):
            proc = self.client.run(*args)
            self.assertEqual(proc.returncode, 2, args)


if __name__ == "__main__":
    unittest.main()


class SieveSrvTest(unittest.TestCase):
    """account add finds the ManageSieve server by its SRV record
    (RFC 5804 §1.8), which then serves `postroom rules`."""

    def setUp(self):
        from relay_fixtures import Dnsmasq
        self.pr = Postroom().start()
        self.pr.add_user(USER, PASSWORD)
        s = self.pr
        self.dns = Dnsmasq(hosts=[("mx.local.test", "127.0.0.1")], srv=[
            ("_imaps._tcp.local.test", "mx.local.test", s.imaps),
            ("_submissions._tcp.local.test", "mx.local.test",
             s.submissions),
            ("_sieve._tcp.local.test", "mx.local.test", s.sieve)])
        self.client = ClientHome({"dns_server": self.dns.server})

    def tearDown(self):
        self.dns.stop()
        self.client.cleanup()
        reports = self.pr.sanitizer_reports()
        self.pr.stop()
        self.pr.cleanup()
        self.assertFalse(reports, reports)

    def test_srv_sieve_found_and_used(self):
        pw = self.client.password_file("new", PASSWORD)
        cert = os.path.join(self.pr.data, "tls", "cert.pem")
        proc = self.client.run("account", "add", "--address", USER,
                               "--password-file", pw, "--ca-file", cert,
                               "--no-dav", "lisa")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"sieve from SRV records: mx.local.test:"
                      f"{self.pr.sieve}", proc.stdout)
        path = os.path.join(self.client.config_dir, "accounts", "lisa.conf")
        with open(path) as f:
            self.assertIn(f"[sieve]\nhost = mx.local.test\nport = "
                          f"{self.pr.sieve}\ntls = starttls\n", f.read())
        self.pr.ctl("account", "sieve", "put", USER, "srv",
                    input='keep;\n')
        self.assertEqual(self.client.json("rules"),
                         [{"name": "srv", "active": False}])
