#include "rpc/history_rpc.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "chain/history.h"
#include "util/hex.h"

void history_rpc_origin(char out[96], const struct chain_params *p)
{
	char g[65];
	hex_encode(g, p->genesis_hash, 32);
	snprintf(out, 96, "cairn/%s/%s", p->name, g);
}

/* The root of the tree over blocks 0 .. size - 1 of the best chain. */
static int root_of(struct chainstate *cs, uint64_t size, uint8_t root[32], struct rpc_error *e)
{
	struct block_index *last = size ? chainstate_at(cs, (uint32_t)(size - 1)) : NULL;
	if (history_root(root, last) != 0)
		return rpc_error_set(e, RPC_DATABASE_ERROR, "the history tree of the best chain is incomplete");
	return 0;
}

static int param_size(uint64_t *out, const cJSON *params, size_t i, const char *name, uint64_t max,
		      struct rpc_error *e)
{
	int64_t v;
	if (rpc_param_int(&v, params, i, name, -1, 1, (int64_t)max, e) != 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* The body of a C2SP tlog-checkpoint note: origin, tree size, base64
 * root, each on its own line. Unsigned: a witness or the operator signs
 * it with its own key. */
static int getcheckpoint(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct chain_rpc *r = ctx;
	struct block_index *tip = chainstate_tip(r->cs);
	char origin[96], text[256];
	unsigned char b64[48];
	uint8_t root[32];
	(void)params;
	if (root_of(r->cs, (uint64_t)tip->height + 1, root, e) != 0)
		return -1;
	EVP_EncodeBlock(b64, root, 32);
	history_rpc_origin(origin, chainstate_params(r->cs));
	snprintf(text, sizeof(text), "%s\n%u\n%s\n", origin, tip->height + 1, (const char *)b64);
	return rpc_result(result, cJSON_CreateString(text), e);
}

static cJSON *hashes(const uint8_t (*h)[32], size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		char hex[65];
		hex_encode(hex, h[i], 32);
		ok = rpc_array_add(arr, cJSON_CreateString(hex));
	}
	return rpc_json_if(arr, ok);
}

static bool add_item(cJSON *j, const char *key, cJSON *item)
{
	if (item && cJSON_AddItemToObject(j, key, item))
		return true;
	cJSON_Delete(item);
	return false;
}

static int gethistoryconsistency(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct chain_rpc *r = ctx;
	uint64_t size = (uint64_t)chainstate_tip(r->cs)->height + 1, m, n;
	uint8_t proof[MERKLE_MAX_CONSISTENCY][32], first[32], second[32];
	size_t len;
	if (param_size(&m, params, 0, "oldsize", size, e) != 0 || param_size(&n, params, 1, "newsize", size, e) != 0)
		return -1;
	if (m > n)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "oldsize %llu is above newsize %llu",
				     (unsigned long long)m, (unsigned long long)n);
	if (root_of(r->cs, m, first, e) != 0 || root_of(r->cs, n, second, e) != 0)
		return -1;
	if (merkle_consistency_cb(proof, &len, MERKLE_MAX_CONSISTENCY, m, n, history_subtree,
				  chainstate_at(r->cs, (uint32_t)(n - 1))) != 0)
		return rpc_error_set(e, RPC_DATABASE_ERROR, "the history tree of the best chain is incomplete");
	cJSON *j = cJSON_CreateObject();
	char a[65], b[65];
	hex_encode(a, first, 32);
	hex_encode(b, second, 32);
	bool ok = j && cJSON_AddNumberToObject(j, "oldsize", (double)m) && cJSON_AddStringToObject(j, "oldroot", a) &&
		  cJSON_AddNumberToObject(j, "newsize", (double)n) && cJSON_AddStringToObject(j, "newroot", b) &&
		  add_item(j, "proof", hashes((const uint8_t (*)[32])proof, len));
	return rpc_result_if(result, j, ok, e);
}

static const struct rpc_method methods[] = {
	{ "getcheckpoint", "provenance", "",
	  "Returns the best chain as a C2SP tlog-checkpoint note body: origin (network and genesis), tree size "
	  "(height + 1) and the base64 history root over blocks 0..tip, which the next header commits to.",
	  getcheckpoint, "str", "-20" },
	{ "gethistoryconsistency", "provenance",
	  "oldsize:int (a tree size, 1 to height + 1) newsize:int (a larger or equal one)",
	  "Returns the RFC 9162 consistency proof between the history trees over the first oldsize and the first "
	  "newsize blocks of the best chain, with both roots.",
	  gethistoryconsistency, "{oldsize:int,oldroot:hash,newsize:int,newroot:hash,proof:[hash]}", "-8 -20" },
};

int history_rpc_register(struct rpc_server *srv, struct chain_rpc *r, char *err)
{
	return rpc_server_add_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), r, err);
}
