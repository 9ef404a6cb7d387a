#include "chain/mempool_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/grow.h"

/* The pool's entries: the maps by txid, spent outpoint and asset id, the
 * links between parents and children in the pool, walks over them, adding
 * and removing, and the view of the chain with the pool on top. */

int mempool_list_push(struct mempool_list *a, struct mempool_tx *e)
{
	if (grow_array(&a->v, &a->cap, a->n + 1, sizeof(*a->v), 4, SIZE_MAX) != 0)
		return -1;
	a->v[a->n++] = e;
	return 0;
}

static bool mempool_list_has(const struct mempool_list *a, const struct mempool_tx *e)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i] == e)
			return true;
	return false;
}

static void mempool_list_remove(struct mempool_list *a, const struct mempool_tx *e)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i] == e) {
			memmove(a->v + i, a->v + i + 1, (a->n - i - 1) * sizeof(*a->v));
			a->n--;
			return;
		}
}

void mempool_list_release(struct mempool_list *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}

void mempool_tx_free(struct mempool_tx *e)
{
	tx_release(&e->tx);
	mempool_list_release(&e->parents);
	mempool_list_release(&e->children);
	free(e->reg);
	free(e);
}

/* --- walks over the in-pool links --- */

/* Collects e and its ancestors (up) or descendants (down) into out, each
 * once, e first. -1 on no memory (out then holds part of the set). */
int mempool_walk(struct mempool *mp, struct mempool_tx *e, bool up, struct mempool_list *out)
{
	uint64_t mark = ++mp->epoch;
	out->n = 0;
	e->mark = mark;
	if (mempool_list_push(out, e) != 0)
		return -1;
	for (size_t i = 0; i < out->n; i++) {
		const struct mempool_list *next = up ? &out->v[i]->parents : &out->v[i]->children;
		for (size_t j = 0; j < next->n; j++) {
			if (next->v[j]->mark == mark)
				continue;
			next->v[j]->mark = mark;
			if (mempool_list_push(out, next->v[j]) != 0)
				return -1;
		}
	}
	return 0;
}

/* --- the asset slots --- */

static int slot_add(struct mempool *mp, const uint8_t id[32], struct mempool_tx *e)
{
	struct mempool_list *s = mempool_asset_slot(mp, id);
	if (!s) {
		if (!(s = calloc(1, sizeof(*s))))
			return -1;
		if (hmap_put(&mp->assets, id, s) != 0) {
			free(s);
			return -1;
		}
	}
	return mempool_list_has(s, e) ? 0 : mempool_list_push(s, e);
}

static void slot_remove(struct mempool *mp, const uint8_t id[32], const struct mempool_tx *e)
{
	struct mempool_list *s = mempool_asset_slot(mp, id);
	if (!s)
		return;
	mempool_list_remove(s, e);
	if (s->n == 0) {
		hmap_del(&mp->assets, id);
		mempool_list_release(s);
		free(s);
	}
}

/* --- adding and removing entries --- */

/* Takes e out of every map and link; tolerates an entry only partly in. */
static void unlink_entry(struct mempool *mp, struct mempool_tx *e)
{
	if (mempool_find(mp, e->tx.txid) == e)
		hmap_del(&mp->txs, e->tx.txid);
	for (size_t i = 0; i < e->tx.n_in; i++) {
		uint8_t key[36];
		outpoint_write(key, &e->tx.in[i].prev);
		if (hmap_get(&mp->spenders, key) == e)
			hmap_del(&mp->spenders, key);
	}
	for (size_t i = 0; i < e->parents.n; i++)
		mempool_list_remove(&e->parents.v[i]->children, e);
	for (size_t i = 0; i < e->children.n; i++)
		mempool_list_remove(&e->children.v[i]->parents, e);
	e->parents.n = e->children.n = 0;
	for (size_t i = 0; i < e->tx.n_out; i++)
		if (e->tx.out[i].kind == TXOUT_ASSET)
			slot_remove(mp, e->tx.out[i].asset, e);
}

static int link_pair(struct mempool_tx *parent, struct mempool_tx *child)
{
	if (mempool_list_has(&child->parents, parent))
		return 0;
	if (mempool_list_push(&child->parents, parent) != 0)
		return -1;
	return mempool_list_push(&parent->children, child);
}

