#!/usr/bin/env python3
"""tools/check_layers.py catches every layer violation it promises to.

Copies the six source folders to a temporary directory, runs the checker on
the copy, then plants one violation at a time at the end of a real file,
checks that the checker fails and names that file, line and rule, and takes
the plant out again. Some plants are allowed patterns (a comment naming
time(), a lower layer included from node/) that must stay quiet. The copy
of the real tree, and a small tree made up here, must pass with
`layers ok`.
"""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.environ.get("CAIRN_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECKER = os.path.join(ROOT, "tools", "check_layers.py")
LAYERS = ("util", "chain", "p2p", "wallet", "rpc", "node")

# (file, planted line, words the violation's message holds)
VIOLATIONS = [
    # the six the layering issue lists
    ("p2p/net.c", '#include "node/node.h"', "p2p/ includes node/, a higher layer"),
    ("util/buf.c", '#include "chain/tx.h"', "util/ includes chain/, a higher layer"),
    ("wallet/wallet.c", '#include "rpc/server.h"', "wallet/ includes rpc/, a higher layer"),
    ("wallet/wallet.c", "#include <event2/event.h>", "libevent"),
    ("chain/validate.c", "uint64_t planted(void) { return clock_now(); }", "reads the clock (clock_now)"),
    ("chain/validate.c", "#include <pthread.h>", "<pthread.h> outside its allow-list"),
    # LevelDB outside chain/store.c
    ("chain/index.c", "#include <leveldb/c.h>", "LevelDB"),
    ("node/node.c", "#include <leveldb/c.h>", "LevelDB"),
    # p2p and wallet never include each other
    ("p2p/gossip.c", '#include "wallet/wallet.h"', "p2p and wallet never include each other"),
    ("wallet/spend.c", '#include "p2p/peer.h"', "p2p and wallet never include each other"),
    # libevent below p2p
    ("util/log.c", "#include <event2/buffer.h>", "libevent"),
    ("chain/mempool.c", "#include <event2/event.h>", "libevent"),
    # chain starts no thread, not even where <pthread.h> is allowed
    ("chain/hash.c", "static void planted(pthread_t *t) { pthread_create(t, NULL, NULL, NULL); }",
     "starts a thread (pthread_create)"),
    ("chain/connect.c", "static void *planted(void) { return pool_new(2, NULL); }", "starts a thread (pool_new)"),
    ("chain/connect.c", "static int planted(void) { return thrd_create(0, 0, 0); }", "starts a thread (thrd_create)"),
    # chain has no clock
    ("chain/block.c", '#include "util/clock.h"', "chain/ includes util/clock.h"),
    ("chain/pow.c", "static long planted(void) { return (long)time(NULL); }", "reads the clock (time)"),
    ("chain/pow.c", "static void planted(struct timeval *t) { gettimeofday(t, 0); }", "reads the clock (gettimeofday)"),
    ("chain/mine.c", "static void planted(struct timespec *t) { clock_gettime(0, t); }", "reads the clock (clock_gettime)"),
    # sockets only in p2p, rpc and node
    ("util/file.c", "#include <sys/socket.h>", "socket header"),
    ("chain/tx.c", "#include <netdb.h>", "socket header"),
    ("wallet/key.c", "#include <netinet/in.h>", "socket header"),
    ("wallet/coinselect.c", "#include <arpa/inet.h>", "socket header"),
    # cJSON only in rpc and node
    ("wallet/wallet.h", "#include <cJSON.h>", "cJSON"),
    ("p2p/peer.c", "#include <cjson/cJSON.h>", "cJSON"),
    # a header breaks the ranks like a source does
    ("chain/tx.h", '#include "p2p/msg.h"', "chain/ includes p2p/, a higher layer"),
    ("rpc/server.h", '#include "node/node.h"', "rpc/ includes node/, a higher layer"),
    # the same through angle brackets, a call without spaces around it
    ("wallet/coinselect.c", "#include <rpc/amount.h>", "wallet/ includes rpc/, a higher layer"),
    ("chain/merkle.c", "static int planted(long t) { return t>time(NULL); }", "reads the clock (time)"),
    ("chain/merkle.c", "static long planted(void) { return (long)time (0); }", "reads the clock (time)"),
    # a quoted include from outside the layers
    ("chain/block.c", '#include "tests/unit/chain_fixture.h"', "in no layer"),
]

# Planted lines that keep to the layers.
ALLOWED = [
    ("node/node.c", '#include "wallet/wallet.h"'),
    ("rpc/server.c", '#include "p2p/peer.h"'),
    ("chain/block.c", '#include "util/buf.h"'),
    ("p2p/peer.c", "#include <pthread.h>"),
    ("p2p/peer.c", "#include <event2/event.h>"),
    ("rpc/server.c", "#include <cJSON.h>"),
    ("chain/validate.c", "/* time(NULL) and clock_now() are the caller's: see validate.h */"),
    ("chain/validate.c", "// pthread_create is never called here"),
    ("chain/validate.c", 'static const char planted[] = "clock_gettime(";'),
    ("chain/validate.c", "static unsigned planted(const struct block *b) { return block_time(b) + b->time; }"),
]

# A whole tree that keeps to the layers, every exception used once.
CLEAN_TREE = {
    "util/buf.h": "#include <stddef.h>\n",
    "util/buf.c": '#include "util/buf.h"\n#include <pthread.h>\n',
    "util/clock.c": "#include <time.h>\nunsigned long clock_now(void) { return (unsigned long)time(NULL); }\n",
    "chain/hash.c": '#include <pthread.h>\n#include "util/buf.h"\nstatic pthread_once_t once = PTHREAD_ONCE_INIT;\n',
    "chain/store.c": "#include <leveldb/c.h>\n#include \"chain/hash.h\"\n",
    "chain/hash.h": '#include "util/buf.h"\n',
    "p2p/net.c": '#include <event2/event.h>\n#include <sys/socket.h>\n#include "chain/hash.h"\n#include "p2p/net.h"\n',
    "p2p/net.h": "#include <netinet/in.h>\n",
    "wallet/wallet.c": '#include "chain/hash.h"\n#include "util/buf.h"\n',
    "rpc/server.c": '#include <cJSON.h>\n#include <event2/http.h>\n#include "p2p/net.h"\n#include "wallet/wallet.h"\n',
    "node/node.c": '#include <cjson/cJSON.h>\n#include "rpc/server.h"\n#include "p2p/net.h"\n',
    "tests/unit/test_x.c": '#include "node/node.h"\n#include <leveldb/c.h>\n',
}


def check(root):
    p = subprocess.run([sys.executable, CHECKER, root], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout.splitlines()


def plant(root, rel, line):
    """Appends line to root/rel; returns its line number and the old text."""
    path = os.path.join(root, rel)
    with open(path, encoding="utf-8") as f:
        old = f.read()
    text = old if old.endswith("\n") or not old else old + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + line + "\n")
    return text.count("\n") + 1, old


def unplant(root, rel, old):
    with open(os.path.join(root, rel), "w", encoding="utf-8") as f:
        f.write(old)


def main():
    failures = []

    with tempfile.TemporaryDirectory() as tmp:
        for rel, text in CLEAN_TREE.items():
            os.makedirs(os.path.join(tmp, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), "w", encoding="utf-8") as f:
                f.write(text)
        rc, out = check(tmp)
        if rc != 0 or out != ["layers ok"]:
            failures.append(f"a tree that keeps to the layers: rc {rc}, {out}")

    with tempfile.TemporaryDirectory() as tmp:
        for layer in LAYERS:
            shutil.copytree(os.path.join(ROOT, layer), os.path.join(tmp, layer))
        rc, base = check(tmp)
        if rc != 0 or base != ["layers ok"]:
            failures.append(f"the tree as it is: want rc 0 and 'layers ok', got rc {rc}, {base}")
        baseline = set(base) - {"layers ok"}

        for rel, line, rule in VIOLATIONS:
            no, old = plant(tmp, rel, line)
            try:
                rc, out = check(tmp)
            finally:
                unplant(tmp, rel, old)
            new = [l for l in out if l not in baseline]
            want = f"{rel}:{no}: "
            hit = [l for l in new if l.startswith(want) and rule in l]
            if rc != 1 or not hit or "layers ok" in out:
                failures.append(f"{rel} <- {line!r}: want rc 1 and '{want}...{rule}', got rc {rc}, {new}")
            else:
                print(f"ok   {hit[0]}")

        for rel, line in ALLOWED:
            no, old = plant(tmp, rel, line)
            try:
                rc, out = check(tmp)
            finally:
                unplant(tmp, rel, old)
            new = [l for l in out if l not in baseline and l != "layers ok"]
            if new or rc != (1 if baseline else 0):
                failures.append(f"{rel} <- {line!r} keeps to the layers, got rc {rc}, {new}")
            else:
                print(f"ok   {rel}:{no} allowed")

        rc, out = check(tmp)
        if set(out) - {"layers ok"} != baseline:
            failures.append(f"the copy after every plant is taken out differs: {out}")

    for f in failures:
        print("FAIL " + f)
    print(f"{len(VIOLATIONS) + len(ALLOWED) + 2 - len(failures)} checks passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
