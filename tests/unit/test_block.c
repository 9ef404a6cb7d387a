/* Blocks: the 88-byte header at its documented offsets, the round trip of a
 * whole block, the merkle root block_finalize computes, and the refusals of
 * block_parse (truncation anywhere, trailing bytes, size and count limits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/block.h"
#include "chain/hash.h"
#include "chain/merkle.h"

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 97 + i * 13 + 5);
}

static void sample_header(struct block_header *h)
{
	h->version = 0x04030201;
	fill(h->prev, 32, 1);
	fill(h->merkle, 32, 2);
	fill(h->history, 32, 3);
	fill(h->assets, 32, 4);
	h->time = 0x1211100f0e0d0c0bULL;
	h->bits = 0x1f00ffff;
	h->nonce = 0xf8f7f6f5f4f3f2f1ULL;
}

static void assert_header_equal(const struct block_header *a, const struct block_header *b)
{
	assert_int_equal(a->version, b->version);
	assert_memory_equal(a->prev, b->prev, 32);
	assert_memory_equal(a->merkle, b->merkle, 32);
	assert_memory_equal(a->history, b->history, 32);
	assert_memory_equal(a->assets, b->assets, 32);
	assert_true(a->time == b->time);
	assert_int_equal(a->bits, b->bits);
	assert_true(a->nonce == b->nonce);
}

/* Transaction k of a test block: the first is a coinbase at height 7, the
 * others spend made-up outputs and pay a coin and an asset. */
static void make_tx(struct tx *tx, size_t k)
{
	size_t n_in = k == 0 ? 1 : 1 + k % 3;
	assert_int_equal(tx_resize(tx, n_in, k == 0 ? 1 : 2), 0);
	if (k == 0) {
		tx->in[0].prev.index = 7;
	} else {
		for (size_t i = 0; i < n_in; i++) {
			fill(tx->in[i].prev.txid, 32, (unsigned)(k * 10 + i));
			tx->in[i].prev.index = (uint32_t)i;
			fill(tx->in[i].pubkey, 32, (unsigned)(k * 20 + i));
			fill(tx->in[i].sig, 64, (unsigned)(k * 30 + i));
		}
		tx->out[1].kind = TXOUT_ASSET;
		fill(tx->out[1].asset, 32, (unsigned)k);
		assert_int_equal(txout_set_meta(&tx->out[1], (const uint8_t *)"deed", 4), 0);
	}
	for (size_t i = 0; i < tx->n_out; i++) {
		tx->out[i].value = (int64_t)(k + 1) * 1000 + (int64_t)i;
		fill(tx->out[i].addr, 20, (unsigned)(k + 40 + i));
	}
	tx->lock_time = (uint32_t)k;
	tx_finalize(tx);
}

static void make_block(struct block *b, size_t n_tx)
{
	block_init(b);
	assert_int_equal(block_resize(b, n_tx), 0);
	for (size_t k = 0; k < n_tx; k++)
		make_tx(&b->txs[k], k);
	sample_header(&b->header);
	block_finalize(b);
}

static uint8_t *serialize(const struct block *b, size_t *len)
{
	struct buf out = BUF_INIT;
	block_write(&out, b);
	assert_true(buf_ok(&out));
	return buf_take(&out, len);
}

static void assert_released(const struct block *b)
{
	assert_int_equal(b->n_tx, 0);
	assert_null(b->txs);
}

static void expect_refused(const uint8_t *p, size_t len, const char *reason)
{
	struct block b;
	char err[ERR_LEN] = "";
	assert_int_equal(block_parse(&b, p, len, err), -1);
	assert_released(&b);
	if (!strstr(err, reason))
		fail_msg("error '%s' does not say '%s'", err, reason);
}

