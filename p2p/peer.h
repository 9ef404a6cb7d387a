/* The mesh's shared state and one peer's state: what net.c, sync.c and
 * gossip.c work on together. Nothing outside p2p/ includes this file; the
 * node and the RPC use p2p/net.h.
 *
 * A struct peer lives from the moment its connection exists (outbound:
 * transport_connect; inbound: on_open) until the transport's on_close for
 * it, which is the only place a peer is freed. Everything else that wants a
 * peer gone calls peer_disconnect, which only marks it. */
#ifndef CAIRN_P2P_PEER_H
#define CAIRN_P2P_PEER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/mempool.h"
#include "p2p/addrman.h"
#include "p2p/banman.h"
#include "p2p/msg.h"
#include "p2p/net.h"
#include "p2p/transport.h"
#include "util/hmap.h"

/* A bounded set of 32-byte hashes that forgets its oldest entries first
 * (Bitcoin Core's rolling filters, exact instead of probabilistic). The
 * ring grows on demand, so a quiet peer costs little. */
struct invset {
	struct hmap map;
	uint8_t (*ring)[32];
	size_t cap, alloc, head, n;
};

void invset_init(struct invset *s, size_t cap);
void invset_release(struct invset *s);
bool invset_has(const struct invset *s, const uint8_t h[32]);
/* Adds h (a no-op when present), evicting the oldest entry when full.
 * Returns -1 when out of memory (h is then not added). */
int invset_add(struct invset *s, const uint8_t h[32]) WUR;
void invset_clear(struct invset *s);

#define PEER_KNOWN_INV_MAX 50000
#define PEER_TXQ_MAX 50000
#define PEER_GETDATA_MAX 50000
#define PEER_MAX_BLOCKS_IN_FLIGHT 16
#define PEER_MAX_TX_REQUESTS 5000
#define PEER_BAN_SCORE 100
#define PEER_ADDR_KNOWN_MAX 5000
#define PEER_ADDR_QUEUE_MAX 1000

struct peer {
	struct p2p *net;
	struct peer *prev, *next;
	struct conn *c;
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
	/* gossip */
	struct invset known;    /* hashes the peer has or was told of */
	uint8_t (*txq)[32];     /* transactions waiting for the next trickle */
	size_t txq_n, txq_cap;
	uint64_t next_trickle;
	struct inv_item *gd;    /* getdata items not yet served */
	size_t gd_n, gd_head, gd_cap;
	size_t tx_requests;     /* our getdata for tx in flight to this peer */
	uint64_t last_block, last_tx; /* monotonic us a new block / tx came from it */
	bool wants_headers;     /* sent sendheaders: new blocks go to it as headers */
	bool getaddr_answered, getaddr_sent;
	double addr_tokens;
	uint64_t addr_tokens_at;
	/* address relay: addresses the peer has or was sent, and those
	 * waiting for the next addr to it (at most PEER_ADDR_QUEUE_MAX) */
	struct invset addr_known;
	struct net_addr *addr_q;
	size_t addr_q_n, addr_q_cap;
	uint64_t next_addr_send;
	/* sync */
	struct block_index *best_known; /* its best header we know */
	struct block_index *best_sent;  /* the last header we sent it */
	uint64_t headers_asked;         /* monotonic us, 0 when none outstanding */
	int unconnecting;
	uint8_t (*inflight)[32];        /* blocks requested from it */
	uint64_t *inflight_at;
	size_t n_inflight;
	uint64_t stall_since;
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

/* A block held back during catch-up until its signatures are checked
 * together with its neighbours' (sync.c). */
struct held_block {
	struct block b;
	uint64_t peer;
	char addr[NET_ADDR_TEXT_LEN];
	bool checked; /* every signature of b verified (by the check thread) */
};

#define NET_HOLD_BLOCKS 32
#define NET_HOLD_BYTES (4u << 20)
#define NET_WAIT_BLOCKS 64

#define NET_MAX_ADDED 64
#define NET_MAX_OUTBOUND 8

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
	struct event *fast;      /* 100 ms timer: trickles, getdata queues, downloads */
	struct event *kick;      /* once, when the loop starts: first connections */
	/* timers in effect (cfg's, or the defaults) */
	unsigned handshake_secs;
	uint64_t ping_interval_us, ping_timeout_us, stall_us, block_timeout_us;
	struct peer *peers;
	size_t n_peers;
	uint64_t nonce;
	bool active;
	bool opened;             /* connections were opened once */
	uint16_t listen_port;
	struct added_node added[NET_MAX_ADDED];
	size_t n_added;
	char (*seeds)[NET_ADDR_TEXT_LEN];
	size_t n_seeds;
	bool seeds_done;
	struct invset rejects;   /* transactions refused since the last tip change */
	struct hmap tx_asked;    /* txid -> struct tx_ask */
	struct hmap blk_asked;   /* block hash -> struct peer * that has it in flight */
	struct held_block held[NET_HOLD_BLOCKS];
	size_t n_held, held_bytes;
	struct hmap held_map;    /* hash of a block held or being checked -> 1 */
	/* The previous hold, its signatures checked on a thread of its own
	 * while the loop connects the one before it (sync.c). */
	struct held_block checking[NET_HOLD_BLOCKS];
	size_t n_checking;
	pthread_t check_thread;
	bool check_running;
	bool check_ok;           /* every signature of checking[] verified */
	size_t check_sigs;       /* how many it checked */
	/* Checked blocks whose parent is not connected yet, kept (in arrival
	 * order) so they connect without a second check once it is. */
	struct held_block waiting[NET_WAIT_BLOCKS];
	size_t n_waiting;
	uint8_t announced[32];   /* the tip last announced */
	uint64_t next_progress, progress_blocks;
	uint32_t progress_height;
	uint64_t log_budget_at;
	int log_budget;
};

/* ---- peers (peer.c) ---- */

/* A new peer for c (owned by the transport), linked into net. NULL when out
 * of memory. */
struct peer *peer_new(struct p2p *net, struct conn *c, enum p2p_conn_type type);
/* Unlinks and frees; called from on_close only. */
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
/* Mark that the peer knows h. */
void peer_known(struct peer *p, const uint8_t h[32]);
/* A log line a peer can trigger: at info level while the budget lasts
 * (20 per minute for the node), at debug level after that. */
void net_log_peer(struct p2p *net, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
