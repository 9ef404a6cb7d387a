#!/usr/bin/env python3
"""The chain over RPC: mining, the block and header views agreeing with each
other and with the bytes (hashes recomputed here), chain info, invalidate and
reconsider, reorganisation onto a longer chain fed in by submitblock,
submitblock's answers, validateaddress and getmininginfo."""
import hashlib
import struct

from framework import (address_of, history_root, assert_equal, assert_in, assert_raises_rpc, assert_true,
                       run, sha256d)

HEADER_SIZE = 152
SUBSIDY = 50  # CRN, regtest halves every 150 blocks


def parse_header(raw):
    version, prev, merkle, history, assets, time_, bits, nonce = struct.unpack(
        "<I32s32s32s32sQIQ", raw[:HEADER_SIZE])
    return {"version": version, "previousblockhash": prev.hex(), "merkleroot": merkle.hex(),
            "historyroot": history.hex(), "assetroot": assets.hex(),
            "time": time_, "bits": f"{bits:08x}", "nonce": nonce}


def merkle_root(txids):
    """RFC 6962 tree hash over the txids (bytes)."""
    if not txids:
        return hashlib.sha256(b"").digest()
    if len(txids) == 1:
        return hashlib.sha256(b"\x00" + txids[0]).digest()
    k = 1
    while k * 2 < len(txids):
        k *= 2
    return hashlib.sha256(b"\x01" + merkle_root(txids[:k]) + merkle_root(txids[k:])).digest()


def solve(raw):
    """Sets the nonce of a serialized block (bytearray) so that its header
    meets the target of its bits, the hash read as a big-endian number."""
    bits = struct.unpack("<I", raw[140:144])[0]
    target = (bits & 0xFFFFFF) << (8 * ((bits >> 24) - 3))
    for nonce in range(1 << 20):
        raw[144:152] = struct.pack("<Q", nonce)
        if int.from_bytes(sha256d(raw[:HEADER_SIZE]), "big") <= target:
            return
    raise AssertionError("no nonce found")


def check_block(node, height, tip_height):
    """Every view of one block agrees with the others and with its bytes."""
    h = node.getblockhash(height)
    raw = bytes.fromhex(node.getblock(h, 0))
    header_hex = node.getblockheader(h, False)
    assert_equal(len(header_hex), 2 * HEADER_SIZE, "the header is 152 bytes")
    assert_equal(header_hex, raw[:HEADER_SIZE].hex(), "getblockheader false = the block's first 152 bytes")
    assert_equal(sha256d(raw[:HEADER_SIZE]).hex(), h, "block hash = sha256d(header), in byte order")

    v1, v2, hdr = node.getblock(h), node.getblock(h, 2), node.getblockheader(h)
    assert_equal(node.getblock(h, True), v1, "verbosity true = 1")
    assert_equal(node.getblock(h, False), raw.hex(), "verbosity false = 0")
    fields = parse_header(raw)
    for obj in (v1, v2, hdr):
        assert_equal(obj["hash"], h)
        assert_equal(obj["height"], height)
        assert_equal(obj["confirmations"], tip_height - height + 1)
        for k, v in fields.items():
            if k == "previousblockhash" and height == 0:
                assert_true(k not in obj, "genesis has no previous block")
            else:
                assert_equal(obj[k], v, k)
        if height == tip_height:
            assert_true("nextblockhash" not in obj, "the tip has no next block")
        else:
            assert_equal(obj["nextblockhash"], node.getblockhash(height + 1))
    for k in ("chainwork", "difficulty", "mediantime"):
        assert_equal(v1[k], hdr[k], k)
    assert_equal(v1["size"], len(raw))
    assert_equal(v1["nTx"], len(v1["tx"]))
    assert_equal(v1["tx"], [t["txid"] for t in v2["tx"]])

    # Transactions from the raw bytes: txid = sha256d, merkle root over them.
    off, txids = HEADER_SIZE + 1, []
    assert_equal(raw[HEADER_SIZE], len(v2["tx"]))
    for t in v2["tx"]:
        txids.append(sha256d(raw[off:off + t["size"]]))
        off += t["size"]
    assert_equal(off, len(raw), "the transactions fill the block")
    assert_equal([x.hex() for x in txids], v1["tx"])
    assert_equal(merkle_root(txids).hex(), v1["merkleroot"])
    return v2


