#!/usr/bin/env python3
"""Node-level figures over JSON-RPC against a real regtest cairnd WITH its
wallet loaded, beside the same workload on a -disablewallet node.

1. The wallet mines its coins, fans them out with sendmany to 2*N outputs
   (up to 1,000 a transaction, each paying one of up to 1,000 fresh
   addresses of its own) and confirms the fan-outs; then builds 2*N
   one-input one-output spends with createrawtransaction +
   signrawtransactionwithwallet, each paying its coin back to the address
   it came from, so every submission both spends and receives for the
   wallet. N of them are submitted with sendrawtransaction from 1 client,
   in B batches, with the wallet loaded (one rate a batch, so a slowdown
   as the wallet grows shows); then the other N from 4 clients, in B
   batches.
2. A second node started with -disablewallet is fed the wallet node's
   blocks (submitblock) and takes the very same transactions in the same
   batches; the figure is the ratio wallet / no wallet.
3. generatetoaddress 1000 to a wallet address, to an address the wallet
   does not own, and on the -disablewallet node.
4. Both nodes restarted: time to the first RPC answer (getwalletinfo on the
   wallet node), with the wallet's transaction count, the wallet's size on disk and
   each node's resident memory.

Usage: bench_wallet_rpc.py --build DIR [--spends N] [--batches B]
"""
import argparse
import base64
import http.client
import json
import math
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from bench_rpc import free_port, rss_kib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAN = 1000           # outputs a fan-out transaction (standard size: ~43 kB)
FEE = 1000           # units a spend pays (~110 bytes: ~9 units a byte)
COIN = 10**8


class RpcError(Exception):
    pass


class Client:
    def __init__(self, port, auth, timeout=600):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.headers = {"Authorization": "Basic " + auth, "Content-Type": "application/json"}
        self.id = 0
        self.last = time.monotonic()

    def call(self, method, *params):
        self.id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self.id, "method": method, "params": list(params)})
        # The server drops a connection idle for 30 s (RPC_DEFAULT_TIMEOUT),
        # as this one is while the other node is measured: open a new one.
        if time.monotonic() - self.last > 20:
            self.conn.close()
        self.conn.request("POST", "/", body, self.headers)
        resp = self.conn.getresponse()
        self.last = time.monotonic()
        raw = resp.read()
        try:
            reply = json.loads(raw)
        except ValueError:
            raise RpcError(f"{method}: HTTP {resp.status}: {raw[:200]!r}") from None
        if reply.get("error"):
            raise RpcError(f"{method}: {reply['error']}")
        return reply["result"]


