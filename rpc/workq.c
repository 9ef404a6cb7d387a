#include "rpc/workq.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>

struct job {
	struct workq *q;
	void (*work)(void *arg);
	void (*done)(void *arg, bool ran);
	void *arg;
	bool ran;
	struct job *next;
};

struct list {
	struct job *head, *tail;
};

/* The loop's side of jobs that run on the node's pool: what finished
 * waits here for on_notify, which runs each completion on the loop. */
struct workq {
	struct pool_batch jobs; /* on the pool, waited for by workq_free */
	pthread_mutex_t lock;
	struct list finished;
	struct event *notify;   /* activated by workers, runs on the loop */
	size_t pending;         /* submitted, completion not yet run (the loop's) */
};

static void push(struct list *l, struct job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static struct job *pop(struct list *l)
{
	struct job *j = l->head;
	if (j && !(l->head = j->next))
		l->tail = NULL;
	return j;
}

/* Hands a job back to the loop; ran says whether its work ran. */
static void finished(struct job *j, bool ran)
{
	struct workq *q = j->q;
	pthread_mutex_lock(&q->lock);
	j->ran = ran;
	push(&q->finished, j);
	if (!pool_batch_closing(&q->jobs))
		event_active(q->notify, EV_READ, 0);
	pthread_mutex_unlock(&q->lock);
}

/* On a worker. Once the queue is closing, work not yet begun is skipped. */
static void run(void *arg)
{
	struct job *j = arg;
	bool go = !pool_batch_closing(&j->q->jobs);
	if (go)
		j->work(j->arg);
	finished(j, go);
}

static void complete(struct workq *q, struct list *l)
{
	for (struct job *j; (j = pop(l));) {
		q->pending--;
		j->done(j->arg, j->ran);
		free(j);
	}
}

/* On the loop: the completions of every job finished since last time. */
static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	struct workq *q = arg;
	struct list batch;
	(void)fd;
	(void)what;
	pthread_mutex_lock(&q->lock);
	batch = q->finished;
	q->finished.head = q->finished.tail = NULL;
	pthread_mutex_unlock(&q->lock);
	complete(q, &batch);
}

void workq_free(struct workq *q)
{
	if (!q)
		return;
	pool_batch_close(&q->jobs); /* what had not begun is skipped */
	complete(q, &q->finished);
	if (q->notify)
		event_free(q->notify);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

struct workq *workq_new(struct event_base *base, struct pool *pool, char *err)
{
	struct workq *q = calloc(1, sizeof(*q));
	if (!q) {
		err_set(err, "out of memory");
		return NULL;
	}
	pool_batch_init(&q->jobs, pool);
	pthread_mutex_init(&q->lock, NULL);
	if (!(q->notify = event_new(base, -1, 0, on_notify, q))) {
		workq_free(q);
		err_set(err, "cannot create the worker queue's event");
		return NULL;
	}
	return q;
}

int workq_submit(struct workq *q, void (*work)(void *arg), void (*done)(void *arg, bool ran), void *arg)
{
	struct job *j = malloc(sizeof(*j));
	if (!j)
		return -1;
	*j = (struct job){ .q = q, .work = work, .done = done, .arg = arg };
	if (pool_batch_submit(&q->jobs, run, j) != 0) {
		free(j);
		return -1;
	}
	q->pending++;
	return 0;
}

size_t workq_pending(const struct workq *q)
{
	return q ? q->pending : 0;
}
