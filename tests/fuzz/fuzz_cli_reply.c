/* libFuzzer target for what cairn-cli reads from outside: the server's
 * reply body (cliargs_reply, then cliargs_format on the result, as the
 * command prints it) and a command-line word (cliargs_value). Bit 0 of the
 * first input byte picks one; the rest is the body, or the word up to its
 * first NUL.
 *
 * Besides "never crash, never leak": a reply is 0 with a result, 1 with a
 * message, or -1 with a reason and every output cleared; a word always
 * gives a value, and a word that is no JSON comes back as the same string. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/cliargs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_reply(const char *body, size_t len)
{
	cJSON *result = (cJSON *)1;
	char *message = (char *)1;
	int code = 7;
	char err[ERR_LEN] = "";
	int r = cliargs_reply(&result, &code, &message, body, len, err);
	if (r == 0) {
		if (!result || message || code != 0)
			abort();
		char *text = cliargs_format(result);
		if (!text)
			abort();
		free(text);
		cJSON_Delete(result);
	} else if (r == 1) {
		if (result || !message)
			abort();
		free(message);
	} else if (r != -1 || result || message || code != 0 || err[0] == '\0') {
		abort();
	}
}

static void fuzz_word(const char *word)
{
	cJSON *v = cliargs_value(word);
	if (!v)
		abort();
	cJSON *parsed = cJSON_Parse(word);
	if (!parsed && (!cJSON_IsString(v) || strcmp(v->valuestring, word) != 0))
		abort();
	char *text = cJSON_PrintUnformatted(v);
	if (!text)
		abort();
	cJSON_free(text);
	cJSON_Delete(parsed);
	cJSON_Delete(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (data[0] & 1)
		fuzz_word(s);
	else
		fuzz_reply(s, size - 1);
	free(s);
	return 0;
}
