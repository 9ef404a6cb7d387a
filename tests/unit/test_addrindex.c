/* The address index: its keys and their order, and the index kept in step
 * with the chain (live, built afterwards, across reorganisations) checked
 * against the unspent outputs and the blocks themselves. */
#include "chain_fixture.h"

#include "chain/addrindex.h"
#include "chain/dbkeys.h"

static struct fixture *F;

static int setup(void **state)
{
	(void)state;
	F = fix_new();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fix_free(F);
	return 0;
}

static void test_delta_key_roundtrip_and_order(void **state)
{
	(void)state;
	struct addrindex_delta a, b;
	uint8_t ka[ADDRINDEX_DELTA_KEY], va[ADDRINDEX_DELTA_VAL], kb[ADDRINDEX_DELTA_KEY];
	memset(&a, 0, sizeof(a));
	a.height = 1;
	a.pos = 2;
	a.index = 3;
	a.spending = true;
	a.amount = -5;
	memset(a.addr, 0xab, 20);
	memset(a.txid, 0xcd, 32);
	addrindex_delta_key(ka, &a);
	addrindex_delta_val(va, &a);
	assert_int_equal(ka[0], DB_ADDR_DELTA);
	assert_true(addrindex_delta_read(&b, ka, sizeof(ka), va, sizeof(va)));
	assert_memory_equal(&a, &b, sizeof(a));
	/* Wrong sizes, prefix or flag are refused. */
	assert_false(addrindex_delta_read(&b, ka, sizeof(ka) - 1, va, sizeof(va)));
	assert_false(addrindex_delta_read(&b, ka, sizeof(ka), va, sizeof(va) - 1));
	ka[33] = 2;
	assert_false(addrindex_delta_read(&b, ka, sizeof(ka), va, sizeof(va)));
	/* Height is big-endian: 255 sorts before 256, whatever the bytes. */
	struct addrindex_delta lo = a, hi = a;
	lo.height = 255;
	hi.height = 256;
	addrindex_delta_key(ka, &lo);
	addrindex_delta_key(kb, &hi);
	assert_true(memcmp(ka, kb, sizeof(ka)) < 0);
	/* Then position, then index, then receipt before spend. */
	lo = hi = a;
	lo.pos = 9;
	hi.pos = 10;
	lo.index = 300;
	hi.index = 0;
	addrindex_delta_key(ka, &lo);
	addrindex_delta_key(kb, &hi);
	assert_true(memcmp(ka, kb, sizeof(ka)) < 0);
	lo = hi = a;
	lo.index = 1;
	hi.index = 2;
	lo.spending = true;
	hi.spending = false;
	addrindex_delta_key(ka, &lo);
	addrindex_delta_key(kb, &hi);
	assert_true(memcmp(ka, kb, sizeof(ka)) < 0);
	lo = hi = a;
	lo.spending = false;
	addrindex_delta_key(ka, &lo);
	addrindex_delta_key(kb, &hi);
	assert_true(memcmp(ka, kb, sizeof(ka)) < 0);
}

static void test_utxo_key_roundtrip(void **state)
{
	(void)state;
	struct addrindex_utxo a, b;
	uint8_t k[ADDRINDEX_UTXO_KEY], v[ADDRINDEX_UTXO_VAL];
	memset(&a, 0, sizeof(a));
	a.index = 7;
	a.height = 70000;
	a.pos = 12;
	a.amount = 50 * COIN;
	a.coinbase = true;
	memset(a.addr, 1, 20);
	memset(a.txid, 2, 32);
	addrindex_utxo_key(k, &a);
	addrindex_utxo_val(v, &a);
	assert_int_equal(k[0], DB_ADDR_UTXO);
	assert_true(addrindex_utxo_read(&b, k, sizeof(k), v, sizeof(v)));
	assert_memory_equal(&a, &b, sizeof(a));
	v[16] = 3;
	assert_false(addrindex_utxo_read(&b, k, sizeof(k), v, sizeof(v)));
	assert_false(addrindex_utxo_read(&b, k, 36, v, sizeof(v)));
}

