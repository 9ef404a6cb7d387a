/* Coin selection: exact sizes and fees, changeless matches, dust change
 * dropped into the fee, confirmed coins first, fee subtraction, refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "wallet/coinselect.h"

#define RATE 1000

static struct coinselect_req req_for(int64_t target)
{
	struct coinselect_req r = { .target = target, .n_outputs = 1, .outputs_size = COINSELECT_OUTPUT_SIZE,
				    .fee_rate = RATE };
	return r;
}

static int64_t fee_for(size_t n_in, size_t n_out)
{
	return coinselect_fee(RATE, coinselect_tx_size(n_in, n_out, n_out * COINSELECT_OUTPUT_SIZE));
}

/* The size formula against a real serialized transaction. */
static void test_size_matches_serialization(void **state)
{
	(void)state;
	struct tx tx;
	tx_init(&tx);
	assert_int_equal(tx_resize(&tx, 3, 2), 0);
	assert_int_equal(tx_serialized_size(&tx), coinselect_tx_size(3, 2, 2 * COINSELECT_OUTPUT_SIZE));
	tx_release(&tx);
	assert_int_equal(coinselect_fee(1000, 200), 200);
	assert_int_equal(coinselect_fee(1001, 1000), 1001);
	assert_int_equal(coinselect_fee(1, 1), 1); /* rounded up */
	assert_int_equal(COINSELECT_DUST, 483);
	assert_int_equal(coinselect_dust(0), 483);
	assert_true(coinselect_dust(10 * COIN / 1000) > 483);
}

/* One coin covers exactly the amount and its fee: no change, no excess. */
static void test_exact_match(void **state)
{
	(void)state;
	struct coinselect_coin coins[] = { { 1 * COIN, true, 0 }, { 2 * COIN, true, 0 }, { 5 * COIN, true, 0 } };
	struct coinselect_req r = req_for(2 * COIN - fee_for(1, 1));
	struct coinselect_result res;
	char err[ERR_LEN] = "";
	assert_int_equal(coinselect_select(&res, coins, 3, &r, err), COINSELECT_OK);
	assert_int_equal(res.n_chosen, 1);
	assert_int_equal(res.chosen[0], 1);
	assert_int_equal(res.change, 0);
	assert_int_equal(res.fee, fee_for(1, 1));
	assert_int_equal(res.in_value, r.target + res.fee);
	coinselect_result_release(&res);
	coinselect_result_release(&res); /* safe twice */
}

/* Branch and bound finds two coins that avoid change where largest-first
 * would have spent the big one and made change. */
static void test_bnb_avoids_change(void **state)
{
	(void)state;
	struct coinselect_coin coins[] = { { 6 * COIN, true, 0 }, { 3 * COIN, true, 0 }, { 2 * COIN, true, 0 } };
	struct coinselect_req r = req_for(5 * COIN - fee_for(2, 1));
	struct coinselect_result res;
	assert_int_equal(coinselect_select(&res, coins, 3, &r, NULL), COINSELECT_OK);
	assert_int_equal(res.n_chosen, 2);
	assert_int_equal(res.change, 0);
	assert_int_equal(res.in_value, 5 * COIN);
	coinselect_result_release(&res);
}

static void test_change_made(void **state)
{
	(void)state;
	struct coinselect_coin coins[] = { { 1 * COIN, true, 0 } };
	struct coinselect_req r = req_for(COIN / 2);
	struct coinselect_result res;
	assert_int_equal(coinselect_select(&res, coins, 1, &r, NULL), COINSELECT_OK);
	assert_int_equal(res.fee, fee_for(1, 2));
	assert_int_equal(res.change, COIN / 2 - fee_for(1, 2));
	assert_int_equal(res.size, coinselect_tx_size(1, 2, 2 * COINSELECT_OUTPUT_SIZE));
	assert_int_equal(res.in_value, r.target + res.fee + res.change);
	coinselect_result_release(&res);
}

/* Change below the dust threshold is not made: it goes to the fee. */
static void test_dust_change_to_fee(void **state)
{
	(void)state;
	struct coinselect_coin coins[] = { { 100000, true, 0 } };
	struct coinselect_req r = req_for(100000 - fee_for(1, 1) - 300);
	struct coinselect_result res;
	assert_int_equal(coinselect_select(&res, coins, 1, &r, NULL), COINSELECT_OK);
	assert_int_equal(res.change, 0);
	assert_int_equal(res.fee, fee_for(1, 1) + 300);
	assert_int_equal(res.size, coinselect_tx_size(1, 1, COINSELECT_OUTPUT_SIZE));
	coinselect_result_release(&res);
	/* 483 units of change is no longer dust. */
	r.target = 100000 - fee_for(1, 2) - COINSELECT_DUST;
	assert_int_equal(coinselect_select(&res, coins, 1, &r, NULL), COINSELECT_OK);
	assert_int_equal(res.change, COINSELECT_DUST);
	coinselect_result_release(&res);
}

