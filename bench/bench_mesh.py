#!/usr/bin/env python3
"""The mesh's figures against real regtest cairnd processes on loopback.

1. Propagation: a 20-node mesh (a random ring plus random chords: every
   node has 2-3 peers). 20 times a random node mines a block, and 20 times
   a random node accepts a transaction; the figure is the time until the
   last node has it, p50/p90/max over the rounds.

   Arrival is read from each node's debug.log, not polled over RPC: with
   -debug=bench the mesh logs `mesh: tip HASH height H at T us` when a tip
   connects and `mesh: tx TXID height H at T us` when a transaction enters
   the mempool, T on CLOCK_MONOTONIC, which every process of the machine
   shares. So the figure is exact to the microsecond and the measuring
   costs the nodes nothing but one log line. The origin's own line is the
   start (for a block: the moment the miner connected it; for a
   transaction: the moment sendrawtransaction accepted it).

2. Initial sync: a source node builds 2,000 blocks holding 50,000 signed
   single-input transactions (tool_txgen: coinbases fanned out to 2,500
   outputs each, then spent one by one, ~26 per block); a second node
   copies the chain; then a fresh node with -connect to both is timed until
   its getblockcount reaches the tip. Reports blocks/s, transactions/s,
   the syncing node's peak memory (VmHWM), and the ratio to the raw
   libsecp256k1 verify rate that build/bench/bench_connect measures in the
   same run.

Usage: bench_mesh.py --build DIR [--nodes 20] [--rounds 20] [--only mesh|sync]
"""
import argparse
import base64
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from bench_rpc import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARK = re.compile(r"mesh: (tip|tx) ([0-9a-f]{64}) height \d+ at (\d+) us")


