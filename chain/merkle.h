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

#endif
