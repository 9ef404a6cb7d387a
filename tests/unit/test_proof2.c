/* Proof bundles v2, built from a real chain: verified knowing only the
 * network, then altered byte by byte and refused; the samples, the
 * custody chain, the asset map and the absence proof each refused for
 * their own faults; and bundles across a reorganisation. */
#include "chain_fixture.h"

#include "chain/asset.h"
#include "chain/pow.h"
#include "chain/proof2.h"
#include "util/hex.h"

static struct fixture *F;
static uint8_t ID[32];
static struct tx REG, X1, X2;

static int setup(void **state)
{
	(void)state;
	F = fix_new();
	memset(ID, 0xa1, 32);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tx_release(&REG);
	tx_release(&X1);
	tx_release(&X2);
	fix_free(F);
	F = NULL;
	return 0;
}

static void block_with(const struct tx *txs, size_t n, int64_t fees)
{
	struct block b;
	struct verdict v;
	fix_block_on(F, &b, NULL, txs, n, fees, 0);
	if (*fix_accept(F, &b, &v))
		fail_msg("refused: %s (%s)", v.reason, v.debug);
	block_release(&b);
}

static void set_asset(struct txout *o, int owner)
{
	o->kind = TXOUT_ASSET;
	memcpy(o->asset, ID, 32);
	memcpy(o->addr, F->addr[owner], 20);
}

static struct outpoint outpoint_of(const struct tx *tx, uint32_t index)
{
	struct outpoint op;
	memcpy(op.txid, tx->txid, 32);
	op.index = index;
	return op;
}

static void transfer(struct tx *tx, const struct outpoint *op, int from, int to)
{
	fix_spend(F, tx, op, 0, from, to);
	set_asset(&tx->out[0], to);
	fix_sign(F, tx, from);
}

/* The registration at 102 (to key 2), a transfer to key 3 at 105, and to
 * key 1 in the tip block (106) when in_tip, else at 106 under one more. */
static void build_chain(bool in_tip)
{
	fix_mine(F, (int)F->p->coinbase_maturity + 1, 0);
	struct outpoint cb1 = fix_cb_outpoint(F, 1);
	fix_spend(F, &REG, &cb1, 49 * COIN, 0, 1);
	assert_int_equal(tx_resize(&REG, 1, 2), 0);
	set_asset(&REG.out[1], 2);
	fix_sign(F, &REG, 0);
	block_with(&REG, 1, 1 * COIN);
	fix_mine(F, 2, 0);
	struct outpoint a = outpoint_of(&REG, 1), b;
	transfer(&X1, &a, 2, 3);
	block_with(&X1, 1, 0);
	b = outpoint_of(&X1, 0);
	transfer(&X2, &b, 3, 1);
	block_with(&X2, 1, 0);
	if (!in_tip)
		fix_mine(F, 1, 0);
}

static void build(struct proof2 *p, size_t samples)
{
	char err[ERR_LEN];
	if (asset_proof_v2(F->cs, p, ID, samples, err) != ASSET_OK)
		fail_msg("build: %s", err);
}

static uint8_t *encode(const struct proof2 *p, size_t *len)
{
	struct buf b = BUF_INIT;
	proof2_write(&b, p);
	assert_true(buf_ok(&b));
	return buf_take(&b, len);
}

/* NULL when the bytes are a valid bundle, else the reason. */
static const char *check(const uint8_t *raw, size_t len, size_t min_samples)
{
	static char err[ERR_LEN];
	struct proof2 p;
	if (proof2_parse(&p, raw, len, err) != 0)
		return err;
	bool ok = proof2_verify(&p, min_samples, NULL, err);
	proof2_release(&p);
	return ok ? NULL : err;
}

static void expect(const struct proof2 *p, const char *reason)
{
	size_t len;
	uint8_t *raw = encode(p, &len);
	const char *why = check(raw, len, 1);
	free(raw);
	if (!why)
		fail_msg("accepted, expected '%s'", reason);
	if (!strstr(why, reason))
		fail_msg("refused with '%s', expected '%s'", why, reason);
}

