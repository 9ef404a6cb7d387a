/* Finding a transaction by txid where the node keeps them: the mempool,
 * then the best chain through the chainstate's txid index (one block read),
 * or one given block. getrawtransaction and the custody walk of
 * chain/asset.h both go through it.
 *
 * A lookup keeps the last block it read: neighbouring custody steps often
 * share one, and building a proof reads the same blocks again for their
 * audit paths. Not thread-safe, like the chainstate it reads. */
#ifndef CAIRN_CHAIN_TXLOOKUP_H
#define CAIRN_CHAIN_TXLOOKUP_H

#include "chain/chainstate.h"
#include "chain/mempool.h"

struct txlookup {
	struct chainstate *cs;
	struct mempool *mp;              /* NULL: the chain only */
	struct block blk;                /* the last block read */
	const struct block_index *blk_bi; /* its entry, NULL when blk holds none */
};

enum txlookup_result {
	TXLOOKUP_FOUND = 0,
	TXLOOKUP_MISSING,     /* not where the lookup searched */
	TXLOOKUP_NO_MEMORY,
	TXLOOKUP_STORE_ERROR, /* an index or a block unreadable, or the two disagree */
};

/* mp may be NULL; cs and mp must outlive the lookup. */
void txlookup_init(struct txlookup *l, struct chainstate *cs, struct mempool *mp);
/* Drops the kept block; safe twice. */
void txlookup_release(struct txlookup *l);

/* Finds txid in the mempool (when the lookup has one), else on the best
 * chain. TXLOOKUP_FOUND with *tx a copy (release it), *bi its block (NULL
 * when it came from the mempool) and *pos its position there; otherwise
 * *tx empty, *bi NULL, *pos 0 and, for the two errors, err filled. */
enum txlookup_result txlookup_find(struct txlookup *l, struct tx *tx, struct block_index **bi, uint32_t *pos,
				   const uint8_t txid[32], char *err) WUR;

/* Finds txid in block bi alone (on any branch; neither the mempool nor the
 * index is asked). Answers as txlookup_find, without a block to return. */
enum txlookup_result txlookup_in_block(struct txlookup *l, struct tx *tx, uint32_t *pos,
				       const struct block_index *bi, const uint8_t txid[32], char *err) WUR;

/* The block of bi, read once and valid until the next call on l or its
 * release; NULL with err filled when it is missing or unreadable. */
const struct block *txlookup_block(struct txlookup *l, const struct block_index *bi, char *err);

#endif
