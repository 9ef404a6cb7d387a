/* Bech32m (BIP-350): a human-readable part, a separator '1' and 5-bit data
 * protected by a 6-character BCH checksum, plus the 8 <-> 5 bit regrouping
 * that turns bytes into that data. This is the checksum layer only; what the
 * data means (version, hash) is chain/address.h's business.
 *
 * It lives in util/ because it knows nothing of chains, networks or keys:
 * a string codec like hex, usable by any layer. */
#ifndef CAIRN_UTIL_BECH32_H
#define CAIRN_UTIL_BECH32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Longest string BIP-173 allows, without the terminating NUL. */
#define BECH32_MAX_LEN 90
/* Checksum characters at the end of every string. */
#define BECH32_CHECKSUM_LEN 6
/* Longest HRP: the rest of the string needs the separator and a checksum. */
#define BECH32_HRP_MAX (BECH32_MAX_LEN - 1 - BECH32_CHECKSUM_LEN)
/* Most 5-bit values a string can carry besides the checksum. */
#define BECH32_DATA_MAX (BECH32_MAX_LEN - 2 - BECH32_CHECKSUM_LEN)

/* Encodes hrp (1..83 characters in 33..126, no uppercase) and data_len
 * values of data (each below 32) as a lowercase bech32m string into out,
 * which holds out_len bytes including the NUL. Returns 0, or -1 with err
 * filled and out set to "" (when out_len > 0) on bad input, a result longer
 * than 90 characters, or an out too small. */
int bech32_encode(char *out, size_t out_len, const char *hrp, const uint8_t *data, size_t data_len,
		  char *err) WUR;

/* Decodes the NUL-terminated bech32m string str. On success returns 0, puts
 * the HRP, lowercased and NUL-terminated, into hrp (hrp_len bytes), and the
 * 5-bit values without the checksum into data; *data_len holds data's
 * capacity on entry and the count on return. On failure returns -1, clears
 * hrp and *data_len, and fills err with one distinct reason: too long,
 * character out of range, mixed case, missing separator, empty hrp, too
 * short checksum, invalid data character, bad checksum (or, for the
 * caller's own mistake, a buffer too small). */
int bech32_decode(char *hrp, size_t hrp_len, uint8_t *data, size_t *data_len, const char *str,
		  char *err) WUR;

/* Regroups in_len values of from_bits bits each into values of to_bits bits
 * (1..8 each), most significant bit first, as BIP-173's convertbits does.
 * With pad, the last group is zero-filled; without, leftover bits must be
 * fewer than from_bits and all zero. *out_len holds out's capacity on entry
 * and the count on return. Returns 0, or -1 with *out_len 0 and err filled
 * on a value out of range, excess or non-zero padding, or a small out. */
int bech32_convert_bits(uint8_t *out, size_t *out_len, unsigned to_bits, const uint8_t *in, size_t in_len,
			unsigned from_bits, bool pad, char *err) WUR;

#endif
