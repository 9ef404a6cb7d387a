#include "rpc/txjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/address.h"
#include "rpc/amount.h"
#include "rpc/server.h"
#include "util/hex.h"

void txjson_hash_hex(char out[65], const uint8_t hash[32])
{
	hex_encode(out, hash, 32);
}

cJSON *txjson_hash(const uint8_t hash[32])
{
	char h[65];
	txjson_hash_hex(h, hash);
	return cJSON_CreateString(h);
}

bool txjson_add_hex(cJSON *obj, const char *name, const uint8_t *p, size_t len)
{
	char *s = hex_alloc(p, len);
	bool ok = s && cJSON_AddStringToObject(obj, name, s);
	free(s);
	return ok;
}

void txjson_address(char *out, size_t len, const struct chain_params *p, const uint8_t hash[20])
{
	if (address_encode(out, len, p->hrp, hash) != 0)
		snprintf(out, len, "?");
}

double txjson_difficulty(uint32_t bits)
{
	/* Both targets as mantissa · 256^(exponent-3): the ratio needs no
	 * 256-bit arithmetic. */
	uint32_t ref = POW_MAIN_LIMIT_BITS;
	double m = (double)(bits & 0x007fffff), mref = (double)(ref & 0x007fffff);
	int shift = (int)(ref >> 24) - (int)(bits >> 24);
	if (m == 0)
		return 0;
	double d = mref / m;
	for (; shift > 0; shift--)
		d *= 256.0;
	for (; shift < 0; shift++)
		d /= 256.0;
	return d;
}

static bool add_amount(cJSON *obj, const char *name, int64_t units)
{
	cJSON *v = amount_to_json(units);
	return v && cJSON_AddItemToObject(obj, name, v);
}

cJSON *txjson_output(const struct txout *o, uint32_t n, const struct chain_params *p)
{
	char addr[100];
	cJSON *j = cJSON_CreateObject();
	txjson_address(addr, sizeof(addr), p, o->addr);
	bool ok = j && add_amount(j, "value", o->value) && cJSON_AddNumberToObject(j, "n", n) &&
		  cJSON_AddStringToObject(j, "address", addr) &&
		  cJSON_AddStringToObject(j, "kind", o->kind == TXOUT_ASSET ? "asset" : "coin");
	if (ok && o->kind == TXOUT_ASSET) {
		ok = txjson_add_hex(j, "asset", o->asset, 32) &&
		     txjson_add_hex(j, "metadata", o->meta ? o->meta : (const uint8_t *)"", o->meta_len);
	}
	return rpc_json_if(j, ok);
}

static cJSON *input_json(const struct tx *tx, size_t i)
{
	const struct txin *in = &tx->in[i];
	cJSON *j = cJSON_CreateObject();
	bool ok = j != NULL;
	if (ok && tx_is_coinbase(tx)) {
		ok = cJSON_AddNumberToObject(j, "coinbase", in->prev.index) &&
		     txjson_add_hex(j, "data", in->pubkey, 32);
	} else if (ok) {
		ok = txjson_add_hex(j, "txid", in->prev.txid, 32) &&
		     cJSON_AddNumberToObject(j, "vout", in->prev.index) &&
		     txjson_add_hex(j, "pubkey", in->pubkey, 32) && txjson_add_hex(j, "signature", in->sig, 64);
	}
	return rpc_json_if(j, ok);
}

cJSON *txjson_tx(const struct tx *tx, const struct chain_params *p)
{
	cJSON *j = cJSON_CreateObject(), *vin, *vout;
	bool ok = j && txjson_add_hex(j, "txid", tx->txid, 32) && txjson_add_hex(j, "hash", tx->txid, 32) &&
		  cJSON_AddNumberToObject(j, "size", (double)tx->size) &&
		  cJSON_AddNumberToObject(j, "vsize", (double)tx->size) &&
		  cJSON_AddNumberToObject(j, "version", tx->version) &&
		  cJSON_AddNumberToObject(j, "locktime", tx->lock_time) &&
		  (vin = cJSON_AddArrayToObject(j, "vin")) && (vout = cJSON_AddArrayToObject(j, "vout"));
	for (size_t i = 0; ok && i < tx->n_in; i++) {
		cJSON *x = input_json(tx, i);
		ok = x && cJSON_AddItemToArray(vin, x);
	}
	for (size_t i = 0; ok && i < tx->n_out; i++) {
		cJSON *x = txjson_output(&tx->out[i], (uint32_t)i, p);
		ok = x && cJSON_AddItemToArray(vout, x);
	}
	return rpc_json_if(j, ok);
}

static bool header_fields(cJSON *j, struct chainstate *cs, const struct block_index *bi)
{
	const struct block_index *tip = chainstate_tip(cs);
	const struct block_index *next = chainstate_on_best(cs, bi) ? chainstate_at(cs, bi->height + 1) : NULL;
	int64_t conf = chainstate_on_best(cs, bi) ? (int64_t)(tip->height - bi->height) + 1 : -1;
	char bits[9];
	uint8_t work[32];
	snprintf(bits, sizeof(bits), "%08x", bi->header.bits);
	u256_to_be(work, &bi->work);
	bool ok = txjson_add_hex(j, "hash", bi->hash, 32) && cJSON_AddNumberToObject(j, "confirmations", (double)conf) &&
		  cJSON_AddNumberToObject(j, "height", bi->height) &&
		  cJSON_AddNumberToObject(j, "version", bi->header.version) &&
		  txjson_add_hex(j, "merkleroot", bi->header.merkle, 32) &&
		  txjson_add_hex(j, "historyroot", bi->header.history, 32) &&
		  txjson_add_hex(j, "assetroot", bi->header.assets, 32) &&
		  cJSON_AddNumberToObject(j, "time", (double)bi->header.time) &&
		  cJSON_AddNumberToObject(j, "mediantime", (double)index_median_time(bi)) &&
		  cJSON_AddNumberToObject(j, "nonce", (double)bi->header.nonce) &&
		  cJSON_AddStringToObject(j, "bits", bits) &&
		  cJSON_AddNumberToObject(j, "difficulty", txjson_difficulty(bi->header.bits)) &&
		  txjson_add_hex(j, "chainwork", work, 32) && cJSON_AddNumberToObject(j, "nTx", bi->n_tx);
	if (ok && bi->prev)
		ok = txjson_add_hex(j, "previousblockhash", bi->prev->hash, 32);
	if (ok && next)
		ok = txjson_add_hex(j, "nextblockhash", next->hash, 32);
	return ok;
}

cJSON *txjson_header(struct chainstate *cs, const struct block_index *bi)
{
	cJSON *j = cJSON_CreateObject();
	return rpc_json_if(j, j && header_fields(j, cs, bi));
}

cJSON *txjson_block(struct chainstate *cs, const struct block_index *bi, const struct block *b, int verbosity)
{
	const struct chain_params *p = chainstate_params(cs);
	cJSON *j = cJSON_CreateObject(), *txs;
	bool ok = j && header_fields(j, cs, bi) && cJSON_AddNumberToObject(j, "size", (double)b->size) &&
		  (txs = cJSON_AddArrayToObject(j, "tx"));
	for (size_t i = 0; ok && i < b->n_tx; i++)
		ok = rpc_array_add(txs, verbosity >= 2 ? txjson_tx(&b->txs[i], p) : txjson_hash(b->txs[i].txid));
	return rpc_json_if(j, ok);
}
