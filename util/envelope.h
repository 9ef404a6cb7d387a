/* The frame every persisted file of the node is kept in (peers.dat,
 * banlist.dat, mempool.dat, wallet.dat):
 *
 *     magic | version u32 little-endian | body | checksum (32 bytes)
 *
 * where the checksum is a hash of every byte before it, written with
 * file_write_atomic. A file names its format once, in a static const
 * struct envelope_format, and saves and loads through that.
 *
 * The hash is the format's, given as a function: util/ sits below chain/,
 * whose hash.c is the tree's one SHA-256 wrapper, and the files do not all
 * use the same hash (wallet.dat has always been sealed with single SHA-256,
 * the others with SHA-256d), so taking the function keeps one SHA-256 in
 * the tree and every existing file byte for byte as it was written. */
#ifndef CAIRN_UTIL_ENVELOPE_H
#define CAIRN_UTIL_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/cursor.h"
#include "util/err.h"

#define ENVELOPE_SUM_LEN 32

typedef void envelope_hash_fn(uint8_t out[ENVELOPE_SUM_LEN], const void *p, size_t len);

/* One file format. The texts are the reasons a load gives, kept as each
 * file has always worded them:
 *   kind         completes "not %s" when the magic differs: "an address file"
 *   too_short    a file too short for its frame: "size out of range"
 *   bad_sum      the checksum does not match: "bad checksum"
 *   bad_version  followed by the version found and the one read:
 *                "unknown version"
 * header_first  checks the magic and version before the checksum, so that
 *               a file of another kind or version (which another release
 *               may sum differently) is named as such rather than as
 *               damaged; otherwise the checksum comes first and any
 *               changed byte reads as damage. */
struct envelope_format {
	const uint8_t *magic;
	size_t magic_len;
	uint32_t version;
	envelope_hash_fn *hash;
	size_t max_len;
	bool header_first;
	const char *kind;
	const char *too_short;
	const char *bad_sum;
	const char *bad_version;
};

/* Starts b, which must be empty (or hold a prefix reserved for the whole
 * file), with the format's magic and version; the caller appends the body
 * and hands b to envelope_save. Failures are buf's sticky flag. */
void envelope_begin(struct buf *b, const struct envelope_format *f);

/* Appends the checksum of b's bytes to b and replaces path with them
 * through file_write_atomic (mode 0600). b stays the caller's, to release
 * (or wipe, for secrets) whatever the outcome; a buffer reserved with room
 * for the checksum is not reallocated. Returns 0, or -1 with err: "cannot
 * save 'path': out of memory" when b failed, or file_write_atomic's. */
int envelope_save(const struct envelope_format *f, struct buf *b, const char *path, char *err) WUR;

/* Checks the frame of the len bytes at p (NULL reads as none) against f:
 * the size (room for the checksum, at most f->max_len), the magic, the
 * version and the checksum, in the order f->header_first says. Returns 0
 * with *body over the bytes between the version and the checksum (they
 * stay p's), or -1 with *body empty and the bare reason in why, without a
 * path: the caller says which file. */
int envelope_open(const struct envelope_format *f, struct cursor *body, const uint8_t *p, size_t len,
		  char *why) WUR;

#endif
