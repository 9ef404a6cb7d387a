#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "rpc/amount.h"
#include "rpc/server.h"

/* ---- a small method table to dispatch to ---- */

static int notified;

/* Returns its params array as the result, so tests see the mapping. */
static int m_echo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	(void)ctx;
	*result = cJSON_Duplicate(params, true);
	return *result ? 0 : rpc_error_set(e, RPC_OUT_OF_MEMORY, "out of memory");
}

static int m_fail(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	(void)ctx;
	(void)params;
	*result = cJSON_CreateString("dropped"); /* the server must free it */
	return rpc_error_set(e, RPC_INVALID_PARAMETER, "bad %s", "thing");
}

static int m_silent_fail(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	(void)ctx;
	(void)params;
	(void)result;
	(void)e;
	return -1;
}

static int m_count(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	(void)params;
	(void)result;
	(void)e;
	(*(int *)ctx)++;
	return 0; /* NULL result: JSON null */
}

static int m_balance(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	(void)ctx;
	(void)params;
	*result = amount_to_json(5000000000LL);
	return *result ? 0 : rpc_error_set(e, RPC_OUT_OF_MEMORY, "out of memory");
}

static int after_runs;

static void after(void *arg)
{
	(void)arg;
	after_runs++;
}

/* ctx is the server, as a node's `stop` would hold it. */
static int m_later(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	(void)params;
	(void)e;
	rpc_server_after_reply(ctx, after, NULL);
	*result = cJSON_CreateString("stopping");
	return 0;
}

static const struct rpc_method later_table[] = {
	{ "later", "control", NULL, "Runs something after its reply.", m_later, NULL, NULL },
};

/* A route that picks the request's wallet name itself ("/" for /), and
 * refuses "nope" as a wallet that is not loaded. */
static void *route_name(void *ctx, const char *wallet, struct rpc_error *e)
{
	(void)ctx;
	if (wallet && strcmp(wallet, "nope") == 0) {
		rpc_error_set(e, RPC_WALLET_NOT_FOUND, "not loaded");
		return NULL;
	}
	return (void *)(wallet ? wallet : "/");
}

static int m_whose(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	(void)params;
	return rpc_result(result, cJSON_CreateString(ctx), e);
}

static const struct rpc_method routed_table[] = {
	{ "whose", "testing", NULL, "Names the wallet its request picks.", m_whose, NULL, NULL },
};

static const struct rpc_method table[] = {
	{ "echo", "testing", "a [b] [c]", "Returns its arguments.", m_echo, NULL, NULL },
	{ "fail", "testing", NULL, "Always fails.", m_fail, NULL, NULL },
	{ "silentfail", "testing", "", "Fails without saying why.", m_silent_fail, NULL, NULL },
	{ "count", "control", "[x]", "Counts calls.", m_count, NULL, NULL },
	{ "getbalance", "wallet", NULL, "Fifty.", m_balance, NULL, NULL },
};

static int setup(void **state)
{
	char err[ERR_LEN];
	struct rpc_server *srv = rpc_server_new(NULL, NULL, err);
	if (!srv)
		return -1;
	notified = 0;
	if (rpc_server_add_methods(srv, table, sizeof(table) / sizeof(table[0]), &notified, err)) {
		rpc_server_free(srv);
		return -1;
	}
	*state = srv;
	return 0;
}

static int teardown(void **state)
{
	rpc_server_free(*state);
	return 0;
}

/* Sends body through the dispatcher; returns the parsed reply (NULL when
 * there was none) and checks the HTTP status. */
static cJSON *call(void **state, const char *body, int want_status)
{
	int status = -1;
	char *text = rpc_server_handle_body(*state, body, strlen(body), &status);
	cJSON *r;

	assert_int_equal(status, want_status);
	if (!text)
		return NULL;
	assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
	r = cJSON_Parse(text);
	free(text);
	assert_non_null(r);
	return r;
}

static int err_code(const cJSON *reply)
{
	const cJSON *e = cJSON_GetObjectItem(reply, "error");
	assert_true(cJSON_IsObject(e));
	assert_true(cJSON_IsString(cJSON_GetObjectItem(e, "message")));
	return (int)cJSON_GetObjectItem(e, "code")->valuedouble;
}

