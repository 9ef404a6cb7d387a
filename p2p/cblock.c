/* The compact block codec (p2p/cblock.h). */
#include "p2p/cblock.h"

#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"
#include "util/cursor.h"

/* Bitcoin Core keeps requested indexes within 16 bits. */
#define REQUEST_INDEX_MAX 0xffffu

void cblock_key(uint8_t key[SIPHASH_KEY_LEN], const struct block_header *h, uint64_t nonce)
{
	uint8_t in[BLOCK_HEADER_SIZE + 8], digest[HASH_LEN];
	header_write(in, h);
	for (int i = 0; i < 8; i++)
		in[BLOCK_HEADER_SIZE + i] = (uint8_t)(nonce >> (8 * i));
	hash_sha256(digest, in, sizeof(in));
	memcpy(key, digest, SIPHASH_KEY_LEN);
}

uint64_t cblock_shortid(struct siphash *s, const uint8_t txid[32])
{
	return siphash_u64(s, txid, 32) & CBLOCK_SHORTID_MASK;
}

void cblock_release(struct cblock *c)
{
	for (size_t i = 0; c->pre && i < c->n_pre; i++)
		tx_release(&c->pre[i].tx);
	free(c->pre);
	free(c->ids);
	c->pre = NULL;
	c->ids = NULL;
	c->n_pre = c->n_ids = 0;
}

void cblock_request_release(struct cblock_request *r)
{
	free(r->idx);
	r->idx = NULL;
	r->n = 0;
}

void cblock_txns_release(struct cblock_txns *t)
{
	for (size_t i = 0; t->txs && i < t->n; i++)
		tx_release(&t->txs[i]);
	free(t->txs);
	t->txs = NULL;
	t->n = 0;
}

int cblock_build(struct cblock *c, const struct block *b, uint64_t nonce)
{
	struct siphash s;
	uint8_t key[SIPHASH_KEY_LEN];
	memset(c, 0, sizeof(*c));
	c->header = b->header;
	c->nonce = nonce;
	memcpy(c->hash, b->hash, 32);
	if (b->n_tx == 0)
		return -1;
	cblock_key(key, &b->header, nonce);
	if (siphash_init(&s, key) != 0)
		return -1;
	c->pre = calloc(1, sizeof(*c->pre));
	c->ids = malloc((b->n_tx - 1 ? b->n_tx - 1 : 1) * sizeof(*c->ids));
	if (!c->pre || !c->ids || tx_copy(&c->pre[0].tx, &b->txs[0]) != 0) {
		siphash_release(&s);
		cblock_release(c);
		return -1;
	}
	c->n_pre = 1;
	for (size_t i = 1; i < b->n_tx; i++)
		c->ids[c->n_ids++] = cblock_shortid(&s, b->txs[i].txid);
	siphash_release(&s);
	return 0;
}

/* ---- encoding ---- */

static void put_shortid(struct buf *out, uint64_t id)
{
	uint8_t b[CBLOCK_SHORTID_SIZE];
	for (int i = 0; i < CBLOCK_SHORTID_SIZE; i++)
		b[i] = (uint8_t)(id >> (8 * i));
	buf_put(out, b, sizeof(b));
}

int cblock_sendcmpct_encode(struct buf *out, const struct cblock_sendcmpct *m)
{
	buf_u8(out, m->announce ? 1 : 0);
	buf_u64(out, m->version);
	return buf_ok(out) ? 0 : -1;
}

int cblock_encode(struct buf *out, const struct cblock *c)
{
	uint8_t hdr[BLOCK_HEADER_SIZE];
	if (c->n_ids + c->n_pre == 0 || c->n_ids + c->n_pre > BLOCK_MAX_TXS)
		return -1;
	header_write(hdr, &c->header);
	buf_put(out, hdr, sizeof(hdr));
	buf_u64(out, c->nonce);
	buf_varint(out, c->n_ids);
	for (size_t i = 0; i < c->n_ids; i++)
		put_shortid(out, c->ids[i]);
	buf_varint(out, c->n_pre);
	for (size_t i = 0; i < c->n_pre; i++) {
		if (i && c->pre[i].index <= c->pre[i - 1].index)
			return -1;
		buf_varint(out, i ? c->pre[i].index - c->pre[i - 1].index - 1 : c->pre[i].index);
		tx_write(out, &c->pre[i].tx);
	}
	return buf_ok(out) ? 0 : -1;
}

int cblock_request_encode(struct buf *out, const struct cblock_request *r)
{
	if (r->n > BLOCK_MAX_TXS)
		return -1;
	buf_put(out, r->hash, 32);
	buf_varint(out, r->n);
	for (size_t i = 0; i < r->n; i++) {
		if (i && r->idx[i] <= r->idx[i - 1])
			return -1;
		buf_varint(out, i ? r->idx[i] - r->idx[i - 1] - 1 : r->idx[i]);
	}
	return buf_ok(out) ? 0 : -1;
}

int cblock_txns_encode(struct buf *out, const struct cblock_txns *t)
{
	if (t->n > BLOCK_MAX_TXS)
		return -1;
	buf_put(out, t->hash, 32);
	buf_varint(out, t->n);
	for (size_t i = 0; i < t->n; i++)
		tx_write(out, &t->txs[i]);
	return buf_ok(out) ? 0 : -1;
}

/* ---- decoding ---- */

