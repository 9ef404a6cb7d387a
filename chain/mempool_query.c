#include "chain/mempool_impl.h"

#include <stdlib.h>
#include <string.h>

/* What the pool tells: lookups, getmempoolentry and getmempoolinfo,
 * assets, and block templates. */

/* --- queries --- */

const struct tx *mempool_get(const struct mempool *mp, const uint8_t txid[32])
{
	struct mempool_tx *e = mempool_find(mp, txid);
	return e ? &e->tx : NULL;
}

bool mempool_has(const struct mempool *mp, const uint8_t txid[32])
{
	return mempool_find(mp, txid) != NULL;
}

size_t mempool_count(const struct mempool *mp)
{
	return mp->txs.count;
}

size_t mempool_bytes(const struct mempool *mp)
{
	return mp->bytes;
}

void mempool_get_info(const struct mempool *mp, struct mempool_info *out)
{
	memset(out, 0, sizeof(*out));
	out->count = mp->txs.count;
	out->bytes = mp->bytes;
	out->usage = mp->usage;
	out->max_usage = mp->o.max_bytes;
	out->total_fee = mp->total_fee;
	out->min_relay_fee = mp->o.min_relay_fee;
	out->orphans = orphans_count(&mp->orphans);
}

const struct tx *mempool_next(const struct mempool *mp, size_t *it)
{
	const void *k;
	void *v;
	return hmap_next(&mp->txs, it, &k, &v) ? &((struct mempool_tx *)v)->tx : NULL;
}

const struct tx *mempool_spender(const struct mempool *mp, const struct outpoint *op)
{
	struct mempool_tx *e = mempool_spender_of(mp, op);
	return e ? &e->tx : NULL;
}

static uint8_t (*txids_of(const struct mempool_list *a))[32]
{
	uint8_t (*ids)[32] = malloc((a->n ? a->n : 1) * 32);
	for (size_t i = 0; ids && i < a->n; i++)
		memcpy(ids[i], a->v[i]->tx.txid, 32);
	return ids;
}

static void sum_set(const struct mempool_list *set, size_t *count, size_t *size, int64_t *fees)
{
	*count = set->n;
	for (size_t i = 0; i < set->n; i++) {
		*size += set->v[i]->tx.size;
		*fees += set->v[i]->fee;
	}
}

int mempool_entry(struct mempool *mp, const uint8_t txid[32], struct mempool_entry_info *out)
{
	struct mempool_tx *e = mempool_find(mp, txid);
	struct mempool_list set = { 0 };
	memset(out, 0, sizeof(*out));
	if (!e)
		return 0;
	out->tx = &e->tx;
	out->fee = e->fee;
	out->size = e->tx.size;
	out->usage = e->usage;
	out->time = e->time;
	out->height = e->height;
	int r = mempool_walk(mp, e, true, &set);
	if (r == 0) {
		sum_set(&set, &out->ancestor_count, &out->ancestor_size, &out->ancestor_fees);
		r = mempool_walk(mp, e, false, &set);
	}
	if (r == 0)
		sum_set(&set, &out->descendant_count, &out->descendant_size, &out->descendant_fees);
	mempool_list_release(&set);
	out->depends = txids_of(&e->parents);
	out->n_depends = e->parents.n;
	out->spentby = txids_of(&e->children);
	out->n_spentby = e->children.n;
	if (r != 0 || !out->depends || !out->spentby) {
		mempool_entry_info_release(out);
		return -1;
	}
	return 1;
}

int mempool_relatives(struct mempool *mp, const uint8_t txid[32], bool up, uint8_t (**out)[32], size_t *n)
{
	struct mempool_tx *e = mempool_find(mp, txid);
	struct mempool_list set = { 0 };
	*out = NULL;
	*n = 0;
	if (!e)
		return 0;
	if (mempool_walk(mp, e, up, &set) != 0) {
		mempool_list_release(&set);
		return -1;
	}
	/* the walk puts e first; the answer leaves it out */
	struct mempool_list rest = { set.v + 1, set.n - 1, 0 };
	*out = txids_of(&rest);
	*n = *out ? rest.n : 0;
	mempool_list_release(&set);
	return *out ? 1 : -1;
}

void mempool_entry_info_release(struct mempool_entry_info *e)
{
	free(e->depends);
	free(e->spentby);
	memset(e, 0, sizeof(*e));
}

