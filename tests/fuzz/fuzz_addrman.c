/* libFuzzer target for peers.dat (addrman_load_mem). The first input byte
 * holds flags: bit 0 has the harness append the right SHA-256d, so the
 * fuzzer reaches the parser instead of dying at the checksum; bit 1 makes
 * the table admit local addresses. The rest is the file. Besides "never
 * crash, never leak", a refusal must leave the tables empty and say why,
 * and an accepted table must survive a save and a load through the disk:
 * same counts, and the reloaded table saves to the same bytes. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/hash.h"
#include "p2p/addrman.h"
#include "util/buf.h"
#include "util/file.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[2][128];

static void remove_files(void)
{
	unlink(path[0]);
	unlink(path[1]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	for (int i = 0; i < 2; i++)
		snprintf(path[i], sizeof(path[i]), "%s/cairn-fuzz-addrman-%ld-%d.dat", dir, (long)getpid(), i);
	atexit(remove_files);
	return 0;
}

static void same_files(void)
{
	size_t n0, n1;
	uint8_t *a = file_read_bounded(path[0], ADDRMAN_FILE_MAX, &n0, NULL, NULL);
	uint8_t *b = file_read_bounded(path[1], ADDRMAN_FILE_MAX, &n1, NULL, NULL);
	if (!a || !b || n0 != n1 || memcmp(a, b, n0) != 0)
		abort();
	free(a);
	free(b);
}

static void round_trip(const struct addrman *am, bool allow_local)
{
	char err[ERR_LEN] = "";
	struct addrman *back = addrman_new(7, allow_local);
	if (!back)
		return;
	if (addrman_save(am, path[0], err) != 0 || addrman_load(back, path[0], err) != 0)
		abort();
	if (addrman_size_new(back) != addrman_size_new(am) || addrman_size_tried(back) != addrman_size_tried(am))
		abort();
	if (addrman_save(back, path[1], err) != 0)
		abort();
	same_files();
	addrman_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct buf file = BUF_INIT;
	uint8_t sum[32];
	buf_put(&file, data + 1, size - 1);
	if ((data[0] & 1) && buf_ok(&file)) {
		hash_sha256d(sum, file.data, file.len);
		buf_put(&file, sum, sizeof(sum));
	}
	bool allow_local = data[0] & 2;
	struct addrman *am = addrman_new(1, allow_local);
	if (am && buf_ok(&file)) {
		char err[ERR_LEN] = "";
		if (addrman_load_mem(am, file.data, file.len, err) != 0) {
			if (addrman_size(am) != 0 || err[0] == '\0')
				abort();
		} else {
			round_trip(am, allow_local);
		}
	}
	addrman_free(am);
	buf_release(&file);
	return 0;
}
