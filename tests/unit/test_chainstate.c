/* The chainstate: connect and disconnect restore the exact unspent set and
 * indexes, reorganisations both ways, invalidate/reconsider, reopening. */
#include "tests/unit/chain_fixture.h"

#include "chain/hash.h"

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

/* Counts the events the chainstate reports. */
struct events {
	int connected, disconnected;
	size_t returned_txs; /* non-coinbase transactions of disconnected blocks */
};

static void on_connected(void *ctx, const struct block *b, const struct block_index *bi)
{
	(void)b;
	(void)bi;
	((struct events *)ctx)->connected++;
}

static void on_disconnected(void *ctx, const struct block *b, const struct block_index *bi)
{
	struct events *e = ctx;
	(void)bi;
	e->disconnected++;
	e->returned_txs += b->n_tx - 1;
}

static void watch(struct events *e)
{
	struct chain_events ev = { .connected = on_connected, .disconnected = on_disconnected, .ctx = e };
	memset(e, 0, sizeof(*e));
	assert_int_equal(chainstate_listen(F->cs, &ev), 0);
}

static void test_fresh_has_genesis(void **state)
{
	(void)state;
	struct block_index *tip = chainstate_tip(F->cs);
	assert_non_null(tip);
	assert_int_equal(tip->height, 0);
	assert_memory_equal(tip->hash, F->p->genesis_hash, 32);
	assert_true(tip->status & BLOCK_VALID_TXS);
	assert_int_equal(fix_utxo(F).n, 1);
}

static void test_mine_and_spend(void **state)
{
	(void)state;
	fix_mine(F, 101, 0);
	assert_int_equal(chainstate_tip(F->cs)->height, 101);
	struct outpoint op = fix_cb_outpoint(F, 1);
	struct coin c;
	assert_int_equal(chainstate_get_coin(F->cs, &op, &c), 1);
	assert_true(c.coinbase);
	assert_int_equal(c.height, 1);
	assert_int_equal(c.out.value, 50 * COIN);
	coin_release(&c);

	struct tx tx;
	struct block b;
	struct verdict v;
	fix_spend(F, &tx, &op, 49 * COIN, 0, 1);
	fix_block_on(F, &b, NULL, &tx, 1, 1 * COIN, 0);
	assert_string_equal(fix_accept(F, &b, &v), "");
	assert_int_equal(chainstate_get_coin(F->cs, &op, &c), 0);
	struct outpoint created = { .index = 0 };
	memcpy(created.txid, tx.txid, 32);
	assert_int_equal(chainstate_get_coin(F->cs, &created, &c), 1);
	assert_memory_equal(c.out.addr, F->addr[1], 20);
	coin_release(&c);
	struct block_index *where;
	uint32_t pos;
	assert_int_equal(chainstate_find_tx(F->cs, tx.txid, &where, &pos), 1);
	assert_ptr_equal(where, chainstate_tip(F->cs));
	assert_int_equal(pos, 1);
	tx_release(&tx);
	block_release(&b);
}

/* Connecting a block and disconnecting it again leaves the unspent set,
 * the transaction index and the asset index exactly as they were. */
