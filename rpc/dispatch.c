#include "rpc/server_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/amount.h"
#include "rpc/openrpc.h"
#include "rpc/schema.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

/* JSON-RPC without HTTP: the method tables, a request's parsing and its
 * params, batches, help and the replies; and the helpers handlers use. */

#define RPC_MAX_ARGS 16

/* A registered method with its argument names split out of args. */
struct rpc_entry {
	const struct rpc_method *m;
	void *ctx;
	rpc_route route; /* NULL: every call gets ctx */
	size_t n_args;
	size_t n_required;
	char names[RPC_MAX_ARGS][48];
	/* Calls and their time on the loop (the handler's run; a deferred
	 * call's work on a worker is not in it), for GET /metrics. */
	uint64_t calls;
	struct prom_hist latency;
};

int rpc_error_set(struct rpc_error *e, int code, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		e->code = code;
		va_start(ap, fmt);
		vsnprintf(e->message, sizeof(e->message), fmt, ap);
		va_end(ap);
	}
	return -1;
}

int rpc_oom(struct rpc_error *e)
{
	return rpc_error_set(e, RPC_OUT_OF_MEMORY, "Out of memory");
}

int rpc_result(cJSON **result, cJSON *v, struct rpc_error *e)
{
	*result = v;
	return v ? 0 : rpc_oom(e);
}

int rpc_result_if(cJSON **result, cJSON *v, bool ok, struct rpc_error *e)
{
	if (ok)
		return rpc_result(result, v, e);
	cJSON_Delete(v);
	*result = NULL;
	return rpc_oom(e);
}

cJSON *rpc_json_if(cJSON *v, bool ok)
{
	if (ok)
		return v;
	cJSON_Delete(v);
	return NULL;
}

bool rpc_array_add(cJSON *arr, cJSON *item)
{
	if (item && cJSON_AddItemToArray(arr, item))
		return true;
	cJSON_Delete(item);
	return false;
}

int rpc_result_array(cJSON **result, const void *items, size_t n, size_t size, cJSON *(*to_json)(const void *item),
		     struct rpc_error *e)
{
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (size_t i = 0; ok && i < n; i++)
		ok = rpc_array_add(arr, to_json((const char *)items + i * size));
	return rpc_result_if(result, arr, ok, e);
}

/* ---- handlers that finish off the loop (rpc_defer) ---- */

/* The slot of the request being dispatched, NULL when it may not defer. */
static struct rpc_defer_slot *defer_slot;

bool rpc_defer(void (*work)(void *arg), int (*done)(void *arg, bool ran, cJSON **result, struct rpc_error *e),
	       void *arg)
{
	if (!defer_slot || defer_slot->deferred)
		return false;
	defer_slot->deferred = true;
	defer_slot->work = work;
	defer_slot->done = done;
	defer_slot->arg = arg;
	return true;
}

/* ---- method table ---- */

static bool valid_name(const char *s, size_t n)
{
	if (n == 0 || n >= 48)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* A method name: words as valid_name's, joined by single dots (OpenRPC
 * reserves "rpc." for rpc.discover). */
static bool valid_method_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= 48 || s[0] == '.' || s[n - 1] == '.' || strstr(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '.' && !valid_name(s + i, 1))
			return false;
	return true;
}

/* Reads the names out of args (rpc/schema.h's notation: "blockhash:hash
 * [verbosity:int=1]"); required ones must come first, so that a positional
 * call can always leave optional ones off. */
static int entry_parse_args(struct rpc_entry *en, const char *args, char *err)
{
	const char *p = args ? args : "";
	struct rpc_schema_param sp;
	char why[ERR_LEN];
	int rc;

	while ((rc = rpc_schema_next_param(&p, &sp, why)) == 1) {
		if (en->n_args == RPC_MAX_ARGS)
			return err_set(err, "cannot register '%s': too many args", en->m->name);
		if (!sp.optional && en->n_required < en->n_args)
			return err_set(err, "cannot register '%s': required arg after optional",
				       en->m->name);
		memcpy(en->names[en->n_args], sp.name, sp.name_len);
		en->names[en->n_args][sp.name_len] = '\0';
		for (size_t i = 0; i < en->n_args; i++)
			if (strcmp(en->names[i], en->names[en->n_args]) == 0)
				return err_set(err, "cannot register '%s': arg '%s' twice",
					       en->m->name, en->names[i]);
		en->n_args++;
		en->n_required += !sp.optional;
	}
	if (rc < 0)
		return err_set(err, "cannot register '%s': bad args '%s': %s", en->m->name, args, why);
	return 0;
}

