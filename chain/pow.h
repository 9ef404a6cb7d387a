/* Proof of work: the compact "bits" encoding of targets, the check of a block
 * hash against its target, the work a block proves, and the retarget rule.
 *
 * A block hash is read as a big-endian unsigned 256-bit number (byte 0 most
 * significant) and is valid when it is at or below the target. Everything
 * here is pure: the caller hands in heights, bits and block times. */
#ifndef CAIRN_CHAIN_POW_H
#define CAIRN_CHAIN_POW_H

#include <stdbool.h>
#include <stdint.h>

#include "chain/u256.h"

/* Main's easiest target, 0x0000ffff << 224: a block needs 16 leading zero
 * bits, about 65,536 hashes at the lowest difficulty. */
#define POW_MAIN_LIMIT_BITS 0x1f00ffffu
/* Regtest's target, 0x7fffff << 232: every other hash qualifies. */
#define POW_REGTEST_LIMIT_BITS 0x207fffffu
#define POW_TARGET_SPACING 60u /* seconds */
#define POW_RETARGET_INTERVAL 1440u /* blocks: one day at the target spacing */

struct pow_params {
	uint32_t limit_bits; /* the easiest target allowed, compact */
	uint32_t spacing; /* target seconds between blocks */
	uint32_t interval; /* blocks between retargets */
	bool no_retarget; /* bits are always limit_bits */
};

extern const struct pow_params pow_params_main;
extern const struct pow_params pow_params_regtest;

/* Decodes compact bits exactly as Bitcoin Core's arith_uint256::SetCompact:
 * target = mantissa (low 23 bits) * 256^(exponent - 3), exponent the top
 * byte. *negative is set when the sign bit 0x00800000 is set with a non-zero
 * mantissa, *overflow when the value does not fit in 256 bits (target is
 * then the truncated value and must not be used). Either flag pointer may be
 * NULL. */
void pow_compact_decode(struct u256 *target, uint32_t bits, bool *negative, bool *overflow);
/* Encodes target as Bitcoin Core's arith_uint256::GetCompact(negative): the
 * shortest exponent, the mantissa shifted down a byte when its top bit would
 * read as the sign, and the sign bit set only for a negative non-zero
 * mantissa. Lossy: only the top 2-3 significant bytes survive. */
uint32_t pow_compact_encode(const struct u256 *target, bool negative);

/* Decodes bits into *target and returns true when they are a usable target:
 * not negative, not overflowing, not zero, not above the target of
 * limit_bits. On false *target is zero. */
bool pow_target(struct u256 *target, uint32_t bits, uint32_t limit_bits) WUR;
/* True when bits are a usable target (as pow_target) and hash, read as a
 * big-endian number, is at or below it. */
bool pow_check(const uint8_t hash[U256_BYTES], uint32_t bits, uint32_t limit_bits) WUR;
/* *out = the expected number of hashes to find a block at bits,
 * floor(2^256 / (target + 1)); zero when bits are negative, overflowing or
 * zero. Chain work is the plain u256_add of these. */
void pow_block_work(struct u256 *out, uint32_t bits);

/* The bits required of the block at height (> 0) on top of a block with
 * prev_bits.
 *   - no_retarget, and height 0: limit_bits.
 *   - height not a multiple of interval: prev_bits, unchanged.
 *   - otherwise: first_time is the time of the block at height - interval
 *     (the first of the period that just ended) and last_time the time of
 *     the block at height - 1. The actual timespan last_time - first_time
 *     (0 when last_time is not above first_time) is clamped to
 *     [expected / 4, expected * 4] with expected = interval * spacing, and
 *     the new target = old target * actual / expected, capped at the
 *     limit's target, compact-encoded.
 * A block is valid only when its bits equal this value. */
uint32_t pow_next_bits(const struct pow_params *p, uint32_t height, uint32_t prev_bits, uint64_t first_time,
		       uint64_t last_time);

#endif
