/* Transactions: the round trip through bytes, the deep copy, every way a
 * serialization can be malformed (each refused with its reason), the txid and
 * what the signature message commits to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/hash.h"
#include "chain/params.h"
#include "chain/tx.h"
#include "util/hex.h"

/* Deterministic filler so that every field of every input and output
 * differs from the others. */
static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + 1);
}

/* Output i is a coin when i % 3 == 0, else an asset; the assets' metadata
 * lengths cycle through 0, 1, 255 and 256 bytes (outputs 1, 2, 4, 5). */
static void make_tx(struct tx *tx, size_t n_in, size_t n_out)
{
	static const size_t meta_lens[] = { 0, 1, 255, 256 };
	tx_init(tx);
	assert_int_equal(tx_resize(tx, n_in, n_out), 0);
	tx->version = 0x01020304;
	tx->lock_time = 0xa0b0c0d0;
	for (size_t i = 0; i < n_in; i++) {
		fill(tx->in[i].prev.txid, 32, (unsigned)i);
		tx->in[i].prev.index = (uint32_t)(i * 1000003);
		fill(tx->in[i].pubkey, 32, (unsigned)i + 500);
		fill(tx->in[i].sig, 64, (unsigned)i + 900);
	}
	for (size_t i = 0; i < n_out; i++) {
		struct txout *o = &tx->out[i];
		o->value = (int64_t)(i + 1) * 12345678901LL;
		fill(o->addr, 20, (unsigned)i + 1300);
		if (i % 3 == 0)
			continue;
		o->kind = TXOUT_ASSET;
		fill(o->asset, 32, (unsigned)i + 1700);
		uint8_t meta[TX_META_MAX];
		size_t len = meta_lens[(i - i / 3 - 1) % 4];
		fill(meta, len, (unsigned)i + 2100);
		assert_int_equal(txout_set_meta(o, meta, len), 0);
	}
	tx_finalize(tx);
}

/* Returns the malloc'd serialization of tx. */
static uint8_t *serialize(const struct tx *tx, size_t *len)
{
	struct buf b = BUF_INIT;
	tx_write(&b, tx);
	assert_true(buf_ok(&b));
	return buf_take(&b, len);
}

static void assert_tx_equal(const struct tx *a, const struct tx *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->lock_time, b->lock_time);
	assert_int_equal(a->n_in, b->n_in);
	assert_int_equal(a->n_out, b->n_out);
	for (size_t i = 0; i < a->n_in; i++) {
		assert_memory_equal(a->in[i].prev.txid, b->in[i].prev.txid, 32);
		assert_int_equal(a->in[i].prev.index, b->in[i].prev.index);
		assert_memory_equal(a->in[i].pubkey, b->in[i].pubkey, 32);
		assert_memory_equal(a->in[i].sig, b->in[i].sig, 64);
	}
	for (size_t i = 0; i < a->n_out; i++) {
		const struct txout *x = &a->out[i], *y = &b->out[i];
		assert_true(x->value == y->value);
		assert_memory_equal(x->addr, y->addr, 20);
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(x->meta_len, y->meta_len);
		if (x->kind == TXOUT_ASSET)
			assert_memory_equal(x->asset, y->asset, 32);
		if (x->meta_len)
			assert_memory_equal(x->meta, y->meta, x->meta_len);
		else
			assert_null(y->meta);
	}
	assert_memory_equal(a->txid, b->txid, 32);
	assert_int_equal(a->size, b->size);
}

/* A failed parse leaves the transaction released: nothing to free, nothing
 * stale to read. */
static void assert_released(const struct tx *tx)
{
	assert_int_equal(tx->n_in, 0);
	assert_int_equal(tx->n_out, 0);
	assert_null(tx->in);
	assert_null(tx->out);
}

static void expect_refused(const uint8_t *p, size_t len, const char *reason)
{
	struct tx tx;
	char err[ERR_LEN] = "";
	assert_int_equal(tx_parse(&tx, p, len, err), -1);
	assert_released(&tx);
	if (!strstr(err, reason))
		fail_msg("error '%s' does not say '%s'", err, reason);
}

