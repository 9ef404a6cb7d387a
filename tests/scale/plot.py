#!/usr/bin/env python3
"""Block propagation curves from scale harness runs, drawn by gnuplot.

    python3 tests/scale/plot.py [--out docs/scale-propagation.png] RUN.json...

For each run JSON (tests/scale/scale.py --out), the fraction of nodes that
have a block against the milliseconds since it was mined: the median curve
over the run's blocks (the k-th arrival is the median of every block's k-th
arrival), one curve per run. Without gnuplot it says so and exits 0: the
picture is not part of `make scale`."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def median(values):
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def median_curve(rows):
    """(ms, fraction) points of the median arrival curve of rows (blocks
    that reached every node)."""
    full = [r["arrivals_ms"] for r in rows if r.get("arrivals_ms") and r["reached"] == r["of"]]
    if not full:
        return []
    n = min(len(a) for a in full)
    return [(median([a[k] for a in full]), (k + 1) / n) for k in range(n)]


def label(res, what):
    d = res.get("delay_ms", 0)
    link = f"{d} ± {res.get('jitter_ms', 0)} ms one way" if res.get("link_delay") == "relay" else "no added delay"
    if res.get("rate_kbit"):
        link += f", {res['rate_kbit']} kbit/s"
    if "compact_blocks" in res:
        link += ", compact blocks " + ("on" if res["compact_blocks"] else "off")
    return f"{res['nodes']} nodes, {link} ({len(res.get(what, []))} {what.replace('_', ' ')})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", help="run JSON files")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "scale-propagation.png"))
    ap.add_argument("--what", choices=("blocks", "txs", "full_blocks"), default="blocks",
                    help="full_blocks: the blocks mined once every mempool held their transactions")
    args = ap.parse_args()
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("gnuplot is not installed (apt-get install gnuplot-nox): no picture drawn")
        return 0
    curves = []
    for path in args.runs:
        if not os.path.exists(path):  # an unmatched glob of make scale
            continue
        with open(path) as f:
            res = json.load(f)
        pts = median_curve(res.get(args.what, []))
        if not pts:
            sys.exit(f"{path}: no {args.what} with per-node arrival times that reached every node")
        curves.append((label(res, args.what), pts))
    if not curves:
        print("no run to draw")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        plots = []
        for i, (name, pts) in enumerate(curves):
            data = os.path.join(tmp, f"{i}.dat")
            with open(data, "w") as f:
                f.write("0 0\n")  # the origin: the miner has it at 0 ms
                f.writelines(f"{t} {frac}\n" for t, frac in pts)
            plots.append(f"'{data}' using 1:($2*100) with steps lw 2 title \"{name}\"")
        thing = {"blocks": "block", "txs": "transaction", "full_blocks": "block of pooled transactions"}[args.what]
        mined = args.what != "txs"
        script = "\n".join([
            "set terminal pngcairo size 900,540 font ',11'",
            f"set output '{args.out}'",
            f"set title 'Share of nodes that have a {thing}, by time since it was {'mined' if mined else 'sent'}"
            f" (median)'",
            f"set xlabel 'ms since it was {'mined' if mined else 'sent'}'",
            "set ylabel '% of nodes'",
            "set yrange [0:100]", "set xrange [0:*]", "set grid", "set key bottom right",
            "set ytics 10",
            "plot " + ", ".join(plots),
        ])
        subprocess.run([gnuplot], input=script.encode(), check=True)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
