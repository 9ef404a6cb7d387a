/* cairn-cli verifyassetproof FILE [DOCUMENT]: a proof file of either
 * version checked with nothing but the file, the document and the
 * parameters of the network the file names: no node, no data directory,
 * no network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/cli_impl.h"
#include "rpc/proof2_json.h"
#include "rpc/proof_json.h"
#include "util/hex.h"

/* The document's SHA-256 must be the asset id the proof is about. */
static int check_document(const char *path, const uint8_t id[32], char *err)
{
	char hex[65], want[65];
	if (cli_hash_file(hex, path, err) != 0)
		return -1;
	hex_encode(want, id, 32);
	if (strcmp(hex, want) != 0)
		return err_set(err, "the SHA-256 of '%s' is %s, not the asset id %s", path, hex, want);
	return 0;
}

static int verify_v1(const cJSON *j, const char *doc, char *err)
{
	struct proof_bundle b;
	struct proof_summary sum;
	if (proof_json_decode(&b, j, err) != 0)
		return -1;
	int rc = proof_asset_verify(&b, &sum, err) ? 0 : -1;
	if (rc == 0 && doc)
		rc = check_document(doc, b.asset, err);
	char *report = rc == 0 ? proof_asset_report(&b, &sum) : NULL;
	proof_bundle_release(&b);
	if (rc == 0 && !report)
		return err_set(err, "out of memory");
	if (report) {
		fputs(report, stdout);
		if (doc)
			printf("document %s: its SHA-256 is the asset id\n", doc);
		free(report);
	}
	return rc;
}

static int verify_v2(const cJSON *j, const char *doc, char *err)
{
	struct proof2 b;
	struct proof2_summary sum;
	if (cJSON_GetObjectItemCaseSensitive(j, "member"))
		return err_set(err, "a batch member's proof needs the batch check, which this build lacks");
	if (proof2_json_decode(&b, j, err) != 0)
		return -1;
	int rc = proof2_verify(&b, 1, &sum, err) ? 0 : -1;
	if (rc == 0 && doc)
		rc = check_document(doc, b.asset, err);
	char *report = rc == 0 ? proof2_report(&b, &sum) : NULL;
	proof2_release(&b);
	if (rc == 0 && !report)
		return err_set(err, "out of memory");
	if (report) {
		fputs(report, stdout);
		if (doc)
			printf("document %s: its SHA-256 is the asset id\n", doc);
		free(report);
	}
	return rc;
}

int cli_verifyassetproof(char **words, size_t n)
{
	char err[ERR_LEN] = "";
	size_t len;
	if (n != 1 && n != 2) {
		fprintf(stderr, "error: usage: cairn-cli verifyassetproof FILE [DOCUMENT]\n");
		return 1;
	}
	char *text = cli_read_file(words[0], CLI_MAX_PROOF_FILE, &len, err);
	if (!text) {
		fprintf(stderr, "error: %s\n", err);
		return 1;
	}
	cJSON *j = cJSON_ParseWithLength(text, len);
	free(text);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "version");
	int rc;
	if (!j)
		rc = err_set(err, "'%s' is not JSON", words[0]);
	else if (cJSON_IsNumber(v) && v->valuedouble == PROOF2_VERSION)
		rc = verify_v2(j, n == 2 ? words[1] : NULL, err);
	else
		rc = verify_v1(j, n == 2 ? words[1] : NULL, err);
	cJSON_Delete(j);
	if (rc != 0) {
		fprintf(stderr, "error: proof refused: %s\n", err);
		return 1;
	}
	return 0;
}
