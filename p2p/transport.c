#include "p2p/transport.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "util/clock.h"
#include "util/log.h"

struct conn {
	struct transport *t;
	struct conn *prev, *next;
	struct bufferevent *bev;
	struct event *timer;
	enum transport_reason timer_code;
	uint64_t id;
	bool inbound, connected, closing;
	enum transport_reason code;
	char reason[ERR_LEN];
	struct net_addr addr;
	char addr_text[NET_ADDR_TEXT_LEN];
	void *user;
	struct transport_stats st;
};

struct transport {
	struct event_base *base;
	uint8_t magic[4];
	struct transport_callbacks cb;
	void *ctx;
	struct evconnlistener *listeners[TRANSPORT_MAX_LISTENERS];
	size_t n_listeners;
	struct event *reap, *tick;
	struct conn *conns;
	uint64_t last_id;
	size_t sendbuf_max;
	unsigned connect_timeout;
	/* where outgoing connections leave from, per family (ip[0..15]); a
	 * zero port-less entry with has_src false means the kernel's choice */
	struct net_addr src4, src6;
	bool has_src4, has_src6;
	uint64_t total_sent, total_recv;
	struct transport_msg_totals by_msg; /* closed connections included */
	bool freeing;
};

static const char *const reason_names[] = {
	[TRANSPORT_LOCAL] = "local",
	[TRANSPORT_PEER_CLOSED] = "peer-closed",
	[TRANSPORT_SOCKET_ERROR] = "socket-error",
	[TRANSPORT_CONNECT_FAILED] = "connect-failed",
	[TRANSPORT_CONNECT_TIMEOUT] = "connect-timeout",
	[TRANSPORT_TIMEOUT] = "timeout",
	[TRANSPORT_BAD_MAGIC] = "bad-magic",
	[TRANSPORT_BAD_COMMAND] = "bad-command",
	[TRANSPORT_OVERSIZE] = "oversize",
	[TRANSPORT_BAD_CHECKSUM] = "bad-checksum",
	[TRANSPORT_SEND_FULL] = "send-buffer-full",
	[TRANSPORT_SHUTDOWN] = "shutdown",
};

const char *transport_reason_name(enum transport_reason r)
{
	if ((size_t)r < sizeof(reason_names) / sizeof(reason_names[0]) && reason_names[r])
		return reason_names[r];
	return "unknown";
}

bool transport_reason_is_peer_fault(enum transport_reason r)
{
	return r == TRANSPORT_BAD_MAGIC || r == TRANSPORT_BAD_COMMAND || r == TRANSPORT_OVERSIZE ||
	       r == TRANSPORT_BAD_CHECKSUM;
}

/* ---- closing and reaping ---- */

/* Marks c closing: it stops reading and writing at once and the reap event
 * frees it (after on_close) when the loop next turns. The first reason
 * wins. */
