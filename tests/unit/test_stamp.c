/* stamp: the batch tree against chain/merkle.h's root and paths, the member
 * check on good members, on every altered byte, on wrong places and
 * documents and on malformed shapes, and the file hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "chain/hash.h"
#include "chain/merkle.h"
#include "rpc/stamp.h"
#include "util/hex.h"

/* Document i of a test batch: SHA-256 of "doc i". */
static uint8_t (*make_docs(size_t n))[32]
{
	uint8_t (*docs)[32] = malloc((n ? n : 1) * 32);
	assert_non_null(docs);
	for (size_t i = 0; i < n; i++) {
		char s[32];
		int len = snprintf(s, sizeof(s), "doc %zu", i);
		hash_sha256(docs[i], s, (size_t)len);
	}
	return docs;
}

struct fixture {
	size_t n;
	uint8_t (*docs)[32];
	struct stamp_tree tree;
	uint8_t id[32];
};

static void fixture_make(struct fixture *f, size_t n)
{
	char err[ERR_LEN];
	f->n = n;
	f->docs = make_docs(n);
	assert_int_equal(stamp_tree_build(&f->tree, (const uint8_t (*)[32])f->docs, n, err), 0);
	stamp_tree_root(f->id, &f->tree);
}

static void fixture_free(struct fixture *f)
{
	stamp_tree_release(&f->tree);
	stamp_tree_release(&f->tree); /* twice is safe */
	free(f->docs);
}

static int check(const cJSON *m, const uint8_t id[32], const uint8_t *doc, uint8_t out[32])
{
	char err[ERR_LEN] = "";
	memset(out, 0xaa, 32);
	int rc = stamp_member_check(m, id, doc, out, err);
	if (rc != 0) {
		static const uint8_t zero[32];
		assert_memory_equal(out, zero, 32); /* cleared on failure */
		assert_true(err[0] != '\0');
	}
	return rc;
}

/* ---- the tree ------------------------------------------------------------ */

static void check_tree(size_t n)
{
	struct fixture f;
	uint8_t want[32];
	fixture_make(&f, n);
	merkle_root(want, (const uint8_t (*)[32])f.docs, n);
	assert_memory_equal(f.id, want, 32);
	if (n == 1) /* a batch of one is not the document's own id */
		assert_memory_not_equal(f.id, f.docs[0], 32);
	size_t step = n > 100 ? 7 : 1;
	for (size_t i = 0; i < n; i += step) {
		uint8_t got[STAMP_MAX_DEPTH][32], ref[MERKLE_MAX_PATH][32];
		size_t len = stamp_tree_path(got, &f.tree, i), ref_len;
		assert_int_equal(merkle_path(ref, &ref_len, MERKLE_MAX_PATH, (const uint8_t (*)[32])f.docs, n, i), 0);
		assert_int_equal(len, ref_len);
		assert_int_equal(len, merkle_path_len(i, n));
		if (len)
			assert_memory_equal(got, ref, len * 32);
		assert_true(merkle_verify(f.docs[i], i, n, (const uint8_t (*)[32])got, len, f.id));
	}
	fixture_free(&f);
}

static void test_root_and_paths(void **state)
{
	(void)state;
	static const size_t sizes[] = { 1, 2, 3, 1000 };
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
		check_tree(sizes[k]);
	for (size_t n = 4; n <= 70; n++)
		check_tree(n);
	check_tree(1024);
	check_tree(1025);
}

static void test_tree_limits(void **state)
{
	(void)state;
	struct stamp_tree t;
	char err[ERR_LEN];
	uint8_t doc[1][32] = { { 0 } };
	assert_int_equal(stamp_tree_build(&t, (const uint8_t (*)[32])doc, 0, err), -1);
	assert_null(t.node);
	assert_int_equal(stamp_tree_build(&t, (const uint8_t (*)[32])doc, STAMP_MAX_DOCS + 1, err), -1);
	assert_null(t.node);
	assert_int_equal(stamp_tree_build(&t, NULL, 1, err), -1);
	stamp_tree_release(&t);
}

