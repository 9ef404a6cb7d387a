#include "chain/pow.h"


#define COMPACT_SIGN 0x00800000u
#define COMPACT_MANTISSA 0x007fffffu

const struct pow_params pow_params_main = {
	.limit_bits = POW_MAIN_LIMIT_BITS,
	.spacing = POW_TARGET_SPACING,
	.interval = POW_RETARGET_INTERVAL,
	.no_retarget = false,
};

/* Regtest keeps the main spacing and interval only so that code printing
 * them has numbers; with no_retarget they never act. */
const struct pow_params pow_params_regtest = {
	.limit_bits = POW_REGTEST_LIMIT_BITS,
	.spacing = POW_TARGET_SPACING,
	.interval = POW_RETARGET_INTERVAL,
	.no_retarget = true,
};

void pow_compact_decode(struct u256 *target, uint32_t bits, bool *negative, bool *overflow)
{
	unsigned size = bits >> 24;
	uint32_t word = bits & COMPACT_MANTISSA;

	if (size <= 3) {
		word >>= 8 * (3 - size);
		u256_from_u64(target, word);
	} else {
		u256_from_u64(target, word);
		u256_shl(target, target, 8 * (size - 3));
	}
	if (negative)
		*negative = word != 0 && (bits & COMPACT_SIGN) != 0;
	/* The mantissa's significant bytes plus the exponent must fit in 32. */
	if (overflow)
		*overflow = word != 0 &&
			    (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
}

uint32_t pow_compact_encode(const struct u256 *target, bool negative)
{
	unsigned size = (u256_bits(target) + 7) / 8;
	uint32_t compact;

	if (size <= 3) {
		compact = (uint32_t)(u256_low64(target) << 8 * (3 - size));
	} else {
		struct u256 t;
		u256_shr(&t, target, 8 * (size - 3));
		compact = (uint32_t)u256_low64(&t);
	}
	/* A mantissa with its top bit set would read back as negative: give
	 * up its lowest byte for one more exponent step instead. */
	if (compact & COMPACT_SIGN) {
		compact >>= 8;
		size++;
	}
	compact |= (uint32_t)size << 24;
	if (negative && (compact & COMPACT_MANTISSA))
		compact |= COMPACT_SIGN;
	return compact;
}

bool pow_target(struct u256 *target, uint32_t bits, uint32_t limit_bits)
{
	struct u256 limit;
	bool negative, overflow;

	pow_compact_decode(target, bits, &negative, &overflow);
	pow_compact_decode(&limit, limit_bits, NULL, NULL);
	if (negative || overflow || u256_is_zero(target) || u256_cmp(target, &limit) > 0) {
		u256_zero(target);
		return false;
	}
	return true;
}

bool pow_check(const uint8_t hash[U256_BYTES], uint32_t bits, uint32_t limit_bits)
{
	struct u256 target, h;

	if (!hash || !pow_target(&target, bits, limit_bits))
		return false;
	u256_from_be(&h, hash);
	return u256_cmp(&h, &target) <= 0;
}

/* 2^256 does not fit in 256 bits, so floor(2^256 / (t + 1)) is computed as
 * (2^256 - t - 1) / (t + 1) + 1 = ~t / (t + 1) + 1, as Bitcoin Core does. */
/* The work of the last bits asked, per thread: a chain's headers share
 * their bits for a whole retarget period, and the division below is the
 * dearest step of checking a header. */
static _Thread_local bool have_last;
static _Thread_local uint32_t last_bits;
static _Thread_local struct u256 last_work;

static void block_work(struct u256 *out, uint32_t bits)
{
	struct u256 target, not_target, one, divisor;
	bool negative, overflow;

	u256_zero(out);
	pow_compact_decode(&target, bits, &negative, &overflow);
	if (negative || overflow || u256_is_zero(&target))
		return;
	u256_from_u64(&one, 1);
	if (u256_add(&divisor, &target, &one))
		return; /* target 2^256 - 1: unreachable through compact bits */
	u256_not(&not_target, &target);
	if (u256_divmod(out, NULL, &not_target, &divisor) != 0)
		return;
	(void)u256_add(out, out, &one);
}

void pow_block_work(struct u256 *out, uint32_t bits)
{
	if (!have_last || last_bits != bits) {
		block_work(&last_work, bits);
		last_bits = bits;
		have_last = true;
	}
	*out = last_work;
}

/* The retarget proper, at the first block of a period: scales the previous
 * target by how long the period took against how long it should have. */
static uint32_t retarget(const struct pow_params *p, uint32_t prev_bits, uint64_t first_time,
			 uint64_t last_time)
{
	uint64_t expected = (uint64_t)p->interval * p->spacing;
	uint64_t actual = last_time > first_time ? last_time - first_time : 0;
	struct u256 target, limit, divisor;
	bool negative, overflow;

	if (actual < expected / 4)
		actual = expected / 4;
	if (actual > expected * 4)
		actual = expected * 4;
	pow_compact_decode(&limit, p->limit_bits, NULL, NULL);
	pow_compact_decode(&target, prev_bits, &negative, &overflow);
	if (negative || overflow || expected == 0)
		return p->limit_bits;
	u256_from_u64(&divisor, expected);
	overflow = u256_mul_u64(&target, &target, actual);
	if (u256_divmod(&target, NULL, &target, &divisor) != 0 || overflow ||
	    u256_cmp(&target, &limit) > 0)
		target = limit;
	return pow_compact_encode(&target, false);
}

uint32_t pow_next_bits(const struct pow_params *p, uint32_t height, uint32_t prev_bits, uint64_t first_time,
		       uint64_t last_time)
{
	if (!p)
		return 0; /* never a valid target */
	if (p->no_retarget || height == 0)
		return p->limit_bits;
	if (p->interval == 0 || height % p->interval != 0)
		return prev_bits;
	return retarget(p, prev_bits, first_time, last_time);
}