/* The row's types, defaults and error codes, checked once here so that
 * rpc.discover never meets a malformed one. */
static int entry_check_schema(const struct rpc_method *m, char *err)
{
	cJSON *d = rpc_openrpc_method(m, err);
	cJSON_Delete(d);
	return d ? 0 : -1;
}

bool rpc_server_method_stats(const struct rpc_server *srv, size_t i, struct rpc_method_stats *out)
{
	if (i >= srv->n_methods)
		return false;
	const struct rpc_entry *en = &srv->methods[i];
	*out = (struct rpc_method_stats){ en->m->name, en->calls, &en->latency };
	return true;
}

size_t rpc_server_active(const struct rpc_server *srv, struct rpc_active_call *out, size_t max)
{
	size_t n = srv->n_active < max ? srv->n_active : max;
	memcpy(out, srv->active, n * sizeof(*out));
	return n;
}

static const struct rpc_entry *find_method(const struct rpc_server *srv, const char *name)
{
	for (size_t i = 0; i < srv->n_methods; i++)
		if (strcmp(srv->methods[i].m->name, name) == 0)
			return &srv->methods[i];
	return NULL;
}

int rpc_server_add_methods(struct rpc_server *srv, const struct rpc_method *table,
			   size_t n, void *ctx, char *err)
{
	return rpc_server_add_routed_methods(srv, table, n, NULL, ctx, err);
}

int rpc_server_add_routed_methods(struct rpc_server *srv, const struct rpc_method *table, size_t n, rpc_route route,
				  void *ctx, char *err)
{
	struct rpc_entry *grown;
	size_t base = srv->n_methods;

	if (n > RPC_MAX_METHODS - base)
		return err_set(err, "cannot register methods: more than %d", RPC_MAX_METHODS);
	grown = realloc(srv->methods, (base + n + 1) * sizeof(*grown));
	if (!grown)
		return err_set(err, "cannot register methods: out of memory");
	srv->methods = grown;
	for (size_t i = 0; i < n; i++) {
		struct rpc_entry *en = &grown[base + i];
		const char *name = table[i].name;
		memset(en, 0, sizeof(*en));
		prom_hist_init(&en->latency);
		en->m = &table[i];
		en->ctx = ctx;
		en->route = route;
		if (!name || !valid_method_name(name) || !table[i].fn ||
		    !table[i].category || !valid_name(table[i].category, strlen(table[i].category)))
			return err_set(err, "cannot register method '%s': bad entry",
				       name ? name : "(null)");
		if (entry_parse_args(en, table[i].args, err) != 0 || entry_check_schema(&table[i], err) != 0)
			return -1;
		/* srv->n_methods is unchanged so far: duplicates within the table
		 * are found by the loop over base..i. */
		if (find_method(srv, name))
			return err_set(err, "cannot register method '%s': registered twice", name);
		for (size_t j = base; j < base + i; j++)
			if (strcmp(grown[j].m->name, name) == 0)
				return err_set(err, "cannot register method '%s': registered twice", name);
	}
	srv->n_methods = base + n;
	return 0;
}

/* ---- param helpers ---- */

const cJSON *rpc_param(const cJSON *params, size_t i)
{
	const cJSON *v;
	if (!cJSON_IsArray(params) || i > (size_t)INT32_MAX)
		return NULL;
	v = cJSON_GetArrayItem(params, (int)i);
	return cJSON_IsNull(v) ? NULL : v;
}

int rpc_param_str(const char **out, const cJSON *params, size_t i, const char *name,
		  bool required, struct rpc_error *e)
{
	const cJSON *v = rpc_param(params, i);
	*out = NULL;
	if (!v)
		return required ? rpc_error_set(e, RPC_INVALID_PARAMETER,
						"Missing parameter '%s'", name) : 0;
	if (!cJSON_IsString(v))
		return rpc_error_set(e, RPC_TYPE_ERROR, "Parameter '%s' must be a string", name);
	*out = v->valuestring;
	return 0;
}

