#!/usr/bin/env python3
"""rpc.discover: the OpenRPC document lists exactly the methods `help`
lists, with the same parameters in the same order; it validates against the
OpenRPC meta-schema (@open-rpc/schema-utils-js); every parameter and result
is typed; and the real answers of a running node to a wide sample of
methods (two nodes, a wallet, a transaction, an asset) validate against
their result schemas (ajv). A schema altered on purpose must then fail the
same check, so the check can fail.

Node.js runs tests/functional/openrpc_check.js; its two npm packages are
installed once into build/openrpc-js (tools/deps.sh installs node and npm)."""
import copy
import fcntl
import json
import os
import shutil
import subprocess
import tempfile

from framework import LOOPBACK, ROOT, assert_equal, assert_in, assert_true, run, scaled, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK_JS = os.path.join(HERE, "openrpc_check.js")
JS_DIR = os.path.join(ROOT, "build", "openrpc-js")
JS_PACKAGES = ["@open-rpc/schema-utils-js@2.2.1", "ajv@8.20.0"]


def js_modules():
    """The npm packages the check needs, installed once (under a lock, as
    the normal and sanitizer runs may start together)."""
    os.makedirs(JS_DIR, exist_ok=True)
    with open(os.path.join(JS_DIR, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = os.path.join(JS_DIR, "installed")
        if not os.path.exists(stamp) or open(stamp).read() != " ".join(JS_PACKAGES):
            subprocess.run(["npm", "install", "--prefix", JS_DIR, "--no-audit", "--no-fund", "--no-save",
                            "--cache", os.path.join(JS_DIR, "cache"), *JS_PACKAGES],
                           check=True, capture_output=True, timeout=scaled(300))
            with open(stamp, "w") as f:
                f.write(" ".join(JS_PACKAGES))
    return os.path.join(JS_DIR, "node_modules")


def node_check(doc, samples):
    """Runs openrpc_check.js on doc and samples: (exit status, output)."""
    with tempfile.TemporaryDirectory(prefix="cairn_openrpc_") as tmp:
        dp, sp = os.path.join(tmp, "doc.json"), os.path.join(tmp, "samples.json")
        with open(dp, "w") as f:
            json.dump(doc, f)
        with open(sp, "w") as f:
            json.dump(samples, f)
        env = dict(os.environ, NODE_PATH=js_modules())
        p = subprocess.run(["node", CHECK_JS, dp, sp], capture_output=True, text=True, env=env,
                           timeout=scaled(120))
        return p.returncode, p.stdout + p.stderr


def help_usages(node):
    """{name: usage line} of every method `help` lists."""
    out = {}
    for line in node.help().splitlines():
        if line and not line.startswith("=="):
            out[line.split()[0]] = line
    return out


def usage_of(method):
    """The usage line help prints, rebuilt from the document's params."""
    words = [method["name"]]
    for p in method["params"]:
        words.append(p["name"] if p["required"] else f"[{p['name']}]")
    return " ".join(words)


def check_matches_help(node, doc):
    usages = help_usages(node)
    methods = {m["name"]: m for m in doc["methods"]}
    assert_equal(len(methods), len(doc["methods"]), "no method twice")
    assert_equal(set(methods), set(usages), "rpc.discover lists the methods help lists")
    assert_in("rpc.discover", methods)
    for name, m in methods.items():
        assert_equal(usage_of(m), usages[name], f"{name}: params as help shows them")
        assert_equal(node.help(name).split("\n\n", 1)[1], m["description"], f"{name}: description")
        for p in m["params"]:
            assert_true(p["schema"], f"{name}: parameter {p['name']} has a type")
            assert_true(p.get("description"), f"{name}: parameter {p['name']} is described")
        assert_true(m["result"]["schema"], f"{name}: the result has a type")
        codes = {e["code"] for e in m["errors"]}
        assert_true({-32602, -32603, -7} <= codes, f"{name}: the dispatcher's errors")
        if m["params"]:
            assert_true({-3, -8} <= codes, f"{name}: the params' errors")
    assert_equal(set(doc["components"]["errors"][k]["code"] for k in doc["components"]["errors"]),
                 {-32700, -32600, -32601})
    # Named params map by the names the document gives.
    assert_equal(node.call("getblockhash", height=0), node.getblockhash(0))


def samples_of(a, b):
    """[(method, params, result)] of real calls to node a (b its peer)."""
    out = []

    def call(method, *params, rpc=None):
        r = (rpc or a).call(method, *params)
        out.append({"method": method, "params": list(params), "result": r})
        return r

    me = call("getnewaddress")
    call("getnewaddress", "label")
    call("getrawchangeaddress")
    hashes = call("generatetoaddress", 101, me)
    call("help")
    call("help", "getblock")
    call("uptime")
    call("getblockchaininfo")
    call("getblockcount")
    best = call("getbestblockhash")
    call("getblockhash", 1)
    for v in (0, 1, 2):
        call("getblock", best, v)
    call("getblockheader", best)
    call("getblockheader", best, False)
    call("getchaintips")
    call("getdifficulty")
    call("getmininginfo")
    call("submitblock", call("getblock", hashes[0], 0))
    call("validateaddress", me)
    call("validateaddress", "nonsense")
    txid = call("sendtoaddress", b.address(), 1.5)
    call("getrawmempool")
    call("getrawmempool", True)
    call("getmempoolinfo")
    call("getmempoolentry", txid)
    raw = call("getrawtransaction", txid)
    call("getrawtransaction", txid, True)
    call("decoderawtransaction", raw)
    call("testmempoolaccept", [raw])
    call("gettxout", txid, 0, True)
    call("gettransaction", txid)
    call("generatetoaddress", 1, me)
    call("sendmany", "", {b.address("x"): 0.5, b.address("y"): "0.25"})
    call("getbalance")
    call("getbalances")
    call("getwalletinfo")
    coins = call("listunspent")
    call("listunspent", 0, 9999999, [me])
    call("lockunspent", False, [{"txid": coins[0]["txid"], "vout": coins[0]["vout"]}])
    call("listlockunspent")
    call("lockunspent", True)
    c = coins[0]
    unsigned = call("createrawtransaction", [{"txid": c["txid"], "vout": c["vout"]}], {b.address(): round(c["amount"] - 0.001, 8)})
    signed = call("signrawtransactionwithwallet", unsigned)
    call("sendrawtransaction", signed["hex"])
    call("listtransactions")
    call("dumpprivkey", me)
    call("dumpseed")
    call("listwallets")
    call("listwalletdir")
    call("createwallet", "other")
    other = a.wallet("other")
    call("encryptwallet", "pass", rpc=other)
    call("walletpassphrase", "pass", 60, rpc=other)
    call("walletlock", rpc=other)
    call("walletpassphrasechange", "pass", "pass2", rpc=other)
    call("walletpassphrase", "pass2", 60, rpc=other)
    call("importprivkey", "11" * 32, "imported", False, rpc=other)
    call("unloadwallet", "other")
    call("loadwallet", "other")
    backup = os.path.join(a.datadir, "backup.dat")
    call("backupwallet", backup, rpc=a.wallet("default"))
    call("unloadwallet", "other")
    call("restorewallet", "restored", backup)
    call("unloadwallet", "restored")
    call("createwallet", "blank", False, True)
    call("sethdseed", True, "22" * 32, rpc=a.wallet("blank"))
    call("unloadwallet", "blank")
    asset = "ab" * 32
    call("registerasset", asset, "a document")
    call("generatetoaddress", 1, me)
    call("getassetinfo", asset)
    call("getassethistory", asset)
    call("getassetproof", asset)
    call("listassets")
    call("transferasset", asset, b.address())
    block = call("getbestblockhash")
    call("getblockprovenance", block)
    proof = call("gettxoutproof", [call("getblock", block)["tx"][0]], block)
    call("verifytxoutproof", proof)
    call("getpeerinfo")
    call("getconnectioncount")
    call("getnetworkinfo")
    call("getnettotals")
    call("getaddednodeinfo")
    call("getnodeaddresses")
    call("setban", "10.1.2.3", "add", 60)
    call("listbanned")
    call("clearbanned")
    call("setnetworkactive", True)
    call("invalidateblock", block)
    call("reconsiderblock", block)
    call("setmocktime", 0)
    call("addnode", f"{LOOPBACK}:{b.p2p_port}", "add")
    call("getaddednodeinfo")
    call("addnode", f"{LOOPBACK}:{b.p2p_port}", "remove")
    call("disconnectnode", "", call("getpeerinfo")[0]["id"])
    return out


def check_mutation(doc, samples):
    """A result schema made wrong must fail the same check: getblockcount's
    integer made a string."""
    bad = copy.deepcopy(doc)
    for m in bad["methods"]:
        if m["name"] == "getblockcount":
            m["result"]["schema"] = {"type": "string"}
    rc, out = node_check(bad, samples)
    assert_true(rc != 0, "a wrong result schema fails the check")
    assert_in("getblockcount", out)


def test(nodes):
    a, b = nodes
    a.addnode(f"{LOOPBACK}:{b.p2p_port}", "onetry")
    wait_until(lambda: a.getconnectioncount() == 1 and b.getconnectioncount() == 1, timeout=scaled(20))
    doc = a.call("rpc.discover")
    samples = samples_of(a, b)
    if os.environ.get("OPENRPC_DUMP"):
        with open(os.environ["OPENRPC_DUMP"], "w") as f:
            json.dump({"doc": doc, "samples": samples}, f, indent=1)
    assert_equal(doc["openrpc"], "1.2.6")
    check_matches_help(a, doc)
    methods = {s["method"] for s in samples}
    assert_true(len(methods) >= 10, f"a sample of {len(methods)} methods")
    samples.append({"method": "rpc.discover", "params": [], "result": doc})
    assert_true(shutil.which("node") is not None, "node is installed (tools/deps.sh)")
    rc, out = node_check(doc, samples)
    assert_equal(rc, 0, f"openrpc_check.js:\n{out}")
    print(out.strip())
    check_mutation(doc, samples)


if __name__ == "__main__":
    run(test, num_nodes=2, timeout=240)
