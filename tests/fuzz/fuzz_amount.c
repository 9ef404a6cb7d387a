/* libFuzzer target for amounts coming in over the RPC and from options:
 * amount_parse on a decimal string, and amount_from_json on whatever JSON
 * value the text parses to (numbers reach it as doubles). Bit 0 of the
 * first input byte picks one; the rest is the text up to its first NUL.
 *
 * Besides "never crash, never leak, no UB": an accepted amount is in
 * 0 ..= AMOUNT_MAX and prints (amount_format) to a decimal that parses back
 * to the same units; a refusal gives 0 units and a reason. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/amount.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int r, int64_t v, const char *err)
{
	char text[AMOUNT_STR_LEN], why[ERR_LEN] = "";
	int64_t back = -1;
	if (r != 0) {
		if (r != -1 || v != 0 || err[0] == '\0')
			abort();
		return;
	}
	if (v < 0 || v > AMOUNT_MAX)
		abort();
	amount_format(text, sizeof(text), v);
	if (amount_parse(&back, text, why) != 0 || back != v)
		abort();
	cJSON *raw = amount_to_json(v);
	if (!raw || amount_from_json(&back, raw, why) != 0 || back != v)
		abort();
	cJSON_Delete(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *s = malloc(size), err[ERR_LEN] = "";
	int64_t v = -1;
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (data[0] & 1) {
		check(amount_parse(&v, s, err), v, err);
	} else {
		cJSON *j = cJSON_Parse(s);
		check(amount_from_json(&v, j, err), v, err);
		cJSON_Delete(j);
	}
	free(s);
	return 0;
}
