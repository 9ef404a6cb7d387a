/* Provenance over RPC: registerasset, transferasset, getassetinfo,
 * getassethistory, listassets, getassetproof, getblockprovenance,
 * gettxoutproof and verifytxoutproof. See docs/provenance.md.
 *
 * These parse parameters and shape JSON; the custody walk and the proofs
 * are chain/asset.h and chain/proof.h. */
#ifndef CAIRN_RPC_ASSET_RPC_H
#define CAIRN_RPC_ASSET_RPC_H

#include "chain/asset.h"
#include "chain/mempool.h"
#include "rpc/server.h"
#include "rpc/wallets.h"

struct asset_rpc {
	struct chainstate *cs;
	struct mempool *mp;
};

/* Registers the methods; r and wallets must outlive the server.
 * registerasset, transferasset and listassets use the wallet the request
 * picks (wallets_route: -18 without one), getassetinfo's "mine" the one it
 * picks if any (wallets_route_optional). */
int asset_rpc_register(struct rpc_server *srv, struct asset_rpc *r, struct wallets *wallets, char *err) WUR;

/* asset_walk of chain/asset.h with its failure as the RPC answers it: 0
 * with *out filled (asset_history_release it), or -1 with e filled (-5
 * unknown asset, -20 a store error, -1 too long, -7 no memory) and *out
 * empty. */
int asset_rpc_history(struct chainstate *cs, struct mempool *mp, const uint8_t id[32], struct asset_history *out,
		      struct rpc_error *e) WUR;
/* asset_proof of chain/asset.h, likewise: 0 with *out filled
 * (proof_bundle_release it), or -1 with e filled (-5 when the best chain
 * does not hold the asset) and *out empty. */
int asset_rpc_build_proof(struct chainstate *cs, const uint8_t id[32], struct proof_bundle *out, struct rpc_error *e) WUR;

/* The answers of getassethistory, getassetinfo and getassetproof for asset
 * id, which REST (rpc/rest.h) gives too, built here once so the two can
 * never differ. Each returns 0 with *out a new item (the caller frees it),
 * or -1 with e filled as asset_rpc_history or asset_rpc_build_proof fill it
 * and *out NULL. getassetinfo's "mine" is there only with a wallet w (NULL:
 * none). */
int asset_rpc_history_json(struct chainstate *cs, struct mempool *mp, cJSON **out, const uint8_t id[32],
			   struct rpc_error *e) WUR;
int asset_rpc_info_json(struct chainstate *cs, struct mempool *mp, struct wallet *w, cJSON **out,
			const uint8_t id[32], struct rpc_error *e) WUR;
int asset_rpc_proof_json(struct chainstate *cs, cJSON **out, const uint8_t id[32], struct rpc_error *e) WUR;

#endif
