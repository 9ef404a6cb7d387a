#include "chain/mempool_impl.h"

#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"
#include "util/envelope.h"
#include "util/file.h"

/* --- persistence ---
 *
 *   file = magic "CRNMPOOL" | version u32 | count varint
 *          | count × (accept time u64 | tx length varint | tx) | SHA-256d of all before (32)
 */

static const uint8_t FILE_MAGIC[8] = { 'C', 'R', 'N', 'M', 'P', 'O', 'O', 'L' };
#define FILE_MAX_BYTES ((size_t)1 << 31)
static const struct envelope_format file_format = {
	.magic = FILE_MAGIC, .magic_len = sizeof(FILE_MAGIC), .version = 1,
	.hash = hash_sha256d, .max_len = FILE_MAX_BYTES, .header_first = false,
	.kind = "a mempool file", .too_short = "file too short",
	.bad_sum = "checksum mismatch: the file is truncated or damaged", .bad_version = "unsupported version",
};
/* time + length + the smallest transaction */
#define FILE_MIN_RECORD (8 + 1 + 39)

int mempool_save(struct mempool *mp, const char *path, char *err)
{
	struct buf b = BUF_INIT;
	struct mempool_tx **list;
	/* Template order with no size bound puts every parent first, so a
	 * load never meets a child before its parent. */
	size_t n = mempool_ordered(mp, SIZE_MAX, &list);
	if (n == (size_t)-1)
		return err_set(err, "cannot save the mempool: out of memory");
	envelope_begin(&b, &file_format);
	buf_varint(&b, n);
	for (size_t i = 0; i < n; i++) {
		buf_u64(&b, list[i]->time);
		buf_varint(&b, list[i]->tx.size);
		tx_write(&b, &list[i]->tx);
	}
	free(list);
	int r = envelope_save(&file_format, &b, path, err);
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
	char why[ERR_LEN];
	struct cursor c;
	if (envelope_open(&file_format, &c, data, len, why) != 0)
		return err_set(err, "cannot load '%s': %s", path, why);
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
