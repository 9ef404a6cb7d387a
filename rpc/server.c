#include "rpc/server_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "rpc/workq.h"
#include "util/clock.h"
#include "util/hex.h"
#include "util/log.h"

/* The HTTP side of the server: evhttp on the node's loop, who may call
 * (the allow-list, then rpc/auth.c), replies and the work
 * that waits for them, handing slow handlers to the workers, and draining
 * at shut-down. The JSON-RPC itself is dispatch.c's. */

#define RPC_MAX_BIND 16
#define RPC_MAX_HEADERS 8192 /* Bitcoin Core's limit on header bytes */
#define RPC_AFTER_REPLY_FALLBACK 2 /* seconds */
#define RECENT_WINDOW_US 20000

/* ---- work after a reply ---- */

static void run_after(struct rpc_after *a)
{
	struct rpc_after job = *a;
	memset(a, 0, sizeof(*a));
	if (job.fn)
		job.fn(job.arg);
}

char *rpc_server_handle_body(struct rpc_server *srv, const char *body, size_t len,
			     int *http_status)
{
	char *text = rpc_dispatch_body(srv, NULL, body, len, http_status, NULL);
	run_after(&srv->pending); /* no HTTP: the reply is out as we return it */
	return text;
}

void rpc_server_after_reply(struct rpc_server *srv, void (*fn)(void *arg), void *arg)
{
	srv->pending.fn = fn;
	srv->pending.arg = arg;
}

/* evhttp calls this once a reply is fully written (not when the client
 * vanished first: the fallback timer and the drain limit cover that). */
static void on_reply_written(struct evhttp_request *req, void *arg)
{
	struct rpc_server *srv = arg;
	if (srv->writing)
		srv->writing--;
	if (req != srv->armed_req)
		return;
	srv->armed_req = NULL;
	if (srv->after_timer)
		evtimer_del(srv->after_timer);
	run_after(&srv->armed);
}

static void on_after_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct rpc_server *srv = arg;
	(void)fd;
	(void)what;
	srv->armed_req = NULL;
	run_after(&srv->armed);
}

/* The reply is written later, on the loop; evhttp tells us when. A client
 * that drops the connection first would leave us waiting forever, hence
 * the timer. */
static void arm_after(struct rpc_server *srv, struct evhttp_request *req)
{
	struct timeval tv = { RPC_AFTER_REPLY_FALLBACK, 0 };

	run_after(&srv->armed); /* an older one still waiting: run it now */
	srv->armed = srv->pending;
	srv->armed_req = req;
	memset(&srv->pending, 0, sizeof(srv->pending));
	if (srv->after_timer)
		evtimer_add(srv->after_timer, &tv);
}

/* ---- who may call ---- */

static int prefix_from_mask(const uint8_t *mask, int bytes)
{
	int bits = 0;
	bool zeros = false;
	for (int i = 0; i < bytes * 8; i++) {
		bool one = (mask[i / 8] >> (7 - i % 8)) & 1;
		if (one && zeros)
			return -1; /* not contiguous */
		zeros = !one;
		bits += one;
	}
	return bits;
}

static int parse_prefix(const char *s, int max)
{
	int v = 0;
	if (!*s || strlen(s) > 3)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v <= max ? v : -1;
}

/* "1.2.3.4", "1.2.3.0/24", "1.2.3.0/255.255.255.0", "fd00::/8". */
static int subnet_parse(struct rpc_subnet *sn, const char *s, char *err)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	int bytes, prefix;

	memset(sn, 0, sizeof(*sn));
	if (hl == 0 || hl >= sizeof(host))
		return err_set(err, "invalid rpcallowip '%s'", s);
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, sn->addr) == 1)
		sn->family = AF_INET;
	else if (inet_pton(AF_INET6, host, sn->addr) == 1)
		sn->family = AF_INET6;
	else
		return err_set(err, "invalid rpcallowip '%s': not an address", s);
	bytes = sn->family == AF_INET ? 4 : 16;
	prefix = bytes * 8;
	if (slash) {
		uint8_t mask[4];
		if (sn->family == AF_INET && strchr(slash + 1, '.'))
			prefix = inet_pton(AF_INET, slash + 1, mask) == 1 ? prefix_from_mask(mask, 4) : -1;
		else
			prefix = parse_prefix(slash + 1, bytes * 8);
		if (prefix < 0)
			return err_set(err, "invalid rpcallowip '%s': bad netmask", s);
	}
	for (int i = 0; i < bytes; i++) {
		int ones = prefix - i * 8;
		sn->mask[i] = ones >= 8 ? 0xff : ones <= 0 ? 0 : (uint8_t)(0xff << (8 - ones));
		sn->addr[i] &= sn->mask[i];
	}
	return 0;
}

