#include "chain/dbmigrate.h"

#include <stdlib.h>
#include <string.h>

#include "chain/dbkeys.h"
#include "chain/index.h"
#include "util/grow.h"
#include "util/log.h"

/* Format 2's keys and record: the body under 'B', and an index record
 * without the body's position (the 12 bytes before the peer's name). */
#define V2_BLOCK 'B'
#define POS_SIZE 12
#define V2_RECORD_SIZE (BLOCK_INDEX_RECORD_SIZE - POS_SIZE)
#define PEER_AT (BLOCK_INDEX_RECORD_SIZE - 48)
/* Blocks moved per database batch. */
#define BATCH_BLOCKS 256

struct old_entry {
	struct block_index bi;
};

static int cmp_height(const void *a, const void *b)
{
	const struct old_entry *x = a, *y = b;
	return x->bi.height < y->bi.height ? -1 : x->bi.height > y->bi.height;
}

/* Format 2's records, widened to format 3's with no position yet; the
 * ones already moved (format 3's size) are left out. */
static int read_old(struct store *s, struct old_entry **out, size_t *n, char *err)
{
	uint8_t prefix = DB_INDEX, rec[BLOCK_INDEX_RECORD_SIZE];
	struct store_iter *it = store_iter_new(s, &prefix, 1);
	const uint8_t *k, *val;
	size_t klen, vlen, cap = 0;
	int r = it ? 0 : err_set(err, "out of memory");
	*out = NULL;
	*n = 0;
	while (r == 0 && store_iter_next(it, &k, &klen, &val, &vlen)) {
		if (vlen == BLOCK_INDEX_RECORD_SIZE)
			continue;
		if (vlen != V2_RECORD_SIZE) {
			r = err_set(err, "block index is corrupt: a record of %zu bytes", vlen);
			break;
		}
		memcpy(rec, val, PEER_AT - POS_SIZE);
		memset(rec + PEER_AT - POS_SIZE, 0, POS_SIZE);
		memcpy(rec + PEER_AT, val + PEER_AT - POS_SIZE, 48);
		if (grow_array(out, &cap, *n + 1, sizeof(**out), 1024, SIZE_MAX) != 0)
			r = err_set(err, "out of memory");
		else if (index_read(&(*out)[*n].bi, rec, sizeof(rec), err) == 0)
			(*n)++;
		else
			r = -1;
	}
	if (r == 0 && store_iter_error(it, err) != 0)
		r = -1;
	store_iter_free(it);
	return r;
}

/* Moves one block's body, if it has one, and puts its new record. */
static int move_one(struct store *s, struct blockfile *bf, struct block_index *bi, struct store_batch *batch,
		    char *err)
{
	uint8_t rec[BLOCK_INDEX_RECORD_SIZE];
	struct dbkey kb = dbkey_hash(V2_BLOCK, bi->hash), ki = dbkey_hash(DB_INDEX, bi->hash);
	if (bi->status & BLOCK_HAVE_DATA) {
		uint8_t *body;
		size_t len;
		struct blockpos pos;
		int r = store_get(s, kb.b, kb.len, &body, &len, err);
		if (r == 0)
			return err_set(err, "block at height %u has no stored body", bi->height);
		if (r < 0)
			return -1;
		r = blockfile_append(bf, &pos, body, len, err);
		store_free(body);
		if (r != 0)
			return -1;
		bi->data_file = pos.file;
		bi->data_pos = pos.offset;
		bi->data_len = pos.len;
		store_batch_del(batch, kb.b, kb.len);
	}
	index_write(rec, bi);
	store_batch_put(batch, ki.b, ki.len, rec, sizeof(rec));
	return 0;
}

int dbmigrate_v2_to_v3(struct store *s, struct blockfile *bf, char *err)
{
	struct old_entry *e;
	size_t n;
	uint8_t ver[4] = { 3, 0, 0, 0 };
	struct dbkey kv = dbkey_single(DB_VERSION);
	if (read_old(s, &e, &n, err) != 0) {
		free(e);
		return -1;
	}
	log_info("database format 2: moving %zu blocks into the block files", n);
	qsort(e, n, sizeof(*e), cmp_height);
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i += BATCH_BLOCKS) {
		struct store_batch *batch = store_batch_new();
		if (!batch) {
			r = err_set(err, "out of memory");
			break;
		}
		for (size_t j = i; j < n && j < i + BATCH_BLOCKS && r == 0; j++)
			r = move_one(s, bf, &e[j].bi, batch, err);
		if (r == 0)
			r = store_write(s, batch, false, err);
		store_batch_free(batch);
	}
	free(e);
	struct store_batch *batch = r == 0 ? store_batch_new() : NULL;
	if (r == 0 && !batch)
		r = err_set(err, "out of memory");
	if (r == 0) {
		store_batch_put(batch, kv.b, kv.len, ver, sizeof(ver));
		r = store_write(s, batch, true, err);
	}
	store_batch_free(batch);
	if (r == 0 && store_compact(s, err) != 0) /* the old bodies' space back */
		r = -1;
	if (r == 0)
		log_info("database format 3: every block body is in the block files");
	return r;
}
