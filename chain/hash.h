/* SHA-256 and SHA-256d through OpenSSL's EVP interface. */
#ifndef CAIRN_CHAIN_HASH_H
#define CAIRN_CHAIN_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_LEN 32

void hash_sha256(uint8_t out[HASH_LEN], const void *data, size_t len);
void hash_sha256d(uint8_t out[HASH_LEN], const void *data, size_t len);
/* SHA-256d of a ‖ b, without copying them together. */
void hash_sha256d2(uint8_t out[HASH_LEN], const void *a, size_t alen, const void *b, size_t blen);

#endif