class Node:
    """A cairnd -regtest process with its own data directory."""

    def __init__(self, build, tmp, index, extra):
        self.index = index
        self.datadir = os.path.join(tmp, f"node{index}")
        os.makedirs(self.datadir)
        self.port, self.rpc_port = free_port(), free_port()
        self.args = [os.path.join(build, "cairnd"), "-regtest", f"-datadir={self.datadir}",
                     f"-port={self.port}", f"-rpcport={self.rpc_port}", "-bind=127.0.0.1",
                     "-rpcbind=127.0.0.1", "-printtoconsole=0", "-persistmempool=0",
                     "-disablewallet"] + extra
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.conn = None
        self.log_pos = 0
        self.log_rest = b""

    @property
    def addr(self):
        return f"127.0.0.1:{self.port}"

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        cookie = os.path.join(self.datadir, "regtest", ".cookie")
        while True:
            try:
                with open(cookie) as f:
                    self.auth = "Basic " + base64.b64encode(f.read().strip().encode()).decode()
                self.call("getblockcount")
                return
            except (OSError, RuntimeError, http.client.HTTPException):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"node{self.index} did not start")
                self.conn = None
                time.sleep(0.02)

    def post(self, body):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.rpc_port, timeout=300)
        self.conn.request("POST", "/", json.dumps(body),
                          {"Authorization": self.auth, "Content-Type": "application/json"})
        return json.loads(self.conn.getresponse().read())

    def call(self, method, *params):
        reply = self.post({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        if reply.get("error"):
            raise RuntimeError(f"node{self.index} {method}: {reply['error']}")
        return reply["result"]

    def batch(self, calls):
        replies = self.post([{"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
                             for i, (m, p) in enumerate(calls)])
        for r in replies:
            if r.get("error"):
                raise RuntimeError(f"node{self.index} batch: {r['error']}")
        return [r["result"] for r in sorted(replies, key=lambda r: r["id"])]

    def marks(self):
        """New (kind, hash, monotonic us) lines of debug.log since the last call."""
        try:
            with open(os.path.join(self.datadir, "regtest", "debug.log"), "rb") as f:
                f.seek(self.log_pos)
                data = f.read()
        except FileNotFoundError:
            return []
        self.log_pos += len(data)
        data = self.log_rest + data
        lines = data.split(b"\n")
        self.log_rest = lines.pop()
        out = []
        for line in lines:
            m = MARK.search(line.decode(errors="replace"))
            if m:
                out.append((m.group(1), m.group(2), int(m.group(3))))
        return out

    def vmhwm_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.call("stop")
                self.proc.wait(timeout=20)
            except Exception:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait()


def txgen(build, *args):
    out = subprocess.run([os.path.join(build, "bench", "tool_txgen"), *map(str, args)],
                         check=True, capture_output=True, text=True).stdout
    return out.split()


def wait(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.01)


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


# --------------------------------------------------------------------------
# propagation

def topology(n, rnd):
    """A ring over a random order plus chords between nodes of degree 2:
    connected, every node with 2 or 3 peers. Returns [(i, j)]: i connects
    to j."""
    order = list(range(n))
    rnd.shuffle(order)
    edges = {(order[k], order[(k + 1) % n]) for k in range(n)}
    degree = [2] * n
    for _ in range(n):
        i, j = rnd.sample(range(n), 2)
        if degree[i] < 3 and degree[j] < 3 and (i, j) not in edges and (j, i) not in edges:
            edges.add((i, j))
            degree[i] += 1
            degree[j] += 1
    return sorted(edges), degree


class Arrivals:
    """Per hash, per node index, the monotonic us its mark was logged."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.seen = {}

    def poll(self):
        for n in self.nodes:
            for kind, h, t in n.marks():
                self.seen.setdefault(h, {}).setdefault(n.index, t)

    def complete(self, h):
        self.poll()
        return len(self.seen.get(h, {})) == len(self.nodes)

    def spread_ms(self, h, origin):
        times = self.seen[h]
        return (max(times.values()) - times[origin]) / 1000.0


def bench_propagation(build, tmp, n_nodes, rounds):
    rnd = random.Random(20)
    nodes = [Node(build, tmp, i, ["-connect=0", "-listen=1", "-debug=bench"]) for i in range(n_nodes)]
    try:
        for n in nodes:
            n.wait_ready()
        edges, degree = topology(n_nodes, rnd)
        for i, j in edges:
            nodes[i].call("addnode", nodes[j].addr, "add")
        wait(lambda: all(n.call("getconnectioncount") == degree[k] for k, n in enumerate(nodes)),
             30, "the mesh to connect")
        arr = Arrivals(nodes)
        pay = txgen(build, "address")[0]
        tip = nodes[0].call("generatetoaddress", 101, pay)[-1]
        wait(lambda: arr.complete(tip), 60, "the first blocks to spread")
        cb = nodes[0].call("getblock", nodes[0].call("getblockhash", 1))["tx"][0]
        fan = nodes[0].call("sendrawtransaction", txgen(build, "fanout", cb, 50 * 10**8, rounds)[0])
        wait(lambda: arr.complete(fan), 60, "the fan-out transaction to spread")
        tip = nodes[0].call("generatetoaddress", 1, pay)[0]
        wait(lambda: arr.complete(tip), 60, "the fan-out block to spread")
        value = round(nodes[0].call("gettxout", fan, 0)["value"] * 10**8)
        spends = txgen(build, "spends", fan, value, rounds)

        blocks, txs = [], []
        for r in range(rounds):
            time.sleep(0.2)
            o = rnd.randrange(n_nodes)
            h = nodes[o].call("generatetoaddress", 1, pay)[0]
            wait(lambda: arr.complete(h), 30, f"block round {r}")
            blocks.append(arr.spread_ms(h, o))
        for r in range(rounds):
            time.sleep(0.2)
            o = rnd.randrange(n_nodes)
            h = nodes[o].call("sendrawtransaction", spends[r])
            wait(lambda: arr.complete(h), 60, f"transaction round {r}")
            txs.append(arr.spread_ms(h, o))
        rss = max(n.vmhwm_kib() for n in nodes)
        return blocks, txs, rss, degree
    finally:
        for n in nodes:
            n.stop()


# --------------------------------------------------------------------------
# initial sync

def build_chain(build, src, n_blocks, n_txs):
    """Mines n_blocks on src holding n_txs spends; returns the tip hash."""
    pay = txgen(build, "address")[0]
    per = 2500
    n_fans = (n_txs + per - 1) // per
    src.call("generatetoaddress", 100 + n_fans, pay)
    fans = []
    for h in range(1, n_fans + 1):
        cb = src.call("getblock", src.call("getblockhash", h))["tx"][0]
        fans.append(src.call("sendrawtransaction", txgen(build, "fanout", cb, 50 * 10**8, per)[0]))
    src.call("generatetoaddress", 1, pay)
    spends = []
    for f in fans:
        value = round(src.call("gettxout", f, 0)["value"] * 10**8)
        spends += txgen(build, "spends", f, value, per)
    spends = spends[:n_txs]
    left = n_blocks - src.call("getblockcount")
    tip = None
    for b in range(left):
        chunk = spends[b * len(spends) // left:(b + 1) * len(spends) // left]
        tip = src.batch([("sendrawtransaction", [t]) for t in chunk] + [("generatetoaddress", [1, pay])])[-1][0]
    assert src.call("getmempoolinfo")["size"] == 0
    return tip


def raw_verify_rate(build):
    """The 1-core libsecp256k1 verify rate bench_connect prints, or None."""
    tool = os.path.join(build, "bench", "bench_connect")
    if not os.path.exists(tool):
        return None
    out = subprocess.run([tool], capture_output=True, text=True).stdout
    m = re.search(r"raw[^\n]*?([\d,]+) sig/s", out)
    return int(m.group(1).replace(",", "")) if m else None


def bench_sync(build, tmp, n_blocks, n_txs):
    src = Node(build, tmp, 100, ["-connect=0", "-listen=1"])
    copy = Node(build, tmp, 101, ["-connect=0", "-listen=1"])
    fresh = None
    try:
        src.wait_ready()
        copy.wait_ready()
        t = time.monotonic()
        tip = build_chain(build, src, n_blocks, n_txs)
        built = time.monotonic() - t
        copy.call("addnode", src.addr, "add")
        wait(lambda: copy.call("getbestblockhash") == tip, 300, "the second node to copy the chain")
        height = src.call("getblockcount")
        fresh = Node(build, tmp, 102, [f"-connect={src.addr}", f"-connect={copy.addr}"])
        t0 = time.monotonic()
        fresh.wait_ready()
        wait(lambda: fresh.call("getblockcount") == height, 300, "the fresh node to sync")
        secs = time.monotonic() - t0
        assert fresh.call("getbestblockhash") == tip
        hwm = fresh.vmhwm_kib()
        txs = n_txs + (n_txs + 2499) // 2500  # signed: spends and fan-outs (not coinbases)
        return height, txs, secs, hwm, built
    finally:
        for n in (fresh, copy, src):
            if n:
                n.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--nodes", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--blocks", type=int, default=2000)
    ap.add_argument("--txs", type=int, default=50000)
    ap.add_argument("--only", choices=("mesh", "sync"))
    args = ap.parse_args()
    build = os.path.join(ROOT, args.build)
    tmp = tempfile.mkdtemp(prefix="cairn-bench-mesh-")
    try:
        if args.only != "sync":
            blocks, txs, rss, degree = bench_propagation(build, tmp, args.nodes, args.rounds)
            print(f"{args.nodes}-node mesh, degrees {min(degree)}-{max(degree)}, {args.rounds} rounds each")
            print(f"block reaching every node           : p50 {pct(blocks, .5):6.2f} ms, "
                  f"p90 {pct(blocks, .9):6.2f} ms, max {max(blocks):6.2f} ms")
            print(f"transaction reaching every node     : p50 {pct(txs, .5):6.1f} ms, "
                  f"p90 {pct(txs, .9):6.1f} ms, max {max(txs):6.1f} ms")
            print(f"peak resident memory of a mesh node : {rss / 1024:6.1f} MiB")
        if args.only != "mesh":
            raw = raw_verify_rate(build)
            height, txs, secs, hwm, built = bench_sync(build, tmp, args.blocks, args.txs)
            rate = txs / secs
            print(f"chain of {height} blocks, {txs} txs built in {built:.1f} s")
            print(f"initial sync from 2 peers           : {secs:6.2f} s, {height / secs:6.0f} blocks/s, "
                  f"{rate:6.0f} signed tx/s")
            if raw:
                print(f"  raw libsecp256k1 verify, 1 core   : {raw} sig/s; sync = {rate / raw:.2f} x 1 core, "
                      f"{rate / (2 * raw):.2f} x both cores")
            print(f"peak memory of the syncing node     : {hwm / 1024:6.1f} MiB (VmHWM)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
