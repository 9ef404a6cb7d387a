#!/usr/bin/env python3
"""What GET /events costs the node it streams from.

1. Idle: the node's CPU time over a quiet interval with no stream open, then
   with CLIENTS streams open and nothing happening (only keep-alives).
2. Ingest: sendrawtransaction of N transactions from 1 client, in batches:
   one to warm up, then alternately with no stream open and with CLIENTS
   streams open that read every event (none, streams, none, streams,
   none); each batch is mined away before the next, so every batch meets
   an empty mempool. The figures are the mean rate with streams over the
   mean without, and the node's CPU time a transaction, with and without.
   Every stream must have received every transaction's event.

The streams are read by one separate process that wakes every 100 ms and
drains each socket, so the readers cost the shared cores little.

Usage: bench_events.py --build DIR [--txs N] [--clients C]
"""
import argparse
import base64
import glob
import multiprocessing
import os
import selectors
import shutil
import socket
import subprocess
import tempfile
import time

from bench_rpc import Client, free_port, send_all, txgen

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpu_ns(pid):
    """Every thread's time on a CPU so far, from schedstat (to the ns)."""
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


def readers(port, auth, clients, ready, stop, counts):
    """Opens the streams, signals ready, drains them until stop is set, and
    leaves the number of tx events each stream saw in counts."""
    sel = selectors.DefaultSelector()
    socks = []
    request = (f"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n"
               "Accept: text/event-stream\r\n\r\n").encode()
    for i in range(clients):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(request)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        socks.append(s)
    seen = [0] * clients
    tails = [b""] * clients
    opened = [False] * clients

    def drain():
        for key, _ in sel.select(timeout=0):
            i = key.data
            try:
                data = key.fileobj.recv(1 << 20)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(key.fileobj)
                continue
            chunk = tails[i] + data
            seen[i] += chunk.count(b"\nevent: tx\n")
            tails[i] = chunk[-16:]
            opened[i] = True

    while not all(opened):
        drain()
        time.sleep(0.005)
    ready.set()
    while not stop.is_set():
        drain()
        time.sleep(0.1)
    drain()
    t = os.times()
    counts[:] = seen + [t.user + t.system]
    for s in socks:
        s.close()


def start_streams(port, auth, clients):
    mgr = multiprocessing.Manager()
    ready, stop, counts = multiprocessing.Event(), multiprocessing.Event(), mgr.list()
    p = multiprocessing.Process(target=readers, args=(port, auth, clients, ready, stop, counts))
    p.start()
    if not ready.wait(60):
        p.kill()
        raise SystemExit("the event streams did not open")
    return p, stop, counts, mgr


def stop_streams(streams):
    p, stop, counts, mgr = streams
    stop.set()
    p.join(60)
    seen = list(counts)
    mgr.shutdown()
    return seen[:-1], seen[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--txs", type=int, default=4000)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--idle-s", type=float, default=5.0)
    args = ap.parse_args()
    build = os.path.join(ROOT, args.build)
    n = args.txs
    datadir = tempfile.mkdtemp(prefix="cairn-bench-")
    port = free_port()
    cmd = [os.path.join(build, "cairnd"), "-regtest", f"-datadir={datadir}", f"-rpcport={port}",
           f"-port={free_port()}", "-persistmempool=0", "-disablewallet",
           f"-eventsmaxclients={args.clients}"]
    node = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        cookie = os.path.join(datadir, "regtest", ".cookie")
        t0 = time.monotonic()
        while True:
            try:
                with open(cookie) as f:
                    auth = base64.b64encode(f.read().strip().encode()).decode()
                c = Client(port, auth)
                c.call("getblockcount")
                break
            except (OSError, RuntimeError):
                if time.monotonic() - t0 > 30:
                    raise SystemExit("cairnd did not start")
                time.sleep(0.01)
        addr = txgen(build, "address")[0]
        per = 2500
        kinds = ["warm", "none", "streams", "none", "streams", "none"]
        n_fans = (len(kinds) * n + per - 1) // per
        c.call("generatetoaddress", n_fans + 100, addr)
        fans = []
        for h in range(1, n_fans + 1):
            cb = c.call("getblock", c.call("getblockhash", h))["tx"][0]
            fans.append(c.call("sendrawtransaction", txgen(build, "fanout", cb, 50 * 10**8, per)[0]))
        c.call("generatetoaddress", 1, addr)
        spends = []
        for fan_txid in fans:
            value = c.call("gettxout", fan_txid, 0)["value"]
            spends += txgen(build, "spends", fan_txid, round(value * 10**8), per)
        batches = [spends[i * n:(i + 1) * n] for i in range(len(kinds))]

        # Idle: no streams, then streams that see nothing but keep-alives.
        time.sleep(0.5)
        a = cpu_ns(node.pid)
        time.sleep(args.idle_s)
        idle_none = (cpu_ns(node.pid) - a) / args.idle_s / 1e6
        streams = start_streams(port, auth, args.clients)
        time.sleep(0.5)
        a = cpu_ns(node.pid)
        time.sleep(args.idle_s)
        idle_streams = (cpu_ns(node.pid) - a) / args.idle_s / 1e6
        stop_streams(streams)

        rates = {k: [] for k in kinds}
        cpu_per_tx = {k: [] for k in kinds}
        seen, reader_cpu = [], []
        for kind, batch in zip(kinds, batches):
            if kind == "streams":
                streams = start_streams(port, auth, args.clients)
            t, a = time.monotonic(), cpu_ns(node.pid)
            send_all((port, auth, batch))
            rates[kind].append(len(batch) / (time.monotonic() - t))
            cpu_per_tx[kind].append((cpu_ns(node.pid) - a) / len(batch) / 1e3)
            if kind == "streams":
                time.sleep(0.5)
                got, reader_s = stop_streams(streams)
                reader_cpu.append(reader_s)
                if len(got) != args.clients or min(got) < n:
                    raise SystemExit(f"a stream missed events: {len(got)} streams, "
                                     f"fewest tx events {min(got or [0])} of {n}")
                seen += got
            c.call("generatetoaddress", 1, addr)
            assert c.call("getmempoolinfo")["size"] == 0
        c.call("stop")
        node.wait(timeout=30)
    finally:
        if node.poll() is None:
            node.kill()
            node.wait()
        shutil.rmtree(datadir, ignore_errors=True)

    def mean(xs):
        return sum(xs) / len(xs)
    without, with_ = mean(rates["none"]), mean(rates["streams"])
    cpu_without, cpu_with = mean(cpu_per_tx["none"]), mean(cpu_per_tx["streams"])
    print(f"node CPU, idle, no stream                       : {idle_none:8.3f} ms/s")
    print(f"node CPU, idle, {args.clients} streams open               : {idle_streams:8.3f} ms/s")
    print(f"sendrawtransaction, 1 client, no stream         : {without:8.0f} tx/s"
          f" ({', '.join(f'{r:.0f}' for r in rates['none'])})")
    print(f"sendrawtransaction, 1 client, {args.clients} streams reading : {with_:8.0f} tx/s"
          f" ({', '.join(f'{r:.0f}' for r in rates['streams'])})"
          f" = {with_ / without:.3f} x without (target >= 0.90)")
    print(f"node CPU a transaction, no stream / streams     : {cpu_without:8.1f} us / {cpu_with:.1f} us"
          f" = {cpu_with / cpu_without:.3f} x")
    print(f"the readers' CPU a transaction (own process)    : {sum(reader_cpu) / len(reader_cpu) / n * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
