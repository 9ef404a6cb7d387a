/* Statistics of the chain over RPC, as Bitcoin Core answers them:
 * getblockstats (from the block and its undo data, chain/blockstats.h),
 * gettxoutsetinfo (one walk of the UTXO set, chain/utxostats.h) and
 * getchaintxstats. */
#ifndef CAIRN_RPC_STATS_RPC_H
#define CAIRN_RPC_STATS_RPC_H

#include "chain/chainstate.h"
#include "rpc/server.h"

struct stats_rpc {
	struct chainstate *cs;
	/* The chainstate folder's size on disk, for gettxoutsetinfo's
	 * disk_size; NULL: reported as 0. */
	uint64_t (*disk_bytes)(void *ctx);
	void *disk_ctx;
};

/* Registers the methods; r must outlive the server. */
int stats_rpc_register(struct rpc_server *srv, struct stats_rpc *r, char *err) WUR;

#endif
