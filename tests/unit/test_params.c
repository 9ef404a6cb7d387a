/* Network parameters: the genesis blocks rebuild to their fixed hashes and
 * carry valid proof of work, the subsidy schedule halves where DESIGN.md
 * says and never mints past MAX_MONEY, and networks are found by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/merkle.h"
#include "chain/params.h"
#include "chain/pow.h"

/* The target of compact bits as 32 big-endian bytes, worked out by hand
 * (positive mantissas, exponents 1..32 only) so that the genesis check does
 * not rest on pow.c alone. */
static void target_be(uint8_t out[32], uint32_t bits)
{
	unsigned exp = bits >> 24;
	uint32_t mant = bits & 0x007fffff;
	memset(out, 0, 32);
	assert_true(exp >= 3 && exp <= 32);
	out[32 - exp] = (uint8_t)(mant >> 16);
	out[33 - exp] = (uint8_t)(mant >> 8);
	out[34 - exp] = (uint8_t)mant;
}

static void check_genesis(enum network net)
{
	const struct chain_params *p = params_get(net);
	struct block g;
	assert_int_equal(params_genesis(p, &g), 0);
	assert_memory_equal(g.hash, p->genesis_hash, 32);

	uint8_t h[32];
	header_hash(h, &g.header);
	assert_memory_equal(h, p->genesis_hash, 32);

	static const uint8_t zero[32];
	assert_memory_equal(g.header.prev, zero, 32);
	assert_int_equal(g.header.bits, p->pow.limit_bits);
	assert_true(g.header.time == p->genesis_time);
	assert_true(g.header.nonce == p->genesis_nonce);
	assert_int_equal(g.n_tx, 1);
	assert_true(tx_is_coinbase(&g.txs[0]));
	assert_true(g.txs[0].out[0].value == 50 * COIN);

	uint8_t root[32];
	merkle_root(root, (const uint8_t(*)[32]) & g.txs[0].txid, 1);
	assert_memory_equal(g.header.merkle, root, 32);

	/* the proof of work, by hand and through pow_check */
	uint8_t target[32];
	target_be(target, p->pow.limit_bits);
	assert_true(memcmp(g.hash, target, 32) <= 0);
	assert_true(pow_check(g.hash, p->pow.limit_bits, p->pow.limit_bits));

	/* the bytes round-trip to the same block */
	struct buf out = BUF_INIT;
	block_write(&out, &g);
	assert_int_equal(out.len, g.size);
	struct block back;
	char err[ERR_LEN] = "";
	assert_int_equal(block_parse(&back, out.data, out.len, err), 0);
	assert_memory_equal(back.hash, p->genesis_hash, 32);
	assert_memory_equal(back.txs[0].txid, g.txs[0].txid, 32);
	block_release(&back);
	buf_release(&out);
	block_release(&g);
}

static void test_genesis_main(void **state)
{
	(void)state;
	check_genesis(NET_MAIN);
	/* main's limit asks for 16 leading zero bits */
	const uint8_t *h = params_get(NET_MAIN)->genesis_hash;
	assert_int_equal(h[0], 0);
	assert_int_equal(h[1], 0);
	uint8_t target[32];
	target_be(target, POW_MAIN_LIMIT_BITS);
	static const uint8_t want[4] = { 0x00, 0x00, 0xff, 0xff };
	assert_memory_equal(target, want, 4);
}

static void test_genesis_regtest(void **state)
{
	(void)state;
	check_genesis(NET_REGTEST);
	uint8_t target[32];
	target_be(target, POW_REGTEST_LIMIT_BITS);
	static const uint8_t want[4] = { 0x7f, 0xff, 0xff, 0x00 };
	assert_memory_equal(target, want, 4);
}

/* A different nonce gives a different hash, which main's target refuses
 * (the genesis nonce was searched for, not made up). */
static void test_genesis_nonce_matters(void **state)
{
	(void)state;
	const struct chain_params *p = params_get(NET_MAIN);
	struct block g;
	assert_int_equal(params_genesis(p, &g), 0);
	g.header.nonce = 0;
	uint8_t h[32];
	header_hash(h, &g.header);
	assert_memory_not_equal(h, p->genesis_hash, 32);
	assert_false(pow_check(h, p->pow.limit_bits, p->pow.limit_bits));
	block_release(&g);

	assert_memory_not_equal(params_get(NET_MAIN)->genesis_hash, params_get(NET_REGTEST)->genesis_hash, 32);
}

