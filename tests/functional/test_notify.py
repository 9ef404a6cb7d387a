#!/usr/bin/env python3
"""Notify commands, as Bitcoin Core runs them, through /bin/sh -c:
- -blocknotify gets exactly the hashes of the blocks that became the tip
  (in any order: the commands run side by side);
- -walletnotify gets the txid of a payment when it enters the mempool and
  again when it is confirmed (with %w the wallet's name, shell-quoted even
  when it holds a quote and a space, %b the block or 'unconfirmed', %h the
  height or -1), for a send and for a receive on a second node;
- -assetnotify gets an asset's id when it is registered and confirmed;
- a command that fails is logged and the node goes on;
- a slow command (sleep 5 each) never delays an RPC answer, and at most
  eight run at once while more are queued."""
import hashlib
import os
import time

from framework import LOOPBACK, assert_equal, assert_in, assert_true, run, scaled, wait_until


def lines(path):
    try:
        with open(path) as f:
            return [ln.split() for ln in f.read().splitlines() if ln.strip()]
    except FileNotFoundError:
        return []


def test(nodes):
    a, b = nodes
    tmp = os.path.dirname(a.datadir)
    blocks, wallet, assets = (os.path.join(tmp, n) for n in ("blocks.txt", "wallet.txt", "assets.txt"))
    b_wallet = os.path.join(tmp, "b_wallet.txt")
    a.restart(["-blocknotify=echo %s >> " + blocks,
               "-walletnotify=echo %s %w %b %h >> " + wallet,
               "-assetnotify=echo %s >> " + assets,
               "-wallet=it's mine"])
    b.restart(["-walletnotify=echo %s %w %b %h >> " + b_wallet])
    a.addnode(f"{LOOPBACK}:{b.p2p_port}", "onetry")
    wait_until(lambda: a.getconnectioncount() == 1, 10)

    # blocks: every new tip exactly once (commands run side by side, so
    # their lines may come in any order, as with Core's threads)
    hashes = a.generatetoaddress(101, a.getnewaddress())
    wait_until(lambda: len(lines(blocks)) >= 101, 20)
    time.sleep(0.3)
    assert_true(sorted(ln[0] for ln in lines(blocks)) == sorted(hashes), "one line for each new tip")

    # the wallet's coinbases: each recorded and confirmed in its block
    wait_until(lambda: len(lines(wallet)) >= 101, 20)
    got = sorted(lines(wallet))
    want = sorted([a.getblock(h)["tx"][0], "it's", "mine", h, str(a.getblock(h)["height"])] for h in hashes)
    assert_true(got == want, "one line for each coinbase, with its block and height")

    # a send (a's wallet) that pays b: both wallets hear of it unconfirmed, then confirmed
    pay = a.sendtoaddress(b.getnewaddress(), 2)
    wait_until(lambda: any(ln[0] == pay for ln in lines(b_wallet)), 20)
    assert_in([pay, "it's", "mine", "unconfirmed", "-1"], lines(wallet))
    assert_equal(lines(b_wallet), [[pay, "default", "unconfirmed", "-1"]])
    (blk,) = a.generatetoaddress(1, a.getnewaddress())
    height = str(a.getblockcount())
    wait_until(lambda: len(lines(b_wallet)) == 2, 20)
    assert_equal(lines(b_wallet)[1], [pay, "default", blk, height])
    wait_until(lambda: [pay, "it's", "mine", blk, height] in lines(wallet), 20)

    # an asset: registered (mempool), then confirmed
    doc = hashlib.sha256(b"a deed for the notify test").hexdigest()
    a.registerasset(doc, "deed")
    wait_until(lambda: len(lines(assets)) == 1, 20)
    a.generatetoaddress(1, a.getnewaddress())
    wait_until(lambda: len(lines(assets)) == 2, 20)
    assert_equal(lines(assets), [[doc], [doc]])

    # a failing command is logged, and the node goes on (b first holds
    # a's tip, so no block from a lands between the count and the mining)
    wait_until(lambda: b.getbestblockhash() == a.getbestblockhash(), 20)
    b.restart(["-blocknotify=exit 3"])
    before = b.getblockcount()
    b.generatetoaddress(1, b.getnewaddress())
    wait_until(lambda: "-blocknotify command exited with status 3: exit 3" in b.log(), 20)
    b.generatetoaddress(1, b.getnewaddress())
    assert_equal(b.getblockcount(), before + 2)

    # slow commands run beside the loop: 20 blocks, each with a 5 s
    # command, and RPC answers stay quick; eight at a time
    slow = os.path.join(tmp, "slow.txt")
    b.restart([f"-blocknotify=echo start >> {slow}; sleep 5; echo end >> {slow}"])
    t = time.monotonic()
    for _ in range(20):
        b.generatetoaddress(1, b.getnewaddress())
        b.getblockcount()
    took = time.monotonic() - t
    assert_true(took < scaled(4), f"20 blocks with slow notify commands took {took:.1f} s")
    wait_until(lambda: len([x for x in lines(slow) if x == ["start"]]) >= 8, 10)
    time.sleep(1)
    starts = len([x for x in lines(slow) if x == ["start"]])
    assert_equal(starts, 8, "at most eight commands run at once")
    wait_until(lambda: len([x for x in lines(slow) if x == ["end"]]) >= 8, 15)


if __name__ == "__main__":
    run(test, num_nodes=2, timeout=180)
