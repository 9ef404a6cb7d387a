#include "rpc/wallet_fees.h"

#include <string.h>

#include "rpc/wallets.h"

/* Units per byte with up to 3 decimals are units per 1,000 bytes; an
 * amount parses to 10^-8 of a unit, so 10^5 of those are one unit per
 * 1,000 bytes. */
#define PER_KB_STEP 100000

void wallet_fees_default(struct wallet_fee_request *req)
{
	memset(req, 0, sizeof(*req));
	req->mode = FEES_MODE_UNSET;
	req->replaceable = true; /* Core's -walletrbf default */
}

static int param_rate(struct wallet_fee_request *req, const cJSON *params, size_t i, struct rpc_error *e)
{
	int64_t v;
	if (rpc_param_amount(&v, params, i, "fee_rate", e) != 0)
		return -1;
	if (v % PER_KB_STEP != 0)
		return rpc_error_set(e, RPC_TYPE_ERROR, "Invalid amount");
	req->has_rate = true;
	req->rate = v / PER_KB_STEP;
	return 0;
}

int wallet_fees_params(struct wallet_fee_request *req, const cJSON *params, size_t i_replaceable, size_t i_target,
		       size_t i_mode, size_t i_rate, struct rpc_error *e)
{
	wallet_fees_default(req);
	bool has_target = i_target != WALLET_FEES_NONE && rpc_param(params, i_target);
	if (i_replaceable != WALLET_FEES_NONE &&
	    rpc_param_bool(&req->replaceable, params, i_replaceable, "replaceable", true, e) != 0)
		return -1;
	if (i_mode != WALLET_FEES_NONE && fees_rpc_mode(&req->mode, params, i_mode, e) != 0)
		return -1;
	if (i_rate != WALLET_FEES_NONE && rpc_param(params, i_rate)) {
		if (has_target)
			return rpc_error_set(e, RPC_INVALID_PARAMETER,
					     "Cannot specify both conf_target and fee_rate. Please provide either a "
					     "confirmation target in blocks for automatic fee estimation, or an explicit "
					     "fee rate.");
		if (req->mode != FEES_MODE_UNSET)
			return rpc_error_set(e, RPC_INVALID_PARAMETER, "Cannot specify both estimate_mode and fee_rate");
		return param_rate(req, params, i_rate, e);
	}
	return has_target ? fees_rpc_target(&req->target, params, i_target, 0, e) : 0;
}

/* The estimator's answer for the request, or the fallback. */
static int estimated(const struct wallet_rpc *r, const struct wallet_fee_request *req, int64_t *rate,
		     const char **reason, struct rpc_error *e)
{
	const struct wallets *set = r->set;
	struct fees_smart est = { 0 };
	unsigned target = req->target ? req->target : set && set->confirm_target ? set->confirm_target : 6;
	bool conservative =
		req->mode == FEES_MODE_CONSERVATIVE || (req->mode == FEES_MODE_UNSET && !req->replaceable);
	if (set && set->fees)
		fees_estimate_smart(set->fees, &est, target, conservative);
	if (est.feerate > 0) {
		*rate = est.feerate;
		*reason = fees_reason_name(est.reason);
		return 0;
	}
	if (set && set->fallback_fee > 0) {
		*rate = set->fallback_fee;
		*reason = "Fallback fee";
		return 0;
	}
	return rpc_error_set(e, RPC_WALLET_INSUFFICIENT_FUNDS,
			     "Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or enable -fallbackfee.");
}

int wallet_fees_pick(const struct wallet_rpc *r, const struct wallet_fee_request *req, int64_t *rate,
		     const char **reason, struct rpc_error *e)
{
	struct mempool_info mi;
	*rate = 0;
	*reason = "None";
	if (req->has_rate) {
		*rate = req->rate;
		*reason = "PayTxFee set";
	} else if (!req->target && r->fee_rate > 0) {
		*rate = r->fee_rate;
		*reason = "PayTxFee set";
	} else if (estimated(r, req, rate, reason, e) != 0) {
		return -1;
	}
	mempool_get_info(r->mp, &mi);
	if (*rate < mi.min_relay_fee) {
		*rate = mi.min_relay_fee;
		*reason = "Minimum Required Fee";
	}
	return 0;
}
