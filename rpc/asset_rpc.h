/* Provenance over RPC: registerasset, transferasset, getassetinfo,
 * getassethistory, listassets, getassetproof, getblockprovenance,
 * gettxoutproof and verifytxoutproof. See docs/provenance.md.
 *
 * Every query goes through the chainstate's indexes (asset id -> current
 * output, txid -> block and position) and the mempool, never through a scan
 * of the chain: a history costs one index lookup and one block read per
 * custody step. */
#ifndef CAIRN_RPC_ASSET_RPC_H
#define CAIRN_RPC_ASSET_RPC_H

#include "chain/mempool.h"
#include "rpc/proof.h"
#include "rpc/server.h"
#include "rpc/wallet_rpc.h"

struct asset_rpc {
	struct chainstate *cs;
	struct mempool *mp;
	/* For registerasset, transferasset and listassets; NULL, or ->w NULL,
	 * without a wallet (those answer -18 then). */
	struct wallet_rpc *wallet;
};

/* Registers the methods; r must outlive the server. */
int asset_rpc_register(struct rpc_server *srv, struct asset_rpc *r, char *err) WUR;

/* One custody step as the node sees it. */
struct asset_rpc_step {
	struct tx tx;
	struct block_index *bi; /* its block, NULL when in the mempool */
	uint32_t pos;           /* position in the block */
	uint32_t out;           /* the output carrying the asset */
	bool has_from;          /* false for the registration */
	uint8_t from[20];       /* the previous owner */
	uint8_t to[20];         /* the owner after this step */
};

struct asset_rpc_steps {
	struct asset_rpc_step *steps; /* oldest first, owned */
	size_t n;
};

void asset_rpc_steps_release(struct asset_rpc_steps *h);
/* The custody history of asset id, from its registration to its current
 * output: on the best chain only when mp is NULL, else with the mempool's
 * unconfirmed steps on top. 0 with *out filled (release it), or -1 with e
 * filled (-5 unknown asset, -20 a store error) and *out empty. */
int asset_rpc_history(struct chainstate *cs, struct mempool *mp, const uint8_t id[32], struct asset_rpc_steps *out,
		      struct rpc_error *e) WUR;
/* The proof bundle of asset id's confirmed history, headers up to the tip.
 * 0 with *out filled (proof_bundle_release it), or -1 with e filled (-5
 * when the best chain does not hold the asset) and *out empty. */
int asset_rpc_build_proof(struct chainstate *cs, const uint8_t id[32], struct proof_bundle *out, struct rpc_error *e) WUR;

#endif
