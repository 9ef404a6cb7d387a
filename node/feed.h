/* What the node tells its event stream (rpc/events.h): the chainstate's,
 * the mempool's and the mesh's news turned into events, in an order a
 * client can apply one by one. A block's events wait for the activation
 * that connects it to end, so a reorganisation reads: the disconnected
 * blocks (each followed by its assets' `unconfirmed`), the transactions
 * the mempool takes back, then the connected blocks (each followed by its
 * assets' `confirmed` and the mempool transactions it removed) and the
 * new tip. docs/events.md lists every event.
 *
 * Registered as a chainstate listener after the mempool's, and told of the
 * mempool's and the mesh's news by the node; runs on the loop. */
#ifndef CAIRN_NODE_FEED_H
#define CAIRN_NODE_FEED_H

#include "chain/chainstate.h"
#include "chain/mempool.h"
#include "p2p/net.h"
#include "rpc/events.h"

struct feed;

/* NULL when out of memory. */
struct feed *feed_new(struct chainstate *cs, struct mempool *mp, struct events *ev);
/* Publishes what still waits, then frees. Takes NULL. */
void feed_free(struct feed *f);
struct chain_events feed_chain_events(struct feed *f);

void feed_tx_added(struct feed *f, const struct tx *tx);
void feed_tx_removed(struct feed *f, const uint8_t txid[32], enum mempool_removal why);
void feed_peer(struct feed *f, const struct p2p_peer_event *e);

#endif