static void assert_v2_error(const cJSON *r, int code)
{
	assert_string_equal(cJSON_GetObjectItem(r, "jsonrpc")->valuestring, "2.0");
	assert_null(cJSON_GetObjectItem(r, "result"));
	assert_int_equal(err_code(r), code);
}

static void assert_v1_error(const cJSON *r, int code)
{
	assert_null(cJSON_GetObjectItem(r, "jsonrpc"));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "result")));
	assert_int_equal(err_code(r), code);
}

static void test_parse_error(void **state)
{
	const char *bad[] = { "{", "", "{\"method\":\"echo\"} x", "nul", "[1,]", "\"\\u12\"" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *r = call(state, bad[i], 500);
		assert_v1_error(r, RPC_PARSE_ERROR);
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "id")));
		cJSON_Delete(r);
	}
	/* trailing whitespace is fine */
	cJSON_Delete(call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],\"id\":1} \r\n", 200));
}

static void test_invalid_request(void **state)
{
	cJSON *r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":1,\"id\":7}", 200);
	assert_v2_error(r, RPC_INVALID_REQUEST);
	assert_int_equal(cJSON_GetObjectItem(r, "id")->valueint, 7);
	cJSON_Delete(r);

	r = call(state, "{\"method\":\"echo\",\"params\":\"x\",\"id\":1}", 400);
	assert_v1_error(r, RPC_INVALID_REQUEST);
	cJSON_Delete(r);

	r = call(state, "{\"jsonrpc\":\"3.0\",\"method\":\"echo\",\"id\":1}", 400);
	assert_v1_error(r, RPC_INVALID_REQUEST);
	cJSON_Delete(r);

	r = call(state, "{\"jsonrpc\":2,\"method\":\"echo\",\"id\":1}", 400);
	assert_v1_error(r, RPC_INVALID_REQUEST);
	cJSON_Delete(r);

	r = call(state, "42", 400);
	assert_v1_error(r, RPC_INVALID_REQUEST);
	cJSON_Delete(r);

	/* an invalid request without id is still answered: it is no notification */
	r = call(state, "{\"jsonrpc\":\"2.0\"}", 200);
	assert_v2_error(r, RPC_INVALID_REQUEST);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "id")));
	cJSON_Delete(r);

	r = call(state, "[]", 200);
	assert_v2_error(r, RPC_INVALID_REQUEST);
	cJSON_Delete(r);
}

static void test_method_not_found(void **state)
{
	cJSON *r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":\"a\"}", 200);
	assert_v2_error(r, RPC_METHOD_NOT_FOUND);
	assert_string_equal(cJSON_GetObjectItem(r, "id")->valuestring, "a");
	cJSON_Delete(r);

	r = call(state, "{\"method\":\"nope\",\"id\":1}", 404);
	assert_v1_error(r, RPC_METHOD_NOT_FOUND);
	cJSON_Delete(r);

	/* names are exact */
	r = call(state, "{\"method\":\"ECHO\",\"params\":[1],\"id\":1}", 404);
	cJSON_Delete(r);
}

static void test_v2_success(void **state)
{
	cJSON *r = call(state,
			"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1,\"x\",{\"k\":null}],"
			"\"id\":{\"n\":[1]}}",
			200);
	char *res;
	assert_string_equal(cJSON_GetObjectItem(r, "jsonrpc")->valuestring, "2.0");
	assert_null(cJSON_GetObjectItem(r, "error"));
	res = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "result"));
	assert_string_equal(res, "[1,\"x\",{\"k\":null}]");
	free(res);
	res = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "id"));
	assert_string_equal(res, "{\"n\":[1]}");
	free(res);
	cJSON_Delete(r);
}

static void test_v1_style(void **state)
{
	/* what bitcoin-cli sends */
	cJSON *r = call(state, "{\"method\":\"echo\",\"params\":[\"a\"],\"id\":1}", 200);
	assert_null(cJSON_GetObjectItem(r, "jsonrpc"));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "error")));
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "result"), 0)->valuestring, "a");
	cJSON_Delete(r);

	r = call(state, "{\"jsonrpc\":\"1.0\",\"method\":\"fail\",\"id\":\"x\"}", 500);
	assert_v1_error(r, RPC_INVALID_PARAMETER);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "message")->valuestring,
			    "Bad thing");
	cJSON_Delete(r);

	/* no id in 1.0 is not a notification: answered with id null */
	r = call(state, "{\"method\":\"count\"}", 200);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "id")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "result")));
	cJSON_Delete(r);
}

