#include "util/bech32.h"

#include <string.h>

#define BECH32M_CONST 0x2bc830a3u

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* The inverse of charset for lowercase letters and digits; -1 elsewhere. */
static int charset_rev(unsigned char c)
{
	const char *p;

	if (c == 0 || !(p = strchr(charset, c)))
		return -1;
	return (int)(p - charset);
}

/* BIP-173's polymod, fed one 5-bit value at a time. */
static uint32_t polymod_step(uint32_t chk, uint8_t v)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3 };
	uint32_t b = chk >> 25;

	chk = ((chk & 0x1ffffff) << 5) ^ v;
	for (int i = 0; i < 5; i++)
		if ((b >> i) & 1)
			chk ^= gen[i];
	return chk;
}

/* The checksum state after the expanded HRP: high bits, a zero, low bits.
 * The HRP must already be lowercase, as the checksum is defined over it. */
static uint32_t polymod_hrp(const char *hrp, size_t len)
{
	uint32_t chk = 1;

	for (size_t i = 0; i < len; i++)
		chk = polymod_step(chk, (uint8_t)((unsigned char)hrp[i] >> 5));
	chk = polymod_step(chk, 0);
	for (size_t i = 0; i < len; i++)
		chk = polymod_step(chk, (uint8_t)((unsigned char)hrp[i] & 31));
	return chk;
}

static bool hrp_char_ok(unsigned char c)
{
	return c >= 33 && c <= 126;
}

static int encode_check(size_t out_len, const char *hrp, size_t hrp_len, const uint8_t *data, size_t data_len,
			char *err)
{
	if (hrp_len < 1 || hrp_len > BECH32_HRP_MAX)
		return err_set(err, "cannot encode bech32m: hrp length %zu not in 1..%d", hrp_len, BECH32_HRP_MAX);
	for (size_t i = 0; i < hrp_len; i++) {
		unsigned char c = (unsigned char)hrp[i];
		if (!hrp_char_ok(c) || (c >= 'A' && c <= 'Z'))
			return err_set(err, "cannot encode bech32m: hrp character %zu invalid", i);
	}
	if (data_len > BECH32_MAX_LEN - 1 - BECH32_CHECKSUM_LEN - hrp_len)
		return err_set(err, "cannot encode bech32m: result longer than %d characters", BECH32_MAX_LEN);
	for (size_t i = 0; i < data_len; i++)
		if (data[i] > 31)
			return err_set(err, "cannot encode bech32m: data value %zu above 31", i);
	if (out_len < hrp_len + 1 + data_len + BECH32_CHECKSUM_LEN + 1)
		return err_set(err, "cannot encode bech32m: output buffer too small");
	return 0;
}

int bech32_encode(char *out, size_t out_len, const char *hrp, const uint8_t *data, size_t data_len, char *err)
{
	if (out && out_len)
		out[0] = '\0';
	if (!out || !hrp || (!data && data_len))
		return err_set(err, "cannot encode bech32m: null argument");
	size_t hrp_len = strlen(hrp);
	if (encode_check(out_len, hrp, hrp_len, data, data_len, err) < 0)
		return -1;

	uint32_t chk = polymod_hrp(hrp, hrp_len);
	char *p = out;
	memcpy(p, hrp, hrp_len);
	p += hrp_len;
	*p++ = '1';
	for (size_t i = 0; i < data_len; i++) {
		chk = polymod_step(chk, data[i]);
		*p++ = charset[data[i]];
	}
	for (int i = 0; i < BECH32_CHECKSUM_LEN; i++)
		chk = polymod_step(chk, 0);
	chk ^= BECH32M_CONST;
	for (int i = 0; i < BECH32_CHECKSUM_LEN; i++)
		*p++ = charset[(chk >> (5 * (5 - i))) & 31];
	*p = '\0';
	return 0;
}

/* The checks on the whole string that come before any splitting: length,
 * printable ASCII, one case. */
static int decode_scan(const char *str, size_t len, char *err)
{
	bool lower = false, upper = false;

	if (len > BECH32_MAX_LEN)
		return err_set(err, "invalid bech32m string: too long (%zu characters, at most %d)", len,
			       BECH32_MAX_LEN);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)str[i];
		if (!hrp_char_ok(c))
			return err_set(err, "invalid bech32m string: character out of range at position %zu", i);
		lower |= c >= 'a' && c <= 'z';
		upper |= c >= 'A' && c <= 'Z';
	}
	if (lower && upper)
		return err_set(err, "invalid bech32m string: mixed case");
	return 0;
}

/* Lowercases and checks the data part, appending each value to the checksum
 * and all but the last six to data. */