static void test_connect_disconnect_exact(void **state)
{
	(void)state;
	char err[ERR_LEN];
	fix_mine(F, 102, 0);
	struct fix_utxo_digest before = fix_utxo(F);
	struct block_index *tip_before = chainstate_tip(F->cs);

	/* Two spends, one chained on the other inside the block, and an asset
	 * registration. */
	struct tx txs[2];
	struct outpoint op = fix_cb_outpoint(F, 1), mid = { .index = 0 };
	fix_spend(F, &txs[0], &op, 49 * COIN, 0, 1);
	memcpy(mid.txid, txs[0].txid, 32);
	fix_spend(F, &txs[1], &mid, 48 * COIN, 1, 2);
	assert_int_equal(tx_resize(&txs[1], 1, 2), 0);
	txs[1].out[1].kind = TXOUT_ASSET;
	memset(txs[1].out[1].asset, 0xab, 32);
	memcpy(txs[1].out[1].addr, F->addr[2], 20);
	assert_int_equal(txout_set_meta(&txs[1].out[1], (const uint8_t *)"doc", 3), 0);
	fix_sign(F, &txs[1], 1);

	struct block b;
	struct verdict v;
	struct events e;
	watch(&e);
	fix_block_on(F, &b, NULL, txs, 2, 2 * COIN, 3);
	assert_string_equal(fix_accept(F, &b, &v), "");
	assert_int_equal(e.connected, 1);
	struct asset_entry ae;
	assert_int_equal(chainstate_get_asset(F->cs, txs[1].out[1].asset, &ae), 1);
	assert_memory_equal(ae.reg.txid, txs[1].txid, 32);
	assert_int_equal(ae.reg.index, 1);
	struct fix_utxo_digest after = fix_utxo(F);
	/* -1 spent coinbase, +1 coinbase, +2 outputs of the second tx; the
	 * first tx's output was created and spent inside the block. */
	assert_int_equal(after.n, before.n + 2);

	assert_int_equal(chainstate_invalidate(F->cs, chainstate_lookup(F->cs, b.hash), err), 0);
	assert_ptr_equal(chainstate_tip(F->cs), tip_before);
	assert_int_equal(e.disconnected, 1);
	assert_int_equal(e.returned_txs, 2);
	struct fix_utxo_digest again = fix_utxo(F);
	assert_int_equal(again.n, before.n);
	assert_memory_equal(again.x, before.x, 32);
	struct block_index *where;
	uint32_t pos;
	assert_int_equal(chainstate_find_tx(F->cs, txs[0].txid, &where, &pos), 0);
	assert_int_equal(chainstate_find_tx(F->cs, txs[1].txid, &where, &pos), 0);
	assert_int_equal(chainstate_get_asset(F->cs, txs[1].out[1].asset, &ae), 0);

	/* Reconsidering brings the same block, and the same state, back. */
	assert_int_equal(chainstate_reconsider(F->cs, chainstate_lookup(F->cs, b.hash), err), 0);
	assert_memory_equal(chainstate_tip(F->cs)->hash, b.hash, 32);
	struct fix_utxo_digest back = fix_utxo(F);
	assert_memory_equal(back.x, after.x, 32);
	assert_int_equal(chainstate_get_asset(F->cs, txs[1].out[1].asset, &ae), 1);
	chainstate_unlisten(F->cs, &e);
	tx_release(&txs[0]);
	tx_release(&txs[1]);
	block_release(&b);
}

/* Builds n blocks on prev, each paying payee, accepting them all; returns
 * the last one's index entry. */
static struct block_index *branch(struct block_index *prev, int n, int payee, const struct tx *first_txs,
				  size_t n_first)
{
	for (int i = 0; i < n; i++) {
		struct block b;
		struct verdict v;
		fix_block_on(F, &b, prev, i == 0 ? first_txs : NULL, i == 0 ? n_first : 0, 0, payee);
		verdict_init(&v);
		chainstate_accept_block(F->cs, &b, F->time + 3600, SOURCE_PEER, "127.0.0.1:1", &v);
		assert_true(v.result == VR_OK);
		prev = chainstate_lookup(F->cs, b.hash);
		assert_non_null(prev);
		block_release(&b);
	}
	return prev;
}

static void test_reorg_both_ways(void **state)
{
	(void)state;
	fix_mine(F, 101, 0);
	struct block_index *fork = chainstate_tip(F->cs);
	struct fix_utxo_digest at_fork = fix_utxo(F);
	struct events e;
	watch(&e);

	/* Branch A: 3 blocks, the first spends a coinbase. */
	struct tx spend;
	struct outpoint op = fix_cb_outpoint(F, 1);
	fix_spend(F, &spend, &op, 50 * COIN, 0, 1);
	struct block_index *a = branch(fork, 3, 1, &spend, 1);
	assert_ptr_equal(chainstate_tip(F->cs), a);

	/* Branch B: 5 blocks from the same fork takes over. */
	struct block_index *b = branch(fork, 3, 2, NULL, 0);
	assert_ptr_equal(chainstate_tip(F->cs), a); /* equal work: the first seen stays */
	b = branch(b, 2, 2, NULL, 0);
	assert_ptr_equal(chainstate_tip(F->cs), b);
	assert_int_equal(b->height, fork->height + 5);
	assert_int_equal(e.disconnected, 3);
	assert_int_equal(e.returned_txs, 1);
	struct coin c;
	assert_int_equal(chainstate_get_coin(F->cs, &op, &c), 1); /* unspent again */
	coin_release(&c);
	struct block_index *where;
	uint32_t pos;
	assert_int_equal(chainstate_find_tx(F->cs, spend.txid, &where, &pos), 0);
	for (uint32_t h = fork->height + 1; h <= b->height; h++)
		assert_ptr_equal(index_ancestor(b, h), chainstate_at(F->cs, h));

	/* Branch A grows to 6 and wins back; the spend is confirmed again. */
	struct block_index *a6 = branch(a, 3, 1, NULL, 0);
	assert_ptr_equal(chainstate_tip(F->cs), a6);
	assert_int_equal(chainstate_find_tx(F->cs, spend.txid, &where, &pos), 1);
	assert_ptr_equal(where, index_ancestor(a6, fork->height + 1));
	assert_int_equal(chainstate_get_coin(F->cs, &op, &c), 0);

	/* Invalidate A's first block: back to B, the unspent set equals a
	 * fresh walk of B (the fork's set plus B's coinbases). */
	char err[ERR_LEN];
	assert_int_equal(chainstate_invalidate(F->cs, index_ancestor(a6, fork->height + 1), err), 0);
	assert_ptr_equal(chainstate_tip(F->cs), b);
	assert_int_equal(fix_utxo(F).n, at_fork.n + 5);
	assert_true(index_failed(a6));
	assert_int_equal(chainstate_reconsider(F->cs, a6, err), 0);
	assert_ptr_equal(chainstate_tip(F->cs), a6);
	assert_false(index_failed(a6));
	chainstate_unlisten(F->cs, &e);
	tx_release(&spend);
}

