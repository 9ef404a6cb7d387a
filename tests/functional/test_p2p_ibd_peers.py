"""A newcomer downloads from many peers while it serves another newcomer.

Five serving nodes, each on its own /24, hold a chain of 4,000 blocks
mined on one of them and relayed through a hub, which they all dial
(-connect) and which dials no one: the newcomer A has only the peers it
opens itself. It starts with -seednode of the hub, learns the five
servers' addresses from it and, far behind the best header once its
first peer has answered, fills every free outbound slot at once rather
than one a second (the blocks come within a tick). It must
download blocks from all five (bytesrecv_per_msg["block"] of each in
getpeerinfo).

A second newcomer B opens no connection of its own (-connect=0) and is
A's added node, so their link is up before A's download starts (the
4,000 blocks come within a fraction of a second). A does not announce
its tip while catching up, but it tells a peer that lacks the tip's
header of its progress every 16 blocks; so B fetches from A the blocks A
already has. The -debug=bench tip marks of both, on the machine's one
monotonic clock, show B holding blocks before A had reached the tip; B
ends on the same tip, every block from A."""
import os
import re

from framework import assert_equal, assert_true, run, wait_until
from test_p2p_discovery import HostNode

BLOCKS = 4000
MARK = re.compile(r"mesh: tip ([0-9a-f]{64}) height (\d+) at (\d+) us")


def block_bytes(node, key):
    return {p["addr"].rsplit(":", 1)[0]: p[key].get("block", 0) for p in node.getpeerinfo()}


def tips(node):
    """(height, monotonic us) of every tip the node marked, and when it
    marked each hash."""
    rows, at = [], {}
    for m in MARK.finditer(node.log()):
        rows.append((int(m.group(2)), int(m.group(3))))
        at.setdefault(m.group(1), int(m.group(3)))
    return rows, at


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

    b = HostNode(210, tmp, "127.23.20.1", ["-connect=0", "-listen=1", "-debug=bench"])
    b.start()
    a = HostNode(209, tmp, "127.23.10.1", [f"-seednode={hub.addr}", f"-addnode={b.addr}", "-debug=bench"])
    a.start()
    wait_until(lambda: a.getbestblockhash() == tip and b.getbestblockhash() == tip, timeout=60,
               msg=f"A at {a.getblockcount()}, B at {b.getblockcount()}")

    got = block_bytes(a, "bytesrecv_per_msg")
    from_servers = {s.host: got.get(s.host, 0) for s in servers}
    assert_true(all(v > 0 for v in from_servers.values()), f"A's block bytes per server: {from_servers}")
    outbound = [p for p in a.getpeerinfo() if p["connection_type"] == "outbound-full-relay"]
    assert_equal(len(outbound), 5)

    a_rows, a_at = tips(a)
    b_rows, b_at = tips(b)
    assert_true(tip in a_at and tip in b_at, "no tip mark")
    before = max((h for h, t in b_rows if t <= a_at[tip]), default=0)
    assert_true(before > 0, f"B had no block from A before A had synced (A's tip marks {a_rows[:3]}..., "
                            f"B's {b_rows[:3]}...)")
    b_got = {k: v for k, v in block_bytes(b, "bytesrecv_per_msg").items() if v}
    assert_equal(list(b_got), [a.host])
    assert_true(block_bytes(a, "bytessent_per_msg")[b.host] > 0)
    for n in [a, b, hub] + servers:
        n.stop()


if __name__ == "__main__":
    run(test, num_nodes=1, extra_args=[["-listen=0", "-connect=0"]], timeout=170)
