#include "chain/asset.h"

#include <stdlib.h>
#include <string.h>

#include "chain/asset_impl.h"
#include "chain/txlookup.h"
#include "util/grow.h"
#include "util/hex.h"

static enum asset_status fail(enum asset_status s, char *err, const char *what)
{
	err_set(err, "%s", what);
	return s;
}

static enum asset_status no_memory(char *err)
{
	return fail(ASSET_NO_MEMORY, err, "out of memory");
}

/* A lookup's error as the walk's; err is already filled. */
static enum asset_status lookup_failed(enum txlookup_result r)
{
	return r == TXLOOKUP_NO_MEMORY ? ASSET_NO_MEMORY : ASSET_STORE_ERROR;
}

static bool is_asset_out(const struct tx *tx, uint32_t index, const uint8_t id[32])
{
	return index < tx->n_out && tx->out[index].kind == TXOUT_ASSET && memcmp(tx->out[index].asset, id, 32) == 0;
}

enum asset_status asset_ends(struct chainstate *cs, struct mempool *mp, uint8_t reg[32], struct outpoint *cur,
			     const uint8_t id[32], char *err)
{
	struct asset_entry ae;
	struct mempool_asset_info mi;
	int in_chain = chainstate_get_asset(cs, id, &ae);
	int in_pool = mp ? mempool_asset(mp, id, &mi) : 0;
	if (in_chain < 0)
		return fail(ASSET_STORE_ERROR, err, "cannot read the asset index");
	if (in_chain == 0 && (in_pool == 0 || !mi.registered))
		return fail(ASSET_UNKNOWN, err, "asset not found");
	memcpy(reg, in_chain ? ae.reg.txid : mi.reg_txid, 32);
	*cur = in_pool ? mi.cur : ae.cur;
	return ASSET_OK;
}

/* ---- custody history ---- */

void asset_history_release(struct asset_history *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		tx_release(&h->steps[i].tx);
	free(h->steps);
	h->steps = NULL;
	h->n = 0;
}

/* The step before step s: the transaction whose asset output s spends. */
static enum asset_status previous_step(struct txlookup *l, struct asset_step *prev, const struct asset_step *s,
				       const uint8_t id[32], char *err)
{
	char h[65];
	for (size_t i = 0; i < s->tx.n_in; i++) {
		const struct outpoint *op = &s->tx.in[i].prev;
		enum txlookup_result r = txlookup_find(l, &prev->tx, &prev->bi, &prev->pos, op->txid, err);
		if (r == TXLOOKUP_NO_MEMORY || r == TXLOOKUP_STORE_ERROR)
			return lookup_failed(r);
		if (r == TXLOOKUP_FOUND && is_asset_out(&prev->tx, op->index, id)) {
			prev->out = op->index;
			return ASSET_OK;
		}
		tx_release(&prev->tx);
	}
	hex_encode(h, s->tx.txid, 32);
	err_set(err, "custody chain broken: %s spends no output of the asset", h);
	return ASSET_STORE_ERROR;
}

static enum asset_status push_step(struct asset_history *h, size_t *cap, const struct asset_step *s, char *err)
{
	if (grow_array(&h->steps, cap, h->n + 1, sizeof(*h->steps), 8, SIZE_MAX) != 0)
		return no_memory(err);
	h->steps[h->n++] = *s;
	return ASSET_OK;
}

/* Oldest first, with the owners and the places filled in. The txid index
 * holds the best chain only, so every block is the tip's ancestor. */
static void order_steps(struct asset_history *h, const struct block_index *tip)
{
	for (size_t i = 0; i < h->n / 2; i++) {
		struct asset_step t = h->steps[i];
		h->steps[i] = h->steps[h->n - 1 - i];
		h->steps[h->n - 1 - i] = t;
	}
	for (size_t i = 0; i < h->n; i++) {
		struct asset_step *s = &h->steps[i];
		memcpy(s->to, s->tx.out[s->out].addr, 20);
		s->has_from = i > 0;
		if (i > 0)
			memcpy(s->from, h->steps[i - 1].to, 20);
		s->height = s->bi ? s->bi->height : 0;
		s->confirmations = s->bi ? tip->height - s->bi->height + 1 : 0;
	}
}

/* The transaction holding the asset's current output. */
static enum asset_status current_step(struct txlookup *l, struct asset_step *s, const struct outpoint *cur,
				      const uint8_t id[32], char *err)
{
	memset(s, 0, sizeof(*s));
	enum txlookup_result r = txlookup_find(l, &s->tx, &s->bi, &s->pos, cur->txid, err);
	if (r == TXLOOKUP_MISSING)
		return fail(ASSET_STORE_ERROR, err, "the asset's current transaction is missing");
	if (r != TXLOOKUP_FOUND)
		return lookup_failed(r);
	if (!is_asset_out(&s->tx, cur->index, id)) {
		tx_release(&s->tx);
		return fail(ASSET_STORE_ERROR, err, "the asset index points at another output");
	}
	s->out = cur->index;
	return ASSET_OK;
}

