/* Whole files on disk, the way every persisted file of the node is kept:
 * written atomically (a fresh `path.tmp`, fsync, rename over path, fsync of
 * the folder) so that a crash at any instant leaves the old file or the new
 * one, never a torn one; and read whole, with a cap on the size checked
 * before anything is allocated, because the bytes of a file are as
 * untrusted as a peer's. */
#ifndef CAIRN_UTIL_FILE_H
#define CAIRN_UTIL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* What file_write_atomic appends to path for its temporary file. */
#define FILE_TMP_SUFFIX ".tmp"
/* The longest path (temporary suffix included) these functions take. */
#define FILE_PATH_MAX 4096

/* Removes a `path.tmp` left by a write that a crash interrupted; its
 * absence is no error. Returns 0, or -1 with err. */
int file_remove_tmp(const char *path, char *err) WUR;
/* fsync of the folder that holds path, so that a rename of path (a file or
 * a folder) is durable. 0, or -1 with err filled. */
int file_sync_dir_of(const char *path, char *err) WUR;

/* Replaces path with the len bytes at p (p may be NULL when len is 0).
 * A leftover `path.tmp` is removed first, then the temporary file is
 * created afresh (O_EXCL) with mode (less the umask) — never reused with
 * another owner or mode — written in full, fsynced and closed, renamed over
 * path, and the folder is fsynced so the rename itself is durable.
 * Returns 0, or -1 with err naming the step that failed and why. On a
 * failure up to the rename, the temporary file is removed and the old path
 * is untouched; if only the final folder fsync fails, path already holds
 * the new bytes but their durability is not known. */
int file_write_atomic(const char *path, const void *p, size_t len, unsigned mode, char *err) WUR;

/* Reads the whole regular file at path, which must hold at most max bytes.
 * Returns a malloc'd copy the caller free()s, its length in *len (an empty
 * file gives a valid pointer and *len 0). On failure returns NULL with *len
 * 0 and err filled; *missing (when not NULL) is set true exactly when the
 * file does not exist (ENOENT), so callers can take that as "nothing saved
 * yet" rather than an error. Bytes read before a failure are wiped before
 * they are freed, since some files hold secrets. */
uint8_t *file_read_bounded(const char *path, size_t max, size_t *len, bool *missing, char *err) WUR;

/* Reads path (at most max bytes) and hands its bytes to load(ctx, p, len,
 * err), which parses them; the bytes are freed afterwards. Returns load's
 * 0, or -1 with err: file_read_bounded's reason, or load's prefixed by the
 * quoted path. */
int file_load(const char *path, size_t max, int (*load)(void *ctx, const uint8_t *p, size_t len, char *err),
	      void *ctx, char *err) WUR;

#endif
