#include "chain/addrindex.h"

#include <stdlib.h>
#include <string.h>

#include "chain/coin.h"
#include "chain/dbkeys.h"
#include "chain/mempool.h"
#include "chain/store.h"
#include "util/hmap.h"

struct addrindex {
	struct chainstate *cs;
	struct store *s;
	bool checked; /* the marker found at start has been looked at */
	bool wiping;  /* clearing what an earlier run left */
};

/* --- keys and values --- */

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void addrindex_delta_key(uint8_t out[ADDRINDEX_DELTA_KEY], const struct addrindex_delta *d)
{
	out[0] = DB_ADDR_DELTA;
	memcpy(out + 1, d->addr, 20);
	put_be32(out + 21, d->height);
	put_be32(out + 25, d->pos);
	put_be32(out + 29, d->index);
	out[33] = d->spending;
}

void addrindex_delta_val(uint8_t out[ADDRINDEX_DELTA_VAL], const struct addrindex_delta *d)
{
	put_le(out, (uint64_t)d->amount, 8);
	memcpy(out + 8, d->txid, 32);
}

bool addrindex_delta_read(struct addrindex_delta *out, const uint8_t *key, size_t klen, const uint8_t *val,
			  size_t vlen)
{
	memset(out, 0, sizeof(*out));
	if (klen != ADDRINDEX_DELTA_KEY || vlen != ADDRINDEX_DELTA_VAL || key[0] != DB_ADDR_DELTA || key[33] > 1)
		return false;
	memcpy(out->addr, key + 1, 20);
	out->height = get_be32(key + 21);
	out->pos = get_be32(key + 25);
	out->index = get_be32(key + 29);
	out->spending = key[33];
	out->amount = (int64_t)get_le(val, 8);
	memcpy(out->txid, val + 8, 32);
	return true;
}

void addrindex_utxo_key(uint8_t out[ADDRINDEX_UTXO_KEY], const struct addrindex_utxo *u)
{
	out[0] = DB_ADDR_UTXO;
	memcpy(out + 1, u->addr, 20);
	memcpy(out + 21, u->txid, 32);
	put_be32(out + 53, u->index);
}

void addrindex_utxo_val(uint8_t out[ADDRINDEX_UTXO_VAL], const struct addrindex_utxo *u)
{
	put_le(out, (uint64_t)u->amount, 8);
	put_le(out + 8, u->height, 4);
	put_le(out + 12, u->pos, 4);
	out[16] = u->coinbase;
}

bool addrindex_utxo_read(struct addrindex_utxo *out, const uint8_t *key, size_t klen, const uint8_t *val,
			 size_t vlen)
{
	memset(out, 0, sizeof(*out));
	if (klen != ADDRINDEX_UTXO_KEY || vlen != ADDRINDEX_UTXO_VAL || key[0] != DB_ADDR_UTXO || val[16] > 1)
		return false;
	memcpy(out->addr, key + 1, 20);
	memcpy(out->txid, key + 21, 32);
	out->index = get_be32(key + 53);
	out->amount = (int64_t)get_le(val, 8);
	out->height = (uint32_t)get_le(val + 8, 4);
	out->pos = (uint32_t)get_le(val + 12, 4);
	out->coinbase = val[16];
	return true;
}

/* --- one block's records --- */

static void put_delta(struct store_batch *batch, bool connect, const struct addrindex_delta *d)
{
	uint8_t k[ADDRINDEX_DELTA_KEY], v[ADDRINDEX_DELTA_VAL];
	addrindex_delta_key(k, d);
	if (!connect) {
		store_batch_del(batch, k, sizeof(k));
		return;
	}
	addrindex_delta_val(v, d);
	store_batch_put(batch, k, sizeof(k), v, sizeof(v));
}

static void put_utxo(struct store_batch *batch, bool add, const struct addrindex_utxo *u)
{
	uint8_t k[ADDRINDEX_UTXO_KEY], v[ADDRINDEX_UTXO_VAL];
	addrindex_utxo_key(k, u);
	if (!add) {
		store_batch_del(batch, k, sizeof(k));
		return;
	}
	addrindex_utxo_val(v, u);
	store_batch_put(batch, k, sizeof(k), v, sizeof(v));
}

