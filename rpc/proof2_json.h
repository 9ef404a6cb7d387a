/* The v2 proof file (chain/proof2.h) as JSON: what getassetproof with
 * {"version": 2} and getassetabsenceproof answer, and cairn-cli
 * verifyassetproof reads (docs/provenance.md).
 *
 *   { "format": "cairn-asset-proof", "version": 2, "network": "regtest",
 *     "kind": "custody" | "absence", "asset": hex, "tip": hex, "height": n,
 *     "samples": n, "bundle": hex of the binary bundle,
 *     "member": {...} (a batch member's, rpc/stamp.h; optional) }
 *
 * Everything but "member" is a copy of what the bundle says, for people
 * and tools; the decoder refuses a file whose copy disagrees. */
#ifndef CAIRN_RPC_PROOF2_JSON_H
#define CAIRN_RPC_PROOF2_JSON_H

#include <cJSON.h>

#include "chain/proof2.h"

/* A bundle file is at most this many bytes of hex. */
#define PROOF2_JSON_MAX_HEX (16u << 20)

/* The file of bundle b; NULL when out of memory. */
cJSON *proof2_json_encode(const struct proof2 *b);
/* Reads the bundle of a v2 file, strictly: every member present with its
 * type and matching the bundle, no unknown members but "member". 0, or -1
 * with err filled and *out empty. */
int proof2_json_decode(struct proof2 *out, const cJSON *j, char *err) WUR;

#endif
