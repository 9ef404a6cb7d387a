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
  counted (orphaned), its transactions must be back in the mempools;
- partition: the nodes cut into two halves by /24 with setban (every node
  bans the other half's subnets), both halves mine, the first fewer blocks
  and with transactions of its own, then the bans are cleared: every node
  must come to the heavier chain, and the lighter side's transactions that
  the heavier chain does not contradict must be back in its mempools and
  in its next block.

Each returns its figures as a dict, with an "ok" entry."""
import http.client
import ipaddress
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
    refill = _refilled(mesh, survivors, want, timeout, t)
    refill["outbound_asked"] = want
    refill.pop("_out")
    refill.pop("_inb")
    log(f"  survivors one component with {OUTBOUND} outbound each: {refill['ok']} after {refill['seconds']} s")
    rows = mesh.propagation(survivors, 1, rnd)
    ok = refill["ok"] and refill["seconds"] <= timeout and rows[0]["reached"] == len(survivors)
    return {"ok": ok, "killed": len(victims), "survivors": len(survivors), "refill": refill,
            "next_block": rows[0]}, survivors


def _refilled(mesh, nodes, want, timeout, since):
    """Waits until nodes are one component and each has want
    outbound-full-relay peers, or has no one left it may dial: every node
    outside its /24 is connected to it either way or sits in a /24 where
    it has an outbound peer already (full relay or block relay only). With
    8 + 2 outbound slots each, 20 nodes in 10 /24s have 200 slots for 180
    pairs, so some cannot reach 6. The figures as Mesh.wait_formed gives
    them, with the count of such saturated nodes."""
    from scale import group_of
    hosts = {nd.host for nd in nodes}

    def peers(nd):
        try:
            return nd.host, nd.call("getpeerinfo", timeout=30)
        except _rpc_errors():
            return nd.host, []
    deadline = time.monotonic() + timeout
    while True:
        info = dict(mesh.pool.map(peers, nodes))
        _, _, adj = mesh.snapshot(nodes)
        short, stuck = 0, 0
        for h, ps in info.items():
            full = sum(p["connection_type"] == "outbound-full-relay" for p in ps)
            if full >= want:
                continue
            short += 1
            taken = {group_of(p["addr"].rsplit(":", 1)[0]) for p in ps
                     if p["connection_type"] in ("outbound-full-relay", "block-relay-only")} | {group_of(h)}
            if any(x not in adj[h] and group_of(x) not in taken for x in hosts):
                stuck += 1
        ok = not stuck and mesh.components(adj) == 1
        if ok or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    seconds = round(time.monotonic() - since, 2)
    res = mesh.wait_formed(nodes, 0, since, want)  # the figures of that state
    res.update({"ok": ok, "seconds": seconds, "saturated_short_of_outbound": short - stuck,
                "short_of_outbound_with_addresses_left": stuck})
    return res


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



# -- partition --

def _halves(nodes):
    """The nodes split in two by /24 (regtest's address-manager group):
    the first half of the groups in address order, and the rest."""
    from scale import group_of
    groups = sorted({group_of(nd.host) for nd in nodes}, key=lambda g: ipaddress.ip_address(g + ".0"))
    first = set(groups[:len(groups) // 2])
    return [nd for nd in nodes if group_of(nd.host) in first], [nd for nd in nodes if group_of(nd.host) not in first]


def _subnets(side):
    """The fewest subnets that cover exactly the /24s of side's nodes (a
    few setban calls per node instead of one per address)."""
    from scale import group_of
    nets = sorted({ipaddress.ip_network(group_of(nd.host) + ".0/24") for nd in side})
    return [str(n) for n in ipaddress.collapse_addresses(nets)]


def _crossing(mesh, a, b):
    """Connections between the halves, by the dialler's connection type
    (an inbound row is the far end of one counted from the other side)."""
    hosts_a, hosts_b = {nd.host for nd in a}, {nd.host for nd in b}

    def peers(nd):
        try:
            return nd, nd.call("getpeerinfo", timeout=30)
        except _rpc_errors():
            return nd, []
    kinds = {}
    for nd, info in mesh.pool.map(peers, a + b):
        other = hosts_b if nd.host in hosts_a else hosts_a
        for p in info:
            if p["addr"].rsplit(":", 1)[0] in other and p["connection_type"] != "inbound":
                kinds[p["connection_type"]] = kinds.get(p["connection_type"], 0) + 1
    return kinds


def _slots(mesh, nodes):
    """Per node, its (outbound-full-relay, block-relay-only) peers."""
    def one(nd):
        try:
            info = nd.call("getpeerinfo", timeout=30)
        except _rpc_errors():
            return (0, 0)
        return (sum(p["connection_type"] == "outbound-full-relay" for p in info),
                sum(p["connection_type"] == "block-relay-only" for p in info))
    return list(mesh.pool.map(one, nodes))


def _tips(mesh, nodes):
    return list(mesh.pool.map(_tip, nodes))


def _wait(pred, timeout, step=0.2):
    t = time.monotonic()
    while not pred():
        if time.monotonic() - t > timeout:
            return None
        time.sleep(step)
    return round(time.monotonic() - t, 2)


def _double_spend(funder):
    """Two transactions spending one funder coin to different amounts."""
    u = funder.coins.pop()
    out = []
    for fee in (funder.FEE, 2 * funder.FEE):
        raw = funder.node.call("createrawtransaction", [{"txid": u["txid"], "vout": u["vout"]}],
                               {funder.pay: f"{round(u['amount'] - fee, 8):.8f}"})
        out.append(funder.node.call("signrawtransactionwithwallet", raw)["hex"])
    return out


def partition_phase(mesh, nodes, rnd, funder, rounds=3, log=print, **kw):
    """rounds partitions of nodes into the same two halves, each healed
    (partition_round); the figures of each round and the distribution of
    the time to heal."""
    a, b = _halves(nodes)
    log(f"partition: {len(a)} nodes against {len(b)}, {rounds} rounds")
    rows = []
    for r in range(rounds):
        log(f" round {r + 1}/{rounds}")
        rows.append(partition_round(mesh, a, b, rnd, funder, log=log, **kw))
    heal = [x["heal_s"] for x in rows if x["heal_s"] is not None]
    return {"ok": all(x["ok"] for x in rows), "rounds": rows, "light_side": len(a), "heavy_side": len(b),
            "heal_s": _dist(heal), "healed_rounds": len(heal),
            "nodes_with_full_slots_at_heal": _dist([x["nodes_with_full_slots_at_heal"] for x in rows]),
            "links_across_after_heal": [x["links_across_after_heal"] for x in rows],
            "light_txs_back_everywhere_on_light_side": all(x["light_txs_back_in_light_mempools_s"] is not None
                                                           for x in rows),
            "next_block_takes_them": all(x["next_block_from_light_side_takes_them"] for x in rows),
            "conflicting_tx_pooled": sum(x["conflicting_tx_in_mempools"] for x in rows)}


def partition_round(mesh, a, b, rnd, funder, light_blocks=2, heavy_blocks=4, txs=10, refill_timeout=60,
                    timeout=300, log=print):
    """Cuts the halves a and b apart, lets both mine (a fewer blocks, with
    transactions of its own), heals, and measures how long until every
    node is on the heavier chain."""
    from scale import pay_address
    pay = pay_address()
    nodes = a + b
    ban_a, ban_b = _subnets(b), _subnets(a)
    log(f"  {len(a)} nodes ({len(ban_a)} subnets banned) against {len(b)} ({len(ban_b)}), "
        f"{light_blocks} blocks against {heavy_blocks}")
    before = _crossing(mesh, a, b)

    def ban(nd):
        for net in (ban_a if nd in a else ban_b):
            nd.call("setban", net, "add", 86400)
    t = time.monotonic()
    list(mesh.pool.map(ban, nodes))
    bans_s = round(time.monotonic() - t, 2)
    cut_s = _wait(lambda: not _crossing(mesh, a, b), 30)
    # each half refills its slots from its own side (an address tried in the
    # last minute waits): healing must not lean on free slots where it can
    # be helped
    # (or settle: halves of a small mesh cannot fill 8 + 2 slots in distinct /24s)
    seen = {"slots": None, "since": time.monotonic()}

    def settled():
        now = _slots(mesh, nodes)
        if now != seen["slots"]:
            seen["slots"], seen["since"] = now, time.monotonic()
        return all(f >= 8 and r >= 2 for f, r in now) or time.monotonic() - seen["since"] > 10
    refill_s = _wait(settled, refill_timeout, 1.0)
    slots = _slots(mesh, nodes)
    log(f"  bans set in {bans_s} s, nothing across {cut_s} s later; slots refilled or settled after "
        f"{refill_s} s: {sum(f >= 8 and r >= 2 for f, r in slots)} of {len(nodes)} nodes with 8 + 2")

    # the light side: transactions mined in its blocks, some left pooled,
    # and one whose coin the heavy side spends otherwise
    mined = [rnd.choice(a).call("sendrawtransaction", funder.next_tx()) for _ in range(txs)]
    mine_a, mine_b = _double_spend(funder)
    conflict = rnd.choice(a).call("sendrawtransaction", mine_a)
    miner_a = rnd.choice(a)
    _wait(lambda: set(mined + [conflict]) <= set(miner_a.call("getrawmempool")), 30)
    light_hashes = []
    for _ in range(light_blocks):
        light_hashes += miner_a.call("generatetoaddress", 1, pay)
        time.sleep(0.2)
    pooled = [rnd.choice(a).call("sendrawtransaction", funder.next_tx()) for _ in range(txs)]
    miner_b = rnd.choice(b)
    miner_b.call("sendrawtransaction", mine_b)
    for _ in range(heavy_blocks):
        miner_b.call("generatetoaddress", 1, pay)
        time.sleep(0.2)
    heavy = miner_b.call("getbestblockhash")
    light = miner_a.call("getbestblockhash")
    apart_s = _wait(lambda: set(_tips(mesh, a)) == {light} and set(_tips(mesh, b)) == {heavy}, 60)
    in_light = {x for h in light_hashes for x in miner_a.call("getblock", h)["tx"]}
    log(f"  halves on their own tips after {apart_s} s; the light chain holds {len(set(mined) & in_light)} of "
        f"{len(mined)} of its transactions (+ the conflicting one: {conflict in in_light})")

    t = time.monotonic()
    list(mesh.pool.map(lambda nd: nd.call("clearbanned"), nodes))
    heal_s = _wait(lambda: set(_tips(mesh, nodes)) == {heavy}, timeout)
    if heal_s is not None:
        heal_s = round(time.monotonic() - t, 2)
    after = _crossing(mesh, a, b)
    log(f"  healed: every node on the heavier tip {heal_s} s after clearbanned; links across the cut "
        f"{after} (before the cut {before})")

    want = set(mined + pooled)
    # (the whole answer list first: all() stopping early would leave calls
    # running on nodes the next poll calls again)
    back_s = _wait(lambda: all(want <= set(x) for x in list(mesh.pool.map(lambda nd: nd.call("getrawmempool"), a))),
                   60)
    pools_a = list(mesh.pool.map(lambda nd: set(nd.call("getrawmempool")), a))
    pools_b = list(mesh.pool.map(lambda nd: set(nd.call("getrawmempool")), b))
    conflict_pooled = sum(conflict in x for x in pools_a + pools_b)
    origin = rnd.choice(a)
    last = origin.call("generatetoaddress", 1, pay)[0]
    in_next = set(origin.call("getblock", last)["tx"])
    reached = _wait(lambda: set(_tips(mesh, nodes)) == {last}, 60)
    res = {"light_blocks": light_blocks, "heavy_blocks": heavy_blocks,
           "subnets_banned_per_node": [len(ban_a), len(ban_b)], "bans_set_s": bans_s, "cut_s": cut_s,
           "slots_refilled_or_settled_s": refill_s, "nodes_with_full_slots_at_heal": sum(f >= 8 and r >= 2 for f, r in slots),
           "outbound_full_relay_at_heal": _dist([f for f, _ in slots]),
           "block_relay_only_at_heal": _dist([r for _, r in slots]),
           "links_across_before_cut": before, "links_across_after_heal": after,
           "heal_s": heal_s, "light_txs": len(want), "light_txs_in_light_chain": len(set(mined) & in_light), "light_txs_back_in_light_mempools_s": back_s,
           "light_txs_in_heavy_mempools": _dist([len(want & x) for x in pools_b]),
           "conflicting_tx_in_mempools": conflict_pooled,
           "next_block_from_light_side_takes_them": want <= in_next, "next_block_reached_all_s": reached}
    res["ok"] = heal_s is not None and back_s is not None and conflict_pooled == 0 and want <= in_next \
        and reached is not None
    log(f"  the light side's {len(want)} transactions back in its mempools after {back_s} s (in the heavy "
        f"side's: {res['light_txs_in_heavy_mempools']}); the conflicting one in {conflict_pooled} mempools; "
        f"the light side's next block takes them all: {want <= in_next}, reached every node: {reached} s")
    return res


def _dist(values):
    from scale import dist
    return dist(values)


def partition_summary(p):
    return (f"partition {p['light_side']} | {p['heavy_side']} nodes, {p['healed_rounds']} of {len(p['rounds'])} "
            f"rounds healed: every node on the heavier tip after clearbanned in {p['heal_s']} s; nodes with full "
            f"slots at the heal {p['nodes_with_full_slots_at_heal']}; links across after: "
            f"{p['links_across_after_heal']}; the light side's transactions back in all its mempools: "
            f"{p['light_txs_back_everywhere_on_light_side']}, in its next block: {p['next_block_takes_them']}; "
            f"conflicting ones pooled: {p['conflicting_tx_pooled']}")
