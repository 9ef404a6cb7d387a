/* The mesh's core: what every part of p2p/ shares. struct p2p holds the
 * context (chainstate, mempool, transport, address and ban managers), the
 * list of peers, the timers in effect and the added nodes; each module
 * keeps the rest of its state behind a pointer it alone allocates and
 * reads (struct sync in sync.c, struct gossip in gossip.c), and so does
 * each peer (sync_peer, gossip_peer, addrrelay_peer). peer.c owns the peer
 * list, sending, scoring, the bounded hash set and the log budget. Nothing
 * outside p2p/ includes this file; the node and the RPC use p2p/net.h.
 *
 * A struct peer lives from the moment its connection exists (outbound:
 * transport_connect; inbound: on_open) until the transport's on_close for
 * it, which is the only place a peer is freed. Everything else that wants a
 * peer gone calls peer_disconnect, which only marks it. */
#ifndef CAIRN_P2P_PEER_H
#define CAIRN_P2P_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/mempool.h"
#include "p2p/addrman.h"
#include "p2p/banman.h"
#include "p2p/localaddr.h"
#include "p2p/msg.h"
#include "p2p/net.h"
#include "p2p/slots.h"
#include "p2p/transport.h"
#include "util/hmap.h"

/* A bounded set of 32-byte hashes that forgets its oldest entries first
 * (Bitcoin Core's rolling filters, exact instead of probabilistic). The
 * ring grows on demand, so a quiet peer costs little. */
/* A set of the last cap hashes added: a ring of them, oldest overwritten
 * first, and an open-addressing table of ring positions to find them by
 * (40 bytes a hash at most, where a map of copied keys took ~190: a
 * node keeps one for every peer). */
struct invset {
	uint8_t (*ring)[32];
	uint32_t *table; /* ring position + 1, 0 for empty; linear probing */
	size_t cap, alloc, head, n, tsize;
};

void invset_init(struct invset *s, size_t cap);
void invset_release(struct invset *s);
bool invset_has(const struct invset *s, const uint8_t h[32]);
/* Adds h (a no-op when present), evicting the oldest entry when full.
 * Returns -1 when out of memory (h is then not added). */
int invset_add(struct invset *s, const uint8_t h[32]) WUR;
void invset_clear(struct invset *s);

#define PEER_BAN_SCORE 100

struct sync_peer;      /* sync.c's part of a peer */
struct gossip_peer;    /* gossip.c's */
struct addrrelay_peer; /* addrrelay.c's */
struct cmpct_peer;     /* cmpct.c's */

struct peer {
	struct p2p *net;
	struct peer *prev, *next;
	struct conn *c;         /* NULL for a captured peer (peer_new_captured) */
	struct buf *capture;    /* a captured peer's outbox, owned by its maker */
	uint64_t id;
	enum p2p_conn_type type;
	struct net_addr addr;
	char addr_text[NET_ADDR_TEXT_LEN];
	int added;              /* index into net->added, -1 when none */
	bool got_version, got_verack, ready, closing;
	struct msg_version ver; /* the peer's version message */
	int score;
	/* pings: monotonic microseconds */
	uint64_t ping_nonce, ping_sent, next_ping;
	int64_t ping_us, min_ping_us; /* -1 until measured */
	/* monotonic us a new block (sync.c) / transaction (gossip.c) came
	 * from it last: what spares it from eviction (connman.c) */
	uint64_t last_block, last_tx;
	uint64_t since;         /* monotonic us the peer was created */
	/* each module's own state, allocated and touched by it alone */
	struct sync_peer *sync;
	struct gossip_peer *gossip;
	struct addrrelay_peer *addrs;
	struct cmpct_peer *cmpct;
};

/* A node kept connected by -addnode / addnode add (or -connect). */
struct added_node {
	char text[NET_ADDR_TEXT_LEN];
	struct net_addr addr;
	bool one_try;       /* addnode onetry: dropped after the attempt */
	struct peer *peer;  /* its connection, NULL when none */
	uint64_t next_try;  /* monotonic us */
	uint64_t backoff;   /* us */
};

#define NET_MAX_ADDED 64
#define NET_ADDED_BACKOFF_MIN_US 2000000u

struct sync;   /* sync.c's state */
struct gossip; /* gossip.c's */
struct cmpct;  /* cmpct.c's */

