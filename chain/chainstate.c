#include "chain/chainstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/blockfile.h"
#include "chain/connect.h"
#include "chain/dbmigrate.h"
#include "chain/dbkeys.h"
#include "chain/history.h"
#include "chain/probe.h"
#include "chain/smt.h"
#include "chain/store.h"
#include "util/file.h"
#include "util/grow.h"
#include "util/log.h"

struct chainstate {
	const struct chain_params *p;
	struct store *store;
	struct blockfile *files; /* the block bodies (chain/blockfile.h) */
	struct hmap index;      /* hash -> struct block_index * (owned) */
	struct hmap candidates; /* hash -> block_index: linked, valid so far, work >= tip's */
	struct block_index **chain;
	size_t chain_len, chain_cap;
	struct block_index **unlinked; /* have data, an ancestor has not */
	size_t n_unlinked, unlinked_cap;
	struct block_index *best_header;
	uint64_t seq;
	struct pool *pool;      /* the node's workers, for signature checks (NULL: none) */
	struct chain_events ev[CHAIN_MAX_LISTENERS];
	size_t n_ev;
	const struct block_index *assets_at; /* the tip n_assets was counted at */
	size_t n_assets;
	struct smt *assets;     /* the asset map at the tip, whose root the tip's header carries */
	struct connect_writer writer; /* an index moved in the tip's batches (write NULL: none) */
};

/* One move of the best chain, from a public call to its end: what the
 * caller brought and what happened on the way. */
struct activation {
	/* The block being accepted, so activation need not read it back. */
	const struct block *block;
	bool verified;          /* every signature of *block verified by the caller */
	/* Whether *block itself failed to connect, and why. */
	bool failed;
	struct verdict fail;
	bool moved;             /* a block was connected or disconnected */
};

const struct chain_params *chainstate_params(const struct chainstate *cs)
{
	return cs->p;
}

void chainstate_set_writer(struct chainstate *cs, const struct connect_writer *w)
{
	cs->writer = w ? *w : (struct connect_writer){ 0 };
}

struct store *chainstate_store(struct chainstate *cs)
{
	return cs->store;
}

int chainstate_listen(struct chainstate *cs, const struct chain_events *ev)
{
	if (cs->n_ev == CHAIN_MAX_LISTENERS)
		return -1;
	cs->ev[cs->n_ev++] = *ev;
	return 0;
}

void chainstate_unlisten(struct chainstate *cs, void *ctx)
{
	size_t kept = 0;
	for (size_t i = 0; i < cs->n_ev; i++)
		if (cs->ev[i].ctx != ctx)
			cs->ev[kept++] = cs->ev[i];
	cs->n_ev = kept;
}

static void tell_connected(struct chainstate *cs, const struct block *b, const struct block_index *bi)
{
	for (size_t i = 0; i < cs->n_ev; i++)
		if (cs->ev[i].connected)
			cs->ev[i].connected(cs->ev[i].ctx, b, bi);
}

static void tell_disconnected(struct chainstate *cs, const struct block *b, const struct block_index *bi)
{
	for (size_t i = 0; i < cs->n_ev; i++)
		if (cs->ev[i].disconnected)
			cs->ev[i].disconnected(cs->ev[i].ctx, b, bi);
}

/* Ends an activation: once the chain has settled, every listener hears of
 * the new tip, whatever started the move. */
static void finish(struct chainstate *cs, const struct activation *a)
{
	if (!a->moved)
		return;
	for (size_t i = 0; i < cs->n_ev; i++)
		if (cs->ev[i].tip_changed)
			cs->ev[i].tip_changed(cs->ev[i].ctx, chainstate_tip(cs));
}

struct block_index *chainstate_tip(const struct chainstate *cs)
{
	return cs->chain_len ? cs->chain[cs->chain_len - 1] : NULL;
}

struct block_index *chainstate_at(const struct chainstate *cs, uint32_t height)
{
	return height < cs->chain_len ? cs->chain[height] : NULL;
}

struct block_index *chainstate_lookup(const struct chainstate *cs, const uint8_t hash[32])
{
	return hmap_get(&cs->index, hash);
}

bool chainstate_on_best(const struct chainstate *cs, const struct block_index *bi)
{
	return bi && chainstate_at(cs, bi->height) == bi;
}

struct block_index *chainstate_best_header(const struct chainstate *cs)
{
	return cs->best_header;
}

struct block_index *chainstate_next(const struct chainstate *cs, size_t *it)
{
	const void *k;
	void *v;
	return hmap_next(&cs->index, it, &k, &v) ? v : NULL;
}

/* --- the index in memory and on disk --- */

static void put_index(struct store_batch *batch, const struct block_index *bi)
{
	uint8_t rec[BLOCK_INDEX_RECORD_SIZE];
	struct dbkey k = dbkey_hash(DB_INDEX, bi->hash);
	index_write(rec, bi);
	store_batch_put(batch, k.b, k.len, rec, sizeof(rec));
}

static int write_index(struct chainstate *cs, struct block_index *const *list, size_t n, char *err)
{
	struct store_batch *batch = store_batch_new();
	if (!batch)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < n; i++)
		put_index(batch, list[i]);
	int r = store_write(cs->store, batch, false, err);
	store_batch_free(batch);
	return r;
}

/* Orders candidates: more work first, then the earlier seen. */
static bool better(const struct block_index *a, const struct block_index *b)
{
	int c = u256_cmp(&a->work, &b->work);
	return c > 0 || (c == 0 && a->seq < b->seq);
}

static void note_header(struct chainstate *cs, struct block_index *bi)
{
	if (!index_failed(bi) && (!cs->best_header || better(bi, cs->best_header)))
		cs->best_header = bi;
}

static int add_candidate(struct chainstate *cs, struct block_index *bi)
{
	struct block_index *tip = chainstate_tip(cs);
	if (index_failed(bi) || !bi->linked || (tip && u256_cmp(&bi->work, &tip->work) < 0))
		return 0;
	return hmap_put(&cs->candidates, bi->hash, bi);
}

static int push_unlinked(struct chainstate *cs, struct block_index *bi)
{
	if (grow_array(&cs->unlinked, &cs->unlinked_cap, cs->n_unlinked + 1, sizeof(*cs->unlinked), 64, SIZE_MAX) != 0)
		return -1;
	cs->unlinked[cs->n_unlinked++] = bi;
	return 0;
}

/* A block that got its data: link it, and every waiting descendant whose
 * ancestors now all have data, and offer them as candidates. */
static int link_block(struct chainstate *cs, struct block_index *bi)
{
	if (bi->prev && !bi->prev->linked)
		return push_unlinked(cs, bi);
	bi->linked = true;
	if (add_candidate(cs, bi) != 0)
		return -1;
	bool progress = true;
	while (progress) {
		progress = false;
		for (size_t i = 0; i < cs->n_unlinked; i++) {
			struct block_index *u = cs->unlinked[i];
			if (!u->prev->linked)
				continue;
			u->linked = true;
			cs->unlinked[i--] = cs->unlinked[--cs->n_unlinked];
			if (add_candidate(cs, u) != 0)
				return -1;
			progress = true;
		}
	}
	return 0;
}

