#!/usr/bin/env python3
"""The wallet over RPC on a real node: send → mine → balances, lockunspent
the mempool's chain limit in coin selection, and the raw-transaction workflow (createrawtransaction,
signrawtransactionwithwallet, sendrawtransaction), encryption (lock,
refuse, unlock, send, passphrase change), a restart, a backup, and a
restore from the seed on a fresh node."""
import os
from decimal import Decimal

from framework import (Node, assert_equal, assert_in, assert_raises_rpc, assert_true, run, wait_until)


def D(x):
    return Decimal(str(x))


def check_send_and_balances(node):
    me = node.getnewaddress("me")
    outside = node.address("outside")  # not a wallet address
    node.generatetoaddress(101, me)
    # A coinbase is spendable 100 blocks after its own (consensus), so at
    # height 101 those of heights 1 and 2 are mature.
    b = node.getbalances()["mine"]
    assert_equal((D(b["trusted"]), D(b["immature"])), (D(100), D(99 * 50)))
    txid = node.sendtoaddress(outside, 10)
    assert_in(txid, node.getrawmempool())
    tx = node.gettransaction(txid)
    fee = -D(tx["fee"])
    assert_true(Decimal("0") < fee < Decimal("0.001"), f"fee {fee}")
    assert_equal(D(node.getbalance()), D(90) - fee)  # change is trusted at once
    node.generatetoaddress(1, outside)
    assert_equal(node.gettransaction(txid)["confirmations"], 1)
    assert_equal(D(node.getbalance()), D(140) - fee)  # one more coinbase matured
    # minconf counts confirmations (the change has 1, coinbases up to 102).
    assert_equal(D(node.getbalance("*", 1)), D(140) - fee)
    old = sum(D(u["amount"]) for u in node.listunspent(101))
    assert_equal(D(node.getbalance("*", 101)), old)
    assert_true(old in (D(50), D(100)), f"coins of 101+ confirmations: {old}")
    assert_equal(D(node.getbalance("*", 1000)), D(0))
    assert_equal(node.getwalletinfo()["txcount"], len({t["txid"] for t in node.listtransactions("*", 1000)}))
    sends = [t for t in node.listtransactions("*", 100) if t["category"] == "send"]
    assert_equal([(t["txid"], D(t["amount"])) for t in sends], [(txid, D(-10))])
    out = node.gettxout(txid, 0) or node.gettxout(txid, 1)
    assert_true(out is not None)
    return me


def check_sendmany_and_locks(node):
    a, b = node.getnewaddress(), node.getnewaddress()
    txid = node.sendmany("", {a: 1.5, b: 2.25})
    node.generatetoaddress(1, node.address("outside"))
    mine = {(u["address"], D(u["amount"])) for u in node.listunspent(1, 9999999, [a, b])}
    assert_equal(mine, {(a, D("1.5")), (b, D("2.25"))})
    # A locked coin is neither listed nor spent.
    coins = node.listunspent()
    for c in coins:
        node.lockunspent(False, [{"txid": c["txid"], "vout": c["vout"]}])
    assert_equal(len(node.listlockunspent()), len(coins))
    assert_equal(node.listunspent(), [])
    assert_raises_rpc(-6, node.sendtoaddress, node.address("outside"), 1)
    assert_equal(node.lockunspent(True), True)
    assert_equal(node.listlockunspent(), [])
    assert_raises_rpc(-8, node.lockunspent, False, [{"txid": "ab" * 32, "vout": 0}])
    # All or nothing: a good output listed before a bad one stays unlocked.
    good = node.listunspent()[0]
    assert_raises_rpc(-8, node.lockunspent, False,
                      [{"txid": good["txid"], "vout": good["vout"]}, {"txid": "ab" * 32, "vout": 0}])
    assert_equal(node.listlockunspent(), [])
    assert_equal(node.lockunspent(False), True)  # locking nothing does nothing
    # The raw-transaction workflow, as tools written for Bitcoin Core use it.
    c = node.listunspent()[0]
    value = D(c["amount"]) - D("0.001")
    raw = node.createrawtransaction([{"txid": c["txid"], "vout": c["vout"]}], {node.address("outside"): float(value)})
    signed = node.signrawtransactionwithwallet(raw)
    assert_equal(signed["complete"], True)
    assert_equal(node.testmempoolaccept([signed["hex"]])[0]["allowed"], True)
    # A fee rate above maxfeerate is refused unless the caller allows it.
    assert_raises_rpc(-25, node.sendrawtransaction, signed["hex"], 0.000001)
    rej = node.testmempoolaccept([signed["hex"]], 0.000001)[0]
    assert_equal((rej["allowed"], rej["reject-reason"]), (False, "max-fee-exceeded"))
    # testmempoolaccept runs the mempool's own checks: a non-final one is refused.
    c2 = node.listunspent()[1]
    late = node.createrawtransaction([{"txid": c2["txid"], "vout": c2["vout"]}],
                                     {node.address("outside"): float(D(c2["amount"]) - D("0.001"))},
                                     node.getblockcount() + 10)
    late = node.signrawtransactionwithwallet(late)["hex"]
    rej = node.testmempoolaccept([late])[0]
    assert_equal((rej["allowed"], rej["reject-reason"]), (False, "non-final"))
    assert_raises_rpc(-26, node.sendrawtransaction, late)
    # A transaction whose parent is unknown is refused, not kept as an orphan.
    orphan = node.createrawtransaction([{"txid": "cd" * 32, "vout": 0}], {node.address("outside"): 1})
    assert_raises_rpc(-25, node.sendrawtransaction, orphan)
    assert_equal(node.getmempoolinfo()["orphans"], 0)
    sent = node.sendrawtransaction(signed["hex"])
    assert_equal(node.decoderawtransaction(signed["hex"])["txid"], sent)
    assert_in(sent, node.getrawmempool())
    return txid