static void test_handler_errors(void **state)
{
	cJSON *r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"id\":1}", 200);
	assert_v2_error(r, RPC_INVALID_PARAMETER);
	cJSON_Delete(r);
	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"silentfail\",\"id\":1}", 200);
	assert_v2_error(r, RPC_INTERNAL_ERROR);
	cJSON_Delete(r);
}

static void test_arity(void **state)
{
	cJSON *r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1,2,3,4],\"id\":1}",
			200);
	assert_v2_error(r, RPC_INVALID_PARAMS);
	assert_non_null(strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "message")->valuestring,
			       "echo a [b] [c]"));
	cJSON_Delete(r);
	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}", 200);
	assert_v2_error(r, RPC_INVALID_PARAMS);
	cJSON_Delete(r);
	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[1],\"id\":1}", 200);
	assert_v2_error(r, RPC_INVALID_PARAMS);
	cJSON_Delete(r);
	/* params null is no params */
	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"count\",\"params\":null,\"id\":1}", 200);
	assert_null(cJSON_GetObjectItem(r, "error"));
	cJSON_Delete(r);
}

static void test_named_params(void **state)
{
	cJSON *r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"c\":3,\"a\":1},\"id\":1}",
			200);
	char *res = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "result"));
	assert_string_equal(res, "[1,null,3]");
	free(res);
	cJSON_Delete(r);

	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"a\":\"x\"},\"id\":1}", 200);
	res = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "result"));
	assert_string_equal(res, "[\"x\"]");
	free(res);
	cJSON_Delete(r);

	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"a\":1,\"zz\":2},\"id\":1}",
		 200);
	assert_v2_error(r, RPC_INVALID_PARAMETER);
	assert_non_null(strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "message")->valuestring,
			       "'zz'"));
	cJSON_Delete(r);

	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"a\":1,\"a\":2},\"id\":1}",
		 200);
	assert_v2_error(r, RPC_INVALID_PARAMETER);
	cJSON_Delete(r);

	/* the required one missing: nothing to place it, so too few */
	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{},\"id\":1}", 200);
	assert_v2_error(r, RPC_INVALID_PARAMS);
	cJSON_Delete(r);
}

static void test_notifications(void **state)
{
	int status = 0;
	const char *n = "{\"jsonrpc\":\"2.0\",\"method\":\"count\"}";
	assert_null(rpc_server_handle_body(*state, n, strlen(n), &status));
	assert_int_equal(status, 204);
	assert_int_equal(notified, 1);
	/* unknown method or a failing one: still silent */
	n = "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}";
	assert_null(rpc_server_handle_body(*state, n, strlen(n), &status));
	assert_int_equal(status, 204);
	n = "[{\"jsonrpc\":\"2.0\",\"method\":\"count\"},{\"jsonrpc\":\"2.0\",\"method\":\"fail\"}]";
	assert_null(rpc_server_handle_body(*state, n, strlen(n), &status));
	assert_int_equal(status, 204);
	assert_int_equal(notified, 2);
}

static void test_batch(void **state)
{
	cJSON *r = call(state,
			"[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],\"id\":1},"
			"{\"jsonrpc\":\"2.0\",\"method\":\"count\"},"
			"1,"
			"{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":3},"
			"{\"method\":\"echo\",\"params\":[2],\"id\":4}]",
			200);
	const cJSON *e;
	assert_true(cJSON_IsArray(r));
	assert_int_equal(cJSON_GetArraySize(r), 4);
	e = cJSON_GetArrayItem(r, 0);
	assert_int_equal(cJSON_GetObjectItem(e, "id")->valueint, 1);
	assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(e, "result"), 0)->valueint, 1);
	e = cJSON_GetArrayItem(r, 1);
	assert_v2_error(e, RPC_INVALID_REQUEST);
	e = cJSON_GetArrayItem(r, 2);
	assert_v2_error(e, RPC_METHOD_NOT_FOUND);
	assert_int_equal(cJSON_GetObjectItem(e, "id")->valueint, 3);
	e = cJSON_GetArrayItem(r, 3); /* a 1.0 element keeps its own shape */
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "error")));
	assert_int_equal(cJSON_GetObjectItem(e, "id")->valueint, 4);
	assert_int_equal(notified, 1);
	cJSON_Delete(r);
}

