#include "chain/siphash.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static int init_keyed(struct siphash *s)
{
	size_t size = 8;
	OSSL_PARAM params[] = { OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size), OSSL_PARAM_construct_end() };
	return EVP_MAC_init(s->ctx, s->key, SIPHASH_KEY_LEN, params) == 1 ? 0 : -1;
}

int siphash_init(struct siphash *s, const uint8_t key[SIPHASH_KEY_LEN])
{
	memset(s, 0, sizeof(*s));
	memcpy(s->key, key, SIPHASH_KEY_LEN);
	if (!(s->mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL)) || !(s->ctx = EVP_MAC_CTX_new(s->mac)) ||
	    init_keyed(s) != 0) {
		siphash_release(s);
		return -1;
	}
	return 0;
}

/* Re-initialising without a key restarts from the keyed state OpenSSL
 * kept, which is far cheaper than keying again; a library that cannot do
 * that is keyed again. */
uint64_t siphash_u64(struct siphash *s, const void *data, size_t len)
{
	uint8_t out[8];
	size_t n = 0;
	if ((EVP_MAC_init(s->ctx, NULL, 0, NULL) != 1 && init_keyed(s) != 0) || EVP_MAC_update(s->ctx, data, len) != 1 ||
	    EVP_MAC_final(s->ctx, out, &n, sizeof(out)) != 1 || n != sizeof(out))
		abort(); /* a keyed SipHash context does not fail on valid input */
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | out[i];
	return v;
}

void siphash_release(struct siphash *s)
{
	EVP_MAC_CTX_free(s->ctx);
	EVP_MAC_free(s->mac);
	memset(s, 0, sizeof(*s));
}
