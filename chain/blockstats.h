/* The numbers of Bitcoin Core's getblockstats for one block, computed from
 * the block and the coins its inputs spent (its undo data): pure, so a
 * unit test can feed it any block. Amounts are units; fee rates are units
 * per serialized byte, truncated (Core's satoshis per virtual byte: a
 * cairn transaction has no witness, its virtual size is its size). The
 * coinbase is left out of every fee and size figure, as in Core. */
#ifndef CAIRN_CHAIN_BLOCKSTATS_H
#define CAIRN_CHAIN_BLOCKSTATS_H

#include "chain/block.h"
#include "chain/coin.h"

#define BLOCKSTATS_PERCENTILES 5 /* the 10th, 25th, 50th, 75th and 90th */

/* A coin's share of the UTXO set's size in getblockstats' utxo_size_inc:
 * its output's serialized size plus Core's PER_UTXO_OVERHEAD, the outpoint
 * (36), the height (4) and the coinbase flag (1), which is also what a
 * cairn coin record adds to its output. */
#define BLOCKSTATS_UTXO_OVERHEAD 41

struct blockstats {
	int64_t txs, ins, outs;
	int64_t total_size, max_tx_size, min_tx_size, median_tx_size, avg_tx_size;
	int64_t total_fee, max_fee, min_fee, median_fee, avg_fee;
	int64_t max_fee_rate, min_fee_rate, avg_fee_rate;
	int64_t fee_rate_percentiles[BLOCKSTATS_PERCENTILES]; /* by size, as Core's by weight */
	int64_t total_out;    /* outputs of the non-coinbase transactions */
	int64_t utxo_increase; /* outs - ins */
	int64_t utxo_size_inc; /* bytes, see BLOCKSTATS_UTXO_OVERHEAD */
};

/* Fills *out for b, whose non-coinbase inputs spent spent[0..n_spent) in
 * transaction then input order (connect_undo's coins). 0, or -1 with err
 * filled and *out zeroed when n_spent does not match the block's inputs,
 * a fee is outside the money range, or memory runs out. */
int blockstats_compute(struct blockstats *out, const struct block *b, const struct coin *spent, size_t n_spent,
		       char *err) WUR;

/* Core's CalculatePercentilesByWeight: sorts the n (rate, size) pairs by
 * rate and gives, for each of 10, 25, 50, 75 and 90 %, the rate at which
 * the cumulative size first reaches that share of total; all zero when
 * n is 0. Sorts the arrays in place. */
void blockstats_percentiles(int64_t out[BLOCKSTATS_PERCENTILES], int64_t *rates, int64_t *sizes, size_t n);

/* Core's CalculateTruncatedMedian: the middle value of v sorted (the mean
 * of the two middle ones, truncated, for an even count); 0 when n is 0.
 * Sorts v in place. */
int64_t blockstats_median(int64_t *v, size_t n);

#endif
