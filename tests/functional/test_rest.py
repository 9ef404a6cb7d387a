#!/usr/bin/env python3
"""REST (-rest): Bitcoin Core's /rest/ endpoints on the RPC port, without
credentials.

- every JSON answer equals the RPC method's result read just before
  (getblockchaininfo, getblock 2 and 1, getblockheader, getblockhash,
  getrawtransaction verbose, getmempoolinfo, getrawmempool, getassetinfo,
  getassethistory, getassetproof); .bin is the RPC's hex as bytes
  (getblock 0, getblockheader false, getrawtransaction) and .hex that hex
  with a newline;
- getutxos with and without checkmempool: a coin the mempool spends, an
  output the mempool creates, an unknown outpoint, an asset's output; the
  bitmap, the JSON (against gettxout) and the BIP 64 bytes;
- the asset endpoints after registerasset and transferasset, unconfirmed
  and confirmed;
- every refusal with Core's status and reason, 405 for other methods;
- a node without -rest answers every /rest/ path 404, and REST never
  opens JSON-RPC to a client without credentials."""
import hashlib
import http.client
import json

from framework import LOOPBACK, assert_equal, assert_true, run, scaled

MEMPOOL_HEIGHT = 0x7FFFFFFF
UNITS = 100_000_000


def get(node, path, method="GET", headers=None):
    conn = http.client.HTTPConnection(LOOPBACK, node.rpc_port, timeout=scaled(30))
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type"), r.read(), r
    finally:
        conn.close()


def rest_json(node, path):
    status, ctype, body, _ = get(node, path)
    assert_equal(status, 200, f"{path}: {body[:300]!r}")
    assert_equal(ctype, "application/json", path)
    assert_true(body.endswith(b"\n"), f"{path}: Core's final newline")
    return json.loads(body)


def rest_raw(node, path):
    """The .bin answer's bytes; checks that .hex is their hex and a newline."""
    status, ctype, body, _ = get(node, path + ".bin")
    assert_equal(status, 200, f"{path}.bin: {body[:300]!r}")
    assert_equal(ctype, "application/octet-stream", path)
    status, ctype, text, _ = get(node, path + ".hex")
    assert_equal(status, 200, f"{path}.hex: {text[:300]!r}")
    assert_equal(ctype, "text/plain", path)
    assert_equal(text.decode(), body.hex() + "\n", f"{path}.hex")
    return body


def refused(node, path, status, reason, method="GET"):
    got, ctype, body, r = get(node, path, method)
    assert_equal((got, body.decode(errors="replace")), (status, reason + "\r\n"), path)
    assert_equal(ctype, "text/plain", path)
    return r


def same(node, path, method, *args, drop=()):
    """The REST answer at path equals the RPC's, asked before and after."""
    before = node.call(method, *args)
    got = rest_json(node, path)
    after = node.call(method, *args)
    assert_equal(before, after, f"{method} changed while the test read it")
    for k in drop:
        before.pop(k, None)
    assert_equal(got, before, path)
    return got


# ---- the chain ----

def check_chain(a):
    tip = a.getbestblockhash()
    same(a, "/rest/chaininfo.json", "getblockchaininfo")
    for h in (tip, a.getblockhash(1), a.getblockhash(0)):
        same(a, f"/rest/block/{h}.json", "getblock", h, 2)
        same(a, f"/rest/block/notxdetails/{h}.json", "getblock", h, 1)
        raw = bytes.fromhex(a.getblock(h, 0))
        assert_equal(rest_raw(a, f"/rest/block/{h}"), raw, "block bytes")
        assert_equal(rest_raw(a, f"/rest/block/notxdetails/{h}"), raw, "notxdetails bytes")


def check_headers(a):
    hs = [a.getblockhash(i) for i in range(5, 8)]
    want = [a.getblockheader(h) for h in hs]
    assert_equal(rest_json(a, f"/rest/headers/3/{hs[0]}.json"), want, "count/hash form")
    assert_equal(rest_json(a, f"/rest/headers/{hs[0]}.json?count=3"), want, "?count= form")
    raw = b"".join(bytes.fromhex(a.getblockheader(h, False)) for h in hs)
    assert_equal(rest_raw(a, f"/rest/headers/3/{hs[0]}"), raw, "header bytes")
    assert_equal(len(rest_json(a, f"/rest/headers/{hs[0]}.json")), 5, "Core's default count")
    top = a.getblockcount()
    near = a.getblockhash(top - 1)
    assert_equal(len(rest_json(a, f"/rest/headers/2000/{near}.json")), 2, "stops at the tip")
    assert_equal(rest_json(a, f"/rest/headers/5/{'11' * 32}.json"), [], "unknown block: empty, as Core")
    assert_equal(rest_raw(a, f"/rest/headers/5/{'11' * 32}"), b"", "unknown block: no bytes")


