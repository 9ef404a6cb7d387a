/* cairn addresses: known answers, round trips on both networks, and every
 * refusal with its reason. The known answers were computed with BIP-350's
 * reference Python code (bech32m_create_checksum and convertbits). */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chain/address.h"
#include "util/bech32.h"
#include "util/hex.h"

static const uint8_t hash_0_19[ADDRESS_HASH_LEN] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
						     10, 11, 12, 13, 14, 15, 16, 17, 18, 19 };

static void expect_refused(const char *hrp, const char *addr, const char *reason)
{
	uint8_t hash[ADDRESS_HASH_LEN];
	char err[ERR_LEN] = "";

	memset(hash, 0xaa, sizeof(hash));
	assert_int_equal(address_decode(hash, hrp, addr, err), -1);
	if (!strstr(err, reason))
		fail_msg("'%s': want '%s', got '%s'", addr, reason, err);
	for (size_t i = 0; i < sizeof(hash); i++)
		assert_int_equal(hash[i], 0);
}

static void test_known_answers(void **state)
{
	char out[ADDRESS_MAX_LEN];
	uint8_t ff[ADDRESS_HASH_LEN];

	(void)state;
	assert_int_equal(address_encode(out, sizeof(out), ADDRESS_HRP_MAIN, hash_0_19), 0);
	assert_string_equal(out, "crn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnrkvl48");
	assert_int_equal(address_encode(out, sizeof(out), ADDRESS_HRP_REGTEST, hash_0_19), 0);
	assert_string_equal(out, "rcrn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysn3gwvkn");
	memset(ff, 0xff, sizeof(ff));
	assert_int_equal(address_encode(out, sizeof(out), ADDRESS_HRP_MAIN, ff), 0);
	assert_string_equal(out, "crn1qlllllllllllllllllllllllllllllllllju4yf");
}

static void roundtrip(const char *hrp, const uint8_t hash[ADDRESS_HASH_LEN])
{
	char addr[ADDRESS_MAX_LEN], upper[ADDRESS_MAX_LEN], err[ERR_LEN] = "";
	uint8_t back[ADDRESS_HASH_LEN];

	assert_int_equal(address_encode(addr, sizeof(addr), hrp, hash), 0);
	if (address_decode(back, hrp, addr, err) != 0)
		fail_msg("'%s': %s", addr, err);
	assert_memory_equal(back, hash, ADDRESS_HASH_LEN);
	/* all-uppercase decodes to the same hash */
	for (size_t i = 0; i <= strlen(addr); i++)
		upper[i] = (char)toupper((unsigned char)addr[i]);
	memset(back, 0, sizeof(back));
	assert_int_equal(address_decode(back, hrp, upper, err), 0);
	assert_memory_equal(back, hash, ADDRESS_HASH_LEN);
}

static void test_roundtrips(void **state)
{
	uint8_t hash[ADDRESS_HASH_LEN];

	(void)state;
	for (int seed = 0; seed < 64; seed++) {
		for (size_t i = 0; i < sizeof(hash); i++)
			hash[i] = (uint8_t)(seed * 37 + i * 11 + (seed ^ (int)i));
		roundtrip(ADDRESS_HRP_MAIN, hash);
		roundtrip(ADDRESS_HRP_REGTEST, hash);
	}
	memset(hash, 0, sizeof(hash));
	roundtrip(ADDRESS_HRP_MAIN, hash);
}

static void test_wrong_network(void **state)
{
	(void)state;
	expect_refused(ADDRESS_HRP_MAIN, "rcrn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysn3gwvkn", "wrong network");
	expect_refused(ADDRESS_HRP_REGTEST, "crn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnrkvl48", "wrong network");
	/* a valid bech32m string of another system altogether */
	expect_refused(ADDRESS_HRP_MAIN, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
		       "wrong network");
}

static void test_bech32_layer_refusals(void **state)
{
	(void)state;
	expect_refused(ADDRESS_HRP_MAIN, "crn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnrkvL48", "mixed case");
	expect_refused(ADDRESS_HRP_MAIN, "crn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnrkvl49", "bad checksum");
	expect_refused(ADDRESS_HRP_MAIN, "crn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnrkvlb8", "invalid data character");
	expect_refused(ADDRESS_HRP_MAIN, "crnqqqqsyqcyq5rqwzqfpg9scrgwpugpzysnrkvl48", "missing separator");
	expect_refused(ADDRESS_HRP_MAIN, "", "missing separator");
	expect_refused(ADDRESS_HRP_MAIN, "crn1qqqq", "too short checksum");
}

