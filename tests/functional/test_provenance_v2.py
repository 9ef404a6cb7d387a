#!/usr/bin/env python3
"""Proofs anchored at genesis on a 3-node mesh: a document registered on one
node, transferred on another, its v2 proof made on the third and checked
offline by cairn-cli with no node (and against the document itself); the
asset map in the tip's header checked here against the proof's owner; an
absence proof for a document never registered; every altered byte of a
bundle's sections refused; a header with a wrong asset root refused by
submitblock."""
import hashlib
import os
import subprocess

from framework import (CAIRN_CLI, HEADER_SIZE, LOOPBACK, assert_equal, assert_in, assert_raises_rpc, assert_true, run,
                       sha256d, wait_until)
from test_blockchain import solve
from test_provenance import mine, verify_offline, wait_pool, write_json


def alter(proof, at):
    """The proof file with one byte of its bundle flipped."""
    raw = bytearray.fromhex(proof["bundle"])
    raw[at] ^= 0x10
    return dict(proof, bundle=raw.hex())


def check_refusals(tmp, proof):
    path = os.path.join(tmp, "altered.json")
    raw = bytes.fromhex(proof["bundle"])
    # the head, the tip header's history root, a path, a sample, a step, the map proof
    for at in (5, 42 + 70, 42 + 152 + 4 + 70, len(raw) // 3, len(raw) // 2, len(raw) - 40):
        write_json(path, alter(proof, at))
        rc, out, err = verify_offline(path)
        assert_equal(rc, 1, f"byte {at} altered: {out}")
        assert_in("proof refused", err)
    other_kind = "custody" if proof["kind"] == "absence" else "absence"
    for key, value in (("tip", "00" * 32), ("height", proof["height"] + 1), ("kind", other_kind),
                       ("samples", 1), ("format", "other")):
        write_json(path, dict(proof, **{key: value}))
        rc, out, err = verify_offline(path)
        assert_equal(rc, 1, f"{key} altered")
    write_json(path, dict(proof, bundle=proof["bundle"][:-2]))
    assert_equal(verify_offline(path)[0], 1)


def test(nodes):
    n0, n1, n2 = nodes
    for i in range(3):
        nodes[i].addnode(f"{LOOPBACK}:{nodes[(i + 1) % 3].p2p_port}", "add")
    wait_until(lambda: all(n.getconnectioncount() == 2 for n in nodes), timeout=30)
    mine(n0, nodes, 102)
    tmp = n0.datadir

    doc = os.path.join(tmp, "survey.pdf")
    with open(doc, "wb") as f:
        f.write(os.urandom(3000))
    doc_id = hashlib.sha256(open(doc, "rb").read()).hexdigest()
    reg = n0.registerasset(doc_id, "survey of lot 9")
    wait_pool(nodes, reg)
    mine(n0, nodes)
    owner = n1.getnewaddress()
    wait_pool(nodes, n0.transferasset(doc_id, owner))
    mine(n1, nodes, 3)

    # the tip's header commits to the asset map; the proof made on n2
    tip = n2.getblockheader(n2.getbestblockhash())
    assert_true(tip["assetroot"] != "00" * 32, "the asset map is not empty")
    proof = n2.getassetproof(doc_id, 2)
    assert_equal(proof["version"], 2)
    assert_equal(proof["kind"], "custody")
    assert_equal(proof["tip"], tip["hash"])
    assert_equal(proof["height"], tip["height"])
    assert_equal(proof["samples"], 50)
    assert_equal(n0.getassetproof(doc_id, 2), proof, "every node proves the same")
    path = os.path.join(tmp, "survey.proof.json")
    write_json(path, proof)
    rc, out, err = verify_offline(path)
    assert_equal(rc, 0, err)
    assert_in("registered to", out)
    assert_in(f"current owner as of the tip: {owner}", out)
    assert_in(f"tip: {tip['hash']} (height {tip['height']})", out)
    assert_in("anchored at genesis " + n0.getblockhash(0), out)
    assert_in("checked by 50 samples", out)
    # ... and against the document: its SHA-256 is the asset id
    r = subprocess.run([CAIRN_CLI, "-rpcport=1", "verifyassetproof", path, doc], capture_output=True, text=True)
    assert_equal(r.returncode, 0, r.stderr)
    assert_in("its SHA-256 is the asset id", r.stdout)
    other_doc = os.path.join(tmp, "other.pdf")
    with open(other_doc, "wb") as f:
        f.write(b"not the survey")
    r = subprocess.run([CAIRN_CLI, "-rpcport=1", "verifyassetproof", path, other_doc], capture_output=True, text=True)
    assert_equal(r.returncode, 1)
    assert_in("not the asset id", r.stderr)
    check_refusals(tmp, proof)

    # fewer samples: a smaller proof, which says so
    small = n2.getassetproof(doc_id, 2, 5)
    assert_equal(small["samples"], 5)
    assert_true(len(small["bundle"]) < len(proof["bundle"]))
    assert_raises_rpc(-8, n2.getassetproof, doc_id, 3)
    assert_raises_rpc(-8, n2.getassetproof, doc_id, 2, 0)
    assert_raises_rpc(-5, n2.getassetproof, "ab" * 32, 2)

    # a document never registered, proven absent; a registered one is not
    never = hashlib.sha256(b"a draft that was never filed").hexdigest()
    absent = n2.getassetabsenceproof(never)
    assert_equal(absent["kind"], "absence")
    apath = os.path.join(tmp, "draft.absence.json")
    write_json(apath, absent)
    rc, out, err = verify_offline(apath)
    assert_equal(rc, 0, err)
    assert_in("never registered", out)
    assert_raises_rpc(-8, n2.getassetabsenceproof, doc_id, message="registered")
    write_json(apath, dict(absent, asset=doc_id))
    assert_equal(verify_offline(apath)[0], 1)
    check_refusals(tmp, absent)

    # a block whose header claims another asset map, on the same parent
    good_hash = n0.generatetoaddress(1, n0.getnewaddress())[0]
    good = bytearray.fromhex(n0.getblock(good_hash, 0))
    n0.invalidateblock(good_hash)
    bad = bytearray(good)
    bad[100] ^= 1
    solve(bad)
    assert_equal(n0.submitblock(bad.hex()), "bad-assets-root")
    n0.reconsiderblock(good_hash)
    assert_equal(n0.getbestblockhash(), good_hash)
    assert_equal(sha256d(bytes(good[:HEADER_SIZE])).hex(), good_hash)


if __name__ == "__main__":
    run(test, num_nodes=3, extra_args=[["-connect=0", "-listen=1"] for _ in range(3)], timeout=180)
