#include "chain/connect.h"

#include <stdlib.h>
#include <string.h>

#include "chain/dbkeys.h"
#include "chain/smt.h"
#include "util/grow.h"

int connect_read_coin(struct store *s, const struct outpoint *op, struct coin *out)
{
	struct dbkey k = dbkey_coin(op);
	uint8_t *val;
	size_t len;
	coin_init(out);
	int r = store_get(s, k.b, k.len, &val, &len, NULL);
	if (r <= 0)
		return r;
	struct cursor c = cursor_make(val, len);
	r = coin_read(&c, out, NULL) == 0 && cursor_done(&c) ? 1 : -1;
	store_free(val);
	if (r < 0)
		coin_release(out);
	return r;
}

int connect_read_asset(struct store *s, const uint8_t id[32], struct asset_entry *out)
{
	struct dbkey k = dbkey_hash(DB_ASSET, id);
	uint8_t *val;
	size_t len;
	memset(out, 0, sizeof(*out));
	int r = store_get(s, k.b, k.len, &val, &len, NULL);
	if (r <= 0)
		return r;
	r = asset_entry_read(out, val, len) ? 1 : -1;
	store_free(val);
	return r;
}

/* The store as it will be once the transactions handled so far are
 * applied: coins created and spent, asset entries changed. */
struct overlay {
	struct store *s;
	struct hmap created; /* outpoint -> struct coin * */
	struct hmap spent;   /* outpoint -> non-NULL, for coins of the store */
	struct hmap assets;  /* asset id -> struct asset_entry * */
};

static void overlay_init(struct overlay *o, struct store *s)
{
	o->s = s;
	hmap_init(&o->created, 36);
	hmap_init(&o->spent, 36);
	hmap_init(&o->assets, 32);
}

static void overlay_release(struct overlay *o)
{
	const void *k;
	void *v;
	for (size_t it = 0; hmap_next(&o->created, &it, &k, &v);) {
		coin_release(v);
		free(v);
	}
	for (size_t it = 0; hmap_next(&o->assets, &it, &k, &v);)
		free(v);
	hmap_release(&o->created);
	hmap_release(&o->spent);
	hmap_release(&o->assets);
}

static int overlay_get_coin(void *ctx, const struct outpoint *op, struct coin *out)
{
	struct overlay *o = ctx;
	uint8_t key[36];
	outpoint_write(key, op);
	struct coin *c = hmap_get(&o->created, key);
	if (c)
		return coin_copy(out, c) == 0 ? 1 : -1;
	coin_init(out);
	if (hmap_get(&o->spent, key))
		return 0;
	return connect_read_coin(o->s, op, out);
}

/* The entry of an asset as the overlay sees it; NULL when absent. A store
 * entry is copied into the overlay so that changes stay there. */
static struct asset_entry *overlay_asset(struct overlay *o, const uint8_t id[32], int *err)
{
	struct asset_entry *e = hmap_get(&o->assets, id), tmp;
	if (e)
		return e;
	int r = connect_read_asset(o->s, id, &tmp);
	if (r <= 0) {
		*err = r < 0;
		return NULL;
	}
	if (!(e = malloc(sizeof(*e))) || hmap_put(&o->assets, id, e) != 0) {
		free(e);
		*err = 1;
		return NULL;
	}
	*e = tmp;
	return e;
}

static int overlay_asset_known(void *ctx, const uint8_t id[32])
{
	int err = 0;
	struct asset_entry *e = overlay_asset(ctx, id, &err);
	return err ? -1 : e != NULL;
}

static bool oom(struct verdict *v)
{
	return verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
}

/* Spends tx's inputs in the overlay and the batch, appending each spent
 * coin to undo; collects the asset ids spent. */
