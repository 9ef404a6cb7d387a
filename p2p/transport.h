/* The mesh's transport: moves framed messages over libevent bufferevents and
 * knows nothing of what they mean. It accepts and opens TCP connections
 * (numeric IPv4/IPv6 addresses only, no DNS), cuts the byte stream into
 * frames (p2p/msg.h), refuses bad frames by closing the connection with a
 * reason, bounds what it buffers either way, and reports through a table of
 * callbacks. The protocol layer above gives messages their meaning.
 *
 * Threading and lifetime: everything runs on the caller's event_base thread.
 * A connection is never freed inside a callback: closing one only marks it,
 * and a reap event frees the marked ones once per loop turn, calling
 * on_close just before. So a struct conn pointer stays valid from on_open
 * (or transport_connect) until on_close returns, whatever the callbacks do
 * in between.
 */
#ifndef CAIRN_P2P_TRANSPORT_H
#define CAIRN_P2P_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/msg.h"
#include "util/err.h"

struct event_base;
struct transport;
struct conn;

/* Why a connection closed: on_close receives the text, and
 * transport_close_code() the code. */
enum transport_reason {
	TRANSPORT_LOCAL = 0,       /* transport_close() was called */
	TRANSPORT_PEER_CLOSED,     /* the peer closed the connection (EOF) */
	TRANSPORT_SOCKET_ERROR,    /* read/write error, or no memory for the buffers */
	TRANSPORT_CONNECT_FAILED,  /* outbound connect refused or unreachable */
	TRANSPORT_CONNECT_TIMEOUT, /* outbound connect took longer than the connect timeout */
	TRANSPORT_TIMEOUT,         /* the timer of transport_set_timeout() fired */
	TRANSPORT_BAD_MAGIC,       /* a frame with another network's magic */
	TRANSPORT_BAD_COMMAND,     /* a frame with an empty, non-printable or badly padded command */
	TRANSPORT_OVERSIZE,        /* a frame announcing more than MSG_MAX_PAYLOAD */
	TRANSPORT_BAD_CHECKSUM,    /* a payload that does not match its checksum */
	TRANSPORT_SEND_FULL,       /* the send buffer would pass its bound */
	TRANSPORT_SHUTDOWN,        /* transport_free() with the connection still open */
};

/* A short stable name for a reason ("bad-magic", "send-buffer-full", ...). */
const char *transport_reason_name(enum transport_reason r);
/* True for the reasons that are the peer's bytes' fault (bad magic,
 * command, size, checksum): the protocol layer may score them. */
bool transport_reason_is_peer_fault(enum transport_reason r);

/* Every callback is optional (NULL) and receives the ctx given to
 * transport_new. Callbacks may call any function here on any connection,
 * transport_free excepted. */
struct transport_callbacks {
	/* An outbound connection completed, or an inbound one was accepted. */
	void (*on_open)(void *ctx, struct conn *c);
	/* One whole frame whose checksum matched. command is NUL-terminated
	 * and valid (msg_command_valid) but may be unknown; payload (len
	 * bytes, NULL when empty) is only valid during the call. */
	void (*on_message)(void *ctx, struct conn *c, const char *command, const uint8_t *payload,
			   size_t len);
	/* The connection is about to be freed: drop every pointer to it. Called
	 * exactly once per connection transport_connect returned or on_open
	 * announced, including outbound ones that never opened. */
	void (*on_close)(void *ctx, struct conn *c, const char *reason);
	/* Once a second, for timers of the protocol (pings, refills). */
	void (*on_tick)(void *ctx);
	/* Inbound filter (bans, connection limits), asked before anything is
	 * allocated for the connection; false closes the socket at once and
	 * nothing else is reported. NULL accepts everything. */
	bool (*accept_ok)(void *ctx, const struct sockaddr *sa);
};

#define TRANSPORT_SENDBUF_DEFAULT (8u * 1024 * 1024)
#define TRANSPORT_CONNECT_TIMEOUT_DEFAULT 5
#define TRANSPORT_MAX_LISTENERS 8

/* Creates a transport on base for the network with this magic; cb is
 * copied. Returns NULL with err filled on failure. Free with
 * transport_free before base. */
struct transport *transport_new(struct event_base *base, const uint8_t magic[4],
				const struct transport_callbacks *cb, void *ctx, char *err);
/* Closes the listeners, calls on_close (TRANSPORT_SHUTDOWN) for every
 * connection still there and frees everything. Never call it from inside
 * one of the transport's callbacks. NULL is fine. */
void transport_free(struct transport *t);

/* Bound of bytes queued for sending on one connection (default 8 MiB);
 * applies to later transport_send calls. */
void transport_set_sendbuf_max(struct transport *t, size_t bytes);
/* Seconds an outbound connect may take (default 5; 0 counts as 1) before
 * it is closed with TRANSPORT_CONNECT_TIMEOUT; applies to later connects. */
