/* Compact block relay (BIP 152, version 1). Every peer is told at the
 * handshake that we take compact blocks (sendcmpct 0). A block the tip
 * needs next is asked as a compact block (getdata type 4) of a peer that
 * said the same; the answer is rebuilt from the mempool (p2p/partial.h),
 * the few transactions missing fetched with getblocktxn, and when short
 * ids collide or the rebuilt block does not match its merkle root the
 * whole block is asked instead. Up to CMPCT_HB_PEERS peers that last gave
 * us a new block are asked to push new blocks as cmpctblock before they
 * have fully validated them (high bandwidth, sendcmpct 1); we do the same
 * for whoever asks us, right after a block's header and merkle root check
 * out. cmpct.c owns struct cmpct (the high-bandwidth list, the last
 * compact block encoded) and each peer's struct cmpct_peer. */
#ifndef CAIRN_P2P_CMPCT_H
#define CAIRN_P2P_CMPCT_H

#include "p2p/peer.h"

/* Peers asked to push new blocks to us, at most. */
#define CMPCT_HB_PEERS 3
/* A compact block asked for a block deeper than this gets the whole block
 * (Bitcoin Core's MAX_CMPCTBLOCK_DEPTH). */
#define CMPCT_BLOCK_DEPTH 5
/* getblocktxn for a block deeper than this gets the whole block
 * (MAX_BLOCKTXN_DEPTH). */
#define CMPCT_TXN_DEPTH 10

struct cmpct_stats {
	uint64_t rebuilt;      /* blocks rebuilt from a compact block */
	uint64_t from_pool;    /* of their transactions, those the mempool had */
	uint64_t requested;    /* those asked with getblocktxn */
	uint64_t fallbacks;    /* compact blocks given up for the whole block */
};

/* The module's state (NULL when out of memory); on false, the node never
 * offers nor asks compact blocks (-compactblocks=0). Freed by cmpct_free. */
struct cmpct *cmpct_new(bool enabled);
void cmpct_free(struct p2p *net);
struct cmpct_peer *cmpct_peer_new(void);
void cmpct_peer_free(struct cmpct_peer *cp);

void cmpct_peer_ready(struct peer *p);
void cmpct_peer_closed(struct peer *p);
/* The peer takes and serves compact blocks (it sent sendcmpct version 1,
 * and so did we). */
bool cmpct_peer_capable(const struct peer *p);
/* For getpeerinfo: we push new blocks to it / it pushes them to us. */
void cmpct_peer_info(const struct peer *p, bool *hb_to, bool *hb_from);
void cmpct_get_stats(const struct p2p *net, struct cmpct_stats *out);

void cmpct_on_sendcmpct(struct peer *p, const uint8_t *payload, size_t len);
void cmpct_on_cmpctblock(struct peer *p, const uint8_t *payload, size_t len);
void cmpct_on_getblocktxn(struct peer *p, const uint8_t *payload, size_t len);
void cmpct_on_blocktxn(struct peer *p, const uint8_t *payload, size_t len);

/* getdata of type 4: the compact block, or the whole block when deeper
 * than CMPCT_BLOCK_DEPTH. False when we do not have it. */
bool cmpct_serve(struct peer *p, const uint8_t hash[32]);
/* A block from `from` that extends the tip, before it is connected: when
 * its header and merkle root check out it is pushed at once to every peer
 * that asked for high bandwidth and does not know it. */
void cmpct_relay_early(struct p2p *net, const struct peer *from, const struct block *b);
/* Announcing bi (the new tip) to p: as a compact block when p asked for
 * high bandwidth and has bi's parent. False when not sent that way. */
bool cmpct_announce(struct peer *p, struct block_index *bi);
/* p gave us the block that became our tip (not during catch-up): it joins
 * the high-bandwidth peers, the one longest there leaving when full. */
void cmpct_block_delivered(struct peer *p);

#endif
