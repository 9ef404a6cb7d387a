/* BIP-32 derivation against the published test vectors 1, 2 and 3, plus
 * path parsing, step-by-step derivation, and misuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/hex.h"
#include "wallet/bip32.h"
#include "wallet/key.h"

static const char *const seeds[] = {
	NULL,
	"000102030405060708090a0b0c0d0e0f",
	"fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c69"
	"6663605d5a5754514e4b484542",
	"4b381541583be4423346c643850da4b320e46a87ae3d2a4e6da11eba819cd4acba45d239319ac14f863b8d5ab5a0d0c64d2e8a"
	"1e7d1457df2e5a3c51c73235be",
};

struct vector {
	int seed; /* index into seeds */
	const char *path;
	/* The 78-byte payloads of the published xprv and xpub strings:
	 * Base58Check-decoded, checksum verified and dropped. Each vector's
	 * path uses another hardened marker (' h H) to exercise the parser. */
	const char *xprv;
	const char *xpub;
};

static const struct vector vectors[] = {
	/* test vector 1, seed 000102030405060708090a0b0c0d0e0f */
	{ 1, "m",
	  "0488ade4000000000000000000873dff81c02f525623fd1fe5167eac3a55a049de3d314bb42ee2"
	  "27ffed37d50800e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35",
	  "0488b21e000000000000000000873dff81c02f525623fd1fe5167eac3a55a049de3d314bb42ee2"
	  "27ffed37d5080339a36013301597daef41fbe593a02cc513d0b55527ec2df1050e2e8ff49c85c2" },
	{ 1, "m/0'",
	  "0488ade4013442193e8000000047fdacbd0f1097043b78c63c20c34ef4ed9a111d980047ad1628"
	  "2c7ae623614100edb2e14f9ee77d26dd93b4ecede8d16ed408ce149b6cd80b0715a2d911a0afea",
	  "0488b21e013442193e8000000047fdacbd0f1097043b78c63c20c34ef4ed9a111d980047ad1628"
	  "2c7ae6236141035a784662a4a20a65bf6aab9ae98a6c068a81c52e4b032c0fb5400c706cfccc56" },
	{ 1, "m/0'/1",
	  "0488ade4025c1bd648000000012a7857631386ba23dacac34180dd1983734e444fdbf774041578"
	  "e9b6adb37c19003c6cb8d0f6a264c91ea8b5030fadaa8e538b020f0a387421a12de9319dc93368",
	  "0488b21e025c1bd648000000012a7857631386ba23dacac34180dd1983734e444fdbf774041578"
	  "e9b6adb37c1903501e454bf00751f24b1b489aa925215d66af2234e3891c3b21a52bedb3cd711c" },
	{ 1, "m/0'/1/2'",
	  "0488ade403bef5a2f98000000204466b9cc8e161e966409ca52986c584f07e9dc81f735db683c3"
	  "ff6ec7b1503f00cbce0d719ecf7431d88e6a89fa1483e02e35092af60c042b1df2ff59fa424dca",
	  "0488b21e03bef5a2f98000000204466b9cc8e161e966409ca52986c584f07e9dc81f735db683c3"
	  "ff6ec7b1503f0357bfe1e341d01c69fe5654309956cbea516822fba8a601743a012a7896ee8dc2" },
	{ 1, "m/0'/1/2'/2",
	  "0488ade404ee7ab90c00000002cfb71883f01676f587d023cc53a35bc7f88f724b1f8c2892ac12"
	  "75ac822a3edd000f479245fb19a38a1954c5c7c0ebab2f9bdfd96a17563ef28a6a4b1a2a764ef4",
	  "0488b21e04ee7ab90c00000002cfb71883f01676f587d023cc53a35bc7f88f724b1f8c2892ac12"
	  "75ac822a3edd02e8445082a72f29b75ca48748a914df60622a609cacfce8ed0e35804560741d29" },
	{ 1, "m/0'/1/2'/2/1000000000",
	  "0488ade405d880d7d83b9aca00c783e67b921d2beb8f6b389cc646d7263b4145701dadd2161548"
	  "a8b078e65e9e00471b76e389e528d6de6d816857e012c5455051cad6660850e58372a6c3e6e7c8",
	  "0488b21e05d880d7d83b9aca00c783e67b921d2beb8f6b389cc646d7263b4145701dadd2161548"
	  "a8b078e65e9e022a471424da5e657499d1ff51cb43c47481a03b1e77f951fe64cec9f5a48f7011" },
	/* test vector 2, seed fffcf9f6f3f0edeae7e4e1dedbd8d5d2... */
	{ 2, "m",
	  "0488ade400000000000000000060499f801b896d83179a4374aeb7822aaeaceaa0db1f85ee3e90"
	  "4c4defbd9689004b03d6fc340455b363f51020ad3ecca4f0850280cf436c70c727923f6db46c3e",
	  "0488b21e00000000000000000060499f801b896d83179a4374aeb7822aaeaceaa0db1f85ee3e90"
	  "4c4defbd968903cbcaa9c98c877a26977d00825c956a238e8dddfbd322cce4f74b0b5bd6ace4a7" },
	{ 2, "m/0",
	  "0488ade401bd16bee500000000f0909affaa7ee7abe5dd4e100598d4dc53cd709d5a5c2cac40e7"
	  "412f232f7c9c00abe74a98f6c7eabee0428f53798f0ab8aa1bd37873999041703c742f15ac7e1e",
	  "0488b21e01bd16bee500000000f0909affaa7ee7abe5dd4e100598d4dc53cd709d5a5c2cac40e7"
	  "412f232f7c9c02fc9e5af0ac8d9b3cecfe2a888e2117ba3d089d8585886c9c826b6b22a98d12ea" },
	{ 2, "m/0/2147483647h",
	  "0488ade4025a61ff8effffffffbe17a268474a6bb9c61e1d720cf6215e2a88c5406c4aee7b3854"
	  "7f585c9a37d900877c779ad9687164e9c2f4f0f4ff0340814392330693ce95a58fe18fd52e6e93",
	  "0488b21e025a61ff8effffffffbe17a268474a6bb9c61e1d720cf6215e2a88c5406c4aee7b3854"
	  "7f585c9a37d903c01e7425647bdefa82b12d9bad5e3e6865bee0502694b94ca58b666abc0a5c3b" },
	{ 2, "m/0/2147483647h/1",
	  "0488ade403d8ab493700000001f366f48f1ea9f2d1d3fe958c95ca84ea18e4c4ddb9366c336c92"
	  "7eb246fb38cb00704addf544a06e5ee4bea37098463c23613da32020d604506da8c0518e1da4b7",
	  "0488b21e03d8ab493700000001f366f48f1ea9f2d1d3fe958c95ca84ea18e4c4ddb9366c336c92"
	  "7eb246fb38cb03a7d1d856deb74c508e05031f9895dab54626251b3806e16b4bd12e781a7df5b9" },
	{ 2, "m/0/2147483647h/1/2147483646h",
	  "0488ade40478412e3afffffffe637807030d55d01f9a0cb3a7839515d796bd07706386a6eddf06"
	  "cc29a65a0e2900f1c7c871a54a804afe328b4c83a1c33b8e5ff48f5087273f04efa83b247d6a2d",
	  "0488b21e0478412e3afffffffe637807030d55d01f9a0cb3a7839515d796bd07706386a6eddf06"
	  "cc29a65a0e2902d2b36900396c9282fa14628566582f206a5dd0bcc8d5e892611806cafb0301f0" },
	{ 2, "m/0/2147483647h/1/2147483646h/2",
	  "0488ade40531a507b8000000029452b549be8cea3ecb7a84bec10dcfd94afe4d129ebfd3b3cb58"
	  "eedf394ed27100bb7d39bdb83ecf58f2fd82b6d918341cbef428661ef01ab97c28a4842125ac23",
	  "0488b21e0531a507b8000000029452b549be8cea3ecb7a84bec10dcfd94afe4d129ebfd3b3cb58"
	  "eedf394ed271024d902e1a2fc7a8755ab5b694c575fce742c48d9ff192e63df5193e4c7afe1f9c" },
	/* test vector 3, seed 4b381541583be4423346c643850da4b3... */
	{ 3, "m",
	  "0488ade400000000000000000001d28a3e53cffa419ec122c968b3259e16b65076495494d97cae"
	  "10bbfec3c36f0000ddb80b067e0d4993197fe10f2657a844a384589847602d56f0c629c81aae32",
	  "0488b21e00000000000000000001d28a3e53cffa419ec122c968b3259e16b65076495494d97cae"
	  "10bbfec3c36f03683af1ba5743bdfc798cf814efeeab2735ec52d95eced528e692b8e34c4e5669" },
	{ 3, "m/0H",
	  "0488ade40141d63b5080000000e5fea12a97b927fc9dc3d2cb0d1ea1cf50aa5a1fdc1f933e8906"
	  "bb38df3377bd00491f7a2eebc7b57028e0d3faa0acda02e75c33b03c48fb288c41e2ea44e1daef",
	  "0488b21e0141d63b5080000000e5fea12a97b927fc9dc3d2cb0d1ea1cf50aa5a1fdc1f933e8906"
	  "bb38df3377bd026557fdda1d5d43d79611f784780471f086d58e8126b8c40acb82272a7712e7f2" },
};

