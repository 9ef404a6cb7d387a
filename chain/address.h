/* cairn addresses: bech32m of an HRP that names the network and the data
 * [version 0] ++ the 20-byte hash regrouped into 5-bit values, e.g.
 * "crn1q..." on main and "rcrn1q..." on regtest. The hash is the first 20
 * bytes of SHA-256 of a BIP-340 x-only public key.
 *
 * It lives in chain/, not wallet/, because an address is how the chain's
 * outputs are written for people: the network parameters name its HRP, and
 * code below the wallet (the proof verifier's report, the RPC's JSON of any
 * transaction) prints and reads addresses without a wallet. The bech32m
 * codec under it is util/bech32.h. */
#ifndef CAIRN_CHAIN_ADDRESS_H
#define CAIRN_CHAIN_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define ADDRESS_HASH_LEN 20
#define ADDRESS_XONLY_LEN 32
/* The only version defined so far: a pay-to-public-key-hash output. */
#define ADDRESS_VERSION 0
#define ADDRESS_HRP_MAIN "crn"
#define ADDRESS_HRP_REGTEST "rcrn"
/* Room for any address of any HRP, NUL included (bech32's 90 + 1). */
#define ADDRESS_MAX_LEN 91

/* Writes the lowercase address of hash under hrp into out (out_len bytes,
 * NUL included; 45 are enough for "rcrn"). Returns 0, or -1 with out set
 * to "" (when out_len > 0) on a NULL argument, an invalid HRP or an out too
 * small. */
int address_encode(char *out, size_t out_len, const char *hrp, const uint8_t hash[ADDRESS_HASH_LEN]) WUR;

/* Decodes addr, which must carry exactly the lowercase HRP hrp (the address
 * itself may be all lowercase or all uppercase). Returns 0 with the 20-byte
 * hash in hash, or -1 with hash zeroed and err filled with the reason:
 * wrong network (another HRP), mixed case, bad checksum and the other
 * bech32m reasons, bad length, unknown version, bad padding. */
int address_decode(uint8_t hash[ADDRESS_HASH_LEN], const char *hrp, const char *addr, char *err) WUR;

/* The address hash of a BIP-340 x-only public key: the first 20 bytes of
 * its SHA-256. */
void address_hash_pubkey(uint8_t hash[ADDRESS_HASH_LEN], const uint8_t xonly[ADDRESS_XONLY_LEN]);

#endif
