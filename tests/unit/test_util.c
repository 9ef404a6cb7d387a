/* The byte layer: the bounds-checked cursor, the growable buffer and hex.
 * Every deserializer in the node rests on these, so each read is checked at
 * its exact end, one byte short, and (for varints) at every encoding
 * boundary, canonical and not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/cursor.h"
#include "util/hex.h"

static const uint8_t seq[9] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09 };

/* A cursor over the first n bytes of seq. */
static struct cursor over(size_t n)
{
	return cursor_make(seq, n);
}

static void test_cursor_widths_exact(void **state)
{
	(void)state;
	struct cursor c = over(1);
	uint8_t u8;
	assert_true(cursor_u8(&c, &u8));
	assert_int_equal(u8, 0x01);
	assert_true(cursor_done(&c));

	c = over(2);
	uint16_t u16;
	assert_true(cursor_u16(&c, &u16));
	assert_int_equal(u16, 0x0201);
	assert_true(cursor_done(&c));

	c = over(4);
	uint32_t u32;
	assert_true(cursor_u32(&c, &u32));
	assert_int_equal(u32, 0x04030201u);
	assert_true(cursor_done(&c));

	c = over(8);
	uint64_t u64;
	assert_true(cursor_u64(&c, &u64));
	assert_true(u64 == 0x0807060504030201ULL);
	assert_true(cursor_done(&c));

	static const uint8_t neg[8] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	c = cursor_make(neg, 8);
	int64_t i64;
	assert_true(cursor_i64(&c, &i64));
	assert_true(i64 == -2);
	assert_true(cursor_done(&c));
}

/* One byte short: false, output zeroed (even when it held something), the
 * cursor where it was. */
static void test_cursor_widths_short(void **state)
{
	(void)state;
	struct cursor c = over(0);
	uint8_t u8 = 0xaa;
	assert_false(cursor_u8(&c, &u8));
	assert_int_equal(u8, 0);
	assert_int_equal(c.len, 0);

	c = over(1);
	uint16_t u16 = 0xaaaa;
	assert_false(cursor_u16(&c, &u16));
	assert_int_equal(u16, 0);
	assert_ptr_equal(c.p, seq);
	assert_int_equal(c.len, 1);

	c = over(3);
	uint32_t u32 = 0xaaaaaaaa;
	assert_false(cursor_u32(&c, &u32));
	assert_int_equal(u32, 0);
	assert_ptr_equal(c.p, seq);
	assert_int_equal(c.len, 3);

	c = over(7);
	uint64_t u64 = 0xaaaaaaaa;
	assert_false(cursor_u64(&c, &u64));
	assert_true(u64 == 0);
	assert_ptr_equal(c.p, seq);
	assert_int_equal(c.len, 7);

	int64_t i64 = -5;
	assert_false(cursor_i64(&c, &i64));
	assert_true(i64 == 0);
	assert_int_equal(c.len, 7);
}

static void test_cursor_bytes_view_skip(void **state)
{
	(void)state;
	struct cursor c = over(9);
	uint8_t out[10];
	memset(out, 0xaa, sizeof(out));
	assert_false(cursor_bytes(&c, out, 10));
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(c.len, 9);
	assert_true(cursor_bytes(&c, out, 4));
	assert_memory_equal(out, seq, 4);
	assert_int_equal(c.len, 5);

	const uint8_t *v = seq;
	assert_false(cursor_view(&c, &v, 6));
	assert_null(v);
	assert_int_equal(c.len, 5);
	assert_true(cursor_view(&c, &v, 2));
	assert_ptr_equal(v, seq + 4);
	assert_int_equal(c.len, 3);

	assert_false(cursor_skip(&c, 4));
	assert_int_equal(c.len, 3);
	assert_true(cursor_skip(&c, 3));
	assert_true(cursor_done(&c));
	/* zero-length reads succeed at the end */
	assert_true(cursor_skip(&c, 0));
	assert_true(cursor_bytes(&c, out, 0));
}

struct varint_case {
	uint64_t v;
	const char *hex;
};

/* Every boundary of the CompactSize encoding. */
static const struct varint_case varints[] = {
	{ 0, "00" },
	{ 0xfc, "fc" },
	{ 0xfd, "fdfd00" },
	{ 0xfe, "fdfe00" },
	{ 0xffff, "fdffff" },
	{ 0x10000, "fe00000100" },
	{ 0xffffffffULL, "feffffffff" },
	{ 0x100000000ULL, "ff0000000001000000" },
	{ UINT64_MAX, "ffffffffffffffffff" },
};

