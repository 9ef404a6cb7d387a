#include "rpc/wallets.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain/fees.h"
#include "rpc/amount.h"
#include "util/clock.h"
#include "util/log.h"

/* Bitcoin Core's messages for the cases a request cannot pick a wallet. */
#define MSG_NOT_LOADED "Requested wallet does not exist or is not loaded"
#define MSG_NONE_LOADED "No wallet is loaded. Load a wallet using loadwallet or create a new one with createwallet"
#define MSG_DISABLED "No wallet is loaded (the node runs with -disablewallet)"
#define MSG_NOT_SPECIFIED "Wallet file not specified (must request wallet RPC through /wallet/<filename> uri-path)."

void wallets_init(struct wallets *set, const char *dir, struct chainstate *cs, struct mempool *mp, int64_t fee_rate,
		  struct pool *pool)
{
	memset(set, 0, sizeof(*set));
	set->none = (struct wallet_rpc){ .cs = cs, .mp = mp, .set = set, .fee_rate = fee_rate };
	set->p = cs ? chainstate_params(cs) : NULL;
	set->pool = pool;
	snprintf(set->dir, sizeof(set->dir), "%s", dir);
}

int wallets_set_fees(struct wallets *set, struct fees *fees, const char *fallback, int64_t target, char *err)
{
	char why[ERR_LEN];
	if (amount_parse(&set->fallback_fee, fallback, why) != 0)
		return err_set(err, "invalid -fallbackfee: %s", why);
	if (target < 1 || target > FEES_MAX_TARGET)
		return err_set(err, "-txconfirmtarget must be between 1 and %d", FEES_MAX_TARGET);
	set->fees = fees;
	set->confirm_target = (unsigned)target;
	return 0;
}

static void unload_at(struct wallets *set, size_t i)
{
	struct wallet_rpc *r = set->items[i];
	log_info("wallet unloaded: '%s'", r->name);
	wallet_free(r->w);
	free(r);
	memmove(&set->items[i], &set->items[i + 1], (set->n - i - 1) * sizeof(set->items[0]));
	set->n--;
}

void wallets_free(struct wallets *set)
{
	while (set->n)
		unload_at(set, set->n - 1);
}

int wallets_check_name(const char *name, char *err)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0)
		return err_set(err, "wallet name is empty");
	if (n >= WALLETS_NAME_MAX)
		return err_set(err, "wallet name is longer than %d bytes", WALLETS_NAME_MAX - 1);
	if (strpbrk(name, "/\\") || strstr(name, "..") || name[0] == '.')
		return err_set(err, "invalid wallet name '%s': no '/', '\\' or '..', and no leading '.'", name);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return err_set(err, "invalid wallet name: control characters");
	/* wstore_create builds a wallet in NAME.new, then renames it. */
	if (n > 4 && strcmp(name + n - 4, ".new") == 0)
		return err_set(err, "invalid wallet name '%s': '.new' ends the folder of a wallet being made", name);
	return 0;
}

struct wallet_rpc *wallets_find(const struct wallets *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->items[i]->name, name) == 0)
			return set->items[i];
	return NULL;
}

struct wallet_rpc *wallets_only(const struct wallets *set)
{
	return set->n == 1 ? set->items[0] : NULL;
}

/* wallets/NAME into out, after checking the name (-4 when bad). */
static int folder_of(const struct wallets *set, const char *name, char *out, size_t len, struct rpc_error *e)
{
	char err[ERR_LEN];
	if (wallets_check_name(name, err) != 0)
		return rpc_error_set(e, RPC_WALLET_ERROR, "%s", err);
	int n = snprintf(out, len, "%s/%s", set->dir, name);
	if (n < 0 || (size_t)n >= len)
		return rpc_error_set(e, RPC_WALLET_ERROR, "Wallet path too long");
	return 0;
}

/* Brings a wallet just opened up to the chain and the mempool, both ways:
 * it learns what the pool holds, the pool gets back its unconfirmed ones. */
static void on_wallet_tx(void *ctx, const uint8_t txid[32], const uint8_t *block, uint32_t height)
{
	struct wallet_rpc *r = ctx;
	if (r->set->on_tx)
		r->set->on_tx(r->set->on_tx_ctx, r->name, txid, block, height);
}

static int catch_up(struct wallet_rpc *r, char *err)
{
	char why[ERR_LEN];
	if (wallet_sync(r->w, r->cs, err) != 0)
		return -1;
	const struct tx *pooled;
	for (size_t it = 0; (pooled = mempool_next(r->mp, &it));)
		wallet_tx_added(r->w, pooled, clock_now());
	struct tx *txs;
	size_t count;
	if (wallet_unconfirmed(r->w, &txs, &count, why) == 0) {
		for (size_t i = 0; i < count; i++) {
			struct verdict v;
			verdict_init(&v);
			if (!mempool_has(r->mp, txs[i].txid))
				mempool_accept(r->mp, &txs[i], clock_now(), &v);
			tx_release(&txs[i]);
		}
		free(txs);
	}
	return 0;
}