def check_blockhash(a):
    h = a.getblockhash(7)
    got = rest_json(a, "/rest/blockhashbyheight/7.json")
    assert_equal(got, {"blockhash": h}, "Core's shape, getblockhash's value")
    assert_equal(rest_raw(a, "/rest/blockhashbyheight/7"), bytes.fromhex(h), "the hash's bytes")
    assert_equal(rest_json(a, "/rest/blockhashbyheight/0.json")["blockhash"], a.getblockhash(0))


def check_tx(a, pay, confirmed):
    for txid in (pay, confirmed):
        same(a, f"/rest/tx/{txid}.json", "getrawtransaction", txid, 1)
        assert_equal(rest_raw(a, f"/rest/tx/{txid}"), bytes.fromhex(a.getrawtransaction(txid)), "tx bytes")
    assert_true("blockhash" not in rest_json(a, f"/rest/tx/{pay}.json"), "the payment is in the mempool")
    assert_true("merkleproof" in rest_json(a, f"/rest/tx/{confirmed}.json"), "a confirmed one has its proof")


def check_mempool(a):
    same(a, "/rest/mempool/info.json", "getmempoolinfo")
    got = same(a, "/rest/mempool/contents.json", "getrawmempool", True)
    assert_true(len(got) >= 1, "the payment is there")
    same(a, "/rest/mempool/contents.json?verbose=true", "getrawmempool", True)
    same(a, "/rest/mempool/contents.json?verbose=false", "getrawmempool", False)


# ---- getutxos ----

def varint(b, p):
    v = b[p]
    if v < 0xFD:
        return v, p + 1
    n = {0xFD: 2, 0xFE: 4, 0xFF: 8}[v]
    return int.from_bytes(b[p + 1:p + 1 + n], "little"), p + 1 + n


def parse_utxos(b):
    """BIP 64's answer as cairn writes it (docs/rest.md)."""
    out = {"chainHeight": int.from_bytes(b[0:4], "little"), "chaintipHash": b[4:36].hex()}
    n, p = varint(b, 36)
    out["bitmap"], p = b[p:p + n], p + n
    count, p = varint(b, p)
    coins = []
    for _ in range(count):
        ver, height = int.from_bytes(b[p:p + 4], "little"), int.from_bytes(b[p + 4:p + 8], "little")
        start = p = p + 8
        value = int.from_bytes(b[p:p + 8], "little", signed=True)
        kind = b[p + 28]
        p += 29
        if kind == 1:
            mlen, p = varint(b, p + 32)
            p += mlen
        assert_equal(ver, 0, "BIP 64's version field")
        coins.append({"height": height, "value": value, "txout": b[start:p]})
    assert_equal(p, len(b), "no bytes left over")
    out["utxos"] = coins
    return out


def check_coin(a, got, txid, n, mempool):
    ref = a.gettxout(txid, n, mempool)
    assert_true(ref is not None, f"{txid}:{n} is unspent")
    want = {k: ref[k] for k in ("value", "address", "kind", "asset", "metadata") if k in ref}
    want["height"] = MEMPOOL_HEIGHT if ref["confirmations"] == 0 else \
        a.getblockcount() - ref["confirmations"] + 1
    assert_equal(got, want, f"{txid}:{n}")


def check_getutxos(a, pay, asset_out):
    vin = a.getrawtransaction(pay, 1)["vin"][0]
    spent = (vin["txid"], vin["vout"])
    made = (pay, 0)
    unknown = ("22" * 32, 0)
    cb_top = (a.getblock(a.getbestblockhash())["tx"][0], 0)
    ops = [spent, made, unknown, cb_top, asset_out]
    path = "/".join(f"{t}-{n}" for t, n in ops)
    for mempool, bits, hits in ((False, "10011", [spent, cb_top, asset_out]),
                                (True, "01011", [made, cb_top, asset_out])):
        prefix = "/rest/getutxos/checkmempool/" if mempool else "/rest/getutxos/"
        got = rest_json(a, prefix + path + ".json")
        assert_equal((got["chainHeight"], got["chaintipHash"], got["bitmap"]),
                     (a.getblockcount(), a.getbestblockhash(), bits), f"mempool={mempool}")
        assert_equal(len(got["utxos"]), len(hits))
        for coin, (t, n) in zip(got["utxos"], hits):
            check_coin(a, coin, t, n, mempool)
        raw = parse_utxos(rest_raw(a, prefix + path))
        assert_equal((raw["chainHeight"], raw["chaintipHash"]), (got["chainHeight"], got["chaintipHash"]))
        assert_equal(raw["bitmap"], bytes([int(bits[::-1], 2)]), "bit i is outpoint i")
        for coin, j, (t, _) in zip(raw["utxos"], got["utxos"], hits):
            assert_equal((coin["height"], coin["value"]), (j["height"], round(float(j["value"]) * UNITS)))
            assert_true(coin["txout"] in bytes.fromhex(a.getrawtransaction(t)), "the output as its tx holds it")
    kinds = [c["kind"] for c in rest_json(a, "/rest/getutxos/" + path + ".json")["utxos"]]
    assert_equal(kinds, ["coin", "coin", "asset"])
    many = "/".join(f"{'33' * 32}-{i}" for i in range(15))
    assert_equal(rest_json(a, f"/rest/getutxos/{many}.json")["bitmap"], "0" * 15, "15 is allowed")