static bool subnet_match(const struct rpc_subnet *sn, int family, const uint8_t *addr)
{
	int bytes = family == AF_INET ? 4 : 16;
	if (sn->family != family)
		return false;
	for (int i = 0; i < bytes; i++)
		if ((addr[i] & sn->mask[i]) != sn->addr[i])
			return false;
	return true;
}

/* Fills peer with the printable address; false when it is not allowed. */
static bool peer_allowed(const struct rpc_server *srv, struct evhttp_request *req, char *peer,
			 size_t len)
{
	struct evhttp_connection *con = evhttp_request_get_connection(req);
	const struct sockaddr *sa = con ? evhttp_connection_get_addr(con) : NULL;
	uint8_t addr[16];
	int family;

	snprintf(peer, len, "?");
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		family = AF_INET;
		memcpy(addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		family = AF_INET6;
		memcpy(addr, a6, 16);
		if (IN6_IS_ADDR_V4MAPPED(a6)) { /* an IPv4 client on a dual-stack socket */
			family = AF_INET;
			memmove(addr, addr + 12, 4);
		}
	} else {
		return false;
	}
	inet_ntop(family, addr, peer, (socklen_t)len);
	for (size_t i = 0; i < srv->n_allow; i++)
		if (subnet_match(&srv->allow[i], family, addr))
			return true;
	return false;
}

static int allow_setup(struct rpc_server *srv, const struct rpc_config *cfg, char *err)
{
	if (cfg->n_allow > RPC_MAX_ALLOW)
		return err_set(err, "too many rpcallowip entries (at most %d)", RPC_MAX_ALLOW);
	/* Loopback is always allowed, as in Bitcoin Core. */
	if (subnet_parse(&srv->allow[0], "127.0.0.0/8", err) != 0 ||
	    subnet_parse(&srv->allow[1], "::1", err) != 0)
		return -1;
	srv->n_allow = 2;
	for (size_t i = 0; i < cfg->n_allow; i++)
		if (subnet_parse(&srv->allow[srv->n_allow++], cfg->allow[i], err) != 0)
			return -1;
	return 0;
}

/* ---- HTTP ---- */

static void send_text(struct rpc_server *srv, struct evhttp_request *req, int status, const char *reason,
		      const char *text)
{
	if (text)
		evbuffer_add(evhttp_request_get_output_buffer(req), text, strlen(text));
	srv->writing++;
	evhttp_request_set_on_complete_cb(req, on_reply_written, srv);
	evhttp_send_reply(req, status, reason, NULL);
}

static const char *reason_for(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	default: return "Internal Server Error";
	}
}

/* A deferred call: its work runs on a worker, its done back on the loop,
 * then the reply goes out unless the client left meanwhile. */
struct deferred {
	struct rpc_server *srv;
	struct evhttp_request *req; /* NULL once the connection closed */
	bool v2;
	cJSON *id;
	struct rpc_defer_slot slot;
};

static void on_deferred_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct deferred *d = arg;
	(void)evcon;
	d->req = NULL;
}

static void deferred_work(void *arg)
{
	struct deferred *d = arg;
	d->slot.work(d->slot.arg);
}

static void deferred_done(void *arg, bool ran)
{
	struct deferred *d = arg;
	struct rpc_error e = { 0, "" };
	cJSON *result = NULL;
	int rc = d->slot.done(d->slot.arg, ran, &result, &e) == 0 ? 0 : -1;
	if (rc != 0 && e.code == 0)
		rpc_error_set(&e, RPC_INTERNAL_ERROR, "Internal error");
	if (rc != 0) {
		cJSON_Delete(result);
		result = NULL;
	}
	if (d->req) {
		cJSON *reply = rpc_dispatch_reply(d->v2, result, rc == 0 ? NULL : &e, d->id);
		char *text = rpc_dispatch_print(reply);
		int status = !text ? 500 : d->v2 ? 200 : rpc_dispatch_status(rc == 0 ? 0 : e.code);
		result = NULL;
		cJSON_Delete(reply);
		evhttp_connection_set_closecb(evhttp_request_get_connection(d->req), NULL, NULL);
		evhttp_add_header(evhttp_request_get_output_headers(d->req), "Content-Type", "application/json");
		send_text(d->srv, d->req, status, reason_for(status), text);
		free(text);
	}
	cJSON_Delete(result);
	cJSON_Delete(d->id);
	free(d);
}

