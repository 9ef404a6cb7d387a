/* The hash map every index of the node rests on: against a plain array as
 * the reference, through inserts, replacements and deletions that break
 * probe runs in the middle, and a reserved table that never rehashes while
 * it fills. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/hmap.h"

#define N 5000

/* Key i: its index in the first bytes, the rest a fixed pattern. */
static void key_of(uint8_t k[36], uint32_t i)
{
	memset(k, 0xa5, 36);
	memcpy(k, &i, sizeof(i));
}

static void *val_of(uint32_t i)
{
	return (void *)(uintptr_t)(i + 1);
}

static void test_put_get_replace(void **state)
{
	(void)state;
	struct hmap m;
	uint8_t k[36];
	hmap_init(&m, 36);
	key_of(k, 7);
	assert_null(hmap_get(&m, k));
	assert_int_equal(hmap_put(&m, k, val_of(7)), 0);
	assert_ptr_equal(hmap_get(&m, k), val_of(7));
	assert_int_equal(hmap_put(&m, k, val_of(8)), 0);
	assert_ptr_equal(hmap_get(&m, k), val_of(8));
	assert_int_equal(m.count, 1);
	k[35] ^= 1; /* the last byte counts */
	assert_null(hmap_get(&m, k));
	hmap_release(&m);
}

/* hmap_put_new inserts once and then leaves the first value alone;
 * hmap_prefetch changes nothing, even on an empty table. */
static void test_put_new_prefetch(void **state)
{
	(void)state;
	struct hmap m;
	uint8_t k[36];
	hmap_init(&m, 36);
	key_of(k, 3);
	hmap_prefetch(&m, k);
	assert_int_equal(hmap_put_new(&m, k, val_of(3)), 0);
	assert_int_equal(hmap_put_new(&m, k, val_of(4)), 1);
	assert_ptr_equal(hmap_get(&m, k), val_of(3));
	for (uint32_t i = 0; i < 1000; i++) {
		key_of(k, i);
		hmap_prefetch(&m, k);
		assert_int_equal(hmap_put_new(&m, k, val_of(i)), i == 3 ? 1 : 0);
	}
	assert_int_equal(m.count, 1000);
	hmap_release(&m);
}

/* Random inserts and deletions, each checked against the reference, then
 * every key looked up: a deletion that broke a probe run loses a key. */
static void test_against_reference(void **state)
{
	(void)state;
	static bool in[N];
	struct hmap m;
	uint8_t k[36];
	size_t count = 0;
	hmap_init(&m, 36);
	memset(in, 0, sizeof(in));
	srand(1);
	for (int step = 0; step < 40000; step++) {
		uint32_t i = (uint32_t)rand() % N;
		key_of(k, i);
		if (rand() % 3 == 0) {
			assert_ptr_equal(hmap_del(&m, k), in[i] ? val_of(i) : NULL);
			count -= in[i];
			in[i] = false;
		} else {
			assert_int_equal(hmap_put(&m, k, val_of(i)), 0);
			count += !in[i];
			in[i] = true;
		}
		assert_int_equal(m.count, count);
	}
	for (uint32_t i = 0; i < N; i++) {
		key_of(k, i);
		assert_ptr_equal(hmap_get(&m, k), in[i] ? val_of(i) : NULL);
	}
	size_t seen = 0;
	const void *key;
	void *val;
	for (size_t it = 0; hmap_next(&m, &it, &key, &val);) {
		uint32_t i;
		memcpy(&i, key, sizeof(i));
		assert_true(i < N && in[i]);
		assert_ptr_equal(val, val_of(i));
		seen++;
	}
	assert_int_equal(seen, count);
	hmap_release(&m);
}

/* After hmap_reserve(n) the table holds n entries without growing. */
static void test_reserve(void **state)
{
	(void)state;
	struct hmap m;
	uint8_t k[36];
	for (size_t n = 1; n <= 3000; n += n / 3 + 1) {
		hmap_init(&m, 36);
		assert_int_equal(hmap_reserve(&m, n), 0);
		struct hmap_slot *slots = m.slots;
		size_t cap = m.cap;
		for (uint32_t i = 0; i < n; i++) {
			key_of(k, i);
			assert_int_equal(hmap_put(&m, k, val_of(i)), 0);
		}
		assert_ptr_equal(m.slots, slots);
		assert_int_equal(m.cap, cap);
		assert_int_equal(hmap_reserve(&m, n / 2), 0); /* never shrinks */
		assert_int_equal(m.cap, cap);
		assert_int_equal(hmap_reserve(&m, cap), 0); /* past 3/4 full: rehashes, keeps */
		assert_true(m.cap > cap);
		for (uint32_t i = 0; i < n; i++) {
			key_of(k, i);
			assert_ptr_equal(hmap_get(&m, k), val_of(i));
		}
		hmap_release(&m);
	}
	hmap_init(&m, 36);
	assert_int_equal(hmap_reserve(&m, SIZE_MAX), -1);
	assert_int_equal(m.cap, 0);
	hmap_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_replace),
		cmocka_unit_test(test_put_new_prefetch),
		cmocka_unit_test(test_against_reference),
		cmocka_unit_test(test_reserve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