/* What the chain itself says of address i: its unspent outputs (count and
 * sum) and every amount the best chain's blocks paid it. */
struct truth {
	const uint8_t *addr;
	size_t n_utxo;
	int64_t unspent, received;
};

static int truth_coin(void *ctx, const struct outpoint *op, const struct coin *c)
{
	struct truth *t = ctx;
	(void)op;
	if (memcmp(c->out.addr, t->addr, 20) == 0) {
		t->n_utxo++;
		t->unspent += c->out.value;
	}
	return 0;
}

static struct truth truth_of(int i)
{
	struct truth t = { .addr = F->addr[i] };
	char err[ERR_LEN];
	assert_int_equal(chainstate_for_each_coin(F->cs, truth_coin, &t), 0);
	for (uint32_t h = 0; h <= chainstate_tip(F->cs)->height; h++) {
		struct block b;
		assert_int_equal(chainstate_read_block(F->cs, chainstate_at(F->cs, h), &b, err), 0);
		for (size_t x = 0; x < b.n_tx; x++)
			for (size_t o = 0; o < b.txs[x].n_out; o++)
				if (memcmp(b.txs[x].out[o].addr, t.addr, 20) == 0)
					t.received += b.txs[x].out[o].value;
		block_release(&b);
	}
	return t;
}

struct walk {
	uint8_t last[ADDRINDEX_DELTA_KEY];
	size_t n;
	int64_t sum;
};

static int walk_delta(void *ctx, const struct addrindex_delta *d)
{
	struct walk *w = ctx;
	uint8_t k[ADDRINDEX_DELTA_KEY];
	addrindex_delta_key(k, d);
	if (w->n)
		assert_true(memcmp(w->last + 21, k + 21, sizeof(k) - 21) < 0);
	memcpy(w->last, k, sizeof(k));
	w->n++;
	w->sum += d->amount;
	return 0;
}

/* The index agrees with the chain for every key of the fixture. */
static void check_index(struct addrindex *ai)
{
	char err[ERR_LEN];
	assert_true(addrindex_synced(ai));
	for (int i = 0; i < 4; i++) {
		struct truth t = truth_of(i);
		int64_t bal, rec;
		struct addrindex_utxo *u;
		size_t n;
		struct walk w = { .n = 0 };
		const uint8_t (*one)[20] = (const uint8_t (*)[20])F->addr[i];
		assert_int_equal(addrindex_balance(ai, one, 1, &bal, &rec, err), 0);
		assert_int_equal(bal, t.unspent);
		assert_int_equal(rec, t.received);
		assert_int_equal(addrindex_utxos(ai, one, 1, &u, &n, err), 0);
		assert_int_equal(n, t.n_utxo);
		int64_t sum = 0;
		for (size_t k = 0; k < n; k++) {
			sum += u[k].amount;
			if (k)
				assert_true(u[k - 1].height < u[k].height ||
					    (u[k - 1].height == u[k].height && u[k - 1].pos <= u[k].pos));
		}
		assert_int_equal(sum, t.unspent);
		free(u);
		assert_int_equal(addrindex_deltas(ai, one, 1, 0, UINT32_MAX, walk_delta, &w, err), 0);
		assert_int_equal(w.sum, t.unspent);
	}
	/* All four at once: one merged stream, still in order. */
	struct walk w = { .n = 0 };
	assert_int_equal(addrindex_deltas(ai, (const uint8_t (*)[20])F->addr, 4, 0, UINT32_MAX, walk_delta, &w, err), 0);
}

static void build_all(struct addrindex *ai)
{
	char err[ERR_LEN];
	int r, steps = 0;
	while ((r = addrindex_build_step(ai, 50, err)) == 1)
		assert_true(++steps < 100000);
	assert_int_equal(r, 0);
}

/* Block with a spend of key from's coinbase at height h to key to, change
 * back to from, and a second spend of the first's output in the same block. */