static void start_deferred(struct rpc_server *srv, struct evhttp_request *req, const struct rpc_defer_slot *slot)
{
	struct deferred *d = calloc(1, sizeof(*d));
	cJSON *id = srv->deferred_id;
	srv->deferred_id = NULL;
	if (!d) {
		cJSON *res = NULL;
		struct rpc_error e = { 0, "" };
		slot->done(slot->arg, false, &res, &e); /* lets the handler free its state */
		cJSON_Delete(res);
		cJSON_Delete(id);
		send_text(srv, req, 500, "Internal Server Error", NULL);
		return;
	}
	d->srv = srv;
	d->req = req;
	d->v2 = srv->deferred_v2;
	d->id = id;
	d->slot = *slot;
	if (workq_submit(srv->workq, deferred_work, deferred_done, d) != 0) {
		/* Not queued (no memory, or no pool): do the work here, on the loop. */
		deferred_work(d);
		deferred_done(d, true);
		return;
	}
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_deferred_conn_closed, d);
	log_debug(LOG_RPC, "rpc call handed to a worker (%zu waiting)", workq_pending(srv->workq));
}

static bool several_after(const struct rpc_server *srv, size_t from, const void *conn, uint64_t now)
{
	for (size_t i = from; i < RPC_RECENT_CLIENTS; i++)
		if (srv->recent[i].conn && srv->recent[i].conn != conn && now - srv->recent[i].at < RECENT_WINDOW_US)
			return true;
	return false;
}

/* Records this request's connection; true when another connection also
 * sent a request within the window. */
static bool several_clients(struct rpc_server *srv, const void *conn)
{
	uint64_t now = clock_mono_us();
	bool others = false;
	size_t oldest = 0;
	for (size_t i = 0; i < RPC_RECENT_CLIENTS; i++) {
		struct rpc_recent_client *c = &srv->recent[i];
		if (c->conn && c->conn != conn && now - c->at < RECENT_WINDOW_US)
			others = true;
		if (c->conn == conn) {
			c->at = now;
			return others || several_after(srv, i + 1, conn, now);
		}
		if (c->at < srv->recent[oldest].at)
			oldest = i;
	}
	srv->recent[oldest].conn = conn;
	srv->recent[oldest].at = now;
	return others;
}

static void serve_body(struct rpc_server *srv, struct evhttp_request *req, const char *wallet, const char *peer,
		       const char *user)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *body = len ? (const char *)evbuffer_pullup(in, -1) : NULL;
	int status = 500;
	char *text;

	/* evhttp refuses oversize bodies itself; this guards a chunked one. */
	if (len > srv->max_body) {
		send_text(srv, req, 413, "Payload Too Large", NULL);
		return;
	}
	char method[64];
	if (!rpc_auth_permits(srv->auth, user, body, len, method, sizeof(method))) {
		log_info("RPC user %s from %s not allowed to call %s%s", user, peer, *method ? "method " : "any method",
			 method);
		send_text(srv, req, 403, "Forbidden", NULL);
		return;
	}
	log_debug(LOG_RPC, "rpc request from %s: %zu bytes", peer, len);
	struct rpc_defer_slot slot = { 0 };
	bool busy = several_clients(srv, evhttp_request_get_connection(req));
	text = rpc_dispatch_body(srv, wallet, body, len, &status, busy && srv->workq && !srv->draining ? &slot : NULL);
	if (slot.deferred) {
		start_deferred(srv, req, &slot);
		return;
	}
	if (srv->pending.fn)
		arm_after(srv, req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	log_debug(LOG_RPC, "rpc reply to %s: %d, %zu bytes", peer, status, text ? strlen(text) : 0);
	send_text(srv, req, status, reason_for(status), text);
	free(text);
}

/* ---- routes outside JSON-RPC ---- */

