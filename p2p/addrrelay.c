/* Address relay owns each peer's struct addrrelay_peer: the addresses it
 * has or was sent, those queued for it, its rate allowance, the getaddr
 * exchanged with it and when our own address is next due to it. It learns
 * addresses into the address manager, answers getaddr, passes fresh
 * announcements on to a few peers, and announces where we listen. */
#include "p2p/addrrelay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"
#include "p2p/connman.h"
#include "util/clock.h"
#include "util/grow.h"
#include "util/log.h"

#define ADDR_RATE_PER_SEC 0.1
#define ADDR_RELAY_MAX_ENTRIES 10
#define ADDR_RELAY_FRESH_SECS 600
#define ADDR_RELAY_PEERS 2
#define ADDR_SEND_US 1000000u
#define ADDR_KNOWN_MAX 5000
#define ADDR_QUEUE_MAX 1000
/* Our own address goes to each peer again on average this often
 * (Bitcoin Core's AVG_LOCAL_ADDRESS_BROADCAST_INTERVAL), so it stays
 * fresh in the mesh's address managers. */
#define ADDR_SELF_AVG_US (24 * 3600 * 1000000.0)

struct addrrelay_peer {
	bool getaddr_answered, getaddr_sent;
	double tokens;
	uint64_t tokens_at;
	/* addresses the peer has or was sent, and those waiting for the next
	 * addr to it (at most ADDR_QUEUE_MAX) */
	struct invset known;
	struct net_addr *q;
	size_t q_n, q_cap;
	uint64_t next_send;
	/* monotonic us our own address is due to the peer, 0 while it takes
	 * no part in address relay (an inbound peer that sent no addr or
	 * getaddr yet) */
	uint64_t next_self;
};

struct addrrelay_peer *addrrelay_peer_new(void)
{
	struct addrrelay_peer *ap = calloc(1, sizeof(*ap));
	if (!ap)
		return NULL;
	ap->tokens = MSG_MAX_ADDR;
	ap->tokens_at = clock_mono_us();
	invset_init(&ap->known, ADDR_KNOWN_MAX);
	return ap;
}

void addrrelay_peer_free(struct addrrelay_peer *ap)
{
	if (!ap)
		return;
	invset_release(&ap->known);
	free(ap->q);
	free(ap);
}

/* Addresses are rationed: 0.1 per second (Bitcoin Core's rate) up to
 * MSG_MAX_ADDR, except the answer to our own getaddr. */
static size_t addr_allowance(struct peer *p, size_t n)
{
	uint64_t now = clock_mono_us();
	p->addrs->tokens += (double)(now - p->addrs->tokens_at) / 1e6 * ADDR_RATE_PER_SEC;
	p->addrs->tokens_at = now;
	if (p->addrs->tokens > MSG_MAX_ADDR)
		p->addrs->tokens = MSG_MAX_ADDR;
	if (p->addrs->getaddr_sent) {
		p->addrs->getaddr_sent = false;
		return n;
	}
	size_t ok = p->addrs->tokens >= (double)n ? n : (size_t)p->addrs->tokens;
	p->addrs->tokens -= (double)ok;
	return ok;
}

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
	if (invset_add(&p->addrs->known, k) != 0)
		log_debug(LOG_NET, "out of memory for the addresses of peer=%llu", (unsigned long long)p->id);
}

/* Queues a for p unless p has it or its queue is full. */
static void addr_queue(struct peer *p, const struct net_addr *a)
{
	uint8_t k[32];
	addr_key(k, a);
	if (invset_has(&p->addrs->known, k) || p->addrs->q_n == ADDR_QUEUE_MAX)
		return;
	if (grow_array(&p->addrs->q, &p->addrs->q_cap, p->addrs->q_n + 1, sizeof(*p->addrs->q), 8, ADDR_QUEUE_MAX) != 0)
		return;
	p->addrs->q[p->addrs->q_n++] = *a;
	addr_mark_known(p, a);
	net_wake(p->net);
}

