/* Connections: which peers to have. connman.c owns the added nodes
 * (net->added, retried with a doubling backoff), the outbound slots filled
 * from the address manager as p2p/slots.c decides (full relay, block relay
 * only, the extra block-relay-only peer and feelers), the seed nodes asked
 * for addresses (at start, again when starved), and inbound admission
 * (bans, the limit, eviction of the least useful). */
#include "p2p/connman.h"

#include <stdio.h>
#include <string.h>

#include "p2p/sync.h"
#include "util/clock.h"
#include "util/log.h"

#define ADDED_BACKOFF_MAX_US 60000000u
#define SEED_RETRY_MIN_US 5000000u
#define SEED_RETRY_MAX_US 600000000u
/* draws from the address manager per outbound attempt (Bitcoin Core
 * makes up to 100) */
#define OUTBOUND_TRIES 30

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

bool connman_accept_ok(void *ctx, const struct sockaddr *sa)
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
	/* Core's split: the automatic outbound slots and one feeler come off
	 * -maxconnections first */
	int max_in = net->cfg.max_connections - (int)(net->slots.max_full + net->slots.max_block + 1);
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

/* One of our own IPs: an address we are bound to or announce, or, when
 * we listen on every address, any loopback or unroutable one. */
static bool is_own_ip(struct p2p *net, const struct net_addr *a)
{
	for (size_t i = 0; i < net->n_bound; i++)
		if (memcmp(net->bound[i].ip, a->ip, 16) == 0)
			return true;
	for (size_t i = 0; i < net->local.n; i++)
		if (memcmp(net->local.e[i].addr.ip, a->ip, 16) == 0)
			return true;
	return net->bound_any && (net_addr_is_loopback(a) || !net_addr_is_routable(a));
}

/* A connection to a exists, either way round. As Bitcoin Core's
 * AlreadyConnectedToAddress, the IP alone decides (an inbound peer's port
 * is not where it listens), except for an IP we have ourselves: several
 * nodes sharing this machine's address are told apart by port. */
static bool already_connected(struct p2p *net, const struct net_addr *a)
{
	bool by_ip = !is_own_ip(net, a);
	for (struct peer *p = net->peers; p; p = p->next) {
		if (p->closing)
			continue;
		if (net_addr_equal(&p->addr, a) || (by_ip && memcmp(p->addr.ip, a->ip, 16) == 0))
			return true;
	}
	return false;
}

/* Forgets added[i]; the last entry takes its place. */
static void added_drop(struct p2p *net, size_t i)
{
	if (net->added[i].peer)
		net->added[i].peer->added = -1;
	net->added[i] = net->added[--net->n_added];
	if (i < net->n_added && net->added[i].peer)
		net->added[i].peer->added = (int)i;
}

void connman_open_added(struct p2p *net, uint64_t now)
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
		added_drop(net, i);
	}
}

/* a is where we listen: an announced or bound address, or our port on a
 * local address when we listen on every address. */
static bool is_self(struct p2p *net, const struct net_addr *a)
{
	if (localaddr_has(&net->local, a))
		return true;
	for (size_t i = 0; i < net->n_bound; i++)
		if (net_addr_equal(&net->bound[i], a))
			return true;
	return net->bound_any && a->port == net->listen_port &&
	       (net_addr_is_loopback(a) || !net_addr_is_routable(a));
}

/* An automatic outbound peer in a's group exists: Bitcoin Core's one
 * outbound connection per network group, so that no one network (one
 * /16, on regtest one /24) holds all of them. */
static bool group_taken(struct p2p *net, const struct net_addr *a)
{
	for (struct peer *p = net->peers; p; p = p->next)
		if (!p->closing && (p->type == P2P_OUTBOUND || p->type == P2P_BLOCK_RELAY) &&
		    addrman_same_group(net->am, &p->addr, a))
			return true;
	return false;
}

/* Opens one connection of type to an address the address manager picks
 * (a feeler: from the new table), skipping ours, connected ones, bans and,
 * but for a feeler, taken groups (Core's rule). NULL when nothing known
 * fits now. */
