/* The mempool: every reject reason, chains of unconfirmed transactions,
 * orphans, eviction, blocks and reorganisations, persistence, templates
 * and the signature cache. */
#include "tests/unit/chain_fixture.h"

#include <fcntl.h>

#include "chain/mempool.h"

#define MATURE_TIP 110
#define NOW (FIX_T0 + 100000)
#define SMALL_TX_SIZE 171 /* one input, one coin output */

static struct fixture *F;
static struct mempool *MP;

/* What the pool told its listeners. */
static struct {
	size_t added, removed;
	size_t by_reason[5];
	uint8_t last_removed[32];
} EV;

static void on_added(void *ctx, const struct tx *tx)
{
	(void)ctx;
	(void)tx;
	EV.added++;
}

static void on_removed(void *ctx, const uint8_t txid[32], enum mempool_removal why)
{
	(void)ctx;
	EV.removed++;
	EV.by_reason[why]++;
	memcpy(EV.last_removed, txid, 32);
}

static void open_pool(const struct mempool_opts *o)
{
	struct mempool_events ev = { on_added, on_removed, NULL };
	if (MP)
		chainstate_unlisten(F->cs, MP);
	mempool_free(MP);
	MP = mempool_new(F->cs, o);
	assert_non_null(MP);
	mempool_set_events(MP, &ev);
	struct chain_events cev = mempool_chain_events(MP);
	assert_int_equal(chainstate_listen(F->cs, &cev), 0);
	memset(&EV, 0, sizeof(EV));
}

