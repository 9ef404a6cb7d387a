#include "rpc/wallet_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/address.h"
#include "chain/ownership.h"
#include "rpc/amount.h"
#include "rpc/chain_rpc.h"
#include "rpc/rawtx_rpc.h"
#include "rpc/txjson.h"
#include "rpc/wallet_fees.h"
#include "rpc/wallets.h"
#include "util/clock.h"
#include "util/hex.h"
#include "util/hmap.h"

#include <openssl/crypto.h>

int wallet_rpc_code(int status)
{
	switch (status) {
	case WALLET_LOCKED: return RPC_WALLET_UNLOCK_NEEDED;
	case WALLET_BAD_PASSPHRASE: return RPC_WALLET_PASSPHRASE_INCORRECT;
	case WALLET_WRONG_ENC_STATE: return RPC_WALLET_WRONG_ENC_STATE;
	case WALLET_KEYPOOL_RAN_OUT: return RPC_WALLET_KEYPOOL_RAN_OUT;
	case WALLET_INSUFFICIENT_FUNDS: return RPC_WALLET_INSUFFICIENT_FUNDS;
	case WALLET_INVALID_PARAMETER: return RPC_INVALID_PARAMETER;
	case WALLET_INVALID_ADDRESS: case WALLET_NOT_FOUND: return RPC_INVALID_ADDRESS_OR_KEY;
	default: return RPC_WALLET_ERROR;
	}
}

static int fail(struct rpc_error *e, int status, const char *err)
{
	return rpc_error_set(e, wallet_rpc_code(status), "%s", err);
}

/* Every wallet method first lets an expired walletpassphrase lapse. */
static struct wallet *wallet_of(struct wallet_rpc *r)
{
	wallet_is_locked(r->w, clock_now());
	return r->w;
}

static int param_address(uint8_t hash[20], struct wallet_rpc *r, const cJSON *params, size_t i, struct rpc_error *e)
{
	const char *s;
	char err[ERR_LEN];
	if (rpc_param_str(&s, params, i, "address", true, e) != 0)
		return -1;
	if (address_decode(hash, chainstate_params(r->cs)->hrp, s, err) != 0)
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "%s", err);
	return 0;
}

int wallet_rpc_submit(struct wallet_rpc *r, const struct tx *tx, struct rpc_error *e)
{
	struct verdict v;
	verdict_init(&v);
	if (!mempool_accept_local(r->mp, tx, clock_now(), &v))
		return rpc_error_set(e, RPC_WALLET_ERROR, "Transaction rejected by the mempool: %s", v.reason);
	return 0;
}

/* --- addresses and keys --- */

static int getnewaddress(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	const char *label;
	char addr[100], err[ERR_LEN];
	if (rpc_param_str(&label, params, 0, "label", false, e) != 0)
		return -1;
	int s = wallet_get_new_address(wallet_of(r), addr, sizeof(addr), label ? label : "", err);
	return s ? fail(e, s, err) : rpc_result(result, cJSON_CreateString(addr), e);
}

static int getrawchangeaddress(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	char addr[100], err[ERR_LEN];
	(void)params;
	int s = wallet_get_change_address(wallet_of(r), addr, sizeof(addr), err);
	return s ? fail(e, s, err) : rpc_result(result, cJSON_CreateString(addr), e);
}

/* Answers a secret as a string and wipes the caller's copy. */
static int secret_result(cJSON **result, char secret[WALLET_SECKEY_HEX_LEN], struct rpc_error *e)
{
	cJSON *v = cJSON_CreateString(secret);
	OPENSSL_cleanse(secret, WALLET_SECKEY_HEX_LEN);
	return rpc_result(result, v, e);
}

static int dumpprivkey(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	const char *addr;
	char key[WALLET_SECKEY_HEX_LEN], err[ERR_LEN];
	if (rpc_param_str(&addr, params, 0, "address", true, e) != 0)
		return -1;
	int s = wallet_dump_privkey(wallet_of(r), key, addr, err);
	return s ? fail(e, s, err) : secret_result(result, key, e);
}

static int importprivkey(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	const char *key, *label;
	bool rescan;
	char err[ERR_LEN];
	if (rpc_param_str(&key, params, 0, "privkey", true, e) != 0 ||
	    rpc_param_str(&label, params, 1, "label", false, e) != 0 ||
	    rpc_param_bool(&rescan, params, 2, "rescan", true, e) != 0)
		return -1;
	int s = wallet_import_privkey(wallet_of(r), key, label, rescan ? r->cs : NULL, err);
	if (s)
		return fail(e, s, err);
	*result = NULL;
	return 0;
}

static int dumpseed(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	char seed[WALLET_SECKEY_HEX_LEN], err[ERR_LEN];
	(void)params;
	int s = wallet_export_seed(wallet_of(r), seed, err);
	return s ? fail(e, s, err) : secret_result(result, seed, e);
}

/* Restores the wallet from a seed, then rescans the chain for its
 * payments. Only a blank, unencrypted wallet takes a seed, so nothing is
 * lost. */
