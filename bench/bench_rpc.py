#!/usr/bin/env python3
"""Node-level figures over JSON-RPC against a real regtest cairnd:
start-up time, idle memory, generatetoaddress of empty blocks,
sendrawtransaction with 1 and 4 clients, mining a block of 5,000 mempool
transactions, memory after. Prints one line per figure."""
import argparse
import base64
import http.client
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


_ports = set()


def free_port():
    """A free port on 127.0.0.1, never the same one twice in a run (a node
    still starting has not bound the last one yet)."""
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
        self.id = 0

    def call(self, method, *params):
        self.id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self.id, "method": method, "params": list(params)})
        self.conn.request("POST", "/", body, self.headers)
        reply = json.loads(self.conn.getresponse().read())
        if reply.get("error"):
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def send_all(args):
    port, auth, hexes = args
    c = Client(port, auth)
    for h in hexes:
        c.call("sendrawtransaction", h)
    return len(hexes)


def txgen(build, *args):
    out = subprocess.run([os.path.join(build, "bench", "tool_txgen"), *map(str, args)],
                         check=True, capture_output=True, text=True).stdout
    return out.split()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--txs", type=int, default=5000)
    args = ap.parse_args()
    build = os.path.join(ROOT, args.build)
    n = args.txs
    datadir = tempfile.mkdtemp(prefix="cairn-bench-")
    port = free_port()
    cmd = [os.path.join(build, "cairnd"), "-regtest", f"-datadir={datadir}", f"-rpcport={port}",
           f"-port={free_port()}", "-persistmempool=0", "-disablewallet"]
    t0 = time.monotonic()
    node = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        cookie = os.path.join(datadir, "regtest", ".cookie")
        while True:
            try:
                with open(cookie) as f:
                    auth = base64.b64encode(f.read().strip().encode()).decode()
                c = Client(port, auth)
                c.call("getblockcount")
                break
            except (OSError, RuntimeError, http.client.HTTPException):
                if time.monotonic() - t0 > 30:
                    raise SystemExit("cairnd did not start")
                time.sleep(0.001)
        startup = (time.monotonic() - t0) * 1000
        time.sleep(0.5)
        idle = rss_kib(node.pid)
        addr = txgen(build, "address")[0]

        t = time.monotonic()
        c.call("generatetoaddress", 1000, addr)
        gen_rate = 1000 / (time.monotonic() - t)

        # Standard transactions stay under 100 kB: fan out from several coinbases.
        per = 2500
        fans = []
        for h in range(1, (2 * n + per - 1) // per + 1):
            cb = c.call("getblock", c.call("getblockhash", h))["tx"][0]
            fans.append(c.call("sendrawtransaction", txgen(build, "fanout", cb, 50 * 10**8, per)[0]))
        c.call("generatetoaddress", 1, addr)
        spends = []
        for fan_txid in fans:
            value = c.call("gettxout", fan_txid, 0)["value"]
            spends += txgen(build, "spends", fan_txid, round(value * 10**8), per)
        spends = spends[:2 * n]

        t = time.monotonic()
        send_all((port, auth, spends[:n]))
        seq_rate = n / (time.monotonic() - t)
        t = time.monotonic()
        c.call("generatetoaddress", 1, addr)
        mine1_ms = (time.monotonic() - t) * 1000
        assert c.call("getmempoolinfo")["size"] == 0

        chunks = [spends[n + i::4] for i in range(4)]
        t = time.monotonic()
        with multiprocessing.Pool(4) as pool:
            sent = sum(pool.map(send_all, [(port, auth, ch) for ch in chunks]))
        par_rate = sent / (time.monotonic() - t)
        t = time.monotonic()
        c.call("generatetoaddress", 1, addr)
        mine2_ms = (time.monotonic() - t) * 1000
        after = rss_kib(node.pid)
        c.call("stop")
        node.wait(timeout=10)
    finally:
        if node.poll() is None:
            node.kill()
            node.wait()
        shutil.rmtree(datadir, ignore_errors=True)

    print(f"start-up, fresh data directory -> first RPC answer : {startup:8.1f} ms")
    print(f"idle resident memory after start                    : {idle / 1024:8.1f} MiB")
    print(f"generatetoaddress 1000 (empty blocks)               : {gen_rate:8.0f} blocks/s")
    print(f"sendrawtransaction, {n} txs, 1 client              : {seq_rate:8.0f} tx/s")
    print(f"sendrawtransaction, {n} txs, 4 clients             : {par_rate:8.0f} tx/s")
    print(f"mining a block of {n} mempool txs (RPC round trip) : {mine1_ms:8.1f} ms, {mine2_ms:.1f} ms")
    print(f"resident memory after                               : {after / 1024:8.1f} MiB")


if __name__ == "__main__":
    main()