static struct block_index *new_entry(struct chainstate *cs, const struct block_header *h,
				     const uint8_t hash[32], struct block_index *prev)
{
	struct block_index *bi = calloc(1, sizeof(*bi));
	struct u256 work;
	if (!bi)
		return NULL;
	memcpy(bi->hash, hash, 32);
	bi->header = *h;
	bi->prev = prev;
	bi->height = prev ? prev->height + 1 : 0;
	index_link_skip(bi);
	pow_block_work(&work, h->bits);
	if (prev)
		u256_add(&bi->work, &prev->work, &work);
	else
		bi->work = work;
	bi->seq = ++cs->seq;
	if (history_link(bi) != 0 || hmap_put(&cs->index, hash, bi) != 0) {
		history_unlink(bi);
		free(bi);
		return NULL;
	}
	return bi;
}

/* --- moving the tip --- */

static int chain_push(struct chainstate *cs, struct block_index *bi)
{
	if (grow_array(&cs->chain, &cs->chain_cap, cs->chain_len + 1, sizeof(*cs->chain), 1024, SIZE_MAX) != 0)
		return -1;
	cs->chain[cs->chain_len++] = bi;
	return 0;
}

int chainstate_read_undo(struct chainstate *cs, const struct block_index *bi, const struct block *b,
			 struct connect_undo *out, char *err)
{
	return connect_read_undo(cs->store, b, bi, out, err);
}

static struct blockpos pos_of(const struct block_index *bi)
{
	struct blockpos pos = { bi->data_file, bi->data_pos, bi->data_len };
	return pos;
}

int chainstate_read_block(struct chainstate *cs, const struct block_index *bi, struct block *out, char *err)
{
	uint8_t *val;
	struct blockpos pos = pos_of(bi);
	char why[ERR_LEN];
	block_init(out);
	if (!(bi->status & BLOCK_HAVE_DATA))
		return err_set(err, "block at height %u is not stored", bi->height);
	if (blockfile_read(cs->files, &pos, &val, why) != 0)
		return err_set(err, "stored block at height %u is unreadable: %s", bi->height, why);
	int r = block_parse(out, val, pos.len, why);
	free(val);
	if (r != 0)
		return err_set(err, "stored block at height %u is corrupt: %s", bi->height, why);
	if (memcmp(out->hash, bi->hash, 32) != 0) {
		block_release(out);
		return err_set(err, "the block file holds another block where height %u should be", bi->height);
	}
	return 0;
}

static int disconnect_tip(struct chainstate *cs, struct activation *a, char *err)
{
	struct block_index *tip = chainstate_tip(cs);
	struct block blk;
	struct store_batch *batch;
	struct dbkey kt = dbkey_single(DB_TIP);
	if (!tip->prev)
		return err_set(err, "cannot disconnect the genesis block");
	if (chainstate_read_block(cs, tip, &blk, err) != 0)
		return -1;
	if (!(batch = store_batch_new())) {
		block_release(&blk);
		return err_set(err, "out of memory");
	}
	struct connect_assets ca = { .tree = cs->assets, .writer = cs->writer.write ? &cs->writer : NULL };
	int r = disconnect_block(cs->store, &blk, tip, batch, &ca, err);
	if (r == 0) {
		store_batch_put(batch, kt.b, kt.len, tip->prev->hash, 32);
		if ((r = store_write(cs->store, batch, false, err)) != 0)
			connect_assets_revert(&ca);
	}
	connect_assets_keep(&ca);
	store_batch_free(batch);
	if (r == 0) {
		cs->chain_len--;
		a->moved = true;
		tell_disconnected(cs, &blk, tip);
	}
	block_release(&blk);
	return r;
}

static void mark_failed(struct chainstate *cs, struct block_index *bi, uint32_t flag)
{
	bi->status |= flag;
	hmap_del(&cs->candidates, bi->hash);
	if (cs->best_header && index_ancestor(cs->best_header, bi->height) == bi)
		cs->best_header = NULL;
}

/* Marks bi failed and every descendant failed-child, in memory and on disk. */
static int fail_branch(struct chainstate *cs, struct block_index *bi, char *err)
{
	struct block_index **list = NULL, *x;
	size_t n = 0;
	int r = 0;
	mark_failed(cs, bi, BLOCK_FAILED);
	for (size_t it = 0; (x = chainstate_next(cs, &it));) {
		if (x == bi || x->height <= bi->height || index_ancestor(x, bi->height) != bi)
			continue;
		mark_failed(cs, x, BLOCK_FAILED_CHILD);
		void *p = realloc(list, (n + 1) * sizeof(*list));
		if (!p) {
			r = err_set(err, "out of memory");
			break;
		}
		(list = p)[n++] = x;
	}
	if (r == 0 && (r = write_index(cs, &bi, 1, err)) == 0)
		r = write_index(cs, list, n, err);
	free(list);
	if (!cs->best_header)
		for (size_t it = 0; (x = chainstate_next(cs, &it));)
			note_header(cs, x);
	return r;
}

/* Connects bi (whose parent is the tip). 1 when connected, 0 when the
 * block is invalid (marked and remembered), -1 on a local error. */
static int connect_tip(struct chainstate *cs, struct activation *a, struct block_index *bi, char *err)
{
	struct block stored;
	const struct block *blk = a->block;
	struct verdict v;
	struct dbkey kt = dbkey_single(DB_TIP);
	uint64_t t = probe_start();
	verdict_init(&v);
	if (!blk || memcmp(blk->hash, bi->hash, 32) != 0) {
		if (chainstate_read_block(cs, bi, &stored, err) != 0)
			return -1;
		blk = &stored;
	}
	struct store_batch *batch = store_batch_new();
	struct connect_assets ca = { .tree = cs->assets, .writer = cs->writer.write ? &cs->writer : NULL };
	int r = -1;
	if (!batch) {
		err_set(err, "out of memory");
	} else if (!connect_block(cs->store, cs->p, blk, bi, cs->pool, blk == a->block && a->verified,
				  batch, &ca, &v)) {
		if (v.result == VR_ERROR) {
			err_set(err, "cannot connect block at height %u: %s", bi->height, v.reason);
		} else {
			log_info("block %u is invalid: %s (%s)", bi->height, v.reason, v.debug);
			if (blk == a->block) {
				a->fail = v;
				a->failed = true;
			}
			r = fail_branch(cs, bi, err) == 0 ? 0 : -1;
		}
	} else {
		bi->status |= BLOCK_VALID_TXS;
		put_index(batch, bi);
		store_batch_put(batch, kt.b, kt.len, bi->hash, 32);
		if (store_write(cs->store, batch, false, err) != 0) {
			connect_assets_revert(&ca);
		} else if (chain_push(cs, bi) == 0) {
			r = 1;
			a->moved = true;
			probe_stop(PROBE_CONNECT, t); /* the listeners' work is theirs */
			tell_connected(cs, blk, bi);
		}
	}
	connect_assets_keep(&ca);
	store_batch_free(batch);
	if (blk == &stored)
		block_release(&stored);
	return r;
}