# ---- assets ----

def check_asset(a, doc, drop_mine=True):
    same(a, f"/rest/asset/{doc}.json", "getassetinfo", doc, drop=("mine",) if drop_mine else ())
    assert_true("mine" not in rest_json(a, f"/rest/asset/{doc}.json"), "REST shows no wallet's view")
    return same(a, f"/rest/assethistory/{doc}.json", "getassethistory", doc)


def check_assets(a, mine_to):
    doc = hashlib.sha256(b"deed of lot 7").hexdigest()
    a.registerasset(doc, "deed of lot 7")
    a.generatetoaddress(1, mine_to)
    a.transferasset(doc, a.getnewaddress())
    hist = check_asset(a, doc)
    assert_equal([s["confirmed"] for s in hist], [True, False], "registered, then an unconfirmed transfer")
    same(a, f"/rest/assetproof/{doc}.json", "getassetproof", doc)
    a.generatetoaddress(1, mine_to)
    hist = check_asset(a, doc)
    assert_equal([s["confirmed"] for s in hist], [True, True])
    same(a, f"/rest/assetproof/{doc}.json", "getassetproof", doc)
    fresh = hashlib.sha256(b"unconfirmed").hexdigest()
    a.registerasset(fresh)
    check_asset(a, fresh)
    refused(a, f"/rest/assetproof/{fresh}.json", 404, f"{fresh} not found in the block chain")
    cur = a.getassetinfo(doc)["current"]
    return doc, (cur["txid"], cur["vout"])


# ---- refusals ----

