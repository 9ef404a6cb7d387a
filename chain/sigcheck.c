#include "chain/sigcheck.h"

#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"
#include "chain/probe.h"
#include "util/hmap.h"

bool sig_verify(const struct sig_job *j)
{
	secp256k1_xonly_pubkey pk;
	if (!secp256k1_xonly_pubkey_parse(secp256k1_context_static, &pk, j->pubkey))
		return false;
	return secp256k1_schnorrsig_verify(secp256k1_context_static, j->sig, j->msg, 32, &pk) == 1;
}

/* --- the cache: a set of SHA-256(job) with first-in first-out eviction --- */

static struct {
	pthread_mutex_t lock;
	struct hmap set;
	uint8_t (*ring)[32];
	size_t max, head, count;
	bool ready;
	uint64_t hits, misses; /* lookups, under the lock */
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER, .max = 40000 };

static void cache_key(uint8_t out[32], const struct sig_job *j)
{
	hash_sha256(out, j, sizeof(*j));
}

static void cache_clear_locked(void)
{
	hmap_release(&cache.set);
	free(cache.ring);
	cache.ring = NULL;
	cache.head = cache.count = 0;
	cache.ready = false;
}

void sigcache_set_size(size_t max)
{
	pthread_mutex_lock(&cache.lock);
	cache_clear_locked();
	cache.max = max;
	pthread_mutex_unlock(&cache.lock);
}

bool sigcache_has(const struct sig_job *j)
{
	uint8_t k[32];
	cache_key(k, j);
	pthread_mutex_lock(&cache.lock);
	bool hit = cache.ready && hmap_get(&cache.set, k) != NULL;
	if (hit)
		cache.hits++;
	else
		cache.misses++;
	pthread_mutex_unlock(&cache.lock);
	return hit;
}

void sigcache_stats(uint64_t *hits, uint64_t *misses)
{
	pthread_mutex_lock(&cache.lock);
	*hits = cache.hits;
	*misses = cache.misses;
	pthread_mutex_unlock(&cache.lock);
}

static bool cache_ready_locked(void)
{
	if (cache.ready)
		return true;
	if (cache.max == 0 || !(cache.ring = malloc(cache.max * 32)))
		return false;
	hmap_init(&cache.set, 32);
	cache.ready = true;
	return true;
}

void sigcache_add(const struct sig_job *j)
{
	uint8_t k[32];
	cache_key(k, j);
	pthread_mutex_lock(&cache.lock);
	if (cache_ready_locked() && !hmap_get(&cache.set, k)) {
		size_t slot = (cache.head + cache.count) % cache.max;
		if (cache.count == cache.max) {
			hmap_del(&cache.set, cache.ring[cache.head]);
			cache.head = (cache.head + 1) % cache.max;
			cache.count--;
		}
		/* A failed insert only means a later re-check: not worth an error. */
		if (hmap_put(&cache.set, k, (void *)1) == 0) {
			memcpy(cache.ring[slot], k, 32);
			cache.count++;
		}
	}
	pthread_mutex_unlock(&cache.lock);
}

/* --- batches over threads --- */

struct batch {
	const struct sig_job *jobs;
	size_t n;
	bool feed, cached;
	atomic_size_t next;
	atomic_size_t bad;
};

#define CHUNK 16

static void batch_worker(void *arg)
{
	struct batch *b = arg;
	for (;;) {
		size_t start = atomic_fetch_add(&b->next, CHUNK);
		if (start >= b->n || atomic_load(&b->bad) < b->n)
			return;
		size_t end = start + CHUNK < b->n ? start + CHUNK : b->n;
		for (size_t i = start; i < end; i++) {
			if (b->cached && sigcache_has(&b->jobs[i]))
				continue;
			if (!sig_verify(&b->jobs[i])) {
				size_t cur = atomic_load(&b->bad);
				while (i < cur && !atomic_compare_exchange_weak(&b->bad, &cur, i))
					;
				return;
			}
			if (b->feed)
				sigcache_add(&b->jobs[i]);
		}
	}
}

/* The caller's thread takes chunks too, and the batch's waiter runs what
 * no worker took, so a busy pool slows a batch down but never stalls it. */
static size_t run_batch(const struct sig_job *jobs, size_t n, struct pool *pool, bool feed, bool cached)
{
	struct batch b = { .jobs = jobs, .n = n, .feed = feed, .cached = cached };
	struct pool_batch pb;
	atomic_init(&b.next, 0);
	atomic_init(&b.bad, n);
	pool_batch_init(&pb, pool);
	/* The caller is one of -par checkers; helpers are only worth it past
	 * a few signatures. */
	for (int i = 1; i < pool_threads(pool) && n > 2 * CHUNK; i++)
		pool_batch_add(&pb, batch_worker, &b);
	batch_worker(&b);
	pool_batch_wait(&pb);
	return atomic_load(&b.bad);
}

size_t sig_verify_batch(const struct sig_job *jobs, size_t n, struct pool *pool, bool feed)
{
	uint64_t t = probe_start();
	size_t bad = run_batch(jobs, n, pool, feed, true);
	probe_stop(PROBE_SIGS, t);
	return bad;
}

size_t sig_verify_uncached(const struct sig_job *jobs, size_t n, struct pool *pool)
{
	uint64_t t = probe_start();
	size_t bad = run_batch(jobs, n, pool, false, false);
	probe_stop(PROBE_SIGS, t);
	return bad;
}
