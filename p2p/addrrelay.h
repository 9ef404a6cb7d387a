/* Address relay: addr and getaddr. Addresses a peer sends are rationed
 * (0.1 a second, the answer to our own getaddr excepted) and learnt into
 * the address manager; fresh announcements of a node's own address go on
 * to two peers chosen by a keyed hash of the address and the day, in
 * batches of one addr every 1-2 s; getaddr is answered once per inbound
 * connection. The node's own address (p2p/localaddr.h) goes to an
 * outbound peer right after the handshake, to an inbound one once it takes
 * part in address relay, and to every peer again about daily. Each peer's
 * state is its struct addrrelay_peer, private to addrrelay.c. */
#ifndef CAIRN_P2P_ADDRRELAY_H
#define CAIRN_P2P_ADDRRELAY_H

#include "p2p/peer.h"

/* A peer's part (NULL when out of memory); peer_new and peer_free call
 * these. */
struct addrrelay_peer *addrrelay_peer_new(void);
void addrrelay_peer_free(struct addrrelay_peer *ap);
/* The handshake is done: an outbound peer (an address fetch too) is asked
 * for addresses and told where we listen. */
void addrrelay_peer_ready(struct peer *p);
void addrrelay_on_addr(struct peer *p, const uint8_t *payload, size_t len);
void addrrelay_on_getaddr(struct peer *p, const uint8_t *payload, size_t len);
/* Sends p's queued addresses when due (now_us: the monotonic clock),
 * with our own address when its announcement is due. */
void addrrelay_flush(struct peer *p, uint64_t now_us);
/* Addresses wait in p's queue for the next batch. */
bool addrrelay_peer_pending(const struct peer *p);

#endif
