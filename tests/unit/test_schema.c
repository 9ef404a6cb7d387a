/* The parameter and type notation of the method rows (rpc/schema.h) and the
 * OpenRPC method objects made from it (rpc/openrpc.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "rpc/openrpc.h"
#include "rpc/schema.h"

/* The schema of a type as compact JSON text, or NULL when refused. */
static char *schema_text(const char *type, char *err)
{
	cJSON *s = rpc_schema_type(type, strlen(type), err);
	char *text = s ? cJSON_PrintUnformatted(s) : NULL;
	cJSON_Delete(s);
	return text;
}

static void expect(const char *type, const char *json)
{
	char err[ERR_LEN] = "";
	char *text = schema_text(type, err);
	if (!text)
		fail_msg("'%s' refused: %s", type, err);
	assert_string_equal(text, json);
	free(text);
}

static void refuse(const char *type)
{
	char err[ERR_LEN] = "";
	char *text = schema_text(type, err);
	if (text)
		fail_msg("'%s' accepted as %s", type, text);
	assert_true(err[0] != '\0');
}

static void test_types(void **state)
{
	(void)state;
	expect("str", "{\"type\":\"string\"}");
	expect("int", "{\"type\":\"integer\"}");
	expect("amount", "{\"type\":\"number\"}");
	expect("any", "{}");
	expect("hash", "{\"type\":\"string\",\"pattern\":\"^[0-9a-fA-F]{64}$\"}");
	expect("'add'", "{\"const\":\"add\"}");
	expect("[int]", "{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}");
	expect("[]", "{\"type\":\"array\"}");
	expect("int|null", "{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"null\"}]}");
	expect("{a:int,b?:bool}", "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},"
				  "\"b\":{\"type\":\"boolean\"}},\"required\":[\"a\"],\"additionalProperties\":false}");
	expect("{a?:int,...}", "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},"
			       "\"additionalProperties\":true}");
	expect("{*:num}", "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"number\"}}");
	expect("[{x:hex}|str]", "{\"type\":\"array\",\"items\":{\"anyOf\":[{\"type\":\"object\",\"properties\":"
				"{\"x\":{\"type\":\"string\",\"pattern\":\"^([0-9a-fA-F]{2})*$\"}},"
				"\"required\":[\"x\"],\"additionalProperties\":false},{\"type\":\"string\"}]}}");
}

