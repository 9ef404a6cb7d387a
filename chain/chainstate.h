/* The chainstate: the block index, the best chain, the unspent outputs,
 * undo data and the transaction and asset indexes, kept in the store.
 *
 * Connecting or disconnecting a block is one store batch that also moves
 * the tip, so a crash at any instant leaves the previous or the next state.
 * The best chain is the valid one with the most cumulative work; the first
 * seen wins a tie. Not thread-safe: the node calls it from one thread. */
#ifndef CAIRN_CHAIN_CHAINSTATE_H
#define CAIRN_CHAIN_CHAINSTATE_H

#include "chain/index.h"
#include "chain/smt.h"
#include "chain/validate.h"

struct chainstate;
struct pool;

/* A listener of the chainstate. connected and disconnected are told of
 * every block joining or leaving the best chain, in order, after the store
 * holds the change; a disconnected block's transactions are the mempool's
 * to take back. tip_changed follows once a change of the best chain is
 * complete (one call for a whole reorganisation, however it was started:
 * a block from a peer, the miner, submitblock, invalidate or reconsider).
 * Any member may be NULL. */
struct chain_events {
	void (*connected)(void *ctx, const struct block *b, const struct block_index *bi);
	void (*disconnected)(void *ctx, const struct block *b, const struct block_index *bi);
	void (*tip_changed)(void *ctx, const struct block_index *tip);
	void *ctx;
};

/* What chainstate_open rebuilds before it loads (Bitcoin Core's -reindex
 * and -reindex-chainstate). */
enum chainstate_reindex {
	REINDEX_NONE = 0,
	/* Wipe the database; rebuild the block index and everything else from
	 * every block in the block files, in file order. */
	REINDEX_FULL,
	/* Keep the block index; wipe the rest and reconnect the best chain
	 * from genesis, reading the blocks from the block files. */
	REINDEX_CHAINSTATE,
};

struct chainstate_opts {
	const char *path;    /* database folder */
	size_t cache_bytes;  /* LevelDB block cache */
	struct pool *pool;   /* the node's workers for signature checks; NULL: the caller's thread */
	/* The block files' folder; NULL: `<path>/blocks`. */
	const char *blocks_dir;
	uint32_t blockfile_max; /* bytes before a new block file; 0: Bitcoin Core's 128 MiB */
	enum chainstate_reindex reindex;
	uint64_t now;        /* unix time, for the header checks of a reindex */
	bool check_db;       /* read the whole database once (store_verify) before loading */
	/* When not NULL, set true when the open failed because the database
	 * is damaged or inconsistent (a reindex rebuilds it), false otherwise. */
	bool *corrupt;
};

/* Opens or creates the chainstate; a new one starts with the network's
 * genesis block connected. NULL with err filled on failure (see
 * o->corrupt). A reindex logs its progress ("reindex: block N of ~M"). */
struct chainstate *chainstate_open(const struct chain_params *p, const struct chainstate_opts *o, char *err);
void chainstate_close(struct chainstate *cs);
#define CHAIN_MAX_LISTENERS 8
/* Adds a listener (copied); listeners are told in the order they were
 * added. -1 when CHAIN_MAX_LISTENERS are listening already. */
int chainstate_listen(struct chainstate *cs, const struct chain_events *ev) WUR;
/* Removes every listener whose ctx is ctx (before ctx is freed). */
void chainstate_unlisten(struct chainstate *cs, void *ctx);
const struct chain_params *chainstate_params(const struct chainstate *cs);
struct connect_writer;
struct store;
/* Sets the one index written in the same batch as every later connect and
 * disconnect of the tip (copied; NULL: none). chain/connect.h. */
void chainstate_set_writer(struct chainstate *cs, const struct connect_writer *w);
/* The store under the chainstate, for an index that keeps its own records
 * there (its prefixes in chain/dbkeys.h); valid until chainstate_close. */
struct store *chainstate_store(struct chainstate *cs);

struct block_index *chainstate_tip(const struct chainstate *cs);
/* The best chain's block at height, NULL above the tip. */
struct block_index *chainstate_at(const struct chainstate *cs, uint32_t height);
struct block_index *chainstate_lookup(const struct chainstate *cs, const uint8_t hash[32]);
bool chainstate_on_best(const struct chainstate *cs, const struct block_index *bi);
/* The header with the most work whose chain is not known invalid. */
struct block_index *chainstate_best_header(const struct chainstate *cs);
/* Iterates every index entry: for (size_t it = 0; (bi = chainstate_next(cs, &it));) */
struct block_index *chainstate_next(const struct chainstate *cs, size_t *it);

