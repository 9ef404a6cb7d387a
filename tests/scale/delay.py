"""Link delay for the scale harness: the relay process (tests/scale/relay.c,
built as BUILD/relay) and the check for netem.

With a delay, node i binds P2P to its private address (127.(net+10).x.y,
private_of) and announces its public one (-externalip=127.net.x.y), where
the relay listens and forwards to the private one after the delay; the
node's outgoing connections leave from the private address, and the relay
passes them on from the node's public address, so every node sees each
peer at the address the peer announces, one /24 per group as without the
relay. RPC stays on the public address (another port), undelayed."""
import os
import subprocess
import time

# the private addresses sit this many /16s above the public ones
PRIVATE_NET_OFFSET = 10


def private_of(host):
    a, b, c, d = host.split(".")
    return f"{a}.{int(b) + PRIVATE_NET_OFFSET}.{c}.{d}"


def netem_available():
    """Whether this kernel has the netem queueing discipline (built in or
    as a module); the harness delays links with netem only where it
    exists, and here it uses the relay either way (netem would need a
    network namespace per node)."""
    release = os.uname().release
    if os.path.exists("/sys/module/sch_netem"):
        return True
    for base in (f"/lib/modules/{release}", f"/usr/lib/modules/{release}"):
        for root, _, files in os.walk(base):
            if any(f.startswith("sch_netem.ko") for f in files):
                return True
    try:
        with open(f"/lib/modules/{release}/modules.builtin") as f:
            return "sch_netem" in f.read()
    except OSError:
        return False


class Relay:
    """One relay process for the given (public host, private host, port)
    triples."""

    def __init__(self, build, workdir, links, delay_ms, jitter_ms, rate_kbit, seed=1):
        self.binary = os.path.join(build, "relay")
        if not os.access(self.binary, os.X_OK):
            raise SystemExit(f"no {self.binary}: run make {self.binary}")
        self.map_path = os.path.join(workdir, "relay.map")
        with open(self.map_path, "w") as f:
            for pub, priv, port in links:
                f.write(f"{pub} {priv} {port}\n")
        self.args = [self.binary, "--map", self.map_path, "--delay-ms", str(delay_ms),
                     "--jitter-ms", str(jitter_ms), "--rate-kbit", str(rate_kbit), "--seed", str(seed)]
        self.err_path = os.path.join(workdir, "relay.stderr")
        self.proc = None
        self.counters = ""

    def start(self, preexec_fn=None, timeout=30):
        err = open(self.err_path, "w")
        try:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=err, start_new_session=True, preexec_fn=preexec_fn)
        finally:
            err.close()
        os.set_blocking(self.proc.stdout.fileno(), True)
        deadline = time.monotonic() + timeout
        line = self.proc.stdout.readline().decode()
        if not line.startswith("ready") or time.monotonic() > deadline:
            self.stop()
            raise SystemExit(f"the relay did not start: {line!r} {open(self.err_path).read()}")

    def cpu_s(self):
        """The relay's CPU seconds so far (every thread, from schedstat)."""
        try:
            total = 0
            for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
                with open(f"/proc/{self.proc.pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            return total / 1e9
        except (OSError, ValueError, AttributeError):
            return None

    def rss_kib(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except (OSError, AttributeError):
            pass
        return None

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        with open(self.err_path) as f:
            self.counters = f.read().strip()
