/* Network parameters: everything that differs between main and regtest. */
#ifndef CAIRN_CHAIN_PARAMS_H
#define CAIRN_CHAIN_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "chain/block.h"
#include "chain/pow.h"

enum network { NET_MAIN, NET_REGTEST };

struct chain_params {
	enum network net;
	const char *name;     /* "main", "regtest" (getblockchaininfo's chain) */
	const char *subdir;   /* data directory subfolder: "" or "regtest" */
	const char *hrp;      /* bech32m address prefix */
	uint8_t magic[4];
	uint16_t p2p_port, rpc_port;
	struct pow_params pow;
	uint32_t halving_interval;
	uint32_t coinbase_maturity;
	uint64_t genesis_time;
	uint64_t genesis_nonce;
	uint8_t genesis_hash[32];
};

const struct chain_params *params_get(enum network net);
/* Finds a network by name ("main", "regtest"); NULL if unknown. */
const struct chain_params *params_by_name(const char *name);
/* Builds the network's genesis block into b (initialised by the call);
 * -1 on no memory. */
int params_genesis(const struct chain_params *p, struct block *b) WUR;
/* Block subsidy in units at a height. */
int64_t params_subsidy(const struct chain_params *p, uint32_t height);

#endif
