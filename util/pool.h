/* The node's one pool of worker threads. node.c creates it (sized by -par)
 * and hands it down; signature checks, the mesh's catch-up check stage,
 * RPC deferral and the miner submit jobs to it, so no other module starts
 * threads of its own.
 *
 * Two ways to use it:
 *  - pool_submit: fire and forget. The job runs once on a worker; when the
 *    pool is freed first, its drop (if any) runs instead, on the thread
 *    that frees the pool.
 *  - a batch (pool_batch_*): jobs that a caller waits for. The waiting
 *    thread runs the batch's still-queued jobs itself, so a batch finishes
 *    even when every worker is busy, and a job may wait for a batch of its
 *    own. A NULL pool runs each job inline, which is how chain/ tests run.
 *
 * Jobs run in submission order; a long task is cut into short jobs that
 * resubmit themselves (the miner does), so no job holds a worker for
 * long. */
#ifndef CAIRN_UTIL_POOL_H
#define CAIRN_UTIL_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct pool;

/* Starts threads workers (at least 1). NULL with err on failure. */
struct pool *pool_new(int threads, char *err);
/* Joins the workers after their current jobs; queued jobs are dropped.
 * NULL is fine. */
void pool_free(struct pool *p);
/* Worker threads; 0 for a NULL pool. */
int pool_threads(const struct pool *p);
/* Queues run(arg). -1 when out of memory or the pool is stopping (nothing
 * queued, drop not called). */
int pool_submit(struct pool *p, void (*run)(void *arg), void (*drop)(void *arg), void *arg) WUR;

/* Jobs a caller waits for together. Owned by the caller, on its stack. */
struct pool_batch {
	struct pool *pool;
	pthread_mutex_t lock;
	pthread_cond_t done;
	size_t pending;
	bool closing;
};

/* pool may be NULL: every job then runs inline in pool_batch_add. */
void pool_batch_init(struct pool_batch *b, struct pool *pool);
/* Queues run(arg) as part of b; runs it inline when it cannot be queued. */
void pool_batch_add(struct pool_batch *b, void (*run)(void *arg), void *arg);
/* Queues run(arg) as part of b; -1 when it cannot (no pool, no memory, the
 * pool stopping), and then nothing ran. For jobs that must not run on the
 * caller's thread: a part that keeps jobs in flight (the miner's slices,
 * the RPC's deferred calls) waits for them with pool_batch_wait when it
 * stops. A job may add more jobs to its own batch. */
int pool_batch_submit(struct pool_batch *b, void (*run)(void *arg), void *arg) WUR;
/* Returns once every job of b has run, running queued ones itself, then
 * releases b (init it again to reuse it). */
void pool_batch_wait(struct pool_batch *b);
/* For a part that stops: refuses b's new jobs from now on, then waits as
 * pool_batch_wait. Jobs still queued run all the same; they ask
 * pool_batch_closing to end at once. */
void pool_batch_close(struct pool_batch *b);
bool pool_batch_closing(struct pool_batch *b);

/* The machine's cores, at least 1: the default -par. */
int pool_default_threads(void);

#endif
