#include "rpc/walletinfo_rpc.h"

#include <stdio.h>

#include "chain/address.h"
#include "rpc/txjson.h"
#include "rpc/wallet_rpc.h"
#include "wallet/wallet.h"

/* --- getaddressinfo --- */

static cJSON *labels_json(const struct wallet_address_info *a)
{
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr && (!a->has_label || rpc_array_add(arr, cJSON_CreateString(a->label)));
	return rpc_json_if(arr, ok);
}

static int getaddressinfo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	const char *text;
	uint8_t hash[20];
	char err[ERR_LEN], canon[100], path[64];
	struct wallet_address_info a;
	if (rpc_param_str(&text, params, 0, "address", true, e) != 0)
		return -1;
	if (address_decode(hash, chainstate_params(r->cs)->hrp, text, err) != 0)
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "Invalid address");
	bool mine = wallet_address_info(r->w, hash, &a);
	txjson_address(canon, sizeof(canon), chainstate_params(r->cs), hash);
	cJSON *j = cJSON_CreateObject();
	bool ok = j && cJSON_AddStringToObject(j, "address", canon) && cJSON_AddBoolToObject(j, "ismine", mine) &&
		  cJSON_AddBoolToObject(j, "solvable", mine) && cJSON_AddBoolToObject(j, "iswatchonly", false) &&
		  cJSON_AddBoolToObject(j, "isscript", false) && cJSON_AddBoolToObject(j, "iswitness", false);
	if (ok && mine) {
		ok = txjson_add_hex(j, "pubkey", a.pubkey, 32) && cJSON_AddBoolToObject(j, "ischange", a.change);
		if (ok && !a.imported) {
			snprintf(path, sizeof(path), "m/0'/%u'/%u'", a.chain, a.index);
			ok = cJSON_AddStringToObject(j, "hdkeypath", path) != NULL;
		}
	} else if (ok) {
		ok = cJSON_AddBoolToObject(j, "ischange", false) != NULL;
	}
	ok = ok && cJSON_AddItemToObject(j, "labels", labels_json(&a));
	return rpc_result_if(result, j, ok, e);
}

static const struct rpc_method methods[] = {
	{ "getaddressinfo", "wallet", "address:str (the address to describe)",
	  "Returns what the wallet knows of an address: whether it is the wallet's, its key, derivation path, "
	  "whether it is change, its label.",
	  getaddressinfo,
	  "{address:str,ismine:bool,solvable:bool,iswatchonly:bool,isscript:bool,iswitness:bool,pubkey?:hash,"
	  "ischange:bool,hdkeypath?:str,labels:[str]}",
	  "-5 -18 -19" },
};

int walletinfo_rpc_register(struct rpc_server *srv, struct wallets *set, char *err)
{
	return rpc_server_add_routed_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), wallets_route, set,
					     err);
}
