/* The RPC server's deferred work on the node's worker pool: work runs on
 * a worker, then its completion runs back on the event loop's thread, so
 * handlers never touch node state off the loop. */
#ifndef CAIRN_RPC_WORKQ_H
#define CAIRN_RPC_WORKQ_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/pool.h"

struct event_base;
struct workq;

/* A queue whose work runs on pool (NULL: workq_submit always fails, so
 * callers run the work inline) and whose completions run on base, which
 * must have been created after evthread_use_pthreads(). NULL with err on
 * failure. */
struct workq *workq_new(struct event_base *base, struct pool *pool, char *err);
/* Waits for the work running now; work not yet begun is skipped. Every
 * completion then runs on the calling thread, done(arg, false) for the
 * skipped ones. Must be freed before the pool. */
void workq_free(struct workq *q);
/* Queues work(arg) on the pool; done(arg, true) follows on the loop's
 * thread. -1 when out of memory or there is no pool (nothing queued). */
int workq_submit(struct workq *q, void (*work)(void *arg), void (*done)(void *arg, bool ran), void *arg) WUR;
/* Jobs submitted whose done has not run yet. */
size_t workq_pending(const struct workq *q);

#endif
