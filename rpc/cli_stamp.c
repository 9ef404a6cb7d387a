/* cairn-cli stamp: the I/O of batch stamping — the files, the node, the
 * proofs written out. The definitions and the tree are rpc/stamp.c's. */
#include "rpc/cli_stamp.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "rpc/cli_impl.h"
#include "rpc/stamp.h"
#include "util/hex.h"

#define RPC_VERIFY_REJECTED -26
#define RPC_VERIFY_ALREADY_IN_CHAIN -27
#define POLL_MS 250
#define TMP_SUFFIX ".tmp"

struct batch {
	char **paths; /* sorted, distinct, owned */
	size_t n, cap;
	uint8_t (*docs)[MERKLE_HASH_LEN];
	struct stamp_tree tree;
	char id[2 * MERKLE_HASH_LEN + 1];
	char txid[2 * MERKLE_HASH_LEN + 1];
};

static void batch_release(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->paths[i]);
	free(b->paths);
	free(b->docs);
	stamp_tree_release(&b->tree);
	memset(b, 0, sizeof(*b));
}

/* ---- the files ---- */

static int add_path(struct batch *b, const char *path, char *err)
{
	if (b->n == STAMP_MAX_DOCS)
		return err_set(err, "more than %zu files: stamp them in several batches", STAMP_MAX_DOCS);
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		char **grown = realloc(b->paths, cap * sizeof(*grown));
		if (!grown)
			return err_set(err, "out of memory");
		b->paths = grown;
		b->cap = cap;
	}
	if (!(b->paths[b->n] = strdup(path)))
		return err_set(err, "out of memory");
	b->n++;
	return 0;
}

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), e = strlen(end);
	return n >= e && strcmp(s + n - e, end) == 0;
}

/* A proof, or the temporary file of one that a crash left behind. */
static bool is_proof_name(const char *name)
{
	return ends_with(name, STAMP_SUFFIX) || ends_with(name, STAMP_SUFFIX TMP_SUFFIX);
}

/* A folder's regular files (symbolic links to them too), not its folders,
 * and never the proofs an earlier stamp wrote there. */
static int add_dir(struct batch *b, const char *dir, char *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	char path[FILENAME_MAX + 1];
	int rc = 0;
	if (!d)
		return err_set(err, "cannot open folder '%s': %s", dir, strerror(errno));
	size_t dl = strlen(dir);
	bool slash = dl > 0 && dir[dl - 1] == '/';
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || is_proof_name(e->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s%s%s", dir, slash ? "" : "/", e->d_name) >= (int)sizeof(path))
			rc = err_set(err, "path too long in '%s'", dir);
		else if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			rc = add_path(b, path, err);
	}
	if (rc == 0 && errno != 0)
		rc = err_set(err, "cannot read folder '%s': %s", dir, strerror(errno));
	closedir(d);
	return rc;
}

