/* rest_parse: the URL parser of REST (rpc/rest.h), without a node. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rpc/rest.h"

#define H64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define H64_UPPER "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"

static const uint8_t HASH[32] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
				  0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
				  0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

static struct rest_request q;
static char why[REST_WHY_LEN];

static int parse(const char *path, const char *query)
{
	return rest_parse(&q, why, path, query);
}

/* A refusal: its status and its reason, exactly. */
static void refused(const char *path, const char *query, int status, const char *reason)
{
	int got = parse(path, query);
	if (got != status || strcmp(why, reason) != 0)
		fail_msg("%s?%s: %d '%s', wanted %d '%s'", path, query ? query : "", got, why, status, reason);
}

static void test_formats(void **state)
{
	(void)state;
	assert_int_equal(parse("/rest/block/" H64 ".bin", NULL), 0);
	assert_int_equal(q.what, REST_BLOCK);
	assert_int_equal(q.format, REST_BIN);
	assert_memory_equal(q.hash, HASH, 32);
	assert_int_equal(parse("/rest/block/" H64 ".hex", NULL), 0);
	assert_int_equal(q.format, REST_HEX);
	assert_int_equal(parse("/rest/block/notxdetails/" H64_UPPER ".json", NULL), 0);
	assert_int_equal(q.what, REST_BLOCK_NOTXDETAILS);
	assert_int_equal(q.format, REST_JSON);
	assert_memory_equal(q.hash, HASH, 32);
	/* An unknown suffix stays on the hash, as Core's ParseDataFormat. */
	refused("/rest/block/" H64 ".xml", NULL, 400, "Invalid hash: " H64 ".xml");
	refused("/rest/block/" H64 ".json.bin.", NULL, 400, "Invalid hash: " H64 ".json.bin.");
	refused("/rest/block/" H64, NULL, 404, "output format not found (available: .bin, .hex, .json)");
	refused("/rest/block/" H64 ".", NULL, 400, "Invalid hash: " H64 ".");
	refused("/rest/block/.json", NULL, 400, "Invalid hash: ");
	assert_int_equal(parse("/rest/tx/" H64 ".json", "anything&at=all"), 0);
	assert_int_equal(q.what, REST_TX);
	refused("/rest/tx/" H64 "0.json", NULL, 400, "Invalid hash: " H64 "0");
}

static void test_json_only(void **state)
{
	(void)state;
	assert_int_equal(parse("/rest/chaininfo.json", NULL), 0);
	assert_int_equal(q.what, REST_CHAININFO);
	refused("/rest/chaininfo.bin", NULL, 404, "output format not found (available: json)");
	refused("/rest/chaininfo", NULL, 404, "output format not found (available: json)");
	refused("/rest/chaininfo/x.json", NULL, 404, "unknown REST endpoint");
	assert_int_equal(parse("/rest/asset/" H64 ".json", NULL), 0);
	assert_int_equal(q.what, REST_ASSET);
	assert_int_equal(parse("/rest/assethistory/" H64 ".json", NULL), 0);
	assert_int_equal(q.what, REST_ASSET_HISTORY);
	assert_int_equal(parse("/rest/assetproof/" H64 ".json", NULL), 0);
	assert_int_equal(q.what, REST_ASSET_PROOF);
	assert_memory_equal(q.hash, HASH, 32);
	refused("/rest/assetproof/" H64 ".hex", NULL, 404, "output format not found (available: json)");
	refused("/rest/asset/abc.json", NULL, 400, "Invalid asset id: abc");
}

