/* pow: Bitcoin Core's compact-encoding table (arith_uint256_tests.cpp,
 * bignum_SetCompact and setcompact_test) and its retarget vectors
 * (pow_tests.cpp), the work of known targets, our retarget clamps and cap,
 * and the hash/target boundary in both byte orders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chain/pow.h"
#include "util/hex.h"

static void assert_u256_hex(const struct u256 *v, const char *hex)
{
	char s[U256_HEX_LEN + 1];
	u256_hex(s, v);
	assert_string_equal(s, hex);
}

static void from_hex(uint8_t out[32], const char *hex)
{
	assert_true(hex_decode(out, 32, hex));
}

/* ---- compact encoding ----------------------------------------------------- */

struct compact_case {
	uint32_t bits;
	const char *value;
	uint32_t reencoded; /* GetCompact(negative) of the decoded value */
	bool negative, overflow;
};

static const struct compact_case compact_cases[] = {
	{0x00000000, "0000000000000000000000000000000000000000000000000000000000000000", 0, false, false},
	{0x00123456, "0000000000000000000000000000000000000000000000000000000000000000", 0, false, false},
	{0x01003456, "0000000000000000000000000000000000000000000000000000000000000000", 0, false, false},
	{0x02000056, "0000000000000000000000000000000000000000000000000000000000000000", 0, false, false},
	{0x03000000, "0000000000000000000000000000000000000000000000000000000000000000", 0, false, false},
	{0x04000000, "0000000000000000000000000000000000000000000000000000000000000000", 0, false, false},
	{0x00923456, "0000000000000000000000000000000000000000000000000000000000000000", 0, false, false},
	{0x01803456, "0000000000000000000000000000000000000000000000000000000000000000", 0, false, false},
	{0x02800056, "0000000000000000000000000000000000000000000000000000000000000000", 0, false, false},
	{0x03800000, "0000000000000000000000000000000000000000000000000000000000000000", 0, false, false},
	{0x04800000, "0000000000000000000000000000000000000000000000000000000000000000", 0, false, false},
	{0x01123456, "0000000000000000000000000000000000000000000000000000000000000012", 0x01120000, false, false},
	{0x01fedcba, "000000000000000000000000000000000000000000000000000000000000007e", 0x01fe0000, true, false},
	{0x02123456, "0000000000000000000000000000000000000000000000000000000000001234", 0x02123400, false, false},
	{0x03123456, "0000000000000000000000000000000000000000000000000000000000123456", 0x03123456, false, false},
	{0x04123456, "0000000000000000000000000000000000000000000000000000000012345600", 0x04123456, false, false},
	{0x04923456, "0000000000000000000000000000000000000000000000000000000012345600", 0x04923456, true, false},
	{0x05009234, "0000000000000000000000000000000000000000000000000000000092340000", 0x05009234, false, false},
	{0x20123456, "1234560000000000000000000000000000000000000000000000000000000000", 0x20123456, false, false},
	{0x01923456, "0000000000000000000000000000000000000000000000000000000000000012", 0x01920000, true, false},
	{0x02923456, "0000000000000000000000000000000000000000000000000000000000001234", 0x02923400, true, false},
	{0x03923456, "0000000000000000000000000000000000000000000000000000000000123456", 0x03923456, true, false},
	{0x20923456, "1234560000000000000000000000000000000000000000000000000000000000", 0x20923456, true, false},
};

static void test_compact_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(compact_cases) / sizeof(compact_cases[0]); i++) {
		const struct compact_case *c = &compact_cases[i];
		struct u256 t;
		bool neg = !c->negative, ovf = !c->overflow;
		pow_compact_decode(&t, c->bits, &neg, &ovf);
		assert_u256_hex(&t, c->value);
		assert_int_equal(neg, c->negative);
		assert_int_equal(ovf, c->overflow);
		assert_int_equal(pow_compact_encode(&t, c->negative), c->reencoded);
		/* the flag pointers are optional */
		pow_compact_decode(&t, c->bits, NULL, NULL);
		assert_u256_hex(&t, c->value);
	}
}