static struct block_index *best_candidate(struct chainstate *cs)
{
	struct block_index *best = NULL;
	const void *k;
	void *v;
	for (size_t it = 0; hmap_next(&cs->candidates, &it, &k, &v);)
		if (!best || better(v, best))
			best = v;
	return best;
}

/* Drops the candidates with less work than the tip. The map cannot change
 * while it is walked, so the walk restarts after each removal; there are
 * few candidates, and most are removed one at a time. */
static void prune_candidates(struct chainstate *cs)
{
	struct block_index *tip = chainstate_tip(cs);
	const void *k;
	void *v;
	bool again = true;
	while (again) {
		again = false;
		for (size_t it = 0; !again && hmap_next(&cs->candidates, &it, &k, &v);)
			if (u256_cmp(&((struct block_index *)v)->work, &tip->work) < 0)
				again = hmap_del(&cs->candidates, ((struct block_index *)v)->hash) != NULL;
	}
}

/* Walks from the tip to best: back to the fork, then forward. Returns 1
 * when best was reached, 0 when a block on the way was invalid. */
static int step_to(struct chainstate *cs, struct activation *a, struct block_index *best, char *err)
{
	struct block_index *fork = index_fork(chainstate_tip(cs), best);
	while (chainstate_tip(cs) != fork)
		if (disconnect_tip(cs, a, err) != 0)
			return -1;
	size_t n = best->height - fork->height;
	struct block_index **path = malloc((n ? n : 1) * sizeof(*path));
	if (!path)
		return err_set(err, "out of memory");
	for (struct block_index *x = best; x != fork; x = x->prev)
		path[--n] = x;
	int r = 1;
	for (size_t i = 0; i < best->height - fork->height && r == 1; i++)
		r = connect_tip(cs, a, path[i], err);
	free(path);
	return r;
}

/* Moves to the best valid chain; listeners hear of the new tip from the
 * caller's finish, once the whole move is done. */
static int activate(struct chainstate *cs, struct activation *a, char *err)
{
	for (;;) {
		struct block_index *tip = chainstate_tip(cs), *best = best_candidate(cs);
		if (!best || best == tip || !better(best, tip) || u256_cmp(&best->work, &tip->work) == 0)
			break;
		if (step_to(cs, a, best, err) < 0)
			return -1;
	}
	prune_candidates(cs);
	return 0;
}

int chainstate_activate(struct chainstate *cs, char *err)
{
	struct activation a = { 0 };
	int r = activate(cs, &a, err);
	finish(cs, &a);
	return r;
}

/* --- accepting headers and blocks --- */

/* Checks a header and adds it to the index in memory; persist says whether
 * to write its record now (a header alone) or leave it to the caller's
 * batch (a block stored together with its header). */
static bool accept_header(struct chainstate *cs, const struct block_header *h, uint64_t now, bool persist,
			  struct block_index **out, struct verdict *v)
{
	uint8_t hash[32];
	struct block_index *bi, *prev;
	*out = NULL;
	header_hash(hash, h);
	if ((bi = chainstate_lookup(cs, hash))) {
		*out = bi;
		if (index_failed(bi))
			return verdict_fail(v, VR_CACHED_INVALID, "duplicate-invalid", "block is marked invalid");
		return true;
	}
	if (!pow_check(hash, h->bits, cs->p->pow.limit_bits))
		return verdict_fail(v, VR_INVALID_HEADER, "high-hash", "proof of work failed");
	if (!(prev = chainstate_lookup(cs, h->prev)))
		return verdict_fail(v, VR_MISSING_PREV, "prev-blk-not-found", NULL);
	if (index_failed(prev))
		return verdict_fail(v, VR_INVALID_PREV, "bad-prevblk", "previous block is invalid");
	if (!header_check_contextual(h, prev, cs->p, now, v))
		return false;
	if (!(bi = new_entry(cs, h, hash, prev)))
		return verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
	if (persist && write_index(cs, &bi, 1, NULL) != 0)
		return verdict_fail(v, VR_ERROR, "db-error", "cannot write the block index");
	note_header(cs, bi);
	*out = bi;
	return true;
}

bool chainstate_accept_header(struct chainstate *cs, const struct block_header *h, uint64_t now,
			      struct block_index **out, struct verdict *v)
{
	return accept_header(cs, h, now, true, out, v);
}

/* Appends b's body to the block files (synced) unless *known says where
 * it is already (a reindex reads it from there), then writes the index
 * record that points at it: that order keeps every record's body on disk
 * whatever instant the process dies. */
static bool store_block(struct chainstate *cs, struct block_index *bi, const struct block *b, uint64_t now,
			enum block_source source, const char *peer, const struct blockpos *known, struct verdict *v)
{
	struct buf raw = BUF_INIT;
	struct blockpos pos = known ? *known : (struct blockpos){ 0 };
	struct store_batch *batch = store_batch_new();
	char why[ERR_LEN];
	bool ok = true;
	if (!known)
		block_write(&raw, b);
	if (!batch || (!known && !buf_ok(&raw))) {
		ok = verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
	} else if (!known && blockfile_append(cs->files, &pos, raw.data, raw.len, why) != 0) {
		ok = verdict_fail(v, VR_ERROR, "disk-error", "cannot store the block: %s", why);
	} else {
		bi->status |= BLOCK_HAVE_DATA;
		bi->n_tx = (uint32_t)b->n_tx;
		bi->received = known ? 0 : now; /* a reindex cannot know when it first came */
		bi->source = (uint8_t)source;
		bi->data_file = pos.file;
		bi->data_pos = pos.offset;
		bi->data_len = pos.len;
		snprintf(bi->source_peer, sizeof(bi->source_peer), "%s", peer ? peer : "");
		put_index(batch, bi);
		if (store_write(cs->store, batch, false, NULL) != 0) {
			bi->status &= ~(uint32_t)BLOCK_HAVE_DATA;
			ok = verdict_fail(v, VR_ERROR, "db-error", "cannot store the block");
		}
	}
	store_batch_free(batch);
	buf_release(&raw);
	return ok;
}

