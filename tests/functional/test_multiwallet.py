#!/usr/bin/env python3
"""Many wallets, as Bitcoin Core: createwallet, loadwallet, unloadwallet,
listwallets, listwalletdir, restorewallet, -wallet=NAME (repeatable) and the
wallet endpoint /wallet/NAME (what bitcoin-cli and cairn-cli -rpcwallet
send). Wallets funded separately keep separate balances; a wallet call to /
answers -19 when several are loaded and works again once one is left;
names that could leave wallets/ are refused; a backupwallet file (with its
persistent locks, not the memory-only ones) restores
into a wallet with the same keys and balance."""
import base64
import json
import os
import socket
from decimal import Decimal

from framework import assert_equal, assert_in, assert_raises_rpc, assert_true, run, run_cairnd

NOT_SPECIFIED = "Wallet file not specified (must request wallet RPC through /wallet/<filename> uri-path)."
NOT_LOADED = "Requested wallet does not exist or is not loaded"


def balance(w):
    return Decimal(str(w.getbalance()))


def check_routing(node, w1, w2):
    """Two wallets funded separately; who answers which path."""
    a1, a2 = w1.getnewaddress(), w2.getnewaddress()
    node.generatetoaddress(101, a1)
    assert_equal(balance(w2), 0)
    funded = balance(w1)
    assert_true(funded > 0, "the mined coins reached w1")
    txid = w1.sendtoaddress(a2, 7)
    fee = -Decimal(str(w1.gettransaction(txid)["fee"]))
    assert_equal(balance(w1), funded - 7 - fee)
    assert_equal(Decimal(str(w2.getbalances()["mine"]["untrusted_pending"])), 7)
    node.generatetoaddress(1, node.address("outside"))
    assert_equal(balance(w2), 7)
    assert_equal(balance(node.wallet("default")), 0)
    assert_equal(w1.getwalletinfo()["walletname"], "w1")
    assert_equal(w2.getwalletinfo()["walletname"], "w 2")
    assert_raises_rpc(-5, w2.gettransaction, node.getblock(node.getblockhash(1))["tx"][0])

    # / with several loaded: wallet calls -19, others as always.
    assert_raises_rpc(-19, node.getbalance, message=NOT_SPECIFIED)
    assert_raises_rpc(-19, node.getnewaddress)
    assert_equal(node.getblockcount(), 102)
    assert_equal(w1.getblockcount(), 102)
    # A wallet not loaded, and a path that is no endpoint.
    assert_raises_rpc(-18, node.wallet("nosuch").getbalance, message=NOT_LOADED)
    status, _, _ = node.proxy(path="/other").post({"method": "getblockcount", "id": 1})
    assert_equal(status, 404)
    return a1, a2


def check_cli(node, w2):
    rc, out, err = node.cli("getbalance", options=["-rpcwallet=w 2"])
    assert_equal((rc, Decimal(out.strip()), err), (0, balance(w2), ""))
    rc, out, err = node.cli("getbalance")
    assert_equal(rc, 1)
    assert_in("error code: -19", err)
    rc, out, err = node.cli("getblockcount", options=["-rpcwallet=w1"])
    assert_equal((rc, out), (0, "102\n"))


def bitcoin_cli_request(node, wallet, method, params, version2):
    """The request bitcoin-cli -rpcwallet=WALLET METHOD sends, byte for byte
    as its CallRPC builds it (src/bitcoin-cli.cpp): POST /wallet/ + the name
    through evhttp_uriencode (unreserved characters kept, everything else
    %XX), headers Host, Connection: close, Content-Type and Basic auth from
    the cookie, the body JSONRPCRequestObj(method, params, 1) and a newline
    (with "jsonrpc": "2.0" from Bitcoin Core v28 on). Returns (status,
    reply) as bitcoin-cli reads them: it accepts a body with 200, 400, 404
    and 500."""
    user, password = node.credentials()
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    path = "/wallet/" + "".join(c if c.isalnum() or c in "-._~" else "%%%02X" % ord(c) for c in wallet)
    body = {"method": method, "params": params, "id": 1}
    if version2:
        body["jsonrpc"] = "2.0"
    data = (json.dumps(body, separators=(",", ":")) + "\n").encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nAuthorization: Basic {token}\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", node.rpc_port), timeout=30) as sock:
        sock.sendall(head + data)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    status = int(raw.split(b" ", 2)[1])
    assert_in(status, (200, 400, 404, 500))
    return status, json.loads(raw.split(b"\r\n\r\n", 1)[1])


