/* Peers: their list, sending, misbehaviour scores and bans, the bounded
 * hash set the modules keep per peer, and the budget of log lines peers
 * can trigger. */
#include "p2p/peer.h"

#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2p/addrrelay.h"
#include "p2p/cmpct.h"
#include "p2p/gossip.h"
#include "p2p/sync.h"
#include "util/clock.h"
#include "util/grow.h"
#include "util/log.h"

/* ---- invset ---- */

void invset_init(struct invset *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap < UINT32_MAX ? cap : UINT32_MAX - 1;
}

void invset_release(struct invset *s)
{
	free(s->ring);
	free(s->table);
	s->ring = NULL;
	s->table = NULL;
	s->n = s->head = s->alloc = s->tsize = 0;
}

void invset_clear(struct invset *s)
{
	size_t cap = s->cap;
	invset_release(s);
	invset_init(s, cap);
}

static size_t home(const struct invset *s, const uint8_t h[32])
{
	return (size_t)hmap_hash(h, 32) & (s->tsize - 1);
}

/* The table slot holding h, whose hash is hv, or -1. */
static long find_slot(const struct invset *s, const uint8_t h[32], uint64_t hv)
{
	if (!s->tsize)
		return -1;
	for (size_t i = (size_t)hv & (s->tsize - 1);; i = (i + 1) & (s->tsize - 1)) {
		uint32_t v = s->table[i];
		if (!v)
			return -1;
		if (memcmp(s->ring[v - 1], h, 32) == 0)
			return (long)i;
	}
}

/* Puts ring position pos, whose hash is hv, in the table. */
static void place(struct invset *s, size_t pos, uint64_t hv)
{
	size_t i = (size_t)hv & (s->tsize - 1);
	while (s->table[i])
		i = (i + 1) & (s->tsize - 1);
	s->table[i] = (uint32_t)pos + 1;
}

/* Empties slot i and moves back the entries after it that would no
 * longer be found past the hole (linear probing's deletion). */
static void unplace(struct invset *s, size_t i)
{
	size_t mask = s->tsize - 1;
	for (size_t j = (i + 1) & mask; s->table[j]; j = (j + 1) & mask) {
		size_t k = home(s, s->ring[s->table[j] - 1]);
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			s->table[i] = s->table[j];
			i = j;
		}
	}
	s->table[i] = 0;
}

/* A table at most half full keeps probes short. */
static int fit_table(struct invset *s, size_t n)
{
	if (n * 2 <= s->tsize)
		return 0;
	size_t size = s->tsize ? s->tsize : 64;
	while (n * 2 > size)
		size *= 2;
	uint32_t *t = calloc(size, sizeof(*t));
	if (!t)
		return -1;
	free(s->table);
	s->table = t;
	s->tsize = size;
	for (size_t k = 0; k < s->n; k++)
		place(s, k, hmap_hash(s->ring[k], 32));
	return 0;
}

bool invset_has(const struct invset *s, const uint8_t h[32])
{
	return find_slot(s, h, hmap_hash(h, 32)) >= 0;
}

/* Until the ring is full, entries sit at 0..n-1 and head is 0; once full,
 * head is the oldest entry, overwritten next. */
int invset_add(struct invset *s, const uint8_t h[32])
{
	uint64_t hv = hmap_hash(h, 32);
	if (s->cap == 0 || find_slot(s, h, hv) >= 0)
		return 0;
	if (s->n < s->cap) {
		/* The ring only wraps once it is full at cap, so growing it
		 * keeps the order of what it holds. */
		if (grow_array(&s->ring, &s->alloc, s->n + 1, sizeof(*s->ring), 64, s->cap) != 0 ||
		    fit_table(s, s->n + 1) != 0)
			return -1;
		memcpy(s->ring[s->n], h, 32);
		place(s, s->n++, hv);
		return 0;
	}
	long old = find_slot(s, s->ring[s->head], hmap_hash(s->ring[s->head], 32));
	if (old >= 0)
		unplace(s, (size_t)old);
	memcpy(s->ring[s->head], h, 32);
	place(s, s->head, hv);
	s->head = (s->head + 1) % s->cap;
	return 0;
}

/* ---- peers ---- */

uint64_t net_random(void)
{
	uint64_t v = 0;
	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = clock_mono_us() * 6364136223846793005ull + 1442695040888963407ull;
	return v;
}

bool peer_addr_usable(const struct p2p *net, const struct net_addr *a)
{
	if (net_addr_is_routable(a))
		return true;
	return a->port != 0 && net->params->net == NET_REGTEST &&
	       (net_addr_is_loopback(a) || net_addr_is_private(a));
}

/* Allocates the peer and every module's part of it; linked by the caller. */
static struct peer *peer_alloc(struct p2p *net, enum p2p_conn_type type)
{
	struct peer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->sync = sync_peer_new();
	p->gossip = gossip_peer_new();
	p->addrs = addrrelay_peer_new();
	p->cmpct = cmpct_peer_new();
	if (!p->sync || !p->gossip || !p->addrs || !p->cmpct) {
		sync_peer_free(p->sync);
		gossip_peer_free(p->gossip);
		addrrelay_peer_free(p->addrs);
		cmpct_peer_free(p->cmpct);
		free(p);
		return NULL;
	}
	p->net = net;
	p->type = type;
	p->added = -1;
	p->ping_us = p->min_ping_us = -1;
	p->since = clock_mono_us();
	return p;
}

static void peer_link(struct peer *p)
{
	struct p2p *net = p->net;
	p->next = net->peers;
	if (net->peers)
		net->peers->prev = p;
	net->peers = p;
	net->n_peers++;
}