static void test_network_constants(void **state)
{
	(void)state;
	const struct chain_params *m = params_get(NET_MAIN), *r = params_get(NET_REGTEST);
	assert_int_equal(m->net, NET_MAIN);
	assert_int_equal(r->net, NET_REGTEST);
	assert_int_equal(m->p2p_port, 9733);
	assert_int_equal(m->rpc_port, 9732);
	assert_int_equal(r->p2p_port, 19733);
	assert_int_equal(r->rpc_port, 19732);
	assert_string_equal(m->hrp, "crn");
	assert_string_equal(r->hrp, "rcrn");
	assert_string_equal(m->subdir, "");
	assert_string_equal(r->subdir, "regtest");
	assert_memory_not_equal(m->magic, r->magic, 4);
	assert_int_equal(m->pow.limit_bits, POW_MAIN_LIMIT_BITS);
	assert_int_equal(r->pow.limit_bits, POW_REGTEST_LIMIT_BITS);
	assert_false(m->pow.no_retarget);
	assert_true(r->pow.no_retarget);
	assert_int_equal(m->pow.spacing, 60);
	assert_int_equal(m->pow.interval, 1440);
	assert_int_equal(m->coinbase_maturity, 100);
	assert_int_equal(r->coinbase_maturity, 100);
	assert_int_equal(m->halving_interval, 210000);
	assert_int_equal(r->halving_interval, 150);
}

static void check_schedule(const struct chain_params *p)
{
	uint32_t iv = p->halving_interval;
	assert_true(params_subsidy(p, 0) == 50 * COIN);
	assert_true(params_subsidy(p, iv - 1) == 50 * COIN);
	assert_true(params_subsidy(p, iv) == 25 * COIN);
	assert_true(params_subsidy(p, 2 * iv - 1) == 25 * COIN);
	assert_true(params_subsidy(p, 2 * iv) == 1250000000);
	/* each era pays half the last, rounded down, until nothing is left */
	for (uint32_t era = 1; era < 64; era++)
		assert_true(params_subsidy(p, era * iv) == params_subsidy(p, (era - 1) * iv) / 2);
	assert_true(params_subsidy(p, 33 * iv) == 0);
	assert_true(params_subsidy(p, 64 * iv) == 0);
	assert_true(params_subsidy(p, 64 * iv + 1) == 0);
	assert_true(params_subsidy(p, UINT32_MAX) == 0);
}

static void test_subsidy_schedule(void **state)
{
	(void)state;
	check_schedule(params_get(NET_MAIN));
	check_schedule(params_get(NET_REGTEST));
	assert_true(params_subsidy(params_get(NET_REGTEST), 150) == 25 * COIN);
	assert_true(params_subsidy(params_get(NET_MAIN), 210000) == 25 * COIN);
	assert_true(params_subsidy(params_get(NET_MAIN), 150) == 50 * COIN);
}

/* Summed over every height a uint32_t can name, main mints exactly Bitcoin's
 * 20,999,999.9769 coins: below MAX_MONEY. */
static void test_total_supply(void **state)
{
	(void)state;
	const struct chain_params *p = params_get(NET_MAIN);
	int64_t total = 0;
	for (uint64_t start = 0; start <= UINT32_MAX; start += p->halving_interval) {
		uint64_t end = start + p->halving_interval;
		if (end > (uint64_t)UINT32_MAX + 1)
			end = (uint64_t)UINT32_MAX + 1;
		int64_t s = params_subsidy(p, (uint32_t)start);
		assert_true(s >= 0);
		assert_true(params_subsidy(p, (uint32_t)(end - 1)) == s); /* flat within an era */
		total += s * (int64_t)(end - start);
	}
	assert_true(total == 2099999997690000LL);
	assert_true(total < MAX_MONEY);
}

static void test_by_name(void **state)
{
	(void)state;
	assert_ptr_equal(params_by_name("main"), params_get(NET_MAIN));
	assert_ptr_equal(params_by_name("regtest"), params_get(NET_REGTEST));
	assert_string_equal(params_get(NET_MAIN)->name, "main");
	assert_string_equal(params_get(NET_REGTEST)->name, "regtest");
	static const char *const unknown[] = { "", "Main", "REGTEST", "test", "testnet", "regtest ", "mainnet" };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_null(params_by_name(unknown[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_genesis_main),
		cmocka_unit_test(test_genesis_regtest),
		cmocka_unit_test(test_genesis_nonce_matters),
		cmocka_unit_test(test_network_constants),
		cmocka_unit_test(test_subsidy_schedule),
		cmocka_unit_test(test_total_supply),
		cmocka_unit_test(test_by_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
