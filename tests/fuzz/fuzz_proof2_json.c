/* libFuzzer target for the v2 proof file as `cairn-cli verifyassetproof
 * FILE` reads it with no node: the JSON of rpc/proof2_json.h around the
 * binary bundle, whatever an attacker hands over. The input is the file's
 * text; it goes through cJSON, proof2_json_decode, proof2_verify and, when
 * it verifies, proof2_report, as the command does (fuzz_proof2 takes the
 * bundle's bytes alone).
 *
 * Besides "never crash, never leak": a refusal leaves the bundle empty and
 * says why; an accepted file prints (proof2_json_encode) to JSON that
 * reads back to a bundle printing the same (one meaning per file), whose
 * binary bundle is the same bytes; verification answers true with a
 * summary for the bundle's tip and a report, or false with a reason. Seed
 * it with getassetproof ID 2 and getassetabsenceproof on a regtest node. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "chain/proof2.h"
#include "rpc/proof2_json.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *print_file(const struct proof2 *b)
{
	cJSON *j = proof2_json_encode(b);
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	if (!s)
		abort();
	cJSON_Delete(j);
	return s;
}

static void same_bundle(const struct proof2 *a, const struct proof2 *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	proof2_write(&x, a);
	proof2_write(&y, b);
	if (!buf_ok(&x) || !buf_ok(&y) || x.len != y.len || memcmp(x.data, y.data, x.len) != 0)
		abort();
	buf_release(&x);
	buf_release(&y);
}

static void check_round_trip(const struct proof2 *b)
{
	char err[ERR_LEN] = "";
	struct proof2 back;
	char *s1 = print_file(b);
	cJSON *j = cJSON_Parse(s1);
	if (!j || proof2_json_decode(&back, j, err) != 0)
		abort();
	char *s2 = print_file(&back);
	if (strcmp(s1, s2) != 0)
		abort();
	same_bundle(b, &back);
	cJSON_Delete(j);
	cJSON_free(s1);
	cJSON_free(s2);
	proof2_release(&back);
}

static void check_verify(struct proof2 *b)
{
	char err[ERR_LEN] = "";
	struct proof2_summary sum;
	if (!proof2_verify(b, 1, &sum, err)) {
		if (err[0] == '\0')
			abort();
		return;
	}
	if (sum.tip_height != b->tip_height || sum.samples > b->n_samples)
		abort();
	char *report = proof2_report(b, &sum);
	if (!report)
		abort();
	free(report);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct proof2 empty;
	struct proof2 b;
	char err[ERR_LEN] = "";
	cJSON *j = cJSON_ParseWithLength((const char *)data, size);
	if (proof2_json_decode(&b, j, err) != 0) {
		if (memcmp(&b, &empty, sizeof(b)) != 0 || err[0] == '\0')
			abort();
		cJSON_Delete(j);
		return 0;
	}
	cJSON_Delete(j);
	check_round_trip(&b);
	check_verify(&b);
	proof2_release(&b);
	return 0;
}
