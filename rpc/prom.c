#include "rpc/prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* 100 µs to 10 s: an RPC call, a block's connection or a batch of
 * signature checks on a regtest node takes from well under a millisecond
 * to seconds on a big block. */
const uint64_t prom_default_bounds_us[PROM_BUCKETS] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
	10000000,
};

static void put_str(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void prom_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			put_str(b, "\\\\");
		else if (*s == '"')
			put_str(b, "\\\"");
		else if (*s == '\n')
			put_str(b, "\\n");
		else
			buf_u8(b, (uint8_t)*s);
	}
}

void prom_family(struct buf *b, const char *name, const char *type, const char *help)
{
	put_str(b, "# HELP ");
	put_str(b, name);
	buf_u8(b, ' ');
	put_str(b, help);
	put_str(b, "\n# TYPE ");
	put_str(b, name);
	buf_u8(b, ' ');
	put_str(b, type);
	buf_u8(b, '\n');
}

/* name{a="x",b="y"} with one more label `extra` (may be NULL), then a space. */
static void put_head(struct buf *b, const char *name, const struct prom_label *labels, size_t n,
		     const struct prom_label *extra)
{
	put_str(b, name);
	if (n || extra) {
		buf_u8(b, '{');
		for (size_t i = 0; i < n + (extra != NULL); i++) {
			const struct prom_label *l = i < n ? &labels[i] : extra;
			if (i)
				buf_u8(b, ',');
			put_str(b, l->name);
			put_str(b, "=\"");
			prom_escape(b, l->value);
			buf_u8(b, '"');
		}
		buf_u8(b, '}');
	}
	buf_u8(b, ' ');
}

static void put_line(struct buf *b, const char *name, const struct prom_label *labels, size_t n,
		     const struct prom_label *extra, const char *value)
{
	put_head(b, name, labels, n, extra);
	put_str(b, value);
	buf_u8(b, '\n');
}

void prom_sample_u64(struct buf *b, const char *name, const struct prom_label *labels, size_t n, uint64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "%" PRIu64, v);
	put_line(b, name, labels, n, NULL, s);
}

void prom_sample_i64(struct buf *b, const char *name, const struct prom_label *labels, size_t n, int64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "%" PRId64, v);
	put_line(b, name, labels, n, NULL, s);
}

static void format_double(char s[32], double v)
{
	if (isnan(v))
		snprintf(s, 32, "NaN");
	else if (isinf(v))
		snprintf(s, 32, v > 0 ? "+Inf" : "-Inf");
	else
		snprintf(s, 32, "%.17g", v);
}

void prom_sample_double(struct buf *b, const char *name, const struct prom_label *labels, size_t n, double v)
{
	char s[32];
	format_double(s, v);
	put_line(b, name, labels, n, NULL, s);
}

void prom_sample_amount(struct buf *b, const char *name, const struct prom_label *labels, size_t n, int64_t units)
{
	char s[32];
	uint64_t a = units < 0 ? (uint64_t)0 - (uint64_t)units : (uint64_t)units;
	snprintf(s, sizeof(s), "%s%" PRIu64 ".%08" PRIu64, units < 0 ? "-" : "", a / 100000000u, a % 100000000u);
	put_line(b, name, labels, n, NULL, s);
}

void prom_hist_init(struct prom_hist *h)
{
	for (size_t i = 0; i <= PROM_BUCKETS; i++)
		atomic_init(&h->bucket[i], 0);
	atomic_init(&h->sum_us, 0);
}

void prom_hist_observe(struct prom_hist *h, uint64_t us)
{
	size_t i = 0;
	while (i < PROM_BUCKETS && us > prom_default_bounds_us[i])
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

/* Microseconds as seconds, exactly: 2500 -> "0.0025". */
static void format_seconds(char s[32], uint64_t us)
{
	int n = snprintf(s, 32, "%" PRIu64 ".%06" PRIu64, us / 1000000u, us % 1000000u);
	while (n > 1 && s[n - 1] == '0')
		s[--n] = '\0';
	if (s[n - 1] == '.')
		s[--n] = '\0';
}

void prom_hist_write(struct buf *b, const char *name, const struct prom_label *labels, size_t n,
		     const struct prom_hist *h)
{
	char bucket[128], sum[128], count[128], v[32], le[32];
	uint64_t cum = 0;

	snprintf(bucket, sizeof(bucket), "%s_bucket", name);
	snprintf(sum, sizeof(sum), "%s_sum", name);
	snprintf(count, sizeof(count), "%s_count", name);
	for (size_t i = 0; i <= PROM_BUCKETS; i++) {
		cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
		if (i < PROM_BUCKETS)
			format_seconds(le, prom_default_bounds_us[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		snprintf(v, sizeof(v), "%" PRIu64, cum);
		put_line(b, bucket, labels, n, &(struct prom_label){ "le", le }, v);
	}
	format_seconds(v, atomic_load_explicit(&h->sum_us, memory_order_relaxed));
	put_line(b, sum, labels, n, NULL, v);
	snprintf(v, sizeof(v), "%" PRIu64, cum);
	put_line(b, count, labels, n, NULL, v);
}