static void test_header_layout(void **state)
{
	(void)state;
	struct block_header h, back;
	sample_header(&h);
	uint8_t raw[BLOCK_HEADER_SIZE];
	header_write(raw, &h);

	static const uint8_t version[4] = { 0x01, 0x02, 0x03, 0x04 };
	static const uint8_t time[8] = { 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12 };
	static const uint8_t bits[4] = { 0xff, 0xff, 0x00, 0x1f };
	static const uint8_t nonce[8] = { 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8 };
	assert_memory_equal(raw + 0, version, 4);
	assert_memory_equal(raw + 4, h.prev, 32);
	assert_memory_equal(raw + 36, h.merkle, 32);
	assert_memory_equal(raw + 68, h.history, 32);
	assert_memory_equal(raw + 100, h.assets, 32);
	assert_memory_equal(raw + 132, time, 8);
	assert_memory_equal(raw + 140, bits, 4);
	assert_memory_equal(raw + 144, nonce, 8);

	struct cursor c = cursor_make(raw, sizeof(raw));
	assert_true(header_read(&c, &back));
	assert_true(cursor_done(&c));
	assert_header_equal(&h, &back);

	uint8_t want[32], got[32];
	hash_sha256d(want, raw, sizeof(raw));
	header_hash(got, &h);
	assert_memory_equal(got, want, 32);
}

/* One byte short: refused, the header zeroed, the cursor where it was. */
static void test_header_short(void **state)
{
	(void)state;
	struct block_header h;
	sample_header(&h);
	uint8_t raw[BLOCK_HEADER_SIZE];
	header_write(raw, &h);
	for (size_t n = 0; n < BLOCK_HEADER_SIZE; n++) {
		struct block_header back;
		sample_header(&back);
		struct cursor c = cursor_make(raw, n);
		assert_false(header_read(&c, &back));
		assert_ptr_equal(c.p, raw);
		assert_int_equal(c.len, n);
		struct block_header zero;
		memset(&zero, 0, sizeof(zero));
		assert_header_equal(&back, &zero);
	}
}

