/* An unspent output as the chainstate keeps it: the output, the height of
 * the block that created it and whether a coinbase did.
 *
 *   coin = height u32 | coinbase u8 | output (as in a transaction)
 */
#ifndef CAIRN_CHAIN_COIN_H
#define CAIRN_CHAIN_COIN_H

#include "chain/tx.h"

struct coin {
	struct txout out;
	uint32_t height;
	bool coinbase;
};

void coin_init(struct coin *c);
void coin_release(struct coin *c);
/* Deep copy (dst initialised by the call); -1 on no memory. */
int coin_copy(struct coin *dst, const struct coin *src) WUR;
/* Makes a coin of output index of tx at height; -1 on no memory. */
int coin_from_tx(struct coin *c, const struct tx *tx, uint32_t index, uint32_t height) WUR;
void coin_write(struct buf *b, const struct coin *c);
/* Reads one coin (release it); -1 with err and *c cleared when truncated,
 * malformed or holding a value outside money range. */
int coin_read(struct cursor *cur, struct coin *c, char *err) WUR;

/* The asset index: where an asset was registered, where it is now and who
 * owns it.
 *   entry = reg txid (32) | reg index u32 | cur txid (32) | cur index u32
 *           | transfers u32 | owner (20) */
struct asset_entry {
	struct outpoint reg; /* the registering output */
	struct outpoint cur; /* its current (unspent) output */
	uint32_t transfers;
	uint8_t owner[20];   /* the address cur pays */
};

#define ASSET_ENTRY_SIZE 96
/* The state the header's asset root commits to:
 *   record = reg outpoint (36) | cur outpoint (36) | owner (20)
 * and its value in the map is SHA-256(record). */
#define ASSET_STATE_SIZE 92

void asset_entry_write(uint8_t out[ASSET_ENTRY_SIZE], const struct asset_entry *e);
bool asset_entry_read(struct asset_entry *e, const uint8_t *p, size_t len) WUR;
void asset_state_record(uint8_t out[ASSET_STATE_SIZE], const struct asset_entry *e);
/* SHA-256 of the state record: the asset's value in the asset map. */
void asset_state_hash(uint8_t out[32], const struct asset_entry *e);

#endif
