/* Blocks: header and transaction list, (de)serialization and hashes.
 *
 *   header = version u32 | prev hash (32) | merkle root (32) | history root (32)
 *            | assets root (32) | time u64 | bits u32 | nonce u64
 *   block  = header | n_tx varint | n_tx × transaction
 */
#ifndef CAIRN_CHAIN_BLOCK_H
#define CAIRN_CHAIN_BLOCK_H

#include "chain/tx.h"

#define BLOCK_HEADER_SIZE 152
#define BLOCK_MAX_SIZE 2000000
/* The smallest transaction is 4+1+1+4 bytes plus one input or output. */
#define BLOCK_MAX_TXS (BLOCK_MAX_SIZE / 39)

struct block_header {
	uint32_t version;
	uint8_t prev[32];
	uint8_t merkle[32];
	/* RFC 6962 tree hash of the history leaves of every earlier block
	 * (chain/history.h): block 0 .. this block's parent. */
	uint8_t history[32];
	/* Root of the asset-state map after this block (chain/smt.h). */
	uint8_t assets[32];
	uint64_t time;
	uint32_t bits;
	uint64_t nonce;
};

struct block {
	struct block_header header;
	size_t n_tx;
	struct tx *txs;
	uint8_t hash[32]; /* cached by block_parse / block_finalize */
	size_t size;
};

void header_write(uint8_t out[BLOCK_HEADER_SIZE], const struct block_header *h);
bool header_read(struct cursor *c, struct block_header *h) WUR;
void header_hash(uint8_t out[32], const struct block_header *h);

void block_init(struct block *b);
void block_release(struct block *b);
/* Grows the transaction list to n (new entries initialised); -1 on no memory. */
int block_resize(struct block *b, size_t n) WUR;
void block_write(struct buf *out, const struct block *b);
/* Parses exactly one block (no trailing bytes), at most BLOCK_MAX_SIZE;
 * computes the cached hash, size and every txid. On failure b is released
 * and err says what was malformed. */
int block_parse(struct block *b, const uint8_t *p, size_t len, char *err) WUR;
/* Recomputes the merkle root from the txids (tx_finalize them first), the
 * cached hash and size. */
void block_finalize(struct block *b);
/* Merkle root over the block's cached txids. */
void block_merkle_root(uint8_t out[32], const struct block *b);

#endif
