/* The address manager: what it admits, how it picks (both tables, never a
 * fresh attempt, repeatable under one seed), how it stays bounded under
 * floods and against one source, the tried table, terrible entries,
 * getaddr answers, and the file: round trip and every way it can be
 * wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "chain/hash.h"
#include "p2p/addrman.h"

#define NOW 1700000000u
#define DAY 86400u
#define SEED 0x5eed5eed5eedULL

static struct net_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct net_addr n;
	memset(&n, 0, sizeof(n));
	const uint8_t ip4[4] = { a, b, c, d };
	net_addr_set_ipv4(&n, ip4, port);
	n.services = MSG_NODE_NETWORK;
	n.time = NOW;
	return n;
}

/* The i-th of many distinct routable IPv4 addresses: the first byte walks
 * the public /8s, so consecutive ones fall in different /16 groups. */
static struct net_addr nth(uint32_t i)
{
	static uint8_t firsts[256];
	static size_t n;
	if (!n) {
		for (unsigned a = 1; a < 224; a++)
			if (a != 10 && a != 100 && a != 127 && a != 169 && a != 172 && a != 192 &&
			    a != 198 && a != 203)
				firsts[n++] = (uint8_t)a;
	}
	uint32_t q = i / (uint32_t)n;
	return v4(firsts[i % n], (uint8_t)q, (uint8_t)(q >> 8), 1, 9733);
}

static struct net_addr v6(uint16_t first, uint16_t last)
{
	struct net_addr n;
	memset(&n, 0, sizeof(n));
	n.ip[0] = (uint8_t)(first >> 8);
	n.ip[1] = (uint8_t)first;
	n.ip[14] = (uint8_t)(last >> 8);
	n.ip[15] = (uint8_t)last;
	n.port = 9733;
	n.time = NOW;
	return n;
}

static bool known(const struct addrman *am, const struct net_addr *a)
{
	struct addrman_info i;
	return addrman_lookup(am, &i, a);
}

static bool in_tried(const struct addrman *am, const struct net_addr *a)
{
	struct addrman_info i;
	return addrman_lookup(am, &i, a) && i.tried;
}

static void test_admission(void **state)
{
	(void)state;
	struct addrman *am = addrman_new(SEED, false);
	assert_non_null(am);
	struct net_addr src = v4(8, 8, 8, 8, 9733);
	struct net_addr ok = v4(1, 2, 3, 4, 9733);
	assert_int_equal(addrman_add(am, &ok, 1, &src, NOW), 1);
	assert_int_equal(addrman_add(am, &ok, 1, &src, NOW), 0); /* known */
	assert_int_equal(addrman_size(am), 1);
	assert_int_equal(addrman_size_new(am), 1);
	assert_int_equal(addrman_size_tried(am), 0);

	struct addrman_info i;
	assert_true(addrman_lookup(am, &i, &ok));
	assert_false(i.tried);
	assert_memory_equal(i.source, src.ip, 16);
	assert_int_equal(i.attempts, 0);
	assert_true(i.last_try == 0 && i.last_success == 0);

	/* Port 0, loopback, private, reserved: refused without allow_local. */
	struct net_addr bad[] = {
		v4(1, 2, 3, 5, 0),	 v4(127, 0, 0, 1, 9733), v4(10, 0, 0, 1, 9733),
		v4(192, 168, 1, 1, 9733), v4(0, 0, 0, 0, 9733),	 v4(224, 0, 0, 1, 9733),
		v4(255, 255, 255, 255, 1), v4(192, 0, 2, 1, 9733), v6(0xfe80, 1),
	};
	assert_int_equal(addrman_add(am, bad, sizeof(bad) / sizeof(bad[0]), &src, NOW), 0);
	assert_int_equal(addrman_size(am), 1);
	addrman_free(am);

	/* allow_local admits loopback and private, never port 0 or reserved. */
	am = addrman_new(SEED, true);
	assert_int_equal(addrman_add(am, bad, sizeof(bad) / sizeof(bad[0]), NULL, NOW), 4);
	assert_true(known(am, &bad[1]));
	assert_true(known(am, &bad[2]));
	assert_true(known(am, &bad[3]));
	assert_true(known(am, &bad[8]));
	assert_false(known(am, &bad[0]));
	assert_false(known(am, &bad[4]));
	assert_false(known(am, &bad[5]));
	/* Without a source, each address is its own. */
	assert_true(addrman_lookup(am, &i, &bad[1]));
	assert_memory_equal(i.source, bad[1].ip, 16);
	addrman_free(am);
	addrman_free(NULL);
}

