/* Building and solving blocks: the miner's core and the regtest block
 * builder of the tests. */
#ifndef CAIRN_CHAIN_MINE_H
#define CAIRN_CHAIN_MINE_H

#include "chain/index.h"

/* Builds into out (initialised by the call) a block on prev holding a
 * coinbase that pays subsidy + fees to payto, then copies of txs, with
 * the bits the rules require and a time of at least the median time past
 * + 1. The proof of work is not solved. -1 with err on no memory. */
int mine_build(struct block *out, const struct block_index *prev, const struct chain_params *p,
	       const struct tx *txs, size_t n, const uint8_t payto[20], int64_t fees, uint64_t time,
	       char *err) WUR;
/* Tries up to max_tries nonces from the header's; true when one solves
 * the block (its hash is then refreshed in b). */
bool mine_solve(struct block *b, uint64_t max_tries);

#endif