static int sethdseed(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	const char *hex;
	uint8_t seed[32];
	char err[ERR_LEN];
	if (rpc_param_str(&hex, params, 1, "seed", true, e) != 0)
		return -1;
	if (!hex_decode(seed, sizeof(seed), hex))
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "Seed must be 64 hexadecimal digits");
	if (wallet_is_encrypted(r->w))
		return rpc_error_set(e, RPC_WALLET_WRONG_ENC_STATE,
				     "Cannot restore a seed into an encrypted wallet: restore into an unencrypted one, then encrypt it");
	if (!wallet_is_blank(r->w))
		return rpc_error_set(e, RPC_WALLET_ERROR,
				     "The wallet has handed out addresses or holds keys or transactions: back it up and restore the seed into a fresh data directory");
	int s = wallet_set_seed(r->w, seed, err);
	OPENSSL_cleanse(seed, sizeof(seed));
	if (s)
		return fail(e, s, err);
	if (wallet_rescan(r->w, r->cs, 0, err) != 0)
		return rpc_error_set(e, RPC_WALLET_ERROR, "%s", err);
	*result = NULL;
	return 0;
}

/* --- balances and coins --- */

/* The trusted balance; with minconf > 0, only coins with that many
 * confirmations (Bitcoin Core's getbalance "*" minconf). */
static int getbalance(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	struct wallet_balances b;
	int64_t minconf, sum = 0;
	struct wallet_utxo *u;
	size_t n;
	char err[ERR_LEN];
	if (rpc_param_int(&minconf, params, 1, "minconf", 0, 0, UINT32_MAX, e) != 0)
		return -1;
	wallet_get_balances(wallet_of(r), &b);
	if (minconf == 0)
		return rpc_result(result, amount_to_json(b.trusted), e);
	int s = wallet_list_unspent(r->w, &u, &n, (uint32_t)minconf, UINT32_MAX, err);
	if (s)
		return fail(e, s, err);
	for (size_t i = 0; i < n; i++)
		sum += u[i].value;
	free(u);
	return rpc_result(result, amount_to_json(sum), e);
}

static int getbalances(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	struct wallet_balances b;
	(void)params;
	wallet_get_balances(wallet_of(r), &b);
	cJSON *j = cJSON_CreateObject(), *mine = j ? cJSON_AddObjectToObject(j, "mine") : NULL;
	bool ok = mine && cJSON_AddItemToObject(mine, "trusted", amount_to_json(b.trusted)) &&
		  cJSON_AddItemToObject(mine, "untrusted_pending", amount_to_json(b.untrusted_pending)) &&
		  cJSON_AddItemToObject(mine, "immature", amount_to_json(b.immature));
	return rpc_result_if(result, j, ok, e);
}

static int getwalletinfo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	struct wallet_balances b;
	struct wallet_tx_entry *list;
	size_t n = 0;
	char err[ERR_LEN];
	(void)params;
	struct wallet *w = wallet_of(r);
	wallet_get_balances(w, &b);
	if (wallet_list_transactions(w, &list, &n, err) == 0) {
		/* Entries are per output, oldest first: count distinct txids. */
		size_t distinct = 0;
		struct hmap seen;
		hmap_init(&seen, 32);
		for (size_t i = 0; i < n; i++)
			if (!hmap_get(&seen, list[i].txid) && hmap_put(&seen, list[i].txid, (void *)1) == 0)
				distinct++;
		hmap_release(&seen);
		free(list);
		n = distinct;
	}
	cJSON *j = cJSON_CreateObject();
	bool ok = j && cJSON_AddStringToObject(j, "walletname", r->name) &&
		  cJSON_AddItemToObject(j, "balance", amount_to_json(b.trusted)) &&
		  cJSON_AddItemToObject(j, "unconfirmed_balance", amount_to_json(b.untrusted_pending)) &&
		  cJSON_AddItemToObject(j, "immature_balance", amount_to_json(b.immature)) &&
		  cJSON_AddNumberToObject(j, "txcount", (double)n) &&
		  cJSON_AddItemToObject(j, "paytxfee", amount_to_json(r->fee_rate)) &&
		  cJSON_AddBoolToObject(j, "encrypted", wallet_is_encrypted(w));
	if (ok && wallet_is_encrypted(w))
		ok = cJSON_AddNumberToObject(j, "unlocked_until",
					     wallet_is_locked(w, clock_now()) ? 0 : (double)wallet_unlocked_until(w)) != NULL;
	return rpc_result_if(result, j, ok, e);
}

static cJSON *utxo_json(struct wallet_rpc *r, const struct wallet_utxo *u)
{
	char addr[100];
	cJSON *j = cJSON_CreateObject();
	txjson_address(addr, sizeof(addr), chainstate_params(r->cs), u->addr);
	bool ok = j && txjson_add_hex(j, "txid", u->op.txid, 32) && cJSON_AddNumberToObject(j, "vout", u->op.index) &&
		  cJSON_AddStringToObject(j, "address", addr) && cJSON_AddStringToObject(j, "label", u->label) &&
		  cJSON_AddItemToObject(j, "amount", amount_to_json(u->value)) &&
		  cJSON_AddNumberToObject(j, "confirmations", u->confirmations) &&
		  cJSON_AddBoolToObject(j, "spendable", true) && cJSON_AddBoolToObject(j, "solvable", true) &&
		  cJSON_AddBoolToObject(j, "safe", u->safe);
	return rpc_json_if(j, ok);
}

