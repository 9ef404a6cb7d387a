/* u256: Bitcoin Core's arith_uint256 vectors, hand-checkable edge cases and
 * the division identity over many values from a fixed-seed generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chain/u256.h"

/* Bitcoin Core's src/test/arith_uint256_tests.cpp R1L and R2L. */
static const char *R1 = "7d1de5eaf9b156d53208f033b5aa8122d2d2355d5e12292b121156cfdb4a529c";
static const char *R2 = "d781cab4f072134971da2d19a3473013bfb69ca6c30a7e26406ba5477c1d3270";
static const char *MAX = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

static struct u256 H(const char *hex)
{
	struct u256 v;
	assert_true(u256_from_hex(&v, hex));
	return v;
}

static struct u256 U(uint64_t v)
{
	struct u256 r;
	u256_from_u64(&r, v);
	return r;
}

static void assert_hex(const struct u256 *v, const char *hex)
{
	char s[U256_HEX_LEN + 1];
	u256_hex(s, v);
	assert_string_equal(s, hex);
}

static void assert_eq(const struct u256 *a, const struct u256 *b)
{
	char sa[U256_HEX_LEN + 1], sb[U256_HEX_LEN + 1];
	u256_hex(sa, a);
	u256_hex(sb, b);
	assert_string_equal(sa, sb);
}

