#include "chain/store.h"

#include <leveldb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"
#include "util/hmap.h"

/* A value a scratch store holds over its base: bytes, or a deletion. */
struct scratch_val {
	bool deleted;
	size_t len;
	uint8_t data[];
};

struct store {
	/* A scratch store (store_scratch_new) has no database of its own:
	 * base answers what the map (SHA-256 of the key -> scratch_val) has
	 * not overwritten. */
	struct store *base;
	struct hmap scratch;
	leveldb_t *db;
	leveldb_options_t *opts;
	leveldb_cache_t *cache;
	const leveldb_filterpolicy_t *bloom;
	leveldb_readoptions_t *ropts;
	leveldb_writeoptions_t *wopts, *wopts_sync;
};

struct store_batch {
	leveldb_writebatch_t *wb;
};

struct store_iter {
	leveldb_iterator_t *it;
	uint8_t prefix[64], start[64];
	size_t plen, slen;
	bool started;
};

static int fail(char *err, const char *what, char *lerr)
{
	err_set(err, "%s: %s", what, lerr ? lerr : "unknown error");
	leveldb_free(lerr);
	return -1;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->base) {
		const void *k;
		void *v;
		for (size_t it = 0; hmap_next(&s->scratch, &it, &k, &v);)
			free(v);
		hmap_release(&s->scratch);
		free(s);
		return;
	}
	if (s->db)
		leveldb_close(s->db);
	leveldb_options_destroy(s->opts);
	leveldb_cache_destroy(s->cache);
	leveldb_filterpolicy_destroy((leveldb_filterpolicy_t *)s->bloom);
	leveldb_readoptions_destroy(s->ropts);
	leveldb_writeoptions_destroy(s->wopts);
	leveldb_writeoptions_destroy(s->wopts_sync);
	free(s);
}

struct store *store_open(const char *path, size_t cache_bytes, char *err)
{
	struct store *s = calloc(1, sizeof(*s));
	char *lerr = NULL;
	if (!s) {
		err_set(err, "out of memory");
		return NULL;
	}
	s->opts = leveldb_options_create();
	s->cache = leveldb_cache_create_lru(cache_bytes ? cache_bytes : 8 << 20);
	s->bloom = leveldb_filterpolicy_create_bloom(10);
	leveldb_options_set_create_if_missing(s->opts, 1);
	/* As Bitcoin Core's dbwrapper: report damage instead of reading
	 * around it, at open and on every read. */
	leveldb_options_set_paranoid_checks(s->opts, 1);
	leveldb_options_set_cache(s->opts, s->cache);
	leveldb_options_set_filter_policy(s->opts, (leveldb_filterpolicy_t *)s->bloom);
	leveldb_options_set_write_buffer_size(s->opts, 16 << 20);
	leveldb_options_set_max_open_files(s->opts, 256);
	s->ropts = leveldb_readoptions_create();
	leveldb_readoptions_set_verify_checksums(s->ropts, 1);
	s->wopts = leveldb_writeoptions_create();
	s->wopts_sync = leveldb_writeoptions_create();
	leveldb_writeoptions_set_sync(s->wopts_sync, 1);
	s->db = leveldb_open(s->opts, path, &lerr);
	if (!s->db) {
		char what[ERR_LEN];
		snprintf(what, sizeof(what), "cannot open database '%s'", path);
		fail(err, what, lerr);
		store_close(s);
		return NULL;
	}
	return s;
}

int store_destroy(const char *path, char *err)
{
	char *lerr = NULL;
	leveldb_options_t *opts = leveldb_options_create();
	leveldb_destroy_db(opts, path, &lerr);
	leveldb_options_destroy(opts);
	if (!lerr)
		return 0;
	char what[ERR_LEN];
	snprintf(what, sizeof(what), "cannot delete database '%s'", path);
	return fail(err, what, lerr);
}

/* LevelDB reports no error from a manual compaction; a write error during
 * it shows up as the database's background error, which the next write
 * returns. A synchronous empty batch asks for it. */
int store_compact(struct store *s, char *err)
{
	char *lerr = NULL;
	leveldb_compact_range(s->db, NULL, 0, NULL, 0);
	leveldb_writebatch_t *wb = leveldb_writebatch_create();
	leveldb_write(s->db, s->wopts_sync, wb, &lerr);
	leveldb_writebatch_destroy(wb);
	return lerr ? fail(err, "database compaction failed", lerr) : 0;
}

static int scratch_get(struct store *s, const void *key, size_t klen, uint8_t **val, size_t *vlen, char *err)
{
	uint8_t h[32];
	hash_sha256(h, key, klen);
	struct scratch_val *sv = hmap_get(&s->scratch, h);
	if (!sv)
		return store_get(s->base, key, klen, val, vlen, err);
	if (sv->deleted)
		return 0;
	/* store_free is leveldb_free, which is free(). */
	if (!(*val = malloc(sv->len ? sv->len : 1)))
		return err_set(err, "out of memory");
	memcpy(*val, sv->data, sv->len);
	*vlen = sv->len;
	return 1;
}

