#!/usr/bin/env python3
"""Recovery: block bodies live in blocks/blk*.dat, outside the chainstate
database, so a damaged database loses no block. A node whose chainstate has
a corrupt LevelDB table refuses to start and names -reindex; -reindex
rebuilds everything from the block files and -reindex-chainstate the UTXO
set and indexes from the kept block index, both back at the same tip with
the same answers; verifychain answers true; kill -9 while blocks are being
written restarts consistent."""
import glob
import hashlib
import os
import threading

from framework import assert_equal, assert_in, assert_true, run, run_cairnd, wait_until

ARGS = ["-blockfilesize=65536"]  # several block files, even on a short chain


def snapshot(n, doc_id):
    """The answers that must come back the same after a rebuild."""
    info = n.getblockchaininfo()
    utxo = n.gettxoutsetinfo()
    utxo.pop("disk_size", None)
    tip = info["blocks"]
    heights = sorted({0, 1, 57, 150, 201, tip - 1, tip})
    return {
        "tip": n.getbestblockhash(),
        "chain": {k: info[k] for k in ("blocks", "headers", "bestblockhash", "chainwork", "mediantime")},
        "utxo": utxo,
        "asset": n.getassetinfo(doc_id),
        "balance": n.getbalance(),
        "unspent": sorted((u["txid"], u["vout"], u["amount"]) for u in n.listunspent()),
        "blocks": [n.getblock(n.getblockhash(h), 2) for h in heights],
    }


def build_chain(n):
    """~300 blocks with payments, an asset registered and transferred."""
    addr = n.getnewaddress()
    n.generatetoaddress(110, addr)
    for i in range(20):
        n.sendtoaddress(n.getnewaddress(), 1 + i)
        if i % 4 == 3:
            n.generatetoaddress(1, addr)
    doc_id = hashlib.sha256(b"deed of lot 7, reindexed").hexdigest()
    n.registerasset(doc_id)
    n.generatetoaddress(1, addr)
    n.transferasset(doc_id, n.getnewaddress())
    n.generatetoaddress(1, addr)
    for i in range(10):
        n.sendtoaddress(n.getnewaddress(), 2)
        n.generatetoaddress(15, addr)
    n.generatetoaddress(300 - n.getblockcount(), addr)
    return doc_id


def table_files(n):
    return glob.glob(os.path.join(n.netdir, "chainstate", "*.ldb"))


def corrupt_a_table(n):
    """Overwrites bytes in the middle of the chainstate's largest table.
    LevelDB writes a table when it reopens a database whose log holds data,
    so a start and stop makes sure there is one."""
    for _ in range(3):
        if table_files(n):
            break
        n.start(ARGS)
        n.stop()
    tables = table_files(n)
    assert_true(tables, "the chainstate has a table file to damage")
    path = max(tables, key=os.path.getsize)
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.seek(size // 2)
        f.write(b"\xa5" * 64)


def refuses_to_start(n):
    # -checklevel=4 reads the whole database with checksums before loading:
    # a damaged table is found wherever it lies, not only when a key in it
    # is read
    rc, _, err = run_cairnd(n.args(ARGS + ["-checklevel=4"])[1:])
    assert_equal(rc, 1, f"a corrupt chainstate stops the start; stderr {err!r}")
    assert_in("the chainstate database is corrupt (", err)
    assert_in("restart with -reindex to rebuild it from the block files", err)


def check_block_files(n):
    files = sorted(glob.glob(os.path.join(n.netdir, "blocks", "blk*.dat")))
    assert_true(len(files) >= 2, f"-blockfilesize spreads the blocks over several files: {files}")
    assert_equal(os.path.basename(files[0]), "blk00000.dat")
    assert_true(all(os.path.getsize(f) <= 65536 + 1000 for f in files[:-1]))


def kill_while_mining(n, addr):
    """kill -9 right after generatetoaddress returns, and while it runs:
    each restart lands on a tip at least as high as the last answered one,
    consistent all the way down."""
    for i in range(4):
        hashes = n.generatetoaddress(3, addr)
        n.kill9()
        n.start(ARGS)
        assert_equal(n.getbestblockhash(), hashes[-1], "every block that was answered survives kill -9")
        assert_true(n.verifychain(4, 0))
    for i in range(3):
        before = n.getblockcount()
        other = n.proxy()  # a connection of the thread's own
        t = threading.Thread(target=lambda: _ignore(lambda: other.call("generatetoaddress", 40, addr)))
        t.start()
        wait_until(lambda: n.getblockcount() > before + 2 + 5 * i, timeout=60)
        n.kill9()
        t.join()
        n.start(ARGS)
        assert_true(n.getblockcount() > before)
        assert_true(n.verifychain(4, 0), "the chainstate is consistent after kill -9 mid-mining")


def _ignore(fn):
    try:
        fn()
    except Exception:  # the node was killed under the call
        pass


def test(nodes):
    n = nodes[0]
    n.stop()
    n.start(ARGS)
    doc_id = build_chain(n)
    assert_equal(n.getblockcount(), 300)
    assert_true(n.verifychain())
    assert_true(n.verifychain(4, 0))
    before = snapshot(n, doc_id)
    n.stop()
    check_block_files(n)

    corrupt_a_table(n)
    refuses_to_start(n)

    n.start(ARGS + ["-reindex"])
    assert_equal(snapshot(n, doc_id), before)
    assert_in("reindex: block 300 of ~", n.log())
    assert_true(n.verifychain(4, 0))
    n.stop()

    n.start(ARGS + ["-reindex-chainstate"])
    assert_equal(snapshot(n, doc_id), before)
    assert_true(n.verifychain(4, 0))
    n.stop()
    n.start(ARGS)  # and a plain restart after both
    assert_equal(snapshot(n, doc_id), before)

    kill_while_mining(n, n.getnewaddress())
    tip = n.getbestblockhash()
    n.stop()
    n.start(ARGS + ["-reindex"])
    assert_equal(n.getbestblockhash(), tip, "-reindex after the kills ends at the same tip")
    assert_true(n.verifychain(4, 0))


if __name__ == "__main__":
    run(test, num_nodes=1, timeout=600)
