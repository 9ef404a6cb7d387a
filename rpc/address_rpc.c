#include "rpc/address_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/address.h"
#include "rpc/txjson.h"

/* What every address method reads from its first parameter: one address
 * string, or {"addresses": [...], "start", "end", "limit", "offset"}. */
struct query {
	uint8_t (*addrs)[20];
	size_t n;
	uint32_t start, end;
	/* Paging over the answer's entries in their order: skip offset, then
	 * at most limit (SIZE_MAX: all). */
	size_t offset, limit;
};

static void query_release(struct query *q)
{
	free(q->addrs);
	q->addrs = NULL;
}

static int add_address(struct query *q, const struct chain_params *p, const cJSON *v, struct rpc_error *e)
{
	uint8_t h[20];
	char err[ERR_LEN];
	if (!cJSON_IsString(v) || address_decode(h, p->hrp, v->valuestring, err) != 0)
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "Invalid address");
	for (size_t i = 0; i < q->n; i++)
		if (memcmp(q->addrs[i], h, 20) == 0)
			return 0; /* named twice: counted once */
	memcpy(q->addrs[q->n++], h, 20);
	return 0;
}

/* A non-negative integer member of the query object, def when absent. */
static int member_uint(uint64_t *out, const cJSON *obj, const char *name, uint64_t def, uint64_t max,
		       struct rpc_error *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	*out = def;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble)
		return rpc_error_set(e, RPC_TYPE_ERROR, "%s is expected to be an integer", name);
	if (v->valuedouble < 0 || v->valuedouble > (double)max)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "%s is out of range", name);
	*out = (uint64_t)v->valuedouble;
	return 0;
}

static int read_range(struct query *q, const cJSON *obj, struct rpc_error *e)
{
	uint64_t start, end, offset, limit;
	if (member_uint(&start, obj, "start", 0, UINT32_MAX, e) != 0 ||
	    member_uint(&end, obj, "end", UINT32_MAX, UINT32_MAX, e) != 0 ||
	    member_uint(&offset, obj, "offset", 0, SIZE_MAX >> 1, e) != 0 ||
	    member_uint(&limit, obj, "limit", SIZE_MAX >> 1, SIZE_MAX >> 1, e) != 0)
		return -1;
	if (end < start)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "End value is expected to be greater than start");
	q->start = (uint32_t)start;
	q->end = (uint32_t)end;
	q->offset = (size_t)offset;
	q->limit = limit == SIZE_MAX >> 1 ? SIZE_MAX : (size_t)limit;
	return 0;
}

static int read_addresses(struct query *q, const struct chain_params *p, const cJSON *arg, struct rpc_error *e)
{
	const cJSON *list = cJSON_IsString(arg) ? NULL : cJSON_GetObjectItemCaseSensitive(arg, "addresses");
	size_t n = list ? (size_t)cJSON_GetArraySize(list) : 1;
	if (!cJSON_IsString(arg) && !cJSON_IsArray(list))
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "Addresses is expected to be an array");
	if (n == 0 || n > ADDRINDEX_MAX_ADDRS)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "between 1 and %d addresses are expected",
				     ADDRINDEX_MAX_ADDRS);
	if (!(q->addrs = malloc(n * sizeof(*q->addrs))))
		return rpc_oom(e);
	if (!list)
		return add_address(q, p, arg, e);
	const cJSON *v;
	cJSON_ArrayForEach(v, list)
		if (add_address(q, p, v, e) != 0)
			return -1;
	return 0;
}

/* The index must be on, and at the tip: a half-built index would answer
 * wrong amounts, not missing ones. */
static int need_index(struct address_rpc *r, bool built, struct rpc_error *e)
{
	if (!r->ai)
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY,
				     "No information available for address: the address index is not enabled "
				     "(start cairnd with -addressindex)");
	if (!built || addrindex_synced(r->ai))
		return 0;
	struct block_index *best = addrindex_best(r->ai);
	return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY,
			     "No information available for address: the address index is still being built "
			     "(block %lld of %u)",
			     best ? (long long)best->height : -1LL, chainstate_tip(r->cs)->height);
}