static int setup(void **state)
{
	(void)state;
	F = fix_new();
	fix_mine(F, MATURE_TIP, 0);
	MP = NULL;
	open_pool(NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	chainstate_unlisten(F->cs, MP);
	mempool_free(MP);
	MP = NULL;
	fix_free(F);
	return 0;
}

static struct outpoint outp(const struct tx *tx, uint32_t index)
{
	struct outpoint op = { .index = index };
	memcpy(op.txid, tx->txid, 32);
	return op;
}

/* A coinbase output worth 50 CRN, mature at the next height when h <= 11. */
static struct outpoint cb(uint32_t h)
{
	return fix_cb_outpoint(F, h);
}

/* Spends op (worth in) to key to, leaving fee. */
static void pay(struct tx *tx, const struct outpoint *op, int64_t in, int64_t fee, int signer, int to)
{
	fix_spend(F, tx, op, in - fee, signer, to);
}

static const char *accept(const struct tx *tx, struct verdict *v)
{
	mempool_accept(MP, tx, NOW, v);
	return v->reason;
}

/* Mines a block with txs on the tip (the pool hears of it). */
static void mine_txs(const struct tx *txs, size_t n)
{
	struct block b;
	struct verdict v;
	fix_block_on(F, &b, NULL, txs, n, 0, 3);
	assert_string_equal(fix_accept(F, &b, &v), "");
	block_release(&b);
}

/* --- accepting and refusing --- */

static void test_accept_and_query(void **state)
{
	(void)state;
	struct tx t;
	struct verdict v;
	struct outpoint op = cb(1);
	pay(&t, &op, 50 * COIN, 1000, 0, 1);
	assert_int_equal(t.size, SMALL_TX_SIZE);
	struct mempool_result res;
	assert_true(mempool_accept_ex(MP, &t, NOW, &res, &v));
	assert_int_equal(res.fee, 1000);
	assert_false(res.orphan);
	assert_int_equal(EV.added, 1);
	assert_int_equal(mempool_count(MP), 1);
	assert_int_equal(mempool_bytes(MP), SMALL_TX_SIZE);
	assert_true(mempool_has(MP, t.txid));
	assert_ptr_equal(mempool_spender(MP, &op), mempool_get(MP, t.txid));

	struct mempool_entry_info e;
	assert_int_equal(mempool_entry(MP, t.txid, &e), 1);
	assert_int_equal(e.fee, 1000);
	assert_int_equal(e.size, SMALL_TX_SIZE);
	assert_int_equal(e.time, NOW);
	assert_int_equal(e.height, MATURE_TIP);
	assert_int_equal(e.ancestor_count, 1);
	assert_int_equal(e.descendant_count, 1);
	assert_int_equal(e.n_depends, 0);
	assert_int_equal(e.usage, SMALL_TX_SIZE + MEMPOOL_ENTRY_OVERHEAD + MEMPOOL_INPUT_OVERHEAD +
					  MEMPOOL_OUTPUT_OVERHEAD);
	mempool_entry_info_release(&e);
	uint8_t unknown[32] = { 7 };
	assert_int_equal(mempool_entry(MP, unknown, &e), 0);

	/* The view: the spent coinbase is gone, the new output is there. */
	struct coin_view view = mempool_view(MP);
	struct coin c;
	struct outpoint created = outp(&t, 0);
	assert_int_equal(view.get_coin(view.ctx, &op, &c), 0);
	assert_int_equal(view.get_coin(view.ctx, &created, &c), 1);
	assert_int_equal(c.height, MEMPOOL_HEIGHT);
	assert_int_equal(c.out.value, 50 * COIN - 1000);
	coin_release(&c);
	created.index = 1;
	assert_int_equal(view.get_coin(view.ctx, &created, &c), 0);

	struct mempool_info info;
	mempool_get_info(MP, &info);
	assert_int_equal(info.count, 1);
	assert_int_equal(info.total_fee, 1000);
	assert_int_equal(info.min_relay_fee, 1000);
	size_t it = 0, n = 0;
	const struct tx *x;
	while ((x = mempool_next(MP, &it)))
		n++;
	assert_int_equal(n, 1);
	/* A NULL verdict is allowed. */
	struct tx u;
	struct outpoint op2 = cb(2);
	pay(&u, &op2, 50 * COIN, 1000, 0, 1);
	assert_true(mempool_accept(MP, &u, NOW, NULL));
	tx_release(&u);
	tx_release(&t);
}

static void test_reject_reasons(void **state)
{
	(void)state;
	struct tx t, u;
	struct verdict v;
	struct outpoint op = cb(1), op2 = cb(2);

	/* Malformed: no outputs. */
	pay(&t, &op, 50 * COIN, 1000, 0, 1);
	t.n_out = 0;
	assert_string_equal(accept(&t, &v), "bad-txns-vout-empty");
	t.n_out = 1;
	tx_release(&t);

	/* A coinbase on its own. */
	struct block b;
	char err[ERR_LEN];
	assert_int_equal(chainstate_read_block(F->cs, chainstate_at(F->cs, 5), &b, err), 0);
	assert_string_equal(accept(&b.txs[0], &v), "coinbase");
	block_release(&b);

	/* Not final at the next height. */
	pay(&t, &op, 50 * COIN, 1000, 0, 1);
	t.lock_time = MATURE_TIP + 1;
	fix_sign(F, &t, 0);
	assert_string_equal(accept(&t, &v), "non-final");
	assert_int_equal(v.result, VR_PREMATURE);
	t.lock_time = MATURE_TIP;
	fix_sign(F, &t, 0);
	assert_string_equal(accept(&t, &v), "");

	/* Twice. */
	assert_string_equal(accept(&t, &v), "txn-already-in-mempool");
	assert_int_equal(v.result, VR_DUPLICATE);
	assert_int_equal(v.code, VC_NONE); /* nothing callers branch on */

	/* The same coin again: the first seen wins. */
	pay(&u, &op, 50 * COIN, 5000, 0, 2);
	assert_string_equal(accept(&u, &v), "txn-mempool-conflict");
	assert_int_equal(v.result, VR_CONFLICT);
	assert_memory_equal(mempool_spender(MP, &op)->txid, t.txid, 32);
	tx_release(&u);

	/* Below the minimum relay fee: 171 bytes need 171 units. */
	pay(&u, &op2, 50 * COIN, SMALL_TX_SIZE - 1, 0, 1);
	assert_string_equal(accept(&u, &v), "min relay fee not met");
	assert_int_equal(v.result, VR_POLICY);
	tx_release(&u);
	pay(&u, &op2, 50 * COIN, 0, 0, 1);
	assert_string_equal(accept(&u, &v), "min relay fee not met");
	tx_release(&u);

	/* A bad signature. */
	pay(&u, &op2, 50 * COIN, 1000, 0, 1);
	u.in[0].sig[5] ^= 1;
	tx_finalize(&u);
	assert_string_equal(accept(&u, &v), "bad-txns-sig");
	tx_release(&u);

	/* A coin not yet mature, a key that does not own the coin. */
	struct outpoint young = cb(MATURE_TIP - 5);
	pay(&u, &young, 50 * COIN, 1000, 0, 1);
	assert_string_equal(accept(&u, &v), "bad-txns-premature-spend-of-coinbase");
	tx_release(&u);
	pay(&u, &op2, 50 * COIN, 1000, 1, 1);
	assert_string_equal(accept(&u, &v), "bad-txns-pubkey-mismatch");
	tx_release(&u);

	/* More out than in. */
	pay(&u, &op2, 50 * COIN, -1, 0, 1);
	assert_string_equal(accept(&u, &v), "bad-txns-in-belowout");
	tx_release(&u);

	/* Missing inputs. */
	struct outpoint nowhere = { .txid = { 9, 9, 9 }, .index = 0 };
	pay(&u, &nowhere, 50 * COIN, 1000, 0, 1);
	assert_string_equal(accept(&u, &v), "bad-txns-inputs-missingorspent");
	assert_int_equal(v.result, VR_MISSING_INPUTS);
	tx_release(&u);

	/* Already confirmed. */
	pay(&u, &op2, 50 * COIN, 1000, 0, 1);
	mine_txs(&u, 1);
	assert_string_equal(accept(&u, &v), "txn-already-known");
	assert_int_equal(v.result, VR_DUPLICATE);
	assert_int_equal(v.code, VC_IN_CHAIN); /* sendrawtransaction answers -27 on this code */
	tx_release(&u);
	tx_release(&t);
	assert_int_equal(mempool_count(MP), 1);
}

/* Builds a transaction spending op (worth in) that registers asset id. */
static void register_asset(struct tx *t, const struct outpoint *op, int64_t in, uint8_t id)
{
	pay(t, op, in, 10000, 0, 1);
	assert_int_equal(tx_resize(t, 1, 2), 0);
	t->out[1].kind = TXOUT_ASSET;
	memset(t->out[1].asset, id, 32);
	memcpy(t->out[1].addr, F->addr[1], 20);
	assert_int_equal(txout_set_meta(&t->out[1], (const uint8_t *)"doc", 3), 0);
	fix_sign(F, t, 0);
}

static void test_assets_in_pool(void **state)
{
	(void)state;
	struct tx reg, dup, xfer;
	struct verdict v;
	struct outpoint op1 = cb(1), op2 = cb(2);
	uint8_t id[32];
	memset(id, 0xab, 32);
	register_asset(&reg, &op1, 50 * COIN, 0xab);
	assert_string_equal(accept(&reg, &v), "");
	struct coin_view view = mempool_view(MP);
	assert_int_equal(view.asset_known(view.ctx, id), 1);

	/* The same id registered again while the first is unconfirmed. */
	register_asset(&dup, &op2, 50 * COIN, 0xab);
	assert_string_equal(accept(&dup, &v), "bad-asset-duplicate");
	tx_release(&dup);

	struct mempool_asset_info ai;
	assert_int_equal(mempool_asset(MP, id, &ai), 1);
	assert_true(ai.registered);
	assert_memory_equal(ai.reg_txid, reg.txid, 32);
	assert_memory_equal(ai.cur.txid, reg.txid, 32);
	assert_int_equal(ai.cur.index, 1);

	/* A transfer of the unconfirmed asset: custody moves on in the pool. */
	struct outpoint a = outp(&reg, 1);
	pay(&xfer, &a, 0, 0, 1, 2);
	xfer.out[0].kind = TXOUT_ASSET;
	memcpy(xfer.out[0].asset, id, 32);
	assert_int_equal(tx_resize(&xfer, 2, 1), 0);
	xfer.in[1].prev = outp(&reg, 0);
	xfer.out[0].value = 50 * COIN - 20000;
	fix_sign(F, &xfer, 1);
	assert_string_equal(accept(&xfer, &v), "");
	assert_int_equal(mempool_asset(MP, id, &ai), 1);
	assert_true(ai.registered);
	assert_memory_equal(ai.cur.txid, xfer.txid, 32);
	assert_int_equal(ai.cur.index, 0);
	uint8_t other[32] = { 1 };
	assert_int_equal(mempool_asset(MP, other, &ai), 0);
	tx_release(&reg);
	tx_release(&xfer);
}

static void test_policy_limits(void **state)
{
	(void)state;
	struct mempool_opts o;
	struct tx t[4];
	struct verdict v;
	mempool_opts_default(&o);
	o.max_tx_size = SMALL_TX_SIZE - 1;
	open_pool(&o);
	struct outpoint op = cb(1);
	pay(&t[0], &op, 50 * COIN, 1000, 0, 0);
	assert_string_equal(accept(&t[0], &v), "tx-size");
	tx_release(&t[0]);

	/* Three in a chain fit a limit of three; the fourth does not. */
	o.max_tx_size = MEMPOOL_DEFAULT_MAX_TX_SIZE;
	o.chain_limit = 3;
	open_pool(&o);
	int64_t value = 50 * COIN;
	for (int i = 0; i < 4; i++) {
		struct outpoint prev = i ? outp(&t[i - 1], 0) : op;
		pay(&t[i], &prev, value, 1000, 0, 0);
		value -= 1000;
		assert_string_equal(accept(&t[i], &v), i < 3 ? "" : "too-long-mempool-chain");
	}
	for (int i = 0; i < 4; i++)
		tx_release(&t[i]);

	/* Options out of range. */
	o.min_relay_fee = -1;
	assert_null(mempool_new(F->cs, &o));
	assert_null(mempool_new(NULL, NULL));
	mempool_free(NULL);
}

/* --- chains, orphans --- */

static void make_chain(struct tx t[3], uint32_t h, int64_t fee)
{
	struct outpoint op = cb(h);
	int64_t value = 50 * COIN;
	for (int i = 0; i < 3; i++) {
		struct outpoint prev = i ? outp(&t[i - 1], 0) : op;
		pay(&t[i], &prev, value, fee, 0, 0);
		value -= fee;
	}
}

static void test_chain_of_three(void **state)
{
	(void)state;
	struct tx t[3];
	struct verdict v;
	make_chain(t, 1, 1000);
	for (int i = 0; i < 3; i++)
		assert_string_equal(accept(&t[i], &v), "");
	struct mempool_entry_info e;
	assert_int_equal(mempool_entry(MP, t[1].txid, &e), 1);
	assert_int_equal(e.ancestor_count, 2);
	assert_int_equal(e.ancestor_size, 2 * SMALL_TX_SIZE);
	assert_int_equal(e.ancestor_fees, 2000);
	assert_int_equal(e.descendant_count, 2);
	assert_int_equal(e.n_depends, 1);
	assert_memory_equal(e.depends[0], t[0].txid, 32);
	assert_int_equal(e.n_spentby, 1);
	assert_memory_equal(e.spentby[0], t[2].txid, 32);
	mempool_entry_info_release(&e);
	assert_int_equal(mempool_entry(MP, t[0].txid, &e), 1);
	assert_int_equal(e.descendant_count, 3);
	assert_int_equal(e.descendant_fees, 3000);
	mempool_entry_info_release(&e);
	/* The middle one's output is spent in the pool, the last one's is not. */
	struct coin_view view = mempool_view(MP);
	struct coin c;
	struct outpoint mid = outp(&t[1], 0), last = outp(&t[2], 0);
	assert_int_equal(view.get_coin(view.ctx, &mid, &c), 0);
	assert_int_equal(view.get_coin(view.ctx, &last, &c), 1);
	coin_release(&c);
	for (int i = 0; i < 3; i++)
		tx_release(&t[i]);
}

static void test_orphans_resolved(void **state)
{
	(void)state;
	struct tx t[3];
	struct verdict v;
	struct mempool_result res;
	make_chain(t, 1, 1000);
	/* Grandchild and child first: both kept as orphans. */
	for (int i = 2; i >= 1; i--) {
		assert_false(mempool_accept_ex(MP, &t[i], NOW, &res, &v));
		assert_string_equal(v.reason, "bad-txns-inputs-missingorspent");
		assert_true(res.orphan);
		assert_true(mempool_has_orphan(MP, t[i].txid));
	}
	/* Sent again: still an orphan, kept once. */
	assert_false(mempool_accept_ex(MP, &t[1], NOW, &res, &v));
	assert_true(res.orphan);
	struct mempool_info info;
	mempool_get_info(MP, &info);
	assert_int_equal(info.orphans, 2);
	assert_int_equal(mempool_count(MP), 0);
	/* The parent brings both in, recursively. */
	assert_true(mempool_accept_ex(MP, &t[0], NOW, &res, &v));
	assert_int_equal(res.n_resolved, 2);
	assert_int_equal(mempool_count(MP), 3);
	assert_false(mempool_has_orphan(MP, t[1].txid));
	assert_false(mempool_has_orphan(MP, t[2].txid));
	mempool_get_info(MP, &info);
	assert_int_equal(info.orphans, 0);

	/* An orphan whose parent got in through a block is accepted when it
	 * is sent again, and leaves the orphan pool. */
	struct tx p, c;
	struct outpoint op = cb(4);
	pay(&p, &op, 50 * COIN, 1000, 0, 1);
	struct outpoint po = outp(&p, 0);
	pay(&c, &po, 50 * COIN - 1000, 1000, 1, 1);
	assert_false(mempool_accept_ex(MP, &c, NOW, &res, &v));
	assert_true(res.orphan);
	mine_txs(&p, 1);
	assert_true(mempool_has_orphan(MP, c.txid));
	assert_true(mempool_accept(MP, &c, NOW, &v));
	assert_false(mempool_has_orphan(MP, c.txid));
	tx_release(&p);
	tx_release(&c);
	for (int i = 0; i < 3; i++)
		tx_release(&t[i]);
}

static void make_orphan(struct tx *t, uint8_t seed)
{
	struct outpoint nowhere = { .index = 0 };
	memset(nowhere.txid, seed, 32);
	pay(t, &nowhere, 50 * COIN, 1000, 0, 1);
}

/* A dry run answers like mempool_accept and adds nothing; a local
 * submission with missing parents is refused, not kept as an orphan. */
static void test_test_accept_and_local(void **state)
{
	(void)state;
	struct tx t, o, late;
	struct verdict v;
	int64_t fee = -1;
	struct outpoint op = cb(1), op2 = cb(2);
	pay(&t, &op, 50 * COIN, 1000, 0, 1);
	assert_true(mempool_test_accept(MP, &t, &fee, &v));
	assert_int_equal(fee, 1000);
	assert_int_equal(mempool_count(MP), 0);
	assert_int_equal(EV.added, 0);
	assert_true(mempool_accept(MP, &t, NOW, &v));
	assert_false(mempool_test_accept(MP, &t, &fee, &v));
	assert_string_equal(v.reason, "txn-already-in-mempool");
	/* Refused for the same reasons as mempool_accept: not final. */
	pay(&late, &op2, 50 * COIN, 1000, 0, 1);
	late.lock_time = MATURE_TIP + 10;
	fix_sign(F, &late, 0);
	assert_false(mempool_test_accept(MP, &late, &fee, &v));
	assert_string_equal(v.reason, "non-final");
	make_orphan(&o, 9);
	assert_false(mempool_accept_local(MP, &o, NOW, &v));
	assert_int_equal(v.result, VR_MISSING_INPUTS);
	assert_false(mempool_has_orphan(MP, o.txid));
	tx_release(&t);
	tx_release(&o);
	tx_release(&late);
}

static void test_orphans_bounded(void **state)
{
	(void)state;
	struct mempool_opts o;
	struct verdict v;
	struct mempool_result res;
	struct mempool_info info;
	struct tx t;
	mempool_opts_default(&o);
	o.max_orphans = 5;
	open_pool(&o);
	for (uint8_t i = 1; i <= 12; i++) {
		make_orphan(&t, i);
		assert_false(mempool_accept_ex(MP, &t, NOW, &res, &v));
		assert_true(res.orphan);
		mempool_get_info(MP, &info);
		assert_true(info.orphans <= 5);
		tx_release(&t);
	}
	assert_int_equal(info.orphans, 5);

	/* Age: twenty minutes and they are gone. */
	make_orphan(&t, 100);
	assert_false(mempool_accept_ex(MP, &t, NOW + MEMPOOL_DEFAULT_ORPHAN_LIFETIME, &res, &v));
	assert_true(res.orphan);
	mempool_get_info(MP, &info);
	assert_int_equal(info.orphans, 1);
	assert_true(mempool_has_orphan(MP, t.txid));
	tx_release(&t);

	/* Too large to keep. */
	o.max_orphan_size = SMALL_TX_SIZE - 1;
	open_pool(&o);
	make_orphan(&t, 200);
	assert_false(mempool_accept_ex(MP, &t, NOW, &res, &v));
	assert_string_equal(v.reason, "bad-txns-inputs-missingorspent");
	assert_false(res.orphan);
	assert_false(mempool_has_orphan(MP, t.txid));
	tx_release(&t);
}

/* --- the size limit --- */

#define SMALL_USAGE (SMALL_TX_SIZE + MEMPOOL_ENTRY_OVERHEAD + MEMPOOL_INPUT_OVERHEAD + MEMPOOL_OUTPUT_OVERHEAD)

static void test_eviction(void **state)
{
	(void)state;
	struct mempool_opts o;
	struct tx t[6];
	struct verdict v;
	mempool_opts_default(&o);
	o.max_bytes = 3 * SMALL_USAGE;
	open_pool(&o);
	/* Three fee rates fill the pool. */
	int64_t fees[3] = { 2000, 1000, 3000 };
	for (int i = 0; i < 3; i++) {
		struct outpoint op = cb((uint32_t)(i + 1));
		pay(&t[i], &op, 50 * COIN, fees[i], 0, 1);
		assert_string_equal(accept(&t[i], &v), "");
	}
	/* Not above the lowest: refused, nothing evicted. */
	struct outpoint op4 = cb(4);
	pay(&t[3], &op4, 50 * COIN, 1000, 0, 1);
	assert_string_equal(accept(&t[3], &v), "mempool full");
	assert_int_equal(v.result, VR_POLICY);
	assert_int_equal(mempool_count(MP), 3);
	tx_release(&t[3]);
	/* Above it: the lowest leaves. */
	pay(&t[3], &op4, 50 * COIN, 1500, 0, 1);
	assert_string_equal(accept(&t[3], &v), "");
	assert_int_equal(mempool_count(MP), 3);
	assert_false(mempool_has(MP, t[1].txid));
	assert_int_equal(EV.by_reason[MEMPOOL_REMOVED_SIZELIMIT], 1);
	for (int i = 0; i < 4; i++)
		tx_release(&t[i]);

	/* A low-fee parent leaves with its child; the pool keeps the parent of
	 * a newcomer. */
	open_pool(&o);
	struct outpoint p1 = cb(1), p2 = cb(2), p3 = cb(3);
	pay(&t[0], &p1, 50 * COIN, 300, 0, 1);
	struct outpoint c0 = outp(&t[0], 0);
	pay(&t[1], &c0, 50 * COIN - 300, 400, 1, 1);
	pay(&t[2], &p2, 50 * COIN, 3000, 0, 1);
	for (int i = 0; i < 3; i++)
		assert_string_equal(accept(&t[i], &v), "");
	pay(&t[3], &p3, 50 * COIN, 1000, 0, 1);
	assert_string_equal(accept(&t[3], &v), "");
	assert_int_equal(mempool_count(MP), 2);
	assert_false(mempool_has(MP, t[0].txid));
	assert_false(mempool_has(MP, t[1].txid));
	assert_int_equal(EV.by_reason[MEMPOOL_REMOVED_SIZELIMIT], 2);
	struct mempool_info info;
	mempool_get_info(MP, &info);
	assert_true(info.usage <= o.max_bytes);
	/* Larger than the whole budget: never. */
	o.max_bytes = SMALL_USAGE - 1;
	open_pool(&o);
	assert_string_equal(accept(&t[2], &v), "mempool full");
	for (int i = 0; i < 4; i++)
		tx_release(&t[i]);
}

static void test_expiry(void **state)
{
	(void)state;
	struct tx t[3], u;
	struct verdict v;
	make_chain(t, 1, 1000);
	for (int i = 0; i < 3; i++)
		assert_true(mempool_accept(MP, &t[i], NOW + (uint64_t)i * 3600, &v));
	assert_int_equal(mempool_expire(MP, NOW + MEMPOOL_DEFAULT_EXPIRY - 1), 0);
	/* The first expires and takes its descendants along. */
	assert_int_equal(mempool_expire(MP, NOW + MEMPOOL_DEFAULT_EXPIRY), 3);
	assert_int_equal(EV.by_reason[MEMPOOL_REMOVED_EXPIRY], 3);
	assert_int_equal(mempool_count(MP), 0);
	/* An accept runs the expiry too. */
	assert_true(mempool_accept(MP, &t[0], NOW, &v));
	struct outpoint op = cb(2);
	pay(&u, &op, 50 * COIN, 1000, 0, 1);
	assert_true(mempool_accept(MP, &u, NOW + MEMPOOL_DEFAULT_EXPIRY + 10, &v));
	assert_false(mempool_has(MP, t[0].txid));
	assert_int_equal(mempool_count(MP), 1);
	tx_release(&u);
	for (int i = 0; i < 3; i++)
		tx_release(&t[i]);
}

/* --- blocks and reorganisations --- */

static void test_block_connected(void **state)
{
	(void)state;
	struct tx a, a_child, b, b_child, b_rival, c_rival, orphan;
	struct verdict v;
	struct outpoint op1 = cb(1), op2 = cb(2), op3 = cb(3);
	pay(&a, &op1, 50 * COIN, 1000, 0, 1);
	struct outpoint ao = outp(&a, 0);
	pay(&a_child, &ao, 50 * COIN - 1000, 1000, 1, 2);
	pay(&b, &op2, 50 * COIN, 1000, 0, 1);
	struct outpoint bo = outp(&b, 0);
	pay(&b_child, &bo, 50 * COIN - 1000, 1000, 1, 2);
	pay(&b_rival, &op2, 50 * COIN, 2000, 0, 3);
	pay(&c_rival, &op3, 50 * COIN, 2000, 0, 3);
	assert_string_equal(accept(&a, &v), "");
	assert_string_equal(accept(&a_child, &v), "");
	assert_string_equal(accept(&b, &v), "");
	assert_string_equal(accept(&b_child, &v), "");
	/* An orphan spending a coin the block spends goes as well. */
	struct tx txs[3];
	make_orphan(&orphan, 77);
	assert_int_equal(tx_resize(&orphan, 2, 1), 0);
	orphan.in[1].prev = op3;
	fix_sign(F, &orphan, 0);
	assert_false(mempool_accept(MP, &orphan, NOW, &v));
	assert_true(mempool_has_orphan(MP, orphan.txid));

	/* The block mines a and a rival of b. */
	txs[0] = a;
	txs[1] = b_rival;
	txs[2] = c_rival;
	mine_txs(txs, 3);
	assert_false(mempool_has(MP, a.txid));
	assert_false(mempool_has(MP, b.txid));
	assert_false(mempool_has(MP, b_child.txid));
	assert_false(mempool_has_orphan(MP, orphan.txid));
	assert_true(mempool_has(MP, a_child.txid));
	assert_int_equal(EV.by_reason[MEMPOOL_REMOVED_BLOCK], 1);
	assert_int_equal(EV.by_reason[MEMPOOL_REMOVED_CONFLICT], 2);
	/* a_child's parent is confirmed now: no in-pool depends. */
	struct mempool_entry_info e;
	assert_int_equal(mempool_entry(MP, a_child.txid, &e), 1);
	assert_int_equal(e.n_depends, 0);
	assert_int_equal(e.ancestor_count, 1);
	mempool_entry_info_release(&e);
	tx_release(&a);
	tx_release(&a_child);
	tx_release(&b);
	tx_release(&b_child);
	tx_release(&b_rival);
	tx_release(&c_rival);
	tx_release(&orphan);
}

static void test_block_conflicting_registration(void **state)
{
	(void)state;
	struct tx mine, theirs, child;
	struct verdict v;
	struct outpoint op1 = cb(1), op2 = cb(2);
	register_asset(&mine, &op1, 50 * COIN, 0x42);
	register_asset(&theirs, &op2, 50 * COIN, 0x42);
	assert_string_equal(accept(&mine, &v), "");
	struct outpoint mo = outp(&mine, 0);
	pay(&child, &mo, 50 * COIN - 10000, 1000, 1, 1);
	assert_string_equal(accept(&child, &v), "");
	mine_txs(&theirs, 1);
	assert_false(mempool_has(MP, mine.txid));
	assert_false(mempool_has(MP, child.txid));
	assert_int_equal(EV.by_reason[MEMPOOL_REMOVED_CONFLICT], 2);
	uint8_t id[32];
	struct mempool_asset_info ai;
	memset(id, 0x42, 32);
	assert_int_equal(mempool_asset(MP, id, &ai), 0);
	tx_release(&mine);
	tx_release(&theirs);
	tx_release(&child);
}

/* A block holding t1 and t2 is replaced by a longer branch where a rival
 * spends t2's coin: t1 comes back (with its pool child linked again), t2
 * and its pool child are gone. */
static void test_reorg(void **state)
{
	(void)state;
	struct tx t[2], rival, c1, c2;
	struct verdict v;
	struct outpoint op1 = cb(1), op2 = cb(2);
	struct block_index *fork = chainstate_tip(F->cs);
	pay(&t[0], &op1, 50 * COIN, 1000, 0, 1);
	pay(&t[1], &op2, 50 * COIN, 1000, 0, 1);
	pay(&rival, &op2, 50 * COIN, 3000, 0, 2);
	assert_string_equal(accept(&t[0], &v), "");
	mine_txs(t, 2);
	assert_int_equal(mempool_count(MP), 0);
	struct outpoint o1 = outp(&t[0], 0), o2 = outp(&t[1], 0);
	pay(&c1, &o1, 50 * COIN - 1000, 1000, 1, 2);
	pay(&c2, &o2, 50 * COIN - 1000, 1000, 1, 2);
	assert_string_equal(accept(&c1, &v), "");
	assert_string_equal(accept(&c2, &v), "");

	/* The other branch: two blocks on the fork, the first with the rival. */
	struct block b;
	fix_block_on(F, &b, fork, &rival, 1, 0, 2);
	assert_string_equal(fix_accept(F, &b, &v), "");
	struct block_index *first = chainstate_lookup(F->cs, b.hash);
	block_release(&b);
	fix_block_on(F, &b, first, NULL, 0, 0, 2);
	assert_string_equal(fix_accept(F, &b, &v), "");
	assert_memory_equal(chainstate_tip(F->cs)->hash, b.hash, 32);
	block_release(&b);
	mempool_reorg_done(MP, NOW + 10);

	assert_true(mempool_has(MP, t[0].txid));
	assert_true(mempool_has(MP, c1.txid));
	assert_false(mempool_has(MP, t[1].txid));
	assert_false(mempool_has(MP, c2.txid));
	assert_false(mempool_has(MP, rival.txid));
	assert_int_equal(EV.by_reason[MEMPOOL_REMOVED_REORG], 1);
	struct mempool_entry_info e;
	assert_int_equal(mempool_entry(MP, c1.txid, &e), 1);
	assert_int_equal(e.n_depends, 1);
	assert_memory_equal(e.depends[0], t[0].txid, 32);
	mempool_entry_info_release(&e);
	assert_int_equal(mempool_entry(MP, t[0].txid, &e), 1);
	assert_int_equal(e.time, NOW + 10);
	assert_int_equal(e.descendant_count, 2);
	mempool_entry_info_release(&e);
	/* A template still puts the parent first. */
	struct mempool_selection s;
	assert_int_equal(mempool_select(MP, &s, BLOCK_MAX_SIZE), 0);
	assert_int_equal(s.n, 2);
	assert_memory_equal(s.txs[0].txid, t[0].txid, 32);
	mempool_selection_release(&s);
	tx_release(&t[0]);
	tx_release(&t[1]);
	tx_release(&rival);
	tx_release(&c1);
	tx_release(&c2);
}

/* Two blocks, the second spending the first's transaction, replaced by a
 * longer empty branch: both come back, parent first; an orphan waiting for
 * a transaction of the new branch gets in once the reorganisation ends. */
static void test_reorg_two_blocks(void **state)
{
	(void)state;
	struct tx t1, t2, side, orphan;
	struct verdict v;
	struct outpoint op1 = cb(1), op3 = cb(3);
	struct block_index *fork = chainstate_tip(F->cs);
	pay(&t1, &op1, 50 * COIN, 1000, 0, 1);
	struct outpoint o1 = outp(&t1, 0);
	pay(&t2, &o1, 50 * COIN - 1000, 1000, 1, 2);
	mine_txs(&t1, 1);
	mine_txs(&t2, 1);
	pay(&side, &op3, 50 * COIN, 1000, 0, 1);
	struct outpoint so = outp(&side, 0);
	pay(&orphan, &so, 50 * COIN - 1000, 1000, 1, 1);
	assert_false(mempool_accept(MP, &orphan, NOW, &v));
	assert_true(mempool_has_orphan(MP, orphan.txid));

	struct block_index *prev = fork;
	for (int i = 0; i < 3; i++) {
		struct block b;
		fix_block_on(F, &b, prev, i == 0 ? &side : NULL, i == 0 ? 1 : 0, 0, 2);
		assert_string_equal(fix_accept(F, &b, &v), "");
		prev = chainstate_lookup(F->cs, b.hash);
		block_release(&b);
	}
	assert_ptr_equal(chainstate_tip(F->cs), prev);
	mempool_reorg_done(MP, NOW);
	assert_true(mempool_has(MP, t1.txid));
	assert_true(mempool_has(MP, t2.txid));
	assert_true(mempool_has(MP, orphan.txid));
	assert_false(mempool_has_orphan(MP, orphan.txid));
	struct mempool_entry_info e;
	assert_int_equal(mempool_entry(MP, t2.txid, &e), 1);
	assert_int_equal(e.n_depends, 1);
	mempool_entry_info_release(&e);
	tx_release(&t1);
	tx_release(&t2);
	tx_release(&side);
	tx_release(&orphan);
}

/* Invalidating the tip lowers the next height: a spend of a coinbase that
 * was just mature, and a transaction locked until the old next height,
 * no longer fit and leave; the rest stays. */
static void test_reorg_drops_invalid(void **state)
{
	(void)state;
	char err[ERR_LEN];
	struct tx young, locked, fine;
	struct verdict v;
	/* Mature at the next height exactly: 111 - 11 = 100. */
	struct outpoint op = cb(MATURE_TIP + 1 - 100), op2 = cb(1), op3 = cb(2);
	pay(&young, &op, 50 * COIN, 1000, 0, 1);
	pay(&locked, &op2, 50 * COIN, 1000, 0, 1);
	locked.lock_time = MATURE_TIP;
	fix_sign(F, &locked, 0);
	pay(&fine, &op3, 50 * COIN, 1000, 0, 1);
	assert_string_equal(accept(&young, &v), "");
	assert_string_equal(accept(&locked, &v), "");
	assert_string_equal(accept(&fine, &v), "");
	assert_int_equal(chainstate_invalidate(F->cs, chainstate_tip(F->cs), err), 0);
	mempool_reorg_done(MP, NOW);
	assert_false(mempool_has(MP, young.txid));
	assert_false(mempool_has(MP, locked.txid));
	assert_true(mempool_has(MP, fine.txid));
	assert_int_equal(EV.by_reason[MEMPOOL_REMOVED_REORG], 2);
	tx_release(&young);
	tx_release(&locked);
	tx_release(&fine);
}

/* --- persistence --- */

static void path_in_fixture(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", F->dir, name);
}

static void test_save_load(void **state)
{
	(void)state;
	struct tx t[3], u, w;
	struct verdict v;
	char path[128], err[ERR_LEN];
	make_chain(t, 1, 1000);
	for (int i = 0; i < 3; i++)
		assert_true(mempool_accept(MP, &t[i], NOW + (uint64_t)i, &v));
	struct outpoint op = cb(2), op3 = cb(3);
	pay(&u, &op, 50 * COIN, 4000, 0, 1);
	pay(&w, &op3, 50 * COIN, 4000, 0, 1);
	assert_true(mempool_accept(MP, &u, NOW + 5, &v));
	assert_true(mempool_accept(MP, &w, NOW + 10, &v));
	path_in_fixture(path, sizeof(path), "mempool.dat");
	assert_int_equal(mempool_save(MP, path, err), 0);

	open_pool(NULL);
	struct mempool_load_stats st;
	assert_int_equal(mempool_load(MP, path, NOW + 100, &st, err), 0);
	assert_true(st.found);
	assert_int_equal(st.total, 5);
	assert_int_equal(st.accepted, 5);
	assert_int_equal(st.failed, 0);
	assert_int_equal(mempool_count(MP), 5);
	for (int i = 0; i < 3; i++) {
		struct mempool_entry_info e;
		assert_int_equal(mempool_entry(MP, t[i].txid, &e), 1);
		assert_int_equal(e.time, NOW + (uint64_t)i);
		mempool_entry_info_release(&e);
	}
	assert_true(mempool_has(MP, u.txid));
	/* Loading again finds them all there already. */
	assert_int_equal(mempool_load(MP, path, NOW + 100, &st, err), 0);
	assert_int_equal(st.already, 5);

	/* Two expired (the child of the second fails without it), one was
	 * mined meanwhile: the rest still loads. */
	open_pool(NULL);
	mine_txs(&u, 1);
	assert_int_equal(mempool_load(MP, path, NOW + MEMPOOL_DEFAULT_EXPIRY + 1, &st, err), 0);
	assert_int_equal(st.expired, 2);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.accepted, 1);
	assert_true(mempool_has(MP, w.txid));

	/* No file: nothing to do, and no error. */
	path_in_fixture(path, sizeof(path), "absent.dat");
	assert_int_equal(mempool_load(MP, path, NOW, &st, err), 0);
	assert_false(st.found);
	for (int i = 0; i < 3; i++)
		tx_release(&t[i]);
	tx_release(&u);
	tx_release(&w);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *p = malloc(1 << 20);
	assert_non_null(p);
	*len = fread(p, 1, 1 << 20, f);
	fclose(f);
	return p;
}

