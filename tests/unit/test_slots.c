/* The outbound slot policy (p2p/slots.c): Core's order of automatic
 * connections (full relay, block relay, the extra block-relay-only peer
 * once synced, feelers), the exponential timers, and which surplus
 * block-relay-only peer goes (the newcomer unless it brought a block
 * first, never too young or while blocks are in flight). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "p2p/slots.h"

#define S 1000000ull /* one second in us */

static void init(struct slots *s)
{
	/* feeler every 2 min, extra every 5 min on average; rnd ~ u = 1/2 */
	slots_init(s, SLOTS_FULL_RELAY, SLOTS_BLOCK_RELAY, 0, 0, 1000 * S, 1ull << 63, 1ull << 63);
}

static void test_defaults(void **state)
{
	struct slots s;
	(void)state;
	init(&s);
	assert_int_equal(s.max_full, 8);
	assert_int_equal(s.max_block, 2);
	assert_int_equal(s.feeler_us, 120 * S);
	assert_int_equal(s.extra_us, 300 * S);
	assert_int_equal(s.min_connect_us, 30 * S);
	assert_true(s.next_feeler > 1000 * S && s.next_extra > 1000 * S);
	assert_false(s.extra_started);
	/* shortened waits shorten an extra peer's least life with them */
	slots_init(&s, 3, 1, 500000, 2 * S, 0, 1, 1);
	assert_int_equal(s.max_full, 3);
	assert_int_equal(s.max_block, 1);
	assert_int_equal(s.min_connect_us, 1 * S);
}

static void test_exp_wait(void **state)
{
	(void)state;
	/* u = 1/2: ln 2 of the mean; the largest draw is no wait at all */
	uint64_t w = slots_exp_wait(0, 1000000, 1ull << 63) ;
	assert_true(w > 693000 && w < 694000);
	assert_int_equal(slots_exp_wait(5, 1000000, UINT64_MAX), 5);
	/* the smallest draw is long but finite */
	assert_true(slots_exp_wait(0, 1000000, 0) > 30 * S);
	/* the mean of many draws is the mean */
	uint64_t sum = 0, x = 88172645463325252ull;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		sum += slots_exp_wait(0, 1000000, x);
	}
	assert_true(sum / 20000 > 950000 && sum / 20000 < 1050000);
}

static void test_order(void **state)
{
	struct slots s;
	(void)state;
	init(&s);
	uint64_t now = 1000 * S;
	/* full-relay slots first, whatever is due */
	assert_int_equal(slots_next(&s, 0, 0, true, now + 10000 * S, 1), SLOTS_OPEN_FULL_RELAY);
	assert_int_equal(slots_next(&s, 7, 2, true, now, 1), SLOTS_OPEN_FULL_RELAY);
	/* then block-relay-only ones */
	assert_int_equal(slots_next(&s, 8, 0, false, now, 1), SLOTS_OPEN_BLOCK_RELAY);
	assert_int_equal(slots_next(&s, 8, 1, false, now, 1), SLOTS_OPEN_BLOCK_RELAY);
	/* all full, nothing due yet */
	assert_int_equal(slots_next(&s, 8, 2, false, now, 1), SLOTS_NONE);
}

static void test_extra_needs_sync(void **state)
{
	struct slots s;
	(void)state;
	init(&s);
	uint64_t late = s.next_extra > s.next_feeler ? s.next_extra : s.next_feeler;
	/* not synced yet: the extra peer waits, the feeler goes */
	assert_int_equal(slots_next(&s, 8, 2, false, late, 1ull << 63), SLOTS_OPEN_FEELER);
	assert_int_equal(slots_next(&s, 8, 2, false, late, 1ull << 63), SLOTS_NONE);
	/* synced once is synced for good */
	assert_int_equal(slots_next(&s, 8, 2, true, late, 1ull << 63), SLOTS_OPEN_EXTRA_BLOCK_RELAY);
	assert_true(s.extra_started);
	assert_true(s.next_extra > late);
	/* an extra peer counts as block relay: with it the next one still
	 * waits for its timer */
	assert_int_equal(slots_next(&s, 8, 3, false, late, 1), SLOTS_NONE);
	assert_int_equal(slots_next(&s, 8, 3, false, s.next_extra, 1ull << 63), SLOTS_OPEN_EXTRA_BLOCK_RELAY);
}