static void test_times_made_sane(void **state)
{
	(void)state;
	struct addrman *am = addrman_new(SEED, false);
	struct net_addr a[4] = { nth(0), nth(1), nth(2), nth(3) };
	a[0].time = NOW + 7 * DAY;     /* from the future: clamped to now */
	a[1].time = 0;                 /* unknown: five days ago */
	a[2].time = NOW - 31 * DAY;    /* too old to be worth keeping */
	a[3].time = NOW + 5 * 60;      /* a little skew is fine */
	assert_int_equal(addrman_add(am, a, 4, &a[3], NOW), 3);
	struct addrman_info i;
	assert_true(addrman_lookup(am, &i, &a[0]));
	assert_int_equal(i.addr.time, NOW);
	assert_true(addrman_lookup(am, &i, &a[1]));
	assert_int_equal(i.addr.time, NOW - 5 * DAY);
	assert_false(known(am, &a[2]));
	assert_true(addrman_lookup(am, &i, &a[3]));
	assert_int_equal(i.addr.time, NOW + 5 * 60);

	/* A known address gains services and a newer time, never an older. */
	struct net_addr again = a[1];
	again.services = 4;
	again.time = NOW - DAY;
	assert_int_equal(addrman_add(am, &again, 1, NULL, NOW), 0);
	assert_true(addrman_lookup(am, &i, &a[1]));
	assert_int_equal(i.addr.time, NOW - DAY);
	assert_int_equal(i.addr.services, 4 | MSG_NODE_NETWORK);
	again.time = NOW - 3 * DAY;
	assert_int_equal(addrman_add(am, &again, 1, NULL, NOW), 0);
	assert_true(addrman_lookup(am, &i, &a[1]));
	assert_int_equal(i.addr.time, NOW - DAY);
	addrman_free(am);
}

/* Offers am n new addresses (one source each), moves the first `tried` of
 * them to the tried table and returns how many it holds. Buckets fill
 * unevenly, so a large n is not all kept. */
static size_t fill(struct addrman *am, uint32_t n, uint32_t tried)
{
	for (uint32_t k = 0; k < n; k++) {
		struct net_addr a = nth(k), src = nth(100000 + k);
		addrman_add(am, &a, 1, &src, NOW);
	}
	for (uint32_t k = 0; k < tried; k++) {
		struct net_addr a = nth(k);
		assert_true(addrman_good(am, &a, NOW - 2 * 3600));
	}
	return addrman_size(am);
}

static void test_select_covers_both_tables(void **state)
{
	(void)state;
	struct addrman *am = addrman_new(SEED, false);
	struct net_addr out;
	assert_false(addrman_select(am, &out, false, NOW)); /* empty */
	assert_int_equal(fill(am, 100, 50), 100);
	assert_int_equal(addrman_size_tried(am), 50);
	assert_int_equal(addrman_size_new(am), 50);

	size_t from_tried = 0, draws = 1000;
	for (size_t k = 0; k < draws; k++) {
		assert_true(addrman_select(am, &out, false, NOW));
		assert_true(known(am, &out));
		from_tried += in_tried(am, &out);
	}
	/* Even odds between the tables: 500 expected, 3.5 % is ±6 sigma. */
	assert_in_range(from_tried, 350, 650);

	for (size_t k = 0; k < 200; k++) {
		assert_true(addrman_select(am, &out, true, NOW));
		assert_false(in_tried(am, &out));
	}
	addrman_free(am);
}