int rpc_param_int(int64_t *out, const cJSON *params, size_t i, const char *name,
		  int64_t def, int64_t min, int64_t max, struct rpc_error *e)
{
	const cJSON *v = rpc_param(params, i);
	double d;
	*out = 0;
	if (!v) {
		if (def < min || def > max)
			return rpc_error_set(e, RPC_INVALID_PARAMETER, "Missing parameter '%s'", name);
		*out = def;
		return 0;
	}
	if (!cJSON_IsNumber(v))
		return rpc_error_set(e, RPC_TYPE_ERROR, "Parameter '%s' must be a number", name);
	d = v->valuedouble;
	/* ±2^53: past it a double no longer holds every integer. */
	if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Parameter '%s' must be an integer",
				     name);
	if ((int64_t)d < min || (int64_t)d > max)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Parameter '%s' out of range", name);
	*out = (int64_t)d;
	return 0;
}

int rpc_param_bool(bool *out, const cJSON *params, size_t i, const char *name, bool def,
		   struct rpc_error *e)
{
	const cJSON *v = rpc_param(params, i);
	*out = def;
	if (!v)
		return 0;
	if (!cJSON_IsBool(v)) {
		*out = false;
		return rpc_error_set(e, RPC_TYPE_ERROR, "Parameter '%s' must be a boolean", name);
	}
	*out = cJSON_IsTrue(v);
	return 0;
}

int rpc_param_amount(int64_t *out, const cJSON *params, size_t i, const char *name,
		     struct rpc_error *e)
{
	char why[ERR_LEN];
	const cJSON *v = rpc_param(params, i);
	*out = 0;
	if (!v)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Missing parameter '%s'", name);
	if (amount_from_json(out, v, why) != 0)
		return rpc_error_set(e, RPC_TYPE_ERROR, "%s", why);
	return 0;
}

/* ---- help ---- */

