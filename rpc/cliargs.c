#include "rpc/cliargs.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

/* ---- options ---- */

enum opt_kind { OPT_BOOL, OPT_STR, OPT_INT, OPT_PORT };

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t offset;
	size_t size; /* of a string field */
	int max;     /* of an int field */
};

#define FIELD(f) offsetof(struct cliargs, f), sizeof(((struct cliargs *)0)->f)

static const struct opt opts[] = {
	{ "datadir", OPT_STR, FIELD(datadir), 0 },
	{ "regtest", OPT_BOOL, FIELD(regtest), 0 },
	{ "rpcconnect", OPT_STR, FIELD(rpcconnect), 0 },
	{ "rpcport", OPT_PORT, FIELD(rpcport), 0 },
	{ "rpcuser", OPT_STR, FIELD(rpcuser), 0 },
	{ "rpcpassword", OPT_STR, FIELD(rpcpassword), 0 },
	{ "rpcwallet", OPT_STR, FIELD(rpcwallet), 0 },
	{ "rpcwait", OPT_BOOL, FIELD(rpcwait), 0 },
	{ "rpcwaittimeout", OPT_INT, FIELD(rpcwaittimeout), 1000000 },
	{ "rpcclienttimeout", OPT_INT, FIELD(rpcclienttimeout), 1000000 },
	{ "named", OPT_BOOL, FIELD(named), 0 },
	{ "stdin", OPT_BOOL, FIELD(use_stdin), 0 },
	{ "getinfo", OPT_BOOL, FIELD(getinfo), 0 },
	{ "help", OPT_BOOL, FIELD(help), 0 },
	{ "h", OPT_BOOL, FIELD(help), 0 },
	{ "?", OPT_BOOL, FIELD(help), 0 },
};

/* Strict decimal in [0, max]; false on anything else. */
static bool parse_uint(const char *s, long max, long *out)
{
	long v = 0;
	if (!s || !*s || strlen(s) > 9)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return v <= max;
}

static int opt_apply(struct cliargs *a, const struct opt *o, const char *value, char *err)
{
	char *field = (char *)a + o->offset;
	long v;

	switch (o->kind) {
	case OPT_BOOL:
		if (value && strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
			return err_set(err, "invalid value for -%s: '%s' (use 0 or 1)", o->name, value);
		*(bool *)(void *)field = !value || strcmp(value, "1") == 0;
		return 0;
	case OPT_STR:
		if (!value)
			return err_set(err, "option -%s needs a value", o->name);
		if (strlen(value) >= o->size)
			return err_set(err, "value of -%s is too long", o->name);
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case OPT_INT:
		if (!parse_uint(value, o->max, &v))
			return err_set(err, "invalid value for -%s: '%s'", o->name, value ? value : "");
		*(int *)(void *)field = (int)v;
		return 0;
	case OPT_PORT:
		if (!parse_uint(value, 65535, &v) || v == 0)
			return err_set(err, "invalid port for -%s: '%s'", o->name, value ? value : "");
		*(uint16_t *)(void *)field = (uint16_t)v;
		return 0;
	}
	return err_set(err, "option -%s: unknown kind", o->name);
}

static int parse_one(struct cliargs *a, const char *word, char *err)
{
	const char *name = word + 1 + (word[1] == '-');
	const char *eq = strchr(name, '=');
	size_t n = eq ? (size_t)(eq - name) : strlen(name);

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strlen(opts[i].name) == n && memcmp(opts[i].name, name, n) == 0)
			return opt_apply(a, &opts[i], eq ? eq + 1 : NULL, err);
	return err_set(err, "unknown option '%s' (see -help)", word);
}

int cliargs_parse(struct cliargs *out, int argc, char *const *argv, const char *home,
		  char *err)
{
	int i;

	memset(out, 0, sizeof(*out));
	snprintf(out->rpcconnect, sizeof(out->rpcconnect), "127.0.0.1");
	out->rpcclienttimeout = CLIARGS_DEFAULT_CLIENT_TIMEOUT;
	if (strlen(home ? home : ".") + sizeof("/.cairn") > sizeof(out->datadir))
		return err_set(err, "home directory path is too long");
	snprintf(out->datadir, sizeof(out->datadir), "%s/.cairn", home ? home : ".");
	/* Options stop at METHOD, so later words like "-1" are arguments. */
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++)
		if (parse_one(out, argv[i], err) != 0)
			return -1;
	out->first = i;
	if (!out->datadir[0])
		return err_set(err, "-datadir must not be empty");
	return 0;
}