static void test_compact_overflow(void **state)
{
	(void)state;
	struct u256 t;
	bool neg, ovf;
	pow_compact_decode(&t, 0xff123456, &neg, &ovf);
	assert_false(neg);
	assert_true(ovf);
	/* the truncated value, as Bitcoin Core leaves it */
	pow_compact_decode(&t, 0x21123456, &neg, &ovf);
	assert_false(neg);
	assert_true(ovf);
	assert_u256_hex(&t, "3456000000000000000000000000000000000000000000000000000000000000");
	pow_compact_decode(&t, 0x21923456, &neg, &ovf);
	assert_true(neg);
	assert_true(ovf);
	/* the edges: one mantissa byte may reach exponent 34, two 33, three 32 */
	pow_compact_decode(&t, 0x220000ff, &neg, &ovf);
	assert_false(ovf);
	assert_u256_hex(&t, "ff00000000000000000000000000000000000000000000000000000000000000");
	pow_compact_decode(&t, 0x23000001, NULL, &ovf);
	assert_true(ovf);
	pow_compact_decode(&t, 0x2200ffff, NULL, &ovf);
	assert_true(ovf);
	pow_compact_decode(&t, 0x2100ffff, NULL, &ovf);
	assert_false(ovf);
	pow_compact_decode(&t, 0x21010000, NULL, &ovf);
	assert_true(ovf);
	pow_compact_decode(&t, 0x207fffff, NULL, &ovf);
	assert_false(ovf);
	/* a zero mantissa never overflows, whatever the exponent */
	pow_compact_decode(&t, 0xff000000, &neg, &ovf);
	assert_false(ovf);
	assert_false(neg);
	assert_true(u256_is_zero(&t));
}

