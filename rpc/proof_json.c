#include "rpc/proof_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/grow.h"
#include "util/hex.h"

/* ---- strict hex: lowercase only, so that no two spellings mean the same bytes ---- */

static bool lower_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool hex_exact(uint8_t *out, size_t len, const char *s)
{
	return s && strlen(s) == 2 * len && lower_hex(s, 2 * len) && hex_decode(out, len, s);
}

/* ---- writing ---- */

static bool add_hex(cJSON *o, const char *name, const uint8_t *p, size_t len)
{
	char *h = hex_alloc(p, len);
	bool ok = h && cJSON_AddStringToObject(o, name, h);
	free(h);
	return ok;
}

static bool add_tx(cJSON *o, const char *name, const struct tx *tx)
{
	struct buf b = BUF_INIT;
	tx_write(&b, tx);
	bool ok = buf_ok(&b) && add_hex(o, name, b.data, b.len);
	buf_release(&b);
	return ok;
}

static bool add_path(cJSON *o, const uint8_t (*path)[32], size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(o, "path");
	for (size_t i = 0; arr && i < n; i++) {
		char h[65];
		cJSON *s;
		hex_encode(h, path[i], 32);
		if (!(s = cJSON_CreateString(h)) || !cJSON_AddItemToArray(arr, s))
			return false;
	}
	return arr != NULL;
}

