/* -mine: mines blocks continuously. The loop builds the block template
 * (on every new tip, and every few seconds for new transactions); worker
 * threads search nonces; a solution comes back to the loop, which submits
 * the block like any other. On regtest, where a block costs microseconds,
 * mined blocks are spaced at least a second apart. */
#ifndef CAIRN_NODE_MINER_H
#define CAIRN_NODE_MINER_H

#include <stdint.h>

#include "chain/chainstate.h"
#include "chain/mempool.h"

struct event_base;
struct miner;

struct miner_config {
	struct chainstate *cs;
	struct mempool *mp;
	uint8_t payto[20];
	int threads;
	/* Told after each mined block joined the chain (relay, mempool). */
	void (*after_block)(void *ctx);
	void *ctx;
};

struct miner *miner_new(struct event_base *base, const struct miner_config *cfg, char *err);
/* Stops and joins the threads. */
void miner_free(struct miner *m);
/* The tip changed: start over on a fresh template. */
void miner_tip_changed(struct miner *m);
uint64_t miner_blocks_found(const struct miner *m);

#endif
