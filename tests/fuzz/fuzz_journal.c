/* libFuzzer target for journal_replay, the reader of mempool.journal after
 * a crash: the file may end in a torn record or hold damaged bytes, and the
 * node must replay what is whole and stop there, never crash. The input is
 * written to a file per run and replayed.
 *
 * The first input byte holds flags: bit 0 has the harness put the magic in
 * front, bit 1 has it fix up the 4-byte checksum of every record it can
 * walk (the SHA-256d prefix of the transaction), so that the fuzzer reaches
 * tx_parse instead of dying at the checksum.
 *
 * Besides "never crash, never leak": a file with a foreign header is
 * refused with a reason and replays nothing; otherwise the callback sees
 * n transactions, each re-serializing to the bytes of its record, in file
 * order, and the replay is torn exactly when the records do not tile the
 * file. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/hash.h"
#include "node/journal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEAD 8
#define REC_HEAD 16

static char path[128];

static void remove_file(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/cairn-fuzz-journal-%ld",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
	atexit(remove_file);
	return 0;
}

struct seen {
	const uint8_t *file;
	size_t len, at; /* where the next record starts */
	size_t n;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Each replayed transaction is the next record of the file, whole. */
static void on_tx(void *ctx, const struct tx *tx, uint64_t time)
{
	struct seen *s = ctx;
	struct buf b = BUF_INIT;
	if (s->len - s->at < REC_HEAD)
		abort();
	const uint8_t *rec = s->file + s->at;
	uint32_t size = le32(rec);
	uint64_t t = 0;
	for (int i = 0; i < 8; i++)
		t |= (uint64_t)rec[4 + i] << (8 * i);
	if (t != time || size > s->len - s->at - REC_HEAD)
		abort();
	tx_write(&b, tx);
	if (!buf_ok(&b) || b.len != size || memcmp(b.data, rec + REC_HEAD, size) != 0)
		abort();
	buf_release(&b);
	s->at += REC_HEAD + size;
	s->n++;
}

/* Walks the records and writes the right checksum into each. */
static void fix_sums(uint8_t *f, size_t len)
{
	uint8_t sum[32];
	size_t at = HEAD;
	while (len - at >= REC_HEAD) {
		uint32_t size = le32(f + at);
		if (size > len - at - REC_HEAD)
			break;
		hash_sha256d(sum, f + at + REC_HEAD, size);
		memcpy(f + at + 12, sum, 4);
		at += REC_HEAD + size;
	}
}

static void write_file(const uint8_t *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t len = size - 1 + (data[0] & 1 ? HEAD : 0);
	uint8_t *f = malloc(len ? len : 1);
	if (!f)
		return 0;
	if (data[0] & 1)
		memcpy(f, "CRNJRNL1", HEAD);
	memcpy(f + len - (size - 1), data + 1, size - 1);
	if ((data[0] & 2) && len >= HEAD)
		fix_sums(f, len);
	write_file(f, len);

	struct seen s = { .file = f, .len = len, .at = HEAD };
	size_t n = 99;
	bool torn = true;
	char err[ERR_LEN] = "";
	int r = journal_replay(path, on_tx, &s, &n, &torn, err);
	bool foreign = len > 0 && (len < HEAD || memcmp(f, "CRNJRNL1", HEAD) != 0);
	if (foreign != (r != 0))
		abort();
	if (r != 0 && (err[0] == '\0' || n != 0 || s.n != 0 || torn))
		abort();
	if (r == 0 && (n != s.n || torn != (len > 0 && s.at != len)))
		abort();
	free(f);
	return 0;
}
