/* merkle against RFC 9162 section 2.1 transcribed: MTH, PATH and
 * PROOF/SUBPROOF written as the RFC states them, over an array of leaf data,
 * compared with every root, audit path and consistency proof of the module
 * (flat and callback forms) for all trees up to 64 leaves and sampled ones up
 * to 5,000, plus published certificate-transparency consistency vectors.
 *
 * Tampered proofs are judged by a second, independent criterion rather than
 * "must fail": a proof binds the shape of the trees, not their sizes, so a
 * changed claim (index, sizes, roots, elements) is legitimate exactly when
 * some tree of the claimed size, with the proof's elements as the hashes of
 * the subtrees the RFC's recursion names for that claim, has the claimed
 * roots. explain_root below computes that from the RFC recursion, and each
 * verifier must accept exactly the legitimate claims. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/hash.h"
#include "chain/merkle.h"
#include "util/hex.h"

#define SMALL 64
#define BIG 5000
#define LEVELS 13 /* 2^12 <= BIG < 2^13 */
#define MAXLIST 80

typedef uint8_t hash32[32];

/* ---- the RFC's definitions, transcribed ---------------------------------- */

/* D[lo:hi] of the RFC, as a range of the leaf array d. */
struct range {
	size_t lo, hi;
};

static hash32 *leaf_data; /* BIG 32-byte leaves, leaf_data[i] = SHA-256(i) */
static hash32 *memo[LEVELS]; /* MTH of aligned perfect ranges, see ref_mth */

static void ref_leaf_hash(uint8_t out[32], const uint8_t *data, size_t len)
{
	uint8_t buf[1 + 64];
	buf[0] = 0x00;
	memcpy(buf + 1, data, len);
	hash_sha256(out, buf, 1 + len);
}

static void ref_node_hash(uint8_t out[32], const uint8_t l[32], const uint8_t r[32])
{
	uint8_t buf[65] = {0x01};
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	hash_sha256(out, buf, sizeof(buf));
}

/* "k be the largest power of two smaller than n (i.e., k < n <= 2k)" */
static size_t ref_k(size_t n)
{
	size_t k = 1;
	while (2 * k < n)
		k *= 2;
	return k;
}

/* MTH({}) = SHA-256(); MTH({d(0)}) = SHA-256(0x00 || d(0));
 * MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])).
 * Perfect aligned ranges are looked up in memo once it is filled (by this
 * same function), only to keep the big trees fast. */
static void ref_mth(uint8_t out[32], size_t lo, size_t hi)
{
	size_t n = hi - lo;
	for (unsigned l = 0; l < LEVELS; l++)
		if (memo[l] && n == ((size_t)1 << l) && lo % n == 0) {
			memcpy(out, memo[l][lo >> l], 32);
			return;
		}
	if (n == 0) {
		hash_sha256(out, "", 0);
	} else if (n == 1) {
		ref_leaf_hash(out, leaf_data[lo], 32);
	} else {
		uint8_t l[32], r[32];
		size_t k = ref_k(n);
		ref_mth(l, lo, lo + k);
		ref_mth(r, lo + k, hi);
		ref_node_hash(out, l, r);
	}
}

static void ref_push(struct range *list, size_t *len, size_t lo, size_t hi)
{
	assert_true(*len < MAXLIST);
	list[*len].lo = lo;
	list[*len].hi = hi;
	(*len)++;
}

/* PATH(0, {d(0)}) = {}
 * PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])      for m < k
 * PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])  for m >= k
 * as the list of ranges whose MTH are the elements; m is relative to lo. */
static void ref_path(struct range *list, size_t *len, size_t m, size_t lo, size_t hi)
{
	size_t n = hi - lo, k;
	if (n == 1)
		return;
	k = ref_k(n);
	if (m < k) {
		ref_path(list, len, m, lo, lo + k);
		ref_push(list, len, lo + k, hi);
	} else {
		ref_path(list, len, m - k, lo + k, hi);
		ref_push(list, len, lo, lo + k);
	}
}

/* SUBPROOF(m, D[m], true) = {}
 * SUBPROOF(m, D[m], false) = {MTH(D[m])}
 * SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])          for m <= k
 * SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])  for m > k */
static void ref_subproof(struct range *list, size_t *len, size_t m, size_t lo, size_t hi, bool b)
{
	size_t n = hi - lo, k;
	if (m == n) {
		if (!b)
			ref_push(list, len, lo, hi);
		return;
	}
	k = ref_k(n);
	if (m <= k) {
		ref_subproof(list, len, m, lo, lo + k, b);
		ref_push(list, len, lo + k, hi);
	} else {
		ref_subproof(list, len, m - k, lo + k, hi, false);
		ref_push(list, len, lo, lo + k);
	}
}

