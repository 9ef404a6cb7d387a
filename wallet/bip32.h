/* BIP-32 hierarchical deterministic keys: one seed gives a tree of secret
 * keys, so a backup of the seed restores every key the wallet ever used.
 * Only private derivation is offered: the wallet always holds the seed.
 * HMAC-SHA512 comes from OpenSSL, curve arithmetic from libsecp256k1. */
#ifndef CAIRN_WALLET_BIP32_H
#define CAIRN_WALLET_BIP32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define BIP32_SEED_MIN 16
#define BIP32_SEED_MAX 64
#define BIP32_HARDENED 0x80000000u
#define BIP32_MAX_DEPTH 255
#define BIP32_PUBKEY_LEN 33
#define BIP32_FINGERPRINT_LEN 4
/* An extended key before Base58Check: version, depth, parent fingerprint,
 * child number, chain code, key. */
#define BIP32_SERIALIZED_LEN 78

/* An extended private key. Holds a secret: release it when done. */
struct bip32_key {
	uint8_t seckey[32];
	uint8_t chain_code[32];
	uint8_t parent_fingerprint[BIP32_FINGERPRINT_LEN]; /* zero for the master */
	uint32_t child_number; /* with BIP32_HARDENED set for hardened children */
	uint8_t depth; /* 0 for the master */
};

/* Derives the master key from seed (BIP32_SEED_MIN..BIP32_SEED_MAX bytes):
 * HMAC-SHA512 keyed with "Bitcoin seed". Returns 0, or -1 with *out wiped
 * and err filled on a bad seed length or the (2^-127) invalid master. */
int bip32_master(struct bip32_key *out, const uint8_t *seed, size_t seed_len, char *err) WUR;

/* Derives child number index (hardened when index >= BIP32_HARDENED) of
 * parent into child; child may be parent itself. Returns 0, or -1 with
 * *child wiped (even when it is parent) and err filled at the depth limit,
 * or for the (2^-127) index that yields no key, where BIP-32 says to use
 * the next index. */
int bip32_derive_child(struct bip32_key *child, const struct bip32_key *parent, uint32_t index, char *err) WUR;
/* The secret key alone of parent's child at index (the same key as
 * bip32_derive_child's), without the parent fingerprint and chain code
 * that only serialization needs: the fast path for signing. sk is zeroed
 * on failure. */
int bip32_derive_seckey(uint8_t sk[32], const struct bip32_key *parent, uint32_t index, char *err) WUR;

/* Parses a path such as "m/0'/1/2h" ("'", "h" and "H" mark hardened
 * steps; "m" alone is the master) into indices; *count holds the capacity
 * on entry and the number of steps on return. Returns 0, or -1 with *count
 * 0 and err filled on a malformed path, an index of 2^31 or more, or more
 * steps than fit. */
int bip32_parse_path(uint32_t *indices, size_t *count, const char *path, char *err) WUR;

/* Derives the key at path below master (a master key: depth 0). Returns 0,
 * or -1 with *out wiped and err filled. */
int bip32_derive_path(struct bip32_key *out, const struct bip32_key *master, const char *path, char *err) WUR;

/* The compressed SEC1 public key of key. Returns 0, or -1 with pub zeroed. */
int bip32_pubkey(uint8_t pub[BIP32_PUBKEY_LEN], const struct bip32_key *key) WUR;

/* The key identifier's first 4 bytes: RIPEMD-160(SHA-256(public key)), which
 * children carry as their parent fingerprint. Returns 0, or -1 with fp
 * zeroed. */
int bip32_fingerprint(uint8_t fp[BIP32_FINGERPRINT_LEN], const struct bip32_key *key) WUR;

/* The 78-byte extended key payload, private (xprv) or public (xpub), with
 * BIP-32's published version bytes, as its test vectors carry them. Returns
 * 0, or -1 with out zeroed. Private output holds the secret key. */
int bip32_serialize(uint8_t out[BIP32_SERIALIZED_LEN], const struct bip32_key *key, bool private_key) WUR;

/* Wipes key with OPENSSL_cleanse. Takes NULL; safe twice. */
void bip32_key_release(struct bip32_key *key);

#endif
