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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(batch_runs_every_job),
		cmocka_unit_test(null_pool_runs_inline),
		cmocka_unit_test(nested_batch_on_one_worker),
		cmocka_unit_test(submit_runs_and_free_drops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
