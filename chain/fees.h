/* The fee estimator: what fee rate got transactions confirmed within how
 * many blocks, learnt from what this node saw, in the manner of Bitcoin
 * Core's CBlockPolicyEstimator (see docs/fees.md).
 *
 * Fee rates fall into exponentially spaced buckets (1,000 to 10,000,000
 * units per 1,000 bytes, each 5% above the one below, and one bucket for
 * anything higher). Three horizons keep, per bucket, exponentially decaying
 * counts of transactions seen, of those confirmed within each number of
 * periods, and of those that left the pool unconfirmed after waiting:
 *
 *   horizon   periods  blocks a period  decay a block  targets
 *   short     12       1                0.962          1..12
 *   medium    24       2                0.9952         1..48
 *   long      42       24               0.99931        1..1008
 *
 * Pure: no clock, no threads, no I/O but fees_save/fees_load. The node
 * tells it of mempool additions (with the tip height), removals other
 * than by a block, and connected blocks, from its event loop; nothing here
 * is thread-safe. */
#ifndef CAIRN_CHAIN_FEES_H
#define CAIRN_CHAIN_FEES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/block.h"
#include "util/err.h"

#define FEES_MAX_TARGET 1008   /* the long horizon's reach, in blocks */
#define FEES_FILE "fee_estimates.dat"

struct fees;

enum fees_horizon { FEES_SHORT, FEES_MEDIUM, FEES_LONG, FEES_N_HORIZONS };

/* Which threshold gave estimatesmartfee's answer (Bitcoin Core's FeeReason
 * names, fees_reason_name). */
enum fees_reason {
	FEES_REASON_NONE,
	FEES_REASON_HALF,         /* half the target at 60% */
	FEES_REASON_FULL,         /* the target at 85% */
	FEES_REASON_DOUBLE,       /* twice the target at 95% */
	FEES_REASON_CONSERVATIVE, /* twice the target on a longer horizon */
};

/* A range of buckets and what it held (estimaterawfee's pass and fail). */
struct fees_range {
	double start, end;     /* fee rates, units per 1,000 bytes */
	double within_target;  /* confirmed within the target (decayed) */
	double total_confirmed;
	double in_mempool;     /* still waiting, longer than the target */
	double left_mempool;   /* left unconfirmed after the target */
};

/* One horizon's answer for one target and threshold. */
struct fees_raw {
	double feerate;        /* units per 1,000 bytes; -1 when none */
	double decay;
	unsigned scale;        /* blocks a period */
	struct fees_range pass, fail;
	bool has_pass, has_fail;
};

/* estimatesmartfee's answer. */
struct fees_smart {
	int64_t feerate;       /* units per 1,000 bytes, rounded; 0 when none */
	unsigned blocks;       /* the target the answer is for (may be lowered) */
	enum fees_reason reason;
};

/* A new estimator that has seen nothing; NULL on no memory. */
struct fees *fees_new(void);
/* Frees it; safe on NULL. */
void fees_free(struct fees *f);

/* A transaction entered the pool at tip height height with fee units over
 * size bytes. Counted only when height is the last block the estimator
 * saw and has_parents is false (a child's rate says little about its own
 * confirmation, as in Core); a txid already tracked is ignored. */
void fees_tx_added(struct fees *f, const uint8_t txid[32], uint32_t height, int64_t fee, size_t size,
		   bool has_parents);
/* A transaction left the pool without a block (expiry, eviction,
 * conflict, reorganisation): if it waited, it counts as a failure for the
 * periods it waited. Unknown txids are ignored. */
void fees_tx_removed(struct fees *f, const uint8_t txid[32]);
/* A block was connected at height: decays every count and records how
 * long each tracked transaction it holds took. A height not above the
 * highest seen (a reorganisation) only forgets its transactions. */
void fees_block_connected(struct fees *f, const struct block *b, uint32_t height);

/* How many transactions are tracked in the pool now. */
size_t fees_tracked(const struct fees *f);
/* The highest target a horizon answers: 12, 48, 1008. */
unsigned fees_highest_target(enum fees_horizon h);
const char *fees_horizon_name(enum fees_horizon h);
const char *fees_reason_name(enum fees_reason r);

/* estimatesmartfee: target 1..FEES_MAX_TARGET (1 is taken as 2, and a
 * target beyond half of the blocks seen is lowered to that); the highest
 * of the estimates at half, at and at twice the target, and with
 * conservative also the longer horizons' at twice it. out->feerate 0 when
 * there is not enough data. */
void fees_estimate_smart(const struct fees *f, struct fees_smart *out, unsigned target, bool conservative);
/* estimaterawfee: one horizon at target (1..its highest) and a success
 * threshold in [0, 1]. out->feerate -1 when no range of buckets passes. */
void fees_estimate_raw(const struct fees *f, struct fees_raw *out, unsigned target, double threshold,
		       enum fees_horizon h);

/* Writes the estimator's decayed counts to path atomically (util/envelope.h;
 * the transactions in the pool are not kept). 0, or -1 with err. */
int fees_save(const struct fees *f, const char *path, char *err) WUR;
/* Reads a file fees_save wrote into f, which must be fresh. A missing file
 * is 0 with *found false. -1 with err (the file named) when it is
 * damaged, of another format, or its buckets differ: then f is unchanged. */
int fees_load(struct fees *f, const char *path, bool *found, char *err) WUR;

#endif
