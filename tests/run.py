#!/usr/bin/env python3
"""Runs every unit test binary and every functional test, then prints one
closing line: `N passed, N failed`.

Unit binaries (build/tests/test_*) are cmocka programs; each test case counts.
Functional tests (tests/functional/test_*.py) and the tests of the tools
(tests/tools/test_*.py, which need no cairnd) count one each and run in
parallel (--jobs); a test file may declare `PARALLEL = False` to run alone.
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_unit(path):
    start = time.time()
    env = dict(os.environ, CAIRN_ROOT=ROOT)
    try:
        p = subprocess.run([path], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=600)
        out, rc = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode(errors="replace") + "\ntimed out", 1
    passed = sum(int(m) for m in re.findall(r"\[  PASSED  \] (\d+) test", out))
    failed = sum(int(m) for m in re.findall(r"\[  FAILED  \] (\d+) test", out))
    if rc != 0 and failed == 0:
        failed = 1  # crashed, or a sanitizer stopped it
    return os.path.basename(path), passed, failed, out, time.time() - start


def run_functional(path, build):
    start = time.time()
    env = dict(os.environ, CAIRN_ROOT=ROOT, CAIRN_BUILD=os.path.join(ROOT, build),
               PYTHONPATH=os.path.join(ROOT, "tests", "functional"))
    try:
        p = subprocess.run([sys.executable, path], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=600)
        out, ok = p.stdout + p.stderr, p.returncode == 0
    except subprocess.TimeoutExpired as e:
        out, ok = (e.stdout or b"").decode(errors="replace") + "\ntimed out", False
    return os.path.basename(path), int(ok), int(not ok), out, time.time() - start


def sequential(path):
    with open(path, encoding="utf-8") as f:
        return re.search(r"^PARALLEL\s*=\s*False", f.read(), re.M) is not None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--unit-only", action="store_true")
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("filter", nargs="*", help="run only tests whose name holds one of these")
    args = ap.parse_args()

    def wanted(name):
        return not args.filter or any(f in name for f in args.filter)

    tdir = os.path.join(ROOT, args.build, "tests")
    units = sorted(os.path.join(tdir, n) for n in os.listdir(tdir)
                   if n.startswith("test_") and wanted(n)) if os.path.isdir(tdir) else []
    funcs = [] if args.unit_only else sorted(
        os.path.join(d, n)
        for d in (os.path.join(ROOT, "tests", "functional"), os.path.join(ROOT, "tests", "tools"))
        for n in os.listdir(d)
        if n.startswith("test_") and n.endswith(".py") and wanted(n))

    results = []

    def report(r):
        name, p, f, out, secs = r
        print(f"{'ok  ' if f == 0 else 'FAIL'} {name:40s} {p} passed, {f} failed ({secs:.1f}s)", flush=True)
        if f:
            print("\n".join("    " + l for l in out.rstrip().splitlines()[-80:]), flush=True)
        results.append(r)

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        for r in ex.map(run_unit, units):
            report(r)
    par = [f for f in funcs if not sequential(f)]
    seq = [f for f in funcs if sequential(f)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for r in ex.map(lambda f: run_functional(f, args.build), par):
            report(r)
    for f in seq:
        report(run_functional(f, args.build))

    passed = sum(r[1] for r in results)
    failed = sum(r[2] for r in results)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
