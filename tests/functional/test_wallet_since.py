#!/usr/bin/env python3
"""getaddressinfo and listsinceblock on a real node: an address of the
wallet (receiving, change, imported, labelled) and one that is not, with
the key checked against the address and the path against docs/wallet.md;
listsinceblock's window checked against listtransactions' own entries,
lastblock for several target_confirmations, a reorganisation's removed
entries, and Core's errors."""
import hashlib

import bech32m

from framework import assert_equal, assert_raises_rpc, assert_true, run
from test_ownership import G, point_mul
from test_provenance import address_hash


def check_addressinfo(node):
    a = node.getnewaddress("shop")
    info = node.getaddressinfo(a)
    assert_equal((info["address"], info["ismine"], info["solvable"], info["iswatchonly"], info["ischange"]),
                 (a, True, True, False, False))
    assert_equal(hashlib.sha256(bytes.fromhex(info["pubkey"])).digest()[:20], address_hash(a))
    assert_true(info["hdkeypath"].startswith("m/0'/0'/") and info["hdkeypath"].endswith("'"), info["hdkeypath"])
    assert_equal(info["labels"], ["shop"])
    c = node.getrawchangeaddress()
    ci = node.getaddressinfo(c)
    assert_equal((ci["ismine"], ci["ischange"]), (True, True))
    assert_true(ci["hdkeypath"].startswith("m/0'/1'/"), ci["hdkeypath"])
    # two receiving addresses in a row: consecutive indexes
    b = node.getnewaddress()
    i1 = int(info["hdkeypath"].split("/")[-1][:-1])
    assert_equal(node.getaddressinfo(b)["hdkeypath"], f"m/0'/0'/{i1 + 1}'")
    outside = node.address("outside")
    o = node.getaddressinfo(outside)
    assert_equal((o["ismine"], o["solvable"], o["labels"], o["ischange"]), (False, False, [], False))
    assert_true("pubkey" not in o and "hdkeypath" not in o)
    # an imported key: no derivation path
    node.importprivkey("11" * 32, "imp", False)
    x = point_mul(G, int("11" * 32, 16))[0].to_bytes(32, "big")
    imp = bech32m.encode("rcrn", 0, hashlib.sha256(x).digest()[:20])
    ii = node.getaddressinfo(imp)
    assert_equal((ii["ismine"], ii["pubkey"], ii["labels"], ii["ischange"]), (True, x.hex(), ["imp"], False))
    assert_true("hdkeypath" not in ii)
    assert_raises_rpc(-5, node.getaddressinfo, "notanaddress", message="Invalid address")


def entries_key(e):
    return (e["txid"], e["vout"], e["category"])


def check_since(node):
    me = node.getnewaddress()
    node.generatetoaddress(101, me)
    mark = node.getbestblockhash()
    t1 = node.sendtoaddress(node.address("outside"), 1)
    node.generatetoaddress(1, me)
    t2 = node.sendtoaddress(node.getnewaddress(), 2)  # unconfirmed
    everything = node.listtransactions("*", 100000)
    s = node.listsinceblock(mark)
    mark_height = node.getblockheader(mark)["height"]
    want = [e for e in everything if e["confirmations"] == 0 or e["blockheight"] > mark_height]
    assert_equal(sorted(map(entries_key, s["transactions"])), sorted(map(entries_key, want)))
    assert_true({t1, t2} <= {e["txid"] for e in s["transactions"]})
    assert_equal(s["removed"], [])
    assert_equal(s["lastblock"], node.getbestblockhash())
    # no block: everything
    assert_equal(len(node.listsinceblock()["transactions"]), len(everything))
    assert_equal(len(node.listsinceblock("")["transactions"]), len(everything))
    # target_confirmations picks lastblock
    tip = node.getblockcount()
    for target, height in ((1, tip), (3, tip - 2), (tip + 1, 0), (tip + 50, 0)):
        assert_equal(node.listsinceblock(None, target)["lastblock"], node.getblockhash(height))
    assert_true("removed" not in node.listsinceblock(mark, 1, False, False))
    # a reorganisation: the block holding t1 leaves the best chain
    gone = node.getbestblockhash()
    node.invalidateblock(gone)
    node.generatetoaddress(2, node.address("outside"))
    r = node.listsinceblock(gone)
    assert_true(t1 in {e["txid"] for e in r["removed"]}, f"{r['removed']}")
    for e in r["removed"]:
        assert_true(e["txid"] in {t["txid"] for t in node.getblock(gone, 2)["tx"]})
    # the fork is at the mark's height: everything after it is listed again
    fork_list = node.listsinceblock(mark)["transactions"]
    assert_equal(sorted(map(entries_key, r["transactions"])), sorted(map(entries_key, fork_list)))
    # Core's errors
    assert_raises_rpc(-5, node.listsinceblock, "00" * 32, message="Block not found")
    assert_raises_rpc(-8, node.listsinceblock, "xyz")
    assert_raises_rpc(-8, node.listsinceblock, None, 0, message="Invalid parameter")


def test(nodes):
    node = nodes[0]
    check_addressinfo(node)
    check_since(node)


if __name__ == "__main__":
    run(test, num_nodes=1)