/* The receipts of tx's outputs: added on connect, removed on disconnect. */
static void tx_outputs(struct store_batch *batch, bool connect, const struct tx *tx, uint32_t height, uint32_t pos)
{
	for (uint32_t k = 0; k < tx->n_out; k++) {
		struct addrindex_delta d = { .height = height, .pos = pos, .index = k, .amount = tx->out[k].value };
		struct addrindex_utxo u = { .index = k, .height = height, .pos = pos, .amount = tx->out[k].value,
					    .coinbase = pos == 0 };
		memcpy(d.addr, tx->out[k].addr, 20);
		memcpy(d.txid, tx->txid, 32);
		memcpy(u.addr, tx->out[k].addr, 20);
		memcpy(u.txid, tx->txid, 32);
		put_delta(batch, connect, &d);
		put_utxo(batch, connect, &u);
	}
}

/* Where the transaction that created a spent coin sits in its block: the
 * unspent record put back on disconnect needs it, and the coin does not
 * keep it. */
static int coin_pos(struct addrindex *ai, const uint8_t txid[32], uint32_t *pos, char *err)
{
	struct block_index *bi;
	if (chainstate_find_tx(ai->cs, txid, &bi, pos) != 1)
		return err_set(err, "the transaction index has no transaction that a spent coin came from");
	return 0;
}

/* The spends of tx's inputs (coins, in input order): on connect a delta
 * each and the unspent record gone; on disconnect the reverse. */
static int tx_inputs(struct addrindex *ai, struct store_batch *batch, bool connect, const struct tx *tx,
		     const struct coin *coins, uint32_t height, uint32_t pos, char *err)
{
	for (uint32_t j = 0; j < tx->n_in; j++) {
		const struct coin *c = &coins[j];
		struct addrindex_delta d = { .height = height, .pos = pos, .index = j, .spending = true,
					     .amount = -c->out.value };
		struct addrindex_utxo u = { .index = tx->in[j].prev.index, .height = c->height, .amount = c->out.value,
					    .coinbase = c->coinbase };
		memcpy(d.addr, c->out.addr, 20);
		memcpy(d.txid, tx->txid, 32);
		memcpy(u.addr, c->out.addr, 20);
		memcpy(u.txid, tx->in[j].prev.txid, 32);
		put_delta(batch, connect, &d);
		if (!connect && coin_pos(ai, u.txid, &u.pos, err) != 0)
			return -1;
		put_utxo(batch, !connect, &u);
	}
	return 0;
}

static void coins_free(struct coin *coins, size_t n)
{
	for (size_t i = 0; i < n; i++)
		coin_release(&coins[i]);
	free(coins);
}

/* The spent coins of b, parsed: as many as b's inputs, or -1 with err. */
static int read_spent(const struct block *b, uint32_t height, const uint8_t *spent, size_t len, struct coin **out, char *err)
{
	size_t want = 0, n = 0;
	struct cursor c = cursor_make(spent, len);
	for (size_t i = 1; i < b->n_tx; i++)
		want += b->txs[i].n_in;
	*out = calloc(want ? want : 1, sizeof(**out));
	if (!*out)
		return err_set(err, "out of memory");
	for (; n < want; n++)
		if (coin_read(&c, &(*out)[n], NULL) != 0)
			break;
	if (n < want || !cursor_done(&c)) {
		coins_free(*out, n);
		*out = NULL;
		return err_set(err, "the spent coins of block at height %u do not match its inputs", height);
	}
	return 0;
}

/* Adds to batch every record block b (at bi) adds on connect, or removes
 * them on disconnect, with the marker moved; *count grows by the records.
 * A disconnect goes newest transaction first, so a coin created and spent
 * within b comes back with its spender and goes again with its creator. */
