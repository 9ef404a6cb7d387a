#!/usr/bin/env python3
"""kill -9 of a node while its wallet sends, receives and mines: after
every restart the wallet loads, every transaction the node accepted before
the kill is in the chain, in the mempool again or has its inputs unspent
again, every coin it lists is one the chain (or the mempool) holds, and
once everything is mined its balances are those of a twin wallet restored
from the same seed on a node that was never killed. At the end a wallet
restored from the seed on a fresh node and rescanned agrees too. Then lockunspent's persistent locks: kept
across a kill -9 and a restart, plain ones not, removed on unlock.

Node A is the one killed; B pays A and mines; C holds A's seed. The kill
moments are random (CAIRN_CRASH_SEED replays a run); half the rounds kill
during sends (sendtoaddress, sendmany), half during generatetoaddress."""
import http.client
import os
import random
import threading
import time
from decimal import Decimal

from framework import (LOOPBACK, Node, RPCError, assert_equal, assert_raises_rpc, assert_true, run, scaled,
                       wait_until)

PARALLEL = False
ROUNDS = 10
SENDS = ("sendtoaddress", "sendmany")


def D(x):
    return Decimal(str(x))


class Worker(threading.Thread):
    """Calls A's wallet over and over on a connection of its own until A
    dies under it; remembers what A accepted and what was in flight."""

    def __init__(self, a, mode, own, other, rng):
        super().__init__(daemon=True)
        self.rpc = a.proxy(timeout=scaled(30))
        self.mode, self.own, self.other, self.rng = mode, own, other, rng
        self.current = None
        self.accepted = []  # txids A answered with
        self.error = None
        self.chains_full = 0  # sends refused because every coin's mempool chain was full

    def step(self):
        r = self.rng
        if self.mode == "mine":
            return "generatetoaddress", (r.randint(1, 10), r.choice([self.own[0], self.other]))
        choice = r.randrange(3)
        if choice == 0:
            return "sendtoaddress", (r.choice(self.own), float(D(r.randint(1, 50)) / 100))
        if choice == 1:
            return "sendtoaddress", (self.other, float(D(r.randint(1, 50)) / 100))
        return "sendmany", ("", {self.own[1]: 0.07, self.other: float(D(r.randint(1, 30)) / 100)})

    def run(self):
        while True:
            method, args = self.step()
            self.current = method
            try:
                result = self.rpc.call(method, *args)
            except RPCError as e:
                self.current = None
                if e.code == -6 and e.message.startswith("Unconfirmed UTXOs are available"):
                    self.chains_full += 1  # every coin is deep in a mempool chain: wait for the kill
                    time.sleep(0.01)
                    continue
                self.error = f"{method}{args}: {e}"
                return
            except (OSError, http.client.HTTPException):  # A is gone: reset, refused, cut short
                return
            self.current = None
            if method in SENDS:
                self.accepted.append(result)


def connect(a, b):
    try:
        a.addnode(f"{LOOPBACK}:{b.p2p_port}", "add")
    except RPCError as e:
        if e.code != -23:  # already added
            raise
    wait_until(lambda: a.getconnectioncount() >= 1, timeout=15, msg=f"node{a.index} never reached node{b.index}")


def synced(nodes):
    tips = {n.getbestblockhash() for n in nodes}
    return len(tips) == 1


def check_accepted(a, accepted):
    """Each transaction A accepted is known to its wallet and is confirmed,
    in the mempool, or has every input unspent again."""
    pool = set(a.getrawmempool())
    for txid, t in zip(accepted, a.batch([("gettransaction", [t]) for t in accepted])):  # raises if one is lost
        if t["confirmations"] > 0 or txid in pool:
            continue
        assert_equal(t["confirmations"], 0, f"{txid} conflicted: {t}")
        for vin in a.decoderawtransaction(t["hex"])["vin"]:
            assert_true(a.gettxout(vin["txid"], vin["vout"], True) is not None,
                        f"{txid} is neither mined nor pooled, and its input {vin['txid']}:{vin['vout']} is spent")


def check_coins(a, include_mempool):
    """Every coin A lists is one the chain (or mempool) holds, with its
    amount. Returns their sum."""
    total = D(0)
    for u in a.listunspent(0 if include_mempool else 1):
        out = a.gettxout(u["txid"], u["vout"], include_mempool)
        assert_true(out is not None, f"listed coin {u['txid']}:{u['vout']} is not unspent on the chain")
        assert_equal(D(out["value"]), D(u["amount"]), f"coin {u['txid']}:{u['vout']}")
        total += D(u["amount"])
    return total


def settle(a, b, c, outside):
    """Mines what B's mempool holds, then what A's holds, so that nothing
    is left unconfirmed anywhere."""
    b.generatetoaddress(1, outside)
    wait_until(lambda: synced([a, b]), timeout=15, msg="A never took B's block")
    a.generatetoaddress(1, outside)
    wait_until(lambda: synced([a, b, c]), timeout=15, msg="B or C never took A's block")
    assert_equal((a.getrawmempool(), b.getrawmempool()), ([], []))
    wait_until(lambda: c.getrawmempool() == [], timeout=10)


def check_agrees(a, twin, what):
    mine = a.getbalances()["mine"]
    wait_until(lambda: twin.getbalances()["mine"] == mine, timeout=10,
               msg=f"{what}: A's balances {mine} differ from the seed's {twin.getbalances()['mine']}")
    assert_equal(check_coins(a, False), D(mine["trusted"]), "A's confirmed coins against its trusted balance")


