#!/usr/bin/env python3
"""Provenance on a 4-node mesh: a document's hash registered on one node
(cairn-cli registerasset --file), passed through three owners on three
nodes, its history read on the fourth; the proof exported, verified offline
by cairn-cli with no node, then altered in several places and refused each
time; a second registration of the same id refused on every node, in the
mempool and in a block; block provenance and transaction proofs.

The helpers above `test` (raw registrations and blocks built byte by byte,
the offline verifier) serve test_provenance_reorg.py too."""
import hashlib
import json
import os
import struct
import subprocess

from framework import (CAIRN_CLI, LOOPBACK, history_root, assert_equal, assert_in, assert_raises_rpc, assert_true, run,
                       scaled, sha256d, wait_until)

HEADER_SIZE = 152
REGTEST_BITS = 0x207FFFFF
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def varint(n):
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    return b"\xfe" + struct.pack("<I", n)


def address_hash(address):
    """The 20-byte hash of a bech32m address (no checksum check: the node
    gave it to us)."""
    data = [CHARSET.index(c) for c in address[address.rindex("1") + 1:-6]]
    acc, bits, out = 0, 0, []
    for v in data[1:]:  # data[0] is the version
        acc = (acc << 5) | v
        bits += 5
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    return bytes(out)


def units(amount):
    return round(amount * 10**8)


def tx_bytes(inputs, outputs, locktime=0):
    """inputs: [(txid hex, index)] with empty key and signature (a wallet
    signs them); outputs: [(value units, address hash, asset id bytes or
    None, metadata bytes)]."""
    b = struct.pack("<I", 1) + varint(len(inputs))
    for txid, index in inputs:
        b += bytes.fromhex(txid) + struct.pack("<I", index) + bytes(32) + bytes(64)
    b += varint(len(outputs))
    for value, addr, asset, meta in outputs:
        b += struct.pack("<q", value) + addr
        if asset is None:
            b += b"\x00"
        else:
            b += b"\x01" + asset + varint(len(meta)) + meta
    return b + struct.pack("<I", locktime)


def signed_registration(node, asset_hex, meta=b"a second claim"):
    """A registration of asset_hex signed by node's wallet, paying the fee
    from one of its coins, whatever the chain already holds: hex."""
    coin = max(node.listunspent(), key=lambda u: u["amount"])
    owner = address_hash(node.getnewaddress())
    change = address_hash(node.getnewaddress())
    raw = tx_bytes([(coin["txid"], coin["vout"])],
                   [(units(coin["amount"]) - 100000, change, None, b""),
                    (0, owner, bytes.fromhex(asset_hex), meta)])
    res = node.signrawtransactionwithwallet(raw.hex())
    assert res["complete"], res
    return res["hex"]


def coinbase(height, addr, value):
    return (struct.pack("<I", 1) + varint(1) + bytes(32) + struct.pack("<I", height) + bytes(96)
            + varint(1) + struct.pack("<q", value) + addr + b"\x00" + struct.pack("<I", 0))


def merkle_root(txids):
    """RFC 6962 over txids (bytes)."""
    if len(txids) == 1:
        return hashlib.sha256(b"\x00" + txids[0]).digest()
    k = 1
    while k * 2 < len(txids):
        k *= 2
    return hashlib.sha256(b"\x01" + merkle_root(txids[:k]) + merkle_root(txids[k:])).digest()


def block_on(node, txs_hex, pay_to):
    """A solved block on node's tip holding a coinbase and txs_hex: hex."""
    tip = node.getbestblockhash()
    header = node.getblockheader(tip)
    height = header["height"] + 1
    txs = [coinbase(height, pay_to, 50 * 10**8)] + [bytes.fromhex(t) for t in txs_hex]
    root = merkle_root([sha256d(t) for t in txs])
    body = varint(len(txs)) + b"".join(txs)
    target = (REGTEST_BITS & 0xFFFFFF) << (8 * ((REGTEST_BITS >> 24) - 3))
    # the history of every block to the tip; the asset map as the tip left it
    commits = history_root(node, height - 1) + bytes.fromhex(header["assetroot"])
    for nonce in range(1 << 20):
        h = (struct.pack("<I", 1) + bytes.fromhex(tip) + root + commits + struct.pack("<Q", header["time"] + 1)
             + struct.pack("<I", REGTEST_BITS) + struct.pack("<Q", nonce))
        if int.from_bytes(sha256d(h), "big") <= target:
            return (h + body).hex()
    raise AssertionError("no nonce found")