uint16_t cliargs_port(const struct cliargs *a)
{
	if (a->rpcport)
		return a->rpcport;
	return a->regtest ? CLIARGS_REGTEST_PORT : CLIARGS_MAIN_PORT;
}

int cliargs_uri_path(char *out, size_t len, const struct cliargs *a, char *err)
{
	static const char hexd[] = "0123456789ABCDEF";
	const char *prefix = a->rpcwallet[0] ? "/wallet/" : "/";
	size_t n = strlen(prefix);
	if (n >= len)
		return err_set(err, "-rpcwallet: path too long");
	memcpy(out, prefix, n);
	for (const unsigned char *p = (const unsigned char *)a->rpcwallet; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			     strchr("-._~", *p);
		if (n + (plain ? 1 : 3) >= len)
			return err_set(err, "-rpcwallet: path too long");
		if (plain) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hexd[*p >> 4];
			out[n++] = hexd[*p & 15];
		}
	}
	out[n] = '\0';
	return 0;
}

int cliargs_cookie_path(char *out, size_t len, const struct cliargs *a, char *err)
{
	int n = snprintf(out, len, "%s%s/.cookie", a->datadir, a->regtest ? "/regtest" : "");
	if (n < 0 || (size_t)n >= len) {
		if (len)
			out[0] = '\0';
		return err_set(err, "cookie path under '%s' is too long", a->datadir);
	}
	return 0;
}

int cliargs_credentials(char *out, size_t len, const struct cliargs *a, char *err)
{
	char path[CLIARGS_PATH_LEN + 32];
	FILE *f;
	size_t n;

	if (len < 2)
		return err_set(err, "no room for credentials");
	out[0] = '\0';
	if (a->rpcpassword[0]) {
		if (strlen(a->rpcuser) + strlen(a->rpcpassword) + 2 > len)
			return err_set(err, "rpcuser and rpcpassword are too long");
		snprintf(out, len, "%s:%s", a->rpcuser, a->rpcpassword);
		return 0;
	}
	if (cliargs_cookie_path(path, sizeof(path), a, err) != 0)
		return -1;
	if (!(f = fopen(path, "r")))
		return err_set(err, "cannot read cookie '%s': %s", path, strerror(errno));
	n = fread(out, 1, len ? len - 1 : 0, f);
	fclose(f);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
		n--;
	out[n] = '\0';
	if (n == 0 || n == len - 1 || !strchr(out, ':')) {
		out[0] = '\0';
		return err_set(err, "cannot read cookie '%s': malformed", path);
	}
	return 0;
}

/* ---- words to JSON ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* JSON's number grammar exactly; cJSON alone would also take "0123". */
static bool json_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (is_digit(*p))
		while (is_digit(*p))
			p++;
	else
		return false;
	if (*p == '.') {
		if (!is_digit(*++p))
			return false;
		while (is_digit(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return false;
		while (is_digit(*p))
			p++;
	}
	return *p == '\0';
}

cJSON *cliargs_value(const char *word)
{
	cJSON *v = cJSON_ParseWithOpts(word, NULL, true);

	if (!v)
		return cJSON_CreateString(word);
	if (cJSON_IsNumber(v)) {
		/* Sent as typed, so "0.1" reaches the server as 0.1 and not as
		 * whatever a double prints. */
		cJSON_Delete(v);
		return json_number(word) ? cJSON_CreateRaw(word) : cJSON_CreateString(word);
	}
	return v;
}

static int add_named(cJSON *obj, const char *word, char *err)
{
	const char *eq = strchr(word, '=');
	char *name;
	cJSON *v;

	if (!eq || eq == word)
		return err_set(err, "-named argument '%s' is not name=value", word);
	if (!(name = strndup(word, (size_t)(eq - word))))
		return err_set(err, "out of memory");
	v = cliargs_value(eq + 1);
	if (!v || !cJSON_AddItemToObject(obj, name, v)) {
		cJSON_Delete(v);
		free(name);
		return err_set(err, "out of memory");
	}
	free(name);
	return 0;
}

int cliargs_params(cJSON **out, char *const *words, size_t n, bool named, char *err)
{
	cJSON *p = named ? cJSON_CreateObject() : cJSON_CreateArray();

	*out = NULL;
	if (!p)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		cJSON *v;
		if (named) {
			if (add_named(p, words[i], err) != 0)
				goto fail;
			continue;
		}
		v = cliargs_value(words[i]);
		if (!v || !cJSON_AddItemToArray(p, v)) {
			cJSON_Delete(v);
			err_set(err, "out of memory");
			goto fail;
		}
	}
	*out = p;
	return 0;
fail:
	cJSON_Delete(p);
	return -1;
}

