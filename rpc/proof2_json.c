#include "rpc/proof2_json.h"

#include <stdlib.h>
#include <string.h>

#include "rpc/proof_json.h"
#include "util/hex.h"

static const char *kind_name(uint8_t kind)
{
	return kind == PROOF2_ABSENCE ? "absence" : "custody";
}

static bool add_hex(cJSON *j, const char *key, const uint8_t *p, size_t n)
{
	char *h = hex_alloc(p, n);
	bool ok = h && cJSON_AddStringToObject(j, key, h);
	free(h);
	return ok;
}

cJSON *proof2_json_encode(const struct proof2 *b)
{
	struct buf raw = BUF_INIT;
	uint8_t tip[32];
	cJSON *j = cJSON_CreateObject();
	proof2_write(&raw, b);
	header_hash(tip, &b->tip);
	bool ok = j && buf_ok(&raw) && cJSON_AddStringToObject(j, "format", PROOF_FORMAT) &&
		  cJSON_AddNumberToObject(j, "version", PROOF2_VERSION) &&
		  cJSON_AddStringToObject(j, "network", b->p->name) &&
		  cJSON_AddStringToObject(j, "kind", kind_name(b->kind)) && add_hex(j, "asset", b->asset, 32) &&
		  add_hex(j, "tip", tip, 32) && cJSON_AddNumberToObject(j, "height", b->tip_height) &&
		  cJSON_AddNumberToObject(j, "samples", (double)b->n_samples) && add_hex(j, "bundle", raw.data, raw.len);
	buf_release(&raw);
	if (!ok) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static const char *const KEYS[] = { "format", "version", "network", "kind", "asset", "tip",
				    "height", "samples", "bundle", "member" };

static int check_keys(const cJSON *j, char *err)
{
	const cJSON *m;
	cJSON_ArrayForEach(m, j)
	{
		bool known = false;
		for (size_t i = 0; i < sizeof(KEYS) / sizeof(KEYS[0]) && !known; i++)
			known = m->string && strcmp(m->string, KEYS[i]) == 0;
		if (!known)
			return err_set(err, "unknown member '%.40s'", m->string ? m->string : "");
	}
	return 0;
}

static const char *str_of(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool num_is(const cJSON *j, const char *key, double want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	return cJSON_IsNumber(v) && v->valuedouble == want;
}

static bool hex_is(const cJSON *j, const char *key, const uint8_t want[32])
{
	uint8_t got[32];
	const char *s = str_of(j, key);
	return s && strlen(s) == 64 && hex_decode(got, 32, s) && memcmp(got, want, 32) == 0;
}

/* The copies in the file agree with the bundle. */
static int check_copies(const cJSON *j, const struct proof2 *b, char *err)
{
	uint8_t tip[32];
	const char *s;
	header_hash(tip, &b->tip);
	if (!(s = str_of(j, "network")) || strcmp(s, b->p->name) != 0)
		return err_set(err, "'network' is not the bundle's");
	if (!(s = str_of(j, "kind")) || strcmp(s, kind_name(b->kind)) != 0)
		return err_set(err, "'kind' is not the bundle's");
	if (!hex_is(j, "asset", b->asset))
		return err_set(err, "'asset' is not the bundle's");
	if (!hex_is(j, "tip", tip))
		return err_set(err, "'tip' is not the bundle's tip");
	if (!num_is(j, "height", b->tip_height) || !num_is(j, "samples", (double)b->n_samples))
		return err_set(err, "'height' or 'samples' is not the bundle's");
	return 0;
}

int proof2_json_decode(struct proof2 *out, const cJSON *j, char *err)
{
	const char *s;
	size_t len;
	proof2_init(out);
	if (!cJSON_IsObject(j))
		return err_set(err, "a proof file is a JSON object");
	if (check_keys(j, err) != 0)
		return -1;
	if (!(s = str_of(j, "format")) || strcmp(s, PROOF_FORMAT) != 0)
		return err_set(err, "'format' is not '%s'", PROOF_FORMAT);
	if (!num_is(j, "version", PROOF2_VERSION))
		return err_set(err, "'version' is not 2");
	if (!(s = str_of(j, "bundle")) || strlen(s) > PROOF2_JSON_MAX_HEX)
		return err_set(err, "'bundle' must be hex of at most %u digits", PROOF2_JSON_MAX_HEX);
	uint8_t *raw = hex_decode_alloc(s, &len);
	if (!raw)
		return err_set(err, "'bundle' is not lowercase hex");
	int r = proof2_parse(out, raw, len, err);
	free(raw);
	if (r == 0 && (r = check_copies(j, out, err)) != 0)
		proof2_release(out);
	return r;
}