static int read_query(struct address_rpc *r, struct query *q, const cJSON *params, bool built,
		      struct rpc_error *e)
{
	const cJSON *arg = rpc_param(params, 0);
	memset(q, 0, sizeof(*q));
	q->end = UINT32_MAX;
	q->limit = SIZE_MAX;
	if (need_index(r, built, e) != 0)
		return -1;
	if (!arg || (!cJSON_IsString(arg) && !cJSON_IsObject(arg)))
		return rpc_error_set(e, RPC_TYPE_ERROR, "an address or {\"addresses\": [...]} is expected");
	if (read_addresses(q, chainstate_params(r->cs), arg, e) != 0 ||
	    (cJSON_IsObject(arg) && read_range(q, arg, e) != 0)) {
		query_release(q);
		return -1;
	}
	return 0;
}

/* The next entry's place in the page: -1 before it (skip), 0 in it, 1
 * past it (stop). */
static int page(struct query *q, size_t *seen)
{
	size_t i = (*seen)++;
	if (i < q->offset)
		return -1;
	return i - q->offset < q->limit ? 0 : 1;
}

/* The page of the n items (size bytes each) that q asks for, as an array
 * of to_json's answers. */
static int page_result(cJSON **result, const struct query *q, const void *items, size_t n, size_t size,
		       const struct chain_params *p, cJSON *(*to_json)(const struct chain_params *, const void *),
		       struct rpc_error *e)
{
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (size_t i = q->offset; ok && i < n && i - q->offset < q->limit; i++)
		ok = rpc_array_add(arr, to_json(p, (const char *)items + i * size));
	return rpc_result_if(result, arr, ok, e);
}

static cJSON *units(int64_t v)
{
	char text[24];
	snprintf(text, sizeof(text), "%lld", (long long)v);
	return cJSON_CreateRaw(text);
}

static bool add(cJSON *obj, const char *name, cJSON *item)
{
	if (item && cJSON_AddItemToObject(obj, name, item))
		return true;
	cJSON_Delete(item);
	return false;
}

static bool add_addr(cJSON *obj, const struct chain_params *p, const uint8_t h[20])
{
	char a[ADDRESS_MAX_LEN + 1];
	txjson_address(a, sizeof(a), p, h);
	return cJSON_AddStringToObject(obj, "address", a) != NULL;
}

/* --- deltas and txids: one merged walk of the index --- */

struct walk {
	struct address_rpc *r;
	struct query *q;
	cJSON *out;
	size_t seen;
	bool txids;
	bool have_last;
	uint8_t last[32];
};

static cJSON *delta_json(const struct chain_params *p, const struct addrindex_delta *d)
{
	cJSON *j = cJSON_CreateObject();
	bool ok = j && add(j, "satoshis", units(d->amount)) && add(j, "txid", txjson_hash(d->txid)) &&
		  cJSON_AddNumberToObject(j, "index", d->index) && cJSON_AddNumberToObject(j, "blockindex", d->pos) &&
		  cJSON_AddNumberToObject(j, "height", d->height) && add_addr(j, p, d->addr);
	return rpc_json_if(j, ok);
}

static int walk_one(void *ctx, const struct addrindex_delta *d)
{
	struct walk *w = ctx;
	if (w->txids) {
		/* One transaction's entries are next to each other in the
		 * walk: its position is a single key. */
		if (w->have_last && memcmp(w->last, d->txid, 32) == 0)
			return 0;
		memcpy(w->last, d->txid, 32);
		w->have_last = true;
	}
	int where = page(w->q, &w->seen);
	if (where != 0)
		return where < 0 ? 0 : 1;
	cJSON *item = w->txids ? txjson_hash(d->txid) : delta_json(chainstate_params(w->r->cs), d);
	return rpc_array_add(w->out, item) ? 0 : -1;
}

