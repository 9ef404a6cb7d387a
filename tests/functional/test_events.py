#!/usr/bin/env python3
"""The event stream, GET /events, read by a Python client over real HTTP:

- blocks, tips, mempool transactions (added, removed with the reason),
  asset steps and peers arrive with numbers that go up by one;
- a reorganisation (blocks handed over with submitblock, so each branch is
  built where the test says) reads: disconnect, the mempool's re-adds,
  then connect and the new tip, and the asset it unconfirmed comes back;
- a client that reconnects with Last-Event-ID gets every later event
  exactly once, in order; an id the buffer no longer holds (or from an
  earlier run) gets a `reset`; ?topics= filters, and an unknown topic is
  a 400 with the reason; the stream needs the RPC credentials;
- getblockchaininfo and getmempoolinfo carry the number of the last
  event their answer reflects;
- an idle stream gets keep-alive comments and outlives -rpcservertimeout;
  a client that stops reading is cut off once its unsent bytes pass
  -eventsclientbuffer, and the node's memory does not follow it."""
import hashlib
import http.client
import json
import queue
import re
import socket
import threading
import time

from framework import LOOPBACK, assert_equal, assert_in, assert_true, run, scaled, wait_until


class Stream:
    """An SSE client: a thread parses the stream into (id, event, data)
    tuples (comments as ("", ":", text)) on a queue."""

    def __init__(self, node, last_id=None, topics=None, auth=True):
        self.conn = http.client.HTTPConnection(LOOPBACK, node.rpc_port, timeout=scaled(60))
        headers = {"Authorization": node.rpc.auth} if auth else {}
        if last_id is not None:
            headers["Last-Event-ID"] = str(last_id)
        self.conn.request("GET", "/events" + (f"?topics={topics}" if topics else ""), headers=headers)
        self.sock = self.conn.sock  # getresponse() may let go of it
        self.resp = self.conn.getresponse()
        self.q = queue.Queue()
        if self.resp.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        ev = {}
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    break
                line = line.decode().rstrip("\n")
                if line.startswith(":"):
                    self.q.put(("", ":", line[1:].strip()))
                elif line == "":
                    if "event" in ev or "id" in ev:
                        self.q.put((ev.get("id", ""), ev.get("event", "message"), json.loads(ev.get("data", "null"))))
                    ev = {}
                else:
                    key, _, value = line.partition(": ")
                    ev[key] = value
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass  # AttributeError: http.client's answer to a read after close()
        self.q.put(None)

    def take(self, n, timeout=20, comments=False):
        """The next n events (comments skipped unless asked for)."""
        out, deadline = [], time.monotonic() + scaled(timeout)
        while len(out) < n:
            item = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            if item is None:
                raise AssertionError(f"stream ended after {out}")
            if item[1] == ":" and not comments:
                continue
            out.append(item)
        return out

    def until(self, pred, timeout=20):
        """Events up to and including the first that pred accepts."""
        out = []
        while not out or not pred(out[-1]):
            out += self.take(1, timeout)
        return out

    def quiet(self, seconds=0.5):
        """Asserts nothing but comments arrives for a while."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                item = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                return
            assert_true(item is not None and item[1] == ":", f"unexpected {item}")

    def close(self):
        # a shutdown wakes the reader thread: closing alone waits for its readline
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


def copy_blocks(src, dst, start, end):
    for h in range(start, end + 1):
        res = dst.submitblock(src.getblock(src.getblockhash(h), 0))
        assert_true(res in (None, "duplicate"), f"block {h}: {res}")


def numbered(events):
    """The ids go up by one, with no gaps."""
    ids = [int(e[0]) for e in events]
    assert_equal(ids, list(range(ids[0], ids[0] + len(ids))), "ids go up by one")
    for e in events:
        assert_equal(e[2]["seq"], int(e[0]), "data carries the id")


def check_basics(a, b, s):
    s.take(0)
    a_addr = a.getnewaddress()
    a.generatetoaddress(101, a_addr)
    got = s.until(lambda e: e[1] == "tip" and e[2]["height"] == 101)
    numbered(got)
    assert_equal([e[1] for e in got[:2]], ["block", "tip"])
    assert_equal(got[0][2]["action"], "connected")
    assert_equal(got[0][2]["height"], 1)
    assert_equal(got[0][2]["txs"], 1)
    assert_equal(len(got), 202)
    info = a.getblockchaininfo()
    assert_equal(info["sequence"], int(got[-1][0]), "the answer reflects the last event")
    assert_equal(a.getmempoolinfo()["sequence"], int(got[-1][0]))

    # peers come and go
    a.addnode(f"{LOOPBACK}:{b.p2p_port}", "onetry")
    (conn,) = s.until(lambda e: e[1] == "peer")
    assert_equal(conn[1:][1]["action"], "connected")
    assert_equal(conn[2]["connection_type"], "manual")
    wait_until(lambda: b.getblockcount() == 101, 30)
    a.disconnectnode(f"{LOOPBACK}:{b.p2p_port}")
    gone = s.until(lambda e: e[1] == "peer")[-1]
    assert_equal((gone[2]["action"], gone[2]["id"]), ("disconnected", conn[2]["id"]))
    wait_until(lambda: a.getconnectioncount() == 0 and b.getconnectioncount() == 0, 10)
    return a_addr


def check_reorg(a, b, s):
    fork = a.getblockcount()
    doc = hashlib.sha256(b"a deed on the losing branch").hexdigest()
    pay = a.sendtoaddress(a.getnewaddress(), 1)
    added = s.until(lambda e: e[1] == "tx")[-1]
    assert_equal((added[2]["action"], added[2]["txid"]), ("added", pay))
    reg = a.registerasset(doc, "deed")
    got = s.take(2)
    assert_equal([(e[1], e[2]["action"]) for e in got], [("tx", "added"), ("asset", "registered")])
    assert_equal((got[1][2]["asset"], got[1][2]["step"], got[1][2]["txid"]), (doc, "registration", reg))
    (a1,) = a.generatetoaddress(1, a.getnewaddress())
    got = s.until(lambda e: e[1] == "tip")
    kinds = [(e[1], e[2].get("action"), e[2].get("reason")) for e in got]
    assert_equal(kinds[0], ("block", "connected", None))
    assert_equal(kinds[-1], ("tip", None, None))
    assert_equal(sorted(kinds[1:-1]), sorted([("asset", "confirmed", None), ("tx", "removed", "block"),
                                              ("tx", "removed", "block")]))
    mark = int(got[-1][0])

    # b builds a longer branch without a's transactions; a takes it
    b_tips = b.generatetoaddress(2, b.getnewaddress())
    copy_blocks(b, a, fork + 1, fork + 2)
    assert_equal(a.getbestblockhash(), b_tips[-1])
    got = s.until(lambda e: e[1] == "tip" and e[2]["hash"] == b_tips[-1])
    numbered(got)
    order = [(e[1], e[2].get("action")) for e in got]
    assert_equal(order[:2], [("block", "disconnected"), ("asset", "unconfirmed")])
    assert_equal(got[0][2]["hash"], a1)
    readds = order[2:5]
    assert_equal(sorted(readds), sorted([("tx", "added"), ("tx", "added"), ("asset", "registered")]),
                 "the mempool's re-adds come between the disconnect and the connect")
    assert_equal({e[2]["txid"] for e in got[2:5] if e[1] == "tx"}, {pay, reg})
    assert_equal(order[5:], [("block", "connected"), ("block", "connected"), ("tip", None)])
    assert_equal([e[2]["hash"] for e in got[5:7]], b_tips)
    assert_equal(a.getblockchaininfo()["sequence"], int(got[-1][0]))
    return mark, got


def check_resume(a, mark, seen):
    # every event after mark, exactly once, in order
    r = Stream(a, last_id=mark)
    replay = r.take(len(seen))
    assert_equal(replay, seen)
    r.quiet()
    # a later event reaches both
    (h,) = a.generatetoaddress(1, a.getnewaddress())
    assert_equal(r.until(lambda e: e[1] == "tip")[-1][2]["hash"], h)
    r.close()
    # the newest id: nothing to replay
    last = a.getblockchaininfo()["sequence"]
    r = Stream(a, last_id=last)
    r.quiet()
    r.close()
    # an id from before this run, or not a number: reset
    for bad in (5, "abc", last + 100):
        r = Stream(a, last_id=bad)
        (reset,) = r.take(1)
        assert_equal(reset[1], "reset")
        assert_equal(reset[2]["seq"], last)
        r.close()


def check_topics_and_auth(a):
    r = Stream(a, topics="tip,asset")
    a.generatetoaddress(2, a.getnewaddress())
    got = r.take(2)
    assert_equal([e[1] for e in got], ["tip", "tip"])
    r.close()
    bad = Stream(a, topics="tip,nosuch")
    assert_equal(bad.resp.status, 400)
    assert_in(b"unknown topic 'nosuch'", bad.resp.read())
    bad.close()
    anon = Stream(a, auth=False)
    assert_equal(anon.resp.status, 401)
    anon.close()


def check_keepalive(b):
    # -eventskeepalive=200 and -rpcservertimeout=1 on b: idle for 3 s
    s = Stream(b)
    t = time.monotonic()
    comments = [e for e in s.take(8, timeout=10, comments=True) if e[1] == ":"]
    assert_true(len(comments) >= 8 and time.monotonic() - t >= 1.4, "keep-alive comments while idle")
    time.sleep(scaled(3))
    (h,) = b.generatetoaddress(1, b.getnewaddress())
    assert_equal(s.until(lambda e: e[1] == "tip")[-1][2]["hash"], h, "the stream outlived the timeout")
    s.close()


def check_slow_client(b):
    # a client that sends its request and never reads, with a small receive buffer
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((LOOPBACK, b.rpc_port))
    sock.sendall(f"GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: {b.rpc.auth}\r\n\r\n".encode())
    time.sleep(0.3)
    # in calls of 100 blocks: b answers within -rpcservertimeout=1 even
    # on a sanitizer build
    addr = b.getnewaddress()
    for _ in range(50):
        b.generatetoaddress(100, addr)
    wait_until(lambda: "cut off" in b.log(), 20, msg="the slow client was never cut off")
    unread = int(re.search(r"event stream to \S+ cut off: (\d+) bytes unread", b.log()).group(1))
    assert_true(unread <= 65536, f"cut off only at {unread} unread bytes")
    # the node goes on serving everyone else
    fresh = Stream(b, topics="tip")
    (h,) = b.generatetoaddress(1, b.getnewaddress())
    assert_equal(fresh.until(lambda e: e[1] == "tip")[-1][2]["hash"], h)
    fresh.close()
    sock.close()


def test(nodes):
    a, b = nodes
    s = Stream(a)
    assert_equal(s.resp.getheader("Content-Type"), "text/event-stream")
    check_basics(a, b, s)
    mark, seen = check_reorg(a, b, s)
    check_resume(a, mark, seen)
    s.close()
    check_topics_and_auth(a)
    check_keepalive(b)
    check_slow_client(b)


if __name__ == "__main__":
    # b makes no connections of its own: every peer event on a is one the test made
    run(test, num_nodes=2, extra_args=[[], ["-connect=0", "-listen=1", "-eventskeepalive=200", "-rpcservertimeout=1",
                                            "-eventsclientbuffer=65536"]], timeout=240)
