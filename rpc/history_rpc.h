/* The history tree over the RPC, for transparency-log tooling:
 * getcheckpoint (the C2SP tlog-checkpoint body of the best chain) and
 * gethistoryconsistency (an RFC 9162 consistency proof between two of its
 * trees). docs/provenance.md, "Checkpoints". */
#ifndef CAIRN_RPC_HISTORY_RPC_H
#define CAIRN_RPC_HISTORY_RPC_H

#include "rpc/chain_rpc.h"

/* The origin line of a network's checkpoints: "cairn/NETWORK/GENESIS". */
void history_rpc_origin(char out[96], const struct chain_params *p);
/* Registers the methods on r's chainstate; r must outlive the server. */
int history_rpc_register(struct rpc_server *srv, struct chain_rpc *r, char *err) WUR;

#endif