static void test_headers(void **state)
{
	(void)state;
	assert_int_equal(parse("/rest/headers/1/" H64 ".json", NULL), 0);
	assert_int_equal(q.what, REST_HEADERS);
	assert_int_equal(q.count, 1);
	assert_int_equal(parse("/rest/headers/2000/" H64 ".bin", NULL), 0);
	assert_int_equal(q.count, 2000);
	assert_int_equal(parse("/rest/headers/" H64 ".hex", "count=17"), 0);
	assert_int_equal(q.count, 17);
	assert_memory_equal(q.hash, HASH, 32);
	assert_int_equal(parse("/rest/headers/" H64 ".hex", NULL), 0);
	assert_int_equal(q.count, REST_DEFAULT_HEADERS);
	assert_int_equal(parse("/rest/headers/" H64 ".hex", "other=1"), 0);
	assert_int_equal(q.count, REST_DEFAULT_HEADERS);
	/* The path's count wins over a query, as in Core. */
	assert_int_equal(parse("/rest/headers/3/" H64 ".hex", "count=9"), 0);
	assert_int_equal(q.count, 3);
	const char *range = "Header count is invalid or out of acceptable range (1-2000): ";
	char want[REST_WHY_LEN];
	const char *bad[] = { "0", "2001", "-1", "+5", " 5", "5 ", "x", "", "99999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[200];
		snprintf(path, sizeof(path), "/rest/headers/%s/" H64 ".json", bad[i]);
		snprintf(want, sizeof(want), "%s%s", range, bad[i]);
		refused(path, NULL, 400, want);
	}
	snprintf(want, sizeof(want), "%s%s", range, "abc");
	refused("/rest/headers/" H64 ".json", "count=abc", 400, want);
	refused("/rest/headers/" H64 ".json", "count", 400,
		"URI parsing failed, it likely contained RFC 3986 invalid characters");
	refused("/rest/headers/1/2/" H64 ".json", NULL, 400,
		"Invalid URI format. Expected /rest/headers/<hash>.<ext>?count=<count>");
	refused("/rest/headers/1/zz.json", NULL, 400, "Invalid hash: zz");
	refused("/rest/headers/1/" H64, NULL, 404, "output format not found (available: .bin, .hex, .json)");
}

static void test_blockhash(void **state)
{
	(void)state;
	assert_int_equal(parse("/rest/blockhashbyheight/0.json", NULL), 0);
	assert_int_equal(q.what, REST_BLOCKHASH);
	assert_int_equal(q.height, 0);
	assert_int_equal(parse("/rest/blockhashbyheight/2147483647.bin", NULL), 0);
	assert_int_equal(q.height, 2147483647u);
	refused("/rest/blockhashbyheight/2147483648.bin", NULL, 400, "Invalid height: 2147483648");
	refused("/rest/blockhashbyheight/-1.json", NULL, 400, "Invalid height: -1");
	refused("/rest/blockhashbyheight/.json", NULL, 400, "Invalid height: ");
	refused("/rest/blockhashbyheight/1", NULL, 404, "output format not found (available: .bin, .hex, .json)");
}

static void test_getutxos(void **state)
{
	char path[2048];
	(void)state;
	assert_int_equal(parse("/rest/getutxos/" H64 "-0/" H64 "-4294967295.json", NULL), 0);
	assert_int_equal(q.what, REST_GETUTXOS);
	assert_false(q.checkmempool);
	assert_int_equal(q.n_outpoints, 2);
	assert_memory_equal(q.outpoints[1].txid, HASH, 32);
	assert_int_equal(q.outpoints[0].index, 0);
	assert_int_equal(q.outpoints[1].index, 4294967295u);
	assert_int_equal(parse("/rest/getutxos/checkmempool/" H64 "-7.hex", NULL), 0);
	assert_true(q.checkmempool);
	assert_int_equal(q.n_outpoints, 1);
	assert_int_equal(q.outpoints[0].index, 7);
	/* checkmempool only as the first piece; elsewhere it is a bad outpoint. */
	refused("/rest/getutxos/" H64 "-7/checkmempool.json", NULL, 400, "Parse error");
	refused("/rest/getutxos/" H64 "-4294967296.json", NULL, 400, "Parse error");
	refused("/rest/getutxos/" H64 "-.json", NULL, 400, "Parse error");
	refused("/rest/getutxos/-1.json", NULL, 400, "Parse error");
	refused("/rest/getutxos/" H64 "-1/.json", NULL, 400, "Parse error");
	refused("/rest/getutxos//" H64 "-1.json", NULL, 400, "Parse error");
	refused("/rest/getutxos.json", NULL, 400, "Error: empty request");
	refused("/rest/getutxos/.json", NULL, 400, "Error: empty request");
	refused("/rest/getutxos/checkmempool.json", NULL, 400, "Error: empty request");
	refused("/rest/getutxosx/" H64 "-1.json", NULL, 404, "unknown REST endpoint");
	refused("/rest/getutxos/" H64 "-1", NULL, 404, "output format not found (available: .bin, .hex, .json)");
	/* 15 fit; a 16th is refused after the format, with Core's reason. */
	size_t n = (size_t)snprintf(path, sizeof(path), "/rest/getutxos/checkmempool");
	for (int i = 0; i < 15; i++)
		n += (size_t)snprintf(path + n, sizeof(path) - n, "/" H64 "-%d", i);
	snprintf(path + n, sizeof(path) - n, ".json");
	assert_int_equal(parse(path, NULL), 0);
	assert_int_equal(q.n_outpoints, 15);
	assert_int_equal(q.outpoints[14].index, 14);
	snprintf(path + n, sizeof(path) - n, "/" H64 "-15.json");
	refused(path, NULL, 400, "Error: max outpoints exceeded (max: 15, tried: 16)");
	snprintf(path + n, sizeof(path) - n, "/" H64 "-15");
	refused(path, NULL, 404, "output format not found (available: .bin, .hex, .json)");
}