/* Puts e in the maps and links it to its in-pool parents and to pool
 * entries already spending its outputs (a transaction returned by a
 * reorganisation whose children stayed). */
static int link_entry(struct mempool *mp, struct mempool_tx *e)
{
	if (hmap_put(&mp->txs, e->tx.txid, e) != 0)
		return -1;
	for (size_t i = 0; i < e->tx.n_in; i++) {
		uint8_t key[36];
		struct mempool_tx *p = mempool_find(mp, e->tx.in[i].prev.txid);
		outpoint_write(key, &e->tx.in[i].prev);
		if (hmap_put(&mp->spenders, key, e) != 0 || (p && link_pair(p, e) != 0))
			return -1;
	}
	for (uint32_t i = 0; i < e->tx.n_out; i++) {
		struct outpoint op = { .index = i };
		memcpy(op.txid, e->tx.txid, 32);
		struct mempool_tx *c = mempool_spender_of(mp, &op);
		if (c && link_pair(e, c) != 0)
			return -1;
		if (e->tx.out[i].kind == TXOUT_ASSET && slot_add(mp, e->tx.out[i].asset, e) != 0)
			return -1;
	}
	return 0;
}

int mempool_insert(struct mempool *mp, struct mempool_tx *e)
{
	if (link_entry(mp, e) != 0) {
		unlink_entry(mp, e);
		return -1;
	}
	e->seq = mp->seq++;
	mp->bytes += e->tx.size;
	mp->usage += e->usage;
	mp->total_fee += e->fee;
	if (e->time < mp->oldest)
		mp->oldest = e->time;
	if (mp->ev.on_added)
		mp->ev.on_added(mp->ev.ctx, &e->tx);
	return 0;
}

void mempool_remove_one(struct mempool *mp, struct mempool_tx *e, enum mempool_removal why)
{
	uint8_t txid[32];
	memcpy(txid, e->tx.txid, 32);
	unlink_entry(mp, e);
	mp->bytes -= e->tx.size;
	mp->usage -= e->usage;
	mp->total_fee -= e->fee;
	mempool_tx_free(e);
	if (mp->ev.on_removed)
		mp->ev.on_removed(mp->ev.ctx, txid, why);
}

/* Removes e with its descendants, children first; returns how many. */
size_t mempool_remove_tree(struct mempool *mp, struct mempool_tx *e, enum mempool_removal why)
{
	struct mempool_list set = { 0 };
	size_t n;
	if (mempool_walk(mp, e, false, &set) != 0) {
		/* Without memory for the walk, remove what was found, then the
		 * rest one level at a time. */
		while (e->children.n)
			mempool_remove_tree(mp, e->children.v[0], why);
		mempool_list_release(&set);
		mempool_remove_one(mp, e, why);
		return 1;
	}
	n = set.n;
	for (size_t i = set.n; i-- > 0;)
		mempool_remove_one(mp, set.v[i], why);
	mempool_list_release(&set);
	return n;
}

/* Removes the entries with these txids that are still in the pool, each
 * with its descendants. */
size_t mempool_remove_txids(struct mempool *mp, uint8_t (*ids)[32], size_t n, enum mempool_removal why)
{
	size_t removed = 0;
	for (size_t i = 0; i < n; i++) {
		struct mempool_tx *e = mempool_find(mp, ids[i]);
		if (e)
			removed += mempool_remove_tree(mp, e, why);
	}
	return removed;
}

/* --- the view: chain + pool --- */

static int view_get_coin(void *ctx, const struct outpoint *op, struct coin *out)
{
	struct mempool *mp = ctx;
	coin_init(out);
	if (mempool_spender_of(mp, op))
		return 0;
	struct mempool_tx *e = mempool_find(mp, op->txid);
	if (e) {
		if (op->index >= e->tx.n_out)
			return 0;
		return coin_from_tx(out, &e->tx, op->index, MEMPOOL_HEIGHT) == 0 ? 1 : -1;
	}
	return chainstate_get_coin(mp->cs, op, out);
}

static int view_asset_known(void *ctx, const uint8_t id[32])
{
	struct mempool *mp = ctx;
	struct asset_entry ae;
	if (mempool_asset_slot(mp, id))
		return 1;
	return chainstate_get_asset(mp->cs, id, &ae);
}

struct coin_view mempool_view(struct mempool *mp)
{
	struct coin_view v = { view_get_coin, view_asset_known, mp };
	return v;
}
