"""Discovery from one seed. Six nodes, each on its own loopback address in
its own /24 and all on the same port, five started with only -seednode of
the first: every node announces where it listens, the seed hands out what
it learns, and the six end up all connected to each other (every node
knows every address) with no address fetch left open. getnetworkinfo's
localaddresses lists the bound address, its score raised by the inbound
peers that reached it. Stopping the seed changes nothing for the others.

-externalip replaces the bound addresses as what a node announces: the
seed learns the external address, not the bound one; a bad -externalip
stops the start with a clear error. A node that asked its seed before
anyone else existed asks again while it cannot fill its outbound slots,
and so finds a node that only ever talked to the seed."""
import os

from framework import (CAIRND, Node, RPCProxy, assert_equal, assert_in, assert_true, free_port, run,
                       run_cairnd, wait_until)

PORT = free_port()


class HostNode(Node):
    """A node listening (P2P and RPC) on its own loopback address."""

    def __init__(self, index, tmpdir, host, extra_args=None, p2p_port=PORT):
        super().__init__(index, tmpdir, extra_args)
        self.host = host
        self.p2p_port = p2p_port

    def args(self, extra_args=None, ports=True):
        return [CAIRND, "-regtest", f"-datadir={self.datadir}",
                "-printtoconsole=0", "-disablewallet", f"-bind={self.host}", f"-rpcbind={self.host}",
                "-rpcallowip=127.0.0.0/8", f"-port={self.p2p_port}", f"-rpcport={self.rpc_port}",
                "-debug=net"] + list(self.extra_args if extra_args is None else extra_args)

    def proxy(self, timeout=None, path="/"):
        user, password = self.credentials()
        return RPCProxy(self.rpc_port, user, password, timeout, host=self.host, path=path)

    @property
    def addr(self):
        return f"{self.host}:{self.p2p_port}"


def peers_of(node):
    return node.getpeerinfo()


def ready_peers(node):
    return [p for p in peers_of(node) if p["connection_type"] != "addr-fetch"]


def neighbours(node):
    """The hosts node is connected to, either way round (outbound peers by
    the address dialled, inbound ones by the address they come from: each
    node's connections leave from its own address)."""
    return {p["addr"].rsplit(":", 1)[0] for p in ready_peers(node)}


def complete(nodes):
    hosts = {n.host for n in nodes}
    return all(neighbours(n) == hosts - {n.host} for n in nodes)


def one_component(nodes):
    by_host = {n.host: n for n in nodes}
    seen, stack = set(), [nodes[0].host]
    while stack:
        h = stack.pop()
        if h in seen:
            continue
        seen.add(h)
        stack += [x for x in neighbours(by_host[h]) if x in by_host]
    return seen == set(by_host)


def mesh(tmp):
    seed = HostNode(100, tmp, "127.20.1.1")
    seed.start()
    nodes = [seed] + [HostNode(100 + i, tmp, f"127.20.{i + 1}.1", [f"-seednode={seed.addr}"]) for i in range(1, 6)]
    for n in nodes[1:]:
        n.start()
    wait_until(lambda: complete(nodes), timeout=60,
               msg="the six did not all connect: " + "; ".join(f"{n.host}: {sorted(neighbours(n))}" for n in nodes))
    for n in nodes:
        assert_true(all(p["connection_type"] in ("inbound", "outbound-full-relay") for p in peers_of(n)),
                    f"{n.host}: {[p['connection_type'] for p in peers_of(n)]}")
        # one connection per pair: no node dials one that dialled it
        assert_equal(len(ready_peers(n)), 5)
    local = seed.getnetworkinfo()["localaddresses"]
    assert_equal([(a["address"], a["port"]) for a in local], [(seed.host, PORT)])
    assert_true(local[0]["score"] > 2, f"the seed's score was not raised by its inbound peers: {local}")
    assert_in("announcing local address 127.20.1.1", seed.log())

    # the seed goes: the other five stay as they were
    seed.stop()
    rest = nodes[1:]
    wait_until(lambda: all(len(ready_peers(n)) == 4 for n in rest), timeout=15)
    assert_true(one_component(rest) and complete(rest), "the mesh changed when the seed went")
    for n in rest:
        n.stop()


def externalip(tmp):
    seed = HostNode(110, tmp, "127.21.1.1")
    seed.start()
    ext = HostNode(111, tmp, "127.21.2.1",
                   ["-bind=127.21.3.1", "-externalip=127.21.3.1", f"-seednode={seed.addr}"])
    ext.start()
    local = ext.getnetworkinfo()["localaddresses"]
    assert_equal([(a["address"], a["port"], a["score"]) for a in local], [("127.21.3.1", PORT, 4)])
    known = lambda: {(a["address"], a["port"]) for a in seed.getnodeaddresses(0)}
    wait_until(lambda: ("127.21.3.1", PORT) in known(), timeout=15, msg=f"the seed knows {known()}")
    assert_true(("127.21.2.1", PORT) not in known(), "the bound address was announced besides -externalip")

    bad = os.path.join(tmp, "bad")
    os.makedirs(bad, exist_ok=True)
    rc, _, err = run_cairnd(["-regtest", f"-datadir={bad}", "-bind=127.21.4.1", "-externalip=somewhere"])
    assert_equal(rc, 1)
    assert_in("invalid -externalip 'somewhere'", err)
    rc, _, err = run_cairnd(["-regtest", f"-datadir={bad}", "-bind=127.21.4.1", "-externalip=224.0.0.1"])
    assert_equal(rc, 1)
    assert_in("not an address peers can dial", err)
    ext.stop()
    seed.stop()


def asks_again(tmp):
    """early asks an empty seed; late talks to the seed only (-connect=0:
    no outbound of its own, nor has the seed). early, unable to fill a
    slot, asks the seed again and dials late."""
    seed = HostNode(120, tmp, "127.22.1.1", ["-connect=0", "-listen=1"])
    seed.start()
    early = HostNode(121, tmp, "127.22.2.1", [f"-seednode={seed.addr}"])
    early.start()
    wait_until(lambda: "addresses fetched" in early.log(), timeout=15)
    late = HostNode(122, tmp, "127.22.3.1", [f"-seednode={seed.addr}", "-connect=0", "-listen=1"])
    late.start()
    wait_until(lambda: any(p["connection_type"] == "outbound-full-relay" and p["addr"] == late.addr
                           for p in early.getpeerinfo()), timeout=40,
               msg=f"early's peers: {[p['addr'] for p in early.getpeerinfo()]}")
    assert_in("again: no known address fills the outbound slots", early.log())
    for n in (late, early, seed):
        n.stop()


def test(nodes):
    # the cluster's one node only lends its directory
    tmp = os.path.dirname(nodes[0].datadir)
    mesh(tmp)
    externalip(tmp)
    asks_again(tmp)


if __name__ == "__main__":
    run(test, num_nodes=1, extra_args=[["-listen=0", "-connect=0"]], timeout=170)
