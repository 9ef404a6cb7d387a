/* The mesh's life and its peers' protocol core: p2p_new/p2p_free, the
 * transport callbacks, the version handshake, pings, the message dispatch
 * to the modules (sync, gossip, addrrelay), the timers that drive them and
 * the node's events (p2p_tx_added, p2p_tip_changed). It owns struct p2p's
 * context and timers; connections are connman.c's, the RPC facade is
 * query.c. */
#include "p2p/net.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p2p/addrrelay.h"
#include "p2p/cmpct.h"
#include "p2p/connman.h"
#include "p2p/gossip.h"
#include "p2p/peer.h"
#include "p2p/sync.h"
#include "util/clock.h"
#include "util/hex.h"
#include "util/log.h"

#define USER_AGENT "/cairn:0.1.0/"
#define HANDSHAKE_TIMEOUT 60
#define PING_INTERVAL 120
#define PING_TIMEOUT 1200
#define ADDR_FETCH_TIMEOUT 60
#define FAST_US 100000 /* the short timer: trickles, queues, downloads */

/* ---- handshake ---- */

static void send_version(struct peer *p)
{
	struct p2p *net = p->net;
	struct msg_version v;
	struct buf b = BUF_INIT;
	memset(&v, 0, sizeof(v));
	v.version = MSG_PROTOCOL_VERSION;
	v.services = MSG_NODE_NETWORK;
	v.time = (int64_t)clock_now();
	v.addr_recv = p->addr;
	v.addr_recv.services = 0;
	v.addr_recv.time = 0;
	v.nonce = net->nonce;
	snprintf(v.user_agent, sizeof(v.user_agent), "%s", USER_AGENT);
	v.height = chainstate_tip(net->cs)->height;
	v.relay = true;
	if (msg_version_encode(&b, &v) != 0) {
		buf_release(&b);
		return;
	}
	peer_send_buf(p, MSG_VERSION, &b);
}

static void send_ping(struct peer *p, uint64_t now)
{
	struct msg_ping m = { net_random() | 1 };
	struct buf b = BUF_INIT;
	if (msg_ping_encode(&b, &m) != 0) {
		buf_release(&b);
		return;
	}
	if (peer_send_buf(p, MSG_PING, &b)) {
		p->ping_nonce = m.nonce;
		p->ping_sent = now;
	}
	p->next_ping = now + p->net->ping_interval_us;
}

static void tell_peer(struct peer *p, bool connected, const char *reason)
{
	const struct p2p_config *cfg = &p->net->cfg;
	struct p2p_peer_event e = { p->id, p->addr_text, p->type, connected, reason };
	if (cfg->on_peer)
		cfg->on_peer(cfg->peer_ctx, &e);
}

static void peer_ready(struct peer *p)
{
	struct p2p *net = p->net;
	p->ready = true;
	/* An address fetch that never answers our getaddr is given up. */
	transport_set_timeout(p->c, p->type == P2P_ADDR_FETCH ? ADDR_FETCH_TIMEOUT : 0);
	connman_peer_ready(p);
	addrrelay_peer_ready(p);
	net_log_peer(net, "peer=%llu %s connected (%s, version %u, %s, height %u)", (unsigned long long)p->id,
		     p->addr_text, p2p_conn_type_name(p->type), p->ver.version, p->ver.user_agent, p->ver.height);
	tell_peer(p, true, NULL);
	if (p->type == P2P_ADDR_FETCH)
		return;
	peer_send(p, MSG_SENDHEADERS, NULL, 0);
	cmpct_peer_ready(p);
	send_ping(p, clock_mono_us());
	sync_peer_ready(p);
}

static bool connected_to_self(struct p2p *net, struct peer *p, uint64_t nonce)
{
	if (nonce != net->nonce)
		return false;
	if (p->type != P2P_INBOUND)
		addrman_remove(net->am, &p->addr);
	return true;
}

