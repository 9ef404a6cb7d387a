/* libFuzzer target for rpc_server_handle_body, the JSON-RPC dispatch of
 * every HTTP body a client sends: parsing, 1.0 and 2.0 forms, batches,
 * notifications, named params mapped onto positions, and the param
 * helpers. The server is a dispatcher only (no event base), with `help`
 * and a small table of methods that use each helper the real ones use
 * (rpc_param_* and chain_rpc_param_hash).
 *
 * Besides "never crash, never leak": nothing is answered (204) or the
 * answer is one line of JSON ending in a newline, an object for a single
 * request and an array for a batch, with status 200, or 400/404/500 for a
 * failed 1.0-style request; work queued for after the reply (one per
 * request, a batch included) has run once by the time the call returns. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/amount.h"
#include "rpc/chain_rpc.h"
#include "rpc/server.h"
#include "util/hex.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rpc_server *srv;
static bool queued; /* a handler asked for work after the reply */
static int ran;     /* times that work ran */

static int m_echo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	(void)ctx;
	*result = cJSON_Duplicate(params, true);
	return *result ? 0 : rpc_error_set(e, RPC_OUT_OF_MEMORY, "out of memory");
}

static int m_num(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	int64_t a, b;
	(void)ctx;
	if (rpc_param_int(&a, params, 0, "n", -1, -1000000, INT64_MAX, e) != 0 ||
	    rpc_param_int(&b, params, 1, "def", 5, 0, 100, e) != 0)
		return -1;
	*result = cJSON_CreateNumber((double)(a / 2 + b));
	return 0;
}

static int m_amount(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	int64_t v;
	(void)ctx;
	if (rpc_param_amount(&v, params, 0, "amount", e) != 0)
		return -1;
	*result = amount_to_json(v);
	return 0;
}

static int m_flags(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	bool on;
	const char *s;
	(void)ctx;
	if (rpc_param_bool(&on, params, 0, "on", true, e) != 0 || rpc_param_str(&s, params, 1, "s", false, e) != 0)
		return -1;
	*result = cJSON_CreateString(on ? (s ? s : "") : "off");
	return 0;
}

/* A hash param, as the chain methods read one: back as hex, reversed. */
static int m_hash(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	uint8_t h[32];
	char hex[65];
	(void)ctx;
	if (chain_rpc_param_hash(h, params, 0, "hash", e) != 0)
		return -1;
	hex_encode(hex, h, 32);
	*result = cJSON_CreateString(hex);
	return 0;
}

static int m_fail(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	(void)ctx;
	(void)e;
	*result = cJSON_Duplicate(params, true); /* set anyway: the server frees it */
	return -1;
}

static void after(void *arg)
{
	(void)arg;
	ran++;
}

static int m_later(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	(void)ctx;
	(void)params;
	(void)e;
	queued = true;
	rpc_server_after_reply(srv, after, NULL);
	*result = NULL;
	return 0;
}

static const struct rpc_method methods[] = {
	{ "echo", "test", "a [b] [c]", "Returns its params.", m_echo, NULL, NULL },
	{ "num", "test", "n [def]", "Integer params.", m_num, NULL, NULL },
	{ "amount", "test", "amount", "An amount param.", m_amount, NULL, NULL },
	{ "flags", "test", "[on] [s]", "Boolean and string params.", m_flags, NULL, NULL },
	{ "hash", "test", "hash", "A hash param.", m_hash, NULL, NULL },
	{ "fail", "test", NULL, "Fails without a code.", m_fail, NULL, NULL },
	{ "later", "test", NULL, "Queues work for after the reply.", m_later, NULL, NULL },
};

static void shut_down(void)
{
	rpc_server_free(srv);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[ERR_LEN] = "";
	srv = rpc_server_new(NULL, NULL, err);
	if (!srv || rpc_server_add_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), NULL, err) != 0)
		abort();
	atexit(shut_down);
	return 0;
}

static void check_reply(const char *text, int status, const uint8_t *data, size_t size)
{
	size_t n = strlen(text);
	if (n < 2 || text[n - 1] != '\n' || memchr(text, '\n', n - 1))
		abort();
	cJSON *j = cJSON_Parse(text);
	if (!j)
		abort();
	/* A batch is answered with an array, anything else with an object.
	 * cJSON takes any byte up to 32 for leading white space. */
	size_t i = 0;
	while (i < size && data[i] <= 32)
		i++;
	bool batch = i < size && data[i] == '[' && status == 200 && cJSON_IsArray(j);
	if (!batch && !cJSON_IsObject(j))
		abort();
	cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int status = -1;
	queued = false;
	ran = 0;
	char *text = rpc_server_handle_body(srv, (const char *)data, size, &status);
	/* One piece of work per request, a batch included (the last asked). */
	if (ran != (queued ? 1 : 0))
		abort();
	if (!text) {
		if (status != 204 && status != 500)
			abort();
		return 0;
	}
	if (status != 200 && status != 400 && status != 404 && status != 500)
		abort();
	check_reply(text, status, data, size);
	free(text);
	return 0;
}
