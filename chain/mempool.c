#include "chain/mempool.h"

#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"
#include "chain/orphans.h"
#include "util/file.h"
#include "util/log.h"

/* A list of entries, used for links, asset slots and walks. */
struct evec {
	struct entry **v;
	size_t n, cap;
};

struct entry {
	struct tx tx;
	int64_t fee;
	size_t usage;
	uint64_t time;
	uint64_t seq;   /* arrival order */
	uint32_t height;
	struct evec parents, children; /* in-pool links, each entry once */
	uint8_t *reg;   /* per output: 1 when it registers its asset; NULL without asset outputs */
	/* Scratch for walks, eviction planning and selection. */
	uint64_t mark;
	bool keep, evict;
	size_t pending;
};

/* A transaction of a disconnected block, waiting for mempool_reorg_done. */
struct queued {
	struct tx tx;
	uint32_t height;
	size_t pos;
};

struct mempool {
	struct chainstate *cs;
	struct mempool_opts o;
	struct mempool_events ev;
	struct hmap txs;      /* txid -> entry (owned) */
	struct hmap spenders; /* outpoint -> entry spending it */
	struct hmap assets;   /* asset id -> struct evec * of entries with an output of it */
	struct orphans orphans;
	struct queued *queue;
	size_t n_queue, cap_queue, queue_bytes;
	size_t bytes, usage;
	int64_t total_fee;
	uint64_t seq, epoch;
	uint64_t oldest; /* no entry is older (may be stale-low) */
};

/* --- small helpers --- */

static int evec_push(struct evec *a, struct entry *e)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 4;
		void *p = realloc(a->v, cap * sizeof(*a->v));
		if (!p)
			return -1;
		a->v = p;
		a->cap = cap;
	}
	a->v[a->n++] = e;
	return 0;
}

static bool evec_has(const struct evec *a, const struct entry *e)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i] == e)
			return true;
	return false;
}

static void evec_remove(struct evec *a, const struct entry *e)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i] == e) {
			memmove(a->v + i, a->v + i + 1, (a->n - i - 1) * sizeof(*a->v));
			a->n--;
			return;
		}
}

