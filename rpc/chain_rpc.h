/* The blockchain methods of the RPC: getblockchaininfo, getblock, ...,
 * invalidateblock, reconsiderblock, submitblock, validateaddress. */
#ifndef CAIRN_RPC_CHAIN_RPC_H
#define CAIRN_RPC_CHAIN_RPC_H

#include "chain/chainstate.h"
#include "rpc/events.h"
#include "rpc/server.h"

struct chain_rpc {
	/* Its listeners hear of every tip a call here brings (submitblock,
	 * invalidateblock, reconsiderblock) as chain events. */
	struct chainstate *cs;
	const struct events *events; /* for "sequence"; NULL: none */
};

/* Registers the methods; r must outlive the server. */
int chain_rpc_register(struct rpc_server *srv, struct chain_rpc *r, char *err) WUR;

/* getblockchaininfo's verificationprogress at now (unix seconds): 1.0 on
 * regtest, else the share of the blocks expected by now that the tip has. */
double chain_rpc_progress(struct chainstate *cs, uint64_t now);
/* getblockchaininfo's initialblockdownload at now: the tip more than a
 * day old (not on regtest), or more than 144 blocks behind the best
 * header. */
bool chain_rpc_initial_download(struct chainstate *cs, uint64_t now);

/* Parses a 64-hex-digit hash param; 0, or -1 with e filled (-8). */
int chain_rpc_param_hash(uint8_t out[32], const cJSON *params, size_t i, const char *name, struct rpc_error *e) WUR;
/* A block given by hash: 0 with *bi, or -1 with e filled (-5 not found). */
int chain_rpc_find_block(struct chainstate *cs, struct block_index **bi, const cJSON *params, size_t i,
			 struct rpc_error *e) WUR;

#endif
