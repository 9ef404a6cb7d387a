/* An authenticated map from 32-byte keys (asset ids) to 32-byte values (the
 * hash of an asset's state record): a compact sparse Merkle tree kept in
 * memory. Every block header commits to the root of the map of all assets
 * after that block, so the hashing below is consensus:
 *
 *   - Keys are 256-bit strings, bit 0 = the most significant bit of byte 0;
 *     the tree is the binary trie on key bits, depth <= 256.
 *   - empty = 32 zero bytes.
 *   - leaf(key, value) = SHA-256(0x02 || key || value).
 *   - node(l, r) = SHA-256(0x03 || l || r).
 *   - The hash of a subtree: empty if it holds no key; leaf(k, v) if it holds
 *     exactly one key k (wherever that subtree sits: a single key is lifted
 *     to the highest subtree that holds only it); node(hash(left),
 *     hash(right)) otherwise. The root is the hash of the whole tree (empty
 *     for an empty map).
 *
 * In memory the trie is path-compressed (a crit-bit tree): an inner node
 * exists only where keys diverge and caches its hash, so a change costs the
 * hashes of one path. The tree is not thread-safe; its owner (the
 * chainstate) serializes every call, smt_root and smt_prove included, since
 * both refresh the cached hashes. */
#ifndef CAIRN_CHAIN_SMT_H
#define CAIRN_CHAIN_SMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/cursor.h"
#include "util/err.h"

#define SMT_KEY_LEN 32
#define SMT_HASH_LEN 32

struct smt; /* opaque */

/* An empty map, or NULL on no memory. Free with smt_free. */
struct smt *smt_new(void);
/* Frees the map and every node; takes NULL. */
void smt_free(struct smt *t);
/* The number of keys held. */
size_t smt_count(const struct smt *t);

/* Sets key to value, or removes key when value is NULL. Returns 1 when the
 * key was present before (its old value copied to old when old != NULL), 0
 * when it was absent, -1 on no memory or a NULL t or key (the tree
 * unchanged, old zeroed). old may be NULL, and may alias key or value (so
 * smt_set(t, k, v, v) swaps v with the stored value); when the key was
 * absent, old is zeroed. Root hashes are recomputed lazily, by smt_root. */
int smt_set(struct smt *t, const uint8_t key[32], const uint8_t *value, uint8_t old[32]) WUR;
/* 1 and *value, or 0 (value zeroed) when key is absent. */
int smt_get(const struct smt *t, const uint8_t key[32], uint8_t value[32]);
/* The root, recomputing only what changed since the last call:
 * O(changes x depth) hashes. */
void smt_root(struct smt *t, uint8_t root[32]);

#define SMT_MAX_PROOF 256

/* A proof about one key, present or absent. The siblings are the hashes met
 * on the key's path from its terminal (the key's own leaf, another key's
 * lifted leaf, or an empty subtree) at depth n up to the root:
 * sibling[0] is the other half of the level-(n-1) split, sibling[n-1] the
 * root's child opposite the key. Fields not in use (value when !present,
 * other_* when !other_present) are zero; so are sibling[n..]. */
struct smt_proof {
	uint8_t key[32]; /* the key asked about */
	bool present;    /* true: a membership proof, value holds its value */
	uint8_t value[32];
	/* For absence: what sits where the key would be: nothing (other_present
	 * false) or another key's leaf */
	bool other_present;
	uint8_t other_key[32], other_value[32];
	size_t n; /* siblings, from the deepest level up to the root's children */
	uint8_t sibling[SMT_MAX_PROOF][32];
};

/* Fills a proof for key (present or absent); out is cleared first. Returns
 * 0, or -1 on a NULL argument. Refreshes the cached hashes it reads. */
int smt_prove(struct smt *t, const uint8_t key[32], struct smt_proof *out) WUR;

/* Recomputes the root from the proof and compares it with root, after
 * checking that the proof is canonical: n <= 256; present and other_present
 * not both set; unused fields zero; the other leaf's key shares the first n
 * bits with key and differs from it; and the deepest sibling is not empty
 * when n > 0 (a leaf over an empty sibling would have been lifted higher,
 * and node(empty, empty) is never a subtree's hash). False with err
 * (ERR_LEN, may be NULL) saying why.
 *
 * A valid proof proves its statement about p->key and nothing else: an
 * absence proof for key k also proves the absence of every key sharing the
 * first n bits with k (when it shows another leaf, every such key but that
 * one), so the caller compares p->key with the key it asked about. */
bool smt_verify(const struct smt_proof *p, const uint8_t root[32], char *err);

/* The byte format of a proof, for the proof files:
 *
 *   flags      1 byte: bit 0 present, bit 1 other_present, the others zero;
 *              bits 0 and 1 never both set
 *   key        32 bytes
 *   value      32 bytes, only when present
 *   other_key  32 bytes, then other_value 32 bytes, only when other_present
 *   n          CompactSize varint, at most 256
 *   bitmap     ceil(n / 8) bytes: bit i (byte i / 8, bit i % 8 counted from
 *              the least significant) set when sibling[i] is not empty;
 *              the bits from n on are zero
 *   siblings   32 bytes for each bit set, in order of i; never all zero
 *              (an empty sibling is only ever written as a clear bit)
 *
 * so every proof has exactly one encoding. smt_proof_write appends it to b
 * (a failed allocation shows in buf_ok(b)). smt_proof_read reads one
 * encoding from c and advances c past it (bytes after it are the caller's);
 * false with err on a short, malformed or non-canonical encoding, with *out
 * zeroed and c unchanged. Reading checks the format, not the proof: run
 * smt_verify on the result. */
void smt_proof_write(struct buf *b, const struct smt_proof *p);
bool smt_proof_read(struct cursor *c, struct smt_proof *out, char *err) WUR;

#endif
