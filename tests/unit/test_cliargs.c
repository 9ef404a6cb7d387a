#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rpc/cliargs.h"

#define ARGV(...) ((char *const[]){ "cairn-cli", __VA_ARGS__ })
#define ARGC(...) ((int)(sizeof((char *const[]){ "cairn-cli", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(a, err, ...) cliargs_parse(a, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), "/home/u", err)

static void test_uri_path(void **state)
{
	struct cliargs a;
	char err[ERR_LEN], path[3 * CLIARGS_FIELD_LEN + 16];
	(void)state;

	assert_int_equal(PARSE(&a, err, "getbalance"), 0);
	assert_int_equal(cliargs_uri_path(path, sizeof(path), &a, err), 0);
	assert_string_equal(path, "/");
	assert_int_equal(PARSE(&a, err, "-rpcwallet=w1", "getbalance"), 0);
	assert_int_equal(cliargs_uri_path(path, sizeof(path), &a, err), 0);
	assert_string_equal(path, "/wallet/w1");
	assert_int_equal(PARSE(&a, err, "-rpcwallet=my wallet/é~x", "getbalance"), 0);
	assert_int_equal(cliargs_uri_path(path, sizeof(path), &a, err), 0);
	assert_string_equal(path, "/wallet/my%20wallet%2F%C3%A9~x");
	assert_int_equal(cliargs_uri_path(path, 12, &a, err), -1);
}

static void test_defaults(void **state)
{
	struct cliargs a;
	char err[ERR_LEN], path[CLIARGS_PATH_LEN + 32];
	(void)state;

	assert_int_equal(PARSE(&a, err, "getblockcount"), 0);
	assert_string_equal(a.datadir, "/home/u/.cairn");
	assert_string_equal(a.rpcconnect, "127.0.0.1");
	assert_false(a.regtest);
	assert_int_equal(cliargs_port(&a), 9732);
	assert_int_equal(a.first, 1);
	assert_int_equal(a.rpcclienttimeout, CLIARGS_DEFAULT_CLIENT_TIMEOUT);
	assert_int_equal(cliargs_cookie_path(path, sizeof(path), &a, err), 0);
	assert_string_equal(path, "/home/u/.cairn/.cookie");

	assert_int_equal(cliargs_parse(&a, 1, ARGV(NULL), NULL, err), 0);
	assert_string_equal(a.datadir, "./.cairn");
	assert_int_equal(a.first, 1);
}

static void test_options(void **state)
{
	struct cliargs a;
	char err[ERR_LEN], path[CLIARGS_PATH_LEN + 32];
	(void)state;

	assert_int_equal(PARSE(&a, err, "-regtest", "--datadir=/d", "-rpcconnect=10.0.0.1",
			       "--rpcuser=alice", "-rpcpassword=pw=x", "-rpcwait", "-rpcwaittimeout=30",
			       "-named", "--stdin", "-rpcclienttimeout=0", "getblock", "-1", "--x"),
			 0);
	assert_true(a.regtest);
	assert_string_equal(a.datadir, "/d");
	assert_string_equal(a.rpcconnect, "10.0.0.1");
	assert_string_equal(a.rpcuser, "alice");
	assert_string_equal(a.rpcpassword, "pw=x");
	assert_true(a.rpcwait && a.named && a.use_stdin);
	assert_int_equal(a.rpcwaittimeout, 30);
	assert_int_equal(a.rpcclienttimeout, 0);
	assert_int_equal(a.first, 11); /* "getblock"; "-1" and "--x" are its args */
	assert_int_equal(cliargs_port(&a), 19732);
	assert_int_equal(cliargs_cookie_path(path, sizeof(path), &a, err), 0);
	assert_string_equal(path, "/d/regtest/.cookie");

	assert_int_equal(PARSE(&a, err, "-regtest=1", "-regtest=0", "-rpcport=1234", "x"), 0);
	assert_false(a.regtest);
	assert_int_equal(cliargs_port(&a), 1234);

	assert_int_equal(PARSE(&a, err, "-h"), 0);
	assert_true(a.help);
	assert_int_equal(PARSE(&a, err, "--help"), 0);
	assert_true(a.help);
	assert_int_equal(PARSE(&a, err, "-getinfo"), 0);
	assert_true(a.getinfo);
	assert_int_equal(a.first, 2);
}