static bool address_wanted(struct wallet_rpc *r, const cJSON *filter, const uint8_t addr[20])
{
	const cJSON *a;
	if (!cJSON_IsArray(filter))
		return true;
	cJSON_ArrayForEach(a, filter) {
		uint8_t h[20];
		if (cJSON_IsString(a) && address_decode(h, chainstate_params(r->cs)->hrp, a->valuestring, NULL) == 0 &&
		    memcmp(h, addr, 20) == 0)
			return true;
	}
	return false;
}

static int listunspent(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	int64_t minconf, maxconf;
	struct wallet_utxo *u;
	size_t n;
	char err[ERR_LEN];
	const cJSON *filter = rpc_param(params, 2);
	if (rpc_param_int(&minconf, params, 0, "minconf", 1, 0, UINT32_MAX, e) != 0 ||
	    rpc_param_int(&maxconf, params, 1, "maxconf", 9999999, 0, UINT32_MAX, e) != 0)
		return -1;
	if (filter && !cJSON_IsArray(filter))
		return rpc_error_set(e, RPC_TYPE_ERROR, "Addresses must be an array");
	int s = wallet_list_unspent(wallet_of(r), &u, &n, (uint32_t)minconf, (uint32_t)maxconf, err);
	if (s)
		return fail(e, s, err);
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		if (!address_wanted(r, filter, u[i].addr))
			continue;
		ok = rpc_array_add(arr, utxo_json(r, &u[i]));
	}
	free(u);
	return rpc_result_if(result, arr, ok, e);
}

static int parse_outpoint(struct outpoint *op, const cJSON *o, struct rpc_error *e)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "txid");
	const cJSON *vout = cJSON_GetObjectItemCaseSensitive(o, "vout");
	if (!cJSON_IsString(id) || !hex_decode(op->txid, 32, id->valuestring))
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Invalid parameter, expected a 64-digit hex txid");
	if (!cJSON_IsNumber(vout) || vout->valuedouble < 0 || vout->valuedouble > UINT32_MAX)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Invalid parameter, vout must be positive");
	op->index = (uint32_t)vout->valuedouble;
	return 0;
}

static int lockunspent(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	bool unlock, persistent;
	const cJSON *list = rpc_param(params, 1), *o;
	char err[ERR_LEN];
	if (rpc_param_bool(&unlock, params, 0, "unlock", false, e) != 0 ||
	    rpc_param_bool(&persistent, params, 2, "persistent", false, e) != 0)
		return -1;
	if (!rpc_param(params, 0))
		return rpc_error_set(e, RPC_INVALID_PARAMS, "Unlock is required");
	struct wallet *w = wallet_of(r);
	if (!list) {
		/* Unlocking with no list unlocks all; locking nothing does nothing. */
		int s = unlock ? wallet_unlock_all_coins(w, err) : WALLET_OK;
		return s ? fail(e, s, err) : rpc_result(result, cJSON_CreateBool(true), e);
	}
	if (!cJSON_IsArray(list))
		return rpc_error_set(e, RPC_TYPE_ERROR, "Transactions must be an array");
	/* Every outpoint is parsed before any is changed. */
	size_t n = (size_t)cJSON_GetArraySize(list), done = 0;
	struct outpoint *ops = calloc(n ? n : 1, sizeof(*ops));
	if (!ops)
		return rpc_oom(e);
	int rc = 0;
	cJSON_ArrayForEach(o, list)
		if (rc == 0)
			rc = parse_outpoint(&ops[done++], o, e);
	int s = rc == 0 ? wallet_lock_coins(w, ops, n, unlock, persistent, err) : WALLET_OK;
	free(ops);
	if (s == WALLET_NOT_FOUND)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Invalid parameter, unknown transaction output");
	if (s)
		return fail(e, s, err);
	return rc ? -1 : rpc_result(result, cJSON_CreateBool(true), e);
}

static int listlockunspent(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	struct outpoint *ops;
	size_t n;
	char err[ERR_LEN];
	(void)params;
	int s = wallet_list_locked(wallet_of(r), &ops, &n, err);
	if (s)
		return fail(e, s, err);
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		ok = o && cJSON_AddItemToArray(arr, o) && txjson_add_hex(o, "txid", ops[i].txid, 32) &&
		     cJSON_AddNumberToObject(o, "vout", ops[i].index);
	}
	free(ops);
	return rpc_result_if(result, arr, ok, e);
}

/* --- sending --- */

/* The txid, or with verbose {txid, fee_reason} as Core. */
static cJSON *sent_json(const uint8_t txid[32], bool verbose, const char *reason)
{
	if (!verbose)
		return txjson_hash(txid);
	cJSON *j = cJSON_CreateObject();
	bool ok = j && txjson_add_hex(j, "txid", txid, 32) && cJSON_AddStringToObject(j, "fee_reason", reason);
	return rpc_json_if(j, ok);
}