char *cliargs_request(const char *method, const cJSON *params, int id)
{
	cJSON *r = cJSON_CreateObject();
	cJSON *p = params ? cJSON_Duplicate(params, true) : cJSON_CreateArray();
	char *text = NULL;

	if (r && p && cJSON_AddStringToObject(r, "jsonrpc", "2.0") &&
	    cJSON_AddNumberToObject(r, "id", id) && cJSON_AddStringToObject(r, "method", method) &&
	    cJSON_AddItemToObject(r, "params", p)) {
		p = NULL;
		text = cJSON_PrintUnformatted(r);
	}
	cJSON_Delete(p);
	cJSON_Delete(r);
	return text;
}

/* ---- the reply ---- */

struct span {
	size_t off, len;
};

static size_t count_numbers(const cJSON *v)
{
	size_t n = cJSON_IsNumber(v);
	for (const cJSON *c = v->child; c; c = c->next)
		n += count_numbers(c);
	return n;
}

/* The number tokens of a JSON text in order. Only a lexer: cJSON has
 * already accepted the text, this just finds where each number was. */
static size_t find_numbers(struct span *out, size_t max, const char *s, size_t len)
{
	size_t n = 0, i = 0;

	while (i < len) {
		if (s[i] == '"') {
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
		} else if (s[i] == '-' || is_digit(s[i])) {
			size_t start = i;
			while (i < len && s[i] && strchr("+-.eE0123456789", s[i]))
				i++;
			if (n < max)
				out[n] = (struct span){ start, i - start };
			n++;
		} else {
			i++;
		}
	}
	return n;
}

static bool raw_numbers(cJSON *v, const struct span *spans, size_t *k, const char *s)
{
	for (cJSON *c = v->child; c; c = c->next) {
		if (cJSON_IsNumber(c)) {
			const struct span *sp = &spans[(*k)++];
			char *text = cJSON_malloc(sp->len + 1);
			if (!text)
				return false;
			memcpy(text, s + sp->off, sp->len);
			text[sp->len] = '\0';
			c->type = cJSON_Raw;
			c->valuestring = text;
		} else if (!raw_numbers(c, spans, k, s)) {
			return false;
		}
	}
	return true;
}

/* Turns every number item of tree (parsed from s) into a raw item holding
 * the number's own text. Leaves the tree as parsed if the counts disagree. */
static bool keep_number_text(cJSON *tree, const char *s, size_t len)
{
	size_t want = count_numbers(tree), k = 0;
	struct span *spans;
	bool ok;

	if (want == 0 || cJSON_IsNumber(tree))
		return true;
	if (!(spans = malloc(want * sizeof(*spans))))
		return false;
	ok = find_numbers(spans, want, s, len) != want || raw_numbers(tree, spans, &k, s);
	free(spans);
	return ok;
}

bool cliargs_number(const cJSON *v, double *out)
{
	char *end;
	if (cJSON_IsNumber(v)) {
		*out = v->valuedouble;
		return true;
	}
	if (!cJSON_IsRaw(v) || !v->valuestring)
		return false;
	*out = strtod(v->valuestring, &end);
	return end != v->valuestring && *end == '\0';
}

static int reply_error(int *code, char **message, const cJSON *e, char *err)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
	double c = 0;

	/* The code comes from the server: out of int's range, the cast
	 * below would be undefined. */
	if (!cJSON_IsObject(e) || !cliargs_number(cJSON_GetObjectItemCaseSensitive(e, "code"), &c) ||
	    !(c >= INT_MIN && c <= INT_MAX))
		return err_set(err, "cannot read server reply: malformed error");
	*code = (int)c;
	*message = strdup(cJSON_IsString(m) ? m->valuestring : "");
	return *message ? 1 : err_set(err, "out of memory");
}