static void evec_release(struct evec *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* Units per 1,000 bytes; exact enough to order entries (fee <= MAX_MONEY
 * keeps fee * 1000 inside int64). */
static int64_t fee_rate(int64_t fee, size_t size)
{
	return size ? fee * 1000 / (int64_t)size : 0;
}

/* The fee a rate asks of size bytes, at least one unit when the rate is
 * not zero (Bitcoin Core's CFeeRate::GetFee). */
static int64_t fee_for(int64_t rate, size_t size)
{
	int64_t f = (rate / 1000) * (int64_t)size + (rate % 1000) * (int64_t)size / 1000;
	return f == 0 && rate > 0 ? 1 : f;
}

static size_t entry_usage(const struct tx *tx)
{
	return tx->size + MEMPOOL_ENTRY_OVERHEAD + tx->n_in * MEMPOOL_INPUT_OVERHEAD +
	       tx->n_out * MEMPOOL_OUTPUT_OVERHEAD;
}

static struct entry *find(const struct mempool *mp, const uint8_t txid[32])
{
	return hmap_get(&mp->txs, txid);
}

static struct entry *spender_of(const struct mempool *mp, const struct outpoint *op)
{
	uint8_t key[36];
	outpoint_write(key, op);
	return hmap_get(&mp->spenders, key);
}

static uint32_t next_height(const struct mempool *mp)
{
	return chainstate_tip(mp->cs)->height + 1;
}

/* --- options, life cycle --- */

void mempool_opts_default(struct mempool_opts *o)
{
	o->max_bytes = MEMPOOL_DEFAULT_MAX_BYTES;
	o->min_relay_fee = MEMPOOL_DEFAULT_MIN_RELAY_FEE;
	o->max_tx_size = MEMPOOL_DEFAULT_MAX_TX_SIZE;
	o->chain_limit = MEMPOOL_DEFAULT_CHAIN_LIMIT;
	o->max_orphans = MEMPOOL_DEFAULT_MAX_ORPHANS;
	o->max_orphan_size = MEMPOOL_DEFAULT_MAX_ORPHAN_SIZE;
	o->orphan_lifetime = MEMPOOL_DEFAULT_ORPHAN_LIFETIME;
	o->expiry = MEMPOOL_DEFAULT_EXPIRY;
}

struct mempool *mempool_new(struct chainstate *cs, const struct mempool_opts *o)
{
	struct mempool_opts d;
	if (!o) {
		mempool_opts_default(&d);
		o = &d;
	}
	if (!cs || !money_range(o->min_relay_fee) || o->chain_limit == 0)
		return NULL;
	struct mempool *mp = calloc(1, sizeof(*mp));
	if (!mp)
		return NULL;
	mp->cs = cs;
	mp->o = *o;
	hmap_init(&mp->txs, 32);
	hmap_init(&mp->spenders, 36);
	hmap_init(&mp->assets, 32);
	orphans_init(&mp->orphans, o->max_orphans, o->max_orphan_size, o->orphan_lifetime);
	mp->oldest = UINT64_MAX;
	return mp;
}

static void entry_free(struct entry *e)
{
	tx_release(&e->tx);
	evec_release(&e->parents);
	evec_release(&e->children);
	free(e->reg);
	free(e);
}

static void queue_clear(struct mempool *mp)
{
	for (size_t i = 0; i < mp->n_queue; i++)
		tx_release(&mp->queue[i].tx);
	free(mp->queue);
	mp->queue = NULL;
	mp->n_queue = mp->cap_queue = mp->queue_bytes = 0;
}

void mempool_free(struct mempool *mp)
{
	const void *k;
	void *v;
	if (!mp)
		return;
	for (size_t it = 0; hmap_next(&mp->txs, &it, &k, &v);)
		entry_free(v);
	for (size_t it = 0; hmap_next(&mp->assets, &it, &k, &v);) {
		evec_release(v);
		free(v);
	}
	hmap_release(&mp->txs);
	hmap_release(&mp->spenders);
	hmap_release(&mp->assets);
	orphans_release(&mp->orphans);
	queue_clear(mp);
	free(mp);
}

void mempool_set_events(struct mempool *mp, const struct mempool_events *ev)
{
	if (ev)
		mp->ev = *ev;
	else
		memset(&mp->ev, 0, sizeof(mp->ev));
}

const char *mempool_removal_name(enum mempool_removal r)
{
	static const char *names[] = { "expiry", "sizelimit", "reorg", "block", "conflict" };
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

/* --- walks over the in-pool links --- */

/* Collects e and its ancestors (up) or descendants (down) into out, each
 * once, e first. -1 on no memory (out then holds part of the set). */
static int walk(struct mempool *mp, struct entry *e, bool up, struct evec *out)
{
	uint64_t mark = ++mp->epoch;
	out->n = 0;
	e->mark = mark;
	if (evec_push(out, e) != 0)
		return -1;
	for (size_t i = 0; i < out->n; i++) {
		const struct evec *next = up ? &out->v[i]->parents : &out->v[i]->children;
		for (size_t j = 0; j < next->n; j++) {
			if (next->v[j]->mark == mark)
				continue;
			next->v[j]->mark = mark;
			if (evec_push(out, next->v[j]) != 0)
				return -1;
		}
	}
	return 0;
}

/* --- the asset slots --- */

static struct evec *asset_slot(const struct mempool *mp, const uint8_t id[32])
{
	return hmap_get(&mp->assets, id);
}

static int slot_add(struct mempool *mp, const uint8_t id[32], struct entry *e)
{
	struct evec *s = asset_slot(mp, id);
	if (!s) {
		if (!(s = calloc(1, sizeof(*s))))
			return -1;
		if (hmap_put(&mp->assets, id, s) != 0) {
			free(s);
			return -1;
		}
	}
	return evec_has(s, e) ? 0 : evec_push(s, e);
}

static void slot_remove(struct mempool *mp, const uint8_t id[32], const struct entry *e)
{
	struct evec *s = asset_slot(mp, id);
	if (!s)
		return;
	evec_remove(s, e);
	if (s->n == 0) {
		hmap_del(&mp->assets, id);
		evec_release(s);
		free(s);
	}
}

/* --- adding and removing entries --- */

/* Takes e out of every map and link; tolerates an entry only partly in. */
static void unlink_entry(struct mempool *mp, struct entry *e)
{
	if (find(mp, e->tx.txid) == e)
		hmap_del(&mp->txs, e->tx.txid);
	for (size_t i = 0; i < e->tx.n_in; i++) {
		uint8_t key[36];
		outpoint_write(key, &e->tx.in[i].prev);
		if (hmap_get(&mp->spenders, key) == e)
			hmap_del(&mp->spenders, key);
	}
	for (size_t i = 0; i < e->parents.n; i++)
		evec_remove(&e->parents.v[i]->children, e);
	for (size_t i = 0; i < e->children.n; i++)
		evec_remove(&e->children.v[i]->parents, e);
	e->parents.n = e->children.n = 0;
	for (size_t i = 0; i < e->tx.n_out; i++)
		if (e->tx.out[i].kind == TXOUT_ASSET)
			slot_remove(mp, e->tx.out[i].asset, e);
}

static int link_pair(struct entry *parent, struct entry *child)
{
	if (evec_has(&child->parents, parent))
		return 0;
	if (evec_push(&child->parents, parent) != 0)
		return -1;
	return evec_push(&parent->children, child);
}

/* Puts e in the maps and links it to its in-pool parents and to pool
 * entries already spending its outputs (a transaction returned by a
 * reorganisation whose children stayed). */
static int link_entry(struct mempool *mp, struct entry *e)
{
	if (hmap_put(&mp->txs, e->tx.txid, e) != 0)
		return -1;
	for (size_t i = 0; i < e->tx.n_in; i++) {
		uint8_t key[36];
		struct entry *p = find(mp, e->tx.in[i].prev.txid);
		outpoint_write(key, &e->tx.in[i].prev);
		if (hmap_put(&mp->spenders, key, e) != 0 || (p && link_pair(p, e) != 0))
			return -1;
	}
	for (uint32_t i = 0; i < e->tx.n_out; i++) {
		struct outpoint op = { .index = i };
		memcpy(op.txid, e->tx.txid, 32);
		struct entry *c = spender_of(mp, &op);
		if (c && link_pair(e, c) != 0)
			return -1;
		if (e->tx.out[i].kind == TXOUT_ASSET && slot_add(mp, e->tx.out[i].asset, e) != 0)
			return -1;
	}
	return 0;
}

static int insert(struct mempool *mp, struct entry *e)
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

static void remove_one(struct mempool *mp, struct entry *e, enum mempool_removal why)
{
	uint8_t txid[32];
	memcpy(txid, e->tx.txid, 32);
	unlink_entry(mp, e);
	mp->bytes -= e->tx.size;
	mp->usage -= e->usage;
	mp->total_fee -= e->fee;
	entry_free(e);
	if (mp->ev.on_removed)
		mp->ev.on_removed(mp->ev.ctx, txid, why);
}

/* Removes e with its descendants, children first; returns how many. */
static size_t remove_tree(struct mempool *mp, struct entry *e, enum mempool_removal why)
{
	struct evec set = { 0 };
	size_t n;
	if (walk(mp, e, false, &set) != 0) {
		/* Without memory for the walk, remove what was found, then the
		 * rest one level at a time. */
		while (e->children.n)
			remove_tree(mp, e->children.v[0], why);
		evec_release(&set);
		remove_one(mp, e, why);
		return 1;
	}
	n = set.n;
	for (size_t i = set.n; i-- > 0;)
		remove_one(mp, set.v[i], why);
	evec_release(&set);
	return n;
}

/* Removes the entries with these txids that are still in the pool, each
 * with its descendants. */
static size_t remove_txids(struct mempool *mp, uint8_t (*ids)[32], size_t n, enum mempool_removal why)
{
	size_t removed = 0;
	for (size_t i = 0; i < n; i++) {
		struct entry *e = find(mp, ids[i]);
		if (e)
			removed += remove_tree(mp, e, why);
	}
	return removed;
}

/* --- the view: chain + pool --- */

static int view_get_coin(void *ctx, const struct outpoint *op, struct coin *out)
{
	struct mempool *mp = ctx;
	coin_init(out);
	if (spender_of(mp, op))
		return 0;
	struct entry *e = find(mp, op->txid);
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
	if (asset_slot(mp, id))
		return 1;
	return chainstate_get_asset(mp->cs, id, &ae);
}

struct coin_view mempool_view(struct mempool *mp)
{
	struct coin_view v = { view_get_coin, view_asset_known, mp };
	return v;
}

/* --- accepting a transaction --- */

/* One attempt to add a transaction. */
struct attempt {
	const struct tx *tx;
	uint64_t time;  /* accept time to record */
	bool bypass;    /* a reorganisation returns it: no fee or room limits */
	int64_t fee;
	bool fee_known;
	struct evec ancestors; /* in-pool ancestors */
	struct evec evict;     /* entries to evict to make room */
	uint8_t *reg;
};

static void attempt_release(struct attempt *a)
{
	evec_release(&a->ancestors);
	evec_release(&a->evict);
	free(a->reg);
}

/* What needs no coins: form, policy size, finality, duplicates and
 * conflicts with the pool. */
static bool pre_checks(struct mempool *mp, const struct tx *tx, struct verdict *v)
{
	struct block_index *tip = chainstate_tip(mp->cs), *where;
	uint32_t pos;
	if (!tx_check(tx, v))
		return false;
	if (tx_is_coinbase(tx))
		return verdict_fail(v, VR_CONSENSUS, "coinbase", "coinbase as an individual transaction");
	if (tx->size > mp->o.max_tx_size)
		return verdict_fail(v, VR_POLICY, "tx-size", "%zu bytes", tx->size);
	if (!tx_is_final(tx, tip->height + 1, index_median_time(tip)))
		return verdict_fail(v, VR_PREMATURE, "non-final", "lock time %u", tx->lock_time);
	if (find(mp, tx->txid))
		return verdict_fail(v, VR_DUPLICATE, "txn-already-in-mempool", NULL);
	int r = chainstate_find_tx(mp->cs, tx->txid, &where, &pos);
	if (r < 0)
		return verdict_fail(v, VR_ERROR, "db-error", "cannot read the transaction index");
	if (r > 0)
		return verdict_fail(v, VR_DUPLICATE, "txn-already-known", "in block %u", where->height);
	for (size_t i = 0; i < tx->n_in; i++)
		if (spender_of(mp, &tx->in[i].prev))
			return verdict_fail(v, VR_CONFLICT, "txn-mempool-conflict", "input %zu is spent in the pool", i);
	return true;
}

/* Which asset outputs register their id (the rest transfer one), read
 * before the transaction joins the pool: an id neither the pool nor the
 * chain knows, since the input checks passed, is being registered. */
static bool find_registrations(struct mempool *mp, struct attempt *a, struct verdict *v)
{
	const struct tx *tx = a->tx;
	for (size_t i = 0; i < tx->n_out; i++) {
		struct asset_entry ae;
		if (tx->out[i].kind != TXOUT_ASSET)
			continue;
		if (!a->reg && !(a->reg = calloc(tx->n_out, 1)))
			return verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
		if (asset_slot(mp, tx->out[i].asset))
			continue;
		int r = chainstate_get_asset(mp->cs, tx->out[i].asset, &ae);
		if (r < 0)
			return verdict_fail(v, VR_ERROR, "db-error", "cannot read the asset index");
		a->reg[i] = r == 0;
	}
	return true;
}

/* Bitcoin Core's package limits: at most chain_limit in-pool ancestors
 * (self included), and no ancestor with more than chain_limit descendants. */
static bool check_chain_limits(struct mempool *mp, struct attempt *a, struct verdict *v)
{
	uint64_t mark = ++mp->epoch;
	struct evec down = { 0 };
	const struct tx *tx = a->tx;
	for (size_t i = 0; i < tx->n_in; i++) {
		struct entry *p = find(mp, tx->in[i].prev.txid);
		if (p && p->mark != mark) {
			p->mark = mark;
			if (evec_push(&a->ancestors, p) != 0)
				return verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
		}
	}
	/* Breadth-first over the parents' parents; marks keep each once. */
	for (size_t i = 0; i < a->ancestors.n; i++) {
		const struct evec *ps = &a->ancestors.v[i]->parents;
		for (size_t j = 0; j < ps->n; j++) {
			if (ps->v[j]->mark == mark)
				continue;
			ps->v[j]->mark = mark;
			if (evec_push(&a->ancestors, ps->v[j]) != 0)
				return verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
		}
	}
	if (a->ancestors.n + 1 > mp->o.chain_limit)
		return verdict_fail(v, VR_POLICY, "too-long-mempool-chain", "too many unconfirmed ancestors [limit: %zu]",
				    mp->o.chain_limit);
	bool ok = true;
	for (size_t i = 0; i < a->ancestors.n && ok; i++) {
		if (walk(mp, a->ancestors.v[i], false, &down) != 0)
			ok = verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
		else if (down.n + 1 > mp->o.chain_limit)
			ok = verdict_fail(v, VR_POLICY, "too-long-mempool-chain",
					  "too many descendants for an ancestor [limit: %zu]", mp->o.chain_limit);
	}
	evec_release(&down);
	return ok;
}

static bool check_fee(struct mempool *mp, const struct attempt *a, struct verdict *v)
{
	int64_t need = fee_for(mp->o.min_relay_fee, a->tx->size);
	if (a->bypass || a->fee >= need)
		return true;
	return verdict_fail(v, VR_POLICY, "min relay fee not met", "%lld < %lld", (long long)a->fee,
			    (long long)need);
}

/* --- making room --- */

struct scored {
	struct entry *e;
	int64_t score;
};

static int by_score(const void *x, const void *y)
{
	const struct scored *a = x, *b = y;
	if (a->score != b->score)
		return a->score < b->score ? -1 : 1;
	/* Equal: the younger goes first. */
	return a->e->seq > b->e->seq ? -1 : a->e->seq < b->e->seq;
}

/* An entry's eviction score, Bitcoin Core's descendant score: the better
 * of its own fee rate and that of it with its descendants, so a parent
 * paid for by its child (CPFP) is not the first to go. */
static int score_of(struct mempool *mp, struct entry *e, struct evec *scratch, int64_t *score)
{
	int64_t fees = 0;
	size_t size = 0;
	if (walk(mp, e, false, scratch) != 0)
		return -1;
	for (size_t i = 0; i < scratch->n; i++) {
		fees += scratch->v[i]->fee;
		size += scratch->v[i]->tx.size;
	}
	int64_t own = fee_rate(e->fee, e->tx.size), pkg = fee_rate(fees, size);
	*score = own > pkg ? own : pkg;
	return 0;
}

static struct scored *score_all(struct mempool *mp, size_t *n)
{
	struct scored *s = malloc((mp->txs.count ? mp->txs.count : 1) * sizeof(*s));
	struct evec scratch = { 0 };
	const void *k;
	void *val;
	*n = 0;
	if (!s)
		return NULL;
	for (size_t it = 0; hmap_next(&mp->txs, &it, &k, &val);) {
		struct entry *e = val;
		if (e->keep)
			continue;
		s[*n].e = e;
		if (score_of(mp, e, &scratch, &s[*n].score) != 0) {
			free(s);
			evec_release(&scratch);
			return NULL;
		}
		(*n)++;
	}
	evec_release(&scratch);
	qsort(s, *n, sizeof(*s), by_score);
	return s;
}

static void clear_flags(struct evec *a, bool keep)
{
	for (size_t i = 0; i < a->n; i++) {
		if (keep)
			a->v[i]->keep = false;
		else
			a->v[i]->evict = false;
	}
}

/* Plans which entries leave, lowest score first with their descendants,
 * so that `need` more bytes of usage fit the budget. Entries marked keep
 * never go. Refuses (returns 0) when it would evict a score of at least
 * max_score or cannot free enough; -1 on no memory; 1 with out filled. */
static int plan_room(struct mempool *mp, size_t need, int64_t max_score, struct evec *out)
{
	struct evec tree = { 0 };
	size_t n, freed = 0;
	int r = 0;
	out->n = 0;
	if (mp->usage + need <= mp->o.max_bytes)
		return 1;
	struct scored *s = score_all(mp, &n);
	if (!s)
		return -1;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (s[i].e->evict)
			continue;
		if (s[i].score >= max_score)
			break;
		if (walk(mp, s[i].e, false, &tree) != 0) {
			r = -1;
			break;
		}
		for (size_t j = 0; j < tree.n && r == 0; j++) {
			if (tree.v[j]->evict)
				continue;
			tree.v[j]->evict = true;
			freed += tree.v[j]->usage;
			if (evec_push(out, tree.v[j]) != 0)
				r = -1;
		}
		if (r == 0 && mp->usage - freed + need <= mp->o.max_bytes)
			r = 1;
	}
	free(s);
	evec_release(&tree);
	if (r != 1)
		clear_flags(out, false);
	return r;
}

static void evict(struct mempool *mp, struct evec *victims)
{
	for (size_t i = victims->n; i-- > 0;)
		remove_one(mp, victims->v[i], MEMPOOL_REMOVED_SIZELIMIT);
	victims->n = 0;
}

/* Makes room for the attempt, never at the cost of its own ancestors and
 * only by evicting fee rates below its own. */
static bool check_room(struct mempool *mp, struct attempt *a, struct verdict *v)
{
	if (a->bypass)
		return true;
	size_t need = entry_usage(a->tx);
	for (size_t i = 0; i < a->ancestors.n; i++)
		a->ancestors.v[i]->keep = true;
	int r = plan_room(mp, need, fee_rate(a->fee, a->tx->size), &a->evict);
	clear_flags(&a->ancestors, true);
	if (r < 0)
		return verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
	if (r == 0)
		return verdict_fail(v, VR_POLICY, "mempool full", "fee rate too low to make room");
	return true;
}

/* Brings the pool within its budget, evicting whatever scores lowest
 * (after a reorganisation returned transactions without limits). */
static void trim(struct mempool *mp)
{
	struct evec victims = { 0 };
	if (plan_room(mp, 0, INT64_MAX, &victims) == 1)
		evict(mp, &victims);
	evec_release(&victims);
}

static bool add_entry(struct mempool *mp, struct attempt *a, struct verdict *v)
{
	struct entry *e = calloc(1, sizeof(*e));
	if (!e || tx_copy(&e->tx, a->tx) != 0) {
		free(e);
		return verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
	}
	e->fee = a->fee;
	e->usage = entry_usage(a->tx);
	e->time = a->time;
	e->height = chainstate_tip(mp->cs)->height;
	e->reg = a->reg;
	a->reg = NULL;
	evict(mp, &a->evict);
	if (insert(mp, e) != 0) {
		entry_free(e);
		return verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
	}
	return true;
}

static bool try_accept(struct mempool *mp, struct attempt *a, struct verdict *v)
{
	struct coin_view view = mempool_view(mp);
	const struct chain_params *p = chainstate_params(mp->cs);
	if (!pre_checks(mp, a->tx, v))
		return false;
	if (!tx_check_inputs(a->tx, &view, next_height(mp), p, &a->fee, v))
		return false;
	a->fee_known = true;
	return find_registrations(mp, a, v) && check_chain_limits(mp, a, v) && check_fee(mp, a, v) &&
	       check_room(mp, a, v) && tx_check_sigs(a->tx, p->magic, v) && add_entry(mp, a, v);
}

/* One transaction, no orphan handling. *fee gets its fee when the inputs
 * were found (else 0). */
static bool accept_one(struct mempool *mp, const struct tx *tx, uint64_t time, bool bypass, int64_t *fee,
		       struct verdict *v)
{
	struct attempt a = { .tx = tx, .time = time, .bypass = bypass };
	verdict_init(v);
	bool ok = try_accept(mp, &a, v);
	if (fee)
		*fee = a.fee_known ? a.fee : 0;
	clear_flags(&a.evict, false);
	attempt_release(&a);
	if (!ok)
		log_debug(LOG_MEMPOOL, "mempool: refused a transaction: %s (%s)", v->reason, v->debug);
	return ok;
}

/* --- orphans --- */

/* Retries the orphans that spend outputs of a newly accepted transaction,
 * then those of each orphan that gets in, breadth first. Bounded: every
 * pass takes orphans out, and only as many can get in as were kept.
 * Returns how many got in. */
static size_t resolve_orphans(struct mempool *mp, const uint8_t txid[32], uint64_t now)
{
	uint8_t (*todo)[32] = malloc(32 * (orphans_count(&mp->orphans) + 1));
	size_t n_todo = 1, accepted = 0;
	if (!todo)
		return 0;
	memcpy(todo[0], txid, 32);
	for (size_t t = 0; t < n_todo; t++) {
		uint8_t (*kids)[32];
		size_t n = orphans_children(&mp->orphans, todo[t], &kids);
		for (size_t i = 0; i < n && n != (size_t)-1; i++) {
			struct tx tx;
			struct verdict v;
			uint64_t expire;
			if (!orphans_take(&mp->orphans, kids[i], &tx, &expire))
				continue;
			if (accept_one(mp, &tx, now, false, NULL, &v)) {
				memcpy(todo[n_todo++], tx.txid, 32);
				accepted++;
				tx_release(&tx);
			} else if (v.result == VR_MISSING_INPUTS) {
				(void)orphans_put_back(&mp->orphans, &tx, expire);
			} else {
				tx_release(&tx);
			}
		}
		free(kids);
	}
	free(todo);
	return accepted;
}

/* Gives every orphan one more try (after the chain moved). */
static void retry_orphans(struct mempool *mp, uint64_t now)
{
	uint8_t (*ids)[32];
	size_t n = orphans_list(&mp->orphans, &ids);
	for (size_t i = 0; i < n && n != (size_t)-1; i++) {
		struct tx tx;
		struct verdict v;
		uint64_t expire;
		if (!orphans_take(&mp->orphans, ids[i], &tx, &expire))
			continue;
		if (accept_one(mp, &tx, now, false, NULL, &v)) {
			resolve_orphans(mp, tx.txid, now);
			tx_release(&tx);
		} else if (v.result == VR_MISSING_INPUTS) {
			(void)orphans_put_back(&mp->orphans, &tx, expire);
		} else {
			tx_release(&tx);
		}
	}
	free(ids);
}

bool mempool_has_orphan(const struct mempool *mp, const uint8_t txid[32])
{
	return orphans_have(&mp->orphans, txid);
}

/* --- the public accept --- */

size_t mempool_expire(struct mempool *mp, uint64_t now)
{
	uint8_t (*ids)[32];
	size_t n = 0, removed;
	uint64_t oldest = UINT64_MAX;
	const void *k;
	void *val;
	if (mp->o.expiry == 0 || mp->txs.count == 0)
		return 0;
	if (!(ids = malloc(mp->txs.count * 32)))
		return 0;
	for (size_t it = 0; hmap_next(&mp->txs, &it, &k, &val);) {
		const struct entry *e = val;
		if (now >= e->time && now - e->time >= mp->o.expiry)
			memcpy(ids[n++], e->tx.txid, 32);
		else if (e->time < oldest)
			oldest = e->time;
	}
	removed = remove_txids(mp, ids, n, MEMPOOL_REMOVED_EXPIRY);
	free(ids);
	/* Descendants removed with an expired parent may have been the
	 * youngest; a stale-low oldest only costs one more scan. */
	mp->oldest = oldest;
	return removed;
}

static void expire_if_due(struct mempool *mp, uint64_t now)
{
	if (mp->o.expiry && mp->oldest != UINT64_MAX && now >= mp->oldest && now - mp->oldest >= mp->o.expiry)
		mempool_expire(mp, now);
}

bool mempool_accept_ex(struct mempool *mp, const struct tx *tx, uint64_t now, struct mempool_result *res,
		       struct verdict *v)
{
	struct mempool_result dummy;
	struct verdict local;
	if (!res)
		res = &dummy;
	if (!v)
		v = &local;
	memset(res, 0, sizeof(*res));
	expire_if_due(mp, now);
	orphans_expire(&mp->orphans, now);
	if (accept_one(mp, tx, now, false, &res->fee, v)) {
		struct tx stale;
		uint64_t expire;
		/* Sent again once its parents were in: not an orphan any more. */
		if (orphans_take(&mp->orphans, tx->txid, &stale, &expire))
			tx_release(&stale);
		res->n_resolved = resolve_orphans(mp, tx->txid, now);
		return true;
	}
	if (v->result == VR_MISSING_INPUTS && !orphans_have(&mp->orphans, tx->txid))
		res->orphan = orphans_add(&mp->orphans, tx, now) == 1;
	else if (v->result == VR_MISSING_INPUTS)
		res->orphan = true;
	return false;
}

bool mempool_accept(struct mempool *mp, const struct tx *tx, uint64_t now, struct verdict *v)
{
	return mempool_accept_ex(mp, tx, now, NULL, v);
}

/* --- chain events --- */

/* Removes the pool transactions a block transaction conflicts with: those
 * spending one of its inputs and those registering an asset id it
 * registers or carries. */
static void remove_conflicts(struct mempool *mp, const struct tx *tx)
{
	for (size_t i = 0; i < tx->n_in; i++) {
		struct entry *s = spender_of(mp, &tx->in[i].prev);
		if (s)
			remove_tree(mp, s, MEMPOOL_REMOVED_CONFLICT);
	}
	for (size_t i = 0; i < tx->n_out; i++) {
		const uint8_t *id = tx->out[i].asset;
		struct evec *slot;
		bool again = tx->out[i].kind == TXOUT_ASSET;
		/* A removal may free the slot: look it up again after each. */
		while (again && (slot = asset_slot(mp, id))) {
			again = false;
			for (size_t j = 0; j < slot->n && !again; j++) {
				struct entry *e = slot->v[j];
				for (size_t o = 0; o < e->tx.n_out && !again; o++)
					again = e->reg && e->reg[o] && memcmp(e->tx.out[o].asset, id, 32) == 0;
				if (again)
					remove_tree(mp, e, MEMPOOL_REMOVED_CONFLICT);
			}
		}
	}
}

void mempool_block_connected(struct mempool *mp, const struct block *b, const struct block_index *bi)
{
	(void)bi;
	for (size_t t = 1; t < b->n_tx; t++) {
		struct entry *e = find(mp, b->txs[t].txid);
		if (e)
			remove_one(mp, e, MEMPOOL_REMOVED_BLOCK);
		remove_conflicts(mp, &b->txs[t]);
	}
	orphans_erase_for_block(&mp->orphans, b);
}

void mempool_block_disconnected(struct mempool *mp, const struct block *b, const struct block_index *bi)
{
	for (size_t t = 1; t < b->n_tx; t++) {
		/* Past the bound the rest are dropped, as Bitcoin Core drops
		 * the deepest; their pool descendants fail revalidation. */
		if (mp->queue_bytes + b->txs[t].size > MEMPOOL_MAX_DISCONNECTED_BYTES)
			break;
		if (mp->n_queue == mp->cap_queue) {
			size_t cap = mp->cap_queue ? mp->cap_queue * 2 : 64;
			void *p = realloc(mp->queue, cap * sizeof(*mp->queue));
			if (!p)
				return;
			mp->queue = p;
			mp->cap_queue = cap;
		}
		struct queued *q = &mp->queue[mp->n_queue];
		if (tx_copy(&q->tx, &b->txs[t]) != 0)
			return;
		q->height = bi->height;
		q->pos = t;
		mp->n_queue++;
		mp->queue_bytes += b->txs[t].size;
	}
}

static int by_height(const void *x, const void *y)
{
	const struct queued *a = x, *b = y;
	if (a->height != b->height)
		return a->height < b->height ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Whether a pool entry still fits the chain after a reorganisation: final
 * at the next height, every input in the pool or unspent on the chain
 * (and mature if a coinbase's), no registration the chain now holds. A
 * read error keeps the entry: a disk fault is not the transaction's. */
static bool still_valid(struct mempool *mp, const struct entry *e, uint32_t height, uint64_t mtp)
{
	const struct chain_params *p = chainstate_params(mp->cs);
	if (!tx_is_final(&e->tx, height, mtp))
		return false;
	for (size_t i = 0; i < e->tx.n_in; i++) {
		const struct outpoint *op = &e->tx.in[i].prev;
		struct entry *parent = find(mp, op->txid);
		struct coin c;
		if (parent) {
			if (op->index >= parent->tx.n_out)
				return false;
			continue;
		}
		int r = chainstate_get_coin(mp->cs, op, &c);
		if (r == 0)
			return false;
		bool immature = r > 0 && c.coinbase && height - c.height < p->coinbase_maturity;
		if (r > 0)
			coin_release(&c);
		if (immature)
			return false;
	}
	for (size_t i = 0; e->reg && i < e->tx.n_out; i++) {
		struct asset_entry ae;
		if (e->reg[i] && chainstate_get_asset(mp->cs, e->tx.out[i].asset, &ae) == 1)
			return false;
	}
	return true;
}

static void remove_invalid(struct mempool *mp)
{
	struct block_index *tip = chainstate_tip(mp->cs);
	uint64_t mtp = index_median_time(tip);
	uint8_t (*ids)[32];
	size_t n = 0;
	const void *k;
	void *val;
	if (mp->txs.count == 0 || !(ids = malloc(mp->txs.count * 32)))
		return;
	for (size_t it = 0; hmap_next(&mp->txs, &it, &k, &val);)
		if (!still_valid(mp, val, tip->height + 1, mtp))
			memcpy(ids[n++], k, 32);
	remove_txids(mp, ids, n, MEMPOOL_REMOVED_REORG);
	free(ids);
}

void mempool_reorg_done(struct mempool *mp, uint64_t now)
{
	if (mp->n_queue > 1)
		qsort(mp->queue, mp->n_queue, sizeof(*mp->queue), by_height);
	for (size_t i = 0; i < mp->n_queue; i++) {
		struct verdict v;
		(void)accept_one(mp, &mp->queue[i].tx, now, true, NULL, &v);
	}
	queue_clear(mp);
	remove_invalid(mp);
	trim(mp);
	retry_orphans(mp, now);
}

static void on_connected(void *ctx, const struct block *b, const struct block_index *bi)
{
	mempool_block_connected(ctx, b, bi);
}

static void on_disconnected(void *ctx, const struct block *b, const struct block_index *bi)
{
	mempool_block_disconnected(ctx, b, bi);
}

struct chain_events mempool_chain_events(struct mempool *mp)
{
	struct chain_events ev = { on_connected, on_disconnected, mp };
	return ev;
}

/* --- queries --- */

const struct tx *mempool_get(const struct mempool *mp, const uint8_t txid[32])
{
	struct entry *e = find(mp, txid);
	return e ? &e->tx : NULL;
}

bool mempool_has(const struct mempool *mp, const uint8_t txid[32])
{
	return find(mp, txid) != NULL;
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
	return hmap_next(&mp->txs, it, &k, &v) ? &((struct entry *)v)->tx : NULL;
}

const struct tx *mempool_spender(const struct mempool *mp, const struct outpoint *op)
{
	struct entry *e = spender_of(mp, op);
	return e ? &e->tx : NULL;
}

static uint8_t (*txids_of(const struct evec *a))[32]
{
	uint8_t (*ids)[32] = malloc((a->n ? a->n : 1) * 32);
	for (size_t i = 0; ids && i < a->n; i++)
		memcpy(ids[i], a->v[i]->tx.txid, 32);
	return ids;
}

static void sum_set(const struct evec *set, size_t *count, size_t *size, int64_t *fees)
{
	*count = set->n;
	for (size_t i = 0; i < set->n; i++) {
		*size += set->v[i]->tx.size;
		*fees += set->v[i]->fee;
	}
}

int mempool_entry(struct mempool *mp, const uint8_t txid[32], struct mempool_entry_info *out)
{
	struct entry *e = find(mp, txid);
	struct evec set = { 0 };
	memset(out, 0, sizeof(*out));
	if (!e)
		return 0;
	out->tx = &e->tx;
	out->fee = e->fee;
	out->size = e->tx.size;
	out->usage = e->usage;
	out->time = e->time;
	out->height = e->height;
	int r = walk(mp, e, true, &set);
	if (r == 0) {
		sum_set(&set, &out->ancestor_count, &out->ancestor_size, &out->ancestor_fees);
		r = walk(mp, e, false, &set);
	}
	if (r == 0)
		sum_set(&set, &out->descendant_count, &out->descendant_size, &out->descendant_fees);
	evec_release(&set);
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

void mempool_entry_info_release(struct mempool_entry_info *e)
{
	free(e->depends);
	free(e->spentby);
	memset(e, 0, sizeof(*e));
}

int mempool_asset(const struct mempool *mp, const uint8_t id[32], struct mempool_asset_info *out)
{
	const struct evec *slot = asset_slot(mp, id);
	memset(out, 0, sizeof(*out));
	if (!slot)
		return 0;
	for (size_t i = 0; i < slot->n; i++) {
		const struct entry *e = slot->v[i];
		for (uint32_t o = 0; o < e->tx.n_out; o++) {
			struct outpoint op = { .index = o };
			if (e->tx.out[o].kind != TXOUT_ASSET || memcmp(e->tx.out[o].asset, id, 32) != 0)
				continue;
			memcpy(op.txid, e->tx.txid, 32);
			if (e->reg && e->reg[o]) {
				out->registered = true;
				memcpy(out->reg_txid, e->tx.txid, 32);
			}
			if (!spender_of(mp, &op))
				out->cur = op;
		}
	}
	return 1;
}

/* --- block templates --- */

/* A max-heap of entries by fee rate, the earlier arrival first on ties. */
static bool heap_before(const struct entry *a, const struct entry *b)
{
	int64_t ra = fee_rate(a->fee, a->tx.size), rb = fee_rate(b->fee, b->tx.size);
	return ra != rb ? ra > rb : a->seq < b->seq;
}

static void heap_push(struct entry **h, size_t *n, struct entry *e)
{
	size_t i = (*n)++;
	while (i > 0 && heap_before(e, h[(i - 1) / 2])) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = e;
}

static struct entry *heap_pop(struct entry **h, size_t *n)
{
	struct entry *top = h[0], *last = h[--(*n)];
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
static size_t ordered(struct mempool *mp, size_t max_bytes, struct entry ***out)
{
	size_t n = mp->txs.count, hn = 0, taken = 0, bytes = 0;
	struct entry **heap = malloc((n ? n : 1) * sizeof(*heap));
	struct entry **list = malloc((n ? n : 1) * sizeof(*list));
	const void *k;
	void *val;
	*out = NULL;
	if (!heap || !list) {
		free(heap);
		free(list);
		return (size_t)-1;
	}
	for (size_t it = 0; hmap_next(&mp->txs, &it, &k, &val);) {
		struct entry *e = val;
		e->pending = e->parents.n;
		if (e->pending == 0)
			heap_push(heap, &hn, e);
	}
	while (hn > 0) {
		struct entry *e = heap_pop(heap, &hn);
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
	struct entry **list;
	memset(out, 0, sizeof(*out));
	size_t n = ordered(mp, max_bytes, &list);
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

/* --- persistence ---
 *
 *   file = magic "CRNMPOOL" | version u32 | count varint
 *          | count × (accept time u64 | tx length varint | tx) | SHA-256d of all before (32)
 */

static const uint8_t FILE_MAGIC[8] = { 'C', 'R', 'N', 'M', 'P', 'O', 'O', 'L' };
#define FILE_VERSION 1u
#define FILE_MAX_BYTES ((size_t)1 << 31)
/* time + length + the smallest transaction */
#define FILE_MIN_RECORD (8 + 1 + 39)

int mempool_save(struct mempool *mp, const char *path, char *err)
{
	struct buf b = BUF_INIT;
	struct entry **list;
	uint8_t sum[32];
	/* Template order with no size bound puts every parent first, so a
	 * load never meets a child before its parent. */
	size_t n = ordered(mp, SIZE_MAX, &list);
	if (n == (size_t)-1)
		return err_set(err, "cannot save the mempool: out of memory");
	buf_put(&b, FILE_MAGIC, sizeof(FILE_MAGIC));
	buf_u32(&b, FILE_VERSION);
	buf_varint(&b, n);
	for (size_t i = 0; i < n; i++) {
		buf_u64(&b, list[i]->time);
		buf_varint(&b, list[i]->tx.size);
		tx_write(&b, &list[i]->tx);
	}
	free(list);
	if (buf_ok(&b)) {
		hash_sha256d(sum, b.data, b.len);
		buf_put(&b, sum, 32);
	}
	int r = buf_ok(&b) ? file_write_atomic(path, b.data, b.len, 0600, err)
			   : err_set(err, "cannot save the mempool: out of memory");
	buf_release(&b);
	return r;
}

struct saved {
	struct tx *txs;
	uint64_t *times;
	size_t n;
};

static void saved_release(struct saved *s)
{
	for (size_t i = 0; i < s->n; i++)
		tx_release(&s->txs[i]);
	free(s->txs);
	free(s->times);
	memset(s, 0, sizeof(*s));
}

static int parse_records(struct cursor *c, struct saved *s, const char *path, char *err)
{
	uint64_t count;
	if (!cursor_varint(c, &count, c->len / FILE_MIN_RECORD))
		return err_set(err, "cannot load '%s': bad transaction count", path);
	if (count == 0)
		return 0;
	s->txs = calloc(count, sizeof(*s->txs));
	s->times = calloc(count, sizeof(*s->times));
	if (!s->txs || !s->times)
		return err_set(err, "cannot load '%s': out of memory", path);
	for (uint64_t i = 0; i < count; i++) {
		uint64_t len;
		const uint8_t *p;
		char why[ERR_LEN];
		if (!cursor_u64(c, &s->times[i]) || !cursor_varint(c, &len, TX_MAX_SIZE) ||
		    !cursor_view(c, &p, len))
			return err_set(err, "cannot load '%s': record %llu is truncated", path,
				       (unsigned long long)i);
		if (tx_parse(&s->txs[i], p, len, why) != 0)
			return err_set(err, "cannot load '%s': record %llu: %s", path, (unsigned long long)i,
				       why);
		s->n++;
	}
	return 0;
}

/* Checks the frame (checksum, magic, version) and parses every record
 * before anything touches the pool. */
static int parse_file(const uint8_t *data, size_t len, struct saved *s, const char *path, char *err)
{
	uint8_t sum[32], magic[8];
	uint32_t version;
	if (len < sizeof(FILE_MAGIC) + 4 + 1 + 32)
		return err_set(err, "cannot load '%s': file too short", path);
	hash_sha256d(sum, data, len - 32);
	if (memcmp(sum, data + len - 32, 32) != 0)
		return err_set(err, "cannot load '%s': checksum mismatch (corrupt or truncated)", path);
	struct cursor c = cursor_make(data, len - 32);
	if (!cursor_bytes(&c, magic, 8) || memcmp(magic, FILE_MAGIC, 8) != 0)
		return err_set(err, "cannot load '%s': not a mempool file", path);
	if (!cursor_u32(&c, &version) || version != FILE_VERSION)
		return err_set(err, "cannot load '%s': unsupported version %u", path, version);
	if (parse_records(&c, s, path, err) != 0)
		return -1;
	if (!cursor_done(&c))
		return err_set(err, "cannot load '%s': trailing bytes", path);
	return 0;
}

static void load_one(struct mempool *mp, const struct tx *tx, uint64_t time, uint64_t now,
		     struct mempool_load_stats *st)
{
	struct verdict v;
	if (time > now)
		time = now;
	if (find(mp, tx->txid))
		st->already++;
	else if (mp->o.expiry && now - time >= mp->o.expiry)
		st->expired++;
	else if (accept_one(mp, tx, time, false, NULL, &v))
		st->accepted++;
	else
		st->failed++;
}

int mempool_load(struct mempool *mp, const char *path, uint64_t now, struct mempool_load_stats *stats,
		 char *err)
{
	struct mempool_load_stats local;
	struct saved s = { 0 };
	size_t len;
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	/* A missing file means nothing was saved: no error, err untouched. */
	char why[ERR_LEN];
	bool missing;
	uint8_t *data = file_read_bounded(path, FILE_MAX_BYTES, &len, &missing, why);
	if (!data)
		return missing ? 0 : err_set(err, "%s", why);
	stats->found = true;
	int r = parse_file(data, len, &s, path, err);
	free(data);
	if (r != 0) {
		saved_release(&s);
		return -1;
	}
	stats->total = s.n;
	for (size_t i = 0; i < s.n; i++)
		load_one(mp, &s.txs[i], s.times[i], now, stats);
	saved_release(&s);
	return 0;
}