static bool accept_block(struct chainstate *cs, const struct block *b, uint64_t now, enum block_source source,
			 const char *peer, bool sigs_verified, const struct blockpos *at, struct verdict *v)
{
	struct block_index *bi;
	char err[ERR_LEN];
	struct block_index *known = chainstate_lookup(cs, b->hash);
	if (known && (known->status & BLOCK_HAVE_DATA))
		return verdict_fail(v, index_failed(known) ? VR_CACHED_INVALID : VR_DUPLICATE,
				    index_failed(known) ? "duplicate-invalid" : "duplicate", NULL);
	if (!accept_header(cs, &b->header, now, false, &bi, v))
		return false;
	if (!block_check(b, cs->p, v) || !block_check_contextual(b, bi->prev, v)) {
		/* A body that does not match its header says nothing of the
		 * header, and a local failure nothing of the block. */
		if (v->result != VR_MUTATED && v->result != VR_ERROR && fail_branch(cs, bi, NULL) != 0)
			return verdict_fail(v, VR_ERROR, "db-error", "cannot write the block index");
		return false;
	}
	if (!store_block(cs, bi, b, now, source, peer, at, v))
		return false;
	if (link_block(cs, bi) != 0)
		return verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
	struct activation a = { .block = b, .verified = sigs_verified };
	int r = activate(cs, &a, err);
	finish(cs, &a);
	if (r != 0)
		return verdict_fail(v, VR_ERROR, "activate-failed", "%s", err);
	if (a.failed) {
		*v = a.fail;
		return false;
	}
	return true;
}

bool chainstate_accept_block(struct chainstate *cs, const struct block *b, uint64_t now,
			     enum block_source source, const char *peer, struct verdict *v)
{
	return accept_block(cs, b, now, source, peer, false, NULL, v);
}

bool chainstate_accept_verified(struct chainstate *cs, const struct block *b, uint64_t now,
				enum block_source source, const char *peer, struct verdict *v)
{
	return accept_block(cs, b, now, source, peer, true, NULL, v);
}

/* --- invalidate and reconsider --- */

static int refill_candidates(struct chainstate *cs, char *err)
{
	struct block_index *x;
	for (size_t it = 0; (x = chainstate_next(cs, &it));) {
		if (add_candidate(cs, x) != 0)
			return err_set(err, "out of memory");
		note_header(cs, x);
	}
	return 0;
}

int chainstate_invalidate(struct chainstate *cs, struct block_index *bi, char *err)
{
	struct activation a = { 0 };
	int r = 0;
	if (!bi->prev)
		return err_set(err, "cannot invalidate the genesis block");
	while (r == 0 && chainstate_on_best(cs, bi))
		r = disconnect_tip(cs, &a, err);
	if (r == 0 && (fail_branch(cs, bi, err) != 0 || refill_candidates(cs, err) != 0))
		r = -1;
	if (r == 0)
		r = activate(cs, &a, err);
	finish(cs, &a);
	return r;
}

int chainstate_reconsider(struct chainstate *cs, struct block_index *bi, char *err)
{
	struct block_index **list = NULL, *x;
	size_t n = 0;
	for (size_t it = 0; (x = chainstate_next(cs, &it));) {
		bool related = index_ancestor(x, bi->height) == bi || index_ancestor(bi, x->height) == x;
		if (!related || !index_failed(x))
			continue;
		x->status &= ~(uint32_t)BLOCK_FAILED_MASK;
		void *p = realloc(list, (n + 1) * sizeof(*list));
		if (!p) {
			free(list);
			return err_set(err, "out of memory");
		}
		(list = p)[n++] = x;
	}
	int r = write_index(cs, list, n, err);
	free(list);
	if (r != 0 || refill_candidates(cs, err) != 0)
		return -1;
	return chainstate_activate(cs, err);
}

/* --- views and indexes --- */

int chainstate_get_coin(struct chainstate *cs, const struct outpoint *op, struct coin *out)
{
	return connect_read_coin(cs->store, op, out);
}

static int view_get_coin(void *ctx, const struct outpoint *op, struct coin *out)
{
	return connect_read_coin(ctx, op, out);
}

static int view_asset_known(void *ctx, const uint8_t id[32])
{
	struct asset_entry e;
	return connect_read_asset(ctx, id, &e);
}

struct coin_view chainstate_view(struct chainstate *cs)
{
	struct coin_view v = { view_get_coin, view_asset_known, cs->store };
	return v;
}

int chainstate_get_asset(struct chainstate *cs, const uint8_t id[32], struct asset_entry *out)
{
	return connect_read_asset(cs->store, id, out);
}

int chainstate_find_tx(struct chainstate *cs, const uint8_t txid[32], struct block_index **bi, uint32_t *pos)
{
	struct dbkey k = dbkey_hash(DB_TX, txid);
	uint8_t *val;
	size_t len;
	*bi = NULL;
	*pos = 0;
	int r = store_get(cs->store, k.b, k.len, &val, &len, NULL);
	if (r <= 0)
		return r;
	struct cursor c = cursor_make(val, len);
	uint8_t hash[32];
	r = len == 36 && cursor_bytes(&c, hash, 32) && cursor_u32(&c, pos) &&
	    (*bi = chainstate_lookup(cs, hash)) ? 1 : -1;
	store_free(val);
	return r;
}

int chainstate_for_each_coin(struct chainstate *cs, int (*fn)(void *ctx, const struct outpoint *op, const struct coin *c), void *ctx)
{
	uint8_t prefix = DB_COIN;
	struct store_iter *it = store_iter_new(cs->store, &prefix, 1);
	const uint8_t *k, *val;
	size_t klen, vlen;
	int r = it ? 0 : -1;
	while (r == 0 && it && store_iter_next(it, &k, &klen, &val, &vlen)) {
		struct outpoint op;
		struct coin c;
		struct cursor kc = cursor_make(k + 1, klen - 1), vc = cursor_make(val, vlen);
		if (klen != 37 || !cursor_bytes(&kc, op.txid, 32) || !cursor_u32(&kc, &op.index) ||
		    coin_read(&vc, &c, NULL) != 0)
			r = -1;
		else {
			r = fn(ctx, &op, &c);
			coin_release(&c);
		}
	}
	store_iter_free(it);
	return r;
}

/* --- opening and closing --- */

static int cmp_height(const void *a, const void *b)
{
	const struct block_index *x = *(struct block_index *const *)a, *y = *(struct block_index *const *)b;
	return x->height < y->height ? -1 : x->height > y->height;
}

/* Links every entry to its parent and computes which have all their
 * ancestors' data, parents before children. */
static int link_index(struct chainstate *cs, char *err)
{
	struct block_index **all = malloc((cs->index.count ? cs->index.count : 1) * sizeof(*all)), *x;
	size_t n = 0;
	int r = 0;
	if (!all)
		return err_set(err, "out of memory");
	for (size_t it = 0; (x = chainstate_next(cs, &it));) {
		all[n++] = x;
		if (memcmp(x->hash, cs->p->genesis_hash, 32) == 0)
			continue;
		if (!(x->prev = chainstate_lookup(cs, x->header.prev))) {
			r = err_set(err, "block index is corrupt: block at height %u has no parent", x->height);
			break;
		}
	}
	qsort(all, n, sizeof(*all), cmp_height);
	for (size_t i = 0; i < n && r == 0; i++) {
		x = all[i];
		index_link_skip(x); /* parents, lower, have theirs already */
		if (history_link(x) != 0) {
			r = err_set(err, "out of memory");
			break;
		}
		if (x->seq > cs->seq)
			cs->seq = x->seq;
		note_header(cs, x);
		if (!(x->status & BLOCK_HAVE_DATA))
			continue;
		if (!x->prev || x->prev->linked)
			x->linked = true;
		else if (push_unlinked(cs, x) != 0)
			r = err_set(err, "out of memory");
	}
	free(all);
	return r;
}

