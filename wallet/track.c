#include "wallet/wallet_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"

/* Following the best chain and the mempool, and what the wallet then
 * holds: balances, unspent outputs, history, locked coins, assets. */

/* How deep the trust of an unconfirmed transaction follows its parents. */
#define TRUST_DEPTH 32

/* ---- transactions ---- */

/* Moves a chain's next index past a key seen used on the chain, so the
 * lookahead window follows the payments a restored wallet finds. */
static void mark_used(struct wallet *w, const struct tx *tx)
{
	bool moved = false;
	for (size_t i = 0; i < tx->n_out; i++) {
		const struct wallet_key *k = hmap_get(&w->keys, tx->out[i].addr);
		if (k && k->chain != WALLET_CHAIN_IMPORTED && k->index >= w->s.next[k->chain]) {
			w->s.next[k->chain] = k->index + 1;
			moved = true;
		}
	}
	char err[ERR_LEN];
	if (moved && wallet_topup(w, NULL, err) != 0)
		log_error("wallet: %s", err);
}

static bool relevant(const struct wallet *w, const struct tx *tx)
{
	for (size_t i = 0; i < tx->n_out; i++)
		if (hmap_get(&w->keys, tx->out[i].addr))
			return true;
	if (tx_is_coinbase(tx))
		return false;
	for (size_t i = 0; i < tx->n_in; i++) {
		uint8_t addr[20];
		tx_pubkey_hash(addr, tx->in[i].pubkey);
		if (wallet_find_out(w, &tx->in[i].prev) || hmap_get(&w->keys, addr))
			return true;
	}
	return false;
}

/* The wallet's record of tx, created when tx pays or spends the wallet. */
static struct wstore_tx *track(struct wallet *w, const struct tx *tx, uint64_t time, bool *added)
{
	struct wstore_tx *t = hmap_get(&w->txs, tx->txid);
	*added = false;
	if (t || !relevant(w, tx))
		return t;
	t = wstore_add_tx(&w->s, tx, time);
	if (!t || hmap_put(&w->txs, t->tx.txid, t) != 0) {
		if (t) { /* keep the store and the index in step */
			w->s.n_txs--;
			tx_release(&t->tx);
			free(t);
		}
		log_error("wallet: out of memory recording a transaction");
		return NULL;
	}
	wallet_index_outputs(w, t);
	mark_used(w, tx);
	*added = true;
	return t;
}

static void set_best(struct wallet *w, const uint8_t hash[32], uint32_t height)
{
	w->tip = height;
	w->s.have_best = true;
	memcpy(w->s.best_hash, hash, 32);
	w->s.best_height = height;
}

void wallet_block_connected(struct wallet *w, const struct block *b, const struct block_index *bi)
{
	bool changed = false;
	for (size_t i = 0; i < b->n_tx; i++) {
		bool added;
		struct wstore_tx *t = track(w, &b->txs[i], b->header.time, &added);
		if (!t)
			continue;
		if (added || !t->confirmed || memcmp(t->block, bi->hash, 32) != 0 || t->pos != i) {
			if (w->on_tx && (added || !t->confirmed || memcmp(t->block, bi->hash, 32) != 0))
				w->on_tx(w->on_tx_ctx, t->tx.txid, bi->hash, bi->height);
			t->confirmed = true;
			t->abandoned = false;
			memcpy(t->block, bi->hash, 32);
			t->height = bi->height;
			t->pos = (uint32_t)i;
			wstore_tx_touch(&w->s, t);
			changed = true;
		}
	}
	set_best(w, bi->hash, bi->height);
	if (changed)
		wallet_save(w);
}

void wallet_block_disconnected(struct wallet *w, const struct block *b, const struct block_index *bi)
{
	bool changed = false;
	for (size_t i = 0; i < b->n_tx; i++) {
		struct wstore_tx *t = hmap_get(&w->txs, b->txs[i].txid);
		if (t && t->confirmed && memcmp(t->block, bi->hash, 32) == 0) {
			t->confirmed = false;
			t->in_mempool = false; /* until the mempool takes it back */
			wstore_tx_touch(&w->s, t);
			changed = true;
		}
	}
	set_best(w, b->header.prev, bi->height ? bi->height - 1 : 0);
	if (changed)
		wallet_save(w);
}

