#!/usr/bin/env python3
"""The fee estimator learns a fee market: three wallets pay different fee
rates (sendtoaddress with an explicit fee_rate, in units per byte as Core's
sat/vB) into blocks too small for all of them (-blockmaxsize), so the
cheapest wait. Then estimatesmartfee answers, asks more for urgency
(conf_target 2 >= 20), follows the market when every payer raises its
rate, survives a restart (fee_estimates.dat), refuses a damaged file with a
log line, and a sendtoaddress without a fee rate pays about the estimate.
Also the argument checks of estimatesmartfee, estimaterawfee and the
sends' fee arguments, and -fallbackfee=0 refusing to guess."""
import os
from decimal import Decimal as D

from framework import assert_equal, assert_in, assert_raises_rpc, assert_true, run

# 1,400 bytes of transactions a block: 7 of the ~200-byte sends below.
BLOCK_ARGS = ["-blockmaxsize=2400", "-wallet=default", "-wallet=p0", "-wallet=p1", "-wallet=p2"]
SENDS_A_ROUND = 3  # each payer, so 9 a round against 7 a block


def fund(node, miner, payers, coins=30):
    """coins confirmed 1-CRN outputs for each payer, one sendmany (and one
    block) each, so every send spends a confirmed coin: the estimator skips
    transactions with unconfirmed parents."""
    me = miner.getnewaddress()
    node.generatetoaddress(110, me)
    for w in payers:
        miner.sendmany("", {w.getnewaddress(): 1 for _ in range(coins)}, 1, "", [], True, None, None, 2)
        node.generatetoaddress(1, me)
    assert_equal(node.getrawmempool(), [])
    return me


def market(node, payers, rates, rounds, me):
    """rounds of every payer sending SENDS_A_ROUND payments at its rate;
    a block every round and an extra one every second round, so the
    backlog of the cheapest clears within a few blocks."""
    for r in range(rounds):
        for w, rate in zip(payers, rates):
            for _ in range(SENDS_A_ROUND):
                w.sendtoaddress(address=node.address("shop"), amount=0.01, fee_rate=rate)
        node.generatetoaddress(1, me)
        if r % 2:
            node.generatetoaddress(1, me)


def feerate(node, target, mode=None):
    args = [target] if mode is None else [target, mode]
    got = node.estimatesmartfee(*args)
    assert_true("feerate" in got, f"an estimate for {target}: {got}")
    return D(str(got["feerate"]))


def check_arguments(node):
    for bad in (0, 1009, -1):
        assert_raises_rpc(-8, node.estimatesmartfee, bad, message="Invalid conf_target, must be between 1 and 1008")
    assert_raises_rpc(-8, node.estimatesmartfee, 2, "bogus",
                      message='Invalid estimate_mode parameter, must be one of: "unset", "economical", "conservative"')
    for mode in ("unset", "ECONOMICAL", "Conservative"):
        assert_in("blocks", node.estimatesmartfee(2, mode))
    assert_raises_rpc(-8, node.estimaterawfee, 1009)
    assert_raises_rpc(-8, node.estimaterawfee, 2, 1.5, message="Invalid threshold")
    # no data yet: Core's answer, blocks 0
    assert_equal(node.estimatesmartfee(6), {"errors": ["Insufficient data or no feerate found"], "blocks": 0})
    raw = node.estimaterawfee(20)
    assert_equal(sorted(raw), ["long", "medium"])  # the short horizon tracks 12 blocks
    assert_in("Insufficient data or no feerate found which meets threshold", raw["medium"]["errors"])