def test_mining_and_views(a):
    addr = a.address()
    assert_equal(a.getblockcount(), 0)
    genesis = a.getblockhash(0)
    assert_equal(a.getbestblockhash(), genesis)
    hashes = a.generatetoaddress(110, addr)
    assert_equal(len(hashes), 110)
    assert_equal(a.getblockcount(), 110)
    assert_equal(hashes, [a.getblockhash(i) for i in range(1, 111)])
    assert_equal(a.getbestblockhash(), hashes[-1])
    assert_equal(a.generatetoaddress(0, addr), [])
    assert_raises_rpc(-8, a.getblockhash, 111)

    for height in (0, 1, 55, 109, 110):
        check_block(a, height, 110)
    # Every header commits to the RFC 6962 tree over the blocks before it,
    # recomputed here from the headers alone; the genesis one to the empty tree.
    assert_equal(a.getblockheader(a.getblockhash(0))["historyroot"], hashlib.sha256(b"").hexdigest())
    for height in (1, 2, 3, 64, 65, 110):
        assert_equal(a.getblockheader(a.getblockhash(height))["historyroot"], history_root(a, height - 1).hex(),
                     f"history root at {height}")
    cb = check_block(a, 7, 110)["tx"][0]
    assert_equal(len(cb["vout"]), 1)
    assert_equal(cb["vout"][0]["address"], addr)
    assert_equal(cb["vout"][0]["value"], SUBSIDY)
    raw_cb = bytes.fromhex(a.getblock(hashes[6], 0))[HEADER_SIZE + 1:]
    assert_equal(raw_cb[5:37], bytes(32), "a coinbase spends the null outpoint")
    assert_equal(struct.unpack("<I", raw_cb[37:41])[0], 7, "whose index is the height")

    info = a.getblockchaininfo()
    assert_equal(info["chain"], "regtest")
    assert_equal(info["blocks"], 110)
    assert_equal(info["headers"], 110)
    assert_equal(info["bestblockhash"], hashes[-1])
    assert_equal(info["difficulty"], a.getdifficulty())
    assert_equal(info["chainwork"], a.getblockheader(hashes[-1])["chainwork"])
    assert_equal(len(info["chainwork"]), 64)
    assert_true(int(info["chainwork"], 16) > int(a.getblockheader(hashes[-2])["chainwork"], 16),
                "chainwork grows")
    assert_equal(info["verificationprogress"], 1)
    assert_equal(info["initialblockdownload"], False)
    assert_equal(info["pruned"], False)
    assert_true(info["mediantime"] <= info["time"])
    assert_equal(info["time"], a.getblockheader(hashes[-1])["time"])
    assert_true(0 < a.getdifficulty() < 1, "regtest difficulty is tiny")

    assert_equal(a.getchaintips(), [{"height": 110, "hash": hashes[-1], "branchlen": 0, "status": "active"}])

    mi = a.getmininginfo()
    assert_equal(mi["blocks"], 110)
    assert_equal(mi["chain"], "regtest")
    assert_equal(mi["difficulty"], a.getdifficulty())
    assert_equal(mi["pooledtx"], 0)
    return hashes


def tips_by_status(node):
    out = {}
    for t in node.getchaintips():
        out.setdefault(t["status"], []).append(t)
    return out


def test_invalidate(a, hashes):
    h100 = hashes[99]
    assert_equal(a.invalidateblock(h100), None)
    assert_equal(a.getblockcount(), 99)
    assert_equal(a.getbestblockhash(), hashes[98])
    tips = tips_by_status(a)
    # The active tip is reported even when a block builds on it (here the
    # invalid block 100), as Bitcoin Core does.
    assert_equal(tips.get("active"), [{"height": 99, "hash": hashes[98], "branchlen": 0, "status": "active"}])
    assert_equal([(t["height"], t["hash"]) for t in tips["invalid"]], [(110, hashes[-1])])
    assert_equal(tips["invalid"][0]["branchlen"], 11)
    assert_raises_rpc(-5, a.invalidateblock, "11" * 32)

    # Mine a short fork meanwhile: it stays behind once the long branch returns.
    fork = a.generatetoaddress(2, address_of("fork"))
    assert_equal(a.getblockcount(), 101)
    assert_equal(a.reconsiderblock(h100), None)
    assert_equal(a.getblockcount(), 110)
    assert_equal(a.getbestblockhash(), hashes[-1])
    tips = tips_by_status(a)
    assert_equal(len(tips["active"]), 1)
    assert_equal(tips["active"][0]["hash"], hashes[-1])
    assert_equal(tips["valid-fork"], [{"height": 101, "hash": fork[-1], "branchlen": 2, "status": "valid-fork"}])
    assert_true("invalid" not in tips)
    check_block(a, 100, 110)