void wallet_tx_added(struct wallet *w, const struct tx *tx, uint64_t now)
{
	bool added;
	struct wstore_tx *t = track(w, tx, now, &added);
	if (t)
		t->in_mempool = true;
	if (t && t->abandoned) { /* seen again: no longer abandoned, as in Core */
		t->abandoned = false;
		wstore_tx_touch(&w->s, t);
		if (!added)
			wallet_save(w);
	}
	if (added) {
		wallet_save(w);
		if (w->on_tx)
			w->on_tx(w->on_tx_ctx, t->tx.txid, NULL, 0);
	}
}

void wallet_set_tx_hook(struct wallet *w, wallet_tx_hook fn, void *ctx)
{
	w->on_tx = fn;
	w->on_tx_ctx = ctx;
}

void wallet_tx_removed(struct wallet *w, const uint8_t txid[32])
{
	struct wstore_tx *t = hmap_get(&w->txs, txid);
	if (t)
		t->in_mempool = false;
}

/* Confirmed transactions whose block is no longer on the best chain (a
 * reorg while the wallet was not listening) become unconfirmed. */
static void unconfirm_stale(struct wallet *w, struct chainstate *cs)
{
	for (size_t i = 0; i < w->s.n_txs; i++) {
		struct wstore_tx *t = w->s.txs[i];
		const struct block_index *bi = t->confirmed ? chainstate_lookup(cs, t->block) : NULL;
		if (t->confirmed && (!bi || !chainstate_on_best(cs, bi))) {
			t->confirmed = false;
			wstore_tx_touch(&w->s, t);
		}
	}
}

/* Milliseconds between "Still rescanning" lines. One setting for the
 * process, as the log's own are: the node sets it once at start. */
static uint64_t rescan_log_ms = WALLET_RESCAN_LOG_MS;

void wallet_set_rescan_log_interval(uint64_t ms)
{
	rescan_log_ms = ms;
}

/* The wallet's name for log lines: its folder's last part. */
static const char *log_name(const struct wallet *w)
{
	const char *slash = w->s.dir ? strrchr(w->s.dir, '/') : NULL;
	return slash ? slash + 1 : w->s.dir ? w->s.dir : "";
}

/* A rescan's progress in debug.log, as Bitcoin Core writes it: a line as
 * it starts, one at most every rescan_log_ms while it runs, one at its
 * end with the time it took. */
struct rescan_log {
	uint32_t from, to;
	uint64_t start_us, last_us;
};

static void rescan_log_start(struct rescan_log *l, const struct wallet *w, uint32_t from, uint32_t to)
{
	l->from = from;
	l->to = to;
	l->start_us = l->last_us = clock_mono_us();
	log_info("wallet '%s': Rescan started from block %u (to block %u, %u blocks)", log_name(w), from, to,
		 to - from + 1);
}

static void rescan_log_step(struct rescan_log *l, const struct wallet *w, uint32_t h)
{
	uint64_t now = clock_mono_us();
	if (now - l->last_us < rescan_log_ms * 1000)
		return;
	l->last_us = now;
	log_info("wallet '%s': Still rescanning. At block %u. Progress=%.6f", log_name(w), h,
		 (double)(h - l->from + 1) / (double)(l->to - l->from + 1));
}

static void rescan_log_end(const struct rescan_log *l, const struct wallet *w, uint32_t h, bool ok)
{
	unsigned long long ms = (clock_mono_us() - l->start_us) / 1000;
	if (ok)
		log_info("wallet '%s': Rescan completed in %llu ms: blocks %u to %u", log_name(w), ms, l->from,
			 l->to);
	else
		log_warn("wallet '%s': Rescan failed at block %u after %llu ms", log_name(w), h, ms);
}