static int load_index(struct chainstate *cs, char *err)
{
	uint8_t prefix = DB_INDEX;
	struct store_iter *it = store_iter_new(cs->store, &prefix, 1);
	const uint8_t *k, *val;
	size_t klen, vlen;
	int r = it ? 0 : err_set(err, "out of memory");
	while (r == 0 && store_iter_next(it, &k, &klen, &val, &vlen)) {
		struct block_index *bi = malloc(sizeof(*bi));
		if (!bi) {
			r = err_set(err, "out of memory");
		} else if (index_read(bi, val, vlen, err) != 0 || klen != 33 || memcmp(k + 1, bi->hash, 32) != 0) {
			free(bi);
			r = err_set(err, "block index is corrupt");
		} else if (hmap_put(&cs->index, bi->hash, bi) != 0) {
			free(bi);
			r = err_set(err, "out of memory");
		}
	}
	if (r == 0 && store_iter_error(it, err) != 0)
		r = -1;
	store_iter_free(it);
	return r == 0 ? link_index(cs, err) : r;
}

/* Every record that says its block is stored must point inside a block
 * file: a chainstate that outlived its block files (or was copied without
 * them) is caught here rather than at the first read. */
static int check_positions(struct chainstate *cs, char *err)
{
	struct block_index *x;
	for (size_t it = 0; (x = chainstate_next(cs, &it));) {
		struct blockpos pos = pos_of(x);
		if ((x->status & BLOCK_HAVE_DATA) && !blockfile_contains(cs->files, &pos, err))
			return -1;
	}
	return 0;
}

/* Where the genesis block's body is: the first record of the block files
 * when it is there already (a reindex, or a chainstate deleted by hand),
 * else appended now. */
static int genesis_pos(struct chainstate *cs, struct block_index *bi, const struct buf *raw, char *err)
{
	struct blockpos pos = { 0, BLOCKFILE_HEADER, (uint32_t)raw->len };
	uint8_t *got = NULL;
	char why[ERR_LEN];
	bool have = blockfile_count(cs->files) > 0 && blockfile_read(cs->files, &pos, &got, why) == 0 &&
		    memcmp(got, raw->data, raw->len) == 0;
	free(got);
	if (!have && blockfile_append(cs->files, &pos, raw->data, raw->len, err) != 0)
		return -1;
	bi->data_file = pos.file;
	bi->data_pos = pos.offset;
	bi->data_len = pos.len;
	return 0;
}

/* A new database: the genesis block, connected, and the format version. */
static int init_genesis(struct chainstate *cs, char *err)
{
	struct block g;
	struct verdict v;
	struct buf raw = BUF_INIT;
	uint8_t ver[4] = { DB_FORMAT_VERSION, 0, 0, 0 };
	struct dbkey kt = dbkey_single(DB_TIP), kv = dbkey_single(DB_VERSION);
	struct store_batch *batch = store_batch_new();
	struct block_index *bi = NULL;
	int r = -1;
	verdict_init(&v);
	if (!batch || params_genesis(cs->p, &g) != 0) {
		store_batch_free(batch);
		return err_set(err, "out of memory");
	}
	if (!(bi = new_entry(cs, &g.header, g.hash, NULL))) {
		err_set(err, "out of memory");
	} else if (!connect_block(cs->store, cs->p, &g, bi, NULL, false, batch, &(struct connect_assets){ .tree = cs->assets }, &v)) {
		err_set(err, "genesis block does not connect: %s", v.reason);
	} else {
		bi->status = BLOCK_HAVE_DATA | BLOCK_VALID_TXS;
		bi->n_tx = (uint32_t)g.n_tx;
		bi->source = SOURCE_GENESIS;
		bi->linked = true;
		block_write(&raw, &g);
		r = buf_ok(&raw) ? genesis_pos(cs, bi, &raw, err) : err_set(err, "out of memory");
		put_index(batch, bi);
		store_batch_put(batch, kt.b, kt.len, bi->hash, 32);
		store_batch_put(batch, kv.b, kv.len, ver, 4);
		if (r == 0)
			r = store_write(cs->store, batch, true, err);
	}
	buf_release(&raw);
	store_batch_free(batch);
	block_release(&g);
	return r;
}

static int check_version(struct chainstate *cs, bool *fresh, char *err)
{
	struct dbkey kv = dbkey_single(DB_VERSION);
	uint8_t *val;
	size_t len;
	int r = store_get(cs->store, kv.b, kv.len, &val, &len, err);
	*fresh = r == 0;
	if (r <= 0)
		return r;
	uint32_t ver = len == 4 ? (uint32_t)val[0] | (uint32_t)val[1] << 8 | (uint32_t)val[2] << 16 | (uint32_t)val[3] << 24 : 0;
	store_free(val);
	if (ver == 2) /* the bodies were in the database: move them out first */
		return dbmigrate_v2_to_v3(cs->store, cs->files, err);
	if (ver != DB_FORMAT_VERSION)
		return err_set(err, "database format %u is not the supported %u", ver, DB_FORMAT_VERSION);
	return 0;
}

/* Rebuilds the best chain in memory from the stored tip. */
static int load_tip(struct chainstate *cs, char *err)
{
	struct dbkey kt = dbkey_single(DB_TIP);
	uint8_t *val;
	size_t len;
	struct block_index *tip = NULL;
	if (store_get(cs->store, kt.b, kt.len, &val, &len, err) != 1)
		return err_set(err, "database has no tip");
	if (len == 32)
		tip = chainstate_lookup(cs, val);
	store_free(val);
	if (!tip)
		return err_set(err, "database tip is not in the block index");
	struct block_index *g = chainstate_lookup(cs, cs->p->genesis_hash);
	if (!g || index_ancestor(tip, 0) != g)
		return err_set(err, "database belongs to another network");
	cs->chain_len = 0;
	for (uint32_t h = 0; h <= tip->height; h++)
		if (chain_push(cs, index_ancestor(tip, h)) != 0)
			return err_set(err, "out of memory");
	return 0;
}

/* The asset map, rebuilt from the asset index, which is written in the same
 * batch as the tip: so it must give the root the tip's header carries. */
static int load_assets(struct chainstate *cs, char *err)
{
	uint8_t prefix = DB_ASSET, root[32];
	struct store_iter *it = store_iter_new(cs->store, &prefix, 1);
	const uint8_t *k, *val;
	size_t klen, vlen;
	int r = it ? 0 : err_set(err, "out of memory");
	while (r == 0 && store_iter_next(it, &k, &klen, &val, &vlen)) {
		struct asset_entry e;
		uint8_t value[32];
		if (klen != 33 || !asset_entry_read(&e, val, vlen)) {
			r = err_set(err, "asset index is corrupt");
			break;
		}
		asset_state_hash(value, &e);
		if (smt_set(cs->assets, k + 1, value, NULL) < 0)
			r = err_set(err, "out of memory");
	}
	if (r == 0 && store_iter_error(it, err) != 0)
		r = -1;
	store_iter_free(it);
	if (r != 0)
		return r;
	smt_root(cs->assets, root);
	if (memcmp(root, chainstate_tip(cs)->header.assets, 32) != 0)
		return err_set(err, "the asset index (%zu assets) does not give the asset root of the tip's header",
			       smt_count(cs->assets));
	return 0;
}

