/* REST's answers about the chain: chain info, blocks, headers, block
 * hashes, transactions and assets. Each JSON answer is the RPC method's
 * result, built by the same function (see rest.h); the raw forms are the
 * consensus serializations. */
#include <string.h>

#include "chain/txlookup.h"
#include "rpc/asset_rpc.h"
#include "rpc/chain_rpc.h"
#include "rpc/rawtx_rpc.h"
#include "rpc/rest_impl.h"
#include "rpc/txjson.h"

/* getblock at verbosity 2 (/rest/block/) or 1 (notxdetails), or the
 * block's bytes. Core's 404 for a block it knows but does not hold
 * ("pruned data") is the one for a block still downloading here. */
static void block(const struct rest *r, const struct rest_request *q, struct rest_reply *out)
{
	struct chainstate *cs = r->chain->cs;
	struct block_index *bi = chainstate_lookup(cs, q->hash);
	struct rpc_error e = { 0 };
	struct block b;
	char h[65];
	txjson_hash_hex(h, q->hash);
	if (!bi) {
		rest_fail(out, 404, "%s not found", h);
		return;
	}
	if (chain_rpc_read_block(cs, &b, bi, &e) != 0) {
		if (e.code == RPC_MISC_ERROR)
			rest_fail(out, 404, "%s not available (not fully downloaded)", h);
		else
			rest_fail_rpc(out, &e, q->hash);
		return;
	}
	if (q->format == REST_JSON) {
		rest_json(out, txjson_block(cs, bi, &b, q->what == REST_BLOCK ? 2 : 1));
	} else {
		struct buf raw = BUF_INIT;
		block_write(&raw, &b);
		rest_buf(out, q->format, &raw);
	}
	block_release(&b);
}

/* Up to count headers of the best chain from the block q->hash on; none
 * when that block is unknown or off the best chain (Core answers an empty
 * list then, not a 404). */
static void headers(const struct rest *r, const struct rest_request *q, struct rest_reply *out)
{
	struct chainstate *cs = r->chain->cs;
	const struct block_index *bi = chainstate_lookup(cs, q->hash);
	cJSON *arr = q->format == REST_JSON ? cJSON_CreateArray() : NULL;
	struct buf raw = BUF_INIT;
	bool ok = q->format != REST_JSON || arr;
	for (uint32_t n = 0; ok && bi && chainstate_on_best(cs, bi) && n < q->count; n++) {
		if (arr) {
			ok = rpc_array_add(arr, txjson_header(cs, bi));
		} else {
			uint8_t hdr[BLOCK_HEADER_SIZE];
			header_write(hdr, &bi->header);
			buf_put(&raw, hdr, sizeof(hdr));
		}
		bi = chainstate_at(cs, bi->height + 1);
	}
	if (q->format == REST_JSON)
		rest_json(out, rpc_json_if(arr, ok));
	else
		rest_buf(out, q->format, &raw);
}

/* The best chain's block at a height. Core's JSON is {"blockhash": ...},
 * whose value is getblockhash's answer; .bin is the 32 bytes, .hex their
 * hex (the RPC's form: cairn never reverses a hash). */
static void blockhash(const struct rest *r, const struct rest_request *q, struct rest_reply *out)
{
	const struct block_index *bi = chainstate_at(r->chain->cs, q->height);
	if (!bi) {
		rest_fail(out, 404, "Block height out of range");
		return;
	}
	if (q->format != REST_JSON) {
		rest_bytes(out, q->format, bi->hash, 32);
		return;
	}
	cJSON *j = cJSON_CreateObject();
	rest_json(out, rpc_json_if(j, j && cJSON_AddItemToObject(j, "blockhash", txjson_hash(bi->hash))));
}

/* getrawtransaction: the mempool, then the best chain through the txid
 * index, which cairn always keeps (Core needs -txindex for the second). */
static void tx(const struct rest *r, const struct rest_request *q, struct rest_reply *out)
{
	struct txlookup l;
	struct tx t;
	struct block_index *bi;
	uint32_t pos;
	struct rpc_error e = { 0 };
	txlookup_init(&l, r->rawtx->cs, r->rawtx->mp);
	if (rawtx_rpc_find(&l, &t, &bi, &pos, NULL, q->hash, &e) != 0) {
		rest_fail_rpc(out, &e, q->hash);
		txlookup_release(&l);
		return;
	}
	if (q->format == REST_JSON) {
		rest_json(out, rawtx_rpc_verbose_tx(r->rawtx, &l, &t, bi, pos));
	} else {
		struct buf raw = BUF_INIT;
		tx_write(&raw, &t);
		rest_buf(out, q->format, &raw);
	}
	tx_release(&t);
	txlookup_release(&l);
}

/* getassetinfo (without a wallet: REST shows no wallet's "mine"),
 * getassethistory, getassetproof. */
static void asset(const struct rest *r, const struct rest_request *q, struct rest_reply *out)
{
	struct chainstate *cs = r->asset->cs;
	struct mempool *mp = r->asset->mp;
	struct rpc_error e = { 0 };
	cJSON *j;
	int rc = q->what == REST_ASSET	       ? asset_rpc_info_json(cs, mp, NULL, &j, q->hash, &e)
		 : q->what == REST_ASSET_HISTORY ? asset_rpc_history_json(cs, mp, &j, q->hash, &e)
						 : asset_rpc_proof_json(cs, &j, q->hash, &e);
	if (rc == 0) {
		rest_json(out, j);
		return;
	}
	char h[65];
	txjson_hash_hex(h, q->hash);
	if (e.code == RPC_INVALID_ADDRESS_OR_KEY)
		rest_fail(out, 404, "%s not found%s", h, q->what == REST_ASSET_PROOF ? " in the block chain" : "");
	else
		rest_fail_rpc(out, &e, q->hash);
}

void rest_chain_answer(const struct rest *r, const struct rest_request *q, struct rest_reply *out)
{
	switch (q->what) {
	case REST_CHAININFO:
		rest_json(out, chain_rpc_chaininfo(r->chain));
		return;
	case REST_BLOCK:
	case REST_BLOCK_NOTXDETAILS:
		block(r, q, out);
		return;
	case REST_HEADERS:
		headers(r, q, out);
		return;
	case REST_BLOCKHASH:
		blockhash(r, q, out);
		return;
	case REST_TX:
		tx(r, q, out);
		return;
	case REST_ASSET:
	case REST_ASSET_HISTORY:
	case REST_ASSET_PROOF:
		asset(r, q, out);
		return;
	default:
		rest_fail(out, 500, "not a chain endpoint");
	}
}
