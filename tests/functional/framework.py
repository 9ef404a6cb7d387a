"""Functional test framework: real cairnd processes on loopback, driven over
JSON-RPC. Python 3 standard library only.

A test looks like this:

    from framework import run, assert_equal

    def test(nodes):
        a = nodes[0]
        a.generatetoaddress(10, a.address())
        assert_equal(a.getblockcount(), 10)

    if __name__ == "__main__":
        run(test, num_nodes=1)

`run` starts the nodes (each with a fresh data directory and free loopback
ports), calls the test, and ALWAYS stops every node it started: on success,
on an exception, on Ctrl-C, and (through a watchdog) when the test runs past
its time limit. On success the temporary directory is removed; on failure
the traceback and the tail of each node's debug.log are printed, the
directory is kept for inspection, and the process exits with status 1.

Environment: CAIRN_BUILD is the directory holding cairnd and cairn-cli
(default: <root>/build); CAIRN_TIMEOUT_FACTOR multiplies every timeout
(default 1, or 4 for a sanitizer build, whose path ends in "san").
"""
import atexit
import base64
import ctypes
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

import bech32m

ROOT = os.environ.get("CAIRN_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("CAIRN_BUILD") or os.path.join(ROOT, "build")
CAIRND = os.path.join(BUILD, "cairnd")
CAIRN_CLI = os.path.join(BUILD, "cairn-cli")
SANITIZED = os.path.basename(os.path.normpath(BUILD)) == "san"
TIMEOUT_FACTOR = float(os.environ.get("CAIRN_TIMEOUT_FACTOR") or (4 if SANITIZED else 1))
LOOPBACK = "127.0.0.1"
LOG_TAIL_LINES = 60

_lock = threading.RLock()
_all_nodes = []     # every Node ever created in this process, for clean-up
_used_ports = set()  # ports handed out by free_port in this process


def scaled(seconds):
    """A timeout stretched for slow (sanitizer) builds."""
    return seconds * TIMEOUT_FACTOR


# --------------------------------------------------------------------------
# assertions and waiting

class TestFailure(AssertionError):
    pass


def assert_equal(a, b, msg=""):
    if a != b:
        raise TestFailure(f"{a!r} != {b!r}" + (f": {msg}" if msg else ""))


def assert_true(cond, msg="condition is false"):
    if not cond:
        raise TestFailure(msg)


def assert_in(item, container, msg=""):
    if item not in container:
        raise TestFailure(f"{item!r} not in {container!r}" + (f": {msg}" if msg else ""))


def assert_raises_rpc(code, fn, *args, message=None, **kwargs):
    """Calls fn(*args, **kwargs) and expects RPCError with this code (and, if
    given, `message` as a substring of its message). Returns the error."""
    try:
        fn(*args, **kwargs)
    except RPCError as e:
        if e.code != code:
            raise TestFailure(f"expected RPC error {code}, got {e.code}: {e.message}") from e
        if message is not None and message not in e.message:
            raise TestFailure(f"expected {message!r} in the error message, got {e.message!r}") from e
        return e
    raise TestFailure(f"expected RPC error {code}, but the call succeeded")


def check_known_bug(name):
    """Whether to run a check that fails because of a known, reported bug.
    Such checks are off by default so the suite stays green; set
    CAIRN_KNOWN_BUGS=1 (or a comma-separated list of names) to run them."""
    want = os.environ.get("CAIRN_KNOWN_BUGS", "")
    return want == "1" or name in want.split(",")


def wait_until(predicate, timeout=10, interval=0.05, msg=None):
    """Polls predicate() until it is true; the timeout is scaled for slow
    builds. Raises TestFailure when it never becomes true."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise TestFailure(msg or f"wait_until timed out after {scaled(timeout):.0f}s: {predicate}")
        time.sleep(interval)


def sha256d(data):
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


HEADER_SIZE = 152


def mth(leaf_hashes):
    """RFC 6962 tree hash over leaf hashes, as the RFC's recursion states it."""
    if not leaf_hashes:
        return hashlib.sha256(b"").digest()
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    k = 1
    while k * 2 < len(leaf_hashes):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaf_hashes[:k]) + mth(leaf_hashes[k:])).digest()


