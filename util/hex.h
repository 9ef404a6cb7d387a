#ifndef CAIRN_UTIL_HEX_H
#define CAIRN_UTIL_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Writes 2*len lowercase hex digits and a NUL into out (2*len+1 bytes). */
void hex_encode(char *out, const uint8_t *in, size_t len);
/* Decodes exactly 2*len hex digits (either case) from a NUL-terminated
 * string into out; false on a wrong length or a non-hex digit. */
bool hex_decode(uint8_t *out, size_t len, const char *hex) WUR;
/* Decodes a hex string of any even length into a malloc'd buffer; NULL on
 * bad input or no memory. */
uint8_t *hex_decode_alloc(const char *hex, size_t *len) WUR;
/* Returns a malloc'd hex string of in, NULL on no memory. */
char *hex_alloc(const uint8_t *in, size_t len);

#endif
