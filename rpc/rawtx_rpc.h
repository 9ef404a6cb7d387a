/* Raw transactions and the mempool over RPC: getrawtransaction,
 * createrawtransaction, decoderawtransaction, sendrawtransaction,
 * testmempoolaccept, getrawmempool, getmempoolinfo, getmempoolentry,
 * gettxout. */
#ifndef CAIRN_RPC_RAWTX_RPC_H
#define CAIRN_RPC_RAWTX_RPC_H

#include "chain/mempool.h"
#include "rpc/events.h"
#include "rpc/server.h"

struct rawtx_rpc {
	struct chainstate *cs;
	struct mempool *mp;
	const struct events *events; /* for getmempoolinfo's "sequence"; NULL: none */
};

int rawtx_rpc_register(struct rpc_server *srv, struct rawtx_rpc *r, char *err) WUR;

/* The i-th param, "hexstring", as a serialized transaction. 0 with *tx
 * filled (release it), or -1 with e filled (-22 "TX decode failed: ...")
 * and *tx holding nothing to release. */
int rawtx_param_tx(struct tx *tx, const cJSON *params, size_t i, struct rpc_error *e) WUR;

#endif