static void test_insufficient(void **state)
{
	(void)state;
	struct coinselect_coin coins[] = { { 1 * COIN, true, 0 }, { 1 * COIN, false, 0 } };
	struct coinselect_req r = req_for(2 * COIN);
	struct coinselect_result res;
	char err[ERR_LEN] = "";
	assert_int_equal(coinselect_select(&res, coins, 2, &r, err), COINSELECT_INSUFFICIENT);
	assert_non_null(strstr(err, "insufficient funds"));
	assert_null(res.chosen);
	assert_int_equal(res.n_chosen, 0);
	/* No coins at all. */
	assert_int_equal(coinselect_select(&res, NULL, 0, &r, err), COINSELECT_INSUFFICIENT);
}

static void test_confirmed_first(void **state)
{
	(void)state;
	struct coinselect_coin coins[] = { { 3 * COIN, false, 0 }, { 1 * COIN, true, 0 } };
	struct coinselect_req r = req_for(COIN / 2);
	struct coinselect_result res;
	assert_int_equal(coinselect_select(&res, coins, 2, &r, NULL), COINSELECT_OK);
	assert_int_equal(res.n_chosen, 1);
	assert_int_equal(res.chosen[0], 1);
	coinselect_result_release(&res);
	/* More than the confirmed coins hold: the unconfirmed one joins. */
	r.target = 2 * COIN;
	assert_int_equal(coinselect_select(&res, coins, 2, &r, NULL), COINSELECT_OK);
	assert_int_equal(res.chosen[0], 0);
	coinselect_result_release(&res);
}

/* Unconfirmed coins in short mempool chains go first, and none whose
 * spend would pass the chain limit is ever picked. */
static void test_short_chains_first(void **state)
{
	(void)state;
	struct coinselect_coin coins[] = { { 10 * COIN, false, 20 }, { 5 * COIN, false, 1 }, { 50 * COIN, false, 25 } };
	struct coinselect_req r = req_for(3 * COIN);
	struct coinselect_result res;
	char err[ERR_LEN];
	r.chain_limit = 25;
	assert_int_equal(coinselect_select(&res, coins, 3, &r, err), COINSELECT_OK);
	assert_int_equal(res.n_chosen, 1);
	assert_int_equal(res.chosen[0], 1); /* not the larger coin 20 deep */
	coinselect_result_release(&res);
	/* more than the short chain holds: the coin 20 deep (limit - 1 = 24) joins */
	r.target = 8 * COIN;
	assert_int_equal(coinselect_select(&res, coins, 3, &r, err), COINSELECT_OK);
	assert_int_equal(res.n_chosen, 1);
	assert_int_equal(res.chosen[0], 0);
	coinselect_result_release(&res);
	/* only the coin at the limit would do: refused, with Core's reason */
	r.target = 40 * COIN;
	assert_int_equal(coinselect_select(&res, coins, 3, &r, err), COINSELECT_INSUFFICIENT);
	assert_non_null(strstr(err, "spending them creates a chain of transactions that will be rejected"));
	/* more than every coin: plain insufficient funds */
	r.target = 100 * COIN;
	assert_int_equal(coinselect_select(&res, coins, 3, &r, err), COINSELECT_INSUFFICIENT);
	assert_non_null(strstr(err, "insufficient funds"));
	/* no limit: the deep coin is a candidate like any other */
	r.target = 40 * COIN;
	r.chain_limit = 0;
	assert_int_equal(coinselect_select(&res, coins, 3, &r, err), COINSELECT_OK);
	assert_int_equal(res.chosen[0], 2);
	coinselect_result_release(&res);
}

/* The recipients pay the fee: spending one whole coin makes no change. */
static void test_subtract_fee(void **state)
{
	(void)state;
	struct coinselect_coin coins[] = { { 1 * COIN, true, 0 }, { 2 * COIN, true, 0 } };
	struct coinselect_req r = req_for(3 * COIN);
	r.subtract_fee = true;
	struct coinselect_result res;
	assert_int_equal(coinselect_select(&res, coins, 2, &r, NULL), COINSELECT_OK);
	assert_int_equal(res.n_chosen, 2);
	assert_int_equal(res.change, 0);
	assert_int_equal(res.subtracted, fee_for(2, 1));
	assert_int_equal(res.fee, fee_for(2, 1));
	coinselect_result_release(&res);
	/* Part of a coin: change, and the fee still comes from the recipients. */
	r.target = COIN / 2;
	assert_int_equal(coinselect_select(&res, coins, 2, &r, NULL), COINSELECT_OK);
	assert_int_equal(res.n_chosen, 1);
	assert_int_equal(res.chosen[0], 1);
	assert_int_equal(res.change, 2 * COIN - COIN / 2);
	assert_int_equal(res.subtracted, fee_for(1, 2));
	coinselect_result_release(&res);
}

