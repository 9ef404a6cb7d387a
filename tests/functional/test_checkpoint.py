#!/usr/bin/env python3
"""The history tree for transparency-log tooling: getcheckpoint's note body
(origin, size, base64 root) agrees with the tree recomputed here from the
headers and with the next header's commitment, and every
gethistoryconsistency proof between two sizes verifies with an RFC 9162
verifier written here from the RFC's algorithm (and fails once altered)."""
import base64

from framework import assert_equal, assert_raises_rpc, assert_true, history_leaf, mth, run


def verify_consistency(m, n, first, second, proof):
    """RFC 9162 section 2.1.4.2, step by step."""
    if m == n:
        return not proof and first == second
    if m == 0 or m > n or not proof:
        return False
    if m & (m - 1) == 0:  # m is a power of two: the old root is the first node
        proof = [first] + proof
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            while (fn & 1) == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first and sr == second


def node(left, right):
    import hashlib
    return hashlib.sha256(b"\x01" + left + right).digest()


def test(nodes):
    n = nodes[0]
    n.generatetoaddress(37, n.getnewaddress())
    leaves = [history_leaf(n.getblockheader(n.getblockhash(h))) for h in range(38)]

    lines = n.getcheckpoint().split("\n")
    assert_equal(len(lines), 4, "three lines, each ended by a newline")
    assert_equal(lines[3], "")
    assert_equal(lines[0], "cairn/regtest/" + n.getblockhash(0))
    assert_equal(lines[1], "38")
    root = base64.b64decode(lines[2])
    assert_equal(root, mth(leaves))
    # the next block's header commits to exactly that root
    n.generatetoaddress(1, n.getnewaddress())
    assert_equal(n.getblockheader(n.getbestblockhash())["historyroot"], root.hex())
    leaves.append(history_leaf(n.getblockheader(n.getbestblockhash())))

    for m in range(1, 40):
        for size in (m, m + 1, 39) if m < 39 else (39,):
            c = n.gethistoryconsistency(m, size)
            first, second = bytes.fromhex(c["oldroot"]), bytes.fromhex(c["newroot"])
            assert_equal(first, mth(leaves[:m]))
            assert_equal(second, mth(leaves[:size]))
            proof = [bytes.fromhex(h) for h in c["proof"]]
            assert_true(verify_consistency(m, size, first, second, proof), f"({m}, {size})")
            if proof:
                bad = list(proof)
                bad[len(bad) // 2] = bytes([bad[len(bad) // 2][0] ^ 1]) + bad[len(bad) // 2][1:]
                assert_true(not verify_consistency(m, size, first, second, bad), f"altered ({m}, {size})")
    assert_raises_rpc(-8, n.gethistoryconsistency, 5, 4)
    assert_raises_rpc(-8, n.gethistoryconsistency, 0, 4)
    assert_raises_rpc(-8, n.gethistoryconsistency, 1, 41)


if __name__ == "__main__":
    run(test, num_nodes=1, extra_args=[["-connect=0", "-listen=0"]], timeout=120)
