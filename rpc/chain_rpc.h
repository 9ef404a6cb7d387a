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

/* The results that REST (rpc/rest.h) answers too, built here once so the
 * two can never differ. */

/* getblockchaininfo's answer; NULL when out of memory. */
cJSON *chain_rpc_chaininfo(struct chain_rpc *r);
/* getblock's read of bi's block: 0 with *b filled (block_release it), or
 * -1 with e filled (-1 the block's data is not here, -20 unreadable) and
 * *b empty. Its JSON is txjson_block's. */
int chain_rpc_read_block(struct chainstate *cs, struct block *b, const struct block_index *bi, struct rpc_error *e) WUR;

/* Parses a 64-hex-digit hash param; 0, or -1 with e filled (-8). */
int chain_rpc_param_hash(uint8_t out[32], const cJSON *params, size_t i, const char *name, struct rpc_error *e) WUR;
/* A block given by hash: 0 with *bi, or -1 with e filled (-5 not found). */
int chain_rpc_find_block(struct chainstate *cs, struct block_index **bi, const cJSON *params, size_t i,
			 struct rpc_error *e) WUR;

#endif
