#!/usr/bin/env python3
"""Progress shown to people: cairn-cli -getinfo draws a bar while the node
is in initial download (a raw peer announces 300 headers to a node holding
100 blocks, and serves none), cairn-cli -rpcwait counts down on a terminal
and stays silent through a pipe, and a wallet rescan logs its start, its
progress and its end in debug.log."""
import os
import pty
import re
import select
import subprocess
import time

from framework import (CAIRN_CLI, HEADER_SIZE, Node, assert_equal, assert_in, assert_true, run, scaled, wait_until)
from p2p_util import RawPeer, varint

BLOCKS = 300
HAVE = 100
DONE, TODO = "\u2592", "\u2591"


def headers_payload(node, first, last):
    out = b""
    for h in range(first, last + 1):
        out += bytes.fromhex(node.getblock(node.getblockhash(h), 0))[:HEADER_SIZE] + b"\0"
    return varint(last - first + 1) + out


def getinfo_progress(node):
    rc, out, err = node.cli(options=["-getinfo"])
    assert_equal((rc, err), (0, ""))
    lines = [l for l in out.splitlines() if l.startswith("Verification progress: ")]
    assert_equal(len(lines), 1, out)
    return lines[0]


def check_getinfo_bar(src, fresh):
    for h in range(1, HAVE + 1):
        assert_equal(fresh.submitblock(src.getblock(src.getblockhash(h), 0)), None)
    staller = RawPeer(fresh.p2p_port, timeout=10)
    try:
        staller.handshake(height=BLOCKS)
        staller.msg("headers", headers_payload(src, 1, BLOCKS))
        wait_until(lambda: fresh.getblockchaininfo()["headers"] == BLOCKS, timeout=10)
        info = fresh.getblockchaininfo()
        assert_equal((info["blocks"], info["initialblockdownload"]), (HAVE, True))
        # regtest's verificationprogress is 1; the 200 blocks to come are not
        assert_equal(getinfo_progress(fresh),
                     "Verification progress: " + DONE * 6 + TODO * 14 + " 33.3333%")
    finally:
        staller.close()
    # a synced node: the plain percentage, no bar
    assert_equal(src.getblockchaininfo()["initialblockdownload"], False)
    assert_equal(getinfo_progress(src), "Verification progress: 100.0000%")


def wait_cli(node, env_force, timeout_s):
    env = dict(os.environ)
    env.pop("CAIRN_CLI_FORCE_PROGRESS", None)
    if env_force is not None:
        env["CAIRN_CLI_FORCE_PROGRESS"] = env_force
    cmd = [CAIRN_CLI, "-regtest", f"-datadir={node.datadir}", f"-rpcport={node.rpc_port}",
           "-rpcwait", f"-rpcwaittimeout={timeout_s}", "getblockcount"]
    return cmd, env


def run_cli(cmd, env):
    """Runs cmd; stdout and stderr decoded without turning \r into \n."""
    p = subprocess.run(cmd, env=env, capture_output=True, timeout=scaled(30))
    p.stdout, p.stderr = p.stdout.decode(), p.stderr.decode()
    return p


def check_rpcwait_countdown(tmp):
    late = Node(8, tmp)
    where = f"127.0.0.1:{late.rpc_port}"
    # forced on through a pipe: a count-down rewritten with \r, then why it stopped
    cmd, env = wait_cli(late, "1", 2)
    p = run_cli(cmd, env)
    assert_equal((p.returncode, p.stdout), (1, ""))
    assert_true(p.stderr.startswith(f"\rWaiting for the node at {where}... 2 s left"), repr(p.stderr))
    assert_in(f"\rWaiting for the node at {where}... 1 s left", p.stderr)
    assert_in(f"\rWaiting for the node at {where}... gave up after 2 s\nerror: ", p.stderr)
    # not a terminal, nothing forced: only the error, as before
    for force in (None, "0"):
        cmd, env = wait_cli(late, force, 1)
        p = run_cli(cmd, env)
        assert_equal(p.returncode, 1)
        assert_true(p.stderr.startswith("error: ") and "Waiting" not in p.stderr, repr(p.stderr))
    # a real terminal on stderr: the count-down without anything forced
    cmd, env = wait_cli(late, None, 1)
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=slave, text=True)
        os.close(slave)
        slave = None
        seen = b""
        deadline = time.monotonic() + scaled(20)
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the terminal closes with the process
                    break
                if not chunk:
                    break
                seen += chunk
            elif p.poll() is not None:
                break
        p.wait(timeout=scaled(10))
        text = seen.decode(errors="replace")
        assert_in(f"Waiting for the node at {where}... 1 s left", text)
        assert_in("gave up after 1 s", text)
    finally:
        os.close(master)
        if slave is not None:
            os.close(slave)
    # no timeout: elapsed seconds; once the node answers the line is wiped
    cmd, env = wait_cli(late, "1", 0)
    # bytes, not text: text mode would turn each \r into \n
    cli = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(1.5)
        late.start()
        out, err = cli.communicate(timeout=scaled(20))
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    late.stop()
    out, err = out.decode(), err.decode()
    assert_equal((cli.returncode, out), (0, "0\n"))
    assert_true(err.startswith(f"\rWaiting for the node at {where}... 0 s"), repr(err))
    assert_in(f"\rWaiting for the node at {where}... 1 s", err)
    # the last thing written blanks the line and returns to its start
    assert_true(re.search(r"\r +\r$", err) is not None, repr(err[-80:]))


def rescan_lines(node):
    return [l for l in node.log().splitlines() if "Rescan" in l or "Still rescanning" in l]


def check_rescan_log(src, fresh):
    # -rescanloginterval=0: a progress line after every block
    before = len(rescan_lines(fresh))
    tip = fresh.getblockcount()
    fresh.importprivkey("11" * 32, "", True)
    lines = rescan_lines(fresh)[before:]
    assert_in(f"wallet 'default': Rescan started from block 0 (to block {tip}, {tip + 1} blocks)", lines[0])
    still = [l for l in lines if "Still rescanning" in l]
    heights = [int(re.search(r"At block (\d+)\.", l).group(1)) for l in still]
    assert_equal(heights, list(range(0, tip + 1)))
    assert_true(still[-1].endswith("Progress=1.000000"), still[-1])
    half = still[tip // 2]
    assert_true(f"Progress={(tip // 2 + 1) / (tip + 1):.6f}" in half, half)
    assert_true(re.search(rf"wallet 'default': Rescan completed in \d+ ms: blocks 0 to {tip}$", lines[-1]),
                lines[-1])
    assert_equal(len(lines), tip + 3)
    # the default interval (10 s): a short rescan logs its start and its end only
    before = len(rescan_lines(src))
    src.importprivkey("22" * 32, "", True)
    lines = rescan_lines(src)[before:]
    assert_equal(len(lines), 2, lines)
    assert_in(f"Rescan started from block 0 (to block {BLOCKS}, {BLOCKS + 1} blocks)", lines[0])
    assert_in(f"Rescan completed in ", lines[1])


def test(nodes):
    src, fresh = nodes
    src.generatetoaddress(BLOCKS, src.address())
    check_getinfo_bar(src, fresh)
    check_rescan_log(src, fresh)
    check_rpcwait_countdown(os.path.dirname(src.datadir))


if __name__ == "__main__":
    run(test, num_nodes=2,
        extra_args=[["-connect=0", "-listen=1"], ["-connect=0", "-listen=1", "-rescanloginterval=0"]])
