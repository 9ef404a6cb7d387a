/* libFuzzer target for rest_parse, REST's URL parser (rpc/rest.h): every
 * /rest/ path and query a client sends reaches it before any node state.
 *
 * The input is the path, then optionally a NUL and the query. Flag bit 0
 * of the first byte puts "/rest/" plus one of the endpoints' prefixes in
 * front, so inputs reach each endpoint's own parser.
 *
 * Besides "never crash, never leak": the answer is 0, 400 or 404; a
 * refusal has a reason of printable ASCII that fits REST_WHY_LEN; an
 * accepted request has a format, JSON for the JSON-only endpoints, a
 * header count in 1 ..= 2000 and 1 ..= 15 outpoints, and parsing the same
 * URL again gives the same request. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const prefixes[] = {
	"/rest/tx/",	     "/rest/block/notxdetails/", "/rest/block/",	  "/rest/chaininfo",
	"/rest/mempool/",    "/rest/headers/",		 "/rest/getutxos",	  "/rest/getutxos/checkmempool/",
	"/rest/blockhashbyheight/", "/rest/asset/",	 "/rest/assethistory/", "/rest/assetproof/",
};

static void check_reason(const char *why)
{
	size_t n = strnlen(why, REST_WHY_LEN);
	if (n == 0 || n == REST_WHY_LEN)
		abort();
	for (size_t i = 0; i < n; i++)
		if (why[i] < 0x20 || why[i] > 0x7e)
			abort();
}

static void check_request(const struct rest_request *q)
{
	if (q->format == REST_UNDEF)
		abort();
	switch (q->what) {
	case REST_CHAININFO:
	case REST_MEMPOOL_INFO:
	case REST_MEMPOOL_CONTENTS:
	case REST_ASSET:
	case REST_ASSET_HISTORY:
	case REST_ASSET_PROOF:
		if (q->format != REST_JSON)
			abort();
		break;
	case REST_HEADERS:
		if (q->count < 1 || q->count > REST_MAX_HEADERS)
			abort();
		break;
	case REST_GETUTXOS:
		if (q->n_outpoints < 1 || q->n_outpoints > REST_MAX_OUTPOINTS)
			abort();
		break;
	case REST_BLOCKHASH:
		if (q->height > INT32_MAX)
			abort();
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const char *prefix = (data[0] & 1) ? prefixes[(data[0] >> 1) % (sizeof(prefixes) / sizeof(prefixes[0]))] : "";
	size_t plen = strlen(prefix);
	data++, size--;
	char *path = malloc(plen + size + 1);
	if (!path)
		return 0;
	memcpy(path, prefix, plen);
	memcpy(path + plen, data, size);
	path[plen + size] = '\0';
	/* A NUL in the input ends the path; what follows is the query. */
	const char *nul = memchr(data, '\0', size);
	const char *query = nul ? path + plen + (size_t)(nul - (const char *)data) + 1 : NULL;

	struct rest_request q, again;
	char why[REST_WHY_LEN], why2[REST_WHY_LEN];
	int rc = rest_parse(&q, why, path, query);
	if (rc != 0 && rc != 400 && rc != 404)
		abort();
	if (rc != 0) {
		check_reason(why);
	} else {
		check_request(&q);
		if (rest_parse(&again, why2, path, query) != 0 || memcmp(&q, &again, sizeof(q)) != 0)
			abort();
	}
	free(path);
	return 0;
}