/* PROOF(m, D[n]) = SUBPROOF(m, D[n], true) */
static void ref_proof(struct range *list, size_t *len, size_t m, size_t n)
{
	ref_subproof(list, len, m, 0, n, true);
}

static void ref_hashes(hash32 *out, const struct range *list, size_t len)
{
	for (size_t i = 0; i < len; i++)
		ref_mth(out[i], list[i].lo, list[i].hi);
}

/* ---- the legitimacy criterion -------------------------------------------- */

/* Known hashes of some ranges of a tree whose other leaves are unknown. */
struct known {
	struct range r[MAXLIST + 1];
	const uint8_t *h[MAXLIST + 1];
	size_t len;
};

static void know(struct known *k, size_t lo, size_t hi, const uint8_t *h)
{
	assert_true(k->len < MAXLIST + 1);
	k->r[k->len].lo = lo;
	k->r[k->len].hi = hi;
	k->h[k->len++] = h;
}

/* MTH(D[lo:hi]) by the RFC recursion where the ranges in k stand for
 * themselves; false when the recursion reaches a leaf that k does not know,
 * that is when the claim does not determine the root. */
static bool explain_root(uint8_t out[32], const struct known *k, size_t lo, size_t hi)
{
	uint8_t l[32], r[32];
	size_t s;
	for (size_t i = 0; i < k->len; i++)
		if (k->r[i].lo == lo && k->r[i].hi == hi) {
			memcpy(out, k->h[i], 32);
			return true;
		}
	if (hi - lo <= 1)
		return false;
	s = ref_k(hi - lo);
	if (!explain_root(l, k, lo, lo + s) || !explain_root(r, k, lo + s, hi))
		return false;
	ref_node_hash(out, l, r);
	return true;
}

/* Whether leaf hash lh at index in a tree of n leaves with path has root:
 * the path's elements are the subtrees PATH(index, D[n]) names. */
static bool legit_inclusion(const uint8_t lh[32], size_t index, size_t n, const hash32 *path, size_t len,
			    const uint8_t root[32])
{
	struct range list[MAXLIST];
	struct known k = {.len = 0};
	uint8_t got[32];
	size_t want = 0;

	if (index >= n || n > 4 * BIG)
		return false;
	ref_path(list, &want, index, 0, n);
	if (want != len)
		return false;
	for (size_t i = 0; i < len; i++)
		know(&k, list[i].lo, list[i].hi, path[i]);
	know(&k, index, index + 1, lh);
	return explain_root(got, &k, 0, n) && memcmp(got, root, 32) == 0;
}

/* Whether a tree of n leaves with root second has a prefix of m leaves with
 * root first, the proof's elements being the subtrees PROOF(m, D[n]) names
 * (and first standing for D[0:m] when SUBPROOF leaves that one out). */
static bool legit_consistency(size_t m, size_t n, const uint8_t first[32], const uint8_t second[32],
			      const hash32 *proof, size_t len)
{
	struct range list[MAXLIST];
	struct known k = {.len = 0};
	uint8_t r1[32], r2[32];
	size_t want = 0;

	if (m == 0 || m > n || n > 4 * BIG)
		return false;
	if (m == n)
		return len == 0 && memcmp(first, second, 32) == 0;
	ref_proof(list, &want, m, n);
	if (want != len)
		return false;
	for (size_t i = 0; i < len; i++)
		know(&k, list[i].lo, list[i].hi, proof[i]);
	if ((m & (m - 1)) == 0)
		know(&k, 0, m, first);
	return explain_root(r1, &k, 0, m) && explain_root(r2, &k, 0, n) && memcmp(r1, first, 32) == 0 &&
	       memcmp(r2, second, 32) == 0;
}

static void assert_list_equal(const void *a, const void *b, size_t len)
{
	if (len)
		assert_memory_equal(a, b, len * 32);
}

/* ---- the callback, backed by the memo ------------------------------------ */

struct cb_ctx {
	uint64_t n;
	size_t calls;
	size_t fail_at; /* fail the call with this number (1-based); 0 never */
};

static int table_subtree(void *vctx, uint64_t start, unsigned level, uint8_t out[MERKLE_HASH_LEN])
{
	struct cb_ctx *c = vctx;
	c->calls++;
	/* the module may only ask for aligned subtrees inside the tree */
	assert_true(level < LEVELS);
	assert_true(start % ((uint64_t)1 << level) == 0);
	assert_true(start + ((uint64_t)1 << level) <= c->n);
	if (c->calls == c->fail_at) {
		memset(out, 0x5a, MERKLE_HASH_LEN);
		return -1;
	}
	memcpy(out, memo[level][start >> level], 32);
	return 0;
}

