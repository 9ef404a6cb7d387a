/* Recovery of the chainstate from the block files: -reindex and
 * -reindex-chainstate end at the same tip with the same unspent outputs,
 * blocks stored before their parents included; verifychain finds missing
 * undo data; a record pointing past its file's end is reported as damage;
 * the scratch store keeps its writes from the database under it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "chain_fixture.h"
#include "chain/blockfile.h"
#include "chain/dbkeys.h"
#include "chain/store.h"

static struct fixture *F;

static int setup(void **state)
{
	(void)state;
	F = fix_new();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fix_free(F);
	return 0;
}

/* Closes the chainstate and opens it again with a reindex mode; NULL
 * (with err and *corrupt) when the open fails. */
static struct chainstate *reopen(enum chainstate_reindex mode, bool *corrupt, char *err)
{
	chainstate_close(F->cs);
	struct chainstate_opts o = { .path = F->dir, .cache_bytes = 1 << 20, .pool = F->pool, .reindex = mode,
				     .now = F->time + 3600, .check_db = true, .corrupt = corrupt };
	return F->cs = chainstate_open(F->p, &o, err);
}

struct state {
	uint8_t tip[32];
	uint32_t height;
	struct fix_utxo_digest utxo;
};

static struct state state_now(void)
{
	struct state s;
	memcpy(s.tip, chainstate_tip(F->cs)->hash, 32);
	s.height = chainstate_tip(F->cs)->height;
	s.utxo = fix_utxo(F);
	return s;
}

static void assert_state(const struct state *want)
{
	struct state got = state_now();
	assert_memory_equal(got.tip, want->tip, 32);
	assert_int_equal(got.height, want->height);
	assert_int_equal(got.utxo.n, want->utxo.n);
	assert_memory_equal(got.utxo.x, want->utxo.x, 32);
}

static void test_reindex_same_state(void **state)
{
	(void)state;
	char err[ERR_LEN] = "";
	bool corrupt = true;
	struct block b1, b2, b;
	struct verdict v;
	struct block_index *bi;
	/* b2 reaches the files before its parent b1. */
	fix_block_on(F, &b1, NULL, NULL, 0, 0, 0);
	assert_true(chainstate_accept_header(F->cs, &b1.header, F->time, &bi, &v));
	fix_block_on(F, &b2, bi, NULL, 0, 0, 0);
	assert_string_equal(fix_accept(F, &b2, &v), "");
	assert_string_equal(fix_accept(F, &b1, &v), "");
	block_release(&b1);
	block_release(&b2);
	fix_mine(F, 101, 0);
	struct tx spend;
	struct outpoint op = fix_cb_outpoint(F, 3);
	fix_spend(F, &spend, &op, 50 * COIN - 1000, 0, 1);
	fix_block_on(F, &b, NULL, &spend, 1, 1000, 2);
	assert_string_equal(fix_accept(F, &b, &v), "");
	block_release(&b);
	uint8_t txid[32];
	memcpy(txid, spend.txid, 32);
	tx_release(&spend);
	fix_mine(F, 3, 1);
	struct state want = state_now();
	assert_int_equal(want.height, 107);
	assert_int_equal(chainstate_verify(F->cs, 4, 0, err), 1);

	assert_non_null(reopen(REINDEX_FULL, &corrupt, err));
	assert_false(corrupt);
	assert_state(&want);
	assert_int_equal(chainstate_verify(F->cs, 4, 0, err), 1);
	assert_non_null(reopen(REINDEX_CHAINSTATE, &corrupt, err));
	assert_state(&want);
	assert_int_equal(chainstate_verify(F->cs, 4, 0, err), 1);
	assert_non_null(reopen(REINDEX_NONE, &corrupt, err));
	assert_state(&want);
	struct block_index *where;
	uint32_t pos;
	assert_int_equal(chainstate_find_tx(F->cs, txid, &where, &pos), 1);
	assert_int_equal(where->height, 104);
}

static void test_verify_finds_missing_undo(void **state)
{
	(void)state;
	char err[ERR_LEN] = "";
	fix_mine(F, 10, 0);
	assert_int_equal(chainstate_verify(F->cs, 3, 6, err), 1);
	assert_int_equal(chainstate_verify(F->cs, 5, 6, err), -1);
	struct block_index *bi = chainstate_at(F->cs, 8);
	struct dbkey k = dbkey_hash(DB_UNDO, bi->hash);
	struct store_batch *batch = store_batch_new();
	store_batch_del(batch, k.b, k.len);
	assert_int_equal(store_write(chainstate_store(F->cs), batch, false, err), 0);
	store_batch_free(batch);
	assert_int_equal(chainstate_verify(F->cs, 1, 6, err), 1);
	assert_int_equal(chainstate_verify(F->cs, 2, 2, err), 1); /* 10 and 9 only */
	assert_int_equal(chainstate_verify(F->cs, 2, 6, err), 0);
	assert_non_null(strstr(err, "undo data of block at height 8 is missing"));
	/* -reindex-chainstate writes it again. */
	bool corrupt;
	assert_non_null(reopen(REINDEX_CHAINSTATE, &corrupt, err));
	assert_int_equal(chainstate_verify(F->cs, 4, 0, err), 1);
}