def check_send_arguments(node, w):
    to = node.address("shop")
    assert_raises_rpc(-8, w.sendtoaddress, to, 1, "", "", False, True, 6, None, None, 5,
                      message="Cannot specify both conf_target and fee_rate")
    assert_raises_rpc(-8, w.call, "sendtoaddress", address=to, amount=1, estimate_mode="economical", fee_rate=5)
    assert_raises_rpc(-8, w.call, "sendtoaddress", address=to, amount=1, estimate_mode="fast")
    assert_raises_rpc(-8, w.call, "sendtoaddress", address=to, amount=1, conf_target=0)
    assert_raises_rpc(-3, w.call, "sendtoaddress", address=to, amount=1, fee_rate="1.0001")
    # fee_rate 2.5 units per byte: 2,500 per 1,000 bytes
    got = w.call("sendtoaddress", address=to, amount=1, fee_rate=2.5, verbose=True)
    assert_equal(got["fee_reason"], "PayTxFee set")
    entry = node.getmempoolentry(got["txid"])
    fee = D(str(entry["fees"]["base"])) * 100000000
    assert_true(D(entry["vsize"]) * D("2.5") <= fee < D(entry["vsize"]) * D("2.5") + 500, f"fee {fee}")
    txid = w.sendmany("", {to: 0.5}, 1, "", [], False, None, None, 3)
    assert_in(txid, node.getrawmempool())
    # settxfee is this wallet's -paytxfee: it wins over the fallback
    assert_equal(w.settxfee(0.00003), True)
    assert_equal(D(str(w.getwalletinfo()["paytxfee"])), D("0.00003"))
    got = w.call("sendtoaddress", address=to, amount=1, verbose=True)
    assert_equal(got["fee_reason"], "PayTxFee set")
    entry = node.getmempoolentry(got["txid"])
    assert_true(D(str(entry["fees"]["base"])) * 100000000 >= D(entry["vsize"]) * 3)
    assert_raises_rpc(-8, w.settxfee, 0.000001, message="cannot be less than min relay tx fee")
    assert_equal(w.settxfee(0), True)
    assert_equal(w.call("sendtoaddress", address=to, amount=1, verbose=True)["fee_reason"], "Fallback fee")


def check_fallback_refused(node):
    """-fallbackfee=0 (the default) and no estimate: the send is refused
    as Core's (-6), an explicit fee rate still works."""
    node.restart(BLOCK_ARGS + ["-fallbackfee=0"])
    w = node.wallet("p0")
    assert_raises_rpc(-6, w.sendtoaddress, node.address("shop"), 1,
                      message="Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or enable -fallbackfee.")
    w.call("sendtoaddress", address=node.address("shop"), amount=1, fee_rate=1)


def test(nodes):
    node = nodes[0]
    node.restart(BLOCK_ARGS)  # creates the wallets
    check_arguments(node)
    payers = [node.wallet(n) for n in ("p0", "p1", "p2")]
    me = fund(node, node.wallet("default"), payers)
    check_fallback_refused(node)
    node.restart(BLOCK_ARGS)
    payers = [node.wallet(n) for n in ("p0", "p1", "p2")]  # the new cookie
    check_send_arguments(node, payers[0])
    node.generatetoaddress(2, me)

    market(node, payers, [2, 5, 12], 24, me)
    low2, low20 = feerate(node, 2), feerate(node, 20)
    assert_true(low2 >= low20, f"urgency costs more: {low2} for 2 blocks, {low20} for 20")
    assert_true(D("0.00001") <= low20 <= D("0.00013"), f"within the market's rates: {low20}")
    assert_true(feerate(node, 2, "conservative") >= feerate(node, 2, "economical"))
    raw = node.estimaterawfee(2)
    assert_equal(sorted(raw), ["long", "medium", "short"])
    assert_in("pass", raw["short"])

    # Everyone pays four times as much: the estimate follows once the old
    # rates' records have decayed.
    market(node, payers, [8, 20, 48], 40, me)
    high2 = feerate(node, 2)
    assert_true(high2 > low2, f"the market rose: {low2} then {high2}")

    # Empty the pool, so that nothing unsaved goes into the answers, and
    # restart: the same estimates.
    while node.getrawmempool():
        node.generatetoaddress(1, me)
    before = {t: node.estimatesmartfee(t) for t in (2, 6, 20)}
    node.restart(BLOCK_ARGS)
    assert_in("fee estimates loaded", node.log())
    after = {t: node.estimatesmartfee(t) for t in (2, 6, 20)}
    assert_equal(after, before)

    # A send without a fee rate pays the estimate for -txconfirmtarget (6).
    est = feerate(node, 6)
    got = node.wallet("default").call("sendtoaddress", address=node.address("shop"), amount=1, verbose=True)
    assert_true(got["fee_reason"] not in ("Fallback fee", "PayTxFee set"), got["fee_reason"])
    entry = node.getmempoolentry(got["txid"])
    paid = D(str(entry["fees"]["base"])) * 1000 / D(entry["vsize"])
    assert_true(est <= paid <= est * D("1.1") + D("0.000005"), f"paid {paid} per kB, estimate {est}")

    # A damaged file is refused with a log line; the node starts afresh.
    node.stop()
    path = os.path.join(node.netdir, "fee_estimates.dat")
    with open(path, "r+b") as f:
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 1]))
    node.start(BLOCK_ARGS)
    assert_in("fee estimates not loaded, starting afresh", node.log())
    assert_equal(node.estimatesmartfee(2)["blocks"], 0)


if __name__ == "__main__":
    run(test, timeout=600)
