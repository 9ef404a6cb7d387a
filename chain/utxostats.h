/* gettxoutsetinfo's numbers: one walk over every unspent output of the
 * best chain, in the store's key order, with an optional hash of the whole
 * set (docs/serialization.md, "The UTXO set hash"):
 *
 *   hash = SHA-256( for each coin in key order:
 *                   txid (32) | index u32le | coin (chain/coin.h) )
 *
 * Key order is the order of the 36 outpoint bytes (the txid's bytes, then
 * the index little-endian), which is LevelDB's order of the coin keys. */
#ifndef CAIRN_CHAIN_UTXOSTATS_H
#define CAIRN_CHAIN_UTXOSTATS_H

#include "chain/chainstate.h"

struct utxostats {
	uint64_t txouts;       /* unspent outputs */
	uint64_t transactions; /* distinct transactions with one at least */
	int64_t total_amount;  /* units */
	/* Core's "bogosize": a rough size of the set, per coin the outpoint
	 * (36), height and coinbase flag (5) and the serialized output. */
	uint64_t bogosize;
	bool hashed;
	uint8_t hash[32]; /* when hashed */
};

/* Walks the set of cs (at its tip) into *out; with hash, hashes it too.
 * 0, or -1 with err filled and *out zeroed (an unreadable store, no
 * memory). */
int utxostats_compute(struct chainstate *cs, struct utxostats *out, bool hash, char *err) WUR;

#endif
