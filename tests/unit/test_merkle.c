/* merkle: RFC 6962 published vectors (certificate-transparency, as kept in
 * transparency-dev/merkle), a slow recursive reference written from the RFC
 * text, and every tampered variant of every audit path of small trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/hash.h"
#include "chain/merkle.h"
#include "util/hex.h"

#define MAXN 17

static void from_hex(uint8_t out[32], const char *hex)
{
	assert_true(hex_decode(out, 32, hex));
}

static void assert_hash_hex(const uint8_t h[32], const char *hex)
{
	char s[65];
	hex_encode(s, h, 32);
	assert_string_equal(s, hex);
}

/* ---- published vectors --------------------------------------------------- */

static const char *ct_leaves[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
};

/* MTH of the first 0..8 leaves above. */
static const char *ct_roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct ct_path {
	size_t index, n, len;
	const char *path[3];
};

/* Inclusion proofs of the same test file (its indices are 1-based there). */
static const struct ct_path ct_paths[] = {
	{0, 1, 0, {NULL}},
	{0, 8, 3,
	 {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{5, 8, 3,
	 {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	{2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
	{1, 5, 3,
	 {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

static void ct_leaf_hashes(uint8_t hashes[8][32])
{
	for (int i = 0; i < 8; i++) {
		size_t len = strlen(ct_leaves[i]) / 2;
		uint8_t data[16];
		assert_true(len == 0 || hex_decode(data, len, ct_leaves[i]));
		merkle_leaf_hash(hashes[i], data, len);
	}
}

static void test_ct_roots(void **state)
{
	(void)state;
	uint8_t hashes[8][32], root[32];
	ct_leaf_hashes(hashes);
	/* the hash of the empty leaf is the root of the one-leaf tree */
	assert_hash_hex(hashes[0], ct_roots[1]);
	for (size_t n = 0; n <= 8; n++) {
		merkle_root_hashed(root, (const uint8_t(*)[32])hashes, n);
		assert_hash_hex(root, ct_roots[n]);
	}
	merkle_root_hashed(root, NULL, 0);
	assert_hash_hex(root, ct_roots[0]);
	merkle_root(root, NULL, 0);
	assert_hash_hex(root, ct_roots[0]);
}

static void test_ct_paths(void **state)
{
	(void)state;
	uint8_t hashes[8][32], root[32], path[MERKLE_MAX_PATH][32], want[3][32];
	ct_leaf_hashes(hashes);
	for (size_t t = 0; t < sizeof(ct_paths) / sizeof(ct_paths[0]); t++) {
		const struct ct_path *v = &ct_paths[t];
		size_t len = 99;
		for (size_t i = 0; i < v->len; i++)
			from_hex(want[i], v->path[i]);
		assert_int_equal(merkle_path_hashed(path, &len, MERKLE_MAX_PATH, (const uint8_t(*)[32])hashes, v->n,
						    v->index),
				 0);
		assert_int_equal(len, v->len);
		assert_int_equal(merkle_path_len(v->index, v->n), v->len);
		for (size_t i = 0; i < v->len; i++)
			assert_memory_equal(path[i], want[i], 32);
		from_hex(root, ct_roots[v->n]);
		assert_true(merkle_verify_hashed(hashes[v->index], v->index, v->n, (const uint8_t(*)[32])want, v->len,
						 root));
	}
}

/* Long leaf data takes the two-part hashing path. */
static void test_leaf_hash_lengths(void **state)
{
	(void)state;
	uint8_t data[300], buf[301], want[32], got[32];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	const size_t lens[] = {0, 1, 32, 63, 64, 65, 100, 300};
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		buf[0] = 0x00;
		memcpy(buf + 1, data, lens[k]);
		hash_sha256(want, buf, 1 + lens[k]);
		merkle_leaf_hash(got, data, lens[k]);
		assert_memory_equal(got, want, 32);
	}
	/* node hash: 0x01 prefix, and out may alias an input */
	uint8_t l[32], r[32], node[65];
	memset(l, 0xaa, 32);
	memset(r, 0xbb, 32);
	node[0] = 0x01;
	memcpy(node + 1, l, 32);
	memcpy(node + 33, r, 32);
	hash_sha256(want, node, sizeof(node));
	merkle_node_hash(l, l, r);
	assert_memory_equal(l, want, 32);
}

/* ---- reference from the RFC text ----------------------------------------- */

static void ref_leaf(uint8_t out[32], const uint8_t leaf[32])
{
	uint8_t buf[33] = {0x00};
	memcpy(buf + 1, leaf, 32);
	hash_sha256(out, buf, sizeof(buf));
}

static void ref_node(uint8_t out[32], const uint8_t l[32], const uint8_t r[32])
{
	uint8_t buf[65] = {0x01};
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	hash_sha256(out, buf, sizeof(buf));
}

static size_t ref_split(size_t n)
{
	size_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

static void ref_mth(uint8_t out[32], const uint8_t (*d)[32], size_t n)
{
	if (n == 0) {
		hash_sha256(out, "", 0);
	} else if (n == 1) {
		ref_leaf(out, d[0]);
	} else {
		uint8_t l[32], r[32];
		size_t k = ref_split(n);
		ref_mth(l, d, k);
		ref_mth(r, d + k, n - k);
		ref_node(out, l, r);
	}
}

/* PATH(m, D[n]) as the RFC writes it; dirs[i] is 1 when path[i] is a left
 * sibling. Returns the length. */
static size_t ref_path(uint8_t (*path)[32], int *dirs, const uint8_t (*d)[32], size_t n, size_t m)
{
	if (n <= 1)
		return 0;
	size_t k = ref_split(n), len;
	if (m < k) {
		len = ref_path(path, dirs, d, k, m);
		ref_mth(path[len], d + k, n - k);
		dirs[len] = 0;
	} else {
		len = ref_path(path, dirs, d + k, n - k, m - k);
		ref_mth(path[len], d, k);
		dirs[len] = 1;
	}
	return len + 1;
}

static void make_txids(uint8_t (*ids)[32], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t x = (uint32_t)i * 2654435761u;
		hash_sha256(ids[i], &x, sizeof(x));
	}
}

static void test_roots_match_reference(void **state)
{
	(void)state;
	static uint8_t ids[1100][32];
	uint8_t got[32], want[32], hashed[32];
	make_txids(ids, 1100);
	const size_t big[] = {31, 32, 33, 63, 64, 65, 100, 255, 256, 257, 1023, 1024, 1025, 1100};
	for (size_t n = 0; n <= MAXN + sizeof(big) / sizeof(big[0]); n++) {
		size_t size = n <= MAXN ? n : big[n - MAXN - 1];
		merkle_root(got, (const uint8_t(*)[32])ids, size);
		ref_mth(want, (const uint8_t(*)[32])ids, size);
		assert_memory_equal(got, want, 32);
	}
	/* the hashed variant agrees once the leaves are hashed */
	uint8_t lh[MAXN][32];
	for (size_t i = 0; i < MAXN; i++)
		ref_leaf(lh[i], ids[i]);
	for (size_t n = 0; n <= MAXN; n++) {
		merkle_root(got, (const uint8_t(*)[32])ids, n);
		merkle_root_hashed(hashed, (const uint8_t(*)[32])lh, n);
		assert_memory_equal(got, hashed, 32);
	}
}

/* Bitcoin's tree gives [a, b, c] and [a, b, c, c] one root; this one must
 * not, nor may a tree equal one of its own subtrees. */
static void test_no_duplication(void **state)
{
	(void)state;
	uint8_t ids[4][32], r3[32], r4[32], r1[32], leaf[32];
	make_txids(ids, 3);
	memcpy(ids[3], ids[2], 32);
	merkle_root(r3, (const uint8_t(*)[32])ids, 3);
	merkle_root(r4, (const uint8_t(*)[32])ids, 4);
	assert_memory_not_equal(r3, r4, 32);
	/* one leaf: the root is the leaf hash, not the txid itself */
	merkle_root(r1, (const uint8_t(*)[32])ids, 1);
	ref_leaf(leaf, ids[0]);
	assert_memory_equal(r1, leaf, 32);
	assert_memory_not_equal(r1, ids[0], 32);
}

/* ---- audit paths, good and tampered -------------------------------------- */

static bool verify(const uint8_t (*ids)[32], size_t leaf, size_t index, size_t n, const uint8_t (*path)[32],
		   size_t len, const uint8_t root[32])
{
	return merkle_verify(ids[leaf], index, n, path, len, root);
}

/* Directions of the path of index in a tree of n leaves, from the reference. */
static size_t shape(int *dirs, size_t index, size_t n)
{
	static uint8_t ids[MAXN + 8][32], scratch[MERKLE_MAX_PATH][32];
	return ref_path(scratch, dirs, (const uint8_t(*)[32])ids, n, index);
}

static bool same_shape(size_t index, size_t n1, size_t n2)
{
	int d1[MERKLE_MAX_PATH], d2[MERKLE_MAX_PATH];
	size_t l1 = shape(d1, index, n1), l2 = shape(d2, index, n2);
	return l1 == l2 && memcmp(d1, d2, l1 * sizeof(int)) == 0;
}

static void check_tampered(const uint8_t (*ids)[32], size_t n, size_t m, uint8_t (*path)[32], size_t len,
			   const uint8_t root[32])
{
	uint8_t bad[MERKLE_MAX_PATH + 2][32], other[32];

	/* every element with a flipped bit */
	for (size_t i = 0; i < len; i++) {
		path[i][i % 32] ^= 0x08;
		assert_false(verify(ids, m, m, n, (const uint8_t(*)[32])path, len, root));
		path[i][i % 32] ^= 0x08;
	}
	/* every wrong index, with the leaf of the index claimed and with the real one */
	for (size_t j = 0; j < n + 2; j++) {
		if (j == m)
			continue;
		assert_false(verify(ids, m, j, n, (const uint8_t(*)[32])path, len, root));
		if (j < n)
			assert_false(verify(ids, j, j, n, (const uint8_t(*)[32])path, len, root));
	}
	/* a wrong size fails whenever it implies another tree shape; sizes
	 * with the same shape around this leaf are indistinguishable to any
	 * audit-path verifier (RFC 9162's included) */
	for (size_t n2 = 0; n2 <= MAXN + 4; n2++) {
		if (n2 == n)
			continue;
		bool expect = m < n2 && same_shape(m, n, n2);
		assert_int_equal(verify(ids, m, m, n2, (const uint8_t(*)[32])path, len, root), expect);
	}
	if (n > 1)
		assert_false(verify(ids, m, m, n * 2, (const uint8_t(*)[32])path, len, root));
	/* too short: last or first element dropped */
	if (len > 0) {
		assert_false(verify(ids, m, m, n, (const uint8_t(*)[32])path, len - 1, root));
		assert_false(verify(ids, m, m, n, (const uint8_t(*)[32])(path + 1), len - 1, root));
	}
	/* too long: the root, zeros or the leaf's hash appended or prepended */
	memset(bad, 0, sizeof(bad));
	memcpy(bad, path, len * 32);
	memcpy(bad[len], root, 32);
	assert_false(verify(ids, m, m, n, (const uint8_t(*)[32])bad, len + 1, root));
	memset(bad[len], 0, 32);
	assert_false(verify(ids, m, m, n, (const uint8_t(*)[32])bad, len + 1, root));
	memcpy(bad[0], root, 32);
	memcpy(bad + 1, path, len * 32);
	assert_false(verify(ids, m, m, n, (const uint8_t(*)[32])bad, len + 1, root));
	/* wrong leaf: a flipped bit of the txid, and the leaf hash in place of the txid */
	memcpy(other, ids[m], 32);
	other[31] ^= 1;
	assert_false(merkle_verify(other, m, n, (const uint8_t(*)[32])path, len, root));
	ref_leaf(other, ids[m]);
	assert_false(merkle_verify(other, m, n, (const uint8_t(*)[32])path, len, root));
	/* wrong root */
	memcpy(other, root, 32);
	other[0] ^= 0x80;
	assert_false(verify(ids, m, m, n, (const uint8_t(*)[32])path, len, other));
}

static void test_every_path(void **state)
{
	(void)state;
	uint8_t ids[MAXN][32], root[32], path[MERKLE_MAX_PATH][32], want[MERKLE_MAX_PATH][32];
	int dirs[MERKLE_MAX_PATH];
	make_txids(ids, MAXN);
	for (size_t n = 1; n <= MAXN; n++) {
		merkle_root(root, (const uint8_t(*)[32])ids, n);
		for (size_t m = 0; m < n; m++) {
			size_t len = 0, want_len;
			assert_int_equal(merkle_path(path, &len, MERKLE_MAX_PATH, (const uint8_t(*)[32])ids, n, m), 0);
			want_len = ref_path(want, dirs, (const uint8_t(*)[32])ids, n, m);
			assert_int_equal(len, want_len);
			assert_int_equal(merkle_path_len(m, n), want_len);
			assert_memory_equal(path, want, len * 32);
			assert_true(verify((const uint8_t(*)[32])ids, m, m, n, (const uint8_t(*)[32])path, len, root));
			check_tampered((const uint8_t(*)[32])ids, n, m, path, len, root);
		}
	}
}

static void test_path_misuse(void **state)
{
	(void)state;
	uint8_t ids[8][32], path[MERKLE_MAX_PATH][32], root[32];
	size_t len = 77;
	make_txids(ids, 8);
	const uint8_t (*cids)[32] = (const uint8_t(*)[32])ids;
	merkle_root(root, cids, 8);
	/* index out of range, empty tree */
	assert_int_equal(merkle_path(path, &len, MERKLE_MAX_PATH, cids, 8, 8), -1);
	assert_int_equal(len, 0);
	assert_int_equal(merkle_path(path, &len, MERKLE_MAX_PATH, cids, 0, 0), -1);
	assert_int_equal(merkle_path_len(8, 8), 0);
	assert_int_equal(merkle_path_len(0, 0), 0);
	/* room for two of three elements: refused, and the room is cleared */
	memset(path, 0xee, sizeof(path));
	len = 77;
	assert_int_equal(merkle_path(path, &len, 2, cids, 8, 3), -1);
	assert_int_equal(len, 0);
	uint8_t zero[2][32] = {{0}};
	assert_memory_equal(path, zero, sizeof(zero));
	assert_int_equal(path[2][0], 0xee); /* nothing written past max_path */
	/* exactly enough room */
	assert_int_equal(merkle_path(path, &len, 3, cids, 8, 3), 0);
	assert_int_equal(len, 3);
	/* one-leaf tree: empty path, NULL path buffer allowed with no room */
	assert_int_equal(merkle_path(NULL, &len, 0, cids, 1, 0), 0);
	assert_int_equal(len, 0);
	merkle_root(root, cids, 1);
	assert_true(merkle_verify(ids[0], 0, 1, NULL, 0, root));
	assert_false(merkle_verify(ids[1], 0, 1, NULL, 0, root));
	/* NULLs */
	assert_int_equal(merkle_path(path, NULL, MERKLE_MAX_PATH, cids, 8, 0), -1);
	assert_int_equal(merkle_path(NULL, &len, 3, cids, 8, 0), -1);
	assert_int_equal(merkle_path(path, &len, MERKLE_MAX_PATH, NULL, 8, 0), -1);
	merkle_root(root, cids, 8);
	assert_int_equal(merkle_path(path, &len, MERKLE_MAX_PATH, cids, 8, 0), 0);
	assert_true(merkle_verify(ids[0], 0, 8, (const uint8_t(*)[32])path, len, root));
	assert_false(merkle_verify(NULL, 0, 8, (const uint8_t(*)[32])path, len, root));
	assert_false(merkle_verify(ids[0], 0, 8, NULL, len, root));
	assert_false(merkle_verify(ids[0], 0, 8, (const uint8_t(*)[32])path, len, NULL));
	/* index >= n and n == 0 never verify, whatever the path */
	assert_false(merkle_verify(ids[0], 8, 8, (const uint8_t(*)[32])path, len, root));
	assert_false(merkle_verify(ids[0], 0, 0, NULL, 0, root));
	uint8_t empty[32];
	merkle_root(empty, NULL, 0);
	assert_false(merkle_verify(ids[0], 0, 0, NULL, 0, empty));
	/* an absurd path length is refused, not walked off the end of */
	assert_false(merkle_verify(ids[0], 0, 8, (const uint8_t(*)[32])path, SIZE_MAX, root));
}

/* The path of the last leaf of a huge tree, computed without building it:
 * merkle_path_len must not loop or overflow near SIZE_MAX. */
static void test_path_len_extremes(void **state)
{
	(void)state;
	assert_int_equal(merkle_path_len(0, 1), 0);
	assert_int_equal(merkle_path_len(0, 2), 1);
	assert_int_equal(merkle_path_len(4, 5), 1);
	assert_int_equal(merkle_path_len(0, 5), 3);
	assert_int_equal(merkle_path_len(0, (size_t)1 << 20), 20);
	assert_int_equal(merkle_path_len(SIZE_MAX - 1, SIZE_MAX), 63);
	assert_int_equal(merkle_path_len(0, SIZE_MAX), 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_roots),
		cmocka_unit_test(test_ct_paths),
		cmocka_unit_test(test_leaf_hash_lengths),
		cmocka_unit_test(test_roots_match_reference),
		cmocka_unit_test(test_no_duplication),
		cmocka_unit_test(test_every_path),
		cmocka_unit_test(test_path_misuse),
		cmocka_unit_test(test_path_len_extremes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