static int send_to(struct wallet_rpc *r, const struct wallet_recipient *rc, size_t n,
		   const struct wallet_fee_request *fr, bool verbose, cJSON **result, struct rpc_error *e)
{
	struct tx tx;
	int64_t fee, fee_rate;
	const char *reason;
	char err[ERR_LEN];
	if (wallet_fees_pick(r, fr, &fee_rate, &reason, e) != 0)
		return -1;
	int s = wallet_create_tx(wallet_of(r), &tx, &fee, rc, n, fee_rate, err);
	if (s)
		return fail(e, s, err);
	int rc2 = wallet_rpc_submit(r, &tx, e);
	cJSON *v = rc2 == 0 ? sent_json(tx.txid, verbose, reason) : NULL;
	tx_release(&tx);
	return rc2 != 0 ? -1 : rpc_result(result, v, e);
}

static int sendtoaddress(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	struct wallet_recipient rc;
	struct wallet_fee_request fr;
	bool subtract, avoid_reuse, verbose;
	memset(&rc, 0, sizeof(rc));
	/* Core's order: address amount comment comment_to subtractfeefromamount
	 * replaceable conf_target estimate_mode avoid_reuse fee_rate verbose */
	if (param_address(rc.addr, r, params, 0, e) != 0 || rpc_param_amount(&rc.value, params, 1, "amount", e) != 0 ||
	    rpc_param_bool(&subtract, params, 4, "subtractfeefromamount", false, e) != 0 ||
	    wallet_fees_params(&fr, params, 5, 6, 7, 9, e) != 0 ||
	    rpc_param_bool(&avoid_reuse, params, 8, "avoid_reuse", true, e) != 0 ||
	    rpc_param_bool(&verbose, params, 10, "verbose", false, e) != 0)
		return -1;
	if (rc.value <= 0)
		return rpc_error_set(e, RPC_TYPE_ERROR, "Invalid amount for send");
	rc.subtract_fee = subtract;
	return send_to(r, &rc, 1, &fr, verbose, result, e);
}

/* settxfee: this wallet's -paytxfee until the node restarts; 0 goes back
 * to the estimate. As Core, not below the minimum relay fee rate. */
static int settxfee(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	int64_t rate;
	struct mempool_info mi;
	if (rpc_param_amount(&rate, params, 0, "amount", e) != 0)
		return -1;
	mempool_get_info(r->mp, &mi);
	if (rate != 0 && rate < mi.min_relay_fee)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "txfee cannot be less than min relay tx fee");
	if (rate > COIN)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "txfee cannot be more than wallet max tx fee");
	r->fee_rate = rate;
	return rpc_result(result, cJSON_CreateBool(true), e);
}

static bool in_list(const cJSON *list, const char *s)
{
	const cJSON *x;
	cJSON_ArrayForEach(x, list)
		if (cJSON_IsString(x) && strcmp(x->valuestring, s) == 0)
			return true;
	return false;
}

static int sendmany(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	const cJSON *amounts = rpc_param(params, 1), *kv, *subtract = rpc_param(params, 4);
	struct wallet_fee_request fr;
	bool verbose;
	char err[ERR_LEN];
	if (!cJSON_IsObject(amounts))
		return rpc_error_set(e, RPC_TYPE_ERROR, "Amounts must be an object of address: amount");
	if (subtract && !cJSON_IsArray(subtract))
		return rpc_error_set(e, RPC_TYPE_ERROR, "Invalid parameter: subtractfeefrom must be an array");
	/* Core's order: "" amounts minconf comment subtractfeefrom replaceable
	 * conf_target estimate_mode fee_rate verbose */
	if (wallet_fees_params(&fr, params, 5, 6, 7, 8, e) != 0 ||
	    rpc_param_bool(&verbose, params, 9, "verbose", false, e) != 0)
		return -1;
	size_t n = (size_t)cJSON_GetArraySize(amounts), i = 0;
	if (n == 0)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Invalid parameter, amounts is empty");
	struct wallet_recipient *rc = calloc(n, sizeof(*rc));
	if (!rc)
		return rpc_oom(e);
	int rc2 = 0;
	cJSON_ArrayForEach(kv, amounts) {
		if (address_decode(rc[i].addr, chainstate_params(r->cs)->hrp, kv->string, err) != 0)
			rc2 = rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "'%s': %s", kv->string, err);
		else if (amount_from_json(&rc[i].value, kv, err) != 0 || rc[i].value <= 0)
			rc2 = rpc_error_set(e, RPC_TYPE_ERROR, "Invalid amount for '%s'", kv->string);
		rc[i].subtract_fee = subtract && in_list(subtract, kv->string);
		if (rc2)
			break;
		i++;
	}
	if (rc2 == 0)
		rc2 = send_to(r, rc, n, &fr, verbose, result, e);
	free(rc);
	return rc2;
}

/* --- history --- */

