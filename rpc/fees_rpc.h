/* The fee estimator's methods, with Bitcoin Core's names and answers:
 * estimatesmartfee and estimaterawfee (chain/fees.h does the work), and the
 * parsers of conf_target and estimate_mode that the wallet's sending
 * methods share with them. Fee rates go out in CRN per 1,000 bytes. */
#ifndef CAIRN_RPC_FEES_RPC_H
#define CAIRN_RPC_FEES_RPC_H

#include "chain/fees.h"
#include "chain/mempool.h"
#include "rpc/server.h"

struct fees_rpc {
	struct fees *fees;
	struct mempool *mp; /* for the minimum relay fee rate */
};

/* estimate_mode, Bitcoin Core's FeeEstimateMode. */
enum fees_mode { FEES_MODE_UNSET, FEES_MODE_ECONOMICAL, FEES_MODE_CONSERVATIVE };

/* The optional estimate_mode at params[i], case-insensitive; FEES_MODE_UNSET
 * when absent. 0, or -1 with e: -8 "Invalid estimate_mode parameter, must
 * be one of: ...", -3 when not a string. */
int fees_rpc_mode(enum fees_mode *out, const cJSON *params, size_t i, struct rpc_error *e) WUR;
/* The conf_target at params[i] in 1..FEES_MAX_TARGET, def when absent (0:
 * required). 0, or -1 with e: -8 "Invalid conf_target, must be between 1
 * and 1008". */
int fees_rpc_target(unsigned *out, const cJSON *params, size_t i, unsigned def, struct rpc_error *e) WUR;

/* Registers the methods; f must outlive the server. */
int fees_rpc_register(struct rpc_server *srv, struct fees_rpc *f, char *err) WUR;

#endif
