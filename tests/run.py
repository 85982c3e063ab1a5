#!/usr/bin/env python3
"""Runs every test: the C unit tests (meson test --suite unit) and the
integration tests in tests/integration (real clients against the built
daemon). Prints one closing line "N passed, N failed" and exits non-zero on
any failure, including a sanitizer report from any process."""
import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# seconds each integration module took last time, in the build folder
DURATIONS = "integration-durations.json"


def run_unit(build):
    proc = subprocess.run(
        ["meson", "test", "-C", build, "--suite", "unit", "--print-errorlogs",
         "--num-processes", "2"],
        cwd=ROOT, text=True, capture_output=True)
    sys.stdout.write(proc.stdout[-20000:])
    sys.stderr.write(proc.stderr[-5000:])
    ok = int(re.search(r"^Ok:\s+(\d+)", proc.stdout, re.M).group(1))
    bad = sum(int(n) for n in re.findall(
        r"^(?:Fail|Unexpected Pass|Timeout):\s+(\d+)", proc.stdout, re.M))
    if proc.returncode != 0 and bad == 0:
        bad = 1
    return ok, bad


def integration_modules(pattern):
    """The integration test modules matching pattern, by file name."""
    folder = os.path.join(ROOT, "tests", "integration")
    return sorted(name[:-3] for name in os.listdir(folder)
                  if fnmatch.fnmatch(name, pattern) and name.endswith(".py"))


def load_durations(build):
    try:
        with open(os.path.join(ROOT, build, DURATIONS)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def run_module(module, slot, slots, env):
    """One module in a process of its own; its free ports come from the
    range of its slot (tests/integration/harness.py free_port), so modules
    running side by side never pick the same port. Returns (module,
    output, ran, bad, skipped, seconds)."""
    env = dict(env, POSTROOM_PORT_SLOT=str(slot),
               POSTROOM_PORT_SLOTS=str(slots))
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "unittest", "-v", module],
        cwd=os.path.join(ROOT, "tests", "integration"), env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        errors="replace")
    out = proc.stdout
    ran = sum(int(n) for n in re.findall(r"^Ran (\d+) tests?", out, re.M))
    bad = sum(int(n) for n in re.findall(
        r"(?:failures|errors)=(\d+)", "\n".join(
            re.findall(r"^FAILED \((.*)\)$", out, re.M))))
    skipped = sum(int(n) for n in re.findall(r"skipped=(\d+)", "\n".join(
        re.findall(r"^(?:OK|FAILED) \((.*)\)$", out, re.M))))
    if proc.returncode != 0 and bad == 0:
        bad = 1  # an import error, a crash: the module failed as a whole
    return module, out, ran, bad, skipped, time.monotonic() - started


def run_integration(build, long, pattern, jobs):
    """Runs the modules on jobs slots at once, the longest first (from
    the durations of the last run), and prints each module's output whole
    when it ends."""
    env = dict(os.environ, POSTROOM_BUILD=os.path.join(ROOT, build))
    if long:
        env["POSTROOM_LONG"] = "1"
    durations = load_durations(build)
    modules = sorted(integration_modules(pattern),
                     key=lambda m: -durations.get(m, 60.0))
    pending = list(modules)
    lock = threading.Lock()
    results = []

    def worker(slot):
        while True:
            with lock:
                if not pending:
                    return
                module = pending.pop(0)
            result = run_module(module, slot, jobs, env)
            with lock:
                results.append(result)
                name, out, ran, bad, skipped, secs = result
                sys.stdout.write(f"==== {name} ({secs:.0f}s, slot {slot})"
                                 f"{' FAILED' if bad else ''}\n{out}")
                sys.stdout.flush()

    threads = [threading.Thread(target=worker, args=(slot,))
               for slot in range(jobs)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    durations.update({r[0]: round(r[5], 1) for r in results})
    try:
        with open(os.path.join(ROOT, build, DURATIONS), "w") as f:
            json.dump(durations, f, indent=0, sort_keys=True)
    except OSError:
        pass
    failed = [r[0] for r in results if r[3]]
    if failed:
        print("failed modules: " + " ".join(sorted(failed)))
    passed = sum(max(0, r[2] - r[3] - r[4]) for r in results)
    return passed, sum(r[3] for r in results), sum(r[4] for r in results)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-asan")
    ap.add_argument("--long", action="store_true")
    ap.add_argument("--only", choices=["unit", "integration"])
    ap.add_argument("--pattern", default="test_*.py")
    ap.add_argument("--jobs", type=int,
                    default=int(os.environ.get("POSTROOM_TEST_JOBS", "2")),
                    help="integration modules run side by side")
    args = ap.parse_args()
    started = time.monotonic()
    passed = failed = skipped = 0
    if args.only in (None, "unit"):
        ok, bad = run_unit(args.build)
        print(f"unit: {ok} passed, {bad} failed")
        passed += ok
        failed += bad
    if args.only in (None, "integration"):
        ok, bad, skip = run_integration(args.build, args.long, args.pattern,
                                          max(1, args.jobs))
        print(f"integration: {ok} passed, {bad} failed, {skip} skipped")
        passed += ok
        failed += bad
        skipped += skip
    print(f"took {time.monotonic() - started:.0f}s")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
