#!/usr/bin/env python3
"""An accepted transaction is never lost: the mempool survives a clean
restart (mempool.dat) and a kill -9 (the journal), and a chain of
unconfirmed transactions comes back whole."""
from framework import assert_equal, assert_in, run


def test(nodes):
    node = nodes[0]
    me = node.getnewaddress()
    node.generatetoaddress(105, me)
    first = [node.sendtoaddress(node.address("out"), 1) for _ in range(3)]
    node.restart()
    assert_equal(sorted(node.getrawmempool()), sorted(first))

    later = [node.sendtoaddress(node.address("out"), 2) for _ in range(4)]
    node.kill9()
    node.start()
    pool = node.getrawmempool()
    for txid in first + later:
        assert_in(txid, pool)
    assert_equal(len(pool), 7)
    assert_in("mempool journal replayed", node.log())

    # Once mined they leave the pool, and a restart brings nothing back.
    node.generatetoaddress(1, me)
    assert_equal(node.getrawmempool(), [])
    node.kill9()
    node.start()
    assert_equal(node.getrawmempool(), [])


if __name__ == "__main__":
    run(test)