static void conn_mark(struct conn *c, enum transport_reason code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void conn_mark(struct conn *c, enum transport_reason code, const char *fmt, ...)
{
	va_list ap;
	if (c->closing)
		return;
	c->closing = true;
	c->code = code;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	evtimer_del(c->timer);
	log_debug(LOG_NET, "connection %llu to %s closing: %s", (unsigned long long)c->id,
		  c->addr_text, c->reason);
	if (!c->t->freeing)
		event_active(c->t->reap, 0, 0);
}

static void conn_unlink(struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->t->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void conn_destroy(struct conn *c)
{
	if (c->timer)
		event_free(c->timer);
	if (c->bev)
		bufferevent_free(c->bev); /* closes the socket */
	free(c);
}

static struct conn *first_closing(struct transport *t)
{
	for (struct conn *c = t->conns; c; c = c->next)
		if (c->closing)
			return c;
	return NULL;
}

/* Frees every marked connection, one at a time, since on_close may mark
 * others (or open new ones). */
static void reap_all(struct transport *t)
{
	struct conn *c;
	while ((c = first_closing(t))) {
		conn_unlink(c);
		if (t->cb.on_close)
			t->cb.on_close(t->ctx, c, c->reason);
		conn_destroy(c);
	}
}

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reap_all(arg);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct transport *t = arg;
	(void)fd;
	(void)what;
	if (t->cb.on_tick)
		t->cb.on_tick(t->ctx);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	(void)what;
	conn_mark(c, c->timer_code, "%s",
		  c->timer_code == TRANSPORT_CONNECT_TIMEOUT ? "connect timeout" : "timeout");
}

static void arm_timer(struct conn *c, enum transport_reason code, unsigned seconds)
{
	struct timeval tv = { (time_t)seconds, 0 };
	c->timer_code = code;
	evtimer_add(c->timer, &tv);
}

/* ---- receiving ---- */

static enum transport_reason fault_reason(enum msg_fault f)
{
	switch (f) {
	case MSG_BAD_MAGIC: return TRANSPORT_BAD_MAGIC;
	case MSG_BAD_COMMAND: return TRANSPORT_BAD_COMMAND;
	case MSG_OVERSIZE: return TRANSPORT_OVERSIZE;
	case MSG_BAD_CHECKSUM: return TRANSPORT_BAD_CHECKSUM;
	case MSG_OK: break;
	}
	return TRANSPORT_SOCKET_ERROR;
}

static void count_recv(struct conn *c, const char *command, size_t bytes)
{
	c->st.bytes_recv += bytes;
	c->st.msgs_recv++;
	c->st.bytes_recv_per_msg[msg_command_index(command)] += bytes;
	c->st.last_recv = clock_now();
	c->t->total_recv += bytes;
	c->t->by_msg.bytes_recv[msg_command_index(command)] += bytes;
	c->t->by_msg.msgs_recv[msg_command_index(command)]++;
}

/* Delivers the frame at the front of in. Returns 1 when one was delivered,
 * 0 when it has not fully arrived, -1 when c is closing. The header is
 * checked as soon as its 24 bytes are in, so a bad one closes before its
 * payload is awaited. */
static int read_frame(struct conn *c, struct evbuffer *in)
{
	uint8_t raw[MSG_HEADER_SIZE];
	struct msg_header h;
	char err[ERR_LEN];
	enum msg_fault f;

	if (evbuffer_get_length(in) < MSG_HEADER_SIZE)
		return 0;
	if (evbuffer_copyout(in, raw, sizeof(raw)) != (ev_ssize_t)sizeof(raw))
		return 0;
	if ((f = msg_header_decode(&h, raw, c->t->magic, err)) != MSG_OK)
		goto bad;
	size_t total = MSG_HEADER_SIZE + (size_t)h.len;
	if (evbuffer_get_length(in) < total)
		return 0;
	uint8_t *frame = evbuffer_pullup(in, (ev_ssize_t)total);
	if (!frame) {
		conn_mark(c, TRANSPORT_SOCKET_ERROR, "out of memory reading a frame");
		return -1;
	}
	if ((f = msg_payload_check(&h, frame + MSG_HEADER_SIZE, h.len, err)) != MSG_OK)
		goto bad;
	count_recv(c, h.command, total);
	if (c->t->cb.on_message)
		c->t->cb.on_message(c->t->ctx, c, h.command, h.len ? frame + MSG_HEADER_SIZE : NULL,
				    h.len);
	evbuffer_drain(in, total);
	return c->closing ? -1 : 1;
bad:
	conn_mark(c, fault_reason(f), "%s", err);
	return -1;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	while (!c->closing && read_frame(c, in) == 1)
		;
}

static void set_nodelay(struct conn *c)
{
	int one = 1;
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	(void)bev;
	if (c->closing)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		c->connected = true;
		evtimer_del(c->timer);
		set_nodelay(c);
		if (c->t->cb.on_open)
			c->t->cb.on_open(c->t->ctx, c);
		return;
	}
	if (!c->connected) {
		int e = EVUTIL_SOCKET_ERROR();
		conn_mark(c, TRANSPORT_CONNECT_FAILED, "cannot connect to %s: %s", c->addr_text,
			  e ? evutil_socket_error_to_string(e) : "connection closed");
	} else if (what & BEV_EVENT_EOF) {
		conn_mark(c, TRANSPORT_PEER_CLOSED, "connection closed by peer");
	} else if (what & BEV_EVENT_ERROR) {
		conn_mark(c, TRANSPORT_SOCKET_ERROR, "socket error: %s",
			  evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	}
}

/* ---- connections ---- */

/* A new connection on fd (-1: the connect creates it), linked in. Returns
 * NULL on no memory; the caller closes fd then. */
static struct conn *conn_new(struct transport *t, evutil_socket_t fd, bool inbound,
			     const struct net_addr *a)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->t = t;
	c->inbound = inbound;
	c->addr = *a;
	net_addr_to_text(a, c->addr_text);
	c->bev = bufferevent_socket_new(t->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->timer = evtimer_new(t->base, timer_cb, c);
	if (!c->bev || !c->timer) {
		if (c->bev)
			bufferevent_setfd(c->bev, -1); /* the caller keeps fd */
		conn_destroy(c);
		return NULL;
	}
	/* Never buffer more than one whole frame of input: past it, libevent
	 * stops reading until read_frame has drained it. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, MSG_HEADER_SIZE + MSG_MAX_PAYLOAD);
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	c->id = ++t->last_id;
	c->st.conn_time = clock_now();
	c->next = t->conns;
	if (t->conns)
		t->conns->prev = c;
	t->conns = c;
	return c;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *arg)
{
	struct transport *t = arg;
	struct net_addr a;
	struct conn *c;
	(void)l;
	(void)socklen;
	if ((t->cb.accept_ok && !t->cb.accept_ok(t->ctx, sa)) ||
	    net_addr_from_sockaddr(&a, sa, NULL) != 0 || !(c = conn_new(t, fd, true, &a))) {
		evutil_closesocket(fd);
		return;
	}
	c->connected = true;
	set_nodelay(c);
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) != 0) {
		conn_mark(c, TRANSPORT_SOCKET_ERROR, "cannot enable connection events");
		return; /* never announced: the reap frees it */
	}
	if (t->cb.on_open)
		t->cb.on_open(t->ctx, c);
}