/* Encodes hrp + raw 5-bit data with a valid checksum, so the address layer
 * alone must find the fault. */
static void refuse_data(const uint8_t *data, size_t n, const char *reason)
{
	char s[BECH32_MAX_LEN + 1];

	assert_int_equal(bech32_encode(s, sizeof(s), ADDRESS_HRP_MAIN, data, n, NULL), 0);
	expect_refused(ADDRESS_HRP_MAIN, s, reason);
}

static void test_payload_refusals(void **state)
{
	uint8_t data[1 + 40];
	size_t n = 32;

	(void)state;
	data[0] = ADDRESS_VERSION;
	assert_int_equal(bech32_convert_bits(data + 1, &n, 5, hash_0_19, ADDRESS_HASH_LEN, 8, true, NULL), 0);
	assert_int_equal(n, 32);
	refuse_data(data, 0, "bad length");
	refuse_data(data, 1, "bad length"); /* version only: 0 bytes */
	refuse_data(data, 1 + 24, "bad length"); /* 120 bits: 15 bytes */
	data[1 + 32] = 0;
	refuse_data(data, 1 + 33, "bad padding"); /* 165 bits: a whole spare group */
	data[1 + 30] = 31;
	refuse_data(data, 1 + 31, "bad padding"); /* 155 bits: 3 left over, not zero */
	data[1 + 30] = 0;
	refuse_data(data, 1 + 31, "bad length"); /* the same with zero padding: 19 bytes */
	/* 40 groups: 25 bytes exactly, a valid conversion of the wrong size */
	memset(data + 1, 0, 40);
	refuse_data(data, 1 + 40, "bad length");
	/* versions 1 and 31 are not defined */
	assert_int_equal(bech32_convert_bits(data + 1, &n, 5, hash_0_19, ADDRESS_HASH_LEN, 8, true, NULL), 0);
	data[0] = 1;
	refuse_data(data, 1 + 32, "unknown version");
	data[0] = 31;
	refuse_data(data, 1 + 32, "unknown version");
}

static void test_misuse(void **state)
{
	char out[ADDRESS_MAX_LEN] = "x";
	uint8_t hash[ADDRESS_HASH_LEN];
	char err[ERR_LEN];

	(void)state;
	/* exactly room for "crn1" + 33 + 6 and the NUL, then one byte short */
	assert_int_equal(address_encode(out, 44, ADDRESS_HRP_MAIN, hash_0_19), 0);
	assert_int_equal(address_encode(out, 43, ADDRESS_HRP_MAIN, hash_0_19), -1);
	assert_string_equal(out, "");
	assert_int_equal(address_encode(out, sizeof(out), "CRN", hash_0_19), -1);
	assert_int_equal(address_encode(out, sizeof(out), "", hash_0_19), -1);
	assert_int_equal(address_encode(out, sizeof(out), NULL, hash_0_19), -1);
	assert_int_equal(address_encode(out, sizeof(out), ADDRESS_HRP_MAIN, NULL), -1);
	assert_int_equal(address_encode(NULL, 0, ADDRESS_HRP_MAIN, hash_0_19), -1);
	assert_int_equal(address_decode(hash, ADDRESS_HRP_MAIN, NULL, err), -1);
	assert_int_equal(address_decode(hash, NULL, "crn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnrkvl48", err), -1);
	assert_int_equal(address_decode(NULL, ADDRESS_HRP_MAIN, "crn1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysnrkvl48", NULL),
			 -1);
	/* far too long input is refused, not overrun */
	char big[300];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "crn1", 4);
	expect_refused(ADDRESS_HRP_MAIN, big, "too long");
}

static void test_hash_pubkey(void **state)
{
	uint8_t xonly[ADDRESS_XONLY_LEN], hash[ADDRESS_HASH_LEN], want[ADDRESS_HASH_LEN];

	(void)state;
	/* the public key of BIP-340 vector 1; the hash is SHA-256 cut to 20 */
	assert_true(hex_decode(xonly, sizeof(xonly),
			       "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659"));
	assert_true(hex_decode(want, sizeof(want), "4fbdbf30768ac87343fc0ebf5a5ed37c2cb9adbf"));
	address_hash_pubkey(hash, xonly);
	assert_memory_equal(hash, want, sizeof(want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_roundtrips),
		cmocka_unit_test(test_wrong_network),
		cmocka_unit_test(test_bech32_layer_refusals),
		cmocka_unit_test(test_payload_refusals),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_hash_pubkey),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
