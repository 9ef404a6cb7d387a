/* The address index over the RPC, as the Insight forks of Bitcoin Core
 * answer it: getaddresstxids, getaddressbalance, getaddressutxos,
 * getaddressmempool, getaddressdeltas; and getindexinfo, every index of
 * the node and whether it has reached the tip. docs/rpc.md, "Address
 * index". */
#ifndef CAIRN_RPC_ADDRESS_RPC_H
#define CAIRN_RPC_ADDRESS_RPC_H

#include "chain/addrindex.h"
#include "rpc/server.h"

struct address_rpc {
	struct chainstate *cs;
	struct mempool *mp;
	struct addrindex *ai; /* NULL: -addressindex is off, and the methods say so */
};

/* Registers the methods; r must outlive the server. */
int address_rpc_register(struct rpc_server *srv, struct address_rpc *r, char *err) WUR;

#endif