def crash_round(a, b, c, i, rng, accepted, killed_during):
    mode = "send" if i % 2 == 0 else "mine"
    own = [a.getnewaddress() for _ in range(3)]
    for addr in own[:2]:  # B pays A; the payment reaches A by relay or in a block
        b.sendtoaddress(addr, float(D(rng.randint(10, 200)) / 100))
    w = Worker(a, mode, own, b.getnewaddress(), random.Random(rng.random()))
    w.start()
    time.sleep(rng.uniform(0.05, 0.4))
    killed_during.append(w.current)
    a.kill9()
    w.join(scaled(30))
    assert_true(w.error is None, f"round {i}: {w.error}")
    accepted.extend(w.accepted)

    a.start()
    info = a.getwalletinfo()
    assert_equal(info["walletname"], "default")
    connect(a, b)
    wait_until(lambda: synced([a, b]), timeout=20, msg=f"round {i}: A and B never agreed on the tip")
    check_accepted(a, accepted)
    check_coins(a, True)
    settle(a, b, c, b.address("outside"))
    check_agrees(a, c, f"round {i}")
    for txid, t in zip(accepted, a.batch([("gettransaction", [t]) for t in accepted])):
        assert_true(t["confirmations"] > 0, f"round {i}: {txid} never mined")


def check_behind(a, b, c):
    """A runs a while without its wallet (-disablewallet) and takes blocks
    paying it; killed and restarted with it, the wallet finds them by its
    rescan from its best block."""
    addr = a.getnewaddress()
    a.kill9()
    a.start(a.extra_args + ["-disablewallet"])
    connect(a, b)
    txid = b.sendtoaddress(addr, 3)
    b.generatetoaddress(3, b.address("outside"))
    wait_until(lambda: synced([a, b, c]), timeout=15, msg="A never took B's blocks")
    a.kill9()
    a.start()
    assert_equal(a.gettransaction(txid)["confirmations"], 3)
    connect(a, b)
    check_agrees(a, c, "after blocks taken without the wallet")


def outpoint(u):
    return {"txid": u["txid"], "vout": u["vout"]}


def locked(a):
    return sorted((o["txid"], o["vout"]) for o in a.listlockunspent())


def check_persistent_locks(a):
    """lockunspent's persistent locks are in the wallet database: they
    survive a kill -9 and a restart, plain ones do not; unlocking, one by
    one or all, removes them; a refused list persists nothing."""
    p, m = (outpoint(u) for u in a.listunspent()[:2])
    assert_equal(a.lockunspent(False, [p], True), True)
    assert_equal(a.lockunspent(False, [m], False), True)
    assert_equal(locked(a), sorted([(p["txid"], p["vout"]), (m["txid"], m["vout"])]))
    a.kill9()
    a.start()
    assert_equal(locked(a), [(p["txid"], p["vout"])])
    assert_true(all(outpoint(u) != p for u in a.listunspent()), "a locked coin is listed")
    assert_raises_rpc(-8, a.lockunspent, False, [p], True, message="Invalid parameter, output already locked")
    assert_raises_rpc(-3, a.lockunspent, False, [m], "yes")
    assert_equal(a.lockunspent(True, [p]), True)  # unlocking always drops the record
    a.restart()
    assert_equal(locked(a), [])
    assert_raises_rpc(-8, a.lockunspent, False, [p, {"txid": "ab" * 32, "vout": 0}], True)
    a.getnewaddress()  # a commit, which would carry a record the refusal left
    a.kill9()
    a.start()
    assert_equal(locked(a), [])
    a.lockunspent(False, [m, p], True)
    assert_equal(a.lockunspent(True), True)  # all, records too
    a.kill9()
    a.start()
    assert_equal(locked(a), [])


def test(nodes):
    a, b, c = nodes
    seed = int(os.environ.get("CAIRN_CRASH_SEED") or time.time_ns() % 1000000)
    print(f"CAIRN_CRASH_SEED={seed}")
    rng = random.Random(seed)
    c.sethdseed(True, a.dumpseed())  # the twin follows the chain live
    connect(a, b)
    connect(c, b)
    b.generatetoaddress(101, b.getnewaddress())
    wait_until(lambda: synced([a, b, c]), timeout=15)
    a.generatetoaddress(110, a.getnewaddress())
    wait_until(lambda: synced([a, b, c]), timeout=15)
    check_agrees(a, c, "before any kill")

    accepted, killed_during = [], []
    for i in range(ROUNDS):
        crash_round(a, b, c, i, rng, accepted, killed_during)
    check_behind(a, b, c)
    print(f"{len(accepted)} transactions accepted; killed during: {killed_during}")
    assert_true(sum(1 for k in killed_during if k in SENDS) >= 2, f"too few kills during sends: {killed_during}")
    assert_true(killed_during.count("generatetoaddress") >= 2, f"too few kills while mining: {killed_during}")

    # A wallet restored from the seed on a fresh node and rescanned agrees.
    d = Node(3, os.path.dirname(a.datadir), ["-connect=0", "-listen=1"])
    d.start()
    connect(d, b)
    wait_until(lambda: synced([a, b, d]), timeout=30, msg="the fresh node never synced")
    d.sethdseed(True, a.dumpseed())
    check_agrees(a, d, "restored from the seed")
    d.stop()
    check_persistent_locks(a)


if __name__ == "__main__":
    run(test, num_nodes=3, extra_args=[["-connect=0", "-listen=1"] for _ in range(3)], timeout=150)
