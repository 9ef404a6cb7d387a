/* The node's own addresses: where it tells peers to dial it (Bitcoin
 * Core's mapLocalHost). Each has a score: the class of its source
 * (LOCALADDR_BIND for an address the node is bound to, LOCALADDR_MANUAL for
 * -externalip) plus one for every inbound peer that reported reaching the
 * node there. Pure data, no sockets, no clock; docs/protocol-behaviour.md
 * says which addresses are learnt and when they are announced. */
#ifndef CAIRN_P2P_LOCALADDR_H
#define CAIRN_P2P_LOCALADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "p2p/netaddr.h"
#include "util/err.h"

#define LOCALADDR_MAX 16

enum localaddr_source {
	LOCALADDR_BIND = 2,   /* an address the node listens on */
	LOCALADDR_MANUAL = 4, /* -externalip */
};

struct localaddr_entry {
	struct net_addr addr; /* IP and port; services and time unused */
	int score;
};

struct localaddr {
	struct localaddr_entry e[LOCALADDR_MAX];
	size_t n;
};

/* Empties la. */
void localaddr_init(struct localaddr *la);
/* Learns a (port not 0) with the score of its source; a known address
 * keeps the higher score. 0, or -1 with err when a has port 0 or the list
 * holds LOCALADDR_MAX addresses. */
int localaddr_add(struct localaddr *la, const struct net_addr *a, enum localaddr_source source, char *err) WUR;
/* A peer reached us at a: a known address gains a point. Returns true when
 * a was known. */
bool localaddr_seen(struct localaddr *la, const struct net_addr *a);
/* a (IP and port) is one of ours. */
bool localaddr_has(const struct localaddr *la, const struct net_addr *a);
/* The address to tell the peer at peer: one of its family (IPv4 or IPv6)
 * and, when loopback, only to a loopback peer (nothing else can dial it);
 * the highest score first, the earliest learnt among equals. True with
 * *out filled, or false with *out zeroed when none fits. */
bool localaddr_best(const struct localaddr *la, struct net_addr *out, const struct net_addr *peer);

#endif
