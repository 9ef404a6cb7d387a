/* Compact block messages (BIP 152, version 1: cairn has no witness, so
 * short ids are of txids) and their short transaction ids, over bytes
 * only: no state, no I/O, as p2p/msg.h. docs/protocol.md gives every
 * layout.
 *
 *   sendcmpct   = announce u8 (0/1) | version u64
 *   cmpctblock  = header (152) | nonce u64 | varint n | n short ids (6 bytes
 *                 each, little-endian) | varint m | m × (varint index
 *                 delta | transaction)
 *   getblocktxn = block hash (32) | varint n | n × varint index delta
 *   blocktxn    = block hash (32) | varint n | n transactions
 *
 * Index deltas are BIP 152's differential encoding: each index is the
 * previous one plus one plus the delta (the first is the delta itself).
 * A short id is the low 48 bits of SipHash-2-4(txid) keyed with the first
 * 16 bytes of SHA-256(header ‖ nonce). */
#ifndef CAIRN_P2P_CBLOCK_H
#define CAIRN_P2P_CBLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/block.h"
#include "chain/siphash.h"
#include "chain/tx.h"
#include "util/buf.h"
#include "util/err.h"

#define CBLOCK_VERSION 1u
#define CBLOCK_SHORTID_SIZE 6
#define CBLOCK_SHORTID_MASK 0xffffffffffffull

struct cblock_sendcmpct {
	bool announce; /* push new blocks to us as cmpctblock (high bandwidth) */
	uint64_t version;
};

struct cblock_prefilled {
	uint32_t index; /* absolute position in the block */
	struct tx tx;
};

struct cblock {
	struct block_header header;
	uint64_t nonce;
	size_t n_ids;
	uint64_t *ids; /* owned; 48-bit values */
	size_t n_pre;
	struct cblock_prefilled *pre; /* owned, ascending indexes */
	uint8_t hash[32];             /* of header, filled by decode and build */
};

/* getblocktxn: the positions of the transactions wanted */
struct cblock_request {
	uint8_t hash[32];
	size_t n;
	uint32_t *idx; /* owned, ascending */
};

/* blocktxn: those transactions, in the order asked */
struct cblock_txns {
	uint8_t hash[32];
	size_t n;
	struct tx *txs; /* owned */
};

/* The short-id key of a compact block. */
void cblock_key(uint8_t key[SIPHASH_KEY_LEN], const struct block_header *h, uint64_t nonce);
/* The 48-bit short id of txid under a keyed s. */
uint64_t cblock_shortid(struct siphash *s, const uint8_t txid[32]);

/* Fills c from block b with nonce: the coinbase prefilled, every other
 * transaction as its short id. -1 on no memory or a SipHash failure (c
 * released). */
int cblock_build(struct cblock *c, const struct block *b, uint64_t nonce) WUR;

/* Encoders append to out; -1 when a count breaks its limit or out failed
 * to grow. */
int cblock_sendcmpct_encode(struct buf *out, const struct cblock_sendcmpct *m) WUR;
int cblock_encode(struct buf *out, const struct cblock *c) WUR;
int cblock_request_encode(struct buf *out, const struct cblock_request *r) WUR;
int cblock_txns_encode(struct buf *out, const struct cblock_txns *t) WUR;

/* Decoders: 0, or -1 with err filled and the output released. They refuse
 * truncation, trailing bytes, counts over BLOCK_MAX_TXS, indexes past the
 * block's transaction count (or 65535 for a request, as Bitcoin Core) and
 * a compact block without transactions. */
int cblock_sendcmpct_decode(struct cblock_sendcmpct *m, const uint8_t *p, size_t len, char *err) WUR;
int cblock_decode(struct cblock *c, const uint8_t *p, size_t len, char *err) WUR;
int cblock_request_decode(struct cblock_request *r, const uint8_t *p, size_t len, char *err) WUR;
int cblock_txns_decode(struct cblock_txns *t, const uint8_t *p, size_t len, char *err) WUR;

/* Free the lists; safe on zeroed or released messages, and twice. */
void cblock_release(struct cblock *c);
void cblock_request_release(struct cblock_request *r);
void cblock_txns_release(struct cblock_txns *t);

#endif