static bool spend_inputs(struct overlay *o, const struct tx *tx, struct store_batch *batch,
			 struct buf *undo, uint8_t (**assets)[32], size_t *n_assets, struct verdict *v)
{
	for (size_t i = 0; i < tx->n_in; i++) {
		uint8_t key[36];
		struct coin c;
		outpoint_write(key, &tx->in[i].prev);
		if (overlay_get_coin(o, &tx->in[i].prev, &c) != 1)
			return verdict_fail(v, VR_ERROR, "db-error", "coin vanished while connecting");
		coin_write(undo, &c);
		if (c.out.kind == TXOUT_ASSET) {
			void *grown = realloc(*assets, (*n_assets + 1) * 32);
			if (!grown) {
				coin_release(&c);
				return oom(v);
			}
			memcpy((*assets = grown)[(*n_assets)++], c.out.asset, 32);
		}
		coin_release(&c);
		struct coin *mine = hmap_del(&o->created, key);
		if (mine) {
			coin_release(mine);
			free(mine);
		} else {
			struct dbkey k = dbkey_coin(&tx->in[i].prev);
			if (hmap_put(&o->spent, key, (void *)1) != 0)
				return oom(v);
			store_batch_del(batch, k.b, k.len);
		}
	}
	return true;
}

static bool update_asset(struct overlay *o, const uint8_t id[32], const struct outpoint *op,
			 const uint8_t owner[20], bool transfer, struct verdict *v)
{
	int err = 0;
	struct asset_entry *e = overlay_asset(o, id, &err);
	if (err)
		return verdict_fail(v, VR_ERROR, "db-error", "cannot read the asset index");
	if (transfer && e) {
		e->cur = *op;
		e->transfers++;
		memcpy(e->owner, owner, 20);
		return true;
	}
	if (!(e = calloc(1, sizeof(*e))) || hmap_put(&o->assets, id, e) != 0) {
		free(e);
		return oom(v);
	}
	e->reg = e->cur = *op;
	memcpy(e->owner, owner, 20);
	return true;
}

static bool create_outputs(struct overlay *o, const struct tx *tx, uint32_t height,
			   const uint8_t (*spent)[32], size_t n_spent, struct verdict *v)
{
	for (uint32_t i = 0; i < tx->n_out; i++) {
		struct outpoint op;
		uint8_t key[36];
		struct coin *c = malloc(sizeof(*c));
		memcpy(op.txid, tx->txid, 32);
		op.index = i;
		outpoint_write(key, &op);
		if (!c || coin_from_tx(c, tx, i, height) != 0 || hmap_put(&o->created, key, c) != 0) {
			if (c)
				coin_release(c);
			free(c);
			return oom(v);
		}
		if (tx->out[i].kind != TXOUT_ASSET)
			continue;
		bool transfer = false;
		for (size_t s = 0; s < n_spent && !transfer; s++)
			transfer = memcmp(spent[s], tx->out[i].asset, 32) == 0;
		if (!update_asset(o, tx->out[i].asset, &op, tx->out[i].addr, transfer, v))
			return false;
	}
	return true;
}

static void put_tx_index(struct store_batch *batch, const struct tx *tx, const uint8_t block[32], uint32_t pos)
{
	struct dbkey k = dbkey_hash(DB_TX, tx->txid);
	uint8_t val[36];
	memcpy(val, block, 32);
	for (int i = 0; i < 4; i++)
		val[32 + i] = (uint8_t)(pos >> (8 * i));
	store_batch_put(batch, k.b, k.len, val, sizeof(val));
}

/* Checks and applies one transaction to the overlay. */
static bool connect_tx(struct overlay *o, const struct chain_params *p, const struct tx *tx,
		       uint32_t height, struct store_batch *batch, struct buf *undo, int64_t *fees,
		       struct verdict *v)
{
	struct coin_view view = { overlay_get_coin, overlay_asset_known, o };
	uint8_t (*spent)[32] = NULL;
	size_t n_spent = 0;
	int64_t fee = 0;
	bool ok = true;
	if (!tx_is_coinbase(tx)) {
		ok = tx_check_inputs(tx, &view, height, p, &fee, v) &&
		     spend_inputs(o, tx, batch, undo, &spent, &n_spent, v);
		*fees += fee;
		if (ok && !money_range(*fees))
			ok = verdict_fail(v, VR_CONSENSUS, "bad-txns-accumulated-fee-outofrange", NULL);
	}
	ok = ok && create_outputs(o, tx, height, (const uint8_t (*)[32])spent, n_spent, v);
	free(spent);
	return ok;
}