static void test_index_past_file_end(void **state)
{
	(void)state;
	char err[ERR_LEN] = "", path[128];
	bool corrupt = false;
	fix_mine(F, 5, 0);
	chainstate_close(F->cs);
	F->cs = NULL;
	snprintf(path, sizeof(path), "%s/blocks/blk00000.dat", F->dir);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long size = ftell(f);
	fclose(f);
	assert_int_equal(truncate(path, size - 10), 0);
	assert_null(reopen(REINDEX_NONE, &corrupt, err));
	assert_true(corrupt);
	assert_non_null(strstr(err, "past the end"));
	/* The torn record is cut; the rest is rebuilt. */
	assert_non_null(reopen(REINDEX_FULL, &corrupt, err));
	assert_int_equal(chainstate_tip(F->cs)->height, 4);
	assert_int_equal(chainstate_verify(F->cs, 4, 0, err), 1);
	/* A plain open afterwards finds nothing wrong. */
	assert_non_null(reopen(REINDEX_NONE, &corrupt, err));
	assert_false(corrupt);
}

static void test_scratch_store(void **state)
{
	(void)state;
	char err[ERR_LEN];
	uint8_t *val;
	size_t len;
	struct store *base = chainstate_store(F->cs);
	struct store *s = store_scratch_new(base);
	assert_non_null(s);
	struct dbkey kt = dbkey_single(DB_TIP), kx = dbkey_single('Z');
	assert_int_equal(store_get(s, kt.b, kt.len, &val, &len, err), 1); /* read through */
	assert_int_equal(len, 32);
	store_free(val);
	struct store_batch *b = store_batch_new();
	store_batch_del(b, kt.b, kt.len);
	store_batch_put(b, kx.b, kx.len, "abc", 3);
	assert_int_equal(store_write(s, b, false, err), 0);
	store_batch_free(b);
	assert_int_equal(store_get(s, kt.b, kt.len, &val, &len, err), 0);
	assert_int_equal(store_get(s, kx.b, kx.len, &val, &len, err), 1);
	assert_memory_equal(val, "abc", 3);
	store_free(val);
	assert_null(store_iter_new(s, "c", 1));
	/* The database under it never changed. */
	assert_int_equal(store_get(base, kt.b, kt.len, &val, &len, err), 1);
	store_free(val);
	assert_int_equal(store_get(base, kx.b, kx.len, &val, &len, err), 0);
	store_close(s);
	assert_int_equal(store_verify(base, err), 0);
}

/* Turns the closed chainstate into format 2: bodies under 'B', index
 * records without a position, no block files. */
static void make_v2(void)
{
	char err[ERR_LEN], cmd[160], blocks[128];
	snprintf(blocks, sizeof(blocks), "%s/blocks", F->dir);
	struct store *s = store_open(F->dir, 1 << 20, err);
	struct blockfile *bf = blockfile_open(blocks, F->p->magic, 0, err);
	assert_non_null(s);
	assert_non_null(bf);
	struct store_batch *batch = store_batch_new();
	uint8_t prefix = DB_INDEX, ver[4] = { 2, 0, 0, 0 };
	struct store_iter *it = store_iter_new(s, &prefix, 1);
	const uint8_t *k, *val;
	size_t klen, vlen, moved = 0;
	while (store_iter_next(it, &k, &klen, &val, &vlen)) {
		struct block_index bi;
		uint8_t rec[BLOCK_INDEX_RECORD_SIZE - 12], *body;
		size_t peer = BLOCK_INDEX_RECORD_SIZE - 48;
		assert_int_equal(index_read(&bi, val, vlen, err), 0);
		memcpy(rec, val, peer - 12);
		memcpy(rec + peer - 12, val + peer, 48);
		store_batch_put(batch, k, klen, rec, sizeof(rec));
		if (!(bi.status & BLOCK_HAVE_DATA))
			continue;
		struct blockpos pos = { bi.data_file, bi.data_pos, bi.data_len };
		struct dbkey kb = dbkey_hash('B', bi.hash);
		assert_int_equal(blockfile_read(bf, &pos, &body, err), 0);
		store_batch_put(batch, kb.b, kb.len, body, pos.len);
		free(body);
		moved++;
	}
	assert_true(moved > 10);
	store_iter_free(it);
	struct dbkey kv = dbkey_single(DB_VERSION);
	store_batch_put(batch, kv.b, kv.len, ver, 4);
	assert_int_equal(store_write(s, batch, true, err), 0);
	store_batch_free(batch);
	blockfile_close(bf);
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", blocks);
	assert_int_equal(system(cmd), 0);
}

static void test_migrate_v2(void **state)
{
	(void)state;
	char err[ERR_LEN] = "";
	bool corrupt;
	struct block b;
	struct verdict v;
	struct block_index *bi;
	/* A header without its block: a record with no body to move. */
	fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
	fix_mine(F, 20, 0);
	assert_true(chainstate_accept_header(F->cs, &b.header, F->time, &bi, &v));
	struct state want = state_now();
	chainstate_close(F->cs);
	F->cs = NULL;
	make_v2();
	assert_non_null(reopen(REINDEX_NONE, &corrupt, err));
	assert_state(&want);
	assert_int_equal(chainstate_verify(F->cs, 4, 0, err), 1);
	uint8_t *val;
	size_t len;
	struct dbkey kb = dbkey_hash('B', chainstate_tip(F->cs)->hash);
	assert_int_equal(store_get(chainstate_store(F->cs), kb.b, kb.len, &val, &len, err), 0);
	/* And it stays format 3. */
	assert_non_null(reopen(REINDEX_NONE, &corrupt, err));
	assert_state(&want);
	block_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reindex_same_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_finds_missing_undo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_past_file_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scratch_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v2, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
