#include "p2p/net.h"

#include <event2/event.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/hash.h"
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
#define ADDED_BACKOFF_MIN_US 2000000u
#define ADDED_BACKOFF_MAX_US 60000000u
#define ADDR_RATE_PER_SEC 0.1
#define ADDR_RELAY_MAX_ENTRIES 10
#define ADDR_RELAY_FRESH_SECS 600
#define ADDR_RELAY_PEERS 2
#define ADDR_SEND_US 1000000u

static uint64_t random64(void)
{
	uint64_t v = 0;
	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = clock_mono_us() * 6364136223846793005ull + 1442695040888963407ull;
	return v;
}

static void addr_mark_known(struct peer *p, const struct net_addr *a);

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

/* After the handshake an outbound peer learns where we listen (the address
 * it sees us at, with our port), so addresses spread through getaddr. */
static void advertise_self(struct peer *p)
{
	struct net_addr self = p->ver.addr_recv;
	struct msg_addr m = { 1, &self };
	struct buf b = BUF_INIT;
	if (!p->net->listen_port)
		return;
	self.port = p->net->listen_port;
	self.services = MSG_NODE_NETWORK;
	self.time = (uint32_t)clock_now();
	addr_mark_known(p, &self);
	if (msg_addr_encode(&b, &m) == 0)
		peer_send_buf(p, MSG_ADDR, &b);
	else
		buf_release(&b);
}

