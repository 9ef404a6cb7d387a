/* Proofs anyone can check: the compact transaction proof of gettxoutproof
 * with its binary encoding, the asset proof bundle of getassetproof, their
 * verification and the report of a verified bundle.
 *
 * Pure: nothing here reads the chainstate, the clock or the network, so the
 * node builds and checks proofs with it and cairn-cli verifies a bundle with
 * no node at all. Building a bundle from the chain is asset_proof in
 * chain/asset.h; the bundle's JSON encoding is rpc/proof_json.h.
 *
 * Transaction proof (gettxoutproof), binary, hex on the RPC:
 *
 *   proof = header (152) | leaves varint | n varint | n × entry
 *   entry = index varint | txid (32) | path length varint | path length × hash (32)
 *
 * each entry an RFC 6962 audit path of the txid at index in a block of
 * leaves transactions, bottom-up, up to the header's merkle root.
 *
 * Asset proof bundle (getassetproof): the asset's custody steps, each a
 * transaction with the audit path to its block's merkle root; the headers
 * from the registration's block to the tip; and an anchor, the coinbase of
 * the first of those blocks, which carries its height, so every height in
 * the bundle is proven, not claimed. Its JSON encoding is rpc/proof_json.h
 * (and docs/provenance.md). */
#ifndef CAIRN_CHAIN_PROOF_H
#define CAIRN_CHAIN_PROOF_H

#include "chain/merkle.h"
#include "chain/params.h"
#include "chain/u256.h"

/* Bounds applied before allocating anything a bundle or a proof asks for. */
#define PROOF_MAX_TXS 10000
#define PROOF_MAX_STEPS 1000000
#define PROOF_MAX_HEADERS 10000000

/* ---- transaction proofs ---- */

struct proof_tx_entry {
	uint8_t txid[32];
	uint32_t index;
	size_t path_len;
	uint8_t path[MERKLE_MAX_PATH][32];
};

struct proof_txs {
	struct block_header header;
	uint32_t leaves;
	size_t n;
	struct proof_tx_entry *txs; /* n entries, owned */
};

void proof_txs_init(struct proof_txs *p);
/* Frees the entries; safe twice. */
void proof_txs_release(struct proof_txs *p);
/* The proof that block b holds the n txids (each once, at most
 * PROOF_MAX_TXS). 0 with *out filled (release it), or -1 with err filled
 * (a txid not in the block, a duplicate, no memory) and *out empty. */
int proof_txs_build(struct proof_txs *out, const struct block *b, const uint8_t (*txids)[32], size_t n,
		    char *err) WUR;
void proof_txs_write(struct buf *b, const struct proof_txs *p);
/* Parses exactly one proof (no trailing bytes). On failure *out is empty
 * and err says what was malformed. */
int proof_txs_parse(struct proof_txs *out, const uint8_t *p, size_t len, char *err) WUR;
/* True when the header meets its own bits under limit_bits and every
 * entry's path leads from its txid to the header's merkle root; else false
 * with err filled. */
bool proof_txs_verify(const struct proof_txs *p, uint32_t limit_bits, char *err);

/* ---- asset proof bundles ---- */

/* One custody step: a transaction and where it sits. */
struct proof_step {
	struct tx tx;
	uint8_t block[32];
	uint32_t height;
	uint32_t index;  /* position in the block */
	uint32_t leaves; /* transactions in the block */
	size_t path_len;
	uint8_t path[MERKLE_MAX_PATH][32];
	/* Filled by proof_asset_verify: */
	uint32_t out;    /* the output carrying the asset */
	bool has_from;   /* false for the registration */
	uint8_t from[20];
	uint8_t to[20];
};

struct proof_bundle {
	const struct chain_params *p; /* the network named in the bundle */
	uint8_t asset[32];
	struct tx anchor;             /* coinbase of headers[0] */
	uint32_t anchor_leaves;
	size_t anchor_path_len;
	uint8_t anchor_path[MERKLE_MAX_PATH][32];
	size_t n_steps;
	struct proof_step *steps;     /* owned */
	size_t n_headers;
	struct block_header *headers; /* owned */
	uint8_t tip[32];
};

/* What a verified bundle proves. */
struct proof_summary {
	uint32_t first_height;  /* the registration's block */
	uint32_t tip_height;
	uint32_t confirmations; /* blocks from the registration to the tip */
	struct u256 work;       /* their cumulative proof of work */
	uint8_t owner[20];      /* the last step's asset output */
};

/* One link of a custody chain: the transaction, the output that carries
 * the asset, and the owners before and after. */
struct proof_custody {
	uint8_t txid[32];
	uint32_t out;
	bool has_from;
	uint8_t from[20], to[20];
};

/* Checks transaction tx as custody step k of asset id (prev NULL for the
 * registration): not a coinbase, every signature valid under magic,
 * exactly one output of the asset, and after the first step exactly one
 * input spending prev's output with a key that hashes to prev's owner.
 * true with *out, or false with err. Shared by both bundle versions. */
bool proof_custody_check(const struct tx *tx, const struct proof_custody *prev, const uint8_t id[32],
			 const uint8_t magic[4], size_t k, struct proof_custody *out, char *err);

void proof_bundle_init(struct proof_bundle *b);
void proof_bundle_release(struct proof_bundle *b);

/* Checks everything a bundle claims, with nothing but its own bytes and
 * the parameters of its network:
 *   - each header links to the one before and meets its bits (which are
 *     the network's limit where it never retargets, and unchanged between
 *     retargets), the last one hashes to tip;
 *   - the anchor is a coinbase in the first header's block: the height;
 *   - each step's transaction is in the block of the header at its height
 *     (the audit path leads to that header's merkle root), steps in chain
 *     order, and every signature verifies under the network's magic;
 *   - the first step creates exactly one output of the asset; each later
 *     step spends the previous step's asset output, with a key that hashes
 *     to its address, and re-creates exactly one output of the asset.
 * Returns true with *sum filled (and each step's from/to/out), or false
 * with err saying which check failed and where. sum may be NULL. */
bool proof_asset_verify(struct proof_bundle *b, struct proof_summary *sum, char *err);

/* The history and the summary of a verified bundle as text for people,
 * addresses on its network. Caller frees; NULL when out of memory. */
char *proof_asset_report(const struct proof_bundle *b, const struct proof_summary *sum);

#endif
