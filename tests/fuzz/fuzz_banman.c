/* libFuzzer target for banlist.dat (banman_load_mem). The first input byte
 * holds flags: bit 0 has the harness append the right SHA-256d so that the
 * fuzzer reaches the parser instead of dying at the checksum. The rest is
 * the file. Besides "never crash, never leak", a refusal must leave the
 * list empty and say why; every accepted ban must have a canonical text
 * that parses back to the same subnet; and the list must come back the
 * same after a save and a load through the disk. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/hash.h"
#include "p2p/banman.h"
#include "util/buf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[128];

static void remove_file(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(path, sizeof(path), "%s/cairn-fuzz-banman-%ld.dat", dir, (long)getpid());
	atexit(remove_file);
	return 0;
}

/* Every ban listed (now = 0: all of them) has a text that parses back to
 * its subnet. Returns the list; the caller frees it. */
static struct banman_item *canonical_list(const struct banman *bm, size_t *n)
{
	struct banman_item *v;
	if (banman_list(bm, 0, &v, n) != 0)
		abort();
	for (size_t i = 0; i < *n; i++) {
		struct ban_subnet s;
		char err[ERR_LEN] = "";
		if (banman_parse(&s, v[i].text, err) != 0 || s.bits != v[i].subnet.bits ||
		    memcmp(s.ip, v[i].subnet.ip, 16) != 0)
			abort();
	}
	return v;
}

static void round_trip(struct banman *bm)
{
	char err[ERR_LEN] = "";
	size_t n, m;
	struct banman *back = banman_new();
	if (!back)
		return;
	struct banman_item *v = canonical_list(bm, &n);
	if (banman_save(bm, path, err) != 0 || banman_load(back, path, err) != 0)
		abort();
	struct banman_item *w = canonical_list(back, &m);
	if (banman_size(back) != banman_size(bm) || m != n || (n && memcmp(v, w, n * sizeof(*v)) != 0))
		abort();
	free(v);
	free(w);
	banman_free(back);
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
	struct banman *bm = banman_new();
	if (bm && buf_ok(&file)) {
		char err[ERR_LEN] = "";
		if (banman_load_mem(bm, file.data, file.len, err) != 0) {
			if (banman_size(bm) != 0 || err[0] == '\0')
				abort();
		} else {
			round_trip(bm);
		}
	}
	banman_free(bm);
	buf_release(&file);
	return 0;
}
