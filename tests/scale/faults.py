"""Fault phases of the scale harness (tests/scale/scale.py, docs/scale.md),
run after the mesh has formed and the seed has gone:

- kill: kill -9 of a random share of the nodes (30 %); the survivors must
  again be one component with full outbound slots, refilled from their
  address managers, and the next block must reach every survivor;
- churn: a share of the live nodes (10 %) stopped and started again every
  interval (30 s) for a duration (5 min) while blocks and transactions
  flow; nothing may be lost: at the end every live node has every block
  (one tip for all) and every transaction that was accepted is in a block
  or in the mempool of a node never stopped, whose next block takes it; a block that lost a race to another is
  counted (orphaned), its transactions must be back in the mempools.

Each returns its figures as a dict, with an "ok" entry."""
import http.client
import time

OUTBOUND = 8


def _rpc_errors():
    from scale import RPCFailure  # the harness's own error, imported late (scale imports us)
    return (OSError, RPCFailure, http.client.HTTPException, ValueError)


def kill_phase(mesh, nodes, rnd, keep, share=0.30, timeout=60, log=print):
    """kill -9 of share of nodes (never the ones in keep). Returns the
    figures and the survivors."""
    candidates = [nd for nd in nodes if nd not in keep]
    victims = rnd.sample(candidates, round(share * len(nodes)))
    log(f"kill -9 of {len(victims)} of {len(nodes)} nodes")
    t = time.monotonic()
    for nd in victims:
        nd.proc_figures()
        nd._signal(9)
    for nd in victims:
        nd.kill()
    survivors = [nd for nd in nodes if nd not in victims]
    # fewer than 30 nodes, two to a /24, cannot give each 8 outbound peers
    # in 8 other /24s when each pair connects once: there 6 are asked
    want = OUTBOUND if len(survivors) >= 30 else 6
    refill = mesh.wait_formed(survivors, timeout, t, want)
    refill["outbound_asked"] = want
    refill.pop("_out")
    refill.pop("_inb")
    log(f"  survivors one component with {OUTBOUND} outbound each: {refill['ok']} after {refill['seconds']} s")
    rows = mesh.propagation(survivors, 1, rnd)
    ok = refill["ok"] and refill["seconds"] <= timeout and rows[0]["reached"] == len(survivors)
    return {"ok": ok, "killed": len(victims), "survivors": len(survivors), "refill": refill,
            "next_block": rows[0]}, survivors


def _tip(nd):
    try:
        return nd.call("getbestblockhash", timeout=10)
    except _rpc_errors():
        return None


def churn_phase(mesh, nodes, rnd, funder, keep, share=0.10, interval=30.0, duration=300.0, timeout=60,
                log=print):
    """Restarts share of nodes every interval seconds for duration seconds
    while one block (on a random live node) and a few transactions (each
    on a random live node) go out every few seconds; then checks that
    nothing was lost."""
    errors = _rpc_errors()
    pay = None
    from scale import pay_address
    pay = pay_address()
    log(f"churn: {round(share * len(nodes))} of {len(nodes)} nodes restarted every {interval:.0f} s "
        f"for {duration:.0f} s, blocks and transactions flowing")
    down, restarts, blocks, sent = [], 0, [], []
    t0 = time.monotonic()
    next_churn = t0
    while time.monotonic() - t0 < duration:
        now = time.monotonic()
        if now >= next_churn:
            for nd in down:  # the last round's come back
                nd.auth = None
                nd.spawn()
            for nd in down:
                deadline = time.monotonic() + timeout
                while not nd.ready() and time.monotonic() < deadline:
                    time.sleep(0.1)
            # what was just sent has had time to spread (-persistmempool=0:
            # a transaction only a stopped node held is gone with it)
            time.sleep(2)
            down = rnd.sample([nd for nd in nodes if nd not in keep], round(share * len(nodes)))
            for nd in down:
                nd.terminate()
            for nd in down:
                nd.proc.wait(timeout=30)
                nd.close_rpc()
            restarts += len(down)
            next_churn = now + interval
        live = [nd for nd in nodes if nd not in down]
        try:
            for _ in range(3):
                origin = rnd.choice(live)
                sent.append(origin.call("sendrawtransaction", funder.next_tx()))
            blocks.append(rnd.choice(live).call("generatetoaddress", 1, pay)[0])
        except errors as e:
            log(f"  a call failed during churn: {e}")
        time.sleep(min(2.0, interval / 5))
    for nd in down:
        nd.auth = None
        nd.spawn()
    for nd in down:
        deadline = time.monotonic() + timeout
        while not nd.ready() and time.monotonic() < deadline:
            time.sleep(0.1)

    # settle: one tip for all, and every sent transaction mined or pooled everywhere
    t = time.monotonic()
    best = None
    while time.monotonic() - t < timeout:
        tips = {_tip(nd) for nd in nodes}
        if len(tips) == 1 and None not in tips:
            best = tips.pop()
            break
        time.sleep(0.5)
    settled = round(time.monotonic() - t, 2)
    ref = next(nd for nd in keep if nd in nodes) if any(nd in nodes for nd in keep) else nodes[0]
    lost_blocks = [h for h in blocks if _confirmations(ref, h) is None]
    mined = set()
    missing = []
    for txid in sent:
        try:
            got = ref.call("getrawtransaction", txid, True)
        except errors:
            missing.append(txid)
            continue
        if got.get("blockhash"):
            mined.add(txid)
    # what is not in a block yet must be in a mempool that the next block
    # is built from: one more block on a node never stopped takes them all
    unmined = [x for x in sent if x not in mined and x not in missing]
    pooled_by_ref = sum(1 for x in unmined if x in set(ref.call("getrawmempool")))
    last = ref.call("generatetoaddress", 1, pay)[0]
    in_last = set(ref.call("getblock", last)["tx"])
    pooled_everywhere = all(x in in_last for x in unmined)
    ok = best is not None and not missing and pooled_everywhere
    res = {"ok": ok, "restarts": restarts, "blocks_mined": len(blocks), "txs_sent": len(sent),
           "txs_mined": len(mined), "txs_pooled": len(unmined), "txs_missing": len(missing),
           "blocks_orphaned": len(lost_blocks), "one_tip_after_s": settled if best else None,
           "unmined_mined_by_next_block": pooled_everywhere,
           "unmined_in_reference_mempool": pooled_by_ref, "duration_s": duration, "interval_s": interval}
    log(f"  {restarts} restarts, {len(blocks)} blocks, {len(sent)} transactions: one tip after {settled} s: "
        f"{best is not None}; blocks orphaned {len(lost_blocks)}, transactions mined {len(mined)}, pooled "
        f"{len(unmined)} (all in the next block: {pooled_everywhere}), missing {len(missing)}")
    return res


def _confirmations(nd, h):
    try:
        info = nd.call("getblockheader", h)
    except _rpc_errors():
        return None
    return info["confirmations"] if info.get("confirmations", -1) >= 0 else None