static void send_ping(struct peer *p, uint64_t now)
{
	struct msg_ping m = { random64() | 1 };
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

static void peer_ready(struct peer *p)
{
	struct p2p *net = p->net;
	p->ready = true;
	transport_set_timeout(p->c, 0);
	if (p->type != P2P_INBOUND) {
		addrman_good(net->am, &p->addr, clock_now());
		if (p->added >= 0)
			net->added[p->added].backoff = ADDED_BACKOFF_MIN_US;
		peer_send(p, MSG_GETADDR, NULL, 0);
		p->getaddr_sent = true;
		if (p->type != P2P_ADDR_FETCH)
			advertise_self(p);
	}
	net_log_peer(net, "peer=%llu %s connected (%s, version %u, %s, height %u)", (unsigned long long)p->id,
		     p->addr_text, p2p_conn_type_name(p->type), p->ver.version, p->ver.user_agent, p->ver.height);
	if (p->type == P2P_ADDR_FETCH)
		return;
	peer_send(p, MSG_SENDHEADERS, NULL, 0);
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
	if (p->type == P2P_INBOUND)
		send_version(p);
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

/* BIP 130: the peer takes new blocks as headers, which saves it the
 * getheaders round trip an inv costs before it can ask for the block. */
static void on_sendheaders(struct peer *p, const uint8_t *payload, size_t len)
{
	char err[ERR_LEN];
	if (msg_empty_decode(payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed sendheaders");
	p->wants_headers = true;
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

/* Addresses are rationed: 0.1 per second (Bitcoin Core's rate) up to
 * MSG_MAX_ADDR, except the answer to our own getaddr. */
static size_t addr_allowance(struct peer *p, size_t n)
{
	uint64_t now = clock_mono_us();
	p->addr_tokens += (double)(now - p->addr_tokens_at) / 1e6 * ADDR_RATE_PER_SEC;
	p->addr_tokens_at = now;
	if (p->addr_tokens > MSG_MAX_ADDR)
		p->addr_tokens = MSG_MAX_ADDR;
	if (p->getaddr_sent) {
		p->getaddr_sent = false;
		return n;
	}
	size_t ok = p->addr_tokens >= (double)n ? n : (size_t)p->addr_tokens;
	p->addr_tokens -= (double)ok;
	return ok;
}

/* ---- address relay ---- */

static void addr_key(uint8_t k[32], const struct net_addr *a)
{
	memset(k, 0, 32);
	memcpy(k, a->ip, 16);
	k[16] = (uint8_t)(a->port >> 8);
	k[17] = (uint8_t)a->port;
}

static void addr_mark_known(struct peer *p, const struct net_addr *a)
{
	uint8_t k[32];
	addr_key(k, a);
	if (invset_add(&p->addr_known, k) != 0)
		log_debug(LOG_NET, "out of memory for the addresses of peer=%llu", (unsigned long long)p->id);
}

/* Queues a for p unless p has it or its queue is full. */
static void addr_queue(struct peer *p, const struct net_addr *a)
{
	uint8_t k[32];
	addr_key(k, a);
	if (invset_has(&p->addr_known, k) || p->addr_q_n == PEER_ADDR_QUEUE_MAX)
		return;
	if (p->addr_q_n == p->addr_q_cap) {
		size_t nc = p->addr_q_cap ? p->addr_q_cap * 2 : 8;
		void *q = realloc(p->addr_q, nc * sizeof(*p->addr_q));
		if (!q)
			return;
		p->addr_q = q;
		p->addr_q_cap = nc;
	}
	p->addr_q[p->addr_q_n++] = *a;
	addr_mark_known(p, a);
}

/* A keyed hash of (address, day, peer): the peers with the lowest relay an
 * address, so it goes the same way all day and repeating it does not
 * spray it around (Bitcoin Core's RelayAddress). */
static uint64_t relay_rank(const struct p2p *net, const struct net_addr *a, uint64_t day, uint64_t peer)
{
	uint8_t in[8 + 16 + 2 + 8 + 8], h[32];
	uint64_t r;
	memcpy(in, &net->nonce, 8);
	memcpy(in + 8, a->ip, 16);
	memcpy(in + 24, &a->port, 2);
	memcpy(in + 26, &day, 8);
	memcpy(in + 34, &peer, 8);
	hash_sha256(h, in, sizeof(in));
	memcpy(&r, h, 8);
	return r;
}

static void relay_addr(struct p2p *net, const struct peer *from, const struct net_addr *a, uint64_t now)
{
	struct peer *best[ADDR_RELAY_PEERS] = { NULL };
	uint64_t rank[ADDR_RELAY_PEERS];
	for (struct peer *p = net->peers; p; p = p->next) {
		if (p == from || !p->ready || p->closing || p->type == P2P_ADDR_FETCH)
			continue;
		uint64_t r = relay_rank(net, a, now / 86400, p->id);
		for (size_t k = 0; k < ADDR_RELAY_PEERS; k++)
			if (!best[k] || r < rank[k]) {
				for (size_t m = ADDR_RELAY_PEERS - 1; m > k; m--) {
					best[m] = best[m - 1];
					rank[m] = rank[m - 1];
				}
				best[k] = p;
				rank[k] = r;
				break;
			}
	}
	for (size_t k = 0; k < ADDR_RELAY_PEERS && best[k]; k++)
		addr_queue(best[k], a);
}

/* Fresh announcements are passed on: entries of a small unsolicited addr
 * (a node telling where it listens) stamped within the last ten minutes.
 * Answers to getaddr and big lists are table dumps, kept to ourselves. */
static void relay_fresh(struct peer *p, const struct net_addr *addrs, size_t n)
{
	struct p2p *net = p->net;
	uint64_t now = clock_now();
	for (size_t i = 0; i < n; i++) {
		const struct net_addr *a = &addrs[i];
		if (a->port == 0 || a->time + ADDR_RELAY_FRESH_SECS < now || a->time > now + ADDR_RELAY_FRESH_SECS)
			continue;
		if (!net_addr_is_routable(a) && net->params->net != NET_REGTEST)
			continue;
		relay_addr(net, p, a, now);
	}
}

/* Sends p's queued addresses when due: at most one addr every 1-2 s
 * (randomised), so relayed addresses leave in batches. */
static void addr_flush(struct peer *p, uint64_t now_us)
{
	if (!p->addr_q_n || !p->ready || p->closing || now_us < p->next_addr_send)
		return;
	struct msg_addr m = { p->addr_q_n, p->addr_q };
	struct buf b = BUF_INIT;
	if (msg_addr_encode(&b, &m) == 0)
		peer_send_buf(p, MSG_ADDR, &b);
	else
		buf_release(&b);
	p->addr_q_n = 0;
	p->next_addr_send = now_us + ADDR_SEND_US + random64() % ADDR_SEND_US;
}

static void on_addr(struct peer *p, const uint8_t *payload, size_t len)
{
	struct msg_addr m;
	char err[ERR_LEN];
	if (msg_addr_decode(&m, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed addr");
	bool solicited = p->getaddr_sent;
	size_t n = addr_allowance(p, m.n);
	if (n < m.n)
		log_debug(LOG_NET, "peer=%llu: %zu of %zu addresses over the rate", (unsigned long long)p->id,
			  m.n - n, m.n);
	for (size_t i = 0; i < m.n; i++)
		addr_mark_known(p, &m.addrs[i]);
	size_t added = addrman_add(p->net->am, m.addrs, n, &p->addr, clock_now());
	log_debug(LOG_NET, "peer=%llu sent %zu addresses, %zu new", (unsigned long long)p->id, m.n, added);
	if (!solicited && m.n <= ADDR_RELAY_MAX_ENTRIES)
		relay_fresh(p, m.addrs, n);
	msg_addr_release(&m);
	if (p->type == P2P_ADDR_FETCH)
		peer_disconnect(p, "addresses fetched");
}

/* Answered once per connection, and only to inbound peers, as Bitcoin Core
 * does, so a node cannot be scraped by reconnecting outbound. */
static void on_getaddr(struct peer *p, const uint8_t *payload, size_t len)
{
	char err[ERR_LEN];
	if (msg_empty_decode(payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed getaddr");
	if (p->type != P2P_INBOUND || p->getaddr_answered)
		return;
	p->getaddr_answered = true;
	struct net_addr *out = malloc(sizeof(*out) * ADDRMAN_GETADDR_MAX);
	if (!out)
		return;
	struct msg_addr m = { addrman_get_addr(p->net->am, out, ADDRMAN_GETADDR_MAX, clock_now()), out };
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < m.n; i++)
		addr_mark_known(p, &out[i]);
	if (msg_addr_encode(&b, &m) == 0)
		peer_send_buf(p, MSG_ADDR, &b);
	else
		buf_release(&b);
	free(out);
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
		{ MSG_ADDR, on_addr },
		{ MSG_GETADDR, on_getaddr },
		{ MSG_INV, gossip_on_inv },
		{ MSG_GETDATA, gossip_on_getdata },
		{ MSG_NOTFOUND, gossip_on_notfound },
		{ MSG_TX, gossip_on_tx },
		{ MSG_GETHEADERS, sync_on_getheaders },
		{ MSG_HEADERS, sync_on_headers },
		{ MSG_BLOCK, sync_on_block },
		{ MSG_VERACK, on_verack },
		{ MSG_SENDHEADERS, on_sendheaders },
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

static void on_close(void *ctx, struct conn *c, const char *reason)
{
	struct peer *p = transport_conn_user(c);
	(void)ctx;
	if (!p)
		return;
	if (p->ready)
		net_log_peer(p->net, "peer=%llu %s disconnected: %s", (unsigned long long)p->id, p->addr_text, reason);
	else
		log_debug(LOG_NET, "connection %s closed before the handshake: %s", p->addr_text, reason);
	sync_peer_closed(p);
	gossip_peer_closed(p);
	peer_free(p);
}

static size_t count_type(struct p2p *net, enum p2p_conn_type t)
{
	size_t n = 0;
	for (struct peer *p = net->peers; p; p = p->next)
		n += !p->closing && p->type == t;
	return n;
}

/* Inbound is full: make room by dropping the least useful inbound peer,
 * one that brought no block or transaction in the last minute, the slowest
 * to answer pings first. False when every inbound peer is useful. */
static bool evict_inbound(struct p2p *net)
{
	struct peer *worst = NULL;
	uint64_t now = clock_mono_us(), recent = 60000000u;
	for (struct peer *p = net->peers; p; p = p->next) {
		if (p->closing || p->type != P2P_INBOUND)
			continue;
		if ((p->last_block && now - p->last_block < recent) || (p->last_tx && now - p->last_tx < recent))
			continue;
		int64_t ping = p->min_ping_us < 0 ? INT64_MAX : p->min_ping_us;
		int64_t wping = !worst ? -1 : worst->min_ping_us < 0 ? INT64_MAX : worst->min_ping_us;
		if (!worst || ping > wping || (ping == wping && p->id > worst->id))
			worst = p;
	}
	if (!worst)
		return false;
	net_log_peer(net, "inbound slots full: evicting peer=%llu %s", (unsigned long long)worst->id,
		     worst->addr_text);
	peer_disconnect(worst, "evicted");
	return true;
}

static bool accept_ok(void *ctx, const struct sockaddr *sa)
{
	struct p2p *net = ctx;
	struct net_addr a;
	char err[ERR_LEN];
	if (!net->active || net_addr_from_sockaddr(&a, sa, err) != 0)
		return false;
	if (banman_is_banned(net->bm, a.ip, clock_now())) {
		log_debug(LOG_NET, "refused inbound from a banned address");
		return false;
	}
	int max_in = net->cfg.max_connections - NET_MAX_OUTBOUND;
	if (max_in <= 0)
		return false;
	if (count_type(net, P2P_INBOUND) >= (size_t)max_in)
		return evict_inbound(net);
	return true;
}

/* ---- outbound connections ---- */

static struct peer *connect_to(struct p2p *net, const struct net_addr *a, enum p2p_conn_type type)
{
	char err[ERR_LEN];
	struct conn *c = transport_connect(net->t, a, err);
	if (!c) {
		log_debug(LOG_NET, "cannot connect: %s", err);
		return NULL;
	}
	struct peer *p = peer_new(net, c, type);
	if (!p)
		transport_close(c, "out of memory");
	return p;
}

static bool already_connected(struct p2p *net, const struct net_addr *a)
{
	for (struct peer *p = net->peers; p; p = p->next)
		if (!p->closing && net_addr_equal(&p->addr, a))
			return true;
	return false;
}

static void open_added(struct p2p *net, uint64_t now)
{
	for (size_t i = 0; i < net->n_added; i++) {
		struct added_node *an = &net->added[i];
		if (an->peer || now < an->next_try)
			continue;
		an->next_try = now + an->backoff;
		an->backoff = an->backoff * 2 > ADDED_BACKOFF_MAX_US ? ADDED_BACKOFF_MAX_US : an->backoff * 2;
		if (banman_is_banned(net->bm, an->addr.ip, clock_now()) || already_connected(net, &an->addr))
			continue;
		if ((an->peer = connect_to(net, &an->addr, P2P_MANUAL)))
			an->peer->added = (int)i;
	}
	/* onetry entries were tried once: forget them. */
	for (size_t i = 0; i < net->n_added;) {
		if (!net->added[i].one_try) {
			i++;
			continue;
		}
		if (net->added[i].peer)
			net->added[i].peer->added = -1;
		net->added[i] = net->added[--net->n_added];
		if (i < net->n_added && net->added[i].peer)
			net->added[i].peer->added = (int)i;
	}
}

static bool is_self(struct p2p *net, const struct net_addr *a)
{
	return a->port == net->listen_port && (net_addr_is_loopback(a) || !net_addr_is_routable(a));
}

static void open_outbound(struct p2p *net)
{
	struct net_addr a;
	uint64_t now = clock_now();
	if (net->cfg.connect_only || count_type(net, P2P_OUTBOUND) >= NET_MAX_OUTBOUND)
		return;
	for (int tries = 0; tries < 10; tries++) {
		if (!addrman_select(net->am, &a, false, now))
			return;
		if (already_connected(net, &a) || is_self(net, &a) || banman_is_banned(net->bm, a.ip, now))
			continue;
		addrman_attempt(net->am, &a, now);
		connect_to(net, &a, P2P_OUTBOUND);
		return;
	}
}

static void open_seeds(struct p2p *net)
{
	char err[ERR_LEN];
	if (net->seeds_done)
		return;
	net->seeds_done = true;
	for (size_t i = 0; i < net->cfg.n_seednode; i++) {
		struct net_addr a;
		if (net_addr_parse(&a, net->cfg.seednode[i], net->params->p2p_port, err) != 0) {
			log_warn("-seednode '%s': %s", net->cfg.seednode[i], err);
			continue;
		}
		struct peer *p = connect_to(net, &a, P2P_ADDR_FETCH);
		if (p)
			log_info("asking seed node %s for addresses", p->addr_text);
	}
}

/* ---- timers ---- */

static void open_connections(struct p2p *net, uint64_t now)
{
	if (!net->active)
		return;
	net->opened = true;
	open_seeds(net);
	open_added(net, now);
	open_outbound(net);
}

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

static void on_tick(void *ctx)
{
	struct p2p *net = ctx;
	uint64_t now = clock_mono_us();
	for (struct peer *p = net->peers; p; p = p->next)
		peer_timers(p, now);
	gossip_expire(net);
	sync_tick(net);
	open_connections(net, now);
}

static void fast_cb(evutil_socket_t fd, short what, void *arg)
{
	struct p2p *net = arg;
	uint64_t now = clock_mono_us();
	(void)fd;
	(void)what;
	for (struct peer *p = net->peers; p; p = p->next) {
		gossip_trickle(p, now);
		gossip_serve(p);
		addr_flush(p, now);
	}
	sync_flush(net);
	sync_download(net);
}

/* The first connections open as soon as the loop runs, not at the first
 * one-second tick: a fresh node starts syncing a second sooner. */
static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct p2p *net = arg;
	(void)fd;
	(void)what;
	if (!net->opened)
		open_connections(net, clock_mono_us());
}

/* ---- life ---- */

static int add_added(struct p2p *net, const char *text, bool one_try, int *code, char *err)
{
	struct net_addr a;
	if (net_addr_parse(&a, text, net->params->p2p_port, err) != 0 || a.port == 0) {
		*code = -8;
		return err_set(err, "invalid address '%s'", text);
	}
	for (size_t i = 0; i < net->n_added; i++)
		if (net_addr_equal(&net->added[i].addr, &a) && !net->added[i].one_try) {
			*code = -23;
			return err_set(err, "Error: Node already added");
		}
	if (net->n_added == NET_MAX_ADDED) {
		*code = -8;
		return err_set(err, "too many added nodes (at most %d)", NET_MAX_ADDED);
	}
	struct added_node *an = &net->added[net->n_added++];
	memset(an, 0, sizeof(*an));
	an->addr = a;
	snprintf(an->text, sizeof(an->text), "%s", text);
	an->one_try = one_try;
	an->backoff = ADDED_BACKOFF_MIN_US;
	return 0;
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
	}
	net->listen_port = transport_listen_port(net->t);
	log_info("listening for peers on port %u", net->listen_port);
	return 0;
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
	static const struct transport_callbacks cb = { on_open, on_message, on_close, on_tick, accept_ok };
	int code;
	if (snprintf(net->peers_path, sizeof(net->peers_path), "%s/peers.dat", net->cfg.datadir) >=
		    (int)sizeof(net->peers_path) ||
	    snprintf(net->bans_path, sizeof(net->bans_path), "%s/banlist.dat", net->cfg.datadir) >=
		    (int)sizeof(net->bans_path))
		return err_set(err, "data directory path too long");
	if (!(net->am = addrman_new(random64(), net->params->net == NET_REGTEST)) || !(net->bm = banman_new()))
		return err_set(err, "cannot create the address manager: out of memory");
	load_files(net);
	if (!(net->t = transport_new(net->base, net->params->magic, &cb, net, err)))
		return -1;
	if (net->cfg.listen && listen_all(net, err) != 0)
		return -1;
	for (size_t i = 0; i < net->cfg.n_connect; i++)
		if (strcmp(net->cfg.connect[i], "0") != 0 && add_added(net, net->cfg.connect[i], false, &code, err) != 0)
			return err_set(err, "-connect '%s': invalid address", net->cfg.connect[i]);
	for (size_t i = 0; i < net->cfg.n_addnode; i++)
		if (add_added(net, net->cfg.addnode[i], false, &code, err) != 0 && code != -23)
			return err_set(err, "-addnode '%s': invalid address", net->cfg.addnode[i]);
	struct timeval tv = { 0, 100000 };
	if (!(net->fast = event_new(net->base, -1, EV_PERSIST, fast_cb, net)) || event_add(net->fast, &tv) != 0)
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
	net->nonce = random64();
	net->active = true;
	set_timers(net);
	hmap_init(&net->tx_asked, 32);
	hmap_init(&net->blk_asked, 32);
	hmap_init(&net->held_map, 32);
	invset_init(&net->rejects, GOSSIP_REJECTS_MAX);
	memcpy(net->announced, chainstate_tip(cs)->hash, 32);
	if (setup(net, err) != 0) {
		p2p_free(net);
		return NULL;
	}
	return net;
}

void p2p_free(struct p2p *net)
{
	if (!net)
		return;
	if (net->fast)
		event_free(net->fast);
	if (net->kick)
		event_free(net->kick);
	transport_free(net->t);
	sync_release(net);
	gossip_release(net);
	hmap_release(&net->tx_asked);
	hmap_release(&net->blk_asked);
	hmap_release(&net->held_map);
	invset_release(&net->rejects);
	addrman_free(net->am);
	banman_free(net->bm);
	free(net);
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

/* Announced once the tip is within a few blocks of the best header, so a
 * syncing node does not shower its peers with every block it connects. */
void p2p_tip_changed(struct p2p *net)
{
	if (!net)
		return;
	struct block_index *tip = chainstate_tip(net->cs), *best = chainstate_best_header(net->cs);
	if (memcmp(tip->hash, net->announced, 32) == 0)
		return;
	bench_mark("tip", tip->hash, tip->height);
	invset_clear(&net->rejects);
	if (best && best->height > tip->height + 8)
		return;
	memcpy(net->announced, tip->hash, 32);
	gossip_announce_block(net, tip->hash);
	sync_download(net);
}

/* ---- queries and commands ---- */

const char *p2p_conn_type_name(enum p2p_conn_type t)
{
	switch (t) {
	case P2P_INBOUND:
		return "inbound";
	case P2P_OUTBOUND:
		return "outbound-full-relay";
	case P2P_MANUAL:
		return "manual";
	case P2P_ADDR_FETCH:
		return "addr-fetch";
	}
	return "unknown";
}

static void peer_info(struct p2p *net, const struct peer *p, struct p2p_peer_info *o)
{
	struct transport_stats st;
	transport_conn_stats(p->c, &st);
	memset(o, 0, sizeof(*o));
	o->id = p->id;
	snprintf(o->addr, sizeof(o->addr), "%s", p->addr_text);
	o->inbound = p->type == P2P_INBOUND;
	o->type = p->type;
	o->version = p->ver.version;
	snprintf(o->subver, sizeof(o->subver), "%s", p->ver.user_agent);
	o->services = p->ver.services;
	o->starting_height = p->ver.height;
	o->bytes_sent = st.bytes_sent;
	o->bytes_recv = st.bytes_recv;
	o->conn_time = st.conn_time;
	o->last_send = st.last_send;
	o->last_recv = st.last_recv;
	memcpy(o->sent_per_msg, st.bytes_sent_per_msg, sizeof(o->sent_per_msg));
	memcpy(o->recv_per_msg, st.bytes_recv_per_msg, sizeof(o->recv_per_msg));
	o->ping_us = p->ping_us;
	o->min_ping_us = p->min_ping_us;
	o->ping_wait_us = p->ping_nonce ? (int64_t)(clock_mono_us() - p->ping_sent) : -1;
	o->synced_headers = p->best_known ? (int32_t)p->best_known->height : -1;
	struct block_index *f = p->best_known ? index_fork(chainstate_tip(net->cs), p->best_known) : NULL;
	o->synced_blocks = f ? (int32_t)f->height : -1;
	o->score = p->score;
	o->inflight = p->n_inflight;
	o->ready = p->ready;
}

int p2p_peers(struct p2p *net, struct p2p_peer_info **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	size_t cnt = 0;
	for (struct peer *p = net->peers; p; p = p->next)
		cnt += !p->closing && transport_conn_is_open(p->c);
	if (cnt == 0)
		return 0;
	if (!(*out = calloc(cnt, sizeof(**out))))
		return -1;
	for (struct peer *p = net->peers; p && *n < cnt; p = p->next)
		if (!p->closing && transport_conn_is_open(p->c))
			peer_info(net, p, &(*out)[(*n)++]);
	return 0;
}

size_t p2p_connection_count(struct p2p *net, size_t *in, size_t *out)
{
	size_t i = 0, o = 0;
	for (struct peer *p = net->peers; p; p = p->next) {
		if (p->closing || !transport_conn_is_open(p->c))
			continue;
		if (p->type == P2P_INBOUND)
			i++;
		else
			o++;
	}
	if (in)
		*in = i;
	if (out)
		*out = o;
	return i + o;
}

bool p2p_active(const struct p2p *net)
{
	return net->active;
}

void p2p_set_active(struct p2p *net, bool on)
{
	if (net->active == on)
		return;
	net->active = on;
	log_info("network activity %s", on ? "enabled" : "disabled");
	if (on) {
		for (size_t i = 0; i < net->n_added; i++) {
			net->added[i].next_try = 0;
			net->added[i].backoff = ADDED_BACKOFF_MIN_US;
		}
		return;
	}
	for (struct peer *p = net->peers; p; p = p->next)
		peer_disconnect(p, "network disabled");
}

uint16_t p2p_listen_port(const struct p2p *net)
{
	return net->listen_port;
}

void p2p_totals(struct p2p *net, uint64_t *sent, uint64_t *recv)
{
	transport_totals(net->t, sent, recv);
}

int p2p_addnode(struct p2p *net, const char *addr, const char *command, int *code, char *err)
{
	struct net_addr a;
	*code = 0;
	if (strcmp(command, "add") == 0 || strcmp(command, "onetry") == 0) {
		bool one = strcmp(command, "onetry") == 0;
		if (add_added(net, addr, one, code, err) != 0)
			return -1;
		net->added[net->n_added - 1].next_try = 0;
		if (one && net->active)
			open_added(net, clock_mono_us());
		return 0;
	}
	if (strcmp(command, "remove") != 0) {
		*code = -8;
		return err_set(err, "Error: Invalid command, expected add, remove or onetry");
	}
	if (net_addr_parse(&a, addr, net->params->p2p_port, err) == 0)
		for (size_t i = 0; i < net->n_added; i++)
			if (net_addr_equal(&net->added[i].addr, &a)) {
				if (net->added[i].peer)
					net->added[i].peer->added = -1;
				net->added[i] = net->added[--net->n_added];
				if (i < net->n_added && net->added[i].peer)
					net->added[i].peer->added = (int)i;
				return 0;
			}
	*code = -24;
	return err_set(err, "Error: Node could not be removed. It has not been added previously.");
}

int p2p_added(struct p2p *net, struct p2p_added_info **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (net->n_added == 0)
		return 0;
	if (!(*out = calloc(net->n_added, sizeof(**out))))
		return -1;
	for (size_t i = 0; i < net->n_added; i++) {
		struct added_node *an = &net->added[i];
		struct p2p_added_info *o = &(*out)[(*n)++];
		snprintf(o->addr, sizeof(o->addr), "%s", an->text);
		o->connected = an->peer && an->peer->ready && !an->peer->closing;
		if (o->connected)
			snprintf(o->peer_addr, sizeof(o->peer_addr), "%s", an->peer->addr_text);
	}
	return 0;
}

size_t p2p_disconnect(struct p2p *net, const char *addr, uint64_t id)
{
	size_t n = 0;
	struct net_addr a;
	char err[ERR_LEN];
	bool by_addr = addr && net_addr_parse(&a, addr, net->params->p2p_port, err) == 0;
	if (addr && !by_addr)
		return 0;
	for (struct peer *p = net->peers; p; p = p->next) {
		if (p->closing || (by_addr ? !net_addr_equal(&p->addr, &a) : p->id != id))
			continue;
		peer_disconnect(p, "disconnectnode");
		n++;
	}
	return n;
}

int p2p_node_addresses(struct p2p *net, struct net_addr **out, size_t *n, size_t max)
{
	size_t cap = addrman_size(net->am);
	*out = NULL;
	*n = 0;
	if (max && max < cap)
		cap = max;
	if (cap == 0)
		return 0;
	if (!(*out = calloc(cap, sizeof(**out))))
		return -1;
	/* Random entries that are not terrible, within the address manager's
	 * getaddr share of the table. */
	*n = addrman_get_addr(net->am, *out, cap, clock_now());
	return 0;
}

int p2p_ban(struct p2p *net, const char *subnet, uint64_t until, char *err)
{
	struct ban_subnet s;
	uint64_t now = clock_now();
	if (banman_parse(&s, subnet, err) != 0)
		return -1;
	if (banman_ban_subnet(net->bm, &s, until, now, err) != 0)
		return -1;
	for (struct peer *p = net->peers; p; p = p->next)
		if (banman_subnet_contains(&s, p->addr.ip))
			peer_disconnect(p, "banned");
	return 0;
}

int p2p_unban(struct p2p *net, const char *subnet, char *err)
{
	return banman_unban(net->bm, subnet, err);
}

bool p2p_is_banned_subnet(struct p2p *net, const char *subnet)
{
	struct ban_subnet s;
	char err[ERR_LEN];
	return banman_parse(&s, subnet, err) == 0 && banman_has(net->bm, &s, clock_now());
}

struct banman *p2p_banman(struct p2p *net)
{
	return net->bm;
}

int64_t p2p_bantime(const struct p2p *net)
{
	return net->cfg.bantime;
}