int wallets_load(struct wallets *set, const char *name, bool create, struct wallet_rpc **out, struct rpc_error *e)
{
	char path[4096], err[ERR_LEN];
	if (folder_of(set, name, path, sizeof(path), e) != 0)
		return -1;
	if (wallets_find(set, name))
		return rpc_error_set(e, RPC_WALLET_ALREADY_LOADED, "Wallet \"%s\" is already loaded.", name);
	bool exists = access(path, F_OK) == 0;
	if (!exists && !create)
		return rpc_error_set(e, RPC_WALLET_NOT_FOUND,
				     "Wallet file verification failed. Failed to load database path '%s'. Path does not exist.", path);
	if (set->n == WALLETS_MAX)
		return rpc_error_set(e, RPC_WALLET_ERROR, "Cannot load more than %d wallets", WALLETS_MAX);
	struct wallet_rpc *r = malloc(sizeof(*r));
	if (!r)
		return rpc_oom(e);
	*r = set->none;
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->w = exists ? wallet_open(path, set->p, set->pool, err) : wallet_create(path, set->p, NULL, err);
	if (!r->w || catch_up(r, err) != 0) {
		wallet_free(r->w);
		free(r);
		return rpc_error_set(e, RPC_WALLET_ERROR, "%s", err);
	}
	set->items[set->n++] = r;
	wallet_set_tx_hook(r->w, on_wallet_tx, r);
	log_info("wallet loaded: '%s'", path);
	if (out)
		*out = r;
	return 0;
}

void wallets_set_tx_hook(struct wallets *set, wallets_tx_hook fn, void *ctx)
{
	set->on_tx = fn;
	set->on_tx_ctx = ctx;
}

void wallets_block_connected(struct wallets *set, const struct block *b, const struct block_index *bi)
{
	for (size_t i = 0; i < set->n; i++)
		wallet_block_connected(set->items[i]->w, b, bi);
}

void wallets_block_disconnected(struct wallets *set, const struct block *b, const struct block_index *bi)
{
	for (size_t i = 0; i < set->n; i++)
		wallet_block_disconnected(set->items[i]->w, b, bi);
}

void wallets_tx_added(struct wallets *set, const struct tx *tx, uint64_t now)
{
	for (size_t i = 0; i < set->n; i++)
		wallet_tx_added(set->items[i]->w, tx, now);
}

void wallets_tx_removed(struct wallets *set, const uint8_t txid[32])
{
	for (size_t i = 0; i < set->n; i++)
		wallet_tx_removed(set->items[i]->w, txid);
}

/* --- routing --- */

/* Why a request to / picks no wallet: none is loaded (-18) or several are
 * (-19). Returns NULL. */
static void *none_picked(const struct wallets *set, struct rpc_error *e)
{
	if (set->n)
		rpc_error_set(e, RPC_WALLET_NOT_SPECIFIED, MSG_NOT_SPECIFIED);
	else
		rpc_error_set(e, RPC_WALLET_NOT_FOUND, "%s", set->dir[0] ? MSG_NONE_LOADED : MSG_DISABLED);
	return NULL;
}

void *wallets_route(void *ctx, const char *wallet, struct rpc_error *e)
{
	struct wallets *set = ctx;
	if (wallet) {
		struct wallet_rpc *r = wallets_find(set, wallet);
		if (!r)
			rpc_error_set(e, RPC_WALLET_NOT_FOUND, MSG_NOT_LOADED);
		return r;
	}
	return set->n == 1 ? set->items[0] : none_picked(set, e);
}

void *wallets_route_optional(void *ctx, const char *wallet, struct rpc_error *e)
{
	struct wallets *set = ctx;
	if (wallet || set->n == 1)
		return wallets_route(set, wallet, e);
	return &set->none;
}

/* --- the methods --- */

/* Core's load_on_startup keeps a settings file; cairn loads at start what
 * -wallet names, so only "no" (false) or "as before" (null) is accepted. */
static int param_load_on_startup(const cJSON *params, size_t i, struct rpc_error *e)
{
	bool on;
	if (rpc_param_bool(&on, params, i, "load_on_startup", false, e) != 0)
		return -1;
	return on ? rpc_error_set(e, RPC_INVALID_PARAMETER,
				  "Option load_on_startup is not supported: name the wallet with -wallet=NAME to load it at start")
		  : 0;
}

/* Core's {"name": ..., "warning": ...}. */
static int name_result(cJSON **result, const char *name, const char *warning, struct rpc_error *e)
{
	cJSON *j = cJSON_CreateObject();
	bool ok = j && cJSON_AddStringToObject(j, "name", name) && cJSON_AddStringToObject(j, "warning", warning);
	return rpc_result_if(result, j, ok, e);
}