/* A coin worth less than the fee of its own input is never chosen. */
static void test_uneconomic_coin_skipped(void **state)
{
	(void)state;
	struct coinselect_coin coins[] = { { 100, true, 0 }, { 1 * COIN, true, 0 } };
	struct coinselect_req r = req_for(COIN - fee_for(1, 1));
	struct coinselect_result res;
	assert_int_equal(coinselect_select(&res, coins, 2, &r, NULL), COINSELECT_OK);
	assert_int_equal(res.n_chosen, 1);
	assert_int_equal(res.chosen[0], 1);
	coinselect_result_release(&res);
}

/* A fee-only transaction (an asset registration) still spends a coin, even
 * at a zero fee rate. */
static void test_zero_target_needs_an_input(void **state)
{
	(void)state;
	struct coinselect_coin coins[] = { { 1 * COIN, true, 0 } };
	struct coinselect_req r = req_for(0);
	r.fee_rate = 0;
	struct coinselect_result res;
	assert_int_equal(coinselect_select(&res, coins, 1, &r, NULL), COINSELECT_OK);
	assert_int_equal(res.n_chosen, 1);
	assert_int_equal(res.change, COIN);
	coinselect_result_release(&res);
	/* With a fixed input (an asset being transferred) and no fee, no coin. */
	r.n_fixed_inputs = 1;
	assert_int_equal(coinselect_select(&res, coins, 1, &r, NULL), COINSELECT_OK);
	assert_int_equal(res.n_chosen, 0);
	coinselect_result_release(&res);
}

static void test_bad_requests(void **state)
{
	(void)state;
	struct coinselect_coin coins[] = { { 1 * COIN, true, 0 } };
	struct coinselect_req r = req_for(COIN / 2);
	struct coinselect_result res;
	char err[ERR_LEN] = "";
	r.fee_rate = -1;
	assert_int_equal(coinselect_select(&res, coins, 1, &r, err), COINSELECT_ERROR);
	assert_non_null(strstr(err, "fee rate"));
	r.fee_rate = COINSELECT_MAX_FEE_RATE + 1;
	assert_int_equal(coinselect_select(&res, coins, 1, &r, err), COINSELECT_ERROR);
	r = req_for(-5);
	assert_int_equal(coinselect_select(&res, coins, 1, &r, err), COINSELECT_ERROR);
	r = req_for(MAX_MONEY + 1);
	assert_int_equal(coinselect_select(&res, coins, 1, &r, err), COINSELECT_ERROR);
	assert_int_equal(coinselect_select(&res, coins, 1, NULL, err), COINSELECT_ERROR);
	coinselect_result_release(NULL);
}

/* Many equal small coins: the search stays bounded and the answer pays. */
static void test_many_coins(void **state)
{
	(void)state;
	enum { N = 3000 };
	static struct coinselect_coin coins[N];
	for (int i = 0; i < N; i++) {
		coins[i].value = 100000 + i;
		coins[i].confirmed = true;
	}
	struct coinselect_req r = req_for(50 * 100000 + 7);
	struct coinselect_result res;
	assert_int_equal(coinselect_select(&res, coins, N, &r, NULL), COINSELECT_OK);
	assert_true(res.in_value >= r.target + res.fee);
	assert_int_equal(res.in_value, r.target + res.fee + res.change);
	assert_int_equal(res.fee >= coinselect_fee(RATE, res.size), 1);
	coinselect_result_release(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_matches_serialization),
		cmocka_unit_test(test_exact_match),
		cmocka_unit_test(test_bnb_avoids_change),
		cmocka_unit_test(test_change_made),
		cmocka_unit_test(test_dust_change_to_fee),
		cmocka_unit_test(test_insufficient),
		cmocka_unit_test(test_confirmed_first),
		cmocka_unit_test(test_short_chains_first),
		cmocka_unit_test(test_subtract_fee),
		cmocka_unit_test(test_uneconomic_coin_skipped),
		cmocka_unit_test(test_zero_target_needs_an_input),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_many_coins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