static void load_master(struct bip32_key *m, int seed)
{
	uint8_t buf[BIP32_SEED_MAX];
	size_t len = strlen(seeds[seed]) / 2;
	char err[ERR_LEN] = "";

	assert_true(hex_decode(buf, len, seeds[seed]));
	if (bip32_master(m, buf, len, err) != 0)
		fail_msg("seed %d: %s", seed, err);
}

static void check_serialized(const struct bip32_key *k, const struct vector *v)
{
	uint8_t want[BIP32_SERIALIZED_LEN], got[BIP32_SERIALIZED_LEN];

	assert_true(hex_decode(want, sizeof(want), v->xprv));
	assert_int_equal(bip32_serialize(got, k, true), 0);
	if (memcmp(got, want, sizeof(want)) != 0)
		fail_msg("vector %d %s: xprv differs", v->seed, v->path);
	assert_true(hex_decode(want, sizeof(want), v->xpub));
	assert_int_equal(bip32_serialize(got, k, false), 0);
	if (memcmp(got, want, sizeof(want)) != 0)
		fail_msg("vector %d %s: xpub differs", v->seed, v->path);
}

/* Each published key, derived from its seed along its path. */
static void test_published_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct bip32_key m, k;
		char err[ERR_LEN] = "";

		load_master(&m, vectors[i].seed);
		if (bip32_derive_path(&k, &m, vectors[i].path, err) != 0)
			fail_msg("vector %d %s: %s", vectors[i].seed, vectors[i].path, err);
		check_serialized(&k, &vectors[i]);
		bip32_key_release(&m);
		bip32_key_release(&k);
	}
}

