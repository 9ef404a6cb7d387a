#include "rpc/amount.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AMOUNT_DECIMALS 8
/* Longer text is refused outright, so the digit buffer below is bounded;
 * no sensible amount needs more. */
#define AMOUNT_TEXT_MAX 64
/* Exponent digits beyond this could only overflow or underflow. */
#define AMOUNT_EXP_DIGITS 4

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads the JSON number grammar (-? int frac? exp?) into significant digits
 * and a power of ten: value = digits * 10^*exp. Leading zeros are not
 * stored; false when the text breaks the grammar. */
static bool split_decimal(const char *p, bool *neg, char *digs, int *nd, int *exp)
{
	int e = 0, n = 0;
	*neg = (*p == '-');
	if (*neg)
		p++;
	if (*p == '0')
		p++;
	else if (is_digit(*p))
		while (is_digit(*p))
			digs[n++] = *p++;
	else
		return false;
	if (*p == '.') {
		if (!is_digit(*++p))
			return false;
		for (; is_digit(*p); p++, e--)
			if (n > 0 || *p != '0')
				digs[n++] = *p;
	}
	if (*p == 'e' || *p == 'E') {
		int sign = 1, x = 0, k = 0;
		p++;
		if (*p == '+' || *p == '-')
			sign = (*p++ == '-') ? -1 : 1;
		if (!is_digit(*p))
			return false;
		for (; is_digit(*p); p++, k++) {
			if (k == AMOUNT_EXP_DIGITS)
				return false;
			x = x * 10 + (*p - '0');
		}
		e += sign * x;
	}
	*nd = n;
	*exp = e;
	return *p == '\0';
}

int amount_parse(int64_t *out, const char *s, char *err)
{
	char digs[AMOUNT_TEXT_MAX];
	int nd, e;
	bool neg;
	uint64_t v = 0;

	*out = 0;
	if (!s || strlen(s) > AMOUNT_TEXT_MAX)
		return err_set(err, "invalid amount: not a decimal number");
	if (!split_decimal(s, &neg, digs, &nd, &e))
		return err_set(err, "invalid amount '%s': not a decimal number", s);
	while (nd > 0 && digs[nd - 1] == '0') {
		nd--;
		e++;
	}
	if (nd == 0)
		return 0; /* zero, "-0" included */
	if (neg)
		return err_set(err, "amount out of range");
	if (e + AMOUNT_DECIMALS < 0)
		return err_set(err, "invalid amount '%s': more than %d decimals", s,
			       AMOUNT_DECIMALS);
	/* AMOUNT_MAX has 16 digits in units: anything longer is out of range,
	 * and anything shorter fits a uint64_t below. */
	if (nd + e + AMOUNT_DECIMALS > 16)
		return err_set(err, "amount out of range");
	for (int i = 0; i < nd; i++)
		v = v * 10 + (uint64_t)(digs[i] - '0');
	for (int i = 0; i < e + AMOUNT_DECIMALS; i++)
		v *= 10;
	if (v > (uint64_t)AMOUNT_MAX)
		return err_set(err, "amount out of range");
	*out = (int64_t)v;
	return 0;
}

/* The shortest "%.*g" text that reads back as d exactly. For a value with at
 * most 8 decimals below 2^53 units this is the value itself: neighbouring
 * doubles are closer together than 1e-8 there, so no shorter or different
 * decimal can map to the same double. */
static void shortest_double(char *out, size_t len, double d)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, len, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
}

int amount_from_json(int64_t *out, const cJSON *v, char *err)
{
	char text[40];

	*out = 0;
	if (cJSON_IsString(v) || cJSON_IsRaw(v))
		return amount_parse(out, v->valuestring, err);
	if (!cJSON_IsNumber(v))
		return err_set(err, "amount is not a number or string");
	if (!isfinite(v->valuedouble))
		return err_set(err, "invalid amount: not a finite number");
	shortest_double(text, sizeof(text), v->valuedouble);
	return amount_parse(out, text, err);
}

void amount_format(char *out, size_t len, int64_t units)
{
	/* Through uint64_t so that INT64_MIN has a magnitude too. */
	uint64_t mag = units < 0 ? (uint64_t)0 - (uint64_t)units : (uint64_t)units;
	uint64_t per = (uint64_t)AMOUNT_UNITS_PER_CRN;

	if (!out || len == 0)
		return;
	snprintf(out, len, "%s%" PRIu64 ".%08" PRIu64, units < 0 ? "-" : "",
		 mag / per, mag % per);
}

cJSON *amount_to_json(int64_t units)
{
	char text[AMOUNT_STR_LEN];

	amount_format(text, sizeof(text), units);
	return cJSON_CreateRaw(text);
}
