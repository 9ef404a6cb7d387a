"""The late joiner phase of the scale harness (tests/scale/scale.py,
docs/scale.md): a newcomer syncs the mesh's chain from many peers while
serving what it already has to a second newcomer.

1. The chain is brought to at least `target` blocks (2,000): the mesh
   starts on the template chain, and whatever is missing is mined on one
   node in chunks and relayed by the mesh to every node.
2. Node B, the second newcomer, starts on an empty data directory and
   opens no connection of its own (-connect=0): whatever it gets, it gets
   from A.
3. Node A starts on an empty data directory knowing one address only,
   `-seednode` of a random live node (the formation phase's seed is gone),
   as a newcomer would: every other peer it finds through address relay.
   B is its added node (-addnode), so the link between the two is up
   before A's download starts: 2,000 blocks of a few hundred bytes come
   within a fraction of a second on loopback, and a B that dialled A once
   A answered RPC would find A done.
4. A's getpeerinfo is polled all along (peers come and go, so each peer's
   figures are the largest seen): the block bytes A received from each
   peer (bytesrecv_per_msg["block"]) and sent to B. When each node had
   which block comes from their -debug=bench tip marks, on the machine's
   one monotonic clock: B's height at the moment A reached the tip says
   whether A served B before it had finished its own sync, which polling
   could miss.

Checks: A and B reach the mesh's tip, A downloaded blocks from at least 4
peers, and B had blocks (from A, its only peer) before A had synced."""
import http.client
import os
import time

MIN_PEERS = 4
POLL_S = 0.05


def _errors():
    from scale import RPCFailure  # the harness's own error, imported late (scale imports faults, us)
    return (OSError, RPCFailure, http.client.HTTPException, ValueError)


def top_up(ref, nodes, target, pay, timeout, log):
    """Mines on ref until the chain has target blocks, 250 at a time, and
    waits until every node of nodes has ref's tip. Returns the figures."""
    height = ref.call("getblockcount")
    mined = 0
    t = time.monotonic()
    while height + mined < target:
        n = min(250, target - height - mined)
        ref.call("generatetoaddress", n, pay, timeout=120)
        mined += n
    tip = ref.call("getbestblockhash")
    behind = list(nodes)
    while behind and time.monotonic() - t < timeout:
        behind = [nd for nd in behind if nd.call("getbestblockhash") != tip]
        time.sleep(0.2)
    secs = round(time.monotonic() - t, 2)
    if mined:
        log(f"  mined {mined} blocks on node{ref.index} to reach {target}; every node had them after {secs} s")
    return {"mined": mined, "height": ref.call("getblockcount"), "tip": tip, "relayed_s": secs if mined else 0,
            "nodes_behind": len(behind)}


def hosts(n, net):
    """A's and B's addresses beside a mesh of n nodes: two groups past
    its last, so that each is in a /24 of its own."""
    from scale import host_of
    base = (n + 1) // 2 * 2
    return [host_of(base, net), host_of(base + 2, net)]


def new_node(mesh, index, host, extra):
    """A node outside the mesh's list (the mesh does not stop it: the
    phase does), on the mesh's ports and options; behind the delay relay
    when the mesh has one (the relay was told of host at its start)."""
    from scale import Node
    import delay
    first = mesh.nodes[0]
    return Node(index, host, mesh.workdir, first.p2p_port, first.rpc_port, first.args[0], extra,
                private=delay.private_of(host) if mesh.relay else None)


def _peer_rows(nd):
    try:
        return nd.call("getpeerinfo", timeout=10)
    except _errors():
        return None


class Watch:
    """What A's getpeerinfo showed over the phase."""

    def __init__(self, b_host):
        self.b_host = b_host
        self.recv = {}      # peer address -> largest block bytes A received from it
        self.types = {}     # peer address -> its connection type
        self.to_b = 0       # largest block bytes A sent to B
        self.to_b_behind = 0  # block bytes A had sent B at the last poll where A was still behind
        self.outbound_at = []  # (seconds, outbound peers) while syncing

    def poll(self, info, height, target, since):
        secs = round(time.monotonic() - since, 2)
        out = sum(p["connection_type"] == "outbound-full-relay" for p in info)
        if not self.outbound_at or self.outbound_at[-1][1] != out:
            self.outbound_at.append((secs, out))
        for p in info:
            addr = p["addr"]
            got = p["bytesrecv_per_msg"].get("block", 0)
            if got:
                self.recv[addr] = max(self.recv.get(addr, 0), got)
                self.types[addr] = p["connection_type"]
            if addr.rsplit(":", 1)[0] == self.b_host:
                sent = p["bytessent_per_msg"].get("block", 0)
                self.to_b = max(self.to_b, sent)
                if sent and height < target:
                    self.to_b_behind = max(self.to_b_behind, sent)


