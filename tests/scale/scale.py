#!/usr/bin/env python3
"""A mesh of N regtest cairnd processes on this machine, formed from one
seed, measured (docs/scale.md has the figures and what bounds them).

Every node listens on its own loopback address, two nodes per /24
(127.B.x.1 and 127.B.x.2), all on the same P2P and RPC ports, and knows
only node 0, the seed, through -seednode: every other peer it finds
through address relay. The harness

1. mines a template chain of 2,000 blocks whose coinbases pay one wallet,
   copies it into every node's datadir (and the wallet into node 1's, the
   funder's), starts the seed, then the N-1 others, raising its
   file-descriptor limit for them first;
2. waits until every node has 8 outbound peers (outbound-full-relay, at
   most one per /24) and the peer graph from every node's getpeerinfo is
   one connected component: time to form, outbound/inbound degree
   distribution, graph diameter;
3. stops the seed and waits until the others are again one component with
   8 outbound peers each (those that had the seed as a peer refill from
   their address managers);
4. mines blocks one at a time on random nodes and times, from each node's
   -debug=bench marks (`mesh: tip HASH ... at T us`, CLOCK_MONOTONIC,
   which every process of the machine shares, as bench/bench_mesh.py
   reads them), when 50/90/99/100 % of the nodes had each block; then
   sends transactions the funder signed, each on a random node, and times
   their arrival in every mempool from the `mesh: tx ...` marks alike;
5. reads each node's peak resident memory (VmHWM) and CPU seconds from
   /proc, and its bytes sent over the block phase.

The figures go to a JSON file (default build/scale/scale-N.json, or
scale-N-dD-jJ[-rR].json with a delay) and to
stdout. Every process started is stopped however the harness ends (a
finally block, SIGINT/SIGTERM/SIGHUP handlers, each node in its own
process group, and PR_SET_PDEATHSIG so that even a SIGKILL of the harness
takes the nodes with it).

With --delay-ms D (and --jitter-ms J, --rate-kbit R) every P2P link goes
through the delay relay (tests/scale/relay.c, tests/scale/delay.py): one
way D ± J ms per connection and direction, R kbit/s per node each way; each
node binds P2P to a private address and announces its own, where the relay
listens. This kernel has no netem; the figures say which method was used.

Usage: scale.py [--build DIR] [--nodes 500] [--delay-ms 0] [--jitter-ms 0] [--rate-kbit 0]
                [--blocks 30] [--out FILE] [--form-timeout 120] [--net 10]
"""
import argparse
import base64
import concurrent.futures
import ctypes
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "functional"))
import bech32m  # noqa: E402  (the functional tests' encoder, standard library only)
import delay  # noqa: E402  (the delay relay beside this file)
import faults  # noqa: E402  (the fault phases beside this file)
import joiner  # noqa: E402  (the late joiner phase beside this file)
from framework import wait_until  # noqa: E402

OUTBOUND = 8
PER_GROUP = 2
# Per-node defaults lowered for hundreds of nodes on a few cores: one
# worker thread instead of one per core, a 1 MiB database cache instead
# of 16, a 5 MB mempool instead of 300 (none of them is reached idle; they
# bound what a node may grow to).
LEAN = ["-par=1", "-dbcache=1", "-maxmempool=5"]
# 20 nodes (10 groups) never fill every slot: 160 connections of the 180
# pairs in distinct groups, each node's in 8 of the 9 other groups
MIN_NODES = 30
MARK = re.compile(rb"mesh: (tip|tx) ([0-9a-f]{64}) height (\d+) at (\d+) us")
# Every node starts on a copy of one chain of this many blocks, mined
# before the mesh starts by a node whose wallet takes the coinbases: the
# late joiner has a chain to download, and the funder has coins to spend.
TEMPLATE_BLOCKS = 2000
# The node that starts with that wallet: it signs the transactions the
# phases send (each submitted on a random node) and is never stopped.
FUNDER = 1
_PR_SET_PDEATHSIG = 1


def host_of(i, net):
    """Node i's address: two nodes per /24 in 127.net.0.0/16 and on (one
    /16 holds 250 groups, 500 nodes; more spill into the next /16s)."""
    g = i // PER_GROUP
    return f"127.{net + g // 250}.{g % 250 + 1}.{i % PER_GROUP + 1}"


def group_of(host):
    return host.rsplit(".", 1)[0]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass  # the finally block and the signal handlers still stop the nodes


def pay_address():
    return bech32m.encode("rcrn", 0, bytes(range(20)))


def dist(values):
    """min/p10/p50/p90/max and mean of a list of numbers."""
    if not values:
        return {}
    s = sorted(values)

    def q(f):
        return s[min(len(s) - 1, int(round(f * (len(s) - 1))))]
    return {"min": s[0], "p10": q(.1), "p50": q(.5), "p90": q(.9), "max": s[-1],
            "mean": round(sum(s) / len(s), 3), "n": len(s)}


def histogram(values):
    h = {}
    for v in values:
        h[str(v)] = h.get(str(v), 0) + 1
    return dict(sorted(h.items(), key=lambda kv: int(kv[0])))


class RPCFailure(Exception):
    pass


