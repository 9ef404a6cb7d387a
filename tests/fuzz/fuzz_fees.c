/* libFuzzer target for fee_estimates.dat (fees_load), through a file per
 * input. The first input byte holds flags: bit 0 has the harness append
 * the right SHA-256d, so that the fuzzer reaches the parser instead of
 * dying at the checksum. The rest is the file. Besides "never crash, never
 * leak": a refusal says why and leaves the estimator empty; an accepted
 * file answers every target without crashing, and saves, loads back and
 * saves again to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/fees.h"
#include "chain/hash.h"
#include "util/file.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[128], again[140];

static void remove_files(void)
{
	unlink(path);
	unlink(again);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(path, sizeof(path), "%s/cairn-fuzz-fees-%ld.dat", dir, (long)getpid());
	snprintf(again, sizeof(again), "%s.again", path);
	atexit(remove_files);
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

static uint8_t *read_all(const char *p, size_t *len)
{
	char err[ERR_LEN];
	uint8_t *d = file_read_bounded(p, 1 << 25, len, NULL, err);
	if (!d)
		abort();
	return d;
}

/* Saves f to path and again from a fresh load: the same bytes. */
static void check_round_trip(const struct fees *f)
{
	char err[ERR_LEN] = "";
	bool found;
	size_t l1, l2;
	struct fees *g = fees_new();
	if (!g || fees_save(f, path, err) != 0 || fees_load(g, path, &found, err) != 0 || !found ||
	    fees_save(g, again, err) != 0)
		abort();
	uint8_t *a = read_all(path, &l1), *b = read_all(again, &l2);
	if (l1 != l2 || memcmp(a, b, l1) != 0)
		abort();
	free(a);
	free(b);
	fees_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERR_LEN] = "";
	bool found;
	struct fees_smart s;
	if (size < 1)
		return 0;
	write_input(data, size);
	struct fees *f = fees_new();
	if (!f)
		abort();
	if (fees_load(f, path, &found, err) != 0) {
		fees_estimate_smart(f, &s, 2, false);
		if (err[0] == '\0' || !found || s.feerate != 0)
			abort();
		fees_free(f);
		return 0;
	}
	for (unsigned t = 1; t <= FEES_MAX_TARGET; t += 97) {
		fees_estimate_smart(f, &s, t, t & 1);
		if (s.feerate < 0 || s.blocks > FEES_MAX_TARGET)
			abort();
	}
	check_round_trip(f);
	fees_free(f);
	return 0;
}
