/* Array growth: the first allocation, doubling, the clamp, nothing done
 * when the array is big enough, and every overflow refused with the array
 * left as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/grow.h"

struct pair {
	uint64_t a, b;
};

static void test_cap_doubles_from_first(void **state)
{
	(void)state;
	assert_int_equal(grow_cap(0, 1, 8, 16, SIZE_MAX), 16);
	assert_int_equal(grow_cap(0, 17, 8, 16, SIZE_MAX), 32);
	assert_int_equal(grow_cap(0, 1, 8, 0, SIZE_MAX), 1);
	assert_int_equal(grow_cap(16, 17, 8, 4, SIZE_MAX), 32);
	assert_int_equal(grow_cap(16, 100, 8, 4, SIZE_MAX), 128);
	assert_int_equal(grow_cap(3, 4, 1, 16, SIZE_MAX), 6);
	/* Big enough already: the capacity stays. */
	assert_int_equal(grow_cap(64, 64, 8, 16, SIZE_MAX), 64);
	assert_int_equal(grow_cap(64, 1, 8, 16, SIZE_MAX), 64);
}

static void test_cap_clamps_to_max(void **state)
{
	(void)state;
	assert_int_equal(grow_cap(16, 17, 8, 16, 20), 20);
	assert_int_equal(grow_cap(0, 3, 8, 16, 5), 5);
	assert_int_equal(grow_cap(16, 20, 8, 16, 20), 20);
	assert_int_equal(grow_cap(16, 21, 8, 16, 20), 0);
	assert_int_equal(grow_cap(0, 1, 8, 16, 0), 0);
}

static void test_cap_refuses_overflow(void **state)
{
	(void)state;
	/* Doubling past SIZE_MAX. */
	assert_int_equal(grow_cap(SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 2, 1, 16, SIZE_MAX), SIZE_MAX);
	assert_int_equal(grow_cap(SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 2, 2, 16, SIZE_MAX), 0);
	/* Elements times their size past SIZE_MAX. */
	assert_int_equal(grow_cap(SIZE_MAX / 16, SIZE_MAX / 16 + 1, 16, 16, SIZE_MAX), 0);
	assert_int_equal(grow_cap(0, SIZE_MAX / 8 + 1, 8, 16, SIZE_MAX), 0);
	assert_int_equal(grow_cap(0, SIZE_MAX / 8, 8, 16, SIZE_MAX), SIZE_MAX / 8);
	assert_int_equal(grow_cap(0, 1, 0, 16, SIZE_MAX), 0);
}

static void test_array_first_allocation_and_growth(void **state)
{
	(void)state;
	struct pair *v = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < 100; i++) {
		assert_int_equal(grow_array(&v, &cap, i + 1, sizeof(*v), 4, SIZE_MAX), 0);
		assert_true(cap >= i + 1);
		v[i].a = i;
		v[i].b = ~i;
	}
	assert_int_equal(cap, 128);
	for (size_t i = 0; i < 100; i++) {
		assert_int_equal(v[i].a, i);
		assert_int_equal(v[i].b, ~i);
	}
	free(v);
}

static void test_array_untouched_when_big_enough(void **state)
{
	(void)state;
	struct pair *v = NULL;
	size_t cap = 0;
	assert_int_equal(grow_array(&v, &cap, 10, sizeof(*v), 16, SIZE_MAX), 0);
	assert_int_equal(cap, 16);
	struct pair *was = v;
	assert_int_equal(grow_array(&v, &cap, 16, sizeof(*v), 16, SIZE_MAX), 0);
	assert_ptr_equal(v, was);
	assert_int_equal(cap, 16);
	free(v);
}

static void test_array_refusal_keeps_the_old_array(void **state)
{
	(void)state;
	struct pair *v = NULL;
	size_t cap = 0;
	assert_int_equal(grow_array(&v, &cap, 3, sizeof(*v), 4, 8), 0);
	v[0].a = 42;
	struct pair *was = v;
	/* Past the bound. */
	assert_int_equal(grow_array(&v, &cap, 9, sizeof(*v), 4, 8), -1);
	assert_ptr_equal(v, was);
	assert_int_equal(cap, 4);
	/* Past SIZE_MAX in bytes. */
	assert_int_equal(grow_array(&v, &cap, SIZE_MAX / 2, sizeof(*v), 4, SIZE_MAX), -1);
	assert_ptr_equal(v, was);
	assert_int_equal(cap, 4);
	assert_int_equal(v[0].a, 42);
	/* Up to the bound, clamped there. */
	assert_int_equal(grow_array(&v, &cap, 5, sizeof(*v), 4, 6), 0);
	assert_int_equal(cap, 6);
	assert_int_equal(v[0].a, 42);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_doubles_from_first),
		cmocka_unit_test(test_cap_clamps_to_max),
		cmocka_unit_test(test_cap_refuses_overflow),
		cmocka_unit_test(test_array_first_allocation_and_growth),
		cmocka_unit_test(test_array_untouched_when_big_enough),
		cmocka_unit_test(test_array_refusal_keeps_the_old_array),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
