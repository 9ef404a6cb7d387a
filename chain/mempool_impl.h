/* What the mempool's files share and nobody else sees: the pool's struct,
 * its entries and the helpers each part calls in another.
 *
 *   mempool.c          life cycle, accepting (policy, fees, chain limits),
 *                      making room, orphans
 *   mempool_entries.c  the entries: maps, in-pool links, asset slots,
 *                      walks, insert and remove, the chain + pool view
 *   mempool_chain.c    blocks connected and disconnected, reorganisations,
 *                      expiry
 *   mempool_query.c    queries and block templates
 *   mempool_file.c     saving and loading
 *
 * Included by those files only; the API is mempool.h. */
#ifndef CAIRN_CHAIN_MEMPOOL_IMPL_H
#define CAIRN_CHAIN_MEMPOOL_IMPL_H

#include "chain/mempool.h"
#include "chain/orphans.h"
#include "util/hmap.h"

/* A list of entries, used for links, asset slots and walks. */
struct mempool_list {
	struct mempool_tx **v;
	size_t n, cap;
};

/* A transaction in the pool, with what the policy keeps of it. */
struct mempool_tx {
	struct tx tx;
	int64_t fee;
	size_t usage;
	uint64_t time;
	uint64_t seq;   /* arrival order */
	uint32_t height;
	struct mempool_list parents, children; /* in-pool links, each entry once */
	uint8_t *reg;   /* per output: 1 when it registers its asset; NULL without asset outputs */
	/* Scratch for walks, eviction planning and selection. */
	uint64_t mark;
	bool keep, evict;
	size_t pending;
};

/* A transaction of a disconnected block, waiting for mempool_reorg_done. */
struct mempool_queued {
	struct tx tx;
	uint32_t height;
	size_t pos;
};

struct mempool {
	struct chainstate *cs;
	struct mempool_opts o;
	struct mempool_events ev;
	struct hmap txs;      /* txid -> entry (owned) */
	struct hmap spenders; /* outpoint -> entry spending it */
	struct hmap assets;   /* asset id -> struct mempool_list * of entries with an output of it */
	struct orphans orphans;
	struct mempool_queued *queue;
	size_t n_queue, cap_queue, queue_bytes;
	size_t bytes, usage;
	int64_t total_fee;
	uint64_t seq, epoch;
	uint64_t oldest; /* no entry is older (may be stale-low) */
};

/* ---- lookups ---- */

/* Units per 1,000 bytes; exact enough to order entries (fee <= MAX_MONEY
 * keeps fee * 1000 inside int64). */
static inline int64_t mempool_fee_rate(int64_t fee, size_t size)
{
	return size ? fee * 1000 / (int64_t)size : 0;
}

static inline struct mempool_tx *mempool_find(const struct mempool *mp, const uint8_t txid[32])
{
	return hmap_get(&mp->txs, txid);
}

static inline struct mempool_tx *mempool_spender_of(const struct mempool *mp, const struct outpoint *op)
{
	uint8_t key[36];
	outpoint_write(key, op);
	return hmap_get(&mp->spenders, key);
}

/* The entries with an output of asset id, or NULL when none. */
static inline struct mempool_list *mempool_asset_slot(const struct mempool *mp, const uint8_t id[32])
{
	return hmap_get(&mp->assets, id);
}

/* ---- mempool_entries.c ---- */

/* Appends e; 0, or -1 on no memory (a unchanged). */
int mempool_list_push(struct mempool_list *a, struct mempool_tx *e) WUR;
/* Frees the array and empties a; the entries stay. */
void mempool_list_release(struct mempool_list *a);
/* Frees an entry that is in no map or link. */
void mempool_tx_free(struct mempool_tx *e);
/* Collects e and its ancestors (up) or descendants (down) into out, each
 * once, e first. -1 on no memory (out then holds part of the set). */
int mempool_walk(struct mempool *mp, struct mempool_tx *e, bool up, struct mempool_list *out) WUR;
/* Puts e into the maps and links and counts it, then tells on_added. 0, or
 * -1 on no memory with e in nothing (the caller frees it). */
int mempool_insert(struct mempool *mp, struct mempool_tx *e) WUR;
/* Takes e out of the pool and frees it, then tells on_removed. */
void mempool_remove_one(struct mempool *mp, struct mempool_tx *e, enum mempool_removal why);
/* Removes e with its descendants, children first; returns how many. */
size_t mempool_remove_tree(struct mempool *mp, struct mempool_tx *e, enum mempool_removal why);
/* Removes the entries with these txids that are still in the pool, each
 * with its descendants; returns how many went. */
size_t mempool_remove_txids(struct mempool *mp, uint8_t (*ids)[32], size_t n, enum mempool_removal why);

/* ---- mempool.c ---- */

/* One transaction through every check and into the pool, no orphan
 * handling; bypass (a reorganisation returns it) skips the fee and room
 * limits. *fee (may be NULL) gets its fee when the inputs were found. */
bool mempool_accept_one(struct mempool *mp, const struct tx *tx, uint64_t time, bool bypass, int64_t *fee,
			struct verdict *v);
/* Takes the orphan txid out and tries it once more; one still missing
 * inputs goes back. true when it got in. */
bool mempool_try_orphan(struct mempool *mp, const uint8_t txid[32], uint64_t now);
/* Retries the orphans that spend outputs of txid, just accepted, and of
 * each that gets in; returns how many got in. */
size_t mempool_resolve_orphans(struct mempool *mp, const uint8_t txid[32], uint64_t now);
/* Brings the pool within its budget, evicting the lowest scores. */
void mempool_trim(struct mempool *mp);

/* ---- mempool_chain.c ---- */

/* Frees the transactions queued by disconnected blocks. */
void mempool_queue_clear(struct mempool *mp);
/* mempool_expire, when the oldest entry may have expired. */
void mempool_expire_if_due(struct mempool *mp, uint64_t now);

/* ---- mempool_query.c ---- */

/* The entries in template order within max_bytes, every parent before its
 * children. Fills *out (caller frees) and returns the count, or (size_t)-1
 * on no memory. */
size_t mempool_ordered(struct mempool *mp, size_t max_bytes, struct mempool_tx ***out);

#endif