static hash32 *leaf_hashes;

static unsigned bits(uint64_t n)
{
	unsigned b = 0;
	for (; n; n >>= 1)
		b++;
	return b;
}

static unsigned popcount(uint64_t n)
{
	unsigned c = 0;
	for (; n; n &= n - 1)
		c++;
	return c;
}

static int setup(void **state)
{
	(void)state;
	leaf_data = calloc(BIG, sizeof(hash32));
	leaf_hashes = calloc(BIG, sizeof(hash32));
	assert_non_null(leaf_data);
	assert_non_null(leaf_hashes);
	for (size_t i = 0; i < BIG; i++) {
		uint32_t le = (uint32_t)i;
		hash_sha256(leaf_data[i], &le, sizeof(le));
		ref_leaf_hash(leaf_hashes[i], leaf_data[i], 32);
	}
	/* fill level by level with memo[l] still NULL while it is computed,
	 * so every entry is the plain recursion's value */
	for (unsigned l = 0; l < LEVELS; l++) {
		size_t count = BIG >> l;
		hash32 *t = calloc(count ? count : 1, sizeof(hash32));
		assert_non_null(t);
		for (size_t j = 0; j < count; j++)
			ref_mth(t[j], j << l, (j + 1) << l);
		memo[l] = t;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned l = 0; l < LEVELS; l++) {
		free(memo[l]);
		memo[l] = NULL;
	}
	free(leaf_data);
	free(leaf_hashes);
	return 0;
}

/* A deterministic sequence for the sampled sizes (xorshift64). */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static size_t rnd(size_t below)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (size_t)(rng_state % below);
}

/* ---- roots --------------------------------------------------------------- */

static void check_root(size_t n)
{
	uint8_t want[32], got[32];
	struct cb_ctx c = {n, 0, 0};

	ref_mth(want, 0, n);
	merkle_root(got, (const uint8_t(*)[32])leaf_data, n);
	assert_memory_equal(got, want, 32);
	merkle_root_hashed(got, (const uint8_t(*)[32])leaf_hashes, n);
	assert_memory_equal(got, want, 32);
	assert_int_equal(merkle_root_cb(got, n, table_subtree, &c), 0);
	assert_memory_equal(got, want, 32);
	assert_int_equal(c.calls, popcount(n)); /* one per binary digit */
}

static const size_t big_sizes[] = {65, 100, 127, 128, 129, 1000, 1023, 1024, 1025, 4095, 4096, 4097, 4999, 5000};
#define NBIG (sizeof(big_sizes) / sizeof(big_sizes[0]))

/* The listed big sizes, then sampled ones. */
static size_t big_size(size_t s)
{
	return s < NBIG ? big_sizes[s] : 65 + rnd(BIG - 65);
}

static void test_roots(void **state)
{
	(void)state;
	for (size_t n = 0; n <= 4 * SMALL; n++)
		check_root(n);
	for (size_t s = 0; s < NBIG + 20; s++)
		check_root(big_size(s));
}

/* ---- audit paths --------------------------------------------------------- */

/* Every verifier answer for a claim agrees with legit_inclusion. */
static void judge_inclusion(const uint8_t lh[32], size_t index, size_t n, const hash32 *path, size_t len,
			    const uint8_t root[32], size_t *shape_accepts)
{
	bool ok = merkle_verify_hashed(lh, index, n, (const uint8_t(*)[32])path, len, root);
	assert_int_equal(ok, legit_inclusion(lh, index, n, path, len, root));
	if (shape_accepts && ok)
		(*shape_accepts)++;
}

/* Changed claims about the true path of index in n; other sizes and indices
 * of the same shape verify, and are counted in shape_accepts. */
