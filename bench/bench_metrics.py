#!/usr/bin/env python3
"""How fast GET /metrics answers on a busy node: a regtest cairnd with
-metrics, 101 blocks and a few payments, every RPC method called once (so
each has its request counter and latency histogram), and --peers inbound
peers that finished the handshake (raw loopback connections from
127.0.0.x sources). Times --scrapes requests over one keep-alive
connection and prints the median, 95th percentile and worst, with the
page's size. The target is under 5 ms (docs/performance.md); a median
above it fails the run.

Usage: bench_metrics.py --build DIR [--peers N] [--scrapes N]"""
import argparse
import base64
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "functional"))
from p2p_util import RawPeer  # noqa: E402

TARGET_MS = 5.0
# Methods that would end the run or change what is measured.
SKIP = {"stop", "unloadwallet", "setnetworkactive", "clearbanned"}

_ports = set()


def free_port():
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports:
            _ports.add(port)
            return port


class Client:
    def __init__(self, port, auth):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": "Basic " + auth, "Content-Type": "application/json"}

    def call(self, method, *params, check=True):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        self.conn.request("POST", "/", body, self.headers)
        reply = json.loads(self.conn.getresponse().read())
        if check and reply.get("error"):
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result")


def start(build, datadir, rpc_port, p2p_port, peers):
    cmd = [os.path.join(build, "cairnd"), "-regtest", f"-datadir={datadir}", f"-rpcport={rpc_port}",
           f"-port={p2p_port}", "-bind=127.0.0.1", "-metrics", f"-maxconnections={peers + 20}",
           "-persistmempool=0", "-fallbackfee=0.0002"]  # a fresh chain has no fee estimates
    node = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    cookie = os.path.join(datadir, "regtest", ".cookie")
    while True:
        try:
            with open(cookie) as f:
                auth = base64.b64encode(f.read().strip().encode()).decode()
            c = Client(rpc_port, auth)
            c.call("getblockcount")
            return node, c
        except (OSError, RuntimeError, http.client.HTTPException, ValueError):
            if node.poll() is not None or time.monotonic() - t0 > 60:
                node.kill()
                raise SystemExit("bench_metrics: cairnd did not start")
            time.sleep(0.01)


def call_every_method(c):
    """Every method `help` lists, once, without params: most refuse for
    want of an argument, which counts as a call all the same."""
    names = [line.split()[0] for line in c.call("help").splitlines()
             if line and not line.startswith("==") and line.split()[0].islower()]
    for name in names:
        if name not in SKIP:
            c.call(name, check=False)
    return len(names)


def connect_peers(p2p_port, n):
    peers = []
    for i in range(n):
        p = RawPeer(p2p_port, source=f"127.0.{1 + i // 250}.{1 + i % 250}", timeout=10)
        p.handshake()
        peers.append(p)
    return peers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--peers", type=int, default=500)
    ap.add_argument("--scrapes", type=int, default=300)
    args = ap.parse_args()
    build = os.path.join(ROOT, args.build)
    datadir = tempfile.mkdtemp(prefix="cairn-bench-")
    rpc_port, p2p_port = free_port(), free_port()
    node, c = start(build, datadir, rpc_port, p2p_port, args.peers)
    peers = []
    try:
        addr = c.call("getnewaddress")
        c.call("generatetoaddress", 101, addr)
        for _ in range(5):
            c.call("sendtoaddress", c.call("getnewaddress"), 1)
        methods = call_every_method(c)
        peers = connect_peers(p2p_port, args.peers)
        got = c.call("getconnectioncount")
        if got != args.peers:
            raise SystemExit(f"bench_metrics: {got} peers connected, not {args.peers}")
        conn = http.client.HTTPConnection("127.0.0.1", rpc_port, timeout=60)
        times, size, text = [], 0, ""
        for _ in range(args.scrapes):
            t = time.perf_counter()
            conn.request("GET", "/metrics")
            r = conn.getresponse()
            text = r.read().decode()
            times.append((time.perf_counter() - t) * 1000)
            if r.status != 200:
                raise SystemExit(f"bench_metrics: /metrics answered {r.status}")
            size = len(text)
        inbound = [line for line in text.splitlines() if line.startswith('cairn_peers{direction="inbound"}')]
        if inbound != [f'cairn_peers{{direction="inbound"}} {args.peers}']:
            raise SystemExit(f"bench_metrics: the page says {inbound}")
        series = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
        times.sort()
        med = statistics.median(times)
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"GET /metrics, {args.peers} peers, {methods} RPC methods called: {series} series, {size} bytes; "
              f"median {med:.2f} ms, p95 {p95:.2f} ms, max {times[-1]:.2f} ms over {args.scrapes} scrapes "
              f"(target < {TARGET_MS:.0f} ms)")
        if med > TARGET_MS:
            raise SystemExit(f"bench_metrics: median {med:.2f} ms is over {TARGET_MS} ms")
    finally:
        for p in peers:
            p.close()
        node.terminate()
        try:
            node.wait(timeout=30)
        except subprocess.TimeoutExpired:
            node.kill()
            node.wait()
        shutil.rmtree(datadir, ignore_errors=True)


if __name__ == "__main__":
    main()
