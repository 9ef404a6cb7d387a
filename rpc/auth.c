#include "rpc/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "chain/hash.h"
#include "util/hex.h"

#define COOKIE_BYTES 32
#define MAX_USERPASS 512 /* "user:password" with its NUL */
#define HMAC_HEX 64

/* One -rpcauth entry. */
struct authent {
	char *user;
	char *salt;
	char hash[HMAC_HEX + 1]; /* lowercase hex */
};

/* A user's whitelist: the methods it may call. */
struct whitelist {
	char *user;
	char **methods;
	size_t n;
};

struct rpc_auth {
	uint8_t digest[HASH_LEN]; /* SHA-256 of "user:password" or the cookie's text */
	char *cookie_path;	  /* set when we wrote a cookie */
	struct authent *ents;
	size_t n_ents;
	struct whitelist *lists;
	size_t n_lists;
	bool default_deny; /* users without a whitelist may call nothing */
};

/* ---- the cookie and the single password ---- */

static int cookie_write(const char *path, const char *text, char *err)
{
	size_t plen = strlen(path), tlen = strlen(text);
	char *tmp = malloc(plen + 5);
	int fd;
	bool ok;

	if (!tmp)
		return err_set(err, "cannot write '%s': out of memory", path);
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err_set(err, "cannot write '%s': %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	/* An older file of the same name keeps its mode; the cookie must not. */
	ok = fchmod(fd, 0600) == 0 && write(fd, text, tlen) == (ssize_t)tlen;
	ok = (close(fd) == 0) && ok;
	if (!ok || rename(tmp, path) != 0) {
		err_set(err, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* Keeps only SHA-256("user:password"): comparing digests with CRYPTO_memcmp
 * takes the same time whatever the length of the guess. */
static int password_setup(struct rpc_auth *a, const struct rpc_auth_config *cfg, char *err)
{
	char userpass[MAX_USERPASS];
	bool has_user = cfg->user && *cfg->user, has_pass = cfg->password && *cfg->password;

	if (has_user != has_pass)
		return err_set(err, "rpcuser and rpcpassword must be given together");
	if (has_user) {
		if (strchr(cfg->user, ':'))
			return err_set(err, "invalid rpcuser: ':' is not allowed");
		size_t ul = strlen(cfg->user), pl = strlen(cfg->password);
		if (ul + pl + 2 > sizeof(userpass) || ul >= RPC_AUTH_MAX_USER)
			return err_set(err, "rpcuser and rpcpassword are too long");
		memcpy(userpass, cfg->user, ul);
		userpass[ul] = ':';
		memcpy(userpass + ul + 1, cfg->password, pl + 1);
	} else {
		uint8_t rnd[COOKIE_BYTES];
		char hex[2 * COOKIE_BYTES + 1];
		if (!cfg->cookie_path || !*cfg->cookie_path)
			return err_set(err, "no rpc credentials: need rpcuser/rpcpassword or a cookie path");
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return err_set(err, "cannot make rpc cookie: no randomness");
		hex_encode(hex, rnd, sizeof(rnd));
		snprintf(userpass, sizeof(userpass), RPC_AUTH_COOKIE_USER ":%s", hex);
		OPENSSL_cleanse(rnd, sizeof(rnd));
		OPENSSL_cleanse(hex, sizeof(hex));
		if (cookie_write(cfg->cookie_path, userpass, err) != 0) {
			OPENSSL_cleanse(userpass, sizeof(userpass));
			return -1;
		}
		if (!(a->cookie_path = strdup(cfg->cookie_path))) {
			unlink(cfg->cookie_path);
			OPENSSL_cleanse(userpass, sizeof(userpass));
			return err_set(err, "cannot set up rpc: out of memory");
		}
	}
	hash_sha256(a->digest, userpass, strlen(userpass));
	OPENSSL_cleanse(userpass, sizeof(userpass));
	return 0;
}

/* ---- -rpcauth ---- */

/* "user:salt$hash": exactly one ':' and one '$' after it, as Core splits
 * it; the hash is 64 hex digits. */
static int authent_parse(struct authent *e, const char *s, char *err)
{
	const char *colon = strchr(s, ':'), *dollar = colon ? strchr(colon + 1, '$') : NULL;

	if (!colon || !dollar || colon == s || strchr(colon + 1, ':') || strchr(dollar + 1, '$') ||
	    strlen(dollar + 1) != HMAC_HEX || (size_t)(colon - s) >= RPC_AUTH_MAX_USER)
		return err_set(err, "invalid -rpcauth '%s': expected user:salt$hash with a 64-digit hex hash", s);
	uint8_t bytes[HMAC_HEX / 2];
	if (!hex_decode(bytes, sizeof(bytes), dollar + 1))
		return err_set(err, "invalid -rpcauth '%s': the hash is not hex", s);
	hex_encode(e->hash, bytes, sizeof(bytes));
	e->user = strndup(s, (size_t)(colon - s));
	e->salt = strndup(colon + 1, (size_t)(dollar - colon - 1));
	if (!e->user || !e->salt)
		return err_set(err, "cannot set up rpc: out of memory");
	return 0;
}

/* Hex HMAC-SHA256 keyed by salt's text over pass (Core's rpcauth). */
static bool hmac_hex(char out[HMAC_HEX + 1], const char *salt, const char *pass, size_t pass_len)
{
	uint8_t mac[HMAC_HEX / 2];
	size_t n = 0;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, salt, strlen(salt), (const unsigned char *)pass,
		       pass_len, mac, sizeof(mac), &n) ||
	    n != sizeof(mac))
		return false;
	hex_encode(out, mac, sizeof(mac));
	return true;
}

static bool same_text(const char *a, size_t alen, const char *b)
{
	return alen == strlen(b) && CRYPTO_memcmp(a, b, alen) == 0;
}

/* Every entry is tried, so the time taken does not tell which user exists. */
static bool authent_match(const struct rpc_auth *a, const char *user, size_t ulen, const char *pass,
			  size_t plen)
{
	bool ok = false;
	for (size_t i = 0; i < a->n_ents; i++) {
		char h[HMAC_HEX + 1];
		if (same_text(user, ulen, a->ents[i].user) && hmac_hex(h, a->ents[i].salt, pass, plen))
			ok |= CRYPTO_memcmp(h, a->ents[i].hash, HMAC_HEX) == 0;
	}
	return ok;
}

/* ---- whitelists ---- */

static struct whitelist *list_of(const struct rpc_auth *a, const char *user)
{
	for (size_t i = 0; i < a->n_lists; i++)
		if (strcmp(a->lists[i].user, user) == 0)
			return &a->lists[i];
	return NULL;
}

static bool listed(const struct whitelist *w, const char *method)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->methods[i], method) == 0)
			return true;
	return false;
}