static void tamper_inclusion(size_t index, size_t n, const hash32 *path, size_t len, const uint8_t root[32],
			     bool exhaustive, size_t *shape_accepts)
{
	hash32 t[MAXLIST + 1], bad_root;
	const uint8_t *lh = leaf_hashes[index];
	size_t span = exhaustive ? n + 2 : 4;

	memcpy(t, path, len * 32);
	for (size_t i = 0; i < len; i++)
		for (size_t b = 0; b < 32; b++) {
			if (!exhaustive && rnd(8) != 0)
				continue;
			t[i][b] ^= (uint8_t)(1u << (b % 8));
			judge_inclusion(lh, index, n, t, len, root, NULL);
			t[i][b] ^= (uint8_t)(1u << (b % 8));
		}
	for (size_t d = 0; d < span; d++) {
		size_t other = exhaustive ? d : index + d - 2;
		if (other != index && other < BIG)
			judge_inclusion(lh, other, n, t, len, root, NULL);
		size_t size = exhaustive ? d + 1 : n + d - 2;
		if (size != n && size < 4 * BIG)
			judge_inclusion(lh, index, size, t, len, root, shape_accepts);
	}
	for (int di = -1; di <= 1; di++)
		for (int dn = -1; dn <= 1; dn++)
			if ((di || dn) && index + (size_t)di < BIG)
				judge_inclusion(lh, index + (size_t)di, n + (size_t)dn, t, len, root, shape_accepts);
	if (len)
		judge_inclusion(lh, index, n, t, len - 1, root, NULL);
	memset(t[len], 0, 32);
	judge_inclusion(lh, index, n, t, len + 1, root, NULL);
	memcpy(t[len], root, 32);
	judge_inclusion(lh, index, n, t, len + 1, root, NULL);
	memcpy(bad_root, root, 32);
	bad_root[31] ^= 1;
	judge_inclusion(lh, index, n, t, len, bad_root, NULL);
	judge_inclusion(leaf_hashes[(index + 1) % BIG], index, n, t, len, root, NULL);
}

static void check_path(size_t index, size_t n, bool exhaustive, size_t *shape_accepts)
{
	struct range list[MAXLIST];
	hash32 want[MAXLIST], got[MERKLE_MAX_PATH];
	uint8_t root[32];
	size_t want_len = 0, len = 99;
	struct cb_ctx c = {n, 0, 0};

	ref_path(list, &want_len, index, 0, n);
	ref_hashes(want, list, want_len);
	ref_mth(root, 0, n);
	assert_int_equal(merkle_path_len(index, n), want_len);
	assert_int_equal(merkle_path_hashed(got, &len, MERKLE_MAX_PATH, (const uint8_t(*)[32])leaf_hashes, n, index), 0);
	assert_int_equal(len, want_len);
	assert_list_equal(got, want, want_len);
	assert_int_equal(merkle_path(got, &len, MERKLE_MAX_PATH, (const uint8_t(*)[32])leaf_data, n, index), 0);
	assert_list_equal(got, want, want_len);
	len = 99;
	assert_int_equal(merkle_path_cb(got, &len, MERKLE_MAX_PATH, n, index, table_subtree, &c), 0);
	assert_int_equal(len, want_len);
	assert_list_equal(got, want, want_len);
	assert_true(c.calls <= 2 * bits(n));
	assert_true(merkle_verify(leaf_data[index], index, n, (const uint8_t(*)[32])want, want_len, root));
	assert_true(legit_inclusion(leaf_hashes[index], index, n, want, want_len, root));
	judge_inclusion(leaf_hashes[index], index, n, want, want_len, root, NULL);
	tamper_inclusion(index, n, want, want_len, root, exhaustive, shape_accepts);
}

static void test_paths_small(void **state)
{
	(void)state;
	size_t shape_accepts = 0;
	for (size_t n = 1; n <= SMALL; n++)
		for (size_t index = 0; index < n; index++)
			check_path(index, n, true, &shape_accepts);
	/* the criterion did meet sizes of the same shape, and they verified */
	assert_true(shape_accepts > 0);
}

static void test_paths_big(void **state)
{
	(void)state;
	for (size_t s = 0; s < NBIG + 6; s++) {
		size_t n = big_size(s);
		size_t picks[] = {0, n - 1, n / 2, rnd(n), rnd(n), rnd(n), rnd(n), rnd(n), rnd(n), rnd(n)};
		for (size_t p = 0; p < sizeof(picks) / sizeof(picks[0]); p++)
			check_path(picks[p], n, false, NULL);
	}
}

/* ---- consistency proofs -------------------------------------------------- */

static void judge_consistency(size_t m, size_t n, const uint8_t first[32], const uint8_t second[32],
			      const hash32 *proof, size_t len, size_t *shape_accepts)
{
	bool ok = merkle_verify_consistency(m, n, first, second, (const uint8_t(*)[32])proof, len);
	assert_int_equal(ok, legit_consistency(m, n, first, second, proof, len));
	if (shape_accepts && ok)
		(*shape_accepts)++;
}

