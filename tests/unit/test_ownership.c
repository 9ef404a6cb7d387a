/* Ownership challenges (chain/ownership.h): the digest against values
 * computed apart (Python's hashlib), bound to each of its inputs; the
 * signature check against a fresh signature with every bit of signature,
 * key and digest flipped, and against BIP-340's published vectors; a claim
 * checked on its own and against a proof bundle's summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chain/ownership.h"
#include "chain/tx.h"
#include "util/hex.h"
#include "wallet/key.h"

static void fill(uint8_t *p, uint8_t v, size_t n)
{
	memset(p, v, n);
}

static void hex32(uint8_t out[32], const char *h)
{
	assert_true(hex_decode(out, 32, h));
}

/* hashlib.sha256(t + t + id + tip + sha256(challenge)), t = sha256(b"cairn/ownership"). */
static void test_digest_known(void **state)
{
	(void)state;
	uint8_t id[32], tip[32], d[32], want[32];
	fill(id, 1, 32);
	fill(tip, 2, 32);
	ownership_digest(d, id, tip, "hello", 5);
	hex32(want, "c63bacab0c67b0a4bbdd931f491db16261d6a879a89fa0b8f7b312efd5745a11");
	assert_memory_equal(d, want, 32);
	ownership_digest(d, id, tip, NULL, 0);
	hex32(want, "3dc7b26185ef12297b101f388bcc3ac1b2566a06c6c714feec3f4fa966bd533e");
	assert_memory_equal(d, want, 32);
	ownership_digest(d, id, tip, "", 0);
	assert_memory_equal(d, want, 32);
}

