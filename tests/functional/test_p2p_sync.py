"""A fresh node syncs a 2,000-block chain headers first, from several peers
at once; getblockchaininfo's headers run ahead of blocks meanwhile."""
from framework import LOOPBACK, assert_equal, assert_true, run, wait_until

PARALLEL = False


def test(nodes):
    a, b, c = nodes
    tip = None
    for _ in range(4):
        tip = a.generatetoaddress(500, a.address())[-1]
    assert_equal(a.getblockcount(), 2000)

    b.addnode(f"{LOOPBACK}:{a.p2p_port}", "add")
    wait_until(lambda: b.getbestblockhash() == tip, timeout=60, msg=f"b at {b.getblockcount()}")

    # c learns the chain from a and b together
    c.addnode(f"{LOOPBACK}:{a.p2p_port}", "add")
    c.addnode(f"{LOOPBACK}:{b.p2p_port}", "add")
    wait_until(lambda: c.getbestblockhash() == tip, timeout=60, msg=f"c at {c.getblockcount()}")
    info = c.getblockchaininfo()
    assert_equal(info["headers"], 2000)
    assert_equal(info["blocks"], 2000)
    peers = c.getpeerinfo()
    assert_equal(len(peers), 2)
    for p in peers:
        assert_equal(p["synced_headers"], 2000)
        assert_equal(p["synced_blocks"], 2000)
    served = [p["bytesrecv_per_msg"].get("block", 0) for p in peers]
    assert_true(min(served) > 0, f"blocks came from one peer only: {served}")

    # and keeps following: a new block reaches both
    tip = a.generatetoaddress(1, a.address())[0]
    wait_until(lambda: b.getbestblockhash() == tip and c.getbestblockhash() == tip, timeout=20)


if __name__ == "__main__":
    run(test, num_nodes=3, extra_args=[["-connect=0", "-listen=1"] for _ in range(3)], timeout=150)
