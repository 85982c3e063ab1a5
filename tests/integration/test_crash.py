"""Crash safety: several clients send at least 500 messages while random
postroomd processes (the master, smtpd workers, qmgr, deliver) are killed
with SIGKILL and the daemon restarted. Afterwards every message that got a
250 is in its mailbox byte for byte, and nothing half-written is visible."""
import hashlib
import os
import random
import signal
import smtplib
import threading
import time
import unittest

from harness import LONG, Postroom, body_of

MESSAGES = 2000 if LONG else 500
CLIENTS = 6
USERS = ["u%d@crash.test" % i for i in range(4)]


def make_message(n):
    rnd = random.Random(n)
    size = rnd.choice([300, 2000, 9000, 40000])
    body = "".join(rnd.choice("abcdefghij klmnop\r\n") for _ in range(size))
    body = body.replace("\r\n.", "\r\n_").replace("\r\r", "\r").replace("\n\n", "\n")
    text = body.replace("\r\n", "\n").replace("\r", "").replace("\n", "\r\n")
    msg = (f"Message-ID: <crash-{n}@client.test>\r\nSubject: crash {n}\r\n"
           f"X-Digest: {hashlib.sha256(text.encode()).hexdigest()}\r\n\r\n"
           f"{text}\r\nend of {n}\r\n").encode()
    return msg


class CrashTest(unittest.TestCase):
    def test_kill9_loses_nothing_acknowledged(self):
        pr = Postroom(workers=2)
        try:
            self.run_crash(pr)
        finally:
            pr.cleanup()

    def run_crash(self, pr):
        pr.start()
        for u in USERS:
            pr.add_user(u)
        acked = {}  # n -> (user, bytes)
        lock = threading.Lock()
        counter = iter(range(MESSAGES * 20))
        stop = threading.Event()
        restart_lock = threading.Lock()
        kills = {"master": 0, "child": 0}

        def client():
            while True:
                with lock:
                    # At least MESSAGES, and on until enough kills landed.
                    if len(acked) >= MESSAGES and kills["child"] >= 12 \
                            and kills["master"] >= 2:
                        return
                    n = next(counter, None)
                    if n is None:
                        return
                user = USERS[n % len(USERS)]
                msg = make_message(n)
                for attempt in range(200):
                    try:
                        with smtplib.SMTP("127.0.0.1", pr.port, timeout=20) as s:
                            s.sendmail("sender@client.test", [user], msg)
                        with lock:
                            acked[n] = (user, msg)
                        break
                    except (OSError, smtplib.SMTPException):
                        time.sleep(0.05)
                else:
                    raise AssertionError(f"message {n} never accepted")

        def killer():
            rnd = random.Random(1)
            while not stop.wait(rnd.uniform(0.05, 0.3)):
                with restart_lock:
                    if pr.proc is None:
                        continue
                    if rnd.random() < 0.1:
                        kills["master"] += 1
                        pr.kill_all()
                        pr.start(wait=False)
                        try:
                            pr.wait_ready(60)
                        except AssertionError:
                            pass
                    else:
                        pids = pr.children()
                        if pids:
                            kills["child"] += 1
                            try:
                                os.kill(rnd.choice(pids), signal.SIGKILL)
                            except ProcessLookupError:
                                pass

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        k = threading.Thread(target=killer)
        k.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join(900)
        stop.set()
        k.join()
        self.assertGreaterEqual(len(acked), MESSAGES)
        self.assertGreaterEqual(kills["child"], 12)
        self.assertGreaterEqual(kills["master"], 2)
        # Settle: a fresh start delivers whatever the kills left queued.
        pr.kill_all()
        pr.start()
        pr.settle()
        stored = {}
        for u in USERS:
            for m in pr.messages(u):
                stored.setdefault(u, []).append(body_of(m))
        sent_bodies = {msg for (_, msg) in acked.values()}
        missing = [n for n, (u, msg) in acked.items()
                   if msg not in stored.get(u, [])]
        half = [b[:80] for u in stored for b in stored[u]
                if b not in sent_bodies]
        print(f"\n  crash: {len(acked)} acknowledged, kills master="
              f"{kills['master']} child={kills['child']}, stored="
              f"{sum(len(v) for v in stored.values())}, missing="
              f"{len(missing)}, partial={len(half)}")
        self.assertEqual(missing, [], f"lost: {missing[:20]}")
        self.assertEqual(half, [], "partial or altered messages stored")
        self.assertEqual(pr.queue_files("tmp"), [])
        self.assertEqual(pr.stop(), 0)


if __name__ == "__main__":
    unittest.main()
