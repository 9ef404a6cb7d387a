/* Compact blocks: SipHash-2-4 through EVP_MAC against the reference
 * vectors, the short-id key against a transcription of BIP 152's rule,
 * every message's round trip and refusals, and rebuilding a block from a
 * compact one: all in the mempool, some missing then filled, a wrong
 * blocktxn, duplicate short ids and a short id that names the wrong
 * transaction (both fall back to the whole block). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/hash.h"
#include "chain/siphash.h"
#include "p2p/cblock.h"
#include "p2p/partial.h"

/* ---- SipHash ---- */

static void test_siphash_vectors(void **state)
{
	uint8_t key[16], msg[64];
	struct siphash s;
	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	assert_int_equal(siphash_init(&s, key), 0);
	/* Aumasson and Bernstein, SipHash: a fast short-input PRF, appendix A
	 * (15 bytes) and the reference vectors.h (0 and 8 bytes) */
	assert_true(siphash_u64(&s, msg, 15) == 0xa129ca6149be45e5ull);
	assert_true(siphash_u64(&s, msg, 0) == 0x726fdb47dd0e0e31ull);
	assert_true(siphash_u64(&s, msg, 8) == 0x93f5f5799a932462ull);
	/* the same context again gives the same answer (it restarts keyed) */
	assert_true(siphash_u64(&s, msg, 15) == 0xa129ca6149be45e5ull);
	siphash_release(&s);
	siphash_release(&s);
}

/* ---- fixtures ---- */

static void make_tx(struct tx *t, unsigned k)
{
	tx_init(t);
	assert_int_equal(tx_resize(t, 1, 1), 0);
	memset(t->in[0].prev.txid, (int)(k + 1), 32);
	t->in[0].prev.index = k;
	t->out[0].value = 1000 + k;
	t->out[0].addr[0] = (uint8_t)k;
	tx_finalize(t);
}

/* A block of n transactions: a coinbase-like first, then make_tx(1..). */
static void make_block(struct block *b, size_t n)
{
	block_init(b);
	assert_int_equal(block_resize(b, n), 0);
	for (size_t i = 0; i < n; i++)
		make_tx(&b->txs[i], (unsigned)i);
	b->header.version = 1;
	b->header.time = 1700000000;
	block_finalize(b);
}

struct pool {
	const struct tx *txs[64];
	size_t n;
};

static const struct tx *pool_next(void *ctx, size_t *it)
{
	struct pool *p = ctx;
	return *it < p->n ? p->txs[(*it)++] : NULL;
}

