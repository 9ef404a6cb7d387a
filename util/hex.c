#include "util/hex.h"

#include <stdlib.h>
#include <string.h>

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void hex_encode(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static bool decode(uint8_t *out, size_t len, const char *hex)
{
	for (size_t i = 0; i < len; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool hex_decode(uint8_t *out, size_t len, const char *hex)
{
	if (!hex || strlen(hex) != 2 * len || !decode(out, len, hex)) {
		memset(out, 0, len);
		return false;
	}
	return true;
}

uint8_t *hex_decode_alloc(const char *hex, size_t *len)
{
	size_t n = hex ? strlen(hex) : 1;
	*len = 0;
	if (n % 2)
		return NULL;
	uint8_t *out = malloc(n / 2 + 1);
	if (!out || !decode(out, n / 2, hex)) {
		free(out);
		return NULL;
	}
	*len = n / 2;
	return out;
}

char *hex_alloc(const uint8_t *in, size_t len)
{
	char *s = malloc(2 * len + 1);
	if (s)
		hex_encode(s, in, len);
	return s;
}
