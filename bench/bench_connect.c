/* Connecting blocks full of single-input transactions, beside the raw
 * libsecp256k1 verification rate measured in the same run.
 *
 * Prints transactions/s connected with one and with all cores, the raw
 * Schnorr verifications/s of one core, and the ratios. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/chainstate.h"
#include "chain/history.h"
#include "chain/mine.h"
#include "chain/pow.h"
#include "chain/sigcheck.h"
#include "util/pool.h"
#include "wallet/key.h"

#define N_TX 20000
#define PER_BLOCK 10000

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t sk[32], pk[32], addr[20];
static uint64_t block_time = 1795219200 + 60;

static struct chainstate *open_cs(const char *dir, struct pool *pool)
{
	char err[ERR_LEN];
	struct chainstate_opts o = { .path = dir, .cache_bytes = 64 << 20, .pool = pool };
	struct chainstate *cs = chainstate_open(params_get(NET_REGTEST), &o, err);
	if (!cs) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	return cs;
}

static void accept(struct chainstate *cs, struct block *b)
{
	struct verdict v;
	verdict_init(&v);
	if (!chainstate_accept_block(cs, b, block_time + 7200, SOURCE_RPC, NULL, &v)) {
		fprintf(stderr, "bench: block refused: %s %s\n", v.reason, v.debug);
		exit(1);
	}
}

static void make_block(struct chainstate *cs, struct block *b, const struct tx *txs, size_t n, int64_t fees)
{
	char err[ERR_LEN];
	if (mine_build(b, chainstate_tip(cs), params_get(NET_REGTEST), txs, n, addr, fees, block_time++, err) != 0 ||
	    !mine_solve(b, 1 << 20)) {
		fprintf(stderr, "bench: cannot build a block\n");
		exit(1);
	}
}

static void sign(struct tx *tx)
{
	uint8_t msg[32];
	memcpy(tx->in[0].pubkey, pk, 32);
	tx_sighash(msg, tx, params_get(NET_REGTEST)->magic);
	if (key_sign(tx->in[0].sig, sk, msg) != 0)
		exit(1);
	tx_finalize(tx);
}

/* Blocks 1..101 to our key, then a fan-out of N_TX outputs, then the
 * spending transactions split over blocks of PER_BLOCK. */
static struct block *prepare(struct chainstate *cs, size_t *n_blocks)
{
	struct block b, *spends;
	struct tx fan;
	for (int i = 0; i < 101; i++) {
		make_block(cs, &b, NULL, 0, 0);
		accept(cs, &b);
		block_release(&b);
	}
	struct block first;
	if (chainstate_read_block(cs, chainstate_at(cs, 1), &first, NULL) != 0)
		exit(1);
	tx_init(&fan);
	if (tx_resize(&fan, 1, N_TX) != 0)
		exit(1);
	memcpy(fan.in[0].prev.txid, first.txs[0].txid, 32);
	for (size_t i = 0; i < N_TX; i++) {
		fan.out[i].value = (50 * COIN - 10000) / N_TX;
		memcpy(fan.out[i].addr, addr, 20);
	}
	sign(&fan);
	block_release(&first);
	make_block(cs, &b, &fan, 1, 50 * COIN - (int64_t)N_TX * fan.out[0].value);
	accept(cs, &b);
	block_release(&b);