def history_leaf(header):
    """The history leaf hash of a block from its getblockheader answer:
    hash | height u32 LE | chainwork (big-endian), hashed as a leaf."""
    record = bytes.fromhex(header["hash"]) + header["height"].to_bytes(4, "little") + \
        bytes.fromhex(header["chainwork"])
    return hashlib.sha256(b"\x00" + record).digest()


def history_root(node, last):
    """The history root over the best chain's blocks 0..last, computed here
    from the node's headers: what the block at last + 1 commits to."""
    leaves = [history_leaf(node.getblockheader(node.getblockhash(h))) for h in range(last + 1)]
    return mth(leaves)


def address_of(seed, hrp="rcrn"):
    """A deterministic address (no wallet needed): bech32m of the first 20
    bytes of SHA-256(seed)."""
    if isinstance(seed, str):
        seed = seed.encode()
    return bech32m.encode(hrp, 0, hashlib.sha256(seed).digest()[:20])


def free_port():
    """A loopback port nobody listens on right now (bind to port 0 and let
    the kernel choose). Never the same twice within this process."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((LOOPBACK, 0))
            port = s.getsockname()[1]
        with _lock:
            if port not in _used_ports:
                _used_ports.add(port)
                return port


def listening_sockets(pid):
    """The (address, port) of every TCP socket process pid listens on, read
    from /proc (IPv4 as dotted quads, IPv6 as 32 hex digits)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    out = []
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            cols = row.split()
            if cols[3] != "0A" or cols[9] not in inodes:  # 0A: LISTEN
                continue
            addr, port = cols[1].split(":")
            if not v6:
                addr = socket.inet_ntoa(bytes.fromhex(addr)[::-1])
            out.append((addr, int(port, 16)))
    return out


# --------------------------------------------------------------------------
# JSON-RPC

class RPCError(Exception):
    """A JSON-RPC error answer."""

    def __init__(self, code, message):
        super().__init__(f"RPC error {code}: {message}")
        self.code = code
        self.message = message


class RPCProxy:
    """A JSON-RPC 2.0 client on one persistent keep-alive HTTP connection.

    proxy.getblockcount(), proxy.getblock(h, 2), proxy.call("name", *args),
    proxy.call("name", key=value) for named params. Requests go to path: "/",
    or a wallet's endpoint "/wallet/NAME" (Node.wallet). Not thread-safe:
    give each thread its own proxy (Node.proxy())."""

    def __init__(self, port, user, password, timeout=None, host=LOOPBACK, path="/"):
        self.host, self.port, self.path = host, port, path
        self.timeout = timeout if timeout is not None else scaled(60)
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.auth = "Basic " + token
        self.conn = None
        self.next_id = 0
        self.requests = 0  # sent on the current connection

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None

    def _connect(self):
        self.close()
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self.requests = 0

    def post(self, body, headers=None):
        """Sends one POST with this body (bytes, str, or an object to encode
        as JSON) and returns (status, headers, body bytes). A connection the
        server closed while idle is reopened once."""
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        hdrs = {"Authorization": self.auth, "Content-Type": "application/json"}
        hdrs.update(headers or {})
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            reused = self.requests > 0
            try:
                self.conn.request("POST", self.path, body, hdrs)
                self.requests += 1
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, resp.headers, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt or not reused:
                    raise
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")

    def call(self, method, *args, **named):
        """Calls method with positional args or named params (not both).
        Returns the result; raises RPCError on an error answer."""
        if args and named:
            raise ValueError("positional and named params cannot be mixed")
        self.next_id += 1
        req = {"jsonrpc": "2.0", "id": self.next_id, "method": method,
               "params": named if named else list(args)}
        status, _, data = self.post(req)
        if status == 401:
            raise RPCError(-401, "HTTP 401 Unauthorized")
        try:
            reply = json.loads(data)
        except ValueError:
            raise TestFailure(f"{method}: HTTP {status}, not JSON: {data[:200]!r}") from None
        if not isinstance(reply, dict):
            raise TestFailure(f"{method}: unexpected reply {reply!r}")
        if reply.get("id") != self.next_id:
            raise TestFailure(f"{method}: reply id {reply.get('id')!r} != {self.next_id}")
        err = reply.get("error")
        if err is not None:
            raise RPCError(err.get("code"), err.get("message"))
        return reply.get("result")

    def batch(self, calls):
        """Sends [(method, [args...]), ...] as one batch; returns the results
        in order, raising RPCError for the first error among them."""
        base = self.next_id
        reqs = [{"jsonrpc": "2.0", "id": base + i + 1, "method": m, "params": list(a)}
                for i, (m, a) in enumerate(calls)]
        self.next_id += len(reqs)
        if not reqs:
            return []
        status, _, data = self.post(reqs)
        replies = json.loads(data)
        if not isinstance(replies, list) or len(replies) != len(reqs):
            raise TestFailure(f"batch of {len(reqs)}: HTTP {status}, {data[:200]!r}")
        out = []
        for req, reply in zip(reqs, replies):
            if reply.get("id") != req["id"]:
                raise TestFailure(f"batch reply id {reply.get('id')!r} != {req['id']}")
            if reply.get("error") is not None:
                raise RPCError(reply["error"].get("code"), reply["error"].get("message"))
            out.append(reply.get("result"))
        return out

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **named: self.call(name, *args, **named)