static void test_select_skips_recent_attempts(void **state)
{
	(void)state;
	struct addrman *am = addrman_new(SEED, false);
	assert_int_equal(fill(am, 10, 5), 10);
	struct net_addr out, spared = nth(7);
	for (uint32_t k = 0; k < 10; k++) {
		struct net_addr a = nth(k);
		if (k != 7)
			assert_true(addrman_attempt(am, &a, NOW));
	}
	for (int k = 0; k < 200; k++) {
		assert_true(addrman_select(am, &out, false, NOW + 30));
		assert_true(net_addr_equal(&out, &spared));
	}
	/* Only the spared one is left in the new table, none in tried. */
	assert_true(addrman_select(am, &out, true, NOW + 59));
	assert_true(net_addr_equal(&out, &spared));
	assert_true(addrman_attempt(am, &spared, NOW + 59));
	assert_false(addrman_select(am, &out, false, NOW + 59));
	struct net_addr zero;
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&out, &zero, sizeof(out));
	/* A minute on, the first ones are back. */
	assert_true(addrman_select(am, &out, false, NOW + ADDRMAN_RETRY_SECS));
	assert_false(net_addr_equal(&out, &spared));

	/* Each failure doubles the wait: three attempts, four minutes. */
	struct net_addr unknown = nth(5000);
	assert_false(addrman_attempt(am, &unknown, NOW));
	addrman_clear(am);
	assert_int_equal(addrman_size(am), 0);
	struct net_addr one = nth(1);
	assert_int_equal(addrman_add(am, &one, 1, NULL, NOW), 1);
	for (int k = 0; k < 3; k++)
		assert_true(addrman_attempt(am, &one, NOW));
	assert_false(addrman_select(am, &out, false, NOW + 239));
	assert_true(addrman_select(am, &out, false, NOW + 240));
	addrman_free(am);
}

static void test_select_repeatable_under_seed(void **state)
{
	(void)state;
	struct addrman *a = addrman_new(SEED, false), *b = addrman_new(SEED, false);
	struct addrman *c = addrman_new(SEED + 1, false);
	fill(a, 300, 100);
	fill(b, 300, 100);
	fill(c, 300, 100);
	size_t same_ac = 0;
	for (int k = 0; k < 100; k++) {
		struct net_addr x, y, z;
		assert_true(addrman_select(a, &x, false, NOW));
		assert_true(addrman_select(b, &y, false, NOW));
		assert_true(addrman_select(c, &z, false, NOW));
		assert_true(net_addr_equal(&x, &y));
		same_ac += net_addr_equal(&x, &z);
	}
	assert_true(same_ac < 50); /* another seed, other choices */
	addrman_free(a);
	addrman_free(b);
	addrman_free(c);
}

static void test_one_source_gets_its_share(void **state)
{
	(void)state;
	struct addrman *am = addrman_new(SEED, false);
	struct net_addr src = v4(66, 6, 6, 6, 9733);
	struct net_addr batch[1000];
	for (uint32_t k = 0; k < 100000; k += 1000) {
		for (uint32_t j = 0; j < 1000; j++)
			batch[j] = nth(k + j);
		addrman_add(am, batch, 1000, &src, NOW);
	}
	size_t share = ADDRMAN_NEW_BUCKETS_PER_SOURCE * ADDRMAN_BUCKET_SIZE;
	assert_true(addrman_size_new(am) <= share);
	assert_true(addrman_size_new(am) >= share / 2);

	/* Another source in another /16 still finds room. */
	struct net_addr other = v4(77, 7, 7, 7, 9733);
	size_t added = 0;
	for (uint32_t k = 200000; k < 200100; k++) {
		struct net_addr a = nth(k);
		added += addrman_add(am, &a, 1, &other, NOW);
	}
	assert_true(added >= 50);
	addrman_free(am);
}

