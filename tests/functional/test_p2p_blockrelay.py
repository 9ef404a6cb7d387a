"""Block-relay-only peers, the extra block-relay-only peer and feelers
(Bitcoin Core's, p2p/slots.c), and a partition they heal.

Nodes on their own /24s, found from one seed, with fewer slots than
Core's 8 + 2 (-fullrelayslots, -blockrelayslots: a mesh of a few nodes
cannot fill 10 slots in distinct groups) and short timers
(-blockrelayinterval, -feelerinterval).

slots: eight nodes with one full-relay and one block-relay-only slot each
fill both. On a block-relay-only link both ends say relaytxes false, and
no transaction, addr or getaddr crosses it either way, while blocks do.
Extra block-relay-only peers come and go (no new block from them), and
feelers test new-table addresses and hang up.

partition: twelve nodes with one full-relay slot each, cut into two
halves of six by setban on every node of the other half's addresses. Both
halves mine (the second more), the first with a transaction mined in its
blocks, one left in its mempools, and one that the second half's chain
spends differently. Each half refills its slots on its own side, so no
slot is free when the bans are cleared: an extra block-relay-only peer
across the cut brings the heavier chain, and every node ends on it. The
first half's transactions are back in its mempools (but the conflicting
one), and its next block takes them."""
import os

from framework import assert_equal, assert_true, run, wait_until
from p2p_util import txgen
from test_p2p_discovery import HostNode

from framework import free_port

PORT = free_port()


def mesh(tmp, first, n, net, args):
    seed = HostNode(first, tmp, f"127.{net}.1.1", args, p2p_port=PORT)
    seed.start()
    nodes = [seed] + [HostNode(first + i, tmp, f"127.{net}.{i + 1}.1", args + [f"-seednode={seed.addr}"],
                               p2p_port=PORT) for i in range(1, n)]
    for nd in nodes[1:]:
        nd.start()
    return nodes


def wait_for(pred, timeout, what):
    """wait_until, whose failure tells the state at the end (what())."""
    try:
        wait_until(pred, timeout=timeout)
    except AssertionError:
        raise AssertionError(what()) from None


def types(nodes):
    return "; ".join(f"{nd.host}: {[p['connection_type'] for p in nd.getpeerinfo()]}" for nd in nodes)


def of_type(node, kind):
    return [p for p in node.getpeerinfo() if p["connection_type"] == kind and p["handshake_complete"]]


def host(p):
    return p["addr"].rsplit(":", 1)[0]


def slots(tmp):
    nodes = mesh(tmp, 200, 8, 40, ["-fullrelayslots=1", "-blockrelayslots=1", "-blockrelayinterval=1000",
                                   "-feelerinterval=500"])
    by_host = {nd.host: nd for nd in nodes}
    # a node every other node already dialled has nobody left for its
    # block-relay-only slot (each pair connects once)
    def filled(nd):
        peers = nd.getpeerinfo()
        full = len(of_type(nd, "outbound-full-relay")) == 1
        return full and (len(of_type(nd, "block-relay-only")) >= 1 or len({host(p) for p in peers}) == len(nodes) - 1)
    wait_for(lambda: all(filled(nd) for nd in nodes), 60, lambda: "slots not filled: " + types(nodes))
    pay = txgen("address")[0]
    nodes[0].generatetoaddress(101, pay)
    wait_until(lambda: all(nd.getblockcount() == 101 for nd in nodes), timeout=30)
    cb = nodes[0].getblock(nodes[0].getblockhash(1))["tx"][0]
    txid = nodes[3].sendrawtransaction(txgen("fanout", cb, 50 * 10**8, 2)[0])
    wait_until(lambda: sum(txid in nd.getrawmempool() for nd in nodes) >= 2, timeout=15)
    checked = 0
    for nd in nodes:
        for p in of_type(nd, "block-relay-only"):
            other = by_host.get(host(p))
            if other is None:
                continue
            back = [q for q in other.getpeerinfo() if host(q) == nd.host and q["connection_type"] == "inbound"]
            if not back:
                continue  # an extra peer on its way out
            for side in (p, back[0]):
                assert_equal(side["relaytxes"], False)
                for m in ("tx", "addr", "getaddr"):
                    assert_true(m not in side["bytessent_per_msg"] and m not in side["bytesrecv_per_msg"],
                                f"{m} on a block-relay-only link {nd.host} -> {other.host}: {side}")
            checked += 1
        for p in of_type(nd, "outbound-full-relay"):
            assert_equal(p["relaytxes"], True)
    assert_true(checked >= 4, f"only {checked} block-relay-only links seen at both ends")
    logs = lambda: "".join(nd.log() for nd in nodes)  # noqa: E731
    wait_until(lambda: "opening an extra block-relay-only connection" in logs()
               and "disconnecting extra block-relay-only peer" in logs(), timeout=30,
               msg="no extra block-relay-only peer came and went")
    wait_until(lambda: "feeler connection to" in logs(), timeout=30, msg="no feeler")
    for nd in nodes:
        nd.stop()


