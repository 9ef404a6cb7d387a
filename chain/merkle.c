#include "chain/merkle.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"

/* Leaves up to this size are hashed from one stack buffer through
 * hash_sha256; a txid leaf (33 bytes with its prefix) always is. */
#define SHORT_LEAF 64

/* Longer leaf data only occurs in proofs over arbitrary data; it is hashed
 * in two parts rather than copied behind its prefix byte. */
static void leaf_hash_long(uint8_t out[MERKLE_HASH_LEN], const void *data, size_t len)
{
	static const uint8_t prefix = 0x00;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, &prefix, 1) != 1 || EVP_DigestUpdate(ctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		abort(); /* as in chain/hash.c: no SHA-256 means no node */
	EVP_MD_CTX_free(ctx);
}

void merkle_leaf_hash(uint8_t out[MERKLE_HASH_LEN], const void *data, size_t len)
{
	uint8_t buf[1 + SHORT_LEAF];
	if (len > SHORT_LEAF) {
		leaf_hash_long(out, data, len);
		return;
	}
	buf[0] = 0x00;
	if (len)
		memcpy(buf + 1, data, len);
	hash_sha256(out, buf, 1 + len);
}

void merkle_node_hash(uint8_t out[MERKLE_HASH_LEN], const uint8_t left[MERKLE_HASH_LEN],
		      const uint8_t right[MERKLE_HASH_LEN])
{
	uint8_t buf[1 + 2 * MERKLE_HASH_LEN];
	buf[0] = 0x01;
	memcpy(buf + 1, left, MERKLE_HASH_LEN);
	memcpy(buf + 1 + MERKLE_HASH_LEN, right, MERKLE_HASH_LEN);
	hash_sha256(out, buf, sizeof(buf));
}

static void leaf_at(uint8_t out[MERKLE_HASH_LEN], const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t i,
		    bool raw)
{
	if (raw)
		merkle_leaf_hash(out, leaves[i], MERKLE_HASH_LEN);
	else
		memcpy(out, leaves[i], MERKLE_HASH_LEN);
}

/* Builds the tree left to right keeping only the roots of the complete
 * subtrees seen so far (sizes are the binary digits of the count, so at most
 * one per bit plus the newest leaf), then folds them right to left. That
 * fold is exactly RFC 6962's split at the largest power of two below n. */
static void root_of(uint8_t root[MERKLE_HASH_LEN], const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n,
		    bool raw)
{
	uint8_t stack[MERKLE_MAX_PATH + 1][MERKLE_HASH_LEN];
	size_t depth = 0;

	if (n == 0) {
		hash_sha256(root, "", 0);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		leaf_at(stack[depth++], leaves, i, raw);
		for (size_t count = i + 1; !(count & 1); count >>= 1) {
			depth--;
			merkle_node_hash(stack[depth - 1], stack[depth - 1], stack[depth]);
		}
	}
	for (; depth > 1; depth--)
		merkle_node_hash(stack[depth - 2], stack[depth - 2], stack[depth - 1]);
	memcpy(root, stack[0], MERKLE_HASH_LEN);
}

void merkle_root(uint8_t root[MERKLE_HASH_LEN], const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n)
{
	root_of(root, leaves, n, true);
}

void merkle_root_hashed(uint8_t root[MERKLE_HASH_LEN], const uint8_t (*leaf_hashes)[MERKLE_HASH_LEN],
			size_t n)
{
	root_of(root, leaf_hashes, n, false);
}

/* The largest power of two strictly below m, for m >= 2; written so that
 * it cannot overflow even for m near SIZE_MAX. */
static size_t split_point(size_t m)
{
	size_t k = 1;
	while (k <= (m - 1) / 2)
		k <<= 1;
	return k;
}

size_t merkle_path_len(size_t index, size_t n)
{
	size_t len = 0, lo = 0, hi = n;
	if (index >= n)
		return 0;
	while (hi - lo > 1) {
		size_t k = split_point(hi - lo);
		if (index < lo + k)
			hi = lo + k;
		else
			lo += k;
		len++;
	}
	return len;
}

/* Descends from the root towards the leaf, taking at each level the root of
 * the subtree on the other side (RFC 6962's recursive PATH definition,
 * unrolled), then reverses so that the path runs from the leaf upwards. The
 * sibling subtrees partition the other leaves, so this is O(n) hashing. */
static int path_of(uint8_t (*path)[MERKLE_HASH_LEN], size_t *path_len, size_t max_path,
		   const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n, size_t index, bool raw)
{
	size_t len = 0, lo = 0, hi = n;

	if (path_len)
		*path_len = 0;
	if (path && max_path)
		memset(path, 0, max_path * MERKLE_HASH_LEN);
	if (!path_len || (!path && max_path) || !leaves || index >= n)
		return -1;
	if (merkle_path_len(index, n) > max_path)
		return -1;
	while (hi - lo > 1) {
		size_t k = split_point(hi - lo);
		if (index < lo + k) {
			root_of(path[len++], leaves + lo + k, hi - lo - k, raw);
			hi = lo + k;
		} else {
			root_of(path[len++], leaves + lo, k, raw);
			lo += k;
		}
	}
	for (size_t i = 0; i < len / 2; i++) {
		uint8_t t[MERKLE_HASH_LEN];
		memcpy(t, path[i], MERKLE_HASH_LEN);
		memcpy(path[i], path[len - 1 - i], MERKLE_HASH_LEN);
		memcpy(path[len - 1 - i], t, MERKLE_HASH_LEN);
	}
	*path_len = len;
	return 0;
}

int merkle_path(uint8_t (*path)[MERKLE_HASH_LEN], size_t *path_len, size_t max_path,
		const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n, size_t index)
{
	return path_of(path, path_len, max_path, leaves, n, index, true);
}

int merkle_path_hashed(uint8_t (*path)[MERKLE_HASH_LEN], size_t *path_len, size_t max_path,
		       const uint8_t (*leaf_hashes)[MERKLE_HASH_LEN], size_t n, size_t index)
{
	return path_of(path, path_len, max_path, leaf_hashes, n, index, false);
}

/* RFC 9162 section 2.1.3.2. fn walks the leaf's position up the tree and
 * sn the last position of the level; a path that runs out before sn reaches
 * 0, or goes on after it, has the wrong length for (index, n). */
bool merkle_verify_hashed(const uint8_t leaf_hash[MERKLE_HASH_LEN], size_t index, size_t n,
			  const uint8_t (*path)[MERKLE_HASH_LEN], size_t path_len,
			  const uint8_t root[MERKLE_HASH_LEN])
{
	uint8_t r[MERKLE_HASH_LEN];
	size_t fn = index, sn;

	if (!leaf_hash || !root || (path_len && !path) || index >= n)
		return false;
	sn = n - 1;
	memcpy(r, leaf_hash, MERKLE_HASH_LEN);
	for (size_t i = 0; i < path_len; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(r, path[i], r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(r, r, path[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, MERKLE_HASH_LEN) == 0;
}

bool merkle_verify(const uint8_t leaf[MERKLE_HASH_LEN], size_t index, size_t n,
		   const uint8_t (*path)[MERKLE_HASH_LEN], size_t path_len, const uint8_t root[MERKLE_HASH_LEN])
{
	uint8_t h[MERKLE_HASH_LEN];
	if (!leaf)
		return false;
	merkle_leaf_hash(h, leaf, MERKLE_HASH_LEN);
	return merkle_verify_hashed(h, index, n, path, path_len, root);
}