int chainstate_asset_state_proof(struct chainstate *cs, const uint8_t id[32], struct smt_proof *out)
{
	return smt_prove(cs->assets, id, out);
}

int chainstate_commit_assets(struct chainstate *cs, struct block *b, char *err)
{
	struct block_index *tip = chainstate_tip(cs), bi = { 0 };
	bool any = false;
	for (size_t i = 0; i < b->n_tx && !any; i++)
		for (uint32_t o = 0; o < b->txs[i].n_out && !any; o++)
			any = b->txs[i].out[o].kind == TXOUT_ASSET;
	if (memcmp(b->header.prev, tip->hash, 32) != 0)
		return any ? err_set(err, "a block with assets is built on the tip only") : 0;
	memcpy(b->header.assets, tip->header.assets, 32);
	if (!any)
		return 0;
	struct store_batch *batch = store_batch_new();
	struct connect_assets ca = { .tree = cs->assets, .fill = true };
	struct verdict v;
	int r = 0;
	verdict_init(&v);
	bi.header = b->header;
	bi.height = tip->height + 1;
	bi.prev = tip;
	memcpy(bi.hash, b->hash, 32);
	if (!batch)
		r = err_set(err, "out of memory");
	else if (!connect_block(cs->store, cs->p, b, &bi, NULL, true, batch, &ca, &v))
		r = err_set(err, "the block does not connect: %s", v.reason);
	else
		memcpy(b->header.assets, ca.root, 32);
	connect_assets_revert(&ca);
	connect_assets_keep(&ca);
	store_batch_free(batch);
	header_hash(b->hash, &b->header);
	return r;
}

/* --- reindexing --- */

/* A block read from the files before its parent: where it is, to read it
 * again once the parent is in. */
struct held {
	struct blockpos pos;
	struct held *next;
};

struct reindex {
	struct chainstate *cs;
	uint64_t now;
	struct hmap waiting;    /* parent hash -> struct held * (a list) */
	uint64_t total_bytes, done_bytes;
	size_t n_blocks, n_held;
	char *err;
};

static void reindex_progress(struct reindex *r, bool last)
{
	if (!last && r->n_blocks % 100 != 0)
		return;
	uint64_t est = r->done_bytes ? r->total_bytes * r->n_blocks / r->done_bytes : r->n_blocks;
	log_info("reindex: block %zu of ~%llu", r->n_blocks, (unsigned long long)(est > r->n_blocks ? est : r->n_blocks));
}

/* Accepts one block read from the files at pos, as if it had just arrived:
 * checked, indexed and connected when it extends the best chain. An
 * invalid block is marked so (and logged); only a local error stops. */
static int reindex_accept(struct reindex *r, const struct block *b, const struct blockpos *pos)
{
	struct verdict v;
	verdict_init(&v);
	if (accept_block(r->cs, b, r->now, SOURCE_UNKNOWN, NULL, false, pos, &v))
		return 0;
	if (v.result == VR_ERROR)
		return err_set(r->err, "reindex: %s (%s)", v.reason, v.debug);
	if (v.result != VR_DUPLICATE)
		log_info("reindex: block in file %u at %u refused: %s", pos->file, pos->offset, v.reason);
	return 0;
}

static int hold(struct reindex *r, const struct block *b, const struct blockpos *pos)
{
	struct held *h = malloc(sizeof(*h));
	if (!h)
		return err_set(r->err, "out of memory");
	h->pos = *pos;
	h->next = hmap_get(&r->waiting, b->header.prev);
	if (hmap_put(&r->waiting, b->header.prev, h) != 0) {
		free(h);
		return err_set(r->err, "out of memory");
	}
	r->n_held++;
	return 0;
}

/* Accepts the blocks that waited for hash, and theirs in turn: a work
 * list rather than recursion, since a long run of blocks stored before
 * their parents would otherwise go as deep. */
static int release_children(struct reindex *r, const uint8_t hash[32])
{
	uint8_t (*parents)[32] = NULL; /* blocks whose waiting children are next */
	size_t n = 0, cap = 0;
	int ret = 0;
	if (grow_array(&parents, &cap, 1, sizeof(*parents), 16, SIZE_MAX) != 0)
		return err_set(r->err, "out of memory");
	memcpy(parents[n++], hash, 32);
	while (n && ret == 0) {
		struct held *h = hmap_del(&r->waiting, parents[--n]);
		while (h) {
			struct held *next = h->next;
			struct block b;
			uint8_t *raw = NULL;
			char why[ERR_LEN];
			r->n_held--;
			bool readable = ret == 0 && blockfile_read(r->cs->files, &h->pos, &raw, why) == 0 &&
					block_parse(&b, raw, h->pos.len, why) == 0;
			if (ret == 0 && !readable) {
				log_warn("reindex: block in file %u at %u skipped: %s", h->pos.file, h->pos.offset, why);
			} else if (readable) {
				ret = reindex_accept(r, &b, &h->pos);
				if (ret == 0 && grow_array(&parents, &cap, n + 1, sizeof(*parents), 16, SIZE_MAX) != 0)
					ret = err_set(r->err, "out of memory");
				else if (ret == 0)
					memcpy(parents[n++], b.hash, 32);
				block_release(&b);
			}
			free(raw);
			free(h);
			h = next;
		}
	}
	free(parents);
	return ret;
}

static int reindex_one(void *ctx, const struct blockpos *pos, const uint8_t *p, size_t len)
{
	struct reindex *r = ctx;
	struct block b;
	char why[ERR_LEN];
	int ret = 0;
	r->done_bytes += BLOCKFILE_HEADER + len;
	if (block_parse(&b, p, len, why) != 0) {
		log_info("reindex: record in file %u at %u is no block: %s", pos->file, pos->offset, why);
		return 0;
	}
	struct block_index *known = chainstate_lookup(r->cs, b.hash);
	if (known && (known->status & BLOCK_HAVE_DATA)) {
		block_release(&b);
		return 0; /* genesis, or a block stored twice */
	}
	r->n_blocks++;
	if (!chainstate_lookup(r->cs, b.header.prev))
		ret = hold(r, &b, pos);
	else if ((ret = reindex_accept(r, &b, pos)) == 0)
		ret = release_children(r, b.hash);
	block_release(&b);
	reindex_progress(r, false);
	return ret;
}

static void drop_held(struct reindex *r)
{
	const void *k;
	void *v;
	for (size_t it = 0; hmap_next(&r->waiting, &it, &k, &v);)
		for (struct held *h = v, *next; h; h = next) {
			next = h->next;
			free(h);
		}
	hmap_release(&r->waiting);
}