static void test_block_roundtrip(void **state)
{
	(void)state;
	struct block b, back;
	make_block(&b, 5);
	size_t len;
	uint8_t *raw = serialize(&b, &len);
	assert_int_equal(len, b.size);

	char err[ERR_LEN] = "";
	assert_int_equal(block_parse(&back, raw, len, err), 0);
	assert_header_equal(&b.header, &back.header);
	assert_memory_equal(back.hash, b.hash, 32);
	assert_int_equal(back.size, len);
	assert_int_equal(back.n_tx, 5);
	for (size_t i = 0; i < back.n_tx; i++) {
		assert_memory_equal(back.txs[i].txid, b.txs[i].txid, 32);
		assert_int_equal(back.txs[i].size, b.txs[i].size);
		assert_int_equal(back.txs[i].n_in, b.txs[i].n_in);
	}
	assert_true(tx_is_coinbase(&back.txs[0]));
	assert_int_equal(back.txs[0].in[0].prev.index, 7);
	assert_memory_equal(back.txs[3].out[1].meta, "deed", 4);

	uint8_t want[32];
	header_hash(want, &back.header);
	assert_memory_equal(back.hash, want, 32);

	size_t len2;
	uint8_t *raw2 = serialize(&back, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(raw2, raw, len);
	free(raw2);
	free(raw);
	block_release(&back);
	block_release(&b);
	block_release(&b); /* safe twice */
}

/* block_finalize's root is merkle_root over the txids, which for three
 * transactions is node(node(leaf 0, leaf 1), leaf 2) (RFC 6962: no
 * duplication of the odd one). */
static void test_finalize_merkle(void **state)
{
	(void)state;
	struct block b;
	make_block(&b, 3);
	uint8_t ids[3][32];
	for (size_t i = 0; i < 3; i++)
		memcpy(ids[i], b.txs[i].txid, 32);
	uint8_t root[32];
	merkle_root(root, (const uint8_t(*)[32])ids, 3);
	assert_memory_equal(b.header.merkle, root, 32);

	uint8_t l0[32], l1[32], l2[32], n01[32], top[32];
	merkle_leaf_hash(l0, ids[0], 32);
	merkle_leaf_hash(l1, ids[1], 32);
	merkle_leaf_hash(l2, ids[2], 32);
	merkle_node_hash(n01, l0, l1);
	merkle_node_hash(top, n01, l2);
	assert_memory_equal(b.header.merkle, top, 32);

	block_merkle_root(root, &b);
	assert_memory_equal(root, top, 32);

	/* the hash covers the root: changing a transaction changes the block */
	uint8_t before[32];
	memcpy(before, b.hash, 32);
	b.txs[2].lock_time++;
	tx_finalize(&b.txs[2]);
	block_finalize(&b);
	assert_memory_not_equal(b.header.merkle, top, 32);
	assert_memory_not_equal(b.hash, before, 32);
	block_release(&b);

	/* one transaction: the root is its leaf hash */
	make_block(&b, 1);
	merkle_leaf_hash(l0, b.txs[0].txid, 32);
	assert_memory_equal(b.header.merkle, l0, 32);
	block_release(&b);
}

static void test_every_prefix_refused(void **state)
{
	(void)state;
	struct block b;
	make_block(&b, 3);
	size_t len;
	uint8_t *raw = serialize(&b, &len);
	for (size_t n = 0; n < len; n++) {
		uint8_t *p = malloc(n ? n : 1);
		assert_non_null(p);
		memcpy(p, raw, n);
		struct block out;
		char err[ERR_LEN] = "";
		assert_int_equal(block_parse(&out, p, n, err), -1);
		assert_released(&out);
		assert_true(strlen(err) > 0);
		free(p);
	}
	free(raw);
	block_release(&b);
}

static void test_trailing_bytes(void **state)
{
	(void)state;
	struct block b;
	make_block(&b, 2);
	struct buf out = BUF_INIT;
	block_write(&out, &b);
	buf_u8(&out, 0);
	expect_refused(out.data, out.len, "1 trailing bytes after block");
	buf_release(&out);
	block_release(&b);
}

/* A header and a count only. */
static void head(struct buf *out, uint64_t n_tx)
{
	struct block_header h;
	sample_header(&h);
	uint8_t raw[BLOCK_HEADER_SIZE];
	header_write(raw, &h);
	buf_put(out, raw, sizeof(raw));
	buf_varint(out, n_tx);
}

static void test_bad_counts(void **state)
{
	(void)state;
	struct tx tx;
	tx_init(&tx);
	make_tx(&tx, 1);
	struct buf out = BUF_INIT;

	/* far more transactions claimed than the bytes could hold */
	head(&out, 1000);
	tx_write(&out, &tx);
	expect_refused(out.data, out.len, "bad transaction count");

	/* over the cap, and a count that does not fit in 64 bits of bytes */
	buf_reset(&out);
	head(&out, BLOCK_MAX_TXS + 1);
	expect_refused(out.data, out.len, "bad transaction count");
	buf_reset(&out);
	head(&out, UINT64_MAX);
	expect_refused(out.data, out.len, "bad transaction count");

	/* one more than present */
	buf_reset(&out);
	head(&out, 2);
	tx_write(&out, &tx);
	expect_refused(out.data, out.len, "transaction 1: truncated");

	/* a malformed transaction is named by its position */
	buf_reset(&out);
	head(&out, 2);
	tx_write(&out, &tx);
	tx_write(&out, &tx);
	out.data[out.len - 4 - 1 - 4 - 32 - 1] = 9; /* second tx, second output's kind */
	expect_refused(out.data, out.len, "transaction 1: unknown output kind 9");

	/* no count at all */
	buf_reset(&out);
	head(&out, 0);
	expect_refused(out.data, out.len - 1, "bad transaction count");

	buf_release(&out);
	tx_release(&tx);
}

/* Size a block at exactly `want` bytes: a coinbase, then transactions of
 * up to 200 asset outputs carrying 256 bytes of metadata (320 bytes each),
 * and a last output whose metadata length makes up the difference. */
static size_t add_output(struct tx *tx, size_t meta_len)
{
	static const uint8_t meta[TX_META_MAX];
	assert_int_equal(tx_resize(tx, tx->n_in, tx->n_out + 1), 0);
	struct txout *o = &tx->out[tx->n_out - 1];
	o->kind = TXOUT_ASSET;
	assert_int_equal(txout_set_meta(o, meta, meta_len), 0);
	return 29 + 32 + buf_varint_size(meta_len) + meta_len;
}

/* The size one asset output with metadata length m adds, for m in 0..256:
 * every value of 62..314 and 317..320. */
static bool one_output_fits(size_t gap, size_t *meta_len)
{
	for (size_t m = 0; m <= TX_META_MAX; m++)
		if (29 + 32 + buf_varint_size(m) + m == gap) {
			*meta_len = m;
			return true;
		}
	return false;
}

static void block_of_size(struct block *b, size_t want)
{
	make_block(b, 1);
	size_t size = b->size;
	while (size < want) {
		assert_int_equal(block_resize(b, b->n_tx + 1), 0);
		size += buf_varint_size(b->n_tx) - buf_varint_size(b->n_tx - 1);
		struct tx *tx = &b->txs[b->n_tx - 1];
		assert_int_equal(tx_resize(tx, 1, 0), 0);
		fill(tx->in[0].prev.txid, 32, (unsigned)b->n_tx);
		size += 4 + 1 + TX_INPUT_SIZE + 1 + 4;
		assert_true(size < want);
		/* whole 320-byte outputs while more than two outputs' worth is left */
		while (tx->n_out < 200 && want - size > 640)
			size += add_output(tx, TX_META_MAX);
		if (want - size <= 640) {
			size_t m1, m2 = 0, gap = want - size;
			if (one_output_fits(gap, &m1)) {
				size += add_output(tx, m1);
			} else {
				for (m1 = 0; m1 <= TX_META_MAX; m1++)
					if (one_output_fits(gap - (29 + 32 + buf_varint_size(m1) + m1), &m2))
						break;
				assert_true(m1 <= TX_META_MAX);
				size += add_output(tx, m1);
				size += add_output(tx, m2);
			}
		}
		tx_finalize(tx);
	}
	block_finalize(b);
	assert_int_equal(b->size, want);
}

static void test_max_size(void **state)
{
	(void)state;
	struct block b, back;
	block_of_size(&b, BLOCK_MAX_SIZE);
	size_t len;
	uint8_t *raw = serialize(&b, &len);
	assert_int_equal(len, BLOCK_MAX_SIZE);
	char err[ERR_LEN] = "";
	assert_int_equal(block_parse(&back, raw, len, err), 0);
	assert_int_equal(back.n_tx, b.n_tx);
	assert_memory_equal(back.hash, b.hash, 32);
	block_release(&back);

	/* one byte more, even a trailing one, is refused for its size */
	uint8_t *big = realloc(raw, len + 1);
	assert_non_null(big);
	big[len] = 0;
	expect_refused(big, len + 1, "block of 2000001 bytes is over 2000000");
	free(big);
	block_release(&b);
}

static void test_empty_and_resize(void **state)
{
	(void)state;
	struct block b;
	block_init(&b);
	assert_int_equal(block_resize(&b, BLOCK_MAX_TXS + 1), -1);
	assert_int_equal(block_resize(&b, 3), 0);
	assert_int_equal(tx_resize(&b.txs[2], 1, 1), 0);
	assert_int_equal(block_resize(&b, 1), 0); /* drops (and frees) two */
	assert_int_equal(b.n_tx, 1);
	assert_int_equal(block_resize(&b, 2), 0);
	assert_int_equal(b.txs[1].n_in, 0); /* regrown entries start empty */
	block_release(&b);

	/* a block without transactions parses; validation refuses it later */
	struct buf out = BUF_INIT;
	head(&out, 0);
	assert_int_equal(block_parse(&b, out.data, out.len, NULL), 0);
	assert_int_equal(b.n_tx, 0);
	assert_int_equal(b.size, BLOCK_HEADER_SIZE + 1);
	block_release(&b);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_layout),
		cmocka_unit_test(test_header_short),
		cmocka_unit_test(test_block_roundtrip),
		cmocka_unit_test(test_finalize_merkle),
		cmocka_unit_test(test_every_prefix_refused),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_bad_counts),
		cmocka_unit_test(test_max_size),
		cmocka_unit_test(test_empty_and_resize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
