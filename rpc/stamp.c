#include "rpc/stamp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/hex.h"

void stamp_tree_init(struct stamp_tree *t)
{
	memset(t, 0, sizeof(*t));
}

void stamp_tree_release(struct stamp_tree *t)
{
	free(t->node);
	stamp_tree_init(t);
}

/* Level by level: pairs hashed into the next level, an odd last node
 * carried up as it is. */
int stamp_tree_build(struct stamp_tree *t, const uint8_t (*docs)[MERKLE_HASH_LEN], size_t n, char *err)
{
	stamp_tree_init(t);
	if (n < 1 || n > STAMP_MAX_DOCS || !docs)
		return err_set(err, "a batch holds 1 to %zu documents, not %zu", STAMP_MAX_DOCS, n);
	/* each level holds ceil(half) of the one below: in all less than 2n
	 * plus one carried node a level */
	if (!(t->node = malloc((2 * n + STAMP_MAX_DEPTH) * MERKLE_HASH_LEN)))
		return err_set(err, "cannot build the tree of %zu documents: out of memory", n);
	t->n = n;
	t->len[0] = n;
	for (size_t i = 0; i < n; i++)
		merkle_leaf_hash(t->node[i], docs[i], MERKLE_HASH_LEN);
	size_t next = n;
	while (t->len[t->depth] > 1) {
		size_t d = t->depth, below = t->start[d], m = t->len[d];
		t->start[d + 1] = next;
		t->len[d + 1] = (m + 1) / 2;
		for (size_t j = 0; j + 1 < m; j += 2)
			merkle_node_hash(t->node[next++], t->node[below + j], t->node[below + j + 1]);
		if (m % 2)
			memcpy(t->node[next++], t->node[below + m - 1], MERKLE_HASH_LEN);
		t->depth++;
	}
	return 0;
}

void stamp_tree_root(uint8_t root[MERKLE_HASH_LEN], const struct stamp_tree *t)
{
	memcpy(root, t->node[t->start[t->depth]], MERKLE_HASH_LEN);
}

/* A carried node has no sibling on its level and adds nothing to the path,
 * as RFC 6962's path skips the level where the leaf's subtree is whole. */
size_t stamp_tree_path(uint8_t (*path)[MERKLE_HASH_LEN], const struct stamp_tree *t, size_t index)
{
	size_t k = 0, j = index;
	for (size_t d = 0; d < t->depth; d++, j /= 2)
		if ((j ^ 1) < t->len[d])
			memcpy(path[k++], t->node[t->start[d] + (j ^ 1)], MERKLE_HASH_LEN);
	return k;
}

static bool add_hex(cJSON *to, const char *key, const uint8_t h[MERKLE_HASH_LEN])
{
	char hex[2 * MERKLE_HASH_LEN + 1];
	hex_encode(hex, h, MERKLE_HASH_LEN);
	return key ? cJSON_AddStringToObject(to, key, hex) != NULL
		   : cJSON_AddItemToArray(to, cJSON_CreateString(hex));
}

cJSON *stamp_member_json(const struct stamp_tree *t, const uint8_t doc[MERKLE_HASH_LEN], const char *name,
			 size_t index)
{
	uint8_t path[STAMP_MAX_DEPTH][MERKLE_HASH_LEN];
	size_t len = stamp_tree_path(path, t, index);
	cJSON *m = cJSON_CreateObject(), *arr = NULL;
	bool ok = m && add_hex(m, "document", doc) && cJSON_AddStringToObject(m, "name", name) &&
		  cJSON_AddNumberToObject(m, "index", (double)index) &&
		  cJSON_AddNumberToObject(m, "size", (double)t->n) && (arr = cJSON_AddArrayToObject(m, "path"));
	for (size_t i = 0; ok && i < len; i++)
		ok = add_hex(arr, NULL, path[i]);
	if (!ok) {
		cJSON_Delete(m);
		return NULL;
	}
	return m;
}

/* ---- the check ---- */