static void test_bad_options(void **state)
{
	static const char *bad[] = { "-bogus", "-rpcport=0", "-rpcport=65536", "-rpcport=12a",
				     "-rpcport=", "-rpcport", "-regtest=2", "-datadir",
				     "-rpcwaittimeout=-1", "-datadir=", "--", "-rpcuser" };
	struct cliargs a;
	char err[ERR_LEN], longval[400];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (cliargs_parse(&a, 2, ARGV((char *)bad[i]), "/h", err) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(PARSE(&a, err, "-bogus"), -1);
	assert_string_equal(err, "unknown option '-bogus' (see -help)");
	memset(longval, 'a', sizeof(longval));
	memcpy(longval, "-rpcuser=", 9);
	longval[sizeof(longval) - 1] = '\0';
	assert_int_equal(cliargs_parse(&a, 2, ARGV(longval), "/h", err), -1);
	assert_non_null(strstr(err, "too long"));
}

static void test_credentials(void **state)
{
	char dir[] = "/tmp/cairn-cli-XXXXXX", path[128], cred[512], err[ERR_LEN];
	struct cliargs a;
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(PARSE(&a, err, "-rpcuser=u", "-rpcpassword=p", "x"), 0);
	assert_int_equal(cliargs_credentials(cred, sizeof(cred), &a, err), 0);
	assert_string_equal(cred, "u:p");
	assert_int_equal(cliargs_credentials(cred, 3, &a, err), -1);

	/* no password: the cookie of the network's folder */
	snprintf(path, sizeof(path), "-datadir=%s", dir);
	assert_int_equal(cliargs_parse(&a, 4, ARGV(path, "-regtest", "x"), "/h", err), 0);
	assert_int_equal(cliargs_credentials(cred, sizeof(cred), &a, err), -1);
	assert_non_null(strstr(err, "regtest/.cookie"));
	assert_string_equal(cred, "");
	snprintf(path, sizeof(path), "%s/regtest", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/regtest/.cookie", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("__cookie__:abcdef\n", f);
	fclose(f);
	assert_int_equal(cliargs_credentials(cred, sizeof(cred), &a, err), 0);
	assert_string_equal(cred, "__cookie__:abcdef");
	assert_int_equal(cliargs_credentials(cred, 8, &a, err), -1); /* does not fit */
	f = fopen(path, "w");
	fputs("no colon", f);
	fclose(f);
	assert_int_equal(cliargs_credentials(cred, sizeof(cred), &a, err), -1);
	assert_non_null(strstr(err, "malformed"));
	unlink(path);
	snprintf(path, sizeof(path), "%s/regtest", dir);
	rmdir(path);
	rmdir(dir);
}

static char *print(const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);
	assert_non_null(s);
	return s;
}

static void check_value(const char *word, const char *json)
{
	cJSON *v = cliargs_value(word);
	char *s = print(v);
	assert_string_equal(s, json);
	free(s);
	cJSON_Delete(v);
}

static void test_values(void **state)
{
	(void)state;
	check_value("42", "42");
	check_value("-5", "-5");
	check_value("0.1", "0.1");
	check_value("20999999.99999999", "20999999.99999999"); /* as typed */
	check_value("1e3", "1e3");
	check_value("true", "true");
	check_value("false", "false");
	check_value("null", "null");
	check_value("[1,\"a\"]", "[1,\"a\"]");
	check_value("{\"k\":[]}", "{\"k\":[]}");
	check_value("\"quoted\"", "\"quoted\"");
	check_value("hello", "\"hello\"");
	check_value("", "\"\"");
	check_value("0123", "\"0123\""); /* not JSON: leading zero */
	check_value("00000000abc", "\"00000000abc\"");
	check_value("rcrn1qxyz", "\"rcrn1qxyz\"");
	check_value("1.", "\"1.\"");
	check_value("{bad", "\"{bad\"");
	check_value("True", "\"True\"");
	check_value("a\"b", "\"a\\\"b\"");
}

static void test_params(void **state)
{
	char *const pos[] = { "1", "abc", "true" };
	char *const named[] = { "height=5", "blockhash=00ff", "verbose=false", "opt==x" };
	char *const bad1[] = { "novalue" };
	char *const bad2[] = { "=5" };
	char err[ERR_LEN], *s;
	cJSON *p;
	(void)state;

	assert_int_equal(cliargs_params(&p, pos, 3, false, err), 0);
	s = print(p);
	assert_string_equal(s, "[1,\"abc\",true]");
	free(s);
	cJSON_Delete(p);

	assert_int_equal(cliargs_params(&p, named, 4, true, err), 0);
	s = print(p);
	assert_string_equal(s, "{\"height\":5,\"blockhash\":\"00ff\",\"verbose\":false,\"opt\":\"=x\"}");
	free(s);
	cJSON_Delete(p);

	assert_int_equal(cliargs_params(&p, NULL, 0, false, err), 0);
	s = print(p);
	assert_string_equal(s, "[]");
	free(s);
	cJSON_Delete(p);

	assert_int_equal(cliargs_params(&p, bad1, 1, true, err), -1);
	assert_null(p);
	assert_non_null(strstr(err, "name=value"));
	assert_int_equal(cliargs_params(&p, bad2, 1, true, err), -1);
	assert_int_equal(cliargs_params(&p, bad1, 1, false, err), 0); /* fine positionally */
	cJSON_Delete(p);
}

static void test_request(void **state)
{
	char *const words[] = { "0.1", "x" };
	char err[ERR_LEN], *s;
	cJSON *p;
	(void)state;

	assert_int_equal(cliargs_params(&p, words, 2, false, err), 0);
	s = cliargs_request("sendtoaddress", p, 1);
	assert_string_equal(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sendtoaddress\","
			       "\"params\":[0.1,\"x\"]}");
	free(s);
	cJSON_Delete(p);
	s = cliargs_request("getblockcount", NULL, 7);
	assert_string_equal(s, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"getblockcount\",\"params\":[]}");
	free(s);
}

static int reply(cJSON **result, int *code, char **message, const char *body, char *err)
{
	return cliargs_reply(result, code, message, body, strlen(body), err);
}

static void test_reply(void **state)
{
	char err[ERR_LEN], *msg, *text;
	cJSON *r;
	int code;
	(void)state;

	assert_int_equal(reply(&r, &code, &msg, "{\"jsonrpc\":\"2.0\",\"result\":{\"balance\":50.00000000,"
					       "\"list\":[1e-8,-0.5,\"7.0\"],\"s\":\"1.50\"},\"id\":1}\n", err), 0);
	assert_null(msg);
	text = print(r);
	assert_string_equal(text, "{\"balance\":50.00000000,\"list\":[1e-8,-0.5,\"7.0\"],\"s\":\"1.50\"}");
	free(text);
	cJSON_Delete(r);

	/* strings that hold digits and escaped quotes do not confuse the count */
	assert_int_equal(reply(&r, &code, &msg, "{\"result\":[\"a\\\"1\",2.50],\"error\":null,\"id\":1}", err), 0);
	text = print(r);
	assert_string_equal(text, "[\"a\\\"1\",2.50]");
	free(text);
	cJSON_Delete(r);

	assert_int_equal(reply(&r, &code, &msg, "{\"result\":null,\"error\":null,\"id\":1}", err), 0);
	assert_true(cJSON_IsNull(r));
	cJSON_Delete(r);

	assert_int_equal(reply(&r, &code, &msg,
			       "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-5,\"message\":\"Invalid address\"},\"id\":1}",
			       err), 1);
	assert_null(r);
	assert_int_equal(code, -5);
	assert_string_equal(msg, "Invalid address");
	free(msg);

	assert_int_equal(reply(&r, &code, &msg, "{\"result\":null,\"error\":{\"code\":-32601,\"message\":\"x\"},\"id\":1}",
			       err), 1);
	assert_int_equal(code, -32601);
	free(msg);

	assert_int_equal(reply(&r, &code, &msg, "not json", err), -1);
	assert_null(r);
	assert_int_equal(reply(&r, &code, &msg, "[1]", err), -1);
	assert_int_equal(reply(&r, &code, &msg, "{\"id\":1}", err), -1);
	assert_non_null(strstr(err, "no result"));
	assert_int_equal(reply(&r, &code, &msg, "{\"error\":\"boom\",\"id\":1}", err), -1);
	assert_int_equal(cliargs_reply(&r, &code, &msg, NULL, 0, err), -1);

	/* A code no int holds is a malformed reply, not an undefined cast. */
	const char *huge[] = { "1e300", "-3e127", "2147483648", "-2147483649" };
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		char body[128];
		snprintf(body, sizeof(body), "{\"result\":null,\"error\":{\"code\":%s,\"message\":\"x\"},\"id\":1}",
			 huge[i]);
		assert_int_equal(reply(&r, &code, &msg, body, err), -1);
		assert_non_null(strstr(err, "malformed error"));
		assert_null(r);
		assert_null(msg);
		assert_int_equal(code, 0);
	}
	assert_int_equal(reply(&r, &code, &msg, "{\"error\":{\"code\":-2147483648,\"message\":\"x\"}}", err), 1);
	assert_int_equal(code, INT_MIN);
	free(msg);
}

