/* -mine: mines blocks continuously. The loop builds the block template
 * (on every new tip, and every few seconds for new transactions); slices
 * of the nonce search run on the node's worker pool; a solution comes back
 * to the loop, which submits the block like any other. On regtest, where a
 * block costs microseconds, mined blocks are spaced at least a second
 * apart. */
#ifndef CAIRN_NODE_MINER_H
#define CAIRN_NODE_MINER_H

#include <stdint.h>

#include "chain/chainstate.h"
#include "chain/mempool.h"
#include "util/pool.h"

struct event_base;
struct miner;

struct miner_config {
	struct chainstate *cs;
	struct mempool *mp;
	uint8_t payto[20];
	int threads;        /* -minethreads: nonce-search slices at once */
	struct pool *pool;  /* where the slices run; required */
	size_t max_bytes;   /* a template's transactions (-blockmaxsize); 0: as large as a block allows */
};

/* NULL with err when cfg has no pool or out of memory. */
struct miner *miner_new(struct event_base *base, const struct miner_config *cfg, char *err);
/* Stops, waiting for the slices running now. Before the pool is freed. */
void miner_free(struct miner *m);
/* The tip changed: start over on a fresh template. */
void miner_tip_changed(struct miner *m);
/* A chainstate listener whose tip_changed calls miner_tip_changed(m). */
struct chain_events miner_chain_events(struct miner *m);
uint64_t miner_blocks_found(const struct miner *m);

#endif