/* Adds a header to the index after its checks (proof of work, parent known
 * and valid, bits, time). *out gets the entry, also when it was known. */
bool chainstate_accept_header(struct chainstate *cs, const struct block_header *h, uint64_t now,
			      struct block_index **out, struct verdict *v);
/* Checks and stores a full block, then moves to the best chain. The
 * verdict is about this block: invalid when it breaks a rule, including
 * when connecting it failed. source and peer (may be NULL) record where it
 * came from. */
bool chainstate_accept_block(struct chainstate *cs, const struct block *b, uint64_t now,
			     enum block_source source, const char *peer, struct verdict *v);
/* As chainstate_accept_block, for a block every signature of which the
 * caller has verified in this very object (b itself, not a copy or the
 * same hash from elsewhere): connecting b skips that one check. Any other
 * block connected on the way is checked in full. */
bool chainstate_accept_verified(struct chainstate *cs, const struct block *b, uint64_t now,
				enum block_source source, const char *peer, struct verdict *v);
/* Moves to the best valid chain (after a restart, reconsider or a failed
 * connect). Returns 0, or -1 on a local error with err filled. */
int chainstate_activate(struct chainstate *cs, char *err) WUR;
/* Marks the block and its descendants invalid and leaves their chain. */
int chainstate_invalidate(struct chainstate *cs, struct block_index *bi, char *err) WUR;
/* Clears the invalid marks of the block, its ancestors and descendants,
 * then moves to the best chain. */
int chainstate_reconsider(struct chainstate *cs, struct block_index *bi, char *err) WUR;

/* Sets the asset root of b's header to the asset map after b, for a block
 * built on the tip (a block on another parent may hold no asset output: it
 * gets its parent's root, as mine_build gave it). Every rule but the
 * signatures is checked on the way; -1 with err when b does not connect.
 * The header changes: solve the block afterwards. */
int chainstate_commit_assets(struct chainstate *cs, struct block *b, char *err) WUR;
/* Reads a stored block; -1 with err when it is missing or unreadable. */
int chainstate_read_block(struct chainstate *cs, const struct block_index *bi, struct block *out, char *err) WUR;
/* Reads the undo data of bi, a block on the best chain whose block b the
 * caller read: the coins its inputs spent (connect.h). 0, or -1 with err
 * and *out empty. */
struct connect_undo;
int chainstate_read_undo(struct chainstate *cs, const struct block_index *bi, const struct block *b,
			 struct connect_undo *out, char *err) WUR;
/* Bitcoin Core's verifychain over the best chain's top nblocks blocks (0:
 * all but genesis), at check level 0-4: 0 reads each block from the block
 * files, 1 checks it (block_check), 2 reads its undo data, 3 disconnects the
 * blocks from the tip down on a scratch copy of the chainstate (nothing is
 * written), checking the asset roots on the way, 4 reconnects them there
 * with every rule. 1 when every check passed, 0 with err saying what failed
 * first, -1 on a local error (err). The asset map is left as it was. */
int chainstate_verify(struct chainstate *cs, int level, uint32_t nblocks, char *err) WUR;
/* The unspent output at op: 1 and *out (caller releases), 0, or -1. */
int chainstate_get_coin(struct chainstate *cs, const struct outpoint *op, struct coin *out);
/* A view of the best chain's unspent outputs and assets. */
struct coin_view chainstate_view(struct chainstate *cs);
/* Where a confirmed transaction is: 1 with the block and the position, 0
 * when unknown, -1 on error. */
int chainstate_find_tx(struct chainstate *cs, const uint8_t txid[32], struct block_index **bi, uint32_t *pos);
/* 1 and *out, 0 when the asset id was never registered, -1 on error. */
int chainstate_get_asset(struct chainstate *cs, const uint8_t id[32], struct asset_entry *out);
/* The proof of id's presence or absence in the tip's asset map (the root
 * the tip's header carries); -1 on a NULL argument. */
int chainstate_asset_state_proof(struct chainstate *cs, const uint8_t id[32], struct smt_proof *out) WUR;
/* The number of asset ids registered on the best chain (the asset index's
 * entries); the last count when the store cannot be read. */
size_t chainstate_asset_count(struct chainstate *cs);
/* Calls fn for every unspent output (for consistency checks and rescans);
 * stops early and returns -1 when fn does. */
int chainstate_for_each_coin(struct chainstate *cs, int (*fn)(void *ctx, const struct outpoint *op, const struct coin *c), void *ctx);

#endif