/* -reindex, on a fresh database holding the genesis block: every record of
 * every block file, in order, parents before children. */
static int reindex_files(struct chainstate *cs, uint64_t now, char *err)
{
	struct reindex r = { .cs = cs, .now = now ? now : UINT64_MAX / 2, .err = err };
	int ret = 0;
	hmap_init(&r.waiting, 32);
	r.total_bytes = blockfile_total_bytes(cs->files);
	log_info("reindex: reading %u block files (%llu bytes)", blockfile_count(cs->files),
		 (unsigned long long)r.total_bytes);
	for (uint32_t n = 0; n < blockfile_count(cs->files) && ret == 0; n++) {
		char why[ERR_LEN] = "";
		int k = blockfile_scan(cs->files, n, reindex_one, &r, why);
		if (k != 0 && why[0]) /* the file's own damage: keep what came before it */
			log_info("reindex: block file %u read up to a damaged record: %s", n, why);
		else
			ret = k;
	}
	if (r.n_blocks % 100 != 0)
		reindex_progress(&r, true);
	if (r.n_held)
		log_info("reindex: %zu blocks whose parent is in no block file were left out", r.n_held);
	drop_held(&r);
	return ret;
}

/* The block index records, kept across the wipe of -reindex-chainstate. */
struct saved_index {
	uint8_t (*rec)[BLOCK_INDEX_RECORD_SIZE];
	size_t n;
};

static int save_index(struct chainstate *cs, struct saved_index *out, char *err)
{
	uint8_t prefix = DB_INDEX;
	struct store_iter *it = store_iter_new(cs->store, &prefix, 1);
	const uint8_t *k, *val;
	size_t klen, vlen, cap = 0;
	int r = it ? 0 : err_set(err, "out of memory");
	while (r == 0 && store_iter_next(it, &k, &klen, &val, &vlen)) {
		if (vlen != BLOCK_INDEX_RECORD_SIZE) {
			r = err_set(err, "block index is corrupt: a record of %zu bytes", vlen);
		} else if (grow_array(&out->rec, &cap, out->n + 1, sizeof(*out->rec), 1024, SIZE_MAX) != 0) {
			r = err_set(err, "out of memory");
		} else {
			memcpy(out->rec[out->n++], val, vlen);
		}
	}
	if (r == 0 && store_iter_error(it, err) != 0)
		r = -1;
	store_iter_free(it);
	return r;
}

/* Writes the saved records back over the fresh database (the genesis
 * block's own record among them). The blocks are no longer connected:
 * only the genesis block is, so the best chain is connected again. */
static int restore_index(struct chainstate *cs, const struct saved_index *si, char *err)
{
	struct store_batch *batch = store_batch_new();
	if (!batch)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < si->n; i++) {
		struct dbkey k;
		struct block_index tmp;
		if (index_read(&tmp, si->rec[i], BLOCK_INDEX_RECORD_SIZE, err) != 0) {
			store_batch_free(batch);
			return -1;
		}
		k = dbkey_hash(DB_INDEX, tmp.hash);
		store_batch_put(batch, k.b, k.len, si->rec[i], BLOCK_INDEX_RECORD_SIZE);
	}
	int r = store_write(cs->store, batch, true, err);
	store_batch_free(batch);
	return r;
}

/* --- opening and closing, continued --- */

static void free_entries(struct chainstate *cs)
{
	struct block_index *x;
	for (size_t it = 0; (x = chainstate_next(cs, &it));) {
		history_unlink(x);
		free(x);
	}
}

/* Drops the index in memory (the genesis entry a fresh database made),
 * before the stored one is loaded. */
static void forget_index(struct chainstate *cs)
{
	free_entries(cs);
	hmap_release(&cs->index);
	hmap_release(&cs->candidates);
	hmap_init(&cs->index, 32);
	hmap_init(&cs->candidates, 32);
	cs->chain_len = 0;
	cs->n_unlinked = 0;
	cs->best_header = NULL;
	cs->seq = 0;
}

static bool is_oom(const char *err)
{
	return strstr(err, "out of memory") != NULL;
}

/* Opens the database, wiping it first for a reindex (its block index kept
 * aside for -reindex-chainstate). An existing database is looked at
 * before any wipe: one of format 2 still holds block bodies, which are
 * moved to the block files first; one that cannot even be read is what
 * -reindex is for, but any other refusal stops the wipe. */
static int open_store(struct chainstate *cs, const struct chainstate_opts *o, struct saved_index *si,
		      bool *corrupt, char *err)
{
	bool fresh = false;
	if (!(cs->store = store_open(o->path, o->cache_bytes, err))) {
		*corrupt = store_err_corrupt(err);
		if (o->reindex != REINDEX_FULL || !*corrupt)
			return -1;
	} else if (check_version(cs, &fresh, err) != 0) {
		*corrupt = store_err_corrupt(err);
		if (o->reindex != REINDEX_FULL || !*corrupt)
			return -1;
	} else if (o->reindex == REINDEX_CHAINSTATE && save_index(cs, si, err) != 0) {
		*corrupt = !is_oom(err);
		if (*corrupt) { /* the index itself is damaged: only -reindex can help */
			char why[ERR_LEN];
			snprintf(why, sizeof(why), "%s", err);
			err_set(err, "%.200s; -reindex-chainstate needs the block index", why);
		}
		return -1;
	}
	*corrupt = false;
	if (o->reindex == REINDEX_CHAINSTATE)
		log_info("reindex-chainstate: rebuilding the chainstate from %zu block index records", si->n);
	if (o->reindex != REINDEX_NONE) {
		store_close(cs->store);
		cs->store = NULL;
		if (store_destroy(o->path, err) != 0 || !(cs->store = store_open(o->path, o->cache_bytes, err)))
			return -1;
	}
	if (o->check_db && o->reindex == REINDEX_NONE && store_verify(cs->store, err) != 0) {
		*corrupt = store_err_corrupt(err);
		return -1;
	}
	return 0;
}

/* Loads what an existing database holds; every failure but running out of
 * memory means the database is damaged or disagrees with itself. */
static int load_existing(struct chainstate *cs, bool *corrupt, char *err)
{
	if (load_index(cs, err) != 0 || check_positions(cs, err) != 0 || load_tip(cs, err) != 0 ||
	    load_assets(cs, err) != 0) {
		*corrupt = !is_oom(err) && !strstr(err, "another network");
		return -1;
	}
	return 0;
}