struct p2p {
	struct event_base *base;
	struct chainstate *cs;
	struct mempool *mp;
	const struct chain_params *params;
	struct p2p_config cfg;
	char peers_path[4096], bans_path[4096];
	struct transport *t;
	struct addrman *am;
	struct banman *bm;
	struct event *fast;      /* 100 ms timer while work waits: trickles, queues, downloads (net_wake) */
	struct event *kick;      /* once, when the loop starts: first connections */
	/* timers in effect (cfg's, or the defaults) */
	unsigned handshake_secs;
	uint64_t ping_interval_us, ping_timeout_us, stall_us, block_timeout_us;
	struct peer *peers;
	size_t n_peers;
	uint64_t nonce;
	bool active;
	/* where the node listens and what it announces (net.c fills them at
	 * start; inbound peers' reports raise the scores) */
	uint16_t listen_port;
	struct net_addr bound[TRANSPORT_MAX_LISTENERS]; /* specific addresses only */
	size_t n_bound;
	bool bound_any;          /* listens on 0.0.0.0 or [::] */
	struct localaddr local;
	/* connections (connman.c) */
	bool opened;             /* connections were opened once */
	struct added_node added[NET_MAX_ADDED];
	size_t n_added;
	bool seeds_asked;        /* at start */
	uint64_t seeds_next;     /* monotonic us the seeds may be asked again */
	uint64_t seeds_backoff;  /* us */
	struct slots slots;      /* the outbound slot policy's state */
	struct sync *sync;
	struct gossip *gossip;
	struct cmpct *cmpct;
	uint64_t log_budget_at;
	int log_budget;
};

/* ---- peers (peer.c) ---- */

/* A new peer for c (owned by the transport), linked into net. NULL when out
 * of memory. */
struct peer *peer_new(struct p2p *net, struct conn *c, enum p2p_conn_type type);
/* A peer on no connection, for driving the protocol in-process (tests):
 * it is ready at once, and each message it is sent is appended to out as
 * a whole frame (msg_frame_encode with the network's magic), where the
 * caller decodes it. Freed by p2p_free if not before by peer_free. */
struct peer *peer_new_captured(struct p2p *net, uint64_t id, enum p2p_conn_type type, struct buf *out);
/* Unlinks and frees; called from on_close only (and p2p_free, for captured
 * peers). */
void peer_free(struct peer *p);
struct peer *peer_by_id(struct p2p *net, uint64_t id);
/* Marks the peer for disconnection with a reason (logged at debug level). */
void peer_disconnect(struct peer *p, const char *reason);
/* Sends a message; false when it could not be queued (the transport may be
 * closing the connection). */
bool peer_send(struct peer *p, const char *cmd, const uint8_t *payload, size_t len);
bool peer_send_buf(struct peer *p, const char *cmd, struct buf *b);
/* Adds score points for what (a short text); at PEER_BAN_SCORE the peer is
 * disconnected and its IP banned for -bantime. */
void peer_misbehaving(struct peer *p, int points, const char *what);
/* The points a verdict is worth (docs/protocol-behaviour.md has the table):
 * 100 for rule breaking, 0 for what may become valid or is local. */
int peer_verdict_score(enum vresult r);
/* Bytes queued for sending to the peer (0 for a captured peer). */
size_t peer_sendq(const struct peer *p);
/* 64 random bits (the mesh's nonces and jitter). */
uint64_t net_random(void);
/* The mesh's 100 ms timer (net.c) runs only while some module has work
 * waiting for it (a trickle, a queue, a download): whoever queues such work
 * calls net_wake, which arms it unless it is armed. An idle node then wakes
 * once a second, not ten times. */
void net_wake(struct p2p *net);
/* a is an address of this network's peers: routable, or on regtest also
 * loopback and private (regtest meshes run on 127.0.0.0/8); port not 0. */
bool peer_addr_usable(const struct p2p *net, const struct net_addr *a);
/* Transactions go both ways with p: not a block-relay-only peer, not one
 * whose version asked for none (relay 0), not an address fetch or a
 * feeler (Core's relaytxes). */
bool peer_relays_txs(const struct peer *p);
/* Addresses go both ways with p: not a block-relay-only peer or a feeler. */
bool peer_relays_addrs(const struct peer *p);
/* A log line a peer can trigger: at info level while the budget lasts
 * (20 per minute for the node), at debug level after that. */
void net_log_peer(struct p2p *net, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
