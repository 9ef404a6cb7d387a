#include "rpc/stats_rpc.h"

#include <string.h>

#include "chain/blockstats.h"
#include "chain/connect.h"
#include "chain/utxostats.h"
#include "rpc/amount.h"
#include "rpc/chain_rpc.h"
#include "rpc/txjson.h"
#include "util/hex.h"

/* --- getblockstats --- */

/* Core's ParseHashOrHeight: a height of the best chain, or a block hash. */
static int find_hash_or_height(struct chainstate *cs, struct block_index **bi, const cJSON *params,
			       struct rpc_error *e)
{
	const cJSON *v = rpc_param(params, 0);
	uint32_t tip = chainstate_tip(cs)->height;
	if (!v)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "hash_or_height is required");
	if (!cJSON_IsNumber(v)) {
		uint8_t hash[32];
		if (chain_rpc_param_hash(hash, params, 0, "hash_or_height", e) != 0)
			return -1;
		*bi = chainstate_lookup(cs, hash);
		return *bi ? 0 : rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
	}
	double h = v->valuedouble;
	if (h != (double)(int64_t)h)
		return rpc_error_set(e, RPC_TYPE_ERROR, "hash_or_height must be an integer");
	if (h < 0)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Target block height %lld is negative", (long long)h);
	if (h > tip)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Target block height %lld after current tip %u",
				     (long long)h, tip);
	*bi = chainstate_at(cs, (uint32_t)h);
	return 0;
}

static int read_stats(struct chainstate *cs, const struct block_index *bi, struct blockstats *st,
		      struct rpc_error *e)
{
	struct block b;
	struct connect_undo u = { 0 };
	char err[ERR_LEN];
	if (chain_rpc_read_block(cs, &b, bi, e) != 0)
		return -1;
	int r = 0;
	/* A block of a coinbase alone spends nothing: no undo to read. */
	if (b.n_tx > 1 && chainstate_read_undo(cs, bi, &b, &u, err) != 0)
		r = rpc_error_set(e, RPC_MISC_ERROR, "Undo data expected but can't be read: %s", err);
	if (r == 0 && blockstats_compute(st, &b, u.coins, u.n, err) != 0)
		r = rpc_error_set(e, RPC_DATABASE_ERROR, "%s", err);
	connect_undo_release(&u);
	block_release(&b);
	return r;
}

static cJSON *percentiles_json(const int64_t *p)
{
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (int i = 0; ok && i < BLOCKSTATS_PERCENTILES; i++)
		ok = rpc_array_add(arr, cJSON_CreateNumber((double)p[i]));
	return rpc_json_if(arr, ok);
}

/* Every field, in Core's (alphabetical) order. Amounts are units, as
 * Core's satoshis. */
static cJSON *stats_json(struct chainstate *cs, const struct block_index *bi, const struct blockstats *s)
{
	const struct chain_params *p = chainstate_params(cs);
	cJSON *j = cJSON_CreateObject();
	bool ok = j && cJSON_AddNumberToObject(j, "avgfee", (double)s->avg_fee) &&
		  cJSON_AddNumberToObject(j, "avgfeerate", (double)s->avg_fee_rate) &&
		  cJSON_AddNumberToObject(j, "avgtxsize", (double)s->avg_tx_size) &&
		  txjson_add_hex(j, "blockhash", bi->hash, 32) &&
		  cJSON_AddItemToObject(j, "feerate_percentiles", percentiles_json(s->fee_rate_percentiles)) &&
		  cJSON_AddNumberToObject(j, "height", bi->height) && cJSON_AddNumberToObject(j, "ins", (double)s->ins) &&
		  cJSON_AddNumberToObject(j, "maxfee", (double)s->max_fee) &&
		  cJSON_AddNumberToObject(j, "maxfeerate", (double)s->max_fee_rate) &&
		  cJSON_AddNumberToObject(j, "maxtxsize", (double)s->max_tx_size) &&
		  cJSON_AddNumberToObject(j, "medianfee", (double)s->median_fee) &&
		  cJSON_AddNumberToObject(j, "mediantime", (double)index_median_time(bi)) &&
		  cJSON_AddNumberToObject(j, "mediantxsize", (double)s->median_tx_size) &&
		  cJSON_AddNumberToObject(j, "minfee", (double)s->min_fee) &&
		  cJSON_AddNumberToObject(j, "minfeerate", (double)s->min_fee_rate) &&
		  cJSON_AddNumberToObject(j, "mintxsize", (double)s->min_tx_size) &&
		  cJSON_AddNumberToObject(j, "outs", (double)s->outs) &&
		  cJSON_AddNumberToObject(j, "subsidy", (double)params_subsidy(p, bi->height)) &&
		  cJSON_AddNumberToObject(j, "time", (double)bi->header.time) &&
		  cJSON_AddNumberToObject(j, "total_out", (double)s->total_out) &&
		  cJSON_AddNumberToObject(j, "total_size", (double)s->total_size) &&
		  cJSON_AddNumberToObject(j, "totalfee", (double)s->total_fee) &&
		  cJSON_AddNumberToObject(j, "txs", (double)s->txs) &&
		  cJSON_AddNumberToObject(j, "utxo_increase", (double)s->utxo_increase) &&
		  cJSON_AddNumberToObject(j, "utxo_size_inc", (double)s->utxo_size_inc);
	return rpc_json_if(j, ok);
}

