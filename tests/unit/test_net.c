/* The mesh's pure parts: the bounded inventory set (membership, eviction of
 * the oldest, growth), the verdict-to-score table (rule breaking bans, what
 * may become valid or is our own failure never scores), and block locators
 * (dense at the tip, doubling, always ending at genesis, capped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "p2p/peer.h"
#include "p2p/sync.h"

static void hash_of(uint8_t h[32], uint32_t i)
{
	memset(h, 0, 32);
	memcpy(h, &i, sizeof(i));
	h[31] = 0xa5;
}

static void test_invset_basic(void **state)
{
	struct invset s;
	uint8_t h[32];
	(void)state;
	invset_init(&s, 10);
	hash_of(h, 1);
	assert_false(invset_has(&s, h));
	assert_int_equal(invset_add(&s, h), 0);
	assert_true(invset_has(&s, h));
	assert_int_equal(invset_add(&s, h), 0); /* twice is once */
	assert_int_equal(s.n, 1);
	invset_clear(&s);
	assert_false(invset_has(&s, h));
	assert_int_equal(s.cap, 10);
	invset_release(&s);
	invset_release(&s); /* safe twice */
}

static void test_invset_evicts_oldest(void **state)
{
	struct invset s;
	uint8_t h[32];
	(void)state;
	invset_init(&s, 100);
	for (uint32_t i = 0; i < 250; i++) {
		hash_of(h, i);
		assert_int_equal(invset_add(&s, h), 0);
	}
	assert_int_equal(s.n, 100);
	assert_int_equal(s.map.count, 100);
	for (uint32_t i = 0; i < 250; i++) {
		hash_of(h, i);
		assert_int_equal(invset_has(&s, h), i >= 150);
	}
	invset_release(&s);
}

static void test_invset_zero_cap(void **state)
{
	struct invset s;
	uint8_t h[32];
	(void)state;
	invset_init(&s, 0);
	hash_of(h, 7);
	assert_int_equal(invset_add(&s, h), 0);
	assert_false(invset_has(&s, h));
	invset_release(&s);
}

static void test_verdict_scores(void **state)
{
	(void)state;
	static const enum vresult ban[] = { VR_CONSENSUS, VR_MUTATED, VR_INVALID_HEADER, VR_CACHED_INVALID,
					    VR_INVALID_PREV };
	static const enum vresult none[] = { VR_OK, VR_MISSING_PREV, VR_TIME_FUTURE, VR_MISSING_INPUTS,
					     VR_PREMATURE, VR_CONFLICT, VR_POLICY, VR_DUPLICATE, VR_ERROR };
	for (size_t i = 0; i < sizeof(ban) / sizeof(ban[0]); i++)
		assert_int_equal(peer_verdict_score(ban[i]), PEER_BAN_SCORE);
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		assert_int_equal(peer_verdict_score(none[i]), 0);
}

/* A chain of n+1 entries, heights 0..n. */
static struct block_index *chain(size_t n)
{
	struct block_index *c = calloc(n + 1, sizeof(*c));
	assert_non_null(c);
	for (size_t i = 0; i <= n; i++) {
		c[i].height = (uint32_t)i;
		c[i].prev = i ? &c[i - 1] : NULL;
		hash_of(c[i].hash, (uint32_t)i);
	}
	return c;
}

static uint32_t height_at(const struct msg_getheaders *m, size_t i)
{
	uint32_t h;
	memcpy(&h, m->locator[i], sizeof(h));
	return h;
}

static void test_locator_short(void **state)
{
	struct msg_getheaders m;
	struct block_index *c = chain(5);
	(void)state;
	sync_locator(&m, &c[5]);
	assert_int_equal(m.n_locator, 6);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(height_at(&m, i), 5 - i);
	sync_locator(&m, &c[0]);
	assert_int_equal(m.n_locator, 1);
	assert_int_equal(height_at(&m, 0), 0);
	free(c);
}

static void test_locator_long(void **state)
{
	struct msg_getheaders m;
	struct block_index *c = chain(100000);
	(void)state;
	sync_locator(&m, &c[100000]);
	assert_true(m.n_locator <= MSG_MAX_LOCATOR);
	assert_true(m.n_locator < 40);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(height_at(&m, i), 100000 - i);
	for (size_t i = 1; i < m.n_locator; i++)
		assert_true(height_at(&m, i) < height_at(&m, i - 1));
	assert_int_equal(height_at(&m, m.n_locator - 1), 0);
	/* the steps double after the first ten */
	assert_int_equal(height_at(&m, 10) - height_at(&m, 11), 4);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invset_basic),
		cmocka_unit_test(test_invset_evicts_oldest),
		cmocka_unit_test(test_invset_zero_cap),
		cmocka_unit_test(test_verdict_scores),
		cmocka_unit_test(test_locator_short),
		cmocka_unit_test(test_locator_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
