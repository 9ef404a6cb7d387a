/* Bech32m against BIP-350's published vectors, plus encoder misuse and the
 * 8 <-> 5 bit regrouping. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/bech32.h"

/* BIP-350, "Test vectors for Bech32m": strings that are valid bech32m. */
static const char *const valid_vectors[] = {
	"A1LQFN3A",
	"a1lqfn3a",
	"an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
	"abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
	"11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
	"split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
	"?1v759aa",
	/* BIP-350's valid v1+ segwit addresses are valid bech32m strings too. */
	"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
	"BC1SW50QGDZ25J",
	"bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
	"tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
	"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
};

struct invalid_vector {
	const char *str;
	const char *reason; /* a substring of the error text */
};

/* BIP-350's invalid bech32m strings with the reason the BIP gives, then
 * invalid segwit addresses whose fault lies in the checksum layer. */
static const struct invalid_vector invalid_vectors[] = {
	{ "\x20" "1xj0phk", "character out of range" },
	{ "\x7f" "1g6xzxy", "character out of range" },
	{ "\x80" "1vctc34", "character out of range" },
	{ "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
	  "too long" },
	{ "qyrz8wqd2c9m", "missing separator" },
	{ "1qyrz8wqd2c9m", "empty hrp" },
	{ "y1b0jsk6g", "invalid data character" },
	{ "lt1igcx5c0", "invalid data character" },
	{ "in1muywd", "too short checksum" },
	{ "mm1crxm3i", "invalid data character" },
	{ "au1s5cgom", "invalid data character" },
	{ "M1VUXWEZ", "bad checksum" },
	{ "16plkw9", "empty hrp" },
	{ "1p2gdwpf", "empty hrp" },
	/* bech32 (BIP-173) checksums are not bech32m ones */
	{ "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bad checksum" },
	{ "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "bad checksum" },
	{ "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf", "bad checksum" },
	{ "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", "bad checksum" },
	{ "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", "invalid data character" },
	{ "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", "mixed case" },
};

static void lower(char *dst, const char *src)
{
	while ((*dst++ = (char)tolower((unsigned char)*src++)))
		;
}

/* Each valid string decodes, and re-encoding what it held gives back the
 * string in lowercase. */
static void test_valid_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid_vectors) / sizeof(valid_vectors[0]); i++) {
		char hrp[BECH32_HRP_MAX + 1], err[ERR_LEN] = "", enc[BECH32_MAX_LEN + 1], want[BECH32_MAX_LEN + 1];
		uint8_t data[BECH32_DATA_MAX];
		size_t data_len = sizeof(data);

		if (bech32_decode(hrp, sizeof(hrp), data, &data_len, valid_vectors[i], err) != 0)
			fail_msg("vector %zu '%s': %s", i, valid_vectors[i], err);
		assert_int_equal(bech32_encode(enc, sizeof(enc), hrp, data, data_len, err), 0);
		lower(want, valid_vectors[i]);
		assert_string_equal(enc, want);
	}
}

/* Each invalid string is refused with its own reason and clears outputs. */
static void test_invalid_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(invalid_vectors) / sizeof(invalid_vectors[0]); i++) {
		char hrp[BECH32_HRP_MAX + 1] = "junk", err[ERR_LEN] = "";
		uint8_t data[BECH32_DATA_MAX];
		size_t data_len = sizeof(data);

		assert_int_equal(bech32_decode(hrp, sizeof(hrp), data, &data_len, invalid_vectors[i].str, err), -1);
		if (!strstr(err, invalid_vectors[i].reason))
			fail_msg("vector %zu: want '%s', got '%s'", i, invalid_vectors[i].reason, err);
		assert_string_equal(hrp, "");
		assert_int_equal(data_len, 0);
	}
}

/* A known vector is rebuilt from its parts: "a" with no data is A1LQFN3A. */
static void test_encode_known(void **state)
{
	char out[16], err[ERR_LEN];

	(void)state;
	assert_int_equal(bech32_encode(out, sizeof(out), "a", NULL, 0, err), 0);
	assert_string_equal(out, "a1lqfn3a");
	/* exactly big enough, then one byte short */
	assert_int_equal(bech32_encode(out, 9, "a", NULL, 0, err), 0);
	assert_int_equal(bech32_encode(out, 8, "a", NULL, 0, err), -1);
	assert_non_null(strstr(err, "too small"));
	assert_string_equal(out, "");
}

static void expect_encode_error(const char *hrp, const uint8_t *data, size_t len, const char *reason)
{
	char out[BECH32_MAX_LEN + 1] = "x", err[ERR_LEN] = "";

	assert_int_equal(bech32_encode(out, sizeof(out), hrp, data, len, err), -1);
	if (!strstr(err, reason))
		fail_msg("want '%s', got '%s'", reason, err);
	assert_string_equal(out, "");
}

static void test_encode_misuse(void **state)
{
	uint8_t data[BECH32_DATA_MAX + 1] = { 0 };
	char hrp84[BECH32_HRP_MAX + 2];

	(void)state;
	expect_encode_error("", data, 1, "hrp length");
	memset(hrp84, 'a', sizeof(hrp84) - 1);
	hrp84[sizeof(hrp84) - 1] = '\0';
	expect_encode_error(hrp84, NULL, 0, "hrp length");
	expect_encode_error("Crn", data, 1, "hrp character");
	expect_encode_error("c n", data, 1, "hrp character");
	expect_encode_error("a", data, BECH32_DATA_MAX + 1, "longer than 90");
	data[3] = 32;
	expect_encode_error("a", data, 4, "above 31");
	expect_encode_error(NULL, data, 1, "null");
	expect_encode_error("a", NULL, 1, "null");
	/* the longest allowed string still encodes */
	data[3] = 0;
	char out[BECH32_MAX_LEN + 1];
	assert_int_equal(bech32_encode(out, sizeof(out), "a", data, BECH32_DATA_MAX, NULL), 0);
	assert_int_equal(strlen(out), BECH32_MAX_LEN);
}