struct peer *peer_new(struct p2p *net, struct conn *c, enum p2p_conn_type type)
{
	struct peer *p = peer_alloc(net, type);
	if (!p)
		return NULL;
	p->c = c;
	p->id = transport_conn_id(c);
	p->addr = *transport_conn_addr(c);
	snprintf(p->addr_text, sizeof(p->addr_text), "%s", transport_conn_addr_text(c));
	transport_conn_set_user(c, p);
	peer_link(p);
	return p;
}

struct peer *peer_new_captured(struct p2p *net, uint64_t id, enum p2p_conn_type type, struct buf *out)
{
	struct peer *p = peer_alloc(net, type);
	if (!p)
		return NULL;
	p->capture = out;
	p->id = id;
	snprintf(p->addr_text, sizeof(p->addr_text), "captured-%llu", (unsigned long long)id);
	p->got_version = p->got_verack = p->ready = true;
	p->ver.relay = true; /* as a peer that sent version with relay 1 */
	peer_link(p);
	return p;
}

void peer_free(struct peer *p)
{
	if (!p)
		return;
	struct p2p *net = p->net;
	if (p->prev)
		p->prev->next = p->next;
	else
		net->peers = p->next;
	if (p->next)
		p->next->prev = p->prev;
	net->n_peers--;
	if (p->added >= 0 && (size_t)p->added < net->n_added && net->added[p->added].peer == p)
		net->added[p->added].peer = NULL;
	if (p->c)
		transport_conn_set_user(p->c, NULL);
	sync_peer_free(p->sync);
	gossip_peer_free(p->gossip);
	addrrelay_peer_free(p->addrs);
	cmpct_peer_free(p->cmpct);
	free(p);
}

struct peer *peer_by_id(struct p2p *net, uint64_t id)
{
	for (struct peer *p = net->peers; p; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

void peer_disconnect(struct peer *p, const char *reason)
{
	if (p->closing)
		return;
	p->closing = true;
	log_debug(LOG_NET, "disconnecting peer=%llu %s: %s", (unsigned long long)p->id, p->addr_text, reason);
	if (p->c)
		transport_close(p->c, reason);
}

bool peer_send(struct peer *p, const char *cmd, const uint8_t *payload, size_t len)
{
	if (p->closing)
		return false;
	if (!p->c)
		return msg_frame_encode(p->capture, p->net->params->magic, cmd, payload, len) == 0;
	if (transport_send(p->c, cmd, payload, len) != 0) {
		log_debug(LOG_NET, "cannot send %s to peer=%llu", cmd, (unsigned long long)p->id);
		return false;
	}
	return true;
}

bool peer_send_buf(struct peer *p, const char *cmd, struct buf *b)
{
	bool ok = buf_ok(b) && peer_send(p, cmd, b->data, b->len);
	buf_release(b);
	return ok;
}

size_t peer_sendq(const struct peer *p)
{
	struct transport_stats st;
	if (!p->c)
		return 0;
	transport_conn_stats(p->c, &st);
	return st.sendq;
}

int peer_verdict_score(enum vresult r)
{
	switch (r) {
	case VR_CONSENSUS:
	case VR_MUTATED:
	case VR_INVALID_HEADER:
	case VR_CACHED_INVALID:
	case VR_INVALID_PREV:
		return PEER_BAN_SCORE;
	case VR_OK:
	case VR_MISSING_PREV:   /* counted by the headers logic, not here */
	case VR_TIME_FUTURE:
	case VR_MISSING_INPUTS:
	case VR_PREMATURE:
	case VR_CONFLICT:
	case VR_POLICY:
	case VR_DUPLICATE:
	case VR_ERROR:          /* our disk or memory: never the peer's fault */
		return 0;
	}
	return 0;
}

void peer_misbehaving(struct peer *p, int points, const char *what)
{
	struct p2p *net = p->net;
	char err[ERR_LEN];
	if (points <= 0 || p->closing)
		return;
	p->score += points;
	net_log_peer(net, "misbehaving peer=%llu %s: %s (+%d, score %d)", (unsigned long long)p->id, p->addr_text,
		     what, points, p->score);
	if (p->score < PEER_BAN_SCORE)
		return;
	struct ban_subnet s = banman_subnet_of(p->addr.ip);
	uint64_t now = clock_now();
	if (banman_ban_subnet(net->bm, &s, now + (uint64_t)net->cfg.bantime, now, err) != 0)
		log_warn("cannot ban %s: %s", p->addr_text, err);
	else {
		char text[BANMAN_TEXT_LEN];
		banman_format(text, &s);
		net_log_peer(net, "banned %s for %lld s", text, (long long)net->cfg.bantime);
	}
	if (p->type == P2P_OUTBOUND || p->type == P2P_ADDR_FETCH || p->type == P2P_BLOCK_RELAY || p->type == P2P_FEELER)
		addrman_remove(net->am, &p->addr);
	peer_disconnect(p, "misbehaviour");
}

bool peer_relays_txs(const struct peer *p)
{
	return p->ver.relay && p->type != P2P_BLOCK_RELAY && p->type != P2P_ADDR_FETCH && p->type != P2P_FEELER;
}

bool peer_relays_addrs(const struct peer *p)
{
	return p->type != P2P_BLOCK_RELAY && p->type != P2P_FEELER;
}

void net_log_peer(struct p2p *net, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	uint64_t now = clock_mono_us();
	if (now - net->log_budget_at > 60000000u) {
		net->log_budget_at = now;
		net->log_budget = 20;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (net->log_budget > 0) {
		net->log_budget--;
		log_msg(LOG_INFO, LOG_NET, "%s", line);
	} else {
		log_debug(LOG_NET, "%s", line);
	}
}
