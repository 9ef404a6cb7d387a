#include "rpc/mempool_rpc.h"

#include <stdlib.h>

#include "rpc/chain_rpc.h"
#include "rpc/txjson.h"

/* The txids as an array, or with verbose an object of their entries. */
static cJSON *relatives_json(struct mempool *mp, const uint8_t (*ids)[32], size_t n, bool verbose)
{
	cJSON *j = verbose ? cJSON_CreateObject() : cJSON_CreateArray();
	bool ok = j != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		if (!verbose) {
			ok = rpc_array_add(j, txjson_hash(ids[i]));
			continue;
		}
		struct mempool_entry_info m;
		char h[65];
		cJSON *x = mempool_entry(mp, ids[i], &m) == 1 ? rawtx_rpc_entry_json(&m) : NULL;
		mempool_entry_info_release(&m);
		txjson_hash_hex(h, ids[i]);
		ok = x && cJSON_AddItemToObject(j, h, x);
		if (!ok)
			cJSON_Delete(x);
	}
	return rpc_json_if(j, ok);
}

static int relatives(struct rawtx_rpc *r, const cJSON *params, bool up, cJSON **result, struct rpc_error *e)
{
	uint8_t txid[32], (*ids)[32];
	size_t n;
	bool verbose;
	if (chain_rpc_param_hash(txid, params, 0, "txid", e) != 0 ||
	    rpc_param_bool(&verbose, params, 1, "verbose", false, e) != 0)
		return -1;
	int rc = mempool_relatives(r->mp, txid, up, &ids, &n);
	if (rc < 0)
		return rpc_oom(e);
	if (rc == 0)
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool");
	cJSON *j = relatives_json(r->mp, (const uint8_t (*)[32])ids, n, verbose);
	free(ids);
	return rpc_result(result, j, e);
}

static int getmempoolancestors(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	return relatives(ctx, params, true, result, e);
}

static int getmempooldescendants(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	return relatives(ctx, params, false, result, e);
}

static const struct rpc_method methods[] = {
	{ "getmempoolancestors", "blockchain",
	  "txid:hash (a transaction in the mempool) [verbose:bool=false (true: an object of entries by txid)]",
	  "Returns the in-mempool ancestors of a transaction (itself left out): txids, or with verbose their entries.",
	  getmempoolancestors, "[hash]|{*:" RAWTX_MEMPOOL_ENTRY "}", "-5" },
	{ "getmempooldescendants", "blockchain",
	  "txid:hash (a transaction in the mempool) [verbose:bool=false (true: an object of entries by txid)]",
	  "Returns the in-mempool descendants of a transaction (itself left out): txids, or with verbose their "
	  "entries.",
	  getmempooldescendants, "[hash]|{*:" RAWTX_MEMPOOL_ENTRY "}", "-5" },
};

int mempool_rpc_register(struct rpc_server *srv, struct rawtx_rpc *r, char *err)
{
	return rpc_server_add_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), r, err);
}