static int open_all(struct chainstate *cs, const struct chainstate_opts *o, bool *corrupt, char *err)
{
	struct saved_index si = { 0 };
	char dir[FILE_PATH_MAX];
	bool fresh = false;
	int r = 0;
	if (o->blocks_dir)
		snprintf(dir, sizeof(dir), "%s", o->blocks_dir);
	else if ((size_t)snprintf(dir, sizeof(dir), "%s/blocks", o->path) >= sizeof(dir))
		return err_set(err, "the chainstate's path is too long");
	if (!(cs->files = blockfile_open(dir, cs->p->magic, o->blockfile_max, err)))
		return -1;
	if (open_store(cs, o, &si, corrupt, err) != 0 || check_version(cs, &fresh, err) != 0) {
		free(si.rec);
		return -1;
	}
	if (fresh && init_genesis(cs, err) != 0)
		r = -1;
	else if (si.n && restore_index(cs, &si, err) != 0)
		r = -1;
	free(si.rec);
	if (r != 0)
		return -1;
	if (o->reindex == REINDEX_CHAINSTATE) {
		forget_index(cs); /* and load the one just written back */
		fresh = false;
	}
	if (fresh) {
		if (load_tip(cs, err) != 0)
			return -1;
	} else if (load_existing(cs, corrupt, err) != 0) {
		return -1;
	}
	if (refill_candidates(cs, err) != 0 || chainstate_activate(cs, err) != 0)
		return -1;
	if (o->reindex == REINDEX_FULL && reindex_files(cs, o->now, err) != 0)
		return -1;
	if (o->reindex != REINDEX_NONE)
		log_info("reindex: done, tip at height %u", chainstate_tip(cs)->height);
	return 0;
}

struct chainstate *chainstate_open(const struct chain_params *p, const struct chainstate_opts *o, char *err)
{
	struct chainstate *cs = calloc(1, sizeof(*cs));
	bool corrupt = false;
	if (o->corrupt)
		*o->corrupt = false;
	if (!cs) {
		err_set(err, "out of memory");
		return NULL;
	}
	cs->p = p;
	cs->pool = o->pool;
	hmap_init(&cs->index, 32);
	hmap_init(&cs->candidates, 32);
	if (!(cs->assets = smt_new())) {
		free(cs);
		err_set(err, "out of memory");
		return NULL;
	}
	if (open_all(cs, o, &corrupt, err) != 0) {
		if (o->corrupt)
			*o->corrupt = corrupt;
		chainstate_close(cs);
		return NULL;
	}
	return cs;
}

void chainstate_close(struct chainstate *cs)
{
	if (!cs)
		return;
	free_entries(cs);
	hmap_release(&cs->index);
	hmap_release(&cs->candidates);
	smt_free(cs->assets);
	blockfile_close(cs->files);
	free(cs->chain);
	free(cs->unlinked);
	store_close(cs->store);
	free(cs);
}

/* Counted from the index itself, again only once the tip has moved: the
 * metrics ask every scrape, blocks come far less often. */
size_t chainstate_asset_count(struct chainstate *cs)
{
	const struct block_index *tip = chainstate_tip(cs);
	if (tip && tip == cs->assets_at)
		return cs->n_assets;
	uint8_t prefix = DB_ASSET;
	struct store_iter *it = store_iter_new(cs->store, &prefix, 1);
	const uint8_t *k, *v;
	size_t kl, vl, n = 0;
	if (!it)
		return cs->n_assets;
	while (store_iter_next(it, &k, &kl, &v, &vl))
		n++;
	store_iter_free(it);
	cs->assets_at = tip;
	cs->n_assets = n;
	return n;
}

/* --- verifychain --- */

/* A check that failed: 0 (not -1, a local error) with err saying why. */
static int check_failed(char *err, uint32_t height, const char *what, const char *why)
{
	err_set(err, "block at height %u %s: %s", height, what, why);
	return 0;
}

/* Levels 0-2 for one block: read it, check it, read its undo data. */
static int verify_block(struct chainstate *cs, struct block_index *bi, int level, struct block *b, char *err)
{
	struct verdict v;
	struct connect_undo u;
	verdict_init(&v);
	if (chainstate_read_block(cs, bi, b, err) != 0)
		return 0;
	if (level >= 1 && !block_check(b, cs->p, &v)) {
		block_release(b);
		return check_failed(err, bi->height, "fails its checks", v.reason);
	}
	if (level >= 2) {
		if (connect_read_undo(cs->store, b, bi, &u, err) != 0) {
			block_release(b);
			return 0;
		}
		connect_undo_release(&u);
	}
	return 1;
}

/* Levels 3 and 4 on a scratch store: the top n blocks disconnected from the
 * tip down, then connected again from the lowest up. ca gathers every
 * change of the asset map, for the caller to take back. */
static int verify_scratch(struct chainstate *cs, struct store *scratch, uint32_t n, int level,
			  struct connect_assets *ca, char *err)
{
	struct block_index *tip = chainstate_tip(cs);
	int ok = 1;
	for (uint32_t i = 0; i < n && ok == 1; i++) {
		struct block_index *bi = chainstate_at(cs, tip->height - i);
		struct block b;
		struct store_batch *batch = store_batch_new();
		char why[ERR_LEN];
		if (!batch || chainstate_read_block(cs, bi, &b, err) != 0) {
			store_batch_free(batch);
			return batch ? 0 : err_set(err, "out of memory");
		}
		if (disconnect_block(scratch, &b, bi, batch, ca, why) != 0)
			ok = check_failed(err, bi->height, "does not disconnect", why);
		else if (store_write(scratch, batch, false, err) != 0)
			ok = -1;
		block_release(&b);
		store_batch_free(batch);
	}
	for (uint32_t i = n; i-- > 0 && ok == 1 && level >= 4;) {
		struct block_index *bi = chainstate_at(cs, tip->height - i);
		struct block b;
		struct verdict v;
		struct store_batch *batch = store_batch_new();
		verdict_init(&v);
		if (!batch || chainstate_read_block(cs, bi, &b, err) != 0) {
			store_batch_free(batch);
			return batch ? 0 : err_set(err, "out of memory");
		}
		if (!connect_block(scratch, cs->p, &b, bi, cs->pool, false, batch, ca, &v))
			ok = check_failed(err, bi->height, "does not reconnect", v.reason);
		else if (store_write(scratch, batch, false, err) != 0)
			ok = -1;
		block_release(&b);
		store_batch_free(batch);
	}
	return ok;
}

int chainstate_verify(struct chainstate *cs, int level, uint32_t nblocks, char *err)
{
	struct block_index *tip = chainstate_tip(cs);
	if (level < 0 || level > 4)
		return err_set(err, "check level must be between 0 and 4");
	if (nblocks == 0 || nblocks > tip->height)
		nblocks = tip->height; /* the genesis block has no undo data */
	int ok = 1;
	for (uint32_t i = 0; i < nblocks && ok == 1; i++) {
		struct block b;
		ok = verify_block(cs, chainstate_at(cs, tip->height - i), level, &b, err);
		if (ok == 1)
			block_release(&b);
	}
	if (ok != 1 || level < 3 || nblocks == 0)
		return ok;
	struct store *scratch = store_scratch_new(cs->store);
	struct connect_assets ca = { .tree = cs->assets };
	if (!scratch)
		return err_set(err, "out of memory");
	ok = verify_scratch(cs, scratch, nblocks, level, &ca, err);
	connect_assets_revert(&ca);
	connect_assets_keep(&ca);
	store_close(scratch);
	return ok;
}
