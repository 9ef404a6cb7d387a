/* Transactions: structures, (de)serialization, txid and signature message.
 *
 * Serialization (all integers little-endian, counts as CompactSize varints):
 *   version u32 | n_in varint | n_in × input | n_out varint | n_out × output | lock_time u32
 *   input  = prev txid (32) | prev index u32 | x-only pubkey (32) | signature (64)
 *   output = value i64 | address hash (20) | kind u8
 *            [kind 1 (asset): asset id (32) | metadata length varint (≤256) | metadata]
 */
#ifndef CAIRN_CHAIN_TX_H
#define CAIRN_CHAIN_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/cursor.h"
#include "util/err.h"

#define COIN 100000000LL
#define MAX_MONEY (21000000LL * COIN)
#define TX_META_MAX 256
#define TX_INPUT_SIZE 132
/* Bounds applied before allocating: nothing larger fits in a 2 MB block. */
#define TX_MAX_SIZE 2000000
#define TX_MAX_INPUTS (TX_MAX_SIZE / TX_INPUT_SIZE)
#define TX_MAX_OUTPUTS (TX_MAX_SIZE / 29)

enum txout_kind { TXOUT_COIN = 0, TXOUT_ASSET = 1 };

static inline bool money_range(int64_t v)
{
	return v >= 0 && v <= MAX_MONEY;
}

struct outpoint {
	uint8_t txid[32];
	uint32_t index;
};

struct txin {
	struct outpoint prev;
	uint8_t pubkey[32];
	uint8_t sig[64];
};

struct txout {
	int64_t value;
	uint8_t addr[20];
	uint8_t kind;
	uint16_t meta_len;
	uint8_t asset[32];
	uint8_t *meta; /* meta_len bytes, owned; NULL when meta_len is 0 */
};

struct tx {
	uint32_t version;
	uint32_t lock_time;
	size_t n_in, n_out;
	struct txin *in;
	struct txout *out;
	/* Cached at parse/finalize time: */
	uint8_t txid[32];
	size_t size;
};

void tx_init(struct tx *tx);
/* Frees the lists; safe on an initialised or released tx. */
void tx_release(struct tx *tx);
/* Deep copy into dst (initialised by the call); -1 on no memory. */
int tx_copy(struct tx *dst, const struct tx *src) WUR;
/* Resizes the input/output lists (new entries zeroed); -1 on no memory. */
int tx_resize(struct tx *tx, size_t n_in, size_t n_out) WUR;
/* Sets an output's metadata (copied; at most TX_META_MAX bytes). */
int txout_set_meta(struct txout *o, const uint8_t *meta, size_t len) WUR;

/* Writes one output as it is serialized in a transaction (the codec the
 * chainstate's coins reuse). */
void txout_write(struct buf *b, const struct txout *o);
/* Reads one output (its meta is owned); -1 with err and *o cleared. */
int txout_read(struct cursor *c, struct txout *o, char *err) WUR;
void tx_write(struct buf *b, const struct tx *tx);
/* Reads one transaction from the cursor (which may hold more after it).
 * On failure tx is left released and err says what was malformed. */
int tx_read(struct cursor *c, struct tx *tx, char *err) WUR;
/* Parses exactly one transaction: trailing bytes are refused. Computes the
 * cached txid and size. */
int tx_parse(struct tx *tx, const uint8_t *p, size_t len, char *err) WUR;
/* Recomputes the cached txid and size after the caller changed fields. */
void tx_finalize(struct tx *tx);

size_t tx_serialized_size(const struct tx *tx);
bool tx_is_coinbase(const struct tx *tx);
/* The message every input signs: SHA-256d(magic ‖ tx with all signature
 * fields zeroed). One per transaction. */
void tx_sighash(uint8_t out[32], const struct tx *tx, const uint8_t magic[4]);

/* The address hash a key pays to: the first 20 bytes of SHA-256 of the
 * x-only public key. */
void tx_pubkey_hash(uint8_t out[20], const uint8_t pubkey[32]);

void outpoint_write(uint8_t out[36], const struct outpoint *op);
bool outpoint_is_null(const struct outpoint *op);

#endif
