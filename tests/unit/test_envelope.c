/* The frame of every persisted file: what envelope_save writes, byte for
 * byte against an independent build of magic | version | body | hash, and
 * every refusal of envelope_open, in both orders of checking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "chain/hash.h"
#include "util/envelope.h"
#include "util/file.h"

static const uint8_t magic[5] = { 'T', 'E', 'S', 'T', '!' };
static const uint8_t body[] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01 };

static const struct envelope_format sum_first = {
	.magic = magic,
	.magic_len = sizeof(magic),
	.version = 0x01020304,
	.hash = hash_sha256d,
	.max_len = 1000,
	.header_first = false,
	.kind = "a test file",
	.too_short = "size out of range",
	.bad_sum = "bad checksum",
	.bad_version = "unknown version",
};

static const struct envelope_format head_first = {
	.magic = magic,
	.magic_len = sizeof(magic),
	.version = 7,
	.hash = hash_sha256,
	.max_len = 1000,
	.header_first = true,
	.kind = "a test file",
	.too_short = "truncated file",
	.bad_sum = "checksum mismatch",
	.bad_version = "unsupported version",
};

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cairn-envelope-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The file as the four files built it by hand before the envelope. */
static size_t by_hand(uint8_t *out, const struct envelope_format *f)
{
	size_t n = 0;
	memcpy(out, f->magic, f->magic_len);
	n += f->magic_len;
	for (int i = 0; i < 4; i++)
		out[n++] = (uint8_t)(f->version >> (8 * i));
	memcpy(out + n, body, sizeof(body));
	n += sizeof(body);
	if (f->hash == hash_sha256d)
		hash_sha256d(out + n, out, n);
	else
		hash_sha256(out + n, out, n);
	return n + 32;
}

static uint8_t *save_and_read(const struct envelope_format *f, size_t *len)
{
	char path[128], err[ERR_LEN] = "";
	snprintf(path, sizeof(path), "%s/f.dat", dir);
	struct buf b = BUF_INIT;
	envelope_begin(&b, f);
	buf_put(&b, body, sizeof(body));
	assert_int_equal(envelope_save(f, &b, path, err), 0);
	buf_release(&b);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	uint8_t *p = file_read_bounded(path, 4096, len, NULL, err);
	assert_non_null(p);
	return p;
}

static void test_save_writes_the_hand_built_bytes(void **state)
{
	(void)state;
	const struct envelope_format *fs[2] = { &sum_first, &head_first };
	for (int i = 0; i < 2; i++) {
		uint8_t want[64];
		size_t n = by_hand(want, fs[i]), len;
		uint8_t *got = save_and_read(fs[i], &len);
		assert_int_equal(len, n);
		assert_memory_equal(got, want, n);
		free(got);
	}
}

static void test_save_appends_into_reserved_room(void **state)
{
	(void)state;
	char path[128], err[ERR_LEN];
	snprintf(path, sizeof(path), "%s/r.dat", dir);
	struct buf b = BUF_INIT;
	assert_true(buf_reserve(&b, sizeof(magic) + 4 + sizeof(body) + ENVELOPE_SUM_LEN));
	const uint8_t *at = b.data;
	envelope_begin(&b, &head_first);
	buf_put(&b, body, sizeof(body));
	assert_int_equal(envelope_save(&head_first, &b, path, err), 0);
	assert_ptr_equal(b.data, at); /* no reallocation left a copy behind */
	assert_int_equal(b.len, sizeof(magic) + 4 + sizeof(body) + ENVELOPE_SUM_LEN);
	buf_release(&b);
}

static void test_save_refuses_a_failed_buffer(void **state)
{
	(void)state;
	char path[128], err[ERR_LEN] = "";
	snprintf(path, sizeof(path), "%s/oom.dat", dir);
	struct buf b = BUF_INIT;
	envelope_begin(&b, &sum_first);
	b.failed = true;
	assert_int_equal(envelope_save(&sum_first, &b, path, err), -1);
	assert_non_null(strstr(err, "cannot save"));
	assert_non_null(strstr(err, "out of memory"));
	struct stat st;
	assert_int_equal(stat(path, &st), -1);
	buf_release(&b);
}

static void expect_refused(const struct envelope_format *f, const uint8_t *p, size_t len, const char *reason)
{
	char why[ERR_LEN] = "";
	struct cursor c = cursor_make(body, 1);
	assert_int_equal(envelope_open(f, &c, p, len, why), -1);
	if (!strstr(why, reason))
		fail_msg("wanted '%s', got '%s'", reason, why);
	assert_int_equal(c.len, 0);
}

