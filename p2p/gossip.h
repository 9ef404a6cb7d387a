/* Inventory relay: inv, getdata, tx, notfound. Transactions are announced
 * in trickles (every 100-500 ms per peer, at most GOSSIP_INV_BATCH per
 * inv), blocks at once; each peer's known-inventory set keeps a hash from
 * being offered twice, and only validated data is relayed. */
#ifndef CAIRN_P2P_GOSSIP_H
#define CAIRN_P2P_GOSSIP_H

#include "p2p/peer.h"

#define GOSSIP_INV_BATCH 1000
/* getdata is served while less than this is queued for the peer. */
#define GOSSIP_SERVE_SENDQ (1u << 20)
/* A transaction asked for and not received is asked again after this. */
#define GOSSIP_TX_ASK_US 60000000u
#define GOSSIP_REJECTS_MAX 50000
/* Hashes a peer's known set remembers, the oldest forgotten first. */
#define GOSSIP_KNOWN_MAX 50000

/* The module's state (NULL when out of memory), tip the tip already
 * known to the peers; freed by gossip_free. */
struct gossip *gossip_new(const uint8_t tip[32]);
/* Frees every pending transaction request and net->gossip (NULL is fine). */
void gossip_free(struct p2p *net);
/* A peer's part (NULL when out of memory); peer_new and peer_free call
 * these. */
struct gossip_peer *gossip_peer_new(void);
void gossip_peer_free(struct gossip_peer *gp);
/* Marks that the peer knows h (it sent or was sent it): h is not offered
 * to it again while its bounded set remembers it. */
void gossip_known(struct peer *p, const uint8_t h[32]);
/* The peer has or was told of h, as far as its set remembers. */
bool gossip_knows(const struct peer *p, const uint8_t h[32]);

void gossip_on_sendheaders(struct peer *p, const uint8_t *payload, size_t len);
void gossip_on_inv(struct peer *p, const uint8_t *payload, size_t len);
void gossip_on_getdata(struct peer *p, const uint8_t *payload, size_t len);
void gossip_on_notfound(struct peer *p, const uint8_t *payload, size_t len);
void gossip_on_tx(struct peer *p, const uint8_t *payload, size_t len);
/* Serves queued getdata while the send queue is short. */
void gossip_serve(struct peer *p);
/* Sends p's waiting transaction announcements when its trickle is due. */
void gossip_trickle(struct peer *p, uint64_t now_us);
/* Transactions wait for p's trickle, or getdata of p's waits to be served. */
bool gossip_peer_pending(const struct peer *p);
/* Queues txid for every ready peer not known to have it. */
void gossip_queue_tx(struct p2p *net, const uint8_t txid[32]);
/* inv of a block to every ready peer not known to have it. */
void gossip_announce_block(struct p2p *net, const uint8_t hash[32]);
void gossip_peer_closed(struct peer *p);
/* Forgets transaction requests older than GOSSIP_TX_ASK_US. */
void gossip_expire(struct p2p *net);
/* True when tip is not the tip last announced. */
bool gossip_tip_is_new(const struct p2p *net, const uint8_t tip[32]);
/* The tip changed: the refused transactions may be valid now, and once the
 * tip is within a few blocks of the best header it is announced. True when
 * it was. */
bool gossip_tip_changed(struct p2p *net);

#endif
