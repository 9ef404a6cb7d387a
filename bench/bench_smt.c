/* The asset-state tree at the size the chainstate must hold: 1,000,000
 * random asset ids inserted and the first root computed (the startup
 * build), then blocks' worth of changes: 100 keys updated and the root
 * recomputed, repeated; and one proof made and verified. Memory is the
 * process's peak resident size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "chain/smt.h"

#define N_KEYS 1000000
#define N_BATCH 100
#define N_ROUNDS 200

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static void rand_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		p[i] = (uint8_t)(rng_state >> 32);
	}
}

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

int main(void)
{
	static uint8_t keys[N_KEYS][32];
	static struct smt_proof proof;
	uint8_t value[32], root[32];
	struct smt *t = smt_new();
	struct rusage ru;
	double t0, t1, t2;
	char err[ERR_LEN];

	if (!t)
		die("no memory");
	rand_bytes(&keys[0][0], sizeof(keys));
	t0 = now_s();
	for (size_t i = 0; i < N_KEYS; i++) {
		rand_bytes(value, 32);
		if (smt_set(t, keys[i], value, NULL) != 0)
			die("insert");
	}
	t1 = now_s();
	smt_root(t, root);
	t2 = now_s();
	printf("smt: %d inserts %.3f s (%.2f us each), first root %.3f s\n", N_KEYS, t1 - t0,
	       (t1 - t0) / N_KEYS * 1e6, t2 - t1);

	t0 = now_s();
	for (int r = 0; r < N_ROUNDS; r++) {
		for (int i = 0; i < N_BATCH; i++) {
			rand_bytes(value, 32);
			if (smt_set(t, keys[(size_t)(rng_state % N_KEYS)], value, NULL) != 1)
				die("update");
		}
		smt_root(t, root);
	}
	t1 = now_s();
	printf("smt: %d updates + root: %.3f ms a batch, %.2f us an update\n", N_BATCH,
	       (t1 - t0) / N_ROUNDS * 1e3, (t1 - t0) / N_ROUNDS / N_BATCH * 1e6);

	t0 = now_s();
	if (smt_prove(t, keys[7], &proof) != 0 || !smt_verify(&proof, root, err))
		die("proof");
	t1 = now_s();
	printf("smt: proof of %zu siblings made and verified in %.1f us\n", proof.n, (t1 - t0) * 1e6);

	getrusage(RUSAGE_SELF, &ru);
	printf("smt: peak rss %.1f MiB (the key array alone %.1f MiB)\n", ru.ru_maxrss / 1024.0,
	       sizeof(keys) / 1048576.0);
	smt_free(t);
	return 0;
}
