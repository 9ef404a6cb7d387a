/* The block files: records of magic, length and body, appended and read
 * back by position; a torn tail is ignored and cut, a bad magic or a
 * position past a file's end is refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "chain/blockfile.h"

static const uint8_t MAGIC[4] = { 0xfa, 0xbf, 0xb5, 0xda };
static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cairn-blockfile-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *out, size_t cap, uint32_t n)
{
	snprintf(out, cap, "%s/blk%05u.dat", dir, n);
}

static off_t size_of(uint32_t n)
{
	char p[128];
	struct stat st;
	path_of(p, sizeof(p), n);
	return stat(p, &st) == 0 ? st.st_size : -1;
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

struct seen {
	struct blockpos pos[16];
	size_t n;
};

static int collect(void *ctx, const struct blockpos *pos, const uint8_t *p, size_t len)
{
	struct seen *s = ctx;
	uint8_t want[600];
	assert_true(len <= sizeof(want));
	fill(want, len, (uint8_t)s->n);
	assert_memory_equal(p, want, len);
	s->pos[s->n++] = *pos;
	return 0;
}

static void test_append_read_offsets(void **state)
{
	(void)state;
	char err[ERR_LEN];
	uint8_t a[100], b[300], *out;
	struct blockpos pa, pb;
	fill(a, sizeof(a), 0);
	fill(b, sizeof(b), 1);
	struct blockfile *bf = blockfile_open(dir, MAGIC, 0, err);
	assert_non_null(bf);
	assert_int_equal(blockfile_count(bf), 0);
	assert_int_equal(blockfile_append(bf, &pa, a, sizeof(a), err), 0);
	assert_int_equal(blockfile_append(bf, &pb, b, sizeof(b), err), 0);
	assert_int_equal(pa.file, 0);
	assert_int_equal(pa.offset, BLOCKFILE_HEADER);
	assert_int_equal(pa.len, sizeof(a));
	assert_int_equal(pb.offset, 2 * BLOCKFILE_HEADER + sizeof(a));
	assert_int_equal(size_of(0), 2 * BLOCKFILE_HEADER + sizeof(a) + sizeof(b));
	assert_int_equal(blockfile_read(bf, &pb, &out, err), 0);
	assert_memory_equal(out, b, sizeof(b));
	free(out);
	/* The record header on disk: magic, then the length little-endian. */
	char p[128];
	uint8_t h[8];
	path_of(p, sizeof(p), 0);
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	assert_int_equal(fread(h, 1, 8, f), 8);
	fclose(f);
	assert_memory_equal(h, MAGIC, 4);
	assert_int_equal(h[4] | h[5] << 8, sizeof(a));
	blockfile_close(bf);

	/* Reopened, appends continue after the last record. */
	assert_non_null(bf = blockfile_open(dir, MAGIC, 0, err));
	struct blockpos pc;
	assert_int_equal(blockfile_append(bf, &pc, a, 10, err), 0);
	assert_int_equal(pc.offset, pb.offset + sizeof(b) + BLOCKFILE_HEADER);
	blockfile_close(bf);
	blockfile_close(NULL);
}

static void test_new_file_past_limit(void **state)
{
	(void)state;
	char err[ERR_LEN];
	uint8_t a[500];
	struct blockpos pos[6];
	struct blockfile *bf = blockfile_open(dir, MAGIC, 1200, err);
	assert_non_null(bf);
	for (int i = 0; i < 6; i++) {
		fill(a, sizeof(a), (uint8_t)i);
		assert_int_equal(blockfile_append(bf, &pos[i], a, sizeof(a), err), 0);
	}
	/* Two 508-byte records fit under 1200, a third does not. */
	assert_int_equal(blockfile_count(bf), 3);
	assert_int_equal(pos[1].file, 0);
	assert_int_equal(pos[2].file, 1);
	assert_int_equal(pos[2].offset, BLOCKFILE_HEADER);
	assert_int_equal(pos[5].file, 2);
	assert_int_equal(blockfile_total_bytes(bf), 6 * (BLOCKFILE_HEADER + sizeof(a)));
	struct seen s = { .n = 2 };
	assert_int_equal(blockfile_scan(bf, 1, collect, &s, err), 0);
	assert_int_equal(s.n, 4);
	assert_memory_equal(&s.pos[2], &pos[2], sizeof(pos[2]));
	blockfile_close(bf);
}

