/* Merkle hash trees of RFC 6962 section 2.1 over SHA-256 (single):
 *
 *   leaf hash = SHA-256(0x00 || leaf)
 *   node hash = SHA-256(0x01 || left || right)
 *   MTH({})   = SHA-256("")
 *   MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n
 *
 * An odd last node is never duplicated, so two different transaction lists
 * can never share a root (the ambiguity of Bitcoin's tree, CVE-2012-2459),
 * and inclusion proofs are the standard audit paths of RFC 6962 / RFC 9162.
 *
 * A block's leaves are its txids, 32 bytes each, hashed as leaves like any
 * other data. The *_hashed variants take leaf hashes that were computed
 * already (by merkle_leaf_hash), for callers that keep them or that work with
 * published vectors over arbitrary leaf data. */
#ifndef CAIRN_CHAIN_MERKLE_H
#define CAIRN_CHAIN_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define MERKLE_HASH_LEN 32
/* An audit path has one element per tree level: at most 64 for any size_t
 * number of leaves. */
#define MERKLE_MAX_PATH 64

/* out = SHA-256(0x00 || data[0..len)). */
void merkle_leaf_hash(uint8_t out[MERKLE_HASH_LEN], const void *data, size_t len);
/* out = SHA-256(0x01 || left || right); out may alias left or right. */
void merkle_node_hash(uint8_t out[MERKLE_HASH_LEN], const uint8_t left[MERKLE_HASH_LEN],
		      const uint8_t right[MERKLE_HASH_LEN]);

/* The root over n 32-byte leaves (txids), each hashed as a leaf first. n may
 * be 0 (leaves may then be NULL): the root is SHA-256 of the empty string.
 * Iterative, O(n) hashes, O(log n) stack, never allocates. */
void merkle_root(uint8_t root[MERKLE_HASH_LEN], const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n);
/* The same over leaf hashes already computed. */
void merkle_root_hashed(uint8_t root[MERKLE_HASH_LEN], const uint8_t (*leaf_hashes)[MERKLE_HASH_LEN],
			size_t n);

/* The number of elements in the audit path of leaf index in a tree of n
 * leaves; 0 when index >= n (and for the one leaf of a one-leaf tree). */
size_t merkle_path_len(size_t index, size_t n);

/* The RFC 6962 audit path PATH(index, D[n]), bottom-up (the sibling of the
 * leaf first), written to path[0..*path_len) with room for max_path
 * elements. Returns 0, or -1 when an argument is NULL, index >= n or max_path
 * is too small; on failure *path_len is 0 and path[0..max_path) is zeroed. */
int merkle_path(uint8_t (*path)[MERKLE_HASH_LEN], size_t *path_len, size_t max_path,
		const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n, size_t index) WUR;
/* The same over leaf hashes already computed. */
int merkle_path_hashed(uint8_t (*path)[MERKLE_HASH_LEN], size_t *path_len, size_t max_path,
		       const uint8_t (*leaf_hashes)[MERKLE_HASH_LEN], size_t n, size_t index) WUR;

/* Recomputes the root from leaf (a 32-byte txid, hashed as a leaf here), its
 * index, the tree size n and an audit path, with the verification algorithm
 * of RFC 9162 section 2.1.3.2, and compares it with root. False when any
 * pointer is NULL, index >= n, the path has the wrong length for (index, n)
 * or the roots differ. A path binds the leaf's position, not n itself: a
 * size that gives the same tree shape around the leaf verifies too, so take
 * n from the block, never from the proof's sender alone. */
bool merkle_verify(const uint8_t leaf[MERKLE_HASH_LEN], size_t index, size_t n,
		   const uint8_t (*path)[MERKLE_HASH_LEN], size_t path_len, const uint8_t root[MERKLE_HASH_LEN]);
/* The same from a leaf hash already computed. */
bool merkle_verify_hashed(const uint8_t leaf_hash[MERKLE_HASH_LEN], size_t index, size_t n,
			  const uint8_t (*path)[MERKLE_HASH_LEN], size_t path_len,
			  const uint8_t root[MERKLE_HASH_LEN]);