int store_get(struct store *s, const void *key, size_t klen, uint8_t **val, size_t *vlen, char *err)
{
	char *lerr = NULL;
	*val = NULL;
	*vlen = 0;
	if (s->base)
		return scratch_get(s, key, klen, val, vlen, err);
	*val = (uint8_t *)leveldb_get(s->db, s->ropts, key, klen, vlen, &lerr);
	if (lerr) {
		*val = NULL;
		*vlen = 0;
		return fail(err, "database read failed", lerr);
	}
	return *val ? 1 : 0;
}

void store_free(void *p)
{
	if (p)
		leveldb_free(p);
}

struct store_batch *store_batch_new(void)
{
	struct store_batch *b = calloc(1, sizeof(*b));
	if (b && !(b->wb = leveldb_writebatch_create())) {
		free(b);
		return NULL;
	}
	return b;
}

void store_batch_free(struct store_batch *b)
{
	if (!b)
		return;
	leveldb_writebatch_destroy(b->wb);
	free(b);
}

void store_batch_put(struct store_batch *b, const void *key, size_t klen, const void *val, size_t vlen)
{
	leveldb_writebatch_put(b->wb, key, klen, val, vlen);
}

void store_batch_del(struct store_batch *b, const void *key, size_t klen)
{
	leveldb_writebatch_delete(b->wb, key, klen);
}

struct scratch_write {
	struct store *s;
	bool oom;
};

static void scratch_set(void *ctx, const char *k, size_t klen, const char *v, size_t vlen, bool deleted)
{
	struct scratch_write *w = ctx;
	uint8_t h[32];
	struct scratch_val *sv = malloc(sizeof(*sv) + vlen);
	if (!sv) {
		w->oom = true;
		return;
	}
	sv->deleted = deleted;
	sv->len = vlen;
	if (vlen)
		memcpy(sv->data, v, vlen);
	hash_sha256(h, k, klen);
	free(hmap_del(&w->s->scratch, h));
	if (hmap_put(&w->s->scratch, h, sv) != 0) {
		free(sv);
		w->oom = true;
	}
}

static void scratch_put(void *ctx, const char *k, size_t klen, const char *v, size_t vlen)
{
	scratch_set(ctx, k, klen, v, vlen, false);
}

static void scratch_del(void *ctx, const char *k, size_t klen)
{
	scratch_set(ctx, k, klen, NULL, 0, true);
}

struct store *store_scratch_new(struct store *base)
{
	struct store *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->base = base;
	hmap_init(&s->scratch, 32);
	return s;
}

bool store_err_corrupt(const char *err)
{
	return err && strstr(err, "Corruption") != NULL;
}

int store_verify(struct store *s, char *err)
{
	char *lerr = NULL;
	leveldb_readoptions_t *ro = leveldb_readoptions_create();
	leveldb_readoptions_set_verify_checksums(ro, 1);
	leveldb_readoptions_set_fill_cache(ro, 0);
	leveldb_iterator_t *it = leveldb_create_iterator(s->db, ro);
	for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it); leveldb_iter_next(it))
		;
	leveldb_iter_get_error(it, &lerr);
	leveldb_iter_destroy(it);
	leveldb_readoptions_destroy(ro);
	return lerr ? fail(err, "database read failed", lerr) : 0;
}

int store_write(struct store *s, struct store_batch *b, bool sync, char *err)
{
	char *lerr = NULL;
	if (s->base) {
		struct scratch_write w = { s, false };
		leveldb_writebatch_iterate(b->wb, &w, scratch_put, scratch_del);
		return w.oom ? err_set(err, "out of memory") : 0;
	}
	leveldb_write(s->db, sync ? s->wopts_sync : s->wopts, b->wb, &lerr);
	return lerr ? fail(err, "database write failed", lerr) : 0;
}

struct store_iter *store_iter_new(struct store *s, const void *prefix, size_t plen)
{
	struct store_iter *it = s->base ? NULL : calloc(1, sizeof(*it));
	if (!it || plen > sizeof(it->prefix)) {
		free(it);
		return NULL;
	}
	it->it = leveldb_create_iterator(s->db, s->ropts);
	memcpy(it->prefix, prefix, plen);
	memcpy(it->start, prefix, plen);
	it->plen = it->slen = plen;
	return it;
}

int store_iter_from(struct store_iter *it, const void *key, size_t klen)
{
	if (klen > sizeof(it->start))
		return -1;
	memcpy(it->start, key, klen);
	it->slen = klen;
	return 0;
}

bool store_iter_next(struct store_iter *it, const uint8_t **key, size_t *klen,
		     const uint8_t **val, size_t *vlen)
{
	if (!it->started) {
		leveldb_iter_seek(it->it, (const char *)it->start, it->slen);
		it->started = true;
	} else if (leveldb_iter_valid(it->it)) {
		leveldb_iter_next(it->it);
	}
	if (!leveldb_iter_valid(it->it))
		return false;
	*key = (const uint8_t *)leveldb_iter_key(it->it, klen);
	if (*klen < it->plen || memcmp(*key, it->prefix, it->plen) != 0)
		return false;
	*val = (const uint8_t *)leveldb_iter_value(it->it, vlen);
	return true;
}

int store_iter_error(struct store_iter *it, char *err)
{
	char *lerr = NULL;
	leveldb_iter_get_error(it->it, &lerr);
	return lerr ? fail(err, "database read failed", lerr) : 0;
}

void store_iter_free(struct store_iter *it)
{
	if (!it)
		return;
	leveldb_iter_destroy(it->it);
	free(it);
}
