#include "rpc/events.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "util/clock.h"
#include "util/log.h"

/* A client that takes no bytes for this long is cut off. */
#define WRITE_TIMEOUT_S 60
#define MAX_QUERY 256
/* Streams are written at most once every FLUSH_US: a write per stream per
 * event would cost 100 streams a hundred writes for every transaction
 * (docs/events.md has the figures). An event after a quiet spell goes out
 * on the next turn of the loop. */
#define FLUSH_US 50000
/* Sets of topics gathered once a flush; streams with a rarer set get
 * theirs on their own. */
#define MAX_BATCHES 8

static const char *const topic_names[EVENTS_N_TOPICS] = { "block", "tip", "tx", "asset", "peer" };

struct stored {
	uint64_t seq;
	enum events_topic topic;
	char *text; /* the whole SSE record, "id: ...\n...\n\n" */
	size_t len;
};

struct client {
	struct events *ev;
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	struct evbuffer *pending; /* replayed records and comments not yet handed over */
	uint64_t cursor;	  /* the last event it was given (or is owed as a reset) */
	unsigned topics;	  /* bit per enum events_topic */
	bool dropping;	 /* too slow: the reaper closes it */
	char peer[64];
	struct client *next;
};

struct events {
	struct event_base *base;
	struct events_config cfg;
	struct stored *ring; /* cfg.replay slots, oldest at head */
	size_t head, n;
	uint64_t next_seq;
	uint64_t lost; /* the last number lost to no memory: replay across it resets */
	struct client *clients;
	size_t n_clients;
	struct event *keepalive;
	struct event *reaper;
	struct event *flusher;
	bool flush_armed;
	uint64_t last_flush_us; /* monotonic */
	uint64_t flushed;	/* every stream has been given every event up to this */
	events_observer observer;
	void *observer_ctx;
};

const char *events_topic_name(enum events_topic topic)
{
	return topic < EVENTS_N_TOPICS ? topic_names[topic] : "?";
}

/* ---- the buffer ---- */

static const struct stored *stored_at(const struct events *ev, size_t i)
{
	return &ev->ring[(ev->head + i) % ev->cfg.replay];
}

static void store(struct events *ev, uint64_t seq, enum events_topic topic, char *text, size_t len)
{
	struct stored *s;
	if (ev->n == ev->cfg.replay) {
		s = &ev->ring[ev->head];
		free(s->text);
		ev->head = (ev->head + 1) % ev->cfg.replay;
		ev->n--;
	}
	s = &ev->ring[(ev->head + ev->n) % ev->cfg.replay];
	*s = (struct stored){ .seq = seq, .topic = topic, .text = text, .len = len };
	ev->n++;
}

/* ---- clients ---- */

static struct evbuffer *client_output(const struct client *c)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->conn);
	return bev ? bufferevent_get_output(bev) : NULL;
}

static void client_unlink(struct client *c)
{
	struct events *ev = c->ev;
	for (struct client **p = &ev->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			ev->n_clients--;
			break;
		}
	if (!ev->clients)
		event_del(ev->keepalive);
}

static void client_free(struct client *c)
{
	evbuffer_free(c->pending);
	free(c);
}

/* The connection is going (the client left, timed out, or we cut it). A
 * request the connection already let go of is ours to free. */
static void on_client_close(struct evhttp_connection *conn, void *arg)
{
	struct client *c = arg;
	(void)conn;
	log_debug(LOG_RPC, "event stream to %s closed", c->peer);
	client_unlink(c);
	if (!evhttp_request_get_connection(c->req))
		evhttp_request_free(c->req);
	client_free(c);
}

/* The kernel's send buffer of a stream, which autotuning on loopback lets
 * grow to megabytes, is held to the client's own limit: otherwise a client
 * that reads nothing parks that much of the node's memory in the kernel
 * before the buffer here ever passes its limit. */
static void cap_kernel_buffer(struct bufferevent *bev, size_t limit)
{
	int fd = (int)bufferevent_getfd(bev);
	int size = limit < (size_t)INT_MAX ? (int)limit : INT_MAX;
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) != 0)
		log_debug(LOG_RPC, "event stream: cannot cap the send buffer");
}

static void arm_flush(struct events *ev)
{
	if (!ev->flush_armed) {
		uint64_t since = clock_mono_us() - ev->last_flush_us;
		struct timeval tv = { 0, since >= FLUSH_US ? 0 : (suseconds_t)(FLUSH_US - since) };
		event_add(ev->flusher, &tv);
		ev->flush_armed = true;
	}
}

