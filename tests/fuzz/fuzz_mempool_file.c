/* libFuzzer target for mempool.dat (mempool_load). The loader has no entry
 * from memory and re-accepts what it reads, so the harness keeps one empty
 * regtest chainstate and pool for the whole run (in a temporary folder),
 * writes each input to a file and loads it. On that chain no saved
 * transaction can be valid, so the pool stays empty and every input meets
 * the same state. The first input byte holds flags: bit 0 has the harness
 * append the right SHA-256d so that the fuzzer reaches the record parser
 * (and tx_parse) instead of dying at the checksum. Besides "never crash,
 * never leak": a refusal says why and adds nothing; an accepted file
 * accounts for every record it holds. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/chainstate.h"
#include "chain/hash.h"
#include "chain/mempool.h"
#include "chain/params.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1800000000ULL

static char dir[64], path[128];
static struct chainstate *cs;
static struct mempool *mp;

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void shut_down(void)
{
	mempool_free(mp);
	chainstate_close(cs);
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[ERR_LEN] = "";
	snprintf(dir, sizeof(dir), "%s/cairn-fuzz-mempool-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/mempool.dat", dir);
	struct chainstate_opts o = { .path = dir, .cache_bytes = 1 << 20, .pool = NULL };
	if (!(cs = chainstate_open(params_get(NET_REGTEST), &o, err))) {
		fprintf(stderr, "chainstate_open: %s\n", err);
		abort();
	}
	if (!(mp = mempool_new(cs, NULL)))
		abort();
	atexit(shut_down);
	return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
	uint8_t sum[32];
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fwrite(data + 1, 1, size - 1, f);
	if (data[0] & 1) {
		hash_sha256d(sum, data + 1, size - 1);
		fwrite(sum, 1, sizeof(sum), f);
	}
	if (ferror(f) || fclose(f) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mempool_load_stats st;
	char err[ERR_LEN] = "";
	if (size < 1)
		return 0;
	write_input(data, size);
	size_t before = mempool_count(mp);
	if (mempool_load(mp, path, NOW, &st, err) != 0) {
		if (err[0] == '\0' || mempool_count(mp) != before)
			abort();
		return 0;
	}
	if (!st.found || st.total != st.accepted + st.failed + st.expired + st.already)
		abort();
	if (mempool_count(mp) != before + st.accepted)
		abort();
	return 0;
}