int wallet_rescan(struct wallet *w, struct chainstate *cs, uint32_t from_height, char *err)
{
	struct block_index *tip = chainstate_tip(cs);
	struct rescan_log l = { 0 };
	bool logged = tip && from_height <= tip->height;
	uint32_t h = from_height;
	int r = WALLET_OK;
	unconfirm_stale(w, cs);
	w->batch = true;
	if (logged)
		rescan_log_start(&l, w, from_height, tip->height);
	for (; tip && h <= tip->height && r == WALLET_OK; h++) {
		struct block b;
		struct block_index *bi = chainstate_at(cs, h);
		if (!bi || chainstate_read_block(cs, bi, &b, err) != 0) {
			r = bi ? WALLET_ERROR : err_set(err, "cannot rescan: no block at height %u", h);
			break;
		}
		wallet_block_connected(w, &b, bi);
		block_release(&b);
		rescan_log_step(&l, w, h);
	}
	w->batch = false;
	if (logged)
		rescan_log_end(&l, w, h, r == WALLET_OK);
	if (r == WALLET_OK && tip)
		set_best(w, tip->hash, tip->height);
	return wallet_save_now(w, r == WALLET_OK ? err : NULL) == WALLET_OK ? r : WALLET_ERROR;
}

int wallet_sync(struct wallet *w, struct chainstate *cs, char *err)
{
	struct block_index *tip = chainstate_tip(cs);
	if (!tip)
		return err_set(err, "cannot sync the wallet: the chain has no tip");
	if (w->fresh && !w->s.have_best) {
		set_best(w, tip->hash, tip->height);
		return wallet_save_now(w, err);
	}
	uint32_t from = 0;
	struct block_index *best = w->s.have_best ? chainstate_lookup(cs, w->s.best_hash) : NULL;
	if (best && chainstate_on_best(cs, best))
		from = best->height + 1;
	else if (best)
		from = index_fork(best, tip)->height + 1;
	return wallet_rescan(w, cs, from, err);
}

uint32_t wallet_tip_height(const struct wallet *w)
{
	return w->tip;
}

int wallet_unconfirmed(struct wallet *w, struct tx **txs, size_t *n, char *err)
{
	*txs = NULL;
	*n = 0;
	struct tx *list = calloc(w->s.n_txs + 1, sizeof(*list));
	if (!list)
		return err_set(err, "cannot list transactions: out of memory");
	for (size_t i = 0; i < w->s.n_txs; i++) {
		const struct wstore_tx *t = w->s.txs[i];
		if (wallet_tx_active(t) || tx_is_coinbase(&t->tx) || t->abandoned)
			continue;
		if (tx_copy(&list[*n], &t->tx) != 0) {
			for (size_t j = 0; j <= *n; j++)
				tx_release(&list[j]);
			free(list);
			*n = 0;
			return err_set(err, "cannot list transactions: out of memory");
		}
		(*n)++;
	}
	*txs = list;
	return WALLET_OK;
}

/* ---- state of outputs ---- */

static uint32_t confirmations(const struct wallet *w, const struct wstore_tx *t)
{
	if (!t->confirmed)
		return 0;
	return w->tip >= t->height ? w->tip - t->height + 1 : 1;
}

/* Spendable in the next block: validate.c lets a coinbase at height h be
 * spent at height h + maturity, i.e. once it has `maturity` confirmations. */
static bool mature(const struct wallet *w, const struct wstore_tx *t)
{
	return !tx_is_coinbase(&t->tx) || (t->confirmed && confirmations(w, t) >= w->p->coinbase_maturity);
}

/* Bitcoin Core's CachedTxIsTrusted: confirmed, or in the mempool with every
 * input one of our outputs from a trusted transaction. */
bool wallet_trusted(const struct wallet *w, const struct wstore_tx *t, int depth)
{
	if (t->confirmed)
		return true;
	if (!t->in_mempool || depth > TRUST_DEPTH || tx_is_coinbase(&t->tx))
		return false;
	for (size_t i = 0; i < t->tx.n_in; i++) {
		const struct wallet_out *o = wallet_find_out(w, &t->tx.in[i].prev);
		if (!o || !wallet_trusted(w, o->wtx, depth + 1))
			return false;
	}
	return true;
}

