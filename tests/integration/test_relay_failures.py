"""relay and qmgr against peers that fail: a 4xx then success (delivered
once), a 5xx (one DSN with the right codes, parsed with Python's email
package), a domain that does not exist, a peer that stalls and one that
sends an endless reply (timeouts, bounded memory, the message deferred and
not lost), a peer without STARTTLS for a domain that requires TLS (nothing
sent), one message to three domains with one failing, and a peer that
never answers until the queue lifetime ends (DSN). Fake peers listen on
127.0.0.4-10 at the relay's mx_port; dnsmasq serves their MX records."""
import email
import email.policy
import smtplib
import time
import unittest

from harness import Postroom, free_port
from relay_fixtures import Dnsmasq, FakeSmtp, port_free_on

PEERS = {"flaky": "127.0.0.4", "reject": "127.0.0.5", "stall": "127.0.0.7",
         "flood": "127.0.0.8", "notls": "127.0.0.9", "good": "127.0.0.10"}


def mx_port():
    for _ in range(50):
        port = free_port()
        if all(port_free_on(ip, port) for ip in
               list(PEERS.values()) + ["127.0.0.6"]):
            return port
    raise AssertionError("no free port")


def dns_for(domains):
    mx, hosts = [], []
    for domain, ip in domains.items():
        mx.append((domain, f"mx.{domain}", 10))
        hosts.append((f"mx.{domain}", ip))
    return Dnsmasq(mx=mx, hosts=hosts, nxdomain=["gone.test"])