static void spit(const char *path, const uint8_t *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
}

static void expect_refused(const char *path, const char *what)
{
	char err[ERR_LEN] = "";
	struct mempool_load_stats st;
	size_t before = mempool_count(MP);
	assert_int_equal(mempool_load(MP, path, NOW, &st, err), -1);
	if (!strstr(err, what))
		fail_msg("error '%s' does not say '%s'", err, what);
	assert_int_equal(mempool_count(MP), before);
}

static void test_load_corrupt(void **state)
{
	(void)state;
	struct tx t[3];
	struct verdict v;
	char path[128], bad[128], err[ERR_LEN];
	size_t len;
	make_chain(t, 1, 1000);
	for (int i = 0; i < 3; i++)
		assert_string_equal(accept(&t[i], &v), "");
	path_in_fixture(path, sizeof(path), "mempool.dat");
	path_in_fixture(bad, sizeof(bad), "bad.dat");
	assert_int_equal(mempool_save(MP, path, err), 0);
	uint8_t *data = slurp(path, &len);

	/* A fresh pool with one transaction of its own, which must survive. */
	open_pool(NULL);
	assert_string_equal(accept(&t[0], &v), "");
	spit(bad, data, len - 1);
	expect_refused(bad, "checksum");
	spit(bad, data, len / 2);
	expect_refused(bad, "checksum");
	spit(bad, data, 0);
	expect_refused(bad, "too short");
	spit(bad, data, 10);
	expect_refused(bad, "too short");
	data[40] ^= 0x10;
	spit(bad, data, len);
	expect_refused(bad, "checksum");
	data[40] ^= 0x10;

	/* A valid checksum over a wrong version or a bad record. */
	uint8_t sum[32];
	data[8] = 2;
	hash_sha256d(sum, data, len - 32);
	memcpy(data + len - 32, sum, 32);
	spit(bad, data, len);
	expect_refused(bad, "unsupported version 2");
	data[8] = 1;
	data[0] = 'X';
	hash_sha256d(sum, data, len - 32);
	memcpy(data + len - 32, sum, 32);
	spit(bad, data, len);
	expect_refused(bad, "not a mempool file");
	data[0] = 'C';
	data[13 + 8] = 0xfd; /* first record's length: a varint past the bytes */
	hash_sha256d(sum, data, len - 32);
	memcpy(data + len - 32, sum, 32);
	spit(bad, data, len);
	expect_refused(bad, "record 0");
	assert_int_equal(mempool_count(MP), 1);
	free(data);
	for (int i = 0; i < 3; i++)
		tx_release(&t[i]);
}

