/* An open-addressing hash map from fixed-length binary keys (hashes,
 * outpoints) to pointers. Keys are copied in; values are the caller's. The
 * table hashes keys with a per-process random seed, so a peer that grinds
 * txids cannot aim them at one slot. Not thread-safe. */
#ifndef CAIRN_UTIL_HMAP_H
#define CAIRN_UTIL_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define HMAP_KEY_MAX 40

struct hmap_slot;

struct hmap {
	struct hmap_slot *slots;
	size_t cap, count;
	size_t key_len;
};

void hmap_init(struct hmap *m, size_t key_len);
/* The keyed hash the maps place keys by (never 0), for tables of other
 * shapes that want the same resistance to ground keys. */
uint64_t hmap_hash(const void *key, size_t len);
/* Sizes the table for n entries, so that filling it from a known count
 * never rehashes; -1 on no memory (the map is unchanged). */
int hmap_reserve(struct hmap *m, size_t n) WUR;
/* Frees the table, not the values. */
void hmap_release(struct hmap *m);
void *hmap_get(const struct hmap *m, const void *key);
/* Inserts or replaces; -1 on no memory. */
int hmap_put(struct hmap *m, const void *key, void *value) WUR;
/* Inserts a key that must be new: 1 (and nothing changes) when it is
 * there already, 0 when inserted, -1 on no memory. One probe where
 * hmap_get then hmap_put take two. */
int hmap_put_new(struct hmap *m, const void *key, void *value) WUR;
/* Asks the processor for key's home slot ahead of a put or get, so that a
 * loop filling a table much bigger than the caches overlaps its misses. */
void hmap_prefetch(const struct hmap *m, const void *key);
/* Removes the key; returns its value, or NULL when absent. */
void *hmap_del(struct hmap *m, const void *key);

/* Iteration: for (size_t it = 0; hmap_next(m, &it, &key, &val);) ... The map
 * must not change during it (collect keys, then delete). */
bool hmap_next(const struct hmap *m, size_t *it, const void **key, void **value);

#endif