static void test_decode_misuse(void **state)
{
	char hrp[8], err[ERR_LEN];
	uint8_t data[4];
	size_t n = sizeof(data);

	(void)state;
	/* "abcdef..." holds 32 data values: a 4-value buffer is refused */
	assert_int_equal(bech32_decode(hrp, sizeof(hrp), data, &n,
				       "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx", err), -1);
	assert_non_null(strstr(err, "data buffer too small"));
	assert_int_equal(n, 0);
	n = sizeof(data);
	assert_int_equal(bech32_decode(hrp, 2, data, &n, "ab1lqfn3a", err), -1);
	assert_non_null(strstr(err, "hrp buffer too small"));
	n = sizeof(data);
	assert_int_equal(bech32_decode(hrp, sizeof(hrp), data, &n, NULL, err), -1);
	assert_int_equal(bech32_decode(NULL, 0, data, &n, "a1lqfn3a", err), -1);
	assert_int_equal(bech32_decode(hrp, sizeof(hrp), data, NULL, "a1lqfn3a", NULL), -1);
	/* an empty data part decodes to zero values with a NULL buffer */
	n = 0;
	assert_int_equal(bech32_decode(hrp, sizeof(hrp), NULL, &n, "a1lqfn3a", err), 0);
	assert_int_equal(n, 0);
	assert_string_equal(hrp, "a");
	/* the empty string has no separator */
	assert_int_equal(bech32_decode(hrp, sizeof(hrp), data, &n, "", err), -1);
	assert_non_null(strstr(err, "missing separator"));
}

/* Every single-character substitution of a valid string breaks it. */
static void test_substitution_detected(void **state)
{
	static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	const char *good = "split1checkupstagehandshakeupstreamerranterredcaperredlc445v";
	char s[BECH32_MAX_LEN + 1], hrp[16], err[ERR_LEN];
	uint8_t data[BECH32_DATA_MAX];

	(void)state;
	for (size_t pos = 6; good[pos]; pos++) {
		for (size_t c = 0; c < 32; c++) {
			size_t n = sizeof(data);
			if (charset[c] == good[pos])
				continue;
			strcpy(s, good);
			s[pos] = charset[c];
			assert_int_equal(bech32_decode(hrp, sizeof(hrp), data, &n, s, err), -1);
			assert_non_null(strstr(err, "bad checksum"));
		}
	}
}

static void test_convert_bits(void **state)
{
	const uint8_t bytes[3] = { 0xff, 0x00, 0xa5 };
	uint8_t five[8], back[4], err_out[4];
	size_t n5 = sizeof(five), n8 = sizeof(back);
	char err[ERR_LEN];

	(void)state;
	/* 24 bits -> 5 groups of 5 (25 bits with one zero pad bit) */
	assert_int_equal(bech32_convert_bits(five, &n5, 5, bytes, 3, 8, true, err), 0);
	assert_int_equal(n5, 5);
	const uint8_t want[5] = { 31, 28, 0, 10, 10 };
	assert_memory_equal(five, want, 5);
	assert_int_equal(bech32_convert_bits(back, &n8, 8, five, n5, 5, false, err), 0);
	assert_int_equal(n8, 3);
	assert_memory_equal(back, bytes, 3);

	/* a set padding bit is refused */
	uint8_t bad[5];
	memcpy(bad, want, 5);
	bad[4] |= 1;
	n8 = sizeof(back);
	assert_int_equal(bech32_convert_bits(back, &n8, 8, bad, 5, 5, false, err), -1);
	assert_non_null(strstr(err, "bad padding"));
	assert_int_equal(n8, 0);
	/* a whole spare group (5 bits or more left over) is refused */
	const uint8_t six[6] = { 31, 28, 0, 10, 10, 0 };
	n8 = sizeof(back);
	assert_int_equal(bech32_convert_bits(back, &n8, 8, six, 6, 5, false, err), -1);
	assert_non_null(strstr(err, "bad padding"));
	/* values wider than from_bits */
	const uint8_t wide[1] = { 32 };
	n8 = sizeof(back);
	assert_int_equal(bech32_convert_bits(back, &n8, 8, wide, 1, 5, true, err), -1);
	assert_non_null(strstr(err, "out of range"));
	/* too small an output */
	size_t n = 2;
	assert_int_equal(bech32_convert_bits(err_out, &n, 5, bytes, 3, 8, true, err), -1);
	assert_non_null(strstr(err, "too small"));
	assert_int_equal(n, 0);
	/* silly group sizes and NULLs */
	n = sizeof(err_out);
	assert_int_equal(bech32_convert_bits(err_out, &n, 9, bytes, 3, 8, true, err), -1);
	n = sizeof(err_out);
	assert_int_equal(bech32_convert_bits(err_out, &n, 5, bytes, 3, 0, true, err), -1);
	assert_int_equal(bech32_convert_bits(err_out, NULL, 5, bytes, 3, 8, true, err), -1);
	n = 0;
	assert_int_equal(bech32_convert_bits(NULL, &n, 5, NULL, 0, 8, true, err), 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_vectors),
		cmocka_unit_test(test_invalid_vectors),
		cmocka_unit_test(test_encode_known),
		cmocka_unit_test(test_encode_misuse),
		cmocka_unit_test(test_decode_misuse),
		cmocka_unit_test(test_substitution_detected),
		cmocka_unit_test(test_convert_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