/* --- templates --- */

static void test_select(void **state)
{
	(void)state;
	struct tx low_parent, rich_child, mid, cheap;
	struct verdict v;
	struct outpoint op1 = cb(1), op2 = cb(2), op3 = cb(3);
	pay(&low_parent, &op1, 50 * COIN, 200, 0, 1);
	struct outpoint lo = outp(&low_parent, 0);
	pay(&rich_child, &lo, 50 * COIN - 200, 90000, 1, 1);
	pay(&mid, &op2, 50 * COIN, 5000, 0, 1);
	pay(&cheap, &op3, 50 * COIN, 1000, 0, 1);
	/* The child first (as an orphan), so arrival order does not help. */
	assert_false(mempool_accept(MP, &rich_child, NOW, &v));
	assert_string_equal(accept(&cheap, &v), "");
	assert_string_equal(accept(&mid, &v), "");
	assert_string_equal(accept(&low_parent, &v), "");
	assert_int_equal(mempool_count(MP), 4);

	struct mempool_selection s;
	assert_int_equal(mempool_select(MP, &s, BLOCK_MAX_SIZE), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.fees, 200 + 90000 + 5000 + 1000);
	assert_int_equal(s.bytes, 4 * SMALL_TX_SIZE);
	/* By fee rate: mid, cheap, then the parent, then its child. */
	assert_memory_equal(s.txs[0].txid, mid.txid, 32);
	assert_memory_equal(s.txs[1].txid, cheap.txid, 32);
	assert_memory_equal(s.txs[2].txid, low_parent.txid, 32);
	assert_memory_equal(s.txs[3].txid, rich_child.txid, 32);
	mempool_selection_release(&s);

	/* Room for two: the best two that are ready. */
	assert_int_equal(mempool_select(MP, &s, 2 * SMALL_TX_SIZE + 10), 0);
	assert_int_equal(s.n, 2);
	assert_true(s.bytes <= 2 * SMALL_TX_SIZE + 10);
	assert_memory_equal(s.txs[0].txid, mid.txid, 32);
	mempool_selection_release(&s);
	assert_int_equal(mempool_select(MP, &s, 10), 0);
	assert_int_equal(s.n, 0);
	mempool_selection_release(&s);

	/* The template makes a valid block. */
	struct block b;
	assert_int_equal(mempool_select(MP, &s, BLOCK_MAX_SIZE), 0);
	fix_block_on(F, &b, NULL, s.txs, s.n, s.fees, 3);
	assert_string_equal(fix_accept(F, &b, &v), "");
	assert_int_equal(mempool_count(MP), 0);
	block_release(&b);
	mempool_selection_release(&s);
	tx_release(&low_parent);
	tx_release(&rich_child);
	tx_release(&mid);
	tx_release(&cheap);
}

