/* The fee rate a wallet's send pays, decided as Bitcoin Core's wallet does
 * (GetMinimumFeeRate): an explicit fee_rate; else -paytxfee when set and
 * no conf_target is given; else the estimator's estimatesmartfee for
 * conf_target (or -txconfirmtarget); else -fallbackfee; else the send is
 * refused. Never below the mempool's minimum relay fee rate. See
 * docs/wallet.md. */
#ifndef CAIRN_RPC_WALLET_FEES_H
#define CAIRN_RPC_WALLET_FEES_H

#include "rpc/fees_rpc.h"
#include "rpc/wallet_rpc.h"

#define WALLET_FEES_NONE ((size_t)-1) /* a method without that parameter */

/* What a call asked about its fee. */
struct wallet_fee_request {
	bool has_rate;
	int64_t rate;         /* fee_rate as units per 1,000 bytes */
	unsigned target;      /* conf_target; 0: -txconfirmtarget */
	enum fees_mode mode;
	bool replaceable;     /* accepted; only picks the estimate mode (no replacement in cairn) */
};

/* Fills *req from the params replaceable, conf_target, estimate_mode and
 * fee_rate at these positions (WALLET_FEES_NONE: not a parameter of the
 * method). fee_rate is in units per byte (Core's sat/vB), at most 3
 * decimals. 0, or -1 with e as Core: -8 for fee_rate with conf_target or
 * estimate_mode, a bad target or mode; -3 for a bad fee_rate. */
int wallet_fees_params(struct wallet_fee_request *req, const cJSON *params, size_t i_replaceable, size_t i_target,
		       size_t i_mode, size_t i_rate, struct rpc_error *e) WUR;
/* The default request: nothing given. */
void wallet_fees_default(struct wallet_fee_request *req);
/* The fee rate (units per 1,000 bytes) for r's send, and Core's name of
 * why (*reason, static). 0, or -1 with e: -6 "Fee estimation failed.
 * Fallbackfee is disabled. ..." as Core's sendtoaddress. */
int wallet_fees_pick(const struct wallet_rpc *r, const struct wallet_fee_request *req, int64_t *rate,
		     const char **reason, struct rpc_error *e) WUR;

#endif
