/* libFuzzer target for the asset proof bundle that `cairn-cli
 * verifyassetproof FILE` checks with no node at all: the file is whatever
 * an attacker hands over. The input is the file's text; it goes through
 * cJSON, proof_json_decode, proof_asset_verify and, when it verifies,
 * proof_asset_report, as the command does.
 *
 * Besides "never crash, never leak": a refusal leaves the bundle empty and
 * says why; an accepted bundle prints to JSON that reads back to a bundle
 * printing the same (one meaning per bundle); verification answers true
 * with a consistent summary and a report, or false with a reason. Seed it
 * with a real bundle (getassetproof on a regtest node, or the bundle of
 * tests/unit/test_proof.c) so that the fuzzer starts past the JSON shape. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/proof_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *print_bundle(const struct proof_bundle *b)
{
	cJSON *j = proof_json_encode(b);
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	if (!s)
		abort();
	cJSON_Delete(j);
	return s;
}

static void check_round_trip(const struct proof_bundle *b)
{
	char err[ERR_LEN] = "";
	struct proof_bundle back;
	char *s1 = print_bundle(b);
	cJSON *j = cJSON_Parse(s1);
	if (!j || proof_json_decode(&back, j, err) != 0)
		abort();
	char *s2 = print_bundle(&back);
	if (strcmp(s1, s2) != 0)
		abort();
	cJSON_Delete(j);
	cJSON_free(s1);
	cJSON_free(s2);
	proof_bundle_release(&back);
}

static void check_verify(struct proof_bundle *b)
{
	char err[ERR_LEN] = "";
	struct proof_summary sum;
	if (!proof_asset_verify(b, &sum, err)) {
		if (err[0] == '\0')
			abort();
		return;
	}
	if (sum.confirmations != b->n_headers || sum.tip_height - sum.first_height + 1 != sum.confirmations)
		abort();
	for (size_t k = 0; k < b->n_steps; k++)
		if (b->steps[k].has_from != (k > 0))
			abort();
	char *report = proof_asset_report(b, &sum);
	if (!report)
		abort();
	free(report);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proof_bundle b, empty;
	char err[ERR_LEN] = "";
	cJSON *j = cJSON_ParseWithLength((const char *)data, size);
	proof_bundle_init(&empty);
	if (proof_json_decode(&b, j, err) != 0) {
		if (memcmp(&b, &empty, sizeof(empty)) != 0 || err[0] == '\0')
			abort();
		cJSON_Delete(j);
		return 0;
	}
	cJSON_Delete(j);
	check_round_trip(&b);
	check_verify(&b);
	proof_bundle_release(&b);
	return 0;
}