/* The stats named in the array sel, taken out of all (which is freed);
 * Core refuses a name it does not know with -8. */
static int select_stats(cJSON **out, cJSON *all, const cJSON *sel, struct rpc_error *e)
{
	cJSON *j = cJSON_CreateObject(), *s;
	*out = NULL;
	if (!j) {
		cJSON_Delete(all);
		return rpc_oom(e);
	}
	cJSON_ArrayForEach(s, sel)
	{
		cJSON *v = cJSON_IsString(s) ? cJSON_DetachItemFromObjectCaseSensitive(all, s->valuestring) : NULL;
		if (!cJSON_IsString(s) || (!v && !cJSON_GetObjectItemCaseSensitive(j, s->valuestring))) {
			int r = cJSON_IsString(s) ? rpc_error_set(e, RPC_INVALID_PARAMETER, "Invalid selected statistic '%s'",
								  s->valuestring)
						  : rpc_error_set(e, RPC_TYPE_ERROR, "stats must be an array of strings");
			cJSON_Delete(j);
			cJSON_Delete(all);
			return r;
		}
		if (v)
			cJSON_AddItemToObject(j, s->valuestring, v);
	}
	cJSON_Delete(all);
	*out = j;
	return 0;
}

static int getblockstats(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct stats_rpc *r = ctx;
	struct block_index *bi = NULL;
	struct blockstats st;
	const cJSON *sel = rpc_param(params, 1);
	if (sel && !cJSON_IsArray(sel))
		return rpc_error_set(e, RPC_TYPE_ERROR, "stats must be an array");
	if (find_hash_or_height(r->cs, &bi, params, e) != 0 || read_stats(r->cs, bi, &st, e) != 0)
		return -1;
	cJSON *all = stats_json(r->cs, bi, &st);
	if (!all)
		return rpc_oom(e);
	if (!sel || cJSON_GetArraySize(sel) == 0) {
		*result = all;
		return 0;
	}
	return select_stats(result, all, sel, e);
}

/* --- gettxoutsetinfo --- */

static int gettxoutsetinfo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct stats_rpc *r = ctx;
	const char *type;
	struct utxostats st;
	char err[ERR_LEN];
	if (rpc_param_str(&type, params, 0, "hash_type", false, e) != 0)
		return -1;
	if (!type)
		type = "hash_serialized_3";
	bool hash = strcmp(type, "hash_serialized_3") == 0;
	if (!hash && strcmp(type, "none") != 0)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "'%s' is not a valid hash_type", type);
	const struct block_index *tip = chainstate_tip(r->cs);
	if (utxostats_compute(r->cs, &st, hash, err) != 0)
		return rpc_error_set(e, RPC_INTERNAL_ERROR, "Unable to read UTXO set: %s", err);
	cJSON *j = cJSON_CreateObject();
	bool ok = j && cJSON_AddNumberToObject(j, "height", tip->height) && txjson_add_hex(j, "bestblock", tip->hash, 32) &&
		  cJSON_AddNumberToObject(j, "txouts", (double)st.txouts) &&
		  cJSON_AddNumberToObject(j, "bogosize", (double)st.bogosize) &&
		  (!hash || txjson_add_hex(j, "hash_serialized_3", st.hash, 32)) &&
		  cJSON_AddItemToObject(j, "total_amount", amount_to_json(st.total_amount)) &&
		  cJSON_AddNumberToObject(j, "transactions", (double)st.transactions) &&
		  cJSON_AddNumberToObject(j, "disk_size", r->disk_bytes ? (double)r->disk_bytes(r->disk_ctx) : 0);
	return rpc_result_if(result, j, ok, e);
}

/* --- getchaintxstats --- */

/* The transactions of the best chain up to bi, bi's included (Core's
 * nChainTx), summed along the chain: the index keeps each block's own. */