def _wait_ready(nd, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not nd.alive():
            raise SystemExit(f"the joiner {nd.host} exited:\n" + open(os.path.join(nd.datadir, "stderr.txt")).read())
        if nd.ready():
            return True
        time.sleep(0.05)
    return False


def tip_marks(nd):
    """(height, monotonic seconds) of every tip the node's -debug=bench
    log marked, oldest first, and the hash of each (a dict hash -> s)."""
    rows, at = [], {}
    for kind, h, height, t in nd.marks():
        if kind == "tip":
            rows.append((height, t / 1e6))
            at.setdefault(h, t / 1e6)
    return rows, at


def joiner_phase(mesh, nodes, rnd, target=2000, timeout=120, log=print):
    """Runs the phase on the live nodes of nodes (see the module's
    comment). Returns its figures, with an "ok" entry."""
    from scale import pay_address
    errors = _errors()
    ref = rnd.choice(nodes)
    log(f"late joiner: the chain brought to {target} blocks, then a newcomer syncing it while serving another")
    chain = top_up(ref, nodes, target, pay_address(), timeout, log)
    tip, height = chain["tip"], chain["height"]
    net = int(mesh.nodes[0].host.split(".")[1])
    a_host, b_host = hosts(len(mesh.nodes), net)
    seed = rnd.choice(nodes)
    b = new_node(mesh, "joinerB", b_host, ["-connect=0", "-listen=1"])
    a = None
    watch = Watch(b_host)
    a_done = b_done = None
    try:
        b.spawn()
        _wait_ready(b, 60)
        a = new_node(mesh, "joinerA", a_host, [f"-seednode={seed.addr}", f"-addnode={b.addr}"])
        t0 = time.monotonic()
        a.spawn()
        _wait_ready(a, 60)
        deadline = t0 + timeout
        while time.monotonic() < deadline and (a_done is None or b_done is None):
            try:
                h_a = a.call("getblockcount", timeout=10)
                info = _peer_rows(a)
                if info is not None:
                    watch.poll(info, h_a, height, t0)
                if a_done is None and h_a >= height and a.call("getbestblockhash") == tip:
                    a_done = True
                if b_done is None and b.call("getbestblockhash", timeout=10) == tip:
                    b_done = True
            except errors:
                pass
            time.sleep(POLL_S)
        info = _peer_rows(a)
        if info is not None:
            watch.poll(info, a.call("getblockcount"), height, t0)
        b_recv = {p["addr"]: p["bytesrecv_per_msg"].get("block", 0) for p in _peer_rows(b) or []}
        a.proc_figures()
        b.proc_figures()
    finally:
        for nd in (a, b):
            if nd is not None:
                nd.terminate()
        for nd in (a, b):
            if nd is not None:
                try:
                    nd.proc.wait(timeout=30)
                except Exception:
                    pass
                nd.kill()

    # when each had what, from the marks on the machine's one monotonic clock
    a_rows, a_at = tip_marks(a)
    b_rows, b_at = tip_marks(b)
    a_end, b_end = a_at.get(tip), b_at.get(tip)
    b_before = max((h for h, t in b_rows if a_end is not None and t <= a_end), default=0)
    sources = sorted(watch.recv.items(), key=lambda kv: -kv[1])
    rel = lambda t: round(t - t0, 3) if t is not None else None  # noqa: E731
    res = {
        "chain": chain,
        "a_seed": seed.addr,
        "a_sync_s": rel(a_end),
        "a_first_block_s": rel(a_rows[0][1]) if a_rows else None,
        "a_peers_downloaded_from": len(sources),
        "a_block_bytes_per_peer": [{"addr": k, "type": watch.types[k], "block_bytes": v} for k, v in sources],
        "a_block_bytes_total": sum(v for _, v in sources),
        "a_outbound_over_time": watch.outbound_at,
        "b_sync_s": rel(b_end),
        "b_first_block_s": rel(b_rows[0][1]) if b_rows else None,
        "b_height_when_a_synced": b_before,
        "a_block_bytes_sent_to_b": watch.to_b,
        "a_block_bytes_sent_to_b_seen_while_a_behind": watch.to_b_behind,
        "b_block_bytes_per_peer": [{"addr": k, "block_bytes": v} for k, v in b_recv.items() if v],
        "a_cpu_s": a.final.get("cpu_s"),
        "a_peak_rss_kib": a.final.get("hwm_kib"),
    }
    res["checks"] = {
        "a_synced": a_end is not None,
        "b_synced": b_end is not None,
        f"a_downloaded_from_at_least_{MIN_PEERS}_peers": len(sources) >= MIN_PEERS,
        "a_served_b_while_syncing": b_before > 0,
    }
    res["ok"] = all(res["checks"].values())
    log(f"  A synced {height} blocks {res['a_sync_s']} s after its start (first block at "
        f"{res['a_first_block_s']} s) from {len(sources)} peers ({', '.join(str(v) for _, v in sources)} "
        f"block bytes); outbound over time {watch.outbound_at}")
    log(f"  B, fed by A alone, at height {b_before} when A had synced, synced {res['b_sync_s']} s after A's "
        f"start; A sent B {watch.to_b} block bytes")
    return res


def summary(j):
    return (f"late joiner: A synced {j['chain']['height']} blocks in {j['a_sync_s']} s from "
            f"{j['a_peers_downloaded_from']} peers (block bytes "
            f"{[r['block_bytes'] for r in j['a_block_bytes_per_peer']]}); B, fed by A alone, was at height "
            f"{j['b_height_when_a_synced']} when A had synced, synced after {j['b_sync_s']} s; A sent it "
            f"{j['a_block_bytes_sent_to_b']} block bytes")
