/* getblockstats' arithmetic (chain/blockstats.h): Core's median and
 * weighted percentiles on hand-worked cases, a block's figures from its
 * spent coins, refusals of undo data that does not match the block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chain/blockstats.h"

static void test_median(void **state)
{
	(void)state;
	int64_t a[] = { 5, 1, 3 }, b[] = { 4, 1, 3, 10 }, c[] = { 7 };
	assert_int_equal(blockstats_median(NULL, 0), 0);
	assert_int_equal(blockstats_median(a, 3), 3);
	assert_int_equal(blockstats_median(b, 4), 3); /* (3 + 4) / 2, truncated */
	assert_int_equal(blockstats_median(c, 1), 7);
}

static void test_percentiles(void **state)
{
	(void)state;
	int64_t out[BLOCKSTATS_PERCENTILES];
	/* sizes 10 each: cumulative 10..100; the 10th % is reached at the
	 * first, 25th at the third, 50th at the fifth, ... */
	int64_t rates[10] = { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 }, sizes[10];
	for (int i = 0; i < 10; i++)
		sizes[i] = 10;
	blockstats_percentiles(out, rates, sizes, 10);
	int64_t want[] = { 1, 3, 5, 8, 9 };
	assert_memory_equal(out, want, sizeof(want));
	/* one heavy transaction holds every percentile */
	int64_t r2[] = { 1, 50, 2 }, s2[] = { 1, 1000, 1 };
	blockstats_percentiles(out, r2, s2, 3);
	int64_t want2[] = { 50, 50, 50, 50, 50 };
	assert_memory_equal(out, want2, sizeof(want2));
	blockstats_percentiles(out, NULL, NULL, 0);
	int64_t zero[BLOCKSTATS_PERCENTILES] = { 0 };
	assert_memory_equal(out, zero, sizeof(zero));
}

/* A block of a coinbase and two spends: tx1 spends one coin of 100, pays
 * 90 (fee 10); tx2 spends coins of 30 and 20, pays 49 (fee 1). */
static void make_block(struct block *b, struct coin spent[3])
{
	block_init(b);
	assert_int_equal(block_resize(b, 3), 0);
	assert_int_equal(tx_resize(&b->txs[0], 1, 1), 0);
	b->txs[0].out[0].value = 5000;
	assert_int_equal(tx_resize(&b->txs[1], 1, 2), 0);
	b->txs[1].out[0].value = 60;
	b->txs[1].out[1].value = 30;
	assert_int_equal(tx_resize(&b->txs[2], 2, 1), 0);
	b->txs[2].out[0].value = 49;
	for (size_t i = 0; i < 3; i++)
		tx_finalize(&b->txs[i]);
	int64_t values[3] = { 100, 30, 20 };
	for (size_t i = 0; i < 3; i++) {
		coin_init(&spent[i]);
		spent[i].out.value = values[i];
	}
}

static void test_compute(void **state)
{
	(void)state;
	struct block b;
	struct coin spent[3];
	struct blockstats st;
	char err[ERR_LEN];
	make_block(&b, spent);
	assert_int_equal(blockstats_compute(&st, &b, spent, 3, err), 0);
	int64_t s1 = (int64_t)b.txs[1].size, s2 = (int64_t)b.txs[2].size;
	assert_int_equal(st.txs, 3);
	assert_int_equal(st.ins, 3);
	assert_int_equal(st.outs, 4);
	assert_int_equal(st.total_fee, 11);
	assert_int_equal(st.max_fee, 10);
	assert_int_equal(st.min_fee, 1);
	assert_int_equal(st.median_fee, 5); /* (1 + 10) / 2 */
	assert_int_equal(st.avg_fee, 5);
	assert_int_equal(st.total_out, 139);
	assert_int_equal(st.total_size, s1 + s2);
	assert_int_equal(st.max_tx_size, s1 > s2 ? s1 : s2);
	assert_int_equal(st.min_tx_size, s1 < s2 ? s1 : s2);
	assert_int_equal(st.utxo_increase, 1);
	/* 4 outputs created, 3 spent, each 29 bytes + 41 */
	assert_int_equal(st.utxo_size_inc, (4 - 3) * (29 + BLOCKSTATS_UTXO_OVERHEAD));
	assert_int_equal(st.max_fee_rate, 10 / s1);
	/* undo data that does not match the block's inputs */
	assert_int_equal(blockstats_compute(&st, &b, spent, 2, err), -1);
	assert_int_equal(st.txs, 0);
	assert_int_equal(blockstats_compute(&st, &b, spent, 4, err), -1);
	/* a fee below zero (outputs above inputs) is refused */
	spent[0].out.value = 1;
	assert_int_equal(blockstats_compute(&st, &b, spent, 3, err), -1);
	block_release(&b);
}

static void test_coinbase_only(void **state)
{
	(void)state;
	struct block b;
	struct blockstats st;
	char err[ERR_LEN];
	block_init(&b);
	assert_int_equal(block_resize(&b, 1), 0);
	assert_int_equal(tx_resize(&b.txs[0], 1, 1), 0);
	tx_finalize(&b.txs[0]);
	assert_int_equal(blockstats_compute(&st, &b, NULL, 0, err), 0);
	assert_int_equal(st.txs, 1);
	assert_int_equal(st.ins, 0);
	assert_int_equal(st.total_size, 0);
	assert_int_equal(st.avg_fee, 0);
	block_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_compute),
		cmocka_unit_test(test_coinbase_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
