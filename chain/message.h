/* Signed messages (signmessage, verifymessage, signmessagewithprivkey):
 * a BIP-340 Schnorr signature over a tagged hash of the message's bytes,
 *
 *   digest    = SHA-256(SHA-256(tag) | SHA-256(tag) | message)   tag = "cairn/message"
 *   signature = x-only public key (32) | BIP-340 signature of digest (64)
 *
 * carried as base64 of those 96 bytes (RFC 4648, with padding: 128
 * characters). A Schnorr signature does not give back its key the way
 * Bitcoin Core's compact ECDSA one does, so the key travels with it, and
 * the verifier checks that it is the address's (tx_pubkey_hash) and that
 * it signed. The tag keeps a message signature from ever being a
 * transaction's or an ownership proof's. Pure: no keys are held here. */
#ifndef CAIRN_CHAIN_MESSAGE_H
#define CAIRN_CHAIN_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define MESSAGE_TAG "cairn/message"
#define MESSAGE_SIG_LEN 96 /* pubkey (32) | signature (64) */

/* The digest a message's signature signs: 0, or -1 (out zeroed) when
 * OpenSSL cannot start a hash (no memory). */
int message_digest(uint8_t out[32], const void *msg, size_t len) WUR;

/* True when sig (MESSAGE_SIG_LEN bytes) carries a key whose address hash
 * is addr and a valid signature by it of msg's digest. */
bool message_verify(const uint8_t addr[20], const uint8_t sig[MESSAGE_SIG_LEN], const void *msg, size_t len);

#endif
