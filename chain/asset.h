/* Provenance from the node's own state: where an asset starts and where it
 * is now, its custody history, and the proof bundle of that history.
 *
 * Everything goes through the chainstate's indexes (asset id -> current
 * output, txid -> block and position) and the mempool, never through a scan
 * of the chain: a history costs one index lookup and one block read per
 * custody step. rpc/asset_rpc.c turns the results into JSON. */
#ifndef CAIRN_CHAIN_ASSET_H
#define CAIRN_CHAIN_ASSET_H

#include "chain/chainstate.h"
#include "chain/mempool.h"
#include "chain/proof.h"
#include "chain/proof2.h"

enum asset_status {
	ASSET_OK = 0,
	ASSET_UNKNOWN,     /* nothing (the best chain, or the mempool when asked) registers it */
	ASSET_TOO_LONG,    /* more custody steps or headers than a bundle may hold */
	ASSET_NO_MEMORY,
	ASSET_STORE_ERROR, /* an index or a block unreadable, or the indexes and blocks disagree */
	ASSET_EXISTS,      /* an absence proof asked for a registered id */
};

/* One custody step: the registration or a transfer. */
struct asset_step {
	struct tx tx;
	struct block_index *bi; /* its block on the best chain, NULL when in the mempool */
	uint32_t pos;           /* position in the block */
	uint32_t height;        /* the block's height; 0 in the mempool */
	uint32_t confirmations; /* blocks from it to the tip, itself included; 0 in the mempool */
	uint32_t out;           /* the output carrying the asset */
	bool has_from;          /* false for the registration */
	uint8_t from[20];       /* the previous owner */
	uint8_t to[20];         /* the owner after this step */
};

struct asset_history {
	struct asset_step *steps; /* oldest first, owned; unconfirmed ones (bi NULL) last */
	size_t n;
};

/* Where asset id was registered (*reg, its txid) and its current output
 * (*cur), from the chain's asset index and, with mp, the mempool's
 * unconfirmed steps. ASSET_OK, or ASSET_UNKNOWN or ASSET_STORE_ERROR with
 * err filled. */
enum asset_status asset_ends(struct chainstate *cs, struct mempool *mp, uint8_t reg[32], struct outpoint *cur,
			     const uint8_t id[32], char *err) WUR;

/* Frees the steps; safe twice. */
void asset_history_release(struct asset_history *h);
/* The custody history of asset id, walked back from its current output to
 * its registration: on the best chain only when mp is NULL, else with the
 * mempool's unconfirmed steps on top. ASSET_OK with *out filled (at least
 * one step; release it), or another status with err filled and *out
 * empty. */
enum asset_status asset_walk(struct chainstate *cs, struct mempool *mp, struct asset_history *out,
			     const uint8_t id[32], char *err) WUR;

/* The proof bundle of asset id's history on the best chain, headers up to
 * the tip. ASSET_OK with *out filled (proof_bundle_release it), or another
 * status (ASSET_UNKNOWN when the best chain does not hold the asset) with
 * err filled and *out empty. */
enum asset_status asset_proof(struct chainstate *cs, struct proof_bundle *out, const uint8_t id[32], char *err) WUR;

/* The v2 bundle (chain/proof2.h) of asset id's custody on the best chain,
 * against the tip, with samples samples (0: PROOF2_DEFAULT_SAMPLES).
 * ASSET_OK with *out filled (proof2_release it), or another status with
 * err filled and *out empty. */
enum asset_status asset_proof_v2(struct chainstate *cs, struct proof2 *out, const uint8_t id[32], size_t samples,
				 char *err) WUR;
/* The v2 bundle proving that the best chain never registered id, as of
 * the tip; ASSET_EXISTS when it did. */
enum asset_status asset_absence_proof(struct chainstate *cs, struct proof2 *out, const uint8_t id[32],
				      size_t samples, char *err) WUR;

#endif