def run_cairnd(args, timeout=20):
    """Runs cairnd with these args to its end (for -help, and for start-ups
    that must fail); returns (status, stdout, stderr). A process still
    running after the timeout is killed and fails the test."""
    p = subprocess.Popen([CAIRND] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True,
                         preexec_fn=_die_with_parent)
    try:
        out, err = p.communicate(timeout=scaled(timeout))
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise TestFailure(f"cairnd {' '.join(args)} still running after {scaled(timeout):.0f}s\n{err}")
    return p.returncode, out, err


# --------------------------------------------------------------------------
# nodes

_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """Runs in the child before exec: if the test process dies, even by
    SIGKILL, the kernel kills the node too, so no cairnd outlives its test."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:  # not Linux: atexit still stops the nodes
        pass


def _pid_alive(pid):
    """True while pid runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False


class Node:
    """One cairnd -regtest process with its own data directory.

    The data directory is <tmpdir>/node<i>; the node's files are in its
    regtest/ subfolder (node.netdir). stdout and stderr of the process go to
    <datadir>/stdout.txt and stderr.txt."""

    def __init__(self, index, tmpdir, extra_args=None):
        self.index = index
        self.datadir = os.path.join(tmpdir, f"node{index}")
        os.makedirs(self.datadir, exist_ok=True)
        self.netdir = os.path.join(self.datadir, "regtest")
        self.extra_args = list(extra_args or [])
        self.rpc_port = free_port()
        self.p2p_port = free_port()
        self.process = None
        self.pid = None
        self.returncode = None
        self.rpc = None
        self.user = self.password = None
        self.rpcauth = None  # (user, password) set in cairn.conf, for start()
        with _lock:
            _all_nodes.append(self)

    # -- files --

    def path(self, *parts):
        return os.path.join(self.netdir, *parts)

    def log(self):
        """The whole debug.log ('' when there is none yet)."""
        try:
            with open(self.path("debug.log"), encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def _read(self, name):
        try:
            with open(os.path.join(self.datadir, name), encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stderr(self):
        return self._read("stderr.txt")

    def stdout(self):
        return self._read("stdout.txt")

    def tail(self, lines=LOG_TAIL_LINES):
        text = "\n".join(self.log().splitlines()[-lines:])
        err = "\n".join(self.stderr().splitlines()[-lines:])
        out = f"--- node{self.index} debug.log (last {lines} lines) ---\n{text}\n"
        if err:
            out += f"--- node{self.index} stderr ---\n{err}\n"
        return out

    def write_conf(self, text):
        """Writes <datadir>/cairn.conf."""
        with open(os.path.join(self.datadir, "cairn.conf"), "w") as f:
            f.write(text)

    # -- process --

    def args(self, extra_args=None, ports=True):
        """The command line that start() runs."""
        # -fallbackfee as Bitcoin Core's test framework sets it: a fresh
        # regtest chain has no fee estimates, and the default 0 refuses to
        # guess (a later -fallbackfee in extra_args wins).
        a = [CAIRND, "-regtest", f"-datadir={self.datadir}", "-printtoconsole=0",
             f"-bind={LOOPBACK}", f"-rpcbind={LOOPBACK}", "-fallbackfee=0.0002"]
        if ports:
            a += [f"-port={self.p2p_port}", f"-rpcport={self.rpc_port}"]
        return a + list(self.extra_args if extra_args is None else extra_args)

    def spawn(self, extra_args=None, ports=True):
        """Starts the process and returns at once (no waiting for RPC)."""
        if self.running():
            raise TestFailure(f"node{self.index} is already running")
        args = self.args(extra_args, ports)
        self._note_credentials(args)
        out = open(os.path.join(self.datadir, "stdout.txt"), "a")
        err = open(os.path.join(self.datadir, "stderr.txt"), "a")
        try:
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                            start_new_session=True, preexec_fn=_die_with_parent)
        finally:
            out.close()
            err.close()
        self.pid = self.process.pid
        self.returncode = None
        return self.process

    def _note_credentials(self, args):
        self.user = self.password = None
        for a in args:
            if a.startswith("-rpcuser="):
                self.user = a.split("=", 1)[1]
            elif a.startswith("-rpcpassword="):
                self.password = a.split("=", 1)[1]

    def start(self, extra_args=None, ports=True, timeout=30):
        """Starts cairnd and waits until it answers RPC. extra_args replaces
        the node's extra args for this start; ports=False leaves -port and
        -rpcport out (the test sets node.rpc_port to what it configured).
        A port taken in the meantime by someone else is retried with fresh
        ports."""
        for attempt in range(3):
            self.spawn(extra_args, ports)
            try:
                self.wait_for_rpc(timeout)
                return self
            except TestFailure:
                if ports and attempt < 2 and not self.running() and "cannot bind" in self.stderr():
                    self.rpc_port, self.p2p_port = free_port(), free_port()
                    continue
                raise

    def start_daemon(self, extra_args=None, timeout=30):
        """Starts with -daemon: the command must return status 0 at once;
        the node's pid then comes from its pid file. Waits for RPC and
        returns (status, seconds the command took)."""
        t0 = time.monotonic()
        proc = self.spawn(list(self.extra_args if extra_args is None else extra_args) + ["-daemon"])
        try:
            rc = proc.wait(scaled(timeout))
        except subprocess.TimeoutExpired:
            raise TestFailure("cairnd -daemon did not return\n" + self.tail()) from None
        took = time.monotonic() - t0
        if rc != 0:
            raise TestFailure(f"cairnd -daemon returned {rc}\n" + self.tail())
        with open(self.path("cairnd.pid")) as f:
            self.pid = int(f.read().strip())
        self.process = None
        self.wait_for_rpc(timeout)
        return rc, took

    def running(self):
        if self.process is not None and self.process.pid == self.pid:
            if self.process.poll() is None:
                return True
            self.returncode = self.process.returncode
            return False
        return self.pid is not None and _pid_alive(self.pid)

    def credentials(self):
        """(user, password): those on the command line, else node.rpcauth
        (set it when cairn.conf holds them), else the cookie's; None when
        there is no cookie yet."""
        if self.user is not None and self.password is not None:
            return self.user, self.password
        if self.rpcauth is not None:
            return self.rpcauth
        try:
            with open(self.path(".cookie")) as f:
                user, _, password = f.read().strip().partition(":")
            return (user, password) if password else None
        except FileNotFoundError:
            return None

    def proxy(self, timeout=None, path="/"):
        """A new RPC connection (for another thread, or a raw request)."""
        creds = self.credentials()
        if creds is None:
            raise TestFailure(f"node{self.index}: no cookie file")
        return RPCProxy(self.rpc_port, creds[0], creds[1], timeout, path=path)

    def wallet(self, name):
        """A new RPC connection to the wallet endpoint of wallet name,
        /wallet/NAME with the name URL-encoded, as bitcoin-cli -rpcwallet."""
        return self.proxy(path="/wallet/" + urllib.parse.quote(name, safe=""))

    def wait_for_rpc(self, timeout=30):
        """Polls until getblockcount answers. Fails, with the log tail, when
        the process exits first or the timeout passes."""
        deadline = time.monotonic() + scaled(timeout)
        last = None
        while time.monotonic() < deadline:
            if not self.running():
                raise TestFailure(f"node{self.index} exited with status {self.returncode} during start-up\n"
                                  + self.tail())
            try:
                if self.credentials() is not None:
                    self.rpc = self.proxy()
                    self.rpc.getblockcount()
                    return
            except RPCError as e:
                last = e
                if e.code not in (-28, -401):  # warming up; cookie being rewritten
                    raise
            except (OSError, http.client.HTTPException) as e:
                last = e
            time.sleep(0.05)
        raise TestFailure(f"node{self.index} did not answer RPC within {scaled(timeout):.0f}s ({last})\n"
                          + self.tail())

    def wait_exit(self, timeout=10):
        """Waits for the process to end; returns its status (None when it
        was not our child, as with -daemon), raises on timeout."""
        deadline = time.monotonic() + scaled(timeout)
        while self.running():
            if time.monotonic() > deadline:
                raise TestFailure(f"node{self.index} still running after {scaled(timeout):.0f}s")
            time.sleep(0.02)
        if self.rpc:
            self.rpc.close()
        return self.returncode if self.process is not None and self.process.pid == self.pid else None

    def stop(self, timeout=10):
        """Stops the node with the `stop` RPC and waits for it to exit with
        status 0. A node that does not exit in time is killed, and that is a
        failure; so is a non-zero status (a sanitizer report, a crash)."""
        if not self.running():
            return self.returncode
        try:
            assert_equal(self.call("stop"), "cairn server stopping")
        except (OSError, http.client.HTTPException, RPCError):
            pass  # judged by whether it exits
        try:
            rc = self.wait_exit(timeout)
        except TestFailure:
            self.kill9()
            raise TestFailure(f"node{self.index} did not stop within {scaled(timeout):.0f}s of `stop`; killed\n"
                              + self.tail())
        if rc not in (0, None):
            raise TestFailure(f"node{self.index} exited with status {rc}\n" + self.tail())
        return rc

    def signal(self, sig):
        os.kill(self.pid, sig)

    def kill9(self):
        """SIGKILL, and wait until it is gone."""
        if self.running():
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.wait_exit(10)
            except TestFailure:
                pass
        if self.rpc:
            self.rpc.close()

    def restart(self, extra_args=None, **kw):
        """stop() then start(), keeping the data directory."""
        self.stop()
        return self.start(extra_args, **kw)

    # -- RPC --

    def call(self, method, *args, **named):
        if self.rpc is None:
            self.rpc = self.proxy()
        return self.rpc.call(method, *args, **named)

    def batch(self, calls):
        if self.rpc is None:
            self.rpc = self.proxy()
        return self.rpc.batch(calls)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **named: self.call(name, *args, **named)

    def address(self, seed=None):
        """A regtest address for this node to mine to."""
        return address_of(f"node{self.index}" if seed is None else seed)

    def cli(self, *args, input=None, timeout=30, rpcport=None, options=None):
        """Runs cairn-cli against this node; returns (status, stdout, stderr).
        options go before the method; args after it."""
        cmd = [CAIRN_CLI, "-regtest", f"-datadir={self.datadir}",
               f"-rpcport={self.rpc_port if rpcport is None else rpcport}"]
        cmd += list(options or []) + [str(a) for a in args]
        p = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=scaled(timeout))
        return p.returncode, p.stdout, p.stderr