/* Keeps only the methods both in w and in the text list (a user given
 * twice may call what both entries allow, as in Core). */
static void list_intersect(struct whitelist *w, const struct whitelist *fresh)
{
	size_t k = 0;
	for (size_t i = 0; i < w->n; i++) {
		if (listed(fresh, w->methods[i]))
			w->methods[k++] = w->methods[i];
		else
			free(w->methods[i]);
	}
	w->n = k;
}

static void list_clear(struct whitelist *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->methods[i]);
	free(w->methods);
	w->methods = NULL;
	w->n = 0;
}

/* Methods separated by commas or spaces, as Core splits them. */
static int list_parse(struct whitelist *w, const char *text, char *err)
{
	while (*text) {
		size_t n = strcspn(text, ", ");
		if (n > 0) {
			char **grown = realloc(w->methods, (w->n + 1) * sizeof(*grown));
			if (!grown)
				return err_set(err, "cannot set up rpc: out of memory");
			w->methods = grown;
			if (!(w->methods[w->n] = strndup(text, n)))
				return err_set(err, "cannot set up rpc: out of memory");
			w->n++;
		}
		text += n;
		text += *text != '\0';
	}
	return 0;
}

static int whitelist_add(struct rpc_auth *a, const char *entry, char *err)
{
	const char *colon = strchr(entry, ':');
	size_t ulen = colon ? (size_t)(colon - entry) : strlen(entry);
	char user[RPC_AUTH_MAX_USER];
	struct whitelist fresh = { 0 };

	if (ulen == 0 || ulen >= sizeof(user))
		return err_set(err, "invalid -rpcwhitelist '%s': expected user:method,...", entry);
	memcpy(user, entry, ulen);
	user[ulen] = '\0';
	if (colon && list_parse(&fresh, colon + 1, err) != 0) {
		list_clear(&fresh);
		return -1;
	}
	struct whitelist *w = list_of(a, user);
	if (w) {
		list_intersect(w, &fresh);
		list_clear(&fresh);
		return 0;
	}
	struct whitelist *grown = realloc(a->lists, (a->n_lists + 1) * sizeof(*grown));
	if (!grown || !(fresh.user = strdup(user))) {
		if (grown)
			a->lists = grown;
		list_clear(&fresh);
		return err_set(err, "cannot set up rpc: out of memory");
	}
	a->lists = grown;
	a->lists[a->n_lists++] = fresh;
	return 0;
}

/* ---- the API ---- */

struct rpc_auth *rpc_auth_new(const struct rpc_auth_config *cfg, char *err)
{
	struct rpc_auth *a = calloc(1, sizeof(*a));