bool addrrelay_peer_pending(const struct peer *p)
{
	return p->addrs->q_n > 0;
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
		/* only to peers that take part in address relay (Core's
		 * m_addr_relay_enabled): not the inbound end of a
		 * block-relay-only link, which never asks */
		if (p == from || !p->ready || p->closing || p->type == P2P_ADDR_FETCH || !peer_relays_addrs(p) ||
		    !p->addrs->next_self)
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

/* The address to tell p to dial us at: our announced address of its
 * family (p2p/localaddr.h); without -externalip and when none fits, the
 * address p sees us at with our listening port, if peers can dial it
 * (Bitcoin Core's GetLocalAddrForPeer). False when we do not listen. */
static bool self_addr_for(const struct peer *p, struct net_addr *out)
{
	struct p2p *net = p->net;
	if (!net->listen_port)
		return false;
	if (!localaddr_best(&net->local, out, &p->addr)) {
		if (net->cfg.n_externalip)
			return false;
		memset(out, 0, sizeof(*out));
		memcpy(out->ip, p->ver.addr_recv.ip, 16);
		out->port = net->listen_port;
		if (!peer_addr_usable(net, out))
			return false;
	}
	out->services = MSG_NODE_NETWORK;
	out->time = (uint32_t)clock_now();
	return true;
}

/* When our address is next due to a peer: an exponential wait averaging
 * ADDR_SELF_AVG_US, so announcements do not come in lockstep. */
static uint64_t next_self_at(uint64_t now_us)
{
	double u = (double)((net_random() >> 11) + 1) * (1.0 / 9007199254740992.0);
	return now_us + (uint64_t)(-log(u) * ADDR_SELF_AVG_US);
}

/* Sends our address to p at once: an outbound peer hears it right after
 * the handshake, before any answer to our getaddr could end the
 * connection (an address fetch closes on that answer). */
static void send_self(struct peer *p)
{
	struct net_addr self;
	struct msg_addr m = { 1, &self };
	struct buf b = BUF_INIT;
	if (!self_addr_for(p, &self))
		return;
	addr_mark_known(p, &self);
	if (msg_addr_encode(&b, &m) == 0)
		peer_send_buf(p, MSG_ADDR, &b);
	else
		buf_release(&b);
}

/* Puts our address in p's queue even if p was sent it before (a periodic
 * announcement must go out). */
static void queue_self(struct peer *p)
{
	struct net_addr self;
	if (!self_addr_for(p, &self) || p->addrs->q_n == ADDR_QUEUE_MAX ||
	    grow_array(&p->addrs->q, &p->addrs->q_cap, p->addrs->q_n + 1, sizeof(*p->addrs->q), 8, ADDR_QUEUE_MAX) != 0)
		return;
	p->addrs->q[p->addrs->q_n++] = self;
	addr_mark_known(p, &self);
	net_wake(p->net);
}

/* An inbound peer that sends addr or getaddr takes part in address relay:
 * our address goes to it with the next batch, after any getaddr answer
 * (which leaves at once). */
static void relay_enabled(struct peer *p)
{
	if (!p->addrs->next_self) {
		p->addrs->next_self = clock_mono_us();
		net_wake(p->net);
	}
}

/* Sends p's queued addresses when due: at most one addr every 1-2 s
 * (randomised), so relayed addresses leave in batches. */
void addrrelay_flush(struct peer *p, uint64_t now_us)
{
	if (!p->ready || p->closing || now_us < p->addrs->next_send)
		return;
	if (p->addrs->next_self && now_us >= p->addrs->next_self) {
		queue_self(p);
		p->addrs->next_self = next_self_at(now_us);
	}
	if (!p->addrs->q_n)
		return;
	struct msg_addr m = { p->addrs->q_n, p->addrs->q };
	struct buf b = BUF_INIT;
	if (msg_addr_encode(&b, &m) == 0)
		peer_send_buf(p, MSG_ADDR, &b);
	else
		buf_release(&b);
	p->addrs->q_n = 0;
	p->addrs->next_send = now_us + ADDR_SEND_US + net_random() % ADDR_SEND_US;
}

void addrrelay_on_addr(struct peer *p, const uint8_t *payload, size_t len)
{
	struct msg_addr m;
	char err[ERR_LEN];
	/* no address relay on a block-relay-only connection (Core ignores
	 * them unread): what it learns there cannot reveal the link */
	if (!peer_relays_addrs(p)) {
		log_debug(LOG_NET, "peer=%llu: addr ignored on a block-relay-only connection", (unsigned long long)p->id);
		return;
	}
	if (msg_addr_decode(&m, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed addr");
	bool solicited = p->addrs->getaddr_sent;
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
	if (p->type == P2P_INBOUND)
		relay_enabled(p);
	if (p->type == P2P_ADDR_FETCH && solicited) {
		peer_disconnect(p, "addresses fetched");
		if (added)
			connman_addresses_fetched(p->net);
	}
}

/* Answered once per connection, and only to inbound peers, as Bitcoin Core
 * does, so a node cannot be scraped by reconnecting outbound. */
void addrrelay_on_getaddr(struct peer *p, const uint8_t *payload, size_t len)
{
	char err[ERR_LEN];
	if (msg_empty_decode(payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed getaddr");
	if (p->type != P2P_INBOUND || p->addrs->getaddr_answered)
		return;
	p->addrs->getaddr_answered = true;
	relay_enabled(p);
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

void addrrelay_peer_ready(struct peer *p)
{
	if (p->type == P2P_INBOUND || !peer_relays_addrs(p))
		return;
	peer_send(p, MSG_GETADDR, NULL, 0);
	p->addrs->getaddr_sent = true;
	send_self(p);
	p->addrs->next_self = next_self_at(clock_mono_us());
}