static struct peer *open_picked(struct p2p *net, enum p2p_conn_type type)
{
	struct net_addr a;
	uint64_t now = clock_now();
	bool feeler = type == P2P_FEELER;
	for (int tries = 0; tries < OUTBOUND_TRIES; tries++) {
		if (!addrman_select(net->am, &a, feeler, now))
			return NULL;
		if (already_connected(net, &a) || is_self(net, &a) || (!feeler && group_taken(net, &a)) ||
		    banman_is_banned(net->bm, a.ip, now))
			continue;
		addrman_attempt(net->am, &a, now);
		struct peer *p = connect_to(net, &a, type);
		if (p && type != P2P_OUTBOUND)
			log_debug(LOG_NET, "opening a %s connection to %s", p2p_conn_type_name(type), p->addr_text);
		return p;
	}
	return NULL;
}

/* The node is synced (its tip at its best header): extra block-relay-only
 * peers may start (Core waits for the end of the initial download). */
static bool synced(struct p2p *net)
{
	struct block_index *tip = chainstate_tip(net->cs), *best = chainstate_best_header(net->cs);
	return !best || best->height <= tip->height;
}

/* Opens the automatic connection p2p/slots.c says is due, at most one a
 * tick. Returns false when a full-relay slot is free but nothing known
 * can fill it now (the seeds are then asked again). */
static bool open_outbound(struct p2p *net, uint64_t now)
{
	if (net->cfg.connect_only)
		return true;
	switch (slots_next(&net->slots, count_type(net, P2P_OUTBOUND), count_type(net, P2P_BLOCK_RELAY),
			   synced(net), now, net_random())) {
	case SLOTS_OPEN_FULL_RELAY:
		return open_picked(net, P2P_OUTBOUND) != NULL;
	case SLOTS_OPEN_BLOCK_RELAY:
		open_picked(net, P2P_BLOCK_RELAY);
		return true;
	case SLOTS_OPEN_EXTRA_BLOCK_RELAY: {
		struct peer *p = open_picked(net, P2P_BLOCK_RELAY);
		if (p)
			net_log_peer(net, "opening an extra block-relay-only connection to %s", p->addr_text);
		return true;
	}
	case SLOTS_OPEN_FEELER:
		open_picked(net, P2P_FEELER);
		return true;
	case SLOTS_NONE:
		break;
	}
	return true;
}

#define EVICT_SCAN_MAX 32

/* More block-relay-only peers than slots (an extra one was opened): one
 * goes as p2p/slots.c says, the newcomer unless it brought a new block
 * first. Checked every tick (Core: every 45 s). */
static void evict_extra(struct p2p *net, uint64_t now)
{
	struct slots_peer sp[EVICT_SCAN_MAX];
	struct peer *who[EVICT_SCAN_MAX];
	size_t n = 0;
	for (struct peer *p = net->peers; p && n < EVICT_SCAN_MAX; p = p->next) {
		if (p->closing || p->type != P2P_BLOCK_RELAY)
			continue;
		int32_t h, b;
		size_t inflight;
		sync_peer_info(p, &h, &b, &inflight);
		sp[n] = (struct slots_peer){ p->id, p->since, p->last_block, inflight > 0 };
		who[n++] = p;
	}
	int go = slots_evict_extra(&net->slots, sp, n, now);
	if (go < 0)
		return;
	net_log_peer(net, "disconnecting extra block-relay-only peer=%llu %s (%s)", (unsigned long long)who[go]->id,
		     who[go]->addr_text, who[go]->last_block ? "an older block source" : "no new block from it");
	peer_disconnect(who[go], "extra block-relay-only peer");
}

static void ask_seeds(struct p2p *net, const char *why)
{
	char err[ERR_LEN];
	for (size_t i = 0; i < net->cfg.n_seednode; i++) {
		struct net_addr a;
		if (net_addr_parse(&a, net->cfg.seednode[i], net->params->p2p_port, err) != 0) {
			log_warn("-seednode '%s': %s", net->cfg.seednode[i], err);
			continue;
		}
		/* even when the seed is a peer already: only an address fetch
		 * gets its getaddr answered (an inbound seed never answers) */
		struct peer *p = connect_to(net, &a, P2P_ADDR_FETCH);
		if (p)
			log_info("asking seed node %s for addresses%s", p->addr_text, why);
	}
}

