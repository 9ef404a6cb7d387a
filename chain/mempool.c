#include "chain/mempool_impl.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"

/* The pool's life cycle, and what a transaction goes through to get in:
 * the rules and the policy (fee, size, chain limits), making room by
 * evicting lower fee rates, and the orphans it resolves. */

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

void mempool_free(struct mempool *mp)
{
	const void *k;
	void *v;
	if (!mp)
		return;
	for (size_t it = 0; hmap_next(&mp->txs, &it, &k, &v);)
		mempool_tx_free(v);
	for (size_t it = 0; hmap_next(&mp->assets, &it, &k, &v);) {
		mempool_list_release(v);
		free(v);
	}
	hmap_release(&mp->txs);
	hmap_release(&mp->spenders);
	hmap_release(&mp->assets);
	orphans_release(&mp->orphans);
	mempool_queue_clear(mp);
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

/* --- accepting a transaction --- */

/* One attempt to add a transaction. */
struct attempt {
	const struct tx *tx;
	uint64_t time;  /* accept time to record */
	bool bypass;    /* a reorganisation returns it: no fee or room limits */
	bool dry;       /* testmempoolaccept: every check, nothing added */
	int64_t fee;
	bool fee_known;
	struct mempool_list ancestors; /* in-pool ancestors */
	struct mempool_list evict;     /* entries to evict to make room */
	uint8_t *reg;
};

static void attempt_release(struct attempt *a)
{
	mempool_list_release(&a->ancestors);
	mempool_list_release(&a->evict);
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
	if (mempool_find(mp, tx->txid))
		return verdict_fail(v, VR_DUPLICATE, "txn-already-in-mempool", NULL);
	int r = chainstate_find_tx(mp->cs, tx->txid, &where, &pos);
	if (r < 0)
		return verdict_fail(v, VR_ERROR, "db-error", "cannot read the transaction index");
	if (r > 0) {
		verdict_fail(v, VR_DUPLICATE, "txn-already-known", "in block %u", where->height);
		return verdict_code(v, VC_IN_CHAIN);
	}
	for (size_t i = 0; i < tx->n_in; i++)
		if (mempool_spender_of(mp, &tx->in[i].prev))
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
		if (mempool_asset_slot(mp, tx->out[i].asset))
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
	struct mempool_list down = { 0 };
	const struct tx *tx = a->tx;
	for (size_t i = 0; i < tx->n_in; i++) {
		struct mempool_tx *p = mempool_find(mp, tx->in[i].prev.txid);
		if (p && p->mark != mark) {
			p->mark = mark;
			if (mempool_list_push(&a->ancestors, p) != 0)
				return verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
		}
	}
	/* Breadth-first over the parents' parents; marks keep each once. */
	for (size_t i = 0; i < a->ancestors.n; i++) {
		const struct mempool_list *ps = &a->ancestors.v[i]->parents;
		for (size_t j = 0; j < ps->n; j++) {
			if (ps->v[j]->mark == mark)
				continue;
			ps->v[j]->mark = mark;
			if (mempool_list_push(&a->ancestors, ps->v[j]) != 0)
				return verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
		}
	}
	if (a->ancestors.n + 1 > mp->o.chain_limit)
		return verdict_fail(v, VR_POLICY, "too-long-mempool-chain", "too many unconfirmed ancestors [limit: %zu]",
				    mp->o.chain_limit);
	bool ok = true;
	for (size_t i = 0; i < a->ancestors.n && ok; i++) {
		if (mempool_walk(mp, a->ancestors.v[i], false, &down) != 0)
			ok = verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
		else if (down.n + 1 > mp->o.chain_limit)
			ok = verdict_fail(v, VR_POLICY, "too-long-mempool-chain",
					  "too many descendants for an ancestor [limit: %zu]", mp->o.chain_limit);
	}
	mempool_list_release(&down);
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
	struct mempool_tx *e;
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
static int score_of(struct mempool *mp, struct mempool_tx *e, struct mempool_list *scratch, int64_t *score)
{
	int64_t fees = 0;
	size_t size = 0;
	if (mempool_walk(mp, e, false, scratch) != 0)
		return -1;
	for (size_t i = 0; i < scratch->n; i++) {
		fees += scratch->v[i]->fee;
		size += scratch->v[i]->tx.size;
	}
	int64_t own = mempool_fee_rate(e->fee, e->tx.size), pkg = mempool_fee_rate(fees, size);
	*score = own > pkg ? own : pkg;
	return 0;
}

static struct scored *score_all(struct mempool *mp, size_t *n)
{
	struct scored *s = malloc((mp->txs.count ? mp->txs.count : 1) * sizeof(*s));
	struct mempool_list scratch = { 0 };
	const void *k;
	void *val;
	*n = 0;
	if (!s)
		return NULL;
	for (size_t it = 0; hmap_next(&mp->txs, &it, &k, &val);) {
		struct mempool_tx *e = val;
		if (e->keep)
			continue;
		s[*n].e = e;
		if (score_of(mp, e, &scratch, &s[*n].score) != 0) {
			free(s);
			mempool_list_release(&scratch);
			return NULL;
		}
		(*n)++;
	}
	mempool_list_release(&scratch);
	qsort(s, *n, sizeof(*s), by_score);
	return s;
}

static void clear_flags(struct mempool_list *a, bool keep)
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
static int plan_room(struct mempool *mp, size_t need, int64_t max_score, struct mempool_list *out)
{
	struct mempool_list tree = { 0 };
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
		if (mempool_walk(mp, s[i].e, false, &tree) != 0) {
			r = -1;
			break;
		}
		for (size_t j = 0; j < tree.n && r == 0; j++) {
			if (tree.v[j]->evict)
				continue;
			tree.v[j]->evict = true;
			freed += tree.v[j]->usage;
			if (mempool_list_push(out, tree.v[j]) != 0)
				r = -1;
		}
		if (r == 0 && mp->usage - freed + need <= mp->o.max_bytes)
			r = 1;
	}
	free(s);
	mempool_list_release(&tree);
	if (r != 1)
		clear_flags(out, false);
	return r;
}

static void evict(struct mempool *mp, struct mempool_list *victims)
{
	for (size_t i = victims->n; i-- > 0;)
		mempool_remove_one(mp, victims->v[i], MEMPOOL_REMOVED_SIZELIMIT);
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
	int r = plan_room(mp, need, mempool_fee_rate(a->fee, a->tx->size), &a->evict);
	clear_flags(&a->ancestors, true);
	if (r < 0)
		return verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
	if (r == 0)
		return verdict_fail(v, VR_POLICY, "mempool full", "fee rate too low to make room");
	return true;
}

/* Brings the pool within its budget, evicting whatever scores lowest
 * (after a reorganisation returned transactions without limits). */
void mempool_trim(struct mempool *mp)
{
	struct mempool_list victims = { 0 };
	if (plan_room(mp, 0, INT64_MAX, &victims) == 1)
		evict(mp, &victims);
	mempool_list_release(&victims);
}

static bool add_entry(struct mempool *mp, struct attempt *a, struct verdict *v)
{
	struct mempool_tx *e = calloc(1, sizeof(*e));
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
	if (mempool_insert(mp, e) != 0) {
		mempool_tx_free(e);
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
	       check_room(mp, a, v) && tx_check_sigs(a->tx, p->magic, v) && (a->dry || add_entry(mp, a, v));
}

bool mempool_test_accept(struct mempool *mp, const struct tx *tx, int64_t *fee, struct verdict *v)
{
	struct attempt a = { .tx = tx, .dry = true };
	struct verdict local;
	if (!v)
		v = &local;
	verdict_init(v);
	bool ok = try_accept(mp, &a, v);
	if (fee)
		*fee = a.fee_known ? a.fee : 0;
	clear_flags(&a.evict, false);
	attempt_release(&a);
	return ok;
}

/* One transaction, no orphan handling. *fee gets its fee when the inputs
 * were found (else 0). */
bool mempool_accept_one(struct mempool *mp, const struct tx *tx, uint64_t time, bool bypass, int64_t *fee,
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
bool mempool_try_orphan(struct mempool *mp, const uint8_t txid[32], uint64_t now)
{
	struct tx tx;
	struct verdict v;
	uint64_t expire;
	if (!orphans_take(&mp->orphans, txid, &tx, &expire))
		return false;
	bool ok = mempool_accept_one(mp, &tx, now, false, NULL, &v);
	if (!ok && v.result == VR_MISSING_INPUTS)
		(void)orphans_put_back(&mp->orphans, &tx, expire);
	else
		tx_release(&tx);
	return ok;
}

size_t mempool_resolve_orphans(struct mempool *mp, const uint8_t txid[32], uint64_t now)
{
	uint8_t (*queue)[32] = malloc(32 * (orphans_count(&mp->orphans) + 1));
	size_t n_queue = 1, accepted = 0;
	if (!queue)
		return 0;
	memcpy(queue[0], txid, 32);
	for (size_t t = 0; t < n_queue; t++) {
		uint8_t (*kids)[32];
		size_t n = orphans_children(&mp->orphans, queue[t], &kids);
		for (size_t i = 0; i < n && n != (size_t)-1; i++)
			if (mempool_try_orphan(mp, kids[i], now)) {
				memcpy(queue[n_queue++], kids[i], 32);
				accepted++;
			}
		free(kids);
	}
	free(queue);
	return accepted;
}

bool mempool_has_orphan(const struct mempool *mp, const uint8_t txid[32])
{
	return orphans_have(&mp->orphans, txid);
}

/* --- the public accept --- */

static bool accept(struct mempool *mp, const struct tx *tx, uint64_t now, bool keep_orphan,
		   struct mempool_result *res, struct verdict *v)
{
	struct mempool_result dummy;
	struct verdict local;
	if (!res)
		res = &dummy;
	if (!v)
		v = &local;
	memset(res, 0, sizeof(*res));
	mempool_expire_if_due(mp, now);
	orphans_expire(&mp->orphans, now);
	if (mempool_accept_one(mp, tx, now, false, &res->fee, v)) {
		struct tx stale;
		uint64_t expire;
		/* Sent again once its parents were in: not an orphan any more. */
		if (orphans_take(&mp->orphans, tx->txid, &stale, &expire))
			tx_release(&stale);
		res->n_resolved = mempool_resolve_orphans(mp, tx->txid, now);
		return true;
	}
	if (!keep_orphan || v->result != VR_MISSING_INPUTS)
		return false;
	if (!orphans_have(&mp->orphans, tx->txid))
		res->orphan = orphans_add(&mp->orphans, tx, now) == 1;
	else
		res->orphan = true;
	return false;
}

bool mempool_accept_ex(struct mempool *mp, const struct tx *tx, uint64_t now, struct mempool_result *res,
		       struct verdict *v)
{
	return accept(mp, tx, now, true, res, v);
}

bool mempool_accept_local(struct mempool *mp, const struct tx *tx, uint64_t now, struct verdict *v)
{
	return accept(mp, tx, now, false, NULL, v);
}

bool mempool_accept(struct mempool *mp, const struct tx *tx, uint64_t now, struct verdict *v)
{
	return mempool_accept_ex(mp, tx, now, NULL, v);
}
