/* The fee estimator (chain/fees.h): buckets, decay, the three horizons,
 * failures, the smart estimate's targets and modes, and fee_estimates.dat
 * (a round trip, and every damaged form refused with the estimator left as
 * it was). Blocks here are only their transactions' txids: that is all the
 * estimator reads of them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/fees.h"
#include "util/file.h"

#define MAX_TXS 512

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cairn_fees_XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A market: transactions waiting, by the height they will be mined. */
struct market {
	struct fees *f;
	uint32_t height;
	uint64_t next_id;
	struct pending {
		uint8_t txid[32];
		uint32_t mine_at;
	} txs[MAX_TXS * 4];
	size_t n;
};

static void market_init(struct market *m)
{
	memset(m, 0, sizeof(*m));
	m->f = fees_new();
	assert_non_null(m->f);
	m->height = 100;
	struct block b = { 0 };
	fees_block_connected(m->f, &b, m->height); /* so the estimator is at the tip */
}

static void txid_of(uint8_t out[32], uint64_t id)
{
	memset(out, 0, 32);
	memcpy(out, &id, sizeof(id));
	out[31] = 0xfe;
}

/* n transactions of 200 bytes at rate units per 1,000 bytes, mined after
 * wait blocks (0: never, until dropped). */
static void market_send(struct market *m, size_t n, int64_t rate, uint32_t wait)
{
	for (size_t i = 0; i < n; i++) {
		assert_true(m->n < sizeof(m->txs) / sizeof(m->txs[0]));
		struct pending *p = &m->txs[m->n++];
		txid_of(p->txid, ++m->next_id);
		p->mine_at = wait ? m->height + wait : UINT32_MAX;
		fees_tx_added(m->f, p->txid, m->height, rate * 200 / 1000, 200, false);
	}
}

/* The next block, with every transaction due. */
static void market_block(struct market *m)
{
	struct tx txs[MAX_TXS * 4];
	struct block b = { .txs = txs, .n_tx = 0 };
	size_t keep = 0;
	m->height++;
	for (size_t i = 0; i < m->n; i++) {
		if (m->txs[i].mine_at <= m->height) {
			memset(&txs[b.n_tx], 0, sizeof(txs[0]));
			memcpy(txs[b.n_tx++].txid, m->txs[i].txid, 32);
		} else {
			m->txs[keep++] = m->txs[i];
		}
	}
	m->n = keep;
	fees_block_connected(m->f, &b, m->height);
}

/* Every block: 20 at 10,000 confirming in the next block, 20 at 2,000
 * confirming after 8. */
static void two_tier(struct market *m, int blocks)
{
	for (int i = 0; i < blocks; i++) {
		market_send(m, 20, 10000, 1);
		market_send(m, 20, 2000, 8);
		market_block(m);
	}
}

static int64_t smart(const struct fees *f, unsigned target, bool conservative, unsigned *blocks)
{
	struct fees_smart s;
	fees_estimate_smart(f, &s, target, conservative);
	if (blocks)
		*blocks = s.blocks;
	return s.feerate;
}

static void test_nothing_seen(void **state)
{
	(void)state;
	struct fees *f = fees_new();
	unsigned blocks = 99;
	assert_int_equal(smart(f, 6, false, &blocks), 0);
	assert_int_equal(blocks, 0); /* as Core: no blocks seen, no usable target */
	struct fees_raw raw;
	fees_estimate_raw(f, &raw, 2, 0.95, FEES_SHORT);
	assert_true(raw.feerate < 0);
	assert_int_equal(fees_highest_target(FEES_SHORT), 12);
	assert_int_equal(fees_highest_target(FEES_MEDIUM), 48);
	assert_int_equal(fees_highest_target(FEES_LONG), 1008);
	fees_free(f);
	fees_free(NULL);
}

static void test_urgency_costs_more(void **state)
{
	(void)state;
	struct market *m = malloc(sizeof(*m));
	market_init(m);
	two_tier(m, 60);
	unsigned blocks;
	int64_t fast = smart(m->f, 2, false, &blocks), slow = smart(m->f, 20, false, NULL);
	assert_int_equal(blocks, 2);
	/* the fee rate of the bucket that confirms within the target */
	assert_true(fast >= 9500 && fast <= 10500);
	assert_true(slow >= 1900 && slow <= 2100);
	/* a target of 1 is answered as 2 */
	assert_int_equal(smart(m->f, 1, false, &blocks), fast);
	assert_int_equal(blocks, 2);
	assert_true(smart(m->f, 20, true, NULL) >= slow);
	/* outside 1..1008 */
	assert_int_equal(smart(m->f, 0, false, NULL), 0);
	assert_int_equal(smart(m->f, 1009, false, NULL), 0);
	fees_free(m->f);
	free(m);
}

static void test_target_lowered_to_half_the_blocks_seen(void **state)
{
	(void)state;
	struct market *m = malloc(sizeof(*m));
	market_init(m);
	two_tier(m, 21); /* first recorded at the first block, 20 blocks of span */
	unsigned blocks;
	assert_true(smart(m->f, 500, false, &blocks) > 0);
	assert_int_equal(blocks, 10);
	fees_free(m->f);
	free(m);
}

