/* Coin and output records as the chainstate stores them: round trips, and
 * damaged records (as a corrupt database holds them) refused with a reason
 * and nothing half read left behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chain/coin.h"

static void make_coin(struct coin *c, int64_t value, bool asset)
{
	coin_init(c);
	c->height = 1234;
	c->coinbase = true;
	c->out.value = value;
	memset(c->out.addr, 0x42, 20);
	if (asset) {
		c->out.kind = TXOUT_ASSET;
		memset(c->out.asset, 0xa1, 32);
		assert_int_equal(txout_set_meta(&c->out, (const uint8_t *)"deed", 4), 0);
	}
}

static void encode(struct buf *b, const struct coin *c)
{
	buf_init(b);
	coin_write(b, c);
	assert_true(buf_ok(b));
}

static void test_round_trip(void **state)
{
	(void)state;
	for (int asset = 0; asset < 2; asset++) {
		struct coin c, back;
		struct buf b;
		make_coin(&c, MAX_MONEY, asset);
		encode(&b, &c);
		struct cursor cur = cursor_make(b.data, b.len);
		assert_int_equal(coin_read(&cur, &back, NULL), 0);
		assert_true(cursor_done(&cur));
		assert_int_equal(back.height, 1234);
		assert_true(back.coinbase);
		assert_int_equal(back.out.value, MAX_MONEY);
		assert_int_equal(back.out.kind, asset ? TXOUT_ASSET : TXOUT_COIN);
		assert_int_equal(back.out.meta_len, asset ? 4 : 0);
		coin_release(&back);
		coin_release(&c);
		buf_release(&b);
	}
}

/* Every cut of a record is refused, with a reason and a cleared coin (the
 * height and value read before the cut used to stay behind). */
static void test_truncated_clears(void **state)
{
	(void)state;
	static const struct coin zero;
	struct coin c, back;
	struct buf b;
	make_coin(&c, 5000, true);
	encode(&b, &c);
	for (size_t len = 0; len < b.len; len++) {
		char err[ERR_LEN] = "";
		struct cursor cur = cursor_make(b.data, len);
		memset(&back, 0x5a, sizeof(back));
		assert_int_equal(coin_read(&cur, &back, err), -1);
		assert_memory_equal(&back, &zero, sizeof(zero));
		assert_true(err[0] != '\0');
	}
	coin_release(&c);
	buf_release(&b);
}

static void test_txout_refusal_clears(void **state)
{
	(void)state;
	static const struct txout zero;
	uint8_t rec[29];
	struct txout o;
	char err[ERR_LEN] = "";
	memset(rec, 0x11, sizeof(rec));
	rec[28] = 7; /* unknown output kind, after value and address were read */
	struct cursor cur = cursor_make(rec, sizeof(rec));
	assert_int_equal(txout_read(&cur, &o, err), -1);
	assert_non_null(strstr(err, "unknown output kind"));
	assert_memory_equal(&o, &zero, sizeof(zero));
}

/* Validation adds input values up trusting each to be in money range; a
 * damaged coin outside it (a sum of two could overflow) is refused. */
static void test_value_out_of_range(void **state)
{
	(void)state;
	static const struct coin zero;
	const int64_t bad[] = { -1, MAX_MONEY + 1, INT64_MAX, INT64_MIN };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (int asset = 0; asset < 2; asset++) {
			struct coin c, back;
			struct buf b;
			char err[ERR_LEN] = "";
			make_coin(&c, bad[i], asset);
			encode(&b, &c);
			struct cursor cur = cursor_make(b.data, b.len);
			assert_int_equal(coin_read(&cur, &back, err), -1);
			assert_string_equal(err, "coin value out of range");
			assert_memory_equal(&back, &zero, sizeof(zero));
			coin_release(&c);
			buf_release(&b);
		}
}

static void test_bad_coinbase_flag(void **state)
{
	(void)state;
	struct coin c, back;
	struct buf b;
	char err[ERR_LEN] = "";
	make_coin(&c, 1, false);
	encode(&b, &c);
	b.data[4] = 2;
	struct cursor cur = cursor_make(b.data, b.len);
	assert_int_equal(coin_read(&cur, &back, err), -1);
	assert_non_null(strstr(err, "malformed coin"));
	assert_int_equal(back.height, 0);
	coin_release(&c);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated_clears),
		cmocka_unit_test(test_txout_refusal_clears),
		cmocka_unit_test(test_value_out_of_range),
		cmocka_unit_test(test_bad_coinbase_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
