#!/usr/bin/env python3
"""The JSON-RPC server over real HTTP: authentication, HTTP statuses, the
2.0 and 1.0 reply shapes, batches, notifications, the standard error codes,
named params, help, the body size limit, keep-alive, and -rpcuser mode."""
import base64
import http.client
import json
import os
import socket

from framework import (RPCError, RPCProxy, assert_equal, assert_in, assert_raises_rpc, assert_true,
                       run, scaled)

MAX_BODY = 32 * 1024 * 1024

# Every method the node has today; areas added later only extend the list.
KNOWN_METHODS = {
    "getbestblockhash", "getblock", "getblockchaininfo", "getblockcount", "getblockhash",
    "getblockheader", "getchaintips", "getdifficulty", "invalidateblock", "reconsiderblock",
    "help", "stop", "uptime", "generatetoaddress", "getmininginfo", "submitblock",
    "validateaddress",
}


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def raw(node, body, method="POST", auth=True, headers=None):
    """One request on a fresh connection: (status, headers, body bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", node.rpc_port, timeout=scaled(30))
    h = dict(headers or {})
    if auth is True:
        h["Authorization"] = node.rpc.auth
    elif auth:
        h["Authorization"] = auth
    try:
        c.request(method, "/", body, h)
        r = c.getresponse()
        return r.status, r.headers, r.read()
    finally:
        c.close()


def check_unauthorized(node):
    for auth in (False, basic("__cookie__", "wrong"), basic("nobody", node.credentials()[1]),
                 "Basic !!!notbase64", "Bearer abc"):
        status, headers, body = raw(node, '{"jsonrpc":"2.0","id":1,"method":"getblockcount"}', auth=auth)
        assert_equal(status, 401, f"auth {auth!r}")
        assert_equal(body, b"", "a 401 says nothing more")
        assert_equal(headers.get("WWW-Authenticate"), 'Basic realm="jsonrpc"')


def check_http(node):
    status, headers, body = raw(node, None, method="GET")
    assert_equal(status, 405)
    assert_equal(headers.get("Allow"), "POST")
    status, _, _ = raw(node, "{}", method="PUT")
    assert_equal(status, 405)


def check_reply_shapes(node):
    # JSON-RPC 2.0: jsonrpc, result, id; no error member.
    status, headers, body = raw(node, '{"jsonrpc":"2.0","id":"abc","method":"getblockcount","params":[]}')
    assert_equal(status, 200)
    assert_in("application/json", headers.get("Content-Type"))
    assert_equal(json.loads(body), {"jsonrpc": "2.0", "result": 0, "id": "abc"})
    status, _, body = raw(node, '{"jsonrpc":"2.0","id":7,"method":"nosuch","params":[]}')
    assert_equal(status, 200, "2.0 errors travel in the body only")
    reply = json.loads(body)
    assert_equal(set(reply), {"jsonrpc", "error", "id"})
    assert_equal(reply["error"]["code"], -32601)
    assert_equal(reply["id"], 7)

    # 1.0 style (what bitcoin-cli sends): result and error both present.
    status, _, body = raw(node, '{"method":"getblockcount","params":[],"id":1}')
    assert_equal(status, 200)
    assert_equal(json.loads(body), {"result": 0, "error": None, "id": 1})
    status, _, body = raw(node, '{"jsonrpc":"1.0","method":"getblockhash","params":[99],"id":2}')
    assert_equal(status, 500, "1.0 errors also set the HTTP status")
    reply = json.loads(body)
    assert_equal(reply["result"], None)
    assert_equal(reply["error"]["code"], -8)
    status, _, body = raw(node, '{"method":"nosuch","params":[],"id":3}')
    assert_equal(status, 404)
    assert_equal(json.loads(body)["error"]["code"], -32601)


def check_batch_and_notification(node, addr):
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "getblockcount", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "nosuchmethod", "params": []},
        {"jsonrpc": "2.0", "id": 3, "method": "getblockhash", "params": [0]},
    ]
    status, _, body = raw(node, json.dumps(batch))
    assert_equal(status, 200)
    replies = json.loads(body)
    assert_equal([r["id"] for r in replies], [1, 2, 3], "replies in request order")
    assert_equal(replies[0]["result"], node.getblockcount())
    assert_equal(replies[1]["error"]["code"], -32601)
    assert_true("result" not in replies[1])
    assert_equal(replies[2]["result"], node.getblockhash(0))

    # A notification runs but gets no answer.
    before = node.getblockcount()
    status, _, body = raw(node, json.dumps({"jsonrpc": "2.0", "method": "generatetoaddress",
                                            "params": [1, addr]}))
    assert_equal(status, 204)
    assert_equal(body, b"")
    assert_equal(node.getblockcount(), before + 1, "the notification ran")
    # Notifications are left out of a batch's answer.
    batch = [{"jsonrpc": "2.0", "method": "getblockcount"},
             {"jsonrpc": "2.0", "id": 9, "method": "getblockcount"}]
    status, _, body = raw(node, json.dumps(batch))
    assert_equal(status, 200)
    assert_equal(json.loads(body), [{"jsonrpc": "2.0", "result": before + 1, "id": 9}])
    status, _, body = raw(node, json.dumps(batch[:1]))
    assert_equal(status, 204)


def error_of(node, body):
    status, _, data = raw(node, body)
    reply = json.loads(data)
    return status, reply["error"]["code"], reply["error"]["message"]


def check_errors(node):
    status, code, _ = error_of(node, '{"jsonrpc":"2.0","id":1,"method":"getblockcount"')
    assert_equal((status, code), (500, -32700))
    status, code, _ = error_of(node, '{"jsonrpc":"2.0","id":1,"method":"getblockcount"} trailing')
    assert_equal(code, -32700)
    for bad in ('5', '"getblockcount"', '[]', '{"jsonrpc":"2.0","id":1,"method":5}',
                '{"jsonrpc":"2.0","id":1}', '{"jsonrpc":"2.0","id":1,"method":"getblockcount","params":5}'):
        _, code, _ = error_of(node, bad)
        assert_equal(code, -32600, bad)

    assert_raises_rpc(-32601, node.call, "nosuchmethod")
    e = assert_raises_rpc(-32602, node.call, "getblockcount", 1)
    assert_in("getblockcount", e.message, "the message shows the usage")
    assert_raises_rpc(-32602, node.call, "getblockhash")
    assert_raises_rpc(-32602, node.call, "getblockhash", 0, 1)
    assert_raises_rpc(-8, node.getblockhash, -1)
    assert_raises_rpc(-8, node.getblockhash, 1000000)
    assert_raises_rpc(-3, node.getblockhash, "zero")
    assert_raises_rpc(-8, node.getblockhash, 1.5)
    assert_raises_rpc(-8, node.getblock, "00" * 31)
    assert_raises_rpc(-5, node.getblock, "00" * 32)


def check_named(node):
    h0 = node.getblockhash(0)
    assert_equal(node.call("getblockhash", height=0), h0)
    assert_equal(node.call("getblock", blockhash=h0, verbosity=0), node.getblock(h0, 0))
    assert_equal(node.call("getblock", blockhash=h0), node.getblock(h0))
    assert_equal(node.call("getblockheader", verbose=False, blockhash=h0), node.getblockheader(h0, False))
    assert_raises_rpc(-8, node.call, "getblockhash", heigth=0)
    assert_raises_rpc(-8, node.call, "getblock", verbosity=1, message="blockhash")


def check_help(node):
    text = node.help()
    listed = set()
    for line in text.splitlines():
        if line and not line.startswith("=="):
            listed.add(line.split()[0])
    missing = KNOWN_METHODS - listed
    assert_equal(missing, set(), "methods missing from help")
    for name in sorted(listed):
        one = node.help(name)
        assert_true(one.startswith(name), f"help {name} starts with its usage: {one[:60]!r}")
        assert_true(len(one.splitlines()) >= 3, f"help {name} describes it")
    one = node.help("getblock")
    assert_equal(one.splitlines()[0], "getblock blockhash [verbosity]")
    assert_in("verbosity", one)
    assert_raises_rpc(-8, node.help, "nosuchmethod")


def check_body_limit(node):
    # Announced size over the limit: refused before a byte of body is read.
    status, _, _ = raw(node, None, headers={"Content-Length": str(MAX_BODY + 1)})
    assert_equal(status, 413)
    # Exactly at the limit: served.
    req = b'{"jsonrpc":"2.0","id":1,"method":"getblockcount"}'
    status, _, body = raw(node, req + b" " * (MAX_BODY - len(req)))
    assert_equal(status, 200)
    assert_equal(json.loads(body)["result"], node.getblockcount())
    # Chunked without a length: cut off once it passes the limit.
    s = socket.create_connection(("127.0.0.1", node.rpc_port), timeout=scaled(30))
    try:
        s.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: {node.rpc.auth}\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n".encode())
        chunk = b"%x\r\n" % (1 << 20) + b" " * (1 << 20) + b"\r\n"
        try:
            for _ in range(MAX_BODY // (1 << 20) + 4):
                s.sendall(chunk)
            s.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server stopped reading: expected
        try:
            head = s.recv(64)
        except OSError:
            head = b""  # reset before the answer could be read
        assert_true(head == b"" or head.startswith(b"HTTP/1.1 413"), f"chunked oversize answered {head!r}")
    finally:
        s.close()
    assert_equal(node.getblockcount(), node.getblockcount(), "still serving")


def check_keepalive(node):
    p = node.proxy()
    try:
        p.getblockcount()
        sock = p.conn.sock
        for i in range(100):
            assert_equal(p.getblockhash(0), node.getblockhash(0))
            assert_true(p.conn.sock is sock, f"connection replaced at request {i}")
    finally:
        p.close()


def check_userpass(node):
    assert_true(not os.path.exists(node.path(".cookie")), "no cookie with -rpcpassword")
    p = RPCProxy(node.rpc_port, "u", "p")
    assert_equal(p.getblockcount(), 0)
    p.close()
    assert_equal(raw(node, '{"method":"getblockcount","id":1}', auth=basic("u", "x"))[0], 401)
    assert_equal(raw(node, '{"method":"getblockcount","id":1}', auth=basic("__cookie__", "p"))[0], 401)
    assert_equal(node.cli("getblockcount", options=["-rpcuser=u", "-rpcpassword=p"])[:2], (0, "0\n"))


def test(nodes):
    node, up = nodes
    assert_true(os.path.exists(node.path(".cookie")))
    with open(node.path(".cookie")) as f:
        user, _, password = f.read().strip().partition(":")
    assert_equal(user, "__cookie__")
    assert_equal(len(password), 64)
    assert_equal(os.stat(node.path(".cookie")).st_mode & 0o777, 0o600)

    check_unauthorized(node)
    check_http(node)
    check_reply_shapes(node)
    check_batch_and_notification(node, node.address())
    check_errors(node)
    check_named(node)
    check_help(node)
    check_body_limit(node)
    check_keepalive(node)
    check_userpass(up)
    try:
        RPCProxy(up.rpc_port, "u", "wrong").getblockcount()
        raise AssertionError("wrong password accepted")
    except RPCError as e:
        assert_equal(e.code, -401)


if __name__ == "__main__":
    run(test, num_nodes=2, extra_args=[[], ["-rpcuser=u", "-rpcpassword=p"]])