/* Groups: /16 for IPv4 and all loopback as one on the main network; on
 * regtest (allow_local) every IPv4 address by its /24, loopback too, so
 * nodes simulated on 127.0.0.0/8 form many groups. */
static void test_groups(void **state)
{
	(void)state;
	struct addrman *main_am = addrman_new(SEED, false), *reg = addrman_new(SEED, true);
	struct net_addr a = v4(1, 2, 3, 4, 9733), b = v4(1, 2, 99, 4, 9733), c = v4(1, 3, 3, 4, 9733);
	struct net_addr l1 = v4(127, 0, 1, 1, 19733), l2 = v4(127, 0, 1, 200, 19733), l3 = v4(127, 0, 2, 1, 19733);
	struct net_addr l4 = v4(127, 9, 9, 9, 19733), x = v6(0x2a01, 1), y = v6(0x2a01, 2);
	uint8_t g[ADDRMAN_GROUP_MAX];
	assert_true(addrman_same_group(main_am, &a, &b));
	assert_false(addrman_same_group(main_am, &a, &c));
	assert_true(addrman_same_group(main_am, &l1, &l3));
	assert_true(addrman_same_group(main_am, &l1, &l4));
	assert_true(addrman_same_group(main_am, &x, &y));
	assert_int_equal(addrman_group(main_am, g, &a), 3);

	assert_false(addrman_same_group(reg, &a, &b));
	assert_true(addrman_same_group(reg, &l1, &l2));
	assert_false(addrman_same_group(reg, &l1, &l3));
	assert_false(addrman_same_group(reg, &l1, &l4));
	assert_true(addrman_same_group(reg, &x, &y));
	assert_int_equal(addrman_group(reg, g, &l1), 4);
	assert_int_equal(g[4], 0);
	addrman_free(main_am);
	addrman_free(reg);
}

/* On regtest one source's loopback addresses, in many /24s, spread over
 * its eight new buckets instead of crowding into one (32 entries): a node
 * of a simulated mesh can hold what its seed tells it. */
static void test_regtest_loopback_spreads(void **state)
{
	(void)state;
	struct addrman *am = addrman_new(SEED, true);
	struct net_addr src = v4(127, 0, 200, 1, 19733), batch[500];
	for (uint32_t i = 0; i < 500; i++)
		batch[i] = v4(127, (uint8_t)(1 + i / 500), (uint8_t)(i / 2), (uint8_t)(1 + i % 2), 19733);
	size_t added = addrman_add(am, batch, 500, &src, NOW);
	assert_int_equal(added, addrman_size_new(am));
	assert_true(added > 4 * ADDRMAN_BUCKET_SIZE);
	assert_true(added <= ADDRMAN_NEW_BUCKETS_PER_SOURCE * ADDRMAN_BUCKET_SIZE);
	addrman_free(am);
}

static void test_flood_stays_bounded(void **state)
{
	(void)state;
	struct addrman *am = addrman_new(SEED, false);
	/* 100,000 addresses, each from its own source, newer ones later. */
	for (uint32_t k = 0; k < 100000; k++) {
		struct net_addr a = nth(k), src = nth(k * 7 + 3);
		a.time = NOW - 100000 + k;
		addrman_add(am, &a, 1, &src, NOW);
		if (k % 10000 == 9999)
			assert_true(addrman_size_new(am) <= ADDRMAN_NEW_MAX);
	}
	assert_true(addrman_size_new(am) <= ADDRMAN_NEW_MAX);
	assert_true(addrman_size_new(am) > ADDRMAN_NEW_MAX / 2);
	/* Eviction kept the fresher: the newest address stayed. */
	struct net_addr last = nth(99999);
	assert_true(known(am, &last));

	/* Everything the table holds can be promoted; tried stays bounded and
	 * what it pushes out lands back in new. */
	size_t before = addrman_size(am), promoted = 0;
	for (uint32_t k = 0; k < 100000; k++) {
		struct net_addr a = nth(k);
		if (known(am, &a)) {
			assert_true(addrman_good(am, &a, NOW));
			promoted++;
		}
	}
	assert_true(promoted <= before && promoted >= before / 2);
	assert_true(addrman_size_tried(am) <= ADDRMAN_TRIED_MAX);
	assert_true(addrman_size_tried(am) > ADDRMAN_TRIED_MAX / 2);
	assert_true(addrman_size_new(am) <= ADDRMAN_NEW_MAX);
	assert_true(addrman_size(am) <= before);
	addrman_free(am);
}

