#include "chain/txlookup.h"

#include <string.h>

void txlookup_init(struct txlookup *l, struct chainstate *cs, struct mempool *mp)
{
	l->cs = cs;
	l->mp = mp;
	block_init(&l->blk);
	l->blk_bi = NULL;
}

void txlookup_release(struct txlookup *l)
{
	if (!l)
		return;
	block_release(&l->blk);
	l->blk_bi = NULL;
}

const struct block *txlookup_block(struct txlookup *l, const struct block_index *bi, char *err)
{
	if (l->blk_bi == bi)
		return &l->blk;
	block_release(&l->blk);
	l->blk_bi = NULL;
	if (chainstate_read_block(l->cs, bi, &l->blk, err) != 0)
		return NULL;
	l->blk_bi = bi;
	return &l->blk;
}

static enum txlookup_result copy_out(struct tx *tx, const struct tx *src, char *err)
{
	if (tx_copy(tx, src) == 0)
		return TXLOOKUP_FOUND;
	err_set(err, "cannot copy the transaction: out of memory");
	return TXLOOKUP_NO_MEMORY;
}

enum txlookup_result txlookup_find(struct txlookup *l, struct tx *tx, struct block_index **bi, uint32_t *pos,
				   const uint8_t txid[32], char *err)
{
	const struct tx *pooled = l->mp ? mempool_get(l->mp, txid) : NULL;
	const struct block *b;
	struct block_index *at = NULL;
	uint32_t where = 0;
	tx_init(tx);
	*bi = NULL;
	*pos = 0;
	if (pooled)
		return copy_out(tx, pooled, err);
	int r = chainstate_find_tx(l->cs, txid, &at, &where);
	if (r == 0)
		return TXLOOKUP_MISSING;
	if (r < 0) {
		err_set(err, "cannot read the transaction index");
		return TXLOOKUP_STORE_ERROR;
	}
	if (!(b = txlookup_block(l, at, err)))
		return TXLOOKUP_STORE_ERROR;
	if (where >= b->n_tx || memcmp(b->txs[where].txid, txid, 32) != 0) {
		err_set(err, "the transaction index and the block disagree");
		return TXLOOKUP_STORE_ERROR;
	}
	enum txlookup_result res = copy_out(tx, &b->txs[where], err);
	if (res == TXLOOKUP_FOUND) {
		*bi = at;
		*pos = where;
	}
	return res;
}

enum txlookup_result txlookup_in_block(struct txlookup *l, struct tx *tx, uint32_t *pos,
				       const struct block_index *bi, const uint8_t txid[32], char *err)
{
	const struct block *b;
	tx_init(tx);
	*pos = 0;
	if (!(b = txlookup_block(l, bi, err)))
		return TXLOOKUP_STORE_ERROR;
	for (size_t i = 0; i < b->n_tx; i++)
		if (memcmp(b->txs[i].txid, txid, 32) == 0) {
			enum txlookup_result res = copy_out(tx, &b->txs[i], err);
			*pos = res == TXLOOKUP_FOUND ? (uint32_t)i : 0;
			return res;
		}
	return TXLOOKUP_MISSING;
}