	if (!a) {
		err_set(err, "cannot set up rpc: out of memory");
		return NULL;
	}
	if (cfg->n_rpcauth && !(a->ents = calloc(cfg->n_rpcauth, sizeof(*a->ents)))) {
		err_set(err, "cannot set up rpc: out of memory");
		goto fail;
	}
	for (; a->n_ents < cfg->n_rpcauth; a->n_ents++)
		if (authent_parse(&a->ents[a->n_ents], cfg->rpcauth[a->n_ents], err) != 0) {
			a->n_ents++; /* freed with the others */
			goto fail;
		}
	for (size_t i = 0; i < cfg->n_whitelist; i++)
		if (whitelist_add(a, cfg->whitelist[i], err) != 0)
			goto fail;
	a->default_deny = cfg->whitelist_default < 0 ? cfg->n_whitelist > 0 : cfg->whitelist_default > 0;
	if (password_setup(a, cfg, err) != 0)
		goto fail;
	return a;
fail:
	rpc_auth_free(a);
	return NULL;
}

void rpc_auth_free(struct rpc_auth *a)
{
	if (!a)
		return;
	if (a->cookie_path) {
		unlink(a->cookie_path);
		free(a->cookie_path);
	}
	for (size_t i = 0; i < a->n_ents; i++) {
		free(a->ents[i].user);
		if (a->ents[i].salt)
			OPENSSL_cleanse(a->ents[i].salt, strlen(a->ents[i].salt));
		free(a->ents[i].salt);
	}
	free(a->ents);
	for (size_t i = 0; i < a->n_lists; i++) {
		free(a->lists[i].user);
		list_clear(&a->lists[i]);
	}
	free(a->lists);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

bool rpc_auth_check(const struct rpc_auth *a, const char *h, char user[RPC_AUTH_MAX_USER])
{
	uint8_t dec[768], digest[HASH_LEN];
	size_t n;
	int m;
	bool ok;

	if (!h || strncmp(h, "Basic ", 6) != 0)
		return false;
	for (h += 6; *h == ' '; h++)
		;
	n = strlen(h);
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > sizeof(dec))
		return false;
	m = EVP_DecodeBlock(dec, (const unsigned char *)h, (int)n);
	if (m < 0)
		return false;
	/* EVP_DecodeBlock counts padding as zero bytes. */
	m -= (h[n - 1] == '=') + (h[n - 2] == '=');
	hash_sha256(digest, dec, (size_t)m);
	ok = CRYPTO_memcmp(digest, a->digest, HASH_LEN) == 0;
	const uint8_t *colon = memchr(dec, ':', (size_t)m);
	size_t ulen = colon ? (size_t)(colon - dec) : 0;
	if (colon && !ok)
		ok = authent_match(a, (const char *)dec, ulen, (const char *)colon + 1, (size_t)m - ulen - 1);
	if (ok && ulen < RPC_AUTH_MAX_USER) {
		memcpy(user, dec, ulen);
		user[ulen] = '\0';
	} else {
		ok = false;
	}
	OPENSSL_cleanse(dec, sizeof(dec));
	return ok;
}

bool rpc_auth_may(const struct rpc_auth *a, const char *user, const char *method)
{
	const struct whitelist *w = list_of(a, user);
	return w ? listed(w, method) : !a->default_deny;
}

static bool method_permitted(const struct whitelist *w, const cJSON *req, char *method, size_t method_len)
{
	const cJSON *m = cJSON_IsObject(req) ? cJSON_GetObjectItemCaseSensitive(req, "method") : NULL;
	const char *name = cJSON_IsString(m) ? m->valuestring : "";
	if (*name && listed(w, name))
		return true;
	snprintf(method, method_len, "%s", name);
	return false;
}

bool rpc_auth_permits(const struct rpc_auth *a, const char *user, const char *body, size_t len,
		      char *method, size_t method_len)
{
	const struct whitelist *w = list_of(a, user);
	bool ok = true;

	snprintf(method, method_len, "%s", "");
	if (!w && !a->default_deny)
		return true;
	cJSON *req = body ? cJSON_ParseWithLength(body, len) : NULL;
	if (!req)
		return true; /* the dispatcher answers the parse error */
	if (!w) {
		ok = false;
	} else if (cJSON_IsArray(req)) {
		const cJSON *one;
		cJSON_ArrayForEach(one, req) {
			if (!method_permitted(w, one, method, method_len)) {
				ok = false;
				break;
			}
		}
	} else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(req, "method"))) {
		ok = method_permitted(w, req, method, method_len);
	} /* else the dispatcher answers the invalid request */
	cJSON_Delete(req);
	return ok;
}
