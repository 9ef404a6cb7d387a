#!/usr/bin/env python3
"""getblockstats, gettxoutsetinfo and getchaintxstats on a real node,
checked against values this test computes itself from the raw blocks
(getblock verbosity 0, parsed here by the format of docs/serialization.md):
fees from the outputs the inputs spent, sizes, percentiles, and the whole
UTXO set with its hash; the hash stays across a restart and two synced
nodes agree on it. Errors with Bitcoin Core's codes."""
import hashlib
import struct
from decimal import Decimal

from framework import assert_equal, assert_raises_rpc, assert_true, run, sha256d, wait_until

COIN = 100_000_000


class Reader:
    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, n):
        b = self.d[self.p:self.p + n]
        assert_true(len(b) == n, "truncated")
        self.p += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def i64(self):
        return struct.unpack("<q", self.take(8))[0]

    def varint(self):
        n = self.u8()
        if n < 0xfd:
            return n
        return int.from_bytes(self.take({0xfd: 2, 0xfe: 4, 0xff: 8}[n]), "little")


def parse_output(r):
    start = r.p
    value = r.i64()
    r.take(20)
    kind = r.u8()
    if kind == 1:
        r.take(32)
        r.take(r.varint())
    return value, r.d[start:r.p]


def parse_tx(r):
    start = r.p
    r.u32()
    ins = []
    for _ in range(r.varint()):
        txid = r.take(32)
        index = r.u32()
        r.take(96)
        ins.append((txid, index))
    outs = [parse_output(r) for _ in range(r.varint())]
    r.u32()
    raw = r.d[start:r.p]
    return {"txid": sha256d(raw), "size": len(raw), "ins": ins, "outs": outs}


def parse_block(hexdata):
    r = Reader(bytes.fromhex(hexdata))
    r.take(152)
    txs = [parse_tx(r) for _ in range(r.varint())]
    assert_equal(r.p, len(r.d))
    return txs


def median(v):
    v = sorted(v)
    if not v:
        return 0
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) // 2


def percentiles(pairs):
    if not pairs:
        return [0] * 5
    pairs = sorted(pairs)
    total = sum(s for _, s in pairs)
    out, cum, nxt = [], 0, 0
    for rate, size in pairs:
        cum += size
        while nxt < 5 and cum * 100 >= total * [10, 25, 50, 75, 90][nxt]:
            out.append(rate)
            nxt += 1
    return out + [pairs[-1][0]] * (5 - len(out))


def replay_chain(node):
    """The UTXO set after every block: {outpoint bytes: (height, coinbase, output bytes)}."""
    utxo, blocks = {}, []
    for h in range(node.getblockcount() + 1):
        bh = node.getblockhash(h)
        txs = parse_block(node.getblock(bh, 0))
        assert_equal([t["txid"].hex() for t in txs], node.getblock(bh, 1)["tx"])
        spent = []
        for i, t in enumerate(txs):
            if i > 0:
                for txid, index in t["ins"]:
                    spent.append(utxo.pop(txid + struct.pack("<I", index)))
            for n, (value, raw) in enumerate(t["outs"]):
                utxo[t["txid"] + struct.pack("<I", n)] = (h, i == 0, value, raw)
        blocks.append((bh, txs, spent))
    return utxo, blocks


