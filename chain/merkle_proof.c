/* Audit paths and RFC 9162 consistency proofs computed from aligned subtree
 * hashes (merkle_subtree_fn), for trees that are never held as a leaf list;
 * the flat-array consistency proof is the same walk over an array.
 *
 * Every range below is one the recursion of RFC 6962 reaches from [0, n).
 * Such a range [lo, hi) has lo a multiple of the smallest power of two >=
 * hi - lo (true of [0, n), and kept by both halves of every split), so it is
 * the perfect subtrees given by the binary digits of its size laid end to
 * end, each aligned: MTH of it takes one callback call per digit. */
#include "chain/merkle.h"

#include <string.h>

#include "chain/hash.h"

/* The largest power of two strictly below s, for 2 <= s <= 2^63. */
static uint64_t split_u64(uint64_t s)
{
	uint64_t k = 1;
	while (k <= (s - 1) / 2)
		k <<= 1;
	return k;
}

static unsigned log2_u64(uint64_t pow2)
{
	unsigned level = 0;
	while (pow2 >>= 1)
		level++;
	return level;
}

/* MTH(D[lo:hi]) for a reachable range, hi > lo: its perfect subtrees from
 * the right (lowest binary digit first), each folded in as the left child,
 * which is RFC 6962's split at the largest power of two, unrolled. */
static int range_root(uint8_t out[MERKLE_HASH_LEN], uint64_t lo, uint64_t hi, merkle_subtree_fn fn, void *ctx)
{
	uint64_t rest = hi - lo, end = hi;
	bool first = true;

	while (rest) {
		uint64_t digit = rest & (~rest + 1);
		uint8_t h[MERKLE_HASH_LEN];
		end -= digit;
		rest -= digit;
		if (fn(ctx, end, log2_u64(digit), first ? out : h) != 0)
			return -1;
		if (!first)
			merkle_node_hash(out, h, out);
		first = false;
	}
	return 0;
}

static void clear_list(uint8_t (*list)[MERKLE_HASH_LEN], size_t *len, size_t max)
{
	if (len)
		*len = 0;
	if (list && max)
		memset(list, 0, max * MERKLE_HASH_LEN);
}

int merkle_root_cb(uint8_t root[MERKLE_HASH_LEN], uint64_t n, merkle_subtree_fn fn, void *ctx)
{
	if (!root)
		return -1;
	memset(root, 0, MERKLE_HASH_LEN);
	if (!fn || n > MERKLE_MAX_LEAVES)
		return -1;
	if (n == 0) {
		hash_sha256(root, "", 0);
		return 0;
	}
	if (range_root(root, 0, n, fn, ctx) != 0) {
		memset(root, 0, MERKLE_HASH_LEN);
		return -1;
	}
	return 0;
}

/* One level of the descent of a recursive definition: the range narrows to
 * one half, and [*slo, *shi) is the other half, whose MTH the level adds. */
struct descent {
	uint64_t lo, hi;
};

/* PATH(index, D[lo:hi]) = PATH(index, left) : MTH(right) or the mirror
 * image; false at the leaf, where the path ends. */
static bool path_step(struct descent *d, uint64_t index, uint64_t *slo, uint64_t *shi)
{
	uint64_t k;

	if (d->hi - d->lo <= 1)
		return false;
	k = split_u64(d->hi - d->lo);
	if (index - d->lo < k) {
		*slo = d->lo + k;
		*shi = d->hi;
		d->hi = d->lo + k;
	} else {
		*slo = d->lo;
		*shi = d->lo + k;
		d->lo += k;
	}
	return true;
}

static size_t path_len_u64(uint64_t index, uint64_t n)
{
	struct descent d = {0, n};
	uint64_t slo, shi;
	size_t len = 0;
	while (path_step(&d, index, &slo, &shi))
		len++;
	return len;
}

/* The descent meets the siblings from the top, so they are written from the
 * end of the path backwards, which leaves the path bottom-up. */
int merkle_path_cb(uint8_t (*path)[MERKLE_HASH_LEN], size_t *path_len, size_t max_path, uint64_t n,
		   uint64_t index, merkle_subtree_fn fn, void *ctx)
{
	struct descent d = {0, n};
	uint64_t slo, shi;
	size_t len, i;

	clear_list(path, path_len, max_path);
	if (!path_len || (!path && max_path) || !fn || n > MERKLE_MAX_LEAVES || index >= n)
		return -1;
	len = path_len_u64(index, n);
	if (len > max_path)
		return -1;
	for (i = len; path_step(&d, index, &slo, &shi);) {
		if (range_root(path[--i], slo, shi, fn, ctx) != 0) {
			clear_list(path, path_len, max_path);
			return -1;
		}
	}
	*path_len = len;
	return 0;
}

/* SUBPROOF(m, D[lo:hi], b) of RFC 9162 section 2.1.4.1, m relative to lo:
 * for m <= k it is SUBPROOF(m, left, b) : MTH(right), else SUBPROOF(m - k,
 * right, false) : MTH(left); false once m covers the range, where the proof
 * ends with MTH of the range itself when b went false on the way (turned). */
struct cons_descent {
	struct descent d;
	uint64_t m;
	bool turned;
};