static int index_block(struct addrindex *ai, bool connect, const struct block *b, const struct block_index *bi,
		       const uint8_t *spent, size_t len, struct store_batch *batch, size_t *count, char *err)
{
	struct coin *coins;
	if (read_spent(b, bi->height, spent, len, &coins, err) != 0)
		return -1;
	size_t at = 0, n_in = 0;
	int r = 0;
	for (size_t i = 1; i < b->n_tx; i++)
		n_in += b->txs[i].n_in;
	at = connect ? 0 : n_in;
	for (size_t k = 0; k < b->n_tx && r == 0; k++) {
		size_t i = connect ? k : b->n_tx - 1 - k;
		const struct tx *tx = &b->txs[i];
		if (!connect) {
			tx_outputs(batch, false, tx, bi->height, (uint32_t)i);
			at -= i > 0 ? tx->n_in : 0;
		}
		if (i > 0)
			r = tx_inputs(ai, batch, connect, tx, coins + at, bi->height, (uint32_t)i, err);
		if (connect) {
			tx_outputs(batch, true, tx, bi->height, (uint32_t)i);
			at += i > 0 ? tx->n_in : 0;
		}
		*count += tx->n_in + tx->n_out;
	}
	coins_free(coins, n_in);
	if (r != 0)
		return -1;
	struct dbkey km = dbkey_single(DB_ADDR_BEST);
	if (connect)
		store_batch_put(batch, km.b, km.len, bi->hash, 32);
	else if (bi->prev)
		store_batch_put(batch, km.b, km.len, bi->prev->hash, 32);
	else
		store_batch_del(batch, km.b, km.len);
	return 0;
}

/* --- the marker --- */

/* 1 with the marker's hash, 0 when there is none, -1 on a store error or
 * a malformed marker. */
static int read_marker(struct addrindex *ai, uint8_t hash[32], char *err)
{
	struct dbkey km = dbkey_single(DB_ADDR_BEST);
	uint8_t *val;
	size_t len;
	int r = store_get(ai->s, km.b, km.len, &val, &len, err);
	if (r <= 0)
		return r;
	if (len == 32)
		memcpy(hash, val, 32);
	store_free(val);
	return len == 32 ? 1 : err_set(err, "the address index's marker is malformed");
}

struct block_index *addrindex_best(struct addrindex *ai)
{
	uint8_t hash[32];
	if (read_marker(ai, hash, NULL) != 1)
		return NULL;
	struct block_index *bi = chainstate_lookup(ai->cs, hash);
	return chainstate_on_best(ai->cs, bi) ? bi : NULL;
}

bool addrindex_synced(struct addrindex *ai)
{
	struct block_index *best = addrindex_best(ai);
	return best && best == chainstate_tip(ai->cs);
}

/* The chainstate's writer: the index moves with the tip only when it is
 * at the tip already; while it is behind, the build catches up. */
static int write_block(void *ctx, bool connect, const struct block *b, const struct block_index *bi,
		       const uint8_t *spent, size_t len, struct store_batch *batch, char *err)
{
	struct addrindex *ai = ctx;
	uint8_t hash[32];
	size_t count = 0;
	int r = read_marker(ai, hash, err);
	if (r < 0)
		return -1;
	const uint8_t *want = connect ? (bi->prev ? bi->prev->hash : NULL) : bi->hash;
	if (r == 0 || !want || memcmp(hash, want, 32) != 0 || ai->wiping)
		return 0;
	return index_block(ai, connect, b, bi, spent, len, batch, &count, err);
}

struct connect_writer addrindex_writer(struct addrindex *ai)
{
	return (struct connect_writer){ write_block, ai };
}

/* --- building --- */

struct addrindex *addrindex_new(struct chainstate *cs)
{
	struct addrindex *ai = calloc(1, sizeof(*ai));
	if (ai) {
		ai->cs = cs;
		ai->s = chainstate_store(cs);
	}
	return ai;
}

void addrindex_free(struct addrindex *ai)
{
	free(ai);
}

/* At the first step: records whose marker is gone (a clear cut short) or
 * names a block off the best chain (the node ran without the index through
 * a reorganisation) cannot be trusted, and are cleared. */
static int check_marker(struct addrindex *ai, char *err)
{
	uint8_t hash[32];
	int r = read_marker(ai, hash, err);
	if (r < 0)
		return -1;
	ai->wiping = r == 0 || !chainstate_on_best(ai->cs, chainstate_lookup(ai->cs, hash));
	ai->checked = true;
	return 0;
}

