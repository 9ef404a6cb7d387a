"""Bad input from raw sockets: each class of bad bytes ends the connection
or scores the sender, a sender that reaches 100 points has its IP banned,
the node stays up and keeps serving an honest peer, and a restart keeps the
bans and the address manager. Attackers connect from 127.0.0.x (x > 1) so
that a ban by IP never touches the honest node on 127.0.0.1."""
import os
import struct

from framework import (HEADER_SIZE, LOOPBACK, assert_equal, assert_in, assert_raises_rpc, assert_true, history_root, run,
                       wait_until)
from p2p_util import RawPeer, frame, inv_payload, sha256d, txgen, varint, version_payload

PARALLEL = False


def banned(node):
    return {b["address"] for b in node.listbanned()}


def peer_from(node, ip):
    return [p for p in node.getpeerinfo() if p["addr"].startswith(ip + ":")]


def framing_faults(node):
    """Bytes the transport refuses: the connection ends, no ban."""
    vp = version_payload()
    cases = {
        "127.0.0.10": frame("version", vp, magic=b"\0\1\2\3"),
        "127.0.0.11": frame("version", vp, checksum=b"\0\0\0\0"),
        "127.0.0.12": frame("version", b"", length=5 * 1024 * 1024),
        "127.0.0.14": frame("xyzzy", b""),
    }
    for ip, data in cases.items():
        r = RawPeer(node.p2p_port, ip)
        r.send(data)
        assert_true(r.closed(), f"{ip}: connection not closed")
        r.close()
    # a truncated payload, then the sender hangs up
    r = RawPeer(node.p2p_port, "127.0.0.13")
    r.send(frame("version", vp)[:24 + 20])
    r.close()


def solve(header):
    bits = struct.unpack("<I", header[140:144])[0]
    target = (bits & 0x7fffff) << (8 * ((bits >> 24) - 3))
    for nonce in range(1 << 20):
        h = header[:144] + struct.pack("<Q", nonce)
        if int.from_bytes(sha256d(h), "big") <= target:
            return h
    raise AssertionError("no nonce found")


def mutated_block(node):
    raw = bytes.fromhex(node.getblock(node.getbestblockhash(), 0))
    tip_header = raw[:HEADER_SIZE]
    version, = struct.unpack("<I", tip_header[:4])
    t, = struct.unpack("<Q", tip_header[132:140])
    history = history_root(node, node.getblockcount())
    header = struct.pack("<I", version) + sha256d(tip_header) + os.urandom(32) + history + \
        tip_header[100:132] + struct.pack("<Q", t + 1) + tip_header[140:144]
    return solve(header + b"\0" * 8) + raw[HEADER_SIZE:]


def test(nodes):
    victim, honest = nodes
    honest.addnode(f"{LOOPBACK}:{victim.p2p_port}", "add")
    wait_until(lambda: len(victim.getpeerinfo()) == 1, timeout=15)
    pay = txgen("address")[0]
    victim.generatetoaddress(101, pay)
    wait_until(lambda: honest.getblockcount() == 101, timeout=15)

    framing_faults(victim)

    # a malformed version (right checksum, short fields): 100 points
    r = RawPeer(victim.p2p_port, "127.0.0.15")
    r.msg("version", version_payload()[:30])
    assert_true(r.closed())

    # an invalid transaction: a flipped signature byte
    cb = victim.getblock(victim.getblockhash(1))["tx"][0]
    tx = bytearray.fromhex(txgen("fanout", cb, 50 * 10**8, 2)[0])
    tx[4 + 1 + 32 + 4 + 32 + 5] ^= 1
    r = RawPeer(victim.p2p_port, "127.0.0.16")
    r.handshake()
    r.msg("tx", bytes(tx))
    assert_true(r.closed(), "invalid tx: not disconnected")

    # an invalid block: its merkle root does not match its transactions
    r = RawPeer(victim.p2p_port, "127.0.0.17")
    r.handshake()
    r.msg("block", mutated_block(victim))
    assert_true(r.closed(), "invalid block: not disconnected")

    # headers that do not connect: ten in a row cost 20, no more
    r = RawPeer(victim.p2p_port, "127.0.0.18")
    r.handshake()
    for _ in range(10):
        hdr = struct.pack("<I", 1) + os.urandom(128) + struct.pack("<QIQ", 0, 0, 0)
        r.msg("headers", varint(1) + hdr + b"\0")
    wait_until(lambda: [p["misbehavior_score"] for p in peer_from(victim, "127.0.0.18")] == [20], timeout=10)

    # an inv flood: answered within bounds, no score; an oversize inv: banned
    f = RawPeer(victim.p2p_port, "127.0.0.19")
    f.handshake()
    for _ in range(4):
        f.msg("inv", inv_payload([(1, os.urandom(32)) for _ in range(50000)]))
    wait_until(lambda: len(peer_from(victim, "127.0.0.19")) == 1
               and peer_from(victim, "127.0.0.19")[0]["bytesrecv"] > 4 * 50000 * 36, timeout=20)
    assert_equal(peer_from(victim, "127.0.0.19")[0]["misbehavior_score"], 0)
    f.msg("inv", varint(50001) + b"\1\0\0\0" + os.urandom(32) * 50001)
    assert_true(f.closed(10), "oversize inv: not disconnected")

    wait_until(lambda: {"127.0.0.15/32", "127.0.0.16/32", "127.0.0.17/32", "127.0.0.19/32"} <= banned(victim),
               timeout=10, msg=f"banned: {banned(victim)}")
    for ip in ("127.0.0.10", "127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14", "127.0.0.18"):
        assert_true(f"{ip}/32" not in banned(victim), f"{ip} banned")
    ban = [b for b in victim.listbanned() if b["address"] == "127.0.0.16/32"][0]
    assert_equal(ban["ban_duration"], 86400)

    # a banned address cannot come back
    r = RawPeer(victim.p2p_port, "127.0.0.16")
    assert_true(r.closed(), "banned address accepted")

    # the honest peer is still served
    tip = victim.generatetoaddress(1, victim.address())[0]
    wait_until(lambda: honest.getbestblockhash() == tip, timeout=15)
    assert_equal(len(peer_from(victim, "127.0.0.1")), 1)

    # setban as Bitcoin Core's
    victim.setban("10.0.0.0/8", "add", 600)
    assert_raises_rpc(-23, victim.setban, "10.0.0.0/8", "add")
    assert_raises_rpc(-30, victim.setban, "not-an-ip", "add")
    victim.setban("10.0.0.0/8", "remove")
    assert_raises_rpc(-30, victim.setban, "10.0.0.0/8", "remove")
    victim.setban("192.168.0.1", "add", 2000000000, True)
    assert_in("192.168.0.1/32", banned(victim))

    # a restart keeps the bans and the addresses it learned
    addrs = victim.getnodeaddresses(0)
    assert_true(any(a["port"] == honest.p2p_port for a in addrs), f"addresses: {addrs}")
    before = banned(victim)
    victim.restart()
    assert_equal(banned(victim), before)
    assert_true(any(a["port"] == honest.p2p_port for a in victim.getnodeaddresses(0)))
    victim.clearbanned()
    assert_equal(victim.listbanned(), [])


if __name__ == "__main__":
    run(test, num_nodes=2, extra_args=[["-connect=0", "-listen=1"], ["-connect=0", "-listen=1"]], timeout=120)
