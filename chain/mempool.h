/* The memory pool: transactions valid on top of the best chain and waiting
 * for a block, with Bitcoin Core's policy: first seen wins (no
 * replacement), a minimum relay fee rate, a memory budget enforced by
 * evicting the lowest fee rates, chains of unconfirmed transactions bounded
 * in length, a bounded orphan pool, expiry, and persistence across
 * restarts.
 *
 * Lives in chain/: the time is always an argument, nothing here touches the
 * network, and it is single-threaded (the node calls it from its event
 * loop). Pointers it hands out (struct tx *) stay valid until the next call
 * that changes the pool. Event callbacks must not call back into functions
 * that change the pool. See docs/mempool.md. */
#ifndef CAIRN_CHAIN_MEMPOOL_H
#define CAIRN_CHAIN_MEMPOOL_H

#include "chain/chainstate.h"

#define MEMPOOL_DEFAULT_MAX_BYTES 300000000u     /* -maxmempool=300 */
#define MEMPOOL_DEFAULT_MIN_RELAY_FEE 1000       /* units per 1,000 bytes */
#define MEMPOOL_DEFAULT_MAX_ORPHANS 100
#define MEMPOOL_DEFAULT_ORPHAN_LIFETIME (20 * 60) /* seconds */
#define MEMPOOL_DEFAULT_MAX_ORPHAN_SIZE 100000   /* bytes */
#define MEMPOOL_DEFAULT_EXPIRY (336 * 60 * 60)   /* seconds: two weeks */
#define MEMPOOL_DEFAULT_MAX_TX_SIZE 100000       /* standard size, bytes */
#define MEMPOOL_DEFAULT_CHAIN_LIMIT 25           /* ancestors and descendants */
/* Transactions of disconnected blocks waiting for mempool_reorg_done. */
#define MEMPOOL_MAX_DISCONNECTED_BYTES 20000000u

/* Memory accounting: an entry costs its serialized size plus a fixed
 * overhead for the entry and its map slots, plus a little per input and
 * output (the spender map, the links). */
#define MEMPOOL_ENTRY_OVERHEAD 256
#define MEMPOOL_INPUT_OVERHEAD 64
#define MEMPOOL_OUTPUT_OVERHEAD 32

/* The height a coin created by a pool transaction reports in
 * mempool_view (Bitcoin Core's MEMPOOL_HEIGHT). */
#define MEMPOOL_HEIGHT 0x7fffffffu

struct mempool;

struct mempool_opts {
	size_t max_bytes;         /* memory budget, see the accounting above */
	int64_t min_relay_fee;    /* units per 1,000 bytes, 0..MAX_MONEY */
	size_t max_tx_size;       /* larger transactions are not standard */
	size_t chain_limit;       /* most ancestors (and descendants), self included */
	size_t max_orphans;       /* 0: keep no orphans */
	size_t max_orphan_size;
	uint64_t orphan_lifetime; /* seconds */
	uint64_t expiry;          /* seconds; 0: transactions never expire */
};

/* Why a transaction left the pool (Bitcoin Core's MemPoolRemovalReason). */
enum mempool_removal {
	MEMPOOL_REMOVED_EXPIRY,    /* older than the expiry */
	MEMPOOL_REMOVED_SIZELIMIT, /* evicted to make room */
	MEMPOOL_REMOVED_REORG,     /* no longer valid after a reorganisation */
	MEMPOOL_REMOVED_BLOCK,     /* included in a connected block */
	MEMPOOL_REMOVED_CONFLICT,  /* a connected block spends what it spends */
};

/* For the wallet and the mesh. on_removed also tells of each transaction
 * that leaves because a block included it (reason BLOCK). */
struct mempool_events {
	void (*on_added)(void *ctx, const struct tx *tx);
	void (*on_removed)(void *ctx, const uint8_t txid[32], enum mempool_removal reason);
	void *ctx;
};