/* The same keys reached one child at a time, each from the one before, in
 * place: every step of a chain must match the next published key. */
static void test_stepwise(void **state)
{
	struct bip32_key k;
	uint32_t steps[8];
	size_t n = 8;
	char err[ERR_LEN];

	(void)state;
	load_master(&k, 1);
	assert_int_equal(bip32_parse_path(steps, &n, "m/0'/1/2'/2/1000000000", err), 0);
	assert_int_equal(n, 5);
	check_serialized(&k, &vectors[0]);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(bip32_derive_child(&k, &k, steps[i], err), 0);
		check_serialized(&k, &vectors[1 + i]);
	}
	bip32_key_release(&k);
}

static void test_master_misuse(void **state)
{
	uint8_t seed[BIP32_SEED_MAX + 1] = { 0 };
	struct bip32_key m;
	char err[ERR_LEN];

	(void)state;
	memset(&m, 0xaa, sizeof(m));
	assert_int_equal(bip32_master(&m, seed, BIP32_SEED_MIN - 1, err), -1);
	assert_non_null(strstr(err, "seed of 15 bytes"));
	for (size_t i = 0; i < sizeof(m.seckey); i++)
		assert_int_equal(m.seckey[i], 0);
	assert_int_equal(bip32_master(&m, seed, BIP32_SEED_MAX + 1, err), -1);
	assert_int_equal(bip32_master(&m, NULL, 32, err), -1);
	assert_int_equal(bip32_master(NULL, seed, 32, err), -1);
	assert_int_equal(bip32_master(&m, seed, BIP32_SEED_MIN, err), 0);
	assert_int_equal(bip32_master(&m, seed, BIP32_SEED_MAX, err), 0);
	assert_int_equal(m.depth, 0);
	assert_int_equal(m.child_number, 0);
	assert_true(key_seckey_valid(m.seckey));
	bip32_key_release(&m);
	bip32_key_release(NULL);
}