def dsn_parts(raw):
    """(text, per-message fields, [per-recipient fields]) of a DSN."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/report", raw[:400]
    assert msg.get_param("report-type") == "delivery-status"
    parts = list(msg.iter_parts())
    assert parts[0].get_content_type() == "text/plain"
    assert parts[1].get_content_type() == "message/delivery-status"
    blocks = [b for b in parts[1].get_payload()]
    fields = [dict((k.lower(), str(v)) for k, v in b.items()) for b in blocks]
    return parts[0].get_content(), fields[0], fields[1:], msg


class RelayFailureTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = mx_port()
        domains = {f"{name}.test": ip for name, ip in PEERS.items()}
        domains.update({"ok1.test": PEERS["good"], "ok2.test": PEERS["good"]})
        cls.dns = dns_for(domains)
        cls.peers = {name: FakeSmtp(ip, cls.port) for name, ip in
                     PEERS.items() if name not in ("stall", "flood")}
        cls.peers["stall"] = FakeSmtp(PEERS["stall"], cls.port, mode="stall")
        cls.peers["flood"] = FakeSmtp(PEERS["flood"], cls.port, mode="endless")
        cls.pr = Postroom(hostname="mx.otherisp.test", listen="127.0.0.2",
                          sections={
                              "relay": {"dns_server": cls.dns.server,
                                        "mx_port": cls.port,
                                        "require_tls": "notls.test",
                                        "connect_timeout": "3s",
                                        "command_timeout": "2s",
                                        "data_timeout": "5s"},
                              "queue": {"run_interval": "1h",
                                        "min_backoff": "1s",
                                        "max_backoff": "2s",
                                        "max_lifetime": "1h"}})
        cls.pr.start()
        for user in ("flaky", "reject", "gone", "stall", "flood", "notls",
                     "multi"):
            cls.pr.add_user(f"{user}@otherisp.test", "pw")

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.pr.stop()
        finally:
            for p in cls.peers.values():
                p.stop()
            cls.dns.stop()
            cls.pr.cleanup()
        assert code == 0, f"postroomd exited {code}"

    def send(self, sender, rcpts, subject):
        msg = (f"From: {sender}\r\nTo: {', '.join(rcpts)}\r\n"
               f"Subject: {subject}\r\nMessage-ID: <{subject}@otherisp.test>"
               f"\r\n\r\nbody of {subject}\r\n").encode()
        with smtplib.SMTP(self.pr.listen, self.pr.submission,
                          timeout=30) as s:
            s.login(sender, "pw")
            s.sendmail(sender, rcpts, msg)
        return msg

    def wait(self, cond, what, timeout=60, flush=True):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            if flush:
                self.pr.ctl("queue", "flush")
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}\n"
                             f"{self.pr.ctl('queue', 'list').stdout}\n"
                             f"{self.pr.log()[-3000:]}")

    def queue_has(self, subject_rcpt):
        return subject_rcpt in self.pr.ctl("queue", "list").stdout

    def test_4xx_then_success_once(self):
        peer = self.peers["flaky"]
        peer.rcpt_replies["x@flaky.test"] = ["451 4.3.0 try again later"]
        self.send("flaky@otherisp.test", ["x@flaky.test"], "flaky")
        self.wait(lambda: len(peer.messages) == 1, "flaky delivery")
        self.wait(lambda: not self.queue_has("x@flaky.test"), "queue empty")
        time.sleep(1)
        self.assertEqual(len(peer.messages), 1)
        self.assertEqual(peer.messages[0]["rcpts"], ["x@flaky.test"])
        self.assertIn(b"body of flaky", peer.messages[0]["data"])
        self.assertIn("deferred", self.pr.log())
        self.assertEqual(self.pr.messages("flaky@otherisp.test"), [])

    def test_5xx_one_dsn(self):
        peer = self.peers["reject"]
        peer.rcpt_replies["nobody@reject.test"] = [
            "550 5.1.1 <nobody@reject.test>: no such user"]
        sent = self.send("reject@otherisp.test", ["nobody@reject.test"],
                         "rejected")
        dsns = self.pr.wait_messages("reject@otherisp.test", 1, timeout=60)
        self.wait(lambda: not self.queue_has("reject@otherisp.test"),
                  "DSN delivered")
        time.sleep(1)
        dsns = self.pr.messages("reject@otherisp.test")
        self.assertEqual(len(dsns), 1)
        self.assertIn(b"Return-Path: <>", dsns[0])
        text, per_msg, rcpts, msg = dsn_parts(dsns[0])
        self.assertIn("nobody@reject.test", text)
        self.assertEqual(per_msg["reporting-mta"], "dns; mx.otherisp.test")
        self.assertIn("arrival-date", per_msg)
        self.assertEqual(len(rcpts), 1)
        self.assertEqual(rcpts[0]["final-recipient"],
                         "rfc822; nobody@reject.test")
        self.assertEqual(rcpts[0]["action"], "failed")
        self.assertEqual(rcpts[0]["status"], "5.1.1")
        self.assertEqual(rcpts[0]["remote-mta"], "dns; mx.reject.test")
        self.assertIn("550 5.1.1", rcpts[0]["diagnostic-code"])
        self.assertEqual(msg["Auto-Submitted"], "auto-replied")
        headers = list(msg.iter_parts())[2]
        self.assertEqual(headers.get_content_type(), "text/rfc822-headers")
        self.assertIn(b"Subject: rejected", headers.get_payload(
            decode=True) or str(headers.get_payload()).encode())
        self.assertEqual(peer.messages, [])
        self.assertIn(b"body of rejected", sent)

    def test_nxdomain_bounces_at_once(self):
        self.send("gone@otherisp.test", ["someone@gone.test"], "gone")
        dsns = self.pr.wait_messages("gone@otherisp.test", 1, timeout=60)
        _, _, rcpts, _ = dsn_parts(dsns[0])
        self.assertEqual(rcpts[0]["status"], "5.1.2")
        self.assertEqual(rcpts[0]["action"], "failed")

    def relay_pid(self):
        pids = self.pr.children("relay")
        self.assertEqual(len(pids), 1)
        return pids[0]

    def test_stalling_peer_deferred(self):
        pid = self.relay_pid()
        self.send("stall@otherisp.test", ["x@stall.test"], "stalled")
        self.wait(lambda: "to=<x@stall.test>" in self.pr.log() and
                  "timed out" in self.pr.log(), "timeout", flush=False)
        self.wait(lambda: "x@stall.test" in
                  "".join(self.pr.ctl("queue", "list").stdout), "deferred",
                  flush=False)
        self.assertEqual(self.relay_pid(), pid)
        self.assertIn("x@stall.test", self.pr.ctl("queue", "list").stdout)
        self.assertEqual(self.pr.messages("stall@otherisp.test"), [])

    def test_endless_reply_deferred(self):
        pid = self.relay_pid()
        self.send("flood@otherisp.test", ["x@flood.test"], "flooded")
        self.wait(lambda: "protocol error" in self.pr.log(), "refusal",
                  flush=False)
        self.wait(lambda: "x@flood.test" in
                  self.pr.ctl("queue", "list").stdout, "deferred",
                  flush=False)
        self.assertEqual(self.relay_pid(), pid)
        with open(f"/proc/{pid}/status") as f:
            hwm = [l for l in f if l.startswith("VmHWM")][0]
        # 10 MB of reply must not have been buffered (ASan adds its own)
        self.assertLess(int(hwm.split()[1]), 400 * 1024, hwm)
        self.assertEqual(self.pr.messages("flood@otherisp.test"), [])

    def test_tls_required_not_offered(self):
        peer = self.peers["notls"]
        self.send("notls@otherisp.test", ["x@notls.test"], "needs-tls")
        self.wait(lambda: "4.7.10" in self.pr.log(), "TLS refusal",
                  flush=False)
        self.wait(lambda: "x@notls.test" in
                  self.pr.ctl("queue", "list").stdout, "deferred",
                  flush=False)
        self.assertTrue(any(c.startswith("EHLO") for c in peer.commands))
        self.assertFalse(any(c.upper().startswith("MAIL")
                             for c in peer.commands))
        self.assertEqual(peer.messages, [])

    def test_multi_recipient_one_failing(self):
        good = self.peers["good"]
        self.peers["reject"].rcpt_replies["bad@reject.test"] = [
            "550 5.1.1 no such user"]
        self.send("multi@otherisp.test",
                  ["a@ok1.test", "b@ok2.test", "bad@reject.test"], "multi")
        dsns = self.pr.wait_messages("multi@otherisp.test", 1, timeout=60)
        self.wait(lambda: len([m for m in good.messages
                               if b"body of multi" in m["data"]]) == 2,
                  "two deliveries")
        self.wait(lambda: not self.queue_has("multi@otherisp.test") and
                  not self.queue_has("bad@reject.test"), "queue empty")
        time.sleep(1)
        got = [m for m in good.messages if b"body of multi" in m["data"]]
        self.assertEqual(sorted(r for m in got for r in m["rcpts"]),
                         ["a@ok1.test", "b@ok2.test"])
        dsns = self.pr.messages("multi@otherisp.test")
        self.assertEqual(len(dsns), 1)
        _, _, rcpts, _ = dsn_parts(dsns[0])
        self.assertEqual([r["final-recipient"] for r in rcpts],
                         ["rfc822; bad@reject.test"])


class RelayLifetimeTest(unittest.TestCase):
    """No answer at all (connection refused) until max_lifetime: a DSN."""

    def setUp(self):
        self.dns = dns_for({"down.test": "127.0.0.6"})
        self.pr = Postroom(hostname="mx.otherisp.test", listen="127.0.0.2",
                           sections={
                               "relay": {"dns_server": self.dns.server,
                                         "mx_port": mx_port(),
                                         "connect_timeout": "2s",
                                         "command_timeout": "2s"},
                               "queue": {"run_interval": "1h",
                                         "min_backoff": "1s",
                                         "max_backoff": "1s",
                                         "max_lifetime": "4s"}})
        self.pr.start()
        self.pr.add_user("lisa@otherisp.test", "pw")

    def tearDown(self):
        try:
            code = self.pr.stop()
        finally:
            self.dns.stop()
            self.pr.cleanup()
        self.assertEqual(code, 0)

    def test_lifetime_then_dsn(self):
        with smtplib.SMTP(self.pr.listen, self.pr.submission,
                          timeout=30) as s:
            s.login("lisa@otherisp.test", "pw")
            s.sendmail("lisa@otherisp.test", ["x@down.test"],
                       b"From: lisa@otherisp.test\r\nSubject: never\r\n"
                       b"\r\nnever arrives\r\n")
        deadline = time.monotonic() + 60
        while not self.pr.messages("lisa@otherisp.test"):
            self.assertLess(time.monotonic(), deadline, self.pr.log())
            self.pr.ctl("queue", "flush")
            time.sleep(0.5)
        self.pr.settle()
        dsns = self.pr.messages("lisa@otherisp.test")
        self.assertEqual(len(dsns), 1)
        text, _, rcpts, _ = dsn_parts(dsns[0])
        self.assertEqual(rcpts[0]["action"], "failed")
        self.assertEqual(rcpts[0]["status"], "4.4.7")
        self.assertIn("x@down.test", text)
        self.assertIn("connect-failed", self.pr.log())


if __name__ == "__main__":
    unittest.main()
