/* The block index: one entry for every valid-looking header the node has
 * seen, linked to its parent, with height, cumulative work and status. The
 * chainstate owns the entries; everything else holds pointers into it. */
#ifndef CAIRN_CHAIN_INDEX_H
#define CAIRN_CHAIN_INDEX_H

#include "chain/block.h"
#include "chain/params.h"
#include "chain/u256.h"
#include "util/hmap.h"

enum block_status {
	BLOCK_HAVE_DATA = 1 << 0,    /* the full block is stored */
	BLOCK_VALID_TXS = 1 << 1,    /* connected once: every rule checked */
	BLOCK_FAILED = 1 << 2,       /* breaks a rule, or invalidated by hand */
	BLOCK_FAILED_CHILD = 1 << 3, /* descends from a failed block */
};
#define BLOCK_FAILED_MASK (BLOCK_FAILED | BLOCK_FAILED_CHILD)

/* Where a block first came from, for its provenance. */
enum block_source { SOURCE_UNKNOWN = 0, SOURCE_PEER, SOURCE_MINED, SOURCE_RPC, SOURCE_GENESIS };

struct block_index {
	uint8_t hash[32];
	struct block_header header;
	struct block_index *prev;
	struct block_index *skip; /* an ancestor further back (index_link_skip), or NULL */
	uint32_t height;
	uint32_t status;
	uint32_t n_tx;
	struct u256 work;   /* cumulative, through this block */
	uint64_t seq;       /* arrival order: the first seen wins ties */
	uint64_t received;  /* unix time this node first stored the block, 0 if unknown */
	uint8_t source;     /* enum block_source */
	char source_peer[48];
	/* Where the body is in the block files (chain/blockfile.h); meaningful
	 * with BLOCK_HAVE_DATA. */
	uint32_t data_file, data_pos, data_len;
	/* In memory only: this block and all its ancestors have data. */
	bool linked;
	/* In memory only: the history subtrees ending at this block
	 * (chain/history.h), n_hist of them, owned. */
	uint8_t n_hist;
	uint8_t (*hist)[32];
};

#define BLOCK_INDEX_RECORD_SIZE (BLOCK_HEADER_SIZE + 4 + 4 + 4 + 32 + 8 + 8 + 1 + 12 + 48)

/* Ancestor of b at height h (b itself when h == b->height); NULL above it.
 * O(log n) steps along the skip pointers where they are set. */
struct block_index *index_ancestor(struct block_index *b, uint32_t height);
/* Sets b->skip from b->prev (whose own ancestors must have theirs): the
 * ancestor at a height whose binary form drops b's lowest set bits, as
 * Bitcoin Core's skip list, so that any ancestor is a few jumps away. */
void index_link_skip(struct block_index *b);
/* Median of the times of b and up to 10 of its ancestors. */
uint64_t index_median_time(const struct block_index *b);
/* The bits a block on top of prev must carry. */
uint32_t index_next_bits(const struct block_index *prev, const struct chain_params *p);
/* The last common ancestor of a and b. */
struct block_index *index_fork(struct block_index *a, struct block_index *b);
bool index_failed(const struct block_index *b);

/* Record for the database: header, height, status, n_tx, work, seq,
 * received, source, the body's file, offset and length, peer. */
void index_write(uint8_t out[BLOCK_INDEX_RECORD_SIZE], const struct block_index *b);
/* Reads a record; prev is left NULL for the caller to link. */
int index_read(struct block_index *b, const uint8_t *p, size_t len, char *err) WUR;

#endif