static void test_good_moves_to_tried(void **state)
{
	(void)state;
	struct addrman *am = addrman_new(SEED, false);
	struct net_addr a = nth(1), src = nth(2);
	assert_int_equal(addrman_add(am, &a, 1, &src, NOW - 100), 1);
	assert_true(addrman_attempt(am, &a, NOW - 50));
	assert_true(addrman_attempt(am, &a, NOW - 10));
	struct addrman_info i;
	assert_true(addrman_lookup(am, &i, &a));
	assert_int_equal(i.attempts, 2);
	assert_true(i.last_try == NOW - 10);

	assert_true(addrman_good(am, &a, NOW));
	assert_true(addrman_lookup(am, &i, &a));
	assert_true(i.tried);
	assert_int_equal(i.attempts, 0);
	assert_true(i.last_success == NOW);
	assert_int_equal(i.addr.time, NOW);
	assert_int_equal(addrman_size_new(am), 0);
	assert_int_equal(addrman_size_tried(am), 1);
	/* Again: stays. */
	assert_true(addrman_good(am, &a, NOW + 1));
	assert_int_equal(addrman_size(am), 1);

	/* Unknown but admitted: learned straight into tried. */
	struct net_addr b = nth(3);
	assert_true(addrman_good(am, &b, NOW));
	assert_true(in_tried(am, &b));
	/* Not admitted: nothing. */
	struct net_addr lo = v4(127, 0, 0, 1, 9733);
	assert_false(addrman_good(am, &lo, NOW));
	assert_false(known(am, &lo));

	assert_true(addrman_connected(am, &b, NOW + 500));
	assert_true(addrman_lookup(am, &i, &b));
	assert_int_equal(i.addr.time, NOW + 500);
	assert_false(addrman_connected(am, &lo, NOW));

	assert_true(addrman_remove(am, &a));
	assert_false(addrman_remove(am, &a));
	assert_false(known(am, &a));
	assert_int_equal(addrman_size(am), 1);
	addrman_free(am);
}

static void test_terrible_forgotten(void **state)
{
	(void)state;
	struct addrman *am = addrman_new(SEED, false);
	struct net_addr fails = nth(1), stale = nth(2), fine = nth(3), dying = nth(4);
	struct net_addr all[4] = { fails, stale, fine, dying };
	assert_int_equal(addrman_add(am, all, 4, NULL, NOW), 4);

	/* Three attempts, never a success. */
	for (int k = 0; k < 3; k++)
		assert_true(addrman_attempt(am, &fails, NOW + (uint64_t)k));
	/* Spared while the last attempt is under a minute old. */
	assert_int_equal(addrman_sweep(am, NOW + 30), 0);
	assert_int_equal(addrman_sweep(am, NOW + 62), 1);
	assert_false(known(am, &fails));

	/* Reached once, then ten failures over more than a week. */
	assert_true(addrman_good(am, &dying, NOW));
	for (int k = 0; k < 10; k++)
		assert_true(addrman_attempt(am, &dying, NOW + DAY));
	assert_true(addrman_connected(am, &dying, NOW + 2 * DAY));
	assert_int_equal(addrman_sweep(am, NOW + 6 * DAY), 0);
	assert_int_equal(addrman_sweep(am, NOW + 8 * DAY), 1);
	assert_false(known(am, &dying));

	/* Not heard of for thirty days. */
	assert_true(addrman_connected(am, &fine, NOW + 20 * DAY));
	assert_int_equal(addrman_sweep(am, NOW + 30 * DAY + 1), 1);
	assert_false(known(am, &stale));
	assert_true(known(am, &fine));
	assert_int_equal(addrman_size(am), 1);
	addrman_free(am);
}

