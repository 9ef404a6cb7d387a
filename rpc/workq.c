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
	struct pool *pool;
	pthread_mutex_t lock;
	pthread_cond_t idle;  /* in_pool fell to 0 */
	struct list finished;
	struct event *notify; /* activated by workers, runs on the loop */
	size_t pending;       /* submitted, completion not yet run (the loop's) */
	size_t in_pool;       /* submitted, not yet finished on a worker */
	bool stopping;
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
	if (!q->stopping)
		event_active(q->notify, EV_READ, 0);
	if (--q->in_pool == 0)
		pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->lock);
}

/* On a worker. Once the queue is stopping, work not yet begun is skipped. */
static void run(void *arg)
{
	struct job *j = arg;
	pthread_mutex_lock(&j->q->lock);
	bool go = !j->q->stopping;
	pthread_mutex_unlock(&j->q->lock);
	if (go)
		j->work(j->arg);
	finished(j, go);
}

static void drop(void *arg)
{
	finished(arg, false);
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

struct workq *workq_new(struct event_base *base, struct pool *pool, char *err)
{
	struct workq *q = calloc(1, sizeof(*q));
	if (!q) {
		err_set(err, "out of memory");
		return NULL;
	}
	q->pool = pool;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->idle, NULL);
	if (!(q->notify = event_new(base, -1, 0, on_notify, q))) {
		workq_free(q);
		err_set(err, "cannot create the worker queue's event");
		return NULL;
	}
	return q;
}

void workq_free(struct workq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	while (q->in_pool)
		pthread_cond_wait(&q->idle, &q->lock);
	pthread_mutex_unlock(&q->lock);
	complete(q, &q->finished);
	if (q->notify)
		event_free(q->notify);
	pthread_cond_destroy(&q->idle);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int workq_submit(struct workq *q, void (*work)(void *arg), void (*done)(void *arg, bool ran), void *arg)
{
	struct job *j = malloc(sizeof(*j));
	if (!j)
		return -1;
	*j = (struct job){ .q = q, .work = work, .done = done, .arg = arg };
	pthread_mutex_lock(&q->lock);
	q->pending++;
	q->in_pool++;
	pthread_mutex_unlock(&q->lock);
	if (pool_submit(q->pool, run, drop, j) != 0) {
		pthread_mutex_lock(&q->lock);
		q->pending--;
		q->in_pool--;
		pthread_mutex_unlock(&q->lock);
		free(j);
		return -1;
	}
	return 0;
}

size_t workq_pending(const struct workq *q)
{
	return q ? q->pending : 0;
}