static void test_custody_verifies(void **state)
{
	(void)state;
	for (int in_tip = 0; in_tip < 2; in_tip++) {
		struct proof2 p, q;
		struct proof2_summary sum;
		char err[ERR_LEN];
		size_t len;
		if (in_tip) {
			teardown(NULL);
			setup(NULL);
		}
		build_chain(in_tip);
		build(&p, 0);
		assert_int_equal(p.n_samples, PROOF2_DEFAULT_SAMPLES);
		assert_int_equal(p.n_steps, 3);
		uint8_t *raw = encode(&p, &len);
		assert_int_equal(proof2_parse(&q, raw, len, err), 0);
		if (!proof2_verify(&q, PROOF2_DEFAULT_SAMPLES, &sum, err))
			fail_msg("refused: %s", err);
		struct block_index *tip = chainstate_tip(F->cs);
		assert_memory_equal(sum.tip_hash, tip->hash, 32);
		assert_int_equal(sum.tip_height, tip->height);
		assert_int_equal(u256_cmp(&sum.work, &tip->work), 0);
		assert_memory_equal(sum.owner, F->addr[1], 20);
		assert_memory_equal(sum.cur.txid, X2.txid, 32);
		assert_int_equal(sum.first_height, 102);
		assert_int_equal(q.steps[2].block.height, in_tip ? tip->height : tip->height - 1);
		char *report = proof2_report(&q, &sum);
		assert_non_null(strstr(report, "current owner as of the tip"));
		free(report);
		/* more samples asked than the bundle has */
		assert_false(proof2_verify(&q, PROOF2_DEFAULT_SAMPLES + 1, &sum, err));
		assert_non_null(strstr(err, "samples"));
		proof2_release(&q);
		proof2_release(&p);
		free(raw);
	}
}

/* The tip header's version, merkle root, time and nonce are bound only by
 * its proof of work and by the samples its hash seeds: on regtest, where
 * half of all hashes meet the target, an altered byte there may pass. */
static bool tip_free_byte(size_t at)
{
	const size_t tip = 4 + 1 + 1 + 4 + 32;
	if (at < tip || at >= tip + BLOCK_HEADER_SIZE)
		return false;
	size_t f = at - tip;
	return f < 4 || (f >= 36 && f < 68) || f >= 132;
}

static void test_every_byte_counts(void **state)
{
	(void)state;
	struct proof2 p;
	size_t len, passed = 0, free_bytes = 0;
	build_chain(false);
	build(&p, 4);
	uint8_t *raw = encode(&p, &len);
	assert_null(check(raw, len, 4));
	for (size_t at = 0; at < len; at++) {
		raw[at] ^= 0x01;
		const char *why = check(raw, len, 4);
		if (!why) {
			struct block_header h;
			struct cursor c = cursor_make(raw + 42, BLOCK_HEADER_SIZE);
			uint8_t hash[32];
			assert_true(header_read(&c, &h));
			header_hash(hash, &h);
			if (!tip_free_byte(at) || !pow_check(hash, h.bits, F->p->pow.limit_bits))
				fail_msg("byte %zu of %zu altered and accepted", at, len);
			passed++;
		}
		free_bytes += tip_free_byte(at);
		raw[at] ^= 0x01;
	}
	/* the samples catch most of those the proof of work lets through */
	assert_true(passed < free_bytes / 2);
	for (size_t cut = 0; cut < len; cut++)
		assert_non_null(check(raw, cut, 1));
	uint8_t *longer = malloc(len + 1);
	memcpy(longer, raw, len);
	longer[len] = 0;
	assert_non_null(strstr(check(longer, len + 1, 1), "trailing"));
	free(longer);
	free(raw);
	proof2_release(&p);
}

static void test_reasons(void **state)
{
	(void)state;
	struct proof2 p;
	build_chain(false);

	build(&p, 8);
	memset(p.parent, 0x55, 32);
	expect(&p, "not the tip's parent");
	proof2_release(&p);

	build(&p, 8);
	p.genesis_path.h[0][3] ^= 1;
	expect(&p, "genesis block is not at index 0");
	proof2_release(&p);

	/* a sample swapped for another block of the chain */
	build(&p, 8);
	p.samples[1] = p.samples[0].height == p.samples[1].height ? p.samples[2] : p.samples[0];
	if (p.samples[1].height != p.samples[0].height)
		expect(&p, "sample 1: block");
	proof2_release(&p);

	build(&p, 8);
	size_t below = 0;
	while (below < p.n_samples && p.samples[below].height == p.tip_height)
		below++;
	assert_true(below < p.n_samples);
	p.samples[below].work.w[0] += 2;
	expect(&p, "not in the tip's history tree");
	proof2_release(&p);
	build(&p, 8);
	size_t at_tip = 0;
	while (at_tip < p.n_samples && p.samples[at_tip].height != p.tip_height)
		at_tip++;
	if (at_tip < p.n_samples) { /* the tip's work, and nothing else, in a tip sample */
		p.samples[at_tip].work.w[0] += 2;
		expect(&p, "at the tip's height but not the tip");
	}
	proof2_release(&p);

	/* the custody steps: one left out, in the wrong order */
	build(&p, 8);
	tx_release(&p.steps[2].tx);
	p.n_steps = 2;
	expect(&p, "does not hold the asset at the last step's output");
	proof2_release(&p);
	build(&p, 8);
	struct proof2_step t = p.steps[0];
	p.steps[0] = p.steps[1];
	p.steps[1] = t;
	expect(&p, "step 1: not after step 0");
	proof2_release(&p);

	/* a step's block proven at another height */
	build(&p, 8);
	p.steps[1].block.height--;
	expect(&p, "step 1: block");
	proof2_release(&p);

	/* the asset map proof of another id, or a wrong value */
	build(&p, 8);
	p.state.key[0] ^= 1;
	expect(&p, "another id");
	proof2_release(&p);
	build(&p, 8);
	p.state.value[5] ^= 1;
	expect(&p, "asset map proof does not lead");
	proof2_release(&p);

	/* a custody bundle relabelled as absence */
	build(&p, 8);
	p.kind = PROOF2_ABSENCE;
	p.n_steps = 0;
	expect(&p, "holds the id");
	p.n_steps = 3;
	proof2_release(&p);
}

