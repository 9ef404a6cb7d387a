/* The block files: every stored block body, appended to
 * `<dir>/blkNNNNN.dat` as Bitcoin Core keeps them, outside the chainstate
 * database so that a damaged database loses no block (docs/storage.md).
 *
 * A file is a run of records: the network's magic (4) · the body's length
 * (u32 little-endian) · the serialized block. A new file starts once the
 * current one would pass max_file bytes. An append is fdatasync'd before it
 * returns, so the caller writes the index record that points at it only
 * once the bytes are on disk; a crash in between leaves a record nobody
 * points to (harmless) or a torn tail, which the scan ignores and the next
 * open cuts off. Not thread-safe: the chainstate calls it from one thread. */
#ifndef CAIRN_CHAIN_BLOCKFILE_H
#define CAIRN_CHAIN_BLOCKFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Bitcoin Core's limit on one file. */
#define BLOCKFILE_MAX_DEFAULT (128u << 20)
/* The bytes before a block's body in its record. */
#define BLOCKFILE_HEADER 8
/* The largest body a record may claim (far above any valid block). */
#define BLOCKFILE_MAX_BODY (64u << 20)

/* Where a block's body is: the file's number, the offset of the body (past
 * its record's header) and the body's length. */
struct blockpos {
	uint32_t file;
	uint32_t offset;
	uint32_t len;
};

struct blockfile;

/* Opens the folder dir (created if missing) for blocks of the network whose
 * magic is given; max_file 0 means BLOCKFILE_MAX_DEFAULT. The last file's
 * torn tail, if any, is cut off so that appends follow the last whole
 * record. NULL with err filled on failure. */
struct blockfile *blockfile_open(const char *dir, const uint8_t magic[4], uint32_t max_file, char *err);
/* Takes NULL. */
void blockfile_close(struct blockfile *bf);

/* Appends one record holding the len bytes at p (handed to the kernel
 * before the call returns, not synced: as the store's batches) and sets
 * *pos to it. 0, or -1 with err (the file may then hold a torn tail,
 * which the next open cuts off). */
int blockfile_append(struct blockfile *bf, struct blockpos *pos, const uint8_t *p, size_t len, char *err) WUR;
/* Reads the body at pos into a malloc'd buffer (*out, free() it) after
 * checking that the record there carries the magic and the length pos
 * says. -1 with err naming the file and what is wrong (and *out NULL). */
int blockfile_read(struct blockfile *bf, const struct blockpos *pos, uint8_t **out, char *err) WUR;
/* Whether pos lies within its file, as big as it was at the open plus
 * what was appended since (nothing is read from the disk: the start-up
 * check of every index record). false with err saying why. */
bool blockfile_contains(struct blockfile *bf, const struct blockpos *pos, char *err);

/* The number of files, 0 when none was ever written; and their total size. */
uint32_t blockfile_count(const struct blockfile *bf);
uint64_t blockfile_total_bytes(struct blockfile *bf);

/* Calls fn for every whole record of file number n, in order, with its
 * position and body; stops at a torn tail silently. A record whose magic is
 * not the network's, or whose length is impossible, ends the scan with -1
 * and err. fn returning non-zero stops the scan and is returned. */
int blockfile_scan(struct blockfile *bf, uint32_t n,
		   int (*fn)(void *ctx, const struct blockpos *pos, const uint8_t *p, size_t len), void *ctx,
		   char *err) WUR;

#endif