static void test_bad_types(void **state)
{
	(void)state;
	const char *bad[] = { "", "string", "int|", "[int", "{a:int", "{a:int,a:str}", "{:int}", "{a int}",
			      "'open", "int]", "{*:}", "[[[[[[[[[[[[[[[[[int]]]]]]]]]]]]]]]]]", "{a:int,...,b:int}",
			      "Int", "int ", "{a:int}}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refuse(bad[i]);
	char err[ERR_LEN];
	char *deep = schema_text("[[[[[[[[[[int]]]]]]]]]]", err);
	assert_non_null(deep);
	free(deep);
}

/* Reads every parameter of list; returns how many, -1 when refused. */
static int read_all(const char *list, struct rpc_schema_param *out, size_t max)
{
	char err[ERR_LEN];
	const char *p = list;
	int n = 0, rc;
	while ((size_t)n < max && (rc = rpc_schema_next_param(&p, &out[n], err)) == 1)
		n++;
	return (size_t)n < max && rc < 0 ? -1 : n;
}

static bool span_is(const char *s, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(s, want, n) == 0;
}

static void test_params(void **state)
{
	struct rpc_schema_param p[8];
	(void)state;
	assert_int_equal(read_all("", p, 8), 0);
	assert_int_equal(read_all(" a  [b]  ", p, 8), 2);
	assert_true(span_is(p[1].name, p[1].name_len, "b") && p[1].optional && p[1].type_len == 0);
	assert_int_equal(read_all("blockhash:hash (the block (its hash)) [verbosity:int|bool=1 (0: hex)] "
				  "[ids:[{txid:hash,vout:int}]=[] (outputs)]",
				  p, 8),
			 3);
	assert_true(span_is(p[0].name, p[0].name_len, "blockhash") && !p[0].optional);
	assert_true(span_is(p[0].desc, p[0].desc_len, "the block (its hash)"));
	assert_true(span_is(p[1].type, p[1].type_len, "int|bool") && span_is(p[1].def, p[1].def_len, "1"));
	assert_true(span_is(p[1].desc, p[1].desc_len, "0: hex"));
	assert_true(span_is(p[2].type, p[2].type_len, "[{txid:hash,vout:int}]") && span_is(p[2].def, p[2].def_len, "[]"));
	const char *bad[] = { "[a", "a-b", "[a:int=]", "a:int (unclosed", "[a:int (x) y]", ":int", "A",
			      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (read_all(bad[i], p, 8) != -1)
			fail_msg("'%s' accepted", bad[i]);
}

static char *param_text(const char *list)
{
	struct rpc_schema_param p;
	char err[ERR_LEN];
	const char *q = list;
	assert_int_equal(rpc_schema_next_param(&q, &p, err), 1);
	cJSON *s = rpc_schema_param_json(&p, err);
	char *text = s ? cJSON_PrintUnformatted(s) : NULL;
	cJSON_Delete(s);
	return text;
}

static void test_defaults(void **state)
{
	(void)state;
	char *t = param_text("[label:str=*]");
	assert_string_equal(t, "{\"type\":\"string\",\"default\":\"*\"}");
	free(t);
	t = param_text("[n:int=10]");
	assert_string_equal(t, "{\"type\":\"integer\",\"default\":10}");
	free(t);
	t = param_text("x:{*:amount}");
	assert_string_equal(t, "{\"type\":\"object\",\"additionalProperties\":{\"anyOf\":[{\"type\":\"number\","
			       "\"minimum\":0},{\"type\":\"string\",\"pattern\":\"^[0-9]+(\\\\.[0-9]+)?([eE][-+]?[0-9]+)?$\"}]}}");
	free(t);
	t = param_text("[on:bool=true]");
	assert_string_equal(t, "{\"type\":\"boolean\",\"default\":true}");
	free(t);
	assert_null(param_text("[n:int=ten]"));
	assert_null(param_text("[n:int=10x]"));
}

static cJSON *item(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int m_none(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	(void)ctx, (void)params, (void)result, (void)e;
	return 0;
}

/* A method object: params in order with their descriptions, its own errors
 * first and then the dispatcher's, each once. */
static void test_method(void **state)
{
	const struct rpc_method m = { "getthing", "things", "id:hash (which one) [full:bool=false (all of it)]",
				      "Returns a thing.", m_none, "{id:hash,size?:int}", "-5 -8 -5" };
	char err[ERR_LEN];
	(void)state;
	cJSON *o = rpc_openrpc_method(&m, err);
	assert_non_null(o);
	assert_string_equal(item(o, "name")->valuestring, "getthing");
	assert_string_equal(item(o, "description")->valuestring, "Returns a thing.");
	assert_string_equal(item(cJSON_GetArrayItem(item(o, "tags"), 0), "name")->valuestring, "things");
	const cJSON *params = item(o, "params");
	assert_int_equal(cJSON_GetArraySize(params), 2);
	assert_string_equal(item(cJSON_GetArrayItem(params, 0), "description")->valuestring, "which one");
	assert_true(cJSON_IsFalse(item(cJSON_GetArrayItem(params, 1), "required")));
	assert_string_equal(item(item(o, "result"), "name")->valuestring, "getthing_result");
	const int want[] = { -5, -8, -3, -32602, -32603, -7 };
	const cJSON *errors = item(o, "errors");
	assert_int_equal(cJSON_GetArraySize(errors), 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(item(cJSON_GetArrayItem(errors, i), "code")->valueint, want[i]);
	cJSON_Delete(o);

	const struct rpc_method bad = { "x", "x", NULL, "", m_none, "int", "-99" };
	assert_null(rpc_openrpc_method(&bad, err));
	assert_non_null(strstr(err, "'x'"));
}

static void test_document(void **state)
{
	const struct rpc_method a = { "a", "x", NULL, "A.", m_none, NULL, NULL };
	const struct rpc_method b = { "b", "x", "n:int (n)", "B.", m_none, "int", NULL };
	const struct rpc_method *rows[] = { &a, &b };
	char err[ERR_LEN];
	(void)state;
	cJSON *doc = rpc_openrpc_document(rows, 2, err);
	assert_non_null(doc);
	assert_string_equal(item(doc, "openrpc")->valuestring, "1.2.6");
	assert_int_equal(cJSON_GetArraySize(item(doc, "methods")), 2);
	/* a row without a result is described as any */
	cJSON *first = cJSON_GetArrayItem(item(doc, "methods"), 0);
	assert_int_equal(cJSON_GetArraySize(item(item(first, "result"), "schema")), 0);
	assert_int_equal(item(item(item(doc, "components"), "errors"), "ParseError") ? 1 : 0, 1);
	cJSON_Delete(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),  cmocka_unit_test(test_bad_types), cmocka_unit_test(test_params),
		cmocka_unit_test(test_defaults), cmocka_unit_test(test_method),  cmocka_unit_test(test_document),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
