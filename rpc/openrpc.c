#include "rpc/openrpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/schema.h"

/* Errors every method can answer whatever it does: the dispatcher's and
 * the allocator's. Those of a request that never reaches a method (parse
 * error, invalid request, unknown method) are in components/errors. */
static const int general_errors[] = { RPC_INVALID_PARAMS, RPC_INTERNAL_ERROR, RPC_OUT_OF_MEMORY };
/* What a method with parameters adds: a wrong JSON type, a missing or
 * unknown named one, a bad value. */
static const int param_errors[] = { RPC_TYPE_ERROR, RPC_INVALID_PARAMETER };

static const struct {
	int code;
	const char *name, *message;
} codes[] = {
	{ RPC_PARSE_ERROR, "ParseError", "Parse error: the body is not JSON" },
	{ RPC_INVALID_REQUEST, "InvalidRequest", "Invalid request object" },
	{ RPC_METHOD_NOT_FOUND, "MethodNotFound", "Method not found" },
	{ RPC_INVALID_PARAMS, "InvalidParams", "Wrong number of parameters" },
	{ RPC_INTERNAL_ERROR, "InternalError", "Internal error" },
	{ RPC_MISC_ERROR, "MiscError", "Failed, for a reason the message gives" },
	{ RPC_TYPE_ERROR, "TypeError", "A parameter has the wrong JSON type" },
	{ RPC_WALLET_ERROR, "WalletError", "Wallet error" },
	{ RPC_INVALID_ADDRESS_OR_KEY, "InvalidAddressOrKey", "Invalid address or key, or unknown block or transaction" },
	{ RPC_WALLET_INSUFFICIENT_FUNDS, "InsufficientFunds", "Insufficient funds" },
	{ RPC_OUT_OF_MEMORY, "OutOfMemory", "Out of memory" },
	{ RPC_INVALID_PARAMETER, "InvalidParameter", "Invalid, missing or unknown parameter" },
	{ RPC_CLIENT_NOT_CONNECTED, "NotConnected", "Not connected to any peer" },
	{ RPC_CLIENT_IN_INITIAL_DOWNLOAD, "InInitialDownload", "Still downloading the initial blocks" },
	{ RPC_WALLET_KEYPOOL_RAN_OUT, "KeypoolRanOut", "Keypool ran out" },
	{ RPC_WALLET_UNLOCK_NEEDED, "UnlockNeeded", "The wallet must be unlocked first" },
	{ RPC_WALLET_PASSPHRASE_INCORRECT, "PassphraseIncorrect", "The passphrase is incorrect" },
	{ RPC_WALLET_WRONG_ENC_STATE, "WrongEncState", "The wallet is (or is not) encrypted" },
	{ RPC_WALLET_ENCRYPTION_FAILED, "EncryptionFailed", "Encryption failed" },
	{ RPC_WALLET_ALREADY_UNLOCKED, "AlreadyUnlocked", "The wallet is already unlocked" },
	{ RPC_WALLET_NOT_FOUND, "WalletNotFound", "No such wallet is loaded" },
	{ RPC_WALLET_NOT_SPECIFIED, "WalletNotSpecified", "Several wallets are loaded: name one (/wallet/NAME)" },
	{ RPC_DATABASE_ERROR, "DatabaseError", "Database error" },
	{ RPC_DESERIALIZATION_ERROR, "DeserializationError", "Cannot decode the data" },
	{ RPC_CLIENT_NODE_ALREADY_ADDED, "NodeAlreadyAdded", "The node is added already" },
	{ RPC_CLIENT_NODE_NOT_ADDED, "NodeNotAdded", "The node has not been added" },
	{ RPC_VERIFY_ERROR, "VerifyError", "The transaction or block is refused" },
	{ RPC_VERIFY_REJECTED, "VerifyRejected", "The transaction is refused by the mempool's rules" },
	{ RPC_VERIFY_ALREADY_IN_CHAIN, "AlreadyInChain", "The transaction is in the chain already" },
	{ RPC_IN_WARMUP, "InWarmup", "The node is still starting" },
	{ RPC_CLIENT_NODE_NOT_CONNECTED, "NodeNotConnected", "The node is not connected" },
	{ RPC_CLIENT_INVALID_IP_OR_SUBNET, "InvalidIpOrSubnet", "Invalid IP address or subnet" },
	{ RPC_CLIENT_P2P_DISABLED, "P2PDisabled", "Peer-to-peer networking is disabled" },
	{ RPC_METHOD_DEPRECATED, "MethodDeprecated", "The method is deprecated" },
	{ RPC_WALLET_INVALID_LABEL_NAME, "InvalidLabelName", "Invalid label name" },
	{ RPC_WALLET_ALREADY_LOADED, "WalletAlreadyLoaded", "The wallet is loaded already" },
	{ RPC_WALLET_ALREADY_EXISTS, "WalletAlreadyExists", "The wallet exists already" },
};

