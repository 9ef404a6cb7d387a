/* libFuzzer target for wallet.dat (wfile_load: backups and migration). The wallet has no parser
 * from memory, so each input is written to a file and loaded from there.
 * The first input byte holds flags: bit 0 has the harness append the right
 * SHA-256 so that the fuzzer reaches the parser instead of dying at the
 * checksum. The rest is the file. Besides "never crash, never leak", a
 * refusal must say why, and an accepted image must save, load back and
 * save again to the very same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/hash.h"
#include "util/file.h"
#include "wallet/wfile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t NET[4] = { 0xfa, 0xbf, 0xb5, 0xda };
static char path[3][128];

static void remove_files(void)
{
	for (int i = 0; i < 3; i++)
		unlink(path[i]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	for (int i = 0; i < 3; i++)
		snprintf(path[i], sizeof(path[i]), "%s/cairn-fuzz-wstore-%ld-%d.dat", dir, (long)getpid(), i);
	atexit(remove_files);
	return 0;
}

/* The input as a file: the body, then its checksum when asked for. */
static void write_input(const uint8_t *data, size_t size)
{
	uint8_t sum[WSTORE_CHECKSUM_LEN];
	FILE *f = fopen(path[0], "wb");
	if (!f)
		abort();
	fwrite(data + 1, 1, size - 1, f);
	if (data[0] & 1) {
		hash_sha256(sum, data + 1, size - 1);
		fwrite(sum, 1, sizeof(sum), f);
	}
	if (ferror(f) || fclose(f) != 0)
		abort();
}

static uint8_t *slurp(const char *p, size_t *len)
{
	uint8_t *b = file_read_bounded(p, WSTORE_MAX_FILE, len, NULL, NULL);
	if (!b)
		abort();
	return b;
}

static void round_trip(const struct wstore *s)
{
	char err[ERR_LEN] = "";
	struct wstore back;
	size_t n1, n2;
	if (wfile_save(s, path[1], err) != 0 || wfile_load(&back, path[1], NET, err) != 0)
		abort();
	if (back.encrypted != s->encrypted || back.have_secrets != s->have_secrets || back.n_txs != s->n_txs)
		abort();
	if (wfile_save(&back, path[2], err) != 0)
		abort();
	wstore_release(&back);
	uint8_t *a = slurp(path[1], &n1), *b = slurp(path[2], &n2);
	if (n1 != n2 || memcmp(a, b, n1) != 0)
		abort();
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wstore s;
	char err[ERR_LEN] = "";
	if (size < 1)
		return 0;
	write_input(data, size);
	if (wfile_load(&s, path[0], NET, err) != 0) {
		if (err[0] == '\0')
			abort();
		wstore_release(&s); /* released already: must be safe again */
		return 0;
	}
	round_trip(&s);
	wstore_release(&s);
	return 0;
}