/* A createwallet option cairn has no such wallet for: refused when true. */
static int refuse_option(const cJSON *params, size_t i, const char *name, struct rpc_error *e)
{
	bool on;
	if (rpc_param_bool(&on, params, i, name, false, e) != 0)
		return -1;
	return on ? rpc_error_set(e, RPC_INVALID_PARAMETER, "Option %s is not supported", name) : 0;
}

static int createwallet(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallets *set = ctx;
	const char *name, *pass;
	bool blank, descriptors;
	char path[4096], err[ERR_LEN];
	struct wallet_rpc *r;
	if (rpc_param_str(&name, params, 0, "wallet_name", true, e) != 0 ||
	    refuse_option(params, 1, "disable_private_keys", e) != 0 ||
	    rpc_param_bool(&blank, params, 2, "blank", false, e) != 0 ||
	    rpc_param_str(&pass, params, 3, "passphrase", false, e) != 0 ||
	    refuse_option(params, 4, "avoid_reuse", e) != 0 ||
	    rpc_param_bool(&descriptors, params, 5, "descriptors", true, e) != 0 ||
	    param_load_on_startup(params, 6, e) != 0 || refuse_option(params, 7, "external_signer", e) != 0)
		return -1;
	/* blank: every new wallet takes sethdseed until it hands out an address. */
	(void)blank;
	if (!descriptors)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Option descriptors=false is not supported: every cairn wallet is an HD wallet");
	if (folder_of(set, name, path, sizeof(path), e) != 0)
		return -1;
	if (access(path, F_OK) == 0)
		return rpc_error_set(e, RPC_WALLET_ALREADY_EXISTS,
				     "Failed to create database path '%s'. Database already exists.", path);
	if (wallets_load(set, name, true, &r, e) != 0)
		return -1;
	if (pass && pass[0] && wallet_encrypt(r->w, pass, err) != 0)
		return rpc_error_set(e, RPC_WALLET_ENCRYPTION_FAILED, "Wallet created but failed to encrypt: %s", err);
	return name_result(result, name,
			   pass && !pass[0] ? "Empty string given as passphrase, wallet will not be encrypted." : "", e);
}

static int loadwallet(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallets *set = ctx;
	const char *name;
	if (rpc_param_str(&name, params, 0, "filename", true, e) != 0 || param_load_on_startup(params, 1, e) != 0 ||
	    wallets_load(set, name, false, NULL, e) != 0)
		return -1;
	return name_result(result, name, "", e);
}

/* ctx: the wallet the request picks, or none (wallets_route_optional). */
static int unloadwallet(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *picked = ctx;
	struct wallets *set = picked->set;
	const char *name;
	if (rpc_param_str(&name, params, 0, "wallet_name", false, e) != 0 || param_load_on_startup(params, 1, e) != 0)
		return -1;
	if (name && picked->w && strcmp(name, picked->name) != 0)
		return rpc_error_set(e, RPC_INVALID_PARAMETER,
				     "RPC endpoint wallet and wallet_name parameter specify different wallets");
	if (!name && !picked->w) { /* / with none or several loaded */
		none_picked(set, e);
		return -1;
	}
	const char *which = name ? name : picked->name;
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->items[i]->name, which) == 0) {
			unload_at(set, i);
			cJSON *j = cJSON_CreateObject();
			return rpc_result_if(result, j, j && cJSON_AddStringToObject(j, "warning", ""), e);
		}
	return rpc_error_set(e, RPC_WALLET_NOT_FOUND, MSG_NOT_LOADED);
}