/* ---- good members -------------------------------------------------------- */

static void test_member_good(void **state)
{
	(void)state;
	static const size_t sizes[] = { 1, 2, 3, 13, 1000 };
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct fixture f;
		fixture_make(&f, sizes[k]);
		for (size_t i = 0; i < f.n; i += f.n > 100 ? 37 : 1) {
			uint8_t out[32];
			cJSON *m = stamp_member_json(&f.tree, f.docs[i], "deed.pdf", i);
			assert_non_null(m);
			assert_string_equal(cJSON_GetObjectItem(m, "name")->valuestring, "deed.pdf");
			assert_int_equal(cJSON_GetObjectItem(m, "index")->valuedouble, i);
			assert_int_equal(cJSON_GetObjectItem(m, "size")->valuedouble, f.n);
			assert_int_equal(check(m, f.id, NULL, out), 0);
			assert_memory_equal(out, f.docs[i], 32);
			assert_int_equal(check(m, f.id, f.docs[i], out), 0);
			/* and after a trip through text, as a proof file makes it */
			char *text = cJSON_PrintUnformatted(m);
			cJSON *back = cJSON_Parse(text);
			assert_int_equal(check(back, f.id, f.docs[i], out), 0);
			cJSON_Delete(back);
			cJSON_free(text);
			cJSON_Delete(m);
		}
		fixture_free(&f);
	}
}

/* A perfect tree of 2^20 leaves, the largest batch, from one leaf and a
 * made-up path: the root folded by hand. */
static void test_member_largest(void **state)
{
	(void)state;
	uint8_t doc[32], node[32], root[32], out[32];
	uint8_t path[STAMP_MAX_DEPTH][32];
	size_t index = STAMP_MAX_DOCS - 2;
	hash_sha256(doc, "last but one", 12);
	merkle_leaf_hash(node, doc, 32);
	for (size_t d = 0; d < STAMP_MAX_DEPTH; d++) {
		hash_sha256(path[d], &d, sizeof(d));
		if ((index >> d) & 1)
			merkle_node_hash(node, path[d], node);
		else
			merkle_node_hash(node, node, path[d]);
	}
	memcpy(root, node, 32);
	cJSON *m = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(m, "path");
	char hex[65];
	hex_encode(hex, doc, 32);
	cJSON_AddStringToObject(m, "document", hex);
	cJSON_AddStringToObject(m, "name", "x");
	cJSON_AddNumberToObject(m, "index", (double)index);
	cJSON_AddNumberToObject(m, "size", (double)STAMP_MAX_DOCS);
	for (size_t d = 0; d < STAMP_MAX_DEPTH; d++) {
		hex_encode(hex, path[d], 32);
		cJSON_AddItemToArray(arr, cJSON_CreateString(hex));
	}
	assert_int_equal(check(m, root, doc, out), 0);
	cJSON_ReplaceItemInObject(m, "size", cJSON_CreateNumber((double)STAMP_MAX_DOCS + 1));
	assert_int_equal(check(m, root, doc, out), -1);
	cJSON_Delete(m);
}

/* ---- tampering ----------------------------------------------------------- */

/* Every byte of the hex string v, altered in its low and in its high bit,
 * must make the member fail. */
static void alter_each_byte(cJSON *m, cJSON *v, const struct fixture *f, size_t i)
{
	uint8_t h[32], out[32];
	char hex[65], saved[65];
	snprintf(saved, sizeof(saved), "%s", v->valuestring);
	assert_true(hex_decode(h, 32, saved));
	for (size_t b = 0; b < 32; b++)
		for (int bit = 0; bit < 8; bit += 7) {
			h[b] ^= (uint8_t)(1u << bit);
			hex_encode(hex, h, 32);
			cJSON_SetValuestring(v, hex);
			assert_int_equal(check(m, f->id, NULL, out), -1);
			h[b] ^= (uint8_t)(1u << bit);
		}
	cJSON_SetValuestring(v, saved);
	assert_int_equal(check(m, f->id, f->docs[i], out), 0);
}

