/* Opening a wallet that holds many transactions: builds a wallet of N
 * confirmed transactions that pay it (blocks of 10,000 fed to
 * wallet_block_connected, one commit each), closes it, then times
 * wallet_open on the node's default pool in a fresh process (run as
 * `--open DIR N`), so that neither
 * the heap the build left behind nor its caches count, and reports the
 * resident memory the open wallet takes, twice: right after the build,
 * while LevelDB still merges the files the build wrote, and again once the
 * database has settled. N is the first argument (default 200,000; the
 * target is 1,000,000 in 2 s). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chain/address.h"
#include "chain/params.h"
#include "util/pool.h"
#include "wallet/wallet.h"

#define PER_BLOCK 10000

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = 0;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_wallet_load: %s\n", what);
	exit(1);
}

/* A block of PER_BLOCK transactions, each one input from outside the
 * wallet and one output to payee; txs reused between blocks with a fresh
 * first input byte so every txid differs. */
static void fill_block(struct block *b, struct block_index *bi, uint32_t height, const uint8_t payee[20])
{
	for (size_t i = 0; i < b->n_tx; i++) {
		struct tx *t = &b->txs[i];
		memcpy(t->in[0].prev.txid, &height, 4);
		memcpy(t->in[0].prev.txid + 4, &i, sizeof(i));
		t->in[0].prev.index = 0;
		t->out[0].kind = TXOUT_COIN;
		t->out[0].value = 1000 + (int64_t)i;
		memcpy(t->out[0].addr, payee, 20);
		tx_finalize(t);
	}
	memset(bi, 0, sizeof(*bi));
	memcpy(bi->hash, &height, 4);
	bi->height = height;
	b->header.time = 1795219200ULL + height;
}

/* The child's part: open the wallet at path, report time and memory. */
static int open_only(const char *path, long count)
{
	const struct chain_params *p = params_get(NET_REGTEST);
	char err[ERR_LEN];
	/* The node's pool, as cairnd sizes it by default (-par). */
	struct pool *pool = pool_new(pool_default_threads(), err);
	if (!pool)
		die(err);
	long before = rss_kib();
	double t0 = now_s();
	struct wallet *w = wallet_open(path, p, pool, err);
	if (!w)
		die(err);
	double opened = now_s() - t0;
	long after = rss_kib();
	printf("  wallet_open                        : %8.3f s (%.2f us a transaction; 1,000,000 in %.1f s)\n", opened,
	       opened / (double)count * 1e6, opened / (double)count * 1e6);
	printf("  memory the open wallet takes       : %8.1f MiB (%.0f bytes a transaction)\n",
	       (double)(after - before) / 1024, (double)(after - before) * 1024 / (double)count);
	fflush(stdout);
	wallet_free(w);
	pool_free(pool);
	return 0;
}

static int run_child(const char *path, long count)
{
	char n[32];
	snprintf(n, sizeof(n), "%ld", count);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "bench_wallet_load", "--open", path, n, (char *)NULL);
		_exit(127);
	}
	int st;
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--open") == 0)
		return open_only(argv[2], strtol(argv[3], NULL, 10));
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	const struct chain_params *p = params_get(NET_REGTEST);
	char dir[] = "/tmp/cairn-bench-wallet-XXXXXX", path[128], err[ERR_LEN], addr[100], cmd[160];
	uint8_t payee[20];
	if (n < PER_BLOCK || !mkdtemp(dir))
		die("bad count or no temporary folder");
	snprintf(path, sizeof(path), "%s/w", dir);
	struct wallet *w = wallet_create(path, p, NULL, err);
	if (!w || wallet_get_new_address(w, addr, sizeof(addr), "", err) != 0 ||
	    address_decode(payee, p->hrp, addr, err) != 0)
		die(err);
	struct block b = { .n_tx = PER_BLOCK, .txs = calloc(PER_BLOCK, sizeof(struct tx)) };
	struct block_index bi;
	if (!b.txs)
		die("out of memory");
	for (size_t i = 0; i < PER_BLOCK; i++)
		if (tx_resize(&b.txs[i], 1, 1) != 0)
			die("out of memory");
	double t0 = now_s();
	for (uint32_t h = 1; h <= (uint32_t)(n / PER_BLOCK); h++) {
		fill_block(&b, &bi, h, payee);
		wallet_block_connected(w, &b, &bi);
	}
	double built = now_s() - t0;
	wallet_free(w);
	for (size_t i = 0; i < PER_BLOCK; i++)
		tx_release(&b.txs[i]);
	free(b.txs);
	long count = n / PER_BLOCK * PER_BLOCK;
	printf("wallet load: %ld confirmed transactions paying the wallet\n", count);
	printf("  built (commits of %d)              : %8.2f s (%.1f us a transaction)\n", PER_BLOCK, built,
	       built / (double)count * 1e6);
	printf("  first open, right after the build (LevelDB still merging the files it wrote):\n");
	fflush(stdout);
	int r = run_child(path, count);
	printf("  a later open, the database settled (as a wallet that grew over time):\n");
	fflush(stdout);
	r = r ? r : run_child(path, count);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 && r == 0 ? 0 : 1;
}
