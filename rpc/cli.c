/* cairn-cli: sends one JSON-RPC request to cairnd and prints the answer, as
 * bitcoin-cli does. The pure parts (options, words to JSON, reply, output)
 * live in rpc/cliargs.c; this file does the I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "rpc/cli_impl.h"
#include "rpc/cli_stamp.h"
#include "rpc/cliargs.h"
#include "rpc/cli_own.h"
#include "rpc/proof_json.h"
#include "rpc/stamp.h"
#include "util/buf.h"
#include "util/hex.h"

#define CLI_MAX_STDIN_ARGS 10000
#define CLI_USERPASS_LEN 1024

/* The reply of one HTTP exchange. status 0: no HTTP answer at all. */
struct http_reply {
	int status;
	int error; /* enum evhttp_request_error, when status is 0 */
	struct buf body;
};

static void on_http_done(struct evhttp_request *req, void *arg)
{
	struct http_reply *r = arg;
	struct evbuffer *in;
	size_t n;

	if (!req)
		return;
	r->status = evhttp_request_get_response_code(req);
	in = evhttp_request_get_input_buffer(req);
	n = evbuffer_get_length(in);
	if (n && buf_reserve(&r->body, n)) {
		evbuffer_remove(in, r->body.data + r->body.len, n);
		r->body.len += n;
	}
}

static void on_http_error(enum evhttp_request_error e, void *arg)
{
	((struct http_reply *)arg)->error = (int)e;
}

static const char *http_error_text(int e)
{
	switch (e) {
	case EVREQ_HTTP_TIMEOUT: return "timeout reached";
	case EVREQ_HTTP_EOF: return "EOF reached";
	case EVREQ_HTTP_INVALID_HEADER: return "error while reading header, or invalid header";
	case EVREQ_HTTP_BUFFER_ERROR: return "error while reading or writing";
	case EVREQ_HTTP_REQUEST_CANCEL: return "request was canceled";
	case EVREQ_HTTP_DATA_TOO_LONG: return "response body is larger than allowed";
	default: return "unknown";
	}
}

/* One blocking POST on a private event_base: the loop runs until the
 * request ends one way or the other. Returns 0 with r filled (status 0 when
 * no answer came), -1 when the request could not even be made. */
static int http_post(struct http_reply *r, const struct cliargs *a, const char *userpass,
		     const char *body)
{
	char path[3 * CLIARGS_FIELD_LEN + 16], why[ERR_LEN]; /* room for any -rpcwallet */
	struct event_base *base = event_base_new();
	struct evhttp_connection *con = NULL;
	struct evhttp_request *req = NULL;
	struct evkeyvalq *h;
	size_t ul = strlen(userpass);
	char *auth = malloc(6 + 4 * ((ul + 2) / 3) + 1);
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (!base || !auth || cliargs_uri_path(path, sizeof(path), a, why) != 0)
		goto out;
	con = evhttp_connection_base_new(base, NULL, a->rpcconnect, cliargs_port(a));
	if (!con || !(req = evhttp_request_new(on_http_done, r)))
		goto out;
	if (a->rpcclienttimeout > 0)
		evhttp_connection_set_timeout(con, a->rpcclienttimeout);
	evhttp_request_set_error_cb(req, on_http_error);
	memcpy(auth, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)auth + 6, (const unsigned char *)userpass, (int)ul);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", a->rpcconnect);
	evhttp_add_header(h, "Connection", "close");
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Authorization", auth);
	evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	/* evhttp_make_request frees req itself when it fails */
	if (evhttp_make_request(con, req, EVHTTP_REQ_POST, path) == 0) {
		event_base_dispatch(base);
		rc = 0;
	}
out:
	if (auth) {
		OPENSSL_cleanse(auth, strlen(auth));
		free(auth);
	}
	if (con)
		evhttp_connection_free(con);
	if (base)
		event_base_free(base);
	return rc;
}

static void call_result_release(struct call_result *c)
{
	cJSON_Delete(c->result);
	free(c->message);
	memset(c, 0, sizeof(*c));
}

static enum outcome call_once(struct call_result *c, const struct cliargs *a, const char *body)
{
	char userpass[CLI_USERPASS_LEN];
	struct http_reply r;
	int rc;

