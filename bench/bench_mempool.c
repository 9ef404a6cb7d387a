/* The mempool and the miner: accepting 5,000 single-input transactions,
 * then mining them into one block, whose connection finds every signature
 * in the cache; and, for comparison, connecting the same block on a node
 * that never saw the transactions (every signature verified). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/mempool.h"
#include "chain/mine.h"
#include "util/pool.h"
#include "wallet/key.h"

#define N_TX 5000

static uint8_t sk[32], pk[32], addr[20];
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

/* The workers a node has by default: one a core. */
static struct pool *pool;

static struct chainstate *open_cs(char *dir)
{
	char err[ERR_LEN];
	if (!mkdtemp(dir))
		die("mkdtemp");
	if (!pool && !(pool = pool_new(pool_default_threads(), err)))
		die(err);
	struct chainstate_opts o = { .path = dir, .cache_bytes = 64 << 20, .pool = pool };
	struct chainstate *cs = chainstate_open(params_get(NET_REGTEST), &o, err);
	if (!cs)
		die(err);
	return cs;
}

static void accept(struct chainstate *cs, const struct block *b)
{
	struct verdict v;
	verdict_init(&v);
	if (!chainstate_accept_block(cs, b, block_time + 7200, SOURCE_RPC, NULL, &v))
		die(v.reason);
}

static void build(struct chainstate *cs, struct block *b, const struct tx *txs, size_t n, int64_t fees)
{
	char err[ERR_LEN];
	if (mine_build(b, chainstate_tip(cs), params_get(NET_REGTEST), txs, n, addr, fees, block_time++, err) != 0 ||
	    !mine_solve(b, 1 << 20))
		die("cannot build a block");
}

static void sign(struct tx *tx)
{
	uint8_t msg[32];
	for (size_t i = 0; i < tx->n_in; i++)
		memcpy(tx->in[i].pubkey, pk, 32);
	tx_sighash(msg, tx, params_get(NET_REGTEST)->magic);
	for (size_t i = 0; i < tx->n_in; i++)
		if (key_sign(tx->in[i].sig, sk, msg) != 0)
			die("sign");
	tx_finalize(tx);
}

/* 101 blocks, then 2 fan-outs of N_TX/2 outputs mined; returns the spends. */
static struct tx *prepare(struct chainstate *cs, struct block *setup, size_t *n_setup)
{
	struct tx fans[2], *spends = calloc(N_TX, sizeof(*spends));
	*n_setup = 0;
	for (int i = 0; i < 101; i++) {
		build(cs, &setup[*n_setup], NULL, 0, 0);
		accept(cs, &setup[(*n_setup)++]);
	}
	for (int f = 0; f < 2; f++) {
		tx_init(&fans[f]);
		if (tx_resize(&fans[f], 1, N_TX / 2) != 0)
			die("oom");
		memcpy(fans[f].in[0].prev.txid, setup[f].txs[0].txid, 32);
		for (size_t i = 0; i < N_TX / 2; i++) {
			fans[f].out[i].value = (50 * COIN - 100000) / (N_TX / 2);
			memcpy(fans[f].out[i].addr, addr, 20);
		}
		sign(&fans[f]);
	}
	int64_t fee = 2 * (50 * COIN - (int64_t)(N_TX / 2) * fans[0].out[0].value);
	build(cs, &setup[*n_setup], fans, 2, fee);
	accept(cs, &setup[(*n_setup)++]);
	for (size_t i = 0; i < N_TX; i++) {
		struct tx *t = &spends[i];
		tx_init(t);
		if (tx_resize(t, 1, 1) != 0)
			die("oom");
		memcpy(t->in[0].prev.txid, fans[i % 2].txid, 32);
		t->in[0].prev.index = (uint32_t)(i / 2);
		t->out[0].value = fans[0].out[0].value - 2000;
		memcpy(t->out[0].addr, addr, 20);
		sign(t);
	}
	tx_release(&fans[0]);
	tx_release(&fans[1]);
	return spends;
}

int main(void)
{
	char dir1[] = "/tmp/cairn-bench-XXXXXX", dir2[] = "/tmp/cairn-bench-XXXXXX", cmd[128];
	struct block setup[110], mined;
	size_t n_setup;
	memset(sk, 0x42, 32);
	if (key_pubkey_xonly(pk, sk) != 0)
		return 1;
	tx_pubkey_hash(addr, pk);

	struct chainstate *cs = open_cs(dir1);
	struct tx *spends = prepare(cs, setup, &n_setup);
	struct mempool *mp = mempool_new(cs, NULL);
	struct chain_events ev = mempool_chain_events(mp);
	if (chainstate_listen(cs, &ev) != 0)
		return 1;

	double t = now_s();
	for (size_t i = 0; i < N_TX; i++) {
		struct verdict v;
		verdict_init(&v);
		if (!mempool_accept(mp, &spends[i], block_time, &v))
			die(v.reason);
	}
	double accept_rate = N_TX / (now_s() - t);

	struct mempool_selection sel;
	t = now_s();
	if (mempool_select(mp, &sel, BLOCK_MAX_SIZE - 1000) != 0)
		die("select");
	double t_sel = now_s();
	build(cs, &mined, sel.txs, sel.n, sel.fees);
	double t_build = now_s();
	accept(cs, &mined);
	double t_end = now_s();
	mempool_reorg_done(mp, block_time);
	if (mempool_count(mp) != 0 || sel.n != N_TX)
		die("block did not take the whole mempool");
	mempool_selection_release(&sel);

	/* A second node that never saw the transactions connects the same block. */
	struct chainstate *cs2 = open_cs(dir2);
	for (size_t i = 0; i < n_setup; i++)
		accept(cs2, &setup[i]);
	sigcache_set_size(0);
	double t2 = now_s();
	accept(cs2, &mined);
	double cold = now_s() - t2;

	printf("mempool: %d single-input transactions\n", N_TX);
	printf("  accepted into the mempool (1 thread)     : %8.0f tx/s\n", accept_rate);
	printf("  mining them: select %.1f ms + build %.1f ms + connect %.1f ms = %.1f ms\n",
	       (t_sel - t) * 1e3, (t_build - t_sel) * 1e3, (t_end - t_build) * 1e3, (t_end - t) * 1e3);
	printf("  the same block on a node without them    : %8.1f ms (every signature verified)\n", cold * 1e3);

	chainstate_unlisten(cs, mp);
	mempool_free(mp);
	chainstate_close(cs);
	chainstate_close(cs2);
	pool_free(pool);
	for (size_t i = 0; i < n_setup; i++)
		block_release(&setup[i]);
	block_release(&mined);
	for (size_t i = 0; i < N_TX; i++)
		tx_release(&spends[i]);
	free(spends);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir1, dir2);
	return system(cmd) == 0 ? 0 : 1;
}