void connect_assets_revert(struct connect_assets *ca)
{
	for (size_t i = ca->n_undo; i-- > 0;) {
		struct asset_undo *u = &ca->undo[i];
		/* Putting back what was there needs no more memory than it
		 * freed, so this cannot fail for want of it. */
		if (smt_set(ca->tree, u->id, u->had ? u->old : NULL, NULL) < 0)
			abort();
	}
	ca->n_undo = 0;
}

void connect_assets_keep(struct connect_assets *ca)
{
	free(ca->undo);
	ca->undo = NULL;
	ca->n_undo = ca->cap_undo = 0;
}

/* Moves the tree to the overlay's asset entries (a registration undone,
 * transfers UINT32_MAX, leaves the map), remembering what each replaced. */
static int apply_assets(struct overlay *o, struct connect_assets *ca)
{
	const void *k;
	void *val;
	for (size_t it = 0; hmap_next(&o->assets, &it, &k, &val);) {
		const struct asset_entry *e = val;
		uint8_t value[32];
		if (grow_array(&ca->undo, &ca->cap_undo, ca->n_undo + 1, sizeof(*ca->undo), 16, SIZE_MAX) != 0)
			goto oom;
		struct asset_undo *u = &ca->undo[ca->n_undo];
		asset_state_hash(value, e);
		memcpy(u->id, k, 32);
		int r = smt_set(ca->tree, u->id, e->transfers == UINT32_MAX ? NULL : value, u->old);
		if (r < 0)
			goto oom;
		u->had = r == 1;
		ca->n_undo++;
	}
	smt_root(ca->tree, ca->root);
	return 0;
oom:
	connect_assets_revert(ca);
	return -1;
}

static bool commit_assets(struct overlay *o, const struct block_index *bi, struct connect_assets *ca,
			  struct verdict *v)
{
	if (apply_assets(o, ca) != 0)
		return oom(v);
	if (ca->fill || memcmp(ca->root, bi->header.assets, 32) == 0)
		return true;
	connect_assets_revert(ca);
	return verdict_fail(v, VR_CONSENSUS, "bad-assets-root",
			    "header does not commit to the asset map after the block");
}

static void flush_overlay(struct overlay *o, struct store_batch *batch)
{
	const void *k;
	void *val;
	struct buf b = BUF_INIT;
	for (size_t it = 0; hmap_next(&o->created, &it, &k, &val);) {
		struct dbkey key = { .len = 37 };
		key.b[0] = DB_COIN;
		memcpy(key.b + 1, k, 36);
		buf_reset(&b);
		coin_write(&b, val);
		store_batch_put(batch, key.b, key.len, b.data, b.len);
	}
	for (size_t it = 0; hmap_next(&o->assets, &it, &k, &val);) {
		uint8_t rec[ASSET_ENTRY_SIZE];
		struct dbkey key = dbkey_hash(DB_ASSET, k);
		asset_entry_write(rec, val);
		store_batch_put(batch, key.b, key.len, rec, sizeof(rec));
	}
	buf_release(&b);
}

static bool check_sigs(const struct block *b, const struct chain_params *p, struct pool *pool, struct verdict *v)
{
	size_t n = 0, at = 0;
	for (size_t i = 1; i < b->n_tx; i++)
		n += b->txs[i].n_in;
	struct sig_job *jobs = malloc((n ? n : 1) * sizeof(*jobs));
	if (!jobs)
		return oom(v);
	for (size_t i = 1; i < b->n_tx; i++) {
		tx_sig_jobs(jobs + at, &b->txs[i], p->magic);
		at += b->txs[i].n_in;
	}
	size_t bad = sig_verify_batch(jobs, n, pool, false);
	free(jobs);
	if (bad < n)
		return verdict_fail(v, VR_CONSENSUS, "bad-txns-sig", "signature %zu of the block does not verify", bad);
	return true;
}

/* Before the asset map moves, so that a failing writer leaves nothing to
 * take back. */
static bool write_extra(const struct connect_writer *w, bool connect, const struct block *b,
			const struct block_index *bi, const uint8_t *spent, size_t len, struct store_batch *batch,
			struct verdict *v)
{
	char err[ERR_LEN];
	if (w->write(w->ctx, connect, b, bi, spent, len, batch, err) != 0)
		return verdict_fail(v, VR_ERROR, "index-error", "%s", err);
	return true;
}

