"""Addresses on the move. Relay: three nodes in a line, A - B - C; C asked
B for addresses before A existed, yet learns where A listens, because B
passes A's fresh self-announcement on. B relays only small, fresh
announcements: a list of 11 and a stale address stop at B. Rate: a peer's
unsolicited addresses are taken at 0.1 a second after a first allowance
of 1,000, so a second list of 1,000 is almost wholly dropped."""
import re
import struct
import time

from framework import LOOPBACK, assert_equal, assert_true, run, wait_until
from p2p_util import RawPeer, net_addr, varint


def addr_payload(entries):
    """entries: [(host, port, unix time)]."""
    return varint(len(entries)) + b"".join(struct.pack("<I", t) + net_addr(h, p, 1) for h, p, t in entries)


def known(node):
    return {(a["address"], a["port"]) for a in node.getnodeaddresses(0)}


def received(node):
    """Addresses in each addr message the node logged (-debug=net)."""
    return [int(n) for n in re.findall(r"sent (\d+) addresses, \d+ new", node.log())]


def relay(a, b, c):
    c.addnode(f"{LOOPBACK}:{b.p2p_port}", "add")
    wait_until(lambda: c.getconnectioncount() == 1, timeout=10)
    a.addnode(f"{LOOPBACK}:{b.p2p_port}", "add")
    wait_until(lambda: (LOOPBACK, a.p2p_port) in known(c), timeout=10, msg=f"c knows {known(c)}")
    assert_equal(c.getconnectioncount(), 1)  # learnt through b, not by meeting a

    r = RawPeer(b.p2p_port, "127.0.0.2")
    r.handshake()
    now = int(time.time())
    r.msg("addr", addr_payload([(f"10.0.0.{i}", 8333, now) for i in range(1, 12)]))
    r.msg("addr", addr_payload([("10.9.9.9", 8333, now - 3600)]))
    r.msg("addr", addr_payload([("10.1.2.3", 8333, now)]))
    wait_until(lambda: ("10.1.2.3", 8333) in known(c), timeout=10, msg=f"c knows {known(c)}")
    time.sleep(2.5)  # a further batch from b would have left by now
    table = known(c)
    assert_true(len(table) < 10, "getnodeaddresses returns the whole of a small table")
    assert_true(not any(h.startswith("10.0.0.") or h == "10.9.9.9" for h, _ in table), f"c knows {table}")
    # c heard of exactly three addresses from b: b's own (announced to a
    # peer that takes part in address relay), a's, then the fresh one
    assert_equal(sum(received(c)), 3, f"addr sizes at c: {received(c)}")
    r.close()


def rate(node):
    r = RawPeer(node.p2p_port, "127.0.0.3")
    r.handshake()
    now = int(time.time())
    r.msg("addr", addr_payload([(f"10.{i >> 8}.{i & 255}.1", 8333, now) for i in range(1000)]))
    r.msg("addr", addr_payload([(f"10.{100 + (i >> 8)}.{i & 255}.1", 8333, now) for i in range(1000)]))
    wait_until(lambda: "of 1000 addresses over the rate" in node.log(), timeout=10)
    over = [int(n) for n in re.findall(r"(\d+) of 1000 addresses over the rate", node.log())]
    assert_equal(len(over), 1, "the first 1,000 were within the allowance")
    assert_true(over[0] >= 990, f"only {over[0]} of the second 1,000 dropped")
    r.close()


def test(nodes):
    a, b, c = nodes
    relay(a, b, c)
    rate(a)


if __name__ == "__main__":
    run(test, num_nodes=3, extra_args=[["-connect=0", "-listen=1", "-debug=net"] for _ in range(3)], timeout=60)