static void expect_format(const char *json, const char *want)
{
	cJSON *v = cJSON_Parse(json);
	char *s = cliargs_format(v);
	assert_string_equal(s, want);
	free(s);
	cJSON_Delete(v);
}

static void test_format(void **state)
{
	char *s;
	(void)state;
	expect_format("\"000abc\"", "000abc");
	expect_format("null", "");
	expect_format("\"\"", "");
	expect_format("101", "101");
	expect_format("true", "true");
	expect_format("[]", "[]");
	expect_format("{\"a\":1,\"b\":[true,\"x\\\"y\"],\"c\":{},\"d\":{\"e\":null}}",
		      "{\n"
		      "  \"a\": 1,\n"
		      "  \"b\": [\n"
		      "    true,\n"
		      "    \"x\\\"y\"\n"
		      "  ],\n"
		      "  \"c\": {},\n"
		      "  \"d\": {\n"
		      "    \"e\": null\n"
		      "  }\n"
		      "}");
	s = cliargs_format(NULL);
	assert_string_equal(s, "");
	free(s);
}

#define DONE "\xe2\x96\x92"
#define TODO "\xe2\x96\x91"
#define FIVE_DONE DONE DONE DONE DONE DONE
#define FIVE_TODO TODO TODO TODO TODO TODO
#define HALF_BAR FIVE_DONE FIVE_DONE FIVE_TODO FIVE_TODO