static cJSON *step_json(const struct proof_step *s)
{
	cJSON *j = cJSON_CreateObject();
	bool ok = j && add_tx(j, "tx", &s->tx) && add_hex(j, "blockhash", s->block, 32) &&
		  cJSON_AddNumberToObject(j, "height", s->height) && cJSON_AddNumberToObject(j, "index", s->index) &&
		  cJSON_AddNumberToObject(j, "leaves", s->leaves) &&
		  add_path(j, (const uint8_t (*)[32])s->path, s->path_len);
	if (!ok) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static bool add_anchor(cJSON *j, const struct proof_bundle *b)
{
	cJSON *a = cJSON_AddObjectToObject(j, "anchor");
	return a && add_tx(a, "coinbase", &b->anchor) && cJSON_AddNumberToObject(a, "leaves", b->anchor_leaves) &&
	       add_path(a, (const uint8_t (*)[32])b->anchor_path, b->anchor_path_len);
}

static bool add_steps_headers(cJSON *j, const struct proof_bundle *b)
{
	cJSON *steps = cJSON_AddArrayToObject(j, "steps"), *x;
	for (size_t i = 0; steps && i < b->n_steps; i++)
		if (!(x = step_json(&b->steps[i])) || !cJSON_AddItemToArray(steps, x))
			return false;
	cJSON *hdrs = cJSON_AddArrayToObject(j, "headers");
	for (size_t i = 0; hdrs && i < b->n_headers; i++) {
		uint8_t raw[BLOCK_HEADER_SIZE];
		char h[2 * BLOCK_HEADER_SIZE + 1];
		header_write(raw, &b->headers[i]);
		hex_encode(h, raw, sizeof(raw));
		if (!(x = cJSON_CreateString(h)) || !cJSON_AddItemToArray(hdrs, x))
			return false;
	}
	return steps && hdrs;
}

cJSON *proof_json_encode(const struct proof_bundle *b)
{
	cJSON *j = cJSON_CreateObject();
	bool ok = j && b->p && cJSON_AddStringToObject(j, "format", PROOF_FORMAT) &&
		  cJSON_AddNumberToObject(j, "version", PROOF_VERSION) &&
		  cJSON_AddStringToObject(j, "network", b->p->name) && add_hex(j, "asset", b->asset, 32) &&
		  add_anchor(j, b) && add_steps_headers(j, b) && add_hex(j, "tip", b->tip, 32);
	if (!ok) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

/* ---- reading ---- */

/* Every member of o is one of names[0..n), each exactly once. */
static int check_members(const cJSON *o, const char *what, const char *const *names, size_t n, char *err)
{
	bool seen[16] = { false };
	const cJSON *m;
	if (!cJSON_IsObject(o))
		return err_set(err, "%s: not an object", what);
	cJSON_ArrayForEach(m, o) {
		size_t k = 0;
		while (k < n && strcmp(m->string, names[k]) != 0)
			k++;
		if (k == n)
			return err_set(err, "%s: unknown member '%.40s'", what, m->string);
		if (seen[k])
			return err_set(err, "%s: member '%s' given twice", what, names[k]);
		seen[k] = true;
	}
	for (size_t k = 0; k < n; k++)
		if (!seen[k])
			return err_set(err, "%s: member '%s' missing", what, names[k]);
	return 0;
}

static const cJSON *get(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static int get_u32(uint32_t *out, const cJSON *o, const char *name, const char *what, char *err)
{
	const cJSON *v = get(o, name);
	*out = 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > UINT32_MAX ||
	    v->valuedouble != (double)(uint32_t)v->valuedouble)
		return err_set(err, "%s: '%s' must be an integer from 0 to %u", what, name, UINT32_MAX);
	*out = (uint32_t)v->valuedouble;
	return 0;
}

static int get_hash(uint8_t out[32], const cJSON *o, const char *name, const char *what, char *err)
{
	const cJSON *v = get(o, name);
	if (!cJSON_IsString(v) || !hex_exact(out, 32, v->valuestring))
		return err_set(err, "%s: '%s' must be 64 lowercase hexadecimal digits", what, name);
	return 0;
}

static int get_tx(struct tx *tx, const cJSON *o, const char *name, const char *what, char *err)
{
	const cJSON *v = get(o, name);
	char why[ERR_LEN];
	size_t len;
	uint8_t *raw;
	if (!cJSON_IsString(v) || !lower_hex(v->valuestring, strlen(v->valuestring)))
		return err_set(err, "%s: '%s' must be lowercase hexadecimal", what, name);
	if (!(raw = hex_decode_alloc(v->valuestring, &len)))
		return err_set(err, "%s: '%s' is not whole bytes of hex", what, name);
	int r = tx_parse(tx, raw, len, why);
	free(raw);
	return r == 0 ? 0 : err_set(err, "%s: '%s' is not a transaction: %s", what, name, why);
}

static int get_path(uint8_t (*path)[32], size_t *len, const cJSON *o, const char *what, char *err)
{
	const cJSON *arr = get(o, "path"), *x;
	*len = 0;
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > MERKLE_MAX_PATH)
		return err_set(err, "%s: 'path' must be an array of at most %d hashes", what, MERKLE_MAX_PATH);
	cJSON_ArrayForEach(x, arr) {
		if (!cJSON_IsString(x) || !hex_exact(path[*len], 32, x->valuestring))
			return err_set(err, "%s: path element %zu must be 64 lowercase hexadecimal digits", what, *len);
		(*len)++;
	}
	return 0;
}

static int read_step(struct proof_step *s, const cJSON *o, size_t i, char *err)
{
	static const char *const names[] = { "tx", "blockhash", "height", "index", "leaves", "path" };
	char what[32];
	snprintf(what, sizeof(what), "step %zu", i);
	if (check_members(o, what, names, 6, err) != 0 || get_hash(s->block, o, "blockhash", what, err) != 0 ||
	    get_u32(&s->height, o, "height", what, err) != 0 || get_u32(&s->index, o, "index", what, err) != 0 ||
	    get_u32(&s->leaves, o, "leaves", what, err) != 0 || get_path(s->path, &s->path_len, o, what, err) != 0)
		return -1;
	return get_tx(&s->tx, o, "tx", what, err);
}

static int read_anchor(struct proof_bundle *b, const cJSON *o, char *err)
{
	static const char *const names[] = { "coinbase", "leaves", "path" };
	if (check_members(o, "anchor", names, 3, err) != 0 ||
	    get_u32(&b->anchor_leaves, o, "leaves", "anchor", err) != 0 ||
	    get_path(b->anchor_path, &b->anchor_path_len, o, "anchor", err) != 0)
		return -1;
	return get_tx(&b->anchor, o, "coinbase", "anchor", err);
}

/* The array arr (capacity *cap, n items of size bytes in use) with room for
 * one more, doubling as it goes; NULL when out of memory (arr stays). The
 * array's length in the JSON is only a claim: room for a million steps,
 * most of it audit paths, would be gigabytes for a few megabytes of "{}". */
static void *grow(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t old = *cap;
	if (grow_array(&arr, cap, n + 1, size, 16, SIZE_MAX) != 0)
		return NULL;
	memset((uint8_t *)arr + old * size, 0, (*cap - old) * size);
	return arr;
}

static int read_steps(struct proof_bundle *b, const cJSON *arr, char *err)
{
	const cJSON *x;
	size_t cap = 0;
	int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;
	if (n < 1 || n > PROOF_MAX_STEPS)
		return err_set(err, "'steps' must be an array of 1 to %d custody steps", PROOF_MAX_STEPS);
	cJSON_ArrayForEach(x, arr) {
		struct proof_step *steps = grow(b->steps, &cap, b->n_steps, sizeof(*steps));
		if (!steps)
			return err_set(err, "cannot read the bundle: out of memory");
		b->steps = steps;
		tx_init(&b->steps[b->n_steps].tx);
		b->n_steps++;
		if (read_step(&b->steps[b->n_steps - 1], x, b->n_steps - 1, err) != 0)
			return -1;
	}
	return 0;
}

static int read_headers(struct proof_bundle *b, const cJSON *arr, char *err)
{
	const cJSON *x;
	size_t cap = 0;
	int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;
	if (n < 1 || n > PROOF_MAX_HEADERS)
		return err_set(err, "'headers' must be an array of 1 to %d headers", PROOF_MAX_HEADERS);
	cJSON_ArrayForEach(x, arr) {
		uint8_t raw[BLOCK_HEADER_SIZE];
		struct cursor c = cursor_make(raw, sizeof(raw));
		struct block_header *headers = grow(b->headers, &cap, b->n_headers, sizeof(*headers));
		if (!headers)
			return err_set(err, "cannot read the bundle: out of memory");
		b->headers = headers;
		if (!cJSON_IsString(x) || !hex_exact(raw, sizeof(raw), x->valuestring) ||
		    !header_read(&c, &b->headers[b->n_headers]))
			return err_set(err, "header %zu must be 176 lowercase hexadecimal digits", b->n_headers);
		b->n_headers++;
	}
	return 0;
}

static int read_top(struct proof_bundle *b, const cJSON *j, char *err)
{
	static const char *const names[] = { "format", "version", "network", "asset", "anchor", "steps", "headers", "tip" };
	const cJSON *fmt = get(j, "format"), *net = get(j, "network");
	uint32_t version;
	if (check_members(j, "bundle", names, 8, err) != 0)
		return -1;
	if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, PROOF_FORMAT) != 0)
		return err_set(err, "not a cairn asset proof: 'format' must be \"%s\"", PROOF_FORMAT);
	if (get_u32(&version, j, "version", "bundle", err) != 0 || version != PROOF_VERSION)
		return err_set(err, "unsupported bundle version (this verifier reads version %d)", PROOF_VERSION);
	if (!cJSON_IsString(net) || !(b->p = params_by_name(net->valuestring)))
		return err_set(err, "unknown network '%.40s'", cJSON_IsString(net) ? net->valuestring : "");
	if (get_hash(b->asset, j, "asset", "bundle", err) != 0 || get_hash(b->tip, j, "tip", "bundle", err) != 0)
		return -1;
	if (read_anchor(b, get(j, "anchor"), err) != 0 || read_steps(b, get(j, "steps"), err) != 0)
		return -1;
	return read_headers(b, get(j, "headers"), err);
}

int proof_json_decode(struct proof_bundle *out, const cJSON *j, char *err)
{
	proof_bundle_init(out);
	if (!j)
		return err_set(err, "no bundle");
	if (read_top(out, j, err) != 0) {
		proof_bundle_release(out);
		return -1;
	}
	return 0;
}
