#!/bin/sh
# Installs cairn's build dependencies from Debian's packages, and only the
# ones that are missing, so a machine that has them all needs nothing.
missing=""
need() { # need PACKAGE FILE...: the package is missing when none of the files exist
	pkg=$1; shift
	for f in "$@"; do [ -e "$f" ] && return 0; done
	missing="$missing $pkg"
}
arch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
need build-essential  /usr/bin/cc
need pkg-config       /usr/bin/pkg-config
need libssl-dev       /usr/include/openssl/evp.h
need libsecp256k1-dev /usr/include/secp256k1_schnorrsig.h
need libleveldb-dev   /usr/include/leveldb/c.h
need libevent-dev     /usr/include/event2/event.h
need libcjson-dev     /usr/include/cjson/cJSON.h
need libcmocka-dev    /usr/include/cmocka.h
need python3          /usr/bin/python3
need prometheus       /usr/bin/promtool
# test_openrpc.py checks rpc.discover with npm's OpenRPC validator and ajv
need nodejs           /usr/bin/node
need npm              /usr/bin/npm
# make scale draws its propagation curves (tests/scale/plot.py)
[ "$1" = scale ] && need gnuplot-nox /usr/bin/gnuplot
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "error: missing packages:$missing (run as root, or: sudo apt-get install -y$missing)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq $missing >/dev/null || {
	echo "error: cannot install:$missing" >&2; exit 1; }
