/* The JSON-RPC server: HTTP POST through libevent's evhttp on the node's
 * event_base, Basic authentication (rpc/auth.h: cookie file, user/password,
 * hashed -rpcauth entries, per-user method whitelists), an
 * address allow-list, and dispatch of JSON-RPC 2.0 and 1.0-style requests
 * (single, batch, notification, positional or named params) to method
 * tables that each area (chain, mempool, net, wallet, ...) registers.
 * Requests go to / or to a wallet's endpoint /wallet/NAME (Bitcoin Core's
 * paths); any other path is answered 404.
 *
 * Handlers run on the event loop, one at a time, and must not block.
 *
 * A method area looks like this:
 *
 *     static int getblockhash(void *ctx, const cJSON *params, cJSON **result,
 *                             struct rpc_error *e)
 *     {
 *             int64_t height;
 *             if (rpc_param_int(&height, params, 0, "height", -1, 0, INT32_MAX, e))
 *                     return -1;
 *             ...
 *             if (!found)
 *                     return rpc_error_set(e, RPC_INVALID_PARAMETER, "block height out of range");
 *             return rpc_result(result, cJSON_CreateString(hex), e);
 *     }
 *
 *     static const struct rpc_method chain_methods[] = {
 *             { "getblockhash", "blockchain", "height:int (a best-chain height)",
 *               "Returns the hash of the best-chain block at height.", getblockhash,
 *               "hash", "-8" },
 *             { "getblock", "blockchain", "blockhash:hash [verbosity:int=1]", "...", getblock,
 *               "hex|{hash:hash,...}", "-5 -8" },
 *     };
 *     rpc_server_add_methods(srv, chain_methods, 2, chainstate, err);
 */
#ifndef CAIRN_RPC_SERVER_H
#define CAIRN_RPC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "rpc/auth.h"

struct event_base;
struct evhttp_request;
struct pool;
struct prom_hist;

/* Error codes: the JSON-RPC 2.0 ones, then Bitcoin Core's application codes
 * (src/rpc/protocol.h), with the same numbers and meanings. */
enum rpc_code {
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_INTERNAL_ERROR = -32603,
	RPC_PARSE_ERROR = -32700,

	RPC_MISC_ERROR = -1,
	RPC_TYPE_ERROR = -3,
	RPC_INVALID_ADDRESS_OR_KEY = -5,
	RPC_OUT_OF_MEMORY = -7,
	RPC_INVALID_PARAMETER = -8,
	RPC_DATABASE_ERROR = -20,
	RPC_DESERIALIZATION_ERROR = -22,
	RPC_VERIFY_ERROR = -25,
	RPC_VERIFY_REJECTED = -26,
	RPC_VERIFY_ALREADY_IN_CHAIN = -27,
	RPC_IN_WARMUP = -28,
	RPC_METHOD_DEPRECATED = -32,

	RPC_CLIENT_NOT_CONNECTED = -9,
	RPC_CLIENT_IN_INITIAL_DOWNLOAD = -10,
	RPC_CLIENT_NODE_ALREADY_ADDED = -23,
	RPC_CLIENT_NODE_NOT_ADDED = -24,
	RPC_CLIENT_NODE_NOT_CONNECTED = -29,
	RPC_CLIENT_INVALID_IP_OR_SUBNET = -30,
	RPC_CLIENT_P2P_DISABLED = -31,

	RPC_WALLET_ERROR = -4,
	RPC_WALLET_INSUFFICIENT_FUNDS = -6,
	RPC_WALLET_INVALID_LABEL_NAME = -11,
	RPC_WALLET_KEYPOOL_RAN_OUT = -12,
	RPC_WALLET_UNLOCK_NEEDED = -13,
	RPC_WALLET_PASSPHRASE_INCORRECT = -14,
	RPC_WALLET_WRONG_ENC_STATE = -15,
	RPC_WALLET_ENCRYPTION_FAILED = -16,
	RPC_WALLET_ALREADY_UNLOCKED = -17,
	RPC_WALLET_NOT_FOUND = -18,
	RPC_WALLET_NOT_SPECIFIED = -19,
	RPC_WALLET_ALREADY_LOADED = -35,
	RPC_WALLET_ALREADY_EXISTS = -36,
};

