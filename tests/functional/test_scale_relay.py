"""The scale harness's delay relay (tests/scale/relay.c, BUILD/relay): a
round trip through it takes twice the one-way delay, a fixed delay per
connection and direction drawn from [delay - jitter, delay + jitter], bytes
arrive intact and in order however much is sent (past the relay's buffer
cap), --rate-kbit caps a node's throughput, and two cairnd nodes that
announce the relay's addresses connect through it, see each other at the
announced addresses and measure a ping time of twice the delay."""
import os
import socket
import sys
import threading
import time

from framework import BUILD, CAIRND, ROOT, Cluster, assert_equal, assert_true, run, scaled, wait_until

sys.path.insert(0, os.path.join(ROOT, "tests", "scale"))
import delay  # noqa: E402

# scheduling noise on a loaded machine only ever adds time
SLACK = scaled(0.08)


def free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Echo:
    """A TCP server on host:port that sends back everything it reads."""

    def __init__(self, host, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.peers = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, addr = self.sock.accept()
            except OSError:
                return
            self.peers.append(addr[0])
            threading.Thread(target=self.echo, args=(c,), daemon=True).start()

    @staticmethod
    def echo(c):
        with c:
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while True:
                data = c.recv(65536)
                if not data:
                    return
                c.sendall(data)

    def close(self):
        self.sock.close()


def dial(host, port):
    s = socket.create_connection((host, port), timeout=scaled(20))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def rtt(s, payload=b"ping"):
    t = time.monotonic()
    s.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = s.recv(65536)
        assert_true(chunk, "the relay closed the connection")
        got += chunk
    assert_equal(got, payload)
    return time.monotonic() - t


def exchange(s, data):
    """Sends data while reading the echo back; returns (echo, seconds)."""
    t = time.monotonic()
    got = bytearray()
    sender = threading.Thread(target=s.sendall, args=(data,))
    sender.start()
    while len(got) < len(data):
        chunk = s.recv(1 << 20)
        assert_true(chunk, f"closed after {len(got)} of {len(data)} bytes")
        got += chunk
    sender.join()
    return bytes(got), time.monotonic() - t


def with_relay(links, tmp, fn, **opts):
    r = delay.Relay(BUILD, tmp, links, opts.get("delay_ms", 50), opts.get("jitter_ms", 0),
                    opts.get("rate_kbit", 0))
    r.args += ["--max-buffer", str(opts.get("max_buffer", 65536))]
    r.start()
    try:
        return fn(r)
    finally:
        r.stop()


def echo_checks(tmp):
    pub, priv = "127.0.0.1", "127.31.0.1"
    port = free_port(priv)
    echo = Echo(priv, port)
    try:
        links = [(pub, priv, port)]

        def fixed(r):
            s = dial(pub, port)
            times = [rtt(s) for _ in range(5)]
            assert_true(0.099 <= min(times) and max(times) <= 0.1 + SLACK, f"round trips {times}")
            # 4 MiB of every byte value through a 64 KiB cap: intact, in order
            data = os.urandom(1 << 16) * 64
            back, secs = exchange(s, data)
            assert_true(back == data, "bytes changed on the way")
            s.close()
            # the relay dials from where it was dialed when that is no node's
            assert_equal(echo.peers[-1], "127.0.0.1")
            return times, secs
        times, secs = with_relay(links, tmp, fixed)
        print(f"50 ms each way: round trips {[round(t * 1000, 1) for t in times]} ms; "
              f"4 MiB echoed in {secs:.2f} s")

        def jittered(r):
            per_conn = []
            for _ in range(8):
                s = dial(pub, port)
                t = [rtt(s) for _ in range(3)]
                s.close()
                # one delay per connection and direction: its round trips agree
                assert_true(max(t) - min(t) <= SLACK, f"round trips of one connection {t}")
                assert_true(0.06 <= min(t) and max(t) <= 0.14 + SLACK, f"round trips {t}")
                per_conn.append(min(t))
            assert_true(max(per_conn) - min(per_conn) > 0.004, f"no jitter between connections: {per_conn}")
            return per_conn
        per_conn = with_relay(links, tmp, jittered, jitter_ms=20)
        print(f"50 ± 20 ms: round trips of 8 connections {sorted(round(t * 1000, 1) for t in per_conn)} ms")

        def capped(r):
            s = dial(pub, port)
            back, secs = exchange(s, b"x" * 400_000)
            s.close()
            return secs
        secs = with_relay(links, tmp, capped, delay_ms=0, rate_kbit=8000)
        # 1 MB/s each way for the node, a 0.1 s burst: 400 kB take 0.3 s at least
        assert_true(secs >= 0.28, f"400 kB at 8,000 kbit/s took {secs:.3f} s")
        print(f"8,000 kbit/s: 400 kB echoed in {secs:.2f} s")
    finally:
        echo.close()


def node_checks(tmp):
    """Two nodes bound to private addresses, announcing public ones."""
    pubs = ["127.32.1.1", "127.32.2.1"]
    port = free_port(delay.private_of(pubs[0]))
    links = [(h, delay.private_of(h), port) for h in pubs]

    def nodes_through(r):
        with Cluster(2, start=False) as nodes:
            for nd, h in zip(nodes, pubs):
                args = [CAIRND, "-regtest", f"-datadir={nd.datadir}", "-printtoconsole=0",
                        f"-bind={delay.private_of(h)}", f"-port={port}", f"-externalip={h}",
                        "-rpcbind=127.0.0.1", f"-rpcport={nd.rpc_port}"]
                nd.args = lambda extra_args=None, ports=True, a=args: a
                nd.start()
            nodes[1].addnode(f"{pubs[0]}:{port}", "onetry")
            wait_until(lambda: all(p.get("pingtime") for nd in nodes for p in nd.getpeerinfo()) and
                       all(nd.getpeerinfo() for nd in nodes), 30)
            out, inb = nodes[1].getpeerinfo()[0], nodes[0].getpeerinfo()[0]
            assert_equal(out["addr"], f"{pubs[0]}:{port}")
            # the inbound side sees the dialer at its public address
            assert_equal(inb["addr"].rsplit(":", 1)[0], pubs[1])
            pings = [p["pingtime"] for p in (out, inb)]
            assert_true(all(0.099 <= t <= 0.1 + SLACK for t in pings), f"ping times {pings}")
            h = nodes[0].generatetoaddress(1, nodes[0].address())[0]
            wait_until(lambda: nodes[1].getbestblockhash() == h, 30)
            return pings
    pings = with_relay(links, tmp, nodes_through)
    print(f"two nodes through the relay, 50 ms each way: ping times {pings} s")


def test(nodes):
    assert_true(os.access(os.path.join(BUILD, "relay"), os.X_OK), f"no {BUILD}/relay: make {BUILD}/relay")
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        echo_checks(tmp)
        node_checks(tmp)


if __name__ == "__main__":
    run(test, num_nodes=0)
