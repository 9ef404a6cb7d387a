/* The chainstate's key map: one prefix byte and a fixed-size key. See
 * docs/storage.md. */
#ifndef CAIRN_CHAIN_DBKEYS_H
#define CAIRN_CHAIN_DBKEYS_H

#include <stdint.h>
#include <string.h>

#include "chain/tx.h"

enum {
	DB_INDEX = 'b',    /* 'b' block hash       -> block index record */
	DB_UNDO = 'u',     /* 'u' block hash       -> spent coins, in spending order */
	DB_COIN = 'c',     /* 'c' txid index(u32le) -> coin */
	DB_HEIGHT = 'h',   /* 'h' height (u32be)   -> block hash on the best chain */
	DB_TX = 't',       /* 't' txid             -> block hash, position (u32le) */
	DB_ASSET = 'a',    /* 'a' asset id         -> asset entry */
	DB_TIP = 'T',      /* 'T'                  -> tip block hash */
	DB_VERSION = 'V',  /* 'V'                  -> format version (u32le) */
	/* The address index (-addressindex; chain/addrindex.h has the keys): */
	DB_ADDR_DELTA = 'x', /* 'x' addr height(be) pos(be) index(be) spending -> amount, txid */
	DB_ADDR_UTXO = 'y',  /* 'y' addr txid index(be) -> amount, height, pos, coinbase */
	DB_ADDR_BEST = 'X',  /* 'X'                  -> the last block indexed */
};

/* 3: block bodies moved to the block files (chain/blockfile.h). */
#define DB_FORMAT_VERSION 3

struct dbkey {
	uint8_t b[37];
	size_t len;
};

static inline struct dbkey dbkey_hash(uint8_t prefix, const uint8_t hash[32])
{
	struct dbkey k = { .len = 33 };
	k.b[0] = prefix;
	memcpy(k.b + 1, hash, 32);
	return k;
}

static inline struct dbkey dbkey_coin(const struct outpoint *op)
{
	struct dbkey k = { .len = 37 };
	k.b[0] = DB_COIN;
	outpoint_write(k.b + 1, op);
	return k;
}

static inline struct dbkey dbkey_height(uint32_t h)
{
	struct dbkey k = { .len = 5 };
	k.b[0] = DB_HEIGHT;
	for (int i = 0; i < 4; i++)
		k.b[1 + i] = (uint8_t)(h >> (24 - 8 * i));
	return k;
}

static inline struct dbkey dbkey_single(uint8_t prefix)
{
	struct dbkey k = { .len = 1 };
	k.b[0] = prefix;
	return k;
}

#endif