static void expect_path(const char *path, int want_rc, size_t want_n, const uint32_t *want, const char *reason)
{
	uint32_t got[4] = { 0 };
	size_t n = 4;
	char err[ERR_LEN] = "";

	assert_int_equal(bip32_parse_path(got, &n, path, err), want_rc);
	assert_int_equal(n, want_n);
	if (want_rc == 0)
		assert_memory_equal(got, want, want_n * sizeof(uint32_t));
	else if (!strstr(err, reason))
		fail_msg("'%s': want '%s', got '%s'", path, reason, err);
}

static void test_parse_path(void **state)
{
	const uint32_t a[] = { BIP32_HARDENED, 1, 2 | BIP32_HARDENED, BIP32_HARDENED + 3 };
	const uint32_t b[] = { 2147483647u, 0xffffffffu };

	(void)state;
	expect_path("m", 0, 0, NULL, NULL);
	expect_path("m/0'/1/2h/3H", 0, 4, a, NULL);
	expect_path("m/2147483647/2147483647'", 0, 2, b, NULL);
	expect_path("", -1, 0, NULL, "must start with 'm'");
	expect_path("0/1", -1, 0, NULL, "must start with 'm'");
	expect_path("M/1", -1, 0, NULL, "must start with 'm'");
	expect_path("m1", -1, 0, NULL, "expected '/'");
	expect_path("m/", -1, 0, NULL, "without a number");
	expect_path("m//1", -1, 0, NULL, "without a number");
	expect_path("m/1/", -1, 0, NULL, "without a number");
	expect_path("m/'", -1, 0, NULL, "without a number");
	expect_path("m/-1", -1, 0, NULL, "without a number");
	expect_path("m/1''", -1, 0, NULL, "unexpected character");
	expect_path("m/1x", -1, 0, NULL, "unexpected character");
	expect_path("m/1 ", -1, 0, NULL, "unexpected character");
	expect_path("m/2147483648", -1, 0, NULL, "too large");
	expect_path("m/4294967296", -1, 0, NULL, "too large");
	expect_path("m/99999999999999999999", -1, 0, NULL, "too large");
	expect_path("m/1/2/3/4/5", -1, 0, NULL, "more than 4 steps");

	size_t n = 1;
	assert_int_equal(bip32_parse_path(NULL, &n, "m", NULL), -1);
	n = 0;
	assert_int_equal(bip32_parse_path(NULL, &n, "m", NULL), 0);
	assert_int_equal(bip32_parse_path(NULL, NULL, "m", NULL), -1);
	n = 0;
	assert_int_equal(bip32_parse_path(NULL, &n, NULL, NULL), -1);
}

