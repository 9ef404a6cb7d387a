#include "wallet/key.h"

#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

static secp256k1_context *sign_ctx;
static pthread_once_t sign_once = PTHREAD_ONCE_INIT;
static pthread_once_t selftest_once = PTHREAD_ONCE_INIT;

/* Runs once. A context that cannot be randomized is destroyed rather than
 * used unblinded: signing then fails loudly instead of quietly weakening. */
static void sign_ctx_create(void)
{
	uint8_t seed[32];
	secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);

	if (!ctx)
		return;
	if (RAND_bytes(seed, sizeof(seed)) != 1 || !secp256k1_context_randomize(ctx, seed)) {
		secp256k1_context_destroy(ctx);
		ctx = NULL;
	}
	OPENSSL_cleanse(seed, sizeof(seed));
	sign_ctx = ctx;
}

const secp256k1_context *key_context(void)
{
	pthread_once(&sign_once, sign_ctx_create);
	return sign_ctx;
}

/* libsecp256k1 asks for its self test before the static context is used. */
static const secp256k1_context *verify_ctx(void)
{
	pthread_once(&selftest_once, secp256k1_selftest);
	return secp256k1_context_static;
}

bool key_seckey_valid(const uint8_t seckey[KEY_SECKEY_LEN])
{
	return seckey && secp256k1_ec_seckey_verify(verify_ctx(), seckey) == 1;
}

int key_generate(uint8_t seckey[KEY_SECKEY_LEN])
{
	if (!seckey)
		return -1;
	/* An invalid draw has probability about 2^-128: loop rather than fail. */
	do {
		if (RAND_bytes(seckey, KEY_SECKEY_LEN) != 1) {
			OPENSSL_cleanse(seckey, KEY_SECKEY_LEN);
			return -1;
		}
	} while (!key_seckey_valid(seckey));
	return 0;
}

int key_pubkey_xonly(uint8_t xonly[KEY_XONLY_LEN], const uint8_t seckey[KEY_SECKEY_LEN])
{
	const secp256k1_context *ctx = key_context();
	secp256k1_keypair kp;
	secp256k1_xonly_pubkey pub;
	int ok;

	if (!xonly)
		return -1;
	memset(xonly, 0, KEY_XONLY_LEN);
	if (!ctx || !seckey || !secp256k1_keypair_create(ctx, &kp, seckey))
		return -1;
	ok = secp256k1_keypair_xonly_pub(ctx, &pub, NULL, &kp) &&
	     secp256k1_xonly_pubkey_serialize(ctx, xonly, &pub);
	OPENSSL_cleanse(&kp, sizeof(kp));
	if (!ok)
		memset(xonly, 0, KEY_XONLY_LEN);
	return ok ? 0 : -1;
}

/* Signs and then verifies what it signed, as Bitcoin Core does, so that a
 * fault during signing can never let a broken signature (which may leak the
 * key) out of the process. */
static int sign_checked(uint8_t sig[KEY_SIG_LEN], const secp256k1_keypair *kp, const uint8_t msg32[KEY_MSG_LEN],
			const uint8_t aux_rand[KEY_AUX_LEN])
{
	const secp256k1_context *ctx = key_context();
	secp256k1_xonly_pubkey pub;

	if (!secp256k1_schnorrsig_sign32(ctx, sig, msg32, kp, aux_rand) ||
	    !secp256k1_keypair_xonly_pub(ctx, &pub, NULL, kp) ||
	    !secp256k1_schnorrsig_verify(verify_ctx(), sig, msg32, KEY_MSG_LEN, &pub))
		return -1;
	return 0;
}

int key_sign_aux(uint8_t sig[KEY_SIG_LEN], const uint8_t seckey[KEY_SECKEY_LEN], const uint8_t msg32[KEY_MSG_LEN],
		 const uint8_t aux_rand[KEY_AUX_LEN])
{
	const secp256k1_context *ctx = key_context();
	secp256k1_keypair kp;
	int rc;

	if (!sig)
		return -1;
	memset(sig, 0, KEY_SIG_LEN);
	if (!ctx || !seckey || !msg32 || !aux_rand || !secp256k1_keypair_create(ctx, &kp, seckey))
		return -1;
	rc = sign_checked(sig, &kp, msg32, aux_rand);
	OPENSSL_cleanse(&kp, sizeof(kp));
	if (rc < 0)
		memset(sig, 0, KEY_SIG_LEN);
	return rc;
}

int key_sign(uint8_t sig[KEY_SIG_LEN], const uint8_t seckey[KEY_SECKEY_LEN], const uint8_t msg32[KEY_MSG_LEN])
{
	uint8_t aux[KEY_AUX_LEN];
	int rc;

	if (sig)
		memset(sig, 0, KEY_SIG_LEN);
	if (RAND_bytes(aux, sizeof(aux)) != 1)
		return -1;
	rc = key_sign_aux(sig, seckey, msg32, aux);
	OPENSSL_cleanse(aux, sizeof(aux));
	return rc;
}

bool key_verify(const uint8_t sig[KEY_SIG_LEN], const uint8_t msg32[KEY_MSG_LEN], const uint8_t xonly[KEY_XONLY_LEN])
{
	const secp256k1_context *ctx = verify_ctx();
	secp256k1_xonly_pubkey pub;

	if (!sig || !msg32 || !xonly || !secp256k1_xonly_pubkey_parse(ctx, &pub, xonly))
		return false;
	return secp256k1_schnorrsig_verify(ctx, sig, msg32, KEY_MSG_LEN, &pub) == 1;
}
