#!/usr/bin/env python3
"""Batch stamping: cairn-cli stamp registers the RFC 6962 root of 50
documents' SHA-256 hashes as one asset, in one transaction, waits for its
confirmation while blocks are mined beside it, and writes a .cairnproof
beside each file: the batch's v2 proof file with the document's member
object, whose audit path is checked here from the definition. A run that
stops before the confirmation is picked up by running it again; the
files cairn-cli verifyassetproof checks and refuses."""
import hashlib
import json
import os
import subprocess
import threading
import time

from framework import CAIRN_CLI, assert_equal, assert_in, assert_true, run, scaled

N = 50
SUFFIX = ".cairnproof"


def leaf(h):
    return hashlib.sha256(b"\x00" + h).digest()


def node_hash(a, b):
    return hashlib.sha256(b"\x01" + a + b).digest()


def mth(hashes):
    """RFC 6962's recursion over leaf hashes."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def audit_root(doc, index, size, path):
    """RFC 9162 section 2.1.3.2: where the path leads from the document; None
    when it does not fit (index, size)."""
    fn, sn = index, size - 1
    r = leaf(doc)
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def make_docs(folder):
    os.makedirs(folder)
    contents = {}
    for i in range(N):
        name = f"doc-{i:03d}.bin" if i % 5 else f"Scan {i}.pdf"
        data = b"" if i == 7 else os.urandom(100 + 977 * i)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        contents[os.path.join(folder, name)] = data
    # neither a folder inside nor an earlier proof is a document
    os.makedirs(os.path.join(folder, "inner"))
    with open(os.path.join(folder, "inner", "deep.txt"), "w") as f:
        f.write("not stamped")
    for leftover in ("old" + SUFFIX, "lost" + SUFFIX + ".tmp"):
        with open(os.path.join(folder, leftover), "w") as f:
            f.write("{}")
    return contents


def stamp(node, *args, timeout=60):
    return node.cli("stamp", *args, timeout=timeout)


def mine_soon(node, addr, delay):
    """Mines one block after delay seconds, on a connection of its own."""
    def go():
        time.sleep(delay)
        node.proxy().call("generatetoaddress", 1, addr)
    t = threading.Thread(target=go)
    t.start()
    return t


def check_proofs(node, contents, out, batch_id, reg_txid):
    paths = sorted(contents)
    lines = out.strip().split("\n")
    assert_equal(len(lines), N, out)
    leaves = [leaf(hashlib.sha256(contents[p]).digest()) for p in paths]
    assert_equal(mth(leaves).hex(), batch_id)
    heads = set()
    fresh = node.getassetproof(batch_id, 2)
    for i, (p, line) in enumerate(zip(paths, lines)):
        doc = hashlib.sha256(contents[p]).digest()
        assert_equal(line, f"{doc.hex()}  {p}{SUFFIX}")
        with open(p + SUFFIX) as f:
            proof = json.load(f)
        m = proof.pop("member")
        for k in ("format", "network", "kind"):
            assert_equal(proof[k], fresh[k])
        assert_equal(proof["version"], 2)
        assert_equal(proof["kind"], "custody")
        assert_equal(proof["asset"], batch_id)
        assert_equal(m["document"], doc.hex())
        assert_equal(m["name"], os.path.basename(p))
        assert_equal((m["index"], m["size"]), (i, N))
        assert_equal(audit_root(doc, i, N, [bytes.fromhex(h) for h in m["path"]]), bytes.fromhex(batch_id))
        heads.add(json.dumps(proof, sort_keys=True))
    assert_equal(len(heads), 1, "every document carries the same batch proof")
    # one transaction registered them all
    info = node.getassetinfo(batch_id)
    assert_equal(info["registration_txid"], reg_txid)
    assert_equal(info["metadata_text"], f"batch of {N} documents")
    assert_equal(len(node.getassethistory(batch_id)), 1)
    assert_equal(sum(1 for t in node.getblock(info["blockhash"], 2)["tx"] if t["txid"] == reg_txid), 1)
    return paths


def verify(node, proof, path):
    p = subprocess.run([CAIRN_CLI, "-rpcport=1", "verifyassetproof", proof, path], capture_output=True,
                       text=True, timeout=scaled(60))
    return p.returncode, p.stdout, p.stderr


def check_verify(node, paths, folder):
    for p in paths:
        rc, out, err = verify(node, p + SUFFIX, p)
        assert_equal(rc, 0, err)
    # the file altered, and two proofs swapped
    altered = os.path.join(folder, "altered.bin")
    with open(paths[3], "rb") as f:
        data = bytearray(f.read())
    data[len(data) // 2] ^= 1
    with open(altered, "wb") as f:
        f.write(data)
    rc, _, err = verify(node, paths[3] + SUFFIX, altered)
    assert_equal(rc, 1, "an altered file verified")
    rc, _, err = verify(node, paths[3] + SUFFIX, paths[4])
    assert_equal(rc, 1, "another file verified with a proof not its own")
    rc, _, err = verify(node, paths[4] + SUFFIX, paths[3])
    assert_equal(rc, 1, "another file verified with a proof not its own")


def test_refusals(node, base):
    empty = os.path.join(base, "empty")
    os.makedirs(empty)
    rc, _, err = stamp(node, empty)
    assert_equal(rc, 1)
    assert_in("no files to stamp", err)
    rc, _, err = stamp(node, os.path.join(base, "missing"))
    assert_equal(rc, 1)
    assert_in("cannot stamp", err)
    rc, _, err = stamp(node)
    assert_equal(rc, 1)
    rc, _, err = stamp(node, "-wait=soon", empty)
    assert_equal(rc, 1)
    assert_in("-wait", err)


def test(nodes):
    n0 = nodes[0]
    addr = n0.getnewaddress()
    n0.generatetoaddress(101, addr)
    base = os.path.join(n0.datadir, "stamping")
    folder = os.path.join(base, "docs")
    contents = make_docs(folder)
    test_refusals(n0, base)

    # not confirmed within -wait=0: the registration is made, nothing written
    rc, out, err = stamp(n0, "-wait=0", folder)
    assert_equal(rc, 1, err)
    assert_in("not confirmed", err)
    assert_equal(out, "")
    batch_id = err.split("batch ")[1].split()[0]
    reg_txid = err.split("registered by ")[1].split()[0]
    assert_in(reg_txid, n0.getrawmempool())
    assert_true(not any(f.endswith(SUFFIX) and f != "old" + SUFFIX for f in os.listdir(folder)))

    # the same command again, a block mined while it waits
    miner = mine_soon(n0, addr, 1.5)
    rc, out, err = stamp(n0, folder)
    miner.join()
    assert_equal(rc, 0, err)
    assert_in("registered before", err)
    assert_in(f"batch {batch_id} confirmed, registered by {reg_txid}", err)
    paths = check_proofs(n0, contents, out, batch_id, reg_txid)
    assert_true(not os.path.exists(os.path.join(folder, "old" + SUFFIX + SUFFIX)))
    assert_true(not os.path.exists(os.path.join(folder, "inner" + SUFFIX)))
    check_verify(n0, paths, folder)

    # files named one by one, in any order, and a folder beside them: one
    # batch of their own, registered and confirmed in one go
    picked = [paths[9], paths[2], paths[2]]
    miner = mine_soon(n0, addr, 1.5)
    rc, out, err = stamp(n0, "-wait=60", *picked)
    miner.join()
    assert_equal(rc, 0, err)
    lines = out.strip().split("\n")
    assert_equal([l.split("  ")[1] for l in lines], [paths[2] + SUFFIX, paths[9] + SUFFIX])
    with open(paths[2] + SUFFIX) as f:
        two = json.load(f)
    assert_equal(two["member"]["size"], 2)
    assert_true(two["asset"] != batch_id)

    # a batch of one is not the document's own registration
    solo = paths[11]
    miner = mine_soon(n0, addr, 1.5)
    rc, out, err = stamp(n0, solo)
    miner.join()
    assert_equal(rc, 0, err)
    with open(solo + SUFFIX) as f:
        one = json.load(f)
    doc = hashlib.sha256(contents[solo]).digest()
    assert_equal(one["asset"], leaf(doc).hex())
    assert_equal(one["member"]["path"], [])


if __name__ == "__main__":
    run(test, num_nodes=1, timeout=180)