int cliargs_reply(cJSON **result, int *code, char **message, const char *body, size_t len,
		  char *err)
{
	cJSON *tree = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	cJSON *e, *r;
	int rc;

	*result = NULL;
	*code = 0;
	*message = NULL;
	if (!cJSON_IsObject(tree)) {
		cJSON_Delete(tree);
		return err_set(err, "cannot read server reply: not a JSON-RPC object");
	}
	if (!keep_number_text(tree, body, len)) {
		cJSON_Delete(tree);
		return err_set(err, "out of memory");
	}
	e = cJSON_GetObjectItemCaseSensitive(tree, "error");
	r = cJSON_GetObjectItemCaseSensitive(tree, "result");
	if (e && !cJSON_IsNull(e))
		rc = reply_error(code, message, e, err);
	else if (!r)
		rc = err_set(err, "cannot read server reply: no result");
	else
		rc = (*result = cJSON_DetachItemViaPointer(tree, r)) ? 0 : -1;
	cJSON_Delete(tree);
	return rc;
}

/* A scalar, an empty container or a key, printed (and escaped) by cJSON. */
static void put_json(struct buf *b, const cJSON *v)
{
	char *t = cJSON_PrintUnformatted(v);
	if (!t) {
		b->failed = true;
		return;
	}
	buf_put(b, t, strlen(t));
	cJSON_free(t);
}

static void put_key(struct buf *b, const char *key)
{
	cJSON *k = cJSON_CreateString(key ? key : "");
	if (!k) {
		b->failed = true;
		return;
	}
	put_json(b, k);
	cJSON_Delete(k);
	buf_put(b, ": ", 2);
}

/* bitcoin-cli's layout: one member per line, two spaces per level. Depth is
 * bounded by cJSON's nesting limit on what it parsed. */
static void put_pretty(struct buf *b, const cJSON *v, int depth)
{
	bool obj = cJSON_IsObject(v);

	if (!(obj || cJSON_IsArray(v)) || !v->child) {
		put_json(b, v);
		return;
	}
	buf_u8(b, obj ? '{' : '[');
	for (const cJSON *c = v->child; c; c = c->next) {
		buf_u8(b, '\n');
		for (int i = 0; i <= depth; i++)
			buf_put(b, "  ", 2);
		if (obj)
			put_key(b, c->string);
		put_pretty(b, c, depth + 1);
		if (c->next)
			buf_u8(b, ',');
	}
	buf_u8(b, '\n');
	for (int i = 0; i < depth; i++)
		buf_put(b, "  ", 2);
	buf_u8(b, obj ? '}' : ']');
}

char *cliargs_format(const cJSON *result)
{
	struct buf b = BUF_INIT;
	size_t len;

	if (!result || cJSON_IsNull(result))
		return strdup("");
	if (cJSON_IsString(result))
		return strdup(result->valuestring);
	put_pretty(&b, result, 0);
	buf_u8(&b, '\0');
	if (!buf_ok(&b)) {
		buf_release(&b);
		return NULL;
	}
	return (char *)buf_take(&b, &len);
}

/* ---- -getinfo ---- */

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct buf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_put(b, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* A number as the server wrote it (raw) or as cJSON prints it. */
static bool num_text(const cJSON *v, char *out, size_t len)
{
	double d;
	if (cJSON_IsRaw(v) && cliargs_number(v, &d)) {
		snprintf(out, len, "%s", v->valuestring);
		return true;
	}
	if (!cJSON_IsNumber(v))
		return false;
	snprintf(out, len, "%.17g", v->valuedouble);
	return true;
}

static void put_field(struct buf *b, const char *label, const cJSON *obj, const char *key)
{
	const cJSON *v = key ? cJSON_GetObjectItemCaseSensitive(obj, key) : obj;
	char text[128];

	if (cJSON_IsString(v))
		putf(b, "%s: %s\n", label, v->valuestring);
	else if (num_text(v, text, sizeof(text)))
		putf(b, "%s: %s\n", label, text);
}

static void put_network(struct buf *b, const cJSON *net, const cJSON *conns)
{
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(net, "connections_in");
	const cJSON *out = cJSON_GetObjectItemCaseSensitive(net, "connections_out");
	char ti[32], to[32];

	put_field(b, "Version", net, "subversion");
	if (num_text(in, ti, sizeof(ti)) && num_text(out, to, sizeof(to)))
		putf(b, "Network: in %s, out %s\n", ti, to);
	if (conns)
		put_field(b, "Connections", conns, NULL);
	else
		put_field(b, "Connections", net, "connections");
}

void cliargs_progress_bar(char out[CLIARGS_BAR_LEN], double progress)
{
	/* UTF-8 of U+2592 MEDIUM SHADE and U+2591 LIGHT SHADE, Bitcoin Core's
	 * cells. */
	static const char done[] = "\xe2\x96\x92", todo[] = "\xe2\x96\x91";
	int filled = progress >= 1.0 ? CLIARGS_BAR_CELLS
		     : progress > 0.0 ? (int)(progress * CLIARGS_BAR_CELLS + 1e-9) : 0;
	for (int i = 0; i < CLIARGS_BAR_CELLS; i++)
		memcpy(out + 3 * i, i < filled ? done : todo, 3);
	out[3 * CLIARGS_BAR_CELLS] = '\0';
}

/* How far the node is: its verificationprogress, but never past
 * blocks/headers, since blocks it knows of and does not have yet are
 * still to come (on regtest verificationprogress is always 1). With the
 * bar while the node is in initial download or below 99 %, as bitcoin-cli
 * shows it. */
static void put_progress(struct buf *b, const cJSON *chain)
{
	double progress, blocks, headers;
	char bar[CLIARGS_BAR_LEN];

	if (!cliargs_number(cJSON_GetObjectItemCaseSensitive(chain, "verificationprogress"), &progress))
		return;
	if (cliargs_number(cJSON_GetObjectItemCaseSensitive(chain, "blocks"), &blocks) &&
	    cliargs_number(cJSON_GetObjectItemCaseSensitive(chain, "headers"), &headers) && blocks >= 0 &&
	    headers > blocks && blocks / headers < progress)
		progress = blocks / headers;
	if (!(progress >= 0.0)) /* NaN too */
		progress = 0.0;
	if (progress > 1.0)
		progress = 1.0;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(chain, "initialblockdownload")) || progress < 0.99) {
		cliargs_progress_bar(bar, progress);
		putf(b, "Verification progress: %s %.4f%%\n", bar, progress * 100.0);
	} else {
		putf(b, "Verification progress: %.4f%%\n", progress * 100.0);
	}
}

