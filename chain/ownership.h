/* Ownership challenges: whoever presents a document proves, to someone who
 * names a challenge, that they hold the key of the asset's current owner
 * as of one tip of the chain.
 *
 *   tag    = "cairn/ownership"
 *   msg    = asset id (32) | tip block hash (32) | SHA-256(challenge) (32)
 *   digest = SHA-256(SHA-256(tag) | SHA-256(tag) | msg)    BIP-340's tagged hash
 *
 * and the proof is a BIP-340 Schnorr signature of digest by the x-only key
 * whose tx_pubkey_hash is the owner's address. The tag keeps the signature
 * from ever being valid as a transaction's (tx_sighash is not tagged this
 * way), and the tip and challenge keep it from being replayed to another
 * verifier or presented as fresh later.
 *
 * Pure: nothing here reads the chainstate, the clock or the network. That
 * the owner is the owner at that tip is a proof bundle's job (chain/proof2.h);
 * ownership_match_proof ties the two together. */
#ifndef CAIRN_CHAIN_OWNERSHIP_H
#define CAIRN_CHAIN_OWNERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/proof2.h"

#define OWNERSHIP_TAG "cairn/ownership"
#define OWNERSHIP_MSG_LEN 96

/* What a signer claims (the RPC's "ownership file", decoded). */
struct ownership_claim {
	uint8_t asset[32];
	uint8_t tip[32];      /* the tip's block hash, as the digest covers it */
	uint32_t height;      /* the tip's height (informative: not signed) */
	uint8_t owner[20];    /* the owner's address hash */
	uint8_t pubkey[32];   /* x-only */
	uint8_t sig[64];
};

/* The digest a challenge's signer signs (above). challenge may be NULL
 * when len is 0. */
void ownership_digest(uint8_t out[32], const uint8_t id[32], const uint8_t tip[32], const void *challenge, size_t len);
/* True when sig is a valid BIP-340 signature of digest by the x-only key
 * pubkey_xonly (chain/sigcheck.h's check, without its cache). */
bool ownership_verify(const uint8_t digest[32], const uint8_t pubkey_xonly[32], const uint8_t sig[64]);
/* Checks a claim on its own: the signature is c->pubkey's over the digest
 * of (c->asset, c->tip, challenge), and c->pubkey pays to c->owner. true,
 * or false with err saying which failed. */
bool ownership_check(const struct ownership_claim *c, const void *challenge, size_t len, char *err);
/* Checks that a claim speaks of what a verified proof bundle proves: the
 * same asset (proof_asset, the bundle's), the same tip (hash and height),
 * and the owner at that tip is c->owner. Does not check the claim's
 * signature (ownership_check) nor the bundle (proof2_verify). true, or
 * false with err saying which differs. */
bool ownership_match_proof(const struct ownership_claim *c, const uint8_t proof_asset[32],
			   const struct proof2_summary *sum, char *err);

#endif