static void test_amount_result(void **state)
{
	int status;
	const char *b = "{\"jsonrpc\":\"2.0\",\"method\":\"getbalance\",\"id\":1}";
	char *text = rpc_server_handle_body(*state, b, strlen(b), &status);
	assert_int_equal(status, 200);
	assert_string_equal(text, "{\"jsonrpc\":\"2.0\",\"result\":50.00000000,\"id\":1}\n");
	free(text);
}

static void test_help(void **state)
{
	cJSON *r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"help\",\"id\":1}", 200);
	const char *text = cJSON_GetObjectItem(r, "result")->valuestring;
	assert_string_equal(text, "== Control ==\n"
				  "count [x]\n"
				  "help [command]\n"
				  "rpc.discover\n"
				  "\n== Testing ==\n"
				  "echo a [b] [c]\n"
				  "fail\n"
				  "silentfail\n"
				  "\n== Wallet ==\n"
				  "getbalance\n");
	cJSON_Delete(r);

	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"help\",\"params\":[\"echo\"],\"id\":1}", 200);
	assert_string_equal(cJSON_GetObjectItem(r, "result")->valuestring,
			    "echo a [b] [c]\n\nReturns its arguments.");
	cJSON_Delete(r);

	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"help\",\"params\":{\"command\":\"fail\"},\"id\":1}",
		 200);
	assert_string_equal(cJSON_GetObjectItem(r, "result")->valuestring, "fail\n\nAlways fails.");
	cJSON_Delete(r);

	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"help\",\"params\":[\"nope\"],\"id\":1}", 200);
	assert_v2_error(r, RPC_INVALID_PARAMETER);
	cJSON_Delete(r);

	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"help\",\"params\":[5],\"id\":1}", 200);
	assert_v2_error(r, RPC_TYPE_ERROR);
	cJSON_Delete(r);
}

/* rpc.discover describes every registered method from its row. */
static void test_discover(void **state)
{
	cJSON *r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"rpc.discover\",\"id\":1}", 200);
	const cJSON *doc = cJSON_GetObjectItem(r, "result");
	const cJSON *methods = cJSON_GetObjectItem(doc, "methods"), *m, *echo = NULL;

	assert_string_equal(cJSON_GetObjectItem(doc, "openrpc")->valuestring, "1.2.6");
	/* the table's five, help and rpc.discover */
	assert_int_equal(cJSON_GetArraySize(methods), 7);
	cJSON_ArrayForEach(m, methods)
		if (strcmp(cJSON_GetObjectItem(m, "name")->valuestring, "echo") == 0)
			echo = m;
	assert_non_null(echo);
	const cJSON *params = cJSON_GetObjectItem(echo, "params");
	assert_int_equal(cJSON_GetArraySize(params), 3);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(params, 0), "required")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(params, 1), "required")));
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(params, 2), "name")->valuestring, "c");
	assert_string_equal(cJSON_GetObjectItem(echo, "description")->valuestring, "Returns its arguments.");
	cJSON_Delete(r);
}

static void test_after_reply(void **state)
{
	char err[ERR_LEN];
	cJSON *r;

	after_runs = 0;
	assert_int_equal(rpc_server_add_methods(*state, later_table, 1, *state, err), 0);
	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"id\":1}", 200);
	assert_int_equal(after_runs, 1);
	cJSON_Delete(r);
	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],\"id\":1}", 200);
	assert_int_equal(after_runs, 1); /* once only */
	cJSON_Delete(r);
}

