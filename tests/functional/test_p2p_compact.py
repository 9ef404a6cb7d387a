"""Compact block relay (BIP 152) between real nodes: A mines, B takes
compact blocks, C runs with -compactblocks=0.

- A block whose 200 transactions B's mempool holds reaches B as a
  cmpctblock rebuilt wholly from the mempool, in under a tenth of the bytes
  C receives for the same block in full.
- B then asks A to push new blocks (high bandwidth): getpeerinfo shows it on
  both sides, and the next block arrives without B asking.
- Transactions B never saw are fetched with getblocktxn/blocktxn.
- A raw peer's compact block with two equal short ids makes B ask for the
  whole block; one naming unknown transactions is completed from the raw
  peer's blocktxn; a malformed one gets the peer disconnected.
"""
import os
import struct
import time

from framework import HEADER_SIZE, LOOPBACK, assert_equal, assert_true, run, wait_until
from p2p_util import RawPeer, txgen, varint

SPENDS = 300


def by_port(node, other):
    """node's peer entry for `other` (outbound: its listening port)."""
    for p in node.getpeerinfo():
        if p["addr"] == f"{LOOPBACK}:{other.p2p_port}":
            return p
    return None


def recv(node, other, msg):
    p = by_port(node, other)
    return p["bytesrecv_per_msg"].get(msg, 0) if p else 0


def sent(node, other, msg):
    p = by_port(node, other)
    return p["bytessent_per_msg"].get(msg, 0) if p else 0


def compact(node):
    return node.getnetworkinfo()["compactblocks"]


def mempool_has(node, txids):
    pool = set(node.getrawmempool())
    return all(t in pool for t in txids)


def send(a, txs):
    return a.batch([("sendrawtransaction", [t]) for t in txs])


