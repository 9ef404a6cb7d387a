#include "rpc/cli_own.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "chain/address.h"
#include "chain/ownership.h"
#include "chain/proof2.h"
#include "rpc/cli_impl.h"
#include "rpc/proof2_json.h"
#include "util/hex.h"

/* The JSON of a file of at most max bytes; NULL with err filled. */
static cJSON *read_json(const char *path, size_t max, char *err)
{
	size_t len;
	char *text = cli_read_file(path, max, &len, err);
	if (!text)
		return NULL;
	cJSON *j = cJSON_ParseWithLength(text, len);
	free(text);
	if (!j)
		err_set(err, "'%s' is not JSON", path);
	return j;
}

static const char *str_field(const cJSON *j, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A field of exactly n bytes as 2n hex digits. */
static int hex_field(uint8_t *out, size_t n, const cJSON *j, const char *name, const char *file, char *err)
{
	const char *s = str_field(j, name);
	if (!s || !hex_decode(out, n, s))
		return err_set(err, "the %s file's '%s' is not %zu hexadecimal digits", file, name, 2 * n);
	return 0;
}

static int u32_field(uint32_t *out, const cJSON *j, const char *name, const char *file, char *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > UINT32_MAX || floor(v->valuedouble) != v->valuedouble)
		return err_set(err, "the %s file's '%s' is not a height", file, name);
	*out = (uint32_t)v->valuedouble;
	return 0;
}

/* The proof file's bundle, decoded by the one v2 decoder (which also
 * holds the file's copies of asset, tip and height to the bundle's) and
 * verified: a custody proof, every sample it carries checked. */
static int load_proof(struct proof2 *b, struct proof2_summary *sum, const cJSON *j, char *err)
{
	char why[ERR_LEN];
	if (cJSON_GetObjectItemCaseSensitive(j, "member"))
		return err_set(err, "a batch member's proof needs the batch check, which this build lacks");
	if (proof2_json_decode(b, j, why) != 0)
		return err_set(err, "the proof file is malformed: %s", why);
	if (b->kind != PROOF2_CUSTODY)
		return err_set(err, "the proof is not of an asset's custody (an absence proof proves no owner)");
	if (!proof2_verify(b, b->n_samples ? b->n_samples : 1, sum, why))
		return err_set(err, "the proof bundle does not verify: %s", why);
	return 0;
}

/* The ownership file's claim; the owner's address is read as one of the
 * proof's network (p). *challenge points into j. */
static int load_claim(struct ownership_claim *c, const char **challenge, const cJSON *j,
		      const struct chain_params *p, char *err)
{
	const char *owner = str_field(j, "owner");
	char why[ERR_LEN];
	memset(c, 0, sizeof(*c));
	*challenge = str_field(j, "challenge");
	if (!*challenge)
		return err_set(err, "the ownership file has no 'challenge' string");
	if (hex_field(c->asset, 32, j, "asset", "ownership", err) != 0 ||
	    hex_field(c->tip, 32, j, "tip", "ownership", err) != 0 ||
	    u32_field(&c->height, j, "height", "ownership", err) != 0 ||
	    hex_field(c->pubkey, 32, j, "pubkey", "ownership", err) != 0 ||
	    hex_field(c->sig, 64, j, "signature", "ownership", err) != 0)
		return -1;
	if (!owner || address_decode(c->owner, p->hrp, owner, why) != 0)
		return err_set(err, "the ownership file's owner is not an address of %s: %s", p->name,
			       owner ? why : "missing");
	return 0;
}

static int check(struct proof2 *b, struct proof2_summary *sum, struct ownership_claim *c, const char **challenge,
		 const cJSON *sig, const cJSON *proof, char *err)
{
	if (load_proof(b, sum, proof, err) != 0 || load_claim(c, challenge, sig, b->p, err) != 0)
		return -1;
	if (!ownership_check(c, *challenge, strlen(*challenge), err) || !ownership_match_proof(c, b->asset, sum, err))
		return -1;
	return 0;
}

static void print_proven(const struct proof2 *b, const struct proof2_summary *sum, const struct ownership_claim *c,
			 const char *challenge)
{
	char asset[65], tip[65], addr[ADDRESS_MAX_LEN];
	hex_encode(asset, c->asset, 32);
	hex_encode(tip, sum->tip_hash, 32);
	if (address_encode(addr, sizeof(addr), b->p->hrp, c->owner) != 0)
		snprintf(addr, sizeof(addr), "?");
	printf("ownership proven\n"
	       "asset:     %s\n"
	       "owner:     %s\n"
	       "tip:       %s (height %u, %s, %zu samples)\n"
	       "challenge: %s\n"
	       "The holder of the owner's key signed this challenge, naming this tip; the bundle proves that\n"
	       "address the asset's owner at that tip. It does not prove the key is still held, nor that no\n"
	       "block after the tip moved the asset.\n",
	       asset, addr, tip, (unsigned)sum->tip_height, b->p->name, sum->samples, challenge);
}

int cli_own_verify(char **words, size_t n)
{
	char err[ERR_LEN] = "";
	struct proof2 b;
	struct proof2_summary sum;
	struct ownership_claim c;
	const char *challenge = NULL;
	if (n != 2) {
		fprintf(stderr, "error: usage: cairn-cli verifyassetownership SIGFILE PROOFFILE\n");
		return 1;
	}
	proof2_init(&b);
	memset(&sum, 0, sizeof(sum));
	cJSON *sig = read_json(words[0], CLI_OWN_MAX_SIG_FILE, err);
	cJSON *proof = sig ? read_json(words[1], CLI_MAX_PROOF_FILE, err) : NULL;
	int rc = sig && proof ? check(&b, &sum, &c, &challenge, sig, proof, err) : -1;
	if (rc == 0)
		print_proven(&b, &sum, &c, challenge);
	else
		fprintf(stderr, "error: ownership refused: %s\n", err);
	cJSON_Delete(sig);
	cJSON_Delete(proof);
	proof2_release(&b);
	return rc == 0 ? 0 : 1;
}