static void test_register_errors(void **state)
{
	static const struct rpc_method dup[] = { { "echo", "x", NULL, "", m_echo, NULL, NULL } };
	static const struct rpc_method twice[] = { { "aa", "x", NULL, "", m_echo, NULL, NULL },
						   { "aa", "x", NULL, "", m_echo, NULL, NULL } };
	static const struct rpc_method bad[][1] = {
		{ { "Upper", "x", NULL, "", m_echo, NULL, NULL } },
		{ { "ok", "x", "[a] b", "", m_echo, NULL, NULL } },
		{ { "ok", "x", "a a", "", m_echo, NULL, NULL } },
		{ { "ok", "x", "[a", "", m_echo, NULL, NULL } },
		{ { "ok", "x", "a-b", "", m_echo, NULL, NULL } },
		{ { "ok", "x", NULL, "", NULL, NULL, NULL } },
		{ { "ok", NULL, NULL, "", m_echo, NULL, NULL } },
		{ { NULL, "x", NULL, "", m_echo, NULL, NULL } },
		{ { "ok", "x", "a b c d e f g h i j k l m n o p q", "", m_echo, NULL, NULL } },
		{ { "ok", "x", "a:nosuchtype", "", m_echo, NULL, NULL } },
		{ { "ok", "x", "[a:int=notjson]", "", m_echo, NULL, NULL } },
		{ { "ok", "x", "a:int (unclosed", "", m_echo, NULL, NULL } },
		{ { "ok", "x", NULL, "", m_echo, "{a:int", NULL } },
		{ { "ok", "x", NULL, "", m_echo, "int", "-5 x" } },
		{ { "ok", "x", NULL, "", m_echo, "int", "-12345" } },
		{ { "rpc..x", "x", NULL, "", m_echo, NULL, NULL } },
		{ { ".x", "x", NULL, "", m_echo, NULL, NULL } },
	};
	static const struct rpc_method good[] = { { "ok", "x", " a  [b]  ", "", m_echo, NULL, NULL } };
	char err[ERR_LEN];
	cJSON *r;

	assert_int_equal(rpc_server_add_methods(*state, dup, 1, NULL, err), -1);
	assert_non_null(strstr(err, "'echo'"));
	assert_int_equal(rpc_server_add_methods(*state, twice, 2, NULL, err), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(rpc_server_add_methods(*state, bad[i], 1, NULL, err), -1);
		assert_true(err[0] != '\0');
	}
	/* nothing of a refused table got in */
	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"aa\",\"id\":1}", 200);
	assert_v2_error(r, RPC_METHOD_NOT_FOUND);
	cJSON_Delete(r);
	assert_int_equal(rpc_server_add_methods(*state, good, 1, NULL, err), 0);
	r = call(state, "{\"jsonrpc\":\"2.0\",\"method\":\"ok\",\"params\":{\"b\":2,\"a\":1},\"id\":1}", 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "result")), 2);
	cJSON_Delete(r);
}

static void test_param_helpers(void **state)
{
	cJSON *p = cJSON_Parse("[\"s\", 5, 2.5, true, null, \"0.1\", -1, 1e300]");
	struct rpc_error e;
	const char *s;
	int64_t v;
	bool b;
	(void)state;

	assert_non_null(rpc_param(p, 0));
	assert_null(rpc_param(p, 4)); /* null */
	assert_null(rpc_param(p, 99));
	assert_null(rpc_param(NULL, 0));

	assert_int_equal(rpc_param_str(&s, p, 0, "s", true, &e), 0);
	assert_string_equal(s, "s");
	assert_int_equal(rpc_param_str(&s, p, 4, "s", false, &e), 0);
	assert_null(s);
	assert_int_equal(rpc_param_str(&s, p, 4, "s", true, &e), -1);
	assert_int_equal(e.code, RPC_INVALID_PARAMETER);
	assert_int_equal(rpc_param_str(&s, p, 1, "s", true, &e), -1);
	assert_int_equal(e.code, RPC_TYPE_ERROR);
	assert_non_null(strstr(e.message, "'s'"));

	assert_int_equal(rpc_param_int(&v, p, 1, "n", 0, 0, 10, &e), 0);
	assert_int_equal(v, 5);
	assert_int_equal(rpc_param_int(&v, p, 1, "n", 0, 0, 4, &e), -1);
	assert_int_equal(e.code, RPC_INVALID_PARAMETER);
	assert_int_equal(v, 0);
	assert_int_equal(rpc_param_int(&v, p, 2, "n", 0, 0, 10, &e), -1);
	assert_int_equal(rpc_param_int(&v, p, 7, "n", 0, INT64_MIN, INT64_MAX, &e), -1);
	assert_int_equal(rpc_param_int(&v, p, 6, "n", 0, -1, 0, &e), 0);
	assert_int_equal(v, -1);
	assert_int_equal(rpc_param_int(&v, p, 0, "n", 0, 0, 10, &e), -1);
	assert_int_equal(e.code, RPC_TYPE_ERROR);
	assert_int_equal(rpc_param_int(&v, p, 4, "n", 7, 0, 10, &e), 0);
	assert_int_equal(v, 7);
	assert_int_equal(rpc_param_int(&v, p, 4, "n", -1, 0, 10, &e), -1); /* required */

	assert_int_equal(rpc_param_bool(&b, p, 3, "f", false, &e), 0);
	assert_true(b);
	assert_int_equal(rpc_param_bool(&b, p, 4, "f", true, &e), 0);
	assert_true(b);
	assert_int_equal(rpc_param_bool(&b, p, 1, "f", false, &e), -1);
	assert_int_equal(e.code, RPC_TYPE_ERROR);

	assert_int_equal(rpc_param_amount(&v, p, 5, "amount", &e), 0);
	assert_int_equal(v, 10000000);
	assert_int_equal(rpc_param_amount(&v, p, 6, "amount", &e), -1);
	assert_int_equal(e.code, RPC_TYPE_ERROR);
	assert_string_equal(e.message, "amount out of range");
	assert_int_equal(rpc_param_amount(&v, p, 4, "amount", &e), -1);

	assert_int_equal(rpc_error_set(NULL, 1, "x"), -1);
	cJSON_Delete(p);
}

