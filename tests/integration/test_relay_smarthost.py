"""relay through a smarthost with STARTTLS and AUTH (another postroomd's
submission port: all remote mail goes there, whatever the domain), and the
delay-warning DSN: a peer that keeps answering 4xx makes qmgr send one
"delayed" DSN to the sender, then the message is delivered exactly once
when the peer recovers. Loopback only; dnsmasq serves the MX records."""
import email
import email.policy
import smtplib
import time
import unittest

from harness import Postroom, free_port
from relay_fixtures import Dnsmasq, FakeSmtp, port_free_on

A, HUB, PEER = "127.0.0.11", "127.0.0.12", "127.0.0.13"


def send(pr, sender, password, rcpts, subject):
    msg = (f"From: {sender}\r\nTo: {', '.join(rcpts)}\r\n"
           f"Subject: {subject}\r\nMessage-ID: <{subject}@otherisp.test>"
           f"\r\n\r\nbody of {subject}\r\n").encode()
    with smtplib.SMTP(pr.listen, pr.submission, timeout=30) as s:
        s.login(sender, password)
        s.sendmail(sender, rcpts, msg)
    return msg


def wait(pr, cond, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        pr.ctl("queue", "flush")
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}\n"
                         f"{pr.ctl('queue', 'list').stdout}\n"
                         f"{pr.log()[-3000:]}")


def wait_log(pr, text, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in pr.log():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{pr.log()[-3000:]}")


class SmarthostTest(unittest.TestCase):
    def test_all_remote_mail_through_the_smarthost_with_auth(self):
        hub = Postroom(hostname="hub.test", listen=HUB,
                       main={"plaintext_auth_loopback": "no"})
        hub.start()
        pr = None
        try:
            # The hub knows lisa (so she may send as herself there) and
            # hosts bob's domain.
            hub.add_user("lisa@otherisp.test", "hub-pw")
            hub.add_user("bob@comentum.test", "bob-pw")
            pr = Postroom(hostname="mx.otherisp.test", listen=A, sections={
                "relay": {"smarthost": f"{HUB}:{hub.submission}",
                          "smarthost_user": "lisa@otherisp.test",
                          "smarthost_password": "hub-pw"}})
            pr.start()
            pr.add_user("lisa@otherisp.test", "lisa-pw")
            msg = send(pr, "lisa@otherisp.test", "lisa-pw",
                       ["bob@comentum.test"], "via-hub")
            stored = hub.wait_messages("bob@comentum.test", 1)[0]
            self.assertTrue(stored.endswith(msg), stored[-200:])
            # The hub took it on submission, over TLS, authenticated.
            self.assertIn(b"with ESMTPSA", stored)
            self.assertIn("lisa@otherisp.test", hub.log())
            wait(pr, lambda: "0 messages queued" in
                 pr.ctl("queue", "list").stdout, "an empty queue")
            self.assertEqual(pr.stop(), 0)
        finally:
            if pr is not None:
                pr.cleanup()
            hub.stop()
            hub.cleanup()

    def test_wrong_smarthost_password_defers(self):
        hub = Postroom(hostname="hub.test", listen=HUB)
        hub.start()
        pr = None
        try:
            hub.add_user("lisa@otherisp.test", "hub-pw")
            hub.add_user("bob@comentum.test", "bob-pw")
            pr = Postroom(hostname="mx.otherisp.test", listen=A, sections={
                "relay": {"smarthost": f"{HUB}:{hub.submission}",
                          "smarthost_user": "lisa@otherisp.test",
                          "smarthost_password": "wrong"}})
            pr.start()
            pr.add_user("lisa@otherisp.test", "lisa-pw")
            send(pr, "lisa@otherisp.test", "lisa-pw", ["bob@comentum.test"],
                 "bad-auth")
            wait(pr, lambda: "deferred" in pr.ctl("queue", "list").stdout,
                 "a deferral")
            self.assertEqual(hub.messages("bob@comentum.test"), [])
            self.assertEqual(pr.messages("lisa@otherisp.test"), [],
                             "an AUTH failure is temporary: no bounce")
        finally:
            if pr is not None:
                pr.cleanup()
            hub.stop()
            hub.cleanup()


class DelayWarningTest(unittest.TestCase):
    def test_one_delay_dsn_then_delivered_once(self):
        port = None
        for _ in range(50):
            port = free_port()
            if port_free_on(PEER, port):
                break
        dns = Dnsmasq(mx=[("slow.test", "mx.slow.test", 10)],
                      hosts=[("mx.slow.test", PEER)])
        peer = FakeSmtp(PEER, port)
        peer.rcpt_replies["x@slow.test"] = ["451 4.3.0 busy"] * 2
        pr = Postroom(hostname="mx.otherisp.test", listen=A, sections={
            "relay": {"dns_server": dns.server, "mx_port": port},
            "queue": {"run_interval": "1h", "min_backoff": "1s",
                      "max_backoff": "1s", "delay_warning": "2s"}})
        try:
            pr.start()
            pr.add_user("lisa@otherisp.test", "lisa-pw")
            send(pr, "lisa@otherisp.test", "lisa-pw", ["x@slow.test"],
                 "slow")
            # First attempt: 451, deferred while the message is young.
            wait_log(pr, "attempts=1", "the first deferral")
            self.assertEqual(pr.messages("lisa@otherisp.test"), [])
            # Second attempt past delay_warning: 451 again, one warning.
            time.sleep(2.5)
            pr.ctl("queue", "flush")
            wait_log(pr, "attempts=2", "the second deferral")
            # Then the peer takes it.
            wait(pr, lambda: len(peer.messages) == 1, "the delivery")
            time.sleep(1.5)
            self.assertEqual(len(peer.messages), 1, "delivered once")
            dsns = pr.messages("lisa@otherisp.test")
            self.assertEqual(len(dsns), 1, "one delay warning")
            msg = email.message_from_bytes(dsns[0],
                                           policy=email.policy.default)
            self.assertEqual(msg.get_content_type(), "multipart/report")
            self.assertIn("Return-Path: <>", dsns[0].decode()[:40])
            status = msg.get_payload()[1].get_payload()
            rcpt = dict((k.lower(), str(v)) for k, v in status[1].items())
            self.assertEqual(rcpt["action"], "delayed")
            self.assertTrue(rcpt["status"].startswith("4."), rcpt)
            self.assertIn("x@slow.test", rcpt["final-recipient"])
            self.assertEqual(pr.stop(), 0)
        finally:
            pr.cleanup()
            peer.stop()
            dns.stop()


if __name__ == "__main__":
    unittest.main()
