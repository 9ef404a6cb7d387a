"""Inbound eviction: with -maxconnections=14 a node keeps 3 inbound slots (14 less 8 full-relay, 2 block-relay-only and 1 feeler slot).
When they are full a newcomer takes the place of the least useful inbound
peer: never one that brought a new block or transaction in the last
minute, and among the rest the slowest by minimum ping, a peer that never
answered a ping counting as slowest. When every inbound peer was useful,
the newcomer is refused and nobody is dropped."""
from framework import LOOPBACK, assert_equal, assert_true, run, wait_until
from p2p_util import RawPeer, txgen


def sources(node):
    """The source IPs of the inbound peers (nodes connect from 127.0.0.1)."""
    return sorted(p["addr"].split(":")[0] for p in node.getpeerinfo() if p["inbound"])


def raw(node, ip):
    r = RawPeer(node.p2p_port, ip)
    r.handshake()
    wait_until(lambda: ip in sources(node), timeout=10, msg=f"{ip} never showed up")
    return r


def test(nodes):
    a, b, c = nodes
    pay = txgen("address")[0]
    a.generatetoaddress(102, pay)
    cbs = [a.getblock(a.getblockhash(h))["tx"][0] for h in (1, 2)]
    txs = [txgen("fanout", cb, 50 * 10**8, 2)[0] for cb in cbs]

    # b: inbound, answers pings, brings nothing; c: inbound, brings a block
    b.addnode(f"{LOOPBACK}:{a.p2p_port}", "onetry")
    c.addnode(f"{LOOPBACK}:{a.p2p_port}", "onetry")
    wait_until(lambda: b.getblockcount() == 102 and c.getblockcount() == 102, timeout=15)
    wait_until(lambda: all("minping" in p for p in a.getpeerinfo()), timeout=10)
    tip = c.generatetoaddress(1, c.address())[0]
    wait_until(lambda: a.getbestblockhash() == tip, timeout=10)

    # r1 fills the last slot and never answers a ping
    r1 = raw(a, "127.0.0.2")
    assert_equal(len(a.getpeerinfo()), 3)

    # r2 arrives: r1 (no ping measured) goes, b (measured) and c (useful) stay
    r2 = raw(a, "127.0.0.3")
    assert_true(r1.closed(), "r1 was not evicted")
    assert_equal(sources(a), ["127.0.0.1", "127.0.0.1", "127.0.0.3"])

    # r2 brings a new transaction; r3 arrives: b, the only idle one, goes
    r2.msg("tx", bytes.fromhex(txs[0]))
    wait_until(lambda: len(a.getrawmempool()) == 1, timeout=10)
    r3 = raw(a, "127.0.0.4")
    wait_until(lambda: b.getconnectioncount() == 0, timeout=10, msg="b was not evicted")
    assert_equal(c.getconnectioncount(), 1)
    assert_equal(sources(a), ["127.0.0.1", "127.0.0.3", "127.0.0.4"])

    # r3 brings a transaction too: every inbound peer is useful, r4 is refused
    r3.msg("tx", bytes.fromhex(txs[1]))
    wait_until(lambda: len(a.getrawmempool()) == 2, timeout=10)
    r4 = RawPeer(a.p2p_port, "127.0.0.5")
    assert_true(r4.closed(), "r4 was let in while every inbound peer was useful")
    assert_equal(sources(a), ["127.0.0.1", "127.0.0.3", "127.0.0.4"])
    assert_equal(c.getconnectioncount(), 1)
    for r in (r2, r3, r4):
        r.close()


if __name__ == "__main__":
    run(test, num_nodes=3,
        extra_args=[["-connect=0", "-listen=1", "-maxconnections=14"], ["-connect=0", "-listen=1"],
                    ["-connect=0", "-listen=1"]], timeout=90)
