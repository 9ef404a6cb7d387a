"""A 10-node mesh (rings in two halves joined by a few cross links, every
node with 2-3 connections): a transaction sent to one node reaches every
mempool and a block mined on one reaches every node; then the halves are
cut apart, both mine, and once healed every node is on the most-work chain
with the losing side's transaction back in every mempool."""
import random

from framework import LOOPBACK, assert_equal, assert_true, run, wait_until
from p2p_util import txgen

PARALLEL = False
N = 10
HALF = N // 2


def addr(n):
    return f"{LOOPBACK}:{n.p2p_port}"


def edges():
    e = set()
    for base in (0, HALF):
        for i in range(HALF):
            e.add((base + i, base + (i + 1) % HALF))
    rnd = random.Random(7)
    while len(e) < 2 * HALF + 3:
        i, j = rnd.randrange(HALF), HALF + rnd.randrange(HALF)
        e.add((i, j) if rnd.random() < 0.5 else (j, i))
    return sorted(e)


def cross(e):
    return (e[0] < HALF) != (e[1] < HALF)


def wait_tip(nodes, h, timeout=30):
    wait_until(lambda: all(n.getbestblockhash() == h for n in nodes), timeout=timeout,
               msg=f"tips: {[n.getblockcount() for n in nodes]}")


def test(nodes):
    es = edges()
    for i, j in es:
        nodes[i].addnode(addr(nodes[j]), "add")
    degree = [sum(1 for e in es if k in e) for k in range(N)]
    wait_until(lambda: all(n.getconnectioncount() == degree[k] for k, n in enumerate(nodes)), timeout=30)

    pay = txgen("address")[0]
    tip = nodes[0].generatetoaddress(101, pay)[-1]
    wait_tip(nodes, tip)

    # a transaction sent to one node reaches every mempool
    cb = nodes[0].getblock(nodes[0].getblockhash(1))["tx"][0]
    fan = nodes[3].sendrawtransaction(txgen("fanout", cb, 50 * 10**8, 4)[0])
    wait_until(lambda: all(fan in n.getrawmempool() for n in nodes), timeout=30)

    # a block mined on one reaches every node, and empties every mempool
    tip = nodes[7].generatetoaddress(1, nodes[7].address())[0]
    wait_tip(nodes, tip)
    wait_until(lambda: all(n.getrawmempool() == [] for n in nodes), timeout=10)

    # cut the cross links
    for i, j in es:
        if cross((i, j)):
            nodes[i].addnode(addr(nodes[j]), "remove")
            nodes[i].disconnectnode(addr(nodes[j]))
    inner = [sum(1 for e in es if k in e and not cross(e)) for k in range(N)]
    wait_until(lambda: all(n.getconnectioncount() == inner[k] for k, n in enumerate(nodes)), timeout=20)

    value = round(nodes[0].gettxout(fan, 0)["value"] * 10**8)
    spends = txgen("spends", fan, value, 2)
    a_tx = nodes[1].sendrawtransaction(spends[0])
    b_tx = nodes[6].sendrawtransaction(spends[1])
    a_nodes, b_nodes = nodes[:HALF], nodes[HALF:]
    wait_until(lambda: all(a_tx in n.getrawmempool() for n in a_nodes), timeout=20)
    wait_until(lambda: all(b_tx in n.getrawmempool() for n in b_nodes), timeout=20)
    a_tip = nodes[0].generatetoaddress(2, nodes[0].address())[-1]
    b_tip = nodes[5].generatetoaddress(3, nodes[5].address())[-1]
    wait_tip(a_nodes, a_tip)
    wait_tip(b_nodes, b_tip)
    for n in a_nodes:
        assert_equal(n.getblockcount(), 104)
        assert a_tx not in n.getrawmempool()

    # heal: everyone on B's longer chain, A's transaction back in every pool
    for i, j in es:
        if cross((i, j)):
            nodes[i].addnode(addr(nodes[j]), "add")
    wait_tip(nodes, b_tip, timeout=40)
    wait_until(lambda: all(a_tx in n.getrawmempool() for n in nodes), timeout=30,
               msg=f"mempools: {[n.getrawmempool() for n in nodes]}")
    for n in nodes:
        assert_equal(n.getblockcount(), 105)
        assert_true(b_tx not in n.getrawmempool(), "B's transaction is confirmed")

if __name__ == "__main__":
    run(test, num_nodes=N, extra_args=[["-connect=0", "-listen=1"] for _ in range(N)], timeout=120)
