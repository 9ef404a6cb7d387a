#!/usr/bin/env python3
"""Ownership challenges: a document registered on node 0 and transferred to
node 1; node 1 answers a challenge with signassetownership, node 0 (not the
owner) is refused; the ownership file and a v2 proof bundle checked offline
by cairn-cli verifyassetownership with no node, then altered (challenge,
signature, tip, owner, a proof of another asset or of another tip) and
refused each time with a reason; an encrypted, locked wallet refused until
unlocked.

The digest and the signature are also checked here in pure Python (BIP-340's
reference verification), independently of cairn's C code, so that the
documented digest is the one cairnd signs."""
import copy
import hashlib
import json
import os
import subprocess

from framework import (CAIRN_CLI, LOOPBACK, assert_equal, assert_in, assert_raises_rpc, assert_true, run, scaled,
                       wait_until)
from test_provenance import address_hash, mine, wait_pool, write_json

# --- BIP-340 verification (the reference code of the BIP, condensed) ---
P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def tagged_hash(tag, msg):
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + msg).digest()


def point_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and a[1] != b[1]:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], P - 2, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return x, (lam * (a[0] - x) - a[1]) % P


def point_mul(pt, n):
    r = None
    for i in range(256):
        if (n >> i) & 1:
            r = point_add(r, pt)
        pt = point_add(pt, pt)
    return r