static void test_varint_canonical(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(varints) / sizeof(varints[0]); i++) {
		struct buf b = BUF_INIT;
		buf_varint(&b, varints[i].v);
		assert_true(buf_ok(&b));
		char *hex = hex_alloc(b.data, b.len);
		assert_non_null(hex);
		assert_string_equal(hex, varints[i].hex);
		free(hex);
		assert_int_equal(b.len, buf_varint_size(varints[i].v));

		struct cursor c = cursor_make(b.data, b.len);
		uint64_t v = 1;
		assert_true(cursor_varint(&c, &v, UINT64_MAX));
		assert_true(v == varints[i].v);
		assert_true(cursor_done(&c));

		/* the cap is inclusive: exactly v passes, v - 1 refuses */
		c = cursor_make(b.data, b.len);
		assert_true(cursor_varint(&c, &v, varints[i].v));
		if (varints[i].v > 0) {
			c = cursor_make(b.data, b.len);
			v = 7;
			assert_false(cursor_varint(&c, &v, varints[i].v - 1));
			assert_true(v == 0);
			assert_ptr_equal(c.p, b.data);
			assert_int_equal(c.len, b.len);
		}

		/* every truncation refused, cursor not advanced */
		for (size_t n = 0; n < b.len; n++) {
			c = cursor_make(b.data, n);
			v = 7;
			assert_false(cursor_varint(&c, &v, UINT64_MAX));
			assert_true(v == 0);
			assert_ptr_equal(c.p, b.data);
			assert_int_equal(c.len, n);
		}
		buf_release(&b);
	}
}

/* A value written in a longer form than it needs has two encodings, and two
 * encodings of one transaction would give it two txids. */
static void test_varint_noncanonical(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"fd0000", "fdfc00", "fe00000000", "feffff0000", "ff0000000000000000",
		"ffffffffff00000000",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t raw[9];
		size_t n = strlen(bad[i]) / 2;
		assert_true(hex_decode(raw, n, bad[i]));
		struct cursor c = cursor_make(raw, n);
		uint64_t v = 7;
		assert_false(cursor_varint(&c, &v, UINT64_MAX));
		assert_true(v == 0);
		assert_ptr_equal(c.p, raw);
		assert_int_equal(c.len, n);
	}
}

static void test_lenbytes(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_lenbytes(&b, "hello", 5);
	buf_u8(&b, 0x42);
	assert_true(buf_ok(&b));
	assert_int_equal(b.len, 7);
	assert_int_equal(b.data[0], 5);

	char out[8];
	size_t len = 99;
	struct cursor c = cursor_make(b.data, b.len);
	assert_false(cursor_lenbytes(&c, out, &len, 4)); /* over the cap */
	assert_int_equal(len, 0);
	assert_int_equal(c.len, 7);
	assert_true(cursor_lenbytes(&c, out, &len, 5)); /* exactly the cap */
	assert_int_equal(len, 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(c.len, 1);

	/* the length is there, the bytes are not: the whole read is undone */
	c = cursor_make(b.data, 5);
	len = 99;
	assert_false(cursor_lenbytes(&c, out, &len, 8));
	assert_int_equal(len, 0);
	assert_ptr_equal(c.p, b.data);
	assert_int_equal(c.len, 5);

	/* empty */
	static const uint8_t zero = 0;
	c = cursor_make(&zero, 1);
	assert_true(cursor_lenbytes(&c, out, &len, 0));
	assert_int_equal(len, 0);
	assert_true(cursor_done(&c));
	buf_release(&b);
}

static void test_buf_widths(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	buf_u8(&b, 0x01);
	buf_u16(&b, 0x0302);
	buf_u32(&b, 0x07060504);
	buf_u64(&b, 0x0f0e0d0c0b0a0908ULL);
	buf_i64(&b, -2);
	buf_put(&b, NULL, 0);
	assert_true(buf_ok(&b));
	assert_int_equal(b.len, 23);
	for (int i = 0; i < 15; i++)
		assert_int_equal(b.data[i], i + 1);
	assert_int_equal(b.data[15], 0xfe);
	for (int i = 16; i < 23; i++)
		assert_int_equal(b.data[i], 0xff);
	buf_release(&b);
	buf_release(&b); /* safe twice */
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_buf_growth_and_take(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < 100000; i++)
		buf_u8(&b, (uint8_t)(i * 7));
	assert_true(buf_ok(&b));
	assert_int_equal(b.len, 100000);
	assert_true(b.cap >= b.len);
	for (size_t i = 0; i < 100000; i++)
		assert_int_equal(b.data[i], (uint8_t)(i * 7));

	size_t cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, cap); /* memory kept */
	buf_put(&b, "abc", 3);

	size_t len = 0;
	uint8_t *p = buf_take(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 3);
	assert_memory_equal(p, "abc", 3);
	assert_null(b.data); /* the buffer let go */
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	free(p);

	/* a fresh buffer still works after a take */
	buf_u8(&b, 9);
	assert_int_equal(b.len, 1);
	buf_release(&b);
}

