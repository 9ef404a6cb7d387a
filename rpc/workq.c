#include "rpc/workq.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>

struct job {
	void (*work)(void *arg);
	void (*done)(void *arg, bool ran);
	void *arg;
	struct job *next;
};

struct list {
	struct job *head, *tail;
};

struct workq {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct list queued, finished;
	struct event *notify; /* activated by workers, runs on the loop */
	pthread_t *threads;
	int n_threads;
	size_t pending;
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

static void *worker(void *arg)
{
	struct workq *q = arg;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct job *j;
		while (!q->stopping && !q->queued.head)
			pthread_cond_wait(&q->wake, &q->lock);
		if (q->stopping)
			break;
		j = pop(&q->queued);
		pthread_mutex_unlock(&q->lock);
		j->work(j->arg);
		pthread_mutex_lock(&q->lock);
		push(&q->finished, j);
		event_active(q->notify, EV_READ, 0);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
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
	for (struct job *j; (j = pop(&batch));) {
		q->pending--;
		j->done(j->arg, true);
		free(j);
	}
}

struct workq *workq_new(struct event_base *base, int n, char *err)
{
	struct workq *q = calloc(1, sizeof(*q));
	if (!q || !(q->threads = calloc((size_t)(n < 1 ? 1 : n), sizeof(*q->threads)))) {
		free(q);
		err_set(err, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	if (!(q->notify = event_new(base, -1, 0, on_notify, q))) {
		workq_free(q);
		err_set(err, "cannot create the worker queue's event");
		return NULL;
	}
	for (int i = 0; i < (n < 1 ? 1 : n); i++) {
		if (pthread_create(&q->threads[i], NULL, worker, q) != 0) {
			workq_free(q);
			err_set(err, "cannot start worker threads");
			return NULL;
		}
		q->n_threads++;
	}
	return q;
}

void workq_free(struct workq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_broadcast(&q->wake);
	pthread_mutex_unlock(&q->lock);
	for (int i = 0; i < q->n_threads; i++)
		pthread_join(q->threads[i], NULL);
	for (struct job *j; (j = pop(&q->finished));) {
		j->done(j->arg, true);
		free(j);
	}
	for (struct job *j; (j = pop(&q->queued));) {
		j->done(j->arg, false);
		free(j);
	}
	if (q->notify)
		event_free(q->notify);
	pthread_cond_destroy(&q->wake);
	pthread_mutex_destroy(&q->lock);
	free(q->threads);
	free(q);
}

int workq_submit(struct workq *q, void (*work)(void *arg), void (*done)(void *arg, bool ran), void *arg)
{
	struct job *j = malloc(sizeof(*j));
	if (!j)
		return -1;
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&q->lock);
	push(&q->queued, j);
	q->pending++;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

size_t workq_pending(const struct workq *q)
{
	return q ? q->pending : 0;
}
