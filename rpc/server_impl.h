/* What the server's two files share and nobody else sees.
 *
 *   server.c    the HTTP side: evhttp, the allow-list, authentication
 *               (through rpc/auth.h), replies, work after a reply, deferral to the
 *               workers, draining at shut-down
 *   dispatch.c  JSON-RPC: the method tables, parsing, params and named
 *               args, batches, help, replies, and the helpers handlers use
 *
 * Included by those files only; the API is server.h. */
#ifndef CAIRN_RPC_SERVER_IMPL_H
#define CAIRN_RPC_SERVER_IMPL_H

#include "chain/hash.h"
#include "rpc/prom.h"
#include "rpc/server.h"

#define RPC_MAX_ALLOW 64
#define WALLET_PATH "/wallet/" /* the wallet endpoint's prefix */

struct rpc_entry; /* a registered method, dispatch.c's */

struct rpc_subnet {
	int family;
	uint8_t addr[16];
	uint8_t mask[16];
};

/* Work a handler asked to run once its reply is out (rpc_server_after_reply). */
struct rpc_after {
	void (*fn)(void *arg);
	void *arg;
};

/* The connections that sent requests lately: a lone client is answered
 * inline (the lowest latency); only when several are active at once do
 * deferrable handlers hand their work to the workers. */
#define RPC_RECENT_CLIENTS 8

struct rpc_recent_client {
	const void *conn;
	uint64_t at;
};

#define RPC_MAX_ROUTES 8

struct rpc_route {
	const char *path;
	const char *name;
	bool auth;
	rpc_route_fn fn;
	void *ctx;
};

struct rpc_server {
	struct evhttp *http;
	struct rpc_after pending; /* asked for by the running handler */
	struct rpc_after armed;	  /* waiting for its reply to be written */
	struct evhttp_request *armed_req;
	size_t writing;		  /* replies handed to evhttp, not yet written */
	bool draining;		  /* shutting down: new requests get 503 */
	struct workq *workq;	  /* where deferred handlers do their slow part */
	struct rpc_recent_client recent[RPC_RECENT_CLIENTS]; /* who asked lately */
	bool deferred_v2;	  /* the request just deferred: its version and id */
	cJSON *deferred_id;
	struct event *after_timer;
	struct rpc_entry *methods;
	size_t n_methods;
	struct rpc_subnet allow[RPC_MAX_ALLOW + 2];
	size_t n_allow;
	struct rpc_auth *auth;	  /* who may call, and what */
	struct rpc_route routes[RPC_MAX_ROUTES];
	size_t n_routes;
	size_t max_body;
	uint16_t port;
	bool loopback_only;	  /* every listener on a loopback address */
	struct rpc_active_call active[RPC_MAX_ACTIVE]; /* the handlers running */
	size_t n_active;
};

/* A handler's request to finish on a worker (rpc_defer), for the single
 * HTTP request being dispatched. */
struct rpc_defer_slot {
	bool deferred;
	void (*work)(void *arg);
	int (*done)(void *arg, bool ran, cJSON **result, struct rpc_error *e);
	void *arg;
};

/* ---- dispatch.c ---- */

/* Registers `help`. 0, or -1 with err filled. */
int rpc_dispatch_add_builtins(struct rpc_server *srv, char *err) WUR;
/* rpc_server_handle_body's dispatch, for a request to the wallet endpoint
 * of wallet (NULL: to /). slot (NULL: none) lets a handler
 * defer: then the answer is NULL with *http_status 0, and srv->deferred_v2
 * and srv->deferred_id keep what the reply will need. */
char *rpc_dispatch_body(struct rpc_server *srv, const char *wallet, const char *body, size_t len,
			int *http_status, struct rpc_defer_slot *slot);
/* Builds {"jsonrpc":"2.0","result"|"error":...,"id":...} or the 1.0 form
 * {"result":...,"error":...,"id":...}; takes result. NULL on no memory. */
cJSON *rpc_dispatch_reply(bool v2, cJSON *result, const struct rpc_error *e, const cJSON *id);
/* The reply's text with Bitcoin Core's final newline (free() it); NULL on
 * no memory or a NULL reply. */
char *rpc_dispatch_print(cJSON *reply);
/* Bitcoin Core's HTTP status for a single 1.0-style reply with error code
 * code (0: none). */
int rpc_dispatch_status(int code);

#endif