static void test_mempool(void **state)
{
	(void)state;
	assert_int_equal(parse("/rest/mempool/info.json", NULL), 0);
	assert_int_equal(q.what, REST_MEMPOOL_INFO);
	assert_int_equal(parse("/rest/mempool/contents.json", NULL), 0);
	assert_int_equal(q.what, REST_MEMPOOL_CONTENTS);
	assert_true(q.verbose);
	assert_int_equal(parse("/rest/mempool/contents.json", "verbose=false"), 0);
	assert_false(q.verbose);
	assert_int_equal(parse("/rest/mempool/contents.json", "verbose=false&mempool_sequence=false"), 0);
	assert_false(q.verbose);
	const char *flags = "The \"verbose\" and \"mempool_sequence\" query parameters must be either \"true\" or \"false\".";
	refused("/rest/mempool/contents.json", "verbose=1", 400, flags);
	refused("/rest/mempool/contents.json", "verbose=truex", 400, flags);
	refused("/rest/mempool/contents.json", "mempool_sequence=yes", 400, flags);
	refused("/rest/mempool/contents.json", "mempool_sequence=true", 400,
		"Verbose results cannot contain mempool sequence values. (hint: set \"verbose=false\")");
	refused("/rest/mempool/info.bin", NULL, 404, "output format not found (available: json)");
	refused("/rest/mempool/contents.xml", NULL, 400,
		"Invalid URI format. Expected /rest/mempool/<info|contents>.json");
	refused("/rest/mempool/.json", NULL, 400, "Invalid URI format. Expected /rest/mempool/<info|contents>.json");
}

static void test_unknown(void **state)
{
	(void)state;
	refused("/rest/", NULL, 404, "unknown REST endpoint");
	refused("/rest/blocks/" H64 ".json", NULL, 404, "unknown REST endpoint");
	refused("/rest/Block/" H64 ".json", NULL, 404, "unknown REST endpoint");
	refused(NULL, NULL, 404, "unknown REST endpoint");
}

/* A reason quotes printable ASCII only, and cuts a long input short. */
static void test_quote(void **state)
{
	char path[600], want[REST_WHY_LEN];
	(void)state;
	refused("/rest/tx/a\x01\x7f\tb\xff.json", NULL, 400, "Invalid hash: ab");
	snprintf(path, sizeof(path), "/rest/tx/%0500d.json", 0);
	snprintf(want, sizeof(want), "Invalid hash: %096d...", 0);
	refused(path, NULL, 400, want);
	assert_true(strlen(why) < REST_WHY_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),	 cmocka_unit_test(test_json_only), cmocka_unit_test(test_headers),
		cmocka_unit_test(test_blockhash), cmocka_unit_test(test_getutxos),  cmocka_unit_test(test_mempool),
		cmocka_unit_test(test_unknown),	 cmocka_unit_test(test_quote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