char *cliargs_getinfo(const cJSON *chain, const cJSON *network, const cJSON *connections,
		      const cJSON *mempool, const cJSON *balance)
{
	struct buf b = BUF_INIT;
	char text[64];
	size_t len;

	put_field(&b, "Chain", chain, "chain");
	put_field(&b, "Blocks", chain, "blocks");
	put_field(&b, "Headers", chain, "headers");
	put_progress(&b, chain);
	put_field(&b, "Difficulty", chain, "difficulty");
	put_network(&b, network, connections);
	if (num_text(cJSON_GetObjectItemCaseSensitive(mempool, "size"), text, sizeof(text)))
		putf(&b, "Mempool: %s transactions\n", text);
	put_field(&b, "Balance", balance, NULL);
	buf_u8(&b, '\0');
	if (!buf_ok(&b)) {
		buf_release(&b);
		return NULL;
	}
	return (char *)buf_take(&b, &len);
}

const char *cliargs_usage(void)
{
	return "Usage: cairn-cli [options] METHOD [ARGS...]\n"
	       "       cairn-cli [options] -named METHOD [name=value...]\n"
	       "       cairn-cli [options] -getinfo\n"
	       "       cairn-cli [options] help [METHOD]\n"
	       "\n"
	       "Each ARG is read as JSON when it is valid JSON (numbers, true, false, null,\n"
	       "objects, arrays, \"quoted\"), else taken as a string.\n"
	       "\n"
	       "Options (-x and --x are the same):\n"
	       "  -datadir=DIR          data directory (default: ~/.cairn)\n"
	       "  -regtest              use the regtest network (DIR/regtest, port 19732)\n"
	       "  -rpcconnect=HOST      connect to cairnd at HOST (default: 127.0.0.1)\n"
	       "  -rpcport=PORT         connect to PORT (default: 9732, regtest 19732)\n"
	       "  -rpcuser=USER         user name for the RPC server\n"
	       "  -rpcpassword=PW       password (default: use the cookie file DIR/.cookie)\n"
	       "  -rpcwallet=NAME       send wallet calls to the wallet NAME (endpoint /wallet/NAME)\n"
	       "  -rpcwait              wait for the server to start answering (a count-down\n"
	       "                        on stderr when it is a terminal)\n"
	       "  -rpcwaittimeout=N     give up waiting after N seconds (default: 0, never)\n"
	       "  -rpcclienttimeout=N   HTTP timeout in seconds, 0 for none (default: 900)\n"
	       "  -named                pass ARGS as name=value pairs\n"
	       "  -stdin                read more ARGS from standard input, one per line\n"
	       "  -getinfo              print a summary of the node's state\n"
	       "  -help, -h             print this help\n";
}