void wallet_get_balances(struct wallet *w, struct wallet_balances *out)
{
	const struct wallet_out *o;
	memset(out, 0, sizeof(*out));
	wallet_refresh_spent(w);
	for (struct wallet_out_iter it = { 0 }; (o = wallet_out_next(w, &it));) {
		const struct wstore_tx *t = o->wtx;
		int64_t v = wallet_out_txout(o)->value;
		if (o->spent || wallet_out_txout(o)->kind != TXOUT_COIN || !wallet_tx_active(t))
			continue;
		if (tx_is_coinbase(&t->tx))
			*(mature(w, t) ? &out->trusted : &out->immature) += v;
		else
			*(wallet_trusted(w, t, 0) ? &out->trusted : &out->untrusted_pending) += v;
	}
}

static bool is_locked_coin(const struct wallet *w, const struct outpoint *op)
{
	uint8_t k[36];
	outpoint_write(k, op);
	return hmap_get(&w->locked, k) != NULL;
}

/* An output coin selection may use: a coin, active, unspent, mature, not
 * locked, and trusted when unconfirmed. */
bool wallet_spendable(const struct wallet *w, const struct wallet_out *o)
{
	const struct wstore_tx *t = o->wtx;
	struct outpoint op = wallet_out_op(o);
	return !o->spent && wallet_out_txout(o)->kind == TXOUT_COIN && wallet_tx_active(t) && mature(w, t) &&
	       !is_locked_coin(w, &op);
}

static int cmp_outpoint(const struct outpoint *a, const struct outpoint *b)
{
	int c = memcmp(a->txid, b->txid, 32);
	return c ? c : (a->index > b->index) - (a->index < b->index);
}

static int cmp_outpoint_q(const void *a, const void *b)
{
	return cmp_outpoint(a, b);
}

static int cmp_utxo(const void *a, const void *b)
{
	return cmp_outpoint(&((const struct wallet_utxo *)a)->op, &((const struct wallet_utxo *)b)->op);
}

static void copy_label(const struct wallet *w, char out[WSTORE_LABEL_MAX + 1], const uint8_t addr[20])
{
	const char *l = wstore_label(&w->s, addr);
	snprintf(out, WSTORE_LABEL_MAX + 1, "%s", l ? l : "");
}

int wallet_list_unspent(struct wallet *w, struct wallet_utxo **out, size_t *n, uint32_t minconf, uint32_t maxconf,
			char *err)
{
	const struct wallet_out *o;
	*out = NULL;
	*n = 0;
	wallet_refresh_spent(w);
	struct wallet_utxo *list = calloc(w->n_outs + 1, sizeof(*list));
	if (!list)
		return err_set(err, "cannot list unspent outputs: out of memory");
	for (struct wallet_out_iter it = { 0 }; (o = wallet_out_next(w, &it));) {
		uint32_t conf = confirmations(w, o->wtx);
		if (!wallet_spendable(w, o) || conf < minconf || conf > maxconf)
			continue;
		struct wallet_utxo *u = &list[(*n)++];
		const struct wallet_key *k = hmap_get(&w->keys, wallet_out_txout(o)->addr);
		u->op = wallet_out_op(o);
		memcpy(u->addr, wallet_out_txout(o)->addr, 20);
		u->value = wallet_out_txout(o)->value;
		u->confirmations = conf;
		u->coinbase = tx_is_coinbase(&o->wtx->tx);
		u->safe = wallet_trusted(w, o->wtx, 0);
		u->change = k && k->chain == WSTORE_CHANGE;
		copy_label(w, u->label, u->addr);
	}
	qsort(list, *n, sizeof(*list), cmp_utxo);
	*out = list;
	return WALLET_OK;
}

/* ---- listtransactions, gettransaction ---- */

const char *wallet_category_name(enum wallet_category c)
{
	static const char *names[] = { "send", "receive", "generate", "immature", "orphan" };
	return c <= WALLET_ORPHAN ? names[c] : "unknown";
}

/* What a transaction takes from and gives to the wallet. */
struct amounts {
	int64_t debit, credit, out_total;
	bool all_inputs_mine;
};

