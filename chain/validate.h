/* Consensus rules. Context-free checks (tx_check, block_check) look at the
 * bytes alone; contextual ones take the parent block, the network and the
 * time as arguments (chain/ never reads the clock); input checks take a
 * view of the unspent outputs. Each fills a verdict with the reject reason. */
#ifndef CAIRN_CHAIN_VALIDATE_H
#define CAIRN_CHAIN_VALIDATE_H

#include "chain/coin.h"
#include "chain/index.h"
#include "chain/sigcheck.h"
#include "chain/verdict.h"

#define MAX_FUTURE_BLOCK_TIME (2 * 60 * 60)
#define LOCKTIME_THRESHOLD 500000000u

/* A source of unspent outputs and registered asset ids: the chainstate, a
 * block being connected on top of it, or the mempool on top of either. */
struct coin_view {
	/* 1 and *out filled (caller releases) when unspent, 0 when not, -1 on a
	 * local error. */
	int (*get_coin)(void *ctx, const struct outpoint *op, struct coin *out);
	/* 1 when the asset id has ever been registered, 0 if not, -1 on error. */
	int (*asset_known)(void *ctx, const uint8_t id[32]);
	void *ctx;
};

/* Context-free: lists non-empty, size, amounts, duplicate inputs, coinbase
 * shape, asset outputs (one per id). */
bool tx_check(const struct tx *tx, struct verdict *v);
/* Context-free: proof of work, merkle root, size, coinbase placement,
 * every transaction, no duplicate txids. */
bool block_check(const struct block *b, const struct chain_params *p, struct verdict *v);
/* The header on top of prev: bits, time against the median of the past
 * and against now + 2 hours, version. */
bool header_check_contextual(const struct block_header *h, const struct block_index *prev,
			     const struct chain_params *p, uint64_t now, struct verdict *v);
/* The body on top of prev: coinbase height, every transaction final. */
bool block_check_contextual(const struct block *b, const struct block_index *prev, struct verdict *v);
bool tx_is_final(const struct tx *tx, uint32_t height, uint64_t median_time);

/* Spends against the view for a transaction in a block at height: inputs
 * exist and are unspent, coinbases mature, keys match the addresses,
 * amounts add up, asset ids registered once and transferred exactly once.
 * *fee receives inputs - outputs. Signatures are checked apart, see
 * tx_sig_jobs. */
bool tx_check_inputs(const struct tx *tx, const struct coin_view *view, uint32_t height,
		     const struct chain_params *p, int64_t *fee, struct verdict *v);
/* Fills jobs[0..n_in) with the signature checks of a non-coinbase tx. */
void tx_sig_jobs(struct sig_job *jobs, const struct tx *tx, const uint8_t magic[4]);
/* Checks every signature of tx on this thread (for one transaction). */
bool tx_check_sigs(const struct tx *tx, const uint8_t magic[4], struct verdict *v);

#endif