static void test_member_tampered(void **state)
{
	(void)state;
	struct fixture f;
	fixture_make(&f, 13);
	for (size_t i = 0; i < f.n; i++) {
		cJSON *m = stamp_member_json(&f.tree, f.docs[i], "a", i), *x;
		alter_each_byte(m, cJSON_GetObjectItem(m, "document"), &f, i);
		cJSON_ArrayForEach(x, cJSON_GetObjectItem(m, "path"))
			alter_each_byte(m, x, &f, i);
		cJSON_Delete(m);
	}
	/* and a wrong batch id */
	uint8_t out[32], other[32];
	cJSON *m = stamp_member_json(&f.tree, f.docs[4], "a", 4);
	memcpy(other, f.id, 32);
	other[31] ^= 1;
	assert_int_equal(check(m, other, NULL, out), -1);
	cJSON_Delete(m);
	fixture_free(&f);
}

static void set_number(cJSON *m, const char *key, double v)
{
	cJSON_ReplaceItemInObject(m, key, cJSON_CreateNumber(v));
}

/* Another index always fails; another size fails whenever it changes the
 * path's length or the tree's shape around the leaf (a size of the same
 * shape leads to the same root: merkle_verify binds the position, and the
 * batch id binds the tree). */
static void test_member_wrong_place(void **state)
{
	(void)state;
	struct fixture f;
	uint8_t out[32];
	fixture_make(&f, 13);
	for (size_t i = 0; i < f.n; i++) {
		cJSON *m = stamp_member_json(&f.tree, f.docs[i], "a", i);
		for (size_t j = 0; j < 40; j++) {
			if (j == i)
				continue;
			set_number(m, "index", (double)j);
			assert_int_equal(check(m, f.id, NULL, out), -1);
		}
		set_number(m, "index", (double)i);
		for (size_t s = 1; s < 40; s++) {
			if (s == f.n)
				continue;
			set_number(m, "size", (double)s);
			if (s <= i || merkle_path_len(i, s) != merkle_path_len(i, f.n))
				assert_int_equal(check(m, f.id, NULL, out), -1);
		}
		set_number(m, "size", (double)f.n);
		assert_int_equal(check(m, f.id, NULL, out), 0);
		cJSON_Delete(m);
	}
	fixture_free(&f);
}

static void test_member_wrong_document(void **state)
{
	(void)state;
	struct fixture f;
	uint8_t out[32];
	fixture_make(&f, 3);
	cJSON *m = stamp_member_json(&f.tree, f.docs[1], "a", 1);
	assert_int_equal(check(m, f.id, f.docs[0], out), -1);
	assert_int_equal(check(m, f.id, f.docs[2], out), -1);
	assert_int_equal(check(m, f.id, f.docs[1], out), 0);
	/* the right path, someone else's document in it */
	cJSON *m0 = stamp_member_json(&f.tree, f.docs[0], "a", 1);
	assert_int_equal(check(m0, f.id, NULL, out), -1);
	assert_int_equal(check(m0, f.id, f.docs[0], out), -1);
	cJSON_Delete(m0);
	cJSON_Delete(m);
	fixture_free(&f);
}

/* ---- shapes -------------------------------------------------------------- */

/* A good member of document 5 of 13 as text, with one key's value replaced
 * by raw JSON (NULL: the key left out). */
static cJSON *variant(const struct fixture *f, const char *key, const char *json)
{
	cJSON *m = stamp_member_json(&f->tree, f->docs[5], "a", 5);
	if (json)
		cJSON_ReplaceItemInObject(m, key, cJSON_Parse(json));
	else
		cJSON_DeleteItemFromObject(m, key);
	return m;
}

