#include "chain/fees.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"
#include "util/envelope.h"
#include "util/file.h"
#include "util/hmap.h"

/* Bucket boundaries, units per 1,000 bytes (Core's sat/kvB have the same
 * numbers: 1,000 is the default minimum relay fee rate). */
#define MIN_BUCKET 1000.0
#define MAX_BUCKET 1e7
#define SPACING 1.05
#define INF_RATE 1e99
#define MAX_BUCKETS 200

/* Success thresholds of the smart estimate, and how many decayed
 * transactions a range of buckets needs, times (1 - decay), before it is
 * judged. */
#define HALF_PCT 0.6
#define FULL_PCT 0.85
#define DOUBLE_PCT 0.95
#define SUFFICIENT 0.1
#define SUFFICIENT_SHORT 0.5
/* Saved history older than this many blocks behind the tip is ignored. */
#define OLDEST_HISTORY (6 * FEES_MAX_TARGET)

static const struct {
	double decay;
	unsigned scale, periods;
} HORIZONS[FEES_N_HORIZONS] = {
	{ 0.962, 1, 12 },
	{ 0.9952, 2, 24 },
	{ 0.99931, 24, 42 },
};

/* One horizon's decayed counts, each an array over the buckets (conf and
 * fail: one such row a period), and the transactions still in the pool by
 * the height they entered at (a ring of max_confirms rows) or, when they
 * have waited longer than that, together in old_unconf. */
struct stats {
	double decay;
	unsigned scale, periods, max_confirms;
	double *tx_ct, *rate_sum, *conf, *fail;
	int *unconf, *old_unconf;
	int *in_ring; /* per bucket, the sum of its unconf column */
};

struct tracked {
	uint32_t height;
	unsigned bucket;
	double rate; /* units per 1,000 bytes */
};

struct fees {
	double buckets[MAX_BUCKETS];
	unsigned nb;
	struct stats st[FEES_N_HORIZONS];
	struct hmap txs; /* txid -> struct tracked */
	uint32_t best_seen, first_recorded;
	uint32_t hist_first, hist_best; /* from the file loaded */
};

/* --- lifecycle --- */

static void stats_release(struct stats *s)
{
	free(s->tx_ct);
	free(s->rate_sum);
	free(s->conf);
	free(s->fail);
	free(s->unconf);
	free(s->old_unconf);
	free(s->in_ring);
	memset(s, 0, sizeof(*s));
}

static int stats_init(struct stats *s, enum fees_horizon h, unsigned nb)
{
	s->decay = HORIZONS[h].decay;
	s->scale = HORIZONS[h].scale;
	s->periods = HORIZONS[h].periods;
	s->max_confirms = s->scale * s->periods;
	s->tx_ct = calloc(nb, sizeof(double));
	s->rate_sum = calloc(nb, sizeof(double));
	s->conf = calloc((size_t)s->periods * nb, sizeof(double));
	s->fail = calloc((size_t)s->periods * nb, sizeof(double));
	s->unconf = calloc((size_t)s->max_confirms * nb, sizeof(int));
	s->old_unconf = calloc(nb, sizeof(int));
	s->in_ring = calloc(nb, sizeof(int));
	return s->tx_ct && s->rate_sum && s->conf && s->fail && s->unconf && s->old_unconf && s->in_ring ? 0 : -1;
}

struct fees *fees_new(void)
{
	struct fees *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	for (double b = MIN_BUCKET; b <= MAX_BUCKET && f->nb < MAX_BUCKETS - 1; b *= SPACING)
		f->buckets[f->nb++] = b;
	f->buckets[f->nb++] = INF_RATE;
	hmap_init(&f->txs, 32);
	for (int h = 0; h < FEES_N_HORIZONS; h++)
		if (stats_init(&f->st[h], h, f->nb) != 0) {
			fees_free(f);
			return NULL;
		}
	return f;
}

void fees_free(struct fees *f)
{
	if (!f)
		return;
	size_t it = 0;
	const void *k;
	void *v;
	while (hmap_next(&f->txs, &it, &k, &v))
		free(v);
	hmap_release(&f->txs);
	for (int h = 0; h < FEES_N_HORIZONS; h++)
		stats_release(&f->st[h]);
	free(f);
}