# --------------------------------------------------------------------------
# running a test

class Cluster:
    """`with Cluster(n) as nodes:` starts n nodes in one temporary directory
    and stops them all on the way out, whatever happens. On success the
    directory is removed (and a node that fails to stop cleanly fails the
    test); on failure the log tails are printed and the directory kept."""

    def __init__(self, num_nodes=1, extra_args=None, start=True):
        self.tmpdir = tempfile.mkdtemp(prefix="cairn_test_")
        per_node = extra_args or [[] for _ in range(num_nodes)]
        self.nodes = [Node(i, self.tmpdir, per_node[i]) for i in range(num_nodes)]
        self.start_nodes = start

    def add_node(self, extra_args=None):
        """Another node in the same directory (not started)."""
        n = Node(len(self.nodes), self.tmpdir, extra_args)
        self.nodes.append(n)
        return n

    def __enter__(self):
        try:
            if self.start_nodes:
                for n in self.nodes:
                    n.start()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self.nodes

    def all_nodes(self):
        """The cluster's nodes and any other Node a test made in its
        directory: all are stopped on the way out."""
        with _lock:
            extra = [n for n in _all_nodes if n not in self.nodes
                     and n.datadir.startswith(self.tmpdir + os.sep)]
        return self.nodes + extra

    def __exit__(self, exc_type, exc, tb):
        failed = exc_type is not None
        problems = []
        nodes = self.all_nodes()
        for n in nodes:
            if failed:
                try:
                    n.stop(timeout=5)
                except BaseException:
                    n.kill9()
            else:
                try:
                    n.stop()
                except TestFailure as e:
                    problems.append(str(e))
        if failed or problems:
            for n in nodes:
                sys.stderr.write(n.tail())
            sys.stderr.write(f"test directory kept: {self.tmpdir}\n")
            if problems:
                raise TestFailure("\n".join(problems))
        else:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        return False