/* --- the signature cache --- */

static void test_sigcache_fed(void **state)
{
	(void)state;
	struct tx t[4];
	struct verdict v;
	struct sig_job job;
	sigcache_set_size(1000); /* empties it */
	for (int i = 0; i < 4; i++) {
		struct outpoint op = cb((uint32_t)(i + 1));
		pay(&t[i], &op, 50 * COIN, 1000, 0, 1);
		tx_sig_jobs(&job, &t[i], F->p->magic);
		assert_false(sigcache_has(&job));
	}
	for (int i = 0; i < 4; i++)
		assert_string_equal(accept(&t[i], &v), "");
	/* Every check the block will need is already known to pass. */
	for (int i = 0; i < 4; i++) {
		tx_sig_jobs(&job, &t[i], F->p->magic);
		assert_true(sigcache_has(&job));
	}
	/* A transaction refused for its fee was never verified. */
	struct tx poor;
	struct outpoint op = cb(5);
	pay(&poor, &op, 50 * COIN, 0, 0, 1);
	assert_false(mempool_accept(MP, &poor, NOW, &v));
	tx_sig_jobs(&job, &poor, F->p->magic);
	assert_false(sigcache_has(&job));
	mine_txs(t, 4);
	assert_int_equal(mempool_count(MP), 0);
	tx_release(&poor);
	for (int i = 0; i < 4; i++)
		tx_release(&t[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accept_and_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_test_accept_and_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assets_in_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_of_three, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphans_resolved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphans_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eviction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_connected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_conflicting_registration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorg_two_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorg_drops_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigcache_fed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