/* Deletes up to budget records of one prefix into batch; how many. */
static size_t wipe_prefix(struct addrindex *ai, uint8_t prefix, size_t budget, struct store_batch *batch)
{
	struct store_iter *it = store_iter_new(ai->s, &prefix, 1);
	const uint8_t *k, *v;
	size_t kl, vl, n = 0;
	while (it && n < budget && store_iter_next(it, &k, &kl, &v, &vl)) {
		store_batch_del(batch, k, kl);
		n++;
	}
	store_iter_free(it);
	return n;
}

/* 1 while records are left to delete, 0 once none are. */
static int wipe_step(struct addrindex *ai, size_t budget, char *err)
{
	struct store_batch *batch = store_batch_new();
	struct dbkey km = dbkey_single(DB_ADDR_BEST);
	if (!batch)
		return err_set(err, "out of memory");
	store_batch_del(batch, km.b, km.len);
	size_t n = wipe_prefix(ai, DB_ADDR_DELTA, budget, batch);
	if (n < budget)
		n += wipe_prefix(ai, DB_ADDR_UTXO, budget - n, batch);
	int r = store_write(ai->s, batch, false, err);
	store_batch_free(batch);
	if (r != 0)
		return -1;
	return n > 0;
}

/* The undo record of a stored block on the best chain: *val (store_free
 * it) and *len. The genesis block's may be empty. */
static int read_undo(struct addrindex *ai, const struct block_index *bi, uint8_t **val, size_t *len, char *err)
{
	struct dbkey k = dbkey_hash(DB_UNDO, bi->hash);
	int r = store_get(ai->s, k.b, k.len, val, len, err);
	if (r == 1)
		return 0;
	*val = NULL;
	*len = 0;
	if (r == 0 && bi->height == 0)
		return 0;
	return r < 0 ? -1 : err_set(err, "undo data of block at height %u is missing", bi->height);
}

/* Indexes one stored block of the best chain, the child of the marker. */
static int build_block(struct addrindex *ai, struct block_index *bi, size_t *count, char *err)
{
	struct block b;
	uint8_t *undo;
	size_t len;
	if (chainstate_read_block(ai->cs, bi, &b, err) != 0)
		return -1;
	if (read_undo(ai, bi, &undo, &len, err) != 0) {
		block_release(&b);
		return -1;
	}
	struct store_batch *batch = store_batch_new();
	int r = batch ? index_block(ai, true, &b, bi, undo, len, batch, count, err) : err_set(err, "out of memory");
	if (r == 0)
		r = store_write(ai->s, batch, false, err);
	store_batch_free(batch);
	store_free(undo);
	block_release(&b);
	return r;
}

int addrindex_build_step(struct addrindex *ai, size_t budget, char *err)
{
	if (!ai->checked && check_marker(ai, err) != 0)
		return -1;
	if (ai->wiping) {
		int r = wipe_step(ai, budget ? budget : 1, err);
		if (r != 0)
			return r;
		ai->wiping = false;
		return 1;
	}
	size_t count = 0;
	do {
		uint8_t hash[32];
		int r = read_marker(ai, hash, err);
		if (r < 0)
			return -1;
		struct block_index *best = r ? chainstate_lookup(ai->cs, hash) : NULL;
		if (r && !chainstate_on_best(ai->cs, best)) {
			ai->wiping = true; /* cannot happen while the writer is set */
			return 1;
		}
		struct block_index *next = chainstate_at(ai->cs, best ? best->height + 1 : 0);
		if (!next)
			return 0;
		if (build_block(ai, next, &count, err) != 0)
			return -1;
	} while (count < budget);
	return addrindex_synced(ai) ? 0 : 1;
}

/* --- queries --- */

/* One address's deltas, read in key order: the head of its stream. */
struct head {
	struct store_iter *it;
	bool live;
	uint8_t key[ADDRINDEX_DELTA_KEY];
	struct addrindex_delta d;
};

static int head_next(struct head *h, uint32_t end, char *err)
{
	const uint8_t *k, *v;
	size_t kl, vl;
	h->live = false;
	if (!store_iter_next(h->it, &k, &kl, &v, &vl))
		return 0;
	if (!addrindex_delta_read(&h->d, k, kl, v, vl))
		return err_set(err, "the address index is corrupt");
	memcpy(h->key, k, kl);
	h->live = h->d.height <= end;
	return 0;
}