/* --- recording --- */

/* The first bucket whose upper boundary is at least rate. */
static unsigned bucket_of(const struct fees *f, double rate)
{
	unsigned lo = 0, hi = f->nb - 1;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (f->buckets[mid] >= rate)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int *unconf_at(const struct stats *s, unsigned nb, int64_t height, unsigned bucket)
{
	int64_t row = height % (int64_t)s->max_confirms;
	if (row < 0)
		row += s->max_confirms;
	return &s->unconf[(size_t)row * nb + bucket];
}

/* A transaction leaves the pool: out of the waiting counts and, when it
 * left without a block after waiting at least a period, a failure for
 * every period it waited. */
static void stats_remove(struct stats *s, unsigned nb, uint32_t entered, uint32_t best, unsigned bucket, bool in_block)
{
	uint32_t ago = best > entered ? best - entered : 0;
	if (ago >= s->max_confirms) {
		if (s->old_unconf[bucket] > 0)
			s->old_unconf[bucket]--;
	} else {
		int *slot = unconf_at(s, nb, entered, bucket);
		if (*slot > 0) {
			(*slot)--;
			s->in_ring[bucket]--;
		}
	}
	if (in_block || ago < s->scale)
		return;
	for (unsigned i = 0; i < ago / s->scale && i < s->periods; i++)
		s->fail[(size_t)i * nb + bucket] += 1;
}

/* A confirmation after blocks: it counts as within every period target
 * at least as long as the periods it took. */
static void stats_record(struct stats *s, unsigned nb, unsigned blocks, unsigned bucket, double rate)
{
	unsigned periods = (blocks + s->scale - 1) / s->scale;
	for (unsigned i = periods; i <= s->periods; i++)
		s->conf[(size_t)(i - 1) * nb + bucket] += 1;
	s->tx_ct[bucket] += 1;
	s->rate_sum[bucket] += rate;
}

/* A new block: the ring row it reuses moves into the old counts, and
 * everything decays by one block. */
static void stats_new_block(struct stats *s, unsigned nb, uint32_t height)
{
	int *row = unconf_at(s, nb, height, 0);
	for (unsigned b = 0; b < nb; b++) {
		s->old_unconf[b] += row[b];
		s->in_ring[b] -= row[b];
		row[b] = 0;
		s->tx_ct[b] *= s->decay;
		s->rate_sum[b] *= s->decay;
	}
	for (size_t i = 0; i < (size_t)s->periods * nb; i++) {
		s->conf[i] *= s->decay;
		s->fail[i] *= s->decay;
	}
}

void fees_tx_added(struct fees *f, const uint8_t txid[32], uint32_t height, int64_t fee, size_t size,
		   bool has_parents)
{
	if (height != f->best_seen || has_parents || size == 0 || fee < 0 || hmap_get(&f->txs, txid))
		return;
	struct tracked *t = malloc(sizeof(*t));
	if (!t)
		return; /* one transaction less to learn from */
	t->height = height;
	t->rate = (double)fee * 1000.0 / (double)size;
	t->bucket = bucket_of(f, t->rate);
	if (hmap_put(&f->txs, txid, t) != 0) {
		free(t);
		return;
	}
	for (int h = 0; h < FEES_N_HORIZONS; h++) {
		(*unconf_at(&f->st[h], f->nb, height, t->bucket))++;
		f->st[h].in_ring[t->bucket]++;
	}
}

/* Forgets a tracked transaction; NULL when it was not tracked. The caller
 * frees the answer. */
static struct tracked *untrack(struct fees *f, const uint8_t txid[32], bool in_block)
{
	struct tracked *t = hmap_del(&f->txs, txid);
	if (t)
		for (int h = 0; h < FEES_N_HORIZONS; h++)
			stats_remove(&f->st[h], f->nb, t->height, f->best_seen, t->bucket, in_block);
	return t;
}

void fees_tx_removed(struct fees *f, const uint8_t txid[32])
{
	free(untrack(f, txid, false));
}

void fees_block_connected(struct fees *f, const struct block *b, uint32_t height)
{
	bool fresh = height > f->best_seen;
	size_t counted = 0;
	if (fresh) {
		f->best_seen = height;
		for (int h = 0; h < FEES_N_HORIZONS; h++)
			stats_new_block(&f->st[h], f->nb, height);
	}
	for (size_t i = 0; i < b->n_tx; i++) {
		struct tracked *t = untrack(f, b->txs[i].txid, true);
		if (t && fresh && height > t->height) {
			for (int h = 0; h < FEES_N_HORIZONS; h++)
				stats_record(&f->st[h], f->nb, height - t->height, t->bucket, t->rate);
			counted++;
		}
		free(t);
	}
	if (f->first_recorded == 0 && counted > 0)
		f->first_recorded = f->best_seen;
}

size_t fees_tracked(const struct fees *f)
{
	return f->txs.count;
}

unsigned fees_highest_target(enum fees_horizon h)
{
	return h < FEES_N_HORIZONS ? HORIZONS[h].scale * HORIZONS[h].periods : 0;
}

const char *fees_horizon_name(enum fees_horizon h)
{
	static const char *const names[] = { "short", "medium", "long" };
	return h < FEES_N_HORIZONS ? names[h] : "unknown";
}

const char *fees_reason_name(enum fees_reason r)
{
	switch (r) {
	case FEES_REASON_HALF: return "Half Target 60% Threshold";
	case FEES_REASON_FULL: return "Target 85% Threshold";
	case FEES_REASON_DOUBLE: return "Double Target 95% Threshold";
	case FEES_REASON_CONSERVATIVE: return "Conservative Double Target longer horizon";
	default: return "None";
	}
}

/* --- estimating --- */

/* The running sums over a range of buckets while estimate_median walks
 * down from the highest fee rate. */
struct walk {
	double conf, total, fail, extra;
};

static void range_set(struct fees_range *r, const struct fees *f, unsigned near, unsigned far, const struct walk *w)
{
	unsigned lo = near < far ? near : far, hi = near < far ? far : near;
	r->start = lo ? f->buckets[lo - 1] : 0;
	r->end = f->buckets[hi];
	r->within_target = w->conf;
	r->total_confirmed = w->total;
	r->in_mempool = w->extra;
	r->left_mempool = w->fail;
}

/* Transactions of this bucket still waiting after at least target blocks:
 * the ring rows of heights height - target and below, plus the old ones.
 * Summed from whichever end of the ring is shorter, and not at all for a
 * bucket with nothing in the ring (most of them), so that an estimate
 * stays far below a millisecond. */
static double waiting(const struct stats *s, unsigned nb, unsigned target, uint32_t height, unsigned bucket)
{
	double n = s->old_unconf[bucket];
	if (s->in_ring[bucket] == 0 || target >= s->max_confirms)
		return n;
	if (target > s->max_confirms / 2) {
		for (unsigned c = target; c < s->max_confirms; c++)
			n += *unconf_at(s, nb, (int64_t)height - c, bucket);
		return n;
	}
	n += s->in_ring[bucket];
	for (unsigned c = 0; c < target; c++)
		n -= *unconf_at(s, nb, (int64_t)height - c, bucket);
	return n;
}

/* The median fee rate of the cheapest range of buckets whose share of
 * transactions confirmed within target is at least threshold, walking
 * ranges down from the highest rate: each range grows until it holds
 * enough data to judge (sufficient / (1 - decay)), and the walk goes on
 * past a failing range as long as lower ones pass again together with it.
 * -1 when no range passes. */
static double estimate_median(const struct fees *f, const struct stats *s, unsigned target, double sufficient,
			      double threshold, struct fees_raw *raw)
{
	unsigned nb = f->nb, period = (target + s->scale - 1) / s->scale;
	unsigned cur_near = nb - 1, cur_far = nb - 1, best_near = nb - 1, best_far = nb - 1;
	bool found = false, passing = true, new_range = true;
	struct walk w = { 0, 0, 0, 0 };
	memset(raw, 0, sizeof(*raw));
	raw->decay = s->decay;
	raw->scale = s->scale;
	for (int b = (int)nb - 1; b >= 0; b--) {
		if (new_range) {
			cur_near = (unsigned)b;
			new_range = false;
		}
		cur_far = (unsigned)b;
		w.conf += s->conf[(size_t)(period - 1) * nb + b];
		w.total += s->tx_ct[b];
		w.fail += s->fail[(size_t)(period - 1) * nb + b];
		w.extra += waiting(s, nb, target, f->best_seen, (unsigned)b);
		if (w.total < sufficient / (1 - s->decay))
			continue;
		if (w.conf / (w.total + w.fail + w.extra) < threshold) {
			if (passing) {
				range_set(&raw->fail, f, cur_near, cur_far, &w);
				raw->has_fail = true;
				passing = false;
			}
			continue;
		}
		raw->has_fail = false;
		found = passing = true;
		range_set(&raw->pass, f, cur_near, cur_far, &w);
		raw->has_pass = true;
		w = (struct walk){ 0, 0, 0, 0 };
		best_near = cur_near;
		best_far = cur_far;
		new_range = true;
	}
	double median = -1;
	if (found) {
		unsigned lo = best_near < best_far ? best_near : best_far, hi = best_near < best_far ? best_far : best_near;
		double sum = 0;
		for (unsigned j = lo; j <= hi; j++)
			sum += s->tx_ct[j];
		sum /= 2;
		for (unsigned j = lo; j <= hi && sum > 0; j++) {
			if (s->tx_ct[j] < sum) {
				sum -= s->tx_ct[j];
			} else {
				median = s->rate_sum[j] / s->tx_ct[j];
				break;
			}
		}
	}
	/* a walk that ended passing but inside a range without enough data
	 * reports that range as the failure */
	if (passing && !new_range) {
		range_set(&raw->fail, f, cur_near, cur_far, &w);
		raw->has_fail = true;
	}
	raw->feerate = median;
	return median;
}

void fees_estimate_raw(const struct fees *f, struct fees_raw *out, unsigned target, double threshold,
		       enum fees_horizon h)
{
	memset(out, 0, sizeof(*out));
	out->feerate = -1;
	if (h >= FEES_N_HORIZONS || target < 1 || target > fees_highest_target(h) || !(threshold >= 0) ||
	    threshold > 1) {
		if (h < FEES_N_HORIZONS) {
			out->decay = HORIZONS[h].decay;
			out->scale = HORIZONS[h].scale;
		}
		return;
	}
	estimate_median(f, &f->st[h], target, h == FEES_SHORT ? SUFFICIENT_SHORT : SUFFICIENT, threshold, out);
}

static double median_of(const struct fees *f, enum fees_horizon h, unsigned target, double threshold)
{
	struct fees_raw raw;
	return estimate_median(f, &f->st[h], target, h == FEES_SHORT ? SUFFICIENT_SHORT : SUFFICIENT, threshold, &raw);
}

/* The estimate from the shortest horizon that reaches target; with
 * shorter, a shorter horizon's answer at its own longest target wins
 * when it is lower (recent data says it is enough). */
static double estimate_combined(const struct fees *f, unsigned target, double threshold, bool shorter)
{
	if (target < 1 || target > FEES_MAX_TARGET)
		return -1;
	enum fees_horizon h = target <= fees_highest_target(FEES_SHORT)    ? FEES_SHORT
			      : target <= fees_highest_target(FEES_MEDIUM) ? FEES_MEDIUM
									   : FEES_LONG;
	double est = median_of(f, h, target, threshold);
	for (int k = FEES_MEDIUM; shorter && k >= FEES_SHORT; k--) {
		if (target <= fees_highest_target(k))
			continue;
		double m = median_of(f, k, fees_highest_target(k), threshold);
		if (m > 0 && (est < 0 || m < est))
			est = m;
	}
	return est;
}

/* The conservative answer: the medium and the long horizon at 95%. */
static double estimate_conservative(const struct fees *f, unsigned target)
{
	double est = -1;
	if (target <= fees_highest_target(FEES_SHORT))
		est = median_of(f, FEES_MEDIUM, target, DOUBLE_PCT);
	if (target <= fees_highest_target(FEES_MEDIUM)) {
		double l = median_of(f, FEES_LONG, target, DOUBLE_PCT);
		if (l > est)
			est = l;
	}
	return est;
}

/* Blocks over which this run, or the run the file came from, recorded. */
static uint32_t block_span(const struct fees *f)
{
	return f->first_recorded ? f->best_seen - f->first_recorded : 0;
}

static uint32_t historical_span(const struct fees *f)
{
	if (f->hist_first == 0 || f->hist_best < f->hist_first)
		return 0;
	if (f->best_seen > f->hist_best && f->best_seen - f->hist_best > OLDEST_HISTORY)
		return 0;
	return f->hist_best - f->hist_first;
}

static unsigned max_usable(const struct fees *f)
{
	uint32_t span = block_span(f), hist = historical_span(f);
	uint32_t half = (span > hist ? span : hist) / 2;
	return half < FEES_MAX_TARGET ? half : FEES_MAX_TARGET;
}

static void take(double *best, enum fees_reason *why, double v, enum fees_reason r)
{
	if (v > *best) {
		*best = v;
		*why = r;
	}
}

void fees_estimate_smart(const struct fees *f, struct fees_smart *out, unsigned target, bool conservative)
{
	memset(out, 0, sizeof(*out));
	out->blocks = target;
	if (target < 1 || target > FEES_MAX_TARGET)
		return;
	if (target == 1)
		target = 2; /* nothing answers for the very next block alone */
	if (target > max_usable(f))
		target = max_usable(f);
	out->blocks = target;
	if (target <= 1)
		return;
	unsigned dbl = 2 * target < max_usable(f) ? 2 * target : max_usable(f);
	double best = -1;
	enum fees_reason why = FEES_REASON_NONE;
	take(&best, &why, estimate_combined(f, target / 2, HALF_PCT, true), FEES_REASON_HALF);
	take(&best, &why, estimate_combined(f, target, FULL_PCT, true), FEES_REASON_FULL);
	take(&best, &why, estimate_combined(f, dbl, DOUBLE_PCT, !conservative), FEES_REASON_DOUBLE);
	if (conservative || best < 0)
		take(&best, &why, estimate_conservative(f, 2 * target), FEES_REASON_CONSERVATIVE);
	if (best < 0)
		return;
	out->feerate = llround(best);
	out->reason = why;
}

/* --- persistence ---
 *
 *   file = magic "CRNFEEST" | version u32 = 1 | first height u32 | best height u32
 *          | bucket count varint | boundaries f64 × count
 *          | per horizon (short, medium, long): decay f64 | scale u32 | periods u32
 *              | tx counts f64 × buckets | rate sums f64 × buckets
 *              | confirmed f64 × periods × buckets | failed f64 × periods × buckets
 *          | SHA-256d of all before (32)
 *
 * f64 is the IEEE 754 double's bits as a little-endian u64. */

static const uint8_t FILE_MAGIC[8] = { 'C', 'R', 'N', 'F', 'E', 'E', 'S', 'T' };
static const struct envelope_format file_format = {
	.magic = FILE_MAGIC, .magic_len = sizeof(FILE_MAGIC), .version = 1,
	.hash = hash_sha256d, .max_len = (size_t)16 << 20, .header_first = true,
	.kind = "a fee estimates file", .too_short = "file too short",
	.bad_sum = "checksum mismatch: the file is truncated or damaged", .bad_version = "unsupported version",
};

static void put_f64(struct buf *b, double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof(u));
	buf_u64(b, u);
}