/* What a failing handler reports; the message goes to the caller with its
 * first letter capitalised (docs/rpc.md, "Errors"). */
struct rpc_error {
	int code;
	char message[ERR_LEN];
};

/* A method. params is always a JSON array (never NULL): positional params
 * as sent, or named params already placed at the positions that the
 * method's args declare, with JSON null in the gaps. An element may be
 * missing (a shorter array) or null; both mean "not given" (use rpc_param).
 * The server has already checked that the count fits args.
 *
 * On success return 0 with *result set to a new item the server takes (NULL
 * is answered as JSON null). On failure return -1 with e filled (use
 * rpc_error_set); a *result set anyway is freed. A handler that returns -1
 * without setting e->code answers RPC_INTERNAL_ERROR. */
typedef int (*rpc_handler)(void *ctx, const cJSON *params, cJSON **result,
			   struct rpc_error *e);

/* One entry of a method table. Tables are static and must outlive the
 * server; nothing is copied. One row is the method's whole description:
 * `help`, the named params and rpc.discover's OpenRPC document all come
 * from it (the notation is rpc/schema.h's).
 *   name      lowercase, unique across all tables ('.' allowed: rpc.discover)
 *   category  a lowercase word grouping `help` ("blockchain", "wallet")
 *   args      the parameters in order, each with its type, an optional one
 *             in brackets with its default, and a description:
 *             "blockhash:hash (the block) [verbosity:int=1 (0: hex)]";
 *             NULL or "" takes none. Named params map by these names;
 *             `help` shows them ("blockhash [verbosity]").
 *   help      free text for `help NAME`, after a generated usage line.
 *   result    the result's type: "hash", "{height:int,hash:hash}"; NULL: any
 *   errors    the JSON-RPC error codes the method itself answers, "-5 -8";
 *             rpc.discover adds those of the dispatcher (-32602, -32603,
 *             -7, and -3 -8 for a method with parameters). NULL: none. */
struct rpc_method {
	const char *name;
	const char *category;
	const char *args;
	const char *help;
	rpc_handler fn;
	const char *result;
	const char *errors;
};

#define RPC_DEFAULT_MAX_BODY (32u * 1024 * 1024) /* Bitcoin Core's limit */
#define RPC_DEFAULT_TIMEOUT 30			 /* seconds, idle or slow client */
#define RPC_MAX_METHODS 512

/* Server settings. Strings are read during rpc_server_new only. */
struct rpc_config {
	/* "host", "host:port" or "[v6]:port"; none: 127.0.0.1 only. */
	const char *const *bind;
	size_t n_bind;
	uint16_t port; /* for bind entries without a port; 0 = any free port */
	/* Extra allowed clients ("10.0.0.5", "10.0.0.0/8", "10.0.0.0/255.0.0.0",
	 * "fd00::/8"); 127.0.0.0/8 and ::1 are always allowed. */
	const char *const *allow;
	size_t n_allow;
	/* Credentials, -rpcauth entries and whitelists (rpc/auth.h); a cookie
	 * written is removed by rpc_server_free. */
	struct rpc_auth_config auth;
	size_t max_body; /* 0: RPC_DEFAULT_MAX_BODY; larger bodies get 413 */
	int timeout;	 /* seconds; 0: RPC_DEFAULT_TIMEOUT */
	/* The node's workers, for the slow part of calls made while others
	 * wait; NULL: every call runs on the loop. */
	struct pool *pool;
};

struct rpc_server;

/* Creates a server. With base, it binds and listens on base (which the
 * caller runs) and sets up authentication; with base NULL it is a
 * dispatcher only (rpc_server_handle_body), for tests and tools, and cfg
 * may be NULL. `help` is registered already. Returns the server (free with
 * rpc_server_free), or NULL with err filled: bad bind or allow entry,
 * address in use, cookie not writable. */
struct rpc_server *rpc_server_new(struct event_base *base,
				  const struct rpc_config *cfg, char *err) WUR;

/* Stops listening, frees everything, deletes the cookie file it wrote.
 * Takes NULL. Must not be called from inside a handler. */
void rpc_server_free(struct rpc_server *srv);

/* At shut-down, before rpc_server_free: refuses new requests (503) and
 * runs base until every reply already handed to evhttp is written, for at
 * most timeout_ms, so that a signal never cuts a reply short. */
