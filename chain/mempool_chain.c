#include "chain/mempool_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/grow.h"

/* What the pool does when the chain moves: blocks connected and
 * disconnected, the end of a reorganisation, and expiry. */

void mempool_queue_clear(struct mempool *mp)
{
	for (size_t i = 0; i < mp->n_queue; i++)
		tx_release(&mp->queue[i].tx);
	free(mp->queue);
	mp->queue = NULL;
	mp->n_queue = mp->cap_queue = mp->queue_bytes = 0;
}

/* --- expiry --- */

size_t mempool_expire(struct mempool *mp, uint64_t now)
{
	uint8_t (*ids)[32];
	size_t n = 0, removed;
	uint64_t oldest = UINT64_MAX;
	const void *k;
	void *val;
	if (mp->o.expiry == 0 || mp->txs.count == 0)
		return 0;
	if (!(ids = malloc(mp->txs.count * 32)))
		return 0;
	for (size_t it = 0; hmap_next(&mp->txs, &it, &k, &val);) {
		const struct mempool_tx *e = val;
		if (now >= e->time && now - e->time >= mp->o.expiry)
			memcpy(ids[n++], e->tx.txid, 32);
		else if (e->time < oldest)
			oldest = e->time;
	}
	removed = mempool_remove_txids(mp, ids, n, MEMPOOL_REMOVED_EXPIRY);
	free(ids);
	/* Descendants removed with an expired parent may have been the
	 * youngest; a stale-low oldest only costs one more scan. */
	mp->oldest = oldest;
	return removed;
}

void mempool_expire_if_due(struct mempool *mp, uint64_t now)
{
	if (mp->o.expiry && mp->oldest != UINT64_MAX && now >= mp->oldest && now - mp->oldest >= mp->o.expiry)
		mempool_expire(mp, now);
}

/* --- chain events --- */

/* Gives every orphan one more try (after the chain moved). */
static void retry_orphans(struct mempool *mp, uint64_t now)
{
	uint8_t (*ids)[32];
	size_t n = orphans_list(&mp->orphans, &ids);
	for (size_t i = 0; i < n && n != (size_t)-1; i++)
		if (mempool_try_orphan(mp, ids[i], now))
			mempool_resolve_orphans(mp, ids[i], now);
	free(ids);
}

/* Removes the pool transactions a block transaction conflicts with: those
 * spending one of its inputs and those registering an asset id it
 * registers or carries. */
static void remove_conflicts(struct mempool *mp, const struct tx *tx)
{
	for (size_t i = 0; i < tx->n_in; i++) {
		struct mempool_tx *s = mempool_spender_of(mp, &tx->in[i].prev);
		if (s)
			mempool_remove_tree(mp, s, MEMPOOL_REMOVED_CONFLICT);
	}
	for (size_t i = 0; i < tx->n_out; i++) {
		const uint8_t *id = tx->out[i].asset;
		struct mempool_list *slot;
		bool again = tx->out[i].kind == TXOUT_ASSET;
		/* A removal may free the slot: look it up again after each. */
		while (again && (slot = mempool_asset_slot(mp, id))) {
			again = false;
			for (size_t j = 0; j < slot->n && !again; j++) {
				struct mempool_tx *e = slot->v[j];
				for (size_t o = 0; o < e->tx.n_out && !again; o++)
					again = e->reg && e->reg[o] && memcmp(e->tx.out[o].asset, id, 32) == 0;
				if (again)
					mempool_remove_tree(mp, e, MEMPOOL_REMOVED_CONFLICT);
			}
		}
	}
}

void mempool_block_connected(struct mempool *mp, const struct block *b, const struct block_index *bi)
{
	(void)bi;
	for (size_t t = 1; t < b->n_tx; t++) {
		struct mempool_tx *e = mempool_find(mp, b->txs[t].txid);
		if (e)
			mempool_remove_one(mp, e, MEMPOOL_REMOVED_BLOCK);
		remove_conflicts(mp, &b->txs[t]);
	}
	orphans_erase_for_block(&mp->orphans, b);
}

