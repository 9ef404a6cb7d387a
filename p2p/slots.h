/* The outbound slot policy, Bitcoin Core's (ThreadOpenConnections and
 * EvictExtraOutboundPeers): which automatic connection to open next and
 * which surplus block-relay-only peer to let go. Pure: no sockets, no
 * clock reads (callers pass the monotonic time and random bits), so the
 * rules are unit-tested alone (tests/unit/test_slots.c); connman.c acts
 * on the answers.
 *
 *   full relay    8 slots: blocks, transactions and addresses.
 *   block relay   2 slots: blocks only (version relay=0, no tx, no addr),
 *                 links an observer of transaction or address traffic
 *                 cannot see.
 *   extra         once both kinds are full and the node is synced, on
 *                 average every 5 minutes one more block-relay-only peer,
 *                 kept only if it brings a new block first: a node cut
 *                 off from the best chain with full slots finds it.
 *   feeler        once every slot is full, on average every 2 minutes a
 *                 short connection to an address of the new table: the
 *                 handshake moves it to the tried table, then goodbye. */
#ifndef CAIRN_P2P_SLOTS_H
#define CAIRN_P2P_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLOTS_FULL_RELAY 8
#define SLOTS_BLOCK_RELAY 2
#define SLOTS_FEELER_US 120000000u         /* Core's FEELER_INTERVAL */
#define SLOTS_EXTRA_US 300000000u          /* EXTRA_BLOCK_RELAY_ONLY_PEER_INTERVAL */
#define SLOTS_MIN_CONNECT_US 30000000u     /* MINIMUM_CONNECT_TIME */

enum slots_open {
	SLOTS_NONE = 0,
	SLOTS_OPEN_FULL_RELAY,
	SLOTS_OPEN_BLOCK_RELAY,
	SLOTS_OPEN_EXTRA_BLOCK_RELAY,
	SLOTS_OPEN_FEELER,
};

struct slots {
	size_t max_full, max_block;        /* the slots */
	uint64_t feeler_us, extra_us;      /* mean waits */
	uint64_t min_connect_us;           /* an extra peer's least life */
	uint64_t next_feeler, next_extra;  /* monotonic us */
	bool extra_started;                /* the node was synced once */
};

/* Sets the policy: max_full/max_block slots, mean waits in us (0 for the
 * defaults) and the first waits drawn from rnd1,
 * rnd2 (random bits) after now. An extra peer may go after
 * SLOTS_MIN_CONNECT_US, or half the extra wait when that is shorter (tests
 * shorten the wait). */
void slots_init(struct slots *s, size_t max_full, size_t max_block, uint64_t feeler_us, uint64_t extra_us,
		uint64_t now, uint64_t rnd1, uint64_t rnd2);
/* now plus an exponential wait of mean mean_us drawn from rnd (Core's
 * GetExponentialRand): the timers do not tick in step across nodes. */
uint64_t slots_exp_wait(uint64_t now, uint64_t mean_us, uint64_t rnd);
/* What to open now, given the automatic outbound connections that exist
 * (connecting ones included), whether the node is synced (its tip at its
 * best header: that starts the extra peers for good) and random bits for
 * the next wait. In Core's order: a free full-relay slot, a free
 * block-relay slot, an extra block-relay peer when due, a feeler when due.
 * The timer of what it returns is drawn again. */
enum slots_open slots_next(struct slots *s, size_t full, size_t block, bool synced, uint64_t now, uint64_t rnd);

/* A block-relay-only peer as the eviction sees it. */
struct slots_peer {
	uint64_t id;          /* higher is younger */
	uint64_t since;       /* monotonic us it connected */
	uint64_t last_block;  /* monotonic us it last gave a new block, 0 never */
	bool busy;            /* blocks in flight from it */
};
/* With more block-relay-only peers than slots, the one to disconnect
 * (Core's rule): the youngest, unless it gave us a block more recently
 * than the next youngest, which then goes instead; but not before it has
 * been connected min_connect_us, nor while blocks are in flight from it.
 * Returns its index in peers, or -1 for none now. */
int slots_evict_extra(const struct slots *s, const struct slots_peer *peers, size_t n, uint64_t now);

#endif