static cJSON *entry_json(struct wallet_rpc *r, const struct wallet_tx_entry *t)
{
	char addr[100];
	cJSON *j = cJSON_CreateObject();
	txjson_address(addr, sizeof(addr), chainstate_params(r->cs), t->addr);
	bool ok = j && cJSON_AddStringToObject(j, "address", addr) &&
		  cJSON_AddStringToObject(j, "category", wallet_category_name(t->category)) &&
		  cJSON_AddItemToObject(j, "amount", amount_to_json(t->amount)) &&
		  cJSON_AddStringToObject(j, "label", t->label) && cJSON_AddNumberToObject(j, "vout", t->vout);
	if (ok && t->has_fee)
		ok = cJSON_AddItemToObject(j, "fee", amount_to_json(-t->fee));
	if (ok && t->category == WALLET_SEND)
		ok = cJSON_AddBoolToObject(j, "abandoned", t->abandoned) != NULL;
	if (ok && t->is_asset)
		ok = txjson_add_hex(j, "asset", t->asset, 32);
	ok = ok && cJSON_AddNumberToObject(j, "confirmations", t->confirmations);
	if (ok && t->confirmed)
		ok = txjson_add_hex(j, "blockhash", t->block_hash, 32) &&
		     cJSON_AddNumberToObject(j, "blockheight", t->block_height) &&
		     cJSON_AddNumberToObject(j, "blockindex", t->block_pos);
	else if (ok)
		ok = cJSON_AddBoolToObject(j, "trusted", t->trusted) != NULL;
	ok = ok && txjson_add_hex(j, "txid", t->txid, 32) && cJSON_AddNumberToObject(j, "time", (double)t->time) &&
	     cJSON_AddNumberToObject(j, "timereceived", (double)t->time);
	return rpc_json_if(j, ok);
}

cJSON *wallet_rpc_entry_json(struct wallet_rpc *r, const struct wallet_tx_entry *t)
{
	return entry_json(r, t);
}

static int listtransactions(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	const char *label;
	int64_t count, skip;
	struct wallet_tx_entry *list;
	size_t n;
	char err[ERR_LEN];
	if (rpc_param_str(&label, params, 0, "label", false, e) != 0 ||
	    rpc_param_int(&count, params, 1, "count", 10, 0, INT32_MAX, e) != 0 ||
	    rpc_param_int(&skip, params, 2, "skip", 0, 0, INT32_MAX, e) != 0)
		return -1;
	if (label && !strcmp(label, "*"))
		label = NULL;
	int s = wallet_list_transactions(wallet_of(r), &list, &n, err);
	if (s)
		return fail(e, s, err);
	/* Bitcoin Core: the most recent count entries after skipping the
	 * skip most recent, listed oldest first. */
	size_t taken = 0;
	int64_t skipped = 0;
	size_t *pick = malloc((n ? n : 1) * sizeof(*pick));
	for (size_t i = n; pick && i-- > 0 && (int64_t)taken < count;) {
		if (label && strcmp(list[i].label, label) != 0)
			continue;
		if (skipped < skip) {
			skipped++;
			continue;
		}
		pick[taken++] = i;
	}
	cJSON *arr = pick ? cJSON_CreateArray() : NULL;
	bool ok = arr != NULL;
	for (size_t k = taken; ok && k-- > 0;)
		ok = rpc_array_add(arr, entry_json(r, &list[pick[k]]));
	free(pick);
	free(list);
	return rpc_result_if(result, arr, ok, e);
}

static int gettransaction(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	uint8_t txid[32];
	struct wallet_tx_info info;
	char err[ERR_LEN];
	if (chain_rpc_param_hash(txid, params, 0, "txid", e) != 0)
		return -1;
	int s = wallet_get_transaction(wallet_of(r), &info, txid, err);
	if (s)
		return fail(e, s, s == WALLET_NOT_FOUND ? "Invalid or non-wallet transaction id" : err);
	struct buf raw = BUF_INIT;
	tx_write(&raw, &info.tx);
	char *hex = buf_ok(&raw) ? hex_alloc(raw.data, raw.len) : NULL;
	cJSON *j = cJSON_CreateObject(), *details = NULL;
	bool ok = j && hex && cJSON_AddItemToObject(j, "amount", amount_to_json(info.amount)) &&
		  (!info.has_fee || cJSON_AddItemToObject(j, "fee", amount_to_json(-info.fee))) &&
		  cJSON_AddNumberToObject(j, "confirmations", info.confirmations) &&
		  cJSON_AddBoolToObject(j, "trusted", info.trusted) && txjson_add_hex(j, "txid", txid, 32) &&
		  cJSON_AddNumberToObject(j, "time", (double)info.time) &&
		  cJSON_AddNumberToObject(j, "timereceived", (double)info.time) &&
		  (details = cJSON_AddArrayToObject(j, "details")) && cJSON_AddStringToObject(j, "hex", hex);
	if (ok && info.confirmed)
		ok = txjson_add_hex(j, "blockhash", info.block_hash, 32) &&
		     cJSON_AddNumberToObject(j, "blockheight", info.block_height) &&
		     cJSON_AddNumberToObject(j, "blockindex", info.block_pos);
	for (size_t i = 0; ok && i < info.n_details; i++)
		ok = rpc_array_add(details, entry_json(r, &info.details[i]));
	free(hex);
	buf_release(&raw);
	wallet_tx_info_release(&info);
	return rpc_result_if(result, j, ok, e);
}