class Node:
    """A cairnd -regtest process on 127.0.0.1 with its own data directory,
    listening to no peer."""

    def __init__(self, build, datadir, extra):
        self.datadir = datadir
        os.makedirs(datadir, exist_ok=True)
        self.rpc_port = free_port()
        self.args = [os.path.join(build, "cairnd"), "-regtest", f"-datadir={datadir}",
                     f"-port={free_port()}", f"-rpcport={self.rpc_port}", "-bind=127.0.0.1",
                     "-rpcbind=127.0.0.1", "-listen=0", "-printtoconsole=0",
                     "-persistmempool=0", "-fallbackfee=0.0002"] + extra  # no fee estimates yet
        self.proc = None
        self.auth = None
        self.c = None

    def start(self, probe="getblockcount"):
        """Starts the node; returns ms from the exec to the first answer to
        `probe`."""
        cookie = os.path.join(self.datadir, "regtest", ".cookie")
        if os.path.exists(cookie):
            os.unlink(cookie)
        self.auth = None
        t0 = time.monotonic()
        # Its own session: a Ctrl-C reaches this script only, which then
        # stops the node itself.
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        while True:
            try:
                with open(cookie) as f:
                    self.auth = base64.b64encode(f.read().strip().encode()).decode()
                self.c = Client(self.rpc_port, self.auth)
                self.c.call(probe)
                return (time.monotonic() - t0) * 1000
            except (OSError, RpcError, http.client.HTTPException):
                if self.proc.poll() is not None:
                    raise SystemExit(f"bench_wallet_rpc: cairnd exited with {self.proc.returncode} "
                                     f"at start: {' '.join(self.args)}")
                if time.monotonic() - t0 > 60:
                    raise SystemExit(f"bench_wallet_rpc: cairnd did not answer {probe} within 60 s")
                time.sleep(0.001)

    def call(self, method, *params):
        return self.c.call(method, *params)

    def rss(self):
        return rss_kib(self.proc.pid)

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            # A connection of its own: after a Ctrl-C the usual one may
            # still wait for an answer.
            if self.auth:
                Client(self.rpc_port, self.auth, 10).call("stop")
                self.proc.wait(timeout=30)
        except (OSError, RpcError, http.client.HTTPException, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def quiet_worker():
    """Ctrl-C and SIGTERM are the parent's to handle: it stops the nodes
    and terminates the pool, which a worker dying on its own KeyboardInterrupt
    can leave hanging."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def send_all(args):
    port, auth, hexes = args
    c = Client(port, auth)
    for h in hexes:
        c.call("sendrawtransaction", h)
    return len(hexes)


def submit_batches(node, txs, batches, clients, pool):
    """Submits txs in `batches` consecutive batches; returns each batch's
    rate in tx/s."""
    size = math.ceil(len(txs) / batches)
    rates = []
    for b in range(batches):
        batch = txs[b * size:(b + 1) * size]
        t = time.monotonic()
        if clients == 1:
            send_all((node.rpc_port, node.auth, batch))
        else:
            chunks = [(node.rpc_port, node.auth, batch[i::clients]) for i in range(clients)]
            if sum(pool.map(send_all, chunks)) != len(batch):
                raise RpcError("a client did not submit its share")
        rates.append(len(batch) / (time.monotonic() - t))
    return rates


def build_spends(w, n, mine_addr):
    """2*n confirmed coins of the wallet, fanned out from its mature
    coinbases, each spent back to its address by a signed one-input
    transaction."""
    fans = math.ceil(2 * n / FAN)
    if w.call("getbalance") < 2 * n * 0.04 + fans:
        raise RpcError(f"getbalance: too few mature coins to fan out to {2 * n} outputs")
    # Every fan-out pays the same fresh addresses: the wallet's cost per
    # change grows with its keys too, and 2*n getnewaddress calls would
    # make the set-up longer than the figures.
    addrs = [w.call("getnewaddress") for _ in range(min(FAN, 2 * n))]
    for f in range(fans):
        w.call("sendmany", "", {a: 0.04 for a in addrs[:min(FAN, 2 * n - f * FAN)]})
    fanned = set(addrs)
    w.call("generatetoaddress", 1, mine_addr)
    coins = [u for u in w.call("listunspent", 1, 9999999) if u["address"] in fanned]
    if len(coins) != 2 * n:
        raise RpcError(f"listunspent: {len(coins)} fanned-out coins, expected {2 * n}")
    coins.sort(key=lambda u: (u["txid"], u["vout"]))
    spends = []
    for u in coins:
        value = round(u["amount"] * COIN) - FEE
        raw = w.call("createrawtransaction", [{"txid": u["txid"], "vout": u["vout"]}],
                     {u["address"]: value / COIN})
        signed = w.call("signrawtransactionwithwallet", raw)
        if not signed.get("complete"):
            raise RpcError(f"signrawtransactionwithwallet: incomplete for {u['txid']}:{u['vout']}")
        spends.append(signed["hex"])
    return spends


def copy_chain(src, dst):
    for h in range(dst.call("getblockcount") + 1, src.call("getblockcount") + 1):
        r = dst.call("submitblock", src.call("getblock", src.call("getblockhash", h), 0))
        if r is not None:
            raise RpcError(f"submitblock at height {h}: {r}")
    if dst.call("getbestblockhash") != src.call("getbestblockhash"):
        raise RpcError("the -disablewallet node did not reach the wallet node's tip")


def gen_rate(node, addr, blocks=1000):
    t = time.monotonic()
    node.call("generatetoaddress", blocks, addr)
    return blocks / (time.monotonic() - t)


def fmt_rates(rates):
    return " ".join(f"{r:.0f}" for r in rates)


def total(rates):
    """The rate over equal batches run at these rates."""
    return len(rates) / sum(1 / r for r in rates)


def run(args, tmp, nodes, out):
    build = os.path.join(ROOT, args.build)
    n, batches = args.spends, args.batches
    out("sizes", f"{n} spends from 1 client, then {n} from 4 clients, each in {batches} batches "
        f"of {math.ceil(n / batches)}; fan-outs of up to {FAN} outputs")
    w = Node(build, os.path.join(tmp, "wallet"), [])
    nodes.append(w)
    w.start("getwalletinfo")
    # The fresh wallet's own coinbases: the first figure, and the coins.
    w_addr = w.call("getnewaddress")
    foreign = subprocess.run([os.path.join(build, "bench", "tool_txgen"), "address"], check=True,
                             capture_output=True, text=True).stdout.split()[0]
    g0_w = gen_rate(w, w_addr)
    g0_f = gen_rate(w, foreign)
    out("generatetoaddress 1000 to a wallet address, fresh wallet",
        f"{g0_w:6.0f} blocks/s (to a foreign address {g0_f:.0f}; ratio {g0_w / g0_f:.3f})")
    t = time.monotonic()
    spends = build_spends(w, n, w_addr)
    seq, par = spends[:n], spends[n:]
    nw = Node(build, os.path.join(tmp, "nowallet"), ["-disablewallet"])
    nodes.append(nw)
    nw.start()
    copy_chain(w, nw)
    out(f"fan-out, {2 * n} spends signed, chain copied", f"{time.monotonic() - t:6.1f} s")

    txs0 = w.call("getwalletinfo")["txcount"]
    with multiprocessing.Pool(4, initializer=quiet_worker) as pool:
        w_seq = submit_batches(w, seq, batches, 1, pool)
        w_par = submit_batches(w, par, batches, 4, pool)
        nw_seq = submit_batches(nw, seq, batches, 1, pool)
        nw_par = submit_batches(nw, par, batches, 4, pool)
    for node in (w, nw):
        if node.call("getmempoolinfo")["size"] != 2 * n:
            raise RpcError("getmempoolinfo: not every submission entered the mempool")
    txs1 = w.call("getwalletinfo")["txcount"]
    out("wallet transactions before / after the submissions", f"{txs0} / {txs1}")
    for label, wr, nr in (("1 client", w_seq, nw_seq), ("4 clients", w_par, nw_par)):
        out(f"sendrawtransaction, {label}, wallet, per batch", f"{fmt_rates(wr)} tx/s")
        out(f"sendrawtransaction, {label}, -disablewallet, per batch", f"{fmt_rates(nr)} tx/s")
        out(f"sendrawtransaction, {label}, wallet / no wallet",
            f"{total(wr) / total(nr):6.3f} ({total(wr):.0f} / {total(nr):.0f} tx/s; per batch "
            f"{' '.join(f'{a / b:.3f}' for a, b in zip(wr, nr))})")
        out(f"sendrawtransaction, {label}, wallet, last / first batch", f"{wr[-1] / wr[0]:6.3f}")

    # Empty the mempools first, so the timed blocks are empty.
    w.call("generatetoaddress", 1, foreign)
    nw.call("generatetoaddress", 1, foreign)
    txcount = w.call("getwalletinfo")["txcount"]
    g_w = gen_rate(w, w_addr)
    g_f = gen_rate(w, foreign)
    g_nw = gen_rate(nw, foreign)
    out(f"generatetoaddress 1000 to a wallet address, {txcount} txs",
        f"{g_w:6.0f} blocks/s (to a foreign address {g_f:.0f}; ratio {g_w / g_f:.3f})")
    out("generatetoaddress 1000, -disablewallet node",
        f"{g_nw:6.0f} blocks/s (wallet address / no wallet {g_w / g_nw:.3f})")

    txcount = w.call("getwalletinfo")["txcount"]
    for node in (w, nw):
        node.stop()
    size = wallet_bytes(os.path.join(w.datadir, "regtest"))
    load_w = w.start("getwalletinfo")
    if w.call("getwalletinfo")["txcount"] != txcount:
        raise RpcError("getwalletinfo: the reloaded wallet does not hold every transaction")
    load_nw = nw.start()
    time.sleep(0.5)
    out(f"restart -> first RPC answer, wallet of {txcount} txs, {size / 1024:.0f} KiB",
        f"{load_w:6.1f} ms (-disablewallet {load_nw:.1f} ms; ratio {load_w / load_nw:.2f})")
    out("resident memory after that restart",
        f"{w.rss() / 1024:6.1f} MiB (-disablewallet {nw.rss() / 1024:.1f} MiB)")



def wallet_bytes(netdir):
    """The wallet's bytes on disk: its database folder, or a wallet.dat of
    earlier versions."""
    folder = os.path.join(netdir, "wallets", "default")
    if os.path.isdir(folder):
        return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
    return os.path.getsize(os.path.join(netdir, "wallet.dat"))

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--spends", type=int, default=2000, help="spends per client setting (N)")
    ap.add_argument("--batches", type=int, default=4, help="batches they are submitted in (B)")
    args = ap.parse_args()
    if args.spends < 1 or not 1 <= args.batches <= args.spends:
        ap.error("need --spends >= 1 and 1 <= --batches <= --spends")
    for tool in ("cairnd", "bench/tool_txgen"):
        if not os.access(os.path.join(ROOT, args.build, tool), os.X_OK):
            sys.exit(f"bench_wallet_rpc: no {args.build}/{tool}: "
                     f"run make all {args.build}/bench/tool_txgen first")
    # A SIGTERM stops the nodes as a Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = tempfile.mkdtemp(prefix="cairn-bench-wallet-")
    nodes = []
    t0 = time.monotonic()
    try:
        run(args, tmp, nodes, lambda label, text: print(f"{label:<60}: {text}", flush=True))
    except RpcError as e:
        sys.exit(f"bench_wallet_rpc: RPC failed: {e}")
    except subprocess.CalledProcessError as e:
        sys.exit(f"bench_wallet_rpc: {e}")
    except KeyboardInterrupt:
        print("bench_wallet_rpc: interrupted; stopping the nodes", file=sys.stderr)
        sys.exit(130)
    finally:
        for node in nodes:
            node.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'whole benchmark':<60}: {time.monotonic() - t0:6.1f} s")


if __name__ == "__main__":
    main()