static void test_member_shapes(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
		{ "document", NULL }, { "document", "7" }, { "document", "null" }, { "document", "\"ab\"" },
		{ "document", "\"" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde" "\"" },
		{ "document", "\"" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0" "\"" },
		{ "document", "\"" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg" "\"" },
		{ "document", "[\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"]" },
		{ "name", NULL }, { "name", "1" }, { "name", "null" }, { "name", "{}" },
		{ "index", NULL }, { "index", "-1" }, { "index", "5.5" }, { "index", "\"5\"" }, { "index", "13" },
		{ "index", "1e300" }, { "index", "null" }, { "index", "true" },
		{ "size", NULL }, { "size", "0" }, { "size", "-13" }, { "size", "13.25" }, { "size", "\"13\"" },
		{ "size", "1048577" }, { "size", "5" }, { "size", "1e300" },
		{ "path", NULL }, { "path", "\"\"" }, { "path", "{}" }, { "path", "[]" }, { "path", "null" },
		{ "path", "[1,2,3,4]" }, { "path", "[null,null,null,null]" },
	};
	struct fixture f;
	uint8_t out[32];
	fixture_make(&f, 13);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		cJSON *m = variant(&f, bad[k][0], bad[k][1]);
		assert_non_null(m);
		if (check(m, f.id, NULL, out) != -1)
			fail_msg("%s = %s passed", bad[k][0], bad[k][1] ? bad[k][1] : "(missing)");
		cJSON_Delete(m);
	}
	/* a path one hash short, one too long, an element of the wrong length */
	cJSON *m = variant(&f, "name", "\"a\""), *path = cJSON_GetObjectItem(m, "path");
	char *first = strdup(cJSON_GetArrayItem(path, 0)->valuestring);
	cJSON_AddItemToArray(path, cJSON_CreateString(first));
	assert_int_equal(check(m, f.id, NULL, out), -1);
	cJSON_DeleteItemFromArray(path, cJSON_GetArraySize(path) - 1);
	assert_int_equal(check(m, f.id, NULL, out), 0);
	cJSON_DeleteItemFromArray(path, 0);
	assert_int_equal(check(m, f.id, NULL, out), -1);
	first[63] = '\0';
	cJSON_InsertItemInArray(path, 0, cJSON_CreateString(first));
	assert_int_equal(check(m, f.id, NULL, out), -1);
	free(first);
	cJSON_Delete(m);
	/* not an object at all */
	static const char *const not_objects[] = { "[]", "\"member\"", "null", "3" };
	for (size_t k = 0; k < 4; k++) {
		cJSON *v = cJSON_Parse(not_objects[k]);
		assert_int_equal(check(v, f.id, NULL, out), -1);
		cJSON_Delete(v);
	}
	assert_int_equal(check(NULL, f.id, NULL, out), -1);
	fixture_free(&f);
}

/* ---- the file hash ------------------------------------------------------- */

static void test_hash_file(void **state)
{
	(void)state;
	char path[] = "/tmp/test_stamp_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = 200000; /* more than one read */
	uint8_t *data = malloc(len), got[32], want[32];
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	char err[ERR_LEN];
	assert_int_equal(stamp_hash_file(got, path, err), 0);
	hash_sha256(want, data, len);
	assert_memory_equal(got, want, 32);
	unlink(path);
	memset(got, 0xaa, 32);
	assert_int_equal(stamp_hash_file(got, path, err), -1);
	assert_non_null(strstr(err, "cannot hash"));
	static const uint8_t zero[32];
	assert_memory_equal(got, zero, 32);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_and_paths),
		cmocka_unit_test(test_tree_limits),
		cmocka_unit_test(test_member_good),
		cmocka_unit_test(test_member_largest),
		cmocka_unit_test(test_member_tampered),
		cmocka_unit_test(test_member_wrong_place),
		cmocka_unit_test(test_member_wrong_document),
		cmocka_unit_test(test_member_shapes),
		cmocka_unit_test(test_hash_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