static void client_send(struct client *c, const char *text, size_t len)
{
	struct evbuffer *out = client_output(c);
	size_t unsent = evbuffer_get_length(c->pending) + (out ? evbuffer_get_length(out) : 0);
	if (c->dropping)
		return;
	if (unsent + len > c->ev->cfg.client_buffer) {
		log_info("event stream to %s cut off: %zu bytes unread", c->peer, unsent);
		c->dropping = true;
		event_active(c->ev->reaper, EV_TIMEOUT, 0);
		return;
	}
	if (evbuffer_add(c->pending, text, len) == 0)
		arm_flush(c->ev);
}

/* The records of events after `after` that `topics` asks for, from the
 * buffer, which holds them all (store flushes before it lets one go). */
static int collect(const struct events *ev, uint64_t after, unsigned topics, struct evbuffer *out)
{
	size_t i = ev->n;
	while (i > 0 && stored_at(ev, i - 1)->seq > after)
		i--;
	for (; i < ev->n; i++) {
		const struct stored *s = stored_at(ev, i);
		if ((topics & (1u << s->topic)) && evbuffer_add(out, s->text, s->len) != 0)
			return -1;
	}
	return 0;
}

/* The new events for one stream: most streams follow the same topics and
 * were given everything up to ev->flushed, so their records are gathered
 * once per set of topics and copied whole. */
struct batches {
	unsigned topics[MAX_BATCHES];
	struct evbuffer *buf[MAX_BATCHES];
	size_t n;
};

static struct evbuffer *batch_for(struct events *ev, struct batches *b, unsigned topics)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->topics[i] == topics)
			return b->buf[i];
	if (b->n == MAX_BATCHES)
		return NULL;
	struct evbuffer *buf = evbuffer_new();
	if (!buf || collect(ev, ev->flushed, topics, buf) != 0) {
		if (buf)
			evbuffer_free(buf);
		return NULL;
	}
	b->topics[b->n] = topics;
	return b->buf[b->n++] = buf;
}

static void give_new(struct events *ev, struct client *c, struct batches *b)
{
	struct evbuffer *shared = c->cursor == ev->flushed ? batch_for(ev, b, c->topics) : NULL;
	struct evbuffer *own = shared ? NULL : evbuffer_new();
	struct evbuffer *out = client_output(c);
	size_t len, unsent = evbuffer_get_length(c->pending) + (out ? evbuffer_get_length(out) : 0);

	if (!shared && (!own || collect(ev, c->cursor, c->topics, own) != 0)) {
		if (own)
			evbuffer_free(own);
		return; /* no memory: the next flush tries again */
	}
	len = evbuffer_get_length(shared ? shared : own);
	if (unsent + len > ev->cfg.client_buffer) {
		log_info("event stream to %s cut off: %zu bytes unread", c->peer, unsent);
		c->dropping = true;
		event_active(ev->reaper, EV_TIMEOUT, 0);
	} else if (shared ? evbuffer_add_buffer_reference(c->pending, shared) == 0 /* no copy */
			  : evbuffer_add_buffer(c->pending, own) == 0) {
		c->cursor = events_last(ev);
	}
	if (own)
		evbuffer_free(own);
}

/* Hands every stream what it is owed, one chunk each. */
static void flush_all(struct events *ev)
{
	struct batches b = { .n = 0 };
	ev->flush_armed = false;
	ev->last_flush_us = clock_mono_us();
	event_del(ev->flusher);
	for (struct client *c = ev->clients; c; c = c->next) {
		if (c->dropping)
			continue;
		if (c->cursor < events_last(ev))
			give_new(ev, c, &b);
		if (evbuffer_get_length(c->pending))
			evhttp_send_reply_chunk(c->req, c->pending); /* moves the bytes */
	}
	for (size_t i = 0; i < b.n; i++)
		evbuffer_free(b.buf[i]);
	ev->flushed = events_last(ev);
	for (struct client *c = ev->clients; c; c = c->next)
		if (!c->dropping && c->cursor < ev->flushed)
			ev->flushed = c->cursor; /* one left behind by no memory */
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush_all(arg);
}

/* Closes the connections of clients marked too slow, outside any callback
 * of theirs. */
static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct events *ev = arg;
	(void)fd;
	(void)what;
	for (struct client *c = ev->clients, *next; c; c = next) {
		next = c->next;
		if (c->dropping)
			evhttp_connection_free(c->conn); /* calls on_client_close */
	}
}

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
	struct events *ev = arg;
	(void)fd;
	(void)what;
	for (struct client *c = ev->clients; c; c = c->next)
		client_send(c, ": keep-alive\n\n", 14);
}