/* Every bit of id and tip and every change of the challenge changes it. */
static void test_digest_bound(void **state)
{
	(void)state;
	uint8_t id[32], tip[32], d0[32], d[32];
	fill(id, 0x11, 32);
	fill(tip, 0x22, 32);
	ownership_digest(d0, id, tip, "challenge", 9);
	ownership_digest(d, id, tip, "challenge", 9);
	assert_memory_equal(d0, d, 32);
	for (size_t bit = 0; bit < 256; bit++) {
		id[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ownership_digest(d, id, tip, "challenge", 9);
		assert_memory_not_equal(d0, d, 32);
		id[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		tip[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ownership_digest(d, id, tip, "challenge", 9);
		assert_memory_not_equal(d0, d, 32);
		tip[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	ownership_digest(d, id, tip, "challengf", 9);
	assert_memory_not_equal(d0, d, 32);
	ownership_digest(d, id, tip, "challenge", 8);
	assert_memory_not_equal(d0, d, 32);
	ownership_digest(d, id, tip, "challenge ", 10);
	assert_memory_not_equal(d0, d, 32);
	/* id and tip are not interchangeable. */
	ownership_digest(d, tip, id, "challenge", 9);
	assert_memory_not_equal(d0, d, 32);
}

struct signed_claim {
	uint8_t sk[32];
	struct ownership_claim c;
	uint8_t digest[32];
};

static void make_claim(struct signed_claim *s, const char *challenge)
{
	memset(s, 0, sizeof(*s));
	fill(s->sk, 0x42, 32);
	assert_int_equal(key_pubkey_xonly(s->c.pubkey, s->sk), 0);
	tx_pubkey_hash(s->c.owner, s->c.pubkey);
	fill(s->c.asset, 0xa5, 32);
	fill(s->c.tip, 0x5a, 32);
	s->c.height = 7;
	ownership_digest(s->digest, s->c.asset, s->c.tip, challenge, strlen(challenge));
	assert_int_equal(key_sign(s->c.sig, s->sk, s->digest), 0);
}

static void test_verify_flips(void **state)
{
	(void)state;
	struct signed_claim s;
	make_claim(&s, "prove it");
	assert_true(ownership_verify(s.digest, s.c.pubkey, s.c.sig));
	for (size_t bit = 0; bit < 512; bit++) {
		s.c.sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(ownership_verify(s.digest, s.c.pubkey, s.c.sig));
		s.c.sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (size_t bit = 0; bit < 256; bit++) {
		s.c.pubkey[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(ownership_verify(s.digest, s.c.pubkey, s.c.sig));
		s.c.pubkey[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		s.digest[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(ownership_verify(s.digest, s.c.pubkey, s.c.sig));
		s.digest[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	assert_true(ownership_verify(s.digest, s.c.pubkey, s.c.sig));
}

/* BIP-340's vectors with 32-byte messages (tests/vectors/bip340.csv):
 * 0-4 valid, 5 key off the curve, 6 odd R, 7 negated message, 13 s equal
 * to the order, 14 key beyond the field. */
static void test_bip340_vectors(void **state)
{
	(void)state;
	static const struct {
		const char *pub, *msg, *sig;
		bool ok;
	} v[] = {
		{ "F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9",
		  "0000000000000000000000000000000000000000000000000000000000000000",
		  "E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA821525F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0",
		  true },
		{ "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
		  "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
		  "6896BD60EEAE296DB48A229FF71DFE071BDE413E6D43F917DC8DCF8C78DE33418906D11AC976ABCCB20B091292BFF4EA897EFCB639EA871CFA95F6DE339E4B0A",
		  true },
		{ "DD308AFEC5777E13121FA72B9CC1B7CC0139715309B086C960E18FD969774EB8",
		  "7E2D58D8B3BCDF1ABADEC7829054F90DDA9805AAB56C77333024B9D0A508B75C",
		  "5831AAEED7B44BB74E5EAB94BA9D4294C49BCF2A60728D8B4C200F50DD313C1BAB745879A5AD954A72C45A91C3A51D3C7ADEA98D82F8481E0E1E03674A6F3FB7",
		  true },
		{ "25D1DFF95105F5253C4022F628A996AD3A0D95FBF21D468A1B33F8C160D8F517",
		  "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
		  "7EB0509757E246F19449885651611CB965ECC1A187DD51B64FDA1EDC9637D5EC97582B9CB13DB3933705B32BA982AF5AF25FD78881EBB32771FC5922EFC66EA3",
		  true },
		{ "D69C3509BB99E412E68B0FE8544E72837DFA30746D8BE2AA65975F29D22DC7B9",
		  "4DF3C3F68FCC83B27E9D42C90431A72499F17875C81A599B566C9889B9696703",
		  "00000000000000000000003B78CE563F89A0ED9414F5AA28AD0D96D6795F9C6376AFB1548AF603B3EB45C9F8207DEE1060CB71C04E80F593060B07D28308D7F4",
		  true },
		{ "EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34",
		  "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
		  "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E17776969E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B",
		  false },
		{ "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
		  "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
		  "FFF97BD5755EEEA420453A14355235D382F6472F8568A18B2F057A14602975563CC27944640AC607CD107AE10923D9EF7A73C643E166BE5EBEAFA34B1AC553E2",
		  false },
		{ "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
		  "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
		  "1FA62E331EDBC21C394792D2AB1100A7B432B013DF3F6FF4F99FCB33E0E1515F28890B3EDB6E7189B630448B515CE4F8622A954CFE545735AAEA5134FCCDB2BD",
		  false },
		{ "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
		  "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
		  "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
		  false },
		{ "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30",
		  "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
		  "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E17776969E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B",
		  false },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t pub[32], msg[32], sig[64];
		hex32(pub, v[i].pub);
		hex32(msg, v[i].msg);
		assert_true(hex_decode(sig, 64, v[i].sig));
		if (ownership_verify(msg, pub, sig) != v[i].ok)
			fail_msg("vector %zu: want %d", i, v[i].ok);
	}
}

static void test_check_claim(void **state)
{
	(void)state;
	struct signed_claim s;
	char err[ERR_LEN] = "";
	make_claim(&s, "prove it");
	assert_true(ownership_check(&s.c, "prove it", 8, err));
	assert_false(ownership_check(&s.c, "prove it!", 9, err));
	assert_non_null(strstr(err, "signature"));
	s.c.tip[0] ^= 1;
	assert_false(ownership_check(&s.c, "prove it", 8, err));
	s.c.tip[0] ^= 1;
	s.c.asset[31] ^= 0x80;
	assert_false(ownership_check(&s.c, "prove it", 8, NULL));
	s.c.asset[31] ^= 0x80;
	/* A good signature by a key that does not pay to the claimed owner. */
	s.c.owner[3] ^= 4;
	assert_false(ownership_check(&s.c, "prove it", 8, err));
	assert_non_null(strstr(err, "owner"));
	s.c.owner[3] ^= 4;
	assert_true(ownership_check(&s.c, "prove it", 8, err));
}

static void test_match_proof(void **state)
{
	(void)state;
	struct signed_claim s;
	struct proof2_summary sum;
	uint8_t asset[32];
	char err[ERR_LEN] = "";
	make_claim(&s, "x");
	memset(&sum, 0, sizeof(sum));
	memcpy(sum.tip_hash, s.c.tip, 32);
	sum.tip_height = s.c.height;
	memcpy(sum.owner, s.c.owner, 20);
	memcpy(asset, s.c.asset, 32);
	assert_true(ownership_match_proof(&s.c, asset, &sum, err));
	asset[0] ^= 1;
	assert_false(ownership_match_proof(&s.c, asset, &sum, err));
	assert_non_null(strstr(err, "another asset"));
	asset[0] ^= 1;
	sum.tip_hash[5] ^= 1;
	assert_false(ownership_match_proof(&s.c, asset, &sum, err));
	assert_non_null(strstr(err, "another tip"));
	sum.tip_hash[5] ^= 1;
	sum.tip_height++;
	assert_false(ownership_match_proof(&s.c, asset, &sum, err));
	assert_non_null(strstr(err, "height"));
	sum.tip_height--;
	sum.owner[19] ^= 1;
	assert_false(ownership_match_proof(&s.c, asset, &sum, err));
	assert_non_null(strstr(err, "not the owner"));
	sum.owner[19] ^= 1;
	assert_true(ownership_match_proof(&s.c, asset, &sum, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_known),   cmocka_unit_test(test_digest_bound),
		cmocka_unit_test(test_verify_flips),   cmocka_unit_test(test_bip340_vectors),
		cmocka_unit_test(test_check_claim),    cmocka_unit_test(test_match_proof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