static void put_str(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static void put_usage(struct buf *b, const struct rpc_entry *en)
{
	put_str(b, en->m->name);
	for (size_t i = 0; i < en->n_args; i++) {
		bool opt = i >= en->n_required;
		buf_u8(b, ' ');
		if (opt)
			buf_u8(b, '[');
		put_str(b, en->names[i]);
		if (opt)
			buf_u8(b, ']');
	}
}

static int cmp_entry(const void *a, const void *b)
{
	const struct rpc_entry *x = *(const struct rpc_entry *const *)a;
	const struct rpc_entry *y = *(const struct rpc_entry *const *)b;
	int c = strcmp(x->m->category, y->m->category);
	return c ? c : strcmp(x->m->name, y->m->name);
}

static int cmp_row_name(const void *a, const void *b)
{
	return strcmp((*(const struct rpc_method *const *)a)->name, (*(const struct rpc_method *const *)b)->name);
}

/* "== Blockchain ==" sections as Bitcoin Core prints them, sorted by
 * category and then name. */
static void put_index(struct buf *b, const struct rpc_server *srv)
{
	const struct rpc_entry **sorted = malloc(srv->n_methods * sizeof(*sorted));
	const char *cat = NULL;

	if (!sorted) {
		b->failed = true;
		return;
	}
	for (size_t i = 0; i < srv->n_methods; i++)
		sorted[i] = &srv->methods[i];
	qsort(sorted, srv->n_methods, sizeof(*sorted), cmp_entry);
	for (size_t i = 0; i < srv->n_methods; i++) {
		if (!cat || strcmp(cat, sorted[i]->m->category) != 0) {
			cat = sorted[i]->m->category;
			put_str(b, i ? "\n== " : "== ");
			buf_u8(b, (uint8_t)(cat[0] >= 'a' && cat[0] <= 'z' ? cat[0] - 32 : cat[0]));
			put_str(b, cat + 1);
			put_str(b, " ==\n");
		}
		put_usage(b, sorted[i]);
		buf_u8(b, '\n');
	}
	free(sorted);
}

static int rpc_help(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	const struct rpc_server *srv = ctx;
	const char *name;
	struct buf b = BUF_INIT;

	if (rpc_param_str(&name, params, 0, "command", false, e))
		return -1;
	if (!name) {
		put_index(&b, srv);
	} else {
		const struct rpc_entry *en = find_method(srv, name);
		if (!en)
			return rpc_error_set(e, RPC_INVALID_PARAMETER, "Help: unknown command '%s'",
					     name);
		put_usage(&b, en);
		put_str(&b, "\n\n");
		put_str(&b, en->m->help ? en->m->help : "");
	}
	buf_u8(&b, '\0');
	cJSON *v = buf_ok(&b) ? cJSON_CreateString((const char *)b.data) : NULL;
	buf_release(&b);
	return rpc_result(result, v, e);
}

/* rpc.discover: the OpenRPC document of every registered method, in
 * name order, built from the same rows as help. */
static int rpc_discover(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	const struct rpc_server *srv = ctx;
	const struct rpc_method **rows = malloc((srv->n_methods + 1) * sizeof(*rows));
	char why[ERR_LEN];

	(void)params;
	if (!rows)
		return rpc_oom(e);
	for (size_t i = 0; i < srv->n_methods; i++)
		rows[i] = srv->methods[i].m;
	qsort(rows, srv->n_methods, sizeof(*rows), cmp_row_name);
	cJSON *doc = rpc_openrpc_document(rows, srv->n_methods, why);
	free(rows);
	if (!doc)
		return strstr(why, "memory") ? rpc_oom(e) : rpc_error_set(e, RPC_INTERNAL_ERROR, "%s", why);
	return rpc_result(result, doc, e);
}

static const struct rpc_method builtin_methods[] = {
	{ "help", "control", "[command:str (the command to explain)]",
	  "Lists every command, or shows the help of one.\n"
	  "Arguments: command (string, optional): the command to explain.",
	  rpc_help, "str", "-8" },
	{ "rpc.discover", "control", "",
	  "Returns the OpenRPC 1.2.6 document of every method: parameters, results and errors (docs/rpc.md).",
	  rpc_discover, "{openrpc:str,info:{title:str,description:str,version:str},methods:[{name:str,...}],...}", NULL },
};

int rpc_dispatch_add_builtins(struct rpc_server *srv, char *err)
{
	return rpc_server_add_methods(srv, builtin_methods, sizeof(builtin_methods) / sizeof(builtin_methods[0]), srv,
				      err);
}

/* ---- dispatch ---- */

/* One parsed request object. */
struct rpc_call {
	const cJSON *id; /* NULL: none given */
	bool v2;
	const char *method;
	const cJSON *params; /* array, object or NULL */
};

static int call_parse(struct rpc_call *c, const cJSON *req, struct rpc_error *e)
{
	const cJSON *ver, *method;

	memset(c, 0, sizeof(*c));
	if (!cJSON_IsObject(req))
		return rpc_error_set(e, RPC_INVALID_REQUEST, "Invalid request object");
	c->id = cJSON_GetObjectItemCaseSensitive(req, "id");
	ver = cJSON_GetObjectItemCaseSensitive(req, "jsonrpc");
	if (ver && !cJSON_IsNull(ver)) {
		/* Some old documentation put "1.0" here; it means the legacy form. */
		if (!cJSON_IsString(ver) || (strcmp(ver->valuestring, "2.0") != 0 &&
					      strcmp(ver->valuestring, "1.0") != 0))
			return rpc_error_set(e, RPC_INVALID_REQUEST, "JSON-RPC version not supported");
		c->v2 = strcmp(ver->valuestring, "2.0") == 0;
	}
	method = cJSON_GetObjectItemCaseSensitive(req, "method");
	if (!cJSON_IsString(method))
		return rpc_error_set(e, RPC_INVALID_REQUEST, "Method must be a string");
	c->method = method->valuestring;
	c->params = cJSON_GetObjectItemCaseSensitive(req, "params");
	if (cJSON_IsNull(c->params))
		c->params = NULL;
	if (c->params && !cJSON_IsArray(c->params) && !cJSON_IsObject(c->params))
		return rpc_error_set(e, RPC_INVALID_REQUEST, "Params must be an array or object");
	return 0;
}

static int arg_index(const struct rpc_entry *en, const char *name)
{
	for (size_t i = 0; i < en->n_args; i++)
		if (strcmp(en->names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Places named params at their declared positions, null in the gaps and
 * nothing after the last one given. */
static int map_named(cJSON **out, const struct rpc_entry *en, const cJSON *obj,
		     struct rpc_error *e)
{
	const cJSON *given[RPC_MAX_ARGS] = { 0 };
	const cJSON *kv;
	int last = -1;

	cJSON_ArrayForEach(kv, obj) {
		int i = arg_index(en, kv->string);
		if (i < 0)
			return rpc_error_set(e, RPC_INVALID_PARAMETER, "Unknown named parameter '%s'",
					     kv->string);
		if (given[i])
			return rpc_error_set(e, RPC_INVALID_PARAMETER,
					     "Parameter '%s' specified multiple times", kv->string);
		given[i] = kv;
		last = i > last ? i : last;
	}
	if (!(*out = cJSON_CreateArray()))
		return rpc_oom(e);
	for (int i = 0; i <= last; i++) {
		cJSON *v = given[i] ? cJSON_Duplicate(given[i], true) : cJSON_CreateNull();
		if (!v || !cJSON_AddItemToArray(*out, v)) {
			cJSON_Delete(v);
			return rpc_oom(e);
		}
	}
	return 0;
}

static int check_count(const struct rpc_entry *en, const cJSON *params, struct rpc_error *e)
{
	size_t n = (size_t)cJSON_GetArraySize(params);
	struct buf b = BUF_INIT;

	if (n >= en->n_required && n <= en->n_args)
		return 0;
	put_usage(&b, en);
	buf_u8(&b, '\0');
	rpc_error_set(e, RPC_INVALID_PARAMS, "Wrong number of parameters (%zu); usage: %s", n,
		      buf_ok(&b) ? (const char *)b.data : en->m->name);
	buf_release(&b);
	return -1;
}

/* The handler's ctx for a call to the wallet endpoint of wallet (NULL: to
 * /) into *ctx: the table's, or what its route picks. 0, or -1 with e
 * filled when the route picks none. */
static int call_ctx(void **ctx, const struct rpc_entry *en, const char *wallet, struct rpc_error *e)
{
	*ctx = en->ctx;
	if (en->route && !(*ctx = en->route(en->ctx, wallet, e)))
		return e->code ? -1 : rpc_error_set(e, RPC_INTERNAL_ERROR, "Internal error");
	return 0;
}

/* Runs one parsed call of en; *result is the handler's on success. */
static int call_run(const struct rpc_entry *en, const struct rpc_call *c, const char *wallet, cJSON **result,
		    struct rpc_error *e)
{
	cJSON *owned = NULL;
	const cJSON *params = c->params;
	int rc;

	if (cJSON_IsObject(params)) {
		if (map_named(&owned, en, params, e) != 0) {
			cJSON_Delete(owned);
			return -1;
		}
		params = owned;
	} else if (!params) {
		params = owned = cJSON_CreateArray();
		if (!owned)
			return rpc_oom(e);
	}
	rc = check_count(en, params, e);
	if (rc == 0) {
		e->code = 0;
		e->message[0] = '\0';
		void *ctx;
		rc = call_ctx(&ctx, en, wallet, e) == 0 ? en->m->fn(ctx, params, result, e) : -1;
		if (rc == RPC_DEFERRED && defer_slot && defer_slot->deferred) {
			cJSON_Delete(owned);
			return RPC_DEFERRED;
		}
		rc = rc == 0 ? 0 : -1;
		if (rc != 0 && e->code == 0)
			rpc_error_set(e, RPC_INTERNAL_ERROR, "Internal error");
		if (rc != 0) {
			cJSON_Delete(*result);
			*result = NULL;
		}
	}
	cJSON_Delete(owned);
	return rc;
}

/* Runs one parsed call and counts it for its method, whatever its outcome
 * (a refused argument included); unknown methods are not counted, so no
 * client can grow the table. */
static int call_exec(struct rpc_server *srv, const struct rpc_call *c, const char *wallet, cJSON **result,
		     struct rpc_error *e)
{
	const struct rpc_entry *en = find_method(srv, c->method);
	*result = NULL;
	if (!en)
		return rpc_error_set(e, RPC_METHOD_NOT_FOUND, "Method not found");
	size_t i = (size_t)(en - srv->methods); /* the table may grow meanwhile */
	uint64_t t = clock_mono_us();
	size_t slot = srv->n_active;
	if (slot < RPC_MAX_ACTIVE)
		srv->active[srv->n_active++] = (struct rpc_active_call){ en->m->name, t };
	int rc = call_run(en, c, wallet, result, e);
	if (slot < RPC_MAX_ACTIVE)
		srv->n_active = slot;
	srv->methods[i].calls++;
	prom_hist_observe(&srv->methods[i].latency, clock_mono_us() - t);
	return rc;
}

/* The one place an error message leaves the server, so the one place it
 * is capitalised, as Bitcoin Core's are ("Block not found"): text worded
 * below rpc/ is lowercase by util/err.h's convention and reaches the
 * caller through here. A refused transaction's message (-25, -26) starts
 * with the verdict's reject string ("bad-txns-sig"), an identifier that
 * callers match as it is, so it goes out untouched. */
/* A message that starts with a reject string (a hyphenated identifier
 * such as bad-txns-sig) goes out as it is, so callers can match it. */
static bool starts_with_reject(const char *m)
{
	size_t word = strcspn(m, " (:,");
	return memchr(m, '-', word) != NULL;
}

static void capitalise(char out[ERR_LEN], const struct rpc_error *e)
{
	snprintf(out, ERR_LEN, "%s", e->message);
	if (!starts_with_reject(out) && out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

/* Builds {"jsonrpc":"2.0","result"|"error":...,"id":...} or the 1.0 form
 * {"result":...,"error":...,"id":...}; takes result. NULL on no memory. */
cJSON *rpc_dispatch_reply(bool v2, cJSON *result, const struct rpc_error *e, const cJSON *id)
{
	cJSON *r = cJSON_CreateObject();
	cJSON *err = NULL;
	bool ok = r != NULL;

	if (e) {
		char message[ERR_LEN];
		capitalise(message, e);
		err = cJSON_CreateObject();
		ok = ok && err && cJSON_AddNumberToObject(err, "code", e->code) &&
		     cJSON_AddStringToObject(err, "message", message);
	}
	if (ok && v2)
		ok = cJSON_AddStringToObject(r, "jsonrpc", "2.0") != NULL;
	if (ok && (!v2 || !e)) {
		cJSON *res = result ? result : cJSON_CreateNull();
		result = NULL;
		ok = res && cJSON_AddItemToObject(r, "result", res);
	}
	if (ok && (!v2 || e)) {
		cJSON *ev = err ? err : cJSON_CreateNull();
		err = NULL;
		ok = ev && cJSON_AddItemToObject(r, "error", ev);
	}
	if (ok) {
		cJSON *idv = id ? cJSON_Duplicate(id, true) : cJSON_CreateNull();
		ok = idv && cJSON_AddItemToObject(r, "id", idv);
	}
	cJSON_Delete(result);
	cJSON_Delete(err);
	return rpc_json_if(r, ok);
}

/* Answers one request object. *silent: a well-formed 2.0 notification,
 * which gets no reply whatever happens. *code: the error code, 0 if none. */
static cJSON *answer_one(struct rpc_server *srv, const char *wallet, const cJSON *req, bool batch_elem,
			 bool *silent, bool *v2, int *code)
{
	struct rpc_call c;
	struct rpc_error e = { 0, "" };
	cJSON *result = NULL;
	int rc = call_parse(&c, req, &e);

	/* Outside an object we cannot know the version; in a batch JSON-RPC
	 * 2.0 is the only one that has batches. */
	if (rc != 0 && !cJSON_IsObject(req))
		c.v2 = batch_elem;
	*silent = rc == 0 && c.v2 && !c.id;
	if (rc == 0) {
		/* bounded: the name is the client's */
		log_debug(LOG_RPC, "rpc call %.64s%s", c.method, *silent ? " (notification)" : "");
		rc = call_exec(srv, &c, wallet, &result, &e);
		if (rc == RPC_DEFERRED) {
			*v2 = c.v2;
			*code = 0;
			return NULL;
		}
	}
	*code = rc == 0 ? 0 : e.code;
	*v2 = c.v2;
	if (*silent) {
		cJSON_Delete(result);
		return NULL;
	}
	return rpc_dispatch_reply(c.v2, result, rc == 0 ? NULL : &e, c.id);
}

/* Bitcoin Core's HTTP status for a single 1.0-style error reply. */
int rpc_dispatch_status(int code)
{
	if (code == 0)
		return 200;
	if (code == RPC_INVALID_REQUEST)
		return 400;
	if (code == RPC_METHOD_NOT_FOUND)
		return 404;
	return 500;
}

static cJSON *answer_batch(struct rpc_server *srv, const char *wallet, const cJSON *arr, int *status)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *req;

	struct rpc_defer_slot *saved = defer_slot;
	*status = 200;
	if (!out)
		return NULL;
	defer_slot = NULL;
	cJSON_ArrayForEach(req, arr) {
		bool silent, v2;
		int code;
		cJSON *r = answer_one(srv, wallet, req, true, &silent, &v2, &code);
		if (silent)
			continue;
		if (!r || !cJSON_AddItemToArray(out, r)) {
			cJSON_Delete(r);
			cJSON_Delete(out);
			defer_slot = saved;
			return NULL;
		}
	}
	defer_slot = saved;
	if (cJSON_GetArraySize(out) == 0)
		*status = 204;
	return out;
}

char *rpc_dispatch_print(cJSON *reply)
{
	/* Bitcoin Core ends every reply with a newline; clients expect it. */
	char *text = reply ? cJSON_PrintUnformatted(reply) : NULL;
	char *out = NULL;

	if (text) {
		size_t n = strlen(text);
		out = malloc(n + 2);
		if (out) {
			memcpy(out, text, n);
			memcpy(out + n, "\n", 2);
		}
	}
	cJSON_free(text);
	return out;
}

/* A reply to a request we could not even read as one. */
static char *answer_bad(bool v2, int code, const char *msg, int *status)
{
	struct rpc_error e;
	cJSON *r;
	char *text;

	rpc_error_set(&e, code, "%s", msg);
	r = rpc_dispatch_reply(v2, NULL, &e, NULL);
	text = rpc_dispatch_print(r);
	cJSON_Delete(r);
	*status = text ? (v2 ? 200 : rpc_dispatch_status(code)) : 500;
	return text;
}

static char *dispatch_body(struct rpc_server *srv, const char *wallet, const char *body, size_t len,
			   int *http_status)
{
	const char *end = NULL;
	cJSON *req = body ? cJSON_ParseWithLengthOpts(body, len, &end, false) : NULL;
	cJSON *reply = NULL;
	char *text;

	/* cJSON stops at the value's end: anything but whitespace after it is
	 * as malformed as a broken value. */
	if (req)
		while (end < body + len && strchr(" \t\r\n", *end) && *end)
			end++;
	if (!req || end != body + len) {
		cJSON_Delete(req);
		/* Bitcoin Core answers a parse error with HTTP 500. */
		return answer_bad(false, RPC_PARSE_ERROR, "Parse error", http_status);
	}
	if (cJSON_IsArray(req)) {
		if (cJSON_GetArraySize(req) == 0) {
			cJSON_Delete(req);
			return answer_bad(true, RPC_INVALID_REQUEST, "Empty batch", http_status);
		}
		reply = answer_batch(srv, wallet, req, http_status);
	} else if (cJSON_IsObject(req)) {
		bool silent, v2;
		int code;
		reply = answer_one(srv, wallet, req, false, &silent, &v2, &code);
		if (defer_slot && defer_slot->deferred) {
			/* The handler finishes later: keep what the reply needs. */
			*http_status = 0;
			srv->deferred_v2 = v2;
			srv->deferred_id = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(req, "id"), true);
			cJSON_Delete(req);
			return NULL;
		}
		/* 2.0 errors travel in the body; 1.0 ones also in the status. */
		*http_status = silent ? 204 : v2 ? 200 : rpc_dispatch_status(code);
	} else {
		cJSON_Delete(req);
		return answer_bad(false, RPC_INVALID_REQUEST, "Request must be an object or array",
				  http_status);
	}
	cJSON_Delete(req);
	if (*http_status == 204) {
		cJSON_Delete(reply);
		return NULL;
	}
	text = rpc_dispatch_print(reply);
	cJSON_Delete(reply);
	if (!text)
		*http_status = 500;
	return text;
}

char *rpc_dispatch_body(struct rpc_server *srv, const char *wallet, const char *body, size_t len,
			int *http_status, struct rpc_defer_slot *slot)
{
	struct rpc_defer_slot *saved = defer_slot;
	defer_slot = slot;
	char *text = dispatch_body(srv, wallet, body, len, http_status);
	defer_slot = saved;
	return text;
}
