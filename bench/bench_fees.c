/* The fee estimator: estimatesmartfee must answer within a millisecond.
 * A busy market is fed through it first (1,200 blocks of 300 transactions
 * over the whole range of buckets, a backlog of 3,000 waiting in every
 * bucket, so that the long horizon has data and every walk counts waiting
 * transactions), then every target 1..1008 is asked in both modes. The
 * ratio is to one SHA-256d of a 200-byte transaction, the raw operation a
 * node does for every transaction it sees. Fails when an answer takes more
 * than a millisecond on average. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/fees.h"
#include "chain/hash.h"

#define BLOCKS 1200
#define PER_BLOCK 300
#define BACKLOG 3000

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void txid_of(uint8_t out[32], uint64_t id)
{
	memset(out, 0, 32);
	memcpy(out, &id, sizeof(id));
}

/* A rate between 1,000 and 2,000,000 units per 1,000 bytes, spread
 * exponentially like real markets. */
static int64_t rate_of(uint64_t id)
{
	double r = 1000;
	for (uint64_t k = id % 160; k; k--)
		r *= 1.05;
	return (int64_t)r;
}

/* Each block takes the transactions sent the block before except the
 * cheapest third, which waits another 10 blocks. */
static void feed(struct fees *f)
{
	static struct tx txs[PER_BLOCK * 2];
	static uint64_t wait[PER_BLOCK * 12];
	size_t n_wait = 0;
	uint64_t id = 1;
	for (uint32_t h = 1; h <= BLOCKS; h++) {
		struct block b = { .txs = txs, .n_tx = 0 };
		size_t keep = 0;
		for (size_t i = 0; i < n_wait; i++) {
			uint64_t due = wait[i] >> 32, tid = wait[i] & 0xffffffffu;
			if (due <= h && b.n_tx < sizeof(txs) / sizeof(txs[0]))
				txid_of(txs[b.n_tx++].txid, tid);
			else
				wait[keep++] = wait[i];
		}
		n_wait = keep;
		fees_block_connected(f, &b, h);
		for (int i = 0; i < PER_BLOCK && n_wait < sizeof(wait) / sizeof(wait[0]); i++, id++) {
			uint8_t t[32];
			txid_of(t, id);
			int64_t rate = rate_of(id);
			fees_tx_added(f, t, h, rate * 200 / 1000, 200, false);
			wait[n_wait++] = ((uint64_t)(h + (rate < 3000 ? 11 : 1)) << 32) | id;
		}
	}
	for (int i = 0; i < BACKLOG; i++, id++) { /* never mined */
		uint8_t t[32];
		txid_of(t, id);
		fees_tx_added(f, t, BLOCKS, rate_of(id) * 200 / 1000, 200, false);
	}
}

int main(void)
{
	struct fees *f = fees_new();
	uint8_t buf[200] = { 1 }, out[32];
	struct fees_smart s;
	if (!f)
		return 1;
	double t0 = now_s();
	feed(f);
	double fed = now_s() - t0, worst = 0, sum = 0;
	int calls = 0, answered = 0;
	for (int round = 0; round < 3; round++)
		for (unsigned target = 1; target <= FEES_MAX_TARGET; target++)
			for (int mode = 0; mode < 2; mode++) {
				double a = now_s();
				fees_estimate_smart(f, &s, target, mode);
				double d = now_s() - a;
				sum += d;
				worst = d > worst ? d : worst;
				calls++;
				answered += s.feerate > 0;
			}
	int n_hash = 200000;
	t0 = now_s();
	for (int i = 0; i < n_hash; i++) {
		hash_sha256d(out, buf, sizeof(buf));
		buf[0] = out[0];
	}
	double hash = (now_s() - t0) / n_hash, mean = sum / calls;
	printf("fees: %d blocks of %d transactions fed in %.2f s, %zu waiting\n", BLOCKS, PER_BLOCK, fed,
	       fees_tracked(f));
	printf("  estimatesmartfee, targets 1..1008, both modes: mean %7.1f us, worst %7.1f us (%d of %d answered)\n",
	       mean * 1e6, worst * 1e6, answered, calls);
	printf("  one SHA-256d of 200 bytes                    : %7.3f us; an estimate costs %.0f of them\n",
	       hash * 1e6, mean / hash);
	fees_free(f);
	if (mean > 1e-3) {
		fprintf(stderr, "bench: estimatesmartfee takes %.2f ms on average, more than 1 ms\n", mean * 1e3);
		return 1;
	}
	return 0;
}