static void test_equal_work_keeps_first_seen(void **state)
{
	(void)state;
	fix_mine(F, 2, 0);
	struct block_index *fork = chainstate_tip(F->cs);
	struct block_index *a = branch(fork, 2, 1, NULL, 0);
	struct block_index *b = branch(fork, 2, 2, NULL, 0);
	assert_ptr_equal(chainstate_tip(F->cs), a);
	assert_false(chainstate_on_best(F->cs, b));
}

static void test_reopen_same_tip(void **state)
{
	(void)state;
	fix_mine(F, 30, 1);
	struct block_index *a = branch(chainstate_at(F->cs, 25), 2, 2, NULL, 0); /* a side branch */
	(void)a;
	uint8_t tip[32];
	memcpy(tip, chainstate_tip(F->cs)->hash, 32);
	struct fix_utxo_digest d = fix_utxo(F);
	chainstate_close(F->cs);
	fix_open(F);
	assert_memory_equal(chainstate_tip(F->cs)->hash, tip, 32);
	assert_int_equal(chainstate_tip(F->cs)->height, 30);
	struct fix_utxo_digest d2 = fix_utxo(F);
	assert_memory_equal(d.x, d2.x, 32);
	struct block_index *x;
	size_t n = 0;
	for (size_t it = 0; (x = chainstate_next(F->cs, &it));)
		n++;
	assert_int_equal(n, 33);
	fix_mine(F, 1, 1);
	assert_int_equal(chainstate_tip(F->cs)->height, 31);
}

static void test_invalidate_genesis_refused(void **state)
{
	(void)state;
	char err[ERR_LEN] = "";
	assert_int_equal(chainstate_invalidate(F->cs, chainstate_at(F->cs, 0), err), -1);
	assert_non_null(strstr(err, "genesis"));
}

/* A block whose parent's data is missing waits, then connects once the
 * parent arrives (blocks may arrive out of order during sync). */
static void test_out_of_order_blocks(void **state)
{
	(void)state;
	struct block b1, b2;
	struct verdict v;
	struct block_index *bi;
	fix_block_on(F, &b1, NULL, NULL, 0, 0, 0);
	assert_true(chainstate_accept_header(F->cs, &b1.header, F->time, &bi, &v));
	fix_block_on(F, &b2, bi, NULL, 0, 0, 0);
	assert_string_equal(fix_accept(F, &b2, &v), "");
	assert_int_equal(chainstate_tip(F->cs)->height, 0);
	assert_string_equal(fix_accept(F, &b1, &v), "");
	assert_int_equal(chainstate_tip(F->cs)->height, 2);
	assert_string_equal(fix_accept(F, &b1, &v), "duplicate");
	block_release(&b1);
	block_release(&b2);
}

/* A block whose signatures the caller verified still meets every other
 * rule, and only that very block skips the signature check: a descendant
 * connected from storage in the same activation is checked in full. */
