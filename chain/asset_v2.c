/* Building v2 bundles (chain/proof2.h) from the best chain: everything is
 * proven against the tip's history tree, whose subtree hashes the index
 * entries keep, so a bundle costs O(log n) per block it proves and reads
 * only the blocks of the custody steps. */
#include <stdlib.h>
#include <string.h>

#include "chain/asset_impl.h"

static enum asset_status fail(enum asset_status s, char *err, const char *what)
{
	err_set(err, "%s", what);
	return s;
}

/* Block x's place in the tree the tip commits to (size tip height). */
static enum asset_status history_path(struct proof2_path *p, struct block_index *tip, uint32_t height, char *err)
{
	p->n = 0;
	if (height == tip->height)
		return ASSET_OK; /* the tip itself */
	if (merkle_path_cb(p->h, &p->n, MERKLE_MAX_PATH, tip->height, height, history_subtree, tip->prev) != 0)
		return fail(ASSET_STORE_ERROR, err, "the history tree of the best chain is incomplete");
	return ASSET_OK;
}

static enum asset_status prove_block(struct proof2_block *out, struct block_index *tip, struct block_index *x,
				     char *err)
{
	out->header = x->header;
	out->height = x->height;
	out->work = x->work;
	return history_path(&out->path, tip, x->height, err);
}

/* The lowest block of the best chain whose cumulative work exceeds w. */
static struct block_index *block_holding(struct chainstate *cs, const struct u256 *w)
{
	uint32_t lo = 0, hi = chainstate_tip(cs)->height;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (u256_cmp(&chainstate_at(cs, mid)->work, w) > 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return chainstate_at(cs, lo);
}

static enum asset_status prove_tip(struct chainstate *cs, struct proof2 *out, uint8_t kind, const uint8_t id[32],
				   size_t samples, char *err)
{
	struct block_index *tip = chainstate_tip(cs);
	if (tip->height == 0)
		return fail(ASSET_UNKNOWN, err, "the chain holds only its genesis block");
	out->p = chainstate_params(cs);
	out->kind = kind;
	memcpy(out->asset, id, 32);
	out->tip = tip->header;
	out->tip_height = tip->height;
	history_record(out->parent, tip->prev->hash, tip->prev->height, &tip->prev->work);
	enum asset_status r = history_path(&out->parent_path, tip, tip->height - 1, err);
	if (r == ASSET_OK)
		r = history_path(&out->genesis_path, tip, 0, err);
	if (r != ASSET_OK)
		return r;
	if (!(out->samples = calloc(samples, sizeof(*out->samples))))
		return fail(ASSET_NO_MEMORY, err, "out of memory");
	for (size_t i = 0; i < samples && r == ASSET_OK; i++) {
		struct u256 w;
		proof2_sample_target(&w, tip->hash, (uint32_t)i, &tip->work);
		r = prove_block(&out->samples[i], tip, block_holding(cs, &w), err);
		out->n_samples = i + 1;
	}
	if (r == ASSET_OK && chainstate_asset_state_proof(cs, id, &out->state) != 0)
		r = fail(ASSET_STORE_ERROR, err, "cannot prove the asset map");
	return r;
}

static enum asset_status prove_steps(struct chainstate *cs, struct proof2 *out, struct asset_history *h, char *err)
{
	struct block_index *tip = chainstate_tip(cs);
	struct txlookup l;
	enum asset_status r = ASSET_OK;
	if (h->n > PROOF2_MAX_STEPS)
		return fail(ASSET_TOO_LONG, err, "more custody steps than a bundle holds");
	if (!(out->steps = calloc(h->n, sizeof(*out->steps))))
		return fail(ASSET_NO_MEMORY, err, "out of memory");
	txlookup_init(&l, cs, NULL);
	for (size_t i = 0; i < h->n && r == ASSET_OK; i++) {
		struct proof2_step *s = &out->steps[i];
		struct asset_step *a = &h->steps[i];
		s->tx = a->tx; /* moved */
		tx_init(&a->tx);
		out->n_steps++;
		s->index = a->pos;
		r = asset_block_path(&l, s->tx_path.h, &s->tx_path.n, &s->leaves, a->bi, a->pos, err);
		if (r == ASSET_OK)
			r = prove_block(&s->block, tip, a->bi, err);
	}
	txlookup_release(&l);
	return r;
}

enum asset_status asset_proof_v2(struct chainstate *cs, struct proof2 *out, const uint8_t id[32], size_t samples,
				 char *err)
{
	struct asset_history h;
	proof2_init(out);
	if (samples == 0)
		samples = PROOF2_DEFAULT_SAMPLES;
	if (samples > PROOF2_MAX_SAMPLES)
		return fail(ASSET_TOO_LONG, err, "more samples than a bundle holds");
	enum asset_status r = asset_walk(cs, NULL, &h, id, err);
	if (r != ASSET_OK)
		return r;
	r = prove_tip(cs, out, PROOF2_CUSTODY, id, samples, err);
	if (r == ASSET_OK)
		r = prove_steps(cs, out, &h, err);
	asset_history_release(&h);
	if (r != ASSET_OK)
		proof2_release(out);
	return r;
}

enum asset_status asset_absence_proof(struct chainstate *cs, struct proof2 *out, const uint8_t id[32],
				      size_t samples, char *err)
{
	struct asset_entry e;
	proof2_init(out);
	if (samples == 0)
		samples = PROOF2_DEFAULT_SAMPLES;
	if (samples > PROOF2_MAX_SAMPLES)
		return fail(ASSET_TOO_LONG, err, "more samples than a bundle holds");
	int found = chainstate_get_asset(cs, id, &e);
	if (found < 0)
		return fail(ASSET_STORE_ERROR, err, "cannot read the asset index");
	if (found)
		return fail(ASSET_EXISTS, err, "the asset is registered");
	enum asset_status r = prove_tip(cs, out, PROOF2_ABSENCE, id, samples, err);
	if (r != ASSET_OK)
		proof2_release(out);
	return r;
}
