#!/usr/bin/env python3
"""Provenance across reorganisations, on two nodes that share blocks only
through submitblock (no mesh, so each branch is built where the test says).

- invalidateblock on the registration's block: the asset is unconfirmed
  again (back in the mempool), its proof is gone, the block is on a side
  branch; reconsiderblock brings everything back.
- a competing branch that registers the same id for another owner wins:
  the losing registration is gone from the index and dropped from the
  mempool (it conflicts), the index, history and proof follow the winner,
  and a registration that only the losing branch held (no conflict) is
  back in the mempool.
- a locked wallet registers and transfers nothing (-13) until unlocked."""
import hashlib
import json
import os

from framework import assert_equal, assert_in, assert_raises_rpc, assert_true, run
from test_provenance import verify_offline, write_json


def copy_blocks(src, dst, start, end):
    for h in range(start, end + 1):
        res = dst.submitblock(src.getblock(src.getblockhash(h), 0))
        assert_true(res in (None, "duplicate"), f"block {h}: {res}")


def test_invalidate(a, doc):
    reg = a.registerasset(doc, "first")
    (bh,) = a.generatetoaddress(1, a.getnewaddress())
    assert_equal(a.getassetinfo(doc)["blockhash"], bh)
    a.getassetproof(doc)
    a.invalidateblock(bh)
    info = a.getassetinfo(doc)
    assert_equal(info["confirmed"], False)
    assert_equal(info["registration_txid"], reg)
    assert_in(reg, a.getrawmempool())
    assert_raises_rpc(-5, a.getassetproof, doc, message="not found in the block chain")
    hist = a.getassethistory(doc)
    assert_equal([s["confirmed"] for s in hist], [False])
    prov = a.getblockprovenance(bh)
    assert_equal(prov["in_best_chain"], False)
    assert_equal(prov["confirmations"], -1)
    assert_equal(prov["branch"]["status"], "invalid")
    assert_equal(prov["branch"]["fork_height"], prov["height"] - 1)
    a.reconsiderblock(bh)
    assert_equal(a.getbestblockhash(), bh)
    info = a.getassetinfo(doc)
    assert_equal(info["confirmed"], True)
    assert_equal(info["blockhash"], bh)
    assert_equal(a.getrawmempool(), [])
    assert_equal(len(a.getassetproof(doc)["steps"]), 1)


def test(nodes):
    a, b = nodes
    # a shared chain: b's wallet gets ten coinbases, a's the rest
    b_addr = b.getnewaddress()
    a.generatetoaddress(10, b_addr)
    a.generatetoaddress(101, a.getnewaddress())
    copy_blocks(a, b, 1, a.getblockcount())
    assert_equal(b.getbestblockhash(), a.getbestblockhash())

    test_invalidate(a, hashlib.sha256(b"invalidated and reconsidered").hexdigest())
    copy_blocks(a, b, b.getblockcount() + 1, a.getblockcount())
    fork = a.getblockcount()

    doc = hashlib.sha256(b"contested deed").hexdigest()
    only_a = hashlib.sha256(b"a's other deed").hexdigest()
    r1 = a.registerasset(doc, "a's claim")
    r3 = a.registerasset(only_a, "only on a's branch")
    (a1,) = a.generatetoaddress(1, a.getnewaddress())
    assert_equal(a.getassetinfo(doc)["registration_txid"], r1)
    old_proof = a.getassetproof(doc)

    b_owner = b.getnewaddress()
    r2 = b.registerasset(doc, "b's claim", b_owner)
    b_tips = b.generatetoaddress(2, b.getnewaddress())
    copy_blocks(b, a, fork + 1, fork + 2)
    assert_equal(a.getbestblockhash(), b_tips[-1])

    # the winner's registration, everywhere
    info = a.getassetinfo(doc)
    assert_equal(info["registration_txid"], r2)
    assert_equal(info["owner"], b_owner)
    assert_equal(info["metadata_text"], "b's claim")
    assert_equal(info["confirmations"], 2)
    assert_equal(a.getassethistory(doc), b.getassethistory(doc))
    pool = a.getrawmempool()
    assert_true(r1 not in pool, "the losing registration conflicts: dropped")
    assert_in(r3, pool)
    info3 = a.getassetinfo(only_a)
    assert_equal(info3["confirmed"], False)
    assert_equal(info3["registration_txid"], r3)
    assert_raises_rpc(-5, a.getassetproof, only_a)
    assert_true(doc not in [x["asset"] for x in a.listassets()], "a no longer owns it")

    # a's old block: a side branch now, and its transaction proofs say so
    prov = a.getblockprovenance(a1)
    assert_equal(prov["in_best_chain"], False)
    assert_equal(prov["branch"]["status"], "valid-fork")
    assert_equal(prov["branch"]["fork_height"], fork)
    assert_equal(prov["branch"]["branch_length"], 1)
    assert_equal(prov["received"]["source"], "mined")
    assert_equal(b.getblockprovenance(fork + 1)["received"]["source"], "mined")
    assert_equal(a.getblockprovenance(fork + 1)["received"]["source"], "rpc")
    side_proof = a.gettxoutproof([r1], a1)
    assert_equal(a.verifytxoutproof(side_proof), [])
    assert_raises_rpc(-5, a.gettxoutproof, [r1])

    # the proof now names b's owner; the old one is a valid proof of a
    # branch that lost, which only a node can tell
    proof = a.getassetproof(doc)
    assert_equal(proof["steps"][0]["blockhash"], b.getblockhash(fork + 1))
    tmp = os.path.join(a.datadir, "p.json")
    write_json(tmp, proof)
    rc, text, err = verify_offline(tmp)
    assert_equal(rc, 0, err)
    assert_in(f"current owner: {b_owner}", text)
    assert_in("proof valid: 2 confirmations", text)
    assert_true(old_proof["tip"] != proof["tip"])
    assert_true(a.getblockprovenance(old_proof["tip"])["in_best_chain"] is False)
    assert_equal(json.loads(json.dumps(b.getassetproof(doc))), proof)

    # a locked wallet registers and transfers nothing until unlocked
    b.encryptwallet("correct horse")
    fresh = hashlib.sha256(b"registered once unlocked").hexdigest()
    assert_raises_rpc(-13, b.registerasset, fresh)
    assert_raises_rpc(-13, b.transferasset, doc, a.getnewaddress())
    b.walletpassphrase("correct horse", 60)
    t = b.transferasset(doc, a.getnewaddress())
    assert_equal(b.getassetinfo(doc)["current"]["txid"], t)
    b.registerasset(fresh)
    assert_equal(b.getassetinfo(fresh)["confirmed"], False)


if __name__ == "__main__":
    run(test, num_nodes=2, extra_args=[["-connect=0", "-listen=0"] for _ in range(2)], timeout=120)
