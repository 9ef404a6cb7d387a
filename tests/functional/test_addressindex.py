#!/usr/bin/env python3
"""The address index (-addressindex) and its Insight-style methods:
payments to several addresses across blocks; balances, unspent outputs,
txids and deltas checked against the wallet and against an index the test
builds itself from getblock; limit/offset paging returns every entry once,
in order; getaddressmempool shows unconfirmed payments and spends; an
invalidateblock and a competing longer chain from another node move the
index exactly; a node without the index answers -5; and enabling the index
on a node with an existing chain builds it in the background (getindexinfo
shows it syncing, then synced) with the same answers as a node that had it
from the start."""
from decimal import Decimal

from framework import LOOPBACK, assert_equal, assert_raises_rpc, assert_true, run, wait_until

UNIT = 10 ** 8
COMMON = ["-connect=0", "-listen=1"]
NOT_ENABLED = "No information available for address: the address index is not enabled (start cairnd with -addressindex)"


def units(crn):
    return int((Decimal(str(crn)) * UNIT).to_integral_value())


def oracle(node, addrs):
    """Every delta of addrs, from the blocks themselves, in the index's
    order: (height, position, index, spending)."""
    outputs = {}
    deltas = []
    want = set(addrs)
    for h in range(node.getblockcount() + 1):
        block = node.getblock(node.getblockhash(h), 2)
        for pos, tx in enumerate(block["tx"]):
            for j, vin in enumerate(tx["vin"]):
                if "coinbase" in vin:
                    continue
                addr, value = outputs[(vin["txid"], vin["vout"])]
                if addr in want:
                    deltas.append({"satoshis": -value, "txid": tx["txid"], "index": j, "blockindex": pos,
                                   "height": h, "address": addr, "_spending": 1})
            for out in tx["vout"]:
                value = units(out["value"])
                outputs[(tx["txid"], out["n"])] = (out["address"], value)
                if out["address"] in want:
                    deltas.append({"satoshis": value, "txid": tx["txid"], "index": out["n"], "blockindex": pos,
                                   "height": h, "address": out["address"], "_spending": 0})
    deltas.sort(key=lambda d: (d["height"], d["blockindex"], d["index"], d["_spending"]))
    for d in deltas:
        del d["_spending"]
    return deltas


def txids_of(deltas):
    seen = []
    for d in deltas:
        if not seen or seen[-1] != d["txid"]:
            seen.append(d["txid"])
    return seen


def check_against_oracle(node, addrs):
    expect = oracle(node, addrs)
    assert_equal(node.getaddressdeltas({"addresses": addrs}), expect)
    assert_equal(node.getaddresstxids({"addresses": addrs}), txids_of(expect))
    for a in addrs:
        mine = [d for d in expect if d["address"] == a]
        bal = node.getaddressbalance(a)
        assert_equal(bal, {"balance": sum(d["satoshis"] for d in mine),
                           "received": sum(d["satoshis"] for d in mine if d["satoshis"] > 0)})
        assert_equal(node.getaddressdeltas(a), mine)
    return expect


def answers(node, addrs):
    q = {"addresses": addrs}
    return (node.getaddressdeltas(q), node.getaddresstxids(q), node.getaddressutxos(q),
            [node.getaddressbalance(a) for a in addrs])


def check_wallet(node, wallet, addrs):
    """Balances and unspent outputs as the wallet that owns addrs says."""
    for a in addrs:
        utxos = node.getaddressutxos({"addresses": [a]})
        listed = wallet.listunspent(1, 9999999, [a])
        assert_equal(sorted((u["txid"], u["outputIndex"], u["satoshis"]) for u in utxos),
                     sorted((u["txid"], u["vout"], units(u["amount"])) for u in listed))
        bal = node.getaddressbalance(a)
        assert_equal(bal["balance"], sum(units(u["amount"]) for u in listed))
        received = [t for t in wallet.listtransactions("*", 100000)
                    if t.get("address") == a and t["category"] in ("receive", "generate", "immature")
                    and t["confirmations"] > 0]
        assert_true(received, f"the wallet lists no receipt to {a}")
        assert_equal(bal["received"], sum(units(t["amount"]) for t in received))


