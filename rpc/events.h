/* The node's event stream. Every event (a block connected or
 * disconnected, a new tip, a transaction entering or leaving the mempool,
 * an asset's step, a peer) gets the next sequence number and is kept in a
 * bounded replay buffer; GET /events serves them as Server-Sent Events
 * (docs/events.md), each with its number as the SSE id. A client that
 * comes back with Last-Event-ID: N gets every event after N still in the
 * buffer, or a `reset` event when some of them are gone. Idle streams get
 * a keep-alive comment; a client that reads slower than events come is
 * cut off once its unsent bytes pass a limit, so no client can grow the
 * node's memory.
 *
 * Sequence numbers start, at each start of the node, at the wall-clock
 * second times 2^20: they never repeat across restarts, so an id from an
 * earlier run is simply too old and gets a reset.
 *
 * Runs on the event loop, like the mempool and the chainstate's events. */
#ifndef CAIRN_RPC_EVENTS_H
#define CAIRN_RPC_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "util/err.h"

struct event_base;
struct evhttp_request;

enum events_topic { EVENTS_BLOCK, EVENTS_TIP, EVENTS_TX, EVENTS_ASSET, EVENTS_PEER, EVENTS_N_TOPICS };

#define EVENTS_DEFAULT_REPLAY 10000		/* events kept for Last-Event-ID */
#define EVENTS_DEFAULT_CLIENT_BUFFER (4u << 20) /* unsent bytes a client may hold */
#define EVENTS_DEFAULT_KEEPALIVE_MS 15000
#define EVENTS_DEFAULT_MAX_CLIENTS 100

struct events_config {
	size_t replay;	      /* 0: EVENTS_DEFAULT_REPLAY */
	size_t client_buffer; /* 0: EVENTS_DEFAULT_CLIENT_BUFFER */
	unsigned keepalive_ms; /* 0: EVENTS_DEFAULT_KEEPALIVE_MS */
	size_t max_clients;   /* 0: EVENTS_DEFAULT_MAX_CLIENTS */
	uint64_t first_seq;   /* the first event's number; 0: from the wall clock */
};

struct events;

/* NULL with err filled when out of memory. */
struct events *events_new(struct event_base *base, const struct events_config *cfg, char *err) WUR;
/* Ends every stream (at shut-down, before the HTTP server goes); events
 * published later are only kept. */
void events_end_streams(struct events *ev);
/* Ends every stream and frees everything. Takes NULL. */
void events_free(struct events *ev);

/* Publishes an event of topic with data (a JSON object, taken; "seq" is
 * added to it) to the buffer and to every stream that follows the topic.
 * Returns its number, or 0 when out of memory (then nothing is published,
 * and the next stream to connect is told to reset). */
uint64_t events_publish(struct events *ev, enum events_topic topic, cJSON *data);
/* fn sees every event as it is published (data with its "seq"), on the
 * loop: one observer, the node's notify commands. */
typedef void (*events_observer)(void *ctx, enum events_topic topic, const cJSON *data);
void events_observe(struct events *ev, events_observer fn, void *ctx);
/* The number of the last event published (first_seq - 1 before any): what
 * a state read now reflects. */
uint64_t events_last(const struct events *ev);
/* Adds events_last as obj[key], printed exactly. False on no memory. */
bool events_add_last(cJSON *obj, const char *key, const struct events *ev);
size_t events_clients(const struct events *ev);
/* The topic's name ("block", "tip", ...). */
const char *events_topic_name(enum events_topic topic);

/* Serves GET /events[?topics=a,b]: 400 with a reason for an unknown topic,
 * 503 when max_clients streams are open, else the stream. */
void events_serve(struct events *ev, struct evhttp_request *req);

#endif
