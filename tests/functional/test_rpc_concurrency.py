#!/usr/bin/env python3
"""Several clients submitting transactions at once: their signature checks
run on the RPC workers while the loop keeps serving; every valid
transaction is accepted, every invalid one refused with its reason, and
the node keeps answering other calls meanwhile."""
import threading

from framework import assert_equal, assert_in, assert_true, run


def signed_spends(node, n):
    """n signed one-input transactions spending the wallet's coins."""
    addrs = [node.getnewaddress() for _ in range(n)]
    node.sendmany("", {a: 1 for a in addrs})
    node.generatetoaddress(1, node.address("outside"))
    coins = [c for c in node.listunspent() if c["address"] in addrs]
    assert_equal(len(coins), n)
    out = []
    for c in coins:
        raw = node.createrawtransaction([{"txid": c["txid"], "vout": c["vout"]}], {node.address("outside"): 0.999})
        s = node.signrawtransactionwithwallet(raw)
        assert_true(s["complete"])
        out.append(s["hex"])
    return out


def corrupt(hexstr):
    """Flips a bit in the last input's signature (the 64 bytes before the
    output count of a one-input transaction sit at a fixed offset)."""
    raw = bytearray.fromhex(hexstr)
    off = 4 + 1 + 32 + 4 + 32 + 10
    raw[off] ^= 1
    return raw.hex()


def test(nodes):
    node = nodes[0]
    node.restart(["-debug=rpc"])
    node.generatetoaddress(101, node.getnewaddress())
    txs = signed_spends(node, 60)
    bad = [corrupt(h) for h in txs[:4]]
    good = txs[4:]
    results, errors = [], []
    lock = threading.Lock()

    def client(chunk, proxy):
        for h in chunk:
            try:
                r = proxy.call("sendrawtransaction", h)
                with lock:
                    results.append(r)
            except Exception as e:  # RPCError carries the code
                with lock:
                    errors.append(str(e))

    work = good + bad
    threads = [threading.Thread(target=client, args=(work[i::4], node.proxy())) for i in range(4)]
    for t in threads:
        t.start()
    # The loop still answers while submissions are being checked.
    for _ in range(20):
        node.getblockcount()
    for t in threads:
        t.join()
    assert_equal(len(results), len(good))
    assert_equal(len(errors), len(bad))
    for e in errors:
        assert_in("bad-txns-sig", e)
    pool = set(node.getrawmempool())
    assert_equal(pool, set(results))
    # Concurrent clients did get their checks done by the workers.
    assert_in("rpc call handed to a worker", node.log())
    node.generatetoaddress(1, node.address("outside"))
    assert_equal(node.getrawmempool(), [])


if __name__ == "__main__":
    run(test)