static void tx_amounts(const struct wallet *w, const struct wstore_tx *t, struct amounts *a)
{
	memset(a, 0, sizeof(*a));
	a->all_inputs_mine = !tx_is_coinbase(&t->tx);
	for (size_t i = 0; i < t->tx.n_in && !tx_is_coinbase(&t->tx); i++) {
		const struct wallet_out *o = wallet_find_out(w, &t->tx.in[i].prev);
		if (o)
			a->debit += wallet_out_txout(o)->value;
		else
			a->all_inputs_mine = false;
	}
	for (size_t i = 0; i < t->tx.n_out; i++) {
		a->out_total += t->tx.out[i].value;
		if (hmap_get(&w->keys, t->tx.out[i].addr))
			a->credit += t->tx.out[i].value;
	}
}

static enum wallet_category receive_category(const struct wallet *w, const struct wstore_tx *t)
{
	if (!tx_is_coinbase(&t->tx))
		return WALLET_RECEIVE;
	if (!t->confirmed)
		return WALLET_ORPHAN;
	return mature(w, t) ? WALLET_GENERATE : WALLET_IMMATURE;
}

static void fill_entry(const struct wallet *w, struct wallet_tx_entry *e, const struct wstore_tx *t, uint32_t vout,
		       enum wallet_category cat)
{
	const struct txout *o = &t->tx.out[vout];
	memset(e, 0, sizeof(*e));
	memcpy(e->txid, t->tx.txid, 32);
	e->category = cat;
	memcpy(e->addr, o->addr, 20);
	e->vout = vout;
	e->amount = cat == WALLET_SEND ? -o->value : o->value;
	e->confirmations = confirmations(w, t);
	e->trusted = wallet_trusted(w, t, 0);
	e->confirmed = t->confirmed;
	e->abandoned = t->abandoned;
	memcpy(e->block_hash, t->block, 32);
	e->block_height = t->height;
	e->block_pos = t->pos;
	e->time = t->time;
	e->is_asset = o->kind == TXOUT_ASSET;
	if (e->is_asset)
		memcpy(e->asset, o->asset, 32);
	if (cat != WALLET_SEND || hmap_get(&w->keys, o->addr))
		copy_label(w, e->label, o->addr);
}

/* Bitcoin Core's ListTransactions for one transaction: a send line per
 * output it pays away (change excluded), a receive line per output to us.
 * out has room for 2 × n_out entries. */
static size_t tx_entries(const struct wallet *w, const struct wstore_tx *t, struct wallet_tx_entry *out)
{
	struct amounts a;
	size_t n = 0;
	tx_amounts(w, t, &a);
	bool from_me = a.debit > 0;
	for (uint32_t j = 0; j < t->tx.n_out; j++) {
		const struct wallet_key *k = hmap_get(&w->keys, t->tx.out[j].addr);
		if (from_me && k && k->chain == WSTORE_CHANGE)
			continue;
		if (from_me) {
			fill_entry(w, &out[n], t, j, WALLET_SEND);
			out[n].has_fee = a.all_inputs_mine;
			out[n++].fee = a.all_inputs_mine ? a.debit - a.out_total : 0;
		}
		if (k)
			fill_entry(w, &out[n++], t, j, receive_category(w, t));
	}
	return n;
}

int wallet_list_transactions(struct wallet *w, struct wallet_tx_entry **out, size_t *n, char *err)
{
	size_t room = 1;
	*out = NULL;
	*n = 0;
	wallet_refresh_spent(w);
	for (size_t i = 0; i < w->s.n_txs; i++)
		room += 2 * w->s.txs[i]->tx.n_out;
	struct wallet_tx_entry *list = calloc(room, sizeof(*list));
	if (!list)
		return err_set(err, "cannot list transactions: out of memory");
	for (size_t i = 0; i < w->s.n_txs; i++)
		*n += tx_entries(w, w->s.txs[i], list + *n);
	*out = list;
	return WALLET_OK;
}

void wallet_tx_info_release(struct wallet_tx_info *info)
{
	if (!info)
		return;
	tx_release(&info->tx);
	free(info->details);
	memset(info, 0, sizeof(*info));
	tx_init(&info->tx);
}