uint64_t events_publish(struct events *ev, enum events_topic topic, cJSON *data)
{
	uint64_t seq = ev->next_seq;
	char *json = NULL, *text = NULL, num[24];
	int len = -1;

	snprintf(num, sizeof(num), "%" PRIu64, seq); /* a double would print 2^50 and up in exponent form */
	if (data && topic < EVENTS_N_TOPICS && cJSON_AddRawToObject(data, "seq", num))
		json = cJSON_PrintUnformatted(data);
	if (json && ev->observer)
		ev->observer(ev->observer_ctx, topic, data);
	cJSON_Delete(data);
	if (json) {
		size_t cap = strlen(json) + 64;
		if ((text = malloc(cap)))
			len = snprintf(text, cap, "id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", seq,
				       topic_names[topic], json);
	}
	cJSON_free(json);
	if (len < 0) {
		free(text);
		ev->lost = seq;
		ev->next_seq++;
		log_error("event %" PRIu64 " lost: out of memory", seq);
		return 0;
	}
	/* The oldest record may go only once every stream has it. */
	if (ev->n == ev->cfg.replay && ev->clients && ev->ring[ev->head].seq > ev->flushed)
		flush_all(ev);
	ev->next_seq++;
	store(ev, seq, topic, text, (size_t)len);
	if (ev->clients)
		arm_flush(ev);
	else
		ev->flushed = seq;
	return seq;
}

void events_observe(struct events *ev, events_observer fn, void *ctx)
{
	ev->observer = fn;
	ev->observer_ctx = ctx;
}

uint64_t events_last(const struct events *ev)
{
	return ev->next_seq - 1;
}

bool events_add_last(cJSON *obj, const char *key, const struct events *ev)
{
	char num[24];
	snprintf(num, sizeof(num), "%" PRIu64, events_last(ev));
	return cJSON_AddRawToObject(obj, key, num) != NULL;
}

size_t events_clients(const struct events *ev)
{
	return ev->n_clients;
}

/* ---- serving a stream ---- */

static void reply_error(struct evhttp_request *req, int status, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
	if (b)
		evbuffer_add_printf(b, "%s\n", text);
	evhttp_send_reply(req, status, reason, b);
	if (b)
		evbuffer_free(b);
}

/* "topics=block,asset" from the query string; every topic without one.
 * -1 with err naming an unknown topic. */
static int parse_topics(unsigned *mask, struct evhttp_request *req, char *err)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq q;
	const char *list;

	*mask = (1u << EVENTS_N_TOPICS) - 1;
	if (!query)
		return 0;
	if (strlen(query) > MAX_QUERY || evhttp_parse_query_str(query, &q) != 0)
		return err_set(err, "malformed query string");
	list = evhttp_find_header(&q, "topics");
	if (list) {
		*mask = 0;
		while (*list) {
			size_t n = strcspn(list, ","), t;
			for (t = 0; t < EVENTS_N_TOPICS; t++)
				if (strlen(topic_names[t]) == n && strncmp(list, topic_names[t], n) == 0)
					break;
			if (t == EVENTS_N_TOPICS) {
				err_set(err, "unknown topic '%.*s' (topics: block, tip, tx, asset, peer)", (int)(n > 32 ? 32 : n),
					list);
				evhttp_clear_headers(&q);
				return -1;
			}
			*mask |= 1u << t;
			list += n + (list[n] == ',');
		}
	}
	evhttp_clear_headers(&q);
	return 0;
}

/* What a client coming back after event `last` is owed: every later event
 * of its topics, or a reset when one of them is no longer kept (or was
 * lost, or `last` is not a number this run gave out). */
static void replay(struct events *ev, struct client *c, const char *last_id)
{
	char *end;
	uint64_t last;
	char line[160];

	if (!last_id)
		return;
	last = strtoull(last_id, &end, 10);
	uint64_t oldest = ev->n ? stored_at(ev, 0)->seq : ev->next_seq;
	bool known = *last_id && !*end && last + 1 >= oldest && last < ev->next_seq && last >= ev->lost;
	if (!known) {
		int n = snprintf(line, sizeof(line), "event: reset\ndata: {\"seq\":%" PRIu64 ",\"asked\":\"%.40s\"}\n\n",
				 events_last(ev), *end || !*last_id ? "invalid" : last_id);
		client_send(c, line, (size_t)n);
		return;
	}
	for (size_t i = (size_t)(last + 1 - oldest); i < ev->n; i++) {
		const struct stored *s = stored_at(ev, i);
		if (c->topics & (1u << s->topic))
			client_send(c, s->text, s->len);
	}
}

