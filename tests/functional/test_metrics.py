#!/usr/bin/env python3
"""GET /metrics, Prometheus's text format, on a node started with -metrics:

- after some work (blocks mined, a payment, an asset registered, a ban,
  a peer, RPC calls) every series agrees with the RPC's answer for the
  same thing: getblockcount, getblockchaininfo, getmempoolinfo,
  getbalances, getconnectioncount, getnettotals, listbanned, the number
  of calls the test made;
- `promtool check metrics` accepts the text;
- a real Prometheus server on 127.0.0.1 scrapes the node every second and
  answers a query for the chain's height with getblockcount's answer;
- bound to loopback only, no credentials are needed; with a listener on
  a non-loopback address (0.0.0.0) the page needs them (401 without);
- without -metrics the page is a 404."""
import hashlib
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse

import framework
from framework import LOOPBACK, TestFailure, assert_equal, assert_true, free_port, run, scaled, wait_until

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def fetch(port, auth=None, path="/metrics"):
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=scaled(30))
    try:
        conn.request("GET", path, headers={"Authorization": auth} if auth else {})
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type"), r.read().decode()
    finally:
        conn.close()


def parse(text):
    """{(name, frozenset(labels)): float}, and the TYPE of each family."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert_true(m, f"not a sample line: {line!r}")
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples, types


def value(samples, name, **labels):
    key = (name, frozenset(labels.items()))
    if key not in samples:
        raise TestFailure(f"no sample {name}{labels}")
    return samples[key]


def scrape(node):
    status, ctype, text = fetch(node.rpc_port)
    assert_equal(status, 200, text)
    assert_true(ctype.startswith("text/plain; version=0.0.4"), ctype)
    return text


def check_promtool(text):
    promtool = shutil.which("promtool")
    assert_true(promtool, "promtool not found (Debian package prometheus; tools/deps.sh installs it)")
    p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True,
                       timeout=scaled(60))
    assert_equal(p.returncode, 0, f"promtool: {p.stdout}{p.stderr}")


def check_values(a, text, before, calls):
    s, types = parse(text)
    info = a.getblockchaininfo()
    assert_equal(value(s, "cairn_chain_height"), a.getblockcount())
    assert_equal(value(s, "cairn_chain_header_height"), info["headers"])
    assert_equal(value(s, "cairn_chain_verification_progress"), info["verificationprogress"])
    mp = a.getmempoolinfo()
    assert_equal(value(s, "cairn_mempool_transactions"), mp["size"])
    assert_true(mp["size"] >= 1, "the payment is in the mempool")
    assert_equal(value(s, "cairn_mempool_bytes"), mp["bytes"])
    assert_equal(value(s, "cairn_mempool_fees_crn"), float(mp["total_fee"]))
    bal = a.getbalances()["mine"]
    for state in ("trusted", "untrusted_pending", "immature"):
        assert_equal(value(s, "cairn_wallet_balance_crn", wallet=a.listwallets()[0], state=state), float(bal[state]),
                     state)
    assert_equal(value(s, "cairn_peers", direction="inbound"), 1)
    assert_equal(value(s, "cairn_peers", direction="outbound"), 0)
    assert_equal(a.getconnectioncount(), 1)
    assert_equal(value(s, "cairn_banned_addresses"), len(a.listbanned()))
    assert_equal(value(s, "cairn_banned_addresses"), 1)
    tot = a.getnettotals()
    sent = sum(v for (n, _), v in s.items() if n == "cairn_p2p_sent_bytes_total")
    recv = sum(v for (n, _), v in s.items() if n == "cairn_p2p_received_bytes_total")
    assert_true(0 < sent <= tot["totalbytessent"], f"{sent} vs {tot}")
    assert_true(0 < recv <= tot["totalbytesrecv"], f"{recv} vs {tot}")
    assert_true(value(s, "cairn_p2p_received_messages_total", message="version") == 1, "one version received")
    assert_true(value(s, "cairn_p2p_sent_messages_total", message="verack") == 1, "one verack sent")
    # Exactly the calls the test made between the scrapes (a scrape is no
    # RPC call).
    for name, extra in (("cairn_rpc_requests_total", {}), ("cairn_rpc_request_duration_seconds_count", {}),
                        ("cairn_rpc_request_duration_seconds_bucket", {"le": "+Inf"})):
        key = (name, frozenset(dict(method="getblockcount", **extra).items()))
        assert_equal(s[key] - before.get(key, 0), calls, name)
    assert_equal(types["cairn_rpc_request_duration_seconds"], "histogram")
    assert_true(value(s, "cairn_block_connect_duration_seconds_count") >= 102, "every block mined was timed")
    assert_true(value(s, "cairn_block_connect_duration_seconds_sum") > 0, "connect time")
    assert_true(value(s, "cairn_signature_check_duration_seconds_count") >= 2, "the payment's and its block's")
    # The payment's signatures were checked on entry and cached, so its
    # block found them there.
    assert_true(value(s, "cairn_sigcache_hits_total") >= 1, "a cache hit")
    assert_true(value(s, "cairn_sigcache_misses_total") >= 1, "a cache miss")
    assert_equal(value(s, "cairn_assets"), 1)
    assert_true(value(s, "cairn_leveldb_size_bytes") > 0, "database on disk")
    assert_equal(value(s, "cairn_event_stream_clients"), 0)
    assert_equal(types["cairn_sigcache_hits_total"], "counter")
    assert_equal(types["cairn_chain_height"], "gauge")
    for name in types:
        assert_true(name.startswith("cairn_"), name)


def start_prometheus(tmp, target_port):
    prometheus = shutil.which("prometheus")
    assert_true(prometheus, "prometheus not found (Debian package prometheus; tools/deps.sh installs it)")
    port = free_port()
    cfg = os.path.join(tmp, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: cairn\n"
                f"    static_configs:\n      - targets: ['{LOOPBACK}:{target_port}']\n")
    log = open(os.path.join(tmp, "prometheus.log"), "w")
    p = subprocess.Popen([prometheus, f"--config.file={cfg}", f"--storage.tsdb.path={os.path.join(tmp, 'data')}",
                          f"--web.listen-address={LOOPBACK}:{port}"],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                         preexec_fn=framework._die_with_parent)
    log.close()
    return p, port


def prom_query(port, expr):
    try:
        status, _, body = fetch(port, path="/api/v1/query?query=" + urllib.parse.quote(expr))
    except OSError:
        return None
    if status != 200:
        return None
    res = json.loads(body)["data"]["result"]
    return res[0]["value"][1] if res else None


def check_prometheus(a):
    tmp = tempfile.mkdtemp(prefix="cairn-prom-")
    p, port = start_prometheus(tmp, a.rpc_port)
    try:
        got = []
        wait_until(lambda: got.append(prom_query(port, "cairn_chain_height")) or got[-1] is not None,
                   timeout=60, interval=0.5, msg="prometheus never scraped the node")
        assert_equal(int(got[-1]), a.getblockcount())
        up = prom_query(port, 'up{job="cairn"}')
        assert_equal(up, "1")
    except BaseException:
        with open(os.path.join(tmp, "prometheus.log")) as f:
            print(f.read()[-4000:])
        raise
    finally:
        p.terminate()
        try:
            p.wait(timeout=scaled(20))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def check_auth_rule(a):
    """A listener on 0.0.0.0 as well: the page needs credentials."""
    port = free_port()
    a.stop()
    a.start(extra_args=["-metrics", f"-rpcbind=0.0.0.0:{port}"])
    for p in (a.rpc_port, port):
        status, _, _ = fetch(p)
        assert_equal(status, 401, f"port {p}")
        status, _, text = fetch(p, auth=a.proxy().auth)
        assert_equal(status, 200, f"port {p}")
        assert_true("cairn_chain_height " in text, "a scrape")
    a.stop()
    a.start(extra_args=[])
    status, _, text = fetch(a.rpc_port)
    assert_equal(status, 404, text)
    status, _, text = fetch(a.rpc_port, auth=a.proxy().auth)
    assert_equal(status, 404, text)


def test(nodes):
    a, b = nodes
    a.generatetoaddress(101, a.getnewaddress())
    b.addnode(f"{LOOPBACK}:{a.p2p_port}", "onetry")
    wait_until(lambda: a.getconnectioncount() == 1 and b.getconnectioncount() == 1, msg="peers")
    wait_until(lambda: b.getblockcount() == a.getblockcount(), timeout=30, msg="sync")
    a.registerasset(hashlib.sha256(b"a metrics deed").hexdigest(), "deed")
    a.generatetoaddress(1, a.getnewaddress())
    a.sendtoaddress(a.getnewaddress(), 1)
    a.setban("10.1.2.3", "add")
    before, _ = parse(scrape(a))
    calls = 5
    for _ in range(calls):
        a.getblockcount()
    text = scrape(a)
    check_values(a, text, before, calls)
    check_promtool(text)
    # No credentials needed: the node listens on 127.0.0.1 only.
    check_prometheus(a)
    check_auth_rule(a)


if __name__ == "__main__":
    run(test, num_nodes=2, extra_args=[["-metrics"], []], timeout=240)
