/* Connection management: the added nodes (-addnode, -connect, the addnode
 * RPC) kept connected with a backoff of 2 s doubling to 60 s, outbound
 * peers chosen from the address manager (none with -connect), one per
 * network group, in the slots p2p/slots.h describes (8 full relay, 2
 * block relay only, an extra block-relay-only peer and feelers), -seednode peers asked for
 * addresses at start and again while the outbound slots cannot be filled,
 * and inbound connections admitted while under the limit and not banned,
 * evicting the least useful inbound peer when full. */
#ifndef CAIRN_P2P_CONNMAN_H
#define CAIRN_P2P_CONNMAN_H

#include "p2p/peer.h"

/* The transport's inbound filter (ctx is the struct p2p). */
bool connman_accept_ok(void *ctx, const struct sockaddr *sa);
/* Once a tick (and when headers leave the node far behind): opens what
 * is due (added nodes, an outbound slot — every free full-relay one while
 * far behind the best header, sync_far_behind —, an extra
 * block-relay-only peer or a feeler, the seeds at the first call and
 * later when no known address fills a full-relay slot) and lets a
 * surplus block-relay-only peer go. Nothing while the network is off. */
void connman_open(struct p2p *net, uint64_t now);
/* A seed's answer brought new addresses: with no outbound peer yet, one
 * is opened now rather than at the next tick. */
void connman_addresses_fetched(struct p2p *net);
/* Connects the added nodes whose retry is due; onetry entries are then
 * forgotten. */
void connman_open_added(struct p2p *net, uint64_t now);
/* Adds a node to keep connected (one_try: a single attempt). 0, or -1 with
 * *code (-8 bad address or too many, -23 already added) and err. */
int connman_add_node(struct p2p *net, const char *text, bool one_try, int *code, char *err) WUR;
/* Forgets an added node. 0, or -1 with *code -24 and err when not added. */
int connman_remove_node(struct p2p *net, const char *text, int *code, char *err) WUR;
/* Every added node is tried again at once (the network was turned on). */
void connman_retry_added(struct p2p *net);
/* An outbound peer completed its handshake: its address is good and, when
 * it is an added node, its backoff starts over. */
void connman_peer_ready(struct peer *p);

#endif