static void accept_error_cb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	/* Running out of descriptors is the usual cause; the listener keeps
	 * going and the next accept may succeed. */
	log_warn("cannot accept a connection: %s",
		 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* The source for a connection to a: the family's source, unless it is a
 * loopback address and a is not (nothing else is reachable from it). */
static const struct net_addr *source_for(const struct transport *t, const struct net_addr *a)
{
	bool v4 = net_addr_is_ipv4(a);
	const struct net_addr *src = v4 ? (t->has_src4 ? &t->src4 : NULL) : (t->has_src6 ? &t->src6 : NULL);
	if (src && net_addr_is_loopback(src) && !net_addr_is_loopback(a))
		return NULL;
	return src;
}

/* A non-blocking socket for a connection to a, bound to src's IP with
 * any port. Returns the socket, or -1 with err filled. */
static evutil_socket_t bound_socket(const struct net_addr *src, const char *text, char *err)
{
	struct sockaddr_storage ss;
	struct net_addr any_port = *src;
	any_port.port = 0;
	socklen_t len = net_addr_to_sockaddr(&any_port, &ss);
	evutil_socket_t fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		err_set(err, "cannot connect to %s: %s", text, strerror(errno));
		return -1;
	}
#ifdef IP_BIND_ADDRESS_NO_PORT
	/* the port is picked at connect(), per destination, so many sources
	 * on one machine do not exhaust the ephemeral range */
	int one = 1;
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
#endif
	if (evutil_make_socket_nonblocking(fd) != 0 || evutil_make_socket_closeonexec(fd) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) != 0) {
		char src_text[NET_ADDR_TEXT_LEN];
		net_addr_to_text(&any_port, src_text);
		err_set(err, "cannot connect to %s from %s: %s", text, src_text, strerror(errno));
		evutil_closesocket(fd);
		return -1;
	}
	return fd;
}