bool connect_block(struct store *s, const struct chain_params *p, const struct block *b,
		   const struct block_index *bi, struct pool *pool, bool sigs_verified, struct store_batch *batch,
		   struct connect_assets *ca, struct verdict *v)
{
	struct overlay o;
	struct buf undo = BUF_INIT;
	int64_t fees = 0, cb_out = 0;
	bool ok = true;
	overlay_init(&o, s);
	buf_varint(&undo, 0); /* placeholder count, rewritten below */
	for (size_t i = 0; i < b->n_tx && ok; i++) {
		ok = connect_tx(&o, p, &b->txs[i], bi->height, batch, &undo, &fees, v);
		put_tx_index(batch, &b->txs[i], bi->hash, (uint32_t)i);
	}
	for (size_t i = 0; ok && i < b->txs[0].n_out; i++)
		cb_out += b->txs[0].out[i].value;
	if (ok && cb_out > params_subsidy(p, bi->height) + fees)
		ok = verdict_fail(v, VR_CONSENSUS, "bad-cb-amount", "coinbase pays %lld > %lld",
				  (long long)cb_out, (long long)(params_subsidy(p, bi->height) + fees));
	ok = ok && (sigs_verified || check_sigs(b, p, pool, v));
	if (ok && !buf_ok(&undo))
		ok = oom(v);
	ok = ok && (!ca || !ca->writer || write_extra(ca->writer, true, b, bi, undo.data + 1, undo.len - 1, batch, v));
	ok = ok && (!ca || commit_assets(&o, bi, ca, v));
	if (ok) {
		struct dbkey ku = dbkey_hash(DB_UNDO, bi->hash), kh = dbkey_height(bi->height);
		flush_overlay(&o, batch);
		store_batch_put(batch, ku.b, ku.len, undo.data + 1, undo.len - 1);
		store_batch_put(batch, kh.b, kh.len, bi->hash, 32);
	}
	buf_release(&undo);
	overlay_release(&o);
	return ok;
}

/* --- disconnecting --- */

void connect_undo_release(struct connect_undo *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++)
		coin_release(&u->coins[i]);
	free(u->coins);
	u->coins = NULL;
	u->n = 0;
}

int connect_read_undo(struct store *s, const struct block *b, const struct block_index *bi, struct connect_undo *u,
		      char *err)
{
	struct dbkey k = dbkey_hash(DB_UNDO, bi->hash);
	uint8_t *val;
	size_t len, want = 0;
	memset(u, 0, sizeof(*u));
	for (size_t i = 1; i < b->n_tx; i++)
		want += b->txs[i].n_in;
	if (store_get(s, k.b, k.len, &val, &len, err) != 1)
		return err_set(err, "undo data of block at height %u is missing", bi->height);
	struct cursor c = cursor_make(val, len);
	int r = 0;
	if (!(u->coins = calloc(want ? want : 1, sizeof(*u->coins))))
		r = err_set(err, "out of memory");
	for (; r == 0 && u->n < want; u->n++)
		if (coin_read(&c, &u->coins[u->n], NULL) != 0)
			r = err_set(err, "undo data of block at height %u is corrupt", bi->height);
	if (r == 0 && !cursor_done(&c))
		r = err_set(err, "undo data of block at height %u has trailing bytes", bi->height);
	store_free(val);
	if (r != 0)
		connect_undo_release(u);
	return r;
}

/* Undoes one transaction's asset changes, given the coins its inputs spent. */
static int undo_assets(struct overlay *o, const struct tx *tx, const struct coin *spent, char *err)
{
	for (uint32_t i = 0; i < tx->n_out; i++) {
		const struct txout *out = &tx->out[i];
		if (out->kind != TXOUT_ASSET)
			continue;
		int e = 0;
		struct asset_entry *entry = overlay_asset(o, out->asset, &e);
		if (!entry)
			return err_set(err, "asset index entry is missing");
		const struct outpoint *from = NULL;
		const uint8_t *owner = NULL;
		for (size_t s = 0; s < tx->n_in && !from; s++)
			if (spent[s].out.kind == TXOUT_ASSET && memcmp(spent[s].out.asset, out->asset, 32) == 0) {
				from = &tx->in[s].prev;
				owner = spent[s].out.addr;
			}
		if (from) {
			entry->cur = *from;
			entry->transfers--;
			memcpy(entry->owner, owner, 20);
		} else {
			entry->transfers = UINT32_MAX; /* marks a registration undone */
		}
	}
	return 0;
}