static void expect_bar(double progress, int filled)
{
	char bar[CLIARGS_BAR_LEN], want[CLIARGS_BAR_LEN];
	for (int i = 0; i < CLIARGS_BAR_CELLS; i++)
		memcpy(want + 3 * i, i < filled ? DONE : TODO, 3);
	want[3 * CLIARGS_BAR_CELLS] = '\0';
	cliargs_progress_bar(bar, progress);
	assert_string_equal(bar, want);
}

static void test_progress_bar(void **state)
{
	(void)state;
	expect_bar(0.0, 0);
	expect_bar(0.049, 0);
	expect_bar(0.05, 1);
	expect_bar(0.15, 3); /* as a double, 0.15 is a hair under 3/20 */
	expect_bar(0.5, 10);
	expect_bar(0.523, 10);
	expect_bar(0.99, 19);
	expect_bar(1.0, 20);
	expect_bar(-3.0, 0);
	expect_bar(7.0, 20);
	expect_bar(0.0 / 0.0, 0); /* NaN */
}

/* The progress line of -getinfo for one getblockchaininfo result. */
static void expect_progress(const char *chain_json, const char *line)
{
	char err[ERR_LEN], *msg, *text;
	cJSON *chain;
	int code;
	assert_int_equal(cliargs_reply(&chain, &code, &msg, chain_json, strlen(chain_json), err), 0);
	text = cliargs_getinfo(chain, NULL, NULL, NULL, NULL);
	assert_non_null(text);
	if (!strstr(text, line))
		print_error("got:\n%s\nwant the line:%s", text, line);
	assert_non_null(strstr(text, line));
	free(text);
	cJSON_Delete(chain);
}

