#!/usr/bin/env python3
"""cairn-cli against a real node: output forms, errors and exit statuses,
-getinfo, -named, argument typing, -stdin, and -rpcwait."""
import json
import os
import subprocess
import time

from framework import (CAIRN_CLI, Node, assert_equal, assert_in, assert_true, free_port, run, scaled)


def ok(node, *args, **kw):
    rc, out, err = node.cli(*args, **kw)
    assert_equal((rc, err), (0, ""), f"cairn-cli {' '.join(map(str, args))}")
    return out


def fails(node, *args, **kw):
    rc, out, err = node.cli(*args, **kw)
    assert_equal(rc, 1, f"cairn-cli {' '.join(map(str, args))}: {out!r} {err!r}")
    assert_equal(out, "", "errors go to stderr only")
    return err


def check_output(node):
    hashes = node.generatetoaddress(3, node.address())
    # Strings bare, numbers as they are, null as nothing.
    assert_equal(ok(node, "getblockhash", 0), node.getblockhash(0) + "\n")
    assert_equal(ok(node, "getbestblockhash"), hashes[-1] + "\n")
    assert_equal(ok(node, "getblockcount"), "3\n")
    assert_equal(ok(node, "reconsiderblock", hashes[0]), "")
    # Objects as JSON indented by two spaces, amounts with their 8 decimals.
    out = ok(node, "getblockchaininfo")
    assert_equal(json.loads(out), node.getblockchaininfo())
    assert_true(out.startswith("{\n  \"chain\": \"regtest\",\n"), out[:40])
    out = ok(node, "getblock", hashes[0], 2)
    assert_in('"value": 50.00000000', out)
    assert_equal(json.loads(out)["hash"], hashes[0])
    out = ok(node, "generatetoaddress", 1, node.address())
    assert_equal(json.loads(out), [node.getbestblockhash()])
    # Categories in alphabetical order, as Bitcoin Core lists them.
    assert_true(ok(node, "help").startswith("== Addressindex =="))


def check_errors(node):
    err = fails(node, "nosuchmethod")
    assert_equal(err, "error code: -32601\nerror message:\nMethod not found\n")
    err = fails(node, "getblockhash", 1000)
    assert_equal(err.splitlines()[:2], ["error code: -8", "error message:"])
    err = fails(node, "getblockhash", '"0"')  # a JSON string, not a number
    assert_in("error code: -3", err)
    err = fails(node, "getblockcount", options=["-rpcpassword=wrong"])
    assert_true(err.startswith("error: incorrect rpcuser or rpcpassword") and err.count("\n") == 1, err)
    err = fails(node, "getblockcount", options=["-rpcuser=__cookie__", "-rpcpassword=wrong"])
    assert_in("incorrect rpcuser or rpcpassword", err)
    port = free_port()
    err = fails(node, "getblockcount", rpcport=port)
    assert_true(err.startswith("error: cannot connect to the server") and str(port) in err, err)
    err = fails(node, options=["-nosuchoption"])
    assert_true(err.startswith("error:"), err)
    rc, _, err = node.cli()
    assert_equal(rc, 1)


def check_getinfo(node):
    out = ok(node, options=["-getinfo"])
    assert_in("Chain: regtest\n", out)
    assert_in(f"Blocks: {node.getblockcount()}\n", out)
    assert_in(f"Headers: {node.getblockcount()}\n", out)
    assert_in("Difficulty: ", out)


def check_named(node):
    h = node.getblockhash(1)
    assert_equal(ok(node, "getblockhash", "height=1", options=["-named"]), h + "\n")
    assert_equal(ok(node, "getblock", f"blockhash={h}", "verbosity=0", options=["-named"]),
                 node.getblock(h, 0) + "\n")
    assert_equal(ok(node, "getblockheader", "verbose=false", f"blockhash={h}", options=["-named"]),
                 node.getblockheader(h, False) + "\n")
    err = fails(node, "getblockhash", "heigth=1", options=["-named"])
    assert_in("error code: -8", err)
    # -stdin: arguments one per line after those on the command line.
    rc, out, err = node.cli("getblock", options=["-stdin"], input=f"{h}\n0\n")
    assert_equal((rc, out, err), (0, node.getblock(h, 0) + "\n", ""))


def check_rpcwait(tmp):
    late = Node(7, tmp)
    cmd = [CAIRN_CLI, "-regtest", f"-datadir={late.datadir}", f"-rpcport={late.rpc_port}"]
    # Nobody there and a short wait: gives up with an error.
    t0 = time.monotonic()
    p = subprocess.run(cmd + ["-rpcwait", "-rpcwaittimeout=1", "getblockcount"], capture_output=True,
                       text=True, timeout=scaled(30))
    took = time.monotonic() - t0
    assert_equal(p.returncode, 1)
    assert_true(0.9 <= took < scaled(10), f"-rpcwaittimeout=1 gave up after {took:.1f}s")
    # A node that starts a moment later: answered once it is up.
    cli = subprocess.Popen(cmd + ["-rpcwait", "getblockcount"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        assert_equal(cli.poll(), None, "cairn-cli -rpcwait is still waiting")
        late.start()
        out, err = cli.communicate(timeout=scaled(20))
        assert_equal((cli.returncode, out, err), (0, "0\n", ""))
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    late.stop()


def test(nodes):
    node = nodes[0]
    check_output(node)
    check_errors(node)
    check_getinfo(node)
    check_named(node)
    check_rpcwait(os.path.dirname(node.datadir))


if __name__ == "__main__":
    run(test, num_nodes=1)
