/* The mesh's pure parts: the bounded inventory set (membership, eviction of
 * the oldest, growth), the verdict-to-score table (rule breaking bans, what
 * may become valid or is our own failure never scores), block locators
 * (dense at the tip, doubling, always ending at genesis, capped) and the
 * node's own addresses (which one a peer is told, scores, bounds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "p2p/localaddr.h"
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
	for (uint32_t i = 0; i < 250; i++) {
		hash_of(h, i);
		assert_int_equal(invset_has(&s, h), i >= 150);
	}
	invset_release(&s);
}

/* Random adds against a plain list of the last cap hashes: every hash
 * ever added is found exactly while it is among them, through many
 * wraps of the ring and deletions from the table (small caps make
 * clusters and wrapped probes common). */
#define ROUNDS 30000
static void test_invset_random_against_list(void **state)
{
	(void)state;
	static const size_t caps[] = { 1, 2, 3, 7, 31, 64, 100, 513 };
	uint32_t rng = 12345;
	for (size_t c = 0; c < sizeof(caps) / sizeof(*caps); c++) {
		size_t cap = caps[c], n = 0;
		uint32_t *last = calloc(cap, sizeof(*last)), *keys = calloc(ROUNDS, sizeof(*keys));
		struct invset s;
		uint8_t h[32];
		assert_non_null(last);
		assert_non_null(keys);
		invset_init(&s, cap);
		for (size_t i = 0; i < ROUNDS; i++) {
			rng = rng * 1103515245u + 12345u;
			/* a third of the adds repeat a recent key */
			uint32_t k = (rng >> 8) % 3 == 0 && n ? last[(rng >> 12) % (n < cap ? n : cap)] : (uint32_t)i + 1000000;
			keys[i] = k;
			hash_of(h, k);
			bool had = invset_has(&s, h);
			bool listed = false;
			for (size_t j = 0; j < (n < cap ? n : cap); j++)
				listed |= last[j] == k;
			assert_int_equal(had, listed);
			assert_int_equal(invset_add(&s, h), 0);
			if (!listed)
				last[n++ % cap] = k;
			assert_true(invset_has(&s, h));
		}
		for (size_t i = 0; i < ROUNDS; i++) {
			bool listed = false;
			for (size_t j = 0; j < (n < cap ? n : cap); j++)
				listed |= last[j] == keys[i];
			hash_of(h, keys[i]);
			assert_int_equal(invset_has(&s, h), listed);
		}
		assert_int_equal(s.n, n < cap ? n : cap);
		invset_release(&s);
		free(last);
		free(keys);
	}
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

static struct net_addr addr_of(const char *text)
{
	struct net_addr a;
	char err[ERR_LEN];
	assert_int_equal(net_addr_parse(&a, text, 0, err), 0);
	return a;
}

/* A loopback address is told to loopback peers only, an IPv4 one to IPv4
 * peers only; -externalip (manual) outranks a bound address until inbound
 * peers' reports raise the bound one past it. */
static void test_localaddr_best(void **state)
{
	struct localaddr la;
	struct net_addr out;
	struct net_addr lo = addr_of("127.0.0.5:19733"), ext = addr_of("1.2.3.4:9733");
	struct net_addr lo_peer = addr_of("127.0.9.9:5"), net_peer = addr_of("5.6.7.8:5"), v6_peer = addr_of("[2a01::1]:5");
	char err[ERR_LEN];
	(void)state;
	localaddr_init(&la);
	assert_false(localaddr_best(&la, &out, &lo_peer));
	assert_int_equal(localaddr_add(&la, &lo, LOCALADDR_BIND, err), 0);
	assert_true(localaddr_best(&la, &out, &lo_peer));
	assert_true(net_addr_equal(&out, &lo));
	assert_false(localaddr_best(&la, &out, &net_peer));
	assert_false(localaddr_best(&la, &out, &v6_peer));
	assert_int_equal(out.port, 0); /* zeroed on failure */

	assert_int_equal(localaddr_add(&la, &ext, LOCALADDR_MANUAL, err), 0);
	assert_true(localaddr_best(&la, &out, &net_peer));
	assert_true(net_addr_equal(&out, &ext));
	assert_true(localaddr_best(&la, &out, &lo_peer));
	assert_true(net_addr_equal(&out, &ext)); /* score 4 over 2 */
	for (int i = 0; i < 3; i++)
		assert_true(localaddr_seen(&la, &lo));
	assert_int_equal(la.e[0].score, 5);
	assert_true(localaddr_best(&la, &out, &lo_peer));
	assert_true(net_addr_equal(&out, &lo));
	assert_false(localaddr_seen(&la, &net_peer));
	assert_true(localaddr_has(&la, &ext));
	assert_false(localaddr_has(&la, &lo_peer));
}

/* Learning twice keeps one entry with the higher score; port 0 and a full
 * list are refused with a reason. */
static void test_localaddr_bounds(void **state)
{
	struct localaddr la;
	struct net_addr a = addr_of("127.0.0.5:19733");
	char err[ERR_LEN];
	(void)state;
	localaddr_init(&la);
	assert_int_equal(localaddr_add(&la, &a, LOCALADDR_MANUAL, err), 0);
	assert_int_equal(localaddr_add(&la, &a, LOCALADDR_BIND, err), 0);
	assert_int_equal(la.n, 1);
	assert_int_equal(la.e[0].score, LOCALADDR_MANUAL);
	a.port = 0;
	assert_int_equal(localaddr_add(&la, &a, LOCALADDR_BIND, err), -1);
	assert_non_null(strstr(err, "port 0"));
	for (uint16_t port = 1; la.n < LOCALADDR_MAX; port++) {
		a.port = port;
		assert_int_equal(localaddr_add(&la, &a, LOCALADDR_BIND, err), 0);
	}
	a.port = 60000;
	assert_int_equal(localaddr_add(&la, &a, LOCALADDR_BIND, err), -1);
	assert_non_null(strstr(err, "at most"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invset_basic),
		cmocka_unit_test(test_invset_evicts_oldest),
		cmocka_unit_test(test_invset_zero_cap),
		cmocka_unit_test(test_invset_random_against_list),
		cmocka_unit_test(test_verdict_scores),
		cmocka_unit_test(test_locator_short),
		cmocka_unit_test(test_locator_long),
		cmocka_unit_test(test_localaddr_best),
		cmocka_unit_test(test_localaddr_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