int mempool_asset(const struct mempool *mp, const uint8_t id[32], struct mempool_asset_info *out)
{
	const struct mempool_list *slot = mempool_asset_slot(mp, id);
	memset(out, 0, sizeof(*out));
	if (!slot)
		return 0;
	for (size_t i = 0; i < slot->n; i++) {
		const struct mempool_tx *e = slot->v[i];
		for (uint32_t o = 0; o < e->tx.n_out; o++) {
			struct outpoint op = { .index = o };
			if (e->tx.out[o].kind != TXOUT_ASSET || memcmp(e->tx.out[o].asset, id, 32) != 0)
				continue;
			memcpy(op.txid, e->tx.txid, 32);
			if (e->reg && e->reg[o]) {
				out->registered = true;
				memcpy(out->reg_txid, e->tx.txid, 32);
			}
			if (!mempool_spender_of(mp, &op))
				out->cur = op;
		}
	}
	return 1;
}

/* --- block templates --- */

/* A max-heap of entries by fee rate, the earlier arrival first on ties. */
static bool heap_before(const struct mempool_tx *a, const struct mempool_tx *b)
{
	int64_t ra = mempool_fee_rate(a->fee, a->tx.size), rb = mempool_fee_rate(b->fee, b->tx.size);
	return ra != rb ? ra > rb : a->seq < b->seq;
}

static void heap_push(struct mempool_tx **h, size_t *n, struct mempool_tx *e)
{
	size_t i = (*n)++;
	while (i > 0 && heap_before(e, h[(i - 1) / 2])) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = e;
}

static struct mempool_tx *heap_pop(struct mempool_tx **h, size_t *n)
{
	struct mempool_tx *top = h[0], *last = h[--(*n)];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && heap_before(h[c + 1], h[c]))
			c++;
		if (!heap_before(h[c], last))
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = last;
	return top;
}

/* The entries in template order, within max_bytes: the best fee rate
 * among those whose in-pool parents are all taken, again and again. A
 * transaction that does not fit is skipped, and so are its descendants.
 * Fills *out (caller frees) and returns the count, or (size_t)-1. */
size_t mempool_ordered(struct mempool *mp, size_t max_bytes, struct mempool_tx ***out)
{
	size_t n = mp->txs.count, hn = 0, taken = 0, bytes = 0;
	struct mempool_tx **heap = malloc((n ? n : 1) * sizeof(*heap));
	struct mempool_tx **list = malloc((n ? n : 1) * sizeof(*list));
	const void *k;
	void *val;
	*out = NULL;
	if (!heap || !list) {
		free(heap);
		free(list);
		return (size_t)-1;
	}
	for (size_t it = 0; hmap_next(&mp->txs, &it, &k, &val);) {
		struct mempool_tx *e = val;
		e->pending = e->parents.n;
		if (e->pending == 0)
			heap_push(heap, &hn, e);
	}
	while (hn > 0) {
		struct mempool_tx *e = heap_pop(heap, &hn);
		if (e->tx.size > max_bytes - bytes)
			continue;
		bytes += e->tx.size;
		list[taken++] = e;
		for (size_t i = 0; i < e->children.n; i++)
			if (--e->children.v[i]->pending == 0)
				heap_push(heap, &hn, e->children.v[i]);
	}
	free(heap);
	*out = list;
	return taken;
}

int mempool_select(struct mempool *mp, struct mempool_selection *out, size_t max_bytes)
{
	struct mempool_tx **list;
	memset(out, 0, sizeof(*out));
	size_t n = mempool_ordered(mp, max_bytes, &list);
	if (n == (size_t)-1)
		return -1;
	if (n && !(out->txs = calloc(n, sizeof(*out->txs)))) {
		free(list);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (tx_copy(&out->txs[i], &list[i]->tx) != 0) {
			free(list);
			mempool_selection_release(out);
			return -1;
		}
		out->n++;
		out->bytes += list[i]->tx.size;
		out->fees += list[i]->fee;
	}
	free(list);
	return 0;
}

void mempool_selection_release(struct mempool_selection *s)
{
	for (size_t i = 0; i < s->n; i++)
		tx_release(&s->txs[i]);
	free(s->txs);
	memset(s, 0, sizeof(*s));
}