static void put_f64s(struct buf *b, const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_f64(b, v[i]);
}

int fees_save(const struct fees *f, const char *path, char *err)
{
	struct buf b = BUF_INIT;
	/* keep the longer of this run's span and the loaded one */
	bool ours = block_span(f) > historical_span(f) / 2;
	envelope_begin(&b, &file_format);
	buf_u32(&b, ours ? f->first_recorded : f->hist_first);
	buf_u32(&b, ours ? f->best_seen : f->hist_best);
	buf_varint(&b, f->nb);
	put_f64s(&b, f->buckets, f->nb);
	for (int h = 0; h < FEES_N_HORIZONS; h++) {
		const struct stats *s = &f->st[h];
		put_f64(&b, s->decay);
		buf_u32(&b, s->scale);
		buf_u32(&b, s->periods);
		put_f64s(&b, s->tx_ct, f->nb);
		put_f64s(&b, s->rate_sum, f->nb);
		put_f64s(&b, s->conf, (size_t)s->periods * f->nb);
		put_f64s(&b, s->fail, (size_t)s->periods * f->nb);
	}
	int r = envelope_save(&file_format, &b, path, err);
	buf_release(&b);
	return r;
}

/* A count read back: a finite number, not negative. */
static bool get_count(struct cursor *c, double *out)
{
	uint64_t u;
	if (!cursor_u64(c, &u))
		return false;
	memcpy(out, &u, sizeof(u));
	return isfinite(*out) && *out >= 0;
}