static void test_horizons(void **state)
{
	(void)state;
	struct market *m = malloc(sizeof(*m));
	struct fees_raw raw;
	market_init(m);
	two_tier(m, 60);
	fees_estimate_raw(m->f, &raw, 1, 0.95, FEES_SHORT);
	assert_true(raw.feerate >= 9500 && raw.feerate <= 10500);
	assert_true(raw.has_pass && raw.has_fail);
	assert_int_equal(raw.scale, 1);
	assert_true(raw.decay == 0.962);
	assert_true(raw.fail.end < raw.pass.start + 1); /* the cheap tier failed, below */
	fees_estimate_raw(m->f, &raw, 13, 0.95, FEES_SHORT); /* beyond the short horizon */
	assert_true(raw.feerate < 0);
	fees_estimate_raw(m->f, &raw, 10, 0.95, FEES_MEDIUM);
	assert_int_equal(raw.scale, 2);
	assert_true(raw.feerate >= 1900 && raw.feerate <= 2100);
	fees_estimate_raw(m->f, &raw, 2, 1.5, FEES_MEDIUM);
	assert_true(raw.feerate < 0);
	/* 60 blocks of 40 are too few for the long horizon's 145 a range */
	fees_estimate_raw(m->f, &raw, 100, 0.95, FEES_LONG);
	assert_int_equal(raw.scale, 24);
	fees_free(m->f);
	free(m);
}

/* A block decays every count by the horizon's decay. */
static void test_decay(void **state)
{
	(void)state;
	struct market *m = malloc(sizeof(*m));
	struct fees_raw raw;
	market_init(m);
	market_send(m, 100, 5000, 1);
	market_block(m);
	fees_estimate_raw(m->f, &raw, 1, 0.5, FEES_MEDIUM);
	assert_true(fabs(raw.pass.total_confirmed - 100) < 1e-9);
	for (int i = 0; i < 10; i++)
		market_block(m);
	fees_estimate_raw(m->f, &raw, 1, 0.5, FEES_MEDIUM);
	assert_true(fabs(raw.pass.total_confirmed - 100 * pow(0.9952, 10)) < 1e-6);
	fees_estimate_raw(m->f, &raw, 1, 0.5, FEES_SHORT);
	assert_true(fabs(raw.pass.total_confirmed - 100 * pow(0.962, 10)) < 1e-6);
	/* after enough blocks the short horizon has too little left to judge */
	for (int i = 0; i < 60; i++)
		market_block(m);
	fees_estimate_raw(m->f, &raw, 1, 0.5, FEES_SHORT);
	assert_true(raw.feerate < 0);
	fees_free(m->f);
	free(m);
}

/* Everyone pays more: once the old records decay the estimate follows. */
static void test_market_moves_up(void **state)
{
	(void)state;
	struct market *m = malloc(sizeof(*m));
	market_init(m);
	two_tier(m, 30);
	int64_t before = smart(m->f, 2, false, NULL);
	for (int i = 0; i < 120; i++) {
		market_send(m, 20, 40000, 1);
		market_send(m, 20, 8000, 8);
		market_block(m);
	}
	int64_t after = smart(m->f, 2, false, NULL);
	assert_true(after > before);
	assert_true(after >= 38000 && after <= 42000);
	fees_free(m->f);
	free(m);
}

/* Transactions that wait and leave unconfirmed count as failures; the
 * ones with unconfirmed parents, or reported at another height, are not
 * tracked. */
static void test_failures_and_untracked(void **state)
{
	(void)state;
	struct market *m = malloc(sizeof(*m));
	struct fees_raw raw;
	uint8_t txid[32];
	market_init(m);
	for (int i = 0; i < 30; i++) {
		market_send(m, 20, 3000, 0);
		market_block(m);
		market_block(m);
		for (size_t j = 0; j < m->n; j++)
			fees_tx_removed(m->f, m->txs[j].txid);
		m->n = 0;
	}
	assert_int_equal(fees_tracked(m->f), 0);
	fees_estimate_raw(m->f, &raw, 1, 0.5, FEES_SHORT);
	assert_true(raw.feerate < 0);
	assert_true(raw.fail.left_mempool > 1);
	txid_of(txid, 999999);
	fees_tx_added(m->f, txid, m->height, 1000, 200, true);
	fees_tx_added(m->f, txid, m->height - 1, 1000, 200, false);
	assert_int_equal(fees_tracked(m->f), 0);
	fees_tx_added(m->f, txid, m->height, 1000, 200, false);
	fees_tx_added(m->f, txid, m->height, 1000, 200, false); /* twice: once */
	assert_int_equal(fees_tracked(m->f), 1);
	fees_tx_removed(m->f, txid);
	fees_tx_removed(m->f, txid);
	assert_int_equal(fees_tracked(m->f), 0);
	fees_free(m->f);
	free(m);
}

/* A block at a height already seen (a reorganisation) records nothing and
 * forgets its transactions. */
