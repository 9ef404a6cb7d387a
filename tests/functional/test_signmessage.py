#!/usr/bin/env python3
"""signmessage, verifymessage and signmessagewithprivkey on a real node:
round trips, the signature checked in pure Python against the format of
docs/rpc.md (base64 of x-only key | BIP-340 signature over the tagged hash
"cairn/message"), every kind of tampering refused, and Core's errors
(locked wallet, foreign address, bad key, bad base64)."""
import base64
import hashlib

from framework import assert_equal, assert_raises_rpc, assert_true, run
from test_ownership import schnorr_verify, tagged_hash
from test_provenance import address_hash


def check_format(address, sig_b64, message):
    blob = base64.b64decode(sig_b64, validate=True)
    assert_equal(len(blob), 96)
    pubkey, sig = blob[:32], blob[32:]
    # the key is the address's: the first 20 bytes of SHA-256 of the x-only key
    assert_equal(hashlib.sha256(pubkey).digest()[:20], address_hash(address))
    assert_true(schnorr_verify(tagged_hash("cairn/message", message.encode()), pubkey, sig), "BIP-340 check")
    assert_true(not schnorr_verify(tagged_hash("cairn/message", (message + "!").encode()), pubkey, sig))


def flip(b64, i):
    blob = bytearray(base64.b64decode(b64))
    blob[i] ^= 1
    return base64.b64encode(bytes(blob)).decode()


def test(nodes):
    node = nodes[0]
    addr, other = node.getnewaddress(), node.getnewaddress()
    for message in ("hello", "", "ünïcødé ✓", "x" * 10000):
        sig = node.signmessage(addr, message)
        assert_equal(len(sig), 128)
        check_format(addr, sig, message)
        assert_true(node.verifymessage(addr, sig, message))
        assert_true(not node.verifymessage(addr, sig, message + "."))
        assert_true(not node.verifymessage(other, sig, message), "another address")
    sig = node.signmessage(addr, "hello")
    # tampering: a bit of the key, of R, of s; a truncated and an extended blob
    for i in (0, 31, 32, 63, 64, 95):
        assert_true(not node.verifymessage(addr, flip(sig, i), "hello"), f"byte {i} flipped")
    raw = base64.b64decode(sig)
    assert_true(not node.verifymessage(addr, base64.b64encode(raw[:95]).decode(), "hello"))
    assert_true(not node.verifymessage(addr, base64.b64encode(raw + b"\0").decode(), "hello"))
    assert_true(not node.verifymessage(addr, "", "hello"))
    # a signature by another key under addr's name
    assert_true(not node.verifymessage(addr, node.signmessage(other, "hello"), "hello"))
    # signmessagewithprivkey: the same key signs what verifymessage accepts
    key = node.dumpprivkey(addr)
    psig = node.signmessagewithprivkey(key, "by key")
    check_format(addr, psig, "by key")
    assert_true(node.verifymessage(addr, psig, "by key"))
    assert_true(node.call("verifymessage", address=addr, signature=psig, message="by key"))
    # Core's errors
    assert_raises_rpc(-3, node.verifymessage, "notanaddress", sig, "hello", message="Invalid address")
    assert_raises_rpc(-3, node.verifymessage, addr, "not base64!", "hello", message="Malformed base64 encoding")
    assert_raises_rpc(-3, node.verifymessage, addr, "abc", "hello", message="Malformed base64 encoding")
    assert_raises_rpc(-3, node.signmessage, "notanaddress", "hello", message="Invalid address")
    assert_raises_rpc(-4, node.signmessage, node.address("outside"), "hello", message="Private key not available")
    assert_raises_rpc(-5, node.signmessagewithprivkey, "00" * 32, "x", message="Invalid private key")
    assert_raises_rpc(-5, node.signmessagewithprivkey, "zz", "x", message="Invalid private key")
    # a locked wallet refuses to sign until unlocked; verifying needs no wallet
    node.encryptwallet("pass phrase")
    assert_raises_rpc(-13, node.signmessage, addr, "hello", message="walletpassphrase")
    assert_true(node.verifymessage(addr, sig, "hello"))
    node.walletpassphrase("pass phrase", 30)
    assert_true(node.verifymessage(addr, node.signmessage(addr, "unlocked"), "unlocked"))
    # without a wallet: signmessage is not there, the others are
    node.restart(["-disablewallet"])
    assert_raises_rpc(-32601, node.signmessage, addr, "hello")
    assert_true(node.verifymessage(addr, sig, "hello"))
    assert_true(node.verifymessage(addr, node.signmessagewithprivkey(key, "k"), "k"))


if __name__ == "__main__":
    run(test, num_nodes=1)