static void flush_undone_assets(struct overlay *o, struct store_batch *batch)
{
	const void *k;
	void *val;
	for (size_t it = 0; hmap_next(&o->assets, &it, &k, &val);) {
		struct asset_entry *e = val;
		struct dbkey key = dbkey_hash(DB_ASSET, k);
		uint8_t rec[ASSET_ENTRY_SIZE];
		if (e->transfers == UINT32_MAX) {
			store_batch_del(batch, key.b, key.len);
			continue;
		}
		asset_entry_write(rec, e);
		store_batch_put(batch, key.b, key.len, rec, sizeof(rec));
	}
}

static void restore_tx(struct store_batch *batch, const struct tx *tx, const struct coin *spent)
{
	struct buf w = BUF_INIT;
	struct dbkey kt = dbkey_hash(DB_TX, tx->txid);
	for (uint32_t i = 0; i < tx->n_out; i++) {
		struct outpoint op;
		memcpy(op.txid, tx->txid, 32);
		op.index = i;
		struct dbkey k = dbkey_coin(&op);
		store_batch_del(batch, k.b, k.len);
	}
	for (size_t i = 0; spent && i < tx->n_in; i++) {
		struct dbkey k = dbkey_coin(&tx->in[i].prev);
		buf_reset(&w);
		coin_write(&w, &spent[i]);
		store_batch_put(batch, k.b, k.len, w.data, w.len);
	}
	store_batch_del(batch, kt.b, kt.len);
	buf_release(&w);
}

/* The writer is handed the spent coins as connect_block handed them. */
static int disconnect_extra(const struct connect_writer *w, const struct block *b, const struct block_index *bi,
			    const struct connect_undo *u, struct store_batch *batch, char *err)
{
	struct buf spent = BUF_INIT;
	for (size_t i = 0; i < u->n; i++)
		coin_write(&spent, &u->coins[i]);
	int r = buf_ok(&spent) ? w->write(w->ctx, false, b, bi, spent.data, spent.len, batch, err)
			       : err_set(err, "out of memory");
	buf_release(&spent);
	return r;
}

int disconnect_block(struct store *s, const struct block *b, const struct block_index *bi,
		     struct store_batch *batch, struct connect_assets *ca, char *err)
{
	struct connect_undo u;
	struct overlay o;
	int r = 0;
	if (connect_read_undo(s, b, bi, &u, err) != 0)
		return -1;
	overlay_init(&o, s);
	size_t at = u.n;
	/* Newest first, so that a coin created and spent in this block is put
	 * back by its spender and then deleted with its creator. */
	for (size_t i = b->n_tx; i-- > 0 && r == 0;) {
		const struct tx *tx = &b->txs[i];
		const struct coin *spent = NULL;
		if (i > 0) {
			at -= tx->n_in;
			spent = &u.coins[at];
		}
		restore_tx(batch, tx, spent);
		if (i > 0)
			r = undo_assets(&o, tx, spent, err);
	}
	if (r == 0 && ca && ca->writer)
		r = disconnect_extra(ca->writer, b, bi, &u, batch, err);
	if (r == 0 && ca && apply_assets(&o, ca) != 0)
		r = err_set(err, "out of memory");
	if (r == 0 && ca && memcmp(ca->root, bi->prev->header.assets, 32) != 0) {
		connect_assets_revert(ca);
		r = err_set(err, "the asset index, undone, does not match the asset root of block %u", bi->height - 1);
	}
	if (r == 0) {
		struct dbkey ku = dbkey_hash(DB_UNDO, bi->hash), kh = dbkey_height(bi->height);
		flush_undone_assets(&o, batch);
		store_batch_del(batch, ku.b, ku.len);
		store_batch_del(batch, kh.b, kh.len);
	}
	overlay_release(&o);
	connect_undo_release(&u);
	return r;
}