static void test_accept_verified(void **state)
{
	(void)state;
	struct block b, parent, child;
	struct verdict v;
	struct tx tx;
	fix_mine(F, 101, 0);

	/* Every non-signature rule: a coinbase claiming one unit too many. */
	fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
	b.txs[0].out[0].value += 1;
	tx_finalize(&b.txs[0]);
	fix_resolve(&b);
	verdict_init(&v);
	assert_false(chainstate_accept_verified(F->cs, &b, F->time + 3600, SOURCE_PEER, NULL, &v));
	assert_string_equal(v.reason, "bad-cb-amount");
	block_release(&b);

	/* A child with a bad signature arrives before its parent. */
	struct outpoint op = fix_cb_outpoint(F, 1);
	fix_spend(F, &tx, &op, 49 * COIN, 0, 1);
	tx.in[0].sig[5] ^= 1;
	tx_finalize(&tx);
	fix_block_on(F, &parent, NULL, NULL, 0, 0, 0);
	struct block_index *pi;
	assert_true(chainstate_accept_header(F->cs, &parent.header, F->time + 3600, &pi, &v));
	fix_block_on(F, &child, pi, &tx, 1, 1 * COIN, 0);
	assert_string_equal(fix_accept(F, &child, &v), "");
	assert_int_equal(chainstate_tip(F->cs)->height, 101); /* waits for its parent */
	verdict_init(&v);
	assert_true(chainstate_accept_verified(F->cs, &parent, F->time + 3600, SOURCE_PEER, NULL, &v));
	assert_memory_equal(chainstate_tip(F->cs)->hash, parent.hash, 32);
	assert_true(index_failed(chainstate_lookup(F->cs, child.hash)));
	tx_release(&tx);
	block_release(&parent);
	block_release(&child);
}

/* The uncached check neither trusts nor feeds the signature cache. */
static void test_sig_verify_uncached(void **state)
{
	(void)state;
	struct sig_job j;
	memset(&j, 0, sizeof(j));
	memcpy(j.pubkey, F->pk[0], 32);
	j.msg[0] = 1;
	uint8_t aux[32] = { 0 };
	assert_int_equal(key_sign_aux(j.sig, F->sk[0], j.msg, aux), 0);
	sigcache_set_size(100);
	assert_int_equal(sig_verify_uncached(&j, 1, NULL), 1);
	assert_false(sigcache_has(&j));
	struct sig_job bad = j;
	bad.sig[0] ^= 1;
	sigcache_add(&bad); /* a poisoned entry the cached path would trust */
	assert_int_equal(sig_verify_batch(&bad, 1, NULL, false), 1);
	assert_int_equal(sig_verify_uncached(&bad, 1, NULL), 0);
	sigcache_set_size(40000);
}

/* tip_changed: one call when a move of the best chain is complete, after
 * every connect and disconnect of it, whatever started it; none when a
 * block leaves the tip where it was; listeners in the order added. */
struct tips {
	int calls, blocks_before; /* blocks_before: connects+disconnects seen at the last call */
	struct events *ev;
	const struct block_index *last;
	int order[8], n_order, id;
	struct tips *log; /* where the order is written */
};

static void on_tip(void *ctx, const struct block_index *tip)
{
	struct tips *t = ctx;
	t->calls++;
	t->last = tip;
	if (t->ev)
		t->blocks_before = t->ev->connected + t->ev->disconnected;
	if (t->log && t->log->n_order < 8)
		t->log->order[t->log->n_order++] = t->id;
}

