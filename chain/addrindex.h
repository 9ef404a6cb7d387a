/* The address index (-addressindex): for every address, each amount it
 * received or spent on the best chain (its deltas) and its unspent outputs,
 * kept in the chainstate's store beside the coins, for the Insight-style
 * RPC methods (getaddresstxids, getaddressbalance, ...).
 *
 * It moves with the tip exactly: as a connect_writer (chain/connect.h) it
 * adds its changes to the very batch that connects or disconnects a block,
 * together with its own marker, the last block it has indexed. It writes
 * only when that marker is the tip's parent (connect) or the tip
 * (disconnect), so an index that is still being built is left alone by the
 * chain and catches up by itself: addrindex_build_step indexes the next
 * blocks of the best chain from the stored blocks and undo data, one batch
 * a block, until the marker is the tip. Every call runs on the thread that
 * drives the chainstate; the node runs the build in slices on its loop.
 *
 * Records (one prefix byte, then a fixed key; docs/storage.md):
 *   'x' addr(20) height(u32be) pos(u32be) index(u32be) spending(u8)
 *       -> amount(i64le, negative when spent) txid(32)
 *   'y' addr(20) txid(32) index(u32be) -> amount(i64le) height(u32le) pos(u32le) coinbase(u8)
 *   'X' -> hash of the last block indexed (absent: none, the index empty)
 * pos is the transaction's position in its block; index is the output's
 * index for a receipt and the input's index for a spend. Keys of one
 * address sort by height, then position, then index, then receipt before
 * spend: the order every answer comes in. */
#ifndef CAIRN_CHAIN_ADDRINDEX_H
#define CAIRN_CHAIN_ADDRINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/chainstate.h"
#include "chain/connect.h"

struct mempool;

#define ADDRINDEX_DELTA_KEY 34
#define ADDRINDEX_DELTA_VAL 40
#define ADDRINDEX_UTXO_KEY 57
#define ADDRINDEX_UTXO_VAL 17
/* Most addresses one query may name. */
#define ADDRINDEX_MAX_ADDRS 1000

/* One receipt (spending false: an output paying addr) or spend (an input
 * spending an output of addr) on the best chain. */
struct addrindex_delta {
	uint8_t addr[20];
	uint32_t height, pos, index;
	bool spending;
	int64_t amount; /* units; negative for a spend */
	uint8_t txid[32];
};

/* An unspent output paying addr on the best chain. */
struct addrindex_utxo {
	uint8_t addr[20];
	uint8_t txid[32];
	uint32_t index, height, pos;
	int64_t amount;
	bool coinbase;
};

/* A pool transaction's output paying addr, or input spending addr's
 * output (prev). */
struct addrindex_pending {
	uint8_t addr[20];
	uint8_t txid[32];
	uint32_t index;
	bool spending;
	int64_t amount;
	uint64_t time; /* when the pool took the transaction */
	struct outpoint prev; /* the output spent, for a spend */
};

/* The keys and values, exposed for their tests. */
void addrindex_delta_key(uint8_t out[ADDRINDEX_DELTA_KEY], const struct addrindex_delta *d);
void addrindex_delta_val(uint8_t out[ADDRINDEX_DELTA_VAL], const struct addrindex_delta *d);
/* Reads a delta from its key and value; false when either is malformed. */
bool addrindex_delta_read(struct addrindex_delta *out, const uint8_t *key, size_t klen, const uint8_t *val,
			  size_t vlen);
void addrindex_utxo_key(uint8_t out[ADDRINDEX_UTXO_KEY], const struct addrindex_utxo *u);
void addrindex_utxo_val(uint8_t out[ADDRINDEX_UTXO_VAL], const struct addrindex_utxo *u);
bool addrindex_utxo_read(struct addrindex_utxo *out, const uint8_t *key, size_t klen, const uint8_t *val,
			 size_t vlen);

struct addrindex;

/* An index over cs's store (cs must outlive it); it does nothing until its
 * writer is set on cs (chainstate_set_writer(cs, &addrindex_writer(ai)))
 * and the build runs. NULL on no memory. */
struct addrindex *addrindex_new(struct chainstate *cs);
/* Frees ai (safe on NULL); clear the chainstate's writer first. */
void addrindex_free(struct addrindex *ai);
/* The writer that keeps ai in step with the tip. */
struct connect_writer addrindex_writer(struct addrindex *ai);

/* One slice of catching up with the tip: first (once) clears records left
 * by an earlier run whose marker is gone or off the best chain, then
 * indexes the next blocks of the best chain, one batch each, until about
 * budget records are written. 1 when more is left, 0 when the index has
 * reached the tip, -1 with err on a store error. */
int addrindex_build_step(struct addrindex *ai, size_t budget, char *err) WUR;
/* The last block indexed on the best chain (NULL: none yet, or the marker
 * cannot be read), and whether it is the tip. */
struct block_index *addrindex_best(struct addrindex *ai);
bool addrindex_synced(struct addrindex *ai);

/* Calls fn for every delta of addrs (n of them, distinct) with height in
 * [start, end], in the index's order, ties between addresses broken by
 * their order in addrs. fn returns 0 to go on, 1 to stop, -1 to fail.
 * 0, or -1 with err (a store error, fn's failure, no memory). */
int addrindex_deltas(struct addrindex *ai, const uint8_t (*addrs)[20], size_t n, uint32_t start, uint32_t end,
		     int (*fn)(void *ctx, const struct addrindex_delta *d), void *ctx, char *err) WUR;
/* The sum of every delta of addrs (the confirmed balance) and of the
 * receipts alone. 0, or -1 with err. */
int addrindex_balance(struct addrindex *ai, const uint8_t (*addrs)[20], size_t n, int64_t *balance,
		      int64_t *received, char *err) WUR;
/* Every unspent output of addrs, sorted by height, position, index, then
 * the address's order in addrs: *out (free it) and *n_out. 0, or -1 with
 * err and *out NULL. */
int addrindex_utxos(struct addrindex *ai, const uint8_t (*addrs)[20], size_t n, struct addrindex_utxo **out,
		    size_t *n_out, char *err) WUR;
/* What mp's transactions pay to and spend from addrs, sorted by the time
 * the pool took them, then txid, then receipts (by output) before spends
 * (by input). Needs no index: the pool is read whole. 0 with *out (free
 * it), or -1 with err. */
int addrindex_mempool(struct mempool *mp, struct chainstate *cs, const uint8_t (*addrs)[20], size_t n,
		      struct addrindex_pending **out, size_t *n_out, char *err) WUR;

#endif
