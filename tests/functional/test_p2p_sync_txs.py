"""Catch-up with transactions: a fresh node syncs 40 blocks holding 1,200
signed transactions from two peers. It holds the blocks as they arrive,
checks their signatures together over every core, then connects them:
it ends on the same tip with the same coins as its peers; and a block at
the tip connects at once, announced by its header."""
import re

from framework import LOOPBACK, assert_equal, assert_true, run, wait_until
from p2p_util import txgen

SPENDS = 1200
BLOCKS = 40


def test(nodes):
    src, copy, fresh = nodes
    pay = txgen("address")[0]
    src.generatetoaddress(101, pay)
    cb = src.getblock(src.getblockhash(1))["tx"][0]
    fan = src.sendrawtransaction(txgen("fanout", cb, 50 * 10**8, SPENDS)[0])
    src.generatetoaddress(1, pay)
    value = round(src.gettxout(fan, 0)["value"] * 10**8)
    spends = txgen("spends", fan, value, SPENDS)
    per = SPENDS // BLOCKS
    txids = []
    for b in range(BLOCKS):
        txids += src.batch([("sendrawtransaction", [t]) for t in spends[b * per:(b + 1) * per]])
        src.generatetoaddress(1, pay)
    tip = src.getbestblockhash()
    copy.addnode(f"{LOOPBACK}:{src.p2p_port}", "add")
    wait_until(lambda: copy.getbestblockhash() == tip, timeout=30)

    fresh.addnode(f"{LOOPBACK}:{src.p2p_port}", "add")
    fresh.addnode(f"{LOOPBACK}:{copy.p2p_port}", "add")
    wait_until(lambda: fresh.getbestblockhash() == tip, timeout=60, msg=f"fresh at {fresh.getblockcount()}")
    checked = [int(n) for n in re.findall(r"checked (\d+) signatures of \d+ held blocks", fresh.log())]
    assert_true(sum(checked) >= SPENDS // 2, f"joint checks: {checked}")
    for t in txids[::97] + [txids[-1]]:
        assert_equal(fresh.gettxout(t, 0), src.gettxout(t, 0))
    assert_equal(fresh.gettxout(fan, 0), None)

    # at the tip a block is not held, and comes announced by its header
    # (sendheaders) or as a compact block (the miner gave the last block,
    # so it pushes in high bandwidth), so no getheaders round trip
    # precedes the getdata
    def counts():
        return {p["addr"]: (p["bytesrecv_per_msg"].get("headers", 0) + p["bytesrecv_per_msg"].get("cmpctblock", 0),
                            p["bytessent_per_msg"].get("getheaders", 0),
                            p["bytesrecv_per_msg"].get("inv", 0)) for p in fresh.getpeerinfo()}
    before = counts()
    tip = src.generatetoaddress(1, pay)[0]
    wait_until(lambda: fresh.getbestblockhash() == tip, timeout=10)
    after = counts()
    from_src = f"{LOOPBACK}:{src.p2p_port}"
    assert_true(after[from_src][0] > before[from_src][0], f"no headers nor compact block from the miner: {before} {after}")
    for addr in after:
        assert_equal(after[addr][1:], before[addr][1:], f"{addr}: a getheaders or an inv for the new block")


if __name__ == "__main__":
    run(test, num_nodes=3,
        extra_args=[["-connect=0", "-listen=1"], ["-connect=0", "-listen=1"], ["-connect=0", "-listen=1", "-debug=net"]],
        timeout=120)
