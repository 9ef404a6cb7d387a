/* The asset proof bundle of chain/proof.h as JSON: what getassetproof
 * answers and cairn-cli verifyassetproof reads (see docs/provenance.md).
 *
 *   { "format": "cairn-asset-proof", "version": 1, "network": "regtest",
 *     "asset": hex,
 *     "anchor": { "coinbase": hex, "leaves": n, "path": [hex, ...] },
 *     "steps": [ { "tx": hex, "blockhash": hex, "height": n, "index": n,
 *                  "leaves": n, "path": [hex, ...] }, ... ],
 *     "headers": [hex of 152 bytes, ...], "tip": hex }
 *
 * Hex is lowercase, hashes in their natural byte order. */
#ifndef CAIRN_RPC_PROOF_JSON_H
#define CAIRN_RPC_PROOF_JSON_H

#include <cJSON.h>

#include "chain/proof.h"

#define PROOF_FORMAT "cairn-asset-proof"
#define PROOF_VERSION 1

/* The bundle as JSON (the format above); NULL when out of memory. */
cJSON *proof_json_encode(const struct proof_bundle *b);
/* Reads a bundle from JSON, strictly: every member present with its type,
 * no unknown members, lowercase hex of the right length, integers in
 * range, counts bounded. 0, or -1 with err filled and *out empty. */
int proof_json_decode(struct proof_bundle *out, const cJSON *j, char *err) WUR;

#endif
