"""An independent JMAP client library from npm (jmap-jam 0.13.1, locked in
tests/jmap-node/package-lock.json) in a node program (session.mjs) doing a
realistic session against postroomd with a bearer token: query a mailbox,
fetch its threads through result references, upload and send with an
attachment (filed in Sent by onSuccessUpdateEmail), set keywords, move,
destroy, then Email/changes from the old state. The packages are installed
with `npm ci` from the lockfile when node_modules is missing (the registry
is reached then only; the session itself talks to loopback alone). Then
the other side is checked with imaplib and the store: carol got the mail
with its attachment, the flag and the move are what IMAP sees."""
import imaplib
import os
import shutil
import smtplib
import subprocess
import unittest

from jmap_fixtures import start, wait_for

BOB = ("bob@example.test", "bob-secret-1")
CAROL = ("carol@example.test", "carol-secret-1")
HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "..", "jmap-node")


def npm_ci():
    """Installs the locked packages when node_modules is missing."""
    if os.path.exists(os.path.join(NODE_DIR, "node_modules", "jmap-jam")):
        return
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund",
                    "--loglevel=error"], cwd=NODE_DIR, check=True,
                   timeout=600)


@unittest.skipUnless(shutil.which("node") and shutil.which("npm"),
                     "node and npm are needed (scripts/install-deps)")
class JmapNodeClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        npm_ci()
        cls.pr = start(users=(BOB, CAROL))

    @classmethod
    def tearDownClass(cls):
        reports = cls.pr.sanitizer_reports()
        cls.pr.cleanup()
        assert not reports, reports

    def deliver(self, subject, extra=""):
        msg = (f"From: Ann <ann@example.org>\r\nTo: {BOB[0]}\r\n"
               f"Subject: {subject}\r\n{extra}\r\nabout {subject}\r\n")
        with smtplib.SMTP("127.0.0.1", self.pr.port) as c:
            c.sendmail("ann@example.org", [BOB[0]], msg.encode())

    def test_session(self):
        self.deliver("Plans", "Message-ID: <plans@example.org>\r\n")
        self.deliver("Re: Plans", "Message-ID: <re@example.org>\r\n"
                     "In-Reply-To: <plans@example.org>\r\n")
        self.deliver("Unrelated")
        wait_for(lambda: len(self.pr.messages(BOB[0])) == 3)
        token = self.pr.ctl("token", "create", BOB[0], "--name",
                            "jam").stdout.strip()
        env = dict(os.environ,
                   JMAP_SESSION_URL=f"http://127.0.0.1:{self.pr.http}"
                                    "/.well-known/jmap",
                   JMAP_TOKEN=token, JMAP_USER=BOB[0], JMAP_RCPT=CAROL[0],
                   JMAP_INBOX_COUNT="3")
        run = subprocess.run(["node", "session.mjs"], cwd=NODE_DIR, env=env,
                             capture_output=True, text=True, timeout=300)
        out = run.stdout + run.stderr
        self.assertEqual(run.returncode, 0, out)
        self.assertIn("11 passed, 0 failed", out)
        self.assertNotIn("not ok", out)
        # the other side: carol has the mail with its attachment
        got = self.pr.wait_messages(CAROL[0], 1)
        self.assertIn(b"Subject: Report from jam", got[0])
        self.assertIn(b'filename="report.pdf"', got[0])
        # IMAP sees the flag, the move and the destroy
        m = imaplib.IMAP4("127.0.0.1", self.pr.imap)
        m.login(*BOB)
        m.select("INBOX")
        _, data = m.uid("SEARCH", "ALL")
        self.assertEqual(len(data[0].split()), 1)
        _, data = m.search(None, "FLAGGED")
        self.assertEqual(len(data[0].split()), 1)
        m.select("Archive")
        _, data = m.search(None, "ALL")
        self.assertEqual(len(data[0].split()), 1)
        m.select("Sent")
        _, data = m.search(None, "SUBJECT", '"Report from jam"')
        self.assertEqual(len(data[0].split()), 1)
        m.logout()


if __name__ == "__main__":
    unittest.main()