static void test_getinfo_progress(void **state)
{
	(void)state;
	/* synced: the plain percentage */
	expect_progress("{\"result\":{\"blocks\":5,\"headers\":5,\"verificationprogress\":1,"
			"\"initialblockdownload\":false},\"id\":1}",
			"\nVerification progress: 100.0000%\n");
	/* regtest in initial download: verificationprogress is 1, the
	 * blocks still to come are not */
	expect_progress("{\"result\":{\"blocks\":100,\"headers\":400,\"verificationprogress\":1,"
			"\"initialblockdownload\":true},\"id\":1}",
			"\nVerification progress: " FIVE_DONE FIVE_TODO FIVE_TODO FIVE_TODO " 25.0000%\n");
	/* an old tip: the node's own estimate, below 99 % */
	expect_progress("{\"result\":{\"blocks\":10,\"headers\":10,\"verificationprogress\":0.3,"
			"\"initialblockdownload\":false},\"id\":1}",
			"\nVerification progress: " FIVE_DONE DONE TODO FIVE_TODO FIVE_TODO TODO TODO TODO
			" 30.0000%\n");
	/* in initial download at 99.5 %: still the bar */
	expect_progress("{\"result\":{\"blocks\":10,\"headers\":10,\"verificationprogress\":0.995,"
			"\"initialblockdownload\":true},\"id\":1}",
			"\nVerification progress: " FIVE_DONE FIVE_DONE FIVE_DONE DONE DONE DONE DONE TODO
			" 99.5000%\n");
	/* one block behind its header, not in download: plain */
	expect_progress("{\"result\":{\"blocks\":199,\"headers\":200,\"verificationprogress\":1,"
			"\"initialblockdownload\":false},\"id\":1}",
			"\nVerification progress: 99.5000%\n");
}

static void test_getinfo(void **state)
{
	char err[ERR_LEN], *msg, *text;
	cJSON *chain, *net, *conns, *mempool, *bal;
	int code;
	(void)state;

	assert_int_equal(reply(&chain, &code, &msg, "{\"result\":{\"chain\":\"regtest\",\"blocks\":101,"
						   "\"headers\":102,\"verificationprogress\":0.5,"
						   "\"difficulty\":4.6e-10},\"id\":1}", err), 0);
	assert_int_equal(reply(&net, &code, &msg, "{\"result\":{\"subversion\":\"/cairn:0.1/\","
						 "\"connections\":9,\"connections_in\":1,"
						 "\"connections_out\":8},\"id\":1}", err), 0);
	assert_int_equal(reply(&conns, &code, &msg, "{\"result\":9,\"id\":1}", err), 0);
	assert_int_equal(reply(&mempool, &code, &msg, "{\"result\":{\"size\":3},\"id\":1}", err), 0);
	assert_int_equal(reply(&bal, &code, &msg, "{\"result\":50.00000000,\"id\":1}", err), 0);

	text = cliargs_getinfo(chain, net, conns, mempool, bal);
	assert_string_equal(text, "Chain: regtest\n"
				  "Blocks: 101\n"
				  "Headers: 102\n"
				  "Verification progress: " HALF_BAR " 50.0000%\n"
				  "Difficulty: 4.6e-10\n"
				  "Version: /cairn:0.1/\n"
				  "Network: in 1, out 8\n"
				  "Connections: 9\n"
				  "Mempool: 3 transactions\n"
				  "Balance: 50.00000000\n");
	free(text);

	/* the optional ones missing */
	text = cliargs_getinfo(chain, NULL, conns, NULL, NULL);
	assert_string_equal(text, "Chain: regtest\nBlocks: 101\nHeaders: 102\n"
				  "Verification progress: " HALF_BAR " 50.0000%\nDifficulty: 4.6e-10\nConnections: 9\n");
	free(text);
	text = cliargs_getinfo(NULL, NULL, NULL, NULL, NULL);
	assert_string_equal(text, "");
	free(text);
	cJSON_Delete(chain);
	cJSON_Delete(net);
	cJSON_Delete(conns);
	cJSON_Delete(mempool);
	cJSON_Delete(bal);
	assert_non_null(strstr(cliargs_usage(), "-rpcwait"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_getinfo),
		cmocka_unit_test(test_progress_bar),
		cmocka_unit_test(test_getinfo_progress),
		cmocka_unit_test(test_uri_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