static void on_version(struct peer *p, const uint8_t *payload, size_t len)
{
	char err[ERR_LEN];
	struct msg_version v;
	if (msg_version_decode(&v, payload, len, err) != 0) {
		peer_misbehaving(p, PEER_BAN_SCORE, "malformed version");
		return peer_disconnect(p, "malformed version");
	}
	if (v.version < MSG_PROTOCOL_VERSION)
		return peer_disconnect(p, "obsolete version");
	if (connected_to_self(p->net, p, v.nonce))
		return peer_disconnect(p, "connected to self");
	p->ver = v;
	p->got_version = true;
	/* An inbound peer dialled one of our addresses: it confirms that
	 * address is reachable (Bitcoin Core's SeenLocal). */
	if (p->type == P2P_INBOUND) {
		localaddr_seen(&p->net->local, &v.addr_recv);
		send_version(p);
	}
	peer_send(p, MSG_VERACK, NULL, 0);
	if (p->got_verack)
		peer_ready(p);
}

static void on_verack(struct peer *p, const uint8_t *payload, size_t len)
{
	char err[ERR_LEN];
	if (msg_empty_decode(payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed verack");
	if (p->got_verack)
		return;
	p->got_verack = true;
	if (p->got_version)
		peer_ready(p);
}

/* ---- ping, addresses ---- */

static void on_ping(struct peer *p, const uint8_t *payload, size_t len)
{
	struct msg_ping m;
	struct buf b = BUF_INIT;
	char err[ERR_LEN];
	if (msg_ping_decode(&m, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed ping");
	if (msg_ping_encode(&b, &m) == 0)
		peer_send_buf(p, MSG_PONG, &b);
	else
		buf_release(&b);
}

static void on_pong(struct peer *p, const uint8_t *payload, size_t len)
{
	struct msg_ping m;
	char err[ERR_LEN];
	if (msg_ping_decode(&m, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed pong");
	if (!p->ping_nonce || m.nonce != p->ping_nonce)
		return;
	p->ping_us = (int64_t)(clock_mono_us() - p->ping_sent);
	if (p->min_ping_us < 0 || p->ping_us < p->min_ping_us)
		p->min_ping_us = p->ping_us;
	p->ping_nonce = 0;
}

/* ---- transport callbacks ---- */

static void dispatch(struct peer *p, const char *cmd, const uint8_t *payload, size_t len)
{
	static const struct {
		const char *cmd;
		void (*fn)(struct peer *p, const uint8_t *payload, size_t len);
	} table[] = {
		{ MSG_PING, on_ping },
		{ MSG_PONG, on_pong },
		{ MSG_ADDR, addrrelay_on_addr },
		{ MSG_GETADDR, addrrelay_on_getaddr },
		{ MSG_INV, gossip_on_inv },
		{ MSG_GETDATA, gossip_on_getdata },
		{ MSG_NOTFOUND, gossip_on_notfound },
		{ MSG_TX, gossip_on_tx },
		{ MSG_GETHEADERS, sync_on_getheaders },
		{ MSG_HEADERS, sync_on_headers },
		{ MSG_BLOCK, sync_on_block },
		{ MSG_VERACK, on_verack },
		{ MSG_SENDHEADERS, gossip_on_sendheaders },
		{ MSG_SENDCMPCT, cmpct_on_sendcmpct },
		{ MSG_CMPCTBLOCK, cmpct_on_cmpctblock },
		{ MSG_GETBLOCKTXN, cmpct_on_getblocktxn },
		{ MSG_BLOCKTXN, cmpct_on_blocktxn },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(cmd, table[i].cmd) == 0)
			return table[i].fn(p, payload, len);
	if (strcmp(cmd, MSG_VERSION) == 0)
		return peer_misbehaving(p, 1, "duplicate version");
	/* Unknown commands after the handshake are ignored, as Bitcoin Core
	 * ignores what it does not know. */
	log_debug(LOG_NET, "peer=%llu: ignored '%s'", (unsigned long long)p->id, cmd);
}

static void on_message(void *ctx, struct conn *c, const char *cmd, const uint8_t *payload, size_t len)
{
	struct peer *p = transport_conn_user(c);
	(void)ctx;
	if (!p || p->closing)
		return;
	if (!p->got_version) {
		if (strcmp(cmd, MSG_VERSION) != 0)
			return peer_disconnect(p, "message before version");
		return on_version(p, payload, len);
	}
	if (!p->ready && strcmp(cmd, MSG_VERACK) != 0) {
		log_debug(LOG_NET, "peer=%llu: '%s' before verack ignored", (unsigned long long)p->id, cmd);
		return;
	}
	dispatch(p, cmd, payload, len);
}

static void on_open(void *ctx, struct conn *c)
{
	struct p2p *net = ctx;
	struct peer *p = transport_conn_user(c);
	if (!p && !(p = peer_new(net, c, P2P_INBOUND))) {
		transport_close(c, "out of memory");
		return;
	}
	transport_set_timeout(c, net->handshake_secs);
	if (p->type != P2P_INBOUND)
		send_version(p);
}

/* The modules let go of the peer, then it is freed. */
static void close_peer(struct peer *p)
{
	sync_peer_closed(p);
	gossip_peer_closed(p);
	cmpct_peer_closed(p);
	peer_free(p);
}

static void on_close(void *ctx, struct conn *c, const char *reason)
{
	struct peer *p = transport_conn_user(c);
	(void)ctx;
	if (!p)
		return;
	if (p->ready) {
		net_log_peer(p->net, "peer=%llu %s disconnected: %s", (unsigned long long)p->id, p->addr_text, reason);
		tell_peer(p, false, reason);
	} else
		log_debug(LOG_NET, "connection %s closed before the handshake: %s", p->addr_text, reason);
	close_peer(p);
}

/* ---- timers ---- */

static void peer_timers(struct peer *p, uint64_t now)
{
	struct transport_stats st;
	if (!p->ready || p->closing)
		return;
	if (p->ping_nonce && now - p->ping_sent > p->net->ping_timeout_us) {
		net_log_peer(p->net, "peer=%llu %s: ping timeout", (unsigned long long)p->id, p->addr_text);
		return peer_disconnect(p, "ping timeout");
	}
	transport_conn_stats(p->c, &st);
	if (st.last_recv && clock_now() > st.last_recv + p->net->ping_timeout_us / 1000000u)
		return peer_disconnect(p, "inactive");
	if (!p->ping_nonce && now >= p->next_ping)
		send_ping(p, now);
}

/* Work waits for the 100 ms timer: a trickle, a queue, a download. */
static bool fast_pending(const struct p2p *net)
{
	if (sync_pending(net))
		return true;
	for (const struct peer *p = net->peers; p; p = p->next)
		if (!p->closing && (gossip_peer_pending(p) || addrrelay_peer_pending(p)))
			return true;
	return false;
}

void net_wake(struct p2p *net)
{
	struct timeval tv = { 0, FAST_US };
	if (net->fast && !evtimer_pending(net->fast, NULL))
		(void)evtimer_add(net->fast, &tv);
}

static void on_tick(void *ctx)
{
	struct p2p *net = ctx;
	uint64_t now = clock_mono_us();
	for (struct peer *p = net->peers; p; p = p->next) {
		peer_timers(p, now);
		addrrelay_flush(p, now); /* the daily announcement of our address */
	}
	gossip_expire(net);
	sync_tick(net);
	connman_open(net, now);
	if (fast_pending(net))
		net_wake(net);
}

/* Every 100 ms while work waits for it, then no more until net_wake: an
 * idle mesh of hundreds of nodes on one machine would otherwise spend a
 * third of it waking up to find nothing to do. */
static void fast_cb(evutil_socket_t fd, short what, void *arg)
{
	struct p2p *net = arg;
	uint64_t now = clock_mono_us();
	(void)fd;
	(void)what;
	for (struct peer *p = net->peers; p; p = p->next) {
		gossip_trickle(p, now);
		gossip_serve(p);
		addrrelay_flush(p, now);
	}
	sync_flush(net);
	sync_download(net);
	if (fast_pending(net))
		net_wake(net);
}

/* The first connections open as soon as the loop runs, not at the first
 * one-second tick: a fresh node starts syncing a second sooner. */
static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct p2p *net = arg;
	(void)fd;
	(void)what;
	if (!net->opened)
		connman_open(net, clock_mono_us());
}

/* ---- life ---- */

static bool is_unspecified(const struct net_addr *a)
{
	static const uint8_t zero[16];
	return net_addr_is_ipv4(a) ? memcmp(a->ip + 12, zero, 4) == 0 : memcmp(a->ip, zero, 16) == 0;
}

static int listen_all(struct p2p *net, char *err)
{
	static const char *const any[] = { "0.0.0.0" };
	const char *const *binds = net->cfg.n_bind ? net->cfg.bind : any;
	size_t n = net->cfg.n_bind ? net->cfg.n_bind : 1;
	for (size_t i = 0; i < n; i++) {
		struct net_addr a;
		char text[NET_ADDR_TEXT_LEN], why[ERR_LEN];
		if (net_addr_parse(&a, binds[i], net->cfg.port, why) != 0)
			return err_set(err, "invalid -bind '%s': %s", binds[i], why);
		net_addr_to_text(&a, text);
		if (transport_listen(net->t, text, why) != 0)
			return err_set(err, "cannot bind to %s for peers: %s", text, why);
		if (is_unspecified(&a))
			net->bound_any = true;
		else if (net->n_bound < TRANSPORT_MAX_LISTENERS)
			net->bound[net->n_bound++] = a;
	}
	net->listen_port = transport_listen_port(net->t);
	for (size_t i = 0; i < net->n_bound; i++)
		if (net->bound[i].port == 0)
			net->bound[i].port = net->listen_port;
	log_info("listening for peers on port %u", net->listen_port);
	return 0;
}

/* What the node announces (Bitcoin Core's rules): the -externalip
 * addresses when given; otherwise every specific address it is bound to
 * that peers of this network can dial. A node that does not listen
 * announces nothing. */
static int set_local(struct p2p *net, char *err)
{
	char why[ERR_LEN], text[NET_ADDR_TEXT_LEN];
	localaddr_init(&net->local);
	if (!net->listen_port)
		return 0;
	for (size_t i = 0; i < net->cfg.n_externalip; i++) {
		struct net_addr a;
		if (net_addr_parse(&a, net->cfg.externalip[i], net->listen_port, why) != 0)
			return err_set(err, "invalid -externalip '%s': %s", net->cfg.externalip[i], why);
		if (a.port == 0 || !peer_addr_usable(net, &a))
			return err_set(err, "invalid -externalip '%s': not an address peers can dial",
				       net->cfg.externalip[i]);
		if (localaddr_add(&net->local, &a, LOCALADDR_MANUAL, why) != 0)
			return err_set(err, "invalid -externalip '%s': %s", net->cfg.externalip[i], why);
	}
	for (size_t i = 0; i < net->n_bound && !net->cfg.n_externalip; i++)
		if (peer_addr_usable(net, &net->bound[i]) && localaddr_add(&net->local, &net->bound[i], LOCALADDR_BIND, why) != 0)
			log_warn("not announcing a bound address: %s", why);
	for (size_t i = 0; i < net->local.n; i++) {
		net_addr_to_text(&net->local.e[i].addr, text);
		log_info("announcing local address %s", text);
	}
	return 0;
}

/* Outgoing connections leave from the address the node is bound to (the
 * first one of each family), so peers see it where it listens: on a host
 * of many addresses, as a simulated mesh on 127.0.0.0/8 is, the kernel
 * would otherwise pick one address for every node. */
static void set_sources(struct p2p *net)
{
	bool v4 = false, v6 = false;
	for (size_t i = 0; i < net->n_bound; i++) {
		bool is4 = net_addr_is_ipv4(&net->bound[i]);
		if (is4 ? v4 : v6)
			continue;
		transport_set_source(net->t, &net->bound[i]);
		if (is4)
			v4 = true;
		else
			v6 = true;
	}
}

static void load_files(struct p2p *net)
{
	char err[ERR_LEN];
	if (access(net->peers_path, F_OK) == 0) {
		if (addrman_load(net->am, net->peers_path, err) != 0)
			log_warn("peers.dat not loaded, starting with no addresses: %s", err);
		else
			log_info("loaded %zu addresses from peers.dat", addrman_size(net->am));
	}
	if (access(net->bans_path, F_OK) == 0) {
		if (banman_load(net->bm, net->bans_path, err) != 0)
			log_warn("banlist.dat not loaded, starting with no bans: %s", err);
		else
			log_info("loaded %zu bans from banlist.dat", banman_size(net->bm));
	}
}

static int setup(struct p2p *net, char *err)
{
	static const struct transport_callbacks cb = { on_open, on_message, on_close, on_tick, connman_accept_ok };
	int code;
	if (snprintf(net->peers_path, sizeof(net->peers_path), "%s/peers.dat", net->cfg.datadir) >=
		    (int)sizeof(net->peers_path) ||
	    snprintf(net->bans_path, sizeof(net->bans_path), "%s/banlist.dat", net->cfg.datadir) >=
		    (int)sizeof(net->bans_path))
		return err_set(err, "data directory path too long");
	if (!(net->am = addrman_new(net_random(), net->params->net == NET_REGTEST)) || !(net->bm = banman_new()))
		return err_set(err, "cannot create the address manager: out of memory");
	load_files(net);
	if (!(net->t = transport_new(net->base, net->params->magic, &cb, net, err)))
		return -1;
	if (net->cfg.listen && listen_all(net, err) != 0)
		return -1;
	if (set_local(net, err) != 0)
		return -1;
	set_sources(net);
	for (size_t i = 0; i < net->cfg.n_connect; i++)
		if (strcmp(net->cfg.connect[i], "0") != 0 && connman_add_node(net, net->cfg.connect[i], false, &code, err) != 0)
			return err_set(err, "-connect '%s': invalid address", net->cfg.connect[i]);
	for (size_t i = 0; i < net->cfg.n_addnode; i++)
		if (connman_add_node(net, net->cfg.addnode[i], false, &code, err) != 0 && code != -23)
			return err_set(err, "-addnode '%s': invalid address", net->cfg.addnode[i]);
	if (!(net->fast = evtimer_new(net->base, fast_cb, net)))
		return err_set(err, "cannot create the mesh's timer");
	struct timeval now = { 0, 0 };
	if (!(net->kick = evtimer_new(net->base, kick_cb, net)) || evtimer_add(net->kick, &now) != 0)
		return err_set(err, "cannot create the mesh's timer");
	return 0;
}

/* The configured timers, or the defaults; shortened ones are logged, so a
 * test can tell they are in effect. */
static void set_timers(struct p2p *net)
{
	const struct p2p_config *c = &net->cfg;
	net->handshake_secs = c->handshake_timeout ? c->handshake_timeout : HANDSHAKE_TIMEOUT;
	net->ping_interval_us = (uint64_t)(c->ping_interval ? c->ping_interval : PING_INTERVAL) * 1000000u;
	net->ping_timeout_us = (uint64_t)(c->ping_timeout ? c->ping_timeout : PING_TIMEOUT) * 1000000u;
	net->stall_us = (uint64_t)(c->stall_timeout_ms ? c->stall_timeout_ms : SYNC_STALL_MS) * 1000u;
	net->block_timeout_us = net->stall_us * SYNC_TIMEOUT_FACTOR;
	if (c->handshake_timeout || c->ping_interval || c->ping_timeout || c->stall_timeout_ms)
		log_info("mesh timers: handshake %u s, ping every %llu s, ping timeout %llu s, stall %llu ms",
			 net->handshake_secs, (unsigned long long)(net->ping_interval_us / 1000000u),
			 (unsigned long long)(net->ping_timeout_us / 1000000u),
			 (unsigned long long)(net->stall_us / 1000u));
}

void p2p_free(struct p2p *net)
{
	if (!net)
		return;
	if (net->fast)
		event_free(net->fast);
	net->fast = NULL; /* closing peers below may still call net_wake */
	if (net->kick)
		event_free(net->kick);
	transport_free(net->t);
	/* captured peers (no connection) are still there */
	while (net->peers)
		close_peer(net->peers);
	sync_free(net);
	gossip_free(net);
	cmpct_free(net);
	addrman_free(net->am);
	banman_free(net->bm);
	free(net);
}

struct p2p *p2p_new(struct event_base *base, struct chainstate *cs, struct mempool *mp,
		    const struct p2p_config *cfg, char *err)
{
	struct p2p *net = calloc(1, sizeof(*net));
	if (!net) {
		err_set(err, "cannot create the mesh: out of memory");
		return NULL;
	}
	net->base = base;
	net->cs = cs;
	net->mp = mp;
	net->params = chainstate_params(cs);
	net->cfg = *cfg;
	if (net->cfg.bantime <= 0)
		net->cfg.bantime = 86400;
	net->nonce = net_random();
	net->active = true;
	set_timers(net);
	if (!(net->sync = sync_new()) || !(net->gossip = gossip_new(chainstate_tip(cs)->hash)) ||
	    !(net->cmpct = cmpct_new(!cfg->no_compact))) {
		err_set(err, "cannot create the mesh: out of memory");
		p2p_free(net);
		return NULL;
	}
	if (setup(net, err) != 0) {
		p2p_free(net);
		return NULL;
	}
	return net;
}

int p2p_save(struct p2p *net, char *err)
{
	if (addrman_save(net->am, net->peers_path, err) != 0)
		return -1;
	banman_sweep(net->bm, clock_now());
	return banman_save(net->bm, net->bans_path, err);
}

/* ---- events from the node ---- */

/* With -debug=bench, when a transaction or a tip arrived, on the
 * monotonic clock that every process of the machine shares, so
 * bench/bench_mesh.py can time propagation across nodes to the
 * microsecond. */
static void bench_mark(const char *what, const uint8_t hash[32], uint32_t height)
{
	char hex[65];
	if (!log_enabled(LOG_DEBUG, LOG_BENCH))
		return;
	hex_encode(hex, hash, 32);
	log_msg(LOG_DEBUG, LOG_BENCH, "mesh: %s %s height %u at %llu us", what, hex, height,
		(unsigned long long)clock_mono_us());
}

void p2p_tx_added(struct p2p *net, const struct tx *tx)
{
	if (!net)
		return;
	bench_mark("tx", tx->txid, chainstate_tip(net->cs)->height);
	gossip_queue_tx(net, tx->txid);
}

void p2p_tip_changed(struct p2p *net)
{
	if (!net)
		return;
	struct block_index *tip = chainstate_tip(net->cs);
	if (!gossip_tip_is_new(net, tip->hash))
		return;
	bench_mark("tip", tip->hash, tip->height);
	if (gossip_tip_changed(net))
		sync_download(net);
}

static void on_tip_changed(void *ctx, const struct block_index *tip)
{
	(void)tip;
	p2p_tip_changed(ctx);
}

struct chain_events p2p_chain_events(struct p2p *net)
{
	return (struct chain_events){ .tip_changed = on_tip_changed, .ctx = net };
}
