#!/usr/bin/env python3
"""getmempoolancestors, getmempooldescendants and savemempool on a real
node: a diamond of unconfirmed transactions whose relatives this test
works out from the transactions' own inputs (getrawtransaction), Core's
errors, and a mempool.dat that savemempool writes and a restart loads."""
import os
from decimal import Decimal

from framework import assert_equal, assert_raises_rpc, assert_true, run


def spend(node, coins, outs):
    """A signed transaction spending coins [(txid, vout)] to outs {addr: amount}; returns its txid."""
    raw = node.createrawtransaction([{"txid": t, "vout": v} for t, v in coins], outs)
    return node.sendrawtransaction(node.signrawtransactionwithwallet(raw)["hex"])


def vout_to(node, txid, address):
    tx = node.getrawtransaction(txid, True)
    return [o["n"] for o in tx["vout"] if o["address"] == address][0]


def build_diamond(node):
    """a -> (b, c) -> d, and e alone: returns the txids."""
    me = node.getnewaddress()
    node.generatetoaddress(101, me)
    x, y, z = node.getnewaddress(), node.getnewaddress(), node.getnewaddress()
    a = node.sendmany("", {x: 10, y: 10})
    b = spend(node, [(a, vout_to(node, a, x))], {z: "9.999"})
    w = node.getnewaddress()
    c = spend(node, [(a, vout_to(node, a, y))], {w: "9.999"})
    d = spend(node, [(b, 0), (c, 0)], {node.getnewaddress(): "19.99"})
    e = node.sendtoaddress(node.getnewaddress(), 1)
    return a, b, c, d, e


def relatives_from_inputs(node, pool):
    """{txid: set of in-pool parents}, from each transaction's inputs."""
    return {t: {i["txid"] for i in node.getrawtransaction(t, True)["vin"] if i.get("txid") in pool} for t in pool}


def closure(start, edges):
    seen, todo = set(), list(edges[start])
    while todo:
        t = todo.pop()
        if t not in seen:
            seen.add(t)
            todo += edges[t]
    return seen


def test(nodes):
    node = nodes[0]
    a, b, c, d, e = build_diamond(node)
    pool = set(node.getrawmempool())
    assert_true({a, b, c, d, e} <= pool)
    parents = relatives_from_inputs(node, pool)
    children = {t: {u for u in pool if t in parents[u]} for t in pool}
    for t in pool:
        assert_equal(set(node.getmempoolancestors(t)), closure(t, parents), f"ancestors of {t}")
        assert_equal(set(node.getmempooldescendants(t)), closure(t, children), f"descendants of {t}")
    assert_equal(set(node.getmempoolancestors(d)), {a, b, c})
    assert_equal(node.getmempoolancestors(a), [])
    assert_equal(set(node.getmempooldescendants(a)), {b, c, d})
    assert_equal(node.getmempooldescendants(e), [])
    # verbose: the same entries getmempoolentry gives
    verbose = node.getmempoolancestors(d, True)
    assert_equal(set(verbose), {a, b, c})
    for t, entry in verbose.items():
        assert_equal(entry, node.getmempoolentry(t))
    assert_equal(node.call("getmempooldescendants", txid=b, verbose=True), {d: node.getmempoolentry(d)})
    # Core's errors
    assert_raises_rpc(-5, node.getmempoolancestors, "00" * 32, message="Transaction not in mempool")
    assert_raises_rpc(-5, node.getmempooldescendants, "00" * 32, message="Transaction not in mempool")
    assert_raises_rpc(-8, node.getmempoolancestors, "xyz")
    assert_raises_rpc(-3, node.getmempoolancestors, a, "yes")
    # savemempool: Core's answer, a file a restart loads
    path = node.savemempool()["filename"]
    assert_equal(os.path.realpath(path), os.path.realpath(node.path("mempool.dat")))
    assert_true(os.path.getsize(path) > 0)
    node.kill9()  # no save at shut-down: what comes back is savemempool's file (and the emptied journal)
    node.start()
    assert_equal(set(node.getrawmempool()), pool)
    assert_equal(set(node.getmempoolancestors(d)), {a, b, c})
    # With -persistmempool=0 it is written all the same, as in Core.
    node.restart(["-persistmempool=0"])
    os.unlink(path)
    assert_equal(os.path.realpath(node.savemempool()["filename"]), os.path.realpath(path))
    assert_true(os.path.getsize(path) > 0)


if __name__ == "__main__":
    run(test, num_nodes=1)