static int listwallets(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallets *set = ctx;
	(void)params;
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (size_t i = 0; ok && i < set->n; i++)
		ok = rpc_array_add(arr, cJSON_CreateString(set->items[i]->name));
	return rpc_result_if(result, arr, ok, e);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The folders of wallets/ with a valid name that hold a wallet database
 * (LevelDB's CURRENT), sorted: a creation's leftover NAME.new is none. */
static int wallet_folders(const struct wallets *set, char ***names, size_t *n, char *err)
{
	DIR *d = opendir(set->dir);
	struct dirent *de;
	size_t cap = 0;
	*names = NULL;
	*n = 0;
	if (!d)
		return err_set(err, "cannot read '%s': %s", set->dir, strerror(errno));
	while ((de = readdir(d))) {
		char current[8192], why[ERR_LEN];
		if (wallets_check_name(de->d_name, why) != 0 ||
		    snprintf(current, sizeof(current), "%s/%s/CURRENT", set->dir, de->d_name) >= (int)sizeof(current) ||
		    access(current, F_OK) != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			char **grown = realloc(*names, cap * sizeof(*grown));
			if (!grown)
				break;
			*names = grown;
		}
		if (!((*names)[*n] = strdup(de->d_name)))
			break;
		(*n)++;
	}
	bool failed = de != NULL;
	closedir(d);
	if (failed) {
		for (size_t i = 0; i < *n; i++)
			free((*names)[i]);
		free(*names);
		*names = NULL;
		*n = 0;
		return err_set(err, "out of memory");
	}
	if (*n)
		qsort(*names, *n, sizeof(**names), cmp_name);
	return 0;
}

static int listwalletdir(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallets *set = ctx;
	char **names, err[ERR_LEN];
	size_t n;
	(void)params;
	if (wallet_folders(set, &names, &n, err) != 0)
		return rpc_error_set(e, RPC_WALLET_ERROR, "%s", err);
	cJSON *j = cJSON_CreateObject(), *arr = j ? cJSON_AddArrayToObject(j, "wallets") : NULL;
	bool ok = arr != NULL;
	for (size_t i = 0; i < n; i++) {
		cJSON *o = ok ? cJSON_CreateObject() : NULL;
		ok = ok && rpc_array_add(arr, o) && cJSON_AddStringToObject(o, "name", names[i]);
		free(names[i]);
	}
	free(names);
	return rpc_result_if(result, j, ok, e);
}

static int restorewallet(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallets *set = ctx;
	const char *name, *file;
	char path[4096], err[ERR_LEN];
	size_t n_txs;
	if (rpc_param_str(&name, params, 0, "wallet_name", true, e) != 0 ||
	    rpc_param_str(&file, params, 1, "backup_file", true, e) != 0 || param_load_on_startup(params, 2, e) != 0 ||
	    folder_of(set, name, path, sizeof(path), e) != 0)
		return -1;
	if (access(file, F_OK) != 0)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Backup file does not exist");
	if (access(path, F_OK) == 0)
		return rpc_error_set(e, RPC_WALLET_ALREADY_EXISTS, "Failed to restore wallet. Database file exists in '%s'.",
				     path);
	if (wallet_restore(file, path, set->p, &n_txs, err) != 0)
		return rpc_error_set(e, RPC_WALLET_ERROR, "Failed to restore wallet: %s", err);
	log_info("wallet '%s' restored from '%s' (%zu transactions)", name, file, n_txs);
	if (wallets_load(set, name, false, NULL, e) != 0)
		return -1;
	return name_result(result, name, "", e);
}

/* load_on_startup and the options cairn has no such wallet for are refused
 * (-8) when true. */
#define STARTUP "[load_on_startup:bool=false (refused when true: use -wallet=NAME)]"

static const struct rpc_method methods[] = {
	{ "createwallet", "wallet",
	  "wallet_name:str (the folder's name under wallets/) "
	  "[disable_private_keys:bool=false (refused when true)] [blank:bool=false (no HD seed: sethdseed sets one)] "
	  "[passphrase:str (encrypt with it from the start)] [avoid_reuse:bool=false (refused when true)] "
	  "[descriptors:bool=true (accepted: every wallet is one kind)] " STARTUP " "
	  "[external_signer:bool=false (refused when true)]",
	  "Creates and loads the wallet wallets/wallet_name/; with a passphrase it is encrypted from the start.",
	  createwallet, "{name:str,warning:str}", "-36 -35 -16 -4" },
	{ "loadwallet", "wallet", "filename:str (the folder's name under wallets/) " STARTUP,
	  "Loads the wallet wallets/filename/.", loadwallet, "{name:str,warning:str}", "-18 -35 -4" },
	{ "listwallets", "wallet", "", "Returns the names of the loaded wallets.", listwallets, "[str]", NULL },
	{ "listwalletdir", "wallet", "", "Returns the wallets in the wallets folder, loaded or not.", listwalletdir,
	  "{wallets:[{name:str}]}", "-4" },
	{ "restorewallet", "wallet",
	  "wallet_name:str (the new folder's name under wallets/) backup_file:str (a backupwallet file) " STARTUP,
	  "Restores a backupwallet file into the new wallet wallets/wallet_name/ and loads it.", restorewallet,
	  "{name:str,warning:str}", "-36 -35 -4" },
};

static const struct rpc_method picked_methods[] = {
	{ "unloadwallet", "wallet", "[wallet_name:str (default: the endpoint's wallet)] " STARTUP,
	  "Unloads the wallet wallet_name, or the one the request's endpoint names.", unloadwallet, "{warning:str}",
	  "-18 -19" },
};

int wallets_register(struct rpc_server *srv, struct wallets *set, char *err)
{
	if (rpc_server_add_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), set, err) != 0)
		return -1;
	return rpc_server_add_routed_methods(srv, picked_methods, 1, wallets_route_optional, set, err);
}