	memset(c, 0, sizeof(*c));
	if (cliargs_credentials(userpass, sizeof(userpass), a, c->err) != 0)
		return CALL_NO_SERVER; /* the node makes the cookie as it starts */
	rc = http_post(&r, a, userpass, body);
	OPENSSL_cleanse(userpass, sizeof(userpass));
	if (rc != 0 || r.status == 0) {
		snprintf(c->err, sizeof(c->err), "cannot connect to the server %s:%u (%s)\n\n"
			 "Make sure cairnd is running and that -rpcconnect, -rpcport and -regtest match it.",
			 a->rpcconnect, cliargs_port(a), rc ? "out of memory" : http_error_text(r.error));
		buf_release(&r.body);
		return CALL_NO_SERVER;
	}
	if (r.status == 401) {
		snprintf(c->err, sizeof(c->err), "incorrect rpcuser or rpcpassword (authorization failed)");
		buf_release(&r.body);
		return CALL_FAILED;
	}
	if (r.status >= 400 && r.status != 400 && r.status != 404 && r.status != 500) {
		snprintf(c->err, sizeof(c->err), "server returned HTTP error %d", r.status);
		buf_release(&r.body);
		return CALL_FAILED;
	}
	rc = cliargs_reply(&c->result, &c->code, &c->message, (const char *)r.body.data, r.body.len,
			   c->err);
	buf_release(&r.body);
	return rc == 0 ? CALL_OK : rc == 1 ? CALL_RPC_ERROR : CALL_FAILED;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether -rpcwait shows its count-down: when stderr is a terminal, so
 * scripts see nothing new. CAIRN_CLI_FORCE_PROGRESS=1 (or 0) decides
 * instead, for tests that read stderr through a pipe. */
static bool progress_wanted(void)
{
	const char *force = getenv("CAIRN_CLI_FORCE_PROGRESS");
	if (force && *force)
		return strcmp(force, "0") != 0;
	return isatty(STDERR_FILENO) == 1;
}

/* The -rpcwait status line, rewritten in place with '\r'. */
struct wait_line {
	bool on;
	int shown; /* characters on the line now */
};

static void wait_line_put(struct wait_line *w, const char *text, bool end)
{
	int n = (int)strlen(text);
	if (!w->on)
		return;
	/* spaces over what is left of a longer previous line */
	fprintf(stderr, "\r%s%*s", text, w->shown > n ? w->shown - n : 0, "");
	if (w->shown > n)
		fprintf(stderr, "\r%s", text);
	fputs(end ? "\n" : "", stderr);
	fflush(stderr);
	w->shown = end ? 0 : n;
}

static void wait_line_show(struct wait_line *w, const struct cliargs *a, const struct call_result *c,
			   double start, double deadline)
{
	char line[3 * CLIARGS_FIELD_LEN], why[CLIARGS_FIELD_LEN] = "";
	double now = now_seconds();
	if (!w->on)
		return;
	if (c->code == -28 && c->message) {
		snprintf(why, sizeof(why), " (%.200s)", c->message);
		for (char *p = why; *p; p++) /* the server's text must not move the cursor */
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
	}
	if (a->rpcwaittimeout > 0)
		snprintf(line, sizeof(line), "Waiting for the node at %s:%u%s... %d s left", a->rpcconnect,
			 cliargs_port(a), why, (int)(deadline - now + 0.999));
	else
		snprintf(line, sizeof(line), "Waiting for the node at %s:%u%s... %d s", a->rpcconnect,
			 cliargs_port(a), why, (int)(now - start));
	wait_line_put(w, line, false);
}

/* -rpcwait: retries while the server is not there yet or still warming up
 * (-28), once a second, until -rpcwaittimeout (0: forever). */
static enum outcome call(struct call_result *c, const struct cliargs *a, const char *method,
			 const cJSON *params)
{
	char *body = cliargs_request(method, params, 1);
	double start = now_seconds(), deadline = start + a->rpcwaittimeout;
	struct wait_line w = { .on = a->rpcwait && progress_wanted() };
	char line[3 * CLIARGS_FIELD_LEN];
	enum outcome o;

	if (!body) {
		memset(c, 0, sizeof(*c));
		snprintf(c->err, sizeof(c->err), "out of memory");
		return CALL_FAILED;
	}
	for (;;) {
		o = call_once(c, a, body);
		bool retry = o == CALL_NO_SERVER || (o == CALL_RPC_ERROR && c->code == -28);
		if (!a->rpcwait || !retry)
			break;
		if (a->rpcwaittimeout > 0 && now_seconds() >= deadline) {
			snprintf(line, sizeof(line), "Waiting for the node at %s:%u... gave up after %d s",
				 a->rpcconnect, cliargs_port(a), a->rpcwaittimeout);
			wait_line_put(&w, line, true);
			break;
		}
		wait_line_show(&w, a, c, start, deadline);
		call_result_release(c);
		nanosleep(&(struct timespec){ 1, 0 }, NULL);
	}
	if (w.shown) /* answered: the line goes, and what follows starts clean */
		fprintf(stderr, "\r%*s\r", w.shown, "");
	free(body);
	return o;
}

/* Prints the failure and returns the exit status. */
static int report(const struct call_result *c, enum outcome o)
{
	if (o == CALL_RPC_ERROR) {
		fprintf(stderr, "error code: %d\nerror message:\n%s\n", c->code, c->message);
		return 1;
	}
	fprintf(stderr, "error: %s\n", c->err);
	return 1;
}

enum outcome cli_call(struct call_result *c, const struct cliargs *a, const char *method, const cJSON *params)
{
	return call(c, a, method, params);
}

void cli_call_release(struct call_result *c)
{
	call_result_release(c);
}

int cli_report(const struct call_result *c, enum outcome o)
{
	return report(c, o);
}

/* -getinfo: every call but getblockchaininfo may be missing from the node
 * (method not found), and getbalance fails without a wallet; those lines are
 * left out. */
static int run_getinfo(const struct cliargs *a)
{
	static const char *const methods[] = { "getblockchaininfo", "getnetworkinfo",
					       "getconnectioncount", "getmempoolinfo", "getbalance" };
	struct call_result res[5];
	int status = 0;
	char *text;

	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < 5 && status == 0; i++) {
		enum outcome o = call(&res[i], a, methods[i], NULL);
		bool optional = i > 0 && o == CALL_RPC_ERROR &&
				(res[i].code == -32601 || strcmp(methods[i], "getbalance") == 0);
		if (o == CALL_OK)
			continue;
		if (optional)
			call_result_release(&res[i]);
		else
			status = report(&res[i], o);
	}
	if (status == 0) {
		text = cliargs_getinfo(res[0].result, res[1].result, res[2].result, res[3].result,
				       res[4].result);
		if (text)
			fputs(text, stdout);
		else
			status = (fprintf(stderr, "error: out of memory\n"), 1);
		free(text);
	}
	for (size_t i = 0; i < 5; i++)
		call_result_release(&res[i]);
	return status;
}