static void reseal(const struct envelope_format *f, uint8_t *p, size_t len)
{
	f->hash(p + len - 32, p, len - 32);
}

static void test_open_hands_back_the_body(void **state)
{
	(void)state;
	const struct envelope_format *fs[2] = { &sum_first, &head_first };
	for (int i = 0; i < 2; i++) {
		uint8_t file[64];
		size_t n = by_hand(file, fs[i]);
		char why[ERR_LEN];
		struct cursor c;
		assert_int_equal(envelope_open(fs[i], &c, file, n, why), 0);
		assert_ptr_equal(c.p, file + sizeof(magic) + 4);
		assert_int_equal(c.len, sizeof(body));
	}
	/* An empty body is a valid file. */
	uint8_t file[64];
	memcpy(file, magic, sizeof(magic));
	memcpy(file + sizeof(magic), "\x07\0\0\0", 4);
	reseal(&head_first, file, sizeof(magic) + 4 + 32);
	char why[ERR_LEN];
	struct cursor c;
	assert_int_equal(envelope_open(&head_first, &c, file, sizeof(magic) + 4 + 32, why), 0);
	assert_true(cursor_done(&c));
}

static void test_open_checksum_first(void **state)
{
	(void)state;
	uint8_t good[64], p[64];
	size_t n = by_hand(good, &sum_first);
	for (size_t cut = 0; cut < n; cut++)
		expect_refused(&sum_first, good, cut, cut < 32 ? "size out of range" : "bad checksum");
	expect_refused(&sum_first, NULL, 0, "size out of range (0 bytes)");
	expect_refused(&sum_first, good, 1001, "size out of range (1001 bytes, at most 1000)");
	/* Any changed byte, header included, reads as damage. */
	for (size_t i = 0; i < n; i++) {
		memcpy(p, good, n);
		p[i] ^= 0x10;
		expect_refused(&sum_first, p, n, "bad checksum");
	}
	memcpy(p, good, n);
	p[0] = 'X';
	reseal(&sum_first, p, n);
	expect_refused(&sum_first, p, n, "not a test file");
	memcpy(p, good, n);
	p[sizeof(magic)] = 9;
	reseal(&sum_first, p, n);
	expect_refused(&sum_first, p, n, "unknown version 16909065 (this node reads 16909060)");
	/* A valid checksum over too few bytes for the header. */
	memcpy(p, magic, sizeof(magic));
	reseal(&sum_first, p, sizeof(magic) + 2 + 32);
	expect_refused(&sum_first, p, sizeof(magic) + 2 + 32, "size out of range");
	reseal(&sum_first, p, 3 + 32);
	expect_refused(&sum_first, p, 3 + 32, "not a test file");
}

static void test_open_header_first(void **state)
{
	(void)state;
	uint8_t good[64], p[64];
	size_t n = by_hand(good, &head_first);
	/* Named by kind and version before the checksum is looked at. */
	memcpy(p, good, n);
	p[1] = 'X';
	expect_refused(&head_first, p, n, "not a test file");
	expect_refused(&head_first, (const uint8_t *)"TES", 3, "not a test file");
	expect_refused(&head_first, NULL, 0, "not a test file");
	memcpy(p, good, n);
	p[sizeof(magic)] = 2;
	expect_refused(&head_first, p, n, "unsupported version 2 (this node reads 7)");
	expect_refused(&head_first, good, sizeof(magic) + 3, "truncated file");
	for (size_t cut = sizeof(magic) + 4; cut < sizeof(magic) + 4 + 32; cut++)
		expect_refused(&head_first, good, cut, "truncated file");
	for (size_t cut = sizeof(magic) + 4 + 32; cut < n; cut++)
		expect_refused(&head_first, good, cut, "checksum mismatch");
	for (size_t i = sizeof(magic) + 4; i < n; i++) {
		memcpy(p, good, n);
		p[i] ^= 0x01;
		expect_refused(&head_first, p, n, "checksum mismatch");
	}
	expect_refused(&head_first, good, 1001, "size out of range");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_writes_the_hand_built_bytes),
		cmocka_unit_test(test_save_appends_into_reserved_room),
		cmocka_unit_test(test_save_refuses_a_failed_buffer),
		cmocka_unit_test(test_open_hands_back_the_body),
		cmocka_unit_test(test_open_checksum_first),
		cmocka_unit_test(test_open_header_first),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