static bool get_counts(struct cursor *c, double *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!get_count(c, &out[i]))
			return false;
	return true;
}

/* The buckets and horizons must be this build's exactly: counts kept
 * under other boundaries or decays would mean something else. */
static int parse_shape(struct cursor *c, const struct fees *f, char *why)
{
	uint64_t nb;
	if (!cursor_varint(c, &nb, MAX_BUCKETS))
		return err_set(why, "bad bucket count");
	if (nb != f->nb)
		return err_set(why, "%llu buckets where this version has %u", (unsigned long long)nb, f->nb);
	for (unsigned i = 0; i < f->nb; i++) {
		uint64_t u, want;
		memcpy(&want, &f->buckets[i], sizeof(want));
		if (!cursor_u64(c, &u) || u != want)
			return err_set(why, "bucket %u differs from this version's", i);
	}
	return 0;
}

static int parse_stats(struct cursor *c, struct stats *s, unsigned nb, char *why)
{
	uint64_t d;
	uint32_t scale, periods;
	double decay;
	if (!cursor_u64(c, &d) || !cursor_u32(c, &scale) || !cursor_u32(c, &periods))
		return err_set(why, "truncated horizon");
	memcpy(&decay, &d, sizeof(decay));
	if (decay != s->decay || scale != s->scale || periods != s->periods)
		return err_set(why, "a horizon differs from this version's");
	if (!get_counts(c, s->tx_ct, nb) || !get_counts(c, s->rate_sum, nb) ||
	    !get_counts(c, s->conf, (size_t)periods * nb) || !get_counts(c, s->fail, (size_t)periods * nb))
		return err_set(why, "truncated or invalid counts");
	return 0;
}