/* A failed reservation poisons the buffer: later writes do nothing, and
 * buf_ok reports the failure once the object is written. */
static void test_buf_sticky_failure(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_put(&b, "ab", 2);
	assert_true(buf_reserve(&b, 10));
	assert_false(buf_reserve(&b, SIZE_MAX));
	assert_false(buf_ok(&b));
	assert_false(buf_reserve(&b, 1));
	buf_u32(&b, 1);
	buf_varint(&b, 100000);
	buf_put(&b, "cd", 2);
	assert_false(buf_ok(&b));
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "ab", 2);

	/* past SIZE_MAX / 2 is refused before anything is asked of malloc */
	struct buf c = BUF_INIT;
	assert_false(buf_reserve(&c, SIZE_MAX / 2 + 1));
	assert_false(buf_ok(&c));
	assert_null(c.data);

	buf_reset(&b); /* reset starts over, clean */
	assert_true(buf_ok(&b));
	buf_put(&b, "x", 1);
	assert_int_equal(b.len, 1);
	buf_release(&b);
	buf_release(&c);
}

static void test_hex_encode(void **state)
{
	(void)state;
	static const uint8_t in[] = { 0x00, 0x01, 0xab, 0xcd, 0xef, 0xff };
	char out[2 * sizeof(in) + 1];
	memset(out, 'x', sizeof(out));
	hex_encode(out, in, sizeof(in));
	assert_string_equal(out, "0001abcdefff");
	hex_encode(out, in, 0);
	assert_string_equal(out, "");

	char *s = hex_alloc(in, sizeof(in));
	assert_non_null(s);
	assert_string_equal(s, "0001abcdefff");
	free(s);
}

static void test_hex_decode(void **state)
{
	(void)state;
	static const uint8_t want[] = { 0x00, 0x01, 0xab, 0xcd, 0xef, 0xff };
	uint8_t out[6];
	assert_true(hex_decode(out, 6, "0001abcdefff"));
	assert_memory_equal(out, want, 6);
	assert_true(hex_decode(out, 6, "0001ABCDEFFF"));
	assert_memory_equal(out, want, 6);
	assert_true(hex_decode(out, 6, "0001AbCdEfFf"));
	assert_memory_equal(out, want, 6);
	assert_true(hex_decode(out, 0, ""));

	/* each failure leaves the output zeroed */
	static const char *const bad[] = {
		"0001abcdeff",   /* odd length */
		"0001abcdef",    /* too short */
		"0001abcdefffff", /* too long */
		"0001abcdefgf",  /* bad digit */
		"0001abcdef f",  /* space */
		"0x01abcdefff",  /* prefix */
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 0xaa, sizeof(out));
		assert_false(hex_decode(out, 6, bad[i]));
		for (size_t j = 0; j < sizeof(out); j++)
			assert_int_equal(out[j], 0);
	}
	assert_false(hex_decode(out, 6, NULL));
}

static void test_hex_decode_alloc(void **state)
{
	(void)state;
	size_t len = 99;
	uint8_t *p = hex_decode_alloc("DEADbeef", &len);
	assert_non_null(p);
	assert_int_equal(len, 4);
	assert_memory_equal(p, "\xde\xad\xbe\xef", 4);
	free(p);

	p = hex_decode_alloc("", &len);
	assert_non_null(p);
	assert_int_equal(len, 0);
	free(p);

	static const char *const bad[] = { "abc", "zz", "0g", "00 0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = 99;
		assert_null(hex_decode_alloc(bad[i], &len));
		assert_int_equal(len, 0);
	}
	len = 99;
	assert_null(hex_decode_alloc(NULL, &len));
	assert_int_equal(len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor_widths_exact),
		cmocka_unit_test(test_cursor_widths_short),
		cmocka_unit_test(test_cursor_bytes_view_skip),
		cmocka_unit_test(test_varint_canonical),
		cmocka_unit_test(test_varint_noncanonical),
		cmocka_unit_test(test_lenbytes),
		cmocka_unit_test(test_buf_widths),
		cmocka_unit_test(test_buf_growth_and_take),
		cmocka_unit_test(test_buf_sticky_failure),
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_hex_decode),
		cmocka_unit_test(test_hex_decode_alloc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