def check_refusals(a):
    h, unknown = a.getbestblockhash(), "44" * 32
    every = "output format not found (available: .bin, .hex, .json)"
    json_only = "output format not found (available: json)"
    cases = [
        (f"/rest/block/zz.json", 400, "Invalid hash: zz"),
        (f"/rest/block/{h}.xml", 400, f"Invalid hash: {h}.xml"),
        (f"/rest/block/{h}", 404, every),
        (f"/rest/block/{unknown}.json", 404, f"{unknown} not found"),
        (f"/rest/block/notxdetails/{unknown}.bin", 404, f"{unknown} not found"),
        (f"/rest/block/notxdetails/{h[:-1]}.json", 400, f"Invalid hash: {h[:-1]}"),
        (f"/rest/tx/{unknown}.hex", 404, f"{unknown} not found"),
        (f"/rest/tx/{'g' * 64}.json", 400, f"Invalid hash: {'g' * 64}"),
        (f"/rest/tx/{h}", 404, every),
        (f"/rest/headers/0/{h}.json", 400, "Header count is invalid or out of acceptable range (1-2000): 0"),
        (f"/rest/headers/2001/{h}.json", 400, "Header count is invalid or out of acceptable range (1-2000): 2001"),
        (f"/rest/headers/{h}.json?count=abc", 400, "Header count is invalid or out of acceptable range (1-2000): abc"),
        (f"/rest/headers/{h}.json?count", 400, "URI parsing failed, it likely contained RFC 3986 invalid characters"),
        (f"/rest/headers/1/2/{h}.json", 400, "Invalid URI format. Expected /rest/headers/<hash>.<ext>?count=<count>"),
        ("/rest/headers/1/zz.json", 400, "Invalid hash: zz"),
        (f"/rest/headers/1/{h}.txt", 400, f"Invalid hash: {h}.txt"),
        ("/rest/blockhashbyheight/-1.json", 400, "Invalid height: -1"),
        ("/rest/blockhashbyheight/abc.json", 400, "Invalid height: abc"),
        ("/rest/blockhashbyheight/4294967296.json", 400, "Invalid height: 4294967296"),
        ("/rest/blockhashbyheight/100000.json", 404, "Block height out of range"),
        ("/rest/blockhashbyheight/1", 404, every),
        ("/rest/chaininfo.bin", 404, json_only),
        ("/rest/chaininfo", 404, json_only),
        ("/rest/chaininfo.xml", 404, json_only),
        ("/rest/mempool/info.hex", 404, json_only),
        ("/rest/mempool/contents", 404, json_only),
        ("/rest/mempool/foo.json", 400, "Invalid URI format. Expected /rest/mempool/<info|contents>.json"),
        ("/rest/mempool/contents.json?verbose=maybe", 400,
         'The "verbose" and "mempool_sequence" query parameters must be either "true" or "false".'),
        ("/rest/getutxos.json", 400, "Error: empty request"),
        ("/rest/getutxos/checkmempool.json", 400, "Error: empty request"),
        (f"/rest/getutxos/{h}.json", 400, "Parse error"),
        (f"/rest/getutxos/{h}-x.json", 400, "Parse error"),
        (f"/rest/getutxos/{h}-1-2.json", 400, "Parse error"),
        (f"/rest/getutxos/{h}--1.json", 400, "Parse error"),
        ("/rest/getutxos/zz-0.json", 400, "Parse error"),
        (f"/rest/getutxos/{h}-0/.json", 400, "Parse error"),
        (f"/rest/getutxos/{h}-0", 404, every),
        ("/rest/getutxos/" + "/".join(f"{h}-{i}" for i in range(16)) + ".json", 400,
         "Error: max outpoints exceeded (max: 15, tried: 16)"),
        ("/rest/asset/zz.json", 400, "Invalid asset id: zz"),
        (f"/rest/asset/{unknown}.json", 404, f"{unknown} not found"),
        (f"/rest/assethistory/{unknown}.json", 404, f"{unknown} not found"),
        (f"/rest/assetproof/{unknown}.json", 404, f"{unknown} not found in the block chain"),
        (f"/rest/asset/{unknown}.bin", 404, json_only),
        (f"/rest/assethistory/{unknown}.hex", 404, json_only),
        ("/rest/nothing.json", 404, "unknown REST endpoint"),
        ("/rest/", 404, "unknown REST endpoint"),
        ("/rest/chaininfoextra.json", 404, "unknown REST endpoint"),
    ]
    for path, status, reason in cases:
        refused(a, path, status, reason)
    # A quoted input is printable and short, whatever was sent.
    refused(a, "/rest/tx/%01%02" + "a" * 300 + ".json", 400, "Invalid hash: %01%02" + "a" * 90 + "...")
    for method in ("POST", "PUT", "DELETE"):
        r = refused(a, "/rest/chaininfo.json", 405, "REST answers GET and HEAD only", method)
        assert_equal(r.getheader("Allow"), "GET, HEAD")
    # Credentials are neither needed nor looked at: wrong ones change nothing.
    status, _, body, _ = get(a, "/rest/chaininfo.json", headers={"Authorization": "Basic d3Jvbmc6d3Jvbmc="})
    assert_equal((status, json.loads(body)), (200, a.getblockchaininfo()), "REST ignores Authorization")
    status, ctype, body, _ = get(a, "/rest/chaininfo.json", "HEAD")
    assert_equal((status, ctype, body), (200, "application/json", b""), "HEAD: the headers only")


def check_off(b, a):
    for path in ("/rest/chaininfo.json", f"/rest/block/{a.getbestblockhash()}.json", "/rest/nothing"):
        refused(b, path, 404, "REST is disabled (start cairnd with -rest)")
        refused(b, path, 404, "REST is disabled (start cairnd with -rest)", "POST")
    assert_equal(b.getblockcount(), 0, "its JSON-RPC works as before")
    # REST's paths never let an unauthenticated caller reach JSON-RPC.
    for node in (a, b):
        status, _, _, _ = get(node, "/", "POST")
        assert_equal(status, 401)


def test(nodes):
    a, b = nodes
    check_off(b, a)
    mine_to = a.getnewaddress()
    a.generatetoaddress(110, mine_to)
    check_chain(a)
    check_headers(a)
    check_blockhash(a)
    doc, asset_out = check_assets(a, mine_to)
    pay = a.sendtoaddress(a.getnewaddress(), 1)
    confirmed = a.getblock(a.getblockhash(5))["tx"][0]
    check_tx(a, pay, confirmed)
    check_mempool(a)
    check_getutxos(a, pay, asset_out)
    check_chain(a)
    check_refusals(a)
    assert_true("REST at GET /rest/" in a.log(), "the start-up line")


if __name__ == "__main__":
    run(test, num_nodes=2, extra_args=[["-rest"], []], timeout=240)
