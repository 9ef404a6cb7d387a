#!/bin/sh
# make run: start a regtest full node in the foreground, logging to the
# console, with its data in ~/.cairn/regtest. Extra options: make run ARGS=...
set -e
if [ ! -x build/cairnd ]; then
	echo "cairnd is not built" >&2
	exit 1
fi
echo "starting cairnd (regtest); stop it with Ctrl-C or: build/cairn-cli -regtest stop"
exec build/cairnd -regtest -printtoconsole $ARGS
