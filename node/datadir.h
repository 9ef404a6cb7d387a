/* The data directory: where it is, its network folder and its lock. */
#ifndef CAIRN_NODE_DATADIR_H
#define CAIRN_NODE_DATADIR_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Expands a leading "~/" with $HOME into out. Returns 0, or -1 with err. */
int datadir_expand(char *out, size_t len, const char *path, char *err) WUR;
/* Creates path (one level) with mode 0700 unless it exists as a folder. */
int datadir_ensure(const char *path, char *err) WUR;
/* The bytes of the regular files directly in dir (a LevelDB folder has no
 * subfolders); 0 when it cannot be read. */
uint64_t datadir_size(const char *dir);
/* out = dir/name (name as is when absolute). */
int datadir_join(char *out, size_t len, const char *dir, const char *name, char *err) WUR;
/* Takes an exclusive lock on dir/.lock; returns its descriptor (keep it
 * open while running), or -1 with err when another process holds it. */
int datadir_lock(const char *dir, char *err) WUR;

#endif
