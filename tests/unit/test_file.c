/* Atomic whole-file writes and bounded reads: what every persisted file of
 * the node (wallet, mempool, peers, bans) rests on. Each case checks the
 * file on disk afterwards, not just the return value: the old content
 * survives a failed write, no temporary file is left, the mode is 0600. */
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

#include "util/file.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cairn-file-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void in_dir(char out[256], const char *name)
{
	snprintf(out, 256, "%s/%s", dir, name);
}

static void tmp_of(char out[300], const char *path)
{
	snprintf(out, 300, "%s" FILE_TMP_SUFFIX, path);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

/* Asserts that path holds exactly text. */
static void assert_holds(const char *path, const char *text)
{
	char err[ERR_LEN] = "";
	size_t len;
	bool missing = true;
	uint8_t *p = file_read_bounded(path, 1 << 20, &len, &missing, err);
	if (!p)
		fail_msg("%s", err);
	assert_false(missing);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(p, text, len);
	free(p);
}

static void test_round_trip(void **state)
{
	(void)state;
	char path[256], tmp[300], err[ERR_LEN] = "";
	uint8_t big[70000];
	size_t len;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	in_dir(path, "round.dat");
	tmp_of(tmp, path);
	assert_int_equal(file_write_atomic(path, big, sizeof(big), 0600, err), 0);
	uint8_t *p = file_read_bounded(path, sizeof(big), &len, NULL, err);
	assert_non_null(p);
	assert_int_equal(len, sizeof(big));
	assert_memory_equal(p, big, sizeof(big));
	free(p);
	assert_false(exists(tmp));

	/* A second write replaces the first whole, shorter or not. */
	assert_int_equal(file_write_atomic(path, "second", 6, 0600, err), 0);
	assert_holds(path, "second");
	assert_false(exists(tmp));
}

static void test_mode_0600(void **state)
{
	(void)state;
	char path[256], tmp[300];
	struct stat st;
	mode_t old = umask(0);
	in_dir(path, "mode.dat");
	tmp_of(tmp, path);
	assert_int_equal(file_write_atomic(path, "x", 1, 0600, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* A world-readable leftover is not reused: its mode would carry over. */
	put(tmp, "leftover");
	assert_int_equal(chmod(tmp, 0644), 0);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(file_write_atomic(path, "y", 1, 0600, NULL), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_holds(path, "y");
}

static void test_missing_folder(void **state)
{
	(void)state;
	char path[256], tmp[300], err[ERR_LEN] = "";
	in_dir(path, "no-such-folder/peers.dat");
	tmp_of(tmp, path);
	assert_int_equal(file_write_atomic(path, "abc", 3, 0600, err), -1);
	assert_non_null(strstr(err, "cannot create"));
	assert_non_null(strstr(err, "no-such-folder/peers.dat.tmp"));
	assert_non_null(strstr(err, "No such file or directory"));
	assert_false(exists(tmp));
	assert_false(exists(path));
	/* err may be NULL. */
	assert_int_equal(file_write_atomic(path, "abc", 3, 0600, NULL), -1);
}

/* The rename fails (path is a folder that is not empty): the temporary
 * file goes away and path is as it was. */
static void test_failed_rename_cleans_up(void **state)
{
	(void)state;
	char path[256], inner[300], tmp[300], err[ERR_LEN] = "";
	in_dir(path, "busy");
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(inner, sizeof(inner), "%s/keep", path);
	put(inner, "kept");
	tmp_of(tmp, path);
	assert_int_equal(file_write_atomic(path, "abc", 3, 0600, err), -1);
	assert_non_null(strstr(err, "cannot rename"));
	assert_false(exists(tmp));
	assert_holds(inner, "kept");
}

/* A crash between create and rename leaves path.tmp: the next write is not
 * blocked by it, whatever its mode, and the old file was never touched. */
static void test_leftover_tmp(void **state)
{
	(void)state;
	char path[256], tmp[300], err[ERR_LEN] = "";
	in_dir(path, "wallet.dat");
	tmp_of(tmp, path);
	assert_int_equal(file_write_atomic(path, "old", 3, 0600, err), 0);
	put(tmp, "half a wri");
	assert_int_equal(chmod(tmp, 0400), 0);
	assert_holds(path, "old");
	assert_int_equal(file_write_atomic(path, "new", 3, 0600, err), 0);
	assert_holds(path, "new");
	assert_false(exists(tmp));

	/* file_remove_tmp: absent is fine, present goes. */
	assert_int_equal(file_remove_tmp(path, err), 0);
	put(tmp, "junk");
	assert_int_equal(file_remove_tmp(path, err), 0);
	assert_false(exists(tmp));
	assert_holds(path, "new");
}

/* A leftover that cannot be removed (a folder) stops the write with a
 * reason, and the old file stays. */
static void test_leftover_tmp_unremovable(void **state)
{
	(void)state;
	char path[256], tmp[300], err[ERR_LEN] = "";
	in_dir(path, "stuck.dat");
	tmp_of(tmp, path);
	assert_int_equal(file_write_atomic(path, "old", 3, 0600, err), 0);
	assert_int_equal(mkdir(tmp, 0700), 0);
	assert_int_equal(file_write_atomic(path, "new", 3, 0600, err), -1);
	assert_non_null(strstr(err, "cannot remove"));
	assert_holds(path, "old");
	assert_int_equal(file_remove_tmp(path, err), -1);
	assert_int_equal(rmdir(tmp), 0);
}

static void test_path_too_long(void **state)
{
	(void)state;
	char path[FILE_PATH_MAX + 8], err[ERR_LEN] = "";
	size_t len = 99;
	bool missing = true;
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(file_write_atomic(path, "x", 1, 0600, err), -1);
	assert_non_null(strstr(err, "path too long"));
	assert_int_equal(file_remove_tmp(path, err), -1);
	assert_non_null(strstr(err, "path too long"));
	assert_null(file_read_bounded(path, 10, &len, &missing, err));
	assert_int_equal(len, 0);
	assert_false(missing);
}

static void test_read_bound(void **state)
{
	(void)state;
	char path[256], err[ERR_LEN] = "";
	size_t len = 99;
	in_dir(path, "bound.dat");
	put(path, "0123456789");
	uint8_t *p = file_read_bounded(path, 9, &len, NULL, err);
	assert_null(p);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err, "at most 9 bytes"));
	assert_non_null(strstr(err, "bound.dat"));
	p = file_read_bounded(path, 10, &len, NULL, err);
	assert_non_null(p);
	assert_int_equal(len, 10);
	assert_memory_equal(p, "0123456789", 10);
	free(p);
	assert_null(file_read_bounded(path, 0, &len, NULL, NULL));
}

static void test_read_missing(void **state)
{
	(void)state;
	char path[256], err[ERR_LEN] = "";
	size_t len = 99;
	bool missing = false;
	in_dir(path, "never-written.dat");
	assert_null(file_read_bounded(path, 100, &len, &missing, err));
	assert_true(missing);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err, "cannot open"));
	assert_non_null(strstr(err, "never-written.dat"));
	/* missing may be NULL. */
	assert_null(file_read_bounded(path, 100, &len, NULL, err));
}

