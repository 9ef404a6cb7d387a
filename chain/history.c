#include "chain/history.h"

#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"

void history_record(uint8_t out[HISTORY_LEAF_SIZE], const uint8_t hash[32], uint32_t height,
		    const struct u256 *work)
{
	memcpy(out, hash, 32);
	for (int i = 0; i < 4; i++)
		out[32 + i] = (uint8_t)(height >> (8 * i));
	u256_to_be(out + 36, work);
}

void history_leaf(uint8_t out[32], const struct block_index *b)
{
	uint8_t rec[HISTORY_LEAF_SIZE];
	history_record(rec, b->hash, b->height, &b->work);
	merkle_leaf_hash(out, rec, sizeof(rec));
}

/* The number of subtrees ending at the leaf of height h: one per trailing
 * zero bit of h + 1, and the leaf itself. */
static unsigned subtree_count(uint32_t h)
{
	uint64_t m = (uint64_t)h + 1;
	unsigned n = 1;
	while (!(m & 1)) {
		m >>= 1;
		n++;
	}
	return n;
}

int history_link(struct block_index *b)
{
	unsigned n = subtree_count(b->height);
	uint64_t end = (uint64_t)b->height + 1;
	history_unlink(b);
	if (!(b->hist = malloc(n * sizeof(*b->hist))))
		return -1;
	b->n_hist = (uint8_t)n;
	history_leaf(b->hist[0], b);
	/* The subtree of size 2^k ending here is the one of size 2^(k-1)
	 * ending 2^(k-1) leaves earlier, joined with the one of that size
	 * ending here. */
	for (unsigned k = 1; k < n; k++) {
		const struct block_index *left = index_ancestor(b->prev, (uint32_t)(end - (1ULL << (k - 1)) - 1));
		if (!left || left->n_hist < k) {
			history_unlink(b); /* ancestors come first, always */
			return -1;
		}
		merkle_node_hash(b->hist[k], left->hist[k - 1], b->hist[k - 1]);
	}
	return 0;
}

void history_unlink(struct block_index *b)
{
	free(b->hist);
	b->hist = NULL;
	b->n_hist = 0;
}

int history_subtree(void *ctx, uint64_t start, unsigned level, uint8_t out[MERKLE_HASH_LEN])
{
	struct block_index *last = ctx;
	if (level > 32)
		return -1;
	uint64_t end = start + (1ULL << level) - 1;
	if (!last || end > last->height || (start & ((1ULL << level) - 1)))
		return -1;
	const struct block_index *b = index_ancestor(last, (uint32_t)end);
	if (!b || b->n_hist <= level)
		return -1;
	memcpy(out, b->hist[level], MERKLE_HASH_LEN);
	return 0;
}

int history_root(uint8_t out[32], const struct block_index *last)
{
	uint8_t parts[33][32];
	unsigned n = 0;
	if (!last) {
		hash_sha256(out, "", 0);
		return 0;
	}
	/* The perfect subtrees of the binary digits of the size, largest
	 * first; RFC 6962's split folds them from the right. */
	uint64_t size = (uint64_t)last->height + 1, start = 0;
	for (int bit = 32; bit >= 0; bit--) {
		if (!(size & (1ULL << bit)))
			continue;
		if (history_subtree((void *)last, start, (unsigned)bit, parts[n++]) != 0)
			return -1;
		start += 1ULL << bit;
	}
	memcpy(out, parts[n - 1], 32);
	for (unsigned i = n - 1; i-- > 0;)
		merkle_node_hash(out, parts[i], out);
	return 0;
}
