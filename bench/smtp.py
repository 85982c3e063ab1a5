#!/usr/bin/env python3
"""bench/smtp: messages per second accepted (250 after fsync) and durably
delivered into mailboxes, with 20 concurrent SMTP sessions, for 4 KB and
100 KB messages to 1 and 10 local recipients; and the peak memory of all
postroomd processes. The same load then goes, in the same run, to Debian's
Postfix delivering over LMTP into Dovecot's maildirs (tests/integration/
peers.py, with Dovecot's fsyncs on; needs root), and the ratios are
printed. Reports figures; asserts nothing. Loopback only."""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))


def peak_rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def scenario(build, size, rcpts, count, sessions):
    os.environ["POSTROOM_BUILD"] = os.path.join(ROOT, build)
    import harness
    harness.BUILD = os.environ["POSTROOM_BUILD"]
    harness.POSTROOMD = os.path.join(harness.BUILD, "servers", "postroomd", "postroomd")
    harness.POSTROOMCTL = os.path.join(harness.BUILD, "clients", "postroomctl", "postroomctl")
    pr = harness.Postroom(main={"log_level": "warn"}).start()
    try:
        users = 10
        pr.ctl("domain", "add", "bench.test")
        for i in range(users):
            pr.ctl("account", "add", f"user{i}@bench.test", input="pw\n")
        src = os.path.join(ROOT, build, "bench", "smtp_source")
        t0 = time.monotonic()
        out = subprocess.run([src, "127.0.0.1", str(pr.port), str(sessions),
                              str(count), str(size), str(rcpts),
                              f"user%d@bench.test:{users}"],
                             capture_output=True, text=True, timeout=1800)
        accepted_secs = time.monotonic() - t0
        if out.returncode != 0:
            raise SystemExit(f"smtp_source failed: {out.stdout}{out.stderr}")
        want = count * rcpts
        while True:
            have = sum(len(pr.messages(f"user{i}@bench.test"))
                       for i in range(users))
            if have >= want or time.monotonic() - t0 > 1800:
                break
            time.sleep(0.05)
        delivered_secs = time.monotonic() - t0
        mem = peak_rss_kib(pr.children() + [pr.proc.pid])
        return {"size": size, "rcpts": rcpts, "count": count,
                "accepted_per_s": count / accepted_secs,
                "delivered_per_s": count / delivered_secs,
                "deliveries_per_s": have / delivered_secs,
                "peak_rss_mib": mem / 1024}
    finally:
        pr.stop()
        pr.cleanup()


def measure(send, count_delivered, count, rcpts):
    """Runs send(); returns (accepted/s, delivered/s, deliveries/s)."""
    t0 = time.monotonic()
    send()
    accepted_secs = time.monotonic() - t0
    want = count * rcpts
    have = 0
    while time.monotonic() - t0 < 1800:
        have = count_delivered()
        if have >= want:
            break
        time.sleep(0.05)
    secs = time.monotonic() - t0
    return count / accepted_secs, count / secs, have / secs


def scenario_postfix(build, size, rcpts, count, sessions):
    """The same load to Postfix + Dovecot (LMTP, maildir, fsync on)."""
    from peers import DovecotPostfix, process_tree_peak_rss_kib
    users = 10
    peers = DovecotPostfix(domain="bench.test", durable=True)
    try:
        for i in range(users):
            peers.add_user(f"user{i}@bench.test", "pw")
        peers.start()
        src = os.path.join(ROOT, build, "bench", "smtp_source")

        def send():
            out = subprocess.run(
                [src, peers.host, str(peers.smtp), str(sessions), str(count),
                 str(size), str(rcpts), f"user%d@bench.test:{users}"],
                capture_output=True, text=True, timeout=1800)
            if out.returncode != 0:
                raise SystemExit(f"smtp_source (postfix) failed: "
                                 f"{out.stdout}{out.stderr}")

        def delivered():
            return sum(len(peers.messages(f"user{i}@bench.test"))
                       for i in range(users))

        acc, dlv, dlvs = measure(send, delivered, count, rcpts)
        mem = process_tree_peak_rss_kib([peers.postfix.pid,
                                         peers.dovecot.pid])
        return {"accepted_per_s": acc, "delivered_per_s": dlv,
                "deliveries_per_s": dlvs, "peak_rss_mib": mem / 1024}
    finally:
        peers.cleanup()


def row(name, size, rcpts, count, r):
    print(f"{name:>9} {size // 1024:>6}K {rcpts:>5} {count:>6} "
          f"{r['accepted_per_s']:>11.0f} {r['delivered_per_s']:>12.0f} "
          f"{r['deliveries_per_s']:>13.0f} {r['peak_rss_mib']:>13.1f}",
          flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-release")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-postfix", action="store_true",
                    help="skip the Postfix + Dovecot side")
    args = ap.parse_args()
    runs = [(4096, 1, 4000), (102400, 1, 1000), (4096, 10, 1000),
            (102400, 10, 300)]
    if args.quick:
        runs = [(s, r, max(50, c // 10)) for s, r, c in runs]
    print(f"bench/smtp: {args.sessions} sessions, {os.cpu_count()} cores")
    with_postfix = not args.no_postfix and os.geteuid() == 0
    print(f"{'':>9} {'size':>7} {'rcpts':>5} {'msgs':>6} {'accepted/s':>11} "
          f"{'delivered/s':>12} {'deliveries/s':>13} {'peak RSS MiB':>13}")
    for size, rcpts, count in runs:
        r = scenario(args.build, size, rcpts, count, args.sessions)
        row("postroom", size, rcpts, count, r)
        if not with_postfix:
            continue
        p = scenario_postfix(args.build, size, rcpts, count, args.sessions)
        row("postfix", size, rcpts, count, p)
        print(f"{'ratio':>9} {'':>7} {'':>5} {'':>6} "
              f"{r['accepted_per_s'] / p['accepted_per_s']:>10.2f}x "
              f"{r['delivered_per_s'] / p['delivered_per_s']:>11.2f}x "
              f"{'':>13} {r['peak_rss_mib'] / p['peak_rss_mib']:>12.2f}x",
              flush=True)


if __name__ == "__main__":
    main()
