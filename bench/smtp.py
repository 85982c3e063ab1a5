#!/usr/bin/env python3
"""bench/smtp: messages per second accepted (250 after fsync) and durably
delivered into mailboxes, with 20 concurrent SMTP sessions, for 4 KB and
100 KB messages to 1 and 10 local recipients; and the peak memory of all
postroomd processes. Reports figures; asserts nothing. Loopback only."""
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-release")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    runs = [(4096, 1, 4000), (102400, 1, 1000), (4096, 10, 1000),
            (102400, 10, 300)]
    if args.quick:
        runs = [(s, r, max(50, c // 10)) for s, r, c in runs]
    print(f"bench/smtp: {args.sessions} sessions, {os.cpu_count()} cores")
    print(f"{'size':>7} {'rcpts':>5} {'msgs':>6} {'accepted/s':>11} "
          f"{'delivered/s':>12} {'deliveries/s':>13} {'peak RSS MiB':>13}")
    for size, rcpts, count in runs:
        r = scenario(args.build, size, rcpts, count, args.sessions)
        print(f"{size // 1024:>6}K {rcpts:>5} {count:>6} "
              f"{r['accepted_per_s']:>11.0f} {r['delivered_per_s']:>12.0f} "
              f"{r['deliveries_per_s']:>13.0f} {r['peak_rss_mib']:>13.1f}",
              flush=True)


if __name__ == "__main__":
    main()
