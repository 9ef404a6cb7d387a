#include "util/pool.h"

#include <stdlib.h>
#include <unistd.h>

struct job {
	void (*run)(void *arg);
	void (*drop)(void *arg);
	void *arg;
	struct pool_batch *batch; /* NULL for a pool_submit job */
	struct job *prev, *next;
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *head, *tail;
	pthread_t *threads;
	int n_threads;
	bool stopping;
};

static void link_tail(struct pool *p, struct job *j)
{
	j->next = NULL;
	j->prev = p->tail;
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
}

static void unlink_job(struct pool *p, struct job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		p->head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		p->tail = j->prev;
}

static void batch_finished(struct pool_batch *b)
{
	pthread_mutex_lock(&b->lock);
	if (--b->pending == 0)
		pthread_cond_broadcast(&b->done);
	pthread_mutex_unlock(&b->lock);
}

/* Runs j outside every lock and frees it. */
static void run_job(struct job *j)
{
	struct pool_batch *b = j->batch;
	j->run(j->arg);
	free(j);
	if (b)
		batch_finished(b);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stopping && !p->head)
			pthread_cond_wait(&p->wake, &p->lock);
		if (p->stopping)
			break;
		struct job *j = p->head;
		unlink_job(p, j);
		pthread_mutex_unlock(&p->lock);
		run_job(j);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int pool_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	/* No batch can be waiting now: its waiter would be a worker or the
	 * caller. What is left was submitted and never started. */
	for (struct job *j = p->head, *next; j; j = next) {
		next = j->next;
		if (j->drop)
			j->drop(j->arg);
		free(j);
	}
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}

struct pool *pool_new(int threads, char *err)
{
	struct pool *p = calloc(1, sizeof(*p));
	if (threads < 1)
		threads = 1;
	if (!p || !(p->threads = calloc((size_t)threads, sizeof(*p->threads)))) {
		free(p);
		err_set(err, "cannot create the worker pool: out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	for (; p->n_threads < threads; p->n_threads++)
		if (pthread_create(&p->threads[p->n_threads], NULL, worker, p) != 0)
			break;
	if (p->n_threads == 0) {
		pool_free(p);
		err_set(err, "cannot start a worker thread");
		return NULL;
	}
	return p;
}

int pool_threads(const struct pool *p)
{
	return p ? p->n_threads : 0;
}

static int enqueue(struct pool *p, struct job *j)
{
	pthread_mutex_lock(&p->lock);
	bool ok = !p->stopping;
	if (ok) {
		link_tail(p, j);
		pthread_cond_signal(&p->wake);
	}
	pthread_mutex_unlock(&p->lock);
	return ok ? 0 : -1;
}

int pool_submit(struct pool *p, void (*run)(void *arg), void (*drop)(void *arg), void *arg)
{
	struct job *j;
	if (!p || !(j = calloc(1, sizeof(*j))))
		return -1;
	*j = (struct job){ .run = run, .drop = drop, .arg = arg };
	if (enqueue(p, j) != 0) {
		free(j);
		return -1;
	}
	return 0;
}

void pool_batch_init(struct pool_batch *b, struct pool *pool)
{
	b->pool = pool;
	b->pending = 0;
	b->closing = false;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->done, NULL);
}

int pool_batch_submit(struct pool_batch *b, void (*run)(void *arg), void *arg)
{
	struct job *j = b->pool ? calloc(1, sizeof(*j)) : NULL;
	if (!j)
		return -1;
	*j = (struct job){ .run = run, .arg = arg, .batch = b };
	pthread_mutex_lock(&b->lock);
	bool open = !b->closing;
	if (open)
		b->pending++;
	pthread_mutex_unlock(&b->lock);
	if (!open) {
		free(j);
		return -1;
	}
	if (enqueue(b->pool, j) != 0) {
		free(j);
		batch_finished(b);
		return -1;
	}
	return 0;
}

void pool_batch_add(struct pool_batch *b, void (*run)(void *arg), void *arg)
{
	if (pool_batch_submit(b, run, arg) != 0)
		run(arg);
}

/* Takes one still-queued job of b off the queue, or NULL. */
static struct job *take_own(struct pool_batch *b)
{
	struct pool *p = b->pool;
	struct job *j;
	pthread_mutex_lock(&p->lock);
	for (j = p->head; j && j->batch != b; j = j->next)
		;
	if (j)
		unlink_job(p, j);
	pthread_mutex_unlock(&p->lock);
	return j;
}

void pool_batch_wait(struct pool_batch *b)
{
	struct job *j;
	if (b->pool)
		while ((j = take_own(b)))
			run_job(j);
	pthread_mutex_lock(&b->lock);
	while (b->pending)
		pthread_cond_wait(&b->done, &b->lock);
	pthread_mutex_unlock(&b->lock);
	pthread_cond_destroy(&b->done);
	pthread_mutex_destroy(&b->lock);
}

void pool_batch_close(struct pool_batch *b)
{
	pthread_mutex_lock(&b->lock);
	b->closing = true;
	pthread_mutex_unlock(&b->lock);
	pool_batch_wait(b);
}

bool pool_batch_closing(struct pool_batch *b)
{
	pthread_mutex_lock(&b->lock);
	bool c = b->closing;
	pthread_mutex_unlock(&b->lock);
	return c;
}