static int parse_body(struct cursor *c, struct fees *f, char *why)
{
	if (!cursor_u32(c, &f->hist_first) || !cursor_u32(c, &f->hist_best))
		return err_set(why, "truncated heights");
	if (f->hist_best < f->hist_first)
		return err_set(why, "the range of heights is invalid");
	if (parse_shape(c, f, why) != 0)
		return -1;
	for (int h = 0; h < FEES_N_HORIZONS; h++)
		if (parse_stats(c, &f->st[h], f->nb, why) != 0)
			return -1;
	return cursor_done(c) ? 0 : err_set(why, "trailing bytes");
}

/* Moves the counts of the parsed from into f. */
static void adopt(struct fees *f, struct fees *from)
{
	for (int h = 0; h < FEES_N_HORIZONS; h++) {
		struct stats t = f->st[h];
		f->st[h] = from->st[h];
		from->st[h] = t;
	}
	f->hist_first = from->hist_first;
	f->hist_best = from->hist_best;
}

int fees_load(struct fees *f, const char *path, bool *found, char *err)
{
	size_t len;
	bool missing;
	char why[ERR_LEN];
	struct cursor c;
	*found = false;
	uint8_t *data = file_read_bounded(path, file_format.max_len, &len, &missing, err);
	if (!data)
		return missing ? 0 : -1;
	*found = true;
	struct fees *tmp = fees_new();
	int r = -1;
	if (!tmp)
		err_set(err, "cannot load '%s': out of memory", path);
	else if (envelope_open(&file_format, &c, data, len, why) != 0 || parse_body(&c, tmp, why) != 0)
		err_set(err, "cannot load '%s': %s", path, why);
	else
		r = 0;
	if (r == 0)
		adopt(f, tmp);
	fees_free(tmp);
	free(data);
	return r;
}
