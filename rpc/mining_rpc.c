#include "rpc/mining_rpc.h"

#include <stdlib.h>
#include <string.h>

#include "chain/address.h"
#include "chain/mine.h"
#include "rpc/txjson.h"
#include "util/clock.h"

/* Room for the header and the coinbase in a full block. */
#define TEMPLATE_RESERVE 1000

void mining_free_txs(struct tx *txs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tx_release(&txs[i]);
	free(txs);
}

int mining_generate_one(struct mining_rpc *m, const uint8_t payto[20], uint64_t max_tries, uint8_t hash[32],
			char *err)
{
	struct tx *txs = NULL;
	size_t n = 0;
	int64_t fees = 0;
	struct block b;
	struct verdict v;
	if (m->select && m->select(m->ctx, &txs, &n, &fees, BLOCK_MAX_SIZE - TEMPLATE_RESERVE) != 0)
		return err_set(err, "cannot build a block template");
	int r = mine_build(&b, chainstate_tip(m->cs), chainstate_params(m->cs), txs, n, payto, fees,
			   clock_now(), err);
	mining_free_txs(txs, n);
	if (r != 0)
		return -1;
	if (chainstate_commit_assets(m->cs, &b, err) != 0) {
		block_release(&b);
		return -1;
	}
	if (!mine_solve(&b, max_tries)) {
		block_release(&b);
		return err_set(err, "no solution within %llu tries", (unsigned long long)max_tries);
	}
	verdict_init(&v);
	bool ok = chainstate_accept_block(m->cs, &b, clock_now(), SOURCE_MINED, NULL, &v);
	memcpy(hash, b.hash, 32);
	block_release(&b);
	if (!ok)
		return err_set(err, "generated block refused: %s (%s)", v.reason, v.debug);
	return 0;
}

static int generatetoaddress(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct mining_rpc *m = ctx;
	int64_t nblocks, maxtries;
	const char *addr;
	uint8_t payto[20], hash[32];
	char err[ERR_LEN];
	if (rpc_param_int(&nblocks, params, 0, "nblocks", -1, 0, 1000000, e) != 0 ||
	    rpc_param_str(&addr, params, 1, "address", true, e) != 0 ||
	    rpc_param_int(&maxtries, params, 2, "maxtries", 1000000, 1, INT64_MAX, e) != 0)
		return -1;
	if (address_decode(payto, chainstate_params(m->cs)->hrp, addr, err) != 0)
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "%s", err);
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (int64_t i = 0; ok && i < nblocks; i++) {
		if (mining_generate_one(m, payto, (uint64_t)maxtries, hash, err) != 0) {
			if (strncmp(err, "no solution", 11) == 0)
				break; /* Bitcoin Core returns the blocks found so far */
			cJSON_Delete(arr);
			return rpc_error_set(e, RPC_INTERNAL_ERROR, "%s", err);
		}
		ok = rpc_array_add(arr, txjson_hash(hash));
	}
	return rpc_result_if(result, arr, ok, e);
}

static int getmininginfo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct mining_rpc *m = ctx;
	const struct block_index *tip = chainstate_tip(m->cs);
	(void)params;
	cJSON *j = cJSON_CreateObject();
	bool ok = j && cJSON_AddNumberToObject(j, "blocks", tip->height) &&
		  cJSON_AddNumberToObject(j, "difficulty", txjson_difficulty(tip->header.bits)) &&
		  cJSON_AddNumberToObject(j, "pooledtx", m->pooled ? (double)m->pooled(m->ctx) : 0) &&
		  cJSON_AddStringToObject(j, "chain", chainstate_params(m->cs)->name) &&
		  cJSON_AddStringToObject(j, "warnings", "");
	return rpc_result_if(result, j, ok, e);
}

static const struct rpc_method methods[] = {
	{ "generatetoaddress", "mining",
	  "nblocks:int (how many blocks) address:str (who the coinbases pay) "
	  "[maxtries:int=1000000 (nonces to try per block)]",
	  "Mines nblocks blocks paying address at once; returns their hashes.", generatetoaddress, "[hash]", "-5" },
	{ "getmininginfo", "mining", "", "Returns mining-related information.", getmininginfo,
	  "{blocks:int,difficulty:num,pooledtx:int,chain:str,warnings:str}", NULL },
};

int mining_rpc_register(struct rpc_server *srv, struct mining_rpc *m, char *err)
{
	return rpc_server_add_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), m, err);
}
