/* Coin selection: which of the wallet's spendable coins pay for a
 * transaction, what fee it pays and whether it gets a change output.
 *
 * Sizes are exact (every input is TX_INPUT_SIZE bytes, a coin output 29),
 * so the fee is fee_rate × size / 1,000 rounded up, for the very transaction
 * that will be signed. The algorithm, in order, first over confirmed coins
 * only and then over unconfirmed ones too, in tiers of how long a mempool
 * chain they are part of (short chains first, never one a spend would
 * push past chain_limit):
 *   1. Branch and bound (no fee subtraction only): a depth-first search,
 *      largest coins first and at most COINSELECT_BNB_TRIES steps, for a
 *      set that pays target + fee with an excess below the cost of a change
 *      output; the excess goes to the fee and no change is made.
 *   2. Largest first: add the largest coins until target + fee is paid;
 *      change below the dust threshold is dropped into the fee.
 * Pure arithmetic: the caller decides which coins are candidates (never
 * locked coins, asset outputs or immature coinbases). */
#ifndef CAIRN_WALLET_COINSELECT_H
#define CAIRN_WALLET_COINSELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/tx.h"
#include "util/err.h"

/* A coin output: value (8), address (20), kind (1). */
#define COINSELECT_OUTPUT_SIZE 29
/* Dust: an output worth less than creating and spending it costs at
 * Bitcoin Core's dust relay rate of 3,000 units per 1,000 bytes, that is
 * 3 × (29 + 132) = 483 units. Such change is never made. */
#define COINSELECT_DUST_RATE 3000
#define COINSELECT_DUST ((int64_t)(COINSELECT_DUST_RATE / 1000) * (COINSELECT_OUTPUT_SIZE + TX_INPUT_SIZE))
/* Highest fee rate accepted (units per 1,000 bytes): 1 CRN per kB. It
 * keeps rate × size far from overflow and stops a typo from paying a
 * fortune. */
#define COINSELECT_MAX_FEE_RATE COIN
#define COINSELECT_BNB_TRIES 100000
#define COINSELECT_BNB_MAX_COINS 1000

enum coinselect_status { COINSELECT_OK = 0, COINSELECT_ERROR = -1, COINSELECT_INSUFFICIENT = -2 };

struct coinselect_coin {
	int64_t value;
	bool confirmed;
	uint32_t chain; /* unconfirmed: the mempool chain it is part of (wallet_chains_len) */
};

struct coinselect_req {
	int64_t target;        /* what the recipients receive (before subtraction) */
	size_t n_outputs;      /* outputs besides change */
	size_t outputs_size;   /* their serialized bytes */
	size_t n_fixed_inputs; /* inputs the caller adds itself (an asset), value not counted */
	int64_t fee_rate;      /* units per 1,000 bytes, 0..COINSELECT_MAX_FEE_RATE */
	bool subtract_fee;     /* the recipients pay the fee out of target */
	uint32_t chain_limit;  /* the mempool's ancestor and descendant limit; 0 for none */
};

struct coinselect_result {
	size_t *chosen;        /* indexes into the coins, malloc'd */
	size_t n_chosen;
	int64_t in_value;      /* sum of the chosen coins */
	int64_t fee;           /* in - out of the finished transaction */
	int64_t subtracted;    /* taken from the recipients (subtract_fee only) */
	int64_t change;        /* value of the change output, 0 for none */
	size_t size;           /* serialized size of the finished transaction */
};

/* Serialized size of a transaction with n_in inputs and n_out outputs
 * whose bytes add up to outputs_size. */
size_t coinselect_tx_size(size_t n_in, size_t n_out, size_t outputs_size);
/* fee_rate × size / 1,000, rounded up. */
int64_t coinselect_fee(int64_t fee_rate, size_t size);
/* The smallest change worth making at fee_rate: COINSELECT_DUST, or the
 * cost of creating and later spending the output when that is higher. */
int64_t coinselect_dust(int64_t fee_rate);

/* Chooses among coins[0..n). Returns COINSELECT_OK with *res filled (release
 * it); COINSELECT_INSUFFICIENT with err saying how much is available and
 * needed; COINSELECT_ERROR on a bad request or no memory. On failure *res is
 * empty. */
int coinselect_select(struct coinselect_result *res, const struct coinselect_coin *coins, size_t n,
		      const struct coinselect_req *req, char *err) WUR;
/* Frees the chosen list; safe twice. */
void coinselect_result_release(struct coinselect_result *res);

#endif