def test(nodes):
    a, b, c = nodes
    pay = txgen("address")[0]
    a.generatetoaddress(101, pay)
    cb = a.getblock(a.getblockhash(1))["tx"][0]
    fan = a.sendrawtransaction(txgen("fanout", cb, 50 * 10**8, SPENDS)[0])
    a.generatetoaddress(1, pay)
    value = round(a.gettxout(fan, 0)["value"] * 10**8)
    spends = txgen("spends", fan, value, SPENDS)
    for n in (b, c):
        n.addnode(f"{LOOPBACK}:{a.p2p_port}", "add")
    wait_until(lambda: b.getbestblockhash() == a.getbestblockhash() == c.getbestblockhash(), timeout=30)
    assert_true(compact(b)["enabled"] and not compact(c)["enabled"], "compactblocks flags")

    # 1. everything in the mempool: rebuilt from it, a tenth of the bytes
    txids = send(a, spends[:200])
    wait_until(lambda: mempool_has(b, txids) and mempool_has(c, txids), timeout=30)
    before = compact(b)
    rb, rc = recv(b, a, "cmpctblock"), recv(c, a, "block")
    full_before = recv(b, a, "block")
    tip = a.generatetoaddress(1, pay)[0]
    wait_until(lambda: b.getbestblockhash() == tip and c.getbestblockhash() == tip, timeout=15)
    after = compact(b)
    assert_equal(after["rebuilt"] - before["rebuilt"], 1)
    assert_equal(after["from_mempool"] - before["from_mempool"], 200)
    assert_equal(after["requested"] - before["requested"], 0)
    assert_equal(recv(b, a, "block"), full_before, "B got the whole block too")
    cmpct_bytes, full_bytes = recv(b, a, "cmpctblock") - rb, recv(c, a, "block") - rc
    print(f"block of 201 transactions: {cmpct_bytes} bytes as cmpctblock, {full_bytes} whole "
          f"({100.0 * (1 - cmpct_bytes / full_bytes):.1f} % saved)")
    assert_true(0 < cmpct_bytes <= full_bytes // 10, f"{cmpct_bytes} vs {full_bytes}")
    assert_equal(recv(c, a, "cmpctblock"), 0)

    # 2. high bandwidth: B asked A to push; A pushes only to B
    wait_until(lambda: by_port(b, a)["bip152_hb_from"], timeout=5, msg="B never asked A for high bandwidth")
    pushed = [p for p in a.getpeerinfo() if p["bip152_hb_to"]]
    assert_equal(len(pushed), 1, f"A pushes to {pushed}")
    assert_true(not by_port(c, a)["bip152_hb_from"], "C asked for compact blocks")
    txids = send(a, spends[200:220])
    wait_until(lambda: mempool_has(b, txids), timeout=30)
    asked = sent(b, a, "getdata")
    before = compact(b)
    tip = a.generatetoaddress(1, pay)[0]
    wait_until(lambda: b.getbestblockhash() == tip, timeout=15)
    assert_equal(compact(b)["rebuilt"] - before["rebuilt"], 1)
    assert_equal(sent(b, a, "getdata"), asked, "B asked for a block A should have pushed")

    # 3. transactions B never saw: getblocktxn for exactly those
    b.setnetworkactive(False)
    wait_until(lambda: not b.getpeerinfo(), timeout=10)
    txids = send(a, spends[220:260])
    wait_until(lambda: mempool_has(c, txids), timeout=30)
    b.setnetworkactive(True)
    wait_until(lambda: by_port(b, a) and by_port(b, a)["handshake_complete"], timeout=20)
    assert_true(not any(t in set(b.getrawmempool()) for t in txids), "B saw the new transactions")
    before = compact(b)
    tip = a.generatetoaddress(1, pay)[0]
    wait_until(lambda: b.getbestblockhash() == tip, timeout=15)
    after = compact(b)
    assert_equal(after["rebuilt"] - before["rebuilt"], 1)
    assert_equal(after["requested"] - before["requested"], 40)
    assert_true(sent(b, a, "getblocktxn") > 0 and recv(b, a, "blocktxn") > 0, "no getblocktxn round trip")

    raw_peer_cases(a, b, pay, spends)


def block_parts(node, h):
    """A block's header bytes and its transactions' bytes, from the RPC."""
    raw = bytes.fromhex(node.getblock(h, 0))
    txs = [bytes.fromhex(node.getrawtransaction(t, False, h)) for t in node.getblock(h)["tx"]]
    return raw[:HEADER_SIZE], txs


def cmpctblock(header, ids, coinbase):
    return (header + struct.pack("<Q", 1) + varint(len(ids)) + b"".join(i.to_bytes(6, "little") for i in ids) +
            varint(1) + varint(0) + coinbase)


def expect(rp, want, timeout=10):
    """Reads until a message for which want(cmd, payload) holds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        m = rp.recv_msg(timeout=max(0.1, end - time.monotonic()))
        if m is None:
            return None
        if want(*m):
            return m
    return None


def raw_peer_cases(a, b, pay, spends):
    # B off the mesh; A mines blocks B does not have
    b.addnode(f"{LOOPBACK}:{a.p2p_port}", "remove")
    b.disconnectnode(f"{LOOPBACK}:{a.p2p_port}")
    wait_until(lambda: not by_port(b, a), timeout=10)
    h1 = a.generatetoaddress(1, pay)[0]
    header, txs = block_parts(a, h1)
    h1_bytes = bytes.fromhex(h1)

    rp = RawPeer(b.p2p_port, source="127.0.0.7")
    rp.handshake(height=a.getblockcount())
    # two equal short ids: B asks for the whole block (type 2)
    rp.msg("cmpctblock", cmpctblock(header, [5, 5], txs[0]))
    got = expect(rp, lambda cmd, p: cmd == "getdata" and struct.pack("<I", 2) + h1_bytes in p)
    assert_true(got is not None, "no getdata for the whole block after equal short ids")
    rp.close()

    # short ids B cannot match: getblocktxn for every one, blocktxn completes it
    send(a, spends[260:270])
    h2 = a.generatetoaddress(1, pay)[0]
    rp = RawPeer(b.p2p_port, source="127.0.0.8")
    rp.handshake(height=a.getblockcount())
    rp.msg("block", bytes.fromhex(a.getblock(h1, 0)))
    wait_until(lambda: b.getbestblockhash() == h1, timeout=10)
    header2, txs2 = block_parts(a, h2)
    n = len(txs2) - 1
    assert_equal(n, 10)
    ids = [int.from_bytes(os.urandom(6), "little") for _ in range(n)]
    rp.msg("cmpctblock", cmpctblock(header2, ids, txs2[0]))
    got = expect(rp, lambda cmd, p: cmd == "getblocktxn")
    assert_true(got is not None, "no getblocktxn")
    assert_equal(got[1][:32], bytes.fromhex(h2))
    rp.msg("blocktxn", bytes.fromhex(h2) + varint(n) + b"".join(txs2[1:]))
    wait_until(lambda: b.getbestblockhash() == h2, timeout=10, msg="blocktxn did not complete the block")
    # a malformed compact block: disconnected
    rp.msg("cmpctblock", b"\x01" * 20)
    assert_true(rp.closed(timeout=10), "malformed cmpctblock left the peer connected")
    rp.close()


if __name__ == "__main__":
    run(test, num_nodes=3,
        extra_args=[["-connect=0", "-listen=1"], ["-connect=0", "-listen=1"],
                    ["-connect=0", "-listen=1", "-compactblocks=0"]],
        timeout=120)
