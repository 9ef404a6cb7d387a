"""Timers that end a connection, shortened with the regtest-only options
-handshaketimeout, -pinginterval and -pingtimeout: a socket that connects
and says nothing, or stops after its version, is closed once the handshake
time is up; a peer that never answers a ping is dropped after the ping
timeout while one that answers stays. Other networks refuse the options."""
import socket
import struct
import tempfile
import threading
import time

from framework import assert_equal, assert_in, assert_true, run, run_cairnd, scaled, wait_until
from p2p_util import RawPeer, version_payload

HANDSHAKE, INTERVAL, PING_TIMEOUT = 2, 1, 3
ARGS = ["-connect=0", "-listen=1", f"-handshaketimeout={HANDSHAKE}", f"-pinginterval={INTERVAL}",
        f"-pingtimeout={PING_TIMEOUT}"]


def refused_on_main():
    with tempfile.TemporaryDirectory() as tmp:
        for opt in ("handshaketimeout=2", "pinginterval=1", "pingtimeout=3", "stalltimeout=100"):
            rc, _, err = run_cairnd([f"-datadir={tmp}", f"-{opt}"])
            assert_equal(rc, 1, f"-{opt} accepted on main")
            assert_in("is only for -regtest", err)
        with open(f"{tmp}/cairn.conf", "w") as f:
            f.write("pingtimeout=3\n")
        rc, _, err = run_cairnd([f"-datadir={tmp}"])
        assert_equal(rc, 1, "pingtimeout= in cairn.conf accepted on main")
        rc, out, _ = run_cairnd(["-help"])
        assert_true("pingtimeout" not in out, "-help lists a hidden regtest option")


def timed_close(peer, limit):
    """Seconds until the node closes peer (fails past limit)."""
    t0 = time.monotonic()
    assert_true(peer.closed(timeout=scaled(limit)), f"still open after {scaled(limit):.0f}s")
    return time.monotonic() - t0


class Ponger(threading.Thread):
    """Answers every ping a raw peer receives after its handshake; lost is
    set when the node closes the connection."""

    def __init__(self, peer):
        super().__init__(daemon=True)
        self.peer, self.pings, self.stop, self.lost = peer, 0, False, False

    def run(self):
        s = self.peer.s
        s.settimeout(0.2)
        while not self.stop:
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                data = b""
            if not data:
                self.lost = True
                return
            self.peer.buf += data
            while len(self.peer.buf) >= 24:
                ln = struct.unpack("<I", self.peer.buf[16:20])[0]
                if len(self.peer.buf) < 24 + ln:
                    break
                cmd = self.peer.buf[4:16].rstrip(b"\0").decode()
                payload = self.peer.buf[24:24 + ln]
                self.peer.buf = self.peer.buf[24 + ln:]
                if cmd == "ping":
                    self.pings += 1
                    self.peer.msg("pong", payload)


def test(nodes):
    node = nodes[0]
    refused_on_main()
    assert_in("mesh timers: handshake 2 s", node.log())
    port = node.p2p_port

    # connects, says nothing
    silent = RawPeer(port, "127.0.0.2")
    took = timed_close(silent, HANDSHAKE + 3)
    assert_true(took > HANDSHAKE - 0.5, f"closed after {took:.1f}s, before the handshake time")
    # a version, never a verack
    half = RawPeer(port, "127.0.0.3")
    half.msg("version", version_payload())
    timed_close(half, HANDSHAKE + 3)
    assert_equal(node.getpeerinfo(), [])

    # one peer answers pings, the other never does
    polite = RawPeer(port, "127.0.0.4")
    polite.handshake()
    ponger = Ponger(polite)
    ponger.start()
    mute = RawPeer(port, "127.0.0.5")
    mute.handshake()
    took = timed_close(mute, PING_TIMEOUT + 4)
    assert_true(took > PING_TIMEOUT - 1, f"mute peer dropped after {took:.1f}s")
    wait_until(lambda: ponger.pings >= 3, timeout=PING_TIMEOUT + 3)
    assert_true(not ponger.lost, "the peer that answers pings was dropped")
    peers = node.getpeerinfo()
    assert_equal([p["addr"].split(":")[0] for p in peers], ["127.0.0.4"])
    assert_true(peers[0]["minping"] > 0)
    assert_in("ping timeout", node.log())
    ponger.stop = True
    ponger.join()
    polite.close()


if __name__ == "__main__":
    run(test, num_nodes=1, extra_args=[ARGS], timeout=90)