static int signrawtransactionwithwallet(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	struct tx tx;
	struct wallet_sign_result res;
	char err[ERR_LEN];
	if (rawtx_param_tx(&tx, params, 0, e) != 0)
		return -1;
	struct coin_view view = mempool_view(r->mp);
	int s = wallet_sign_tx(wallet_of(r), &tx, &view, &res, err);
	if (s) {
		tx_release(&tx);
		return fail(e, s, err);
	}
	struct buf out = BUF_INIT;
	tx_write(&out, &tx);
	char *signed_hex = buf_ok(&out) ? hex_alloc(out.data, out.len) : NULL;
	cJSON *j = cJSON_CreateObject(), *errs = NULL;
	bool ok = j && signed_hex && cJSON_AddStringToObject(j, "hex", signed_hex) &&
		  cJSON_AddBoolToObject(j, "complete", res.complete);
	if (ok && res.n_errors)
		ok = (errs = cJSON_AddArrayToObject(j, "errors")) != NULL;
	for (size_t i = 0; ok && i < res.n_errors; i++) {
		const struct txin *in = &tx.in[res.errors[i].input];
		cJSON *x = cJSON_CreateObject();
		ok = x && cJSON_AddItemToArray(errs, x) && txjson_add_hex(x, "txid", in->prev.txid, 32) &&
		     cJSON_AddNumberToObject(x, "vout", in->prev.index) &&
		     cJSON_AddStringToObject(x, "error", res.errors[i].reason);
	}
	free(signed_hex);
	buf_release(&out);
	wallet_sign_result_release(&res);
	tx_release(&tx);
	return rpc_result_if(result, j, ok, e);
}

/* --- ownership challenges (chain/ownership.h) --- */

/* The ownership file: what was signed, against which tip, by whom. */
static cJSON *ownership_json(struct wallet_rpc *r, const struct ownership_claim *c, const char *challenge)
{
	char addr[100];
	txjson_address(addr, sizeof(addr), chainstate_params(r->cs), c->owner);
	cJSON *j = cJSON_CreateObject();
	bool ok = j && txjson_add_hex(j, "asset", c->asset, 32) && cJSON_AddStringToObject(j, "challenge", challenge) &&
		  txjson_add_hex(j, "tip", c->tip, 32) && cJSON_AddNumberToObject(j, "height", c->height) &&
		  cJSON_AddStringToObject(j, "owner", addr) && txjson_add_hex(j, "pubkey", c->pubkey, 32) &&
		  txjson_add_hex(j, "signature", c->sig, 64);
	return rpc_json_if(j, ok);
}

/* Answers a verifier's challenge for an asset with a signature by the key
 * of its current owner on the best chain, bound to the tip: the verifier
 * then asks a proof bundle at that tip who the owner is. */
static int signassetownership(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	struct ownership_claim c;
	struct asset_entry ae;
	const char *challenge;
	uint8_t digest[32];
	char err[ERR_LEN];
	memset(&c, 0, sizeof(c));
	if (chain_rpc_param_hash(c.asset, params, 0, "asset", e) != 0 ||
	    rpc_param_str(&challenge, params, 1, "challenge", true, e) != 0)
		return -1;
	int found = chainstate_get_asset(r->cs, c.asset, &ae);
	if (found < 0)
		return rpc_error_set(e, RPC_DATABASE_ERROR, "Cannot read the asset index");
	if (!found)
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "Asset not found");
	const struct block_index *tip = chainstate_tip(r->cs);
	memcpy(c.tip, tip->hash, 32);
	c.height = tip->height;
	memcpy(c.owner, ae.owner, 20);
	ownership_digest(digest, c.asset, c.tip, challenge, strlen(challenge));
	int s = wallet_sign_digest(wallet_of(r), c.owner, digest, c.pubkey, c.sig, err);
	if (s == WALLET_NOT_FOUND)
		return rpc_error_set(e, RPC_WALLET_ERROR, "The wallet does not hold the key of the asset's current owner");
	if (s)
		return fail(e, s, err);
	return rpc_result(result, ownership_json(r, &c, challenge), e);
}

/* --- encryption and backups --- */

static int encryptwallet(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	const char *pass;
	char err[ERR_LEN];
	if (rpc_param_str(&pass, params, 0, "passphrase", true, e) != 0)
		return -1;
	if (!pass[0])
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Passphrase cannot be empty");
	int s = wallet_encrypt(wallet_of(r), pass, err);
	return s ? fail(e, s, err)
		 : rpc_result(result, cJSON_CreateString("wallet encrypted; the HD seed is unchanged, so earlier seed backups stay valid"), e);
}

static int walletpassphrase(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	const char *pass;
	int64_t secs;
	char err[ERR_LEN];
	if (rpc_param_str(&pass, params, 0, "passphrase", true, e) != 0 ||
	    rpc_param_int(&secs, params, 1, "timeout", -1, 0, INT64_MAX, e) != 0)
		return -1;
	if (secs > (int64_t)WALLET_MAX_UNLOCK_SECONDS)
		secs = (int64_t)WALLET_MAX_UNLOCK_SECONDS;
	int s = wallet_unlock(wallet_of(r), pass, (uint64_t)secs, clock_now(), err);
	if (s)
		return fail(e, s, err);
	*result = NULL;
	return 0;
}

static int walletlock(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	(void)params;
	if (!wallet_is_encrypted(r->w))
		return rpc_error_set(e, RPC_WALLET_WRONG_ENC_STATE, "Error: running with an unencrypted wallet, but walletlock was called.");
	wallet_lock(r->w);
	*result = NULL;
	return 0;
}

