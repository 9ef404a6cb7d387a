/* libFuzzer target for the block files (chain/blockfile.h), which -reindex
 * reads record by record and every block read trusts only after checking:
 * damaged bytes on the disk must be refused with a reason, never crash the
 * node. Each input is written as blk00000.dat in a temporary folder kept for
 * the whole run.
 *
 * Input: a flags byte (bit 0: put the network's magic before each run of
 * bytes the next byte says is a record, so inputs reach the bodies), then
 * the file's bytes.
 *
 * Besides "never crash, never leak": the scan hands over records that tile
 * a prefix of the file, each read back at its position to the same bytes;
 * a refusal says why; after the open (which cuts a torn tail) the file ends
 * at a record boundary or at bytes the scan refuses. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/blockfile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t MAGIC[4] = { 0xfa, 0xbf, 0xb5, 0xda };
static char dir[64], path[128];

static int remove_one(const char *p, const struct stat *s, int flag, struct FTW *ftw)
{
	(void)s;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void shut_down(void)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/cairn-fuzz-blk-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/blk00000.dat", dir);
	atexit(shut_down);
	return 0;
}

struct walk {
	struct blockfile *bf;
	uint64_t next; /* where the next record must start */
};

static int check_record(void *ctx, const struct blockpos *pos, const uint8_t *p, size_t len)
{
	struct walk *w = ctx;
	uint8_t *back;
	char err[ERR_LEN];
	if (pos->file != 0 || pos->offset != w->next + BLOCKFILE_HEADER || pos->len != len || len == 0)
		abort();
	if (blockfile_read(w->bf, pos, &back, err) != 0 || memcmp(back, p, len) != 0)
		abort();
	free(back);
	w->next = pos->offset + len;
	return 0;
}

/* Lays the input out as records when asked: each length byte L takes the
 * next L bytes as a body behind the magic and L. */
static void write_file(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && (data[0] & 1)) {
		for (size_t i = 1; i < size;) {
			size_t l = data[i++];
			uint8_t h[8] = { MAGIC[0], MAGIC[1], MAGIC[2], MAGIC[3], (uint8_t)l, 0, 0, 0 };
			fwrite(h, 1, sizeof(h), f);
			l = l < size - i ? l : size - i;
			fwrite(data + i, 1, l, f);
			i += l;
		}
	} else if (size > 1) {
		fwrite(data + 1, 1, size - 1, f);
	}
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERR_LEN] = "";
	write_file(data, size);
	struct blockfile *bf = blockfile_open(dir, MAGIC, 0, err);
	if (!bf)
		abort(); /* a folder we own opens whatever the file holds */
	struct walk w = { bf, 0 };
	int r = blockfile_scan(bf, 0, check_record, &w, err);
	if (r != 0 && (r != -1 || !err[0]))
		abort();
	/* A clean scan read up to the end: the open cut any torn tail. */
	struct blockpos end = { 0, (uint32_t)w.next + BLOCKFILE_HEADER, 1 };
	if (r == 0 && blockfile_contains(bf, &end, err))
		abort();
	/* Appending after whatever is there yields a readable record. */
	uint8_t body[3] = { 1, 2, 3 }, *back;
	struct blockpos pos;
	if (blockfile_append(bf, &pos, body, sizeof(body), err) != 0 || blockfile_read(bf, &pos, &back, err) != 0 ||
	    memcmp(back, body, sizeof(body)) != 0)
		abort();
	free(back);
	blockfile_close(bf);
	return 0;
}
