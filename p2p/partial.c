/* Rebuilding a block from a compact block (p2p/partial.h). */
#include "p2p/partial.h"

#include <stdlib.h>
#include <string.h>

#include "util/hmap.h"

void partial_release(struct partial *pb)
{
	for (size_t i = 0; pb->txs && i < pb->n; i++)
		tx_release(&pb->txs[i]);
	free(pb->txs);
	free(pb->have);
	free(pb->collided);
	memset(pb, 0, sizeof(*pb));
}

/* Short id -> 1 + the slot it names; PARTIAL_FALLBACK when two are
 * equal (Bitcoin Core's answer too: the sender's ids collide). */
static enum partial_status index_ids(struct hmap *ids, const struct cblock *c, const struct partial *pb)
{
	size_t k = 0;
	if (hmap_reserve(ids, c->n_ids) != 0)
		return PARTIAL_NOMEM;
	for (size_t i = 0; i < pb->n; i++) {
		if (pb->have[i])
			continue;
		int r = hmap_put_new(ids, &c->ids[k++], (void *)(uintptr_t)(i + 1));
		if (r != 0)
			return r > 0 ? PARTIAL_FALLBACK : PARTIAL_NOMEM;
	}
	return PARTIAL_OK;
}

static enum partial_status layout(struct partial *pb, const struct cblock *c)
{
	pb->header = c->header;
	memcpy(pb->hash, c->hash, 32);
	pb->n = c->n_ids + c->n_pre;
	pb->txs = calloc(pb->n, sizeof(*pb->txs));
	pb->have = calloc(pb->n, sizeof(*pb->have));
	pb->collided = calloc(pb->n, sizeof(*pb->collided));
	if (!pb->txs || !pb->have || !pb->collided)
		return PARTIAL_NOMEM;
	for (size_t i = 0; i < c->n_pre; i++) {
		uint32_t at = c->pre[i].index;
		if (at >= pb->n || pb->have[at] || tx_copy(&pb->txs[at], &c->pre[i].tx) != 0)
			return PARTIAL_NOMEM; /* decode keeps indexes ascending and in range */
		pb->have[at] = true;
	}
	pb->missing = c->n_ids;
	return PARTIAL_OK;
}

/* A candidate whose short id names a slot: it fills an empty one; a
 * second, different candidate for the same slot empties it again, and
 * that slot is then asked of the peer (Bitcoin Core does the same). */
static enum partial_status offer(struct partial *pb, size_t at, const struct tx *tx)
{
	if (pb->collided[at])
		return PARTIAL_OK;
	if (pb->have[at]) {
		if (memcmp(pb->txs[at].txid, tx->txid, 32) != 0) {
			tx_release(&pb->txs[at]);
			pb->have[at] = false;
			pb->collided[at] = true;
			pb->missing++;
			pb->from_pool--;
		}
		return PARTIAL_OK;
	}
	if (tx_copy(&pb->txs[at], tx) != 0)
		return PARTIAL_NOMEM;
	pb->have[at] = true;
	pb->missing--;
	pb->from_pool++;
	return PARTIAL_OK;
}

enum partial_status partial_init(struct partial *pb, const struct cblock *c, partial_next_fn next, void *ctx)
{
	struct hmap ids;
	struct siphash s;
	uint8_t key[SIPHASH_KEY_LEN];
	enum partial_status st;
	memset(pb, 0, sizeof(*pb));
	hmap_init(&ids, sizeof(uint64_t));
	if ((st = layout(pb, c)) != PARTIAL_OK || (st = index_ids(&ids, c, pb)) != PARTIAL_OK)
		goto out;
	cblock_key(key, &c->header, c->nonce);
	if (siphash_init(&s, key) != 0) {
		st = PARTIAL_NOMEM;
		goto out;
	}
	/* Every candidate is looked at, even once nothing is missing: a later
	 * one may collide with a slot already filled. */
	const struct tx *tx;
	for (size_t it = 0; st == PARTIAL_OK && (tx = next(ctx, &it));) {
		uint64_t id = cblock_shortid(&s, tx->txid);
		void *slot = hmap_get(&ids, &id);
		if (slot)
			st = offer(pb, (size_t)(uintptr_t)slot - 1, tx);
	}
	siphash_release(&s);
out:
	hmap_release(&ids);
	if (st != PARTIAL_OK)
		partial_release(pb);
	return st;
}

int partial_request(const struct partial *pb, struct cblock_request *r)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->hash, pb->hash, 32);
	if (!(r->idx = malloc((pb->missing ? pb->missing : 1) * sizeof(*r->idx))))
		return -1;
	for (size_t i = 0; i < pb->n; i++)
		if (!pb->have[i])
			r->idx[r->n++] = (uint32_t)i;
	return 0;
}

int partial_fill(struct partial *pb, struct cblock_txns *t)
{
	if (t->n != pb->missing || memcmp(t->hash, pb->hash, 32) != 0)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < pb->n; i++) {
		if (pb->have[i])
			continue;
		pb->txs[i] = t->txs[k];
		tx_init(&t->txs[k++]);
		pb->have[i] = true;
	}
	pb->missing = 0;
	return 0;
}

enum partial_status partial_finish(struct partial *pb, struct block *b)
{
	uint8_t root[32];
	block_init(b);
	if (pb->missing) {
		partial_release(pb);
		return PARTIAL_FALLBACK;
	}
	b->header = pb->header;
	b->n_tx = pb->n;
	b->txs = pb->txs;
	pb->txs = NULL;
	memcpy(b->hash, pb->hash, 32);
	b->size = BLOCK_HEADER_SIZE + buf_varint_size(b->n_tx);
	for (size_t i = 0; i < b->n_tx; i++)
		b->size += b->txs[i].size;
	partial_release(pb);
	block_merkle_root(root, b);
	if (memcmp(root, b->header.merkle, 32) != 0) {
		block_release(b);
		return PARTIAL_FALLBACK;
	}
	return PARTIAL_OK;
}
