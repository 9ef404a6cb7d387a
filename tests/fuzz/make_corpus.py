#!/usr/bin/env python3
"""Seed corpus for every libFuzzer harness of tests/fuzz, made from a real
regtest cairnd (tests/functional/framework.py's Node) and hand-written edge
cases: blocks, headers and transactions over RPC, the P2P frames the node
sends a raw peer, proofs v1 and v2, the node's files (peers.dat,
banlist.dat, mempool.dat, fee_estimates.dat, wallet.dat, cairn.conf,
mempool.journal) and its chainstate records (coins, index records, undo
data, address index records, read out of LevelDB's write-ahead log).

    python3 tests/fuzz/make_corpus.py [--build build] [--out tests/fuzz/corpus]

Each harness gets tests/fuzz/corpus/<harness>/, files named by content
(sha1), each at most 64 KiB. The harnesses with a flags byte in front get it
here, as their comment describes. Regenerating replaces the folders."""
import argparse
import glob
import hashlib
import http.client
import json
import os
import shutil
import socket
import struct
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MAX_SEED = 64 * 1024
# fee_estimates.dat has the one shape of this build's buckets and horizons,
# about 240 KiB: its only valid seeds are that big
BIG_SEED = {"fuzz_fees": 256 * 1024}


def sha256(b):
    return hashlib.sha256(b).digest()


def sha256d(b):
    return sha256(sha256(b))


def varint(n):
    if n < 0xfd:
        return bytes([n])
    if n <= 0xffff:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xffffffff:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def read_varint(b, at):
    v = b[at]
    if v < 0xfd:
        return v, at + 1
    n = {0xfd: 2, 0xfe: 4, 0xff: 8}[v]
    return int.from_bytes(b[at + 1:at + 1 + n], "little"), at + 1 + n


class Corpus:
    """Seeds per harness, deduplicated, capped in size."""

    def __init__(self):
        self.seeds = {}

    def add(self, harness, data):
        if isinstance(data, str):
            data = data.encode()
        if 0 < len(data) <= BIG_SEED.get(harness, MAX_SEED):
            self.seeds.setdefault(harness, {})[hashlib.sha1(data).hexdigest()] = data

    def write(self, out):
        for harness, seeds in sorted(self.seeds.items()):
            d = os.path.join(out, harness)
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            for name, data in seeds.items():
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
            print(f"{harness:22} {len(seeds):3} seeds {sum(map(len, seeds.values())):8} bytes")


# ---- checksummed files: flag bit 0 has the harness append the checksum ----

def checksummed(data, hashfn=sha256d):
    """flag 1 + body when the file ends in hashfn(body), else flag 0 + file."""
    if len(data) > 32 and hashfn(data[:-32]) == data[-32:]:
        return b"\x01" + data[:-32]
    return b"\x00" + data


# ---- LevelDB's write-ahead log: the records of the chainstate ----

def leveldb_log_records(path):
    """(key, value) of every put in a LevelDB .log file, in order."""
    raw = open(path, "rb").read()
    block, records, frag = 32768, [], b""
    at = 0
    while at + 7 <= len(raw):
        left = block - at % block
        if left < 7:
            at += left
            continue
        length = struct.unpack("<H", raw[at + 4:at + 6])[0]
        kind = raw[at + 6]
        if kind == 0 and length == 0:
            at += left  # the rest of a preallocated block
            continue
        chunk = raw[at + 7:at + 7 + length]
        at += 7 + length
        if kind in (1, 2):  # full, first
            frag = chunk
        else:
            frag += chunk
        if kind in (1, 4):  # full, last
            records.append(frag)
            frag = b""
    puts = []
    for rec in records:
        count = struct.unpack("<I", rec[8:12])[0]
        p = 12
        try:
            for _ in range(count):
                t = rec[p]
                p += 1
                klen, p = read_leveldb_varint(rec, p)
                key = rec[p:p + klen]
                p += klen
                if t == 1:
                    vlen, p = read_leveldb_varint(rec, p)
                    puts.append((key, rec[p:p + vlen]))
                    p += vlen
        except IndexError:
            continue
    return puts