static int walletpassphrasechange(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	const char *old_pass, *new_pass;
	char err[ERR_LEN];
	if (rpc_param_str(&old_pass, params, 0, "oldpassphrase", true, e) != 0 ||
	    rpc_param_str(&new_pass, params, 1, "newpassphrase", true, e) != 0)
		return -1;
	if (!new_pass[0])
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Passphrase cannot be empty");
	int s = wallet_change_passphrase(wallet_of(r), old_pass, new_pass, err);
	if (s)
		return fail(e, s, err);
	*result = NULL;
	return 0;
}

static int backupwallet(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	const char *dest;
	char err[ERR_LEN];
	if (rpc_param_str(&dest, params, 0, "destination", true, e) != 0)
		return -1;
	int s = wallet_backup(wallet_of(r), dest, err);
	if (s)
		return fail(e, s, err);
	*result = NULL;
	return 0;
}

/* The wallet a request names (rpc/wallets.c's route): -18 none such, -19
 * several loaded and none named. */
#define PICK "-18 -19 "
/* A wallet transaction entry (entry_json). */
#define ENTRY                                                                                                 \
	"{address:str,category:'send'|'receive'|'generate'|'immature'|'orphan',amount:amount,label:str,vout:int," \
	"fee?:amount,abandoned?:bool,asset?:hash,confirmations:int,blockhash?:hash,blockheight?:int,"            \
	"blockindex?:int,trusted?:bool,txid:hash,time:int,timereceived:int}"
/* Parameters Bitcoin Core's callers send and cairn accepts without use. */
#define IGNORED "(accepted for Bitcoin Core's callers, ignored)"

/* Core's fee parameters of sendtoaddress and sendmany; between the
 * estimate mode and the fee rate, what the method puts there. */
#define FEE_ARGS(between)                                                                                   \
	"[replaceable:bool=true (accepted; cairn has no replacement, so it only picks the unset estimate "   \
	"mode: economical when true, as Core)] "                                                              \
	"[conf_target:int (blocks, for the fee estimate; default -txconfirmtarget)] "                         \
	"[estimate_mode:str=unset (unset, economical or conservative; any case)] " between                   \
	"[fee_rate:amount (units per byte, as Core's sat/vB; at most 3 decimals)]"

