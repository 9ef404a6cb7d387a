#include "chain/u256.h"

#include <string.h>

#include "util/hex.h"

void u256_zero(struct u256 *out)
{
	memset(out, 0, sizeof(*out));
}

void u256_from_u64(struct u256 *out, uint64_t v)
{
	u256_zero(out);
	out->w[0] = (uint32_t)v;
	out->w[1] = (uint32_t)(v >> 32);
}

void u256_from_be(struct u256 *out, const uint8_t in[U256_BYTES])
{
	struct u256 r;
	for (int i = 0; i < U256_LIMBS; i++) {
		const uint8_t *p = in + U256_BYTES - 4 * (i + 1);
		r.w[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	}
	*out = r;
}

void u256_to_be(uint8_t out[U256_BYTES], const struct u256 *a)
{
	struct u256 r = *a;
	for (int i = 0; i < U256_LIMBS; i++) {
		uint8_t *p = out + U256_BYTES - 4 * (i + 1);
		p[0] = (uint8_t)(r.w[i] >> 24);
		p[1] = (uint8_t)(r.w[i] >> 16);
		p[2] = (uint8_t)(r.w[i] >> 8);
		p[3] = (uint8_t)r.w[i];
	}
}

void u256_hex(char out[U256_HEX_LEN + 1], const struct u256 *a)
{
	uint8_t be[U256_BYTES];
	u256_to_be(be, a);
	hex_encode(out, be, sizeof(be));
}

bool u256_from_hex(struct u256 *out, const char *hex)
{
	uint8_t be[U256_BYTES];
	u256_zero(out);
	if (!hex || strlen(hex) != U256_HEX_LEN || !hex_decode(be, sizeof(be), hex))
		return false;
	u256_from_be(out, be);
	return true;
}

bool u256_is_zero(const struct u256 *a)
{
	uint32_t any = 0;
	for (int i = 0; i < U256_LIMBS; i++)
		any |= a->w[i];
	return any == 0;
}

int u256_cmp(const struct u256 *a, const struct u256 *b)
{
	for (int i = U256_LIMBS - 1; i >= 0; i--) {
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	}
	return 0;
}

uint64_t u256_low64(const struct u256 *a)
{
	return (uint64_t)a->w[1] << 32 | a->w[0];
}

unsigned u256_bits(const struct u256 *a)
{
	for (int i = U256_LIMBS - 1; i >= 0; i--) {
		for (int b = 31; b >= 0; b--) {
			if (a->w[i] >> b & 1)
				return (unsigned)(32 * i + b + 1);
		}
	}
	return 0;
}

bool u256_add(struct u256 *out, const struct u256 *a, const struct u256 *b)
{
	uint64_t carry = 0;
	for (int i = 0; i < U256_LIMBS; i++) {
		uint64_t s = (uint64_t)a->w[i] + b->w[i] + carry;
		out->w[i] = (uint32_t)s;
		carry = s >> 32;
	}
	return carry != 0;
}

bool u256_sub(struct u256 *out, const struct u256 *a, const struct u256 *b)
{
	uint64_t borrow = 0;
	for (int i = 0; i < U256_LIMBS; i++) {
		uint64_t d = (uint64_t)a->w[i] - b->w[i] - borrow;
		out->w[i] = (uint32_t)d;
		borrow = d >> 63; /* the subtraction wrapped below zero */
	}
	return borrow != 0;
}

void u256_not(struct u256 *out, const struct u256 *a)
{
	for (int i = 0; i < U256_LIMBS; i++)
		out->w[i] = ~a->w[i];
}

void u256_shl(struct u256 *out, const struct u256 *a, unsigned n)
{
	struct u256 r;
	unsigned limbs = n / 32, bits = n % 32;
	u256_zero(&r);
	for (unsigned i = limbs; i < U256_LIMBS; i++) {
		r.w[i] = a->w[i - limbs] << bits;
		if (bits && i > limbs)
			r.w[i] |= a->w[i - limbs - 1] >> (32 - bits);
	}
	*out = r;
}

void u256_shr(struct u256 *out, const struct u256 *a, unsigned n)
{
	struct u256 r;
	unsigned limbs = n / 32, bits = n % 32;
	u256_zero(&r);
	for (unsigned i = 0; i + limbs < U256_LIMBS; i++) {
		r.w[i] = a->w[i + limbs] >> bits;
		if (bits && i + limbs + 1 < U256_LIMBS)
			r.w[i] |= a->w[i + limbs + 1] << (32 - bits);
	}
	*out = r;
}

bool u256_mul_u64(struct u256 *out, const struct u256 *a, uint64_t m)
{
	struct u256 b;
	u256_from_u64(&b, m);
	return u256_mul(out, a, &b);
}

/* Schoolbook multiplication into all 16 limbs of the exact product, so that
 * overflow is read off the high half rather than guessed. */
bool u256_mul(struct u256 *out, const struct u256 *a, const struct u256 *b)
{
	uint32_t p[2 * U256_LIMBS] = {0};
	for (int i = 0; i < U256_LIMBS; i++) {
		uint64_t carry = 0;
		for (int j = 0; j < U256_LIMBS; j++) {
			uint64_t t = (uint64_t)a->w[i] * b->w[j] + p[i + j] + carry;
			p[i + j] = (uint32_t)t;
			carry = t >> 32;
		}
		p[i + U256_LIMBS] = (uint32_t)carry;
	}
	uint32_t high = 0;
	for (int i = U256_LIMBS; i < 2 * U256_LIMBS; i++)
		high |= p[i];
	memcpy(out->w, p, sizeof(out->w));
	return high != 0;
}

/* Restoring binary long division, one quotient bit per step from the top
 * significant bit of a: slow, but simple enough to be plainly exact. */
int u256_divmod(struct u256 *quot, struct u256 *rem, const struct u256 *a, const struct u256 *b)
{
	struct u256 q, r, num = *a, den = *b;
	u256_zero(&q);
	u256_zero(&r);
	if (quot)
		u256_zero(quot);
	if (rem)
		u256_zero(rem);
	if (u256_is_zero(&den))
		return -1;
	for (int bit = (int)u256_bits(&num) - 1; bit >= 0; bit--) {
		/* r never exceeds num >> bit, so the doubling cannot lose a
		 * bit even for a divisor above 2^255. */
		u256_shl(&r, &r, 1);
		r.w[0] |= num.w[bit / 32] >> (bit % 32) & 1;
		if (u256_cmp(&r, &den) >= 0) {
			(void)u256_sub(&r, &r, &den);
			q.w[bit / 32] |= (uint32_t)1 << (bit % 32);
		}
	}
	if (quot)
		*quot = q;
	if (rem)
		*rem = r;
	return 0;
}
