/* SipHash-2-4 through OpenSSL's EVP_MAC ("SIPHASH", 8-byte output): the
 * keyed hash of compact blocks' short transaction ids (BIP 152). One
 * struct siphash holds a keyed context, so hashing many messages under one
 * key costs no fetch or allocation each. */
#ifndef CAIRN_CHAIN_SIPHASH_H
#define CAIRN_CHAIN_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SIPHASH_KEY_LEN 16

struct siphash {
	void *mac; /* EVP_MAC */
	void *ctx; /* EVP_MAC_CTX, keyed */
	uint8_t key[SIPHASH_KEY_LEN];
};

/* Keys s with k0 ‖ k1 (each little-endian, as SipHash's reference code
 * reads its key). -1 when OpenSSL has no SipHash or no memory; s is then
 * released. */
int siphash_init(struct siphash *s, const uint8_t key[SIPHASH_KEY_LEN]) WUR;
/* SipHash-2-4 of data under s's key, as the little-endian 64-bit value of
 * the reference implementation. */
uint64_t siphash_u64(struct siphash *s, const void *data, size_t len);
/* Safe on a zeroed or released s, and twice. */
void siphash_release(struct siphash *s);

#endif