def check_chain_limit(node):
    """With one coin to spend, sends chain their change in the mempool: 25
    go in (the mempool's limit of 25 ancestors), the 26th is refused by
    the wallet itself with Bitcoin Core's reason rather than built and
    then rejected by the mempool; another confirmed coin is then spent."""
    node.generatetoaddress(1, node.address("outside"))
    coins = sorted(node.listunspent(), key=lambda c: D(c["amount"]))
    node.lockunspent(False, [{"txid": c["txid"], "vout": c["vout"]} for c in coins[:-1]])
    sent = [node.sendtoaddress(node.address("outside"), 0.1) for _ in range(25)]
    assert_equal(sorted(node.getrawmempool()), sorted(sent))
    assert_raises_rpc(-6, node.sendtoaddress, node.address("outside"), 0.1,
                      message="Unconfirmed UTXOs are available, but spending them creates a chain of transactions "
                              "that will be rejected by the mempool")
    node.lockunspent(True)
    extra = node.sendtoaddress(node.address("outside"), 0.1)
    assert_equal(node.getmempoolentry(extra)["ancestorcount"], 1)
    node.generatetoaddress(1, node.address("outside"))
    assert_equal(node.getrawmempool(), [])


def check_encryption(node):
    dest = node.address("outside")
    assert_raises_rpc(-15, node.walletlock)  # not encrypted yet
    node.encryptwallet("correct horse")
    assert_true(node.getwalletinfo()["encrypted"])
    assert_raises_rpc(-13, node.sendtoaddress, dest, 1)
    assert_raises_rpc(-13, node.dumpprivkey, node.getnewaddress())
    assert_raises_rpc(-14, node.walletpassphrase, "wrong", 10)
    node.walletpassphrase("correct horse", 30)
    txid = node.sendtoaddress(dest, 1)
    node.walletlock()
    assert_raises_rpc(-13, node.sendtoaddress, dest, 1)
    node.walletpassphrasechange("correct horse", "battery staple")
    assert_raises_rpc(-14, node.walletpassphrase, "correct horse", 10)
    node.walletpassphrase("battery staple", 1)
    wait_until(lambda: node.getwalletinfo()["unlocked_until"] == 0, timeout=10)
    assert_raises_rpc(-13, node.sendtoaddress, dest, 1)
    return txid


def check_restart_backup_restore(node, tmpdir):
    node.walletpassphrase("battery staple", 60)
    seed = node.dumpseed()
    node.generatetoaddress(1, node.address("outside"))
    before = node.getbalances()
    node.restart()
    assert_equal(node.getbalances(), before)
    backup = os.path.join(tmpdir, "backup.dat")
    node.backupwallet(backup)
    assert_true(os.path.getsize(backup) > 0)
    assert_equal(os.stat(backup).st_mode & 0o777, 0o600)
    trusted = D(node.getbalance())

    # A fresh node restored from the seed finds the same funds once it has
    # the same chain (blocks given to it with submitblock).
    fresh = Node(9, tmpdir)
    fresh.start()
    for h in range(1, node.getblockcount() + 1):
        fresh.submitblock(node.getblock(node.getblockhash(h), 0))
    assert_equal(fresh.getbestblockhash(), node.getbestblockhash())
    assert_equal(D(fresh.getbalance()), D(0))
    fresh.sethdseed(True, seed)
    assert_equal(D(fresh.getbalance()), trusted)
    # Only a blank, unencrypted wallet takes a seed: nothing is ever lost.
    assert_raises_rpc(-4, fresh.sethdseed, True, seed)
    assert_raises_rpc(-15, node.sethdseed, True, seed)
    fresh.stop()


def test(nodes):
    node = nodes[0]
    check_send_and_balances(node)
    check_sendmany_and_locks(node)
    check_chain_limit(node)
    check_encryption(node)
    check_restart_backup_restore(node, os.path.dirname(node.datadir))


if __name__ == "__main__":
    run(test)
