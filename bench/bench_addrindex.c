/* What the address index (-addressindex) costs a node connecting blocks:
 * the same series of blocks (single-input transactions paying two of 64
 * addresses each) connected into fresh chainstates with the index off and
 * on, interleaved round by round so that both see the same machine.
 *
 * Two figures: "full" connects as initial sync does (every signature
 * checked on the pool), "nosig" skips the signature checks
 * (chainstate_accept_verified), leaving the store work where the index's
 * share is largest. Prints the median transactions/s of each and the
 * ratio on/off; docs/performance.md records them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/addrindex.h"
#include "chain/chainstate.h"
#include "chain/mine.h"
#include "chain/sigcheck.h"
#include "util/pool.h"
#include "wallet/key.h"

#define N_TX 10000
#define PER_BLOCK 2000
#define N_ADDR 64
#define ROUNDS 5

static uint8_t sk[32], pk[32], addrs[N_ADDR][20];
static uint64_t block_time = 1795219200 + 60;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s\n", what);
	exit(1);
}

static struct chainstate *open_cs(const char *dir, struct pool *pool)
{
	char err[ERR_LEN];
	struct chainstate_opts o = { .path = dir, .cache_bytes = 64 << 20, .pool = pool };
	struct chainstate *cs = chainstate_open(params_get(NET_REGTEST), &o, err);
	if (!cs)
		die(err);
	return cs;
}

static void accept(struct chainstate *cs, const struct block *b, bool verified)
{
	struct verdict v;
	verdict_init(&v);
	bool ok = verified ? chainstate_accept_verified(cs, b, block_time + 7200, SOURCE_RPC, NULL, &v)
			   : chainstate_accept_block(cs, b, block_time + 7200, SOURCE_RPC, NULL, &v);
	if (!ok)
		die(v.reason);
}

/* Builds the next block on cs's tip, accepts it and keeps a copy. */
static void next_block(struct chainstate *cs, struct block *out, const struct tx *txs, size_t n, int64_t fees)
{
	char err[ERR_LEN];
	if (mine_build(out, chainstate_tip(cs), params_get(NET_REGTEST), txs, n, addrs[0], fees, block_time++, err) != 0 ||
	    chainstate_commit_assets(cs, out, err) != 0 || !mine_solve(out, 1 << 20))
		die("cannot build a block");
	accept(cs, out, false);
}

static void sign(struct tx *tx)
{
	uint8_t msg[32];
	memcpy(tx->in[0].pubkey, pk, 32);
	tx_sighash(msg, tx, params_get(NET_REGTEST)->magic);
	if (key_sign(tx->in[0].sig, sk, msg) != 0)
		die("cannot sign");
	tx_finalize(tx);
}

/* The series: 101 blocks, a fan-out of N_TX outputs to our key, then
 * blocks of PER_BLOCK transactions, each spending one of them to two of
 * the addresses. */
