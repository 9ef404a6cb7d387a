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

/* Checks every input of b (at bi->height, on top of the current tip in the
 * store) and every signature on the worker pool (NULL: this thread), and
 * fills batch.
 * sigs_verified: the caller has verified every signature of this very b
 * already, so that one check is skipped (every other rule still applies).
 * False with the verdict when a rule fails (batch then holds garbage). */
bool connect_block(struct store *s, const struct chain_params *p, const struct block *b,
		   const struct block_index *bi, struct pool *pool, bool sigs_verified, struct store_batch *batch,
		   struct verdict *v);
/* Fills batch with the changes that undo b, the store's tip; -1 with err
 * when its undo data is missing or corrupt. */
int disconnect_block(struct store *s, const struct block *b, const struct block_index *bi,
		     struct store_batch *batch, char *err) WUR;

/* Store readers shared with the chainstate: 1 found, 0 absent, -1 error. */
int connect_read_coin(struct store *s, const struct outpoint *op, struct coin *out);
int connect_read_asset(struct store *s, const uint8_t id[32], struct asset_entry *out);

#endif