static int cmp_path(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The documents, sorted by path (byte order), a file named twice kept once. */
static int collect(struct batch *b, char *const *words, size_t n, char *err)
{
	struct stat st;
	for (size_t i = 0; i < n; i++) {
		if (stat(words[i], &st) != 0)
			return err_set(err, "cannot stamp '%s': %s", words[i], strerror(errno));
		int rc = S_ISDIR(st.st_mode) ? add_dir(b, words[i], err)
		       : S_ISREG(st.st_mode) ? add_path(b, words[i], err)
					     : err_set(err, "cannot stamp '%s': not a file or a folder", words[i]);
		if (rc != 0)
			return -1;
	}
	if (b->n == 0)
		return err_set(err, "no files to stamp");
	qsort(b->paths, b->n, sizeof(*b->paths), cmp_path);
	size_t k = 1;
	for (size_t i = 1; i < b->n; i++) {
		if (strcmp(b->paths[i], b->paths[k - 1]) == 0)
			free(b->paths[i]);
		else
			b->paths[k++] = b->paths[i];
	}
	b->n = k;
	return 0;
}

static int hash_all(struct batch *b, char *err)
{
	uint8_t root[MERKLE_HASH_LEN];
	if (!(b->docs = malloc(b->n * sizeof(*b->docs))))
		return err_set(err, "out of memory");
	for (size_t i = 0; i < b->n; i++)
		if (stamp_hash_file(b->docs[i], b->paths[i], err) != 0)
			return -1;
	if (stamp_tree_build(&b->tree, (const uint8_t (*)[MERKLE_HASH_LEN])b->docs, b->n, err) != 0)
		return -1;
	stamp_tree_root(root, &b->tree);
	hex_encode(b->id, root, MERKLE_HASH_LEN);
	return 0;
}

/* ---- the node ---- */

/* method(params), params taken (NULL: out of memory building them); the
 * result when *o is CALL_OK, else NULL. Release c in every case. */
static cJSON *call_json(const struct cliargs *a, const char *method, cJSON *params, struct call_result *c,
			enum outcome *o)
{
	if (!params) {
		memset(c, 0, sizeof(*c));
		snprintf(c->err, sizeof(c->err), "out of memory");
		*o = CALL_FAILED;
		return NULL;
	}
	*o = cli_call(c, a, method, params);
	cJSON_Delete(params);
	return *o == CALL_OK ? c->result : NULL;
}

static cJSON *id_params(const struct batch *b)
{
	cJSON *p = cJSON_CreateArray();
	if (p && !cJSON_AddItemToArray(p, cJSON_CreateString(b->id))) {
		cJSON_Delete(p);
		return NULL;
	}
	return p;
}

/* registerasset, or nothing when the batch is registered already (an
 * earlier run that did not wait for the confirmation: running the same
 * command again picks it up). */
static int register_batch(const struct cliargs *a, struct batch *b)
{
	char meta[64];
	struct call_result c;
	enum outcome o;
	cJSON *p = id_params(b);
	snprintf(meta, sizeof(meta), "batch of %zu document%s", b->n, b->n == 1 ? "" : "s");
	if (p && !cJSON_AddItemToArray(p, cJSON_CreateString(meta)))
		cJSON_Delete(p), p = NULL;
	cJSON *r = call_json(a, "registerasset", p, &c, &o);
	bool again = o == CALL_RPC_ERROR && (c.code == RPC_VERIFY_ALREADY_IN_CHAIN ||
					     (c.code == RPC_VERIFY_REJECTED && c.message &&
					      strstr(c.message, "bad-asset-duplicate")));
	int rc = 0;
	if (cJSON_IsString(r) && strlen(r->valuestring) == 2 * MERKLE_HASH_LEN) {
		snprintf(b->txid, sizeof(b->txid), "%s", r->valuestring);
		fprintf(stderr, "batch %s of %zu documents registered by %s\n", b->id, b->n, b->txid);
	} else if (again) {
		fprintf(stderr, "batch %s of %zu documents was registered before: %s\n", b->id, b->n, c.message);
	} else if (o == CALL_OK) {
		rc = (fprintf(stderr, "error: registerasset returned no txid\n"), 1);
	} else {
		rc = cli_report(&c, o);
	}
	cli_call_release(&c);
	return rc;
}

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1: confirmed (b->txid the registration), 0: not yet, -1: the call failed
 * (reported). */
static int confirmed(const struct cliargs *a, struct batch *b)
{
	struct call_result c;
	enum outcome o;
	cJSON *r = call_json(a, "getassetinfo", id_params(b), &c, &o);
	if (!r) {
		int status = cli_report(&c, o);
		cli_call_release(&c);
		return -status;
	}
	const cJSON *confs = cJSON_GetObjectItemCaseSensitive(r, "confirmations");
	const cJSON *txid = cJSON_GetObjectItemCaseSensitive(r, "registration_txid");
	double n = 0;
	int yes = cliargs_number(confs, &n) && n >= 1 && cJSON_IsString(txid);
	if (yes)
		snprintf(b->txid, sizeof(b->txid), "%s", txid->valuestring);
	cli_call_release(&c);
	return yes;
}

static int wait_confirmed(const struct cliargs *a, struct batch *b, double wait)
{
	double deadline = now_s() + wait;
	int rc;
	bool told = false;
	while ((rc = confirmed(a, b)) == 0) {
		if (now_s() >= deadline) {
			fprintf(stderr, "error: batch %s is not confirmed after %.0f s; run the same stamp "
					"command again once it is, to write the proofs\n", b->id, wait);
			return 1;
		}
		if (!told)
			fprintf(stderr, "waiting up to %.0f s for a confirmation...\n", wait);
		told = true;
		sleep_ms(POLL_MS);
	}
	return rc < 0 ? 1 : 0;
}

/* The batch's v2 proof file as JSON text without its closing brace, so
 * that each document's copy is this text, its member and "}". */
static char *fetch_proof(const struct cliargs *a, const struct batch *b)
{
	struct call_result c;
	enum outcome o;
	cJSON *p = id_params(b);
	if (p && !cJSON_AddItemToArray(p, cJSON_CreateNumber(2))) /* version 2 */
		cJSON_Delete(p), p = NULL;
	cJSON *r = call_json(a, "getassetproof", p, &c, &o);
	const cJSON *asset = cJSON_GetObjectItemCaseSensitive(r, "asset");
	char *text = NULL;
	if (!r)
		cli_report(&c, o);
	else if (!cJSON_IsObject(r) || !r->child || !cJSON_IsString(asset) || strcmp(asset->valuestring, b->id) != 0 ||
		 cJSON_GetObjectItemCaseSensitive(r, "member"))
		fprintf(stderr, "error: getassetproof did not return the batch's proof file\n");
	else if (!(text = cJSON_PrintUnformatted(r)))
		fprintf(stderr, "error: out of memory\n");
	else
		*strrchr(text, '}') = '\0';
	cli_call_release(&c);
	return text;
}

/* ---- the proofs ---- */

/* Through a temporary name and a rename, so that a proof file is whole or
 * absent; not fsynced: a lost one is written again by the same command. */
static int write_proof(const char *path, const char *head, const char *member, char *err)
{
	char tmp[FILENAME_MAX + 1];
	if (snprintf(tmp, sizeof(tmp), "%s" TMP_SUFFIX, path) >= (int)sizeof(tmp))
		return err_set(err, "path too long: '%s'", path);
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return err_set(err, "cannot write '%s': %s", tmp, strerror(errno));
	bool ok = fputs(head, f) >= 0 && fputs(",\"member\":", f) >= 0 && fputs(member, f) >= 0 && fputs("}\n", f) >= 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		int saved = errno;
		remove(tmp);
		return err_set(err, "cannot write '%s': %s", path, strerror(saved));
	}
	return 0;
}