/* Appends standard input's lines to the words; returns the new array. */
static char **read_stdin_words(char **words, size_t *n)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		char **grown;
		if (*n >= CLI_MAX_STDIN_ARGS || !(grown = realloc(words, (*n + 1) * sizeof(*words))))
			break;
		words = grown;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!(words[*n] = strdup(line)))
			break;
		(*n)++;
	}
	free(line);
	return words;
}

/* --- commands handled here, without the node --- */

/* The whole file, NUL-terminated, at most max bytes; NULL with err filled. */
char *cli_read_file(const char *path, size_t max, size_t *len, char *err)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t got;
	if (!f) {
		err_set(err, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len <= max)
		buf_put(&b, chunk, got);
	bool bad = ferror(f) != 0;
	fclose(f);
	buf_u8(&b, 0);
	if (bad || b.len > max + 1 || !buf_ok(&b)) {
		err_set(err, "cannot read '%s': %s", path, bad ? "read error" : "too large or out of memory");
		buf_release(&b);
		return NULL;
	}
	*len = b.len - 1;
	return (char *)buf_take(&b, &got);
}

/* SHA-256 of a file's bytes, read in pieces, as 64 hex digits. */
int cli_hash_file(char hex[65], const char *path, char *err)
{
	uint8_t md[32];
	if (stamp_hash_file(md, path, err) != 0)
		return -1;
	hex_encode(hex, md, 32);
	return 0;
}