static bool cons_step(struct cons_descent *c, uint64_t *slo, uint64_t *shi)
{
	uint64_t k;

	if (c->m == c->d.hi - c->d.lo)
		return false;
	k = split_u64(c->d.hi - c->d.lo);
	if (c->m <= k) {
		*slo = c->d.lo + k;
		*shi = c->d.hi;
		c->d.hi = c->d.lo + k;
	} else {
		*slo = c->d.lo;
		*shi = c->d.lo + k;
		c->d.lo += k;
		c->m -= k;
		c->turned = true;
	}
	return true;
}

static size_t consistency_len(uint64_t m, uint64_t n)
{
	struct cons_descent c = {{0, n}, m, false};
	uint64_t slo, shi;
	size_t len = 0;
	while (cons_step(&c, &slo, &shi))
		len++;
	return len + c.turned;
}

/* As for paths, the descent meets the proof from its end; the final range's
 * MTH, when the proof has it, is element 0. */
static int consistency_fill(uint8_t (*proof)[MERKLE_HASH_LEN], size_t len, uint64_t m, uint64_t n,
			    merkle_subtree_fn fn, void *ctx)
{
	struct cons_descent c = {{0, n}, m, false};
	uint64_t slo, shi;
	size_t i = len;

	while (cons_step(&c, &slo, &shi))
		if (range_root(proof[--i], slo, shi, fn, ctx) != 0)
			return -1;
	if (c.turned && range_root(proof[--i], c.d.lo, c.d.hi, fn, ctx) != 0)
		return -1;
	return 0;
}

int merkle_consistency_cb(uint8_t (*proof)[MERKLE_HASH_LEN], size_t *proof_len, size_t max_proof, uint64_t m,
			  uint64_t n, merkle_subtree_fn fn, void *ctx)
{
	size_t len;

	clear_list(proof, proof_len, max_proof);
	if (!proof_len || (!proof && max_proof) || !fn || m == 0 || m > n || n > MERKLE_MAX_LEAVES)
		return -1;
	len = consistency_len(m, n);
	if (len > max_proof)
		return -1;
	if (consistency_fill(proof, len, m, n, fn, ctx) != 0) {
		clear_list(proof, proof_len, max_proof);
		return -1;
	}
	*proof_len = len;
	return 0;
}

struct flat {
	const uint8_t (*leaf_hashes)[MERKLE_HASH_LEN];
};

static int flat_subtree(void *ctx, uint64_t start, unsigned level, uint8_t out[MERKLE_HASH_LEN])
{
	const struct flat *f = ctx;
	merkle_root_hashed(out, f->leaf_hashes + start, (size_t)1 << level);
	return 0;
}

int merkle_consistency_hashed(uint8_t (*proof)[MERKLE_HASH_LEN], size_t *proof_len, size_t max_proof,
			      const uint8_t (*leaf_hashes)[MERKLE_HASH_LEN], size_t m, size_t n)
{
	struct flat f = {leaf_hashes};
	if (!leaf_hashes) {
		clear_list(proof, proof_len, max_proof);
		return -1;
	}
	return merkle_consistency_cb(proof, proof_len, max_proof, m, n, flat_subtree, &f);
}

/* Element i of the proof as RFC 9162 section 2.1.4.2 reads it: with first
 * put in front when m is a power of two (the old tree is then one subtree
 * of the new, and the proof leaves it out). */
static const uint8_t *cons_elem(const uint8_t first[MERKLE_HASH_LEN], const uint8_t (*proof)[MERKLE_HASH_LEN],
				bool with_first, size_t i)
{
	if (with_first)
		return i == 0 ? first : proof[i - 1];
	return proof[i];
}

/* The RFC's steps 2 to 6: fn walks the old tree's last leaf up, sn the new
 * tree's; fr and sr collect the two roots. */
static bool cons_fold(uint64_t m, uint64_t n, const uint8_t first[MERKLE_HASH_LEN],
		      const uint8_t second[MERKLE_HASH_LEN], const uint8_t (*proof)[MERKLE_HASH_LEN], size_t proof_len)
{
	bool with_first = (m & (m - 1)) == 0;
	size_t total = proof_len + with_first;
	uint64_t fn = m - 1, sn = n - 1;
	uint8_t fr[MERKLE_HASH_LEN], sr[MERKLE_HASH_LEN];

	for (; fn & 1; fn >>= 1)
		sn >>= 1;
	memcpy(fr, cons_elem(first, proof, with_first, 0), MERKLE_HASH_LEN);
	memcpy(sr, fr, MERKLE_HASH_LEN);
	for (size_t i = 1; i < total; i++) {
		const uint8_t *c = cons_elem(first, proof, with_first, i);
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(fr, c, fr);
			merkle_node_hash(sr, c, sr);
			for (; !(fn & 1) && fn != 0; fn >>= 1)
				sn >>= 1;
		} else {
			merkle_node_hash(sr, sr, c);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, first, MERKLE_HASH_LEN) == 0 && memcmp(sr, second, MERKLE_HASH_LEN) == 0;
}

bool merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t first[MERKLE_HASH_LEN],
			       const uint8_t second[MERKLE_HASH_LEN], const uint8_t (*proof)[MERKLE_HASH_LEN],
			       size_t proof_len)
{
	if (!first || !second || (proof_len && !proof) || m == 0 || m > n || n > MERKLE_MAX_LEAVES)
		return false;
	if (m == n)
		return proof_len == 0 && memcmp(first, second, MERKLE_HASH_LEN) == 0;
	/* step 1: an empty proof never shows anything for m < n */
	if (proof_len == 0 || proof_len > MERKLE_MAX_CONSISTENCY)
		return false;
	return cons_fold(m, n, first, second, proof, proof_len);
}
