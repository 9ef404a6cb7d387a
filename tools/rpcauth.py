#!/usr/bin/env python3
"""Prints an -rpcauth line for cairn.conf and the password that goes with
it, so the password itself never has to be written into the config file.

The line is Bitcoin Core's format, user:salt$hash, where hash is the hex
HMAC-SHA256 of the password keyed by the salt's text. Without a password
argument a fresh one (32 random bytes, URL-safe base64) is made.

Usage: tools/rpcauth.py USER [PASSWORD] [--json]
"""
import argparse
import hashlib
import hmac
import json
import secrets
import sys
from base64 import urlsafe_b64encode


def rpcauth_line(user, password, salt=None):
    salt = salt or secrets.token_hex(16)
    mac = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
    return f"{user}:{salt}${mac}"


def main():
    ap = argparse.ArgumentParser(description="Make an -rpcauth line for cairnd.")
    ap.add_argument("user", help="the user name (no ':')")
    ap.add_argument("password", nargs="?", help="the password (default: a fresh random one)")
    ap.add_argument("--json", action="store_true", help="print {\"user\", \"password\", \"rpcauth\"} as JSON")
    args = ap.parse_intermixed_args()
    if ":" in args.user or not args.user:
        ap.error("the user name must be non-empty and hold no ':'")
    password = args.password or urlsafe_b64encode(secrets.token_bytes(32)).decode()
    line = rpcauth_line(args.user, password)
    if args.json:
        print(json.dumps({"user": args.user, "password": password, "rpcauth": line}))
    else:
        print(f"Add this line to cairn.conf:\nrpcauth={line}\nThe password:\n{password}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
