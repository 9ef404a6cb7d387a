#include "wallet/wallet_impl.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"

/* The outputs that pay the wallet, each listed in its transaction. A
 * transaction is found by txid (wallet.txs) and its list is short and in
 * output order, so an outpoint needs no index of its own: a wallet of a
 * million transactions loads without a second million-entry table.
 *
 * The lists are carved from blocks freed with the wallet. A list that grows
 * (an imported key makes more outputs ours) is copied to a new place and
 * the old one stays unused in its block: imports are rare, loading is not. */

#define BLOCK_OUTS 4096

struct wallet_out_block {
	struct wallet_out_block *next;
	size_t used, cap;
	struct wallet_out outs[];
};

/* Room for n consecutive records, or NULL. */
static struct wallet_out *take(struct wallet *w, size_t n)
{
	struct wallet_out_block *b = w->out_blocks;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > BLOCK_OUTS ? n : BLOCK_OUTS;
		if (!(b = malloc(sizeof(*b) + cap * sizeof(b->outs[0]))))
			return NULL;
		b->used = 0;
		b->cap = cap;
		/* A block of its own for a big list keeps the current one open. */
		if (n > BLOCK_OUTS && w->out_blocks) {
			b->next = w->out_blocks->next;
			w->out_blocks->next = b;
		} else {
			b->next = w->out_blocks;
			w->out_blocks = b;
		}
	}
	struct wallet_out *o = &b->outs[b->used];
	b->used += n;
	return o;
}

/* Outputs up to here are looked up once; a longer transaction twice. */
#define SHORT_TX 64

static bool pays_wallet(const struct wallet *w, const struct wstore_tx *t, uint32_t i, const bool *mine)
{
	return mine ? mine[i] : hmap_get(&w->keys, t->tx.out[i].addr) != NULL;
}

void wallet_index_outputs(struct wallet *w, struct wstore_tx *t)
{
	bool short_mine[SHORT_TX], *mine = t->tx.n_out <= SHORT_TX ? short_mine : NULL;
	uint32_t n = 0;
	for (uint32_t i = 0; i < t->tx.n_out; i++) {
		bool m = hmap_get(&w->keys, t->tx.out[i].addr) != NULL;
		if (mine)
			mine[i] = m;
		n += m;
	}
	if (n == t->n_outs)
		return;
	struct wallet_out *list = take(w, n);
	if (!list) {
		log_error("wallet: out of memory indexing outputs");
		return;
	}
	uint32_t k = 0, old = 0;
	for (uint32_t i = 0; i < t->tx.n_out; i++) {
		if (!pays_wallet(w, t, i, mine))
			continue;
		bool spent = old < t->n_outs && t->outs[old].index == i && t->outs[old++].spent;
		list[k++] = (struct wallet_out){ .wtx = t, .index = i, .spent = spent };
	}
	w->n_outs += n - t->n_outs;
	t->outs = list;
	t->n_outs = n;
}

struct wallet_out *wallet_find_out(const struct wallet *w, const struct outpoint *op)
{
	const struct wstore_tx *t = hmap_get(&w->txs, op->txid);
	if (!t)
		return NULL;
	size_t lo = 0, hi = t->n_outs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->outs[mid].index == op->index)
			return &t->outs[mid];
		if (t->outs[mid].index < op->index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct wallet_out *wallet_out_next(const struct wallet *w, struct wallet_out_iter *it)
{
	for (; it->tx < w->s.n_txs; it->tx++, it->out = 0) {
		struct wstore_tx *t = w->s.txs[it->tx];
		if (it->out < t->n_outs)
			return &t->outs[it->out++];
	}
	return NULL;
}

void wallet_free_outputs(struct wallet *w)
{
	while (w->out_blocks) {
		struct wallet_out_block *b = w->out_blocks;
		w->out_blocks = b->next;
		free(b);
	}
	w->n_outs = 0;
}

void wallet_refresh_spent(struct wallet *w)
{
	struct wallet_out *o;
	for (struct wallet_out_iter it = { 0 }; (o = wallet_out_next(w, &it));)
		o->spent = false;
	for (size_t i = 0; i < w->s.n_txs; i++) {
		const struct wstore_tx *t = w->s.txs[i];
		if (!wallet_tx_active(t) || tx_is_coinbase(&t->tx))
			continue;
		for (size_t j = 0; j < t->tx.n_in; j++)
			if ((o = wallet_find_out(w, &t->tx.in[j].prev)))
				o->spent = true;
	}
}