static int decode_data(uint8_t *data, size_t *data_len, uint32_t *chk, const char *part, size_t part_len,
		       char *err)
{
	size_t n = part_len - BECH32_CHECKSUM_LEN;

	if (n > *data_len)
		return err_set(err, "cannot decode bech32m: data buffer too small (%zu values)", n);
	for (size_t i = 0; i < part_len; i++) {
		unsigned char c = (unsigned char)part[i];
		int v = charset_rev((c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c);
		if (v < 0)
			return err_set(err, "invalid bech32m string: invalid data character at position %zu", i);
		*chk = polymod_step(*chk, (uint8_t)v);
		if (i < n)
			data[i] = (uint8_t)v;
	}
	*data_len = n;
	return 0;
}

int bech32_decode(char *hrp, size_t hrp_len, uint8_t *data, size_t *data_len, const char *str, char *err)
{
	size_t cap = data_len ? *data_len : 0;

	if (hrp && hrp_len)
		hrp[0] = '\0';
	if (data_len)
		*data_len = 0;
	if (!hrp || !data_len || (!data && cap) || !str)
		return err_set(err, "cannot decode bech32m: null argument");

	size_t len = strlen(str);
	if (decode_scan(str, len, err) < 0)
		return -1;
	const char *sep = strrchr(str, '1');
	if (!sep)
		return err_set(err, "invalid bech32m string: missing separator");
	size_t hlen = (size_t)(sep - str), part_len = len - hlen - 1;
	if (hlen == 0)
		return err_set(err, "invalid bech32m string: empty hrp");
	if (part_len < BECH32_CHECKSUM_LEN)
		return err_set(err, "invalid bech32m string: too short checksum");
	if (hlen >= hrp_len)
		return err_set(err, "cannot decode bech32m: hrp buffer too small");

	char lhrp[BECH32_MAX_LEN + 1];
	for (size_t i = 0; i < hlen; i++) {
		unsigned char c = (unsigned char)str[i];
		lhrp[i] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
	}
	lhrp[hlen] = '\0';
	uint32_t chk = polymod_hrp(lhrp, hlen);
	*data_len = cap;
	if (decode_data(data, data_len, &chk, sep + 1, part_len, err) < 0 ||
	    (chk != BECH32M_CONST && err_set(err, "invalid bech32m string: bad checksum"))) {
		if (cap)
			memset(data, 0, cap);
		*data_len = 0;
		return -1;
	}
	memcpy(hrp, lhrp, hlen + 1);
	return 0;
}

static int convert(uint8_t *out, size_t *n, size_t cap, unsigned to_bits, const uint8_t *in, size_t in_len,
		   unsigned from_bits, bool pad, char *err)
{
	const uint32_t maxv = (1u << to_bits) - 1;
	uint32_t acc = 0;
	unsigned bits = 0;

	for (size_t i = 0; i < in_len; i++) {
		if (in[i] >> from_bits)
			return err_set(err, "cannot convert bits: value %zu out of range", i);
		/* Never more than from_bits + to_bits - 1 <= 15 bits are pending. */
		acc = ((acc << from_bits) | in[i]) & 0xffffu;
		bits += from_bits;
		while (bits >= to_bits) {
			bits -= to_bits;
			if (*n == cap)
				return err_set(err, "cannot convert bits: output buffer too small");
			out[(*n)++] = (uint8_t)((acc >> bits) & maxv);
		}
	}
	if (pad && bits) {
		if (*n == cap)
			return err_set(err, "cannot convert bits: output buffer too small");
		out[(*n)++] = (uint8_t)((acc << (to_bits - bits)) & maxv);
	} else if (!pad && bits >= from_bits) {
		return err_set(err, "bad padding: %u bits left over", bits);
	} else if (!pad && ((acc << (to_bits - bits)) & maxv)) {
		return err_set(err, "bad padding: non-zero bits");
	}
	return 0;
}

int bech32_convert_bits(uint8_t *out, size_t *out_len, unsigned to_bits, const uint8_t *in, size_t in_len,
			unsigned from_bits, bool pad, char *err)
{
	size_t cap = out_len ? *out_len : 0, n = 0;

	if (out_len)
		*out_len = 0;
	if (!out_len || (!out && cap) || (!in && in_len))
		return err_set(err, "cannot convert bits: null argument");
	if (from_bits < 1 || from_bits > 8 || to_bits < 1 || to_bits > 8)
		return err_set(err, "cannot convert bits: group sizes %u, %u not in 1..8", from_bits, to_bits);
	if (convert(out, &n, cap, to_bits, in, in_len, from_bits, pad, err) < 0) {
		if (cap)
			memset(out, 0, cap);
		return -1;
	}
	*out_len = n;
	return 0;
}