/* What mempool_accept_ex tells besides the verdict. */
struct mempool_result {
	int64_t fee;        /* inputs - outputs, when the inputs were found */
	bool orphan;        /* missing inputs and kept in the orphan pool */
	size_t n_resolved;  /* orphans accepted because this one was */
};

/* getmempoolentry's view of one transaction. */
struct mempool_entry_info {
	const struct tx *tx; /* the pool's, valid until the pool changes */
	int64_t fee;
	size_t size;         /* serialized bytes (vsize) */
	size_t usage;        /* memory accounting */
	uint64_t time;       /* when accepted */
	uint32_t height;     /* tip height when accepted */
	/* In-pool ancestors and descendants, each set counting the entry itself. */
	size_t ancestor_count, ancestor_size;
	int64_t ancestor_fees;
	size_t descendant_count, descendant_size;
	int64_t descendant_fees;
	uint8_t (*depends)[32]; /* in-pool parents (owned; release the info) */
	size_t n_depends;
	uint8_t (*spentby)[32]; /* in-pool children (owned) */
	size_t n_spentby;
};

/* getmempoolinfo's numbers. */
struct mempool_info {
	size_t count;
	size_t bytes;        /* sum of serialized sizes */
	size_t usage;        /* memory accounting */
	size_t max_usage;
	int64_t total_fee;
	int64_t min_relay_fee;
	size_t orphans;
};

/* An asset carried by pool transactions. */
struct mempool_asset_info {
	bool registered;        /* the registration itself is in the pool */
	uint8_t reg_txid[32];   /* that registration, when registered */
	struct outpoint cur;    /* the latest output of the asset in the pool */
};

/* A block template's transactions. */
struct mempool_selection {
	struct tx *txs;  /* n deep copies, every parent before its children */
	size_t n;
	size_t bytes;    /* sum of their serialized sizes */
	int64_t fees;
};

struct mempool_load_stats {
	bool found;      /* the file existed */
	size_t total;    /* transactions in the file */
	size_t accepted;
	size_t failed;   /* no longer valid, or refused by policy */
	size_t expired;
	size_t already;  /* already in the pool */
};

/* Fills o with the defaults above. */
void mempool_opts_default(struct mempool_opts *o);
/* A new empty pool on top of cs (which must outlive it); o NULL means the
 * defaults. NULL on no memory or on options out of range. */
struct mempool *mempool_new(struct chainstate *cs, const struct mempool_opts *o);
/* Frees the pool, its orphans and its queue; safe on NULL. */
void mempool_free(struct mempool *mp);
void mempool_set_events(struct mempool *mp, const struct mempool_events *ev);
const char *mempool_removal_name(enum mempool_removal r);

/* Checks tx against the rules and the policy and, when it passes, adds it
 * and then any orphans it resolves. true when tx was added; otherwise v
 * holds the reason (VR_MISSING_INPUTS "bad-txns-inputs-missingorspent" for
 * an orphan, which may have been kept). now is the unix time. */
bool mempool_accept(struct mempool *mp, const struct tx *tx, uint64_t now, struct verdict *v);
/* mempool_accept, also filling *res (may be NULL; cleared on entry). */
bool mempool_accept_ex(struct mempool *mp, const struct tx *tx, uint64_t now, struct mempool_result *res,
		       struct verdict *v);
/* mempool_accept for a transaction of this node's own user (RPC, wallet):
 * one whose parents are missing is refused, not kept as an orphan
 * (Bitcoin Core keeps orphans from peers only). */
bool mempool_accept_local(struct mempool *mp, const struct tx *tx, uint64_t now, struct verdict *v);
/* Every check of mempool_accept (policy, room, signatures) without adding
 * anything (testmempoolaccept). *fee gets the fee when the inputs were
 * found (else 0). */
bool mempool_test_accept(struct mempool *mp, const struct tx *tx, int64_t *fee, struct verdict *v);
/* Drops transactions older than the expiry (with their descendants);
 * returns how many. mempool_accept runs it too. */
