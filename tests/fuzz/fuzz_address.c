/* libFuzzer target for the address text a user or an RPC caller types:
 * bech32_decode (the checksum layer) and address_decode (network, version,
 * payload) on the same string, under both networks' HRPs. The first input
 * byte is a mode: with bit 0 clear the rest is the string up to its first
 * NUL; with bit 0 set the rest is an HRP, a '1' and 5-bit data that the
 * harness turns into a string with a valid checksum (bit 1: in uppercase),
 * so that the fuzzer gets past the checksum.
 *
 * Besides "never crash, never leak": an accepted string encodes back to
 * itself in lowercase; an accepted address is a 20-byte hash that encodes
 * back to the string in lowercase; a refusal clears its outputs and says
 * why. */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/address.h"
#include "util/bech32.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void lower(char *out, const char *s)
{
	size_t i = 0;
	for (; s[i]; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

static void check_bech32(const char *str, const char *low)
{
	char hrp[BECH32_HRP_MAX + 1], back[BECH32_MAX_LEN + 1], err[ERR_LEN] = "";
	uint8_t d[BECH32_DATA_MAX];
	size_t n = sizeof(d);
	if (bech32_decode(hrp, sizeof(hrp), d, &n, str, err) != 0) {
		if (hrp[0] != '\0' || n != 0 || err[0] == '\0')
			abort();
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (d[i] >= 32)
			abort();
	if (bech32_encode(back, sizeof(back), hrp, d, n, err) != 0 || strcmp(back, low) != 0)
		abort();
}

static void check_address(const char *str, const char *low, const char *net)
{
	static const uint8_t zero[ADDRESS_HASH_LEN];
	uint8_t hash[ADDRESS_HASH_LEN];
	char back[ADDRESS_MAX_LEN], err[ERR_LEN] = "";
	if (address_decode(hash, net, str, err) != 0) {
		if (memcmp(hash, zero, sizeof(zero)) != 0 || err[0] == '\0')
			abort();
		return;
	}
	if (address_encode(back, sizeof(back), net, hash) != 0 || strcmp(back, low) != 0)
		abort();
}

/* "hrp1<5-bit values>" with the right checksum; false if it cannot be one. */
static bool make_valid(char *out, size_t out_len, const char *spec, bool upper)
{
	char hrp[BECH32_HRP_MAX + 1];
	uint8_t d[BECH32_DATA_MAX];
	const char *sep = strchr(spec, '1');
	if (!sep || (size_t)(sep - spec) > BECH32_HRP_MAX)
		return false;
	memcpy(hrp, spec, (size_t)(sep - spec));
	hrp[sep - spec] = '\0';
	size_t n = strlen(sep + 1);
	if (n > BECH32_DATA_MAX)
		n = BECH32_DATA_MAX;
	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)sep[1 + i] & 31;
	if (bech32_encode(out, out_len, hrp, d, n, NULL) != 0)
		return false;
	for (size_t i = 0; upper && out[i]; i++)
		out[i] = (char)toupper((unsigned char)out[i]);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char spec[256], made[BECH32_MAX_LEN + 1];
	if (size < 1 || size > sizeof(spec))
		return 0;
	memcpy(spec, data + 1, size - 1);
	spec[size - 1] = '\0';
	const char *str = spec;
	if (data[0] & 1) {
		if (!make_valid(made, sizeof(made), spec, data[0] & 2))
			return 0;
		str = made;
	}
	char low[sizeof(spec)];
	lower(low, str);
	check_bech32(str, low);
	check_address(str, low, ADDRESS_HRP_MAIN);
	check_address(str, low, ADDRESS_HRP_REGTEST);
	return 0;
}