static int get_hash(uint8_t out[MERKLE_HASH_LEN], const cJSON *v, const char *what, char *err)
{
	if (!cJSON_IsString(v) || !hex_decode(out, MERKLE_HASH_LEN, v->valuestring))
		return err_set(err, "member %s is not 64 hexadecimal digits", what);
	return 0;
}

/* A JSON number that is a whole number in [lo, hi]. */
static int get_count(size_t *out, const cJSON *v, const char *what, size_t lo, size_t hi, char *err)
{
	double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
	if (!(d >= (double)lo && d <= (double)hi) || (double)(size_t)d != d)
		return err_set(err, "member %s is not a whole number from %zu to %zu", what, lo, hi);
	*out = (size_t)d;
	return 0;
}

static int get_path(uint8_t (*path)[MERKLE_HASH_LEN], size_t want, const cJSON *v, char *err)
{
	const cJSON *x;
	size_t k = 0;
	if (!cJSON_IsArray(v))
		return err_set(err, "member path is not an array");
	if ((size_t)cJSON_GetArraySize(v) != want)
		return err_set(err, "member path has %d hashes, index and size need %zu", cJSON_GetArraySize(v), want);
	cJSON_ArrayForEach(x, v) {
		if (!cJSON_IsString(x) || !hex_decode(path[k], MERKLE_HASH_LEN, x->valuestring))
			return err_set(err, "member path hash %zu is not 64 hexadecimal digits", k);
		k++;
	}
	return 0;
}

static int check_shape(const cJSON *m, uint8_t doc[MERKLE_HASH_LEN], size_t *index, size_t *size,
		       uint8_t (*path)[MERKLE_HASH_LEN], size_t *path_len, char *err)
{
	if (!cJSON_IsObject(m))
		return err_set(err, "member is not an object");
	if (get_hash(doc, cJSON_GetObjectItemCaseSensitive(m, "document"), "document", err) != 0)
		return -1;
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "name")))
		return err_set(err, "member name is not a string");
	if (get_count(size, cJSON_GetObjectItemCaseSensitive(m, "size"), "size", 1, STAMP_MAX_DOCS, err) != 0 ||
	    get_count(index, cJSON_GetObjectItemCaseSensitive(m, "index"), "index", 0, *size - 1, err) != 0)
		return -1;
	*path_len = merkle_path_len(*index, *size);
	return get_path(path, *path_len, cJSON_GetObjectItemCaseSensitive(m, "path"), err);
}

int stamp_member_check(const cJSON *member, const uint8_t batch_id[MERKLE_HASH_LEN], const uint8_t *document,
		       uint8_t doc_out[MERKLE_HASH_LEN], char *err)
{
	uint8_t path[MERKLE_MAX_PATH][MERKLE_HASH_LEN];
	size_t index = 0, size = 0, len = 0;
	int rc = check_shape(member, doc_out, &index, &size, path, &len, err);
	if (rc == 0 && !merkle_verify(doc_out, index, size, (const uint8_t (*)[MERKLE_HASH_LEN])path, len, batch_id))
		rc = err_set(err, "member path does not lead from document %zu of %zu to the batch id", index, size);
	if (rc == 0 && document && memcmp(document, doc_out, MERKLE_HASH_LEN) != 0)
		rc = err_set(err, "the file is not the batch's document %zu (its SHA-256 differs)", index);
	if (rc != 0)
		memset(doc_out, 0, MERKLE_HASH_LEN);
	return rc;
}

/* ---- files ---- */

int stamp_hash_file(uint8_t out[MERKLE_HASH_LEN], const char *path, char *err)
{
	FILE *f = fopen(path, "rb");
	int saved = errno;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char chunk[65536];
	unsigned int mdlen = 0;
	size_t got;
	int ok = f && ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	while (ok && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ok = EVP_DigestUpdate(ctx, chunk, got) == 1;
	ok = ok && !ferror(f) && EVP_DigestFinal_ex(ctx, out, &mdlen) == 1 && mdlen == MERKLE_HASH_LEN;
	if (f)
		fclose(f);
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		memset(out, 0, MERKLE_HASH_LEN);
		return err_set(err, "cannot hash '%s': %s", path, f ? "read error" : strerror(saved));
	}
	return 0;
}
