"""POP3 with clients we did not write: Python's poplib over 110 + STLS and
over 995, curl pop3://, and fetchmail in keep mode (UIDL: a second run
fetches nothing new) and in delete mode. The messages come in over SMTP and
must come out of POP3 byte for byte as the store holds them."""
import glob
import os
import poplib
import shutil
import smtplib
import subprocess
import tempfile
import time
import unittest

from harness import Postroom, client_tls_context


def wait_pop3(pr, timeout=30):
    """postroomd's readiness covers SMTP only: wait for the POP3 banner."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            p = poplib.POP3("127.0.0.1", pr.pop3, timeout=5)
            p.quit()
            return
        except (OSError, poplib.error_proto):
            time.sleep(0.05)
    raise AssertionError("pop3d not ready:\n" + pr.log()[-3000:])


def deliver(pr, rcpt, msgs):
    before = len(pr.messages(rcpt))
    with smtplib.SMTP("127.0.0.1", pr.port, timeout=30) as s:
        for m in msgs:
            s.sendmail("sender@remote.test", [rcpt], m)
    return pr.wait_messages(rcpt, before + len(msgs))


def sample(i, size=300):
    body = b"".join(b"line %d of message %d\r\n" % (n, i)
                    for n in range(size // 24 + 1))
    return (b"From: sender@remote.test\r\nTo: bob@local.test\r\n"
            b"Subject: message %d\r\n\r\n%s.a line with a dot\r\n.\r\n"
            b"end\r\n" % (i, body))


def joined(lines):
    return b"".join(l + b"\r\n" for l in lines)


class Pop3ClientsTest(unittest.TestCase):
    def setUp(self):
        self.pr = Postroom(main={"plaintext_auth_loopback": "no"}).start()
        self.addCleanup(self.pr.cleanup)
        self.pr.add_user("bob@local.test", "bob-pw")
        wait_pop3(self.pr)
        self.tmp = tempfile.mkdtemp(prefix="pop3-it-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def tearDown(self):
        code = self.pr.stop()
        self.assertEqual(code, 0, "postroomd exit status")

    def login_stls(self):
        p = poplib.POP3("127.0.0.1", self.pr.pop3, timeout=30)
        self.assertIn("STLS", p.capa())
        self.assertNotIn("USER", p.capa(), "no USER before TLS")
        p.stls(client_tls_context())
        caps = p.capa()
        self.assertIn("USER", caps)
        self.assertEqual(caps["SASL"], ["PLAIN", "LOGIN"])
        self.assertNotIn("STLS", caps)
        p.user("bob@local.test")
        p.pass_("bob-pw")
        return p

    def test_poplib_stls_retr_top_uidl_dele(self):
        stored = deliver(self.pr, "bob@local.test",
                         [sample(i) for i in range(3)])
        p = self.login_stls()
        caps = p.capa()
        for cap in ("TOP", "UIDL", "RESP-CODES", "PIPELINING",
                    "IMPLEMENTATION"):
            self.assertIn(cap, caps)
        self.assertEqual(p.stat(), (3, sum(len(m) for m in stored)))
        _, listing, _ = p.list()
        self.assertEqual(listing, [b"%d %d" % (i + 1, len(m))
                                   for i, m in enumerate(stored)])
        for i, m in enumerate(stored):
            resp, lines, octets = p.retr(i + 1)
            self.assertEqual(resp, b"+OK %d octets" % len(m))
            self.assertEqual(joined(lines), m)
        _, lines, _ = p.top(2, 1)
        head, body = stored[1].split(b"\r\n\r\n", 1)
        self.assertEqual(joined(lines),
                         head + b"\r\n\r\n" + body.split(b"\r\n")[0] +
                         b"\r\n")
        _, uidls, _ = p.uidl()
        self.assertEqual(len(set(uidls)), 3)
        self.assertEqual(p.uidl(2), b"+OK " + uidls[1])
        p.dele(1)
        self.assertEqual(p.stat()[0], 2)
        p.rset()
        self.assertEqual(p.stat()[0], 3)
        p.dele(2)
        p.quit()
        self.assertEqual(self.pr.messages("bob@local.test"),
                         [stored[0], stored[2]])
        # UIDL values survive sessions (and a restart of the server).
        self.pr.stop()
        self.pr.start()
        wait_pop3(self.pr)
        p = self.login_stls()
        _, again, _ = p.uidl()
        p.quit()
        self.assertEqual([u.split()[1] for u in again],
                         [uidls[0].split()[1], uidls[2].split()[1]])

    def test_pop3s_auth_plain_and_login(self):
        stored = deliver(self.pr, "bob@local.test", [sample(7, 5000)])
        ctx = client_tls_context()
        p = poplib.POP3_SSL("127.0.0.1", self.pr.pop3s, context=ctx,
                            timeout=30)
        self.assertNotIn("STLS", p.capa())
        # RFC 5034 with an initial response: base64("\0bob@...\0bob-pw").
        import base64
        ir = base64.b64encode(b"\0bob@local.test\0bob-pw").decode()
        self.assertTrue(p._shortcmd("AUTH PLAIN " + ir).startswith(b"+OK"))
        _, lines, _ = p.retr(1)
        self.assertEqual(joined(lines), stored[0])
        p.quit()
        p = poplib.POP3_SSL("127.0.0.1", self.pr.pop3s, context=ctx,
                            timeout=30)
        self.assertEqual(p._shortcmd("AUTH LOGIN"), b"+ VXNlcm5hbWU6")
        self.assertEqual(p._shortcmd(
            base64.b64encode(b"bob@local.test").decode()), b"+ UGFzc3dvcmQ6")
        self.assertTrue(p._shortcmd(
            base64.b64encode(b"bob-pw").decode()).startswith(b"+OK"))
        self.assertEqual(p.stat()[0], 1)
        p.quit()

    def test_large_message_streams(self):
        # 3 MB with a dot at the start of many lines: stuffing and
        # backpressure on a stream much larger than the output buffer.
        body = b"".join(b".%07d padding padding padding padding\r\n" % i
                        for i in range(70000))
        msg = b"Subject: big\r\n\r\n" + body
        stored = deliver(self.pr, "bob@local.test", [msg])
        p = self.login_stls()
        _, lines, _ = p.retr(1)
        self.assertEqual(joined(lines), stored[0])
        p.quit()

    def test_curl_list_retr(self):
        stored = deliver(self.pr, "bob@local.test",
                         [sample(1), sample(2)])
        base = f"pop3://127.0.0.1:{self.pr.pop3}/"
        args = ["curl", "-sS", "--ssl-reqd", "-k", "--max-time", "60",
                "-u", "bob@local.test:bob-pw"]
        out = subprocess.run(args + [base], capture_output=True,
                             timeout=90)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, b"".join(
            b"%d %d\r\n" % (i + 1, len(m)) for i, m in enumerate(stored)))
        out = subprocess.run(args + [base + "2"], capture_output=True,
                             timeout=90)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, stored[1])

    def fetchmail(self, mode):
        outdir = os.path.join(self.tmp, "out")
        os.makedirs(outdir, exist_ok=True)
        mda = os.path.join(self.tmp, "mda.sh")
        with open(mda, "w") as f:
            f.write("#!/bin/sh\nexec cat > \"$(mktemp -p %s msg.XXXXXX)\"\n"
                    % outdir)
        os.chmod(mda, 0o755)
        rc = os.path.join(self.tmp, "fetchmailrc")
        with open(rc, "w") as f:
            f.write(f'poll 127.0.0.1 service {self.pr.pop3} protocol pop3 '
                    f'uidl auth password\n'
                    f'  user "bob@local.test" password "bob-pw" is '
                    f'"bob" here\n'
                    f'  sslproto tls1.2+ no sslcertck {mode}\n'
                    f'  mda "{mda}"\n')
        os.chmod(rc, 0o600)
        env = dict(os.environ, HOME=self.tmp)
        out = subprocess.run(
            ["fetchmail", "-f", rc, "--idfile",
             os.path.join(self.tmp, "fetchids"), "--nosyslog", "-N",
             "--invisible", "--pidfile", os.path.join(self.tmp, "pid")],
            capture_output=True, env=env, timeout=120)
        # 0: mail fetched, 1: no new mail.
        self.assertIn(out.returncode, (0, 1), out.stdout + out.stderr)
        return sorted(glob.glob(os.path.join(outdir, "msg.*")))

    def fetched(self, files):
        data = []
        for path in files:
            with open(path, "rb") as f:
                data.append(f.read().replace(b"\r\n", b"\n"))
        return data

    def test_fetchmail_keep_then_delete(self):
        stored = deliver(self.pr, "bob@local.test",
                         [sample(i) for i in range(3)])
        files = self.fetchmail("keep")
        self.assertEqual(len(files), 3)
        got = self.fetched(files)
        for m in stored:
            body = m.split(b"\r\n\r\n", 1)[1].replace(b"\r\n", b"\n")
            self.assertTrue(any(g.endswith(body) for g in got))
        self.assertEqual(len(self.pr.messages("bob@local.test")), 3)
        # UIDL: a second run in keep mode fetches nothing new...
        self.assertEqual(len(self.fetchmail("keep")), 3)
        # ...but a new message, and only it.
        deliver(self.pr, "bob@local.test", [sample(9)])
        files = self.fetchmail("keep")
        self.assertEqual(len(files), 4)
        # Delete mode takes everything not yet seen and empties the box.
        self.fetchmail("fetchall nokeep")
        self.assertEqual(self.pr.messages("bob@local.test"), [])


if __name__ == "__main__":
    unittest.main()
