#!/usr/bin/env python3
"""Runs every libFuzzer harness for a while, one after another (or --jobs
at a time), each on a copy of its seed corpus and with its dictionary:

    python3 tests/fuzz/run_long.py [--minutes 1] [--jobs 1] [--bin build/fuzz] [HARNESS...]

`make fuzz-long MINUTES=N` builds the harnesses first and runs this. The
seeds of tests/fuzz/corpus/<harness> are copied into
build/fuzz/corpus/<harness>, where libFuzzer also keeps what it finds (so
the tree stays clean and later runs start from there); crash, leak,
timeout and out-of-memory inputs go to build/fuzz/crashes/, each run's
output to build/fuzz/logs/<harness>.log. Prints per harness the
executions, the coverage (libFuzzer's cov: edges and ft: features at the
end) and the crashes, writes the same table to build/fuzz/fuzz-long.md,
and exits 1 if any harness crashed."""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The dictionary of each harness of a text format (tests/fuzz/dict/NAME.dict).
DICTS = {
    "fuzz_rpc_body": "jsonrpc", "fuzz_cli_reply": "jsonrpc", "fuzz_rpc_methods": "jsonrpc",
    "fuzz_rest_url": "rest", "fuzz_conf": "conf", "fuzz_cmdline": "conf",
    "fuzz_proof_bundle": "proof_json", "fuzz_proof2_json": "proof_json",
}
ARTIFACTS = ("crash-", "leak-", "timeout-", "oom-", "slow-unit-")


def harnesses(only):
    names = sorted(os.path.basename(f)[:-2] for f in glob.glob(os.path.join(HERE, "fuzz_*.c")))
    if only:
        unknown = set(only) - set(names)
        if unknown:
            sys.exit("no such harness: " + " ".join(sorted(unknown)))
        names = [n for n in names if n in only]
    return names


def prepare_corpus(name, work):
    """build/fuzz/corpus/<name> holding at least the committed seeds."""
    dest = os.path.join(work, "corpus", name)
    os.makedirs(dest, exist_ok=True)
    seeds = glob.glob(os.path.join(HERE, "corpus", name, "*"))
    for s in seeds:
        d = os.path.join(dest, os.path.basename(s))
        if not os.path.exists(d):
            shutil.copyfile(s, d)
    return dest, len(seeds)


def parse(log):
    """(executions, cov, ft, corpus entries, exec/s) from a libFuzzer log."""
    execs = cov = ft = corp = rate = None
    for line in log.splitlines():
        m = re.match(r"#(\d+)\s+\S+\s+(.*)", line)
        if m and "cov:" in line:
            execs = int(m.group(1))
            f = dict(re.findall(r"([\w/]+): (\S+)", m.group(2)))
            cov, ft = int(f.get("cov", 0)), int(f.get("ft", 0))
            corp = f.get("corp", "").split("/")[0] or None
            rate = f.get("exec/s", rate)
        m = re.match(r"stat::number_of_executed_units: (\d+)", line)
        if m:
            execs = int(m.group(1))
        m = re.match(r"stat::average_exec_per_sec: (\d+)", line)
        if m:
            rate = m.group(1)
    return execs, cov, ft, corp, rate


def run_one(name, a):
    binary = os.path.join(a.bin, name)
    corpus, n_seeds = prepare_corpus(name, a.work)
    crashes = os.path.join(a.work, "crashes")
    os.makedirs(crashes, exist_ok=True)
    logs = os.path.join(a.work, "logs")
    os.makedirs(logs, exist_ok=True)
    prefix = os.path.join(crashes, name + "-")
    before = set(glob.glob(prefix + "*"))
    cmd = [binary, f"-max_total_time={int(a.minutes * 60)}", "-print_final_stats=1",
           f"-artifact_prefix={prefix}", f"-timeout={a.timeout}", f"-rss_limit_mb={a.rss_limit_mb}"]
    if name in DICTS and os.path.exists(os.path.join(HERE, "dict", DICTS[name] + ".dict")):
        cmd.append("-dict=" + os.path.join(HERE, "dict", DICTS[name] + ".dict"))
    cmd.append(corpus)
    t0 = time.monotonic()
    with open(os.path.join(logs, name + ".log"), "w") as out:
        rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             cwd=a.work)
    took = time.monotonic() - t0
    with open(os.path.join(logs, name + ".log"), errors="replace") as f:
        log = f.read()
    found = sorted(set(glob.glob(prefix + "*")) - before)
    execs, cov, ft, corp, rate = parse(log)
    row = {"name": name, "seeds": n_seeds, "execs": execs, "rate": rate, "cov": cov, "ft": ft, "corpus": corp,
           "crashes": found, "rc": rc, "seconds": took, "dict": DICTS.get(name)}
    if rc != 0 and not found:
        row["crashes"] = [f"(exit status {rc}, see build/fuzz/logs/{name}.log)"]
    print(f"{name:22} {fmt(execs):>11} execs  cov {fmt(cov):>5}  ft {fmt(ft):>6}  "
          f"{'CRASH ' + ' '.join(map(os.path.basename, row['crashes'])) if row['crashes'] else 'ok'}", flush=True)
    return row


def fmt(v):
    return "-" if v is None else str(v)


def table(rows, minutes):
    lines = [f"| harness | seeds | executions | exec/s | cov | ft | corpus after | crashes |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        crash = ", ".join(os.path.basename(c) for c in r["crashes"]) or "0"
        lines.append(f"| `{r['name']}` | {r['seeds']} | {fmt(r['execs'])} | {fmt(r['rate'])} | {fmt(r['cov'])} | "
                     f"{fmt(r['ft'])} | {fmt(r['corpus'])} | {crash} |")
    total = sum(r["execs"] or 0 for r in rows)
    lines.append(f"\n{len(rows)} harnesses, {minutes:g} min each, {total} executions in all, "
                 f"{sum(1 for r in rows if r['crashes'])} crashed.")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=1)
    ap.add_argument("--jobs", type=int, default=1, help="harnesses run at the same time")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "fuzz"), help="where the harnesses are")
    ap.add_argument("--work", default=None, help="corpus, crashes and logs (default: --bin)")
    ap.add_argument("--timeout", type=int, default=25, help="seconds one input may take")
    ap.add_argument("--rss-limit-mb", type=int, default=2048)
    ap.add_argument("only", nargs="*", help="harnesses to run (default: all)")
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)
    a.work = os.path.abspath(a.work or a.bin)
    names = harnesses(a.only)
    missing = [n for n in names if not os.access(os.path.join(a.bin, n), os.X_OK)]
    if missing:
        sys.exit("not built (make fuzz): " + " ".join(missing))
    print(f"{len(names)} harnesses, {a.minutes:g} min each, {a.jobs} at a time", flush=True)
    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        rows = list(pool.map(lambda n: run_one(n, a), names))
    text = table(rows, a.minutes)
    with open(os.path.join(a.work, "fuzz-long.md"), "w") as f:
        f.write(text)
    print("\n" + text)
    bad = [r for r in rows if r["crashes"]]
    if bad:
        print("crashed: " + " ".join(r["name"] for r in bad) + f" (inputs in {os.path.join(a.work, 'crashes')})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