static void test_absence(void **state)
{
	(void)state;
	struct proof2 p, q;
	struct proof2_summary sum;
	char err[ERR_LEN];
	uint8_t other[32];
	size_t len;
	build_chain(false);
	assert_int_equal(asset_absence_proof(F->cs, &p, ID, 0, err), ASSET_EXISTS);
	memset(other, 0x77, 32);
	assert_int_equal(asset_absence_proof(F->cs, &p, other, 6, err), ASSET_OK);
	uint8_t *raw = encode(&p, &len);
	assert_int_equal(proof2_parse(&q, raw, len, err), 0);
	if (!proof2_verify(&q, 6, &sum, err))
		fail_msg("refused: %s", err);
	char *report = proof2_report(&q, &sum);
	assert_non_null(strstr(report, "never registered"));
	free(report);
	proof2_release(&q);
	/* the same proof claimed for the registered id */
	memcpy(p.asset, ID, 32);
	expect(&p, "another id");
	memcpy(p.state.key, ID, 32);
	expect(&p, "asset map proof does not lead");
	proof2_release(&p);
	free(raw);
	/* custody of an id never registered */
	assert_int_equal(asset_proof_v2(F->cs, &p, other, 0, err), ASSET_UNKNOWN);
}

/* After a reorganisation that drops the last transfer, the new tip's
 * bundle shows the owner before it, and the old bundle still verifies
 * against its own (old) tip: a proof is about the tip it names. */
static void test_reorg(void **state)
{
	(void)state;
	struct proof2 before, after;
	struct proof2_summary sum;
	char err[ERR_LEN];
	build_chain(true);
	build(&before, 8);
	struct block_index *tip = chainstate_tip(F->cs);
	assert_int_equal(chainstate_invalidate(F->cs, tip, err), 0);
	fix_mine(F, 2, 0);
	build(&after, 8);
	assert_true(proof2_verify(&after, 8, &sum, err));
	assert_int_equal(after.n_steps, 2);
	assert_memory_equal(sum.owner, F->addr[3], 20);
	assert_true(proof2_verify(&before, 8, &sum, err));
	assert_memory_equal(sum.owner, F->addr[1], 20);
	proof2_release(&before);
	proof2_release(&after);
}

/* Sample targets follow the tip hash and stay below the total work. */
static void test_sample_targets(void **state)
{
	(void)state;
	struct u256 total, w, prev;
	uint8_t tip[32];
	memset(tip, 0x42, 32);
	u256_from_u64(&total, 1000000);
	u256_zero(&prev);
	size_t recent = 0;
	for (uint32_t i = 0; i < 2000; i++) {
		proof2_sample_target(&w, tip, i, &total);
		assert_true(u256_cmp(&w, &total) < 0);
		recent += u256_low64(&w) >= 990000;
	}
	/* log-uniform in the distance from the tip: the last 1 % of the work
	 * gets far more than 1 % of the samples (about a third) */
	assert_true(recent > 400);
	tip[0] ^= 1;
	proof2_sample_target(&prev, tip, 0, &total);
	tip[0] ^= 1;
	proof2_sample_target(&w, tip, 0, &total);
	assert_true(u256_cmp(&w, &prev) != 0);
	u256_from_u64(&total, 1);
	proof2_sample_target(&w, tip, 7, &total);
	assert_true(u256_is_zero(&w));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_custody_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_byte_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorg, setup, teardown),
		cmocka_unit_test(test_sample_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