/* ---- over real HTTP ---- */

struct http_case {
	char request[8192];
	size_t request_len;
	bool same_connection; /* reuse the previous case's socket */
	int status;
	char head[2048];
	char body[4096];
};

struct client {
	uint16_t port;
	struct http_case cases[13];
	size_t n;
	atomic_int done;
};

/* Reads one HTTP response (headers, then Content-Length bytes) from fd. */
static int read_response(int fd, struct http_case *c)
{
	char buf[8192];
	size_t have = 0;
	char *end = NULL, *cl;
	long body_len = 0;

	while (!end) {
		ssize_t n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	*end = '\0';
	if (strlen(buf) >= sizeof(c->head))
		return -1;
	memcpy(c->head, buf, strlen(buf) + 1);
	if ((cl = strstr(buf, "Content-Length:")))
		body_len = strtol(cl + 15, NULL, 10);
	end += 4;
	if (body_len < 0 || body_len >= (long)sizeof(c->body))
		return -1;
	while ((long)(have - (size_t)(end - buf)) < body_len) {
		ssize_t n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	memcpy(c->body, end, (size_t)body_len);
	c->body[body_len] = '\0';
	c->status = (int)strtol(c->head + 9, NULL, 10);
	return 0;
}

static void *client_main(void *arg)
{
	struct client *cl = arg;
	int fd = -1;

	for (size_t i = 0; i < cl->n; i++) {
		struct http_case *c = &cl->cases[i];
		if (!c->same_connection || fd < 0) {
			struct sockaddr_in sa = { 0 };
			if (fd >= 0)
				close(fd);
			fd = socket(AF_INET, SOCK_STREAM, 0);
			sa.sin_family = AF_INET;
			sa.sin_port = htons(cl->port);
			sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
				continue;
		}
		if (send(fd, c->request, c->request_len, 0) != (ssize_t)c->request_len ||
		    read_response(fd, c) != 0) {
			c->status = -1;
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	atomic_store(&cl->done, 1);
	return NULL;
}

static void add_case(struct client *cl, bool same, const char *method, const char *path,
		     const char *auth, const char *body, size_t body_len)
{
	struct http_case *c = &cl->cases[cl->n++];
	int n = snprintf(c->request, sizeof(c->request),
			 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%sContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 method, path, auth ? "Authorization: Basic " : "", auth ? auth : "",
			 auth ? "\r\n" : "", body_len);
	assert_true(n > 0 && (size_t)n + body_len < sizeof(c->request));
	memcpy(c->request + n, body, body_len);
	c->request_len = (size_t)n + body_len;
	c->same_connection = same;
}

static struct event_base *tick_base;

/* The loop runs the server; this stops it once the client thread is done. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	if (atomic_load(&((struct client *)arg)->done))
		event_base_loopbreak(tick_base);
}

static void test_http(void **state)
{
	char dir[] = "/tmp/cairn-rpc-XXXXXX", path[64], cookie[256], auth[512], err[ERR_LEN];
	static char big[6000];
	struct rpc_config cfg = { 0 };
	struct client *cl = calloc(1, sizeof(*cl));
	struct event_base *base = event_base_new();
	struct rpc_server *srv;
	struct event *tick;
	struct timeval tv = { 0, 10000 };
	struct stat st;
	pthread_t th;
	FILE *f;
	size_t n;
	const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"help\",\"params\":[\"help\"],\"id\":1}";
	const char *notif = "{\"jsonrpc\":\"2.0\",\"method\":\"help\"}";
	const char *later = "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"id\":1}";
	const char *whose = "{\"jsonrpc\":\"2.0\",\"method\":\"whose\",\"id\":1}";
	(void)state;

	assert_non_null(cl);
	assert_non_null(base);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.cookie", dir);
	cfg.auth.cookie_path = path;
	cfg.max_body = 4096;
	srv = rpc_server_new(base, &cfg, err);
	if (!srv)
		fail_msg("%s", err);
	cl->port = rpc_server_port(srv);
	assert_true(cl->port != 0);
	assert_int_equal(rpc_server_add_methods(srv, later_table, 1, srv, err), 0);
	assert_int_equal(rpc_server_add_routed_methods(srv, routed_table, 1, route_name, NULL, err), 0);
	after_runs = 0;

	/* the cookie: mode 0600, "__cookie__:" and 64 hex digits */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(cookie, 1, sizeof(cookie) - 1, f);
	fclose(f);
	cookie[n] = '\0';
	assert_int_equal(n, 11 + 64);
	assert_memory_equal(cookie, "__cookie__:", 11);
	assert_int_equal(strspn(cookie + 11, "0123456789abcdef"), 64);
	EVP_EncodeBlock((unsigned char *)auth, (const unsigned char *)cookie, (int)n);

	add_case(cl, false, "POST", "/", NULL, req, strlen(req));			/* 0: no auth */
	add_case(cl, false, "POST", "/", "X19jb29raWVfXzp3cm9uZw==", req, strlen(req)); /* 1: wrong */
	add_case(cl, false, "GET", "/", auth, "", 0);					/* 2 */
	add_case(cl, false, "POST", "/", auth, req, strlen(req));			/* 3 */
	add_case(cl, true, "POST", "/", auth, req, strlen(req));			/* 4: kept alive */
	add_case(cl, true, "POST", "/", auth, notif, strlen(notif));			/* 5 */
	add_case(cl, false, "POST", "/other", auth, req, strlen(req));			/* 6 */
	memset(big, ' ', sizeof(big));
	add_case(cl, false, "POST", "/", auth, big, sizeof(big) - 1000);		/* 7: 5000 > 4096 */
	add_case(cl, false, "POST", "/", auth, later, strlen(later));			/* 8 */
	add_case(cl, false, "POST", "/wallet/a%20b", auth, whose, strlen(whose));	/* 9 */
	add_case(cl, false, "POST", "/", auth, whose, strlen(whose));			/* 10 */
	add_case(cl, false, "POST", "/wallet/nope", auth, whose, strlen(whose));	/* 11 */
	add_case(cl, false, "POST", "/wallet/a%00b", auth, whose, strlen(whose));	/* 12: no name */

	tick_base = base;
	tick = event_new(base, -1, EV_PERSIST, on_tick, cl);
	assert_int_equal(event_add(tick, &tv), 0);
	assert_int_equal(pthread_create(&th, NULL, client_main, cl), 0);
	event_base_dispatch(base);
	pthread_join(th, NULL);

	assert_int_equal(cl->cases[0].status, 401);
	assert_non_null(strstr(cl->cases[0].head, "WWW-Authenticate: Basic realm=\"jsonrpc\""));
	assert_string_equal(cl->cases[0].body, "");
	assert_int_equal(cl->cases[1].status, 401);
	assert_string_equal(cl->cases[1].body, "");
	assert_int_equal(cl->cases[2].status, 405);
	assert_int_equal(cl->cases[3].status, 200);
	assert_non_null(strstr(cl->cases[3].head, "application/json"));
	assert_non_null(strstr(cl->cases[3].body, "\"result\":\"help [command]"));
	assert_int_equal(cl->cases[4].status, 200);
	assert_string_equal(cl->cases[4].body, cl->cases[3].body);
	assert_int_equal(cl->cases[5].status, 204);
	assert_int_equal(cl->cases[6].status, 404);
	assert_int_equal(cl->cases[7].status, 413);
	assert_int_equal(cl->cases[8].status, 200);
	assert_int_equal(after_runs, 1); /* after the reply was written */
	/* the wallet endpoint: the route gets the name URL-decoded */
	assert_int_equal(cl->cases[9].status, 200);
	assert_non_null(strstr(cl->cases[9].body, "\"result\":\"a b\""));
	assert_non_null(strstr(cl->cases[10].body, "\"result\":\"/\""));
	assert_non_null(strstr(cl->cases[11].body, "\"code\":-18"));
	assert_int_equal(cl->cases[12].status, 404);

	event_free(tick);
	rpc_server_free(srv);
	assert_int_equal(stat(path, &st), -1); /* cookie gone */
	rmdir(dir);
	event_base_free(base);
	free(cl);
}

static void test_config_errors(void **state)
{
	struct event_base *base = event_base_new();
	char err[ERR_LEN];
	const char *ok_allow[] = { "10.0.0.0/8", "10.1.2.3", "192.168.0.0/255.255.0.0", "fd00::/8",
				   "::1/128", "0.0.0.0/0" };
	const char *bad_allow[] = { "", "10.0.0.0/33", "10.0.0.0/255.0.255.0", "abc", "10.0.0.0/",
				    "10.0.0.0/8x", "fd00::/129", "1.2.3.4.5" };
	const char *bad_bind[] = { "[::1", "127.0.0.1:x", "127.0.0.1:70000", ":1", "[::1]x" };
	struct rpc_config cfg = { 0 };
	struct rpc_server *srv, *other;
	(void)state;

	assert_non_null(base);
	cfg.auth.user = "u";
	cfg.auth.password = "p";
	cfg.allow = ok_allow;
	cfg.n_allow = sizeof(ok_allow) / sizeof(ok_allow[0]);
	srv = rpc_server_new(base, &cfg, err);
	if (!srv)
		fail_msg("%s", err);
	/* the same port again: in use */
	cfg.port = rpc_server_port(srv);
	other = rpc_server_new(base, &cfg, err);
	assert_null(other);
	assert_non_null(strstr(err, "cannot bind"));
	rpc_server_free(srv);
	cfg.port = 0;

	for (size_t i = 0; i < sizeof(bad_allow) / sizeof(bad_allow[0]); i++) {
		cfg.allow = &bad_allow[i];
		cfg.n_allow = 1;
		err[0] = '\0';
		assert_null(rpc_server_new(base, &cfg, err));
		assert_non_null(strstr(err, "rpcallowip"));
	}
	cfg.n_allow = 0;
	for (size_t i = 0; i < sizeof(bad_bind) / sizeof(bad_bind[0]); i++) {
		cfg.bind = &bad_bind[i];
		cfg.n_bind = 1;
		assert_null(rpc_server_new(base, &cfg, err));
		assert_non_null(strstr(err, "rpcbind"));
	}
	cfg.n_bind = 0;
	cfg.auth.password = NULL;
	assert_null(rpc_server_new(base, &cfg, err));
	assert_non_null(strstr(err, "together"));
	cfg.auth.user = NULL;
	assert_null(rpc_server_new(base, &cfg, err)); /* no cookie path either */
	cfg.auth.cookie_path = "/nonexistent-dir/.cookie";
	assert_null(rpc_server_new(base, &cfg, err));
	assert_non_null(strstr(err, "cannot write"));
	assert_null(rpc_server_new(base, NULL, err));
	rpc_server_free(NULL);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_method_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_style, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handler_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_params, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notifications, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_amount_result, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_after_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_errors, setup, teardown),
		cmocka_unit_test(test_param_helpers),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_config_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