/* Walks back from the current output to the registration, newest first. */
static enum asset_status walk(struct txlookup *l, struct asset_history *out, const uint8_t id[32],
			      const uint8_t reg[32], const struct outpoint *cur, char *err)
{
	struct asset_step s, prev;
	size_t cap = 0;
	enum asset_status r = current_step(l, &s, cur, id, err);
	if (r != ASSET_OK)
		return r;
	for (;;) {
		bool last = memcmp(s.tx.txid, reg, 32) == 0;
		memset(&prev, 0, sizeof(prev));
		if (out->n >= PROOF_MAX_STEPS) {
			err_set(err, "custody history longer than %d steps", PROOF_MAX_STEPS);
			r = ASSET_TOO_LONG;
		} else if (!last) {
			r = previous_step(l, &prev, &s, id, err);
		}
		if (r == ASSET_OK)
			r = push_step(out, &cap, &s, err);
		if (r != ASSET_OK) {
			tx_release(&s.tx);
			tx_release(&prev.tx);
			return r;
		}
		if (last)
			return ASSET_OK;
		s = prev;
	}
}

enum asset_status asset_walk(struct chainstate *cs, struct mempool *mp, struct asset_history *out,
			     const uint8_t id[32], char *err)
{
	struct txlookup l;
	struct outpoint cur;
	uint8_t reg[32];
	out->steps = NULL;
	out->n = 0;
	enum asset_status r = asset_ends(cs, mp, reg, &cur, id, err);
	if (r != ASSET_OK)
		return r;
	txlookup_init(&l, cs, mp);
	r = walk(&l, out, id, reg, &cur, err);
	txlookup_release(&l);
	if (r != ASSET_OK)
		asset_history_release(out);
	else
		order_steps(out, chainstate_tip(cs));
	return r;
}

/* ---- proof bundles ---- */

/* The audit path of the transaction at pos in the block of bi. */
enum asset_status asset_block_path(struct txlookup *l, uint8_t (*path)[32], size_t *len, uint32_t *leaves,
				   const struct block_index *bi, uint32_t pos, char *err)
{
	const struct block *b = txlookup_block(l, bi, err);
	struct proof_txs p;
	if (!b)
		return ASSET_STORE_ERROR;
	if (proof_txs_build(&p, b, (const uint8_t (*)[32])b->txs[pos].txid, 1, err) != 0)
		return ASSET_STORE_ERROR;
	*len = p.txs[0].path_len;
	memcpy(path, p.txs[0].path, *len * 32);
	*leaves = p.leaves;
	proof_txs_release(&p);
	return ASSET_OK;
}

/* Moves the history's transactions into the bundle's steps. */
static enum asset_status bundle_steps(struct txlookup *l, struct proof_bundle *b, struct asset_history *h, char *err)
{
	if (!(b->steps = calloc(h->n, sizeof(*b->steps))))
		return no_memory(err);
	for (size_t i = 0; i < h->n; i++) {
		struct proof_step *s = &b->steps[i];
		struct asset_step *a = &h->steps[i];
		s->tx = a->tx; /* moved */
		tx_init(&a->tx);
		b->n_steps++;
		memcpy(s->block, a->bi->hash, 32);
		s->height = a->bi->height;
		s->index = a->pos;
		enum asset_status r = asset_block_path(l, s->path, &s->path_len, &s->leaves, a->bi, a->pos, err);
		if (r != ASSET_OK)
			return r;
	}
	return ASSET_OK;
}

/* The headers from first to the tip and the anchor: first's coinbase,
 * which proves its height. */
static enum asset_status bundle_headers(struct txlookup *l, struct proof_bundle *b, struct block_index *first,
					char *err)
{
	struct block_index *tip = chainstate_tip(l->cs);
	const struct block *blk;
	size_t n = (size_t)(tip->height - first->height) + 1;
	if (n > PROOF_MAX_HEADERS) {
		err_set(err, "the proof would need %zu headers, more than %d", n, PROOF_MAX_HEADERS);
		return ASSET_TOO_LONG;
	}
	if (!(b->headers = calloc(n, sizeof(*b->headers))))
		return no_memory(err);
	for (struct block_index *x = tip; x && x->height >= first->height; x = x->prev) {
		b->headers[x->height - first->height] = x->header;
		if (x == first)
			break;
	}
	b->n_headers = n;
	memcpy(b->tip, tip->hash, 32);
	if (!(blk = txlookup_block(l, first, err)))
		return ASSET_STORE_ERROR;
	if (tx_copy(&b->anchor, &blk->txs[0]) != 0)
		return no_memory(err);
	return asset_block_path(l, b->anchor_path, &b->anchor_path_len, &b->anchor_leaves, first, 0, err);
}

enum asset_status asset_proof(struct chainstate *cs, struct proof_bundle *out, const uint8_t id[32], char *err)
{
	struct asset_history h;
	struct txlookup l;
	proof_bundle_init(out);
	enum asset_status r = asset_walk(cs, NULL, &h, id, err);
	if (r != ASSET_OK)
		return r;
	out->p = chainstate_params(cs);
	memcpy(out->asset, id, 32);
	txlookup_init(&l, cs, NULL);
	r = bundle_steps(&l, out, &h, err);
	if (r == ASSET_OK)
		r = bundle_headers(&l, out, h.steps[0].bi, err);
	txlookup_release(&l);
	asset_history_release(&h);
	if (r != ASSET_OK)
		proof_bundle_release(out);
	return r;
}
