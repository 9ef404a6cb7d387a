#include "rpc/util_rpc.h"

#include <malloc.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/address.h"
#include "chain/message.h"
#include "rpc/wallet_rpc.h"
#include "util/clock.h"
#include "util/hex.h"
#include "util/log.h"
#include "wallet/key.h"
#include "wallet/wallet.h"

/* --- signed messages --- */

void util_rpc_sig_text(char out[UTIL_RPC_SIG_TEXT_LEN], const uint8_t sig[MESSAGE_SIG_LEN])
{
	EVP_EncodeBlock((unsigned char *)out, sig, MESSAGE_SIG_LEN);
}

/* Decodes strict, padded base64 into out (cap bytes): the length; -2
 * when text is not base64 (Core's "Malformed base64 encoding"), -1 when
 * it decodes to more than cap bytes. */
static int base64_decode(uint8_t *out, size_t cap, const char *text)
{
	size_t len = strlen(text), pad = 0;
	if (len % 4 != 0)
		return -2;
	for (size_t i = 0; i < len; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", text[i]) ||
		    (text[i] == '=' && i + 2 < len) || (text[i] == '=' && i + 1 < len && text[i + 1] != '='))
			return -2;
	if (len && text[len - 1] == '=')
		pad = text[len - 2] == '=' ? 2 : 1;
	size_t n = len / 4 * 3 - pad;
	if (n > cap)
		return -1;
	uint8_t *tmp = malloc(len / 4 * 3 + 1);
	if (!tmp)
		return -1;
	int rc = EVP_DecodeBlock(tmp, (const unsigned char *)text, (int)len);
	if (rc >= 0)
		memcpy(out, tmp, n);
	free(tmp);
	return rc < 0 ? -2 : (int)n;
}

static int answer_sig(cJSON **result, const uint8_t pubkey[32], const uint8_t sig[64], struct rpc_error *e)
{
	uint8_t blob[MESSAGE_SIG_LEN];
	char text[UTIL_RPC_SIG_TEXT_LEN];
	memcpy(blob, pubkey, 32);
	memcpy(blob + 32, sig, 64);
	util_rpc_sig_text(text, blob);
	return rpc_result(result, cJSON_CreateString(text), e);
}

static int verifymessage(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct util_rpc *r = ctx;
	const char *addr, *sig, *msg;
	uint8_t hash[20], blob[MESSAGE_SIG_LEN];
	char err[ERR_LEN];
	if (rpc_param_str(&addr, params, 0, "address", true, e) != 0 ||
	    rpc_param_str(&sig, params, 1, "signature", true, e) != 0 ||
	    rpc_param_str(&msg, params, 2, "message", true, e) != 0)
		return -1;
	if (address_decode(hash, r->p->hrp, addr, err) != 0)
		return rpc_error_set(e, RPC_TYPE_ERROR, "Invalid address");
	int n = base64_decode(blob, sizeof(blob), sig);
	if (n == -2)
		return rpc_error_set(e, RPC_TYPE_ERROR, "Malformed base64 encoding");
	bool ok = n == MESSAGE_SIG_LEN && message_verify(hash, blob, msg, strlen(msg));
	return rpc_result(result, cJSON_CreateBool(ok), e);
}

static int signmessagewithprivkey(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	const char *hex, *msg;
	uint8_t key[32], pubkey[32], sig[64], digest[32];
	(void)ctx;
	if (rpc_param_str(&hex, params, 0, "privkey", true, e) != 0 ||
	    rpc_param_str(&msg, params, 1, "message", true, e) != 0)
		return -1;
	bool good = strlen(hex) == 64 && hex_decode(key, 32, hex) && key_seckey_valid(key);
	int rc = !good ? rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "Invalid private key")
	       : message_digest(digest, msg, strlen(msg)) != 0 || key_pubkey_xonly(pubkey, key) != 0 ||
			 key_sign(sig, key, digest) != 0
		       ? rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "Sign failed")
		       : answer_sig(result, pubkey, sig, e);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

