#include "chain/hash.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>

/* Fetching the algorithm once and keeping one context per thread avoids
 * OpenSSL 3's implicit fetch and allocation on every call, which would cost
 * more than the hashing of a 64-byte message itself. */
static EVP_MD *sha256_md;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static pthread_key_t ctx_key; /* frees a thread's context when it ends */
static _Thread_local EVP_MD_CTX *tls_ctx;

static void free_ctx(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void fetch_md(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (pthread_key_create(&ctx_key, free_ctx) != 0)
		abort();
}

static EVP_MD_CTX *ctx_get(void)
{
	pthread_once(&md_once, fetch_md);
	if (!sha256_md)
		abort(); /* OpenSSL without SHA-256 cannot run a node at all */
	if (!tls_ctx) {
		if (!(tls_ctx = EVP_MD_CTX_new()) || pthread_setspecific(ctx_key, tls_ctx) != 0)
			abort();
	}
	return tls_ctx;
}

static void sha256_parts(uint8_t out[HASH_LEN], const void *a, size_t alen, const void *b, size_t blen)
{
	EVP_MD_CTX *ctx = ctx_get();
	if (EVP_DigestInit_ex(ctx, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 ||
	    (blen && EVP_DigestUpdate(ctx, b, blen) != 1) ||
	    EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		abort();
}

void hash_sha256(uint8_t out[HASH_LEN], const void *data, size_t len)
{
	sha256_parts(out, data, len, NULL, 0);
}

void hash_sha256d(uint8_t out[HASH_LEN], const void *data, size_t len)
{
	uint8_t first[HASH_LEN];
	sha256_parts(first, data, len, NULL, 0);
	sha256_parts(out, first, HASH_LEN, NULL, 0);
}

void hash_sha256d2(uint8_t out[HASH_LEN], const void *a, size_t alen, const void *b, size_t blen)
{
	uint8_t first[HASH_LEN];
	sha256_parts(first, a, alen, b, blen);
	sha256_parts(out, first, HASH_LEN, NULL, 0);
}