/* Flipped bits, truncated and extended proofs, swapped or wrong roots. */
static void tamper_cons_proof(size_t m, size_t n, const uint8_t r1[32], const uint8_t r2[32], hash32 *t,
			      size_t len, bool exhaustive)
{
	uint8_t bad[32];
	for (size_t i = 0; i < len; i++)
		for (size_t b = 0; b < 32; b++) {
			if (!exhaustive && rnd(8) != 0)
				continue;
			t[i][b] ^= (uint8_t)(1u << (b % 8));
			judge_consistency(m, n, r1, r2, t, len, NULL);
			t[i][b] ^= (uint8_t)(1u << (b % 8));
		}
	if (len) {
		judge_consistency(m, n, r1, r2, t, len - 1, NULL);
		judge_consistency(m, n, r1, r2, t + 1, len - 1, NULL);
	}
	memset(t[len], 0, 32);
	judge_consistency(m, n, r1, r2, t, len + 1, NULL);
	memcpy(t[len], r1, 32);
	judge_consistency(m, n, r1, r2, t, len + 1, NULL);
	judge_consistency(m, n, r2, r1, t, len, NULL);
	judge_consistency(m, n, r1, r1, t, len, NULL);
	judge_consistency(m, n, r2, r2, t, len, NULL);
	memcpy(bad, r1, 32);
	bad[0] ^= 0x80;
	judge_consistency(m, n, bad, r2, t, len, NULL);
	memcpy(bad, r2, 32);
	bad[0] ^= 0x80;
	judge_consistency(m, n, r1, bad, t, len, NULL);
}

/* Other sizes for the same proof and roots. */
static void tamper_cons_sizes(size_t m, size_t n, const uint8_t r1[32], const uint8_t r2[32], const hash32 *t,
			      size_t len, bool exhaustive, size_t *shape_accepts)
{
	for (int dm = -2; dm <= 2; dm++)
		for (int dn = -2; dn <= 2; dn++)
			if (dm || dn)
				judge_consistency(m + (size_t)dm, n + (size_t)dn, r1, r2, t, len, shape_accepts);
	if (!exhaustive)
		return;
	for (size_t other = 0; other <= n + 1; other++)
		if (other != m)
			judge_consistency(other, n, r1, r2, t, len, shape_accepts);
	for (size_t other = 0; other <= SMALL + 2; other++)
		if (other != n)
			judge_consistency(m, other, r1, r2, t, len, shape_accepts);
}

static void check_consistency(size_t m, size_t n, bool exhaustive, size_t *shape_accepts)
{
	struct range list[MAXLIST];
	hash32 want[MAXLIST], got[MERKLE_MAX_CONSISTENCY + 1];
	uint8_t r1[32], r2[32];
	size_t want_len = 0, len = 99;
	struct cb_ctx c = {n, 0, 0};

	ref_proof(list, &want_len, m, n);
	ref_hashes(want, list, want_len);
	ref_mth(r1, 0, m);
	ref_mth(r2, 0, n);
	assert_true(want_len <= MERKLE_MAX_CONSISTENCY);
	assert_int_equal(merkle_consistency_cb(got, &len, MERKLE_MAX_CONSISTENCY, m, n, table_subtree, &c), 0);
	assert_int_equal(len, want_len);
	assert_list_equal(got, want, want_len);
	assert_true(c.calls <= 2 * bits(n));
	len = 99;
	assert_int_equal(merkle_consistency_hashed(got, &len, MERKLE_MAX_CONSISTENCY,
						   (const uint8_t(*)[32])leaf_hashes, m, n),
			 0);
	assert_int_equal(len, want_len);
	assert_list_equal(got, want, want_len);
	assert_true(merkle_verify_consistency(m, n, r1, r2, (const uint8_t(*)[32])want, want_len));
	assert_true(legit_consistency(m, n, r1, r2, want, want_len));
	tamper_cons_proof(m, n, r1, r2, got, want_len, exhaustive);
	tamper_cons_sizes(m, n, r1, r2, want, want_len, exhaustive, shape_accepts);
}

static void test_consistency_small(void **state)
{
	(void)state;
	size_t shape_accepts = 0;
	for (size_t n = 1; n <= SMALL; n++)
		for (size_t m = 1; m <= n; m++)
			check_consistency(m, n, true, &shape_accepts);
	assert_true(shape_accepts > 0);
}

static void test_consistency_big(void **state)
{
	(void)state;
	for (size_t s = 0; s < NBIG + 6; s++) {
		size_t n = big_size(s);
		size_t picks[] = {1, 2, n - 1, n, n / 2, 64, 1 + rnd(n), 1 + rnd(n), 1 + rnd(n), 1 + rnd(n), 1 + rnd(n)};
		for (size_t p = 0; p < sizeof(picks) / sizeof(picks[0]); p++)
			check_consistency(picks[p], n, false, NULL);
	}
}

/* ---- published vectors --------------------------------------------------- */

static const char *ct_leaves[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
};

struct ct_cons {
	size_t m, n, len;
	const char *proof[3];
};

/* The consistency proofs of the certificate-transparency test data (as kept
 * in transparency-dev/merkle) over the leaves above. */