/* The seeds are asked once at start, and again whenever the outbound
 * slots cannot be filled from what the node knows (a node that started
 * before the others, or whose seed knew few addresses, would otherwise
 * stay alone): then at most every SEED_RETRY_MIN_US, doubling to
 * SEED_RETRY_MAX_US while it lasts, never with an address fetch under
 * way; a full set of outbound peers starts the wait over. */
static void open_seeds(struct p2p *net, uint64_t now, bool starved)
{
	if (!net->cfg.n_seednode)
		return;
	if (!net->seeds_asked) {
		net->seeds_asked = true;
		net->seeds_backoff = SEED_RETRY_MIN_US;
		net->seeds_next = now + net->seeds_backoff;
		ask_seeds(net, "");
		return;
	}
	if (net->cfg.connect_only)
		return;
	if (!starved) {
		if (count_type(net, P2P_OUTBOUND) >= net->slots.max_full)
			net->seeds_backoff = SEED_RETRY_MIN_US;
		return;
	}
	if (now < net->seeds_next || count_type(net, P2P_ADDR_FETCH))
		return;
	net->seeds_backoff = net->seeds_backoff * 2 > SEED_RETRY_MAX_US ? SEED_RETRY_MAX_US : net->seeds_backoff * 2;
	net->seeds_next = now + net->seeds_backoff;
	ask_seeds(net, " again: no known address fills the outbound slots");
}

/* Once a second (and when headers leave the node far behind): added
 * nodes, one automatic connection (p2p/slots.c), the seeds when starved,
 * a surplus block-relay-only peer let go. A node far behind the best
 * header fills every free full-relay slot at once instead: each peer is
 * asked for SYNC_MAX_BLOCKS_IN_FLIGHT blocks at a time, and a newcomer
 * that opened one slot a second would fetch a short chain from its first
 * one or two peers alone, leaving it slow and one peer's to mislead. */
void connman_open(struct p2p *net, uint64_t now)
{
	if (!net->active)
		return;
	net->opened = true;
	connman_open_added(net, now);
	size_t out = count_type(net, P2P_OUTBOUND);
	size_t n = !sync_far_behind(net) ? 1 : out < net->slots.max_full ? net->slots.max_full - out : 1;
	bool filled = true;
	for (size_t i = 0; i < n && filled; i++)
		filled = open_outbound(net, now);
	open_seeds(net, now, !filled);
	evict_extra(net, now);
}

/* A seed answered with addresses we did not know: a node without any
 * outbound peer yet (a newcomer) opens one from them now, not at the next
 * tick; its first peer's headers tell it whether it is far behind. */
void connman_addresses_fetched(struct p2p *net)
{
	if (net->active && count_type(net, P2P_OUTBOUND) == 0)
		connman_open(net, clock_mono_us());
}

int connman_add_node(struct p2p *net, const char *text, bool one_try, int *code, char *err)
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
	an->backoff = NET_ADDED_BACKOFF_MIN_US;
	return 0;
}


int connman_remove_node(struct p2p *net, const char *text, int *code, char *err)
{
	struct net_addr a;
	if (net_addr_parse(&a, text, net->params->p2p_port, err) == 0)
		for (size_t i = 0; i < net->n_added; i++)
			if (net_addr_equal(&net->added[i].addr, &a)) {
				added_drop(net, i);
				return 0;
			}
	*code = -24;
	return err_set(err, "Error: Node could not be removed. It has not been added previously.");
}

void connman_retry_added(struct p2p *net)
{
	for (size_t i = 0; i < net->n_added; i++) {
		net->added[i].next_try = 0;
		net->added[i].backoff = NET_ADDED_BACKOFF_MIN_US;
	}
}

void connman_peer_ready(struct peer *p)
{
	if (p->type == P2P_INBOUND)
		return;
	addrman_good(p->net->am, &p->addr, clock_now());
	if (p->added >= 0)
		p->net->added[p->added].backoff = NET_ADDED_BACKOFF_MIN_US;
}
