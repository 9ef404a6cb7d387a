/* Unsigned 256-bit integers for consensus arithmetic: proof-of-work targets,
 * block work and cumulative chain work.
 *
 * Exactness matters more than speed here, so every operation is the plain
 * textbook algorithm over 32-bit limbs and reports carries and overflows
 * instead of hiding them. Outputs may alias inputs everywhere. */
#ifndef CAIRN_CHAIN_U256_H
#define CAIRN_CHAIN_U256_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

#define U256_LIMBS 8
#define U256_BYTES 32
#define U256_HEX_LEN 64 /* digits, without the NUL */

/* w[0] is the least significant limb. */
struct u256 {
	uint32_t w[U256_LIMBS];
};

void u256_zero(struct u256 *out);
void u256_from_u64(struct u256 *out, uint64_t v);
/* Reads 32 bytes, byte 0 most significant (how a block hash is compared with
 * its target). */
void u256_from_be(struct u256 *out, const uint8_t in[U256_BYTES]);
/* Writes 32 bytes, byte 0 most significant. */
void u256_to_be(uint8_t out[U256_BYTES], const struct u256 *a);
/* Writes 64 lowercase hex digits, most significant first, and a NUL. */
void u256_hex(char out[U256_HEX_LEN + 1], const struct u256 *a);
/* Parses exactly 64 hex digits (either case), most significant first; false
 * on bad input, and out is then zero. */
bool u256_from_hex(struct u256 *out, const char *hex) WUR;

bool u256_is_zero(const struct u256 *a);
/* Returns -1, 0 or 1 as a is below, equal to or above b. */
int u256_cmp(const struct u256 *a, const struct u256 *b);
/* The low 64 bits of a. */
uint64_t u256_low64(const struct u256 *a);
/* Number of significant bits: 0 for zero, 256 when the top bit is set. */
unsigned u256_bits(const struct u256 *a);

/* out = a + b mod 2^256; returns true when the sum carried out of 256 bits. */
bool u256_add(struct u256 *out, const struct u256 *a, const struct u256 *b);
/* out = a - b mod 2^256; returns true when b > a (the result wrapped). */
bool u256_sub(struct u256 *out, const struct u256 *a, const struct u256 *b);
/* out = ~a. */
void u256_not(struct u256 *out, const struct u256 *a);
/* out = a << n mod 2^256 (zero when n >= 256). */
void u256_shl(struct u256 *out, const struct u256 *a, unsigned n);
/* out = a >> n (zero when n >= 256). */
void u256_shr(struct u256 *out, const struct u256 *a, unsigned n);
/* out = a * m mod 2^256; returns true when the exact product needs more than
 * 256 bits. */
bool u256_mul_u64(struct u256 *out, const struct u256 *a, uint64_t m);
/* out = a * b mod 2^256; returns true when the exact product needs more than
 * 256 bits. */
bool u256_mul(struct u256 *out, const struct u256 *a, const struct u256 *b);
/* Exact long division: quot = floor(a / b), rem = a mod b; either output may
 * be NULL. Returns 0, or -1 when b is zero (outputs are then zero). */
int u256_divmod(struct u256 *quot, struct u256 *rem, const struct u256 *a, const struct u256 *b) WUR;

#endif
