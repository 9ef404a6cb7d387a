#!/usr/bin/env python3
"""Checks that every source file keeps to its layer.

    python3 tools/check_layers.py [ROOT]

ROOT is the tree to check (default: the one this script lives in). Prints one
line per violation, `file:line: rule`, and exits 1; prints `layers ok` and
exits 0 when there is none.

The sources are every .c and .h under util/ chain/ p2p/ wallet/ rpc/ node/.
tests/ and bench/ are exempt: a test or a benchmark may reach into any layer
to drive it, and is not linked into the node.

Rules:
  - Ranks: util < chain < p2p = wallet < rpc < node. A file includes
    "dir/..." headers of its own layer and lower ones only; p2p and wallet
    share a rank and never include each other. A quoted include must name
    one of these folders (or be a bare name, a header beside the file);
    <dir/...> of a layer's folder counts as "dir/...".
  - libevent (<event2/...> and its old top-level headers) only in p2p/,
    rpc/ and node/.
  - Socket headers (sys/socket.h, netinet/*, arpa/*, netdb.h) never in
    util/, chain/ or wallet/.
  - chain/ has no clock and no threads of its own: it never includes
    util/clock.h, never calls clock_now, time, gettimeofday, clock_gettime
    or timespec_get (the caller passes the time in), and never starts a
    thread (pthread_create, thrd_create, pool_new: the node creates the
    worker pool and hands it down). <pthread.h> is allowed in chain/ only
    in the files of CHAIN_PTHREAD, for locks, once-flags and thread keys;
    any other chain/ file including it fails, and the thread rule holds in
    the allowed files too.
  - LevelDB (<leveldb/...>) only in chain/store.c.
  - cJSON (<cJSON.h>, <cjson/cJSON.h>) only in rpc/ and node/.

Comments and string literals are blanked before the calls are looked for,
so a comment that names time() is no violation.
"""
import os
import re
import sys

RANK = {"util": 0, "chain": 1, "p2p": 2, "wallet": 2, "rpc": 3, "node": 4}

# chain/ files that may include <pthread.h>: hash.c keeps a per-thread
# hasher (pthread_once + pthread_key), sigcheck.c locks its signature cache
# with a mutex. Neither may start a thread.
CHAIN_PTHREAD = {"chain/hash.c", "chain/sigcheck.c"}

LIBEVENT_LAYERS = {"p2p", "rpc", "node"}
SOCKET_FREE_LAYERS = {"util", "chain", "wallet"}
CJSON_LAYERS = {"rpc", "node"}
LEVELDB_FILES = {"chain/store.c"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
LIBEVENT = re.compile(r"^(event2/|(event|evhttp|evutil|evdns|evrpc)\.h$)")
SOCKET = re.compile(r"^(sys/socket\.h|netinet/|arpa/|netdb\.h$)")
LEVELDB = re.compile(r"^leveldb/")
CJSON = re.compile(r"^(cjson/)?cJSON\.h$")
CHAIN_CLOCK_CALLS = ("clock_now", "time", "gettimeofday", "clock_gettime", "timespec_get")
CHAIN_THREAD_CALLS = ("pthread_create", "thrd_create", "pool_new")


# A comment, or a string or character literal (which ends at its line's end
# at the latest, as a broken one would).
LEXEME = re.compile(r'//[^\n]*|/\*.*?(?:\*/|\Z)|"(?:\\.|[^"\\\n])*"?|\'(?:\\.|[^\'\\\n])*\'?', re.S)


def blank(text, strings):
    """text with comments (and, when strings, the insides of string and
    character literals) replaced by spaces; newlines stay, so line numbers
    do too."""
    def repl(m):
        tok = m.group(0)
        if tok[0] == "/":
            return re.sub(r"[^\n]", " ", tok)
        if not strings:
            return tok
        closed = len(tok) > 1 and tok[-1] == tok[0]
        inner = tok[1:-1] if closed else tok[1:]
        return tok[0] + " " * len(inner) + (tok[0] if closed else "")
    return LEXEME.sub(repl, text)


def sources(root):
    for layer in RANK:
        top = os.path.join(root, layer)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith((".c", ".h")):
                    path = os.path.join(dirpath, name)
                    yield layer, os.path.relpath(path, root).replace(os.sep, "/"), path


def check_include(layer, rel, kind, target):
    """The rules one include breaks, as messages."""
    found = []
    top = target.split("/", 1)[0] if "/" in target else None
    if kind == '"' or top in RANK:
        if top is None:
            pass  # a header next to this file: its own layer
        elif top not in RANK:
            found.append(f'includes "{target}", which is in no layer')
        elif RANK[top] > RANK[layer]:
            found.append(f"{layer}/ includes {top}/, a higher layer")
        elif RANK[top] == RANK[layer] and top != layer:
            found.append(f"{layer}/ includes {top}/: p2p and wallet never include each other")
        if layer == "chain" and target == "util/clock.h":
            found.append("chain/ includes util/clock.h: chain has no clock, the caller passes the time")
        return found
    if LIBEVENT.match(target) and layer not in LIBEVENT_LAYERS:
        found.append(f"{layer}/ includes libevent <{target}>: only p2p/, rpc/ and node/ may")
    if SOCKET.match(target) and layer in SOCKET_FREE_LAYERS:
        found.append(f"{layer}/ includes socket header <{target}>: only p2p/, rpc/ and node/ may")
    if LEVELDB.match(target) and rel not in LEVELDB_FILES:
        found.append(f"includes LevelDB <{target}>: only chain/store.c may")
    if CJSON.match(target) and layer not in CJSON_LAYERS:
        found.append(f"{layer}/ includes cJSON <{target}>: only rpc/ and node/ may")
    if layer == "chain" and target == "pthread.h" and rel not in CHAIN_PTHREAD:
        found.append("chain/ includes <pthread.h> outside its allow-list (tools/check_layers.py CHAIN_PTHREAD)")
    return found


# A call, not a member (b->time(...), s.time(...)) nor a longer name.
CALL = re.compile(r"(?<![\w.])(?<!->)(%s)\s*\(" % "|".join(CHAIN_CLOCK_CALLS + CHAIN_THREAD_CALLS))


def check_file(layer, rel, path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    found = []
    for no, line in enumerate(blank(text, strings=False).splitlines(), 1):
        m = INCLUDE.match(line)
        if m:
            found += [(no, msg) for msg in check_include(layer, rel, m.group(1), m.group(2))]
    if layer == "chain":
        for no, line in enumerate(blank(text, strings=True).splitlines(), 1):
            if INCLUDE.match(line):
                continue
            for m in CALL.finditer(line):
                name = m.group(1)
                if name in CHAIN_THREAD_CALLS:
                    found.append((no, f"chain/ starts a thread ({name}): the node hands it the worker pool"))
                else:
                    found.append((no, f"chain/ reads the clock ({name}): the caller passes the time"))
    return [f"{rel}:{no}: {msg}" for no, msg in found]


def main(argv):
    if len(argv) > 2:
        print("usage: check_layers.py [ROOT]", file=sys.stderr)
        return 2
    root = argv[1] if len(argv) == 2 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isdir(os.path.join(root, "chain")):
        print(f"check_layers.py: {root} has no chain/ folder", file=sys.stderr)
        return 2
    violations = []
    for layer, rel, path in sources(root):
        violations += check_file(layer, rel, path)
    for v in violations:
        print(v)
    if violations:
        return 1
    print("layers ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
