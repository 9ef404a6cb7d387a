/* The key-value store under the chainstate: LevelDB, behind this one
 * module. Every state change is one batch, written atomically. */
#ifndef CAIRN_CHAIN_STORE_H
#define CAIRN_CHAIN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct store;
struct store_batch;
struct store_iter;

/* Opens (creating if missing) the database folder at path with an LRU
 * block cache of cache_bytes. NULL with err filled on failure, e.g. when
 * another process holds its lock. */
struct store *store_open(const char *path, size_t cache_bytes, char *err);
void store_close(struct store *s);
/* Deletes the database folder at path and everything LevelDB keeps in it
 * (it must not be open). A missing folder is not an error. 0, or -1 with
 * err filled. */
int store_destroy(const char *path, char *err) WUR;
/* Compacts the whole key range down to the last level: every overwritten
 * or deleted value is dropped from the files, and the log that still held
 * it is retired. Blocks until done. 0, or -1 with err filled. */
int store_compact(struct store *s, char *err) WUR;

/* 1 and *val (free with store_free) when found, 0 when absent, -1 on error. */
int store_get(struct store *s, const void *key, size_t klen, uint8_t **val, size_t *vlen, char *err) WUR;
void store_free(void *p);

struct store_batch *store_batch_new(void);
void store_batch_free(struct store_batch *b);
void store_batch_put(struct store_batch *b, const void *key, size_t klen, const void *val, size_t vlen);
void store_batch_del(struct store_batch *b, const void *key, size_t klen);
/* Writes the batch atomically. sync forces it to the disk; without it the
 * write still survives the process being killed, only not a power cut. */
int store_write(struct store *s, struct store_batch *b, bool sync, char *err) WUR;

/* A scratch store over base, for trying changes out: its reads see what
 * was written to it, else base; store_write puts a batch in memory only
 * (base never changes); iterators are not offered (NULL). Free it with
 * store_close (base stays open); base must outlive it. NULL on no memory. */
struct store *store_scratch_new(struct store *base);
/* Whether err, from a store function, is LevelDB's report of damaged
 * files (its "Corruption" status) rather than any other failure. */
bool store_err_corrupt(const char *err);
/* Reads every key and value once with checksums verified, to find damage
 * before anything relies on it. 0, or -1 with err (store_err_corrupt tells
 * damage apart). */
int store_verify(struct store *s, char *err) WUR;

/* Iterates the keys that start with prefix, in key order. Iterators may
 * run on several threads at once. */
struct store_iter *store_iter_new(struct store *s, const void *prefix, size_t plen);
/* Starts the iteration at the first key of the prefix at or after key
 * (call before the first store_iter_next); -1 when key is too long. */
int store_iter_from(struct store_iter *it, const void *key, size_t klen) WUR;
/* Moves to the next key; false at the end. Pointers live until the next call. */
bool store_iter_next(struct store_iter *it, const uint8_t **key, size_t *klen,
		     const uint8_t **val, size_t *vlen);
/* After the iteration ended: 0 when it reached the end, -1 with err when a
 * read failed on the way (damaged files skipped: store_err_corrupt). */
int store_iter_error(struct store_iter *it, char *err) WUR;
void store_iter_free(struct store_iter *it);

#endif
