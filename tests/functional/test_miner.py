#!/usr/bin/env python3
"""-mine: a node mines by itself (on regtest a block a second), pays the
wallet or -mineaddress, takes mempool transactions into its blocks, and
refuses a missing or malformed address at start-up."""
import os
import tempfile

from framework import (Node, assert_equal, assert_in, assert_true, run, run_cairnd, wait_until)


def test(nodes):
    node = nodes[0]
    # No mining without -mine.
    node.generatetoaddress(101, node.getnewaddress())
    node.restart(["-mine", "-minethreads=2"])
    start = node.getblockcount()
    wait_until(lambda: node.getblockcount() >= start + 2, timeout=15)
    assert_in("mined block", node.log())
    # It pays the wallet, and takes the mempool's transactions.
    txid = node.sendtoaddress(node.address("outside"), 1)
    wait_until(lambda: node.gettransaction(txid)["confirmations"] >= 1, timeout=15)
    assert_true(node.getbalances()["mine"]["immature"] > 0)
    node.stop()

    # To an address given on the command line, without a wallet.
    target = node.address("miner")
    node.start(["-mine", f"-mineaddress={target}", "-disablewallet"])
    h = node.getblockcount()
    wait_until(lambda: node.getblockcount() > h, timeout=15)
    cb = node.getblock(node.getbestblockhash(), 2)["tx"][0]
    assert_equal(cb["vout"][0]["address"], target)
    node.stop()

    # Bad set-ups end with one clear line and status 1.
    with tempfile.TemporaryDirectory() as d:
        rc, out, err = run_cairnd(["-regtest", f"-datadir={d}", "-mine", "-disablewallet", "-port=0", "-rpcport=0"])
        assert_equal(rc, 1)
        assert_in("-mine needs -mineaddress", err)
    with tempfile.TemporaryDirectory() as d:
        rc, out, err = run_cairnd(["-regtest", f"-datadir={d}", "-mine", "-mineaddress=crn1nope", "-port=0",
                                   "-rpcport=0"])
        assert_equal(rc, 1)
        assert_in("invalid -mineaddress", err)
    node.start()


if __name__ == "__main__":
    run(test)
