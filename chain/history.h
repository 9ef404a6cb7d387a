/* The history tree: an RFC 6962 Merkle tree over one leaf per block of a
 * chain, in height order, to which every header commits (header.history).
 *
 *   leaf record of block i = hash (32) | height u32 LE | chainwork (32, big-endian)
 *   leaf hash              = SHA-256(0x00 || record)          (merkle_leaf_hash)
 *   header.history of a block at height h = MTH(leaves of blocks 0 .. h-1)
 *
 * so the genesis header carries MTH({}) = SHA-256(""), and the tree over
 * blocks 0..T, which the block at T+1 commits to, proves any block up to T
 * with an RFC 9162 inclusion proof and relates to any smaller such tree by
 * an RFC 9162 consistency proof.
 *
 * Each block index entry keeps the hashes of the aligned perfect subtrees
 * that end at its own leaf: sizes 1, 2, 4, ... up to the lowest set bit of
 * height + 1, two on average. Every subtree RFC 6962's recursion asks for
 * on a chain is one of those at one of its ancestors, so a root or a proof
 * costs O(log n) ancestor lookups and no hashing of the rest, and since
 * the hashes belong to the entries, not to the tip, a reorganisation,
 * invalidateblock or reconsiderblock changes nothing here: each branch
 * carries its own tree. */
#ifndef CAIRN_CHAIN_HISTORY_H
#define CAIRN_CHAIN_HISTORY_H

#include "chain/index.h"
#include "chain/merkle.h"

#define HISTORY_LEAF_SIZE 68

/* The leaf record of block b and its leaf hash. */
void history_record(uint8_t out[HISTORY_LEAF_SIZE], const uint8_t hash[32], uint32_t height,
		    const struct u256 *work);
void history_leaf(uint8_t out[32], const struct block_index *b);
/* Computes b's subtree hashes from its own hash, height and work and its
 * ancestors' (which must have theirs). -1 on no memory or an ancestor
 * without them. */
int history_link(struct block_index *b) WUR;
/* Frees b's subtree hashes; safe twice. */
void history_unlink(struct block_index *b);
/* MTH over blocks 0..last->height of last's chain (last NULL: the empty
 * tree), which is what a child of last commits to in header.history; -1
 * when an entry of the chain has no subtree hashes. */
int history_root(uint8_t out[32], const struct block_index *last) WUR;
/* A merkle_subtree_fn over the chain ending at ctx (a struct block_index *):
 * the aligned subtree [start, start + 2^level) must end at or below it. */
int history_subtree(void *ctx, uint64_t start, unsigned level, uint8_t out[MERKLE_HASH_LEN]);

#endif
