/* Proof bundles v2: an asset's custody, its current owner or its absence,
 * proven against one tip header that the verifier ties to the network's
 * genesis block and to the work of the whole chain, in a size that grows
 * with the log of the chain's length.
 *
 * Pure, as chain/proof.h: nothing here reads the chainstate, the clock or
 * the network. Building a bundle from the chain is asset_proof_v2 and
 * asset_absence_proof in chain/asset.h.
 *
 *   bundle  = "CRNP" | version u8 (2) | kind u8 (1 custody, 2 absence)
 *             | network magic (4) | asset id (32)
 *             | tip header (152) | tip height u32
 *             | parent record (68) | path          the tip's parent, leaf h-1
 *             | path                              the genesis block, leaf 0
 *             | samples varint | samples x sample
 *             | (custody) steps varint | steps x step
 *             | state proof                       chain/smt.h's encoding
 *   sample  = header (152) | height u32 | work (32, big-endian) | path
 *   step    = tx | index varint | leaves varint | path (the tx's audit path
 *             to the header's merkle root) | header (152) | height u32
 *             | work (32) | path (history)
 *   path    = n varint (<= 64) | n x hash (32)
 *
 * Every history path is an RFC 9162 inclusion proof of the block's history
 * leaf (chain/history.h: hash | height | cumulative work) at index height
 * in the tree of size tip height that the tip header commits to. A sample
 * or a step in the tip block itself has height = tip height, the tip's
 * header, the tip's cumulative work and an empty history path.
 *
 * Samples (FlyClient, Buenz et al., IEEE S&P 2020, non-interactive): with
 * W the tip's cumulative work and S the bit length of W, sample i targets
 *   h = SHA-256("cairn/sample" | tip hash | i u32 LE)
 *   s = (h[0] | h[1] << 8) mod S, span = max(W >> s, 1)
 *   w = W - 1 - (h read big-endian mod span)
 * and must be the block whose work range [work - work(bits), work) holds w:
 * log-uniform in the distance from the tip, the shape of FlyClient's
 * delta-distribution, seeded by the tip so that the prover cannot choose. */
#ifndef CAIRN_CHAIN_PROOF2_H
#define CAIRN_CHAIN_PROOF2_H

#include "chain/history.h"
#include "chain/params.h"
#include "chain/proof.h"
#include "chain/smt.h"

#define PROOF2_VERSION 2
#define PROOF2_CUSTODY 1
#define PROOF2_ABSENCE 2
#define PROOF2_DEFAULT_SAMPLES 50
#define PROOF2_MAX_SAMPLES 1000
#define PROOF2_MAX_STEPS 100000

struct proof2_path {
	size_t n;
	uint8_t h[MERKLE_MAX_PATH][32];
};

/* A block proven against the tip: its header, height and cumulative work
 * (its history leaf) and the inclusion path of that leaf. */
struct proof2_block {
	struct block_header header;
	uint32_t height;
	struct u256 work;
	struct proof2_path path;
};

struct proof2_step {
	struct tx tx;
	uint32_t index, leaves;
	struct proof2_path tx_path;
	struct proof2_block block;
	/* Filled by proof2_verify: */
	uint32_t out;
	bool has_from;
	uint8_t from[20], to[20];
};

struct proof2 {
	const struct chain_params *p; /* the network named by the magic */
	uint8_t kind;
	uint8_t asset[32];
	struct block_header tip;
	uint32_t tip_height;
	uint8_t parent[HISTORY_LEAF_SIZE];
	struct proof2_path parent_path, genesis_path;
	size_t n_samples;
	struct proof2_block *samples; /* owned */
	size_t n_steps;
	struct proof2_step *steps;    /* owned */
	struct smt_proof state;
};

/* What a verified bundle proves. */
struct proof2_summary {
	uint8_t tip_hash[32];
	uint32_t tip_height;
	struct u256 work;        /* the tip's cumulative work, as sampled */
	size_t samples;
	uint32_t first_height;   /* custody: the registration's block */
	uint8_t owner[20];       /* custody: the owner at the tip, from the asset map */
	struct outpoint cur;     /* custody: the asset's output at the tip */
};

void proof2_init(struct proof2 *b);
void proof2_release(struct proof2 *b);
void proof2_write(struct buf *out, const struct proof2 *b);
/* Parses exactly one bundle; on failure *out is empty and err says what
 * was malformed. */
int proof2_parse(struct proof2 *out, const uint8_t *p, size_t len, char *err) WUR;

/* The work a sample i of a tip must cover (above). */
void proof2_sample_target(struct u256 *w, const uint8_t tip_hash[32], uint32_t i, const struct u256 *total);

/* Checks everything, knowing only the parameters of the bundle's network:
 *   - the tip meets its bits; its parent's leaf and the genesis block's
 *     leaf (the network's genesis hash, height 0) are in its history tree;
 *   - each sample i is the block whose work range holds target i, meets
 *     its bits and is in the tree (at least min_samples of them);
 *   - custody: each step's transaction is in its block (audit path), its
 *     block in the tree (or the tip), steps in chain order, signatures
 *     valid, and the custody chain as chain/proof.h's; the asset map of
 *     the tip holds the asset at the last step's output, registered by the
 *     first step's, owned by its address;
 *   - absence: the asset map of the tip does not hold the id.
 * true with *sum, or false with err saying which check failed. */
bool proof2_verify(struct proof2 *b, size_t min_samples, struct proof2_summary *sum, char *err);

/* What a verified bundle proves, as text for people. Caller frees. */
char *proof2_report(const struct proof2 *b, const struct proof2_summary *sum);

#endif
