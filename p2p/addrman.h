/* The address manager: the addresses this node has heard of, where it
 * heard them, and how connecting to them went, kept in two bounded tables
 * so that outbound connections can be picked at random and no single peer
 * can fill the node's view of the mesh (Bitcoin Core's addrman, simplified;
 * docs/addrman.md has the policy and the file format).
 *
 *   new   addresses heard of (addr messages, --seednode, --addnode), placed
 *         in a bucket chosen by a keyed hash of the group (addrman_group)
 *         of the address and of its source: one source group reaches at
 *         most ADDRMAN_NEW_BUCKETS_PER_SOURCE buckets.
 *   tried addresses we connected to and completed the handshake with; one
 *         address group reaches at most ADDRMAN_TRIED_BUCKETS_PER_GROUP
 *         buckets.
 *
 * Pure data: no sockets, no clock reads (every call that needs the time
 * takes `now`, unix seconds), randomness from a seed given at creation
 * (production passes RAND_bytes output; tests a fixed value, which makes
 * every choice repeatable). Single-threaded. An address is its IP and port;
 * services and time travel with it. */
#ifndef CAIRN_P2P_ADDRMAN_H
#define CAIRN_P2P_ADDRMAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/msg.h"
#include "util/err.h"

#define ADDRMAN_BUCKET_SIZE 32
#define ADDRMAN_NEW_BUCKETS 128
#define ADDRMAN_TRIED_BUCKETS 32
#define ADDRMAN_NEW_MAX (ADDRMAN_NEW_BUCKETS * ADDRMAN_BUCKET_SIZE)     /* 4,096 */
#define ADDRMAN_TRIED_MAX (ADDRMAN_TRIED_BUCKETS * ADDRMAN_BUCKET_SIZE) /* 1,024 */
/* One source group fills at most 8 × 32 = 256 new entries (1/16). */
#define ADDRMAN_NEW_BUCKETS_PER_SOURCE 8
/* One address group fills at most 4 × 32 = 128 tried entries (1/8). */
#define ADDRMAN_TRIED_BUCKETS_PER_GROUP 4

/* An address attempted less than this long ago is never selected. */
#define ADDRMAN_RETRY_SECS 60
/* Each further failure doubles the wait, up to this. */
#define ADDRMAN_BACKOFF_MAX_SECS 600
/* Not seen for this long: terrible. */
#define ADDRMAN_HORIZON_SECS (30 * 86400)

/* getaddr answers: at most this share of the table, and at most this many;
 * but a table smaller than ADDRMAN_GETADDR_FLOOR entries may be shared
 * whole, so that a small mesh still spreads its addresses. */
#define ADDRMAN_GETADDR_PCT 23
#define ADDRMAN_GETADDR_MAX 1000
#define ADDRMAN_GETADDR_FLOOR 10

/* A file larger than this is refused before it is read. */
#define ADDRMAN_FILE_MAX (96 + (size_t)(ADDRMAN_NEW_MAX + ADDRMAN_TRIED_MAX) * 66)

/* What the manager knows about one address. */
struct addrman_info {
	struct net_addr addr;  /* time: when it was last heard of or seen alive */
	uint8_t source[16];    /* the IP that told us of it */
	uint64_t last_try;     /* last connection attempt, 0 for never */
	uint64_t last_success; /* last completed handshake, 0 for never */
	uint32_t attempts;     /* attempts since the last success */
	bool tried;            /* in the tried table */
};

struct addrman;

/* Returns an empty manager, or NULL when out of memory. allow_local is
 * the regtest policy: it admits loopback and private addresses (regtest
 * runs on 127.0.0.0/8) and groups IPv4 addresses by /24; without it only
 * routable ones are kept. Free with addrman_free. */
struct addrman *addrman_new(uint64_t seed, bool allow_local);
/* Safe on NULL. */
void addrman_free(struct addrman *am);

/* The network group of a, the unit of the per-group limits here and of
 * outbound diversity (one outbound peer per group): with allow_local
 * every IPv4 address by its /24; otherwise IPv4 by its /16 and IPv6 by
 * its /32, all loopback addresses one group and all other unroutable ones
 * another. Fills g (zero-padded) and returns the group's length. */
