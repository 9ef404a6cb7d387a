"""Address exchange: a node started with only -seednode learns addresses
from the seed, leaves it, and opens outbound connections chosen by its
address manager; -listen=0 accepts nobody; peers.dat survives a restart."""
import socket

from framework import LOOPBACK, assert_equal, assert_true, run, wait_until


def test(nodes):
    seed, b, c, d = nodes
    b.addnode(f"{LOOPBACK}:{seed.p2p_port}", "add")
    wait_until(lambda: any(a["port"] == b.p2p_port for a in seed.getnodeaddresses(0)), timeout=15)

    c.restart([f"-seednode={LOOPBACK}:{seed.p2p_port}"])
    # c asks the seed, hangs up, and connects to b on its own
    wait_until(lambda: any(p["connection_type"] == "outbound-full-relay" and p["addr"] == f"{LOOPBACK}:{b.p2p_port}"
                           for p in c.getpeerinfo()), timeout=30, msg=f"c's peers: {c.getpeerinfo()}")
    wait_until(lambda: all(p["connection_type"] != "addr-fetch" for p in c.getpeerinfo()), timeout=15)
    h = b.generatetoaddress(1, b.address())[0]
    wait_until(lambda: c.getbestblockhash() == h, timeout=15)

    # -listen=0: no listening socket
    d.restart(["-listen=0", "-connect=0"])
    with socket.socket() as s:
        assert_true(s.connect_ex((LOOPBACK, d.p2p_port)) != 0, "-listen=0 accepted a connection")
    assert_equal(d.getnetworkinfo()["connections"], 0)

    # the address manager survives a restart
    known = {a["port"] for a in c.getnodeaddresses(0)}
    assert_true(b.p2p_port in known)
    c.restart([])
    assert_true(b.p2p_port in {a["port"] for a in c.getnodeaddresses(0)})


if __name__ == "__main__":
    run(test, num_nodes=4, extra_args=[["-connect=0", "-listen=1"], ["-connect=0", "-listen=1"], [], []], timeout=90)