def test_submitblock(a, b, a_hashes):
    """b mines a longer chain of its own; fed to a block by block, a keeps
    its own chain while b's has no more work, and moves to b's once it has."""
    b_hashes = b.generatetoaddress(112, b.address())
    assert_true(set(b_hashes).isdisjoint(a_hashes))
    a_best = a.getbestblockhash()
    for i, h in enumerate(b_hashes):
        assert_equal(a.submitblock(b.getblock(h, 0)), None, f"b's block {i + 1}")
        if i + 1 == 110:
            assert_equal(a.getbestblockhash(), a_best, "equal work: the first-seen chain stays")
    assert_equal(a.getbestblockhash(), b.getbestblockhash())
    assert_equal(a.getblockcount(), 112)
    assert_equal([a.getblockhash(i) for i in (1, 56, 112)], [b_hashes[0], b_hashes[55], b_hashes[111]])
    assert_equal(a.getblockchaininfo()["chainwork"], b.getblockchaininfo()["chainwork"])
    tips = tips_by_status(a)
    assert_equal(tips["active"][0]["hash"], b_hashes[-1])
    assert_in({"height": 110, "hash": a_hashes[-1], "branchlen": 110, "status": "valid-fork"},
              tips["valid-fork"])
    check_block(a, 112, 112)

    # a's old blocks are still there, off the best chain.
    old = a.getblock(a_hashes[50])
    assert_equal(old["confirmations"], -1)
    assert_true("nextblockhash" not in old, "no next block off the best chain")
    assert_equal(old["height"], 51)

    # Answers: duplicate, malformed, refused.
    assert_equal(a.submitblock(b.getblock(b_hashes[5], 0)), "duplicate")
    assert_equal(a.submitblock(a.getblock(a_hashes[5], 0)), "duplicate")
    assert_raises_rpc(-22, a.submitblock, "00")
    assert_raises_rpc(-22, a.submitblock, "not hex at all")
    assert_raises_rpc(-22, a.submitblock, "")
    raw = bytearray.fromhex(b.getblock(b_hashes[-1], 0))
    assert_raises_rpc(-22, a.submitblock, (raw + b"\x00").hex())
    assert_raises_rpc(-22, a.submitblock, raw[:-1].hex())
    assert_raises_rpc(-32602, a.submitblock)

    # A new block on a's tip, offered first mutated: the same header over a
    # different coinbase. That says nothing about the real block, which
    # must still be accepted afterwards.
    b.generatetoaddress(1, b.address())
    good = bytearray.fromhex(b.getblock(b.getbestblockhash(), 0))
    mutated = bytearray(good)
    mutated[-10] ^= 1  # inside the coinbase output's address
    assert_equal(a.submitblock(mutated.hex()), "bad-blk-merkle")
    assert_equal(a.getblockcount(), 112)
    # A header with a wrong merkle root, its proof of work solved again.
    bad = bytearray(good)
    bad[40] ^= 1
    solve(bad)
    assert_equal(a.submitblock(bad.hex()), "bad-blk-merkle")
    # A header that does not commit to the history of the blocks before it.
    bad = bytearray(good)
    bad[70] ^= 1
    solve(bad)
    assert_equal(a.submitblock(bad.hex()), "bad-history-root")
    # Proof of work not met; unknown parent.
    unsolved = bytearray(good)
    while sha256d(unsolved[:HEADER_SIZE])[0] < 0x80:
        unsolved[144] += 1
    assert_equal(a.submitblock(unsolved.hex()), "high-hash")
    orphan = bytearray(good)
    orphan[4:36] = bytes(range(32))
    solve(orphan)
    assert_equal(a.submitblock(orphan.hex()), "prev-blk-not-found")
    assert_equal(a.getblockcount(), 112)
    assert_equal(a.submitblock(good.hex()), None)
    assert_equal(a.getbestblockhash(), b.getbestblockhash())


def test_addresses(a):
    addr = a.address()
    v = a.validateaddress(addr)
    assert_equal(v["isvalid"], True)
    assert_equal(v["address"], addr)
    assert_equal(v["hash"], hashlib.sha256(b"node0").digest()[:20].hex())

    main_addr = address_of("node0", hrp="crn")
    assert_true(main_addr.startswith("crn1"))
    broken = addr[:-1] + ("q" if addr[-1] != "q" else "p")
    for bad in (main_addr, broken, "", "rcrn1", "hello", addr + "q", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"):
        v = a.validateaddress(bad)
        assert_equal(v["isvalid"], False, bad)
        assert_true(v.get("error"), f"a reason for {bad!r}")
        assert_true("address" not in v)
    assert_raises_rpc(-5, a.generatetoaddress, 1, main_addr)
    assert_raises_rpc(-5, a.generatetoaddress, 1, broken)
    assert_raises_rpc(-3, a.validateaddress, 5)


def test(nodes):
    a, b = nodes
    hashes = test_mining_and_views(a)
    test_invalidate(a, hashes)
    test_addresses(a)
    test_submitblock(a, b, hashes)


if __name__ == "__main__":
    run(test, num_nodes=2)