void mempool_block_disconnected(struct mempool *mp, const struct block *b, const struct block_index *bi)
{
	for (size_t t = 1; t < b->n_tx; t++) {
		/* Past the bound the rest are dropped, as Bitcoin Core drops
		 * the deepest; their pool descendants fail revalidation. */
		if (mp->queue_bytes + b->txs[t].size > MEMPOOL_MAX_DISCONNECTED_BYTES)
			break;
		if (grow_array(&mp->queue, &mp->cap_queue, mp->n_queue + 1, sizeof(*mp->queue), 64, SIZE_MAX) != 0)
			return;
		struct mempool_queued *q = &mp->queue[mp->n_queue];
		if (tx_copy(&q->tx, &b->txs[t]) != 0)
			return;
		q->height = bi->height;
		q->pos = t;
		mp->n_queue++;
		mp->queue_bytes += b->txs[t].size;
	}
}

static int by_height(const void *x, const void *y)
{
	const struct mempool_queued *a = x, *b = y;
	if (a->height != b->height)
		return a->height < b->height ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Whether a pool entry still fits the chain after a reorganisation: final
 * at the next height, every input in the pool or unspent on the chain
 * (and mature if a coinbase's), no registration the chain now holds. A
 * read error keeps the entry: a disk fault is not the transaction's. */
static bool still_valid(struct mempool *mp, const struct mempool_tx *e, uint32_t height, uint64_t mtp)
{
	const struct chain_params *p = chainstate_params(mp->cs);
	if (!tx_is_final(&e->tx, height, mtp))
		return false;
	for (size_t i = 0; i < e->tx.n_in; i++) {
		const struct outpoint *op = &e->tx.in[i].prev;
		struct mempool_tx *parent = mempool_find(mp, op->txid);
		struct coin c;
		if (parent) {
			if (op->index >= parent->tx.n_out)
				return false;
			continue;
		}
		int r = chainstate_get_coin(mp->cs, op, &c);
		if (r == 0)
			return false;
		bool immature = r > 0 && c.coinbase && height - c.height < p->coinbase_maturity;
		if (r > 0)
			coin_release(&c);
		if (immature)
			return false;
	}
	for (size_t i = 0; e->reg && i < e->tx.n_out; i++) {
		struct asset_entry ae;
		if (e->reg[i] && chainstate_get_asset(mp->cs, e->tx.out[i].asset, &ae) == 1)
			return false;
	}
	return true;
}

static void remove_invalid(struct mempool *mp)
{
	struct block_index *tip = chainstate_tip(mp->cs);
	uint64_t mtp = index_median_time(tip);
	uint8_t (*ids)[32];
	size_t n = 0;
	const void *k;
	void *val;
	if (mp->txs.count == 0 || !(ids = malloc(mp->txs.count * 32)))
		return;
	for (size_t it = 0; hmap_next(&mp->txs, &it, &k, &val);)
		if (!still_valid(mp, val, tip->height + 1, mtp))
			memcpy(ids[n++], k, 32);
	mempool_remove_txids(mp, ids, n, MEMPOOL_REMOVED_REORG);
	free(ids);
}

void mempool_reorg_done(struct mempool *mp, uint64_t now)
{
	if (mp->n_queue > 1)
		qsort(mp->queue, mp->n_queue, sizeof(*mp->queue), by_height);
	for (size_t i = 0; i < mp->n_queue; i++) {
		struct verdict v;
		(void)mempool_accept_one(mp, &mp->queue[i].tx, now, true, NULL, &v);
	}
	mempool_queue_clear(mp);
	remove_invalid(mp);
	mempool_trim(mp);
	retry_orphans(mp, now);
}

static void on_connected(void *ctx, const struct block *b, const struct block_index *bi)
{
	mempool_block_connected(ctx, b, bi);
}

static void on_disconnected(void *ctx, const struct block *b, const struct block_index *bi)
{
	mempool_block_disconnected(ctx, b, bi);
}

struct chain_events mempool_chain_events(struct mempool *mp)
{
	struct chain_events ev = { .connected = on_connected, .disconnected = on_disconnected, .ctx = mp };
	return ev;
}