static const struct rpc_method methods[] = {
	{ "getnewaddress", "wallet", "[label:str (the address's label)] [address_type:str " IGNORED "]",
	  "Returns a new receiving address of the wallet.", getnewaddress, "str", PICK "-12 -4" },
	{ "getrawchangeaddress", "wallet", "[address_type:str " IGNORED "]", "Returns a new change address.",
	  getrawchangeaddress, "str", PICK "-12 -4" },
	{ "getbalance", "wallet",
	  "[dummy:str " IGNORED "] [minconf:int=0 (only coins of at least this many confirmations)] "
	  "[include_watchonly:bool " IGNORED "] [avoid_reuse:bool " IGNORED "]",
	  "Returns the wallet's trusted balance.", getbalance, "amount", PICK "-4" },
	{ "getbalances", "wallet", "", "Returns the trusted, untrusted pending and immature balances.", getbalances,
	  "{mine:{trusted:amount,untrusted_pending:amount,immature:amount}}", PICK },
	{ "getwalletinfo", "wallet", "", "Returns the wallet's state.", getwalletinfo,
	  "{walletname:str,balance:amount,unconfirmed_balance:amount,immature_balance:amount,txcount:int,"
	  "paytxfee:amount,encrypted:bool,unlocked_until?:int}",
	  PICK },
	{ "listunspent", "wallet",
	  "[minconf:int=1 (at least this many confirmations)] [maxconf:int=9999999 (at most this many)] "
	  "[addresses:[str] (only these addresses' coins)]",
	  "Returns the wallet's spendable outputs.", listunspent,
	  "[{txid:hash,vout:int,address:str,label:str,amount:amount,confirmations:int,spendable:bool,solvable:bool,"
	  "safe:bool}]",
	  PICK "-5 -4" },
	{ "lockunspent", "wallet",
	  "unlock:bool (true unlocks, false locks) [transactions:[{txid:hash,vout:int}] (the outputs; none: all "
	  "when unlocking)] [persistent:bool=false (store the locks in the wallet)]",
	  "Locks or unlocks outputs against spending, in memory or (persistent) in the wallet too.", lockunspent,
	  "bool", PICK "-4" },
	{ "listlockunspent", "wallet", "", "Returns the locked outputs.", listlockunspent, "[{txid:hash,vout:int}]",
	  PICK },
	{ "sendtoaddress", "wallet",
	  "address:str (who is paid) amount:amount (CRN) [comment:str " IGNORED "] [comment_to:str " IGNORED "] "
	  "[subtractfeefromamount:bool=false (the payee pays the fee)] " FEE_ARGS("[avoid_reuse:bool=true " IGNORED "] ")
	  " [verbose:bool=false (answer {txid, fee_reason})]",
	  "Sends an amount to an address. Without fee_rate the fee rate is -paytxfee when set, else the fee "
	  "estimate for conf_target (default -txconfirmtarget), else -fallbackfee. Returns the txid.",
	  sendtoaddress, "hash|{txid:hash,fee_reason:str}", PICK "-3 -5 -6 -8 -13 -4 -25 -26" },
	{ "sendmany", "wallet",
	  "dummy:str (\"\", as in Bitcoin Core) amounts:{*:amount} (address: amount) "
	  "[minconf:int " IGNORED "] [comment:str " IGNORED "] "
	  "[subtractfeefrom:[str] (the addresses that pay the fee, equally)] " FEE_ARGS("")
	  " [verbose:bool=false (answer {txid, fee_reason})]",
	  "Sends to several addresses in one transaction: {\"address\": amount, ...}; the fee rate as "
	  "sendtoaddress's. Returns the txid.",
	  sendmany, "hash|{txid:hash,fee_reason:str}", PICK "-3 -5 -6 -8 -13 -4 -25 -26" },
	{ "settxfee", "wallet", "amount:amount (CRN per 1,000 bytes; 0: estimate again)",
	  "Sets the fee rate this wallet's sends pay when they name none (-paytxfee), until the node restarts.",
	  settxfee, "bool", PICK "-3 -8" },
	{ "listtransactions", "wallet",
	  "[label:str=* (only this label's; * all)] [count:int=10 (how many)] [skip:int=0 (how many recent ones to "
	  "skip)] [include_watchonly:bool " IGNORED "]",
	  "Returns the most recent wallet transactions, oldest first.", listtransactions, "[" ENTRY "]", PICK "-4" },
	{ "gettransaction", "wallet",
	  "txid:hash (a wallet transaction) [include_watchonly:bool " IGNORED "] [verbose:bool " IGNORED "]",
	  "Returns a wallet transaction.", gettransaction,
	  "{amount:amount,fee?:amount,confirmations:int,trusted:bool,txid:hash,time:int,timereceived:int,"
	  "details:[" ENTRY "],hex:hex,blockhash?:hash,blockheight?:int,blockindex?:int}",
	  PICK "-5" },
	{ "signrawtransactionwithwallet", "wallet",
	  "hexstring:hex (the transaction) [prevtxs:[any] " IGNORED "] [sighashtype:str " IGNORED "]",
	  "Signs the inputs of a raw transaction that the wallet's keys can sign.", signrawtransactionwithwallet,
	  "{hex:hex,complete:bool,errors?:[{txid:hash,vout:int,error:str}]}", PICK "-22 -13 -4" },
	{ "signassetownership", "wallet",
	  "asset:hash (the asset id) challenge:str (the verifier's challenge, signed as its UTF-8 bytes)",
	  "Signs a challenge for an asset with the key of its current owner on the best chain, bound to the tip: "
	  "the ownership file that cairn-cli verifyassetownership checks offline against a v2 proof bundle.",
	  signassetownership, "{asset:hash,challenge:str,tip:hash,height:int,owner:str,pubkey:hash,signature:hex}",
	  PICK "-5 -13 -4" },
	{ "encryptwallet", "wallet", "passphrase:str (the new passphrase, not empty)",
	  "Encrypts the wallet's secrets with a passphrase; the wallet is then locked.", encryptwallet, "str",
	  PICK "-15 -4" },
	{ "walletpassphrase", "wallet", "passphrase:str (the wallet's passphrase) timeout:int (seconds)",
	  "Unlocks the wallet for timeout seconds.", walletpassphrase, "null", PICK "-14 -15 -4" },
	{ "walletlock", "wallet", "", "Locks the wallet.", walletlock, "null", PICK "-15" },
	{ "walletpassphrasechange", "wallet", "oldpassphrase:str (the current one) newpassphrase:str (the new one)",
	  "Changes the passphrase.", walletpassphrasechange, "null", PICK "-14 -15 -4" },
	{ "backupwallet", "wallet", "destination:str (a file path on the node's host)",
	  "Copies the wallet to destination as one file, atomically.", backupwallet, "null", PICK "-4" },
	{ "dumpprivkey", "wallet", "address:str (an address of the wallet)",
	  "Returns an address's private key as 64 hex digits.", dumpprivkey, "hash", PICK "-5 -13 -4" },
	{ "importprivkey", "wallet",
	  "privkey:hex (64 hex digits) [label:str (its address's label)] [rescan:bool=true (find its coins in the "
	  "chain)]",
	  "Imports a private key (64 hex digits) and rescans.", importprivkey, "null", PICK "-5 -13 -4" },
	{ "dumpseed", "wallet", "", "Returns the wallet's HD seed (64 hex digits): it restores every derived key.",
	  dumpseed, "hash", PICK "-13 -4" },
	{ "sethdseed", "wallet", "newkeypool:bool " IGNORED " seed:hex (64 hex digits)",
	  "Restores the wallet from an HD seed, then rescans: only into a blank wallet (no address handed out, no key imported, no transaction) that is not encrypted.",
	  sethdseed, "null", PICK "-5 -15 -4" },
};

int wallet_rpc_register(struct rpc_server *srv, struct wallets *set, char *err)
{
	return rpc_server_add_routed_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), wallets_route, set, err);
}
