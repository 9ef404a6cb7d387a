"""A newcomer downloads from many peers while it serves another newcomer.

Five serving nodes, each on its own /24, hold a chain of 1,000 blocks
mined on one of them and relayed through a hub, which they all dial
(-connect) and which dials no one: the newcomer A has only the peers it
opens itself. It starts with -seednode of the hub, learns the five
servers' addresses from it and, far behind the best header once its
first peer has answered, fills every free outbound slot at once rather
than one a second (the 1,000 blocks come within a tick). It must
download blocks from all five (bytesrecv_per_msg["block"] of each in
getpeerinfo).

A second newcomer B connects to A alone while A is still syncing. A does
not announce its tip while catching up, but it tells a peer that lacks
the tip's header of its progress every 16 blocks; so B fetches from A the
blocks A already has, and A's getpeerinfo shows block bytes sent to B
while A is still behind the chain. B ends on the same tip."""
import os

from framework import assert_equal, assert_true, run, wait_until
from test_p2p_discovery import HostNode

BLOCKS = 1000


def block_bytes(node, key):
    return {p["addr"].rsplit(":", 1)[0]: p[key].get("block", 0) for p in node.getpeerinfo()}


def test(nodes):
    tmp = os.path.dirname(nodes[0].datadir)
    hub = HostNode(200, tmp, "127.23.1.1", ["-connect=0", "-listen=1"])
    hub.start()
    servers = [HostNode(200 + i, tmp, f"127.23.{i + 1}.1", [f"-connect={hub.addr}", "-listen=1"])
               for i in range(1, 6)]
    for s in servers:
        s.start()
    wait_until(lambda: len(hub.getpeerinfo()) == 5, timeout=30, msg=f"hub peers {hub.getpeerinfo()}")
    miner = servers[0]
    for _ in range(BLOCKS // 250):
        miner.generatetoaddress(250, miner.address())
    tip = miner.getbestblockhash()
    wait_until(lambda: all(s.getbestblockhash() == tip for s in servers + [hub]), timeout=60,
               msg=f"servers at {[s.getblockcount() for s in servers]}")
    wait_until(lambda: len(hub.getnodeaddresses(0)) >= 5, timeout=30,
               msg=f"the hub knows {hub.getnodeaddresses(0)}")

    # B first, connected to no one: it is pointed at A as soon as A answers
    b = HostNode(210, tmp, "127.23.20.1", ["-connect=0", "-listen=1"])
    b.start()
    a = HostNode(209, tmp, "127.23.10.1", [f"-seednode={hub.addr}"])
    a.start()
    b.addnode(a.addr, "onetry")

    served_behind = 0
    height_when_b_came = None
    while True:
        height = a.getblockcount()
        to_b = block_bytes(a, "bytessent_per_msg").get(b.host)
        if to_b is not None and height_when_b_came is None:
            height_when_b_came = height
        if to_b and height < BLOCKS:
            served_behind = max(served_behind, to_b)
        if a.getbestblockhash() == tip:
            break
        wait_until(lambda: True, timeout=0.05)
    assert_true(height_when_b_came is not None and height_when_b_came < BLOCKS,
                f"B connected only after A had synced (A at {height_when_b_came})")

    got = block_bytes(a, "bytesrecv_per_msg")
    from_servers = {s.host: got.get(s.host, 0) for s in servers}
    assert_true(all(v > 0 for v in from_servers.values()), f"A's block bytes per server: {from_servers}")
    outbound = [p for p in a.getpeerinfo() if p["connection_type"] == "outbound-full-relay"]
    assert_equal(len(outbound), 5)
    assert_true(served_behind > 0, "A sent B no block before it had synced itself")

    wait_until(lambda: b.getbestblockhash() == tip, timeout=60, msg=f"B at {b.getblockcount()}")
    assert_equal(list(block_bytes(b, "bytesrecv_per_msg")), [a.host])
    for n in [a, b, hub] + servers:
        n.stop()


if __name__ == "__main__":
    run(test, num_nodes=1, extra_args=[["-listen=0", "-connect=0"]], timeout=170)