void transport_set_connect_timeout(struct transport *t, unsigned seconds);
/* Later outgoing connections to addresses of src's family leave from src's
 * IP (the port is the kernel's) instead of the address the kernel picks,
 * so peers see the node at the address it listens on. A loopback source
 * serves loopback destinations only (nothing else is reachable from it).
 * One source per family; a later call replaces it. */
void transport_set_source(struct transport *t, const struct net_addr *src);

/* Listens on a numeric "host:port" ("127.0.0.1:19733", "[::]:0"); port 0
 * picks a free port (see transport_listen_port). SO_REUSEADDR is set, and
 * IPV6_V6ONLY on IPv6 so "0.0.0.0" and "[::]" can both be bound. Up to
 * TRANSPORT_MAX_LISTENERS. Returns 0, or -1 with err filled. */
int transport_listen(struct transport *t, const char *bind_addr, char *err) WUR;
/* The port of the first listener, 0 when none. */
uint16_t transport_listen_port(const struct transport *t);

/* Starts a non-blocking connect to a (port not 0). Returns the connection
 * (on_open follows once connected; on failure or after the connect timeout
 * on_close follows instead), or NULL with err filled when the connect could
 * not even start (then no callback follows). Messages may be sent before
 * the connection opens; they are queued. */
struct conn *transport_connect(struct transport *t, const struct net_addr *a, char *err);

/* Frames (command, payload) and queues it. Returns 0, or -1 when the
 * connection is closing, command is not valid or len > MSG_MAX_PAYLOAD
 * (nothing queued; the connection stays open), or when the queued bytes
 * would pass the send bound or memory ran out (then the connection is
 * being closed with TRANSPORT_SEND_FULL or TRANSPORT_SOCKET_ERROR). */
int transport_send(struct conn *c, const char *command, const uint8_t *payload, size_t len);

/* Marks c closing with TRANSPORT_LOCAL and reason (copied; NULL means
 * "closed"): nothing more is read or written, later sends fail, and
 * on_close follows on the next loop turn. Unsent bytes are dropped. A
 * second close of the same connection does nothing. */
void transport_close(struct conn *c, const char *reason);

/* Closes c with TRANSPORT_TIMEOUT ("timeout") after seconds unless called
 * again first; 0 cancels. Replaces any earlier timer of c, the connect
 * timeout of an outbound connection included. */
void transport_set_timeout(struct conn *c, unsigned seconds);

/* ---- per connection ---- */

struct transport_stats {
	uint64_t bytes_sent, bytes_recv;   /* whole frames, headers included */
	uint64_t msgs_sent, msgs_recv;
	/* Per command, indexed by msg_command_index() (the last is *other*). */
	uint64_t bytes_sent_per_msg[MSG_N_COMMANDS + 1];
	uint64_t bytes_recv_per_msg[MSG_N_COMMANDS + 1];
	uint64_t conn_time;                /* unix seconds (clock_now) */
	uint64_t last_send, last_recv;     /* unix seconds, 0 before the first */
	size_t sendq;                      /* bytes queued, not yet written */
};

/* Unique within the transport and increasing, starting at 1. */
uint64_t transport_conn_id(const struct conn *c);
bool transport_conn_inbound(const struct conn *c);
/* Connected (on_open happened) and not closing. */
bool transport_conn_is_open(const struct conn *c);
/* The peer's address; for an outbound connection the one connected to. */
const struct net_addr *transport_conn_addr(const struct conn *c);
/* The same as text, "1.2.3.4:9733" or "[::1]:9733". */
const char *transport_conn_addr_text(const struct conn *c);
/* Counters as of now into out. Bytes sent count when queued. */
void transport_conn_stats(const struct conn *c, struct transport_stats *out);
/* The close code; meaningful once c is closing (inside on_close). */
enum transport_reason transport_close_code(const struct conn *c);
/* A pointer for the protocol layer, NULL until set; never touched here. */
void transport_conn_set_user(struct conn *c, void *user);
void *transport_conn_user(const struct conn *c);

/* Connections not yet closing. */
size_t transport_conn_count(const struct transport *t);
/* Bytes of all connections since transport_new, closed ones included. */
void transport_totals(const struct transport *t, uint64_t *sent, uint64_t *recv);
/* The same per command, indexed by msg_command_index() (the last is
 * *other*): whole frames and their count. */
struct transport_msg_totals {
	uint64_t bytes_sent[MSG_N_COMMANDS + 1], bytes_recv[MSG_N_COMMANDS + 1];
	uint64_t msgs_sent[MSG_N_COMMANDS + 1], msgs_recv[MSG_N_COMMANDS + 1];
};
void transport_msg_totals(const struct transport *t, struct transport_msg_totals *out);

#endif
