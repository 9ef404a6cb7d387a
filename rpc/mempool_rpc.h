/* The mempool's relatives over RPC, as Bitcoin Core answers them:
 * getmempoolancestors and getmempooldescendants. (savemempool is the
 * node's: it owns the file and the journal.) */
#ifndef CAIRN_RPC_MEMPOOL_RPC_H
#define CAIRN_RPC_MEMPOOL_RPC_H

#include "rpc/rawtx_rpc.h"

/* Registers the methods on r (its mp); r must outlive the server. */
int mempool_rpc_register(struct rpc_server *srv, struct rawtx_rpc *r, char *err) WUR;

#endif
