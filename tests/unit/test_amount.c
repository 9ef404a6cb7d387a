#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rpc/amount.h"

/* Parses one JSON text (a whole value) and returns what amount_from_json
 * made of it, or -1 when it refused; err gets the reason. */
static int64_t from_text(const char *json, char *err)
{
	cJSON *v = cJSON_Parse(json);
	int64_t units = 12345;
	int rc;

	assert_non_null(v);
	rc = amount_from_json(&units, v, err);
	cJSON_Delete(v);
	if (rc != 0) {
		assert_int_equal(units, 0); /* cleared on failure */
		return -1;
	}
	return units;
}

static void test_numbers_exact(void **state)
{
	char err[ERR_LEN];
	(void)state;
	assert_int_equal(from_text("0", err), 0);
	assert_int_equal(from_text("0.1", err), 10000000);
	assert_int_equal(from_text("0.2", err), 20000000);
	assert_int_equal(from_text("0.3", err), 30000000);
	assert_int_equal(from_text("0.00000001", err), 1);
	assert_int_equal(from_text("0.00000007", err), 7);
	assert_int_equal(from_text("1e-8", err), 1);
	assert_int_equal(from_text("50", err), 5000000000LL);
	assert_int_equal(from_text("50.0", err), 5000000000LL);
	assert_int_equal(from_text("1.23456789", err), 123456789);
	assert_int_equal(from_text("20999999.99999999", err), AMOUNT_MAX - 1);
	assert_int_equal(from_text("21000000", err), AMOUNT_MAX);
	assert_int_equal(from_text("2.1e7", err), AMOUNT_MAX);
	assert_int_equal(from_text("12345678.12345678", err), 1234567812345678LL);
	assert_int_equal(from_text("-0", err), 0);
	/* trailing zeros are not extra decimals */
	assert_int_equal(from_text("0.100000000000", err), 10000000);
}

/* Every value with 8 decimals in a sweep over the range must survive the
 * double that cJSON keeps: the property the whole module rests on. */
static void test_numbers_sweep(void **state)
{
	char text[AMOUNT_STR_LEN], err[ERR_LEN];
	(void)state;
	for (int64_t u = 0; u <= AMOUNT_MAX; u += 9876543211LL + (u % 7)) {
		for (int64_t d = 0; d < 3 && u + d <= AMOUNT_MAX; d++) {
			amount_format(text, sizeof(text), u + d);
			assert_int_equal(from_text(text, err), u + d);
		}
	}
	for (int64_t u = AMOUNT_MAX - 2000; u <= AMOUNT_MAX; u++) {
		amount_format(text, sizeof(text), u);
		assert_int_equal(from_text(text, err), u);
	}
}

static void test_strings(void **state)
{
	char err[ERR_LEN];
	(void)state;
	assert_int_equal(from_text("\"0.1\"", err), 10000000);
	assert_int_equal(from_text("\"0.00000001\"", err), 1);
	assert_int_equal(from_text("\"21000000.00000000\"", err), AMOUNT_MAX);
	assert_int_equal(from_text("\"1E2\"", err), 10000000000LL);
	assert_int_equal(from_text("\"100e-10\"", err), 1);
	assert_int_equal(from_text("\"0.000000010\"", err), 1);
}

static void test_refused(void **state)
{
	static const char *bad[] = {
		"-1", "-0.00000001", "\"-5\"", "21000000.00000001",
		"\"21000000.00000001\"", "1e300", "\"1e9999\"", "0.000000001",
		"\"0.000000001\"", "\"0.123456789\"", "1.000000005",
		"\"\"", "\" 1\"", "\"1 \"", "\"+1\"", "\".5\"", "\"5.\"",
		"\"01\"", "\"0x10\"", "\"1e\"", "\"1e+\"", "\"NaN\"",
		"\"inf\"", "\"abc\"", "\"1,5\"", "\"1..5\"", "true", "null",
		"[1]", "{}", "\"1e-99999\"",
		"\"1.0000000000000000000000000000000000000000000000000000000000000000001\"",
	};
	char err[ERR_LEN];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (from_text(bad[i], err) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_true(err[0] != '\0');
	}
}

