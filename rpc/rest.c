/* REST: the URL parser, the formats, refusals and HTTP. The parser
 * follows Core's rest.cpp step by step (ParseDataFormat, then each
 * endpoint's arguments, then the format), so a client of Core's REST
 * meets the same statuses and reasons here; docs/rest.md lists them. */
#include "rpc/rest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "rpc/rest_impl.h"
#include "rpc/txjson.h"
#include "util/hex.h"
#include "util/log.h"

/* ---- the parser ---- */

/* A piece of the path: not NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

static const char *const format_names[] = { [REST_BIN] = "bin", [REST_HEX] = "hex", [REST_JSON] = "json" };

/* Core's ParseDataFormat: a suffix after the last '.' that names a format
 * is cut off and gives the format; any other leaves the part whole, so a
 * hash with an unknown suffix reads as a bad hash, as in Core. */
static enum rest_format split_format(struct span *param, const char *part)
{
	size_t n = strlen(part), dot = n;
	while (dot > 0 && part[dot - 1] != '.')
		dot--;
	*param = (struct span){ part, n };
	if (dot == 0)
		return REST_UNDEF;
	for (int f = REST_BIN; f <= REST_JSON; f++)
		if (strcmp(part + dot, format_names[f]) == 0) {
			param->n = dot - 1;
			return (enum rest_format)f;
		}
	return REST_UNDEF;
}

/* The input a reason quotes: printable ASCII only (Core's SanitizeString),
 * cut short so that a long path cannot fill the reason. */
static const char *quote(char out[100], struct span s)
{
	size_t k = 0;
	for (size_t i = 0; i < s.n && k < 96; i++)
		if (s.p[i] >= 0x20 && s.p[i] < 0x7f)
			out[k++] = s.p[i];
	if (k == 96 && s.n > 96)
		memcpy(out + k, "...", 3), k += 3;
	out[k] = '\0';
	return out;
}

static int refuse(char why[REST_WHY_LEN], int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char why[REST_WHY_LEN], int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, REST_WHY_LEN, fmt, ap);
	va_end(ap);
	return status;
}

static bool parse_hash(uint8_t out[32], struct span s)
{
	char h[65];
	if (s.n != 64)
		return false;
	memcpy(h, s.p, 64);
	h[64] = '\0';
	return hex_decode(out, 32, h);
}

