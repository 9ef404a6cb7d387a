/* A small pool of worker threads for the RPC server: work runs on a
 * worker, then its completion runs back on the event loop's thread, so
 * handlers never touch node state off the loop. */
#ifndef CAIRN_RPC_WORKQ_H
#define CAIRN_RPC_WORKQ_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct event_base;
struct workq;

/* Starts n threads (at least 1) on base, which must have been created
 * after evthread_use_pthreads(). NULL with err on failure. */
struct workq *workq_new(struct event_base *base, int n, char *err);
/* Joins the threads. Jobs not yet run are dropped: their done is called
 * with ran = false, on the calling thread. */
void workq_free(struct workq *q);
/* Queues work(arg) for a worker; done(arg, true) follows on the loop's
 * thread. -1 when out of memory (nothing queued). */
int workq_submit(struct workq *q, void (*work)(void *arg), void (*done)(void *arg, bool ran), void *arg) WUR;
/* Jobs submitted whose done has not run yet. */
size_t workq_pending(const struct workq *q);

#endif
