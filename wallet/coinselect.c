#include "wallet/coinselect.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

size_t coinselect_tx_size(size_t n_in, size_t n_out, size_t outputs_size)
{
	return 4 + buf_varint_size(n_in) + n_in * TX_INPUT_SIZE + buf_varint_size(n_out) + outputs_size + 4;
}

int64_t coinselect_fee(int64_t fee_rate, size_t size)
{
	return (fee_rate * (int64_t)size + 999) / 1000;
}

int64_t coinselect_dust(int64_t fee_rate)
{
	int64_t cost = coinselect_fee(fee_rate, COINSELECT_OUTPUT_SIZE) + coinselect_fee(fee_rate, TX_INPUT_SIZE);
	return cost > COINSELECT_DUST ? cost : COINSELECT_DUST;
}

void coinselect_result_release(struct coinselect_result *res)
{
	if (!res)
		return;
	free(res->chosen);
	memset(res, 0, sizeof(*res));
}

/* One selection attempt over a list of candidate indexes sorted by value,
 * largest first. */
struct pick {
	int64_t value;
	size_t index; /* into the caller's coins */
};

struct search {
	const struct pick *cand;
	size_t n_cand;
	const struct coinselect_req *req;
	int64_t dust;
	/* branch and bound */
	int64_t *suffix;       /* suffix[i]: sum of cand[i..] values */
	bool *take, *best;
	int64_t best_excess;
	size_t tries;
};

static size_t size_for(const struct coinselect_req *req, size_t k, bool change)
{
	return coinselect_tx_size(k + req->n_fixed_inputs, req->n_outputs + change,
				  req->outputs_size + (change ? COINSELECT_OUTPUT_SIZE : 0));
}

/* What k chosen coins must pay without a change output. */
static int64_t need(const struct coinselect_req *req, size_t k, bool change)
{
	if (req->subtract_fee)
		return req->target;
	return req->target + coinselect_fee(req->fee_rate, size_for(req, k, change));
}

static bool enough_inputs(const struct coinselect_req *req, size_t k)
{
	return k + req->n_fixed_inputs > 0;
}

/* Depth-first over include/exclude of cand[i], largest first. A leaf is a
 * set whose excess over the changeless need is below the dust threshold;
 * the smallest excess wins. */
static void bnb(struct search *s, size_t i, size_t k, int64_t sum)
{
	if (++s->tries > COINSELECT_BNB_TRIES)
		return;
	int64_t excess = sum - need(s->req, k, false);
	if (excess >= 0 && enough_inputs(s->req, k)) {
		if (excess < s->dust && excess < s->best_excess) {
			s->best_excess = excess;
			memcpy(s->best, s->take, s->n_cand * sizeof(bool));
		}
		return; /* more coins only add excess */
	}
	if (i == s->n_cand || sum + s->suffix[i] < need(s->req, k + (s->n_cand - i), false))
		return;
	s->take[i] = true;
	bnb(s, i + 1, k + 1, sum + s->cand[i].value);
	s->take[i] = false;
	if (s->best_excess == 0)
		return;
	bnb(s, i + 1, k, sum);
}

static int finish(struct coinselect_result *res, const struct search *s, const bool *take, bool change_out)
{
	res->chosen = malloc((s->n_cand ? s->n_cand : 1) * sizeof(size_t));
	if (!res->chosen)
		return COINSELECT_ERROR;
	for (size_t i = 0; i < s->n_cand; i++)
		if (take[i]) {
			res->chosen[res->n_chosen++] = s->cand[i].index;
			res->in_value += s->cand[i].value;
		}
	const struct coinselect_req *req = s->req;
	res->size = size_for(req, res->n_chosen, change_out);
	int64_t exact = coinselect_fee(req->fee_rate, res->size);
	int64_t left = res->in_value - (req->subtract_fee ? req->target - exact : req->target) - exact;
	if (req->subtract_fee)
		res->subtracted = exact;
	res->change = change_out ? left : 0;
	res->fee = exact + (change_out ? 0 : left);
	return COINSELECT_OK;
}

static int try_bnb(struct coinselect_result *res, struct search *s)
{
	size_t n = s->n_cand < COINSELECT_BNB_MAX_COINS ? s->n_cand : COINSELECT_BNB_MAX_COINS;
	struct search b = *s;
	b.n_cand = n;
	b.suffix = calloc(n + 1, sizeof(int64_t));
	b.take = calloc(n + 1, sizeof(bool));
	b.best = calloc(n + 1, sizeof(bool));
	b.best_excess = INT64_MAX;
	int r = COINSELECT_ERROR;
	if (b.suffix && b.take && b.best) {
		for (size_t i = n; i-- > 0;)
			b.suffix[i] = b.suffix[i + 1] + s->cand[i].value;
		bnb(&b, 0, 0, 0);
		r = b.best_excess == INT64_MAX ? COINSELECT_INSUFFICIENT : finish(res, &b, b.best, false);
	}
	free(b.suffix);
	free(b.take);
	free(b.best);
	return r;
}

/* Largest first: stop at the first prefix that pays, without change when
 * the excess would be dust, with change otherwise. */
