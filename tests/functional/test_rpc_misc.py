#!/usr/bin/env python3
"""getrpcinfo, logging, getmemoryinfo, -txindex and getnetworkinfo's
version on a real node: the answers' shapes and values, the log's
categories switched on and off (and debug lines appearing in debug.log),
Core's errors, -txindex accepted with its log note, and the version number
in Core's 10000*major + 100*minor + patch form matching the subversion."""
import os
import re
import threading

from framework import BUILD, assert_equal, assert_in, assert_raises_rpc, assert_true, run, wait_until

CATEGORIES = ["net", "mempool", "rpc", "bench", "validation", "wallet", "db", "mine"]


def check_rpcinfo(node):
    info = node.getrpcinfo()
    assert_equal(sorted(info), ["active_commands", "logpath"])
    assert_equal([c["method"] for c in info["active_commands"]], ["getrpcinfo"])
    assert_true(0 <= info["active_commands"][0]["duration"] < 10_000_000)
    assert_equal(os.path.realpath(info["logpath"]), os.path.realpath(node.path("debug.log")))
    # in a batch, each call sees only itself
    answers = node.batch([("getrpcinfo", []), ("getblockcount", []), ("getrpcinfo", [])])
    for a in (answers[0], answers[2]):
        assert_equal([c["method"] for c in a["active_commands"]], ["getrpcinfo"])


def check_logging(node):
    assert_equal(node.logging(), {c: False for c in CATEGORIES})
    assert_equal(node.logging(["net", "mempool"]), {c: c in ("net", "mempool") for c in CATEGORIES})
    assert_equal(node.logging([], ["net"]), {c: c == "mempool" for c in CATEGORIES})
    assert_equal(node.logging(["all"]), {c: True for c in CATEGORIES})
    assert_equal(node.logging(None, ["all"]), {c: False for c in CATEGORIES})
    assert_equal(node.logging(["1"], ["none"]), {c: False for c in CATEGORIES})
    assert_equal(node.call("logging", include=["rpc"]), {c: c == "rpc" for c in CATEGORIES})
    # include first, then exclude, as Core
    assert_equal(node.logging(["wallet"], ["wallet"]), {c: c == "rpc" for c in CATEGORIES})
    assert_raises_rpc(-8, node.logging, ["nosuch"], message="ogging category nosuch")
    assert_raises_rpc(-8, node.logging, [], ["nosuch"], message="ogging category nosuch")
    assert_raises_rpc(-3, node.logging, "net")
    # a category switched on shows in debug.log: mempool's debug lines
    node.logging(["mempool", "rpc", "validation", "net"])
    before = os.path.getsize(node.path("debug.log"))
    node.generatetoaddress(1, node.address())
    with open(node.path("debug.log")) as f:
        f.seek(before)
        new = f.read()
    assert_true(re.search(r"\bdebug\b", new, re.I), f"no debug lines after logging on: {new[-500:]!r}")
    node.logging([], ["all"])


def check_memoryinfo(node):
    m = node.getmemoryinfo()
    assert_equal(sorted(m), ["locked"])
    locked = m["locked"]
    assert_equal(sorted(locked), ["chunks_free", "chunks_used", "free", "locked", "total", "used"])
    assert_equal(locked["locked"], 0)
    # the sanitizers replace malloc, and glibc's mallinfo2 then sees an
    # empty heap: zeros are all a sanitizer build can answer
    sanitized = os.path.basename(os.path.normpath(BUILD)) in ("san", "tsan")
    assert_true((sanitized or locked["used"] > 0) and locked["total"] >= locked["used"], f"{locked}")
    assert_equal(sorted(node.getmemoryinfo("stats")["locked"]), sorted(locked))
    xml = node.getmemoryinfo("mallocinfo")
    assert_true(xml.startswith("<malloc"), xml[:40])
    assert_raises_rpc(-8, node.getmemoryinfo, "nosuch", message="nknown mode nosuch")


def check_version(node):
    info = node.getnetworkinfo()
    m = re.fullmatch(r"/cairn:(\d+)\.(\d+)\.(\d+)/", info["subversion"])
    assert_true(m, info["subversion"])
    major, minor, patch = map(int, m.groups())
    assert_equal(info["version"], 10000 * major + 100 * minor + patch)


def check_txindex(node):
    for arg, note in (("-txindex", "-txindex: the transaction index is always on"),
                      ("-txindex=0", "-txindex=0: the transaction index is always on")):
        node.restart([arg])
        with open(node.path("debug.log")) as f:
            assert_in(note, f.read())
        # confirmed transactions are found without any index option
        tx = node.getblock(node.getblockhash(1))["tx"][0]
        assert_equal(node.getrawtransaction(tx, True)["txid"], tx)


def test(nodes):
    node = nodes[0]
    node.generatetoaddress(2, node.address())
    check_rpcinfo(node)
    check_logging(node)
    check_memoryinfo(node)
    check_version(node)
    check_txindex(node)


if __name__ == "__main__":
    run(test, num_nodes=1)
