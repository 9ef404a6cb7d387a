/* The mesh: connections to peers, the version handshake, address exchange,
 * gossip of transactions and blocks, headers-first sync and the defence
 * against bad peers (docs/protocol-behaviour.md). Runs on the node's
 * event_base; the transport (p2p/transport.h) moves the bytes.
 *
 * The node creates it after the mempool, tells it of new transactions
 * (p2p_tx_added), registers it as a chainstate listener (p2p_chain_events:
 * every new tip, whoever brought it, is announced) and frees it before the
 * mempool. A block from a peer reaches the other listeners (mempool,
 * wallet, miner) the same way, through the chainstate. */
#ifndef CAIRN_P2P_NET_H
#define CAIRN_P2P_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/chainstate.h"
#include "p2p/msg.h"
#include "util/err.h"

struct banman;
struct event_base;
struct mempool;
struct p2p;
struct p2p_peer_event;
struct pool;

struct p2p_config {
	uint16_t port;                /* listening port */
	const char *const *bind;      /* numeric hosts, with or without a port */
	size_t n_bind;
	bool listen;
	/* -connect: only these peers (entries "0" ignored); connect_only is
	 * true when -connect was given at all. */
	const char *const *connect;
	size_t n_connect;
	bool connect_only;
	const char *const *addnode;
	size_t n_addnode;
	const char *const *seednode;
	size_t n_seednode;
	/* -externalip: the addresses to announce ("IP" or "IP:PORT", numeric;
	 * without a port the listening one). Given, they replace the bound
	 * addresses as what the node announces. */
	const char *const *externalip;
	size_t n_externalip;
	int max_connections;          /* inbound and outbound together */
	bool no_compact;              /* -compactblocks=0: no BIP 152 relay */
	int64_t bantime;              /* seconds */
	/* Timers, 0 for the default (regtest tests shorten them): seconds
	 * the handshake may take (60), between pings (120) and before an
	 * unanswered ping or a silent peer ends the connection (1,200);
	 * milliseconds after which a block request holding the download up
	 * moves to another peer (2,000; one five times as old disconnects). */
	unsigned handshake_timeout, ping_interval, ping_timeout, stall_timeout_ms;
	/* Milliseconds on average between feeler connections (120,000) and
	 * between extra block-relay-only peers (300,000); 0 for the default. */
	unsigned feeler_interval_ms, block_relay_interval_ms;
	/* Outbound slots (p2p/slots.h): with slots_given, these counts of
	 * full-relay and block-relay-only peers; otherwise Core's 8 and 2. */
	bool slots_given;
	unsigned full_relay_slots, block_relay_slots;
	/* The node's worker pool: the catch-up check stage runs on it, so it
	 * overlaps connecting the batch before. NULL runs the check stage
	 * inline. The mesh starts no threads of its own. */
	struct pool *pool;
	const char *datadir;          /* peers.dat and banlist.dat live here */
	/* Told of peers coming and going (NULL: nobody); must not call the mesh. */
	void (*on_peer)(void *ctx, const struct p2p_peer_event *e);
	void *peer_ctx;
};

enum p2p_conn_type {
	P2P_INBOUND = 0,
	P2P_OUTBOUND,     /* chosen from the address manager */
	P2P_MANUAL,       /* -addnode, -connect, addnode RPC */
	P2P_ADDR_FETCH,   /* -seednode: addresses, then goodbye */
	P2P_BLOCK_RELAY,  /* chosen from the address manager: blocks only */
	P2P_FEELER,       /* a new-table address tested: handshake, goodbye */
};

/* A peer finished its handshake (connected), or a peer that had went
 * away (reason says why). The strings live for the call only. */
struct p2p_peer_event {
	uint64_t id;
	const char *addr;
	enum p2p_conn_type type;
	bool connected;
	const char *reason;
};

/* Creates the mesh, loads peers.dat and banlist.dat, starts listening and
 * the timers. Returns NULL with err filled (bad address, cannot bind). */
struct p2p *p2p_new(struct event_base *base, struct chainstate *cs, struct mempool *mp,
		    const struct p2p_config *cfg, char *err);
/* Closes every connection and frees. NULL is fine. */
void p2p_free(struct p2p *p);
/* Writes peers.dat and banlist.dat. 0, or -1 with err. */
int p2p_save(struct p2p *p, char *err) WUR;

/* A transaction joined the mempool: announce it to every peer. */
void p2p_tx_added(struct p2p *p, const struct tx *tx);
/* The best chain may have a new tip: announce it at once. */
void p2p_tip_changed(struct p2p *p);
/* A chainstate listener whose tip_changed calls p2p_tip_changed(p). */
struct chain_events p2p_chain_events(struct p2p *p);