static int head_open(struct addrindex *ai, struct head *h, const uint8_t addr[20], uint32_t start, uint32_t end,
		     char *err)
{
	uint8_t from[25];
	from[0] = DB_ADDR_DELTA;
	memcpy(from + 1, addr, 20);
	put_be32(from + 21, start);
	if (!(h->it = store_iter_new(ai->s, from, 21)) || store_iter_from(h->it, from, sizeof(from)) != 0)
		return err_set(err, "out of memory");
	return head_next(h, end, err);
}

/* The live head whose key (past the address) is least; NULL when none. */
static struct head *least(struct head *h, size_t n)
{
	struct head *best = NULL;
	for (size_t i = 0; i < n; i++)
		if (h[i].live && (!best || memcmp(h[i].key + 21, best->key + 21, ADDRINDEX_DELTA_KEY - 21) < 0))
			best = &h[i];
	return best;
}

int addrindex_deltas(struct addrindex *ai, const uint8_t (*addrs)[20], size_t n, uint32_t start, uint32_t end,
		     int (*fn)(void *ctx, const struct addrindex_delta *d), void *ctx, char *err)
{
	struct head *h = calloc(n ? n : 1, sizeof(*h));
	int r = h ? 0 : err_set(err, "out of memory");
	for (size_t i = 0; i < n && r == 0; i++)
		r = head_open(ai, &h[i], addrs[i], start, end, err);
	for (struct head *x; r == 0 && (x = least(h, n));) {
		int f = fn(ctx, &x->d);
		if (f != 0) {
			r = f < 0 ? err_set(err, "out of memory") : 0;
			break;
		}
		r = head_next(x, end, err);
	}
	for (size_t i = 0; h && i < n; i++)
		store_iter_free(h[i].it);
	free(h);
	return r;
}

struct sums {
	int64_t balance, received;
};

static int add_delta(void *ctx, const struct addrindex_delta *d)
{
	struct sums *s = ctx;
	s->balance += d->amount;
	if (d->amount > 0)
		s->received += d->amount;
	return 0;
}

int addrindex_balance(struct addrindex *ai, const uint8_t (*addrs)[20], size_t n, int64_t *balance,
		      int64_t *received, char *err)
{
	struct sums s = { 0, 0 };
	int r = addrindex_deltas(ai, addrs, n, 0, UINT32_MAX, add_delta, &s, err);
	*balance = r == 0 ? s.balance : 0;
	*received = r == 0 ? s.received : 0;
	return r;
}

static int utxo_cmp(const void *a, const void *b)
{
	const struct addrindex_utxo *x = a, *y = b;
	if (x->height != y->height)
		return x->height < y->height ? -1 : 1;
	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index; /* one output, one address */
}

static int push_utxo(struct addrindex_utxo **list, size_t *n, size_t *cap, const struct addrindex_utxo *u)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		void *p = realloc(*list, c * sizeof(**list));
		if (!p)
			return -1;
		*list = p;
		*cap = c;
	}
	(*list)[(*n)++] = *u;
	return 0;
}

static int utxos_of(struct addrindex *ai, const uint8_t addr[20], struct addrindex_utxo **list, size_t *n,
		    size_t *cap, char *err)
{
	uint8_t prefix[21] = { DB_ADDR_UTXO };
	const uint8_t *k, *v;
	size_t kl, vl;
	memcpy(prefix + 1, addr, 20);
	struct store_iter *it = store_iter_new(ai->s, prefix, sizeof(prefix));
	int r = it ? 0 : err_set(err, "out of memory");
	while (r == 0 && store_iter_next(it, &k, &kl, &v, &vl)) {
		struct addrindex_utxo u;
		if (!addrindex_utxo_read(&u, k, kl, v, vl))
			r = err_set(err, "the address index is corrupt");
		else if (push_utxo(list, n, cap, &u) != 0)
			r = err_set(err, "out of memory");
	}
	store_iter_free(it);
	return r;
}