def check_bitcoin_cli(node, w2):
    """bitcoin-cli -rpcwallet against cairnd: the same answers as cairn's
    own client for a wallet whose name needs encoding, and Core's errors."""
    for version2 in (False, True):
        _, reply = bitcoin_cli_request(node, "w 2", "getbalance", [], version2)
        assert_equal((Decimal(str(reply["result"])), reply.get("error")), (balance(w2), None))
        assert_equal(reply["id"], 1)
        _, reply = bitcoin_cli_request(node, "w 2", "getwalletinfo", [], version2)
        assert_equal(reply["result"]["walletname"], "w 2")
        _, reply = bitcoin_cli_request(node, "nosuch", "getbalance", [], version2)
        assert_equal(reply["error"]["code"], -18)
        _, reply = bitcoin_cli_request(node, "w1", "nosuchmethod", [], version2)
        assert_equal(reply["error"]["code"], -32601)


def check_names(node):
    for bad in ("", "a/b", "..", "../x", ".hidden", "a\\b", "x.new", "tab\there", "n" * 256):
        assert_raises_rpc(-4, node.createwallet, bad)
        assert_raises_rpc(-4, node.loadwallet, bad)
    assert_raises_rpc(-36, node.createwallet, "w1", message="Database already exists")
    assert_raises_rpc(-35, node.loadwallet, "w1", message='Wallet "w1" is already loaded.')
    assert_raises_rpc(-18, node.loadwallet, "nosuch", message="Path does not exist")
    assert_equal(node.createwallet(wallet_name="plain", passphrase=""),
                 {"name": "plain", "warning": "Empty string given as passphrase, wallet will not be encrypted."})
    assert_true(not node.wallet("plain").getwalletinfo()["encrypted"], "an empty passphrase encrypts nothing")
    assert_equal(node.unloadwallet("plain"), {"warning": ""})
    assert_raises_rpc(-8, node.createwallet, "watch", True)
    assert_raises_rpc(-8, node.createwallet, wallet_name="later", load_on_startup=True)
    assert_true(not os.path.exists(node.path("wallets", "watch")), "a refused wallet was made")
    assert_true(not os.path.exists(node.path("x")), "a name left wallets/")


def check_restore(node, w1, a1):
    backup = node.path("w1.backup")
    coins = [{"txid": u["txid"], "vout": u["vout"]} for u in w1.listunspent()[:2]]
    assert_equal(len(coins), 2)
    assert_true(w1.lockunspent(False, coins[:1], True), "persistent lock")
    assert_true(w1.lockunspent(False, coins[1:]), "memory-only lock")
    w1.backupwallet(backup)
    assert_true(w1.lockunspent(True, coins), "unlock")
    assert_equal(node.restorewallet("copy", backup), {"name": "copy", "warning": ""})
    assert_true(os.path.isfile(backup), "restorewallet keeps the backup file")
    copy = node.wallet("copy")
    assert_equal(copy.listlockunspent(), coins[:1], "the backup carries the persistent lock only")
    assert_true(copy.lockunspent(True, coins[:1]), "unlock in the copy")
    assert_equal(balance(copy), balance(w1))
    assert_equal(copy.dumpprivkey(a1), w1.dumpprivkey(a1))
    assert_equal(sorted((u["txid"], u["vout"]) for u in copy.listunspent()),
                 sorted((u["txid"], u["vout"]) for u in w1.listunspent()))
    assert_equal(copy.getnewaddress(), w1.getnewaddress(), "the same derivation chain")
    assert_raises_rpc(-36, node.restorewallet, "copy", backup)
    assert_raises_rpc(-8, node.restorewallet, "other", node.path("no.backup"), message="Backup file does not exist")
    assert_raises_rpc(-4, node.restorewallet, "../other", backup)


