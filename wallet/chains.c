#include "wallet/wallet_impl.h"

#include <stdint.h>
#include <stdlib.h>

/* How long the mempool chain of each unconfirmed wallet transaction is, as
 * the mempool counts it (chain/mempool.c: ancestors and descendants, each
 * set with the entry itself), so that coin selection can prefer coins
 * whose spend stays well inside the limit and never pick one the mempool
 * would refuse (Bitcoin Core's CoinEligibilityFilter). Only transactions
 * the wallet holds are seen: a stranger's unconfirmed parent or child of
 * ours is not counted, so the figures are lower bounds. */

/* An unconfirmed transaction with more ancestors than this is counted as
 * this many: past any chain limit the mempool takes. */
#define CHAINS_MAX_WALK 64

static struct wstore_tx *pooled(const struct wallet *w, const uint8_t *txid)
{
	struct wstore_tx *t = hmap_get(&w->txs, txid);
	return t && !t->confirmed && t->in_mempool ? t : NULL;
}

/* t and its unconfirmed ancestors into set[0..n), t first; at most
 * CHAINS_MAX_WALK of them. */
static size_t ancestors(const struct wallet *w, struct wstore_tx *t, struct wstore_tx **set)
{
	size_t n = 0;
	set[n++] = t;
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < set[k]->tx.n_in && n < CHAINS_MAX_WALK; i++) {
			struct wstore_tx *p = pooled(w, set[k]->tx.in[i].prev.txid);
			bool seen = false;
			for (size_t j = 0; p && j < n && !seen; j++)
				seen = set[j] == p;
			if (p && !seen)
				set[n++] = p;
		}
	return n;
}

int wallet_chains_init(struct wallet_chains *c, const struct wallet *w)
{
	struct wstore_tx *set[CHAINS_MAX_WALK];
	hmap_init(&c->index, 32);
	c->desc = NULL;
	c->n = 0;
	size_t cap = 0;
	/* every pooled transaction adds one descendant to each of its
	 * ancestors and to itself */
	for (size_t i = 0; i < w->s.n_txs; i++) {
		struct wstore_tx *t = w->s.txs[i];
		if (t->confirmed || !t->in_mempool)
			continue;
		size_t n = ancestors(w, t, set);
		for (size_t k = 0; k < n; k++) {
			uintptr_t slot = (uintptr_t)hmap_get(&c->index, set[k]->tx.txid);
			if (!slot) {
				if (c->n == cap) {
					size_t ncap = cap ? 2 * cap : 16;
					uint32_t *d = realloc(c->desc, ncap * sizeof(*d));
					if (!d)
						return -1;
					c->desc = d;
					cap = ncap;
				}
				c->desc[c->n] = 0;
				slot = ++c->n;
				if (hmap_put(&c->index, set[k]->tx.txid, (void *)slot) != 0)
					return -1;
			}
			c->desc[slot - 1]++;
		}
	}
	return 0;
}

uint32_t wallet_chains_len(const struct wallet_chains *c, const struct wallet *w, const struct wstore_tx *t)
{
	struct wstore_tx *set[CHAINS_MAX_WALK];
	if (t->confirmed || !t->in_mempool)
		return 0;
	size_t n = ancestors(w, (struct wstore_tx *)t, set);
	uint32_t len = (uint32_t)n;
	for (size_t k = 0; k < n; k++) {
		uintptr_t slot = (uintptr_t)hmap_get(&c->index, set[k]->tx.txid);
		if (slot && c->desc[slot - 1] > len)
			len = c->desc[slot - 1];
	}
	return len;
}

void wallet_chains_release(struct wallet_chains *c)
{
	hmap_release(&c->index);
	free(c->desc);
	c->desc = NULL;
	c->n = 0;
}
