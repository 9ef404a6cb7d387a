"""A stalled block download moves to another peer: a raw peer announces
the headers of a 300-block chain and never serves a block. The syncing
node asks it for blocks, and once an honest peer holding the chain is
connected, every request the staller sits on past the stall timeout is
given to the honest peer at once; the node reaches the tip, and the
staller is disconnected when the block timeout (five stall timeouts)
passes. Runs with -stalltimeout=500 when the node takes it, else with the
defaults (2 s, 10 s)."""
import re
import struct
import time

from framework import HEADER_SIZE, LOOPBACK, assert_equal, assert_true, run, scaled, wait_until
from p2p_util import RawPeer, varint

PARALLEL = False
BLOCKS = 300


def headers_payload(node, first, last):
    out = b""
    for h in range(first, last + 1):
        out += bytes.fromhex(node.getblock(node.getblockhash(h), 0))[:HEADER_SIZE] + b"\0"
    return varint(last - first + 1) + out


def block_requests(peer, seconds):
    """Block hashes the node asks peer for within seconds (nothing served)."""
    asked = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        m = peer.recv_msg(timeout=0.2)
        if m and m[0] == "getdata":
            n = m[1][0]  # fewer than 0xfd entries per request
            for i in range(n):
                t, = struct.unpack("<I", m[1][1 + 36 * i:5 + 36 * i])
                if t == 2:
                    asked.add(m[1][5 + 36 * i:37 + 36 * i])
    return asked


def test(nodes):
    src, fresh = nodes
    tip = src.generatetoaddress(BLOCKS, src.address())[-1]
    short = "mesh timers:" in fresh.log()
    stall = 0.5 if short else 2.0

    staller = RawPeer(fresh.p2p_port, "127.0.0.2", timeout=10)
    staller.handshake(height=BLOCKS)
    staller.msg("headers", headers_payload(src, 1, BLOCKS))
    asked = block_requests(staller, 1.0)
    assert_equal(len(asked), 16, "the staller was not given a full set of requests")
    assert_equal(fresh.getblockcount(), 0)

    t0 = time.monotonic()
    fresh.addnode(f"{LOOPBACK}:{src.p2p_port}", "add")
    wait_until(lambda: fresh.getbestblockhash() == tip, timeout=3 * stall + 15,
               msg=f"fresh node at {fresh.getblockcount()}")
    took = time.monotonic() - t0
    # one re-assignment of everything, not one block a second
    assert_true(took < scaled(stall + 6), f"sync past the staller took {took:.1f}s")
    moved = [int(n) for n in re.findall(r"stalls the download: (\d+) blocks re-assigned", fresh.log())]
    assert_true(moved and max(moved) == 16, f"re-assigned: {moved}")
    peers = {p["addr"].split(":")[0]: p for p in fresh.getpeerinfo()}
    assert_equal(peers["127.0.0.1"]["synced_blocks"], BLOCKS)

    # the staller goes once the block timeout passes
    assert_true(staller.closed(timeout=scaled(6 * stall + 5)), "the staller was never disconnected")
    assert_true("block download timed out" in fresh.log())
    wait_until(lambda: [p["addr"].split(":")[0] for p in fresh.getpeerinfo()] == ["127.0.0.1"], timeout=5)
    staller.close()

    # and the node keeps following the honest peer
    tip = src.generatetoaddress(1, src.address())[0]
    wait_until(lambda: fresh.getbestblockhash() == tip, timeout=10)


if __name__ == "__main__":
    run(test, num_nodes=2,
        extra_args=[["-connect=0", "-listen=1"], ["-connect=0", "-listen=1", "-stalltimeout=500"]],
        timeout=120)