def expected_stats(node, height, txs, spent):
    fees, sizes, rates, pairs = [], [], [], []
    at, ins, total_out, size_inc = 0, 0, 0, 0
    for i, t in enumerate(txs):
        size_inc += sum(len(raw) + 41 for _, raw in t["outs"])
        if i == 0:
            continue
        coins = spent[at:at + len(t["ins"])]
        at += len(t["ins"])
        ins += len(t["ins"])
        size_inc -= sum(len(c[3]) + 41 for c in coins)
        out = sum(v for v, _ in t["outs"])
        total_out += out
        fee = sum(c[2] for c in coins) - out
        fees.append(fee)
        sizes.append(t["size"])
        rates.append(fee // t["size"])
        pairs.append((fee // t["size"], t["size"]))
    n = len(txs) - 1
    header = node.getblockheader(node.getblockhash(height))
    return {
        "avgfee": sum(fees) // n if n else 0,
        "avgfeerate": sum(fees) // sum(sizes) if n else 0,
        "avgtxsize": sum(sizes) // n if n else 0,
        "blockhash": header["hash"],
        "feerate_percentiles": percentiles(pairs),
        "height": height,
        "ins": ins,
        "maxfee": max(fees, default=0),
        "maxfeerate": max(rates, default=0),
        "maxtxsize": max(sizes, default=0),
        "medianfee": median(fees),
        "mediantime": header["mediantime"],
        "mediantxsize": median(sizes),
        "minfee": min(fees, default=0),
        "minfeerate": min(rates, default=0),
        "mintxsize": min(sizes, default=0),
        "outs": sum(len(t["outs"]) for t in txs),
        "subsidy": None,  # filled by the caller
        "time": header["time"],
        "total_out": total_out,
        "total_size": sum(sizes),
        "totalfee": sum(fees),
        "txs": len(txs),
        "utxo_increase": sum(len(t["outs"]) for t in txs) - ins,
        "utxo_size_inc": size_inc,
    }


def utxo_summary(utxo):
    h = hashlib.sha256()
    bogo = 0
    for key in sorted(utxo):
        height, cb, value, raw = utxo[key]
        rec = key + struct.pack("<IB", height, 1 if cb else 0) + raw
        h.update(rec)
        bogo += len(rec)
    return {"txouts": len(utxo), "transactions": len({k[:32] for k in utxo}),
            "total_amount": Decimal(sum(v[2] for v in utxo.values())) / COIN,
            "bogosize": bogo, "hash_serialized_3": h.hexdigest()}


def make_traffic(node):
    me = node.getnewaddress()
    node.generatetoaddress(105, me)
    for amount in ("1.5", "2", "0.3", "7.25"):
        node.sendtoaddress(node.getnewaddress(), amount)
    # fees of our own choosing, so that fees and rates differ
    for fee, coin in zip(("0.0123", "0.0005", "0.0009"), node.listunspent(100)[:3]):
        out = Decimal(str(coin["amount"])) - Decimal(fee)
        raw = node.createrawtransaction([{"txid": coin["txid"], "vout": coin["vout"]}],
                                        {node.address("outside"): str(out - 1), node.getnewaddress(): "1"})
        node.sendrawtransaction(node.signrawtransactionwithwallet(raw)["hex"])
    # a chain: spends change of the sends above
    node.sendtoaddress(node.address("outside"), "3")
    node.generatetoaddress(1, me)
    node.sendtoaddress(node.address("outside"), "1")
    node.generatetoaddress(1, me)


def check_blockstats(node):
    utxo, blocks = replay_chain(node)
    for height in (0, 1, node.getblockcount() - 1, node.getblockcount()):
        bh, txs, spent = blocks[height]
        got = node.getblockstats(height)
        want = expected_stats(node, height, txs, spent)
        cb_out = sum(v for v, _ in txs[0]["outs"])
        want["subsidy"] = cb_out - want["totalfee"]  # the miner takes subsidy + fees
        assert_equal(got, want, f"height {height}")
        assert_equal(node.getblockstats(bh), got)
    busy = node.getblockstats(node.getblockcount() - 1)
    assert_true(busy["txs"] >= 8 and busy["totalfee"] > 0, f"{busy}")
    assert_true(busy["maxfee"] == 1_230_000 and busy["minfee"] < busy["maxfee"], f"{busy}")
    assert_equal(busy["subsidy"], 50 * COIN)
    # A selection, in the order asked.
    sel = node.getblockstats(node.getblockcount() - 1, ["totalfee", "txs", "minfee"])
    assert_equal(sel, {"totalfee": busy["totalfee"], "txs": busy["txs"], "minfee": busy["minfee"]})
    assert_equal(node.call("getblockstats", hash_or_height=1, stats=["height"]), {"height": 1})
    # Core's errors.
    assert_raises_rpc(-8, node.getblockstats, 1, ["nosuch"], message="Invalid selected statistic 'nosuch'")
    assert_raises_rpc(-8, node.getblockstats, -1, message="Target block height -1 is negative")
    tip = node.getblockcount()
    assert_raises_rpc(-8, node.getblockstats, tip + 1, message=f"Target block height {tip + 1} after current tip {tip}")
    assert_raises_rpc(-5, node.getblockstats, "00" * 32, message="Block not found")
    assert_raises_rpc(-8, node.getblockstats, "zz")
    return utxo


def check_utxoset(node, utxo):
    info = node.gettxoutsetinfo()
    want = utxo_summary(utxo)
    for k, v in want.items():
        got = Decimal(str(info[k])) if k == "total_amount" else info[k]
        assert_equal(got, v, k)
    assert_equal(info["height"], node.getblockcount())
    assert_equal(info["bestblock"], node.getbestblockhash())
    assert_true(info["disk_size"] > 0, f"disk_size {info['disk_size']}")
    none = node.gettxoutsetinfo("none")
    assert_true("hash_serialized_3" not in none)
    assert_equal(none["txouts"], info["txouts"])
    assert_raises_rpc(-8, node.gettxoutsetinfo, "muhash", message="'muhash' is not a valid hash_type")
    return info["hash_serialized_3"]


def check_chaintxstats(node):
    tip = node.getblockcount()
    total = sum(node.getblockheader(node.getblockhash(h))["nTx"] for h in range(tip + 1))
    s = node.getchaintxstats()
    assert_equal(s["txcount"], total)
    assert_equal(s["window_final_block_height"], tip)
    assert_equal(s["window_final_block_hash"], node.getbestblockhash())
    assert_equal(s["window_block_count"], tip - 1)
    first = node.getblockheader(node.getblockhash(1))
    last = node.getblockheader(node.getbestblockhash())
    assert_equal(s["window_tx_count"], total - 1 - first["nTx"])
    assert_equal(s["window_interval"], last["mediantime"] - first["mediantime"])
    if s["window_interval"] > 0:
        assert_true(abs(s["txrate"] - s["window_tx_count"] / s["window_interval"]) < 1e-9)
    w = node.getchaintxstats(2)
    assert_equal(w["window_block_count"], 2)
    nt = [node.getblockheader(node.getblockhash(h))["nTx"] for h in (tip - 1, tip)]
    assert_equal(w["window_tx_count"], sum(nt))
    at = node.getchaintxstats(0, node.getblockhash(5))
    assert_equal((at["txcount"], at["window_block_count"], at["window_final_block_height"]), (6, 0, 5))
    assert_true("window_tx_count" not in at)
    assert_raises_rpc(-8, node.getchaintxstats, tip, message="Invalid block count")
    assert_raises_rpc(-8, node.getchaintxstats, -1, message="Invalid block count")
    assert_raises_rpc(-5, node.getchaintxstats, None, "00" * 32, message="Block not found")
    # a block off the best chain
    node.invalidateblock(node.getbestblockhash())
    stale = node.getchaintips()
    stale_hash = [t["hash"] for t in stale if t["status"] == "invalid"][0]
    assert_raises_rpc(-8, node.getchaintxstats, None, stale_hash, message="Block is not in main chain")
    assert_raises_rpc(-1, node.getblockstats, stale_hash)
    node.reconsiderblock(stale_hash)
    assert_equal(node.getbestblockhash(), stale_hash)


def test(nodes):
    a, b = nodes
    make_traffic(a)
    utxo = check_blockstats(a)
    h1 = check_utxoset(a, utxo)
    check_chaintxstats(a)
    assert_equal(a.gettxoutsetinfo()["hash_serialized_3"], h1)
    # Stable across a restart, equal on a node synced from this one.
    a.restart()
    assert_equal(a.gettxoutsetinfo()["hash_serialized_3"], h1)
    b.addnode(f"127.0.0.1:{a.p2p_port}", "onetry")
    wait_until(lambda: b.getbestblockhash() == a.getbestblockhash(), timeout=30)
    assert_equal(b.gettxoutsetinfo()["hash_serialized_3"], h1)
    # and it moves with the chain
    a.generatetoaddress(1, a.address())
    assert_true(a.gettxoutsetinfo()["hash_serialized_3"] != h1)


if __name__ == "__main__":
    run(test, num_nodes=2)