static int64_t chain_tx(const struct block_index *bi)
{
	int64_t n = 0;
	for (; bi; bi = bi->prev)
		n += bi->n_tx;
	return n;
}

static int getchaintxstats(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct stats_rpc *r = ctx;
	struct block_index *bi = chainstate_tip(r->cs);
	int64_t count;
	if (rpc_param(params, 1)) {
		if (chain_rpc_find_block(r->cs, &bi, params, 1, e) != 0)
			return -1;
		if (!chainstate_on_best(r->cs, bi))
			return rpc_error_set(e, RPC_INVALID_PARAMETER, "Block is not in main chain");
	}
	if (!rpc_param(params, 0)) {
		/* Core's default: a month of blocks, one a minute here. */
		count = 30 * 24 * 60;
		if (count > (int64_t)bi->height - 1)
			count = bi->height > 0 ? (int64_t)bi->height - 1 : 0;
	} else if (rpc_param_int(&count, params, 0, "nblocks", 0, INT32_MIN, INT32_MAX, e) != 0) {
		return -1;
	} else if (count < 0 || (count > 0 && count >= (int64_t)bi->height)) {
		return rpc_error_set(e, RPC_INVALID_PARAMETER,
				     "Invalid block count: should be between 0 and the block's height - 1");
	}
	const struct block_index *past = index_ancestor(bi, bi->height - (uint32_t)count);
	int64_t txs = chain_tx(bi), dt = (int64_t)index_median_time(bi) - (int64_t)index_median_time(past);
	int64_t dtx = txs - chain_tx(past);
	cJSON *j = cJSON_CreateObject();
	bool ok = j && cJSON_AddNumberToObject(j, "time", (double)bi->header.time) &&
		  cJSON_AddNumberToObject(j, "txcount", (double)txs) &&
		  txjson_add_hex(j, "window_final_block_hash", bi->hash, 32) &&
		  cJSON_AddNumberToObject(j, "window_final_block_height", bi->height) &&
		  cJSON_AddNumberToObject(j, "window_block_count", (double)count);
	if (ok && count > 0)
		ok = cJSON_AddNumberToObject(j, "window_tx_count", (double)dtx) &&
		     cJSON_AddNumberToObject(j, "window_interval", (double)dt) &&
		     (dt <= 0 || cJSON_AddNumberToObject(j, "txrate", (double)dtx / (double)dt));
	return rpc_result_if(result, j, ok, e);
}

#define BLOCKSTATS                                                                                              \
	"{avgfee?:int,avgfeerate?:int,avgtxsize?:int,blockhash?:hash,feerate_percentiles?:[int],height?:int,"  \
	"ins?:int,maxfee?:int,maxfeerate?:int,maxtxsize?:int,medianfee?:int,mediantime?:int,mediantxsize?:int," \
	"minfee?:int,minfeerate?:int,mintxsize?:int,outs?:int,subsidy?:int,time?:int,total_out?:int,"          \
	"total_size?:int,totalfee?:int,txs?:int,utxo_increase?:int,utxo_size_inc?:int}"

static const struct rpc_method methods[] = {
	{ "getblockstats", "blockchain",
	  "hash_or_height:int|hash (a height of the best chain, or a block hash) "
	  "[stats:[str]=[] (the fields to answer; none or empty: all)]",
	  "Returns statistics of a block of the best chain: amounts in units (1e-8 CRN), fee rates in units per byte.",
	  getblockstats, BLOCKSTATS, "-1 -5 -8 -20" },
	{ "gettxoutsetinfo", "blockchain",
	  "[hash_type:str=hash_serialized_3 (hash_serialized_3: cairn's SHA-256 of the set; none: no hash)]",
	  "Returns statistics of the unspent outputs of the best chain, with a hash of the whole set "
	  "(docs/serialization.md).",
	  gettxoutsetinfo,
	  "{height:int,bestblock:hash,txouts:int,bogosize:int,hash_serialized_3?:hash,total_amount:amount,"
	  "transactions:int,disk_size:int}",
	  "-8 -32603" },
	{ "getchaintxstats", "blockchain",
	  "[nblocks:int (the window in blocks; default a month's, 43200)] "
	  "[blockhash:hash (the window's last block; default the tip)]",
	  "Returns statistics of the number of transactions over a window of the best chain.", getchaintxstats,
	  "{time:int,txcount:int,window_final_block_hash:hash,window_final_block_height:int,window_block_count:int,"
	  "window_tx_count?:int,window_interval?:int,txrate?:num}",
	  "-5 -8" },
};

int stats_rpc_register(struct rpc_server *srv, struct stats_rpc *r, char *err)
{
	return rpc_server_add_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), r, err);
}