def partition(tmp):
    nodes = mesh(tmp, 300, 12, 41, ["-fullrelayslots=1", "-blockrelayslots=0", "-blockrelayinterval=2000"])
    a, b = nodes[:6], nodes[6:]
    pay = txgen("address")[0]
    nodes[0].generatetoaddress(103, pay)
    wait_until(lambda: all(nd.getblockcount() == 103 for nd in nodes), timeout=30)
    cbs = [nodes[0].getblock(nodes[0].getblockhash(h))["tx"][0] for h in (1, 2, 3)]
    # each node knows some address across the cut, or nothing could heal it
    wait_until(lambda: all({x["address"] for x in nd.getnodeaddresses(0)} & {m.host for m in (b if nd in a else a)}
                           for nd in nodes), timeout=30, msg="addresses across the cut unknown")

    for side, other in ((a, b), (b, a)):
        for nd in side:
            for m in other:
                nd.setban(m.host, "add")
    crossing = lambda: [(nd.host, host(p)) for nd in nodes for p in nd.getpeerinfo()  # noqa: E731
                        if host(p) in {m.host for m in (b if nd in a else a)}]
    wait_for(lambda: not crossing(), 10, lambda: f"still across the cut: {crossing()}")

    # every slot is refilled on each side: refilling alone cannot heal the cut
    # (an address attempted in the last minute is not picked again: the
    # extra peers tried most of each half's addresses, hence the wait)
    # A node connected to every address of its half it knows (every other
    # node dialled it, or it never heard of the rest) has nothing to
    # dial: it counts as full (it may then heal by refilling).
    def full(nd):
        side = {m.host for m in (a if nd in a else b) if m is not nd}
        known = {x["address"] for x in nd.getnodeaddresses(0)}
        return len(of_type(nd, "outbound-full-relay")) == 1 or \
            {host(p) for p in nd.getpeerinfo()} >= side & known
    wait_for(lambda: all(full(nd) for nd in nodes), 120, lambda: "slots not full: " + types(nodes))
    mined = a[0].sendrawtransaction(txgen("fanout", cbs[0], 50 * 10**8, 2)[0])
    loser = a[0].sendrawtransaction(txgen("fanout", cbs[2], 50 * 10**8, 2)[0])
    a[0].generatetoaddress(2, pay)
    pooled = a[0].sendrawtransaction(txgen("fanout", cbs[1], 50 * 10**8, 2)[0])
    b[0].sendrawtransaction(txgen("fanout", cbs[2], 50 * 10**8, 3)[0])  # spends loser's coin otherwise
    b[0].generatetoaddress(4, pay)
    a_tip, b_tip = a[0].getbestblockhash(), b[0].getbestblockhash()
    wait_until(lambda: all(nd.getbestblockhash() == a_tip for nd in a) and
               all(nd.getbestblockhash() == b_tip for nd in b), timeout=30, msg="a half did not agree on its tip")
    wait_until(lambda: all(pooled in nd.getrawmempool() for nd in a), timeout=15,
               msg="a transaction did not reach the whole first half")
    # full again at the heal (a slot may be between peers for a moment)
    wait_for(lambda: all(full(nd) for nd in nodes), 30, lambda: "slots not full at the heal: " + types(nodes))
    assert_equal(crossing(), [])

    for nd in nodes:
        nd.clearbanned()
    wait_for(lambda: all(nd.getbestblockhash() == b_tip for nd in nodes), 60,
             lambda: "not every node on the heavier chain: " + ", ".join(str(nd.getblockcount()) for nd in nodes))
    assert_true(any("opening an extra block-relay-only connection" in nd.log() for nd in nodes))
    # the first half's transactions are back in its mempools, but the one
    # whose coin the heavier chain spent
    wait_for(lambda: all({mined, pooled} <= set(nd.getrawmempool()) for nd in a), 15,
             lambda: "the first half's transactions are not back: " + str([nd.getrawmempool() for nd in a]))
    for nd in nodes:
        assert_true(loser not in nd.getrawmempool(), "a conflicting transaction came back")
    tip = a[3].generatetoaddress(1, pay)[0]
    assert_true({mined, pooled} <= set(a[3].getblock(tip)["tx"]))
    wait_until(lambda: all(nd.getbestblockhash() == tip for nd in nodes), timeout=30)
    for nd in nodes:
        nd.stop()


def test(nodes):
    tmp = os.path.dirname(nodes[0].datadir)
    slots(tmp)
    partition(tmp)


if __name__ == "__main__":
    run(test, num_nodes=1, extra_args=[["-listen=0", "-connect=0"]], timeout=240)