class Node:
    """One cairnd -regtest process on its own address."""

    def __init__(self, index, host, workdir, p2p_port, rpc_port, cairnd, extra, wallet=False, private=None):
        self.index, self.host = index, host
        self.p2p_port, self.rpc_port = p2p_port, rpc_port
        self.datadir = os.path.join(workdir, f"node{index}")
        os.makedirs(self.datadir)
        # behind the relay: bound to private, announcing host where the relay listens
        bind = [f"-bind={private}", f"-externalip={host}"] if private else [f"-bind={host}"]
        self.args = [cairnd, "-regtest", f"-datadir={self.datadir}"] + bind + [f"-port={p2p_port}",
                     f"-rpcbind={host}", f"-rpcport={rpc_port}", "-rpcallowip=127.0.0.0/8",
                     "-printtoconsole=0", "-persistmempool=0", "-debug=bench"] + LEAN + extra
        if not wallet:
            self.args.append("-disablewallet")
        self.proc = None
        self.conn = None
        self.auth = None
        self.log_pos = 0
        self.log_rest = b""
        self.seen = {}  # hash -> (height, monotonic us) of its first mark
        self.final = {}

    @property
    def addr(self):
        return f"{self.host}:{self.p2p_port}"

    def spawn(self):
        err = open(os.path.join(self.datadir, "stderr.txt"), "w")
        try:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=err, start_new_session=True, preexec_fn=_die_with_parent)
        finally:
            err.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def call(self, method, *params, timeout=60):
        if self.auth is None:
            with open(os.path.join(self.datadir, "regtest", ".cookie")) as f:
                self.auth = "Basic " + base64.b64encode(f.read().strip().encode()).decode()
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.rpc_port, timeout=timeout)
                self.conn.request("POST", "/", body, {"Authorization": self.auth,
                                                      "Content-Type": "application/json"})
                reply = json.loads(self.conn.getresponse().read())
                break
            except (OSError, http.client.HTTPException):
                self.close_rpc()
                if attempt:
                    raise
        if reply.get("error"):
            raise RPCFailure(f"node{self.index} {method}: {reply['error']}")
        return reply["result"]

    def close_rpc(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def ready(self):
        try:
            self.call("getblockcount", timeout=5)
            return True
        except (OSError, RPCFailure, http.client.HTTPException, ValueError):
            self.auth = None
            return False

    def marks(self):
        """New (kind, hash, height, monotonic us) marks of debug.log, kind
        "tip" (a new best block) or "tx" (a transaction entered the mempool)."""
        try:
            with open(os.path.join(self.datadir, "regtest", "debug.log"), "rb") as f:
                f.seek(self.log_pos)
                data = f.read()
        except FileNotFoundError:
            return []
        self.log_pos += len(data)
        lines = (self.log_rest + data).split(b"\n")
        self.log_rest = lines.pop()
        out = []
        for line in lines:
            m = MARK.search(line)
            if m:
                out.append((m.group(1).decode(), m.group(2).decode(), int(m.group(3)), int(m.group(4))))
        return out

    def proc_figures(self):
        """Peak resident KiB (VmHWM: shared library pages included), the
        private part (RssAnon), the proportional share (Pss: shared pages
        divided among the processes mapping them) and CPU seconds, from
        /proc (schedstat: time on a CPU, to the nanosecond); remembered, so they outlive the process."""
        if not self.alive():
            return self.final
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
            with open(f"/proc/{self.proc.pid}/smaps_rollup") as f:
                # "Key:  value kB" lines after the mapping's own header line
                rollup = dict(line.split(":", 1) for line in f if re.match(r"\w+:", line))
            on_cpu_ns = 0  # every thread's time on a CPU, to the nanosecond
            for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
                with open(f"/proc/{self.proc.pid}/task/{tid}/schedstat") as f:
                    on_cpu_ns += int(f.read().split()[0])
        except (OSError, ValueError):
            return self.final
        kib = lambda d, k: int(d[k].split()[0]) if k in d else None  # noqa: E731
        self.final = {"hwm_kib": kib(status, "VmHWM"), "rss_kib": kib(status, "VmRSS"),
                      "anon_kib": kib(status, "RssAnon"), "pss_kib": kib(rollup, "Pss"),
                      "cpu_s": round(on_cpu_ns / 1e9, 4)}
        return self.final

    def _signal(self, sig):
        if self.alive():
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self):
        self._signal(signal.SIGTERM)

    def kill(self):
        self._signal(signal.SIGKILL)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.close_rpc()


