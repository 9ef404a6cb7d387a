"""The scale harness (tests/scale/scale.py, `make scale`) at 30 nodes, so it
cannot rot: 30 nodes, each on its own loopback address and knowing only
the seed, must form one component with 8 outbound peers each (at most one
per /24) within 60 s of the last start, stay so when the seed stops (the
nodes that had it refill from their address managers), and pass every
block mined on a random node to every node, pass one round of the
partition phase (halves cut with bans, both mine, healed: every node on
the heavier tip, the lighter side's transactions back) and the late
joiner phase (a newcomer downloads from at least 4 peers while a second
newcomer syncs from it). It needs the machine: it runs alone."""
import os
import signal
import sys
import traceback

from framework import BUILD, ROOT, assert_equal, assert_true, scaled

sys.path.insert(0, os.path.join(ROOT, "tests", "scale"))
import scale  # noqa: E402

PARALLEL = False
NODES = 30
FULL_BLOCKS = 2


def check(res):
    c = res["checks"]
    form, loss = res["formation"], res["seed_loss"]
    assert_true(c["formed"], f"the mesh did not form: {form}")
    assert_true(form["seconds"] <= scaled(60), f"formed only after {form['seconds']} s")
    assert_equal((form["outbound"]["min"], form["outbound"]["max"]), (8, 8))
    assert_equal(form["components"], 1)
    assert_true(c["one_outbound_per_group"], "two outbound peers in one /24")
    assert_true(c["survives_seed_loss"], f"the seed's loss split the mesh or emptied slots: {loss}")
    assert_equal(loss["outbound"]["min"], 8)
    assert_true(c["every_block_reached_every_node"], f"blocks: {res['blocks']}")
    assert_true(c["every_tx_reached_every_node"], f"transactions: {res['txs']}")
    assert_true(res["peak_rss_kib"]["max"] > 0 and res["cpu_ms_per_block_per_node"]["n"] == NODES - 1)
    # blocks of pooled transactions travel as compact blocks, rebuilt from
    # the mempools: each node rebuilds each (the miner aside)
    assert_true(c["every_full_block_reached_every_node"], f"full blocks: {res['full_blocks']}")
    cc = res["compact_counters"]
    assert_true(cc["rebuilt"] >= (NODES - 2) * FULL_BLOCKS and cc["fallbacks"] == 0, f"compact blocks: {cc}")
    # a late joiner downloads from many peers and feeds a second newcomer meanwhile
    p = res["partition"]
    assert_true(p["ok"], f"partition: {p['rounds']}")
    j = res["joiner"]
    assert_true(j["ok"], f"late joiner: {j['checks']} {j['a_block_bytes_per_peer']}")


def main():
    def on_alarm(signum, frame):
        raise SystemExit(f"TIMEOUT after {scaled(150):.0f}s")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(scaled(150)))
    try:
        res = scale.run(BUILD, NODES, blocks=3, txs=3, form_timeout=scaled(60), net=40, idle=1.0,
                        full_blocks=FULL_BLOCKS, full_block_txs=20, phases=["partition", "joiner"],
                        partition_rounds=1)
        check(res)
    except BaseException:
        traceback.print_exc()
        print("FAILED: test_scale.py")
        sys.exit(1)
    print(scale.summary(res))
    print("passed: test_scale.py")


if __name__ == "__main__":
    main()