void rpc_server_no_delay(struct evhttp_request *req)
{
	struct evhttp_connection *con = evhttp_request_get_connection(req);
	struct bufferevent *bev = con ? evhttp_connection_get_bufferevent(con) : NULL;
	int one = 1;
	if (bev && bufferevent_getfd(bev) >= 0)
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int rpc_server_route(struct rpc_server *srv, const char *path, const char *name, bool auth, rpc_route_fn fn,
		     void *ctx, char *err)
{
	if (srv->n_routes == RPC_MAX_ROUTES)
		return err_set(err, "cannot serve %s: too many routes", path);
	srv->routes[srv->n_routes++] = (struct rpc_route){ path, name, auth, fn, ctx };
	return 0;
}

static const struct rpc_route *find_route(const struct rpc_server *srv, const char *path)
{
	for (size_t i = 0; path && i < srv->n_routes; i++) {
		const struct rpc_route *r = &srv->routes[i];
		size_t n = strlen(r->path);
		if (r->path[n - 1] == '/' ? strncmp(path, r->path, n) == 0 : strcmp(path, r->path) == 0)
			return r;
	}
	return NULL;
}

static bool authenticate(struct rpc_server *srv, struct evhttp_request *req, const char *peer,
			 char user[RPC_AUTH_MAX_USER])
{
	if (rpc_auth_check(srv->auth, evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization"),
			   user))
		return true;
	log_debug(LOG_RPC, "rpc request from %s refused: not authenticated", peer);
	evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Basic realm=\"jsonrpc\"");
	send_text(srv, req, 401, "Unauthorized", NULL);
	return false;
}

static void serve_route(struct rpc_server *srv, struct evhttp_request *req, const struct rpc_route *r,
			const char *peer)
{
	char user[RPC_AUTH_MAX_USER];
	if (r->auth && !authenticate(srv, req, peer, user))
		return;
	if (r->auth && !rpc_auth_may(srv->auth, user, r->name)) {
		log_info("RPC user %s from %s not allowed to read %s", user, peer, r->name);
		send_text(srv, req, 403, "Forbidden", NULL);
		return;
	}
	r->fn(r->ctx, req);
}

/* Every HTTP request lands here, on the loop. Checks run cheapest and least
 * revealing first; the Authorization header is never logged. */
static void on_request(struct evhttp_request *req, void *arg)
{
	struct rpc_server *srv = arg;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const char *path;
	char peer[INET6_ADDRSTRLEN + 1];

	if (srv->draining) {
		send_text(srv, req, 503, "Service Unavailable", NULL);
		return;
	}
	if (!peer_allowed(srv, req, peer, sizeof(peer))) {
		log_debug(LOG_RPC, "rpc request from %s refused: address not allowed", peer);
		send_text(srv, req, 403, "Forbidden", NULL);
		return;
	}
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	const struct rpc_route *route = find_route(srv, path);
	if (route) {
		serve_route(srv, req, route, peer);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(out, "Allow", "POST");
		send_text(srv, req, 405, "Method Not Allowed", "JSONRPC server handles only POST requests");
		return;
	}
	char user[RPC_AUTH_MAX_USER];
	if (!authenticate(srv, req, peer, user))
		return;
	if (!path || !*path || strcmp(path, "/") == 0) {
		serve_body(srv, req, NULL, peer, user);
		return;
	}
	/* Bitcoin Core's wallet endpoint: /wallet/NAME, the name URL-encoded.
	 * A name that decodes to a NUL byte ("a%00b") names no wallet: it
	 * would otherwise read as a shorter name. */
	size_t len = 0;
	char *wallet = strncmp(path, WALLET_PATH, strlen(WALLET_PATH)) == 0
			       ? evhttp_uridecode(path + strlen(WALLET_PATH), 0, &len)
			       : NULL;
	if (wallet && strlen(wallet) != len) {
		free(wallet);
		wallet = NULL;
	}
	if (!wallet) {
		send_text(srv, req, 404, "Not Found", NULL);
		return;
	}
	serve_body(srv, req, wallet, peer, user);
	free(wallet);
}

/* "host", "host:port", "[v6]", "[v6]:port", or a bare IPv6 address. */
static int bind_parse(char *host, size_t hlen, uint16_t *port, const char *s, char *err)
{
	const char *colon = NULL, *h = s;
	size_t n;

	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || (close[1] && close[1] != ':'))
			return err_set(err, "invalid rpcbind '%s'", s);
		h = s + 1;
		n = (size_t)(close - h);
		colon = close[1] ? close + 1 : NULL;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* bare IPv6 */
		n = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (n == 0 || n >= hlen)
		return err_set(err, "invalid rpcbind '%s'", s);
	memcpy(host, h, n);
	host[n] = '\0';
	if (colon) {
		int p = 0;
		const char *d = colon + 1;
		if (!*d || strlen(d) > 5)
			return err_set(err, "invalid rpcbind '%s': bad port", s);
		for (; *d; d++) {
			if (*d < '0' || *d > '9')
				return err_set(err, "invalid rpcbind '%s': bad port", s);
			p = p * 10 + (*d - '0');
		}
		if (p > 65535)
			return err_set(err, "invalid rpcbind '%s': bad port", s);
		*port = (uint16_t)p;
	}
	return 0;
}

