/* Raw transactions and the mempool over RPC: getrawtransaction,
 * createrawtransaction, decoderawtransaction, sendrawtransaction,
 * testmempoolaccept, getrawmempool, getmempoolinfo, getmempoolentry,
 * gettxout. */
#ifndef CAIRN_RPC_RAWTX_RPC_H
#define CAIRN_RPC_RAWTX_RPC_H

#include "chain/mempool.h"
#include "chain/txlookup.h"
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

/* The results that REST (rpc/rest.h) answers too, built here once so the
 * two can never differ. */

/* getrawtransaction's lookup: txid in block in_block when given, else in
 * the mempool or on the best chain, through l. 0 with *tx filled (release
 * it), *bi its block (NULL when unconfirmed) and *pos its place there, or
 * -1 with e filled (-5 not found, -20 a store error, -7) and *tx empty. */
int rawtx_rpc_find(struct txlookup *l, struct tx *tx, struct block_index **bi, uint32_t *pos,
		   struct block_index *in_block, const uint8_t txid[32], struct rpc_error *e) WUR;
/* getrawtransaction's verbose answer for what rawtx_rpc_find found with l
 * (whose kept block gives the audit path); NULL when out of memory. */
cJSON *rawtx_rpc_verbose_tx(struct rawtx_rpc *r, struct txlookup *l, const struct tx *tx, struct block_index *bi,
			    uint32_t pos);
/* getrawmempool's answer: the txids, or with verbose the entries by txid;
 * NULL when out of memory. */
cJSON *rawtx_rpc_mempool(struct rawtx_rpc *r, bool verbose);
/* getmempoolentry's answer for m; NULL when out of memory. */
cJSON *rawtx_rpc_entry_json(const struct mempool_entry_info *m);
#define RAWTX_MEMPOOL_ENTRY                                                                                 \
	"{vsize:int,size:int,time:int,height:int,descendantcount:int,descendantsize:int,ancestorcount:int," \
	"ancestorsize:int,fees:{base:amount,ancestor:amount,descendant:amount},depends:[hash],spentby:[hash]}"
/* getmempoolinfo's answer; NULL when out of memory. */
cJSON *rawtx_rpc_mempool_info(struct rawtx_rpc *r);

#endif