int wallet_get_transaction(struct wallet *w, struct wallet_tx_info *out, const uint8_t txid[32], char *err)
{
	memset(out, 0, sizeof(*out));
	tx_init(&out->tx);
	const struct wstore_tx *t = hmap_get(&w->txs, txid);
	if (!t) {
		err_set(err, "invalid or non-wallet transaction id");
		return WALLET_NOT_FOUND;
	}
	struct amounts a;
	tx_amounts(w, t, &a);
	out->details = calloc(2 * t->tx.n_out + 1, sizeof(*out->details));
	if (!out->details || tx_copy(&out->tx, &t->tx) != 0) {
		wallet_tx_info_release(out);
		return err_set(err, "cannot read the transaction: out of memory");
	}
	out->n_details = tx_entries(w, t, out->details);
	bool from_me = a.debit > 0;
	out->amount = from_me ? a.credit - a.out_total : a.credit;
	out->has_fee = from_me && a.all_inputs_mine;
	out->fee = out->has_fee ? a.debit - a.out_total : 0;
	out->confirmations = confirmations(w, t);
	out->trusted = wallet_trusted(w, t, 0);
	out->confirmed = t->confirmed;
	out->in_mempool = t->in_mempool;
	memcpy(out->block_hash, t->block, 32);
	out->block_height = t->height;
	out->block_pos = t->pos;
	out->time = t->time;
	return WALLET_OK;
}

/* ---- abandontransaction ---- */

/* True when t spends an output of a transaction marked abandoned. */
static bool spends_abandoned(const struct wallet *w, const struct wstore_tx *t)
{
	for (size_t i = 0; i < t->tx.n_in; i++) {
		const struct wstore_tx *p = hmap_get(&w->txs, t->tx.in[i].prev.txid);
		if (p && p->abandoned)
			return true;
	}
	return false;
}

int wallet_abandon(struct wallet *w, const uint8_t txid[32], char *err)
{
	struct wstore_tx *t = hmap_get(&w->txs, txid);
	if (!t) {
		err_set(err, "invalid or non-wallet transaction id");
		return WALLET_NOT_FOUND;
	}
	if (wallet_tx_active(t) || tx_is_coinbase(&t->tx)) {
		err_set(err, "transaction not eligible for abandonment");
		return WALLET_INVALID_PARAMETER;
	}
	t->abandoned = true;
	wstore_tx_touch(&w->s, t);
	/* Its inactive descendants among the wallet's go with it (Core's
	 * AbandonTransaction); the list is in arrival order, so one pass
	 * reaches children after their parents. */
	for (size_t i = 0; i < w->s.n_txs; i++) {
		struct wstore_tx *d = w->s.txs[i];
		if (!d->abandoned && !wallet_tx_active(d) && !tx_is_coinbase(&d->tx) && spends_abandoned(w, d)) {
			d->abandoned = true;
			wstore_tx_touch(&w->s, d);
		}
	}
	return wallet_save_now(w, err);
}

/* ---- lockunspent ---- */

static int lock_one(struct wallet *w, const struct outpoint *op, bool persistent, char *err)
{
	uint8_t k[36];
	outpoint_write(k, op);
	const struct wallet_out *o = wallet_find_out(w, op);
	if (!o) {
		err_set(err, "invalid parameter, unknown transaction or output");
		return WALLET_NOT_FOUND;
	}
	if (o->spent || !wallet_tx_active(o->wtx)) {
		err_set(err, "invalid parameter, expected unspent output");
		return WALLET_INVALID_PARAMETER;
	}
	if (hmap_get(&w->locked, k)) {
		err_set(err, "invalid parameter, output already locked");
		return WALLET_INVALID_PARAMETER;
	}
	if (hmap_put(&w->locked, k, persistent ? WALLET_LOCK_PERSISTENT : WALLET_LOCK_MEMORY) != 0)
		return err_set(err, "cannot lock: out of memory");
	if (persistent && wstore_lock(&w->s, op) != 0) {
		hmap_del(&w->locked, k);
		return err_set(err, "cannot lock: out of memory");
	}
	return WALLET_OK;
}

/* Unlocking drops a persistent lock's record too, as Bitcoin Core does
 * whatever `persistent` says. *was is the lock's value, for an undo. */
static int unlock_one(struct wallet *w, const struct outpoint *op, void **was, char *err)
{
	uint8_t k[36];
	outpoint_write(k, op);
	*was = hmap_get(&w->locked, k);
	if (!*was) {
		err_set(err, "invalid parameter, expected locked output");
		return WALLET_INVALID_PARAMETER;
	}
	if (*was == WALLET_LOCK_PERSISTENT && wstore_unlock(&w->s, op) != 0)
		return err_set(err, "cannot unlock: out of memory");
	hmap_del(&w->locked, k);
	return WALLET_OK;
}

