/* Headers-first sync and block download: block locators, getheaders and
 * headers both ways, a bounded download window fetched in parallel from
 * several peers, stall detection, and blocks handed to the chainstate
 * (which links out-of-order arrivals and connects them in order). */
#ifndef CAIRN_P2P_SYNC_H
#define CAIRN_P2P_SYNC_H

#include "p2p/peer.h"

/* Blocks requested from one peer at a time, at most. */
#define SYNC_MAX_BLOCKS_IN_FLIGHT 16
/* Blocks ahead of the tip the window reaches. */
#define SYNC_WINDOW 1024
/* Default milliseconds after which the requests of the peer holding the
 * block the tip needs next are given to other peers that wait
 * (p2p_config.stall_timeout_ms shortens it). */
#define SYNC_STALL_MS 2000u
/* A request this many stall timeouts old disconnects the peer (when others
 * can serve). */
#define SYNC_TIMEOUT_FACTOR 5u

/* The module's state (NULL when out of memory), freed by sync_free. */
struct sync *sync_new(void);
/* Waits for a check under way, frees held blocks without connecting them
 * (at shut-down) and frees net->sync (NULL is fine). */
void sync_free(struct p2p *net);
/* A peer's part (NULL when out of memory); peer_new and peer_free call
 * these. */
struct sync_peer *sync_peer_new(void);
void sync_peer_free(struct sync_peer *sp);
/* For getpeerinfo: the height of the peer's best header we know and of
 * its fork with our tip (-1 when none), and its blocks in flight. */
void sync_peer_info(const struct peer *p, int32_t *headers, int32_t *blocks, size_t *inflight);
/* True when the peer has bi's header: bi is on the chain of a header it
 * sent us or we sent it. */
bool sync_peer_has_header(const struct peer *p, const struct block_index *bi);
/* We sent the peer bi's header (an announcement). */
void sync_header_sent(struct peer *p, struct block_index *bi);

/* A catching-up node tells peers that lack its tip's header of its
 * progress every this many blocks. */
#define SYNC_PROGRESS_STEP 16
/* The tip moved while catching up (it is not announced then): each peer
 * that lacks the tip's header and heard of nothing for
 * SYNC_PROGRESS_STEP blocks gets the headers connected since. */
void sync_announce_progress(struct p2p *net);
/* The best header is more than SYNC_MAX_BLOCKS_IN_FLIGHT blocks ahead of
 * the tip: more to fetch than one peer is asked for at a time. */
bool sync_far_behind(const struct p2p *net);

/* Fills m with a locator from `from` back to genesis: ten steps of one,
 * then doubling, always ending with genesis. */
void sync_locator(struct msg_getheaders *m, struct block_index *from);
/* Asks p for headers after our best header. */
void sync_getheaders(struct peer *p);
/* The peer completed its handshake. */
void sync_peer_ready(struct peer *p);
/* The peer answered notfound for block hash: our request to it (if any)
 * is freed for the others, and the peer taken to lack that block and its
 * descendants until it announces more. */
void sync_block_notfound(struct peer *p, const uint8_t hash[32]);
/* The peer is going: its requests are freed for others. */
void sync_peer_closed(struct peer *p);
/* An inv named block hash. */
void sync_block_announced(struct peer *p, const uint8_t hash[32]);
void sync_on_getheaders(struct peer *p, const uint8_t *payload, size_t len);
void sync_on_headers(struct peer *p, const uint8_t *payload, size_t len);
void sync_on_block(struct peer *p, const uint8_t *payload, size_t len);
/* A whole block from p (moved in, released by the call), parsed from a
 * block message or rebuilt from a compact one (whose invalidity is then
 * not held against p). */
void sync_take_block(struct peer *p, struct block *b, size_t len, bool compact);
/* The block is on its way from p (a compact block being completed): it is
 * not asked of anyone else meanwhile. False when p's requests are full. */
bool sync_block_claim(struct peer *p, const uint8_t hash[32]);
/* Connects the batch whose signatures the check job verified (waiting
 * for it) and starts checking the blocks held since, over every core, so
 * that checking one batch overlaps connecting the one before. Runs when the
 * hold is full, when no block is in flight (then the last batch connects
 * too), and on the 100 ms timer. */
void sync_flush(struct p2p *net);
/* Blocks are requested, held, being checked or waiting for their parent:
 * the 100 ms timer must keep flushing and downloading. */
bool sync_pending(const struct p2p *net);
/* Hands out block requests to peers with free slots. */
void sync_download(struct p2p *net);
/* Once a second: stalls, timeouts and the progress line. */
void sync_tick(struct p2p *net);

#endif