int cblock_sendcmpct_decode(struct cblock_sendcmpct *m, const uint8_t *p, size_t len, char *err)
{
	struct cursor c = cursor_make(p, len);
	uint8_t announce;
	memset(m, 0, sizeof(*m));
	if (!cursor_u8(&c, &announce) || !cursor_u64(&c, &m->version))
		return err_set(err, "truncated sendcmpct");
	if (!cursor_done(&c))
		return err_set(err, "%zu trailing bytes after sendcmpct", c.len);
	if (announce > 1)
		return err_set(err, "sendcmpct announce %u is not 0 or 1", announce);
	m->announce = announce == 1;
	return 0;
}

/* The next absolute index of a differential list; false past max. */
static bool next_index(struct cursor *c, size_t i, uint32_t prev, uint64_t max, uint32_t *out)
{
	uint64_t delta, idx;
	if (!cursor_varint(c, &delta, max))
		return false;
	idx = i ? (uint64_t)prev + 1 + delta : delta;
	if (idx > max)
		return false;
	*out = (uint32_t)idx;
	return true;
}

static int cblock_fail(struct cblock *c, char *err, const char *what)
{
	cblock_release(c);
	return err_set(err, "%s", what);
}

static int read_prefilled(struct cursor *cur, struct cblock *c, char *err)
{
	uint64_t n;
	if (!cursor_varint(cur, &n, BLOCK_MAX_TXS) || n + c->n_ids > BLOCK_MAX_TXS || n > cur->len)
		return cblock_fail(c, err, "bad prefilled transaction count in cmpctblock");
	if (n + c->n_ids == 0)
		return cblock_fail(c, err, "cmpctblock without transactions");
	if (!(c->pre = calloc(n ? n : 1, sizeof(*c->pre))))
		return cblock_fail(c, err, "out of memory for cmpctblock");
	uint64_t total = n + c->n_ids;
	for (size_t i = 0; i < n; i++) {
		char why[ERR_LEN];
		if (!next_index(cur, i, i ? c->pre[i - 1].index : 0, total - 1, &c->pre[i].index))
			return cblock_fail(c, err, "prefilled index out of range in cmpctblock");
		if (tx_read(cur, &c->pre[i].tx, why) != 0)
			return cblock_fail(c, err, "malformed prefilled transaction in cmpctblock");
		c->n_pre++;
	}
	return 0;
}

int cblock_decode(struct cblock *c, const uint8_t *p, size_t len, char *err)
{
	struct cursor cur = cursor_make(p, len);
	uint64_t n;
	memset(c, 0, sizeof(*c));
	if (!header_read(&cur, &c->header) || !cursor_u64(&cur, &c->nonce))
		return err_set(err, "truncated cmpctblock header");
	if (!cursor_varint(&cur, &n, BLOCK_MAX_TXS) || n * CBLOCK_SHORTID_SIZE > cur.len)
		return err_set(err, "bad short id count in cmpctblock");
	if (!(c->ids = malloc((n ? n : 1) * sizeof(*c->ids))))
		return err_set(err, "out of memory for cmpctblock");
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 0;
		for (int k = 0; k < CBLOCK_SHORTID_SIZE; k++)
			v |= (uint64_t)cur.p[k] << (8 * k);
		c->ids[i] = v;
		if (!cursor_skip(&cur, CBLOCK_SHORTID_SIZE))
			return cblock_fail(c, err, "truncated short ids in cmpctblock");
	}
	c->n_ids = n;
	if (read_prefilled(&cur, c, err) != 0)
		return -1;
	if (!cursor_done(&cur))
		return cblock_fail(c, err, "trailing bytes after cmpctblock");
	header_hash(c->hash, &c->header);
	return 0;
}

int cblock_request_decode(struct cblock_request *r, const uint8_t *p, size_t len, char *err)
{
	struct cursor c = cursor_make(p, len);
	uint64_t n;
	memset(r, 0, sizeof(*r));
	if (!cursor_bytes(&c, r->hash, 32) || !cursor_varint(&c, &n, BLOCK_MAX_TXS) || n > c.len)
		return err_set(err, "truncated or oversized getblocktxn");
	if (!(r->idx = malloc((n ? n : 1) * sizeof(*r->idx))))
		return err_set(err, "out of memory for getblocktxn");
	for (size_t i = 0; i < n; i++) {
		if (!next_index(&c, i, i ? r->idx[i - 1] : 0, REQUEST_INDEX_MAX, &r->idx[i])) {
			cblock_request_release(r);
			return err_set(err, "getblocktxn index out of range");
		}
		r->n++;
	}
	if (!cursor_done(&c)) {
		cblock_request_release(r);
		return err_set(err, "trailing bytes after getblocktxn");
	}
	return 0;
}

int cblock_txns_decode(struct cblock_txns *t, const uint8_t *p, size_t len, char *err)
{
	struct cursor c = cursor_make(p, len);
	uint64_t n;
	memset(t, 0, sizeof(*t));
	if (!cursor_bytes(&c, t->hash, 32) || !cursor_varint(&c, &n, BLOCK_MAX_TXS) || n > c.len)
		return err_set(err, "truncated or oversized blocktxn");
	if (!(t->txs = calloc(n ? n : 1, sizeof(*t->txs))))
		return err_set(err, "out of memory for blocktxn");
	for (size_t i = 0; i < n; i++) {
		char why[ERR_LEN];
		if (tx_read(&c, &t->txs[i], why) != 0) {
			cblock_txns_release(t);
			return err_set(err, "malformed transaction in blocktxn");
		}
		t->n++;
	}
	if (!cursor_done(&c)) {
		cblock_txns_release(t);
		return err_set(err, "trailing bytes after blocktxn");
	}
	return 0;
}
