"""Two nodes' wallets transacting over the mesh: A pays an address of B's
wallet; B sees the payment unconfirmed once the transaction is relayed,
and confirmed once A's block arrives; B pays part back, and both sides'
balances and transaction lists agree to the unit (fees included)."""
from decimal import Decimal

from framework import LOOPBACK, assert_equal, assert_true, run, wait_until


def D(x):
    return Decimal(str(x))


def mine(node):
    return node.getbalances()["mine"]


def test(nodes):
    a, b = nodes
    a.addnode(f"{LOOPBACK}:{b.p2p_port}", "add")
    wait_until(lambda: a.getconnectioncount() == 1 and b.getconnectioncount() == 1, timeout=15)

    a_addr = a.getnewaddress()
    tip = a.generatetoaddress(101, a_addr)[-1]
    wait_until(lambda: b.getbestblockhash() == tip, timeout=15)
    assert_equal(D(a.getbalance()), D(100))  # the coinbases of heights 1 and 2 are mature
    assert_equal(D(b.getbalance()), D(0))

    # A pays B: relayed, B sees it pending
    b_addr = b.getnewaddress()
    txid = a.sendtoaddress(b_addr, 12.5)
    fee = -D(a.gettransaction(txid)["fee"])
    assert_true(Decimal(0) < fee < Decimal("0.001"), f"fee {fee}")
    wait_until(lambda: txid in b.getrawmempool(), timeout=15, msg="the payment never reached B")
    wait_until(lambda: D(mine(b)["untrusted_pending"]) == D("12.5"), timeout=10,
               msg=f"B's balances: {mine(b)}")
    assert_equal(D(b.getbalance()), D(0))
    got = b.gettransaction(txid)
    assert_equal((D(got["amount"]), got["confirmations"]), (D("12.5"), 0))
    assert_equal(D(a.getbalance()), D(100) - D("12.5") - fee)  # A's change counts at once

    # A mines: B's payment confirms through the block from A
    tip = a.generatetoaddress(1, a_addr)[0]
    wait_until(lambda: b.getbestblockhash() == tip, timeout=15)
    wait_until(lambda: b.gettransaction(txid)["confirmations"] == 1, timeout=10)
    assert_equal(D(mine(b)["untrusted_pending"]), D(0))
    assert_equal(D(b.getbalance()), D("12.5"))
    assert_equal(D(a.getbalance()), D(150) - D("12.5") - fee)  # and one more coinbase matured
    receives = [t for t in b.listtransactions("*", 100) if t["category"] == "receive"]
    assert_equal([(t["txid"], D(t["amount"]), t["address"]) for t in receives], [(txid, D("12.5"), b_addr)])

    # B pays part back over the mesh; B mines it
    back = b.sendtoaddress(a.getnewaddress(), 2)
    back_fee = -D(b.gettransaction(back)["fee"])
    wait_until(lambda: back in a.getrawmempool(), timeout=15, msg="B's payment never reached A")
    wait_until(lambda: D(mine(a)["untrusted_pending"]) == D(2), timeout=10, msg=f"A's balances: {mine(a)}")
    tip = b.generatetoaddress(1, b.address())[0]  # to an address of neither wallet
    wait_until(lambda: a.getbestblockhash() == tip and a.gettransaction(back)["confirmations"] == 1, timeout=15)
    assert_equal(D(b.getbalance()), D("10.5") - back_fee)
    assert_equal(D(a.getbalance()), D(200) - D("12.5") - fee + D(2))
    assert_equal(a.getrawmempool(), [])
    assert_equal(b.getrawmempool(), [])


if __name__ == "__main__":
    run(test, num_nodes=2, extra_args=[["-connect=0", "-listen=1"] for _ in range(2)], timeout=90)
