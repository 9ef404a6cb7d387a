/* Turning a block into the store changes that connect it to, or
 * disconnect it from, the tip: unspent outputs, undo data, the
 * transaction, asset and height indexes. The caller adds the index record
 * and the tip to the same batch and writes it. */
#ifndef CAIRN_CHAIN_CONNECT_H
#define CAIRN_CHAIN_CONNECT_H

#include "chain/index.h"
#include "chain/store.h"
#include "chain/validate.h"

struct pool;
struct smt;

/* One change of the asset map, to take it back. */
struct asset_undo {
	uint8_t id[32];
	bool had;        /* the id was in the map before */
	uint8_t old[32]; /* and its value then */
};

/* An index kept beside the chainstate in the very batch that connects or
 * disconnects a block (the address index), so that it moves with the tip
 * exactly. write adds to batch what connecting (connect true) or
 * disconnecting b changes in its records; spent holds the coins b's inputs
 * spent, in spending order, serialized as the undo record keeps them
 * (coin_write, no count). 0, or -1 with err: the connect or disconnect
 * then fails as a local error. */
struct connect_writer {
	int (*write)(void *ctx, bool connect, const struct block *b, const struct block_index *bi,
		     const uint8_t *spent, size_t spent_len, struct store_batch *batch, char *err);
	void *ctx;
};

/* The asset map (chain/smt.h) a connect or disconnect moves along with the
 * store, and what it changed: the caller keeps the changes when its batch
 * is written and takes them back (connect_assets_revert) when it is not. */
struct connect_assets {
	struct smt *tree;
	struct asset_undo *undo;
	size_t n_undo, cap_undo;
	/* connect_block: compute the root into root instead of checking the
	 * header's (a block template); root is the map's root afterwards. */
	bool fill;
	uint8_t root[32];
	/* Another index to move in the same batch; NULL: none. It rides here,
	 * with the other state that follows the store, so that connect_block's
	 * callers that have no such index need no change. */
	const struct connect_writer *writer;
};

/* Takes back every change, newest first, and forgets them. */
void connect_assets_revert(struct connect_assets *ca);
/* Forgets the changes (they stay in the tree); frees the list. */
void connect_assets_keep(struct connect_assets *ca);

/* Checks every input of b (at bi->height, on top of the current tip in the
 * store) and every signature on the worker pool (NULL: this thread), and
 * fills batch. With ca, applies b's asset changes to ca->tree and checks
 * that the map's root is the one b's header commits to (bad-assets-root;
 * the changes are then taken back), or with ca->fill only computes it.
 * sigs_verified: the caller has verified every signature of this very b
 * already, so that one check is skipped (every other rule still applies).
 * False with the verdict when a rule fails (batch then holds garbage). */
bool connect_block(struct store *s, const struct chain_params *p, const struct block *b,
		   const struct block_index *bi, struct pool *pool, bool sigs_verified, struct store_batch *batch,
		   struct connect_assets *ca, struct verdict *v);
/* Fills batch with the changes that undo b, the store's tip; -1 with err
 * when its undo data is missing or corrupt. With ca, takes b's asset
 * changes out of ca->tree too, and checks that the map is back at the
 * root of b's parent's header (-1 and the changes taken back when not: the
 * asset index and the headers disagree). */
int disconnect_block(struct store *s, const struct block *b, const struct block_index *bi,
		     struct store_batch *batch, struct connect_assets *ca, char *err) WUR;

/* The coins a connected block's inputs spent, as its undo data keeps
 * them: every input of b->txs[1..] in transaction then input order. */
struct connect_undo {
	struct coin *coins;
	size_t n;
};
/* Reads bi's undo data for its block b into *u (release it): 0, or -1 with
 * err filled and *u empty when it is missing (a block not on the best
 * chain has none) or corrupt. */
int connect_read_undo(struct store *s, const struct block *b, const struct block_index *bi, struct connect_undo *u,
		      char *err) WUR;
/* Frees u's coins; takes NULL, safe twice. */
void connect_undo_release(struct connect_undo *u);

/* Store readers shared with the chainstate: 1 found, 0 absent, -1 error. */
int connect_read_coin(struct store *s, const struct outpoint *op, struct coin *out);
int connect_read_asset(struct store *s, const uint8_t id[32], struct asset_entry *out);

#endif
