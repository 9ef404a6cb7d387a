#!/usr/bin/env python3
"""Hashed RPC credentials and method whitelists, as Bitcoin Core has them:
-rpcauth lines made by tools/rpcauth.py (and Core's own test vector) log
in beside the cookie and -rpcuser; a wrong password is 401; -rpcwhitelist
limits a user to its methods (two entries for one user: the methods in
both), answering 403 for a single call or a batch with one method outside
it; with a whitelist given, users without one may call nothing unless
-rpcwhitelistdefault=0; a malformed -rpcauth stops the start with a reason."""
import base64
import http.client
import json
import os
import subprocess
import sys

from framework import ROOT, assert_equal, assert_in, assert_true, free_port, run, run_cairnd, scaled

TOOL = os.path.join(ROOT, "tools", "rpcauth.py")
# Bitcoin Core's rpc_users.py vector
RT_LINE = "rt:93648e835a54c573682c2eb19f882535$7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144"
RT_PASS = "cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM="


def make(user, password=None):
    out = subprocess.run([sys.executable, TOOL, user, "--json"] + ([password] if password else []),
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


ALICE = make("alice")
BOB = make("bob", "bob's password: with a colon")


def post(node, user, password, body):
    c = http.client.HTTPConnection("127.0.0.1", node.rpc_port, timeout=scaled(30))
    auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    try:
        c.request("POST", "/", json.dumps(body), {"Authorization": auth})
        r = c.getresponse()
        data = r.read()
        return r.status, json.loads(data) if data else None
    finally:
        c.close()


def call(method, i=1):
    return {"jsonrpc": "2.0", "id": i, "method": method, "params": []}


def check_logins(node):
    for user, password in (("alice", ALICE["password"]), ("bob", BOB["password"]), ("rt", RT_PASS)):
        status, reply = post(node, user, password, call("getblockcount"))
        assert_equal((status, reply["result"]), (200, 0), user)
    for user, password in (("alice", ALICE["password"] + "x"), ("alice", BOB["password"]), ("carol", RT_PASS),
                           ("rt", "")):
        assert_equal(post(node, user, password, call("getblockcount"))[0], 401, f"{user}:{password}")
    assert_equal(node.getblockcount(), 0, "the cookie still works beside -rpcauth")


def check_whitelists(node):
    bob = ("bob", BOB["password"])
    assert_equal(post(node, *bob, call("getblockcount"))[0], 200)
    # in the first whitelist entry only: not in the intersection
    assert_equal(post(node, *bob, call("getbestblockhash"))[0], 403)
    assert_equal(post(node, *bob, call("stop"))[0], 403)
    assert_equal(post(node, *bob, [call("getblockcount", 1), call("stop", 2)])[0], 403)
    status, replies = post(node, *bob, [call("getblockcount", 1), call("getblockcount", 2)])
    assert_equal((status, [r["result"] for r in replies]), (200, [0, 0]))
    assert_in("RPC user bob from 127.0.0.1 not allowed to call method stop", node.log())
    # a user without a whitelist: everything, since -rpcwhitelistdefault=0
    assert_equal(post(node, "alice", ALICE["password"], call("getbestblockhash"))[0], 200)


def check_default_deny(node):
    # no -rpcwhitelistdefault: a whitelist given denies users without one
    status, _ = post(node, "alice", ALICE["password"], call("getblockcount"))
    assert_equal(status, 403)
    assert_equal(post(node, "bob", BOB["password"], call("getblockcount"))[0], 200)
    assert_equal(node.getblockcount(), 0, "the cookie user is whitelisted for what the tests call")


def check_bad_lines(datadir):
    for line in ("alice", "alice:salt", "alice:salt$12", "alice:a:b$" + "0" * 64, "alice:s$" + "g" * 64):
        code, _, err = run_cairnd(["-regtest", f"-datadir={datadir}", f"-rpcport={free_port()}",
                                   f"-port={free_port()}", "-bind=127.0.0.1", f"-rpcauth={line}"])
        assert_true(code != 0, f"started with -rpcauth={line}")
        assert_in("invalid -rpcauth", err, line)


def test(nodes):
    lenient, strict = nodes
    check_logins(lenient)
    check_whitelists(lenient)
    check_default_deny(strict)
    datadir = os.path.join(os.path.dirname(lenient.datadir), "bad-rpcauth")
    os.makedirs(datadir)
    check_bad_lines(datadir)


if __name__ == "__main__":
    auth = [f"-rpcauth={ALICE['rpcauth']}", f"-rpcauth={BOB['rpcauth']}", f"-rpcauth={RT_LINE}"]
    lists = ["-rpcwhitelist=bob:getblockcount,getbestblockhash", "-rpcwhitelist=bob:getblockcount stop"]
    cookie = ["-rpcwhitelist=__cookie__:getblockcount,stop"]
    run(test, num_nodes=2, extra_args=[auth + lists + ["-rpcwhitelistdefault=0"], auth + lists + cookie])
