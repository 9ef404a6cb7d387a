#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/probe.h"
#include "rpc/metrics.h"
#include "rpc/prom.h"

/* The text written so far, as a C string (the buf keeps its length). */
static const char *text(struct buf *b)
{
	buf_u8(b, '\0');
	assert_true(buf_ok(b));
	b->len--;
	return (const char *)b->data;
}

static void test_family_and_samples(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	prom_family(&b, "cairn_x_total", "counter", "Things counted.");
	prom_sample_u64(&b, "cairn_x_total", NULL, 0, UINT64_MAX);
	prom_sample_i64(&b, "cairn_y", NULL, 0, INT64_MIN);
	prom_sample_double(&b, "cairn_z", NULL, 0, 0.5);
	prom_sample_amount(&b, "cairn_a_crn", NULL, 0, 1234567891);
	prom_sample_amount(&b, "cairn_a_crn", NULL, 0, -5);
	prom_sample_amount(&b, "cairn_a_crn", NULL, 0, INT64_MIN);
	assert_string_equal(text(&b), "# HELP cairn_x_total Things counted.\n"
				      "# TYPE cairn_x_total counter\n"
				      "cairn_x_total 18446744073709551615\n"
				      "cairn_y -9223372036854775808\n"
				      "cairn_z 0.5\n"
				      "cairn_a_crn 12.34567891\n"
				      "cairn_a_crn -0.00000005\n"
				      "cairn_a_crn -92233720368.54775808\n");
	buf_release(&b);
}

static void test_non_finite(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	prom_sample_double(&b, "n", NULL, 0, 0.0 / 0.0);
	prom_sample_double(&b, "p", NULL, 0, 1.0 / 0.0);
	prom_sample_double(&b, "m", NULL, 0, -1.0 / 0.0);
	assert_string_equal(text(&b), "n NaN\np +Inf\nm -Inf\n");
	buf_release(&b);
}

/* Backslash, double quote and newline are escaped, nothing else. */
static void test_label_escaping(void **state)
{
	struct buf b = BUF_INIT;
	struct prom_label l[2] = { { "wallet", "a\\b\"c\nd" }, { "state", "tab\there é" } };
	(void)state;
	prom_sample_u64(&b, "cairn_w", l, 2, 7);
	assert_string_equal(text(&b), "cairn_w{wallet=\"a\\\\b\\\"c\\nd\",state=\"tab\there é\"} 7\n");
	buf_reset(&b);
	prom_escape(&b, "");
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

/* Finds "name{...le="le"} N\n" in s and returns N, -1 when absent. */
static long long bucket(const char *s, const char *le)
{
	char needle[64];
	snprintf(needle, sizeof(needle), "le=\"%s\"} ", le);
	const char *p = strstr(s, needle);
	return p ? atoll(p + strlen(needle)) : -1;
}

static void test_histogram(void **state)
{
	struct prom_hist h;
	struct buf b = BUF_INIT;
	struct prom_label l = { "method", "get\"x" };
	(void)state;
	prom_hist_init(&h);
	prom_hist_observe(&h, 50);	/* first bucket (0.0001) */
	prom_hist_observe(&h, 100);	/* on a bound: counted in it */
	prom_hist_observe(&h, 101);	/* next bucket (0.00025) */
	prom_hist_observe(&h, 3000000); /* 5 */
	prom_hist_observe(&h, 60000000); /* above every bound: +Inf only */
	prom_hist_write(&b, "cairn_t_seconds", &l, 1, &h);
	const char *s = text(&b);
	assert_int_equal(bucket(s, "0.0001"), 2);
	assert_int_equal(bucket(s, "0.00025"), 3);
	assert_int_equal(bucket(s, "0.0005"), 3);
	assert_int_equal(bucket(s, "2.5"), 3);
	assert_int_equal(bucket(s, "5"), 4);
	assert_int_equal(bucket(s, "10"), 4);
	assert_int_equal(bucket(s, "+Inf"), 5);
	assert_non_null(strstr(s, "cairn_t_seconds_bucket{method=\"get\\\"x\",le=\"0.0001\"} 2\n"));
	assert_non_null(strstr(s, "cairn_t_seconds_sum{method=\"get\\\"x\"} 63.000251\n"));
	assert_non_null(strstr(s, "cairn_t_seconds_count{method=\"get\\\"x\"} 5\n"));
	/* The buckets come in rising order, +Inf last, then _sum and _count. */
	const char *inf = strstr(s, "le=\"+Inf\"");
	assert_true(strstr(s, "le=\"10\"") < inf && inf < strstr(s, "_sum") && strstr(s, "_sum") < strstr(s, "_count"));
	size_t lines = 0;
	for (const char *p = s; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, PROM_BUCKETS + 1 + 2);
	buf_release(&b);
}

static void test_empty_histogram(void **state)
{
	struct prom_hist h;
	struct buf b = BUF_INIT;
	(void)state;
	prom_hist_init(&h);
	prom_hist_write(&b, "h", NULL, 0, &h);
	const char *s = text(&b);
	assert_non_null(strstr(s, "h_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n"));
	buf_release(&b);
}

static uint64_t fake_clock;

static uint64_t fake_start(void *ctx)
{
	(void)ctx;
	return fake_clock;
}

static void fake_stop(void *ctx, enum probe_kind kind, uint64_t token)
{
	uint64_t *seen = ctx;
	seen[kind] += fake_clock - token;
}

static void test_probe(void **state)
{
	uint64_t seen[PROBE_N_KINDS] = { 0 };
	struct probe p = { fake_start, fake_stop, seen };
	(void)state;
	assert_int_equal(probe_start(), 0); /* none set: nothing happens */
	probe_stop(PROBE_CONNECT, 0);
	probe_set(&p);
	fake_clock = 10;
	uint64_t t = probe_start();
	fake_clock = 35;
	probe_stop(PROBE_SIGS, t);
	assert_int_equal(seen[PROBE_SIGS], 25);
	assert_int_equal(seen[PROBE_CONNECT], 0);
	probe_set(NULL);
	fake_clock = 99;
	probe_stop(PROBE_SIGS, t);
	assert_int_equal(seen[PROBE_SIGS], 25);
}

/* Without sources a scrape still holds the node's own timings, and the
 * metrics' probe fills them. */
static void test_metrics_without_sources(void **state)
{
	struct metrics *m = metrics_new();
	struct metrics_sources src = { 0 };
	struct buf b = BUF_INIT;
	(void)state;
	assert_non_null(m);
	metrics_set_sources(m, &src);
	struct probe p = metrics_probe(m);
	probe_set(&p);
	probe_stop(PROBE_CONNECT, probe_start());
	probe_set(NULL);
	metrics_write(m, &b);
	const char *s = text(&b);
	assert_non_null(strstr(s, "# TYPE cairn_block_connect_duration_seconds histogram\n"));
	assert_non_null(strstr(s, "cairn_block_connect_duration_seconds_count 1\n"));
	assert_non_null(strstr(s, "cairn_signature_check_duration_seconds_count 0\n"));
	assert_null(strstr(s, "cairn_chain_height"));
	buf_release(&b);
	metrics_free(m);
	metrics_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_and_samples),
		cmocka_unit_test(test_non_finite),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_empty_histogram),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_metrics_without_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