static struct block *prepare(size_t *n_blocks)
{
	char dir[] = "/tmp/cairn-bench-XXXXXX", cmd[128];
	if (!mkdtemp(dir))
		die("mkdtemp");
	struct chainstate *cs = open_cs(dir, NULL);
	*n_blocks = 101 + 1 + N_TX / PER_BLOCK;
	struct block *blocks = calloc(*n_blocks, sizeof(*blocks));
	struct tx fan, *txs = calloc(PER_BLOCK, sizeof(*txs));
	tx_pubkey_hash(addrs[0], pk);
	for (int i = 0; i < 101; i++)
		next_block(cs, &blocks[i], NULL, 0, 0);
	tx_init(&fan);
	if (tx_resize(&fan, 1, N_TX) != 0)
		die("oom");
	memcpy(fan.in[0].prev.txid, blocks[0].txs[0].txid, 32);
	for (size_t i = 0; i < N_TX; i++) {
		fan.out[i].value = (50 * COIN - 10000) / N_TX;
		memcpy(fan.out[i].addr, addrs[0], 20);
	}
	sign(&fan);
	next_block(cs, &blocks[101], &fan, 1, 50 * COIN - (int64_t)N_TX * fan.out[0].value);
	for (size_t k = 102; k < *n_blocks; k++) {
		for (size_t i = 0; i < PER_BLOCK; i++) {
			size_t n = (k - 102) * PER_BLOCK + i;
			struct tx *t = &txs[i];
			tx_init(t);
			if (tx_resize(t, 1, 2) != 0)
				die("oom");
			memcpy(t->in[0].prev.txid, fan.txid, 32);
			t->in[0].prev.index = (uint32_t)n;
			t->out[0].value = (fan.out[0].value - 1000) / 2;
			t->out[1].value = (fan.out[0].value - 1000) / 2;
			memcpy(t->out[0].addr, addrs[n % N_ADDR], 20);
			memcpy(t->out[1].addr, addrs[(n * 7 + 1) % N_ADDR], 20);
			sign(t);
		}
		next_block(cs, &blocks[k], txs, PER_BLOCK, PER_BLOCK * 1000);
		for (size_t i = 0; i < PER_BLOCK; i++)
			tx_release(&txs[i]);
	}
	free(txs);
	tx_release(&fan);
	chainstate_close(cs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		die("rm");
	return blocks;
}

/* Transactions/s connecting the spending blocks of the series into a fresh
 * chainstate, with or without the index. */
static double run(const struct block *blocks, size_t n, struct pool *pool, bool index, bool verified)
{
	char dir[] = "/tmp/cairn-bench-XXXXXX", cmd[128], err[ERR_LEN];
	if (!mkdtemp(dir))
		die("mkdtemp");
	struct chainstate *cs = open_cs(dir, pool);
	struct addrindex *ai = index ? addrindex_new(cs) : NULL;
	struct connect_writer w;
	if (ai) {
		w = addrindex_writer(ai);
		chainstate_set_writer(cs, &w);
		while (addrindex_build_step(ai, 1000, err) == 1)
			;
	}
	for (size_t k = 0; k < 102; k++)
		accept(cs, &blocks[k], verified);
	double t = now_s();
	for (size_t k = 102; k < n; k++)
		accept(cs, &blocks[k], verified);
	double secs = now_s() - t;
	if (chainstate_tip(cs)->height != n || (ai && !addrindex_synced(ai)))
		die("blocks did not connect, or the index fell behind");
	chainstate_set_writer(cs, NULL);
	addrindex_free(ai);
	chainstate_close(cs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		die("rm");
	return (n - 102) * PER_BLOCK / secs;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Off and on alternate, the first of each round swapping, so that neither
 * always runs on a warmer cache. */
static void measure(const char *name, const struct block *blocks, size_t n, struct pool *pool, bool verified)
{
	double off[ROUNDS], on[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		bool first_on = r % 2;
		if (first_on)
			on[r] = run(blocks, n, pool, true, verified);
		off[r] = run(blocks, n, pool, false, verified);
		if (!first_on)
			on[r] = run(blocks, n, pool, true, verified);
	}
	double m_off = median(off, ROUNDS), m_on = median(on, ROUNDS);
	printf("addrindex %-5s: off %8.0f tx/s, on %8.0f tx/s, on/off %.3f (cost %.1f %%)\n", name, m_off, m_on,
	       m_on / m_off, 100.0 * (1 - m_on / m_off));
}

int main(void)
{
	memset(sk, 0x42, 32);
	if (key_pubkey_xonly(pk, sk) != 0)
		return 1;
	for (int i = 1; i < N_ADDR; i++) {
		memset(addrs[i], 0, 20);
		addrs[i][0] = (uint8_t)i;
		addrs[i][19] = 0xad;
	}
	sigcache_set_size(0);
	size_t n;
	struct block *blocks = prepare(&n);
	struct pool *pool = pool_new(pool_default_threads(), NULL);
	if (!pool)
		die("no pool");
	printf("addrindex: %d transactions in %d blocks of %d, %d rounds, %d workers\n", N_TX, N_TX / PER_BLOCK,
	       PER_BLOCK, ROUNDS, pool_default_threads());
	measure("full", blocks, n, pool, false);
	measure("nosig", blocks, n, pool, true);
	pool_free(pool);
	for (size_t k = 0; k < n; k++)
		block_release(&blocks[k]);
	free(blocks);
	return 0;
}