static void roundtrip(size_t n_in, size_t n_out)
{
	struct tx tx, back;
	make_tx(&tx, n_in, n_out);
	size_t len;
	uint8_t *raw = serialize(&tx, &len);
	assert_int_equal(len, tx_serialized_size(&tx));
	assert_int_equal(len, tx.size);

	char err[ERR_LEN] = "";
	assert_int_equal(tx_parse(&back, raw, len, err), 0);
	assert_tx_equal(&tx, &back);

	size_t len2;
	uint8_t *raw2 = serialize(&back, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(raw2, raw, len);

	free(raw2);
	free(raw);
	tx_release(&back);
	tx_release(&tx);
}

static void test_roundtrip_shapes(void **state)
{
	(void)state;
	roundtrip(1, 1); /* one coin output */
	roundtrip(1, 3); /* a coin and assets with 0 and 1 bytes of metadata */
	roundtrip(3, 6); /* ... and with 255 and 256 bytes */
	roundtrip(0, 0); /* parses; context-free checks refuse it later */
	roundtrip(260, 300); /* counts past 0xfc take three varint bytes */
}

/* Metadata of exactly 0 and exactly TX_META_MAX bytes on an asset output. */
static void test_roundtrip_meta_bounds(void **state)
{
	(void)state;
	for (size_t len = 0; len <= TX_META_MAX; len += TX_META_MAX) {
		struct tx tx, back;
		make_tx(&tx, 1, 1);
		uint8_t meta[TX_META_MAX];
		fill(meta, len, 77);
		tx.out[0].kind = TXOUT_ASSET;
		assert_int_equal(txout_set_meta(&tx.out[0], meta, len), 0);
		tx_finalize(&tx);
		assert_int_equal(tx.size, 4 + 1 + 132 + 1 + 29 + 32 + (len ? 3 : 1) + len + 4);

		size_t n;
		uint8_t *raw = serialize(&tx, &n);
		assert_int_equal(tx_parse(&back, raw, n, NULL), 0);
		assert_tx_equal(&tx, &back);
		assert_int_equal(back.out[0].meta_len, len);
		free(raw);
		tx_release(&back);
		tx_release(&tx);
	}
}

/* tx_read stops exactly at the end of one transaction. */
static void test_read_leaves_rest(void **state)
{
	(void)state;
	struct tx tx, a, b;
	make_tx(&tx, 2, 3);
	struct buf out = BUF_INIT;
	tx_write(&out, &tx);
	tx_write(&out, &tx);
	buf_u8(&out, 0x99);
	struct cursor c = cursor_make(out.data, out.len);
	assert_int_equal(tx_read(&c, &a, NULL), 0);
	assert_int_equal(c.len, tx.size + 1);
	assert_int_equal(tx_read(&c, &b, NULL), 0);
	assert_int_equal(c.len, 1);
	assert_tx_equal(&tx, &a);
	assert_tx_equal(&tx, &b);
	tx_release(&a);
	tx_release(&b);
	tx_release(&tx);
	buf_release(&out);
}

static void test_copy_is_deep(void **state)
{
	(void)state;
	struct tx tx, copy;
	make_tx(&tx, 3, 4);
	assert_int_equal(tx_copy(&copy, &tx), 0);
	assert_tx_equal(&tx, &copy);
	assert_ptr_not_equal(copy.in, tx.in);
	assert_ptr_not_equal(copy.out, tx.out);
	for (size_t i = 0; i < tx.n_out; i++)
		if (tx.out[i].meta_len)
			assert_ptr_not_equal(copy.out[i].meta, tx.out[i].meta);

	/* changing or freeing the original leaves the copy whole */
	uint8_t before[32];
	memcpy(before, copy.txid, 32);
	tx.out[2].meta[0] ^= 1;
	tx.in[0].pubkey[0] ^= 1;
	tx_release(&tx);
	tx_finalize(&copy);
	assert_memory_equal(copy.txid, before, 32);
	tx_release(&copy);
	tx_release(&copy); /* safe twice */
}

/* A freshly initialised transaction has NULL lists: copying it must not hand
 * NULL to memcpy (undefined even for zero bytes; UBSan stops here). */
static void test_copy_empty(void **state)
{
	(void)state;
	struct tx empty, copy;
	tx_init(&empty);
	assert_int_equal(tx_copy(&copy, &empty), 0);
	assert_int_equal(copy.n_in, 0);
	assert_int_equal(copy.n_out, 0);
	assert_int_equal(copy.version, empty.version);
	tx_release(&copy);
}

static void test_txid_is_sha256d(void **state)
{
	(void)state;
	struct tx tx, back;
	make_tx(&tx, 2, 2);
	size_t len;
	uint8_t *raw = serialize(&tx, &len);
	uint8_t want[32];
	hash_sha256d(want, raw, len);
	assert_memory_equal(tx.txid, want, 32);
	assert_int_equal(tx_parse(&back, raw, len, NULL), 0);
	assert_memory_equal(back.txid, want, 32);

	/* a signature is part of the txid (unlike the signature message) */
	tx.in[1].sig[63] ^= 1;
	tx_finalize(&tx);
	assert_memory_not_equal(tx.txid, want, 32);
	free(raw);
	tx_release(&back);
	tx_release(&tx);
}

/* Every proper prefix of a valid serialization is refused cleanly (ASan
 * watches the reads; the parse leaves nothing behind). */
static void test_every_prefix_refused(void **state)
{
	(void)state;
	struct tx tx;
	make_tx(&tx, 2, 6); /* coins and assets with 0, 1, 255 and 256 bytes of metadata */
	assert_int_equal(tx.out[4].meta_len, 255);
	assert_int_equal(tx.out[5].meta_len, TX_META_MAX);
	size_t len;
	uint8_t *raw = serialize(&tx, &len);
	for (size_t n = 0; n < len; n++) {
		/* a copy of exactly n bytes, so that ASan sees any overread */
		uint8_t *p = malloc(n ? n : 1);
		assert_non_null(p);
		memcpy(p, raw, n);
		struct tx out;
		char err[ERR_LEN] = "";
		assert_int_equal(tx_parse(&out, p, n, err), -1);
		assert_released(&out);
		assert_true(strlen(err) > 0);

		struct cursor c = cursor_make(p, n);
		assert_int_equal(tx_read(&c, &out, NULL), -1);
		assert_released(&out);
		free(p);
	}
	free(raw);
	tx_release(&tx);
}

static void test_trailing_bytes(void **state)
{
	(void)state;
	struct tx tx;
	make_tx(&tx, 1, 1);
	struct buf b = BUF_INIT;
	tx_write(&b, &tx);
	buf_u8(&b, 0);
	expect_refused(b.data, b.len, "1 trailing bytes after transaction");
	buf_put(&b, "abc", 3);
	expect_refused(b.data, b.len, "4 trailing bytes after transaction");
	buf_release(&b);
	tx_release(&tx);
}

/* A count that the remaining bytes cannot hold is refused before anything
 * is allocated for it. */
static void test_oversize_counts(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	/* one input claimed, 131 bytes follow */
	buf_u32(&b, 1);
	buf_varint(&b, 1);
	for (int i = 0; i < 131; i++)
		buf_u8(&b, 0);
	expect_refused(b.data, b.len, "bad input count");

	/* a huge count in a tiny message */
	buf_reset(&b);
	buf_u32(&b, 1);
	buf_varint(&b, 0xffffffffULL);
	buf_u32(&b, 0);
	expect_refused(b.data, b.len, "bad input count");

	/* just under the cap still needs the bytes */
	buf_reset(&b);
	buf_u32(&b, 1);
	buf_varint(&b, TX_MAX_INPUTS);
	expect_refused(b.data, b.len, "bad input count");

	/* non-canonical count */
	static const uint8_t noncanon[] = { 1, 0, 0, 0, 0xfd, 0x01, 0x00, 0, 0, 0, 0, 0 };
	expect_refused(noncanon, sizeof(noncanon), "bad input count");

	/* zero inputs, then two outputs claimed and one present */
	buf_reset(&b);
	buf_u32(&b, 1);
	buf_varint(&b, 0);
	buf_varint(&b, 2);
	for (int i = 0; i < 29 + 4; i++)
		buf_u8(&b, 0);
	expect_refused(b.data, b.len, "bad output count");

	buf_reset(&b);
	buf_u32(&b, 1);
	buf_varint(&b, 0);
	buf_varint(&b, UINT64_MAX);
	expect_refused(b.data, b.len, "bad output count");
	buf_release(&b);
}

/* Finds the offset of the first output's kind byte in a serialization of a
 * transaction with one input. */
static size_t kind_offset(void)
{
	return 4 + 1 + TX_INPUT_SIZE + 1 + 8 + 20;
}

static void test_meta_over_cap(void **state)
{
	(void)state;
	struct tx tx;
	make_tx(&tx, 1, 1);
	tx.out[0].kind = TXOUT_ASSET;
	uint8_t meta[TX_META_MAX];
	fill(meta, sizeof(meta), 5);
	assert_int_equal(txout_set_meta(&tx.out[0], meta, TX_META_MAX), 0);
	struct buf b = BUF_INIT;
	tx_write(&b, &tx);
	assert_true(buf_ok(&b));

	/* rewrite the metadata length (fd 00 01 = 256) as 257 and add a byte */
	size_t at = kind_offset() + 1 + 32;
	assert_int_equal(b.data[at], 0xfd);
	assert_int_equal(b.data[at + 1], 0x00);
	assert_int_equal(b.data[at + 2], 0x01);
	struct buf c = BUF_INIT;
	buf_put(&c, b.data, at);
	buf_varint(&c, TX_META_MAX + 1);
	buf_put(&c, meta, TX_META_MAX);
	buf_u8(&c, 0xee);
	buf_u32(&c, tx.lock_time);
	expect_refused(c.data, c.len, "asset metadata truncated or over 256 bytes");

	/* the writer's side of the cap */
	struct txout o;
	memset(&o, 0, sizeof(o));
	uint8_t big[TX_META_MAX + 1] = { 0 };
	assert_int_equal(txout_set_meta(&o, big, sizeof(big)), -1);
	assert_null(o.meta);
	assert_int_equal(o.meta_len, 0);

	buf_release(&c);
	buf_release(&b);
	tx_release(&tx);
}

static void test_unknown_kind(void **state)
{
	(void)state;
	struct tx tx;
	make_tx(&tx, 1, 1);
	size_t len;
	uint8_t *raw = serialize(&tx, &len);
	assert_int_equal(raw[kind_offset()], TXOUT_COIN);
	raw[kind_offset()] = 2;
	expect_refused(raw, len, "unknown output kind 2");
	raw[kind_offset()] = 0xff;
	expect_refused(raw, len, "unknown output kind 255");
	free(raw);
	tx_release(&tx);
}

static void test_resize_caps(void **state)
{
	(void)state;
	struct tx tx;
	tx_init(&tx);
	assert_int_equal(tx_resize(&tx, TX_MAX_INPUTS + 1, 0), -1);
	assert_int_equal(tx_resize(&tx, 0, TX_MAX_OUTPUTS + 1), -1);
	assert_int_equal(tx_resize(&tx, 2, 3), 0);
	assert_int_equal(txout_set_meta(&tx.out[2], (const uint8_t *)"abc", 3), 0);
	/* shrinking frees the dropped outputs' metadata (ASan checks) */
	assert_int_equal(tx_resize(&tx, 1, 1), 0);
	assert_int_equal(tx_resize(&tx, 1, 3), 0);
	assert_null(tx.out[2].meta); /* regrown entries start zeroed */
	assert_int_equal(tx.out[2].meta_len, 0);
	tx_release(&tx);
}

/* The signature message must change with every field a signature commits
 * to. */
static void test_sighash_commits_to_everything(void **state)
{
	(void)state;
	const uint8_t *magic = params_get(NET_MAIN)->magic;
	struct tx base;
	make_tx(&base, 2, 3);
	uint8_t h0[32];
	tx_sighash(h0, &base, magic);

	for (int field = 0; field < 17; field++) {
		struct tx t;
		assert_int_equal(tx_copy(&t, &base), 0);
		size_t i = (size_t)field % 2;
		switch (field) {
		case 0: t.version ^= 1; break;
		case 1: t.lock_time ^= 0x80000000u; break;
		case 2: case 3: t.in[i].prev.txid[31] ^= 1; break;
		case 4: case 5: t.in[i].prev.index ^= 1; break;
		case 6: case 7: t.in[i].pubkey[0] ^= 1; break;
		case 8: case 9: t.out[i + 1].value += 1; break;
		case 10: case 11: t.out[i + 1].addr[19] ^= 1; break;
		case 12: t.out[0].kind = TXOUT_ASSET; break;
		case 13: t.out[1].kind = TXOUT_COIN; break;
		case 14: case 15: t.out[i + 1].asset[5] ^= 1; break;
		case 16: t.out[2].meta[t.out[2].meta_len - 1] ^= 1; break;
		}
		uint8_t h[32];
		tx_sighash(h, &t, magic);
		if (memcmp(h, h0, 32) == 0)
			fail_msg("sighash ignores field case %d", field);
		tx_release(&t);
	}

	/* metadata length alone (same leading bytes, one fewer) */
	struct tx t;
	assert_int_equal(tx_copy(&t, &base), 0);
	assert_int_equal(txout_set_meta(&t.out[2], base.out[2].meta, base.out[2].meta_len - 1u), 0);
	uint8_t h[32];
	tx_sighash(h, &t, magic);
	assert_memory_not_equal(h, h0, 32);

	/* ... but not the signatures, which cannot sign themselves */
	tx_release(&t);
	assert_int_equal(tx_copy(&t, &base), 0);
	t.in[0].sig[0] ^= 1;
	memset(t.in[1].sig, 0, 64);
	tx_sighash(h, &t, magic);
	assert_memory_equal(h, h0, 32);

	/* and it equals SHA-256d(magic ‖ tx with signatures zeroed) */
	for (size_t k = 0; k < t.n_in; k++)
		memset(t.in[k].sig, 0, 64);
	struct buf b = BUF_INIT;
	buf_put(&b, magic, 4);
	tx_write(&b, &t);
	uint8_t want[32];
	hash_sha256d(want, b.data, b.len);
	assert_memory_equal(h0, want, 32);
	buf_release(&b);
	tx_release(&t);

	/* a signature for one network is no good on the other */
	const uint8_t *rmagic = params_get(NET_REGTEST)->magic;
	assert_memory_not_equal(magic, rmagic, 4);
	tx_sighash(h, &base, rmagic);
	assert_memory_not_equal(h, h0, 32);
	tx_release(&base);
}

static void test_coinbase(void **state)
{
	(void)state;
	struct tx tx;
	tx_init(&tx);
	assert_false(tx_is_coinbase(&tx)); /* no inputs */
	assert_int_equal(tx_resize(&tx, 1, 1), 0);
	assert_true(tx_is_coinbase(&tx));
	tx.in[0].prev.index = 123456; /* the height rides in the index */
	assert_true(tx_is_coinbase(&tx));
	assert_true(outpoint_is_null(&tx.in[0].prev));
	tx.in[0].prev.txid[31] = 1;
	assert_false(outpoint_is_null(&tx.in[0].prev));
	assert_false(tx_is_coinbase(&tx));
	tx.in[0].prev.txid[31] = 0;
	assert_int_equal(tx_resize(&tx, 2, 1), 0);
	assert_false(tx_is_coinbase(&tx)); /* two inputs */
	tx_release(&tx);

	struct block g;
	assert_int_equal(params_genesis(params_get(NET_REGTEST), &g), 0);
	assert_true(tx_is_coinbase(&g.txs[0]));
	block_release(&g);
}

static void test_outpoint_write(void **state)
{
	(void)state;
	struct outpoint op;
	fill(op.txid, 32, 3);
	op.index = 0x11223344;
	uint8_t out[36];
	outpoint_write(out, &op);
	assert_memory_equal(out, op.txid, 32);
	assert_int_equal(out[32], 0x44);
	assert_int_equal(out[33], 0x33);
	assert_int_equal(out[34], 0x22);
	assert_int_equal(out[35], 0x11);
}

static void test_money_range(void **state)
{
	(void)state;
	assert_true(money_range(0));
	assert_true(money_range(MAX_MONEY));
	assert_false(money_range(MAX_MONEY + 1));
	assert_false(money_range(-1));
	assert_false(money_range(INT64_MIN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_shapes),
		cmocka_unit_test(test_roundtrip_meta_bounds),
		cmocka_unit_test(test_read_leaves_rest),
		cmocka_unit_test(test_copy_is_deep),
		cmocka_unit_test(test_copy_empty),
		cmocka_unit_test(test_txid_is_sha256d),
		cmocka_unit_test(test_every_prefix_refused),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_oversize_counts),
		cmocka_unit_test(test_meta_over_cap),
		cmocka_unit_test(test_unknown_kind),
		cmocka_unit_test(test_resize_caps),
		cmocka_unit_test(test_sighash_commits_to_everything),
		cmocka_unit_test(test_coinbase),
		cmocka_unit_test(test_outpoint_write),
		cmocka_unit_test(test_money_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