void rpc_server_drain(struct rpc_server *srv, struct event_base *base, unsigned timeout_ms);

/* A path served outside JSON-RPC (the event stream, REST, metrics): fn
 * answers every request whose path is `path` (or starts with it, when it
 * ends with '/'), whatever its method, after the allow-list and, with
 * auth, after authentication (then a user with a whitelist needs `name`
 * on it). fn owns the reply. 0, or -1 with err filled (too many routes). */
typedef void (*rpc_route_fn)(void *ctx, struct evhttp_request *req);
int rpc_server_route(struct rpc_server *srv, const char *path, const char *name, bool auth, rpc_route_fn fn,
		     void *ctx, char *err) WUR;

/* Sends req's answer without Nagle's delay: a page of several segments
 * (a metrics page, a block over REST) would otherwise hold its last one
 * for the client's delayed ACK of those before, 40 ms on Linux. */
void rpc_server_no_delay(struct evhttp_request *req);

/* A registered method's calls since the start and their time on the loop
 * (a deferred call's work on a worker not included): for GET /metrics. */
struct rpc_method_stats {
	const char *name;
	uint64_t calls;
	const struct prom_hist *latency; /* valid while srv lives */
};
/* The i-th registered method's (from 0, in registration order; `help`
 * first): true and *out, or false past the last. On the loop only. */
bool rpc_server_method_stats(const struct rpc_server *srv, size_t i, struct rpc_method_stats *out);

/* A call running now (getrpcinfo's active_commands). */
struct rpc_active_call {
	const char *name;    /* the method's, valid while srv lives */
	uint64_t started_us; /* clock_mono_us() at its start */
};
#define RPC_MAX_ACTIVE 8 /* a batch runs its calls one after another */
/* The calls whose handlers are running on the loop now, outermost first,
 * up to max into out; returns how many. A deferred call's work on a worker
 * is not among them. On the loop only. */
size_t rpc_server_active(const struct rpc_server *srv, struct rpc_active_call *out, size_t max);

/* True when every listener is bound to a loopback address (127.0.0.0/8,
 * ::1): then only this host can connect, whatever -rpcallowip says. */
bool rpc_server_loopback_only(const struct rpc_server *srv);

/* Registers n methods of table; ctx is passed to each of their handlers.
 * Returns 0, or -1 with err filled and nothing registered (a duplicate or
 * malformed name or args, too many methods, out of memory). */
int rpc_server_add_methods(struct rpc_server *srv, const struct rpc_method *table,
			   size_t n, void *ctx, char *err) WUR;

/* Picks a routed method's ctx for one call (see
 * rpc_server_add_routed_methods): wallet is the name a request to the
 * wallet endpoint /wallet/NAME gives, URL-decoded, or NULL for a request to
 * /. Returns the ctx the handler gets, which must stay valid until the
 * handler returns, or NULL with e filled (the call's error). */
typedef void *(*rpc_route)(void *ctx, const char *wallet, struct rpc_error *e);

/* As rpc_server_add_methods, but each call's ctx is route(ctx, wallet, e):
 * how the wallet's methods reach the wallet a request names. */
int rpc_server_add_routed_methods(struct rpc_server *srv, const struct rpc_method *table, size_t n, rpc_route route,
				  void *ctx, char *err) WUR;

/* The port the first listener is bound to (the answer to port 0), 0 when
 * not listening. */
uint16_t rpc_server_port(const struct rpc_server *srv);

/* The whole JSON-RPC dispatch of one HTTP body, without HTTP: parses,
 * validates, runs handlers, builds the reply. Returns the reply text
 * (caller frees with free()) and sets *http_status: 200, or for 1.0-style
 * single requests that fail 400/404/500 as Bitcoin Core does. Returns NULL
 * with *http_status 204 when nothing is to be answered (notifications
 * only), or NULL with 500 when out of memory. */
char *rpc_server_handle_body(struct rpc_server *srv, const char *body, size_t len,
			     int *http_status);

/* Called by a handler (`stop`) that needs something done once its reply has
 * reached the client: fn(arg) runs on the loop after the reply is written
 * (at the latest 2 s later if the client vanished), or just before
 * rpc_server_handle_body returns when there is no HTTP. fn may stop the loop
 * (event_base_loopbreak) but must not free the server. One per request; a
 * server freed first drops it. */
