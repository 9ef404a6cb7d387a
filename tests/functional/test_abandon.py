#!/usr/bin/env python3
"""abandontransaction on a real node: two wallet transactions pushed out
of the mempool by expiry (setmocktime two weeks ahead, then any new
transaction); the abandoned one and its wallet child are listed
abandoned and are not resubmitted after a restart, while the other is;
the mempool taking an abandoned one back clears the mark; Core's errors."""
import time

from framework import assert_equal, assert_raises_rpc, assert_true, run

DAY = 24 * 3600


def spend_coinbase(node, coin, to):
    raw = node.createrawtransaction([{"txid": coin["txid"], "vout": coin["vout"]}],
                                    {to: str(round(coin["amount"] - 0.001, 8))})
    return node.sendrawtransaction(node.signrawtransactionwithwallet(raw)["hex"], 0)


def sends(node, txid):
    return [e for e in node.listtransactions("*", 1000) if e["txid"] == txid and e["category"] == "send"]


def test(nodes):
    node = nodes[0]
    me = node.getnewaddress()
    node.generatetoaddress(110, me)
    keep = node.sendtoaddress(node.address("outside"), 1)       # will expire, not abandoned
    doomed = node.sendtoaddress(node.address("outside"), 2)     # will expire, abandoned
    change = [o for o in node.getrawtransaction(doomed, True)["vout"] if o["address"] != node.address("outside")][0]
    # the child spends doomed's change: every other coin locked for the send
    others = [{"txid": c["txid"], "vout": c["vout"]} for c in node.listunspent(0)
              if (c["txid"], c["vout"]) != (doomed, change["n"])]
    node.lockunspent(False, others)
    child = node.sendtoaddress(node.address("outside"), 1)
    node.lockunspent(True, others)
    assert_equal({i["txid"] for i in node.getrawtransaction(child, True)["vin"]}, {doomed})
    assert_true({keep, doomed, child} <= set(node.getrawmempool()))
    coins = node.listunspent(1)  # what the three do not spend
    # Core's errors while they are in the mempool, and for others
    assert_raises_rpc(-5, node.abandontransaction, doomed, message="Transaction not eligible for abandonment")
    confirmed = node.getblock(node.getblockhash(1))["tx"][0]
    assert_raises_rpc(-5, node.abandontransaction, confirmed, message="Transaction not eligible for abandonment")
    assert_raises_rpc(-5, node.abandontransaction, "00" * 32, message="Invalid or non-wallet transaction id")
    assert_raises_rpc(-8, node.abandontransaction, "xyz")
    # two weeks and a day later, any new transaction expires the old ones
    node.setmocktime(int(time.time()) + 15 * DAY)
    unrelated = spend_coinbase(node, coins[0], node.address("other"))
    pool = set(node.getrawmempool())
    assert_equal(pool & {keep, doomed, child}, set())
    assert_true(unrelated in pool)
    assert_equal([e["abandoned"] for e in sends(node, doomed)], [False])
    assert_equal(node.abandontransaction(doomed), None)
    assert_equal([e["abandoned"] for e in sends(node, doomed)], [True])
    assert_equal([e["abandoned"] for e in sends(node, child)], [True])
    assert_equal([e["abandoned"] for e in sends(node, keep)], [False])
    assert_equal(node.abandontransaction(doomed), None)  # again: still fine, as in Core
    # after a restart the wallet resubmits what is not abandoned, and only that
    node.restart()
    pool = set(node.getrawmempool())
    assert_true(keep in pool, "the transaction not abandoned is resubmitted")
    assert_equal(pool & {doomed, child}, set())
    assert_equal([e["abandoned"] for e in sends(node, doomed)], [True])
    # the mempool taking it back (here: sent again by hand) clears the mark
    node.sendrawtransaction(node.gettransaction(doomed)["hex"])
    assert_equal([e["abandoned"] for e in sends(node, doomed)], [False])
    node.generatetoaddress(1, me)
    assert_equal(sends(node, doomed)[0]["confirmations"], 1)


if __name__ == "__main__":
    run(test, num_nodes=1)