int addrindex_utxos(struct addrindex *ai, const uint8_t (*addrs)[20], size_t n, struct addrindex_utxo **out,
		    size_t *n_out, char *err)
{
	size_t cap = 0;
	int r = 0;
	*out = NULL;
	*n_out = 0;
	for (size_t i = 0; i < n && r == 0; i++)
		r = utxos_of(ai, addrs[i], out, n_out, &cap, err);
	if (r != 0) {
		free(*out);
		*out = NULL;
		*n_out = 0;
		return -1;
	}
	if (*n_out)
		qsort(*out, *n_out, sizeof(**out), utxo_cmp);
	return 0;
}

/* --- the pool --- */

struct pending_list {
	struct addrindex_pending *v;
	size_t n, cap;
};

static int push_pending(struct pending_list *l, const struct addrindex_pending *p)
{
	if (l->n == l->cap) {
		size_t c = l->cap ? l->cap * 2 : 16;
		void *grown = realloc(l->v, c * sizeof(*l->v));
		if (!grown)
			return -1;
		l->v = grown;
		l->cap = c;
	}
	l->v[l->n++] = *p;
	return 0;
}

/* The output an input of a pool transaction spends: a pool parent's or
 * the chain's. 1 with amount and addr, 0 when neither has it. */
static int spent_output(struct mempool *mp, struct chainstate *cs, const struct outpoint *op, int64_t *amount,
			uint8_t addr[20])
{
	const struct tx *parent = mempool_get(mp, op->txid);
	if (parent) {
		if (op->index >= parent->n_out)
			return 0;
		*amount = parent->out[op->index].value;
		memcpy(addr, parent->out[op->index].addr, 20);
		return 1;
	}
	struct coin c;
	int r = chainstate_get_coin(cs, op, &c);
	if (r == 1) {
		*amount = c.out.value;
		memcpy(addr, c.out.addr, 20);
		coin_release(&c);
	}
	return r;
}

static int pending_of_tx(struct mempool *mp, struct chainstate *cs, const struct hmap *set, const struct tx *tx,
			 struct pending_list *l)
{
	struct addrindex_pending p = { 0 };
	size_t first = l->n;
	memcpy(p.txid, tx->txid, 32);
	for (uint32_t k = 0; k < tx->n_out; k++) {
		if (!hmap_get(set, tx->out[k].addr))
			continue;
		memcpy(p.addr, tx->out[k].addr, 20);
		p.index = k;
		p.amount = tx->out[k].value;
		if (push_pending(l, &p) != 0)
			return -1;
	}
	p.spending = true;
	for (uint32_t j = 0; j < tx->n_in; j++) {
		int64_t amount = 0;
		int r = spent_output(mp, cs, &tx->in[j].prev, &amount, p.addr);
		if (r < 0)
			return -1;
		if (r == 0 || !hmap_get(set, p.addr))
			continue;
		p.index = j;
		p.amount = -amount;
		p.prev = tx->in[j].prev;
		if (push_pending(l, &p) != 0)
			return -1;
	}
	if (l->n > first) {
		struct mempool_entry_info info;
		if (mempool_entry(mp, tx->txid, &info) == 1) {
			for (size_t i = first; i < l->n; i++)
				l->v[i].time = info.time;
			mempool_entry_info_release(&info);
		}
	}
	return 0;
}

static int pending_cmp(const void *a, const void *b)
{
	const struct addrindex_pending *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	int c = memcmp(x->txid, y->txid, 32);
	if (c)
		return c;
	if (x->spending != y->spending)
		return x->spending ? 1 : -1;
	return x->index < y->index ? -1 : x->index > y->index;
}

int addrindex_mempool(struct mempool *mp, struct chainstate *cs, const uint8_t (*addrs)[20], size_t n,
		      struct addrindex_pending **out, size_t *n_out, char *err)
{
	struct hmap set;
	struct pending_list l = { 0 };
	const struct tx *tx;
	int r = 0;
	*out = NULL;
	*n_out = 0;
	hmap_init(&set, 20);
	for (size_t i = 0; i < n && r == 0; i++)
		r = hmap_put(&set, addrs[i], (void *)1);
	for (size_t it = 0; r == 0 && (tx = mempool_next(mp, &it));)
		r = pending_of_tx(mp, cs, &set, tx, &l);
	hmap_release(&set);
	if (r != 0) {
		free(l.v);
		return err_set(err, "out of memory or a store error reading the pool's inputs");
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), pending_cmp);
	*out = l.v;
	*n_out = l.n;
	return 0;
}
