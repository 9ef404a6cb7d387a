"""Two nodes: handshake through addnode, a mined block reaches the other
node, the network RPC shows the peers, and a node that disables its network
drops them and reconnects once enabled."""
from framework import run, assert_equal, assert_true, assert_in, assert_raises_rpc, wait_until, LOOPBACK


def connect(a, b):
    a.addnode(f"{LOOPBACK}:{b.p2p_port}", "add")
    wait_until(lambda: any(p["handshake_complete"] for p in a.getpeerinfo())
               and any(p["handshake_complete"] for p in b.getpeerinfo()), timeout=15)


def test(nodes):
    a, b = nodes
    connect(a, b)
    pa = a.getpeerinfo()[0]
    assert_equal(pa["addr"], f"{LOOPBACK}:{b.p2p_port}")
    assert_equal(pa["inbound"], False)
    assert_equal(pa["connection_type"], "manual")
    assert_equal(pa["subver"], "/cairn:0.1.0/")
    assert_equal(pa["version"], 70001)
    pb = b.getpeerinfo()[0]
    assert_equal(pb["inbound"], True)
    assert_equal(pb["connection_type"], "inbound")
    wait_until(lambda: "pingtime" in a.getpeerinfo()[0], timeout=10)
    assert_equal(a.getconnectioncount(), 1)
    info = a.getnetworkinfo()
    assert_equal(info["connections_out"], 1)
    assert_equal(info["protocolversion"], 70001)
    assert_equal(info["networkactive"], True)
    assert_true(a.getnettotals()["totalbytessent"] > 0)

    # a block mined on one reaches the other, both ways
    h = a.generatetoaddress(1, a.address())[0]
    wait_until(lambda: b.getbestblockhash() == h, timeout=15)
    h = b.generatetoaddress(3, b.address())[-1]
    wait_until(lambda: a.getbestblockhash() == h, timeout=15)
    assert_equal(a.getpeerinfo()[0]["synced_headers"], 4)

    # addnode errors as Bitcoin Core's
    assert_raises_rpc(-23, a.addnode, f"{LOOPBACK}:{b.p2p_port}", "add")
    assert_raises_rpc(-24, a.addnode, f"{LOOPBACK}:1", "remove")
    assert_raises_rpc(-8, a.addnode, "x", "bogus")
    added = a.getaddednodeinfo()
    assert_equal(added[0]["connected"], True)
    assert_raises_rpc(-29, a.disconnectnode, "127.0.0.1:1")
    assert_raises_rpc(-32602, a.disconnectnode)

    # network off: no peers; on: the added node is connected again
    assert_equal(a.setnetworkactive(False), False)
    wait_until(lambda: a.getconnectioncount() == 0 and b.getconnectioncount() == 0, timeout=10)
    assert_equal(a.setnetworkactive(True), True)
    wait_until(lambda: a.getconnectioncount() == 1, timeout=15)
    h = a.generatetoaddress(1, a.address())[0]
    wait_until(lambda: b.getbestblockhash() == h, timeout=15)

    # disconnectnode by id; the added node comes back on its own
    pid = b.getpeerinfo()[0]["id"]
    b.disconnectnode("", pid)
    wait_until(lambda: b.getconnectioncount() == 0 or b.getpeerinfo()[0]["id"] != pid, timeout=10)
    wait_until(lambda: a.getconnectioncount() == 1 and a.getpeerinfo()[0]["handshake_complete"], timeout=20)

    # the node addresses: b learned where a listens
    wait_until(lambda: any(x["port"] == a.p2p_port for x in b.getnodeaddresses(0)), timeout=10)
    assert_raises_rpc(-8, b.getnodeaddresses, -1)


if __name__ == "__main__":
    run(test, num_nodes=2, extra_args=[["-connect=0", "-listen=1"], ["-connect=0", "-listen=1"]], timeout=90)
