#include "chain/address.h"

#include <string.h>

#include "chain/hash.h"
#include "util/bech32.h"

/* 160 bits in 5-bit groups, no padding needed. */
#define HASH_GROUPS 32

int address_encode(char *out, size_t out_len, const char *hrp, const uint8_t hash[ADDRESS_HASH_LEN])
{
	uint8_t data[1 + HASH_GROUPS];
	size_t n = HASH_GROUPS;

	if (out && out_len)
		out[0] = '\0';
	if (!out || !hrp || !hash)
		return -1;
	data[0] = ADDRESS_VERSION;
	if (bech32_convert_bits(data + 1, &n, 5, hash, ADDRESS_HASH_LEN, 8, true, NULL) < 0)
		return -1;
	return bech32_encode(out, out_len, hrp, data, 1 + n, NULL);
}

/* The reason part of a lower layer's message ("invalid bech32m string:
 * mixed case" -> "mixed case"), so the caller reads one prefix. */
static const char *reason_of(const char *why)
{
	const char *p = strstr(why, ": ");

	return p ? p + 2 : why;
}

/* Checks what the bech32m layer cannot: network, version and payload. */
static int decode_payload(uint8_t hash[ADDRESS_HASH_LEN], const char *want_hrp, const char *got_hrp,
			  const uint8_t *data, size_t n, char *err)
{
	uint8_t bytes[BECH32_DATA_MAX];
	size_t len = sizeof(bytes);
	char why[ERR_LEN];

	if (strcmp(got_hrp, want_hrp) != 0)
		return err_set(err, "invalid address: wrong network (hrp '%s', expected '%s')", got_hrp, want_hrp);
	if (n == 0)
		return err_set(err, "invalid address: bad length (no version)");
	if (data[0] != ADDRESS_VERSION)
		return err_set(err, "invalid address: unknown version %u", data[0]);
	if (bech32_convert_bits(bytes, &len, 8, data + 1, n - 1, 5, false, why) < 0)
		return err_set(err, "invalid address: %s", why);
	if (len != ADDRESS_HASH_LEN)
		return err_set(err, "invalid address: bad length (%zu bytes, expected %d)", len, ADDRESS_HASH_LEN);
	memcpy(hash, bytes, ADDRESS_HASH_LEN);
	return 0;
}

int address_decode(uint8_t hash[ADDRESS_HASH_LEN], const char *hrp, const char *addr, char *err)
{
	char got[BECH32_HRP_MAX + 1];
	uint8_t data[BECH32_DATA_MAX];
	size_t n = sizeof(data);
	char why[ERR_LEN];

	if (hash)
		memset(hash, 0, ADDRESS_HASH_LEN);
	if (!hash || !hrp || !addr)
		return err_set(err, "invalid address: null argument");
	if (bech32_decode(got, sizeof(got), data, &n, addr, why) < 0)
		return err_set(err, "invalid address: %s", reason_of(why));
	return decode_payload(hash, hrp, got, data, n, err);
}

void address_hash_pubkey(uint8_t hash[ADDRESS_HASH_LEN], const uint8_t xonly[ADDRESS_XONLY_LEN])
{
	uint8_t full[HASH_LEN];

	hash_sha256(full, xonly, ADDRESS_XONLY_LEN);
	memcpy(hash, full, ADDRESS_HASH_LEN);
}