static uint16_t bound_port(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) != 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
static bool bound_loopback(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) != 0)
		return false;
	if (ss.ss_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss.ss_family == AF_INET6) {
		const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

static int http_setup(struct rpc_server *srv, struct event_base *base,
		      const struct rpc_config *cfg, char *err)
{
	static const char *const loopback[] = { "127.0.0.1" };
	const char *const *binds = cfg->n_bind ? cfg->bind : loopback;
	size_t n_bind = cfg->n_bind ? cfg->n_bind : 1;

	if (n_bind > RPC_MAX_BIND)
		return err_set(err, "too many rpcbind entries (at most %d)", RPC_MAX_BIND);
	if (!(srv->http = evhttp_new(base)) ||
	    !(srv->after_timer = evtimer_new(base, on_after_timeout, srv)))
		return err_set(err, "cannot start rpc server: out of memory");
	if (!(srv->workq = workq_new(base, cfg->pool, err)))
		return -1;
	evhttp_set_max_body_size(srv->http, (ev_ssize_t)srv->max_body);
	evhttp_set_max_headers_size(srv->http, RPC_MAX_HEADERS);
	evhttp_set_timeout(srv->http, cfg->timeout > 0 ? cfg->timeout : RPC_DEFAULT_TIMEOUT);
	evhttp_set_default_content_type(srv->http, "application/json");
	/* Let every method through to on_request, which answers 405 itself. */
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						      EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						      EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
						      EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(srv->http, on_request, srv);
	srv->loopback_only = true;
	for (size_t i = 0; i < n_bind; i++) {
		char host[256];
		uint16_t port = cfg->port;
		struct evhttp_bound_socket *bs;
		if (bind_parse(host, sizeof(host), &port, binds[i], err) != 0)
			return -1;
		bs = evhttp_bind_socket_with_handle(srv->http, host, port);
		if (!bs)
			return err_set(err, "cannot bind rpc to '%s' port %u: %s", host, port,
				       strerror(errno));
		if (i == 0)
			srv->port = bound_port(bs);
		srv->loopback_only = srv->loopback_only && bound_loopback(bs);
		log_info("rpc listening on %s port %u", host, i == 0 ? srv->port : port);
	}
	return 0;
}

/* ---- life cycle ---- */

struct rpc_server *rpc_server_new(struct event_base *base, const struct rpc_config *cfg,
				  char *err)
{
	struct rpc_server *srv = calloc(1, sizeof(*srv));

	if (!srv) {
		err_set(err, "cannot start rpc server: out of memory");
		return NULL;
	}
	srv->max_body = cfg && cfg->max_body ? cfg->max_body : RPC_DEFAULT_MAX_BODY;
	if (rpc_dispatch_add_builtins(srv, err) != 0)
		goto fail;
	if (!base)
		return srv;
	if (!cfg) {
		err_set(err, "cannot start rpc server: no configuration");
		goto fail;
	}
	if (allow_setup(srv, cfg, err) != 0 || !(srv->auth = rpc_auth_new(&cfg->auth, err)) ||
	    http_setup(srv, base, cfg, err) != 0)
		goto fail;
	return srv;
fail:
	rpc_server_free(srv);
	return NULL;
}

void rpc_server_free(struct rpc_server *srv)
{
	if (!srv)
		return;
	workq_free(srv->workq);
	cJSON_Delete(srv->deferred_id);
	if (srv->http)
		evhttp_free(srv->http);
	if (srv->after_timer)
		event_free(srv->after_timer);
	rpc_auth_free(srv->auth);
	free(srv->methods);
	free(srv);
}

bool rpc_server_loopback_only(const struct rpc_server *srv)
{
	return srv && srv->http && srv->loopback_only;
}

uint16_t rpc_server_port(const struct rpc_server *srv)
{
	return srv ? srv->port : 0;
}

void rpc_server_drain(struct rpc_server *srv, struct event_base *base, unsigned timeout_ms)
{
	uint64_t waited = 0;
	if (!srv || !base)
		return;
	srv->draining = true;
	while ((srv->writing > 0 || workq_pending(srv->workq) > 0) && waited < (uint64_t)timeout_ms * 1000) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (srv->writing > 0 || workq_pending(srv->workq) > 0) {
			usleep(1000);
			waited += 1000;
		}
	}
}