void rpc_server_after_reply(struct rpc_server *srv, void (*fn)(void *arg), void *arg);

/* What a handler returns after a successful rpc_defer. */
#define RPC_DEFERRED 1

/* For a handler whose slow part is pure (no node state: signature checks):
 * asks the server to run work(arg) on a worker thread, then, back on the
 * loop, done(arg, ran, result, e) which answers as a handler would (0 with
 * *result, or -1 with e); ran is false when the work was dropped at
 * shut-down. done is always called exactly once and frees arg. Returns
 * true when deferred (the handler then returns RPC_DEFERRED and must not
 * touch arg again), false when deferring is not possible here (a batch, no
 * HTTP, shutting down): the handler then does the work itself. */
bool rpc_defer(void (*work)(void *arg), int (*done)(void *arg, bool ran, cJSON **result, struct rpc_error *e),
	       void *arg);

/* Fills e (which may be NULL) and returns -1, so a handler can end with
 * `return rpc_error_set(e, RPC_INVALID_PARAMETER, "...")`. */
int rpc_error_set(struct rpc_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* How a handler ends. Each returns what the handler returns: 0 with
 * *result set, or -1 with e filled. */

/* Fills e (which may be NULL) with RPC_OUT_OF_MEMORY "out of memory" and
 * returns -1. */
int rpc_oom(struct rpc_error *e);
/* Answers v: sets *result = v (the server takes it) and returns 0; a NULL
 * v is one that could not be built, answered as rpc_oom with *result NULL. */
int rpc_result(cJSON **result, cJSON *v, struct rpc_error *e) WUR;
/* For a result built in steps that each set ok: as rpc_result when ok;
 * otherwise deletes v, leaves *result NULL and answers rpc_oom. */
int rpc_result_if(cJSON **result, cJSON *v, bool ok, struct rpc_error *e) WUR;
/* Appends item to the array arr, which takes it; an item that could not be
 * built (NULL) or added is deleted and false returned, so a list is built
 * as `ok = ok && rpc_array_add(arr, entry_json(...))`. */
bool rpc_array_add(cJSON *arr, cJSON *item) WUR;
/* Answers an array of one JSON item a C element: to_json(element) for each
 * of the n elements of size bytes at items. As rpc_result_if. */
int rpc_result_array(cJSON **result, const void *items, size_t n, size_t size, cJSON *(*to_json)(const void *item),
		     struct rpc_error *e) WUR;
/* For a function that builds a JSON item in steps: v when ok, otherwise
 * deletes v and returns NULL (out of memory). */
cJSON *rpc_json_if(cJSON *v, bool ok);

/* Param helpers for handlers. "Absent" means missing or JSON null, as in
 * Bitcoin Core. Errors use Bitcoin Core's codes: -3 for a wrong JSON type,
 * -8 for a bad value, and name the parameter. */

/* The i-th param, NULL when absent. */
const cJSON *rpc_param(const cJSON *params, size_t i);
/* A string param: *out points into params, or is NULL when absent and not
 * required. Returns 0, or -1 with e filled (absent but required, not a
 * string). */
int rpc_param_str(const char **out, const cJSON *params, size_t i, const char *name,
		  bool required, struct rpc_error *e) WUR;
/* An integer param in [min, max]; def when absent (def outside [min, max]
 * makes it required). Returns 0, or -1 with e filled and *out = 0. */
int rpc_param_int(int64_t *out, const cJSON *params, size_t i, const char *name,
		  int64_t def, int64_t min, int64_t max, struct rpc_error *e) WUR;
/* A boolean param, def when absent. Returns 0, or -1 with e filled. */
int rpc_param_bool(bool *out, const cJSON *params, size_t i, const char *name,
		   bool def, struct rpc_error *e) WUR;
/* A required amount (see amount.h) in units. Returns 0, or -1 with e filled
 * (-3 as Bitcoin Core's AmountFromValue) and *out = 0. */
int rpc_param_amount(int64_t *out, const cJSON *params, size_t i, const char *name,
		     struct rpc_error *e) WUR;

#endif