static void test_tip_changed_once_per_move(void **state)
{
	(void)state;
	char err[ERR_LEN];
	fix_mine(F, 3, 0);
	struct block_index *fork = chainstate_tip(F->cs);
	struct events e;
	struct tips t = { .ev = &e }, second = { .id = 2 };
	t.id = 1;
	t.log = second.log = &t;
	watch(&e);
	struct chain_events tev = { .tip_changed = on_tip, .ctx = &t };
	struct chain_events sev = { .tip_changed = on_tip, .ctx = &second };
	assert_int_equal(chainstate_listen(F->cs, &tev), 0);
	assert_int_equal(chainstate_listen(F->cs, &sev), 0);

	struct block_index *a = branch(fork, 2, 1, NULL, 0);
	assert_int_equal(t.calls, 2); /* one a block */
	assert_ptr_equal(t.last, a);
	assert_int_equal(t.n_order, 4);
	assert_int_equal(t.order[0], 1); /* the order they were added in */
	assert_int_equal(t.order[1], 2);

	/* A weaker branch moves nothing: no call. */
	struct block_index *b = branch(fork, 2, 2, NULL, 0);
	assert_int_equal(t.calls, 2);
	/* One more block on it: a reorganisation of 2 out and 3 in, one call
	 * after all five. */
	int moves = e.connected + e.disconnected;
	b = branch(b, 1, 2, NULL, 0);
	assert_int_equal(t.calls, 3);
	assert_ptr_equal(t.last, b);
	assert_int_equal(e.connected + e.disconnected, moves + 5);
	assert_int_equal(t.blocks_before, moves + 5);

	/* invalidate and reconsider each end with one call. */
	assert_int_equal(chainstate_invalidate(F->cs, index_ancestor(b, fork->height + 1), err), 0);
	assert_int_equal(t.calls, 4);
	assert_ptr_equal(t.last, a);
	assert_int_equal(chainstate_reconsider(F->cs, b, err), 0);
	assert_int_equal(t.calls, 5);
	assert_ptr_equal(t.last, b);
	/* Activating an already best chain moves nothing. */
	assert_int_equal(chainstate_activate(F->cs, err), 0);
	assert_int_equal(t.calls, 5);

	/* Removed listeners hear nothing more. */
	chainstate_unlisten(F->cs, &second);
	branch(b, 1, 2, NULL, 0);
	assert_int_equal(t.calls, 6);
	assert_int_equal(second.calls, 5);
	chainstate_unlisten(F->cs, &t);
	chainstate_unlisten(F->cs, &e);
	branch(chainstate_tip(F->cs), 1, 2, NULL, 0);
	assert_int_equal(t.calls, 6);
}

static void test_listeners_bounded(void **state)
{
	(void)state;
	struct tips t[CHAIN_MAX_LISTENERS + 1];
	memset(t, 0, sizeof(t));
	for (int i = 0; i < CHAIN_MAX_LISTENERS; i++) {
		struct chain_events ev = { .tip_changed = on_tip, .ctx = &t[i] };
		assert_int_equal(chainstate_listen(F->cs, &ev), 0);
	}
	struct chain_events ev = { .tip_changed = on_tip, .ctx = &t[CHAIN_MAX_LISTENERS] };
	assert_int_equal(chainstate_listen(F->cs, &ev), -1);
	fix_mine(F, 1, 0);
	for (int i = 0; i < CHAIN_MAX_LISTENERS; i++) {
		assert_int_equal(t[i].calls, 1);
		chainstate_unlisten(F->cs, &t[i]);
	}
	assert_int_equal(t[CHAIN_MAX_LISTENERS].calls, 0);
}

/* index_ancestor along the skip pointers finds the same block as a walk
 * along prev, from every height to every height of a long chain and of a
 * branch off it, and index_fork meets the branch where it left. */
static void test_ancestor_skips(void **state)
{
	(void)state;
	enum { N = 3000, FORK = 1234, M = 700 };
	struct block_index *main_chain = calloc(N, sizeof(*main_chain)), *side = calloc(M, sizeof(*side));
	assert_non_null(main_chain);
	assert_non_null(side);
	for (uint32_t h = 0; h < N; h++) {
		main_chain[h].height = h;
		main_chain[h].prev = h ? &main_chain[h - 1] : NULL;
		index_link_skip(&main_chain[h]);
	}
	for (uint32_t i = 0; i < M; i++) {
		side[i].height = FORK + 1 + i;
		side[i].prev = i ? &side[i - 1] : &main_chain[FORK];
		index_link_skip(&side[i]);
	}
	for (uint32_t from = 0; from < N; from += 7)
		for (uint32_t h = 0; h <= from; h++)
			assert_ptr_equal(index_ancestor(&main_chain[from], h), &main_chain[h]);
	for (uint32_t h = 0; h < FORK + 1 + M; h++)
		assert_ptr_equal(index_ancestor(&side[M - 1], h), h <= FORK ? &main_chain[h] : &side[h - FORK - 1]);
	assert_null(index_ancestor(&main_chain[10], 11));
	assert_ptr_equal(index_fork(&main_chain[N - 1], &side[M - 1]), &main_chain[FORK]);
	assert_ptr_equal(index_fork(&side[5], &main_chain[FORK - 3]), &main_chain[FORK - 3]);
	free(main_chain);
	free(side);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_has_genesis, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mine_and_spend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_disconnect_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorg_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_equal_work_keeps_first_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_same_tip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalidate_genesis_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_verified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sig_verify_uncached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tip_changed_once_per_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listeners_bounded, setup, teardown),
		cmocka_unit_test(test_ancestor_skips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