#define ADDRMAN_GROUP_MAX 5
size_t addrman_group(const struct addrman *am, uint8_t g[ADDRMAN_GROUP_MAX], const struct net_addr *a);
/* a and b are in the same group. */
bool addrman_same_group(const struct addrman *am, const struct net_addr *a, const struct net_addr *b);

/* Learns n addresses heard from source (NULL: each is its own source, as
 * for --addnode). Skips port 0, addresses the policy does not admit, and
 * ones not seen for ADDRMAN_HORIZON_SECS. A time more than ten minutes
 * ahead of now is clamped to now; a time before 1973 becomes five days
 * ago. A known address only gains services and a newer time. A full
 * bucket evicts its worst entry (terrible first, then the longest unseen,
 * then the most failed) when the newcomer is better, else drops the
 * newcomer. Returns how many addresses were new. */
size_t addrman_add(struct addrman *am, const struct net_addr *addrs, size_t n,
		   const struct net_addr *source, uint64_t now);
/* We completed a handshake with a: it moves to the tried table (learned
 * first if unknown and admitted), its failures reset. A full tried bucket
 * sends its longest-unsuccessful entry back to the new table. Returns true
 * when a is now in the tried table. */
bool addrman_good(struct addrman *am, const struct net_addr *a, uint64_t now);
/* We are about to connect to a: counts the attempt (a failure until
 * addrman_good says otherwise). Returns false when a is unknown. */
bool addrman_attempt(struct addrman *am, const struct net_addr *a, uint64_t now);
/* A connection to a has been alive: its time becomes now, so getaddr
 * answers share it as fresh. Returns false when a is unknown. */
bool addrman_connected(struct addrman *am, const struct net_addr *a, uint64_t now);
/* Picks an address to connect to: the tried or the new table with even
 * odds (the new table only when new_only), then an entry at random, less
 * likely when attempted in the last ten minutes or after failures. Never
 * returns an entry attempted less than ADDRMAN_RETRY_SECS ago (longer
 * after repeated failures: 60 s doubling per failure, at most
 * ADDRMAN_BACKOFF_MAX_SECS). Returns true with *out filled, or false with
 * *out zeroed when nothing is eligible. */
bool addrman_select(struct addrman *am, struct net_addr *out, bool new_only, uint64_t now);
/* An answer for getaddr: up to max random entries that are not terrible,
 * at most ADDRMAN_GETADDR_PCT % of the table (see ADDRMAN_GETADDR_FLOOR)
 * and ADDRMAN_GETADDR_MAX. out holds max entries. Returns the count. */
size_t addrman_get_addr(struct addrman *am, struct net_addr *out, size_t max, uint64_t now);
/* Forgets a. Returns false when it was unknown. */
bool addrman_remove(struct addrman *am, const struct net_addr *a);
/* Forgets the terrible entries of both tables: not seen for 30 days, seen
 * from the future, never reached in 3 attempts, or 10 failures and no
 * success for a week (an entry attempted in the last minute is spared).
 * Returns how many went. */
size_t addrman_sweep(struct addrman *am, uint64_t now);
/* Forgets everything (the hash key stays). */
void addrman_clear(struct addrman *am);

size_t addrman_size(const struct addrman *am);
size_t addrman_size_new(const struct addrman *am);
size_t addrman_size_tried(const struct addrman *am);
/* Fills *out and returns true when a is known; false and *out zeroed
 * otherwise. */
bool addrman_lookup(const struct addrman *am, struct addrman_info *out, const struct net_addr *a);

/* Writes both tables and the hash key to path atomically (path.tmp, fsync,
 * rename, fsync of the folder). Returns 0, or -1 with err. */
int addrman_save(const struct addrman *am, const char *path, char *err) WUR;
/* Replaces the tables with the file's (and adopts its hash key, so entries
 * keep their buckets). Entries the policy does not admit are skipped. A
 * missing, short, oversize, corrupt or foreign file gives -1 with err and
 * leaves the tables empty; never a crash. */
int addrman_load(struct addrman *am, const char *path, char *err) WUR;
/* The same from bytes in memory (the fuzz entry point). */
int addrman_load_mem(struct addrman *am, const uint8_t *p, size_t len, char *err) WUR;

#endif
