#include "rpc/fees_rpc.h"

#include <math.h>
#include <strings.h>

#include "rpc/amount.h"

int fees_rpc_mode(enum fees_mode *out, const cJSON *params, size_t i, struct rpc_error *e)
{
	static const char *const names[] = { "unset", "economical", "conservative" };
	const char *s;
	*out = FEES_MODE_UNSET;
	if (rpc_param_str(&s, params, i, "estimate_mode", false, e) != 0)
		return -1;
	if (!s)
		return 0;
	for (int m = 0; m < 3; m++)
		if (strcasecmp(s, names[m]) == 0) {
			*out = (enum fees_mode)m;
			return 0;
		}
	return rpc_error_set(e, RPC_INVALID_PARAMETER,
			     "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\"");
}

int fees_rpc_target(unsigned *out, const cJSON *params, size_t i, unsigned def, struct rpc_error *e)
{
	int64_t t;
	*out = 0;
	if (rpc_param_int(&t, params, i, "conf_target", def ? (int64_t)def : INT64_MIN, INT64_MIN + 1, INT64_MAX, e) != 0)
		return -1;
	if (t < 1 || t > FEES_MAX_TARGET)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Invalid conf_target, must be between 1 and %d",
				     FEES_MAX_TARGET);
	*out = (unsigned)t;
	return 0;
}

static cJSON *errors_json(const char *text)
{
	cJSON *a = cJSON_CreateArray();
	cJSON *s = cJSON_CreateString(text);
	if (!a || !s || !cJSON_AddItemToArray(a, s)) {
		cJSON_Delete(a);
		cJSON_Delete(s);
		return NULL;
	}
	return a;
}

/* estimatesmartfee: as Core, never below the minimum relay fee rate. */
static int estimatesmartfee(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct fees_rpc *f = ctx;
	unsigned target;
	enum fees_mode mode;
	struct fees_smart est;
	struct mempool_info mi;
	if (fees_rpc_target(&target, params, 0, 0, e) != 0 || fees_rpc_mode(&mode, params, 1, e) != 0)
		return -1;
	fees_estimate_smart(f->fees, &est, target, mode == FEES_MODE_CONSERVATIVE);
	mempool_get_info(f->mp, &mi);
	cJSON *j = cJSON_CreateObject();
	bool ok = j != NULL;
	if (ok && est.feerate > 0)
		ok = cJSON_AddItemToObject(j, "feerate",
					   amount_to_json(est.feerate > mi.min_relay_fee ? est.feerate : mi.min_relay_fee));
	else if (ok)
		ok = cJSON_AddItemToObject(j, "errors", errors_json("Insufficient data or no feerate found"));
	ok = ok && cJSON_AddNumberToObject(j, "blocks", est.blocks);
	return rpc_result_if(result, j, ok, e);
}

static double round2(double v)
{
	return round(v * 100.0) / 100.0;
}

static cJSON *range_json(const struct fees_range *r)
{
	cJSON *j = cJSON_CreateObject();
	bool ok = j && cJSON_AddNumberToObject(j, "startrange", round(r->start)) &&
		  cJSON_AddNumberToObject(j, "endrange", round(r->end)) &&
		  cJSON_AddNumberToObject(j, "withintarget", round2(r->within_target)) &&
		  cJSON_AddNumberToObject(j, "totalconfirmed", round2(r->total_confirmed)) &&
		  cJSON_AddNumberToObject(j, "inmempool", round2(r->in_mempool)) &&
		  cJSON_AddNumberToObject(j, "leftmempool", round2(r->left_mempool));
	return rpc_json_if(j, ok);
}

/* One horizon's object: with a fee rate, the passing range and the
 * failing one (when some range failed); without, the failing one and the
 * error, as Core. */
static cJSON *horizon_json(const struct fees_raw *raw)
{
	cJSON *j = cJSON_CreateObject();
	bool found = raw->feerate >= 0 && llround(raw->feerate) > 0, ok = j != NULL;
	if (ok && found)
		ok = cJSON_AddItemToObject(j, "feerate", amount_to_json(llround(raw->feerate)));
	ok = ok && cJSON_AddNumberToObject(j, "decay", raw->decay) && cJSON_AddNumberToObject(j, "scale", raw->scale);
	if (ok && found)
		ok = cJSON_AddItemToObject(j, "pass", range_json(&raw->pass)) &&
		     (!raw->has_fail || cJSON_AddItemToObject(j, "fail", range_json(&raw->fail)));
	else if (ok)
		ok = cJSON_AddItemToObject(j, "fail", range_json(&raw->fail)) &&
		     cJSON_AddItemToObject(j, "errors",
					   errors_json("Insufficient data or no feerate found which meets threshold"));
	return rpc_json_if(j, ok);
}

static int estimaterawfee(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct fees_rpc *f = ctx;
	unsigned target;
	double threshold = 0.95;
	const cJSON *t = rpc_param(params, 1);
	if (fees_rpc_target(&target, params, 0, 0, e) != 0)
		return -1;
	if (t && !cJSON_IsNumber(t))
		return rpc_error_set(e, RPC_TYPE_ERROR, "threshold: expected a number");
	if (t)
		threshold = t->valuedouble;
	if (!(threshold >= 0 && threshold <= 1))
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Invalid threshold");
	cJSON *j = cJSON_CreateObject();
	bool ok = j != NULL;
	for (int h = 0; ok && h < FEES_N_HORIZONS; h++) {
		struct fees_raw raw;
		if (target > fees_highest_target(h))
			continue; /* only the horizons that track the target */
		fees_estimate_raw(f->fees, &raw, target, threshold, h);
		ok = cJSON_AddItemToObject(j, fees_horizon_name(h), horizon_json(&raw));
	}
	return rpc_result_if(result, j, ok, e);
}

#define RANGE "{startrange:num,endrange:num,withintarget:num,totalconfirmed:num,inmempool:num,leftmempool:num}"
#define HORIZON "{feerate?:amount,decay:num,scale:int,pass?:" RANGE ",fail?:" RANGE ",errors?:[str]}"

static const struct rpc_method methods[] = {
	{ "estimatesmartfee", "util",
	  "conf_target:int (blocks, 1 to 1008) "
	  "[estimate_mode:str=economical (unset, economical or conservative; any case)]",
	  "Estimates the fee rate, CRN per 1,000 bytes, for a transaction to confirm within conf_target blocks, "
	  "from what this node saw confirm; blocks is the target the answer is for.",
	  estimatesmartfee, "{feerate?:amount,errors?:[str],blocks:int}", "-8" },
	{ "estimaterawfee", "util",
	  "conf_target:int (blocks, 1 to 1008) [threshold:num=0.95 (share that must have confirmed in time)]",
	  "The estimator's raw answers for each horizon that tracks conf_target (short, medium, long): fee rate, "
	  "CRN per 1,000 bytes, and the buckets that passed and failed.",
	  estimaterawfee, "{short?:" HORIZON ",medium?:" HORIZON ",long?:" HORIZON "}", "-3 -8" },
};

int fees_rpc_register(struct rpc_server *srv, struct fees_rpc *f, char *err)
{
	return rpc_server_add_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), f, err);
}