static int signmessage(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	const char *addr, *msg;
	uint8_t hash[20], digest[32], pubkey[32], sig[64];
	char err[ERR_LEN];
	if (rpc_param_str(&addr, params, 0, "address", true, e) != 0 ||
	    rpc_param_str(&msg, params, 1, "message", true, e) != 0)
		return -1;
	if (address_decode(hash, chainstate_params(r->cs)->hrp, addr, err) != 0)
		return rpc_error_set(e, RPC_TYPE_ERROR, "Invalid address");
	if (message_digest(digest, msg, strlen(msg)) != 0)
		return rpc_oom(e);
	wallet_is_locked(r->w, clock_now()); /* an expired walletpassphrase lapses */
	int s = wallet_sign_digest(r->w, hash, digest, pubkey, sig, err);
	if (s == WALLET_NOT_FOUND)
		return rpc_error_set(e, RPC_WALLET_ERROR, "Private key not available");
	if (s == WALLET_LOCKED)
		return rpc_error_set(e, RPC_WALLET_UNLOCK_NEEDED,
				     "Error: Please enter the wallet passphrase with walletpassphrase first.");
	if (s != WALLET_OK)
		return rpc_error_set(e, wallet_rpc_code(s), "%s", err);
	return answer_sig(result, pubkey, sig, e);
}

/* --- the node's own state --- */

static int getrpcinfo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct util_rpc *r = ctx;
	struct rpc_active_call calls[RPC_MAX_ACTIVE];
	(void)params;
	size_t n = rpc_server_active(r->srv, calls, RPC_MAX_ACTIVE);
	uint64_t now = clock_mono_us();
	cJSON *j = cJSON_CreateObject(), *arr = j ? cJSON_AddArrayToObject(j, "active_commands") : NULL;
	bool ok = arr != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		cJSON *c = cJSON_CreateObject();
		bool built = c && cJSON_AddStringToObject(c, "method", calls[i].name) &&
			     cJSON_AddNumberToObject(c, "duration", (double)(now - calls[i].started_us));
		ok = rpc_array_add(arr, built ? c : (cJSON_Delete(c), NULL));
	}
	ok = ok && cJSON_AddStringToObject(j, "logpath", r->log_path);
	return rpc_result_if(result, j, ok, e);
}

/* Applies each name of the array arr (NULL: none) with fn; -8 for one it
 * does not know, as Core. */
static int apply_categories(const cJSON *arr, bool (*fn)(const char *), struct rpc_error *e)
{
	const cJSON *c;
	if (arr && !cJSON_IsArray(arr))
		return rpc_error_set(e, RPC_TYPE_ERROR, "categories must be an array of strings");
	cJSON_ArrayForEach(c, arr)
	{
		if (!cJSON_IsString(c))
			return rpc_error_set(e, RPC_TYPE_ERROR, "categories must be an array of strings");
		if (!fn(c->valuestring))
			return rpc_error_set(e, RPC_INVALID_PARAMETER, "unknown logging category %s", c->valuestring);
	}
	return 0;
}

static bool enable_category(const char *name)
{
	/* Core's "none" and "0" in include turn nothing on */
	return strcmp(name, "none") == 0 || strcmp(name, "0") == 0 || log_enable(name);
}

static int logging(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	const char *name;
	bool on;
	(void)ctx;
	if (apply_categories(rpc_param(params, 0), enable_category, e) != 0 ||
	    apply_categories(rpc_param(params, 1), log_disable, e) != 0)
		return -1;
	cJSON *j = cJSON_CreateObject();
	bool ok = j != NULL;
	for (size_t i = 0; ok && (name = log_category(i, &on)); i++)
		ok = cJSON_AddBoolToObject(j, name, on) != NULL;
	return rpc_result_if(result, j, ok, e);
}

/* Core's "stats" mode describes its pool of locked (mlock'd) memory for
 * keys; cairn keeps no such pool, so the object describes the process's
 * heap as glibc's mallinfo2 sees it (docs/rpc.md), with locked 0. */