static void test_derive_misuse(void **state)
{
	struct bip32_key m, k;
	char err[ERR_LEN];

	(void)state;
	load_master(&m, 1);
	/* a bad path wipes the output */
	memset(&k, 0xaa, sizeof(k));
	assert_int_equal(bip32_derive_path(&k, &m, "m/x", err), -1);
	for (size_t i = 0; i < sizeof(k.seckey); i++)
		assert_int_equal(k.seckey[i], 0);
	/* paths start at a master key only */
	assert_int_equal(bip32_derive_child(&k, &m, 0, err), 0);
	assert_int_equal(bip32_derive_path(&k, &k, "m/1", err), -1);
	assert_non_null(strstr(err, "not a master key"));
	/* the depth byte reaches 255 and goes no further */
	struct bip32_key c;
	assert_int_equal(bip32_derive_child(&k, &m, 0, err), 0);
	k.depth = BIP32_MAX_DEPTH - 1;
	assert_int_equal(bip32_derive_child(&c, &k, 0, err), 0);
	assert_int_equal(c.depth, BIP32_MAX_DEPTH);
	assert_int_equal(bip32_derive_child(&c, &c, 0, err), -1);
	assert_non_null(strstr(err, "depth limit"));
	for (size_t i = 0; i < sizeof(c.seckey); i++)
		assert_int_equal(c.seckey[i], 0);
	/* a parent with an invalid secret key is refused */
	memset(k.seckey, 0, sizeof(k.seckey));
	k.depth = 1;
	assert_int_equal(bip32_derive_child(&k, &k, 0, err), -1);
	assert_int_equal(bip32_derive_child(NULL, &m, 0, err), -1);
	assert_int_equal(bip32_derive_child(&k, NULL, 0, err), -1);
	assert_int_equal(bip32_derive_path(NULL, &m, "m", err), -1);
	assert_int_equal(bip32_derive_path(&k, NULL, "m", err), -1);
	assert_int_equal(bip32_derive_path(&k, &m, NULL, err), -1);
	/* "m" alone is the master itself */
	assert_int_equal(bip32_derive_path(&k, &m, "m", err), 0);
	assert_memory_equal(&k, &m, sizeof(k));

	uint8_t pub[BIP32_PUBKEY_LEN], fp[BIP32_FINGERPRINT_LEN], ser[BIP32_SERIALIZED_LEN];
	assert_int_equal(bip32_pubkey(pub, NULL), -1);
	assert_int_equal(bip32_pubkey(NULL, &m), -1);
	assert_int_equal(bip32_fingerprint(fp, NULL), -1);
	assert_int_equal(bip32_serialize(ser, NULL, true), -1);
	assert_int_equal(bip32_serialize(NULL, &m, true), -1);
	/* the master's fingerprint, 3442193e, is what m/0' names as parent */
	assert_int_equal(bip32_fingerprint(fp, &m), 0);
	assert_memory_equal(fp, "\x34\x42\x19\x3e", 4);
	bip32_key_release(&m);
	bip32_key_release(&k);
}

/* The signing fast path gives the same secret key as a full derivation,
 * for hardened and normal children, and refuses a NULL parent. */
static void test_derive_seckey(void **state)
{
	(void)state;
	uint8_t seed[32], sk[32];
	struct bip32_key m, child;
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
	assert_int_equal(bip32_master(&m, seed, sizeof(seed), NULL), 0);
	const uint32_t idx[] = { 0, 1, 7 | BIP32_HARDENED, BIP32_HARDENED, 0x7fffffff };
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		assert_int_equal(bip32_derive_child(&child, &m, idx[i], NULL), 0);
		assert_int_equal(bip32_derive_seckey(sk, &m, idx[i], NULL), 0);
		assert_memory_equal(sk, child.seckey, 32);
		bip32_key_release(&child);
	}
	char err[ERR_LEN] = "";
	assert_int_equal(bip32_derive_seckey(sk, NULL, 0, err), -1);
	assert_true(err[0] != '\0');
	bip32_key_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_vectors),
		cmocka_unit_test(test_stepwise),
		cmocka_unit_test(test_master_misuse),
		cmocka_unit_test(test_parse_path),
		cmocka_unit_test(test_derive_misuse),
		cmocka_unit_test(test_derive_seckey),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