/* ---- proofs over a subtree callback, and consistency proofs -------------
 * (chain/merkle_proof.c)
 *
 * A caller with a tree too large to list (a history tree over every block,
 * each block storing the aligned subtree hashes that end at it) hands out
 * hashes of aligned perfect subtrees instead of leaves. In RFC 6962's
 * recursion every left part reached from the root is such a subtree, and
 * every range PATH or SUBPROOF asks for splits into at most 64 of them (the
 * binary digits of its size), so each call below costs O(log n) callback
 * calls, O(log n) stack and no allocation: at most 64 for a root, 2 * 64 for
 * an audit path or a consistency proof. */

/* The largest tree these functions take: 2^63 leaves (sizes are uint64_t,
 * and a leaf index or subtree start never overflows below this). */
#define MERKLE_MAX_LEAVES ((uint64_t)1 << 63)

/* Hash of the aligned perfect subtree of leaves [start, start + 2^level):
 * level 0 is the leaf hash of leaf start. Return 0, or -1 on failure
 * (which aborts the caller with -1). Only ever asked for subtrees inside
 * [0, n) with start a multiple of 2^level. */
typedef int (*merkle_subtree_fn)(void *ctx, uint64_t start, unsigned level, uint8_t out[MERKLE_HASH_LEN]);

/* A consistency proof has at most one element per level of the larger tree
 * plus MTH of the last range reached: ceil(log2 n) + 1 <= 64 for n <= 2^63,
 * reached by m = 2^63 - 1, n = 2^63 (each step of SUBPROOF at least halves
 * the smallest power of two covering the range, from <= 2^63 down to 1). */
#define MERKLE_MAX_CONSISTENCY 64

/* MTH(D[0:n]) from the callback; n may be 0 (the root is then SHA-256 of
 * ""). Returns 0, or -1 when root or fn is NULL, n > MERKLE_MAX_LEAVES or fn
 * fails; root is zeroed on failure. */
int merkle_root_cb(uint8_t root[MERKLE_HASH_LEN], uint64_t n, merkle_subtree_fn fn, void *ctx) WUR;
/* PATH(index, D[n]) bottom-up as merkle_path, from the callback. Returns 0,
 * or -1 when a pointer is NULL (path may be NULL when max_path is 0), index
 * >= n, n > MERKLE_MAX_LEAVES, max_path is too small or fn fails; on failure
 * *path_len is 0 and path[0..max_path) is zeroed. */
int merkle_path_cb(uint8_t (*path)[MERKLE_HASH_LEN], size_t *path_len, size_t max_path, uint64_t n,
		   uint64_t index, merkle_subtree_fn fn, void *ctx) WUR;
/* PROOF(m, D[n]) of RFC 9162 section 2.1.4.1 (0 < m <= n; m == n gives an
 * empty proof), from the callback, in the RFC's order (the deepest element
 * first), written to proof[0..*proof_len) with room for max_proof elements
 * (MERKLE_MAX_CONSISTENCY always suffices). Returns 0, or -1 when a pointer
 * is NULL (proof may be NULL when max_proof is 0), m == 0, m > n, n >
 * MERKLE_MAX_LEAVES, max_proof is too small or fn fails; on failure
 * *proof_len is 0 and proof[0..max_proof) is zeroed. */
int merkle_consistency_cb(uint8_t (*proof)[MERKLE_HASH_LEN], size_t *proof_len, size_t max_proof, uint64_t m,
			  uint64_t n, merkle_subtree_fn fn, void *ctx) WUR;
/* The same over a flat array of n leaf hashes (O(n) hashing, like
 * merkle_path_hashed); -1 also when leaf_hashes is NULL. */
int merkle_consistency_hashed(uint8_t (*proof)[MERKLE_HASH_LEN], size_t *proof_len, size_t max_proof,
			      const uint8_t (*leaf_hashes)[MERKLE_HASH_LEN], size_t m, size_t n) WUR;
/* RFC 9162 section 2.1.4.2: true when proof shows that the tree of size m
 * with root first is a prefix of the tree of size n with root second. False
 * for m == 0, m > n, n > MERKLE_MAX_LEAVES, NULL pointers (proof may be NULL
 * when proof_len is 0), a proof of the wrong length for (m, n) or any
 * mismatch; for m == n the proof must be empty and the roots equal. Like an
 * audit path, a proof binds the shape of the two trees, not the sizes: other
 * sizes whose recursion combines the same elements in the same way verify
 * too, so take m and n from what the roots are known to belong to. */
bool merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t first[MERKLE_HASH_LEN],
			       const uint8_t second[MERKLE_HASH_LEN], const uint8_t (*proof)[MERKLE_HASH_LEN],
			       size_t proof_len);

#endif