static void test_reorg_block_records_nothing(void **state)
{
	(void)state;
	struct market *m = malloc(sizeof(*m));
	struct fees_raw before, after;
	market_init(m);
	two_tier(m, 20);
	fees_estimate_raw(m->f, &before, 1, 0.95, FEES_SHORT);
	market_send(m, 5, 10000, 1);
	struct tx txs[5];
	struct block b = { .txs = txs, .n_tx = 5 };
	for (int i = 0; i < 5; i++) {
		memset(&txs[i], 0, sizeof(txs[i]));
		memcpy(txs[i].txid, m->txs[m->n - 5 + i].txid, 32);
	}
	size_t tracked = fees_tracked(m->f);
	fees_block_connected(m->f, &b, m->height);
	assert_int_equal(fees_tracked(m->f), tracked - 5);
	fees_estimate_raw(m->f, &after, 1, 0.95, FEES_SHORT);
	assert_true(after.pass.total_confirmed == before.pass.total_confirmed);
	fees_free(m->f);
	free(m);
}

static void path_in(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct market *m = malloc(sizeof(*m));
	char path[128], err[ERR_LEN];
	bool found;
	market_init(m);
	two_tier(m, 60);
	while (m->n) /* nothing waiting: what is not saved plays no part */
		market_block(m);
	path_in(path, sizeof(path), FEES_FILE);
	assert_int_equal(fees_save(m->f, path, err), 0);
	struct fees *g = fees_new();
	assert_int_equal(fees_load(g, path, &found, err), 0);
	assert_true(found);
	for (unsigned t = 1; t <= 40; t++) {
		unsigned b1, b2;
		assert_int_equal(smart(g, t, false, &b1), smart(m->f, t, false, &b2));
		assert_int_equal(b1, b2);
		assert_int_equal(smart(g, t, true, NULL), smart(m->f, t, true, NULL));
	}
	for (int h = 0; h < FEES_N_HORIZONS; h++) {
		struct fees_raw a, b;
		fees_estimate_raw(m->f, &a, 2, 0.85, h);
		fees_estimate_raw(g, &b, 2, 0.85, h);
		assert_true(a.feerate == b.feerate && a.pass.total_confirmed == b.pass.total_confirmed);
	}
	/* saved again from the loaded one: the same bytes */
	char again[128];
	size_t l1, l2;
	path_in(again, sizeof(again), "again.dat");
	assert_int_equal(fees_save(g, again, err), 0);
	uint8_t *d1 = file_read_bounded(path, 1 << 24, &l1, NULL, err), *d2 = file_read_bounded(again, 1 << 24, &l2, NULL, err);
	assert_int_equal(l1, l2);
	assert_memory_equal(d1, d2, l1);
	free(d1);
	free(d2);
	/* a missing file is no error */
	path_in(path, sizeof(path), "missing.dat");
	assert_int_equal(fees_load(g, path, &found, err), 0);
	assert_false(found);
	fees_free(g);
	fees_free(m->f);
	free(m);
}

/* Writes len bytes of data to path. */
static void put(const char *path, const uint8_t *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static void expect_refused(const char *path, const char *why)
{
	char err[ERR_LEN];
	bool found;
	struct fees *g = fees_new();
	assert_int_equal(fees_load(g, path, &found, err), -1);
	assert_true(found);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, why));
	assert_int_equal(smart(g, 2, false, NULL), 0); /* unchanged: still empty */
	fees_free(g);
}

static void test_damaged_file_refused(void **state)
{
	(void)state;
	struct market *m = malloc(sizeof(*m));
	char path[128], bad[128], err[ERR_LEN];
	size_t len;
	market_init(m);
	two_tier(m, 30);
	path_in(path, sizeof(path), FEES_FILE);
	path_in(bad, sizeof(bad), "bad.dat");
	assert_int_equal(fees_save(m->f, path, err), 0);
	uint8_t *data = file_read_bounded(path, 1 << 24, &len, NULL, err);
	assert_non_null(data);
	/* a flipped bit anywhere after the header */
	for (size_t at = 12; at < len; at += len / 17) {
		data[at] ^= 0x10;
		put(bad, data, len);
		expect_refused(bad, "checksum mismatch");
		data[at] ^= 0x10;
	}
	put(bad, data, len - 1);
	expect_refused(bad, "checksum mismatch");
	put(bad, data, 10);
	expect_refused(bad, "too short");
	data[0] ^= 1;
	put(bad, data, len);
	expect_refused(bad, "not a fee estimates file");
	data[0] ^= 1;
	data[8] = 9; /* version */
	put(bad, data, len);
	expect_refused(bad, "unsupported version");
	free(data);
	fees_free(m->f);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_seen),
		cmocka_unit_test(test_urgency_costs_more),
		cmocka_unit_test(test_target_lowered_to_half_the_blocks_seen),
		cmocka_unit_test(test_horizons),
		cmocka_unit_test(test_decay),
		cmocka_unit_test(test_market_moves_up),
		cmocka_unit_test(test_failures_and_untracked),
		cmocka_unit_test(test_reorg_block_records_nothing),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damaged_file_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
