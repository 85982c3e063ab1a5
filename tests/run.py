#!/usr/bin/env python3
"""Runs every test: the C unit tests (meson test --suite unit) and the
integration tests in tests/integration (real clients against the built
daemon). Prints one closing line "N passed, N failed" and exits non-zero on
any failure, including a sanitizer report from any process."""
import argparse
import os
import re
import subprocess
import sys
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def run_integration(build, long, pattern):
    os.environ["POSTROOM_BUILD"] = os.path.join(ROOT, build)
    if long:
        os.environ["POSTROOM_LONG"] = "1"
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    loader = unittest.TestLoader()
    suite = loader.discover(os.path.join(ROOT, "tests", "integration"),
                            pattern=pattern, top_level_dir=os.path.join(
                                ROOT, "tests", "integration"))
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    bad = len(result.failures) + len(result.errors)
    skipped = len(result.skipped)
    return result.testsRun - bad - skipped, bad, skipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-asan")
    ap.add_argument("--long", action="store_true")
    ap.add_argument("--only", choices=["unit", "integration"])
    ap.add_argument("--pattern", default="test_*.py")
    args = ap.parse_args()
    started = time.monotonic()
    passed = failed = skipped = 0
    if args.only in (None, "unit"):
        ok, bad = run_unit(args.build)
        print(f"unit: {ok} passed, {bad} failed")
        passed += ok
        failed += bad
    if args.only in (None, "integration"):
        ok, bad, skip = run_integration(args.build, args.long, args.pattern)
        print(f"integration: {ok} passed, {bad} failed, {skip} skipped")
        passed += ok
        failed += bad
        skipped += skip
    print(f"took {time.monotonic() - started:.0f}s")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