def pages(fn, query, size):
    got, offset = [], 0
    while True:
        page = fn(dict(query, limit=size, offset=offset))
        assert_true(len(page) <= size)
        if not page:
            return got
        got += page
        offset += size


def check_paging(node, addrs):
    q = {"addresses": addrs}
    for fn in (node.getaddressdeltas, node.getaddresstxids, node.getaddressutxos):
        full = fn(q)
        assert_true(len(full) > 3, f"too few entries to page: {len(full)}")
        for size in (1, 2, 5):
            assert_equal(pages(fn, q, size), full)
    # A height range: both ends inclusive.
    deltas = node.getaddressdeltas(q)
    lo, hi = deltas[1]["height"], deltas[-2]["height"]
    assert_equal(node.getaddressdeltas(dict(q, start=lo, end=hi)),
                 [d for d in deltas if lo <= d["height"] <= hi])
    assert_raises_rpc(-8, node.getaddressdeltas, dict(q, start=5, end=4))
    assert_raises_rpc(-5, node.getaddressbalance, "nonsense")
    assert_raises_rpc(-5, node.getaddressbalance, {"addresses": "notalist"})


def connect(a, b):
    a.addnode(f"{LOOPBACK}:{b.p2p_port}", "onetry")
    wait_until(lambda: len(a.getpeerinfo()) > 0 and len(b.getpeerinfo()) > 0)


def disconnect(a, b):
    for p in a.getpeerinfo():
        a.disconnectnode("", p["id"])
    wait_until(lambda: not a.getpeerinfo() and not b.getpeerinfo())