static int walk(struct address_rpc *r, const cJSON *params, bool txids, cJSON **result, struct rpc_error *e)
{
	struct query q;
	char err[ERR_LEN];
	if (read_query(r, &q, params, true, e) != 0)
		return -1;
	struct walk w = { .r = r, .q = &q, .out = cJSON_CreateArray(), .txids = txids };
	int rc = w.out ? addrindex_deltas(r->ai, (const uint8_t (*)[20])q.addrs, q.n, q.start, q.end, walk_one, &w, err)
		       : -1;
	query_release(&q);
	if (rc != 0) {
		cJSON_Delete(w.out);
		return w.out ? rpc_error_set(e, RPC_DATABASE_ERROR, "%s", err) : rpc_oom(e);
	}
	return rpc_result(result, w.out, e);
}

static int getaddresstxids(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	return walk(ctx, params, true, result, e);
}

static int getaddressdeltas(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	return walk(ctx, params, false, result, e);
}

static int getaddressbalance(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct address_rpc *r = ctx;
	struct query q;
	int64_t balance, received;
	char err[ERR_LEN];
	if (read_query(r, &q, params, true, e) != 0)
		return -1;
	int rc = addrindex_balance(r->ai, (const uint8_t (*)[20])q.addrs, q.n, &balance, &received, err);
	query_release(&q);
	if (rc != 0)
		return rpc_error_set(e, RPC_DATABASE_ERROR, "%s", err);
	cJSON *j = cJSON_CreateObject();
	bool ok = j && add(j, "balance", units(balance)) && add(j, "received", units(received));
	return rpc_result_if(result, j, ok, e);
}

static cJSON *utxo_json(const struct chain_params *p, const void *item)
{
	const struct addrindex_utxo *u = item;
	cJSON *j = cJSON_CreateObject();
	bool ok = j && add_addr(j, p, u->addr) && add(j, "txid", txjson_hash(u->txid)) &&
		  cJSON_AddNumberToObject(j, "outputIndex", u->index) && add(j, "satoshis", units(u->amount)) &&
		  cJSON_AddNumberToObject(j, "height", u->height) && cJSON_AddBoolToObject(j, "coinbase", u->coinbase);
	return rpc_json_if(j, ok);
}

static int getaddressutxos(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct address_rpc *r = ctx;
	struct query q;
	struct addrindex_utxo *u;
	size_t n;
	char err[ERR_LEN];
	if (read_query(r, &q, params, true, e) != 0)
		return -1;
	int rc = addrindex_utxos(r->ai, (const uint8_t (*)[20])q.addrs, q.n, &u, &n, err);
	if (rc != 0) {
		query_release(&q);
		return rpc_error_set(e, RPC_DATABASE_ERROR, "%s", err);
	}
	rc = page_result(result, &q, u, n, sizeof(*u), chainstate_params(r->cs), utxo_json, e);
	free(u);
	query_release(&q);
	return rc;
}

static cJSON *pending_json(const struct chain_params *p, const void *item)
{
	const struct addrindex_pending *x = item;
	cJSON *j = cJSON_CreateObject();
	bool ok = j && add_addr(j, p, x->addr) && add(j, "txid", txjson_hash(x->txid)) &&
		  cJSON_AddNumberToObject(j, "index", x->index) && add(j, "satoshis", units(x->amount)) &&
		  cJSON_AddNumberToObject(j, "timestamp", (double)x->time);
	if (ok && x->spending)
		ok = add(j, "prevtxid", txjson_hash(x->prev.txid)) && cJSON_AddNumberToObject(j, "prevout", x->prev.index);
	return rpc_json_if(j, ok);
}

/* Needs the index switched on, as the forks do, but not built: the pool
 * is read whole. */
static int getaddressmempool(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct address_rpc *r = ctx;
	struct query q;
	struct addrindex_pending *x;
	size_t n;
	char err[ERR_LEN];
	if (read_query(r, &q, params, false, e) != 0)
		return -1;
	int rc = addrindex_mempool(r->mp, r->cs, (const uint8_t (*)[20])q.addrs, q.n, &x, &n, err);
	if (rc != 0) {
		query_release(&q);
		return rpc_error_set(e, RPC_DATABASE_ERROR, "%s", err);
	}
	rc = page_result(result, &q, x, n, sizeof(*x), chainstate_params(r->cs), pending_json, e);
	free(x);
	query_release(&q);
	return rc;
}