class Mesh:
    def __init__(self, build, n, workdir, net, template=None, log=print, link=None, extra=(), spare_hosts=()):
        self.n = n
        self.log = log
        self.workdir = workdir
        cairnd = os.path.join(build, "cairnd")
        if not os.access(cairnd, os.X_OK):
            raise SystemExit(f"no {cairnd}: run make first")
        p2p_port, rpc_port = free_port(), free_port()
        seed_addr = f"{host_of(0, net)}:{p2p_port}"
        self.nodes = [Node(i, host_of(i, net), workdir, p2p_port, rpc_port, cairnd,
                           ([] if i == 0 else [f"-seednode={seed_addr}"]) + list(extra), wallet=i == FUNDER,
                           private=delay.private_of(host_of(i, net)) if link else None) for i in range(n)]
        # link: (delay_ms, jitter_ms, rate_kbit) through the relay, or None;
        # spare_hosts: nodes a phase starts later, behind the relay too
        hosts = [nd.host for nd in self.nodes] + list(spare_hosts)
        self.relay = delay.Relay(build, workdir, [(h, delay.private_of(h), p2p_port) for h in hosts],
                                 *link) if link else None
        if template:
            for nd in self.nodes:
                copy_template(template, nd.datadir, nd.index == FUNDER)
        self.by_host = {nd.host: nd for nd in self.nodes}
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=8)

    # -- processes --

    def start(self):
        t0 = time.monotonic()
        if self.relay:
            self.relay.start(preexec_fn=_die_with_parent)
        seed = self.nodes[0]
        seed.spawn()
        wait_until(lambda: seed.ready() or not seed.alive(), 60, 0.1, "timed out waiting for the seed to answer RPC")
        if not seed.alive():
            raise SystemExit("the seed exited at start:\n" + open(os.path.join(seed.datadir, "stderr.txt")).read())
        for nd in self.nodes[1:]:
            nd.spawn()
        self.last_start = time.monotonic()
        pending = list(self.nodes[1:])
        deadline = time.monotonic() + 60 + self.n / 10
        while pending:
            dead = [nd for nd in pending if not nd.alive()]
            if dead:
                text = open(os.path.join(dead[0].datadir, "stderr.txt")).read()
                raise SystemExit(f"node{dead[0].index} ({dead[0].host}) exited at start: {text}")
            pending = [nd for nd, ok in zip(pending, self.pool.map(Node.ready, pending)) if not ok]
            if time.monotonic() > deadline:
                raise SystemExit(f"{len(pending)} nodes never answered RPC")
            time.sleep(0.2)
        self.all_ready = time.monotonic()
        self.t0 = t0
        return {"spawn_s": round(self.last_start - t0, 2), "all_answering_rpc_s": round(self.all_ready - t0, 2)}

    def stop(self):
        """Stops every node: SIGTERM to each process group, up to 30 s for
        a clean exit, then SIGKILL."""
        for nd in self.nodes:
            nd.terminate()
        deadline = time.monotonic() + 30
        while any(nd.alive() for nd in self.nodes) and time.monotonic() < deadline:
            time.sleep(0.1)
        for nd in self.nodes:
            nd.kill()
        if self.relay:
            self.relay.stop()
        self.pool.shutdown(wait=False)

    def alive(self):
        return [nd for nd in self.nodes if nd.alive()]

    # -- the peer graph --

    def snapshot(self, nodes):
        """Per node: its outbound-full-relay peers' hosts and inbound count;
        the undirected graph among nodes (outbound edges, and inbound ones
        by their source address: each node dials from its own)."""
        def peers(nd):
            try:
                return nd, nd.call("getpeerinfo")
            except (OSError, RPCFailure, http.client.HTTPException, ValueError):
                return nd, None
        out, inb, adj = {}, {}, {nd.host: set() for nd in nodes}
        for nd, info in self.pool.map(peers, nodes):
            info = info or []
            full = [p for p in info if p["connection_type"] == "outbound-full-relay"]
            out[nd.host] = [p["addr"].rsplit(":", 1)[0] for p in full]
            inb[nd.host] = sum(p["connection_type"] == "inbound" for p in info)
            for p in info:
                if p["connection_type"] in ("inbound", "outbound-full-relay", "manual"):
                    other = p["addr"].rsplit(":", 1)[0]
                    if other in adj and other != nd.host:
                        adj[nd.host].add(other)
                        adj[other].add(nd.host)
        return out, inb, adj

    @staticmethod
    def depths(adj, start):
        """Hops from start to every node it reaches (breadth first)."""
        depth, frontier = {start: 0}, [start]
        while frontier:
            nxt = [x for h in frontier for x in adj[h] if x not in depth]
            for x in nxt:
                depth.setdefault(x, depth[frontier[0]] + 1)
            frontier = list(dict.fromkeys(nxt))
        return depth

    @classmethod
    def components(cls, adj):
        seen, comps = set(), 0
        for start in adj:
            if start not in seen:
                comps += 1
                seen |= cls.depths(adj, start).keys()
        return comps

    @classmethod
    def diameter(cls, adj):
        return max((max(cls.depths(adj, start).values()) for start in adj), default=0)

    def formed(self, nodes, outbound=OUTBOUND):
        out, inb, adj = self.snapshot(nodes)
        full = all(len(out[nd.host]) >= outbound for nd in nodes)
        return full and self.components(adj) == 1, out, inb, adj

    def wait_formed(self, nodes, timeout, since, outbound=OUTBOUND):
        """Polls until every node of nodes has `outbound` (8) outbound peers
        and the graph is one component. Returns the figures (ok False on
        timeout)."""
        deadline = time.monotonic() + timeout
        rounds = 0
        while True:
            ok, out, inb, adj = self.formed(nodes, outbound)
            rounds += 1
            now = time.monotonic()
            if ok or now > deadline:
                break
            if rounds % 10 == 0:
                short = sum(len(v) < OUTBOUND for v in out.values())
                self.log(f"  {now - since:5.1f} s: {short} nodes short of {OUTBOUND} outbound, "
                         f"{self.components(adj)} component(s)")
            time.sleep(0.5)
        same_group = sum(len({group_of(h) for h in v}) != len(v) for v in out.values())
        return {"ok": ok, "seconds": round(now - since, 2), "components": self.components(adj),
                "outbound": dist([len(v) for v in out.values()]),
                "inbound": dist(list(inb.values())), "inbound_histogram": histogram(inb.values()),
                "nodes_with_two_outbound_in_one_group": same_group,
                "edges": sum(len(v) for v in adj.values()) // 2,
                "diameter": self.diameter(adj) if self.components(adj) == 1 else None,
                "_out": out, "_inb": inb}

    # -- arrivals --

    @staticmethod
    def poll_marks(nodes):
        for nd in nodes:
            for _, h, height, t in nd.marks():
                nd.seen.setdefault(h, (height, t))

    def arrival(self, nodes, h, origin, timeout=60):
        """Waits until every node of nodes has logged h (a block that became
        its tip, a transaction that entered its mempool), at most timeout
        seconds, and times when 50/90/99/100 % had it, in ms from origin's
        mark."""
        deadline = time.monotonic() + timeout
        pending = list(nodes)
        while True:
            self.poll_marks(pending)
            pending = [nd for nd in pending if h not in nd.seen]
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        have = [nd.seen[h] for nd in nodes if h in nd.seen]
        t0 = origin.seen.get(h, (None, None))[1]
        times = sorted((t - t0) / 1000.0 for _, t in have) if t0 is not None else []
        row = {"hash": h, "height": origin.seen.get(h, (None,))[0], "origin": origin.index,
               "reached": len(have), "of": len(nodes),
               "arrivals_ms": [round(t, 2) for t in times]}  # every node's, sorted (tests/scale/plot.py)
        for pct in (50, 90, 99, 100):
            k = max(1, -(-pct * len(nodes) // 100))  # ceil
            row[f"ms_to_{pct}pct"] = round(times[k - 1], 2) if len(times) >= k else None
        return row

    def skip_marks(self, nodes):
        """Forgets what was logged so far, so a phase times only its own."""
        self.poll_marks(nodes)

    def propagation(self, nodes, count, rnd, timeout=60):
        """Mines count blocks, one at a time, each on a random node of
        nodes, and times its arrival at every node from the bench marks."""
        self.skip_marks(nodes)
        pay = pay_address()
        results = []
        for b in range(count):
            origin = rnd.choice(nodes)
            h = origin.call("generatetoaddress", 1, pay)[0]
            row = self.arrival(nodes, h, origin, timeout)
            results.append(row)
            self.log(f"  block {b + 1}/{count} from node{origin.index}: "
                     + ", ".join(f"{p}% {row[f'ms_to_{p}pct']} ms" for p in (50, 90, 99, 100)))
            time.sleep(0.5)
        return results

    def tx_propagation(self, nodes, funder, count, rnd, timeout=60):
        """Submits count transactions signed by the funder, one at a time,
        each on a random node of nodes, and times its arrival in every
        node's mempool."""
        self.skip_marks(nodes)
        results = []
        for i in range(count):
            origin = rnd.choice(nodes)
            txid = origin.call("sendrawtransaction", funder.next_tx())
            row = self.arrival(nodes, txid, origin, timeout)
            results.append(row)
            self.log(f"  transaction {i + 1}/{count} from node{origin.index}: "
                     + ", ".join(f"{p}% {row[f'ms_to_{p}pct']} ms" for p in (50, 90, 99, 100)))
        return results


    BLOCK_MSGS = ("block", "cmpctblock", "getblocktxn", "blocktxn")

    def block_bytes(self, nodes):
        """Per node, bytes it sent in the messages that carry blocks."""
        def one(nd):
            return sum(p["bytessent_per_msg"].get(m, 0) for p in nd.call("getpeerinfo") for m in self.BLOCK_MSGS)
        return list(self.pool.map(one, nodes))

    def full_block_propagation(self, nodes, funder, count, per_block, rnd, timeout=60):
        """Blocks whose transactions every mempool already holds, what
        compact blocks are for: per block, per_block transactions sent on
        random nodes, a wait until every mempool holds the same ones, then
        one block mined on a random node, timed as propagation() times,
        with the bytes every node sent for it (in all, and in the messages
        that carry blocks)."""
        self.skip_marks(nodes)
        pay = pay_address()
        rows = []

        def pooled():
            sizes = list(self.pool.map(lambda nd: nd.call("getmempoolinfo")["size"], nodes))
            return min(sizes) == max(sizes) >= per_block
        for b in range(count):
            for _ in range(per_block):
                rnd.choice(nodes).call("sendrawtransaction", funder.next_tx())
            wait_until(pooled, timeout, 0.2, "the transactions never reached every mempool")
            sent0 = list(self.pool.map(lambda nd: nd.call("getnettotals")["totalbytessent"], nodes))
            blk0 = self.block_bytes(nodes)
            cpu0 = [nd.proc_figures()["cpu_s"] for nd in nodes]
            origin = rnd.choice(nodes)
            h = origin.call("generatetoaddress", 1, pay)[0]
            row = self.arrival(nodes, h, origin, timeout)
            time.sleep(0.5)  # the last getblocktxn round trips
            sent1 = list(self.pool.map(lambda nd: nd.call("getnettotals")["totalbytessent"], nodes))
            blk1 = self.block_bytes(nodes)
            cpu1 = [nd.proc_figures()["cpu_s"] for nd in nodes]
            row["cpu_ms_per_node"] = round((sum(cpu1) - sum(cpu0)) * 1000 / len(nodes), 2)
            row["txs"] = len(origin.call("getblock", h)["tx"])
            row["bytes_sent_per_node"] = round((sum(sent1) - sum(sent0)) / len(nodes))
            row["block_msg_bytes_sent_per_node"] = round((sum(blk1) - sum(blk0)) / len(nodes))
            rows.append(row)
            self.log(f"  full block {b + 1}/{count} ({row['txs']} transactions) from node{origin.index}: "
                     + ", ".join(f"{p}% {row[f'ms_to_{p}pct']} ms" for p in (50, 90, 99, 100))
                     + f"; {row['block_msg_bytes_sent_per_node']} block bytes, {row['bytes_sent_per_node']} "
                       f"in all per node")
        return rows


class Funder:
    """Signs transactions with the funder node's wallet, one template
    coinbase each, paid to a fixed address: they are valid on every node
    (all start on the template chain) and independent of one another, so
    any node can be handed any of them."""

    FEE = 0.0001

    def __init__(self, node):
        self.node = node
        self.coins = [u for u in node.call("listunspent", 101) if u["amount"] >= 0.001]
        self.coins.sort(key=lambda u: (u["txid"], u["vout"]))
        self.pay = pay_address()

    def next_tx(self):
        """The hex of a new signed transaction (each spends another coin)."""
        if not self.coins:
            raise SystemExit("the funder ran out of coins: raise TEMPLATE_BLOCKS")
        u = self.coins.pop()
        amount = round(u["amount"] - self.FEE, 8)
        raw = self.node.call("createrawtransaction", [{"txid": u["txid"], "vout": u["vout"]}],
                             {self.pay: f"{amount:.8f}"})
        return self.node.call("signrawtransactionwithwallet", raw)["hex"]


def make_template(build, workdir, host, blocks, log=print):
    """Mines a regtest chain of blocks blocks whose coinbases pay a new
    wallet, in a node of its own on host, and stops it. Returns the
    datadir: Mesh copies its chain into every node and its wallet into
    the funder."""
    nd = Node("template", host, workdir, free_port(), free_port(), os.path.join(build, "cairnd"), [],
              wallet=True)
    nd.spawn()
    try:
        wait_until(lambda: nd.ready() or not nd.alive(), 60, 0.1, "the template node never answered RPC")
        if not nd.alive():
            raise SystemExit("the template node exited:\n" + open(os.path.join(nd.datadir, "stderr.txt")).read())
        addr = nd.call("getnewaddress")
        t = time.monotonic()
        for _ in range(0, blocks, 500):
            nd.call("generatetoaddress", min(500, blocks - nd.call("getblockcount")), addr)
        log(f"  template chain of {nd.call('getblockcount')} blocks mined in {time.monotonic() - t:.1f} s")
        nd.call("stop")
        nd.proc.wait(timeout=30)
    finally:
        nd.kill()
    return nd.datadir


def copy_template(template, datadir, wallet):
    """The template's chain (and its wallet when wallet) into a new
    node's datadir: what a node that had synced it would have on disk."""
    src, dst = os.path.join(template, "regtest"), os.path.join(datadir, "regtest")
    os.makedirs(dst)
    for name in os.listdir(src):
        path = os.path.join(src, name)
        if os.path.isdir(path) and (name != "wallets" or wallet):
            shutil.copytree(path, os.path.join(dst, name))


def arrival_summary(rows):
    out = {}
    for pct in (50, 90, 99, 100):
        vals = [r[f"ms_to_{pct}pct"] for r in rows if r[f"ms_to_{pct}pct"] is not None]
        out[f"{pct}pct_ms"] = dist(vals)
    out["reaching_all"] = sum(r["reached"] == r["of"] for r in rows)
    out["count"] = len(rows)
    return out


def raise_fd_limit(n, relayed=False):
    """Room for one RPC connection per node and the nodes' own sockets
    (they inherit the limit): at least 4 per node plus 1,024; the relay
    holds two sockets for each of the 8 outbound connections per node, and
    a listener."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, 4 * n + 1024, 24 * n + 1024 if relayed else 0)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < 2 * n + 256:
        raise SystemExit(f"the file-descriptor limit ({want}) is too low for {n} nodes")
    return want


def run(build, n, blocks=30, txs=30, form_timeout=120, net=10, seed=1, idle=5.0, workdir=None,
        template_blocks=TEMPLATE_BLOCKS, log=print, delay_ms=0, jitter_ms=0, rate_kbit=0, phases=(),
        churn_interval=30.0, churn_duration=300.0, full_blocks=10, full_block_txs=100, compact=True, joiner_blocks=2000,
        partition_rounds=3, node_args=()):
    """Starts the mesh of n nodes on 127.net.0.0/16 and on, measures it
    (idle: seconds of the quiet window that prices an idle mesh) and stops
    it; with delay_ms, jitter_ms or rate_kbit, every link goes through the
    delay relay. Returns the figures; the 'checks' entry says which
    expectations held. Exits (SystemExit) when nodes cannot even start."""
    link = (delay_ms, jitter_ms, rate_kbit) if delay_ms or jitter_ms or rate_kbit else None
    fd_limit = raise_fd_limit(n, link is not None)
    own_dir = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="cairn-scale-")
    rnd = random.Random(seed)
    res = {"nodes": n, "delay_ms": delay_ms, "jitter_ms": jitter_ms, "rate_kbit": rate_kbit,
           "compact_blocks": compact, "node_args": list(node_args),
           "link_delay": "relay" if link else "none: plain loopback",
           "netem": "available, not used" if delay.netem_available() else "not available in this kernel",
           "machine": {"cores": os.cpu_count(), "fd_limit": fd_limit}}
    mesh = None
    try:
        log(f"mining a template chain of {template_blocks} blocks")
        template = make_template(build, workdir, f"127.{net}.0.1", template_blocks, log)
        mesh = Mesh(build, n, workdir, net, template, log, link,
                    ([] if compact else ["-compactblocks=0"]) + list(node_args),
                    joiner.hosts(n, net) if "joiner" in phases else ())
        log(f"starting {n} nodes on 127.{net}.0.0/16 ({PER_GROUP} per /24), seed {mesh.nodes[0].addr}")
        res["start"] = mesh.start()
        log(f"  spawned in {res['start']['spawn_s']} s, all answering RPC after "
            f"{res['start']['all_answering_rpc_s']} s")

        log(f"waiting for {OUTBOUND} outbound peers each and one component")
        form = mesh.wait_formed(mesh.nodes, form_timeout, mesh.last_start)
        out = form.pop("_out")
        form.pop("_inb")
        form["seconds_after_all_answering_rpc"] = round(form["seconds"] - (mesh.all_ready - mesh.last_start), 2)
        res["formation"] = form
        log(f"  formed: {form['ok']} after {form['seconds']} s from the last start; diameter "
            f"{form['diameter']}, inbound {form['inbound']}")

        seed_node = mesh.nodes[0]
        res["seed_inbound_before_loss"] = sum(seed_node.host in v for v in out.values())
        res["seed_outbound_before_loss"] = len(out[seed_node.host])
        log(f"stopping the seed ({res['seed_inbound_before_loss']} nodes had it as an outbound peer, "
            f"{res['seed_outbound_before_loss']} as an inbound one)")
        seed_node.proc_figures()
        seed_node.terminate()
        seed_node.proc.wait(timeout=30)
        rest = mesh.nodes[1:]
        t = time.monotonic()
        loss = mesh.wait_formed(rest, form_timeout, t)
        loss.pop("_out")
        loss.pop("_inb")
        res["seed_loss"] = loss
        log(f"  without the seed: one component and full slots: {loss['ok']} after {loss['seconds']} s")

        # what an idle mesh costs: CPU over a quiet window, after as long
        # a pause for the address relay that follows formation to end
        time.sleep(idle)
        cpu0 = {nd.host: nd.proc_figures()["cpu_s"] for nd in rest}
        time.sleep(idle)
        res["idle_cpu_ms_per_s_per_node"] = dist(
            [round((nd.proc_figures()["cpu_s"] - cpu0[nd.host]) * 1000 / idle, 2) for nd in rest])
        res["idle_cpu_share_of_machine"] = round(
            sum(nd.final["cpu_s"] - cpu0[nd.host] for nd in rest) / idle / os.cpu_count(), 3)

        totals0 = {nd.host: nd.call("getnettotals")["totalbytessent"] for nd in rest}
        cpu0 = {nd.host: nd.proc_figures()["cpu_s"] for nd in rest}
        relay0 = mesh.relay.cpu_s() if mesh.relay else None
        log(f"mining {blocks} blocks on random nodes")
        t = time.monotonic()
        rows = mesh.propagation(rest, blocks, rnd)
        phase = time.monotonic() - t
        totals1 = {nd.host: nd.call("getnettotals")["totalbytessent"] for nd in rest}
        cpu1 = {nd.host: nd.proc_figures()["cpu_s"] for nd in rest}
        relay1 = mesh.relay.cpu_s() if mesh.relay else None
        res["blocks"] = rows
        res["block_propagation"] = arrival_summary(rows)
        res["bytes_sent_per_node_per_block"] = dist(
            [round((totals1[h] - totals0[h]) / max(1, blocks)) for h in totals0])
        # CPU of the block phase beyond what idling would have cost in it
        idle = res["idle_cpu_ms_per_s_per_node"]["mean"] * phase / 1000
        per_block = [max(0.0, (cpu1[h] - cpu0[h] - idle)) * 1000 / max(1, blocks) for h in cpu0]
        res["cpu_ms_per_block_per_node"] = dist([round(v, 2) for v in per_block])
        res["cpu_ms_per_block_all_nodes_over_cores"] = round(sum(per_block) / os.cpu_count(), 1)

        log(f"sending {txs} transactions, each on a random node")
        funder = Funder(mesh.nodes[FUNDER])
        tx_rows = mesh.tx_propagation(rest, funder, txs, rnd)
        res["txs"] = tx_rows
        res["tx_propagation"] = arrival_summary(tx_rows)
        if full_blocks:
            log(f"mining {full_blocks} blocks of {full_block_txs} transactions every mempool holds")
            rows = mesh.full_block_propagation(rest, funder, full_blocks, full_block_txs, rnd)
            res["full_blocks"] = rows
            res["full_block_propagation"] = arrival_summary(rows)
            res["full_block_bytes_sent_per_node"] = dist([r["bytes_sent_per_node"] for r in rows])
            res["full_block_msg_bytes_sent_per_node"] = dist([r["block_msg_bytes_sent_per_node"] for r in rows])
            res["full_block_cpu_ms_per_node"] = dist([r["cpu_ms_per_node"] for r in rows])
            stats = list(mesh.pool.map(lambda nd: nd.call("getnetworkinfo")["compactblocks"], rest))
            res["compact_counters"] = {k: sum(s[k] for s in stats) for k in ("rebuilt", "from_mempool",
                                                                              "requested", "fallbacks")}
        if mesh.relay:
            res["relay"] = {"cpu_s": round(mesh.relay.cpu_s(), 3), "peak_rss_kib": mesh.relay.rss_kib(),
                            "cpu_ms_per_block": round((relay1 - relay0) * 1000 / max(1, blocks), 2),
                            "cpu_share_of_one_core_in_block_phase": round((relay1 - relay0) / phase, 3),
                            "cpu_share_of_one_core_over_run": round(
                                mesh.relay.cpu_s() / (time.monotonic() - mesh.t0), 3)}

        if "partition" in phases:
            res["partition"] = faults.partition_phase(mesh, rest, rnd, funder, rounds=partition_rounds, log=log)
        if "joiner" in phases:
            res["joiner"] = joiner.joiner_phase(mesh, rest, rnd, target=joiner_blocks, log=log)
        if "churn" in phases:
            res["churn"] = faults.churn_phase(mesh, rest, rnd, funder, [mesh.nodes[FUNDER]],
                                              interval=churn_interval, duration=churn_duration, log=log)
        if "kill" in phases:
            res["kill"], rest = faults.kill_phase(mesh, rest, rnd, [mesh.nodes[FUNDER]], log=log)

        figs = [nd.proc_figures() for nd in mesh.nodes]
        for key, name in (("hwm_kib", "peak_rss_kib"), ("rss_kib", "rss_kib_at_end"),
                          ("anon_kib", "private_rss_kib_at_end"), ("pss_kib", "pss_kib_at_end"),
                          ("cpu_s", "cpu_seconds")):
            res[name] = dist([f[key] for f in figs if f and f.get(key) is not None])
        res["checks"] = {
            "formed": form["ok"],
            "formed_within_60s_of_last_start": form["ok"] and form["seconds"] <= 60,
            "one_outbound_per_group": form["nodes_with_two_outbound_in_one_group"] == 0,
            "survives_seed_loss": loss["ok"],
            "every_block_reached_every_node": res["block_propagation"]["reaching_all"] == blocks,
            "every_tx_reached_every_node": res["tx_propagation"]["reaching_all"] == txs,
        }
        if full_blocks:
            res["checks"]["every_full_block_reached_every_node"] = \
                res["full_block_propagation"]["reaching_all"] == full_blocks
        for phase in ("partition", "joiner", "churn", "kill"):
            if phase in res:
                res["checks"][f"{phase}_phase"] = res[phase]["ok"]
        return res
    finally:
        if mesh is not None:
            mesh.stop()
            if mesh.relay and "relay" in res:
                res["relay"]["counters"] = mesh.relay.counters
        if own_dir:
            shutil.rmtree(workdir, ignore_errors=True)


def summary(res):
    f, s, b = res.get("formation", {}), res.get("seed_loss", {}), res.get("block_propagation", {})
    lines = [f"{res['nodes']} nodes, one seed, link delay: {res['link_delay']} ({res['delay_ms']} ± "
             f"{res['jitter_ms']} ms one way, rate cap {res.get('rate_kbit') or 'none'} kbit/s; netem "
             f"{res.get('netem')})"]
    if f:
        lines.append(f"formed (8 outbound each, one component): {f['ok']} in {f['seconds']} s after the last "
                     f"start ({f['seconds_after_all_answering_rpc']} s after all answered RPC)")
        lines.append(f"  outbound {f['outbound']}")
        lines.append(f"  inbound  {f['inbound']}")
        lines.append(f"  edges {f['edges']}, diameter {f['diameter']}")
    if s:
        lines.append(f"seed stopped: one component with full slots again: {s['ok']} after {s['seconds']} s "
                     f"(it was an outbound peer of {res['seed_inbound_before_loss']} nodes, an inbound one of "
                     f"{res['seed_outbound_before_loss']}); diameter {s['diameter']}")
    for pct in (50, 90, 99, 100):
        d = b.get(f"{pct}pct_ms")
        if d:
            lines.append(f"block to {pct:3d}% of nodes: p50 {d['p50']} ms, p90 {d['p90']} ms, max {d['max']} ms "
                         f"({d['n']} blocks)")
    fb = res.get("full_block_propagation", {})
    for pct in (90, 100):
        d = fb.get(f"{pct}pct_ms")
        if d:
            lines.append(f"block of pooled transactions to {pct:3d}% of nodes: p50 {d['p50']} ms, p90 {d['p90']} ms, "
                         f"max {d['max']} ms ({d['n']} blocks)")
    if "full_block_msg_bytes_sent_per_node" in res:
        lines.append(f"  compact blocks {'on' if res['compact_blocks'] else 'off'}: block-message bytes sent per node "
                     f"per block {res['full_block_msg_bytes_sent_per_node']}, all bytes "
                     f"{res['full_block_bytes_sent_per_node']}; CPU ms per node per block (with the 0.5 s after "
                     f"it) {res.get('full_block_cpu_ms_per_node')}; counters {res.get('compact_counters')}")
    tx = res.get("tx_propagation", {})
    for pct in (50, 90, 99, 100):
        d = tx.get(f"{pct}pct_ms")
        if d:
            lines.append(f"transaction to {pct:3d}% of nodes: p50 {d['p50']} ms, p90 {d['p90']} ms, max {d['max']} ms "
                         f"({d['n']} transactions)")
    for key, name in (("peak_rss_kib", "peak RSS per node (VmHWM, KiB)"),
                      ("private_rss_kib_at_end", "private RSS per node (RssAnon, KiB)"),
                      ("pss_kib_at_end", "proportional RSS per node (Pss, KiB)"),
                      ("cpu_seconds", "CPU seconds per node, whole run"),
                      ("idle_cpu_ms_per_s_per_node", "idle CPU per node (ms/s)"),
                      ("cpu_ms_per_block_per_node", "CPU per block per node (ms)"),
                      ("bytes_sent_per_node_per_block", "bytes sent per node per block")):
        if res.get(key):
            lines.append(f"{name}: {res[key]}")
    if "cpu_ms_per_block_all_nodes_over_cores" in res:
        lines.append(f"CPU of one block over all nodes, divided by the {os.cpu_count()} cores: "
                     f"{res['cpu_ms_per_block_all_nodes_over_cores']} ms; idle mesh uses "
                     f"{res['idle_cpu_share_of_machine'] * 100:.1f} % of the machine")
    if "relay" in res:
        lines.append(f"relay: {res['relay']}")
    if "churn" in res:
        c = res["churn"]
        lines.append(f"churn: {c['restarts']} restarts over {c['duration_s']:.0f} s, {c['blocks_mined']} blocks "
                     f"({c['blocks_orphaned']} orphaned), {c['txs_sent']} transactions ({c['txs_mined']} mined, "
                     f"{c['txs_pooled']} pooled, all in the next block: {c['unmined_mined_by_next_block']}, {c['txs_missing']} missing); one tip after "
                     f"{c['one_tip_after_s']} s")
    if "joiner" in res:
        lines.append(joiner.summary(res["joiner"]))
    if "kill" in res:
        k, r = res["kill"], res["kill"]["refill"]
        lines.append(f"kill -9 of {k['killed']}: {k['survivors']} survivors one component with full slots after "
                     f"{r['seconds']} s ({r['ok']}), diameter {r['diameter']}; next block to all survivors in "
                     f"{k['next_block']['ms_to_100pct']} ms")
    if "partition" in res:
        lines.append(faults.partition_summary(res["partition"]))
    if "checks" in res:
        lines.append("checks: " + ", ".join(f"{k} {'ok' if v else 'FAILED'}" for k, v in res["checks"].items()))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="A delay, jitter or rate puts every link through the delay relay "
                                        "(BUILD/relay).")
    ap.add_argument("--build", default="build")
    ap.add_argument("--nodes", type=int, default=500)
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--jitter-ms", type=int, default=0)
    ap.add_argument("--rate-kbit", type=int, default=0, help="per node and direction, 0 for no cap")
    ap.add_argument("--blocks", type=int, default=30)
    ap.add_argument("--txs", type=int, default=30)
    ap.add_argument("--form-timeout", type=float, default=120)
    ap.add_argument("--net", type=int, default=10, help="second octet of the nodes' 127.N.0.0/16")
    ap.add_argument("--phases", default="partition,churn,kill",
                    help="fault phases after the propagation ones: partition, joiner, churn, kill (comma-separated; "
                         "'' for none)")
    ap.add_argument("--partition-rounds", type=int, default=3, help="cuts healed in the partition phase")
    ap.add_argument("--joiner-blocks", type=int, default=2000, help="the chain the late joiner syncs")
    ap.add_argument("--churn-interval", type=float, default=30.0)
    ap.add_argument("--churn-duration", type=float, default=300.0)
    ap.add_argument("--full-blocks", type=int, default=10,
                    help="blocks mined after their transactions reached every mempool")
    ap.add_argument("--full-block-txs", type=int, default=100)
    ap.add_argument("--no-compact", action="store_true", help="every node with -compactblocks=0")
    ap.add_argument("--node-arg", action="append", default=[],
                    help="one more cairnd option for every node (repeatable), e.g. --node-arg=-blockrelayslots=0")
    ap.add_argument("--out", help="JSON file (default build/scale/scale-N.json, "
                    "scale-N-dD-jJ[-rR].json with a link delay)")
    args = ap.parse_args()
    if min(args.delay_ms, args.jitter_ms, args.rate_kbit) < 0 or args.jitter_ms > args.delay_ms:
        ap.error("DELAY_MS, JITTER_MS and RATE_KBIT must be at least 0, JITTER_MS at most DELAY_MS")
    if args.nodes < MIN_NODES:
        ap.error(f"at least {MIN_NODES} nodes: each needs {OUTBOUND} outbound peers in {OUTBOUND} other /24s "
                 f"({PER_GROUP} nodes to a /24) and two nodes connect once, so smaller meshes cannot fill "
                 f"every slot")
    build = os.path.join(ROOT, args.build) if not os.path.isabs(args.build) else args.build
    link = "" if not (args.delay_ms or args.jitter_ms or args.rate_kbit) else \
        f"-d{args.delay_ms}-j{args.jitter_ms}" + (f"-r{args.rate_kbit}" if args.rate_kbit else "")
    if args.no_compact:
        link += "-nocmpct"
    out = args.out or os.path.join(ROOT, "build", "scale", f"scale-{args.nodes}{link}.json")

    def on_signal(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    res = run(build, args.nodes, blocks=args.blocks, txs=args.txs, form_timeout=args.form_timeout, net=args.net,
              delay_ms=args.delay_ms, jitter_ms=args.jitter_ms, rate_kbit=args.rate_kbit,
              phases=[p for p in args.phases.split(",") if p], churn_interval=args.churn_interval,
              churn_duration=args.churn_duration, full_blocks=args.full_blocks,
              full_block_txs=args.full_block_txs, compact=not args.no_compact, joiner_blocks=args.joiner_blocks,
              partition_rounds=args.partition_rounds, node_args=args.node_arg)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    print(summary(res))
    print(f"figures written to {out}")
    return 0 if all(res["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
