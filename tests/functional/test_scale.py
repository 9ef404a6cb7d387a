"""The scale harness (tests/scale/scale.py, `make scale`) at 30 nodes, so it
cannot rot: 30 nodes, each on its own loopback address and knowing only
the seed, must form one component with 8 outbound peers each (at most one
per /24) within 60 s of the last start, stay so when the seed stops (the
nodes that had it refill from their address managers), and pass every
block mined on a random node to every node; then the fault phases, short:
churn (3 nodes restarted every 4 s for 16 s while blocks and transactions
flow, nothing lost) and kill -9 of 30 % (the 20 survivors one component
again with their slots refilled, 6 outbound each where 20 nodes in 10 /24s
allow no more, and the next block reaching them all). It needs the
machine: it runs alone."""
import os
import signal
import sys
import traceback

from framework import BUILD, ROOT, assert_equal, assert_true, scaled

sys.path.insert(0, os.path.join(ROOT, "tests", "scale"))
import scale  # noqa: E402

PARALLEL = False
NODES = 30


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
    churn, kill = res["churn"], res["kill"]
    assert_true(c["churn_phase"], f"churn lost something: {churn}")
    assert_true(churn["restarts"] >= 9 and churn["txs_sent"] > 0 and churn["blocks_mined"] > 0, churn)
    assert_true(c["kill_phase"], f"after kill -9: {kill}")
    assert_equal((kill["killed"], kill["survivors"]), (9, 20))
    assert_equal(kill["next_block"]["reached"], 20)


def main():
    def on_alarm(signum, frame):
        raise SystemExit(f"TIMEOUT after {scaled(300):.0f}s")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(scaled(300)))
    try:
        res = scale.run(BUILD, NODES, blocks=3, txs=3, form_timeout=scaled(60), net=40, idle=1.0,
                        phases=("churn", "kill"), churn_interval=4.0, churn_duration=16.0)
        check(res)
    except BaseException:
        traceback.print_exc()
        print("FAILED: test_scale.py")
        sys.exit(1)
    print(scale.summary(res))
    print("passed: test_scale.py")


if __name__ == "__main__":
    main()
