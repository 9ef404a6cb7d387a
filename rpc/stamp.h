/* Batch stamping: one registration proves up to 2^20 documents.
 *
 * The documents' leaves are their SHA-256 hashes, in the order of their
 * sorted paths; the batch id, registered as one asset, is the RFC 6962 root
 * over them (merkle_root of chain/merkle.h: each 32-byte leaf hashed with a
 * 0x00 prefix, so a batch of one never equals the document's own id). Each
 * document's proof is the batch's v2 proof file with one more key:
 *
 *   "member": {"document": hex SHA-256, "name": base name, "index": i,
 *              "size": n, "path": [hex, ...]}
 *
 * path the audit path of leaf i (merkle_path), checked with merkle_verify
 * against the batch id. docs/provenance.md, "Batch stamping", has the rest.
 *
 * Everything here is pure except stamp_hash_file, which reads one file;
 * cairn-cli stamp (rpc/cli_stamp.c) does the rest of the I/O. */
#ifndef CAIRN_RPC_STAMP_H
#define CAIRN_RPC_STAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "chain/merkle.h"
#include "util/err.h"

#define STAMP_MAX_DOCS ((size_t)1 << 20)
#define STAMP_MAX_DEPTH 20 /* levels above the leaves at STAMP_MAX_DOCS */
#define STAMP_SUFFIX ".cairnproof"

/* Every level of a batch's tree, kept so that all n audit paths cost n
 * hashes to build once rather than n each (merkle_path recomputes the tree
 * per call: 10^12 hashes at 2^20 documents). Level 0 holds the leaf hashes;
 * an odd last node is carried up unchanged, which gives exactly RFC 6962's
 * tree (its split at the largest power of two below n). */
struct stamp_tree {
	size_t n;			       /* leaves */
	size_t depth;			       /* levels above the leaves */
	uint8_t (*node)[MERKLE_HASH_LEN];      /* all levels, owned */
	size_t start[STAMP_MAX_DEPTH + 1];     /* first node of each level */
	size_t len[STAMP_MAX_DEPTH + 1];       /* nodes in each level */
};

void stamp_tree_init(struct stamp_tree *t);
/* Safe on an initialised or built tree, and twice. */
void stamp_tree_release(struct stamp_tree *t);

/* Builds the tree over n document hashes (1 <= n <= STAMP_MAX_DOCS).
 * Returns 0, or -1 with err filled (n out of range, out of memory) and *t
 * empty. */
int stamp_tree_build(struct stamp_tree *t, const uint8_t (*docs)[MERKLE_HASH_LEN], size_t n, char *err) WUR;

/* The batch id: equal to merkle_root(docs, n). */
void stamp_tree_root(uint8_t root[MERKLE_HASH_LEN], const struct stamp_tree *t);

/* The audit path of leaf index (< t->n), bottom-up, into path (room for
 * STAMP_MAX_DEPTH elements); returns its length, merkle_path_len(index, n).
 * The same elements as merkle_path. */
size_t stamp_tree_path(uint8_t (*path)[MERKLE_HASH_LEN], const struct stamp_tree *t, size_t index);

/* The "member" object of document index: its hash, name, index, the batch
 * size and its audit path. NULL when out of memory. Caller frees. */
cJSON *stamp_member_json(const struct stamp_tree *t, const uint8_t doc[MERKLE_HASH_LEN], const char *name,
			 size_t index);

/* Checks a "member" object: document 64 hex digits, name a string, index
 * and size integers with index < size <= STAMP_MAX_DOCS, path an array of
 * merkle_path_len(index, size) strings of 64 hex digits, and the path
 * leading from the document to batch_id. When document is not NULL it must
 * equal the member's document (the SHA-256 of the file at hand). Returns 0
 * with doc_out the member's document, or -1 with err saying what failed
 * and doc_out zeroed. */
int stamp_member_check(const cJSON *member, const uint8_t batch_id[MERKLE_HASH_LEN], const uint8_t *document,
		       uint8_t doc_out[MERKLE_HASH_LEN], char *err) WUR;

/* SHA-256 of a file's bytes, read in pieces. Returns 0, or -1 with err
 * filled ("cannot hash 'PATH': ...") and out zeroed. */
int stamp_hash_file(uint8_t out[MERKLE_HASH_LEN], const char *path, char *err) WUR;

#endif