/* Present but not a regular file: an error, and not "missing". */
static void test_read_not_regular(void **state)
{
	(void)state;
	char path[256], err[ERR_LEN] = "";
	size_t len;
	bool missing = true;
	assert_null(file_read_bounded(dir, 1 << 20, &len, &missing, err));
	assert_false(missing);
	assert_non_null(strstr(err, "not a regular file"));

	/* A FIFO with no writer must not hang the read. */
	in_dir(path, "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	missing = true;
	assert_null(file_read_bounded(path, 1 << 20, &len, &missing, err));
	assert_false(missing);
	assert_non_null(strstr(err, "not a regular file"));
}

static void test_empty_file(void **state)
{
	(void)state;
	char path[256], err[ERR_LEN] = "";
	size_t len = 99;
	bool missing = true;
	in_dir(path, "empty.dat");
	assert_int_equal(file_write_atomic(path, NULL, 0, 0600, err), 0);
	uint8_t *p = file_read_bounded(path, 0, &len, &missing, err);
	assert_non_null(p);
	assert_int_equal(len, 0);
	assert_false(missing);
	free(p);
}

static int load_counts(void *ctx, const uint8_t *p, size_t len, char *err)
{
	if (len < 3)
		return err_set(err, "only %zu bytes", len);
	*(size_t *)ctx = len + (p[0] == 'a');
	return 0;
}

static void test_file_load(void **state)
{
	(void)state;
	char path[256], err[ERR_LEN] = "";
	size_t got = 0;
	in_dir(path, "load");
	assert_int_equal(file_write_atomic(path, "abcd", 4, 0600, err), 0);
	assert_int_equal(file_load(path, 100, load_counts, &got, err), 0);
	assert_int_equal(got, 5); /* the bytes, as written */
	/* The parser's reason, with the path before it. */
	assert_int_equal(file_write_atomic(path, "ab", 2, 0600, err), 0);
	assert_int_equal(file_load(path, 100, load_counts, &got, err), -1);
	char want[300];
	snprintf(want, sizeof(want), "'%s': only 2 bytes", path);
	assert_string_equal(err, want);
	/* Too large and missing files are refused before any parsing. */
	assert_int_equal(file_write_atomic(path, "abcd", 4, 0600, err), 0);
	got = 0;
	assert_int_equal(file_load(path, 3, load_counts, &got, err), -1);
	assert_int_equal(got, 0);
	in_dir(path, "none");
	assert_int_equal(file_load(path, 100, load_counts, &got, err), -1);
	assert_non_null(strstr(err, "none"));
	assert_int_equal(got, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_file_load),
		cmocka_unit_test(test_mode_0600),
		cmocka_unit_test(test_missing_folder),
		cmocka_unit_test(test_failed_rename_cleans_up),
		cmocka_unit_test(test_leftover_tmp),
		cmocka_unit_test(test_leftover_tmp_unremovable),
		cmocka_unit_test(test_path_too_long),
		cmocka_unit_test(test_read_bound),
		cmocka_unit_test(test_read_missing),
		cmocka_unit_test(test_read_not_regular),
		cmocka_unit_test(test_empty_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
