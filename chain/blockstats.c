#include "chain/blockstats.h"

#include <stdlib.h>
#include <string.h>

static size_t output_size(const struct txout *o)
{
	size_t n = 8 + 20 + 1;
	if (o->kind == TXOUT_ASSET)
		n += 32 + buf_varint_size(o->meta_len) + o->meta_len;
	return n;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int64_t blockstats_median(int64_t *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_i64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct rated {
	int64_t rate, size;
};

static int cmp_rated(const void *a, const void *b)
{
	const struct rated *x = a, *y = b;
	if (x->rate != y->rate)
		return x->rate < y->rate ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

void blockstats_percentiles(int64_t out[BLOCKSTATS_PERCENTILES], int64_t *rates, int64_t *sizes, size_t n)
{
	static const int64_t pct[BLOCKSTATS_PERCENTILES] = { 10, 25, 50, 75, 90 };
	memset(out, 0, BLOCKSTATS_PERCENTILES * sizeof(*out));
	struct rated *r = n ? calloc(n, sizeof(*r)) : NULL;
	if (!r)
		return;
	int64_t total = 0, cum = 0;
	for (size_t i = 0; i < n; i++) {
		r[i] = (struct rated){ rates[i], sizes[i] };
		total += sizes[i];
	}
	/* Core sorts (rate, weight) pairs: the same order. */
	qsort(r, n, sizeof(*r), cmp_rated);
	size_t next = 0;
	for (size_t i = 0; i < n; i++) {
		rates[i] = r[i].rate;
		sizes[i] = r[i].size;
		cum += r[i].size;
		/* cum >= total * pct / 100, in integers */
		while (next < BLOCKSTATS_PERCENTILES && cum * 100 >= total * pct[next])
			out[next++] = r[i].rate;
	}
	for (; next < BLOCKSTATS_PERCENTILES; next++)
		out[next] = r[n - 1].rate;
	free(r);
}

/* The per-transaction arrays the medians and percentiles are taken of. */
struct stats_scratch {
	int64_t *fees, *sizes, *rates;
};

static void scratch_free(struct stats_scratch *s)
{
	free(s->fees);
	free(s->sizes);
	free(s->rates);
}

/* One non-coinbase transaction (index i - 1 in the scratch arrays) with
 * the coins it spent. */
static int add_tx(struct blockstats *st, struct stats_scratch *s, size_t i, const struct tx *tx,
		  const struct coin *spent, int64_t out_value, char *err)
{
	int64_t in_value = 0, size = (int64_t)tx->size;
	for (size_t k = 0; k < tx->n_in; k++) {
		in_value += spent[k].out.value;
		st->utxo_size_inc -= (int64_t)(output_size(&spent[k].out) + BLOCKSTATS_UTXO_OVERHEAD);
		if (!money_range(in_value))
			return err_set(err, "inputs of transaction %zu out of money range", i);
	}
	int64_t fee = in_value - out_value;
	if (!money_range(fee))
		return err_set(err, "fee of transaction %zu out of money range", i);
	int64_t rate = size ? fee / size : 0;
	st->ins += (int64_t)tx->n_in;
	st->total_out += out_value;
	st->total_size += size;
	st->total_fee += fee;
	if (i == 1 || size > st->max_tx_size)
		st->max_tx_size = size;
	if (i == 1 || size < st->min_tx_size)
		st->min_tx_size = size;
	if (i == 1 || fee > st->max_fee)
		st->max_fee = fee;
	if (i == 1 || fee < st->min_fee)
		st->min_fee = fee;
	if (i == 1 || rate > st->max_fee_rate)
		st->max_fee_rate = rate;
	if (i == 1 || rate < st->min_fee_rate)
		st->min_fee_rate = rate;
	s->fees[i - 1] = fee;
	s->sizes[i - 1] = size;
	s->rates[i - 1] = rate;
	return 0;
}

static int walk(struct blockstats *st, struct stats_scratch *s, const struct block *b, const struct coin *spent,
		size_t n_spent, char *err)
{
	size_t at = 0;
	for (size_t i = 0; i < b->n_tx; i++) {
		const struct tx *tx = &b->txs[i];
		int64_t out_value = 0;
		st->outs += (int64_t)tx->n_out;
		for (size_t k = 0; k < tx->n_out; k++) {
			out_value += tx->out[k].value;
			st->utxo_size_inc += (int64_t)(output_size(&tx->out[k]) + BLOCKSTATS_UTXO_OVERHEAD);
		}
		if (i == 0)
			continue;
		if (at + tx->n_in > n_spent)
			return err_set(err, "undo data holds %zu coins, fewer than the block's inputs", n_spent);
		if (add_tx(st, s, i, tx, spent + at, out_value, err) != 0)
			return -1;
		at += tx->n_in;
	}
	if (at != n_spent)
		return err_set(err, "undo data holds %zu coins, the block's inputs %zu", n_spent, at);
	return 0;
}

int blockstats_compute(struct blockstats *out, const struct block *b, const struct coin *spent, size_t n_spent,
		       char *err)
{
	struct stats_scratch s = { 0 };
	size_t n = b->n_tx > 1 ? b->n_tx - 1 : 0;
	memset(out, 0, sizeof(*out));
	if (n && (!(s.fees = calloc(n, sizeof(int64_t))) || !(s.sizes = calloc(n, sizeof(int64_t))) ||
		  !(s.rates = calloc(n, sizeof(int64_t))))) {
		scratch_free(&s);
		return err_set(err, "out of memory");
	}
	out->txs = (int64_t)b->n_tx;
	if (walk(out, &s, b, spent, n_spent, err) != 0) {
		scratch_free(&s);
		memset(out, 0, sizeof(*out));
		return -1;
	}
	out->utxo_increase = out->outs - out->ins;
	if (n) {
		out->avg_fee = out->total_fee / (int64_t)n;
		out->avg_tx_size = out->total_size / (int64_t)n;
		out->avg_fee_rate = out->total_size ? out->total_fee / out->total_size : 0;
		blockstats_percentiles(out->fee_rate_percentiles, s.rates, s.sizes, n);
		out->median_fee = blockstats_median(s.fees, n);
		out->median_tx_size = blockstats_median(s.sizes, n);
	}
	scratch_free(&s);
	return 0;
}
