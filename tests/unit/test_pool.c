/* The worker pool: every submitted job runs once, a batch's waiter returns
 * only after all of its jobs ran, a batch waited for from inside a job of
 * the pool finishes even when every worker is busy, and freeing the pool
 * drops what never started. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/pool.h"

static void count(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
}

static void batch_runs_every_job(void **state)
{
	(void)state;
	struct pool *p = pool_new(2, NULL);
	assert_non_null(p);
	assert_int_equal(pool_threads(p), 2);
	atomic_int n;
	atomic_init(&n, 0);
	struct pool_batch b;
	pool_batch_init(&b, p);
	for (int i = 0; i < 1000; i++)
		pool_batch_add(&b, count, &n);
	pool_batch_wait(&b);
	assert_int_equal(atomic_load(&n), 1000);
	pool_free(p);
}

static void null_pool_runs_inline(void **state)
{
	(void)state;
	atomic_int n;
	atomic_init(&n, 0);
	struct pool_batch b;
	pool_batch_init(&b, NULL);
	pool_batch_add(&b, count, &n);
	assert_int_equal(atomic_load(&n), 1); /* already ran */
	pool_batch_wait(&b);
	assert_int_equal(pool_threads(NULL), 0);
	assert_int_equal(pool_submit(NULL, count, NULL, &n), -1);
}

struct nested {
	struct pool *p;
	atomic_int inner;
};

/* A job that itself waits for a batch: with one worker, only the waiter
 * helping itself lets it finish. */
static void outer(void *arg)
{
	struct nested *s = arg;
	struct pool_batch b;
	pool_batch_init(&b, s->p);
	for (int i = 0; i < 50; i++)
		pool_batch_add(&b, count, &s->inner);
	pool_batch_wait(&b);
}

static void nested_batch_on_one_worker(void **state)
{
	(void)state;
	struct nested s = { .p = pool_new(1, NULL) };
	assert_non_null(s.p);
	atomic_init(&s.inner, 0);
	struct pool_batch b;
	pool_batch_init(&b, s.p);
	pool_batch_add(&b, outer, &s);
	pool_batch_add(&b, outer, &s);
	pool_batch_wait(&b);
	assert_int_equal(atomic_load(&s.inner), 100);
	pool_free(s.p);
}

static void block_worker(void *arg)
{
	atomic_int *gate = arg;
	while (atomic_load(gate) == 0)
		usleep(1000);
}

static void submit_runs_and_free_drops(void **state)
{
	(void)state;
	struct pool *p = pool_new(1, NULL);
	atomic_int ran, dropped, gate;
	atomic_init(&ran, 0);
	atomic_init(&dropped, 0);
	atomic_init(&gate, 0);
	assert_int_equal(pool_submit(p, count, count, &ran), 0);
	for (int i = 0; i < 200 && atomic_load(&ran) == 0; i++)
		usleep(1000);
	assert_int_equal(atomic_load(&ran), 1);
	/* The only worker is held; what is queued behind it never starts. */
	assert_int_equal(pool_submit(p, block_worker, NULL, &gate), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pool_submit(p, count, count, &dropped), 0);
	atomic_store(&gate, 1);
	pool_free(p);
	/* Each of the three either ran (the worker got to it) or was dropped:
	 * exactly once either way. */
	assert_int_equal(atomic_load(&dropped), 3);
	assert_int_equal(atomic_load(&ran), 1);
}

struct chain_of_jobs {
	struct pool_batch b;
	atomic_int left;
};

/* A job that queues the next one in its own batch until none are left:
 * the waiter must not return while a job is about to add another. */
static void step(void *arg)
{
	struct chain_of_jobs *c = arg;
	if (atomic_fetch_sub(&c->left, 1) > 1)
		assert_int_equal(pool_batch_submit(&c->b, step, c), 0);
}

static void batch_submit_chains_and_refuses_without_pool(void **state)
{
	(void)state;
	struct pool *p = pool_new(2, NULL);
	struct chain_of_jobs c;
	atomic_init(&c.left, 500);
	pool_batch_init(&c.b, p);
	assert_int_equal(pool_batch_submit(&c.b, step, &c), 0);
	pool_batch_wait(&c.b);
	assert_int_equal(atomic_load(&c.left), 0);
	pool_free(p);

	atomic_int n;
	atomic_init(&n, 0);
	struct pool_batch none;
	pool_batch_init(&none, NULL);
	assert_int_equal(pool_batch_submit(&none, count, &n), -1);
	pool_batch_wait(&none);
	assert_int_equal(atomic_load(&n), 0); /* refused means not run */
}

/* Closing: new jobs are refused, queued ones still run (and can see it). */
struct closing {
	struct pool_batch b;
	atomic_int ran, saw_closing, gate;
};

static void held(void *arg)
{
	struct closing *c = arg;
	while (atomic_load(&c->gate) == 0)
		usleep(1000);
	atomic_fetch_add(&c->ran, 1);
}

static void notes_closing(void *arg)
{
	struct closing *c = arg;
	atomic_fetch_add(&c->ran, 1);
	if (pool_batch_closing(&c->b) && pool_batch_submit(&c->b, notes_closing, c) == -1)
		atomic_fetch_add(&c->saw_closing, 1); /* and could add no more */
}

static void *open_gate(void *arg)
{
	struct closing *c = arg;
	usleep(20000);
	atomic_store(&c->gate, 1);
	return NULL;
}

static void batch_close_refuses_and_drains(void **state)
{
	(void)state;
	struct pool *p = pool_new(1, NULL);
	struct closing c;
	atomic_init(&c.ran, 0);
	atomic_init(&c.saw_closing, 0);
	atomic_init(&c.gate, 0);
	pool_batch_init(&c.b, p);
	assert_false(pool_batch_closing(&c.b));
	assert_int_equal(pool_batch_submit(&c.b, held, &c), 0);
	assert_int_equal(pool_batch_submit(&c.b, notes_closing, &c), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, open_gate, &c), 0);
	pool_batch_close(&c.b); /* runs the queued one itself, seeing closing */
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&c.ran), 2);
	assert_int_equal(atomic_load(&c.saw_closing), 1);
	pool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(batch_runs_every_job),
		cmocka_unit_test(null_pool_runs_inline),
		cmocka_unit_test(nested_batch_on_one_worker),
		cmocka_unit_test(submit_runs_and_free_drops),
		cmocka_unit_test(batch_submit_chains_and_refuses_without_pool),
		cmocka_unit_test(batch_close_refuses_and_drains),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
