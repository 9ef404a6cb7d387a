#include "rpc/walletinfo_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/address.h"
#include "rpc/chain_rpc.h"
#include "rpc/txjson.h"
#include "rpc/wallet_rpc.h"
#include "util/clock.h"
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

/* --- listsinceblock --- */

/* The entries of transactions in bi's block, from list (Core's "removed":
 * a block that left the best chain). */
static bool add_block_entries(struct wallet_rpc *r, cJSON *arr, const struct block_index *bi,
			      const struct wallet_tx_entry *list, size_t n, struct rpc_error *e)
{
	struct block b;
	if (chain_rpc_read_block(r->cs, &b, bi, e) != 0)
		return false;
	bool ok = true;
	for (size_t t = 0; ok && t < b.n_tx; t++)
		for (size_t i = 0; ok && i < n; i++)
			if (memcmp(list[i].txid, b.txs[t].txid, 32) == 0)
				ok = rpc_array_add(arr, wallet_rpc_entry_json(r, &list[i]));
	block_release(&b);
	if (!ok)
		rpc_oom(e);
	return ok;
}

struct since {
	struct block_index *from; /* NULL: every transaction */
	uint32_t depth;           /* entries with fewer confirmations are listed */
	int64_t target;
	bool removed;
};

static int since_params(struct wallet_rpc *r, struct since *s, const cJSON *params, struct rpc_error *e)
{
	const char *hash;
	bool watch;
	memset(s, 0, sizeof(*s));
	if (rpc_param_str(&hash, params, 0, "blockhash", false, e) != 0 ||
	    rpc_param_int(&s->target, params, 1, "target_confirmations", 1, INT32_MIN, INT32_MAX, e) != 0 ||
	    rpc_param_bool(&watch, params, 2, "include_watchonly", false, e) != 0 ||
	    rpc_param_bool(&s->removed, params, 3, "include_removed", true, e) != 0)
		return -1;
	if (s->target < 1)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Invalid parameter");
	if (hash && hash[0] && chain_rpc_find_block(r->cs, &s->from, params, 0, e) != 0)
		return -1;
	if (s->from) {
		const struct block_index *tip = chainstate_tip(r->cs), *fork = index_fork(s->from, chainstate_tip(r->cs));
		s->depth = tip->height + 1 - fork->height;
	}
	return 0;
}

static int listsinceblock(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	struct since s;
	struct wallet_tx_entry *list;
	size_t n;
	char err[ERR_LEN];
	if (since_params(r, &s, params, e) != 0)
		return -1;
	wallet_is_locked(r->w, clock_now()); /* an expired walletpassphrase lapses */
	int st = wallet_list_transactions(r->w, &list, &n, err);
	if (st)
		return rpc_error_set(e, wallet_rpc_code(st), "%s", err);
	struct block_index *tip = chainstate_tip(r->cs), *fork = s.from ? index_fork(s.from, tip) : NULL;
	cJSON *j = cJSON_CreateObject(), *txs = j ? cJSON_AddArrayToObject(j, "transactions") : NULL;
	bool ok = txs != NULL;
	for (size_t i = 0; ok && i < n; i++)
		if (!s.from || list[i].confirmations < s.depth)
			ok = rpc_array_add(txs, wallet_rpc_entry_json(r, &list[i]));
	if (!ok)
		rpc_oom(e);
	if (ok && s.removed) {
		cJSON *gone = cJSON_AddArrayToObject(j, "removed");
		ok = gone != NULL;
		for (struct block_index *b = s.from; ok && b && b != fork; b = b->prev)
			ok = add_block_entries(r, gone, b, list, n, e);
	}
	free(list);
	int64_t target = s.target > (int64_t)tip->height + 1 ? (int64_t)tip->height + 1 : s.target;
	struct block_index *last = chainstate_at(r->cs, (uint32_t)((int64_t)tip->height + 1 - target));
	ok = ok && txjson_add_hex(j, "lastblock", last->hash, 32);
	if (!ok) {
		cJSON_Delete(j);
		return e->code ? -1 : rpc_oom(e);
	}
	*result = j;
	return 0;
}

/* --- abandontransaction --- */

static int abandontransaction(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	uint8_t txid[32];
	char err[ERR_LEN];
	if (chain_rpc_param_hash(txid, params, 0, "txid", e) != 0)
		return -1;
	wallet_is_locked(r->w, clock_now());
	int s = wallet_abandon(r->w, txid, err);
	if (s == WALLET_NOT_FOUND || s == WALLET_INVALID_PARAMETER) /* Core answers -5 for both */
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "%s", err);
	if (s != WALLET_OK)
		return rpc_error_set(e, wallet_rpc_code(s), "%s", err);
	*result = NULL;
	return 0;
}

static const struct rpc_method methods[] = {
	{ "getaddressinfo", "wallet", "address:str (the address to describe)",
	  "Returns what the wallet knows of an address: whether it is the wallet's, its key, derivation path, "
	  "whether it is change, its label.",
	  getaddressinfo,
	  "{address:str,ismine:bool,solvable:bool,iswatchonly:bool,isscript:bool,iswitness:bool,pubkey?:hash,"
	  "ischange:bool,hdkeypath?:str,labels:[str]}",
	  "-5 -18 -19" },
	{ "listsinceblock", "wallet",
	  "[blockhash:str (list what came after this block; none or \"\": everything)] "
	  "[target_confirmations:int=1 (lastblock is the block with this many confirmations)] "
	  "[include_watchonly:bool=false (ignored: no watch-only addresses)] "
	  "[include_removed:bool=true (also list the wallet's transactions of blockhash's blocks that left the "
	  "best chain)]",
	  "Returns the wallet's transactions in blocks after blockhash (or unconfirmed), those removed by a "
	  "reorganisation, and the block to ask from next time.",
	  listsinceblock,
	  "{transactions:[" WALLET_RPC_ENTRY "],removed?:[" WALLET_RPC_ENTRY "],lastblock:hash}", "-5 -8 -18 -19" },
	{ "abandontransaction", "wallet", "txid:hash (a wallet transaction neither confirmed nor in the mempool)",
	  "Marks a wallet transaction, and its wallet descendants, abandoned: no longer resubmitted, its inputs "
	  "spendable.",
	  abandontransaction, "null", "-4 -5 -8 -18 -19" },
};

int walletinfo_rpc_register(struct rpc_server *srv, struct wallets *set, char *err)
{
	return rpc_server_add_routed_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), wallets_route, set,
					     err);
}
