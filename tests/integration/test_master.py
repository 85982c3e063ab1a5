"""postroomd, the master: configuration checks, the process tree, restart of
a crashed child, reload on SIGHUP, clean exit on SIGTERM, and the drop from
root to an unprivileged user."""
import os
import signal
import smtplib
import subprocess
import time
import unittest

from harness import BUILD, POSTROOMD, Postroom


def check(conf_text):
    pr = Postroom()
    with open(pr.conf, "w") as f:
        f.write(conf_text)
    out = subprocess.run([POSTROOMD, "-c", pr.conf, "--check"],
                         capture_output=True, text=True, env=pr.env())
    pr.cleanup()
    return out


class ConfigCheckTest(unittest.TestCase):
    def test_good_config(self):
        out = check("data_dir = /tmp/x\n[smtpd]\nport = 2600\n")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("configuration ok", out.stdout)

    def test_bad_configs_name_line_key_problem(self):
        cases = [
            ("[smtpd]\nport = 99999\n", ":2: key 'port': bad value '99999'"),
            ("\n\nbogus = 1\n", ":3: key 'bogus': unknown key"),
            ("[smtpd]\nmax_message_size = lots\n", "expected a size"),
            ("[nope]\n", "unknown section [nope]"),
            ("user = no-such-user-here\n", "no such user"),
        ]
        for text, want in cases:
            out = check(text)
            self.assertEqual(out.returncode, 1, text)
            self.assertIn(want, out.stderr, text)
            self.assertNotIn("Sanitizer", out.stderr)

    def test_missing_file(self):
        out = subprocess.run([POSTROOMD, "-c", "/nonexistent/p.conf",
                              "--check"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 1)
        self.assertIn("cannot read", out.stderr)


class MasterTest(unittest.TestCase):
    def setUp(self):
        self.pr = Postroom(workers=2).start()
        self.pr.add_user("bob@local.test")

    def tearDown(self):
        self.pr.cleanup()

    def send(self, text="hi"):
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.sendmail("a@remote.test", ["bob@local.test"],
                       f"Subject: {text}\r\n\r\n{text}\r\n".encode())

    def test_process_tree_and_privileges(self):
        names = sorted(open(f"/proc/{p}/comm").read().strip()
                       for p in self.pr.children())
        want = ["authd", "authd", "deliver", "qmgr", "smtpd", "smtpd"]
        for server in ("relay", "pop3d", "imapd", "httpd", "sieved"):
            if os.path.exists(os.path.join(BUILD, "servers", server, server)):
                want.append(server)
        self.assertEqual(names, sorted(want))
        if os.geteuid() == 0:
            for pid in self.pr.children() + [self.pr.proc.pid]:
                status = open(f"/proc/{pid}/status").read()
                uid_line = [l for l in status.splitlines()
                            if l.startswith("Uid:")][0]
                self.assertNotIn(" 0", " " + " ".join(uid_line.split()[1:]),
                                 f"pid {pid} still has root: {uid_line}")

    def test_crashed_child_is_restarted(self):
        for name in ("smtpd", "qmgr", "deliver"):
            old = self.pr.children(name)[0]
            os.kill(old, signal.SIGKILL)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                pids = self.pr.children(name)
                if pids and old not in pids and \
                        len(pids) == (2 if name == "smtpd" else 1):
                    break
                time.sleep(0.05)
            else:
                self.fail(f"{name} not restarted:\n{self.pr.log()[-3000:]}")
        self.pr.wait_ready()
        self.send("after restarts")
        self.pr.wait_messages("bob@local.test", 1)

    def test_reload_on_sighup(self):
        old = sorted(self.pr.children())
        new_port = self.pr.port
        os.kill(self.pr.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = self.pr.children()
            if len(now) == len(old) and not set(now) & set(old):
                break
            time.sleep(0.1)
        else:
            self.fail(f"children not replaced:\n{self.pr.log()[-3000:]}")
        self.assertIn("reloaded", self.pr.log())
        self.pr.wait_ready()
        self.send("after reload")
        self.pr.wait_messages("bob@local.test", 1)
        self.assertEqual(new_port, self.pr.port)

    def test_bad_reload_keeps_running(self):
        with open(self.pr.conf, "a") as f:
            f.write("bogus_key = 1\n")
        os.kill(self.pr.proc.pid, signal.SIGHUP)
        time.sleep(1)
        self.assertIsNone(self.pr.proc.poll())
        self.assertIn("reload-failed", self.pr.log())
        # A child restarted now runs with the configuration the master
        # accepted, not the broken file.
        old = self.pr.children("qmgr")
        os.kill(old[0], signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and \
                self.pr.children("qmgr") in ([], old):
            time.sleep(0.05)
        time.sleep(1)
        self.assertEqual(len(self.pr.children("qmgr")), 1)
        self.assertNotIn("config-failed", self.pr.log())
        self.send("still here")
        self.pr.wait_messages("bob@local.test", 1)

    def test_sigterm_finishes_transaction(self):
        s = smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30)
        s.ehlo("t.test")
        s.mail("a@remote.test")
        s.rcpt("bob@local.test")
        code, _ = s.docmd("DATA")
        self.assertEqual(code, 354)
        s.send(b"Subject: in flight\r\n\r\nstarted before SIGTERM\r\n")
        os.kill(self.pr.proc.pid, signal.SIGTERM)
        time.sleep(0.5)
        s.send(b".\r\n")
        code, text = s.getreply()
        self.assertEqual(code, 250, text)
        s.close()
        self.assertEqual(self.pr.proc.wait(60), 0)
        self.pr.proc = None
        self.pr.log_file.close()
        # Restart: the queued message is delivered.
        self.pr.start()
        self.pr.wait_messages("bob@local.test", 1)
        self.assertEqual(self.pr.stop(), 0)

    def test_second_instance_refused(self):
        out = subprocess.run([POSTROOMD, "-c", self.pr.conf],
                             capture_output=True, text=True, timeout=30,
                             env=self.pr.env())
        self.assertEqual(out.returncode, 1)
        self.assertIn("another postroomd", out.stderr)


if __name__ == "__main__":
    unittest.main()