def check_unload(node, w1):
    assert_raises_rpc(-19, node.unloadwallet)
    assert_raises_rpc(-8, w1.unloadwallet, "copy")
    assert_raises_rpc(-18, node.unloadwallet, "nosuch")
    assert_equal(node.unloadwallet("copy"), {"warning": ""})
    assert_raises_rpc(-18, node.wallet("copy").getbalance)
    assert_equal(node.wallet("w 2").unloadwallet(), {"warning": ""})
    assert_equal(w1.unloadwallet("w1"), {"warning": ""})
    assert_equal(node.listwallets(), ["default"])
    # One wallet left: / reaches it again.
    assert_equal(balance(node), 0)
    assert_equal(node.getwalletinfo()["walletname"], "default")
    # None left: -18; the default loads back like any other.
    assert_equal(node.unloadwallet(), {"warning": ""})
    assert_raises_rpc(-18, node.getbalance, message="No wallet is loaded")
    assert_raises_rpc(-18, node.unloadwallet)
    assert_equal(node.loadwallet("default"), {"name": "default", "warning": ""})
    assert_equal(node.listwalletdir(), {"wallets": [{"name": n} for n in ("copy", "default", "plain", "w 2", "w1")]})


def check_start(node, w1_balance):
    # No -wallet: the default one only; others load on request.
    node.restart()
    assert_equal(node.listwallets(), ["default"])
    assert_equal(node.loadwallet("w 2"), {"name": "w 2", "warning": ""})
    assert_true(node.wallet("w 2").getwalletinfo()["encrypted"], "encrypted at creation")
    assert_raises_rpc(-19, node.getbalance)
    # -wallet, repeated: those, created when missing, and not the default.
    node.restart(["-wallet=w1", "-wallet=w 2", "-wallet=fresh"])
    assert_equal(node.listwallets(), ["w1", "w 2", "fresh"])
    assert_equal(balance(node.wallet("w1")), w1_balance)
    assert_equal(balance(node.wallet("fresh")), 0)
    assert_raises_rpc(-19, node.getbalance, message=NOT_SPECIFIED)
    node.restart(["-wallet=w1"])
    assert_equal(balance(node), w1_balance)
    node.stop()
    rc, _, err = run_cairnd(["-regtest", f"-datadir={node.datadir}", "-wallet=w1", "-wallet=w1",
                             "-port=0", "-rpcport=0"])
    assert_equal(rc, 1)
    assert_in("duplicate -wallet", err)
    for bad in ("../x", "a/b"):
        rc, _, err = run_cairnd(["-regtest", f"-datadir={node.datadir}", f"-wallet={bad}", "-port=0", "-rpcport=0"])
        assert_equal(rc, 1)
        assert_in("invalid wallet name", err)
    # -disablewallet: no wallet methods; those of assets answer -18.
    node.start(["-disablewallet"])
    assert_raises_rpc(-32601, node.listwallets)
    assert_raises_rpc(-32601, node.createwallet, "x")
    assert_raises_rpc(-18, node.listassets, message="-disablewallet")


def test(nodes):
    node = nodes[0]
    assert_equal(node.listwallets(), ["default"])
    assert_equal(node.createwallet("w1"), {"name": "w1", "warning": ""})
    assert_equal(node.createwallet(wallet_name="w 2", passphrase="secret"), {"name": "w 2", "warning": ""})
    assert_equal(node.listwallets(), ["default", "w1", "w 2"])
    assert_true(os.path.isdir(node.path("wallets", "w 2")), "wallets/NAME/ holds the wallet")
    w1, w2 = node.wallet("w1"), node.wallet("w 2")
    assert_true(w2.getwalletinfo()["encrypted"], "createwallet with a passphrase encrypts")
    assert_raises_rpc(-13, w2.dumpseed)
    a1, _ = check_routing(node, w1, w2)
    check_cli(node, w2)
    check_bitcoin_cli(node, w2)
    check_names(node)
    check_restore(node, w1, a1)
    w1_balance = balance(w1)
    check_unload(node, w1)
    check_start(node, w1_balance)


if __name__ == "__main__":
    run(test, num_nodes=1, timeout=180)