/* Decimal digits only (no sign, no spaces, as Core's ToIntegral), at most max. */
static bool parse_u32(uint32_t *out, struct span s, uint32_t max)
{
	uint64_t v = 0;
	if (s.n == 0 || s.n > 10)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* The next '/'-separated piece of *rest (which moves past it; its p is
 * NULL once the last piece is taken); false when nothing is left. An
 * empty *rest is one empty piece, and "a/" two, as Core's SplitString. */
static bool next_piece(struct span *piece, struct span *rest)
{
	if (rest->p == NULL)
		return false;
	const char *slash = memchr(rest->p, '/', rest->n);
	if (!slash) {
		*piece = *rest;
		rest->p = NULL;
		return true;
	}
	*piece = (struct span){ rest->p, (size_t)(slash - rest->p) };
	rest->n -= piece->n + 1;
	rest->p = slash + 1;
	return true;
}

/* A query parameter (URL-decoded, copied into val); *found false when
 * absent. 0, or 400 for a query evhttp cannot parse (Core's reason). */
static int query_param(char *val, size_t cap, bool *found, const char *query, const char *name,
		       char why[REST_WHY_LEN])
{
	struct evkeyvalq kv; /* evhttp_parse_query_str initialises it, and empties it on failure */
	*found = false;
	if (!query || !*query)
		return 0;
	if (evhttp_parse_query_str(query, &kv) != 0)
		return refuse(why, 400, "URI parsing failed, it likely contained RFC 3986 invalid characters");
	const char *v = evhttp_find_header(&kv, name);
	if (v) {
		*found = true;
		snprintf(val, cap, "%s", v);
	}
	evhttp_clear_headers(&kv);
	return 0;
}

static int parse_none(struct rest_request *q, char *why, struct span param, const char *query)
{
	(void)q, (void)query;
	/* "/rest/chaininfo" is a prefix in Core; only its formats may follow. */
	return param.n == 0 || param.p[0] == '.' ? 0 : refuse(why, 404, "unknown REST endpoint");
}

static int parse_hash_arg(struct rest_request *q, char *why, struct span param, const char *query)
{
	char s[100];
	(void)query;
	return parse_hash(q->hash, param) ? 0 : refuse(why, 400, "Invalid hash: %s", quote(s, param));
}

static int parse_asset(struct rest_request *q, char *why, struct span param, const char *query)
{
	char s[100];
	(void)query;
	return parse_hash(q->hash, param) ? 0 : refuse(why, 400, "Invalid asset id: %s", quote(s, param));
}

static int parse_height(struct rest_request *q, char *why, struct span param, const char *query)
{
	char s[100];
	(void)query;
	return parse_u32(&q->height, param, INT32_MAX) ? 0 : refuse(why, 400, "Invalid height: %s", quote(s, param));
}

/* /rest/headers/<count>/<hash> (Core's older form) or /rest/headers/<hash>?count=N. */
static int parse_headers(struct rest_request *q, char *why, struct span param, const char *query)
{
	struct span pieces[2], piece, rest = param, count = { "5", 1 };
	size_t n = 0;
	char raw[32], s[100];
	bool found;
	while (next_piece(&piece, &rest))
		if (n++ < 2)
			pieces[n - 1] = piece;
	if (n == 0 || n > 2)
		return refuse(why, 400, "Invalid URI format. Expected /rest/headers/<hash>.<ext>?count=<count>");
	if (n == 2) {
		count = pieces[0];
	} else {
		int rc = query_param(raw, sizeof(raw), &found, query, "count", why);
		if (rc)
			return rc;
		if (found)
			count = (struct span){ raw, strlen(raw) };
	}
	if (!parse_u32(&q->count, count, REST_MAX_HEADERS) || q->count < 1)
		return refuse(why, 400, "Header count is invalid or out of acceptable range (1-%u): %s", REST_MAX_HEADERS,
			      quote(s, count));
	return parse_hash_arg(q, why, pieces[n - 1], query);
}

/* "<txid>-<n>", exactly one '-'. */
static bool parse_outpoint(struct outpoint *op, struct span s)
{
	const char *dash = memchr(s.p, '-', s.n);
	if (!dash || memchr(dash + 1, '-', s.n - (size_t)(dash + 1 - s.p)))
		return false;
	struct span txid = { s.p, (size_t)(dash - s.p) }, n = { dash + 1, s.n - txid.n - 1 };
	return parse_hash(op->txid, txid) && parse_u32(&op->index, n, UINT32_MAX);
}

/* /rest/getutxos[/checkmempool]/<txid>-<n>/...: every outpoint is parsed
 * (Core's "Parse error"), the first REST_MAX_OUTPOINTS kept; n_outpoints
 * counts them all for the limit's reason. */
static int parse_getutxos(struct rest_request *q, char *why, struct span param, const char *query)
{
	struct span piece, rest = { param.p + (param.n > 0), param.n - (param.n > 0) };
	bool first = true;
	(void)query;
	if (param.n > 0 && param.p[0] != '/')
		return refuse(why, 404, "unknown REST endpoint");
	q->n_outpoints = 0;
	while (param.n > 1 && next_piece(&piece, &rest)) {
		if (first && piece.n == 12 && memcmp(piece.p, "checkmempool", 12) == 0) {
			q->checkmempool = true;
			first = false;
			continue;
		}
		first = false;
		struct outpoint op;
		if (!parse_outpoint(&op, piece))
			return refuse(why, 400, "Parse error");
		if (q->n_outpoints < REST_MAX_OUTPOINTS)
			q->outpoints[q->n_outpoints] = op;
		q->n_outpoints++;
	}
	return q->n_outpoints > 0 ? 0 : refuse(why, 400, "Error: empty request");
}

/* A query flag that must read "true" or "false" (Core's mempool rule). */
static int parse_flag(bool *out, bool def, const char *query, const char *name, char *why)
{
	char v[8];
	bool found;
	int rc = query_param(v, sizeof(v), &found, query, name, why);
	if (rc)
		return rc;
	if (found && strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
		return refuse(why, 400,
			      "The \"verbose\" and \"mempool_sequence\" query parameters must be either \"true\" or \"false\".");
	*out = found ? strcmp(v, "true") == 0 : def;
	return 0;
}

static int parse_mempool(struct rest_request *q, char *why, struct span param, const char *query)
{
	bool seq;
	if (param.n == 4 && memcmp(param.p, "info", 4) == 0) {
		q->what = REST_MEMPOOL_INFO;
		return 0;
	}
	if (param.n != 8 || memcmp(param.p, "contents", 8) != 0)
		return refuse(why, 400, "Invalid URI format. Expected /rest/mempool/<info|contents>.json");
	q->what = REST_MEMPOOL_CONTENTS;
	int rc = parse_flag(&q->verbose, true, query, "verbose", why);
	if (rc == 0)
		rc = parse_flag(&seq, false, query, "mempool_sequence", why);
	if (rc == 0 && seq)
		rc = q->verbose ? refuse(why, 400,
					 "Verbose results cannot contain mempool sequence values. (hint: set \"verbose=false\")")
				: refuse(why, 400, "mempool_sequence is not supported: the event stream (GET /events) "
						   "numbers the mempool's changes");
	return rc;
}

/* Core's prefixes, in its order: notxdetails before block. */
static const struct endpoint {
	const char *prefix;
	enum rest_endpoint what;
	bool json_only;
	int (*parse)(struct rest_request *q, char *why, struct span param, const char *query);
} endpoints[] = {
	{ "/rest/tx/", REST_TX, false, parse_hash_arg },
	{ "/rest/block/notxdetails/", REST_BLOCK_NOTXDETAILS, false, parse_hash_arg },
	{ "/rest/block/", REST_BLOCK, false, parse_hash_arg },
	{ "/rest/chaininfo", REST_CHAININFO, true, parse_none },
	{ "/rest/mempool/", REST_MEMPOOL_INFO, true, parse_mempool },
	{ "/rest/headers/", REST_HEADERS, false, parse_headers },
	{ "/rest/getutxos", REST_GETUTXOS, false, parse_getutxos },
	{ "/rest/blockhashbyheight/", REST_BLOCKHASH, false, parse_height },
	{ "/rest/asset/", REST_ASSET, true, parse_asset },
	{ "/rest/assethistory/", REST_ASSET_HISTORY, true, parse_asset },
	{ "/rest/assetproof/", REST_ASSET_PROOF, true, parse_asset },
};

int rest_parse(struct rest_request *q, char why[REST_WHY_LEN], const char *path, const char *query)
{
	const struct endpoint *e = NULL;
	struct span param;
	memset(q, 0, sizeof(*q));
	why[0] = '\0';
	for (size_t i = 0; path && !e && i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (strncmp(path, endpoints[i].prefix, strlen(endpoints[i].prefix)) == 0)
			e = &endpoints[i];
	if (!e)
		return refuse(why, 404, "unknown REST endpoint");
	q->what = e->what;
	q->format = split_format(&param, path + strlen(e->prefix));
	int rc = e->parse(q, why, param, query);
	if (rc)
		return rc;
	if (q->format == REST_UNDEF || (e->json_only && q->format != REST_JSON))
		return refuse(why, 404, "output format not found (available: %s)",
			      e->json_only ? "json" : ".bin, .hex, .json");
	if (q->what == REST_GETUTXOS && q->n_outpoints > REST_MAX_OUTPOINTS)
		return refuse(why, 400, "Error: max outpoints exceeded (max: %d, tried: %zu)", REST_MAX_OUTPOINTS,
			      q->n_outpoints);
	return 0;
}

/* ---- replies ---- */

void rest_fail(struct rest_reply *out, int status, const char *fmt, ...)
{
	char why[REST_WHY_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	out->status = status;
	out->type = "text/plain";
	buf_reset(&out->body);
	buf_put(&out->body, why, strlen(why));
	buf_put(&out->body, "\r\n", 2);
}

void rest_fail_rpc(struct rest_reply *out, const struct rpc_error *e, const uint8_t what[32])
{
	char h[65];
	txjson_hash_hex(h, what);
	if (e->code == RPC_INVALID_ADDRESS_OR_KEY)
		rest_fail(out, 404, "%s not found", h);
	else
		rest_fail(out, 500, "%s", e->message[0] ? e->message : "internal error");
}

void rest_bytes(struct rest_reply *out, enum rest_format f, const void *p, size_t n)
{
	out->status = 200;
	buf_reset(&out->body);
	if (f == REST_BIN) {
		out->type = "application/octet-stream";
		buf_put(&out->body, p, n);
		return;
	}
	char *h = hex_alloc(p, n);
	out->type = "text/plain";
	if (!h) {
		rest_fail(out, 500, "out of memory");
		return;
	}
	buf_put(&out->body, h, 2 * n);
	buf_put(&out->body, "\n", 1);
	free(h);
}

void rest_buf(struct rest_reply *out, enum rest_format f, struct buf *b)
{
	if (buf_ok(b))
		rest_bytes(out, f, b->data, b->len);
	else
		rest_fail(out, 500, "out of memory");
	buf_release(b);
}

void rest_json(struct rest_reply *out, cJSON *j)
{
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (!text) {
		rest_fail(out, 500, "out of memory");
		return;
	}
	out->status = 200;
	out->type = "application/json";
	buf_reset(&out->body);
	buf_put(&out->body, text, strlen(text));
	buf_put(&out->body, "\n", 1);
	free(text);
}

/* ---- HTTP ---- */

static void send_reply(struct evhttp_request *req, struct rest_reply *r)
{
	struct evbuffer *body = evbuffer_new();
	if (!body || !buf_ok(&r->body) || evbuffer_add(body, r->body.data, r->body.len) != 0) {
		if (body)
			evbuffer_free(body);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	rpc_server_no_delay(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", r->type);
	evhttp_send_reply(req, r->status, NULL, body);
	evbuffer_free(body);
}

static void answer(const struct rest *r, const struct rest_request *q, struct rest_reply *out)
{
	switch (q->what) {
	case REST_GETUTXOS:
	case REST_MEMPOOL_INFO:
	case REST_MEMPOOL_CONTENTS:
		rest_utxo_answer(r, q, out);
		return;
	default:
		rest_chain_answer(r, q, out);
	}
}

static void serve(void *ctx, struct evhttp_request *req)
{
	const struct rest *r = ctx;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = evhttp_uri_get_path(uri);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct rest_reply out = { .body = BUF_INIT };
	struct rest_request q;
	char why[REST_WHY_LEN];

	if (!r) {
		rest_fail(&out, 404, "REST is disabled (start cairnd with -rest)");
	} else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		rest_fail(&out, 405, "REST answers GET and HEAD only");
	} else {
		int status = rest_parse(&q, why, path, evhttp_uri_get_query(uri));
		if (status)
			rest_fail(&out, status, "%s", why);
		else
			answer(r, &q, &out);
	}
	log_debug(LOG_RPC, "rest %.200s: %d, %zu bytes", path ? path : "", out.status, out.body.len);
	send_reply(req, &out);
	buf_release(&out.body);
}

int rest_register(struct rpc_server *srv, const struct rest *r, char *err)
{
	if (r)
		log_info("REST at GET /rest/ (no authentication, public data only)");
	return rpc_server_route(srv, "/rest/", "rest", false, serve, (void *)r, err);
}