/* ---- queries and commands for the RPC ---- */

struct p2p_peer_info {
	uint64_t id;
	char addr[64];
	bool inbound;
	enum p2p_conn_type type;
	uint32_t version;
	char subver[257];
	uint64_t services;
	uint32_t starting_height;
	uint64_t bytes_sent, bytes_recv, conn_time, last_send, last_recv;
	/* per command, indexed by msg_command_index() (the last is *other*) */
	uint64_t sent_per_msg[MSG_N_COMMANDS + 1], recv_per_msg[MSG_N_COMMANDS + 1];
	int64_t ping_us, min_ping_us, ping_wait_us; /* -1 when none */
	int32_t synced_headers, synced_blocks;      /* -1 when unknown */
	int score;
	size_t inflight;
	bool ready;
	bool relay_txs; /* we announce transactions to it (Core's relaytxes) */
	bool hb_to, hb_from; /* BIP 152 high bandwidth: we push new blocks to it / it to us */
};

const char *p2p_conn_type_name(enum p2p_conn_type t);
/* Fills *out with a malloc'd array (caller frees) of *n peers that are not
 * closing. 0, or -1 when out of memory (*out NULL, *n 0). */
int p2p_peers(struct p2p *p, struct p2p_peer_info **out, size_t *n) WUR;
size_t p2p_connection_count(struct p2p *p, size_t *in, size_t *out);
bool p2p_active(const struct p2p *p);
/* Off closes every connection and stops opening new ones. */
void p2p_set_active(struct p2p *p, bool on);
uint16_t p2p_listen_port(const struct p2p *p);
void p2p_totals(struct p2p *p, uint64_t *sent, uint64_t *recv);
/* Compact block relay since p2p_new (getnetworkinfo's compactblocks). */
struct p2p_compact_info {
	bool enabled;
	uint64_t rebuilt;      /* blocks rebuilt from a compact block */
	uint64_t from_mempool; /* their transactions the mempool had */
	uint64_t requested;    /* their transactions asked with getblocktxn */
	uint64_t fallbacks;    /* compact blocks given up for the whole block */
};
void p2p_compact_info(struct p2p *p, struct p2p_compact_info *out);
/* The same per command, indexed by msg_command_index() (the last is
 * *other*), with the number of messages: since p2p_new, closed
 * connections included. */
struct p2p_msg_totals {
	uint64_t bytes_sent[MSG_N_COMMANDS + 1], bytes_recv[MSG_N_COMMANDS + 1];
	uint64_t msgs_sent[MSG_N_COMMANDS + 1], msgs_recv[MSG_N_COMMANDS + 1];
};
void p2p_msg_totals(struct p2p *p, struct p2p_msg_totals *out);
/* Entries of the ban list (expired ones not yet swept included). */
size_t p2p_banned_count(struct p2p *p);

/* addnode: "add" keeps the peer connected, "remove" forgets it, "onetry"
 * connects once. Returns 0, or -1 with *code (an RPC code: -23 already
 * added, -24 not added, -8 bad address) and err. */
int p2p_addnode(struct p2p *p, const char *addr, const char *command, int *code, char *err) WUR;
struct p2p_added_info {
	char addr[64];
	bool connected;
	char peer_addr[64];
};
/* The added nodes (-addnode and addnode add); *out malloc'd. 0 or -1. */
int p2p_added(struct p2p *p, struct p2p_added_info **out, size_t *n) WUR;
/* Disconnects peers by address text (exact "ip:port") or by id (addr NULL).
 * Returns how many were disconnected. */
size_t p2p_disconnect(struct p2p *p, const char *addr, uint64_t id);
/* Up to max known addresses (all when max is 0) into *out (malloc'd). */
int p2p_node_addresses(struct p2p *p, struct net_addr **out, size_t *n, size_t max) WUR;
/* The addresses the node announces to peers, with their scores
 * (getnetworkinfo's localaddresses): up to max into out; returns how
 * many. None when the node does not listen. */
struct p2p_local_info {
	struct net_addr addr;
	int score;
};
size_t p2p_local_addresses(struct p2p *p, struct p2p_local_info *out, size_t max);

/* Bans: subnet text as banman_parse; until in unix seconds. Adding a ban
 * disconnects every peer it covers. 0, or -1 with err. */
int p2p_ban(struct p2p *p, const char *subnet, uint64_t until, char *err) WUR;
int p2p_unban(struct p2p *p, const char *subnet, char *err) WUR;
bool p2p_is_banned_subnet(struct p2p *p, const char *subnet);
struct banman *p2p_banman(struct p2p *p);
/* -bantime: seconds a ban lasts when none is given. */
int64_t p2p_bantime(const struct p2p *p);

#endif