#define N_CODES (sizeof(codes) / sizeof(codes[0]))

static int code_index(int code)
{
	for (size_t i = 0; i < N_CODES; i++)
		if (codes[i].code == code)
			return (int)i;
	return -1;
}

static cJSON *error_json(size_t i)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddNumberToObject(o, "code", codes[i].code) &&
		  cJSON_AddStringToObject(o, "message", codes[i].message);
	return rpc_json_if(o, ok);
}

/* ---- the errors of one method ---- */

struct code_set {
	int code[N_CODES];
	size_t n;
};

static void set_add(struct code_set *s, int code)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->code[i] == code)
			return;
	s->code[s->n++] = code; /* at most N_CODES distinct known codes */
}

/* The codes of a row's errors text ("-5 -8"), each a known one. */
static int parse_errors(struct code_set *s, const struct rpc_method *m, char *err)
{
	const char *p = m->errors ? m->errors : "";
	while (*p) {
		char *end;
		if (*p == ' ') {
			p++;
			continue;
		}
		long c = strtol(p, &end, 10);
		if (end == p || (*end && *end != ' ') || c < -40000 || c > 0 || code_index((int)c) < 0)
			return err_set(err, "cannot describe '%s': bad error code at '%.10s'", m->name, p);
		set_add(s, (int)c);
		p = end;
	}
	return 0;
}

static cJSON *errors_json(const struct rpc_method *m, bool has_params, char *err)
{
	struct code_set s = { .n = 0 };
	if (parse_errors(&s, m, err) != 0)
		return NULL;
	for (size_t i = 0; has_params && i < sizeof(param_errors) / sizeof(param_errors[0]); i++)
		set_add(&s, param_errors[i]);
	for (size_t i = 0; i < sizeof(general_errors) / sizeof(general_errors[0]); i++)
		set_add(&s, general_errors[i]);
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (size_t i = 0; ok && i < s.n; i++)
		ok = rpc_array_add(arr, error_json((size_t)code_index(s.code[i])));
	if (!ok)
		err_set(err, "out of memory");
	return rpc_json_if(arr, ok);
}

/* ---- params and result ---- */

/* Adds item under key to o, deleting it when it cannot be added. */
static bool add(cJSON *o, const char *key, cJSON *item)
{
	if (item && cJSON_AddItemToObject(o, key, item))
		return true;
	cJSON_Delete(item);
	return false;
}

/* A Content Descriptor: name, required, description, schema. */
static cJSON *param_json(const struct rpc_schema_param *p, char *err)
{
	char name[RPC_SCHEMA_NAME_MAX + 1];
	cJSON *o = cJSON_CreateObject();

	memcpy(name, p->name, p->name_len);
	name[p->name_len] = '\0';
	err_set(err, "out of memory");
	bool ok = o && cJSON_AddStringToObject(o, "name", name) && cJSON_AddBoolToObject(o, "required", !p->optional);
	if (ok && p->desc_len) {
		char *d = strndup(p->desc, p->desc_len);
		ok = d && cJSON_AddStringToObject(o, "description", d);
		free(d);
	}
	ok = ok && add(o, "schema", rpc_schema_param_json(p, err));
	return rpc_json_if(o, ok);
}

