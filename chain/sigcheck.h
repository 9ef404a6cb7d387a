/* BIP-340 signature checks through libsecp256k1: one at a time, a batch
 * spread over the node's worker pool, and a bounded cache of checks already passed so a
 * block whose transactions the mempool accepted connects without verifying
 * them again. */
#ifndef CAIRN_CHAIN_SIGCHECK_H
#define CAIRN_CHAIN_SIGCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/pool.h"

struct sig_job {
	uint8_t msg[32];
	uint8_t pubkey[32];
	uint8_t sig[64];
};

/* True when sig is a valid BIP-340 signature of msg by pubkey. */
bool sig_verify(const struct sig_job *j);
/* Checks jobs on this thread and the pool's workers, -par threads in all
 * (a NULL pool or one of one worker: this thread only), skipping those in the cache and, when feed is set, adding
 * those that pass (the mempool feeds it; a block, whose signatures will not
 * be seen again, does not). Returns n when all pass, else the index of a
 * failing job. */
size_t sig_verify_batch(const struct sig_job *jobs, size_t n, struct pool *pool, bool feed);
/* As sig_verify_batch without the cache: neither looked up nor fed (two
 * SHA-256 and two locks a signature saved). For blocks checked ahead of
 * connecting them, whose signatures no one checked before. */
size_t sig_verify_uncached(const struct sig_job *jobs, size_t n, struct pool *pool);

/* The cache holds at most max entries (0 disables it); safe from any thread. */
void sigcache_set_size(size_t max);
bool sigcache_has(const struct sig_job *j);
/* Lookups of sigcache_has since the start: found, and not found. */
void sigcache_stats(uint64_t *hits, uint64_t *misses);
void sigcache_add(const struct sig_job *j);

#endif