	*n_blocks = N_TX / PER_BLOCK;
	spends = calloc(*n_blocks, sizeof(*spends));
	struct tx *txs = calloc(PER_BLOCK, sizeof(*txs));
	struct block_index *fakes = calloc(*n_blocks, sizeof(*fakes));
	for (size_t k = 0; k < *n_blocks; k++) {
		for (size_t i = 0; i < PER_BLOCK; i++) {
			struct tx *t = &txs[i];
			tx_init(t);
			if (tx_resize(t, 1, 1) != 0)
				exit(1);
			memcpy(t->in[0].prev.txid, fan.txid, 32);
			t->in[0].prev.index = (uint32_t)(k * PER_BLOCK + i);
			t->out[0].value = fan.out[0].value - 1000;
			memcpy(t->out[0].addr, addr, 20);
			sign(t);
		}
		/* Each block builds on the previous one of the series, not yet
		 * accepted: an index entry of its own, with its history subtrees. */
		struct block_index *parent = k ? &fakes[k - 1] : chainstate_tip(cs);
		char err[ERR_LEN];
		if (mine_build(&spends[k], parent, params_get(NET_REGTEST), txs, PER_BLOCK, addr,
			       PER_BLOCK * 1000, block_time++, err) != 0 || !mine_solve(&spends[k], 1 << 20))
			exit(1);
		struct block_index *f = &fakes[k];
		struct u256 work;
		memcpy(f->hash, spends[k].hash, 32);
		f->header = spends[k].header;
		f->prev = parent;
		f->height = parent->height + 1;
		pow_block_work(&work, f->header.bits);
		u256_add(&f->work, &parent->work, &work);
		index_link_skip(f);
		if (history_link(f) != 0)
			exit(1);
		for (size_t i = 0; i < PER_BLOCK; i++)
			tx_release(&txs[i]);
	}
	free(txs);
	for (size_t k = 0; k < *n_blocks; k++)
		history_unlink(&fakes[k]);
	free(fakes);
	tx_release(&fan);
	return spends;
}

static double raw_verify_rate(void)
{
	enum { N = 4000 };
	static struct sig_job jobs[N];
	for (int i = 0; i < N; i++) {
		memset(jobs[i].msg, 0, 32);
		memcpy(jobs[i].msg, &i, sizeof(i));
		memcpy(jobs[i].pubkey, pk, 32);
		if (key_sign(jobs[i].sig, sk, jobs[i].msg) != 0)
			exit(1);
	}
	double t = now_s();
	for (int i = 0; i < N; i++)
		if (!sig_verify(&jobs[i]))
			exit(1);
	return N / (now_s() - t);
}

static double run(struct pool *pool)
{
	char dir[] = "/tmp/cairn-bench-XXXXXX", cmd[128];
	if (!mkdtemp(dir))
		exit(1);
	block_time = 1795219200 + 60;
	struct chainstate *cs = open_cs(dir, pool);
	size_t n;
	struct block *spends = prepare(cs, &n);
	double t = now_s();
	for (size_t k = 0; k < n; k++)
		accept(cs, &spends[k]);
	double secs = now_s() - t;
	if (chainstate_tip(cs)->height != 102 + n) {
		fprintf(stderr, "bench: blocks did not connect\n");
		exit(1);
	}
	for (size_t k = 0; k < n; k++)
		block_release(&spends[k]);
	free(spends);
	chainstate_close(cs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		exit(1);
	return N_TX / secs;
}

int main(void)
{
	memset(sk, 0x42, 32);
	if (key_pubkey_xonly(pk, sk) != 0)
		return 1;
	tx_pubkey_hash(addr, pk);
	sigcache_set_size(0);
	double raw = raw_verify_rate();
	double one = run(NULL);
	int cores = pool_default_threads();
	struct pool *pool = pool_new(cores, NULL);
	if (!pool)
		return 1;
	double all = run(pool);
	pool_free(pool);
	double raw2 = raw_verify_rate();
	raw = (raw + raw2) / 2;
	printf("connect: %d single-input transactions in %d blocks\n", N_TX, N_TX / PER_BLOCK);
	printf("  raw libsecp256k1 Schnorr verify, 1 core : %8.0f sig/s\n", raw);
	printf("  connected, 1 thread                      : %8.0f tx/s  (ratio to raw %.2f)\n", one, one / raw);
	printf("  connected, %d threads                     : %8.0f tx/s  (ratio to raw 1-core %.2f)\n", cores, all, all / raw);
	return 0;
}
