#!/usr/bin/env python3
"""The wallet kept as a database in wallets/default/ (folders 0700, files
0600): once the wallet is encrypted, and again after a passphrase change, no
file of its database holds the seed, raw or in hex; a wallet.dat of the
single-file format (what earlier versions kept, and what backupwallet
writes) is migrated on start, with one log line, into a wallet that answers
exactly as before: keys, labels, imported keys, transactions, encryption."""
import os
import shutil
from decimal import Decimal

from framework import assert_equal, assert_in, assert_raises_rpc, assert_true, run


def files_of(folder):
    for name in sorted(os.listdir(folder)):
        p = os.path.join(folder, name)
        if os.path.isfile(p):
            yield p


def holds(folder, needle):
    for p in files_of(folder):
        with open(p, "rb") as f:
            if needle in f.read():
                return True
    return False


def assert_no_seed(folder, seed_hex):
    for needle in (bytes.fromhex(seed_hex), seed_hex.encode(), seed_hex.upper().encode()):
        assert_true(not holds(folder, needle), f"a file of {folder} holds the seed")


def assert_modes(folder):
    assert_equal(os.stat(folder).st_mode & 0o777, 0o700)
    assert_equal(os.stat(os.path.dirname(folder)).st_mode & 0o777, 0o700)
    for p in files_of(folder):
        assert_equal((os.path.basename(p), os.stat(p).st_mode & 0o777), (os.path.basename(p), 0o600))


def state(node):
    """What the wallet answers, to compare before and after a migration."""
    info = node.getwalletinfo()
    info.pop("unlocked_until", None)
    return {
        "balances": node.getbalances(),
        "balance": node.getbalance(),
        "transactions": node.listtransactions("*", 1000),
        "unspent": node.listunspent(),
        "info": info,
    }


def fill(node, other):
    """A wallet with a bit of everything: labelled addresses, coins mined
    and sent, an imported key that received a payment."""
    me = node.getnewaddress("me")
    node.generatetoaddress(101, me)
    rent = node.getnewaddress("rent")
    node.sendtoaddress(rent, 3)
    theirs = other.getnewaddress()
    node.sendtoaddress(theirs, 2)
    node.generatetoaddress(1, node.address("outside"))
    node.importprivkey(other.dumpprivkey(theirs), "imported")
    return {"me": me, "rent": rent, "imported": theirs}


def test(nodes):
    node, other = nodes
    wdir = node.path("wallets", "default")
    assert_modes(wdir)
    assert_true(not os.path.exists(node.path("wallet.dat")))
    assert_equal(node.getwalletinfo()["walletname"], "default")
    addrs = fill(node, other)
    other.stop()
    keys = {name: node.dumpprivkey(a) for name, a in addrs.items()}
    labels = {t["address"]: t["label"] for t in node.listunspent()}
    assert_equal(labels[addrs["rent"]], "rent")
    assert_equal(labels[addrs["imported"]], "imported")

    # Encrypted, the database's files no longer hold the seed; nor after a
    # passphrase change.
    seed = node.dumpseed()
    assert_true(holds(wdir, bytes.fromhex(seed)), "a plain wallet holds its seed")
    node.encryptwallet("pass one")
    assert_no_seed(wdir, seed)
    assert_modes(wdir)
    node.walletpassphrasechange("pass one", "pass two")
    assert_no_seed(wdir, seed)
    assert_raises_rpc(-13, node.dumpseed)
    before = state(node)

    # A wallet.dat of the single-file format, as earlier versions kept it,
    # and no database: migrated on start.
    node.backupwallet(node.path("wallet.dat"))
    node.stop()
    shutil.rmtree(wdir)
    node.start()
    n_txs = len({t["txid"] for t in before["transactions"]})
    assert_in(f"wallet.dat migrated to wallets/default/ ({n_txs} transactions); "
              "the old file is kept as wallet.dat.bak", node.log())
    assert_true(not os.path.exists(node.path("wallet.dat")))
    assert_true(os.path.isfile(node.path("wallet.dat.bak")))
    assert_modes(wdir)
    assert_no_seed(wdir, seed)
    assert_equal(state(node), before)
    assert_true(node.getwalletinfo()["encrypted"])
    assert_raises_rpc(-13, node.dumpprivkey, addrs["rent"])
    assert_raises_rpc(-14, node.walletpassphrase, "pass one", 10)
    node.walletpassphrase("pass two", 60)
    assert_equal(node.dumpseed(), seed)
    assert_equal({name: node.dumpprivkey(a) for name, a in addrs.items()}, keys)
    fresh = node.getnewaddress()
    assert_true(fresh not in {t["address"] for t in before["transactions"]}, "an address handed out twice")
    # The migrated wallet keeps working, and a restart does not migrate again.
    txid = node.sendtoaddress(node.address("outside"), 1)
    node.generatetoaddress(1, node.address("outside"))
    after = state(node)
    node.restart()
    assert_equal(node.log().count("migrated to wallets/default/"), 1)
    assert_equal(state(node)["transactions"], after["transactions"])
    assert_equal(node.gettransaction(txid)["confirmations"], 1)
    assert_equal(Decimal(str(node.getbalance())), Decimal(str(after["balance"])))


if __name__ == "__main__":
    run(test, num_nodes=2)