static void test_torn_tail_ignored_and_cut(void **state)
{
	(void)state;
	char err[ERR_LEN], p[128];
	uint8_t a[200];
	struct blockpos p0, p1;
	struct blockfile *bf = blockfile_open(dir, MAGIC, 0, err);
	assert_non_null(bf);
	fill(a, sizeof(a), 0);
	assert_int_equal(blockfile_append(bf, &p0, a, sizeof(a), err), 0);
	fill(a, sizeof(a), 1);
	assert_int_equal(blockfile_append(bf, &p1, a, sizeof(a), err), 0);
	/* A crash in the middle of the second record's body. */
	path_of(p, sizeof(p), 0);
	assert_int_equal(truncate(p, (off_t)(p1.offset + 50)), 0);
	struct seen s = { 0 };
	assert_int_equal(blockfile_scan(bf, 0, collect, &s, err), 0);
	assert_int_equal(s.n, 1);
	uint8_t *out;
	assert_int_equal(blockfile_read(bf, &p1, &out, err), -1);
	assert_null(out);
	assert_non_null(strstr(err, "past the end"));
	blockfile_close(bf);

	/* Reopening cuts the tail, and the next record follows the first. */
	assert_non_null(bf = blockfile_open(dir, MAGIC, 0, err));
	assert_int_equal(size_of(0), BLOCKFILE_HEADER + sizeof(a));
	fill(a, sizeof(a), 1);
	assert_int_equal(blockfile_append(bf, &p1, a, sizeof(a), err), 0);
	assert_int_equal(p1.offset, 2 * BLOCKFILE_HEADER + sizeof(a));
	s.n = 0;
	assert_int_equal(blockfile_scan(bf, 0, collect, &s, err), 0);
	assert_int_equal(s.n, 2);
	blockfile_close(bf);

	/* A tail shorter than a record's header is torn too. */
	FILE *f = fopen(p, "ab");
	assert_non_null(f);
	assert_int_equal(fwrite(MAGIC, 1, 3, f), 3);
	fclose(f);
	assert_non_null(bf = blockfile_open(dir, MAGIC, 0, err));
	assert_int_equal(size_of(0), 2 * (BLOCKFILE_HEADER + sizeof(a)));
	blockfile_close(bf);
}

static void test_bad_magic_refused(void **state)
{
	(void)state;
	char err[ERR_LEN], p[128];
	uint8_t a[64], *out;
	struct blockpos p0, p1;
	static const uint8_t other[4] = { 0xf9, 0xbe, 0xb4, 0xd9 };
	struct blockfile *bf = blockfile_open(dir, MAGIC, 0, err);
	assert_non_null(bf);
	fill(a, sizeof(a), 0);
	assert_int_equal(blockfile_append(bf, &p0, a, sizeof(a), err), 0);
	fill(a, sizeof(a), 1);
	assert_int_equal(blockfile_append(bf, &p1, a, sizeof(a), err), 0);
	path_of(p, sizeof(p), 0);
	FILE *f = fopen(p, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)(p1.offset - BLOCKFILE_HEADER), SEEK_SET), 0);
	assert_int_equal(fwrite("\0\0\0\0", 1, 4, f), 4);
	fclose(f);
	assert_int_equal(blockfile_read(bf, &p1, &out, err), -1);
	assert_non_null(strstr(err, "bad magic"));
	assert_int_equal(blockfile_read(bf, &p0, &out, err), 0); /* the first is intact */
	free(out);
	struct seen s = { 0 };
	assert_int_equal(blockfile_scan(bf, 0, collect, &s, err), -1);
	assert_int_equal(s.n, 1); /* what came before the damage was handed over */
	assert_non_null(strstr(err, "bad magic"));
	blockfile_close(bf);

	/* Another network's files are refused record by record. */
	assert_non_null(bf = blockfile_open(dir, other, 0, err));
	assert_int_equal(blockfile_read(bf, &p0, &out, err), -1);
	assert_non_null(strstr(err, "bad magic"));
	blockfile_close(bf);
}

static void test_positions_checked(void **state)
{
	(void)state;
	char err[ERR_LEN];
	uint8_t a[64], *out;
	struct blockpos pos;
	struct blockfile *bf = blockfile_open(dir, MAGIC, 0, err);
	assert_non_null(bf);
	fill(a, sizeof(a), 0);
	assert_int_equal(blockfile_append(bf, &pos, a, sizeof(a), err), 0);
	struct blockpos past = pos, other_len = pos, no_file = pos, head = pos;
	past.offset += 1;
	other_len.len -= 1;
	no_file.file = 7;
	head.offset = 0;
	assert_false(blockfile_contains(bf, &past, err));
	assert_non_null(strstr(err, "past the end of"));
	assert_false(blockfile_contains(bf, &no_file, err));
	assert_non_null(strstr(err, "block file 7 is missing"));
	assert_false(blockfile_contains(bf, &head, err));
	assert_true(blockfile_contains(bf, &pos, err));
	assert_int_equal(blockfile_read(bf, &other_len, &out, err), -1);
	assert_non_null(strstr(err, "the index says"));
	assert_int_equal(blockfile_append(bf, &pos, a, 0, err), -1);
	assert_int_equal(blockfile_append(bf, &pos, a, (size_t)BLOCKFILE_MAX_BODY + 1, err), -1);
	blockfile_close(bf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_read_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_file_past_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_ignored_and_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_magic_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_positions_checked, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