static void test_bytes_and_hex(void **state)
{
	(void)state;
	uint8_t be[32], back[32];
	for (int i = 0; i < 32; i++)
		be[i] = (uint8_t)i;
	struct u256 v;
	u256_from_be(&v, be);
	/* byte 0 is the most significant: byte 31 lands in the low limb */
	assert_int_equal(v.w[0], 0x1c1d1e1f);
	assert_int_equal(v.w[7], 0x00010203);
	assert_hex(&v, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	u256_to_be(back, &v);
	assert_memory_equal(be, back, 32);

	v = U(0x0123456789abcdefULL);
	assert_hex(&v, "0000000000000000000000000000000000000000000000000123456789abcdef");
	assert_true(u256_low64(&v) == 0x0123456789abcdefULL);

	/* bad hex: wrong length, bad digit, NULL; output left zero */
	assert_false(u256_from_hex(&v, "00"));
	assert_true(u256_is_zero(&v));
	assert_false(u256_from_hex(&v, "g000000000000000000000000000000000000000000000000000000000000000"));
	assert_true(u256_is_zero(&v));
	assert_false(u256_from_hex(&v, NULL));
	assert_false(u256_from_hex(&v, "00000000000000000000000000000000000000000000000000000000000000000"));
	v = H("7D1DE5EAF9B156D53208F033B5AA8122D2d2355d5e12292b121156cfdb4a529c");
	assert_hex(&v, R1);
	assert_true(u256_low64(&v) == 0x121156cfdb4a529cULL); /* R1LLow64 */
}

static void test_compare_bits(void **state)
{
	(void)state;
	struct u256 z = U(0), one = U(1), max = H(MAX), r1 = H(R1), r2 = H(R2);
	assert_true(u256_is_zero(&z));
	assert_false(u256_is_zero(&one));
	assert_int_equal(u256_cmp(&z, &z), 0);
	assert_int_equal(u256_cmp(&z, &one), -1);
	assert_int_equal(u256_cmp(&max, &one), 1);
	assert_int_equal(u256_cmp(&r1, &r2), -1);
	assert_int_equal(u256_cmp(&r2, &r1), 1);
	/* the high limb decides even when the low ones say otherwise */
	struct u256 hi = H("0000000100000000000000000000000000000000000000000000000000000000");
	struct u256 lo = H("00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
	assert_int_equal(u256_cmp(&hi, &lo), 1);
	assert_int_equal(u256_bits(&z), 0);
	assert_int_equal(u256_bits(&one), 1);
	assert_int_equal(u256_bits(&max), 256);
	assert_int_equal(u256_bits(&r1), 255);
	assert_int_equal(u256_bits(&hi), 225);
	for (unsigned i = 0; i < 256; i++) {
		struct u256 p;
		u256_shl(&p, &one, i);
		assert_int_equal(u256_bits(&p), i + 1);
	}
}

static void test_add_sub(void **state)
{
	(void)state;
	struct u256 r1 = H(R1), r2 = H(R2), one = U(1), max = H(MAX), z = U(0), s, d;
	/* R1L + R2L wraps past 2^256 */
	assert_true(u256_add(&s, &r1, &r2));
	assert_hex(&s, "549fb09fea236a1ea3e31d4d58f1b1369288d204211ca751527cfc175767850c");
	assert_true(u256_sub(&d, &s, &r2));
	assert_eq(&d, &r1);
	/* carry through every limb */
	assert_true(u256_add(&s, &max, &one));
	assert_true(u256_is_zero(&s));
	assert_true(u256_sub(&d, &z, &one));
	assert_eq(&d, &max);
	/* carry across one limb boundary, no overflow */
	struct u256 a = U(0xffffffffULL);
	assert_false(u256_add(&s, &a, &one));
	assert_hex(&s, "0000000000000000000000000000000000000000000000000000000100000000");
	assert_false(u256_sub(&d, &s, &one));
	assert_eq(&d, &a);
	a = U(0xbedc77e27940a7ULL);
	struct u256 b = U(0xee8d836fce66fbULL);
	assert_false(u256_add(&s, &a, &b));
	assert_true(u256_low64(&s) == 0xbedc77e27940a7ULL + 0xee8d836fce66fbULL);
	/* in place */
	s = r1;
	assert_false(u256_add(&s, &s, &one));
	assert_false(u256_sub(&s, &s, &one));
	assert_eq(&s, &r1);
	/* (MaxL >> i) + 1 == HalfL >> (i - 1) */
	struct u256 half = H("8000000000000000000000000000000000000000000000000000000000000000");
	for (unsigned i = 1; i < 256; i++) {
		struct u256 l, r;
		u256_shr(&l, &max, i);
		assert_false(u256_add(&l, &l, &one));
		u256_shr(&r, &half, i - 1);
		assert_eq(&l, &r);
	}
}

static void test_not_shift(void **state)
{
	(void)state;
	struct u256 r1 = H(R1), v, w, one = U(1);
	u256_not(&v, &r1);
	assert_hex(&v, "82e21a15064ea92acdf70fcc4a557edd2d2dcaa2a1edd6d4edeea93024b5ad63");
	u256_not(&v, &v);
	assert_eq(&v, &r1);

	u256_shl(&v, &one, 255);
	assert_hex(&v, "8000000000000000000000000000000000000000000000000000000000000000");
	u256_shr(&w, &v, 255);
	assert_eq(&w, &one);
	u256_shl(&v, &one, 256);
	assert_true(u256_is_zero(&v));
	u256_shr(&v, &r1, 256);
	assert_true(u256_is_zero(&v));
	u256_shl(&v, &r1, 1000);
	assert_true(u256_is_zero(&v));
	u256_shl(&v, &r1, 0);
	assert_eq(&v, &r1);
	u256_shr(&v, &r1, 0);
	assert_eq(&v, &r1);
	/* whole limbs and a bit more */
	u256_shl(&v, &r1, 36);
	assert_hex(&v, "9b156d53208f033b5aa8122d2d2355d5e12292b121156cfdb4a529c000000000");
	u256_shr(&v, &r1, 36);
	assert_hex(&v, "0000000007d1de5eaf9b156d53208f033b5aa8122d2d2355d5e12292b121156c");
	u256_shr(&v, &r1, 4);
	assert_hex(&v, "07d1de5eaf9b156d53208f033b5aa8122d2d2355d5e12292b121156cfdb4a529");
	/* in place */
	v = r1;
	u256_shl(&v, &v, 64);
	assert_hex(&v, "3208f033b5aa8122d2d2355d5e12292b121156cfdb4a529c0000000000000000");
}

static void test_mul(void **state)
{
	(void)state;
	struct u256 r1 = H(R1), r2 = H(R2), one = U(1), z = U(0), max = H(MAX), p, q;
	assert_true(u256_mul(&p, &r1, &r1));
	assert_hex(&p, "62a38c0486f01e45879d7910a7761bf30d5237e9873f9bff3642a732c4d84f10");
	assert_true(u256_mul(&p, &r1, &r2));
	assert_hex(&p, "de37805e9986996cfba76ff6ba51c008df851987d9dd323f0e5de07760529c40");
	assert_true(u256_mul(&q, &r2, &r1));
	assert_eq(&p, &q);
	assert_true(u256_mul(&p, &r2, &r2));
	assert_hex(&p, "ac8c010096767d3cae5005dec28bb2b45a1d85ab7996ccd3e102a650f74ff100");
	assert_false(u256_mul(&p, &r1, &z));
	assert_true(u256_is_zero(&p));
	assert_false(u256_mul(&p, &r1, &one));
	assert_eq(&p, &r1);
	/* R1L * MaxL == -R1L */
	struct u256 neg;
	assert_true(u256_sub(&neg, &z, &r1));
	assert_true(u256_mul(&p, &r1, &max));
	assert_eq(&p, &neg);
	assert_true(u256_mul(&p, &max, &max));
	assert_eq(&p, &one);
	assert_true(u256_mul_u64(&p, &r1, 3));
	assert_hex(&p, "7759b1c0ed14047f961ad09b20ff83687876a0181a367b813634046f91def7d4");
	assert_true(u256_mul_u64(&p, &r2, 0x87654321ULL));
	assert_hex(&p, "23f7816e30c4ae2017257b7a0fa64d60402f5234d46e746b61c960d09a26d070");
	/* exact products that just fit, and just do not */
	struct u256 a = U(UINT64_MAX);
	assert_false(u256_mul_u64(&p, &a, UINT64_MAX));
	assert_hex(&p, "00000000000000000000000000000000fffffffffffffffe0000000000000001");
	struct u256 half = H("8000000000000000000000000000000000000000000000000000000000000000");
	u256_shr(&a, &half, 1);
	assert_false(u256_mul_u64(&p, &a, 2));
	assert_eq(&p, &half);
	assert_true(u256_mul_u64(&p, &half, 2));
	assert_true(u256_is_zero(&p));
	/* in place */
	p = r1;
	assert_true(u256_mul(&p, &p, &p));
	assert_hex(&p, "62a38c0486f01e45879d7910a7761bf30d5237e9873f9bff3642a732c4d84f10");
}

static void check_div(const char *a, const char *b, const char *q)
{
	struct u256 va = H(a), vb = H(b), vq, vr;
	assert_int_equal(u256_divmod(&vq, &vr, &va, &vb), 0);
	assert_hex(&vq, q);
}

static void test_div_vectors(void **state)
{
	(void)state;
	struct u256 vd1 = U(0), vd2 = U(0x0ECD751716ULL);
	/* D1L = 0xAD7133AC1977FA2B7 is 68 bits: build it from parts */
	struct u256 lo = U(0xD7133AC1977FA2B7ULL), hi = U(0xA);
	u256_shl(&hi, &hi, 64);
	assert_false(u256_add(&vd1, &hi, &lo));
	char s1[U256_HEX_LEN + 1], s2[U256_HEX_LEN + 1];
	u256_hex(s1, &vd1);
	u256_hex(s2, &vd2);
	check_div(R1, s1, "00000000000000000b8ac01106981635d9ed112290f8895545a7654dde28fb3a");
	check_div(R1, s2, "000000000873ce8efec5b67150bad3aa8c5fcb70e947586153bf2cec7c37c57a");
	check_div(R2, s1, "000000000000000013e1665895a1cc981de6d93670105a6b3ec3b73141b3a3c5");
	check_div(R2, s2, "000000000e8f0abe753bb0afe2e9437ee85d280be60882cf0bd1aaf7fa3cc2c4");
	check_div(R1, "0000000000000000000000000000000000000000000000000000000000000001", R1);
	check_div(R1, MAX, "0000000000000000000000000000000000000000000000000000000000000000");
	check_div(MAX, R1, "0000000000000000000000000000000000000000000000000000000000000002");
	/* a divisor above 2^255 */
	check_div(MAX, R2, "0000000000000000000000000000000000000000000000000000000000000001");
	struct u256 max = H(MAX), r2 = H(R2), q, r, diff;
	assert_int_equal(u256_divmod(&q, &r, &max, &r2), 0);
	assert_false(u256_sub(&diff, &max, &r2));
	assert_eq(&r, &diff);
	check_div(MAX, "8000000000000000000000000000000000000000000000000000000000000001",
		  "0000000000000000000000000000000000000000000000000000000000000001");
	check_div(MAX, MAX, "0000000000000000000000000000000000000000000000000000000000000001");
	/* hand-checkable: 1000 / 7 = 142 rem 6 */
	struct u256 a = U(1000), b = U(7);
	assert_int_equal(u256_divmod(&q, &r, &a, &b), 0);
	assert_true(u256_low64(&q) == 142 && u256_low64(&r) == 6);
	/* a < b */
	assert_int_equal(u256_divmod(&q, &r, &b, &a), 0);
	assert_true(u256_is_zero(&q));
	assert_true(u256_low64(&r) == 7);
	/* outputs may be NULL or alias the inputs */
	assert_int_equal(u256_divmod(NULL, &r, &a, &b), 0);
	assert_true(u256_low64(&r) == 6);
	assert_int_equal(u256_divmod(&a, &b, &a, &b), 0);
	assert_true(u256_low64(&a) == 142 && u256_low64(&b) == 6);
}

static void test_div_by_zero(void **state)
{
	(void)state;
	struct u256 a = H(R1), z = U(0), q = H(R2), r = H(R2);
	assert_int_equal(u256_divmod(&q, &r, &a, &z), -1);
	assert_true(u256_is_zero(&q));
	assert_true(u256_is_zero(&r));
	assert_int_equal(u256_divmod(NULL, NULL, &a, &z), -1);
}

/* xorshift64*: fixed seed, so a failure reproduces exactly. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Random value of random width, so that divisors of every size from one
 * bit to 256 (above 2^255 too) and sparse bit patterns all occur. */
static struct u256 random_u256(void)
{
	struct u256 v;
	for (int i = 0; i < U256_LIMBS; i++)
		v.w[i] = (uint32_t)rng();
	unsigned kind = (unsigned)(rng() % 8);
	if (kind == 0) {
		for (int i = 0; i < U256_LIMBS; i++)
			v.w[i] = (rng() & 1) ? 0xffffffffu : 0;
	}
	u256_shr(&v, &v, (unsigned)(rng() % 256));
	return v;
}

static void test_div_identity(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct u256 a = random_u256(), b = random_u256(), q, r, back;
		if (u256_is_zero(&b))
			continue;
		assert_int_equal(u256_divmod(&q, &r, &a, &b), 0);
		assert_int_equal(u256_cmp(&r, &b), -1);
		/* a == q * b + r exactly: no overflow, no carry */
		assert_false(u256_mul(&back, &q, &b));
		assert_false(u256_add(&back, &back, &r));
		assert_int_equal(u256_cmp(&back, &a), 0);
		/* cross-check with 64-bit arithmetic when it applies */
		if (u256_bits(&a) <= 64 && u256_bits(&b) <= 64) {
			assert_true(u256_low64(&q) == u256_low64(&a) / u256_low64(&b));
			assert_true(u256_low64(&r) == u256_low64(&a) % u256_low64(&b));
		}
	}
}

static void test_arith_properties(void **state)
{
	(void)state;
	for (int i = 0; i < 5000; i++) {
		struct u256 a = random_u256(), b = random_u256(), s, d, p1, p2, sh;
		uint64_t m = rng();
		/* (a + b) - b == a, carry and borrow agree */
		bool carry = u256_add(&s, &a, &b);
		bool borrow = u256_sub(&d, &s, &b);
		assert_int_equal(u256_cmp(&d, &a), 0);
		assert_int_equal(carry, borrow);
		/* mul_u64 is mul by the widened value */
		struct u256 wm = U(m);
		assert_int_equal(u256_mul_u64(&p1, &a, m), u256_mul(&p2, &a, &wm));
		assert_int_equal(u256_cmp(&p1, &p2), 0);
		/* a * 2^n == a << n, overflowing exactly when bits are lost */
		unsigned n = (unsigned)(rng() % 256);
		struct u256 pow2 = U(1);
		u256_shl(&pow2, &pow2, n);
		u256_shl(&sh, &a, n);
		assert_int_equal(u256_mul(&p1, &a, &pow2), u256_bits(&a) + n > 256);
		assert_int_equal(u256_cmp(&p1, &sh), 0);
		/* a * b == b * a */
		assert_int_equal(u256_mul(&p1, &a, &b), u256_mul(&p2, &b, &a));
		assert_int_equal(u256_cmp(&p1, &p2), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_and_hex),
		cmocka_unit_test(test_compare_bits),
		cmocka_unit_test(test_add_sub),
		cmocka_unit_test(test_not_shift),
		cmocka_unit_test(test_mul),
		cmocka_unit_test(test_div_vectors),
		cmocka_unit_test(test_div_by_zero),
		cmocka_unit_test(test_div_identity),
		cmocka_unit_test(test_arith_properties),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
