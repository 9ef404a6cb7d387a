/* The mesh's queries and commands for the RPC (the second half of
 * p2p/net.h): peer and connection listings, added nodes, disconnection,
 * known addresses, bans, totals and the network switch. It owns no state:
 * it reads the core and asks the modules (sync_peer_info) and connman for
 * the rest. */
#include "p2p/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2p/cmpct.h"
#include "p2p/connman.h"
#include "p2p/peer.h"
#include "p2p/sync.h"
#include "util/clock.h"
#include "util/log.h"

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
	case P2P_BLOCK_RELAY:
		return "block-relay-only";
	case P2P_FEELER:
		return "feeler";
	}
	return "unknown";
}

static void peer_info(const struct peer *p, struct p2p_peer_info *o)
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
	sync_peer_info(p, &o->synced_headers, &o->synced_blocks, &o->inflight);
	o->score = p->score;
	o->ready = p->ready;
	o->relay_txs = peer_relays_txs(p);
	cmpct_peer_info(p, &o->hb_to, &o->hb_from);
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
			peer_info(p, &(*out)[(*n)++]);
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
		connman_retry_added(net);
		return;
	}
	for (struct peer *p = net->peers; p; p = p->next)
		peer_disconnect(p, "network disabled");
}

uint16_t p2p_listen_port(const struct p2p *net)
{
	return net->listen_port;
}

void p2p_compact_info(struct p2p *net, struct p2p_compact_info *out)
{
	struct cmpct_stats s;
	cmpct_get_stats(net, &s);
	out->enabled = !net->cfg.no_compact;
	out->rebuilt = s.rebuilt;
	out->from_mempool = s.from_pool;
	out->requested = s.requested;
	out->fallbacks = s.fallbacks;
}

void p2p_totals(struct p2p *net, uint64_t *sent, uint64_t *recv)
{
	transport_totals(net->t, sent, recv);
}

void p2p_msg_totals(struct p2p *net, struct p2p_msg_totals *out)
{
	struct transport_msg_totals t;
	transport_msg_totals(net->t, &t);
	memcpy(out->bytes_sent, t.bytes_sent, sizeof(out->bytes_sent));
	memcpy(out->bytes_recv, t.bytes_recv, sizeof(out->bytes_recv));
	memcpy(out->msgs_sent, t.msgs_sent, sizeof(out->msgs_sent));
	memcpy(out->msgs_recv, t.msgs_recv, sizeof(out->msgs_recv));
}

size_t p2p_banned_count(struct p2p *net)
{
	return banman_size(net->bm);
}

int p2p_addnode(struct p2p *net, const char *addr, const char *command, int *code, char *err)
{
	*code = 0;
	if (strcmp(command, "add") == 0 || strcmp(command, "onetry") == 0) {
		bool one = strcmp(command, "onetry") == 0;
		if (connman_add_node(net, addr, one, code, err) != 0)
			return -1;
		net->added[net->n_added - 1].next_try = 0;
		if (one && net->active)
			connman_open_added(net, clock_mono_us());
		return 0;
	}
	if (strcmp(command, "remove") != 0) {
		*code = -8;
		return err_set(err, "Error: Invalid command, expected add, remove or onetry");
	}
	return connman_remove_node(net, addr, code, err);
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

size_t p2p_local_addresses(struct p2p *net, struct p2p_local_info *out, size_t max)
{
	size_t n = 0;
	for (; n < net->local.n && n < max; n++) {
		out[n].addr = net->local.e[n].addr;
		out[n].score = net->local.e[n].score;
	}
	return n;
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