static cJSON *memory_stats(void)
{
	struct mallinfo2 m = mallinfo2();
	cJSON *j = cJSON_CreateObject(), *l = j ? cJSON_AddObjectToObject(j, "locked") : NULL;
	bool ok = l && cJSON_AddNumberToObject(l, "used", (double)(m.uordblks + m.hblkhd)) &&
		  cJSON_AddNumberToObject(l, "free", (double)m.fordblks) &&
		  cJSON_AddNumberToObject(l, "total", (double)(m.arena + m.hblkhd)) &&
		  cJSON_AddNumberToObject(l, "locked", 0) &&
		  cJSON_AddNumberToObject(l, "chunks_used", (double)m.hblks) &&
		  cJSON_AddNumberToObject(l, "chunks_free", (double)(m.ordblks + m.smblks));
	return rpc_json_if(j, ok);
}

/* Core's "mallocinfo" mode: glibc's malloc_info XML. */
static cJSON *malloc_xml(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	int rc = malloc_info(0, f);
	fclose(f);
	cJSON *j = rc == 0 && text ? cJSON_CreateString(text) : NULL;
	free(text);
	return j;
}

static int getmemoryinfo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	const char *mode;
	(void)ctx;
	if (rpc_param_str(&mode, params, 0, "mode", false, e) != 0)
		return -1;
	if (!mode || strcmp(mode, "stats") == 0)
		return rpc_result(result, memory_stats(), e);
	if (strcmp(mode, "mallocinfo") == 0)
		return rpc_result(result, malloc_xml(), e);
	return rpc_error_set(e, RPC_INVALID_PARAMETER, "unknown mode %s", mode);
}

static const struct rpc_method methods[] = {
	{ "verifymessage", "util",
	  "address:str (the signer's address) signature:str (base64, as signmessage gives it) "
	  "message:str (the message signed)",
	  "Tells whether signature is the address's key's over message (BIP-340 over the tagged hash "
	  "\"cairn/message\"; docs/rpc.md).",
	  verifymessage, "bool", "-3" },
	{ "signmessagewithprivkey", "util", "privkey:str (64 hex digits) message:str (the message to sign)",
	  "Signs a message with a secret key; returns base64 of the x-only key and the BIP-340 signature.",
	  signmessagewithprivkey, "str", "-5" },
	{ "getrpcinfo", "control", "", "Returns the RPC calls running now (durations in microseconds) and the log's path.",
	  getrpcinfo, "{active_commands:[{method:str,duration:int}],logpath:str}", NULL },
	{ "logging", "control",
	  "[include:[str] (categories to turn on; all or 1: every one)] "
	  "[exclude:[str] (categories to turn off; all, none: every one)]",
	  "Turns debug log categories on and off, include first; returns every category and whether it is on.",
	  logging, "{*:bool}", "-8" },
	{ "getmemoryinfo", "control", "[mode:str=stats (stats: the heap in numbers; mallocinfo: glibc's XML)]",
	  "Returns the process's heap as glibc sees it (Core's \"locked\" object; docs/rpc.md), or glibc's malloc_info XML.",
	  getmemoryinfo,
	  "{locked:{used:int,free:int,total:int,locked:int,chunks_used:int,chunks_free:int}}|str", "-8" },
};

static const struct rpc_method wallet_methods[] = {
	{ "signmessage", "wallet", "address:str (an address of the wallet) message:str (the message to sign)",
	  "Signs a message with the key of one of the wallet's addresses; returns base64 of the x-only key and "
	  "the BIP-340 signature (docs/rpc.md).",
	  signmessage, "str", "-3 -4 -13" },
};

int util_rpc_register(struct rpc_server *srv, struct util_rpc *r, char *err)
{
	return rpc_server_add_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), r, err);
}

int util_rpc_register_wallet(struct rpc_server *srv, struct wallets *set, char *err)
{
	return rpc_server_add_routed_methods(srv, wallet_methods, 1, wallets_route, set, err);
}
