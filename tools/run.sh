#!/bin/sh
# make run: start a regtest full node in the foreground, logging to the
# console, with its data in ~/.cairn/regtest. Extra options: make run ARGS=...
set -e
if [ ! -x build/cairnd ]; then
	echo "cairnd is not built" >&2
	exit 1
fi
echo "starting cairnd (regtest); stop it with Ctrl-C or: build/cairn-cli -regtest stop"
# -fallbackfee: a fresh chain has no fee estimates, and the default (0, as
# Bitcoin Core's) refuses to send without one; ARGS may override it.
exec build/cairnd -regtest -printtoconsole -fallbackfee=0.0002 $ARGS
