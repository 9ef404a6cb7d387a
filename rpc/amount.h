/* Amounts across the RPC boundary. In the code money is int64_t units
 * (1 CRN = 100,000,000 units); on the RPC it is a decimal CRN value with at
 * most 8 decimals, as in Bitcoin Core. cJSON keeps numbers as doubles, so
 * every amount goes in through amount_from_json and out through
 * amount_to_json, which never do arithmetic on a double. */
#ifndef CAIRN_RPC_AMOUNT_H
#define CAIRN_RPC_AMOUNT_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "util/err.h"

#define AMOUNT_UNITS_PER_CRN 100000000LL
#define AMOUNT_MAX (21000000LL * AMOUNT_UNITS_PER_CRN)
/* Longest amount_format output with its NUL: "-92233720368.54775808". */
#define AMOUNT_STR_LEN 24

/* Parses an amount given as a JSON number ("0.1", 1e-8), a decimal string
 * ("0.00000001", "21e6") or a raw number made by amount_to_json. Accepts
 * 0 ..= AMOUNT_MAX with at most 8 significant decimals (trailing zeros are
 * fine); refuses negatives, more decimals, NaN/infinity, hex, empty or
 * padded strings. Returns 0 with *out set, or -1 with *out = 0 and err
 * filled ("amount out of range", "invalid amount '...'...").
 *
 * A JSON number reaches us only as its double. It is read back through the
 * shortest decimal that maps to the same double, which is exact for every
 * value with at most 8 decimals in range, but digits past a double's
 * precision in the request text are gone before we see them: callers who
 * need to reject "0.100000000000000001" must send amounts as strings. */
int amount_from_json(int64_t *out, const cJSON *v, char *err) WUR;

/* Parses a decimal string as amount_from_json does (the -named and config
 * path, and the core of the JSON path). */
int amount_parse(int64_t *out, const char *s, char *err) WUR;

/* Writes units as CRN with exactly 8 decimals ("50.00000000",
 * "-0.00001000") into out; any int64_t is allowed. Truncates to len (with
 * a NUL) when out is too small; AMOUNT_STR_LEN always suffices. */
void amount_format(char *out, size_t len, int64_t units);

/* A new JSON number item that prints exactly as amount_format does
 * (cJSON_Raw, so cJSON never reformats it through a double). The caller
 * owns it; NULL when out of memory. */
cJSON *amount_to_json(int64_t units);

#endif