struct conn *transport_connect(struct transport *t, const struct net_addr *a, char *err)
{
	struct sockaddr_storage ss;
	char text[NET_ADDR_TEXT_LEN];
	struct conn *c;
	evutil_socket_t fd = -1;

	net_addr_to_text(a, text);
	if (t->freeing || a->port == 0) {
		err_set(err, "cannot connect to %s: %s", text, t->freeing ? "shutting down" : "port 0");
		return NULL;
	}
	const struct net_addr *src = source_for(t, a);
	if (src && (fd = bound_socket(src, text, err)) < 0)
		return NULL;
	if (!(c = conn_new(t, fd, false, a))) {
		if (fd >= 0)
			evutil_closesocket(fd);
		err_set(err, "cannot connect to %s: out of memory", text);
		return NULL;
	}
	socklen_t len = net_addr_to_sockaddr(a, &ss);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&ss, (int)len) != 0 ||
	    bufferevent_enable(c->bev, EV_READ | EV_WRITE) != 0) {
		err_set(err, "cannot connect to %s: %s", text, strerror(errno));
		conn_unlink(c);
		conn_destroy(c);
		return NULL;
	}
	arm_timer(c, TRANSPORT_CONNECT_TIMEOUT, t->connect_timeout);
	return c;
}

int transport_send(struct conn *c, const char *command, const uint8_t *payload, size_t len)
{
	uint8_t hdr[MSG_HEADER_SIZE];
	if (!c || c->closing || msg_header_encode(hdr, c->t->magic, command, payload, len) != 0)
		return -1;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t queued = evbuffer_get_length(out), frame = MSG_HEADER_SIZE + len;
	if (queued > c->t->sendbuf_max || frame > c->t->sendbuf_max - queued) {
		conn_mark(c, TRANSPORT_SEND_FULL, "send buffer full (%zu bytes queued)", queued);
		return -1;
	}
	if (evbuffer_add(out, hdr, sizeof(hdr)) != 0 || (len && evbuffer_add(out, payload, len) != 0)) {
		conn_mark(c, TRANSPORT_SOCKET_ERROR, "out of memory queueing '%s'", command);
		return -1;
	}
	c->st.bytes_sent += frame;
	c->st.msgs_sent++;
	c->st.bytes_sent_per_msg[msg_command_index(command)] += frame;
	c->st.last_send = clock_now();
	c->t->total_sent += frame;
	c->t->by_msg.bytes_sent[msg_command_index(command)] += frame;
	c->t->by_msg.msgs_sent[msg_command_index(command)]++;
	return 0;
}

void transport_close(struct conn *c, const char *reason)
{
	if (c)
		conn_mark(c, TRANSPORT_LOCAL, "%s", reason ? reason : "closed");
}

void transport_set_timeout(struct conn *c, unsigned seconds)
{
	if (!c || c->closing)
		return;
	evtimer_del(c->timer);
	if (seconds)
		arm_timer(c, TRANSPORT_TIMEOUT, seconds);
}

/* ---- the transport ---- */

void transport_free(struct transport *t)
{
	if (!t)
		return;
	t->freeing = true;
	for (size_t i = 0; i < t->n_listeners; i++)
		evconnlistener_free(t->listeners[i]);
	t->n_listeners = 0;
	for (struct conn *c = t->conns; c; c = c->next)
		conn_mark(c, TRANSPORT_SHUTDOWN, "shutting down");
	reap_all(t);
	if (t->reap)
		event_free(t->reap);
	if (t->tick)
		event_free(t->tick);
	free(t);
}

