#include "chain/mempool_impl.h"

#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"
#include "util/file.h"

/* --- persistence ---
 *
 *   file = magic "CRNMPOOL" | version u32 | count varint
 *          | count × (accept time u64 | tx length varint | tx) | SHA-256d of all before (32)
 */

static const uint8_t FILE_MAGIC[8] = { 'C', 'R', 'N', 'M', 'P', 'O', 'O', 'L' };
#define FILE_VERSION 1u
#define FILE_MAX_BYTES ((size_t)1 << 31)
/* time + length + the smallest transaction */
#define FILE_MIN_RECORD (8 + 1 + 39)

int mempool_save(struct mempool *mp, const char *path, char *err)
{
	struct buf b = BUF_INIT;
	struct mempool_tx **list;
	uint8_t sum[32];
	/* Template order with no size bound puts every parent first, so a
	 * load never meets a child before its parent. */
	size_t n = mempool_ordered(mp, SIZE_MAX, &list);
	if (n == (size_t)-1)
		return err_set(err, "cannot save the mempool: out of memory");
	buf_put(&b, FILE_MAGIC, sizeof(FILE_MAGIC));
	buf_u32(&b, FILE_VERSION);
	buf_varint(&b, n);
	for (size_t i = 0; i < n; i++) {
		buf_u64(&b, list[i]->time);
		buf_varint(&b, list[i]->tx.size);
		tx_write(&b, &list[i]->tx);
	}
	free(list);
	if (buf_ok(&b)) {
		hash_sha256d(sum, b.data, b.len);
		buf_put(&b, sum, 32);
	}
	int r = buf_ok(&b) ? file_write_atomic(path, b.data, b.len, 0600, err)
			   : err_set(err, "cannot save the mempool: out of memory");
	buf_release(&b);
	return r;
}

struct saved {
	struct tx *txs;
	uint64_t *times;
	size_t n;
};

static void saved_release(struct saved *s)
{
	for (size_t i = 0; i < s->n; i++)
		tx_release(&s->txs[i]);
	free(s->txs);
	free(s->times);
	memset(s, 0, sizeof(*s));
}

static int parse_records(struct cursor *c, struct saved *s, const char *path, char *err)
{
	uint64_t count;
	if (!cursor_varint(c, &count, c->len / FILE_MIN_RECORD))
		return err_set(err, "cannot load '%s': bad transaction count", path);
	if (count == 0)
		return 0;
	s->txs = calloc(count, sizeof(*s->txs));
	s->times = calloc(count, sizeof(*s->times));
	if (!s->txs || !s->times)
		return err_set(err, "cannot load '%s': out of memory", path);
	for (uint64_t i = 0; i < count; i++) {
		uint64_t len;
		const uint8_t *p;
		char why[ERR_LEN];
		if (!cursor_u64(c, &s->times[i]) || !cursor_varint(c, &len, TX_MAX_SIZE) ||
		    !cursor_view(c, &p, len))
			return err_set(err, "cannot load '%s': record %llu is truncated", path,
				       (unsigned long long)i);
		if (tx_parse(&s->txs[i], p, len, why) != 0)
			return err_set(err, "cannot load '%s': record %llu: %s", path, (unsigned long long)i,
				       why);
		s->n++;
	}
	return 0;
}

/* Checks the frame (checksum, magic, version) and parses every record
 * before anything touches the pool. */
static int parse_file(const uint8_t *data, size_t len, struct saved *s, const char *path, char *err)
{
	uint8_t sum[32], magic[8];
	uint32_t version;
	if (len < sizeof(FILE_MAGIC) + 4 + 1 + 32)
		return err_set(err, "cannot load '%s': file too short", path);
	hash_sha256d(sum, data, len - 32);
	if (memcmp(sum, data + len - 32, 32) != 0)
		return err_set(err, "cannot load '%s': checksum mismatch (corrupt or truncated)", path);
	struct cursor c = cursor_make(data, len - 32);
	if (!cursor_bytes(&c, magic, 8) || memcmp(magic, FILE_MAGIC, 8) != 0)
		return err_set(err, "cannot load '%s': not a mempool file", path);
	if (!cursor_u32(&c, &version) || version != FILE_VERSION)
		return err_set(err, "cannot load '%s': unsupported version %u", path, version);
	if (parse_records(&c, s, path, err) != 0)
		return -1;
	if (!cursor_done(&c))
		return err_set(err, "cannot load '%s': trailing bytes", path);
	return 0;
}

static void load_one(struct mempool *mp, const struct tx *tx, uint64_t time, uint64_t now,
		     struct mempool_load_stats *st)
{
	struct verdict v;
	if (time > now)
		time = now;
	if (mempool_find(mp, tx->txid))
		st->already++;
	else if (mp->o.expiry && now - time >= mp->o.expiry)
		st->expired++;
	else if (mempool_accept_one(mp, tx, time, false, NULL, &v))
		st->accepted++;
	else
		st->failed++;
}

int mempool_load(struct mempool *mp, const char *path, uint64_t now, struct mempool_load_stats *stats,
		 char *err)
{
	struct mempool_load_stats local;
	struct saved s = { 0 };
	size_t len;
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	/* A missing file means nothing was saved: no error, err untouched. */
	char why[ERR_LEN];
	bool missing;
	uint8_t *data = file_read_bounded(path, FILE_MAX_BYTES, &len, &missing, why);
	if (!data)
		return missing ? 0 : err_set(err, "%s", why);
	stats->found = true;
	int r = parse_file(data, len, &s, path, err);
	free(data);
	if (r != 0) {
		saved_release(&s);
		return -1;
	}
	stats->total = s.n;
	for (size_t i = 0; i < s.n; i++)
		load_one(mp, &s.txs[i], s.times[i], now, stats);
	saved_release(&s);
	return 0;
}
