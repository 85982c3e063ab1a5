"""Sending later: FUTURERELEASE (RFC 4865) on submission, driven by
Python's smtplib. A message held with HOLDFOR or HOLDUNTIL reaches neither
the local mailbox nor the remote peer before its release time, and both
after it; qmgr wakes for it (run_interval is an hour here, so a scan could
not be what sends it). The hold survives a restart and a kill -9 of
everything; postroomctl queue list shows when a message goes, flush leaves
it held, release sends it now and delete cancels it. Refusals: a time past
the advertised maximum (554 5.5.4), bad syntax and both parameters (501
5.5.4), port 25 where the extension is not offered (555 5.5.4), and MAIL
without AUTH on submission (530 5.7.0). A DSN about a held message names
the request (Future-Release-Request, RFC 4865 §6)."""
import re
import smtplib
import time
import unittest
from datetime import datetime, timedelta, timezone

from harness import Postroom, client_tls_context, free_port
from relay_fixtures import FakeSmtp

LISA = "lisa@local.test"
BOB = "bob@local.test"
FAR = "carol@far.test"
MAX = 30 * 86400  # [smtpd] future_release_max default


def message(subject):
    return (f"From: {LISA}\r\nTo: {BOB}, {FAR}\r\nSubject: {subject}\r\n"
            f"\r\n{subject}\r\n").encode()


def count_subject(msgs, subject):
    return sum(1 for m in msgs if f"Subject: {subject}\r\n".encode() in m)


class FutureReleaseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.peer_port = free_port()
        cls.peer = FakeSmtp("127.0.0.1", cls.peer_port)
        cls.pr = cls.new_postroom()
        cls.pr.start()
        cls.pr.add_user(BOB)
        cls.pr.add_user(LISA, "lisa-pw")

    @classmethod
    def new_postroom(cls):
        return Postroom(sections={
            "relay": {"smarthost": f"127.0.0.1:{cls.peer_port}"},
            # no scan would find a held message in time: only qmgr's
            # wake-up at the release time can send it after 5 s
            "queue": {"run_interval": "1h"}})

    @classmethod
    def tearDownClass(cls):
        code = cls.pr.stop()
        cls.peer.stop()
        cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def submission(self):
        s = smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30)
        s.starttls(context=client_tls_context())
        s.login(LISA, "lisa-pw")
        return s

    def submit(self, subject, params, rcpts=(BOB, FAR), pr=None):
        """Returns the time before the transaction began: the hold counts
        from MAIL, so it ends no sooner than this plus its seconds."""
        pr = pr or self.pr
        start = time.monotonic()
        with smtplib.SMTP("127.0.0.1", pr.submission, timeout=30) as s:
            s.starttls(context=client_tls_context())
            s.login(LISA, "lisa-pw")
            s.sendmail(LISA, list(rcpts), message(subject),
                       mail_options=params)
        return start

    def peer_count(self, subject):
        with self.peer.lock:
            return sum(1 for m in self.peer.messages
                       if f"Subject: {subject}\r\n".encode() in m["data"])

    def wait_delivered(self, subject, remote=True, pr=None, timeout=40):
        pr = pr or self.pr
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            local = count_subject(pr.messages(BOB), subject)
            if local and (not remote or self.peer_count(subject)):
                return time.monotonic()
            time.sleep(0.05)
        self.fail(f"{subject} not delivered in {timeout}s\n"
                  f"{pr.ctl('queue', 'list').stdout}\n{pr.log()[-3000:]}")

    def assert_not_delivered(self, subject, pr=None):
        pr = pr or self.pr
        self.assertEqual(count_subject(pr.messages(BOB), subject), 0,
                         pr.log()[-3000:])
        self.assertEqual(self.peer_count(subject), 0)

    # ---- EHLO ------------------------------------------------------------

    def test_ehlo_keyword_on_submission_only(self):
        with self.submission() as s:
            code, text = s.ehlo("client.test")
            line = [l for l in text.decode().splitlines()
                    if l.startswith("FUTURERELEASE")]
        # RFC 4865 §3: the longest interval, then the latest date-time
        self.assertEqual(len(line), 1, text)
        keyword, interval, until = line[0].split(" ")
        self.assertEqual(int(interval), MAX)
        until = datetime.strptime(until, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=timezone.utc)
        want = datetime.now(timezone.utc) + timedelta(seconds=MAX)
        self.assertLess(abs((until - want).total_seconds()), 60)
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            code, text = s.ehlo("client.test")
            self.assertNotIn(b"FUTURERELEASE", text)

    # ---- held, then delivered --------------------------------------------

    def test_holdfor_delivered_after_not_before(self):
        sent = self.submit("holdfor-5", ["HOLDFOR=5"])
        time.sleep(2)
        # 2 s in: in the queue, neither stored nor relayed
        self.assert_not_delivered("holdfor-5")
        listing = self.pr.ctl("queue", "list").stdout
        self.assertRegex(listing, r'deferred .* release="\d{4}-\d\d-\d\d '
                         r'\d\d:\d\d:\d\d UTC"')
        done = self.wait_delivered("holdfor-5")
        self.assertGreaterEqual(done - sent, 5)
        log = self.pr.log()
        self.assertRegex(log, r"held id=\S+ until=\S+ request=for;5")
        self.assertIn("hold=for;5", log)

    def test_holduntil_delivered_after_not_before(self):
        until = datetime.now(timezone.utc).replace(microsecond=0) + \
            timedelta(seconds=5)
        # RFC 3339 with an offset: the same instant two hours east
        text = (until + timedelta(hours=2)).strftime(
            "%Y-%m-%dT%H:%M:%S+02:00")
        self.submit("holduntil", [f"HOLDUNTIL={text}"], rcpts=(BOB,))
        time.sleep(1.5)
        self.assert_not_delivered("holduntil")
        self.wait_delivered("holduntil", remote=False)
        self.assertGreaterEqual(datetime.now(timezone.utc), until)

    def test_holdfor_zero_and_past_go_at_once(self):
        self.submit("holdfor-0", ["HOLDFOR=0"], rcpts=(BOB,))
        self.wait_delivered("holdfor-0", remote=False, timeout=20)
        self.submit("holduntil-past", ["HOLDUNTIL=2004-08-31T10:20:30Z"],
                    rcpts=(BOB,))
        self.wait_delivered("holduntil-past", remote=False, timeout=20)

    # ---- refusals --------------------------------------------------------

    def mail_reply(self, s, params):
        code, text = s.mail(LISA, params)
        if code < 400:
            s.rset()
        return code, text.decode()

    def test_refusals(self):
        with self.submission() as s:
            code, text = self.mail_reply(s, [f"HOLDFOR={MAX + 1}"])
            self.assertEqual((code, text[:5]), (554, "5.5.4"), text)
            far = (datetime.now(timezone.utc) + timedelta(seconds=MAX + 600))
            code, text = self.mail_reply(
                s, ["HOLDUNTIL=" + far.strftime("%Y-%m-%dT%H:%M:%SZ")])
            self.assertEqual((code, text[:5]), (554, "5.5.4"), text)
            for bad in (["HOLDFOR=abc"], ["HOLDFOR=1000000000"],
                        ["HOLDFOR=-1"], ["HOLDUNTIL=tomorrow"],
                        ["HOLDUNTIL=2037-01-01T00:00:00"],
                        ["HOLDFOR=5", "HOLDUNTIL=2037-01-01T00:00:00Z"]):
                code, text = self.mail_reply(s, bad)
                self.assertEqual((code, text[:5]), (501, "5.5.4"),
                                 (bad, text))
            code, text = self.mail_reply(s, ["HOLDFOR=60"])
            self.assertEqual(code, 250, text)
        # port 25: not offered, an unknown parameter
        with smtplib.SMTP("127.0.0.1", self.pr.port, timeout=30) as s:
            s.ehlo("client.test")
            code, text = self.mail_reply(s, ["HOLDFOR=60"])
            self.assertEqual((code, text[:5]), (555, "5.5.4"), text)
        # submission without AUTH
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.starttls(context=client_tls_context())
            s.ehlo("client.test")
            code, text = self.mail_reply(s, ["HOLDFOR=60"])
            self.assertEqual((code, text[:5]), (530, "5.7.0"), text)

    # ---- postroomctl -----------------------------------------------------

    def held_id(self, subject):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for line in self.pr.ctl("queue", "list").stdout.splitlines():
                if "release=" in line:
                    qid = line.split()[0]
                    show = self.pr.ctl("queue", "show", qid).stdout
                    if f"Subject: {subject}" in show:
                        return qid, line, show
            time.sleep(0.1)
        self.fail("not held:\n" + self.pr.ctl("queue", "list").stdout)

    def test_ctl_list_flush_release_delete(self):
        self.submit("ctl-release", ["HOLDFOR=3600"], rcpts=(BOB,))
        self.submit("ctl-delete", ["HOLDFOR=3600"], rcpts=(BOB,))
        qid, line, show = self.held_id("ctl-release")
        want = datetime.now(timezone.utc) + timedelta(seconds=3600)
        shown = re.search(r'release="([^"]+) UTC"', line).group(1)
        shown = datetime.strptime(shown, "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=timezone.utc)
        self.assertLess(abs((shown - want).total_seconds()), 60, line)
        self.assertIn("release_request: for;3600", show)
        self.assertIn("held)", show)
        # flush retries deferred mail, but a hold is the sender's choice
        self.pr.ctl("queue", "flush")
        time.sleep(1.5)
        self.assert_not_delivered("ctl-release")
        # release: now
        out = self.pr.ctl("queue", "release", qid).stdout
        self.assertIn("released", out)
        self.wait_delivered("ctl-release", remote=False, timeout=20)
        # delete: cancelled, never delivered
        qid, _, _ = self.held_id("ctl-delete")
        self.pr.ctl("queue", "delete", qid)
        self.assertNotIn(qid, self.pr.ctl("queue", "list").stdout)
        time.sleep(1)
        self.assert_not_delivered("ctl-delete")

    # ---- DSN -------------------------------------------------------------

    def test_dsn_names_the_request(self):
        with self.peer.lock:
            self.peer.rcpt_replies["nobody@far.test"] = [
                "550 5.1.1 no such user"]
        before = len(self.pr.messages(LISA))
        with self.submission() as s:
            s.sendmail(LISA, ["nobody@far.test"], message("dsn-held"),
                       mail_options=["HOLDFOR=2"])
        msgs = self.pr.wait_messages(LISA, before + 1, timeout=40)
        dsn = msgs[-1]
        self.assertIn(b"multipart/report", dsn)
        self.assertIn(b"Future-Release-Request: for;2", dsn)
        self.assertIn(b"Action: failed", dsn)


class FutureReleaseRestartTest(unittest.TestCase):
    """The hold is in the queue file: a clean restart and a kill -9 of
    every process keep it, and it still goes at its time, not before."""

    def setUp(self):
        self.pr = Postroom(sections={"queue": {"run_interval": "1h"}})
        self.pr.start()
        self.pr.add_user(BOB)
        self.pr.add_user(LISA, "lisa-pw")

    def tearDown(self):
        code = self.pr.stop()
        self.pr.cleanup()
        assert code in (0, None), f"postroomd exited {code}"

    def submit(self, subject, secs):
        start = time.monotonic()
        with smtplib.SMTP("127.0.0.1", self.pr.submission, timeout=30) as s:
            s.starttls(context=client_tls_context())
            s.login(LISA, "lisa-pw")
            s.sendmail(LISA, [BOB], message(subject),
                       mail_options=[f"HOLDFOR={secs}"])
        return start

    def wait_deferred(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.pr.queue_files("deferred"):
                return
            time.sleep(0.05)
        self.fail("not held in deferred/")

    def check_after(self, subject, sent, secs):
        self.assertEqual(count_subject(self.pr.messages(BOB), subject), 0)
        deadline = time.monotonic() + secs + 30
        while time.monotonic() < deadline:
            if count_subject(self.pr.messages(BOB), subject):
                break
            time.sleep(0.05)
        self.assertEqual(count_subject(self.pr.messages(BOB), subject), 1,
                         self.pr.log()[-3000:])
        self.assertGreaterEqual(time.monotonic() - sent, secs)

    def test_hold_survives_restart(self):
        sent = self.submit("restart", 8)
        self.wait_deferred()
        self.assertEqual(self.pr.stop(), 0)
        self.pr.start()
        self.check_after("restart", sent, 8)

    def test_hold_survives_kill_9(self):
        sent = self.submit("kill-9", 8)
        self.wait_deferred()
        self.pr.kill_all()
        self.pr.start()
        self.check_after("kill-9", sent, 8)


if __name__ == "__main__":
    unittest.main()