/* --- getindexinfo --- */

static bool add_index(cJSON *j, const char *name, const char *only, bool synced, long long height)
{
	if (only && strcmp(only, name) != 0)
		return true;
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddBoolToObject(o, "synced", synced) && cJSON_AddNumberToObject(o, "best_block_height", (double)height);
	return add(j, name, rpc_json_if(o, ok));
}

/* The transaction and asset indexes are part of every connect, so they
 * are always at the tip. */
static int getindexinfo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct address_rpc *r = ctx;
	const char *only;
	if (rpc_param_str(&only, params, 0, "index_name", false, e) != 0)
		return -1;
	long long tip = chainstate_tip(r->cs)->height;
	cJSON *j = cJSON_CreateObject();
	bool ok = j && add_index(j, "txindex", only, true, tip) && add_index(j, "assetindex", only, true, tip);
	if (ok && r->ai) {
		struct block_index *best = addrindex_best(r->ai);
		ok = add_index(j, "addressindex", only, best && best->height == tip, best ? (long long)best->height : -1LL);
	}
	return rpc_result_if(result, j, ok, e);
}

#define QUERY_ARG                                                                                               \
	"addresses:{addresses:[str],start?:int,end?:int,limit?:int,offset?:int}|str (an address, or an object: "  \
	"addresses, and optionally start and end heights, inclusive, and limit and offset to page the entries)"

static const struct rpc_method methods[] = {
	{ "getaddresstxids", "addressindex", QUERY_ARG,
	  "Returns the txids of the best chain's transactions that pay or spend the addresses (-addressindex), in "
	  "block order (height, then position in the block), each once.",
	  getaddresstxids, "[hash]", "-3 -5 -8 -20" },
	{ "getaddressdeltas", "addressindex", QUERY_ARG,
	  "Returns every amount the best chain paid to (satoshis > 0, index: the output) or spent from (satoshis < 0, "
	  "index: the input) the addresses (-addressindex), in units, ordered by height, position in the block "
	  "(blockindex), index, then receipt before spend.",
	  getaddressdeltas, "[{satoshis:int,txid:hash,index:int,blockindex:int,height:int,address:str}]",
	  "-3 -5 -8 -20" },
	{ "getaddressbalance", "addressindex", QUERY_ARG,
	  "Returns the addresses' confirmed balance and everything they ever received (change included), in units "
	  "(-addressindex); start, end, limit and offset are ignored.",
	  getaddressbalance, "{balance:int,received:int}", "-3 -5 -8 -20" },
	{ "getaddressutxos", "addressindex", QUERY_ARG,
	  "Returns the addresses' unspent outputs on the best chain (-addressindex), in units, ordered by height, "
	  "position in the block, then output index; start and end are ignored.",
	  getaddressutxos,
	  "[{address:str,txid:hash,outputIndex:int,satoshis:int,height:int,coinbase:bool}]", "-3 -5 -8 -20" },
	{ "getaddressmempool", "addressindex", QUERY_ARG,
	  "Returns what the mempool's transactions pay to or spend from the addresses (-addressindex), in units, "
	  "ordered by the time the pool took them (timestamp), txid, then receipts before spends; a spend names the "
	  "output it spends (prevtxid, prevout). start and end are ignored.",
	  getaddressmempool,
	  "[{address:str,txid:hash,index:int,satoshis:int,timestamp:int,prevtxid?:hash,prevout?:int}]",
	  "-3 -5 -8 -20" },
	{ "getindexinfo", "util", "[index_name:str (only this index)]",
	  "Returns every index of the node, whether it has reached the tip and the height it has reached: txindex "
	  "and assetindex always, addressindex with -addressindex. An unknown index_name gives {}.",
	  getindexinfo, "{*:{synced:bool,best_block_height:int}}", NULL },
};

int address_rpc_register(struct rpc_server *srv, struct address_rpc *r, char *err)
{
	return rpc_server_add_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), r, err);
}
