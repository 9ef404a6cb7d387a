/* JSON pictures of transactions, headers and blocks for the RPC answers,
 * with Bitcoin Core's field names where the concept exists. Every function
 * returns a new cJSON item (caller frees) or NULL when out of memory. */
#ifndef CAIRN_RPC_TXJSON_H
#define CAIRN_RPC_TXJSON_H

#include <cJSON.h>

#include "chain/chainstate.h"

/* Lowercase hex of a 32-byte hash in natural byte order. */
void txjson_hash_hex(char out[65], const uint8_t hash[32]);
/* The same as a JSON string. */
cJSON *txjson_hash(const uint8_t hash[32]);
/* Adds name: hex string to obj; false when out of memory. */
bool txjson_add_hex(cJSON *obj, const char *name, const uint8_t *p, size_t len);
/* The address string of a 20-byte hash on network p. */
void txjson_address(char *out, size_t len, const struct chain_params *p, const uint8_t hash[20]);
/* Difficulty: the main network's easiest target over this one. */
double txjson_difficulty(uint32_t bits);

cJSON *txjson_output(const struct txout *o, uint32_t n, const struct chain_params *p);
/* txid, hash, size, version, locktime, vin, vout (decoderawtransaction). */
cJSON *txjson_tx(const struct tx *tx, const struct chain_params *p);
/* getblockheader's answer for a block of the index. */
cJSON *txjson_header(struct chainstate *cs, const struct block_index *bi);
/* getblock's answer: verbosity 1 lists txids, 2 whole transactions. */
cJSON *txjson_block(struct chainstate *cs, const struct block_index *bi, const struct block *b, int verbosity);

/* The shapes the builders above answer, in rpc/schema.h's notation, for
 * the method rows whose results embed them. */
#define TXJSON_OUTPUT_FIELDS_NO_N "value:amount,address:str,kind:'coin'|'asset',asset?:hash,metadata?:hex"
#define TXJSON_OUTPUT_FIELDS "n:int," TXJSON_OUTPUT_FIELDS_NO_N
#define TXJSON_INPUT "{txid:hash,vout:int,pubkey:hash,signature:hex}|{coinbase:int,data:hash}"
#define TXJSON_TX_FIELDS                                                                               \
	"txid:hash,hash:hash,size:int,vsize:int,version:int,locktime:int,vin:[" TXJSON_INPUT "],vout:[{" \
	TXJSON_OUTPUT_FIELDS "}]"
#define TXJSON_TX "{" TXJSON_TX_FIELDS "}"
#define TXJSON_HEADER_FIELDS                                                                                  \
	"hash:hash,confirmations:int,height:int,version:int,merkleroot:hash,historyroot:hash,assetroot:hash," \
	"time:int,mediantime:int,nonce:int," \
	"bits:hex,difficulty:num,chainwork:hash,nTx:int,previousblockhash?:hash,nextblockhash?:hash"
#define TXJSON_HEADER "{" TXJSON_HEADER_FIELDS "}"
#define TXJSON_BLOCK "{" TXJSON_HEADER_FIELDS ",size:int,tx:[hash]|[" TXJSON_TX "]}"

#endif