/* Puts back what unlock_one took (an undo: on no memory the lock stays
 * released). */
static void relock(struct wallet *w, const struct outpoint *op, void *was)
{
	uint8_t k[36];
	outpoint_write(k, op);
	if (hmap_put(&w->locked, k, was) == 0 && was == WALLET_LOCK_PERSISTENT && wstore_lock(&w->s, op) != 0)
		hmap_del(&w->locked, k);
}

int wallet_lock_coins(struct wallet *w, const struct outpoint *ops, size_t n, bool unlock, bool persistent, char *err)
{
	void **was = unlock ? calloc(n ? n : 1, sizeof(*was)) : NULL;
	size_t i = 0;
	int r = WALLET_OK;
	if (unlock && !was)
		return err_set(err, "cannot unlock: out of memory");
	wallet_refresh_spent(w);
	for (; r == WALLET_OK && i < n; i++)
		r = unlock ? unlock_one(w, &ops[i], &was[i], err) : lock_one(w, &ops[i], persistent, err);
	/* All or nothing, as Bitcoin Core: a refused output puts back the ones
	 * before it as they were. */
	for (size_t k = 0; r != WALLET_OK && k + 1 < i; k++) {
		void *ignored;
		char why[ERR_LEN];
		if (unlock)
			relock(w, &ops[k], was[k]);
		else
			(void)unlock_one(w, &ops[k], &ignored, why);
	}
	free(was);
	if (r == WALLET_OK && w->s.n_lock_changes)
		r = wallet_save_now(w, err);
	return r;
}

int wallet_unlock_all_coins(struct wallet *w, char *err)
{
	for (size_t i = w->s.n_locks; i-- > 0;)
		if (wstore_unlock(&w->s, &w->s.locks[i]) != 0)
			return err_set(err, "cannot unlock: out of memory");
	hmap_release(&w->locked);
	hmap_init(&w->locked, 36);
	return w->s.n_lock_changes ? wallet_save_now(w, err) : WALLET_OK;
}

int wallet_list_locked(struct wallet *w, struct outpoint **out, size_t *n, char *err)
{
	const void *key;
	void *val;
	*n = 0;
	*out = calloc(w->locked.count + 1, sizeof(**out));
	if (!*out)
		return err_set(err, "cannot list locked outputs: out of memory");
	for (size_t it = 0; hmap_next(&w->locked, &it, &key, &val);) {
		const uint8_t *k = key;
		struct outpoint *op = &(*out)[(*n)++];
		memcpy(op->txid, k, 32);
		op->index = (uint32_t)k[32] | (uint32_t)k[33] << 8 | (uint32_t)k[34] << 16 | (uint32_t)k[35] << 24;
	}
	qsort(*out, *n, sizeof(**out), cmp_outpoint_q);
	return WALLET_OK;
}

/* ---- assets ---- */

int wallet_list_assets(struct wallet *w, struct wallet_asset **out, size_t *n, char *err)
{
	const struct wallet_out *o;
	*n = 0;
	wallet_refresh_spent(w);
	*out = calloc(w->n_outs + 1, sizeof(**out));
	if (!*out)
		return err_set(err, "cannot list assets: out of memory");
	for (struct wallet_out_iter it = { 0 }; (o = wallet_out_next(w, &it));) {
		const struct txout *x = wallet_out_txout(o);
		if (o->spent || !wallet_tx_active(o->wtx) || x->kind != TXOUT_ASSET)
			continue;
		struct wallet_asset *a = &(*out)[(*n)++];
		memcpy(a->asset, x->asset, 32);
		a->op = wallet_out_op(o);
		memcpy(a->addr, x->addr, 20);
		a->value = x->value;
		a->confirmations = confirmations(w, o->wtx);
		a->meta_len = x->meta_len;
		if (x->meta_len)
			memcpy(a->meta, x->meta, x->meta_len);
	}
	return WALLET_OK;
}