static void test_reasons(void **state)
{
	char err[ERR_LEN];
	(void)state;
	from_text("-1", err);
	assert_string_equal(err, "amount out of range");
	from_text("21000000.00000001", err);
	assert_string_equal(err, "amount out of range");
	from_text("\"0.000000001\"", err);
	assert_non_null(strstr(err, "more than 8 decimals"));
	from_text("\"abc\"", err);
	assert_non_null(strstr(err, "not a decimal number"));
	from_text("true", err);
	assert_string_equal(err, "amount is not a number or string");
}

static void test_non_finite(void **state)
{
	char err[ERR_LEN];
	int64_t u = 7;
	cJSON *v = cJSON_CreateNumber(strtod("nan", NULL));
	(void)state;
	assert_int_equal(amount_from_json(&u, v, err), -1);
	assert_int_equal(u, 0);
	cJSON_Delete(v);
	v = cJSON_CreateNumber(strtod("inf", NULL));
	assert_int_equal(amount_from_json(&u, v, err), -1);
	cJSON_Delete(v);
	assert_int_equal(amount_from_json(&u, NULL, err), -1);
	assert_int_equal(amount_parse(&u, NULL, NULL), -1); /* NULL err is fine */
}

static void test_format(void **state)
{
	char s[AMOUNT_STR_LEN];
	(void)state;
	amount_format(s, sizeof(s), 0);
	assert_string_equal(s, "0.00000000");
	amount_format(s, sizeof(s), 1);
	assert_string_equal(s, "0.00000001");
	amount_format(s, sizeof(s), 5000000000LL);
	assert_string_equal(s, "50.00000000");
	amount_format(s, sizeof(s), AMOUNT_MAX - 1);
	assert_string_equal(s, "20999999.99999999");
	amount_format(s, sizeof(s), -1000);
	assert_string_equal(s, "-0.00001000");
	amount_format(s, sizeof(s), INT64_MIN);
	assert_string_equal(s, "-92233720368.54775808");
	amount_format(s, sizeof(s), INT64_MAX);
	assert_string_equal(s, "92233720368.54775807");
	amount_format(s, 4, 5000000000LL); /* truncated, still terminated */
	assert_string_equal(s, "50.");
}

static void test_to_json(void **state)
{
	char err[ERR_LEN];
	int64_t back;
	(void)state;
	int64_t cases[] = { 0, 1, 10000000, 5000000000LL, AMOUNT_MAX, -150000000 };
	const char *want[] = { "0.00000000", "0.00000001", "0.10000000",
			       "50.00000000", "21000000.00000000", "-1.50000000" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *obj = cJSON_CreateObject();
		cJSON *a = amount_to_json(cases[i]);
		char expect[64], *printed;
		assert_non_null(a);
		cJSON_AddItemToObject(obj, "amount", a);
		printed = cJSON_PrintUnformatted(obj);
		snprintf(expect, sizeof(expect), "{\"amount\":%s}", want[i]);
		assert_string_equal(printed, expect);
		/* what we print, a client reads back as a number of the same value */
		if (cases[i] >= 0) {
			cJSON *re = cJSON_Parse(printed);
			assert_true(cJSON_IsNumber(cJSON_GetObjectItem(re, "amount")));
			assert_int_equal(amount_from_json(&back, cJSON_GetObjectItem(re, "amount"), err), 0);
			assert_int_equal(back, cases[i]);
			assert_int_equal(amount_from_json(&back, a, err), 0);
			assert_int_equal(back, cases[i]);
			cJSON_Delete(re);
		}
		free(printed);
		cJSON_Delete(obj);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_exact),
		cmocka_unit_test(test_numbers_sweep),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_non_finite),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_to_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