struct transport *transport_new(struct event_base *base, const uint8_t magic[4],
				const struct transport_callbacks *cb, void *ctx, char *err)
{
	struct transport *t = calloc(1, sizeof(*t));
	if (!t) {
		err_set(err, "cannot create transport: out of memory");
		return NULL;
	}
	t->base = base;
	memcpy(t->magic, magic, 4);
	if (cb)
		t->cb = *cb;
	t->ctx = ctx;
	t->sendbuf_max = TRANSPORT_SENDBUF_DEFAULT;
	t->connect_timeout = TRANSPORT_CONNECT_TIMEOUT_DEFAULT;
	t->reap = event_new(base, -1, 0, reap_cb, t);
	t->tick = event_new(base, -1, EV_PERSIST, tick_cb, t);
	struct timeval second = { 1, 0 };
	if (!t->reap || !t->tick || event_add(t->tick, &second) != 0) {
		transport_free(t);
		err_set(err, "cannot create transport: out of memory");
		return NULL;
	}
	return t;
}

void transport_set_sendbuf_max(struct transport *t, size_t bytes)
{
	t->sendbuf_max = bytes;
}

void transport_set_connect_timeout(struct transport *t, unsigned seconds)
{
	t->connect_timeout = seconds ? seconds : 1;
}

void transport_set_source(struct transport *t, const struct net_addr *src)
{
	if (net_addr_is_ipv4(src)) {
		t->src4 = *src;
		t->has_src4 = true;
	} else {
		t->src6 = *src;
		t->has_src6 = true;
	}
}

int transport_listen(struct transport *t, const char *bind_addr, char *err)
{
	struct net_addr a;
	struct sockaddr_storage ss;
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;

	if (t->n_listeners == TRANSPORT_MAX_LISTENERS)
		return err_set(err, "cannot listen on '%.64s': too many listeners", bind_addr);
	if (net_addr_parse(&a, bind_addr, 0, err) != 0)
		return -1;
	socklen_t len = net_addr_to_sockaddr(&a, &ss);
	if (!net_addr_is_ipv4(&a))
		flags |= LEV_OPT_BIND_IPV6ONLY;
	struct evconnlistener *l = evconnlistener_new_bind(t->base, accept_cb, t, flags, -1,
							   (struct sockaddr *)&ss, (int)len);
	if (!l)
		return err_set(err, "cannot listen on '%.64s': %s", bind_addr, strerror(errno));
	evconnlistener_set_error_cb(l, accept_error_cb);
	t->listeners[t->n_listeners++] = l;
	return 0;
}

uint16_t transport_listen_port(const struct transport *t)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct net_addr a;
	if (t->n_listeners == 0)
		return 0;
	if (getsockname(evconnlistener_get_fd(t->listeners[0]), (struct sockaddr *)&ss, &len) != 0 ||
	    net_addr_from_sockaddr(&a, (struct sockaddr *)&ss, NULL) != 0)
		return 0;
	return a.port;
}

size_t transport_conn_count(const struct transport *t)
{
	size_t n = 0;
	for (const struct conn *c = t->conns; c; c = c->next)
		n += !c->closing;
	return n;
}

void transport_totals(const struct transport *t, uint64_t *sent, uint64_t *recv)
{
	*sent = t->total_sent;
	*recv = t->total_recv;
}

void transport_msg_totals(const struct transport *t, struct transport_msg_totals *out)
{
	*out = t->by_msg;
}

/* ---- per connection ---- */

uint64_t transport_conn_id(const struct conn *c)
{
	return c->id;
}

bool transport_conn_inbound(const struct conn *c)
{
	return c->inbound;
}

bool transport_conn_is_open(const struct conn *c)
{
	return c->connected && !c->closing;
}

const struct net_addr *transport_conn_addr(const struct conn *c)
{
	return &c->addr;
}

const char *transport_conn_addr_text(const struct conn *c)
{
	return c->addr_text;
}

void transport_conn_stats(const struct conn *c, struct transport_stats *out)
{
	*out = c->st;
	out->sendq = evbuffer_get_length(bufferevent_get_output(c->bev));
}

enum transport_reason transport_close_code(const struct conn *c)
{
	return c->code;
}

void transport_conn_set_user(struct conn *c, void *user)
{
	c->user = user;
}

void *transport_conn_user(const struct conn *c)
{
	return c->user;
}