static void spend_block(uint32_t h, int from, int to)
{
	struct tx tx[2];
	struct block b;
	struct verdict v;
	struct outpoint op = fix_cb_outpoint(F, h);
	fix_spend(F, &tx[0], &op, 30 * COIN, from, to);
	assert_int_equal(tx_resize(&tx[0], 1, 2), 0);
	tx[0].out[1].value = 19 * COIN;
	memcpy(tx[0].out[1].addr, F->addr[from], 20);
	fix_sign(F, &tx[0], from);
	struct outpoint mid = { .index = 0 };
	memcpy(mid.txid, tx[0].txid, 32);
	fix_spend(F, &tx[1], &mid, 29 * COIN, to, 3);
	fix_block_on(F, &b, NULL, tx, 2, 2 * COIN, 2);
	assert_string_equal(fix_accept(F, &b, &v), "");
	tx_release(&tx[0]);
	tx_release(&tx[1]);
	block_release(&b);
}

static void test_live_build_and_reorg(void **state)
{
	(void)state;
	char err[ERR_LEN];
	struct addrindex *ai = addrindex_new(F->cs);
	struct connect_writer w = addrindex_writer(ai);
	assert_non_null(ai);
	fix_mine(F, 101, 0);
	/* Enabled on an existing chain: built from the stored blocks. */
	assert_false(addrindex_synced(ai));
	build_all(ai);
	check_index(ai);
	chainstate_set_writer(F->cs, &w);
	/* Kept live from here. */
	spend_block(1, 0, 1);
	spend_block(2, 0, 1);
	fix_mine(F, 2, 1);
	check_index(ai);
	/* Invalidating takes the blocks' records out, exactly. */
	struct block_index *fork = chainstate_at(F->cs, 102);
	assert_int_equal(chainstate_invalidate(F->cs, fork, err), 0);
	assert_int_equal(chainstate_tip(F->cs)->height, 101);
	check_index(ai);
	/* Another branch while the first is invalid, then back to the first. */
	spend_block(1, 0, 2);
	fix_mine(F, 1, 3);
	check_index(ai);
	assert_int_equal(chainstate_reconsider(F->cs, fork, err), 0);
	assert_int_equal(chainstate_tip(F->cs)->height, 105);
	check_index(ai);
	/* Off for a while: the index falls behind, then catches up. */
	chainstate_set_writer(F->cs, NULL);
	fix_mine(F, 3, 2);
	assert_false(addrindex_synced(ai));
	chainstate_set_writer(F->cs, &w);
	fix_mine(F, 1, 2); /* behind: the writer leaves it to the build */
	/* Behind, the chain falls back to the index's last block: blocks
	 * above it leave nothing to undo, and the index is at the tip again;
	 * going forward again, the writer takes each block live. */
	struct block_index *best = addrindex_best(ai), *above = chainstate_at(F->cs, best->height + 1);
	assert_int_equal(chainstate_invalidate(F->cs, above, err), 0);
	assert_ptr_equal(chainstate_tip(F->cs), best);
	check_index(ai);
	assert_int_equal(chainstate_invalidate(F->cs, best, err), 0);
	check_index(ai);
	assert_int_equal(chainstate_reconsider(F->cs, best, err), 0);
	assert_int_equal(chainstate_tip(F->cs)->height, 109);
	check_index(ai);
	fix_mine(F, 1, 2);
	build_all(ai);
	check_index(ai);
	/* Off across a reorganisation: its marker leaves the best chain, so a
	 * new run clears it and builds again. */
	chainstate_set_writer(F->cs, NULL);
	assert_int_equal(chainstate_invalidate(F->cs, chainstate_at(F->cs, 109), err), 0);
	fix_mine(F, 3, 1);
	addrindex_free(ai);
	ai = addrindex_new(F->cs);
	w = addrindex_writer(ai);
	chainstate_set_writer(F->cs, &w);
	assert_null(addrindex_best(ai));
	build_all(ai);
	check_index(ai);
	chainstate_set_writer(F->cs, NULL);
	addrindex_free(ai);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_key_roundtrip_and_order),
		cmocka_unit_test(test_utxo_key_roundtrip),
		cmocka_unit_test_setup_teardown(test_live_build_and_reorg, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