def lift_x(x):
    if x >= P:
        return None
    y_sq = (pow(x, 3, P) + 7) % P
    y = pow(y_sq, (P + 1) // 4, P)
    if pow(y, 2, P) != y_sq:
        return None
    return x, y if y & 1 == 0 else P - y


def schnorr_verify(msg, pubkey, sig):
    pt = lift_x(int.from_bytes(pubkey, "big"))
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    if pt is None or r >= P or s >= N:
        return False
    e = int.from_bytes(tagged_hash("BIP0340/challenge", sig[:32] + pubkey + msg), "big") % N
    R = point_add(point_mul(G, s), point_mul(pt, N - e))
    return R is not None and R[1] % 2 == 0 and R[0] == r


def ownership_digest(asset_hex, tip_hex, challenge):
    """docs/provenance.md, "Ownership challenges", byte for byte."""
    msg = bytes.fromhex(asset_hex) + bytes.fromhex(tip_hex) + hashlib.sha256(challenge.encode()).digest()
    return tagged_hash("cairn/ownership", msg)


# --- the offline verifier ---

def verify_ownership(sig_path, proof_path):
    """cairn-cli verifyassetownership SIGFILE PROOFFILE with no data
    directory, no port and no node: (status, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "HOME"}
    env["HOME"] = "/nonexistent"
    p = subprocess.run([CAIRN_CLI, "-rpcport=1", "verifyassetownership", sig_path, proof_path], capture_output=True,
                       text=True, timeout=scaled(60), env=env)
    return p.returncode, p.stdout, p.stderr


def refused(sig_path, proof_path, reason):
    rc, out, err = verify_ownership(sig_path, proof_path)
    assert_equal(rc, 1, f"accepted: {out}")
    assert_in("error: ownership refused: ", err)
    assert_in(reason, err)


def altered(tmp, name, own, change):
    o = copy.deepcopy(own)
    change(o)
    path = os.path.join(tmp, name)
    write_json(path, o)
    return path


def flip_hex(h, i=0):
    b = bytearray(bytes.fromhex(h))
    b[i] ^= 1
    return b.hex()


def check_alterations(tmp, own, proof_path, n0):
    refused(altered(tmp, "c.json", own, lambda o: o.update(challenge=o["challenge"] + "!")), proof_path,
            "the signature is not the key's")
    refused(altered(tmp, "s.json", own, lambda o: o.update(signature=flip_hex(o["signature"], 40))), proof_path,
            "the signature is not the key's")
    prev = n0.getblockhash(own["height"] - 1)
    refused(altered(tmp, "t.json", own, lambda o: o.update(tip=prev)), proof_path, "the signature is not the key's")
    refused(altered(tmp, "o.json", own, lambda o: o.update(owner=n0.getnewaddress())), proof_path,
            "does not pay to the claimed owner")
    refused(altered(tmp, "k.json", own, lambda o: o.update(pubkey=flip_hex(o["pubkey"], 5))), proof_path,
            "ownership refused")
    refused(altered(tmp, "a.json", own, lambda o: o.update(asset=flip_hex(o["asset"]))), proof_path,
            "ownership refused")
    refused(altered(tmp, "n.json", own, lambda o: o.pop("challenge")), proof_path, "challenge")
    refused(os.path.join(tmp, "missing.json"), proof_path, "cannot open")
    bad = os.path.join(tmp, "notjson.json")
    with open(bad, "w") as f:
        f.write("{not json")
    refused(bad, proof_path, "not JSON")


def check_proof_alterations(tmp, sig_path, proof):
    def write(name, change):
        p = copy.deepcopy(proof)
        change(p)
        path = os.path.join(tmp, name)
        write_json(path, p)
        return path
    b = bytearray(bytes.fromhex(proof["bundle"]))
    b[len(b) // 2] ^= 1
    refused(sig_path, write("pb.json", lambda p: p.update(bundle=b.hex())), "ownership refused")
    refused(sig_path, write("pv.json", lambda p: p.update(version=1)), "'version' is not 2")
    refused(sig_path, write("pn.json", lambda p: p.update(network="main")), "'network' is not the bundle's")
    refused(sig_path, write("pt.json", lambda p: p.update(tip=flip_hex(p["tip"]))), "'tip' is not the bundle's tip")


def test(nodes):
    n0, n1 = nodes
    n0.addnode(f"{LOOPBACK}:{n1.p2p_port}", "add")
    wait_until(lambda: n0.getconnectioncount() == 1 and n1.getconnectioncount() == 1, timeout=30)
    mine(n0, nodes, 103)
    wait_pool(nodes, n0.sendtoaddress(n1.getnewaddress(), 10))  # n1's fees, to transfer it on later
    tmp = n1.datadir

    content = os.urandom(3000)
    doc_id = hashlib.sha256(content).hexdigest()
    reg = n0.registerasset(doc_id, "title deed")
    wait_pool(nodes, reg)
    mine(n0, nodes)
    a1 = n1.getnewaddress()
    t1 = n0.transferasset(doc_id, a1)
    wait_pool(nodes, t1)
    mine(n0, nodes)
    assert_equal(n1.getassetinfo(doc_id)["owner"], a1)

    # the owner answers; the previous owner and strangers cannot
    challenge = "verifier 7 asks: nonce 0f3a, 2026-12-07 — ünïcode too"
    assert_raises_rpc(-4, n0.signassetownership, doc_id, challenge,
                      message="The wallet does not hold the key of the asset's current owner")
    assert_raises_rpc(-5, n1.signassetownership, "00" * 32, challenge, message="Asset not found")
    assert_raises_rpc(-8, n1.signassetownership, "abc", challenge)
    own = n1.signassetownership(doc_id, challenge)
    assert_equal(sorted(own), sorted(["asset", "challenge", "tip", "height", "owner", "pubkey", "signature"]))
    assert_equal(own["asset"], doc_id)
    assert_equal(own["challenge"], challenge)
    assert_equal(own["tip"], n1.getbestblockhash())
    assert_equal(own["height"], n1.getblockcount())
    assert_equal(own["owner"], a1)
    assert_equal(hashlib.sha256(bytes.fromhex(own["pubkey"])).digest()[:20], address_hash(a1))
    digest = ownership_digest(doc_id, own["tip"], challenge)
    assert_true(schnorr_verify(digest, bytes.fromhex(own["pubkey"]), bytes.fromhex(own["signature"])),
                "the signature is not BIP-340 over the documented digest")
    assert_true(not schnorr_verify(ownership_digest(doc_id, own["tip"], challenge + "x"),
                                   bytes.fromhex(own["pubkey"]), bytes.fromhex(own["signature"])))

    # the ownership file and a v2 proof at the same tip, checked with no node
    proof = n1.getassetproof(doc_id, 2)
    assert_equal(proof["version"], 2)
    assert_equal(proof["tip"], own["tip"])
    sig_path = os.path.join(tmp, "deed.ownership.json")
    proof_path = os.path.join(tmp, "deed.proof2.json")
    write_json(sig_path, own)
    write_json(proof_path, proof)
    rc, out, err = verify_ownership(sig_path, proof_path)
    assert_equal(rc, 0, err)
    assert_in("ownership proven", out)
    assert_in(doc_id, out)
    assert_in(a1, out)
    assert_in(own["tip"], out)
    assert_in(f"height {own['height']}", out)
    assert_in(challenge, out)
    check_alterations(tmp, own, proof_path, n0)
    check_proof_alterations(tmp, sig_path, proof)

    # a proof of another asset, and a signature at a later tip
    other = hashlib.sha256(b"another deed").hexdigest()
    wait_pool(nodes, n0.registerasset(other))
    mine(n0, nodes)
    other_path = os.path.join(tmp, "other.proof2.json")
    write_json(other_path, n0.getassetproof(other, 2))
    refused(sig_path, other_path, "the proof is of another asset")
    absent_path = os.path.join(tmp, "absent.proof2.json")
    write_json(absent_path, n0.getassetabsenceproof(hashlib.sha256(b"never registered").hexdigest()))
    refused(sig_path, absent_path, "not of an asset's custody")
    later = n1.signassetownership(doc_id, challenge)
    assert_true(later["tip"] != own["tip"])
    later_path = os.path.join(tmp, "later.ownership.json")
    write_json(later_path, later)
    refused(later_path, proof_path, "another tip")
    fresh_path = os.path.join(tmp, "later.proof2.json")
    write_json(fresh_path, n1.getassetproof(doc_id, 2))
    rc, out, err = verify_ownership(later_path, fresh_path)
    assert_equal(rc, 0, err)

    # once transferred away, the old owner cannot answer, the new one can
    a0 = n0.getnewaddress()
    wait_pool(nodes, n1.transferasset(doc_id, a0))
    mine(n0, nodes)
    assert_raises_rpc(-4, n1.signassetownership, doc_id, "again", message="current owner")
    back = n0.signassetownership(doc_id, "again")
    assert_equal(back["owner"], a0)
    # and the old signature does not fit the new tip's proof
    now_path = os.path.join(tmp, "now.proof2.json")
    write_json(now_path, n0.getassetproof(doc_id, 2))
    refused(later_path, now_path, "another tip")

    # an encrypted wallet signs only while unlocked
    n0.encryptwallet("secret words")
    assert_raises_rpc(-13, n0.signassetownership, doc_id, "locked?")
    n0.walletpassphrase("secret words", 60)
    assert_equal(n0.signassetownership(doc_id, "unlocked")["owner"], a0)
    n0.walletlock()
    assert_raises_rpc(-13, n0.signassetownership, doc_id, "locked again")


if __name__ == "__main__":
    run(test, num_nodes=2, extra_args=[["-connect=0", "-listen=1"] for _ in range(2)], timeout=180)