static bool contains(const struct net_addr *v, size_t n, const struct net_addr *a)
{
	for (size_t k = 0; k < n; k++)
		if (net_addr_equal(&v[k], a))
			return true;
	return false;
}

static void test_get_addr_bounded(void **state)
{
	(void)state;
	struct addrman *am = addrman_new(SEED, false);
	size_t size = fill(am, 2000, 300);
	assert_true(size > 1900);
	static struct net_addr out[6000];
	size_t n = addrman_get_addr(am, out, 6000, NOW);
	assert_int_equal(n, size * ADDRMAN_GETADDR_PCT / 100);
	for (size_t k = 0; k < n; k++) {
		assert_true(known(am, &out[k]));
		assert_false(contains(out, k, &out[k])); /* no repeats */
	}
	assert_int_equal(addrman_get_addr(am, out, 10, NOW), 10);
	assert_int_equal(addrman_get_addr(am, out, 0, NOW), 0);

	/* Never more than ADDRMAN_GETADDR_MAX: fill both tables to the brim. */
	addrman_clear(am);
	size = fill(am, 60000, 0);
	for (uint32_t k = 0; k < 60000 && addrman_size_tried(am) < ADDRMAN_TRIED_MAX - 30; k++) {
		struct net_addr a = nth(k);
		if (known(am, &a) && !in_tried(am, &a))
			assert_true(addrman_good(am, &a, NOW));
	}
	for (uint32_t k = 60000; k < 200000; k++) {
		struct net_addr a = nth(k), src = nth(k + 1);
		addrman_add(am, &a, 1, &src, NOW);
	}
	size = addrman_size(am);
	assert_true(size * ADDRMAN_GETADDR_PCT / 100 > ADDRMAN_GETADDR_MAX);
	assert_int_equal(addrman_get_addr(am, out, 6000, NOW), ADDRMAN_GETADDR_MAX);

	/* A small table is shared whole, less its terrible entries. */
	addrman_clear(am);
	assert_int_equal(fill(am, 6, 0), 6);
	struct net_addr bad = nth(2), old = nth(4);
	for (int k = 0; k < 3; k++)
		assert_true(addrman_attempt(am, &bad, NOW - 600));
	assert_true(addrman_connected(am, &old, NOW - 31 * DAY));
	n = addrman_get_addr(am, out, 5000, NOW);
	assert_int_equal(n, 4);
	assert_false(contains(out, n, &bad));
	assert_false(contains(out, n, &old));
	addrman_free(am);
}

/* ---- the file ---- */

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cairn-addrman-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_in_dir(char out[128], const char *name)
{
	snprintf(out, 128, "%s/%s", dir, name);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *p = malloc(ADDRMAN_FILE_MAX + 1);
	*len = fread(p, 1, ADDRMAN_FILE_MAX + 1, f);
	fclose(f);
	return p;
}

/* A table with entries of every kind: new, tried, attempted, IPv6. */
static struct addrman *sample(void)
{
	struct addrman *am = addrman_new(SEED, false);
	assert_int_equal(fill(am, 40, 12), 40);
	for (uint32_t k = 20; k < 25; k++) {
		struct net_addr a = nth(k);
		assert_true(addrman_attempt(am, &a, NOW - k));
	}
	struct net_addr six = v6(0x2a01, 7);
	six.services = 0x409;
	assert_int_equal(addrman_add(am, &six, 1, NULL, NOW), 1);
	return am;
}

static void assert_same_info(const struct addrman_info *x, const struct addrman_info *y)
{
	assert_true(net_addr_equal(&x->addr, &y->addr));
	assert_true(x->addr.services == y->addr.services);
	assert_int_equal(x->addr.time, y->addr.time);
	assert_memory_equal(x->source, y->source, 16);
	assert_true(x->last_try == y->last_try);
	assert_true(x->last_success == y->last_success);
	assert_int_equal(x->attempts, y->attempts);
	assert_int_equal(x->tried, y->tried);
}