def test(nodes):
    a, b, c = nodes
    a.createwallet("w2")
    w1, w2 = a.wallet("default"), a.wallet("w2")
    miner = w1.getnewaddress()
    x, y = w2.getnewaddress(), w2.getnewaddress()
    z = w1.getnewaddress()
    a.generatetoaddress(101, miner)

    # Payments to several addresses across blocks, then spends from them.
    for i in range(3):
        w1.sendtoaddress(x, 1 + i)
        w1.sendtoaddress(y, "0.5")
        a.generatetoaddress(1, miner)
    w2.sendtoaddress(z, "2.5")
    w2.sendtoaddress(z, "1.25")
    a.generatetoaddress(1, miner)
    addrs = [x, y, z]
    check_against_oracle(a, addrs)
    check_wallet(a, w2, [x, y])
    check_wallet(a, w1, [z])
    check_paging(a, addrs + [miner])
    info = a.getindexinfo()
    assert_equal(info["addressindex"], {"synced": True, "best_block_height": a.getblockcount()})
    assert_equal(info["txindex"], {"synced": True, "best_block_height": a.getblockcount()})
    assert_equal(a.getindexinfo("addressindex"), {"addressindex": info["addressindex"]})
    assert_equal(a.getindexinfo("nosuch"), {})

    # Unconfirmed: a payment to z and a spend from x's or y's coins.
    txid = w2.sendtoaddress(z, "0.75")
    pending = a.getaddressmempool({"addresses": [x, y, z]})
    assert_true(any(p["txid"] == txid and p["address"] == z and p["satoshis"] == units("0.75") for p in pending),
                f"the payment is not listed: {pending}")
    spends = [p for p in pending if p["satoshis"] < 0]
    assert_true(spends and all(p["txid"] == txid and "prevtxid" in p for p in spends), f"spends: {pending}")
    raw = a.getrawtransaction(txid, True)
    assert_equal(sorted((s["prevtxid"], s["prevout"]) for s in spends),
                 sorted((v["txid"], v["vout"]) for v in raw["vin"]
                        if a.getrawtransaction(v["txid"], True)["vout"][v["vout"]]["address"] in (x, y)))
    assert_equal(a.getaddressmempool(z), [p for p in pending if p["address"] == z])
    a.generatetoaddress(1, miner)
    assert_equal(a.getaddressmempool({"addresses": [x, y, z]}), [])
    check_against_oracle(a, addrs)

    # invalidateblock takes a block's entries out, reconsiderblock puts them back.
    before = answers(a, addrs)
    tip = a.getbestblockhash()
    a.invalidateblock(tip)
    assert_true(answers(a, addrs) != before)
    check_against_oracle(a, addrs)
    a.reconsiderblock(tip)
    assert_equal(answers(a, addrs), before)

    # A competing longer chain from c: a reorganises onto it.
    connect(c, a)
    wait_until(lambda: c.getbestblockhash() == a.getbestblockhash(), timeout=30)
    check_against_oracle(c, addrs)
    assert_equal(answers(c, addrs), before)
    disconnect(c, a)
    w2.sendtoaddress(x, "0.1")
    a.generatetoaddress(1, miner)
    assert_true(any(d["satoshis"] == units("0.1") for d in a.getaddressdeltas(x)))
    c.generatetoaddress(3, c.address("c-miner"))
    connect(c, a)
    wait_until(lambda: a.getbestblockhash() == c.getbestblockhash(), timeout=30)
    disconnect(c, a)
    check_against_oracle(a, addrs)
    assert_equal(answers(a, addrs), answers(c, addrs))
    # The transaction of a's lost block is pending again.
    assert_true(any(p["satoshis"] == units("0.1") for p in a.getaddressmempool(x)), "the lost payment is pending")

    # A node without the index answers -5, and getindexinfo lists none.
    connect(b, a)
    wait_until(lambda: b.getbestblockhash() == a.getbestblockhash(), timeout=30)
    disconnect(b, a)
    for method in ("getaddressbalance", "getaddresstxids", "getaddressutxos", "getaddressdeltas",
                   "getaddressmempool"):
        assert_raises_rpc(-5, getattr(b, method), {"addresses": [x]}, message=NOT_ENABLED)
    assert_true("addressindex" not in b.getindexinfo())

    # Enabled on an existing chain: built in the background, then the same.
    # (-addressindexpause slows the build down enough to watch it.)
    b.restart(COMMON + ["-addressindex", "-addressindexpause=20"])
    seen = []
    def poll():
        seen.append(b.getindexinfo()["addressindex"])
        if not seen[-1]["synced"]:
            # While it builds, the other methods answer -5, at once.
            assert_raises_rpc(-5, b.getaddressbalance, x)
        return seen[-1]["synced"]
    wait_until(poll, timeout=60)
    assert_equal(seen[-1]["best_block_height"], b.getblockcount())
    syncing = [s for s in seen if not s["synced"]]
    assert_true(syncing, "the build was never seen under way")
    heights = [s["best_block_height"] for s in seen]
    assert_equal(heights, sorted(heights))
    assert_equal(answers(b, addrs), answers(a, addrs))
    # And from now on kept live like a's.
    a.generatetoaddress(2, x)
    connect(b, a)
    wait_until(lambda: b.getbestblockhash() == a.getbestblockhash(), timeout=30)
    assert_equal(answers(b, addrs), answers(a, addrs))
    assert_equal(b.getindexinfo()["addressindex"]["synced"], True)

    # Kept across a restart; run a while without it, then with it again:
    # it catches up from where it stopped.
    a.restart(COMMON)
    a.generatetoaddress(3, y)
    a.restart(COMMON + ["-addressindex"])
    wait_until(lambda: a.getindexinfo()["addressindex"]["synced"], timeout=60)
    check_against_oracle(a, addrs)


if __name__ == "__main__":
    run(test, num_nodes=3, extra_args=[COMMON + ["-addressindex"], COMMON, COMMON + ["-addressindex"]], timeout=240)
