/* Prometheus's text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): the
 * writer of one scrape's text, and the histogram the node's timings fill.
 *
 * A family is its `# HELP` and `# TYPE` lines, then its samples; label
 * values are escaped (backslash, double quote, newline) and names are the
 * caller's constants, checked by the unit test, never built from input.
 *
 * The histogram counts into fixed buckets with relaxed atomics, so any
 * thread may observe (signature checks run on the workers) while the loop
 * writes a scrape: a scrape may see an observation in its bucket whose
 * time is not yet in _sum, which the next scrape corrects. _count is the
 * +Inf bucket, so those two always agree. */
#ifndef CAIRN_RPC_PROM_H
#define CAIRN_RPC_PROM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* A label: name="value"; value is escaped on output. */
struct prom_label {
	const char *name;
	const char *value;
};

/* Writes "# HELP name help\n# TYPE name type\n"; type is "counter",
 * "gauge" or "histogram". help must not hold a newline or backslash. */
void prom_family(struct buf *b, const char *name, const char *type, const char *help);

/* One sample line: name{labels} value. Integers are printed exactly;
 * prom_sample_double with %.17g (NaN, +Inf and -Inf as the format spells
 * them). n may be 0 (labels then NULL). */
void prom_sample_u64(struct buf *b, const char *name, const struct prom_label *labels, size_t n, uint64_t v);
void prom_sample_i64(struct buf *b, const char *name, const struct prom_label *labels, size_t n, int64_t v);
void prom_sample_double(struct buf *b, const char *name, const struct prom_label *labels, size_t n, double v);
/* A sample of an amount in units, printed in CRN with exactly 8 decimals. */
void prom_sample_amount(struct buf *b, const char *name, const struct prom_label *labels, size_t n, int64_t units);

/* Appends s escaped as a label value (without the quotes). */
void prom_escape(struct buf *b, const char *s);

/* Bucket upper bounds in microseconds, rising; the +Inf bucket is implied. */
#define PROM_BUCKETS 16
extern const uint64_t prom_default_bounds_us[PROM_BUCKETS];

struct prom_hist {
	_Atomic uint64_t bucket[PROM_BUCKETS + 1]; /* per bucket, not cumulative; the last: above every bound */
	_Atomic uint64_t sum_us;
};

/* Zeroes h (a static or calloc'd one is zero already). */
void prom_hist_init(struct prom_hist *h);
/* Counts one observation of us microseconds; any thread. */
void prom_hist_observe(struct prom_hist *h, uint64_t us);
/* Writes name_bucket{labels,le="..."} for every bound (cumulative counts,
 * in seconds) and le="+Inf", then name_sum (seconds) and name_count. The
 * family lines are the caller's (prom_family with "histogram"). */
void prom_hist_write(struct buf *b, const char *name, const struct prom_label *labels, size_t n,
		     const struct prom_hist *h);

#endif