static int write_proofs(const struct batch *b, const char *head)
{
	char err[ERR_LEN], path[FILENAME_MAX + 1], hex[2 * MERKLE_HASH_LEN + 1];
	for (size_t i = 0; i < b->n; i++) {
		const char *slash = strrchr(b->paths[i], '/');
		cJSON *m = stamp_member_json(&b->tree, b->docs[i], slash ? slash + 1 : b->paths[i], i);
		char *text = m ? cJSON_PrintUnformatted(m) : NULL;
		int rc = !text ? err_set(err, "out of memory")
		       : snprintf(path, sizeof(path), "%s%s", b->paths[i], STAMP_SUFFIX) >= (int)sizeof(path)
			       ? err_set(err, "path too long: '%s'", b->paths[i])
			       : write_proof(path, head, text, err);
		cJSON_free(text);
		cJSON_Delete(m);
		if (rc != 0) {
			fprintf(stderr, "error: %s\n", err);
			return 1;
		}
		hex_encode(hex, b->docs[i], MERKLE_HASH_LEN);
		printf("%s  %s\n", hex, path);
	}
	return 0;
}

/* ---- the command ---- */

/* -wait=SECONDS (or --wait=) before the paths. */
static int parse_wait(double *wait, size_t *first, char *const *words, size_t n, char *err)
{
	*wait = CLI_STAMP_DEFAULT_WAIT;
	for (*first = 0; *first < n && words[*first][0] == '-'; (*first)++) {
		const char *w = words[*first] + (words[*first][1] == '-' ? 2 : 1);
		char *end;
		if (strncmp(w, "wait=", 5) != 0)
			return err_set(err, "unknown stamp option '%s' (usage: stamp [-wait=SECONDS] DIR|FILE...)",
				       words[*first]);
		errno = 0;
		long s = strtol(w + 5, &end, 10);
		if (end == w + 5 || *end || errno || s < 0 || s > 1000000)
			return err_set(err, "-wait takes whole seconds from 0 to 1000000, not '%s'", w + 5);
		*wait = (double)s;
	}
	return 0;
}

int cli_stamp_run(const struct cliargs *a, char *const *words, size_t n)
{
	struct batch b;
	char err[ERR_LEN];
	double wait;
	size_t first;
	int status = 1;
	memset(&b, 0, sizeof(b));
	if (parse_wait(&wait, &first, words, n, err) != 0 || collect(&b, words + first, n - first, err) != 0 ||
	    hash_all(&b, err) != 0) {
		fprintf(stderr, "error: %s\n", err);
		batch_release(&b);
		return 1;
	}
	if (register_batch(a, &b) == 0 && wait_confirmed(a, &b, wait) == 0) {
		char *head = fetch_proof(a, &b);
		if (head) {
			fprintf(stderr, "batch %s confirmed, registered by %s\n", b.id, b.txid);
			status = write_proofs(&b, head);
		}
		cJSON_free(head);
	}
	batch_release(&b);
	return status;
}
