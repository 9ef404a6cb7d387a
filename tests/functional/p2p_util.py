"""Helpers for the mesh's tests: signed regtest transactions from
bench/tool_txgen, and a raw peer that speaks the wire protocol byte by byte
(to send what an honest node never would)."""
import hashlib
import os
import socket
import struct
import subprocess
import time

from framework import BUILD, ROOT, SANITIZED

MAGIC = bytes([0xfa, 0xbf, 0xb5, 0xda])  # regtest
PROTOCOL_VERSION = 70001


def txgen(*args):
    """Runs tool_txgen (building it first when missing); returns its words."""
    tool = os.path.join(BUILD, "bench", "tool_txgen")
    if not os.path.exists(tool):
        rel = os.path.relpath(tool, ROOT)
        subprocess.run(["make", "-C", ROOT, rel] + (["SAN=1"] if SANITIZED else []),
                       check=True, capture_output=True)
    out = subprocess.run([tool, *map(str, args)], check=True, capture_output=True, text=True).stdout
    return out.split()


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def varint(n):
    if n < 0xfd:
        return bytes([n])
    if n <= 0xffff:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xffffffff:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def frame(command, payload=b"", magic=MAGIC, checksum=None, length=None):
    cmd = command.encode().ljust(12, b"\0")
    ck = sha256d(payload)[:4] if checksum is None else checksum
    ln = len(payload) if length is None else length
    return magic + cmd + struct.pack("<I", ln) + ck + payload


def net_addr(host, port, services=0):
    ip = b"\0" * 10 + b"\xff\xff" + socket.inet_aton(host)
    return struct.pack("<Q", services) + ip + struct.pack(">H", port)


def version_payload(height=0, nonce=None, port=0):
    nonce = nonce if nonce is not None else int.from_bytes(os.urandom(8), "little")
    ua = b"/raw:0.1/"
    return (struct.pack("<IQq", PROTOCOL_VERSION, 1, int(time.time())) + net_addr("127.0.0.1", port)
            + struct.pack("<Q", nonce) + varint(len(ua)) + ua + struct.pack("<I", height) + b"\x01")


def inv_payload(items):
    return varint(len(items)) + b"".join(struct.pack("<I", t) + h for t, h in items)


class RawPeer:
    """A TCP connection to a node from a chosen loopback source address
    (127.0.0.0/8 is all loopback on Linux), so bans by IP can be told
    apart from the honest nodes on 127.0.0.1."""

    def __init__(self, port, source="127.0.0.1", timeout=5):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.bind((source, 0))
        self.s.connect(("127.0.0.1", port))
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def msg(self, command, payload=b""):
        self.send(frame(command, payload))

    def recv_msg(self, timeout=5):
        """The next (command, payload), or None when the connection closed."""
        self.s.settimeout(timeout)
        while True:
            if len(self.buf) >= 24:
                ln = struct.unpack("<I", self.buf[16:20])[0]
                if len(self.buf) >= 24 + ln:
                    cmd = self.buf[4:16].rstrip(b"\0").decode()
                    payload = self.buf[24:24 + ln]
                    self.buf = self.buf[24 + ln:]
                    return cmd, payload
            try:
                data = self.s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                return None
            if not data:
                return None
            self.buf += data

    def handshake(self, height=0):
        self.msg("version", version_payload(height))
        got = set()
        while not {"version", "verack"} <= got:
            m = self.recv_msg()
            if m is None:
                raise AssertionError("closed during the handshake")
            got.add(m[0])
        self.msg("verack")

    def closed(self, timeout=5):
        """True once the node has closed the connection (everything it
        sends meanwhile is read and dropped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.s.settimeout(max(0.05, deadline - time.monotonic()))
                data = self.s.recv(65536)
                if not data:
                    return True
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
        return False

    def close(self):
        self.s.close()