def kill_all_nodes():
    """SIGKILL every node this process started that still runs."""
    with _lock:
        nodes = list(_all_nodes)
    for n in nodes:
        try:
            if n.pid and n.running():
                os.kill(n.pid, signal.SIGKILL)
        except (ProcessLookupError, OSError):
            pass


atexit.register(kill_all_nodes)


def _watchdog(seconds):
    def fire():
        sys.stderr.write(f"\nTIMEOUT: the test ran longer than {seconds:.0f}s; killing its nodes\n")
        with _lock:
            nodes = list(_all_nodes)
        for n in nodes:
            try:
                sys.stderr.write(n.tail())
            except Exception:
                pass
        for tid, frame in sys._current_frames().items():
            if tid != threading.get_ident():
                sys.stderr.write("".join(traceback.format_stack(frame)))
        kill_all_nodes()
        sys.stderr.flush()
        os._exit(1)
    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()
    return t


def run(test_fn, num_nodes=1, extra_args=None, timeout=120):
    """Runs test_fn(nodes) with num_nodes started nodes (extra_args: one list
    per node) and exits: 0 on success, 1 on any failure or after `timeout`
    seconds (scaled for slow builds)."""
    dog = _watchdog(scaled(timeout))
    start = time.monotonic()
    try:
        with Cluster(num_nodes, extra_args) as nodes:
            test_fn(nodes)
    except BaseException as e:
        if isinstance(e, SystemExit) and e.code in (0, None):
            raise
        traceback.print_exc()
        sys.stderr.write(f"FAILED: {os.path.basename(sys.argv[0])}\n")
        sys.stderr.flush()
        kill_all_nodes()
        sys.exit(1)
    finally:
        dog.cancel()
    print(f"passed: {os.path.basename(sys.argv[0])} ({time.monotonic() - start:.1f}s)")
    sys.exit(0)