size_t mempool_expire(struct mempool *mp, uint64_t now);

/* Chain events, wired by the node to struct chain_events (see
 * mempool_chain_events). block_connected removes the block's transactions
 * and whatever conflicts with them; block_disconnected queues the block's
 * transactions; reorg_done, called once activation has finished, returns
 * the queued ones to the pool (oldest block first, dropping those that no
 * longer fit), removes entries the new chain made invalid, and retries the
 * orphans. Calling reorg_done after every activation is harmless. */
void mempool_block_connected(struct mempool *mp, const struct block *b, const struct block_index *bi);
void mempool_block_disconnected(struct mempool *mp, const struct block *b, const struct block_index *bi);
void mempool_reorg_done(struct mempool *mp, uint64_t now);
/* A chain_events that calls the two functions above with mp. */
struct chain_events mempool_chain_events(struct mempool *mp);

/* Queries. Returned tx pointers belong to the pool. */
const struct tx *mempool_get(const struct mempool *mp, const uint8_t txid[32]);
bool mempool_has(const struct mempool *mp, const uint8_t txid[32]);
bool mempool_has_orphan(const struct mempool *mp, const uint8_t txid[32]);
/* Fills *out (released with mempool_entry_info_release); 1, 0 when not in
 * the pool, -1 on no memory. out is cleared on entry. */
int mempool_entry(struct mempool *mp, const uint8_t txid[32], struct mempool_entry_info *out);
void mempool_entry_info_release(struct mempool_entry_info *e);
/* The in-pool ancestors (up) or descendants of txid, each once, txid
 * itself left out (getmempoolancestors, getmempooldescendants): 1 with
 * *out (n txids, free() it), 0 when txid is not in the pool, -1 on no
 * memory; *out is NULL unless 1. */
int mempool_relatives(struct mempool *mp, const uint8_t txid[32], bool up, uint8_t (**out)[32], size_t *n) WUR;
void mempool_get_info(const struct mempool *mp, struct mempool_info *out);
size_t mempool_count(const struct mempool *mp);
size_t mempool_bytes(const struct mempool *mp);
/* Iterates the pool in no order: for (size_t it = 0; (tx = mempool_next(mp, &it));) */
const struct tx *mempool_next(const struct mempool *mp, size_t *it);
/* The pool transaction spending op, or NULL. */
const struct tx *mempool_spender(const struct mempool *mp, const struct outpoint *op);
/* 1 and *out when a pool transaction carries an output of asset id, 0
 * when none (out cleared). */
int mempool_asset(const struct mempool *mp, const uint8_t id[32], struct mempool_asset_info *out);
/* The chain with the pool on top: pool outputs are unspent (at height
 * MEMPOOL_HEIGHT), outputs that pool transactions spend are not, and asset
 * ids the pool registers are known. Valid while mp lives. */
struct coin_view mempool_view(struct mempool *mp);

/* A block template: transactions by fee rate, greedily, each taken only
 * once its in-pool parents are, within max_bytes of serialized size.
 * 0 with *out filled (release it), -1 on no memory (out empty). */
int mempool_select(struct mempool *mp, struct mempool_selection *out, size_t max_bytes) WUR;
void mempool_selection_release(struct mempool_selection *s);

/* Writes every transaction and its accept time to path, atomically (a
 * temporary file, fsync, rename). 0, or -1 with err (the old file stays). */
int mempool_save(struct mempool *mp, const char *path, char *err) WUR;
/* Reads a file written by mempool_save and re-accepts each transaction
 * (full validation); those that fail are skipped and counted. A missing
 * file loads nothing (stats->found false) and is not an error. -1 with err
 * when the file is unreadable or malformed: then nothing was added.
 * stats may be NULL; it is cleared on entry. */
int mempool_load(struct mempool *mp, const char *path, uint64_t now, struct mempool_load_stats *stats,
		 char *err) WUR;

#endif