/* registerasset --file PATH [metadata] [address]: the file is hashed here
 * and only its SHA-256 goes to the node. Rewrites words in place. */
static int expand_file_arg(char **words, size_t *n, char *err)
{
	const char *path = NULL;
	size_t used = 0;
	char hex[65];
	if (*n >= 1 && strncmp(words[0], "--file=", 7) == 0)
		path = words[0] + 7, used = 1;
	else if (*n >= 1 && strncmp(words[0], "-file=", 6) == 0)
		path = words[0] + 6, used = 1;
	else if (*n >= 2 && (strcmp(words[0], "--file") == 0 || strcmp(words[0], "-file") == 0))
		path = words[1], used = 2;
	else if (*n >= 1 && (strcmp(words[0], "--file") == 0 || strcmp(words[0], "-file") == 0))
		return err_set(err, "--file needs a path");
	if (!path)
		return 0;
	if (cli_hash_file(hex, path, err) != 0)
		return -1;
	char *id = strdup(hex);
	if (!id)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < used; i++)
		free(words[i]);
	words[0] = id;
	memmove(words + 1, words + used, (*n - used) * sizeof(*words));
	*n -= used - 1;
	return 0;
}

static int run_method(const struct cliargs *a, const char *method, char **words, size_t n)
{
	char err[ERR_LEN];
	struct call_result c;
	cJSON *params;
	enum outcome o;
	char *text;

	if (cliargs_params(&params, words, n, a->named, err) != 0) {
		fprintf(stderr, "error: %s\n", err);
		return 1;
	}
	o = call(&c, a, method, params);
	cJSON_Delete(params);
	if (o != CALL_OK) {
		int status = report(&c, o);
		call_result_release(&c);
		return status;
	}
	text = cliargs_format(c.result);
	call_result_release(&c);
	if (!text) {
		fprintf(stderr, "error: out of memory\n");
		return 1;
	}
	if (*text)
		printf("%s\n", text);
	free(text);
	return 0;
}

int main(int argc, char **argv)
{
	struct cliargs a;
	char err[ERR_LEN];
	char **words = NULL;
	size_t n = 0;
	int status;

	if (cliargs_parse(&a, argc, argv, getenv("HOME"), err) != 0) {
		fprintf(stderr, "error: %s\n", err);
		return 1;
	}
	if (a.help) {
		fputs(cliargs_usage(), stdout);
		return 0;
	}
	if (a.getinfo)
		return run_getinfo(&a);
	if (a.first >= argc) {
		fprintf(stderr, "error: too few parameters (need at least METHOD; see -help)\n");
		return 1;
	}
	for (int i = a.first + 1; i < argc; i++) {
		char **grown = realloc(words, (n + 1) * sizeof(*words));
		if (!grown || !(grown[n] = strdup(argv[i]))) {
			free(grown ? grown : words);
			fprintf(stderr, "error: out of memory\n");
			return 1;
		}
		words = grown;
		n++;
	}
	if (a.use_stdin)
		words = read_stdin_words(words, &n);
	if (strcmp(argv[a.first], "verifyassetproof") == 0) {
		status = cli_verifyassetproof(words, n);
	} else if (strcmp(argv[a.first], "stamp") == 0) {
		status = cli_stamp_run(&a, words, n);
	} else if (strcmp(argv[a.first], "verifyassetownership") == 0) {
		status = cli_own_verify(words, n);
	} else if (strcmp(argv[a.first], "registerasset") == 0 && expand_file_arg(words, &n, err) != 0) {
		fprintf(stderr, "error: %s\n", err);
		status = 1;
	} else {
		status = run_method(&a, argv[a.first], words, n);
	}
	for (size_t i = 0; i < n; i++)
		free(words[i]);
	free(words);
	OPENSSL_cleanse(a.rpcpassword, sizeof(a.rpcpassword));
	return status;
}