static void test_extra_before_feeler(void **state)
{
	struct slots s;
	(void)state;
	init(&s);
	uint64_t late = (s.next_extra > s.next_feeler ? s.next_extra : s.next_feeler) + S;
	assert_int_equal(slots_next(&s, 8, 2, true, late, 1ull << 63), SLOTS_OPEN_EXTRA_BLOCK_RELAY);
	assert_int_equal(slots_next(&s, 8, 2, true, late, 1ull << 63), SLOTS_OPEN_FEELER);
	assert_int_equal(slots_next(&s, 8, 2, true, late, 1ull << 63), SLOTS_NONE);
	/* no block-relay slots at all: the extra peer still comes */
	slots_init(&s, 2, 0, S, S, 0, 1ull << 63, 1ull << 63);
	assert_int_equal(slots_next(&s, 1, 0, true, 10 * S, 1), SLOTS_OPEN_FULL_RELAY);
	assert_int_equal(slots_next(&s, 2, 0, true, 10 * S, 1), SLOTS_OPEN_EXTRA_BLOCK_RELAY);
}

static void test_evict_none_within_slots(void **state)
{
	struct slots s;
	(void)state;
	init(&s);
	struct slots_peer p[2] = { { 1, 0, 0, false }, { 2, 0, 0, false } };
	assert_int_equal(slots_evict_extra(&s, p, 2, 1000 * S), -1);
	assert_int_equal(slots_evict_extra(&s, p, 0, 1000 * S), -1);
}

static void test_evict_youngest(void **state)
{
	struct slots s;
	(void)state;
	init(&s);
	/* out of id order on purpose: id 9 is the newcomer, it brought nothing */
	struct slots_peer p[3] = { { 5, 100 * S, 300 * S, false }, { 9, 400 * S, 0, false },
				   { 7, 200 * S, 250 * S, false } };
	assert_int_equal(slots_evict_extra(&s, p, 3, 429 * S), -1); /* too young */
	assert_int_equal(slots_evict_extra(&s, p, 3, 399 * S), -1); /* connected after now */
	assert_int_equal(slots_evict_extra(&s, p, 3, 430 * S), 1);
	p[1].busy = true; /* a block on its way from it */
	assert_int_equal(slots_evict_extra(&s, p, 3, 430 * S), -1);
}

static void test_evict_keeps_block_bringer(void **state)
{
	struct slots s;
	(void)state;
	init(&s);
	/* the newcomer (9) gave a block after the next youngest (7) did: 7 goes */
	struct slots_peer p[3] = { { 5, 100 * S, 300 * S, false }, { 9, 400 * S, 410 * S, false },
				   { 7, 200 * S, 250 * S, false } };
	assert_int_equal(slots_evict_extra(&s, p, 3, 401 * S), 2);
	/* a tie is no proof: the newcomer goes */
	p[1].last_block = 250 * S;
	assert_int_equal(slots_evict_extra(&s, p, 3, 430 * S), 1);
	/* the next youngest must be old enough and idle too */
	p[1].last_block = 410 * S;
	p[2].busy = true;
	assert_int_equal(slots_evict_extra(&s, p, 3, 430 * S), -1);
}

static void test_evict_no_slots(void **state)
{
	struct slots s;
	(void)state;
	slots_init(&s, 2, 0, S, 2 * S, 0, 1, 1);
	/* the only block-relay-only peer is the extra one: kept if it
	 * brought a block, else it goes after its least life (1 s here) */
	struct slots_peer p[1] = { { 4, 10 * S, 0, false } };
	assert_int_equal(slots_evict_extra(&s, p, 1, 10 * S + S / 2), -1);
	assert_int_equal(slots_evict_extra(&s, p, 1, 11 * S), 0);
	p[0].last_block = 10 * S + 1;
	assert_int_equal(slots_evict_extra(&s, p, 1, 100 * S), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_exp_wait),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_extra_needs_sync),
		cmocka_unit_test(test_extra_before_feeler),
		cmocka_unit_test(test_evict_none_within_slots),
		cmocka_unit_test(test_evict_youngest),
		cmocka_unit_test(test_evict_keeps_block_bringer),
		cmocka_unit_test(test_evict_no_slots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