static void test_compact_encode(void **state)
{
	(void)state;
	struct u256 t;
	/* never a mantissa with the sign bit set */
	u256_from_u64(&t, 0x80);
	assert_int_equal(pow_compact_encode(&t, false), 0x02008000);
	u256_from_u64(&t, 0);
	assert_int_equal(pow_compact_encode(&t, true), 0); /* no sign on zero */
	/* the limits round-trip */
	pow_compact_decode(&t, POW_MAIN_LIMIT_BITS, NULL, NULL);
	assert_u256_hex(&t, "0000ffff00000000000000000000000000000000000000000000000000000000");
	assert_int_equal(pow_compact_encode(&t, false), POW_MAIN_LIMIT_BITS);
	pow_compact_decode(&t, POW_REGTEST_LIMIT_BITS, NULL, NULL);
	assert_u256_hex(&t, "7fffff0000000000000000000000000000000000000000000000000000000000");
	assert_int_equal(pow_compact_encode(&t, false), POW_REGTEST_LIMIT_BITS);
	/* lossy: low bytes beyond the mantissa are dropped, not rounded */
	assert_true(u256_from_hex(&t, "00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
	assert_int_equal(pow_compact_encode(&t, false), 0x1d00ffff);
	/* the top bit of the 256 bits */
	assert_true(u256_from_hex(&t, "8000000000000000000000000000000000000000000000000000000000000000"));
	assert_int_equal(pow_compact_encode(&t, false), 0x21008000);
}

/* ---- the hash against the target ------------------------------------------ */

static void test_check_boundary(void **state)
{
	(void)state;
	uint8_t h[32];
	/* main: the target itself passes, one above does not */
	from_hex(h, "0000ffff00000000000000000000000000000000000000000000000000000000");
	assert_true(pow_check(h, POW_MAIN_LIMIT_BITS, POW_MAIN_LIMIT_BITS));
	from_hex(h, "0000ffff00000000000000000000000000000000000000000000000000000001");
	assert_false(pow_check(h, POW_MAIN_LIMIT_BITS, POW_MAIN_LIMIT_BITS));
	from_hex(h, "0000fffeffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
	assert_true(pow_check(h, POW_MAIN_LIMIT_BITS, POW_MAIN_LIMIT_BITS));
	memset(h, 0, 32);
	assert_true(pow_check(h, POW_MAIN_LIMIT_BITS, POW_MAIN_LIMIT_BITS));
	/* big-endian: byte 0 is most significant, no Bitcoin-style reversal */
	from_hex(h, "0100000000000000000000000000000000000000000000000000000000000000");
	assert_false(pow_check(h, POW_MAIN_LIMIT_BITS, POW_MAIN_LIMIT_BITS));
	from_hex(h, "0000000000000000000000000000000000000000000000000000000000ffffff");
	assert_true(pow_check(h, POW_MAIN_LIMIT_BITS, POW_MAIN_LIMIT_BITS));
	/* regtest: half of all hashes */
	from_hex(h, "7fffff0000000000000000000000000000000000000000000000000000000000");
	assert_true(pow_check(h, POW_REGTEST_LIMIT_BITS, POW_REGTEST_LIMIT_BITS));
	from_hex(h, "7fffff0000000000000000000000000000000000000000000000000000000001");
	assert_false(pow_check(h, POW_REGTEST_LIMIT_BITS, POW_REGTEST_LIMIT_BITS));
	from_hex(h, "8000000000000000000000000000000000000000000000000000000000000000");
	assert_false(pow_check(h, POW_REGTEST_LIMIT_BITS, POW_REGTEST_LIMIT_BITS));
	/* a harder target than the limit */
	from_hex(h, "00000000ffff0000000000000000000000000000000000000000000000000000");
	assert_true(pow_check(h, 0x1d00ffff, POW_MAIN_LIMIT_BITS));
	from_hex(h, "00000000ffff0000000000000000000000000000000000000000000000000001");
	assert_false(pow_check(h, 0x1d00ffff, POW_MAIN_LIMIT_BITS));
	assert_false(pow_check(NULL, POW_MAIN_LIMIT_BITS, POW_MAIN_LIMIT_BITS));
}

static void test_check_bad_bits(void **state)
{
	(void)state;
	uint8_t zero[32] = {0};
	struct u256 t;
	/* negative: the limit with the sign bit */
	assert_false(pow_check(zero, 0x1f80ffff, POW_MAIN_LIMIT_BITS));
	/* overflowing */
	assert_false(pow_check(zero, ~0x00800000u, POW_MAIN_LIMIT_BITS));
	assert_false(pow_check(zero, 0x23000001, 0x23000001));
	/* zero target, and zero mantissa with a large exponent */
	assert_false(pow_check(zero, 0, POW_MAIN_LIMIT_BITS));
	assert_false(pow_check(zero, 0x1f000000, POW_MAIN_LIMIT_BITS));
	/* easier than the limit, by a factor two and by one unit of mantissa */
	assert_false(pow_check(zero, 0x1f01fffe, POW_MAIN_LIMIT_BITS));
	assert_false(pow_check(zero, 0x1f010000, POW_MAIN_LIMIT_BITS));
	assert_false(pow_check(zero, POW_REGTEST_LIMIT_BITS, POW_MAIN_LIMIT_BITS));
	/* the same target spelled another way is not above the limit */
	assert_true(pow_check(zero, 0x1e00ffff, POW_MAIN_LIMIT_BITS));
	assert_true(pow_target(&t, 0x1e00ffff, POW_MAIN_LIMIT_BITS));
	assert_u256_hex(&t, "000000ffff000000000000000000000000000000000000000000000000000000");
	/* pow_target leaves zero on failure */
	assert_false(pow_target(&t, 0x1f010000, POW_MAIN_LIMIT_BITS));
	assert_true(u256_is_zero(&t));
}

/* ---- work ------------------------------------------------------------------ */

static void test_block_work(void **state)
{
	(void)state;
	struct u256 w, total, one;
	/* Bitcoin's genesis bits: the well-known chainwork 0x100010001 */
	pow_block_work(&w, 0x1d00ffff);
	assert_u256_hex(&w, "0000000000000000000000000000000000000000000000000000000100010001");
	pow_block_work(&w, POW_MAIN_LIMIT_BITS);
	assert_u256_hex(&w, "0000000000000000000000000000000000000000000000000000000000010001");
	/* regtest: 2 per block, as Bitcoin Core's regtest chainwork */
	pow_block_work(&w, POW_REGTEST_LIMIT_BITS);
	assert_u256_hex(&w, "0000000000000000000000000000000000000000000000000000000000000002");
	/* target 1: 2^256 / 2 */
	pow_block_work(&w, 0x03000001);
	assert_u256_hex(&w, "8000000000000000000000000000000000000000000000000000000000000000");
	/* the largest targets compact bits can state */
	pow_block_work(&w, 0x2100ffff);
	assert_u256_hex(&w, "0000000000000000000000000000000000000000000000000000000000000001");
	pow_block_work(&w, 0x220000ff);
	assert_u256_hex(&w, "0000000000000000000000000000000000000000000000000000000000000001");
	/* no work for unusable bits */
	pow_block_work(&w, 0);
	assert_true(u256_is_zero(&w));
	pow_block_work(&w, 0x1d80ffff);
	assert_true(u256_is_zero(&w));
	pow_block_work(&w, 0xff123456);
	assert_true(u256_is_zero(&w));
	/* cumulative work is plain addition */
	u256_zero(&total);
	for (int i = 0; i < 1440; i++) {
		pow_block_work(&w, POW_REGTEST_LIMIT_BITS);
		assert_false(u256_add(&total, &total, &w));
	}
	u256_from_u64(&one, 2880);
	assert_int_equal(u256_cmp(&total, &one), 0);
}

/* work * (target + 1) <= 2^256 < (work + 1) * (target + 1), over many bits. */
static void test_block_work_bounds(void **state)
{
	(void)state;
	const uint32_t mantissas[] = {0x000001, 0x00ffff, 0x012345, 0x7fffff, 0x400000, 0x008000};
	for (uint32_t size = 1; size <= 32; size++) {
		for (size_t i = 0; i < sizeof(mantissas) / sizeof(mantissas[0]); i++) {
			uint32_t bits = size << 24 | mantissas[i];
			struct u256 t, t1, w, w1, p, one, rem, zero;
			bool ovf, neg;
			pow_compact_decode(&t, bits, &neg, &ovf);
			if (u256_is_zero(&t) || ovf)
				continue;
			pow_block_work(&w, bits);
			u256_from_u64(&one, 1);
			assert_false(u256_add(&t1, &t, &one));
			/* p = w * (t + 1) mod 2^256: either exactly 2^256, or short
			 * of it by less than t + 1 */
			if (u256_mul(&p, &w, &t1)) {
				assert_true(u256_is_zero(&p));
			} else {
				u256_zero(&zero);
				assert_true(u256_sub(&rem, &zero, &p));
				assert_int_equal(u256_cmp(&rem, &t1), -1);
			}
			/* and one more block's worth would pass 2^256 */
			assert_false(u256_add(&w1, &w, &one));
			assert_true(u256_mul(&p, &w1, &t1));
		}
	}
}

/* ---- retarget -------------------------------------------------------------- */

static void test_retarget_schedule(void **state)
{
	(void)state;
	const struct pow_params *p = &pow_params_main;
	assert_int_equal(p->limit_bits, 0x1f00ffff);
	assert_int_equal(p->spacing, 60);
	assert_int_equal(p->interval, 1440);
	assert_false(p->no_retarget);
	/* between retargets the bits never change, whatever the times say */
	assert_int_equal(pow_next_bits(p, 1, 0x1d00ffff, 0, 1), 0x1d00ffff);
	assert_int_equal(pow_next_bits(p, 1439, 0x1c123456, 0, 999999), 0x1c123456);
	assert_int_equal(pow_next_bits(p, 1441, 0x1c123456, 0, 1), 0x1c123456);
	assert_int_equal(pow_next_bits(p, 2879, 0x1c123456, 5, 0), 0x1c123456);
	/* on schedule: unchanged */
	assert_int_equal(pow_next_bits(p, 1440, 0x1d00ffff, 1000, 1000 + 86400), 0x1d00ffff);
	assert_int_equal(pow_next_bits(p, 2880, 0x1d00ffff, 1000, 1000 + 86400), 0x1d00ffff);
	/* height 0 has no predecessor: the limit */
	assert_int_equal(pow_next_bits(p, 0, 0x1d00ffff, 0, 0), POW_MAIN_LIMIT_BITS);
	assert_int_equal(pow_next_bits(NULL, 1440, 0x1d00ffff, 0, 86400), 0);
}

static void test_retarget_clamps(void **state)
{
	(void)state;
	const struct pow_params *p = &pow_params_main;
	const uint64_t t0 = 1700000000;
	/* twice as fast: target halved, 0xffff << 207 */
	assert_int_equal(pow_next_bits(p, 1440, 0x1d00ffff, t0, t0 + 43200), 0x1c7fff80);
	/* four times as fast: a quarter, 0xffff << 206 */
	assert_int_equal(pow_next_bits(p, 1440, 0x1d00ffff, t0, t0 + 21600), 0x1c3fffc0);
	/* faster still is clamped to a quarter */
	assert_int_equal(pow_next_bits(p, 1440, 0x1d00ffff, t0, t0 + 21599), 0x1c3fffc0);
	assert_int_equal(pow_next_bits(p, 1440, 0x1d00ffff, t0, t0 + 1), 0x1c3fffc0);
	assert_int_equal(pow_next_bits(p, 1440, 0x1d00ffff, t0, t0), 0x1c3fffc0);
	/* a last time before the first counts as no time at all */
	assert_int_equal(pow_next_bits(p, 1440, 0x1d00ffff, t0, t0 - 5000), 0x1c3fffc0);
	assert_int_equal(pow_next_bits(p, 1440, 0x1d00ffff, UINT64_MAX, 0), 0x1c3fffc0);
	/* four times as slow: four times the target, 0xffff << 210 */
	assert_int_equal(pow_next_bits(p, 1440, 0x1d00ffff, t0, t0 + 345600), 0x1d03fffc);
	/* slower still is clamped to four times */
	assert_int_equal(pow_next_bits(p, 1440, 0x1d00ffff, t0, t0 + 345601), 0x1d03fffc);
	assert_int_equal(pow_next_bits(p, 1440, 0x1d00ffff, t0, t0 + 5 * 86400), 0x1d03fffc);
	assert_int_equal(pow_next_bits(p, 1440, 0x1d00ffff, t0, t0 + 10 * 86400), 0x1d03fffc);
	assert_int_equal(pow_next_bits(p, 1440, 0x1d00ffff, 0, UINT64_MAX), 0x1d03fffc);
	/* one and a half times as slow, exact to the last mantissa unit */
	assert_int_equal(pow_next_bits(p, 1440, 0x1e3fffff, t0, t0 + 129600), 0x1e5ffffe);
}

static void test_retarget_limit_cap(void **state)
{
	(void)state;
	const struct pow_params *p = &pow_params_main;
	const uint64_t t0 = 1700000000;
	/* already at the limit: slower blocks cannot ease it further */
	assert_int_equal(pow_next_bits(p, 1440, POW_MAIN_LIMIT_BITS, t0, t0 + 172800), POW_MAIN_LIMIT_BITS);
	assert_int_equal(pow_next_bits(p, 1440, POW_MAIN_LIMIT_BITS, t0, t0 + 999999), POW_MAIN_LIMIT_BITS);
	/* 4 x 0x7fffff << 216 exceeds 0xffff << 224: capped */
	assert_int_equal(pow_next_bits(p, 1440, 0x1e7fffff, t0, t0 + 345600), POW_MAIN_LIMIT_BITS);
	/* 2 x 0x3fffff << 216 stays just below it: not capped */
	assert_int_equal(pow_next_bits(p, 1440, 0x1e3fffff, t0, t0 + 172800), 0x1e7ffffe);
	/* faster blocks at the limit do lower it */
	assert_int_equal(pow_next_bits(p, 1440, POW_MAIN_LIMIT_BITS, t0, t0 + 43200), 0x1e7fff80);
	/* previous bits that are unusable fall back to the limit */
	assert_int_equal(pow_next_bits(p, 1440, 0xff123456, t0, t0 + 86400), POW_MAIN_LIMIT_BITS);
	assert_int_equal(pow_next_bits(p, 1440, 0x1d80ffff, t0, t0 + 86400), POW_MAIN_LIMIT_BITS);
	/* a target so large that the product needs more than 256 bits */
	assert_int_equal(pow_next_bits(p, 1440, 0x2100ffff, t0, t0 + 345600), POW_MAIN_LIMIT_BITS);
}

static void test_regtest_never_retargets(void **state)
{
	(void)state;
	const struct pow_params *p = &pow_params_regtest;
	assert_true(p->no_retarget);
	assert_int_equal(p->limit_bits, 0x207fffff);
	const uint32_t heights[] = {0, 1, 1439, 1440, 2880, 150, UINT32_MAX};
	for (size_t i = 0; i < sizeof(heights) / sizeof(heights[0]); i++) {
		assert_int_equal(pow_next_bits(p, heights[i], 0x207fffff, 0, 1), 0x207fffff);
		assert_int_equal(pow_next_bits(p, heights[i], 0x1d00ffff, 0, 10 * 86400), 0x207fffff);
	}
}

/* Bitcoin Core's pow_tests.cpp, through the same function with Bitcoin's
 * spacing and interval. Its limit is 2^224 - 1 rather than a compact value;
 * capped at 0x1d00ffff the results are the same compact bits. */
static void test_bitcoin_vectors(void **state)
{
	(void)state;
	const struct pow_params btc = {.limit_bits = 0x1d00ffff, .spacing = 600, .interval = 2016};
	/* get_next_work: blocks 30240..32255 */
	assert_int_equal(pow_next_bits(&btc, 32256, 0x1d00ffff, 1261130161, 1262152739), 0x1d00d86a);
	/* get_next_work_pow_limit: blocks 0..2015 */
	assert_int_equal(pow_next_bits(&btc, 2016, 0x1d00ffff, 1231006505, 1233061996), 0x1d00ffff);
	/* get_next_work_lower_limit_actual: blocks 66528..68543 */
	assert_int_equal(pow_next_bits(&btc, 68544, 0x1c05a3f4, 1279008237, 1279297671), 0x1c0168fd);
	/* get_next_work_upper_limit_actual */
	assert_int_equal(pow_next_bits(&btc, 46368, 0x1c387f6f, 1263163443, 1269211443), 0x1d00e1fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compact_table),
		cmocka_unit_test(test_compact_overflow),
		cmocka_unit_test(test_compact_encode),
		cmocka_unit_test(test_check_boundary),
		cmocka_unit_test(test_check_bad_bits),
		cmocka_unit_test(test_block_work),
		cmocka_unit_test(test_block_work_bounds),
		cmocka_unit_test(test_retarget_schedule),
		cmocka_unit_test(test_retarget_clamps),
		cmocka_unit_test(test_retarget_limit_cap),
		cmocka_unit_test(test_regtest_never_retargets),
		cmocka_unit_test(test_bitcoin_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