static int try_largest(struct coinselect_result *res, struct search *s)
{
	bool *take = calloc(s->n_cand + 1, sizeof(bool));
	int64_t sum = 0;
	if (!take)
		return COINSELECT_ERROR;
	int r = COINSELECT_INSUFFICIENT;
	for (size_t k = 0; k <= s->n_cand; k++) {
		if (k > 0) {
			take[k - 1] = true;
			sum += s->cand[k - 1].value;
		}
		if (!enough_inputs(s->req, k) || sum < need(s->req, k, false))
			continue;
		int64_t change = sum - need(s->req, k, true);
		if (s->req->subtract_fee)
			change = sum - s->req->target;
		r = finish(res, s, take, change >= s->dust);
		break;
	}
	free(take);
	return r;
}

/* Largest first; equal values keep the caller's order, so the result
 * does not depend on qsort's whims. */
static int cmp_pick(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;
	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return (x->index > y->index) - (x->index < y->index);
}

/* The candidates of one tier: coins worth more than the fee of their own
 * input, confirmed ones only when confirmed_only, none whose mempool chain
 * is longer than max_chain, largest first. */
static size_t tier(struct pick *cand, const struct coinselect_coin *coins, size_t n, const struct coinselect_req *req,
		   bool confirmed_only, uint32_t max_chain, int64_t *total)
{
	size_t k = 0;
	int64_t input_fee = coinselect_fee(req->fee_rate, TX_INPUT_SIZE);
	*total = 0;
	for (size_t i = 0; i < n; i++)
		if (coins[i].value > input_fee && money_range(coins[i].value) &&
		    (coins[i].confirmed || !confirmed_only) && coins[i].chain <= max_chain && *total <= MAX_MONEY) {
			cand[k].value = coins[i].value;
			cand[k++].index = i;
			*total += coins[i].value;
		}
	qsort(cand, k, sizeof(*cand), cmp_pick);
	return k;
}

/* Bitcoin Core's eligibility filters: confirmed coins, then unconfirmed
 * ones whose chain is at most 2, min(4, limit / 3), limit / 2 and
 * limit - 1 long, so that a spend never makes a chain the mempool
 * refuses and short chains are used up first. */
static size_t tiers(uint32_t *max_chain, uint32_t limit)
{
	size_t n = 0;
	max_chain[n++] = 0;
	if (!limit) {
		max_chain[n++] = UINT32_MAX;
		return n;
	}
	uint32_t steps[] = { 2, limit / 3 < 4 ? limit / 3 : 4, limit / 2, limit - 1 };
	for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++)
		if (steps[i] > max_chain[n - 1] && steps[i] <= limit - 1)
			max_chain[n++] = steps[i];
	return n;
}

static int check_req(const struct coinselect_coin *coins, size_t n, const struct coinselect_req *req, char *err)
{
	if (!req || (!coins && n))
		return err_set(err, "cannot select coins: no request");
	if (!money_range(req->target))
		return err_set(err, "cannot select coins: amount out of range");
	if (req->fee_rate < 0 || req->fee_rate > COINSELECT_MAX_FEE_RATE)
		return err_set(err, "cannot select coins: fee rate %lld out of range (at most %lld units per 1000 bytes)",
			       (long long)req->fee_rate, (long long)COINSELECT_MAX_FEE_RATE);
	if (req->n_outputs > TX_MAX_OUTPUTS || req->outputs_size > TX_MAX_SIZE || req->n_fixed_inputs > TX_MAX_INPUTS)
		return err_set(err, "cannot select coins: transaction too large");
	return 0;
}

int coinselect_select(struct coinselect_result *res, const struct coinselect_coin *coins, size_t n,
		      const struct coinselect_req *req, char *err)
{
	memset(res, 0, sizeof(*res));
	if (check_req(coins, n, req, err) != 0)
		return COINSELECT_ERROR;
	struct pick *cand = malloc((n ? n : 1) * sizeof(*cand));
	if (!cand)
		return err_set(err, "cannot select coins: out of memory");
	int r = COINSELECT_INSUFFICIENT;
	int64_t total = 0, all = 0;
	uint32_t max_chain[6];
	size_t n_tiers = tiers(max_chain, req->chain_limit);
	for (size_t t = 0; t < n_tiers && r == COINSELECT_INSUFFICIENT; t++) {
		struct search s = { .cand = cand, .req = req, .dust = coinselect_dust(req->fee_rate) };
		s.n_cand = tier(cand, coins, n, req, t == 0, max_chain[t], &total);
		if (!req->subtract_fee)
			r = try_bnb(res, &s);
		if (r == COINSELECT_INSUFFICIENT)
			r = try_largest(res, &s);
	}
	if (r == COINSELECT_INSUFFICIENT)
		(void)tier(cand, coins, n, req, false, UINT32_MAX, &all);
	free(cand);
	if (r == COINSELECT_INSUFFICIENT && all >= req->target && all > total)
		err_set(err, "Unconfirmed UTXOs are available, but spending them creates a chain of transactions "
			     "that will be rejected by the mempool");
	else if (r == COINSELECT_INSUFFICIENT)
		err_set(err, "insufficient funds: %lld units spendable, %lld needed before fees",
			(long long)total, (long long)req->target);
	else if (r == COINSELECT_ERROR)
		err_set(err, "cannot select coins: out of memory");
	if (r != COINSELECT_OK)
		coinselect_result_release(res);
	return r;
}