/* The params array, and into *has_params whether there are any. */
static cJSON *params_json(const struct rpc_method *m, bool *has_params, char *err)
{
	const char *p = m->args ? m->args : "";
	struct rpc_schema_param sp;
	cJSON *arr = cJSON_CreateArray();
	int rc = arr ? 0 : err_set(err, "out of memory");

	*has_params = false;
	while (rc == 0 && (rc = rpc_schema_next_param(&p, &sp, err)) == 1) {
		*has_params = true;
		rc = rpc_array_add(arr, param_json(&sp, err)) ? 0 : -1;
	}
	return rpc_json_if(arr, arr && rc == 0);
}

static cJSON *result_json(const struct rpc_method *m, char *err)
{
	const char *r = m->result ? m->result : "any";
	char name[64];
	cJSON *o = cJSON_CreateObject();

	snprintf(name, sizeof(name), "%.50s_result", m->name);
	err_set(err, "out of memory");
	bool ok = o && cJSON_AddStringToObject(o, "name", name) && add(o, "schema", rpc_schema_type(r, strlen(r), err));
	return rpc_json_if(o, ok);
}

static cJSON *tags_json(const char *category)
{
	cJSON *tag = cJSON_CreateObject();
	cJSON *arr = cJSON_CreateArray();
	if (!arr || !tag || !cJSON_AddStringToObject(tag, "name", category)) {
		cJSON_Delete(tag);
		cJSON_Delete(arr);
		return NULL;
	}
	return rpc_json_if(arr, rpc_array_add(arr, tag));
}

cJSON *rpc_openrpc_method(const struct rpc_method *m, char *err)
{
	char why[ERR_LEN] = "out of memory";
	bool has_params = false;
	cJSON *o = cJSON_CreateObject();

	bool ok = o && cJSON_AddStringToObject(o, "name", m->name) &&
		  cJSON_AddStringToObject(o, "description", m->help ? m->help : "") &&
		  add(o, "tags", tags_json(m->category)) && cJSON_AddStringToObject(o, "paramStructure", "either") &&
		  add(o, "params", params_json(m, &has_params, why)) && add(o, "result", result_json(m, why)) &&
		  add(o, "errors", errors_json(m, has_params, why));
	if (!ok)
		err_set(err, "cannot describe '%s': %s", m->name, why);
	return rpc_json_if(o, ok);
}

static cJSON *components_json(void)
{
	static const int request_errors[] = { RPC_PARSE_ERROR, RPC_INVALID_REQUEST, RPC_METHOD_NOT_FOUND };
	cJSON *c = cJSON_CreateObject();
	cJSON *errs = cJSON_CreateObject();
	bool ok = c && add(c, "errors", errs);
	if (!c)
		cJSON_Delete(errs);
	for (size_t i = 0; ok && i < sizeof(request_errors) / sizeof(request_errors[0]); i++) {
		size_t k = (size_t)code_index(request_errors[i]);
		ok = add(errs, codes[k].name, error_json(k));
	}
	return rpc_json_if(c, ok);
}

static cJSON *info_json(void)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddStringToObject(o, "title", "cairn JSON-RPC") &&
		  cJSON_AddStringToObject(o, "description",
					  "The methods of cairnd, generated from the tables that help reads.") &&
		  cJSON_AddStringToObject(o, "version", "0.1.0"); /* the node's version (node/node.c) */
	return rpc_json_if(o, ok);
}

cJSON *rpc_openrpc_document(const struct rpc_method *const *methods, size_t n, char *err)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *arr = NULL;

	err_set(err, "out of memory");
	bool ok = doc && cJSON_AddStringToObject(doc, "openrpc", RPC_OPENRPC_VERSION) && add(doc, "info", info_json()) &&
		  add(doc, "methods", (arr = cJSON_CreateArray()));
	for (size_t i = 0; ok && i < n; i++)
		ok = rpc_array_add(arr, rpc_openrpc_method(methods[i], err));
	ok = ok && add(doc, "components", components_json());
	return rpc_json_if(doc, ok);
}