def read_leveldb_varint(b, p):
    v = shift = 0
    while True:
        c = b[p]
        p += 1
        v |= (c & 0x7f) << shift
        shift += 7
        if c < 0x80:
            return v, p


def chainstate_records(netdir):
    """Every put in any LevelDB log under the node's folder, by key prefix."""
    by = {}
    for log in glob.glob(os.path.join(netdir, "**", "*.log"), recursive=True):
        if os.path.basename(log) in ("debug.log",) or not os.path.basename(log)[:6].isdigit():
            continue
        for k, v in leveldb_log_records(log):
            if k:
                by.setdefault(chr(k[0]), []).append((k, v))
    return by


# ---- the smt proof at the end of a v2 bundle ----

def smt_proof_len(b, at):
    """Length of the smt proof encoding at b[at:], or None."""
    try:
        flags = b[at]
        if flags > 3:
            return None
        p = at + 1 + 32 + (32 if flags & 1 else 0) + (64 if flags & 2 else 0)
        n, p = read_varint(b, p)
        if n > 256 or (n and b[p - 1] == 0 and False):
            return None
        bitmap = b[p:p + (n + 7) // 8]
        if len(bitmap) != (n + 7) // 8:
            return None
        p += len(bitmap)
        ones = sum(bin(x).count("1") for x in bitmap)
        if n % 8 and bitmap and bitmap[-1] >> (n % 8):
            return None
        p += 32 * ones
        return p - at if p <= len(b) else None
    except (IndexError, KeyError):
        return None


def smt_tail(bundle):
    """The proof that ends the bundle: the first offset whose proof ends
    exactly at the end."""
    for at in range(max(0, len(bundle) - 9000), len(bundle)):
        n = smt_proof_len(bundle, at)
        if n is not None and at + n == len(bundle):
            return bundle[at:]
    return None


# ---- the node session ----

def rest_get(node, path):
    c = http.client.HTTPConnection("127.0.0.1", node.rpc_port, timeout=30)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def raw_rpc(node, body):
    """The reply body of the node to a raw JSON-RPC body, as cairn-cli reads it."""
    user, password = node.credentials()
    import base64
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    c = http.client.HTTPConnection("127.0.0.1", node.rpc_port, timeout=30)
    c.request("POST", "/", body=body, headers={"Authorization": "Basic " + auth,
                                               "Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return data


def p2p_capture(node, corpus, p2p):
    """Talks to the node as a raw peer: the frames it sends go to
    fuzz_frame whole, their payloads to fuzz_msg and fuzz_cblock."""
    peer = p2p.RawPeer(node.p2p_port)
    stream = []
    msgs = []

    def recv_all(timeout=1.0):
        while True:
            m = peer.recv_msg(timeout)
            if m is None:
                return
            msgs.append(m)
            stream.append(p2p.frame(m[0], m[1]))
            if m[0] == "ping":
                peer.msg("pong", m[1])

    sent = []

    def send(cmd, payload=b""):
        sent.append((cmd, payload))
        peer.msg(cmd, payload)

    send("version", p2p.version_payload(0))
    recv_all(1.0)
    send("verack")
    send("sendcmpct", b"\x01" + struct.pack("<Q", 1))
    # addresses for peers.dat
    now = int(time.time())
    addrs = [struct.pack("<I", now - 60 * i) + p2p.net_addr(f"{20 + i}.{i}.{7 * i % 250}.{i + 1}", 9733, 1)
             for i in range(1, 20)]
    send("addr", varint(len(addrs)) + b"".join(addrs))
    send("getaddr")
    tip = bytes.fromhex(node.getbestblockhash())[::-1]
    genesis = bytes.fromhex(node.getblockhash(0))[::-1]
    send("getheaders", struct.pack("<I", p2p.PROTOCOL_VERSION) + varint(1) + genesis + b"\0" * 32)
    send("getdata", p2p.inv_payload([(2, tip)]))
    send("ping", struct.pack("<Q", 0x1122334455667788))
    recv_all(1.5)
    node.generatetoaddress(1, node.getnewaddress())  # a cmpctblock to this high-bandwidth peer
    recv_all(2.0)
    for cmd, payload in msgs:
        if cmd == "cmpctblock":
            # ask for every transaction of it: getblocktxn, then the answer
            send("getblocktxn", bytes.fromhex(node.getbestblockhash())[::-1] + varint(1) + varint(0))
            recv_all(1.0)
            break
    peer.close()

    msg_mode = {"version": 0, "ping": 1, "pong": 1, "addr": 2, "inv": 3, "getdata": 3, "notfound": 3,
                "getheaders": 4, "getblocks": 4, "headers": 5, "tx": 6, "block": 7, "verack": 8,
                "sendheaders": 8, "getaddr": 8, "mempool": 8}
    cb_mode = {"cmpctblock": 0, "getblocktxn": 1, "blocktxn": 2, "sendcmpct": 3}
    for cmd, payload in msgs + sent:
        if cmd in msg_mode:
            corpus.add("fuzz_msg", bytes([msg_mode[cmd]]) + payload)
        if cmd in cb_mode:
            corpus.add("fuzz_cblock", bytes([cb_mode[cmd]]) + payload)
        corpus.add("fuzz_frame", p2p.frame(cmd, payload))
    # the stream as the transport reads it, in pieces of at most 64 KiB
    piece = b""
    for f in stream + [p2p.frame(c, p) for c, p in sent]:
        if len(piece) + len(f) > MAX_SEED:
            corpus.add("fuzz_frame", piece)
            piece = b""
        piece += f
    corpus.add("fuzz_frame", piece)
    return msgs


def node_session(build, corpus):
    os.environ["CAIRN_BUILD"] = os.path.abspath(build)
    sys.path.insert(0, os.path.join(ROOT, "tests", "functional"))
    import framework
    import p2p_util

    tmp = tempfile.mkdtemp(prefix="cairn-corpus-")
    node = framework.Node(0, tmp, ["-addressindex=1"])
    conf = ("# made by make_corpus.py\nrpcallowip=127.0.0.1\nmaxconnections=12\ndebug=net\n"
            "[regtest]\nlisten=1\npingtimeout=30\n")
    node.write_conf(conf)
    corpus.add("fuzz_conf", b"\x00" + conf.encode())
    corpus.add("fuzz_conf", b"\x02" + conf.encode())
    corpus.add("fuzz_conf", b"\x0e" + conf.encode())
    words = node.args()[1:]  # the command line the framework starts cairnd with
    for flags in (0, 1, 5):
        corpus.add("fuzz_cmdline", bytes([flags]) + b"\0".join(w.encode() for w in words))
    try:
        node.start()
        return session(node, corpus, p2p_util, tmp)
    finally:
        try:
            node.stop()
        except Exception:
            node.kill9()
        if not os.environ.get("CORPUS_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)


def session(node, corpus, p2p, tmp):
    addr = node.getnewaddress()
    corpus.add("fuzz_address", b"\x00" + addr.encode())
    corpus.add("fuzz_address", b"\x00" + addr.upper().encode())
    hrp, _, data = addr.rpartition("1")
    spec = hrp + "1" + data[:-6]
    corpus.add("fuzz_address", b"\x01" + spec.encode())
    corpus.add("fuzz_address", b"\x03" + spec.encode())
    node.generatetoaddress(101, addr)

    # transactions: payments, a register, a transfer, some left in the pool
    txids = []
    for i in range(4):
        txids.append(node.sendtoaddress(node.getnewaddress(), f"{1 + i}.25"))
    doc = hashlib.sha256(b"a surveyed lot").hexdigest()
    txids.append(node.registerasset(doc, "survey of lot 9"))
    node.generatetoaddress(1, addr)
    txids.append(node.transferasset(doc, node.getnewaddress()))
    txids.append(node.sendmany("", {node.getnewaddress(): 0.5, node.getnewaddress(): 0.75}))
    node.generatetoaddress(3, addr)
    for i in range(3):
        txids.append(node.sendtoaddress(node.getnewaddress(), "0.1"))
    node.generatetoaddress(1, addr)
    pool = [node.sendtoaddress(node.getnewaddress(), "0.3") for _ in range(3)]

    for t in txids:
        raw = bytes.fromhex(node.getrawtransaction(t))
        corpus.add("fuzz_tx", raw)
        corpus.add("fuzz_msg", b"\x06" + raw)
        corpus.add("fuzz_journal", b"\x03" + struct.pack("<IQ", len(raw), 1800000000) + b"\0" * 4 + raw)
    height = node.getblockcount()
    headers = b""
    for h in [0, 1, 2, 101, 102, 103, 105, 106, height]:
        bh = node.getblockhash(h)
        raw = bytes.fromhex(node.getblock(bh, 0))
        corpus.add("fuzz_block", raw)
        corpus.add("fuzz_msg", b"\x07" + raw)
        corpus.add("fuzz_header", raw[:152])
        corpus.add("fuzz_index", b"\x01" + raw[:152])
        headers += raw[:152]
        blk = node.getblock(bh, 1)
        if len(blk["tx"]) > 1 or h == 0:
            proof = bytes.fromhex(node.gettxoutproof(blk["tx"][-1:], bh))
            corpus.add("fuzz_proof_txs", proof)
        if len(blk["tx"]) > 2:
            corpus.add("fuzz_proof_txs", bytes.fromhex(node.gettxoutproof(blk["tx"][:2], bh)))
    corpus.add("fuzz_header", headers)
    corpus.add("fuzz_msg", b"\x05" + varint(len(headers) // 152)
               + b"".join(headers[i:i + 152] + b"\0" for i in range(0, len(headers), 152)))

    # proofs: v1 JSON, v2 bundles and their smt proofs
    v1 = node.getassetproof(doc)
    corpus.add("fuzz_proof_bundle", json.dumps(v1))
    corpus.add("fuzz_proof_bundle", json.dumps(v1, indent=2))
    v2 = node.getassetproof(doc, 2)
    small = node.getassetproof(doc, 2, 3)
    absent = node.getassetabsenceproof(hashlib.sha256(b"never registered").hexdigest())
    for p in (v2, small, absent):
        bundle = bytes.fromhex(p["bundle"])
        corpus.add("fuzz_proof2", bundle)
        corpus.add("fuzz_proof2_json", json.dumps(p))
        tail = smt_tail(bundle)
        if tail:
            corpus.add("fuzz_smt_proof", tail)

    # REST URLs of this chain, as flag 0 + path (NUL + query)
    tip = node.getbestblockhash()
    out = node.getrawtransaction(txids[0], 1)
    for path in [f"/rest/tx/{txids[0]}.json", f"/rest/tx/{txids[1]}.bin", f"/rest/tx/{txids[2]}.hex",
                 f"/rest/block/{tip}.json", f"/rest/block/notxdetails/{tip}.hex", "/rest/chaininfo.json",
                 "/rest/mempool/info.json", "/rest/mempool/contents.json", f"/rest/headers/5/{tip}.json",
                 f"/rest/headers/{tip}.hex", f"/rest/getutxos/{txids[0]}-0/{txids[1]}-1.json",
                 f"/rest/getutxos/checkmempool/{pool[0]}-0.json", "/rest/blockhashbyheight/3.json",
                 f"/rest/asset/{doc}.json", f"/rest/assethistory/{doc}.json", f"/rest/assetproof/{doc}.json"]:
        status, _ = rest_get(node, path)
        corpus.add("fuzz_rest_url", b"\x00" + path.encode())
    corpus.add("fuzz_rest_url", b"\x00" + f"/rest/headers/{tip}.json\0count=7".encode())
    corpus.add("fuzz_rest_url", b"\x00" + f"/rest/assetproof/{doc}.json\0version=2&samples=5".encode())
    corpus.add("fuzz_rest_url", b"\x0b" + f"{tip}.bin".encode())  # prefix 5: /rest/headers/
    corpus.add("fuzz_rest_url", b"\x0d" + f"{txids[0]}-0.hex".encode())  # prefix 6: /rest/getutxos
    del out

    # what the server answers, as cairn-cli reads it
    bodies = [{"method": "getblockcount", "params": [], "id": 1},
              {"jsonrpc": "2.0", "method": "getblockheader", "params": [tip], "id": "x"},
              {"method": "getrawtransaction", "params": [txids[0], True], "id": 2},
              {"method": "getassetproof", "params": {"asset": doc}, "id": 3},
              {"method": "nosuchmethod", "params": [], "id": 4},
              {"method": "getblockhash", "params": [99999], "id": 5},
              {"method": "estimatesmartfee", "params": [6], "id": 6},
              {"method": "getmempoolinfo", "id": 7}]
    for b in bodies:
        text = json.dumps(b)
        corpus.add("fuzz_rpc_body", text)
        corpus.add("fuzz_cli_reply", b"\x00" + raw_rpc(node, text))
    batch = json.dumps(bodies[:3])
    corpus.add("fuzz_rpc_body", batch)
    corpus.add("fuzz_cli_reply", b"\x00" + raw_rpc(node, batch))

    msgs = p2p_capture(node, corpus, p2p)
    # left in the pool for mempool.dat and the journal
    pool = [node.sendtoaddress(node.getnewaddress(), "0.3") for _ in range(3)]
    for t in pool:
        corpus.add("fuzz_tx", bytes.fromhex(node.getrawtransaction(t)))
    node.backupwallet(os.path.join(tmp, "backup.dat"))
    for cmd, payload in msgs:
        if cmd == "addr":
            n, at = read_varint(payload, 0)
            for i in range(min(n, 4)):
                e = payload[at + 30 * i:at + 30 * i + 30]  # time, services, ip, port
                if len(e) < 30:
                    break
                ip, port = e[12:28], struct.unpack(">H", e[28:30])[0]
                if ip[:12] == b"\0" * 10 + b"\xff\xff":
                    corpus.add("fuzz_msg", b"\x09" + f"{socket.inet_ntoa(ip[12:])}:{port}".encode())

    node.setban("10.1.2.0/24", "add", 86400)
    node.setban("192.0.2.7", "add", 3600)
    node.setban("2001:db8::/48", "add", 86400)

    # chainstate records, from LevelDB's logs while the node runs
    recs = chainstate_records(node.netdir)
    shutil.copytree(node.netdir, os.path.join(tmp, "live"), ignore=shutil.ignore_patterns("*.ldb", "blk*"))
    records(corpus, recs, node)
    journal = glob.glob(os.path.join(node.netdir, "**", "mempool.journal"), recursive=True)
    node.stop()

    # the node's files after a clean stop
    nd = node.netdir
    for name, harness in (("peers.dat", "fuzz_addrman"), ("banlist.dat", "fuzz_banman"),
                          ("mempool.dat", "fuzz_mempool_file"), ("fee_estimates.dat", "fuzz_fees")):
        for p in glob.glob(os.path.join(nd, "**", name), recursive=True):
            data = open(p, "rb").read()
            corpus.add(harness, checksummed(data))
            if harness != "fuzz_fees":
                corpus.add(harness, b"\x00" + data)
            else:
                corpus.add(harness, b"\x00" + data[:4096])
            if harness == "fuzz_addrman":
                corpus.add(harness, b"\x02" + data)
    for p in glob.glob(os.path.join(tmp, "backup.dat*"), recursive=True):
        data = open(p, "rb").read()
        corpus.add("fuzz_wstore", checksummed(data, sha256))
        corpus.add("fuzz_wstore", b"\x00" + data)
    for p in journal + glob.glob(os.path.join(tmp, "live", "**", "mempool.journal"), recursive=True):
        if os.path.exists(p):
            data = open(p, "rb").read()
            corpus.add("fuzz_journal", b"\x00" + data)
            corpus.add("fuzz_journal", b"\x03" + data[8:])
    print(f"node: {height} blocks, {len(txids)} transactions, records {dict((k, len(v)) for k, v in recs.items())}")


def records(corpus, recs, node):
    """Chainstate records to the harnesses that read them."""
    for k, v in recs.get("c", [])[-12:]:
        corpus.add("fuzz_coin", b"\x00" + v)
        corpus.add("fuzz_coin", b"\x01" + v[5:])
    for k, v in recs.get("a", [])[-4:]:
        corpus.add("fuzz_coin", b"\x02" + v)
    for k, v in recs.get("b", [])[-6:]:
        corpus.add("fuzz_index", b"\x00" + v)
    for k, v in recs.get("x", [])[-8:]:
        corpus.add("fuzz_addrindex", b"\x00" + k + v)
    for k, v in recs.get("y", [])[-8:]:
        corpus.add("fuzz_addrindex", b"\x01" + k + v)
    assets = [v for _, v in recs.get("a", [])]
    # undo data: flags (transactions after the coinbase, their input counts)
    for k, v in recs.get("u", [])[-20:]:
        blk = None
        for bh in (k[1:33][::-1].hex(), k[1:33].hex()):  # the key's byte order
            try:
                blk = node.getblock(bh, 2)
                break
            except Exception:
                pass
        if blk is None:
            continue
        spends = [len(t["vin"]) for t in blk["tx"][1:]]
        if not v or len(spends) > 3 or any(n > 4 for n in spends):
            continue
        counts = bytes((n - 1) for n in spends)
        corpus.add("fuzz_undo", bytes([len(spends)]) + counts + v)
        if assets:
            corpus.add("fuzz_undo", bytes([len(spends) | 12]) + counts + assets[-1] + v)


# ---- hand-written edge seeds ----

def hand_seeds(corpus):
    c = corpus.add
    # amounts: flag 1 decimal text, flag 0 JSON
    for s in ["0", "1", "0.00000001", "21000000", "20999999.99999999", "1e-8", "-1", "1.000000001", "00.5",
              " 1", "1.", ".5", "92233720368.54775807", "0x10"]:
        c("fuzz_amount", b"\x01" + s.encode())
    for s in ["0", "1.5", "1e-8", "\"0.1\"", "21000000.00000001", "null", "true", "[1]", "1E3", "-0", "5e-324"]:
        c("fuzz_amount", b"\x00" + s.encode())
    # addresses
    for s in ["rcrn1qw508d6qejxtdg4y5r3zarvary0c5xw7kqk7p2t", "crn1", "a12uel5l", "A12UEL5L",
              "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
              "split1checkupstrataxiumbusinessgadaf5ts0z8", "1nwldj5", "rcrn1", "x1b4n0q5v"]:
        c("fuzz_address", b"\x00" + s.encode())
    c("fuzz_address", b"\x01rcrn1" + bytes(range(33)))
    c("fuzz_address", b"\x01crn1" + bytes(33))
    # config files: flags (section, command line first, file required) + text
    confs = ["port=9733\nconnect=10.0.0.2\naddnode=1.2.3.4:9733\n",
             "[main]\nport=1\n[regtest]\nport=2\nrpcport=3\n[test]\nport=4\n",
             "# comment\n\n  listen = 0  \nregtest=1\npar=-2\npaytxfee=0.0001\n",
             "noconnect=1\nnolisten\n-debug=rpc\ndebug=net\ndebug=0\n",
             "maxconnections=99999999999999999999\nport=abc\n", "[regtest\nport=5\n", "=1\n", "unknownoption=2\n",
             "rpcallowip=10.0.0.0/8\nrpcallowip=::1\ndatadir=/nonexistent\r\n", "a" * 300 + "=1\n"]
    for i, text in enumerate(confs):
        c("fuzz_conf", bytes([i % 16]) + text.encode())
    # command lines: flags (then a conf of the same words, its section) + NUL-separated words
    for flags, words in ((0, ["-regtest", "-port=1", "-connect=10.0.0.1", "-noconnect", "--listen=0"]),
                         (1, ["-addnode=1.2.3.4", "-addnode=[::1]:5", "-debug", "-nodebug", "-rpcuser=u"]),
                         (3, ["-rpcport=8", "-dbcache=99999999999", "-h"]), (5, ["-?", "-par=-1", "-wallet="]),
                         (1, ["-conf=/dev/null", "-datadir=/tmp/x", "-paytxfee=0.001", "-maxconnections=0x10"]),
                         (0, ["regtest"]), (0, ["-"]), (0, ["--"]), (0, ["-=1"]), (0, ["-" + "a" * 70]),
                         # a word with a line break: a second line in the file, setting what the command
                         # line did not (found by fuzz-long, a wrong check of the harness)
                         (1, ["-addnode=#1.2" + "\xff" * 13 + "\r\nconf=tsclientbuffer=.0."])):
        c("fuzz_cmdline", bytes([flags]) + b"\0".join(w.encode("latin-1") for w in words))
    # cli replies and words
    for s in ['{"result":{"n":1.50},"error":null,"id":1}', '{"result":null,"error":{"code":-32601,"message":'
              '"Method not found"},"id":1}', '{"result":"x","error":null}', '[{"result":1}]', '{"error":5}',
              '{"result":[1,2,{"a":[]}],"error":null,"id":null}', '', '{', 'null', '{"result":1e999}']:
        c("fuzz_cli_reply", b"\x00" + s.encode())
    for s in ["1", "true", "null", "abc", "[1,\"a\"]", "{\"k\":2}", "1.5e3", "\"quoted\"", "-", "0x1", "[", ""]:
        c("fuzz_cli_reply", b"\x01" + s.encode())
    # JSON-RPC bodies against the harness's table (echo num amount flags fail later help)
    for s in ['{"method":"echo","params":[1,"a",null],"id":1}', '{"jsonrpc":"2.0","method":"num","params":[7],"id":2}',
              '{"jsonrpc":"2.0","method":"num","params":{"n":-5,"def":100},"id":3}',
              '{"method":"amount","params":["0.5"],"id":4}', '{"method":"amount","params":[21000000.1],"id":4}',
              '{"method":"flags","params":[false,"s"],"id":5}', '{"method":"flags","params":{"s":"x"},"id":5}',
              '{"method":"fail","params":[],"id":6}', '{"method":"later","id":7}', '{"method":"help","params":["num"]}',
              '{"jsonrpc":"2.0","method":"echo","params":[1]}', '[]', '[1]',
              '[{"method":"later","id":1},{"jsonrpc":"2.0","method":"later"},{"method":"num","params":["x"],"id":3}]',
              '{"method":"num","params":{"m":1},"id":1}', '{"method":1}', '{"id":1}', 'null', '{"jsonrpc":"1.0",'
              '"method":"echo","params":{},"id":[1]}', '{"method":"help","params":[],"id":1}',
              '{"jsonrpc":"2.0","method":"nosuch","id":9}', '{"method":"hash","params":["%s"],"id":1}' % ("ab" * 32),
              '{"method":"hash","params":{"hash":"%s"},"id":1}' % ("0" * 63 + "g"), '{"method":"num","params":[1e300],"id":1}']:
        c("fuzz_rpc_body", s)
    # REST: bare paths with a flag-0, and endpoint prefixes with flag 1
    for s in ["/rest/chaininfo.json", "/rest/tx/00.json", "/rest/block/" + "0" * 64, "/rest/headers/2001/" + "ab" * 32
              + ".bin", "/rest/getutxos/" + "/".join(["ab" * 32 + "-0"] * 16) + ".json", "/rest/mempool/x.json",
              "/rest/blockhashbyheight/-1.json", "/rest/blockhashbyheight/4294967296.hex", "/rest/", "/",
              "/rest/headers/" + "cd" * 32 + ".json\0count=0", "/rest/tx/" + "ef" * 32 + ".json\0a=1&b&=&%zz"]:
        c("fuzz_rest_url", b"\x00" + s.encode())
    for i in range(12):
        c("fuzz_rest_url", bytes([1 | i << 1]) + ("ab" * 32 + ".json").encode())
    # smt proofs: empty, present with one sibling, both leaves
    c("fuzz_smt_proof", b"\x00" + b"\x11" * 32 + b"\x00")
    c("fuzz_smt_proof", b"\x01" + b"\x22" * 64 + b"\x08\x80" + b"\x33" * 32)
    c("fuzz_smt_proof", b"\x02" + b"\x44" * 96 + b"\xfd\x00\x01" + b"\x00" * 31 + b"\x80" + b"\x55" * 32)
    # index records: zero-padded, wrong size
    c("fuzz_index", b"\x01")
    c("fuzz_index", b"\x00" + b"\x00" * 100)
    # coin records: empty asset entry, coin without meta
    c("fuzz_coin", b"\x02" + b"\x00" * 96)
    c("fuzz_coin", b"\x00" + struct.pack("<IB", 7, 1) + b"\x00" + struct.pack("<q", 5000) + b"\x00")
    # journal: the magic alone, a torn record
    c("fuzz_journal", b"\x00CRNJRNL1")
    c("fuzz_journal", b"\x01" + struct.pack("<IQ", 100, 1) + b"\0" * 10)
    # undo: a transaction of one input and no record, and of four inputs
    c("fuzz_undo", b"\x01\x00")
    c("fuzz_undo", b"\x03\x00\x01\x03" + b"\x00" * 40)


def frames_by_hand(corpus):
    magic = bytes([0xfa, 0xbf, 0xb5, 0xda])

    def frame(cmd, payload=b"", ck=None):
        return magic + cmd.encode().ljust(12, b"\0") + struct.pack("<I", len(payload)) + \
            (sha256d(payload)[:4] if ck is None else ck) + payload
    corpus.add("fuzz_frame", frame("verack") + frame("sendheaders") + frame("ping", b"\x01" * 8))
    corpus.add("fuzz_frame", frame("ping", b"\x01" * 8, ck=b"\0\0\0\0"))
    corpus.add("fuzz_frame", b"\xf9\xbe\xb4\xd9" + frame("verack")[4:])
    corpus.add("fuzz_frame", magic + b"ver\0ack\0\0\0\0\0" + struct.pack("<I", 0) + sha256d(b"")[:4])
    corpus.add("fuzz_msg", b"\x01" + b"\x01" * 8)
    corpus.add("fuzz_msg", b"\x08")
    corpus.add("fuzz_msg", b"\x03" + varint(2) + struct.pack("<I", 1) + b"\x11" * 32 + struct.pack("<I", 2) + b"\x22" * 32)
    for s in ["127.0.0.1:9733", "[::1]:1", "1.2.3.4", "[2001:db8::1]", "example.com:80", "256.0.0.1", "::ffff:1.2.3.4"]:
        corpus.add("fuzz_msg", b"\x09" + s.encode())
    corpus.add("fuzz_cblock", b"\x03\x00" + struct.pack("<Q", 1))
    corpus.add("fuzz_cblock", b"\x01" + b"\x33" * 32 + varint(3) + b"\x00\x00\x05")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="where cairnd and cairn-cli are")
    ap.add_argument("--out", default=os.path.join(HERE, "corpus"))
    a = ap.parse_args()
    sys.path.insert(0, os.path.join(ROOT, "tests", "functional"))
    corpus = Corpus()
    node_session(a.build, corpus)
    hand_seeds(corpus)
    frames_by_hand(corpus)
    missing = [os.path.basename(f)[:-2] for f in sorted(glob.glob(os.path.join(HERE, "fuzz_*.c")))
               if os.path.basename(f)[:-2] not in corpus.seeds]
    corpus.write(a.out)
    if missing:
        print("no seeds for: " + " ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