static const struct ct_cons ct_cons[] = {
	{1, 1, 0, {NULL}},
	{1, 8, 3,
	 {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{6, 8, 3,
	 {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	{2, 5, 2,
	 {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	{6, 7, 3,
	 {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	  "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

static void test_ct_consistency(void **state)
{
	(void)state;
	uint8_t hashes[8][32], want[3][32], got[MERKLE_MAX_CONSISTENCY][32], r1[32], r2[32];
	for (int i = 0; i < 8; i++) {
		size_t len = strlen(ct_leaves[i]) / 2;
		uint8_t data[16];
		assert_true(len == 0 || hex_decode(data, len, ct_leaves[i]));
		ref_leaf_hash(hashes[i], data, len);
	}
	for (size_t t = 0; t < sizeof(ct_cons) / sizeof(ct_cons[0]); t++) {
		const struct ct_cons *v = &ct_cons[t];
		size_t len = 99;
		for (size_t i = 0; i < v->len; i++)
			assert_true(hex_decode(want[i], 32, v->proof[i]));
		assert_int_equal(merkle_consistency_hashed(got, &len, MERKLE_MAX_CONSISTENCY,
							   (const uint8_t(*)[32])hashes, v->m, v->n),
				 0);
		assert_int_equal(len, v->len);
		assert_list_equal(got, want, v->len);
		merkle_root_hashed(r1, (const uint8_t(*)[32])hashes, v->m);
		merkle_root_hashed(r2, (const uint8_t(*)[32])hashes, v->n);
		assert_true(merkle_verify_consistency(v->m, v->n, r1, r2, (const uint8_t(*)[32])want, v->len));
	}
}

/* ---- trees of up to 2^63 leaves ------------------------------------------ */

/* Every leaf hash the same: the subtree of level l is u[l] wherever it is,
 * which makes every size up to 2^63 cheap and still a real tree. */
static hash32 uniform[64];

struct uni_ctx {
	uint64_t n;
	size_t calls;
};

static int uniform_subtree(void *vctx, uint64_t start, unsigned level, uint8_t out[MERKLE_HASH_LEN])
{
	struct uni_ctx *c = vctx;
	c->calls++;
	assert_true(level < 64);
	assert_true(start % ((uint64_t)1 << level) == 0);
	assert_true(start < c->n && ((uint64_t)1 << level) <= c->n - start);
	memcpy(out, uniform[level], 32);
	return 0;
}

static void uniform_root(uint8_t root[32], uint64_t n)
{
	struct uni_ctx c = {n, 0};
	assert_int_equal(merkle_root_cb(root, n, uniform_subtree, &c), 0);
	assert_true(c.calls <= 64);
}

static void check_uniform_consistency(uint64_t m, uint64_t n, size_t want_len)
{
	uint8_t proof[MERKLE_MAX_CONSISTENCY][32], r1[32], r2[32];
	size_t len = 99;
	struct uni_ctx c = {n, 0};

	assert_int_equal(merkle_consistency_cb(proof, &len, MERKLE_MAX_CONSISTENCY, m, n, uniform_subtree, &c), 0);
	assert_int_equal(len, want_len);
	assert_true(c.calls <= 2 * 64);
	uniform_root(r1, m);
	uniform_root(r2, n);
	assert_true(merkle_verify_consistency(m, n, r1, r2, (const uint8_t(*)[32])proof, len));
	r2[5] ^= 4;
	assert_false(merkle_verify_consistency(m, n, r1, r2, (const uint8_t(*)[32])proof, len));
	if (len) {
		assert_int_equal(merkle_consistency_cb(proof, &len, want_len - 1, m, n, uniform_subtree, &c), -1);
		assert_int_equal(len, 0);
	}
}

static void check_uniform_path(uint64_t index, uint64_t n, size_t want_len)
{
	uint8_t path[MERKLE_MAX_PATH][32], root[32];
	size_t len = 99;
	struct uni_ctx c = {n, 0};

	assert_int_equal(merkle_path_cb(path, &len, MERKLE_MAX_PATH, n, index, uniform_subtree, &c), 0);
	assert_int_equal(len, want_len);
	assert_true(c.calls <= 2 * 64);
	uniform_root(root, n);
	assert_true(merkle_verify_hashed(uniform[0], (size_t)index, (size_t)n, (const uint8_t(*)[32])path, len, root));
}

static void test_huge(void **state)
{
	(void)state;
	const uint64_t top = MERKLE_MAX_LEAVES;
	uint8_t zero[32] = {0}, root[32], proof[MERKLE_MAX_CONSISTENCY][32];
	size_t len = 99;
	struct uni_ctx c = {UINT64_MAX, 0};

	ref_leaf_hash(uniform[0], zero, 32);
	for (int l = 1; l < 64; l++)
		ref_node_hash(uniform[l], uniform[l - 1], uniform[l - 1]);
	uniform_root(root, top);
	assert_memory_equal(root, uniform[63], 32);
	/* a million-block history tree, and the largest sizes */
	check_uniform_path(0, 1000000, 20);
	check_uniform_path(999999, 1000000, 12);
	check_uniform_path(524288, 1000000, 20);
	check_uniform_path(top - 1, top, 63);
	check_uniform_path(top - 2, top - 1, 62);
	check_uniform_consistency(1000, 1000000, 18);
	check_uniform_consistency(999999, 1000000, 13);
	check_uniform_consistency(1, top, 63);
	check_uniform_consistency(top / 2, top, 1);
	check_uniform_consistency(top, top, 0);
	/* the bound is reached */
	check_uniform_consistency(top - 1, top, MERKLE_MAX_CONSISTENCY);
	check_uniform_consistency(top - 2, top - 1, 63);
	/* past it */
	assert_int_equal(merkle_root_cb(root, top + 1, uniform_subtree, &c), -1);
	assert_memory_equal(root, zero, 32);
	assert_int_equal(merkle_path_cb(proof, &len, MERKLE_MAX_PATH, top + 1, 0, uniform_subtree, &c), -1);
	assert_int_equal(len, 0);
	assert_int_equal(merkle_consistency_cb(proof, &len, MERKLE_MAX_CONSISTENCY, 1, top + 1, uniform_subtree, &c),
			 -1);
	assert_int_equal(merkle_consistency_cb(proof, &len, MERKLE_MAX_CONSISTENCY, top + 1, top + 1, uniform_subtree,
					       &c),
			 -1);
	assert_false(merkle_verify_consistency(top + 1, top + 1, root, root, NULL, 0));
	assert_false(merkle_verify_consistency(1, top + 1, root, root, (const uint8_t(*)[32])proof, 1));
	assert_false(merkle_verify_consistency(1, UINT64_MAX, root, root, (const uint8_t(*)[32])proof, 1));
}

/* ---- misuse -------------------------------------------------------------- */

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* Each call's failure aborts with -1 and cleared outputs. */
static void test_callback_failure(void **state)
{
	(void)state;
	uint8_t out[MERKLE_MAX_CONSISTENCY][32], root[32];
	const size_t n = 1000;
	size_t len;

	for (size_t at = 1;; at++) {
		struct cb_ctx c = {n, 0, at};
		int rc = merkle_root_cb(root, n, table_subtree, &c);
		if (c.calls < at) {
			assert_int_equal(rc, 0);
			break;
		}
		assert_int_equal(rc, -1);
		assert_true(all_zero(root, 32));
	}
	for (size_t at = 1;; at++) {
		struct cb_ctx c = {n, 0, at};
		len = 99;
		int rc = merkle_path_cb(out, &len, MERKLE_MAX_PATH, n, 617, table_subtree, &c);
		if (c.calls < at) {
			assert_int_equal(rc, 0);
			break;
		}
		assert_int_equal(rc, -1);
		assert_int_equal(len, 0);
		assert_true(all_zero(out, MERKLE_MAX_PATH * 32));
	}
	for (size_t at = 1;; at++) {
		struct cb_ctx c = {n, 0, at};
		len = 99;
		int rc = merkle_consistency_cb(out, &len, MERKLE_MAX_CONSISTENCY, 333, n, table_subtree, &c);
		if (c.calls < at) {
			assert_int_equal(rc, 0);
			break;
		}
		assert_int_equal(rc, -1);
		assert_int_equal(len, 0);
		assert_true(all_zero(out, sizeof(out)));
	}
}

static void test_misuse(void **state)
{
	(void)state;
	uint8_t out[MERKLE_MAX_CONSISTENCY][32], root[32], r2[32];
	const uint8_t(*lh)[32] = (const uint8_t(*)[32])leaf_hashes;
	struct cb_ctx c = {10, 0, 0};
	size_t len = 99;

	assert_int_equal(merkle_root_cb(NULL, 10, table_subtree, &c), -1);
	assert_int_equal(merkle_root_cb(root, 10, NULL, &c), -1);
	assert_true(all_zero(root, 32));
	assert_int_equal(merkle_root_cb(root, 0, table_subtree, &c), 0);
	assert_int_equal(c.calls, 0);
	ref_mth(r2, 0, 0);
	assert_memory_equal(root, r2, 32);

	/* paths: bad index, NULL, too small a buffer (the true length is 4) */
	memset(out, 0xee, sizeof(out));
	assert_int_equal(merkle_path_cb(out, &len, MERKLE_MAX_PATH, 10, 10, table_subtree, &c), -1);
	assert_int_equal(len, 0);
	assert_true(all_zero(out, MERKLE_MAX_PATH * 32));
	assert_int_equal(merkle_path_cb(out, NULL, MERKLE_MAX_PATH, 10, 1, table_subtree, &c), -1);
	assert_int_equal(merkle_path_cb(NULL, &len, 4, 10, 1, table_subtree, &c), -1);
	assert_int_equal(merkle_path_cb(out, &len, 4, 10, 1, NULL, &c), -1);
	assert_int_equal(merkle_path_cb(out, &len, 3, 10, 1, table_subtree, &c), -1);
	assert_int_equal(merkle_path_cb(out, &len, 4, 10, 1, table_subtree, &c), 0);
	assert_int_equal(len, 4);
	assert_int_equal(merkle_path_cb(out, &len, 4, 0, 0, table_subtree, &c), -1);
	c.n = 1;
	assert_int_equal(merkle_path_cb(NULL, &len, 0, 1, 0, table_subtree, &c), 0);
	assert_int_equal(len, 0);

	/* consistency: m out of range, NULL, short buffer, m == n */
	c.n = 10;
	const uint64_t bad[][2] = {{0, 10}, {11, 10}, {0, 0}};
	for (size_t i = 0; i < 3; i++) {
		memset(out, 0xee, sizeof(out));
		len = 99;
		assert_int_equal(merkle_consistency_cb(out, &len, MERKLE_MAX_CONSISTENCY, bad[i][0], bad[i][1],
						       table_subtree, &c),
				 -1);
		assert_int_equal(len, 0);
		assert_true(all_zero(out, sizeof(out)));
		assert_int_equal(merkle_consistency_hashed(out, &len, MERKLE_MAX_CONSISTENCY, lh, bad[i][0], bad[i][1]),
				 -1);
	}
	assert_int_equal(merkle_consistency_cb(out, NULL, MERKLE_MAX_CONSISTENCY, 3, 10, table_subtree, &c), -1);
	assert_int_equal(merkle_consistency_cb(NULL, &len, 4, 3, 10, table_subtree, &c), -1);
	assert_int_equal(merkle_consistency_cb(out, &len, 4, 3, 10, NULL, &c), -1);
	assert_int_equal(merkle_consistency_hashed(out, &len, MERKLE_MAX_CONSISTENCY, NULL, 3, 10), -1);
	assert_int_equal(merkle_consistency_hashed(out, &len, MERKLE_MAX_CONSISTENCY, lh, 3, 10), 0);
	size_t want = len;
	assert_int_equal(merkle_consistency_hashed(out, &len, want - 1, lh, 3, 10), -1);
	assert_int_equal(len, 0);
	assert_true(all_zero(out, (want - 1) * 32));
	assert_int_equal(merkle_consistency_cb(NULL, &len, 0, 10, 10, table_subtree, &c), 0);
	assert_int_equal(len, 0);

	/* verification */
	ref_mth(root, 0, 3);
	ref_mth(r2, 0, 10);
	assert_int_equal(merkle_consistency_hashed(out, &len, MERKLE_MAX_CONSISTENCY, lh, 3, 10), 0);
	const uint8_t(*p)[32] = (const uint8_t(*)[32])out;
	assert_true(merkle_verify_consistency(3, 10, root, r2, p, len));
	assert_false(merkle_verify_consistency(3, 10, NULL, r2, p, len));
	assert_false(merkle_verify_consistency(3, 10, root, NULL, p, len));
	assert_false(merkle_verify_consistency(3, 10, root, r2, NULL, len));
	assert_false(merkle_verify_consistency(0, 10, root, r2, p, len));
	assert_false(merkle_verify_consistency(0, 0, root, root, NULL, 0));
	assert_false(merkle_verify_consistency(10, 3, r2, root, p, len));
	assert_false(merkle_verify_consistency(3, 10, root, r2, p, 0));
	assert_false(merkle_verify_consistency(3, 10, root, r2, NULL, 0));
	assert_false(merkle_verify_consistency(4, 10, root, r2, NULL, 0));
	assert_false(merkle_verify_consistency(3, 10, root, r2, p, MERKLE_MAX_CONSISTENCY + 1));
	assert_true(merkle_verify_consistency(10, 10, r2, r2, NULL, 0));
	assert_false(merkle_verify_consistency(10, 10, r2, root, NULL, 0));
	assert_false(merkle_verify_consistency(10, 10, r2, r2, p, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_paths_small),
		cmocka_unit_test(test_paths_big),
		cmocka_unit_test(test_consistency_small),
		cmocka_unit_test(test_consistency_big),
		cmocka_unit_test(test_ct_consistency),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_callback_failure),
		cmocka_unit_test(test_misuse),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