static void test_save_load_round_trip(void **state)
{
	(void)state;
	char path[128], path2[128], err[ERR_LEN] = "";
	path_in_dir(path, "peers.dat");
	path_in_dir(path2, "peers2.dat");
	struct addrman *am = sample();
	assert_int_equal(addrman_save(am, path, err), 0);

	/* Another seed: the file's key wins, so every entry keeps its place. */
	struct addrman *back = addrman_new(99, false);
	struct net_addr extra = nth(7777);
	assert_int_equal(addrman_add(back, &extra, 1, NULL, NOW), 1);
	assert_int_equal(addrman_load(back, path, err), 0);
	assert_false(known(back, &extra)); /* replaced, not merged */
	assert_int_equal(addrman_size_new(back), addrman_size_new(am));
	assert_int_equal(addrman_size_tried(back), addrman_size_tried(am));
	for (uint32_t k = 0; k < 40; k++) {
		struct net_addr a = nth(k);
		struct addrman_info x, y;
		assert_true(addrman_lookup(am, &x, &a));
		assert_true(addrman_lookup(back, &y, &a));
		assert_same_info(&x, &y);
	}
	struct addrman_info i;
	struct net_addr six = v6(0x2a01, 7);
	assert_true(addrman_lookup(back, &i, &six));
	assert_true(i.addr.services == 0x409);

	/* Saved again, the bytes are the same. */
	assert_int_equal(addrman_save(back, path2, err), 0);
	size_t l1, l2;
	uint8_t *b1 = slurp(path, &l1), *b2 = slurp(path2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(b1, b2, l1);
	free(b1);
	free(b2);

	/* The loaded manager works as before. */
	struct net_addr out;
	assert_true(addrman_select(back, &out, false, NOW));
	assert_true(known(back, &out));

	/* A table saved with allow_local loads without it, less the local ones. */
	struct addrman *local = addrman_new(SEED, true);
	struct net_addr lo = v4(127, 0, 0, 1, 18444), pub = nth(1);
	assert_int_equal(addrman_add(local, &lo, 1, NULL, NOW), 1);
	assert_int_equal(addrman_add(local, &pub, 1, &lo, NOW), 1);
	assert_int_equal(addrman_save(local, path, err), 0);
	assert_int_equal(addrman_load(back, path, err), 0);
	assert_int_equal(addrman_size(back), 1);
	assert_true(known(back, &pub));
	assert_int_equal(addrman_load(local, path, err), 0);
	assert_int_equal(addrman_size(local), 2);

	addrman_free(local);
	addrman_free(am);
	addrman_free(back);
}

static void assert_load_fails(const uint8_t *p, size_t len, const char *reason)
{
	struct addrman *am = sample();
	char err[ERR_LEN] = "";
	assert_int_equal(addrman_load_mem(am, p, len, err), -1);
	if (!strstr(err, reason))
		fail_msg("wanted '%s', got '%s'", reason, err);
	assert_int_equal(addrman_size(am), 0);
	/* Still usable. */
	struct net_addr a = nth(1);
	assert_int_equal(addrman_add(am, &a, 1, NULL, NOW), 1);
	addrman_free(am);
}

static void reseal(uint8_t *p, size_t len)
{
	hash_sha256d(p + len - 32, p, len - 32);
}

#define HEADER 42 /* magic 4, version 4, key 32, two one-byte counts */
#define ENTRY 66

static void test_load_refuses_corruption(void **state)
{
	(void)state;
	char path[128], err[ERR_LEN] = "";
	path_in_dir(path, "sample.dat");
	struct addrman *am = sample();
	assert_int_equal(addrman_save(am, path, err), 0);
	addrman_free(am);
	size_t len;
	uint8_t *good = slurp(path, &len);
	assert_int_equal(len, HEADER + 41 * ENTRY + 32);
	uint8_t *p = malloc(len + 64);

	for (size_t cut = 0; cut < len; cut += (cut < 100 ? 1 : 37))
		assert_load_fails(good, cut, cut < 32 ? "out of range" : "bad checksum");
	for (size_t bit = 0; bit < len * 8; bit += 13) {
		memcpy(p, good, len);
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_load_fails(p, len, "bad checksum");
	}
	assert_load_fails(NULL, 0, "out of range");
	assert_load_fails(good, ADDRMAN_FILE_MAX + 1, "out of range");

	memcpy(p, good, len);
	p[1] = 'B';
	reseal(p, len);
	assert_load_fails(p, len, "not an address file");

	memcpy(p, good, len);
	p[4] = 9;
	reseal(p, len);
	assert_load_fails(p, len, "unknown version 9");

	memcpy(p, good, len);
	p[40] = 0xfd; /* n_tried as a u16: 0x..., past the cap or not canonical */
	reseal(p, len);
	assert_load_fails(p, len, "bad table sizes");

	memcpy(p, good, len);
	p[41] += 1; /* one more new entry than there is */
	reseal(p, len);
	assert_load_fails(p, len, "cut short");

	memcpy(p, good, len);
	p[41] -= 1; /* one fewer */
	reseal(p, len);
	assert_load_fails(p, len, "trailing bytes");

	memcpy(p, good, len);
	memcpy(p + HEADER + ENTRY, p + HEADER, ENTRY);
	reseal(p, len);
	assert_load_fails(p, len, "entry 1 repeated");

	/* An entry whose address is not admitted is skipped, not an error. */
	memcpy(p, good, len);
	p[HEADER + 16] = 0;
	p[HEADER + 17] = 0; /* port 0 */
	reseal(p, len);
	am = addrman_new(SEED, false);
	assert_int_equal(addrman_load_mem(am, p, len, err), 0);
	assert_int_equal(addrman_size(am), 40);
	addrman_free(am);

	free(p);
	free(good);
}

static void test_load_file_errors(void **state)
{
	(void)state;
	char path[128], err[ERR_LEN] = "";
	struct addrman *am = sample();
	path_in_dir(path, "missing.dat");
	assert_int_equal(addrman_load(am, path, err), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(addrman_size(am), 0);
	addrman_free(am);

	path_in_dir(path, "huge.dat");
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)ADDRMAN_FILE_MAX, SEEK_SET), 0);
	fputc(0, f);
	fclose(f);
	am = sample();
	assert_int_equal(addrman_load(am, path, err), -1);
	assert_non_null(strstr(err, "at most"));
	assert_int_equal(addrman_size(am), 0);

	path_in_dir(path, "flipped.dat");
	addrman_free(am);
	am = sample();
	assert_int_equal(addrman_save(am, path, err), 0);
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 100, SEEK_SET), 0);
	fputc(0x5a, f);
	fclose(f);
	assert_int_equal(addrman_load(am, path, err), -1);
	assert_non_null(strstr(err, "flipped.dat"));
	assert_non_null(strstr(err, "bad checksum"));
	assert_int_equal(addrman_size(am), 0);

	assert_int_equal(addrman_save(am, "/nonexistent-cairn/peers.dat", err), -1);
	assert_non_null(strstr(err, "cannot create"));
	addrman_free(am);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admission),
		cmocka_unit_test(test_times_made_sane),
		cmocka_unit_test(test_select_covers_both_tables),
		cmocka_unit_test(test_select_skips_recent_attempts),
		cmocka_unit_test(test_select_repeatable_under_seed),
		cmocka_unit_test(test_one_source_gets_its_share),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_regtest_loopback_spreads),
		cmocka_unit_test(test_flood_stays_bounded),
		cmocka_unit_test(test_good_moves_to_tried),
		cmocka_unit_test(test_terrible_forgotten),
		cmocka_unit_test(test_get_addr_bounded),
		cmocka_unit_test(test_save_load_round_trip),
		cmocka_unit_test(test_load_refuses_corruption),
		cmocka_unit_test(test_load_file_errors),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
