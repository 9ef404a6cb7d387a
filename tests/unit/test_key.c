/* Keys and BIP-340 signatures against every line of the published vectors
 * (tests/vectors/bip340.csv), plus fresh-randomness signing, tampering,
 * invalid keys, NULLs and signing from several threads at once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/hex.h"
#include "wallet/key.h"

#define VECTORS "tests/vectors/bip340.csv"
#define FIELDS 8

static FILE *open_vectors(void)
{
	const char *root = getenv("CAIRN_ROOT");
	char path[4096];

	if (root && *root) {
		snprintf(path, sizeof(path), "%s/%s", root, VECTORS);
		return fopen(path, "r");
	}
	return fopen(VECTORS, "r");
}

/* Splits a CSV line in place into exactly FIELDS fields; the comment, last,
 * keeps any commas of its own. */
static int split(char *line, char *f[FIELDS])
{
	line[strcspn(line, "\r\n")] = '\0';
	f[0] = line;
	for (int i = 1; i < FIELDS; i++) {
		char *c = strchr(f[i - 1], ',');
		if (!c)
			return -1;
		*c = '\0';
		f[i] = c + 1;
	}
	return 0;
}

/* One line: index, secret key, public key, aux_rand, message, signature,
 * verification result, comment. */
static void check_vector(char *f[FIELDS])
{
	uint8_t pub[32], msg[32], sig[64], seckey[32], aux[32], out[64], xonly[32];
	bool expect = strcmp(f[6], "TRUE") == 0;

	if (!expect && strcmp(f[6], "FALSE") != 0)
		fail_msg("vector %s: result '%s'", f[0], f[6]);
	assert_true(hex_decode(pub, sizeof(pub), f[2]));
	assert_true(hex_decode(msg, sizeof(msg), f[4]));
	assert_true(hex_decode(sig, sizeof(sig), f[5]));
	if (*f[1]) {
		assert_true(hex_decode(seckey, sizeof(seckey), f[1]));
		assert_true(hex_decode(aux, sizeof(aux), f[3]));
		assert_true(key_seckey_valid(seckey));
		assert_int_equal(key_pubkey_xonly(xonly, seckey), 0);
		assert_memory_equal(xonly, pub, sizeof(pub));
		if (key_sign_aux(out, seckey, msg, aux) != 0)
			fail_msg("vector %s: signing failed", f[0]);
		if (memcmp(out, sig, sizeof(sig)) != 0)
			fail_msg("vector %s: signature differs", f[0]);
	}
	if (key_verify(sig, msg, pub) != expect)
		fail_msg("vector %s: verification gave %d, want %d (%s)", f[0], !expect, expect, f[7]);
}

static void test_bip340_vectors(void **state)
{
	char line[1024];
	int n = 0, signing = 0;
	FILE *fp = open_vectors();

	(void)state;
	if (!fp)
		fail_msg("cannot open '%s' (set CAIRN_ROOT or run from the repository root)", VECTORS);
	assert_non_null(fgets(line, sizeof(line), fp)); /* header */
	assert_int_equal(strncmp(line, "index,secret key,public key", 27), 0);
	while (fgets(line, sizeof(line), fp)) {
		char *f[FIELDS];
		if (line[0] == '\n' || line[0] == '\0')
			continue;
		assert_int_equal(split(line, f), 0);
		check_vector(f);
		signing += *f[1] != '\0';
		n++;
	}
	fclose(fp);
	/* vectors 0-14, of which 0-3 carry a secret key */
	assert_int_equal(n, 15);
	assert_int_equal(signing, 4);
}

static void test_sign_fresh_randomness(void **state)
{
	uint8_t sk[32], pub[32], msg[32], sig1[64], sig2[64];

	(void)state;
	assert_int_equal(key_generate(sk), 0);
	assert_true(key_seckey_valid(sk));
	assert_int_equal(key_pubkey_xonly(pub, sk), 0);
	memset(msg, 0x5a, sizeof(msg));
	assert_int_equal(key_sign(sig1, sk, msg), 0);
	assert_int_equal(key_sign(sig2, sk, msg), 0);
	/* fresh auxiliary randomness: two different, both valid, signatures */
	assert_memory_not_equal(sig1, sig2, sizeof(sig1));
	assert_true(key_verify(sig1, msg, pub));
	assert_true(key_verify(sig2, msg, pub));
	/* any flipped bit of message, signature or key breaks it */
	msg[31] ^= 1;
	assert_false(key_verify(sig1, msg, pub));
	msg[31] ^= 1;
	sig1[10] ^= 0x80;
	assert_false(key_verify(sig1, msg, pub));
	sig1[10] ^= 0x80;
	pub[0] ^= 1;
	assert_false(key_verify(sig1, msg, pub));
}

static void test_invalid_seckeys(void **state)
{
	/* zero, the group order n, and 2^256 - 1 are not secret keys */
	static const char *const bad[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	};
	uint8_t sk[32], out[64], msg[32] = { 0 }, aux[32] = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(hex_decode(sk, sizeof(sk), bad[i]));
		assert_false(key_seckey_valid(sk));
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(key_pubkey_xonly(out, sk), -1);
		assert_memory_equal(out, msg, 32); /* zeroed */
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(key_sign_aux(out, sk, msg, aux), -1);
		for (size_t j = 0; j < sizeof(out); j++)
			assert_int_equal(out[j], 0);
		assert_int_equal(key_sign(out, sk, msg), -1);
	}
	/* n - 1 is the largest valid key */
	assert_true(hex_decode(sk, sizeof(sk), "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"));
	assert_true(key_seckey_valid(sk));
}

static void test_null_arguments(void **state)
{
	uint8_t sk[32], pub[32], msg[32] = { 0 }, sig[64];

	(void)state;
	assert_non_null(key_context());
	assert_int_equal(key_generate(sk), 0);
	assert_int_equal(key_pubkey_xonly(pub, sk), 0);
	assert_int_equal(key_sign(sig, sk, msg), 0);
	assert_false(key_seckey_valid(NULL));
	assert_int_equal(key_generate(NULL), -1);
	assert_int_equal(key_pubkey_xonly(NULL, sk), -1);
	assert_int_equal(key_pubkey_xonly(pub, NULL), -1);
	assert_int_equal(key_sign(NULL, sk, msg), -1);
	assert_int_equal(key_sign(sig, NULL, msg), -1);
	assert_int_equal(key_sign(sig, sk, NULL), -1);
	assert_int_equal(key_sign_aux(sig, sk, msg, NULL), -1);
	assert_false(key_verify(NULL, msg, pub));
	assert_false(key_verify(sig, NULL, pub));
	assert_false(key_verify(sig, msg, NULL));
}

#define THREADS 4
#define ROUNDS 50

/* Each thread signs and verifies with its own key through the shared
 * context; returns NULL on success. */
static void *sign_worker(void *arg)
{
	uint8_t sk[32], pub[32], msg[32], sig[64];

	(void)arg;
	if (key_generate(sk) != 0 || key_pubkey_xonly(pub, sk) != 0)
		return (void *)"key";
	for (int i = 0; i < ROUNDS; i++) {
		memset(msg, i, sizeof(msg));
		if (key_sign(sig, sk, msg) != 0 || !key_verify(sig, msg, pub))
			return (void *)"sign";
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[THREADS];

	(void)state;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, sign_worker, NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		void *res;
		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_null(res);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads), /* first, so threads race to create the context */
		cmocka_unit_test(test_bip340_vectors),
		cmocka_unit_test(test_sign_fresh_randomness),
		cmocka_unit_test(test_invalid_seckeys),
		cmocka_unit_test(test_null_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