static void test_shortid_key(void **state)
{
	struct block b;
	uint8_t key[16], in[BLOCK_HEADER_SIZE + 8], digest[32];
	(void)state;
	make_block(&b, 2);
	cblock_key(key, &b.header, 0x0102030405060708ull);
	header_write(in, &b.header);
	const uint8_t nonce_le[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
	memcpy(in + BLOCK_HEADER_SIZE, nonce_le, 8);
	hash_sha256(digest, in, sizeof(in));
	assert_memory_equal(key, digest, 16);
	/* the short id is the low 48 bits of SipHash(txid) */
	struct siphash s;
	assert_int_equal(siphash_init(&s, key), 0);
	uint64_t full = siphash_u64(&s, b.txs[1].txid, 32);
	assert_true(cblock_shortid(&s, b.txs[1].txid) == (full & 0xffffffffffffull));
	siphash_release(&s);
	block_release(&b);
}

/* ---- messages ---- */

typedef int (*decode_fn)(const uint8_t *p, size_t len, char *err);

static int dec_cblock(const uint8_t *p, size_t len, char *err)
{
	struct cblock c;
	int r = cblock_decode(&c, p, len, err);
	cblock_release(&c);
	return r;
}

static int dec_request(const uint8_t *p, size_t len, char *err)
{
	struct cblock_request r;
	int rc = cblock_request_decode(&r, p, len, err);
	cblock_request_release(&r);
	return rc;
}

static int dec_txns(const uint8_t *p, size_t len, char *err)
{
	struct cblock_txns t;
	int r = cblock_txns_decode(&t, p, len, err);
	cblock_txns_release(&t);
	return r;
}

static int dec_sendcmpct(const uint8_t *p, size_t len, char *err)
{
	struct cblock_sendcmpct m;
	return cblock_sendcmpct_decode(&m, p, len, err);
}

/* Decodes whole; every shorter prefix and one byte more are refused. */
static void check_strict(decode_fn dec, const uint8_t *p, size_t len)
{
	char err[ERR_LEN];
	uint8_t *longer = malloc(len + 1);
	assert_non_null(longer);
	assert_int_equal(dec(p, len, err), 0);
	for (size_t n = 0; n < len; n++) {
		err[0] = '\0';
		assert_int_equal(dec(p, n, err), -1);
		assert_true(err[0] != '\0');
	}
	memcpy(longer, p, len);
	longer[len] = 0;
	assert_int_equal(dec(longer, len + 1, err), -1);
	free(longer);
}

static void test_cblock_round_trip(void **state)
{
	struct block b;
	struct cblock c, d;
	struct buf out = BUF_INIT;
	char err[ERR_LEN];
	(void)state;
	make_block(&b, 5);
	assert_int_equal(cblock_build(&c, &b, 42), 0);
	assert_int_equal(c.n_pre, 1);
	assert_int_equal(c.pre[0].index, 0);
	assert_int_equal(c.n_ids, 4);
	assert_int_equal(cblock_encode(&out, &c), 0);
	/* header | nonce | 4 ids of 6 bytes | 1 prefilled: index 0 + the coinbase */
	assert_int_equal(out.len, BLOCK_HEADER_SIZE + 8 + 1 + 4 * 6 + 1 + 1 + b.txs[0].size);
	assert_int_equal(cblock_decode(&d, out.data, out.len, err), 0);
	assert_memory_equal(d.hash, b.hash, 32);
	assert_true(d.nonce == 42);
	assert_int_equal(d.n_ids, 4);
	for (size_t i = 0; i < 4; i++)
		assert_true(d.ids[i] == c.ids[i] && d.ids[i] <= CBLOCK_SHORTID_MASK);
	assert_memory_equal(d.pre[0].tx.txid, b.txs[0].txid, 32);
	check_strict(dec_cblock, out.data, out.len);
	cblock_release(&d);
	cblock_release(&d);

	/* several prefilled: indexes 0, 2, 4 travel as deltas 0, 1, 1 */
	cblock_release(&c);
	memset(&c, 0, sizeof(c));
	c.header = b.header;
	c.n_ids = 2;
	c.ids = calloc(2, sizeof(*c.ids));
	c.pre = calloc(3, sizeof(*c.pre));
	for (size_t i = 0; i < 3; i++) {
		c.pre[i].index = (uint32_t)(2 * i);
		assert_int_equal(tx_copy(&c.pre[i].tx, &b.txs[2 * i]), 0);
		c.n_pre++;
	}
	buf_reset(&out);
	assert_int_equal(cblock_encode(&out, &c), 0);
	assert_int_equal(cblock_decode(&d, out.data, out.len, err), 0);
	assert_int_equal(d.n_pre, 3);
	assert_int_equal(d.pre[1].index, 2);
	assert_int_equal(d.pre[2].index, 4);
	cblock_release(&d);
	/* an index past the block's 5 transactions is refused */
	c.pre[2].index = 5;
	buf_reset(&out);
	assert_int_equal(cblock_encode(&out, &c), 0);
	assert_int_equal(cblock_decode(&d, out.data, out.len, err), -1);
	assert_non_null(strstr(err, "index"));
	/* descending indexes cannot be encoded */
	c.pre[2].index = 1;
	buf_reset(&out);
	assert_int_equal(cblock_encode(&out, &c), -1);
	cblock_release(&c);
	buf_release(&out);
	block_release(&b);
}

static void test_cblock_refusals(void **state)
{
	struct block b;
	struct buf out = BUF_INIT;
	char err[ERR_LEN];
	uint8_t hdr[BLOCK_HEADER_SIZE];
	(void)state;
	make_block(&b, 1);
	header_write(hdr, &b.header);
	/* no transactions at all */
	buf_put(&out, hdr, sizeof(hdr));
	buf_u64(&out, 1);
	buf_varint(&out, 0);
	buf_varint(&out, 0);
	assert_int_equal(dec_cblock(out.data, out.len, err), -1);
	assert_non_null(strstr(err, "without transactions"));
	/* more short ids than the bytes that follow */
	buf_reset(&out);
	buf_put(&out, hdr, sizeof(hdr));
	buf_u64(&out, 1);
	buf_varint(&out, 1000);
	buf_put(&out, hdr, 60);
	assert_int_equal(dec_cblock(out.data, out.len, err), -1);
	assert_non_null(strstr(err, "short id count"));
	/* a count over the block limit */
	buf_reset(&out);
	buf_put(&out, hdr, sizeof(hdr));
	buf_u64(&out, 1);
	buf_varint(&out, (uint64_t)BLOCK_MAX_TXS + 1);
	assert_int_equal(dec_cblock(out.data, out.len, err), -1);
	/* sendcmpct: 9 bytes, announce 0 or 1 */
	buf_reset(&out);
	struct cblock_sendcmpct m = { true, 1 }, d;
	assert_int_equal(cblock_sendcmpct_encode(&out, &m), 0);
	assert_int_equal(out.len, 9);
	check_strict(dec_sendcmpct, out.data, out.len);
	assert_int_equal(cblock_sendcmpct_decode(&d, out.data, out.len, err), 0);
	assert_true(d.announce && d.version == 1);
	out.data[0] = 2;
	assert_int_equal(cblock_sendcmpct_decode(&d, out.data, out.len, err), -1);
	buf_release(&out);
	block_release(&b);
}

static void test_request_and_txns(void **state)
{
	uint32_t idx[] = { 1, 2, 7, 300 };
	struct cblock_request r = { { 9 }, 4, idx }, d;
	struct buf out = BUF_INIT;
	char err[ERR_LEN];
	(void)state;
	assert_int_equal(cblock_request_encode(&out, &r), 0);
	/* hash | count | deltas 1, 0, 4, 292 (the last a 3-byte varint) */
	assert_int_equal(out.len, 32 + 1 + 1 + 1 + 1 + 3);
	check_strict(dec_request, out.data, out.len);
	assert_int_equal(cblock_request_decode(&d, out.data, out.len, err), 0);
	assert_int_equal(d.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(d.idx[i], idx[i]);
	cblock_request_release(&d);
	/* past 65535, as Bitcoin Core */
	uint32_t big[] = { 65535, 65536 };
	struct cblock_request rb = { { 9 }, 2, big };
	buf_reset(&out);
	assert_int_equal(cblock_request_encode(&out, &rb), 0);
	assert_int_equal(cblock_request_decode(&d, out.data, out.len, err), -1);
	assert_non_null(strstr(err, "range"));

	struct block b;
	make_block(&b, 3);
	struct cblock_txns t = { { 7 }, 2, b.txs + 1 }, dt;
	buf_reset(&out);
	assert_int_equal(cblock_txns_encode(&out, &t), 0);
	check_strict(dec_txns, out.data, out.len);
	assert_int_equal(cblock_txns_decode(&dt, out.data, out.len, err), 0);
	assert_int_equal(dt.n, 2);
	assert_memory_equal(dt.txs[1].txid, b.txs[2].txid, 32);
	cblock_txns_release(&dt);
	buf_release(&out);
	block_release(&b);
}

/* ---- rebuilding ---- */

static void test_rebuild_all_in_pool(void **state)
{
	struct block b, got;
	struct cblock c;
	struct partial pb;
	struct pool pool = { { 0 }, 0 };
	(void)state;
	make_block(&b, 10);
	/* the mempool holds every transaction, in another order, and others */
	struct tx extra;
	make_tx(&extra, 40);
	pool.txs[pool.n++] = &extra;
	for (size_t i = 9; i >= 1; i--)
		pool.txs[pool.n++] = &b.txs[i];
	assert_int_equal(cblock_build(&c, &b, 7), 0);
	assert_int_equal(partial_init(&pb, &c, pool_next, &pool), PARTIAL_OK);
	assert_int_equal(pb.missing, 0);
	assert_int_equal(pb.from_pool, 9);
	assert_int_equal(partial_finish(&pb, &got), PARTIAL_OK);
	assert_memory_equal(got.hash, b.hash, 32);
	assert_int_equal(got.n_tx, 10);
	assert_int_equal(got.size, b.size);
	for (size_t i = 0; i < 10; i++)
		assert_memory_equal(got.txs[i].txid, b.txs[i].txid, 32);
	block_release(&got);
	cblock_release(&c);
	tx_release(&extra);
	block_release(&b);
}

static void test_rebuild_some_missing(void **state)
{
	struct block b, got;
	struct cblock c;
	struct partial pb;
	struct cblock_request r;
	struct pool pool = { { 0 }, 0 };
	(void)state;
	make_block(&b, 10);
	for (size_t i = 1; i < 10; i++)
		if (i != 3 && i != 4 && i != 8)
			pool.txs[pool.n++] = &b.txs[i];
	assert_int_equal(cblock_build(&c, &b, 7), 0);
	assert_int_equal(partial_init(&pb, &c, pool_next, &pool), PARTIAL_OK);
	assert_int_equal(pb.missing, 3);
	assert_int_equal(partial_request(&pb, &r), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.idx[0], 3);
	assert_int_equal(r.idx[1], 4);
	assert_int_equal(r.idx[2], 8);
	assert_memory_equal(r.hash, b.hash, 32);
	cblock_request_release(&r);

	/* an answer of the wrong size is refused and changes nothing */
	struct cblock_txns t = { { 0 }, 2, calloc(3, sizeof(struct tx)) };
	memcpy(t.hash, b.hash, 32);
	assert_int_equal(tx_copy(&t.txs[0], &b.txs[3]), 0);
	assert_int_equal(tx_copy(&t.txs[1], &b.txs[4]), 0);
	assert_int_equal(partial_fill(&pb, &t), -1);
	assert_int_equal(pb.missing, 3);
	/* the right one completes the block */
	assert_int_equal(tx_copy(&t.txs[2], &b.txs[8]), 0);
	t.n = 3;
	assert_int_equal(partial_fill(&pb, &t), 0);
	cblock_txns_release(&t);
	assert_int_equal(partial_finish(&pb, &got), PARTIAL_OK);
	assert_memory_equal(got.hash, b.hash, 32);
	assert_memory_equal(got.txs[8].txid, b.txs[8].txid, 32);
	block_release(&got);

	/* a blocktxn carrying a wrong transaction: the merkle root fails, so
	 * the whole block is asked for */
	assert_int_equal(partial_init(&pb, &c, pool_next, &pool), PARTIAL_OK);
	struct cblock_txns w = { { 0 }, 3, calloc(3, sizeof(struct tx)) };
	memcpy(w.hash, b.hash, 32);
	make_tx(&w.txs[0], 33);
	assert_int_equal(tx_copy(&w.txs[1], &b.txs[4]), 0);
	assert_int_equal(tx_copy(&w.txs[2], &b.txs[8]), 0);
	assert_int_equal(partial_fill(&pb, &w), 0);
	assert_int_equal(partial_finish(&pb, &got), PARTIAL_FALLBACK);
	assert_null(got.txs);
	cblock_txns_release(&w);
	cblock_release(&c);
	block_release(&b);
}

static void test_rebuild_collisions(void **state)
{
	struct block b, got;
	struct cblock c;
	struct partial pb;
	struct pool pool = { { 0 }, 0 };
	struct tx stranger;
	struct siphash s;
	uint8_t key[16];
	(void)state;
	make_block(&b, 6);
	for (size_t i = 1; i < 6; i++)
		pool.txs[pool.n++] = &b.txs[i];
	/* two equal short ids in one compact block: the whole block */
	assert_int_equal(cblock_build(&c, &b, 7), 0);
	c.ids[3] = c.ids[1];
	assert_int_equal(partial_init(&pb, &c, pool_next, &pool), PARTIAL_FALLBACK);
	assert_null(pb.txs);
	cblock_release(&c);

	/* a short id the mempool answers with the wrong transaction (what a
	 * 48-bit collision does): rebuilt, but the merkle root does not
	 * match, so the whole block */
	make_tx(&stranger, 50);
	pool.txs[pool.n++] = &stranger;
	assert_int_equal(cblock_build(&c, &b, 7), 0);
	cblock_key(key, &c.header, c.nonce);
	assert_int_equal(siphash_init(&s, key), 0);
	c.ids[2] = cblock_shortid(&s, stranger.txid);
	siphash_release(&s);
	assert_int_equal(partial_init(&pb, &c, pool_next, &pool), PARTIAL_OK);
	assert_int_equal(pb.missing, 0);
	assert_int_equal(partial_finish(&pb, &got), PARTIAL_FALLBACK);
	cblock_release(&c);
	tx_release(&stranger);
	block_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_shortid_key),
		cmocka_unit_test(test_cblock_round_trip),
		cmocka_unit_test(test_cblock_refusals),
		cmocka_unit_test(test_request_and_txns),
		cmocka_unit_test(test_rebuild_all_in_pool),
		cmocka_unit_test(test_rebuild_some_missing),
		cmocka_unit_test(test_rebuild_collisions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
