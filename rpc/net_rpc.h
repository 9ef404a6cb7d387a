/* The network methods of the RPC, with Bitcoin Core's parameters, result
 * fields and error codes: getpeerinfo, getconnectioncount, getnetworkinfo,
 * addnode, getaddednodeinfo, disconnectnode, getnodeaddresses,
 * setnetworkactive, getnettotals, setban, listbanned, clearbanned. */
#ifndef CAIRN_RPC_NET_RPC_H
#define CAIRN_RPC_NET_RPC_H

#include "chain/mempool.h"
#include "p2p/net.h"
#include "rpc/server.h"

struct net_rpc {
	struct p2p *p2p; /* NULL: every method answers -31 (P2P disabled) */
	struct mempool *mp;
};

/* Registers the methods; r must outlive the server. */
int net_rpc_register(struct rpc_server *srv, struct net_rpc *r, char *err) WUR;

#endif
