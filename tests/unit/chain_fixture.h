/* Shared by the chain tests: a regtest chainstate in a fresh temporary
 * folder, deterministic keys, and builders for signed transactions and
 * solved blocks. Header-only: each test program includes it once. */
#ifndef CAIRN_TESTS_CHAIN_FIXTURE_H
#define CAIRN_TESTS_CHAIN_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/chainstate.h"
#include "chain/hash.h"
#include "chain/mine.h"
#include "util/pool.h"
#include "wallet/key.h"

#define FIX_T0 1795219200ULL

struct fixture {
	const struct chain_params *p;
	struct chainstate *cs;
	struct pool *pool; /* two workers, as a 2-core node's */
	char dir[64];
	uint64_t time;     /* time of the next block */
	uint8_t sk[4][32]; /* four keys */
	uint8_t pk[4][32];
	uint8_t addr[4][20];
};

static inline void fix_keys(struct fixture *f)
{
	for (int i = 0; i < 4; i++) {
		memset(f->sk[i], 0, 32);
		f->sk[i][31] = (uint8_t)(i + 1);
		f->sk[i][0] = 0x11;
		assert_int_equal(key_pubkey_xonly(f->pk[i], f->sk[i]), 0);
		tx_pubkey_hash(f->addr[i], f->pk[i]);
	}
}

static inline void fix_open(struct fixture *f)
{
	char err[ERR_LEN] = "";
	struct chainstate_opts o = { .path = f->dir, .cache_bytes = 1 << 20, .pool = f->pool };
	f->cs = chainstate_open(f->p, &o, err);
	if (!f->cs)
		fail_msg("chainstate_open: %s", err);
}

static inline struct fixture *fix_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->p = params_get(NET_REGTEST);
	snprintf(f->dir, sizeof(f->dir), "/tmp/cairn-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->time = FIX_T0 + 60;
	fix_keys(f);
	assert_non_null(f->pool = pool_new(2, NULL));
	fix_open(f);
	return f;
}

static inline void fix_free(struct fixture *f)
{
	char cmd[128];
	chainstate_close(f->cs);
	pool_free(f->pool);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
}

/* A block on prev (the tip when NULL) with txs, paying key payee; solved. */
static inline void fix_block_on(struct fixture *f, struct block *b, const struct block_index *prev,
				const struct tx *txs, size_t n, int64_t fees, int payee)
{
	char err[ERR_LEN];
	if (!prev)
		prev = chainstate_tip(f->cs);
	assert_int_equal(mine_build(b, prev, f->p, txs, n, f->addr[payee], fees, f->time++, err), 0);
	/* A block the test means to be invalid does not connect: it keeps its
	 * parent's asset root and is refused for its own fault first. */
	if (chainstate_commit_assets(f->cs, b, err) != 0)
		memcpy(b->header.assets, prev->header.assets, 32);
	assert_true(mine_solve(b, 1000000));
}

/* Re-solves a block after the test changed it (merkle root refreshed). */
static inline void fix_resolve(struct block *b)
{
	block_finalize(b);
	assert_true(mine_solve(b, 1000000));
}

/* Accepts a block and returns the verdict's reason ("" when valid). */
static inline const char *fix_accept(struct fixture *f, const struct block *b, struct verdict *v)
{
	verdict_init(v);
	chainstate_accept_block(f->cs, b, f->time + 3600, SOURCE_RPC, NULL, v);
	return v->reason;
}

/* Mines n blocks to payee on the tip; all must be accepted. */
static inline void fix_mine(struct fixture *f, int n, int payee)
{
	for (int i = 0; i < n; i++) {
		struct block b;
		struct verdict v;
		fix_block_on(f, &b, NULL, NULL, 0, 0, payee);
		assert_string_equal(fix_accept(f, &b, &v), "");
		block_release(&b);
	}
}

/* The coinbase outpoint of the best chain's block at height. */
static inline struct outpoint fix_cb_outpoint(struct fixture *f, uint32_t height)
{
	struct block b;
	char err[ERR_LEN];
	struct outpoint op;
	assert_int_equal(chainstate_read_block(f->cs, chainstate_at(f->cs, height), &b, err), 0);
	memcpy(op.txid, b.txs[0].txid, 32);
	op.index = 0;
	block_release(&b);
	return op;
}

/* Signs every input of tx with key signer (all inputs one key). */
static inline void fix_sign(struct fixture *f, struct tx *tx, int signer)
{
	uint8_t msg[32], aux[32] = { 0 };
	for (size_t i = 0; i < tx->n_in; i++)
		memcpy(tx->in[i].pubkey, f->pk[signer], 32);
	tx_sighash(msg, tx, f->p->magic);
	for (size_t i = 0; i < tx->n_in; i++)
		assert_int_equal(key_sign_aux(tx->in[i].sig, f->sk[signer], msg, aux), 0);
	tx_finalize(tx);
}

/* A one-input one-output transaction spending op (value in) to key to. */
static inline void fix_spend(struct fixture *f, struct tx *tx, const struct outpoint *op, int64_t value,
			     int signer, int to)
{
	tx_init(tx);
	assert_int_equal(tx_resize(tx, 1, 1), 0);
	tx->in[0].prev = *op;
	tx->out[0].value = value;
	memcpy(tx->out[0].addr, f->addr[to], 20);
	fix_sign(f, tx, signer);
}

/* Number of unspent outputs and a digest of the whole set, order-free. */
struct fix_utxo_digest {
	size_t n;
	uint8_t x[32];
};

static inline int fix_digest_fn(void *ctx, const struct outpoint *op, const struct coin *c)
{
	struct fix_utxo_digest *d = ctx;
	struct buf b = BUF_INIT;
	uint8_t key[36], h[32];
	outpoint_write(key, op);
	buf_put(&b, key, 36);
	coin_write(&b, c);
	hash_sha256(h, b.data, b.len);
	for (int i = 0; i < 32; i++)
		d->x[i] ^= h[i];
	d->n++;
	buf_release(&b);
	return 0;
}

static inline struct fix_utxo_digest fix_utxo(struct fixture *f)
{
	struct fix_utxo_digest d;
	memset(&d, 0, sizeof(d));
	assert_int_equal(chainstate_for_each_coin(f->cs, fix_digest_fn, &d), 0);
	return d;
}

#endif