void events_serve(struct events *ev, struct evhttp_request *req)
{
	char err[ERR_LEN];
	unsigned mask;
	struct client *c;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(out, "Allow", "GET");
		reply_error(req, 405, "Method Not Allowed", "the event stream is read with GET");
		return;
	}
	if (parse_topics(&mask, req, err) != 0) {
		reply_error(req, 400, "Bad Request", err);
		return;
	}
	if (ev->n_clients >= ev->cfg.max_clients) {
		reply_error(req, 503, "Service Unavailable", "too many event stream clients");
		return;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		reply_error(req, 503, "Service Unavailable", "out of memory");
		return;
	}
	char *host = NULL;
	ev_uint16_t port = 0;
	*c = (struct client){ .ev = ev, .req = req, .conn = evhttp_request_get_connection(req), .topics = mask };
	if (!(c->pending = evbuffer_new())) {
		free(c);
		reply_error(req, 503, "Service Unavailable", "out of memory");
		return;
	}
	evhttp_connection_get_peer(c->conn, &host, &port);
	snprintf(c->peer, sizeof(c->peer), "%s:%u", host ? host : "?", port);
	evhttp_add_header(out, "Content-Type", "text/event-stream");
	evhttp_add_header(out, "Cache-Control", "no-cache");
	evhttp_add_header(out, "X-Accel-Buffering", "no");
	evhttp_send_reply_start(req, 200, "OK");
	/* evhttp's read timeout would end a stream whose client, rightly,
	 * sends nothing; only a client that stops taking bytes is cut off. */
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->conn);
	struct timeval wt = { WRITE_TIMEOUT_S, 0 };
	if (bev) {
		bufferevent_set_timeouts(bev, NULL, &wt);
		cap_kernel_buffer(bev, ev->cfg.client_buffer);
	}
	evhttp_connection_set_closecb(c->conn, on_client_close, c);
	c->next = ev->clients;
	ev->clients = c;
	ev->n_clients++;
	if (ev->n_clients == 1) {
		struct timeval tv = { ev->cfg.keepalive_ms / 1000, (ev->cfg.keepalive_ms % 1000) * 1000 };
		event_add(ev->keepalive, &tv);
	}
	log_debug(LOG_RPC, "event stream to %s opened", c->peer);
	client_send(c, "retry: 1000\n\n", 13);
	replay(ev, c, evhttp_find_header(evhttp_request_get_input_headers(req), "Last-Event-ID"));
	c->cursor = events_last(ev);
}

/* ---- life cycle ---- */

struct events *events_new(struct event_base *base, const struct events_config *cfg, char *err)
{
	struct events *ev = calloc(1, sizeof(*ev));
	if (!ev) {
		err_set(err, "cannot start the event stream: out of memory");
		return NULL;
	}
	ev->base = base;
	ev->cfg = cfg ? *cfg : (struct events_config){ 0 };
	if (!ev->cfg.replay)
		ev->cfg.replay = EVENTS_DEFAULT_REPLAY;
	if (!ev->cfg.client_buffer)
		ev->cfg.client_buffer = EVENTS_DEFAULT_CLIENT_BUFFER;
	if (!ev->cfg.keepalive_ms)
		ev->cfg.keepalive_ms = EVENTS_DEFAULT_KEEPALIVE_MS;
	if (!ev->cfg.max_clients)
		ev->cfg.max_clients = EVENTS_DEFAULT_MAX_CLIENTS;
	ev->next_seq = ev->cfg.first_seq ? ev->cfg.first_seq : ((uint64_t)time(NULL) << 20);
	ev->flushed = ev->next_seq - 1;
	ev->ring = calloc(ev->cfg.replay, sizeof(*ev->ring));
	ev->keepalive = event_new(base, -1, EV_PERSIST, on_keepalive, ev);
	ev->reaper = event_new(base, -1, 0, on_reap, ev);
	ev->flusher = event_new(base, -1, 0, on_flush, ev);
	if (!ev->ring || !ev->keepalive || !ev->reaper || !ev->flusher) {
		events_free(ev);
		err_set(err, "cannot start the event stream: out of memory");
		return NULL;
	}
	return ev;
}

void events_end_streams(struct events *ev)
{
	if (!ev)
		return;
	flush_all(ev);
	while (ev->clients) {
		struct client *c = ev->clients;
		client_unlink(c);
		evhttp_connection_set_closecb(c->conn, NULL, NULL);
		evhttp_send_reply_end(c->req);
		client_free(c);
	}
}

void events_free(struct events *ev)
{
	if (!ev)
		return;
	events_end_streams(ev);
	if (ev->keepalive)
		event_free(ev->keepalive);
	if (ev->reaper)
		event_free(ev->reaper);
	if (ev->flusher)
		event_free(ev->flusher);
	for (size_t i = 0; ev->ring && i < ev->n; i++)
		free(ev->ring[(ev->head + i) % ev->cfg.replay].text);
	free(ev->ring);
	free(ev);
}