def verify_offline(path):
    """cairn-cli verifyassetproof FILE, with no data directory, no port and
    no node: (status, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "HOME"}
    env["HOME"] = "/nonexistent"
    p = subprocess.run([CAIRN_CLI, "-rpcport=1", "verifyassetproof", path], capture_output=True, text=True,
                       timeout=scaled(60), env=env)
    return p.returncode, p.stdout, p.stderr


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)


def audit_root(txid_hex, index, leaves, path):
    """The root an RFC 6962 audit path leads to (RFC 9162 section 2.1.3.2),
    None when the path does not fit (index, leaves)."""
    fn, sn = index, leaves - 1
    r = hashlib.sha256(b"\x00" + bytes.fromhex(txid_hex)).digest()
    for p in map(bytes.fromhex, path):
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    return r.hex() if sn == 0 else None


def alter_hex(s, at):
    """s with the hex digit at `at` changed."""
    return s[:at] + ("1" if s[at] == "0" else "0") + s[at + 1:]


# The places a bundle is altered, each with what the refusal must say.
ALTERATIONS = [
    ("a byte of a transaction", lambda b: b["steps"][2].update(tx=alter_hex(b["steps"][2]["tx"], 300)),
     "step 2"),
    ("a signature", lambda b: b["steps"][1].update(tx=alter_hex(b["steps"][1]["tx"], 2 * (4 + 1 + 68) + 9)),
     "step 1"),
    ("an audit path element", lambda b: b["steps"][0]["path"].__setitem__(0, alter_hex(b["steps"][0]["path"][0], 7)),
     "step 0: the transaction is not in block"),
    # a changed header may miss its own target before the next one misses it
    ("a header in the middle", lambda b: b["headers"].__setitem__(2, alter_hex(b["headers"][2], 170)),
     ("does not link", "does not meet its proof of work")),
    ("the tip", lambda b: b.update(tip=alter_hex(b["tip"], 0)), "the tip is not the hash of the last header"),
    ("the asset id", lambda b: b.update(asset=alter_hex(b["asset"], 63)), "outputs of the asset"),
    ("a height", lambda b: b["steps"][3].update(height=b["steps"][3]["height"] - 1), "step 3"),
    ("an index", lambda b: b["steps"][0].update(index=b["steps"][0]["index"] + 1), "step 0"),
    ("a step removed", lambda b: b["steps"].pop(2), "does not spend the asset output"),
    ("the network", lambda b: b.update(network="main"), "proof of work"),
    ("the anchor's coinbase", lambda b: b["anchor"].update(coinbase=alter_hex(b["anchor"]["coinbase"], 20)),
     "anchor"),
]


def check_alterations(bundle, tmpdir):
    for name, alter, reason in ALTERATIONS:
        bad = json.loads(json.dumps(bundle))
        alter(bad)
        path = os.path.join(tmpdir, "altered.json")
        write_json(path, bad)
        rc, out, err = verify_offline(path)
        assert_equal(rc, 1, f"{name}: altered bundle accepted\n{out}")
        assert_in("proof refused", err, name)
        reasons = reason if isinstance(reason, tuple) else (reason,)
        assert_true(any(r in err for r in reasons), f"{name}: {err!r} gives none of {reasons}")


# --------------------------------------------------------------------------

def wait_tip(nodes, h):
    wait_until(lambda: all(n.getbestblockhash() == h for n in nodes), timeout=30,
               msg=f"tips: {[n.getblockcount() for n in nodes]}")


def wait_pool(nodes, txid):
    wait_until(lambda: all(txid in n.getrawmempool() for n in nodes), timeout=30,
               msg=f"{txid} not in every mempool")


def mine(node, nodes, n=1):
    addr = node.getnewaddress()
    hashes = node.generatetoaddress(n, addr)
    wait_tip(nodes, hashes[-1])
    return hashes, addr


def check_history(hist, txids, owners):
    assert_equal([s["txid"] for s in hist], txids)
    assert_equal([s["type"] for s in hist], ["register"] + ["transfer"] * (len(txids) - 1))
    assert_equal([s["to"] for s in hist], owners)
    assert_equal([s["from"] for s in hist], [None] + owners[:-1])


def test_duplicates_in_pool(nodes, doc_id):
    n0, n1 = nodes[0], nodes[1]
    assert_raises_rpc(-26, n0.registerasset, doc_id, message="bad-asset-duplicate")
    for n in nodes[1:]:
        assert_raises_rpc(-26, n.registerasset, doc_id, message="bad-asset-duplicate")
    dup = signed_registration(n1, doc_id)
    for n in nodes:
        assert_raises_rpc(-26, n.sendrawtransaction, dup, message="bad-asset-duplicate")
    return dup


def test_bad_params(n0):
    other = hashlib.sha256(b"another document").hexdigest()
    assert_raises_rpc(-8, n0.registerasset, "abc", message="64 hexadecimal digits")
    assert_raises_rpc(-8, n0.registerasset, "zz" * 32)
    assert_raises_rpc(-8, n0.registerasset, other, "x" * 257, message="longer than 256")
    assert_raises_rpc(-8, n0.registerasset, other, "ab" * 257, message="257 bytes")
    assert_raises_rpc(-5, n0.registerasset, other, "", "rcrn1notanaddress")
    assert_raises_rpc(-5, n0.getassetinfo, other, message="Asset not found")
    assert_raises_rpc(-5, n0.getassethistory, other)
    assert_raises_rpc(-5, n0.getassetproof, other)
    assert_raises_rpc(-5, n0.transferasset, other, n0.getnewaddress())
    assert_raises_rpc(-8, n0.getassetinfo, "00" * 31)


def test_tx_proofs(nodes, hist):
    n0, n3 = nodes[0], nodes[3]
    t1, t2 = hist[1]["txid"], hist[2]["txid"]
    proof = n0.gettxoutproof([t2])
    assert_equal(n3.verifytxoutproof(proof), [t2])
    assert_equal(n0.gettxoutproof([t1], hist[1]["blockhash"]), n3.gettxoutproof([t1]))
    assert_raises_rpc(-5, n0.gettxoutproof, [t1], hist[2]["blockhash"], message="Not all transactions")
    assert_raises_rpc(-5, n0.gettxoutproof, ["11" * 32])
    # the txid inside the proof, altered: its path no longer leads to the root
    at = 2 * (HEADER_SIZE + 2 + 1) + 4
    assert_raises_rpc(-25, n3.verifytxoutproof, alter_hex(proof, at))
    assert_raises_rpc(-22, n3.verifytxoutproof, proof + "00", message="trailing")
    # getrawtransaction's merkleproof, recomputed here
    for s in hist:
        raw = n3.getrawtransaction(s["txid"], True)
        mp = raw["merkleproof"]
        block = n3.getblock(raw["blockhash"])
        assert_equal(raw["blockhash"], s["blockhash"])
        assert_equal(mp["merkleroot"], block["merkleroot"])
        assert_equal(mp["leaves"], len(block["tx"]))
        assert_equal(block["tx"][mp["index"]], s["txid"])
        assert_equal(audit_root(s["txid"], mp["index"], mp["leaves"], mp["path"]), block["merkleroot"])


def test_block_provenance(nodes, bh, miner_node, miner_addr):
    for i, n in enumerate(nodes):
        p = n.getblockprovenance(bh)
        assert_equal(p["hash"], bh)
        assert_true(p["in_best_chain"])
        assert_equal(p["coinbase_recipient"], miner_addr)
        assert_equal(n.getblockprovenance(p["height"])["hash"], bh)
        if n is miner_node:
            assert_equal(p["received"]["source"], "mined")
        else:
            assert_equal(p["received"]["source"], "peer")
            assert_true(p["received"]["peer"].startswith(LOOPBACK), p["received"])


def test(nodes):
    n0, n1, n2, n3 = nodes
    for i in range(4):
        nodes[i].addnode(f"{LOOPBACK}:{nodes[(i + 1) % 4].p2p_port}", "add")
    wait_until(lambda: all(n.getconnectioncount() == 2 for n in nodes), timeout=30)
    mine(n0, nodes, 103)
    for n in (n1, n2, n3):
        wait_pool(nodes, n0.sendtoaddress(n.getnewaddress(), 10))
    mine(n3, nodes)

    # the document, hashed by cairn-cli: only the hash goes to the node
    path = os.path.join(n0.datadir, "deed-lot-7.pdf")
    content = os.urandom(5000)
    with open(path, "wb") as f:
        f.write(content)
    doc_id = hashlib.sha256(content).hexdigest()
    rc, out, err = n0.cli("registerasset", "--file", path + ".missing")
    assert_equal(rc, 1)
    assert_in("cannot hash", err)
    rc, out, err = n0.cli("registerasset", "--file", path, "deed of lot 7")
    assert_equal(rc, 0, err)
    reg = out.strip()
    owner0 = n0.getassetinfo(doc_id)["owner"]
    test_bad_params(n0)
    wait_pool(nodes, reg)
    dup = test_duplicates_in_pool(nodes, doc_id)
    info = n2.getassetinfo(doc_id)
    assert_equal(info["confirmed"], False)
    assert_equal(info["metadata_text"], "deed of lot 7")
    assert_equal(info["first_owner"], owner0)
    assert_raises_rpc(-4, n1.transferasset, doc_id, n1.getnewaddress(), message="not owned")

    # confirmed: refused on every node, over RPC and inside a block
    mine(n1, nodes)
    for n in nodes:
        assert_raises_rpc(-27, n.registerasset, doc_id, message="already registered")
        assert_raises_rpc(-26, n.sendrawtransaction, dup, message="bad-asset-duplicate")
    block = block_on(n2, [dup], address_hash(n2.getnewaddress()))
    tip = n2.getbestblockhash()
    for n in nodes:
        assert_equal(n.submitblock(block), "bad-asset-duplicate")
        assert_equal(n.getbestblockhash(), tip)

    # three owners on three nodes
    a1 = n1.getnewaddress()
    t1 = n0.transferasset(doc_id, a1)
    wait_pool(nodes, t1)
    mine(n3, nodes)
    a2 = n2.getnewaddress()
    t2 = n1.transferasset(doc_id, a2)
    wait_pool(nodes, t2)
    (bh,), miner_addr = mine(n0, nodes)
    a3 = n3.getnewaddress()
    t3 = n2.transferasset(doc_id, a3)
    wait_pool(nodes, t3)
    hist = n3.getassethistory(doc_id)
    check_history(hist, [reg, t1, t2, t3], [owner0, a1, a2, a3])
    assert_equal([s["confirmed"] for s in hist], [True, True, True, False])
    assert_equal(hist[3]["blockhash"], None)
    assert_equal(n3.getassetinfo(doc_id)["unconfirmed_transfers"], 1)
    mine(n1, nodes, 2)

    # the history, read on the fourth node, as every node has it
    hist = n3.getassethistory(doc_id)
    check_history(hist, [reg, t1, t2, t3], [owner0, a1, a2, a3])
    tip_height = n3.getblockcount()
    for s in hist:
        assert_true(s["confirmed"])
        assert_equal(s["confirmations"], tip_height - s["height"] + 1)
        assert_equal(s["blockhash"], n3.getrawtransaction(s["txid"], True)["blockhash"])
    for n in nodes:
        assert_equal(n.getassethistory(doc_id), hist)
    info = n3.getassetinfo(doc_id)
    assert_equal(info["owner"], a3)
    assert_equal(info["transfers"], 3)
    assert_equal(info["current"]["txid"], t3)
    assert_equal(info["registration_txid"], reg)
    assert_equal(info["mine"], True)
    assert_equal(n0.getassetinfo(doc_id)["mine"], False)
    assert_equal([a["asset"] for a in n3.listassets()], [doc_id])
    for n in (n0, n1, n2):
        assert_equal(n.listassets(), [])
        assert_raises_rpc(-4, n.transferasset, doc_id, a1, message="not owned")

    test_block_provenance(nodes, bh, n0, miner_addr)
    test_tx_proofs(nodes, hist)

    # the proof, exported with cairn-cli and verified with no node
    rc, out, err = n3.cli("getassetproof", doc_id)
    assert_equal(rc, 0, err)
    bundle = json.loads(out)
    proof_path = os.path.join(n3.datadir, "deed.proof.json")
    with open(proof_path, "w") as f:
        f.write(out)
    rc, text, err = verify_offline(proof_path)
    assert_equal(rc, 0, err)
    confs = tip_height - hist[0]["height"] + 1
    assert_in(f"proof valid: {confs} confirmations", text)
    assert_in(f"current owner: {a3}", text)
    for s in hist:
        assert_in(s["txid"], text)
    assert_in('metadata: "deed of lot 7"', text)
    # the bundle, checked here too, independently of cairn's own verifier
    headers = [bytes.fromhex(h) for h in bundle["headers"]]
    first = hist[0]["height"]
    assert_equal(len(headers), tip_height - first + 1)
    for i in range(1, len(headers)):
        assert_equal(headers[i][4:36], sha256d(headers[i - 1]), "headers link")
    assert_equal(sha256d(headers[-1]).hex(), bundle["tip"])
    assert_equal(bundle["tip"], n3.getbestblockhash())
    for s, st in zip(hist, bundle["steps"]):
        header = headers[st["height"] - first]
        assert_equal(sha256d(bytes.fromhex(st["tx"])).hex(), s["txid"])
        assert_equal(sha256d(header).hex(), s["blockhash"])
        assert_equal(audit_root(s["txid"], st["index"], st["leaves"], st["path"]), header[36:68].hex())
    check_alterations(bundle, n3.datadir)
    rc, _, err = verify_offline(os.path.join(n3.datadir, "missing.json"))
    assert_equal(rc, 1)
    assert_in("cannot open", err)


if __name__ == "__main__":
    run(test, num_nodes=4, extra_args=[["-connect=0", "-listen=1"] for _ in range(4)], timeout=180)
