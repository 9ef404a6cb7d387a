/* secp256k1 keys and BIP-340 Schnorr signatures through libsecp256k1.
 *
 * One signing context is shared by the whole process: created on first use,
 * randomized once with OpenSSL's RAND_bytes against side channels, and only
 * read after that, so any thread may sign or derive keys at the same time.
 * Verification uses libsecp256k1's static context, so checking a signature
 * never depends on the random generator. */
#ifndef CAIRN_WALLET_KEY_H
#define CAIRN_WALLET_KEY_H

#include <stdbool.h>
#include <stdint.h>

#include <secp256k1.h>

#include "util/err.h"

#define KEY_SECKEY_LEN 32
#define KEY_XONLY_LEN 32
#define KEY_SIG_LEN 64
#define KEY_MSG_LEN 32
#define KEY_AUX_LEN 32

/* The shared signing context, or NULL when it could not be created or
 * randomized. Owned by this module for the life of the process: never
 * destroy, modify or re-randomize it. */
const secp256k1_context *key_context(void);

/* True when seckey is a valid secret key: not zero and below the group
 * order. */
bool key_seckey_valid(const uint8_t seckey[KEY_SECKEY_LEN]);

/* Fills seckey with a fresh valid secret key from RAND_bytes. Returns 0, or
 * -1 with seckey zeroed when the random generator fails. */
int key_generate(uint8_t seckey[KEY_SECKEY_LEN]) WUR;

/* Writes the BIP-340 x-only public key of seckey into xonly. Returns 0, or
 * -1 with xonly zeroed on an invalid secret key or no context. */
int key_pubkey_xonly(uint8_t xonly[KEY_XONLY_LEN], const uint8_t seckey[KEY_SECKEY_LEN]) WUR;

/* Signs the 32-byte msg32 with seckey (BIP-340), drawing the 32 bytes of
 * auxiliary randomness from RAND_bytes, and checks the signature before
 * handing it out. Returns 0 with sig filled, or -1 with sig zeroed. */
int key_sign(uint8_t sig[KEY_SIG_LEN], const uint8_t seckey[KEY_SECKEY_LEN], const uint8_t msg32[KEY_MSG_LEN]) WUR;

/* key_sign with the caller's auxiliary randomness: deterministic, for the
 * published test vectors. Returns 0, or -1 with sig zeroed. */
int key_sign_aux(uint8_t sig[KEY_SIG_LEN], const uint8_t seckey[KEY_SECKEY_LEN], const uint8_t msg32[KEY_MSG_LEN],
		 const uint8_t aux_rand[KEY_AUX_LEN]) WUR;

/* True when sig is a valid BIP-340 signature of msg32 under the x-only
 * public key xonly; false otherwise, including when xonly is not a valid
 * key or an argument is NULL. */
bool key_verify(const uint8_t sig[KEY_SIG_LEN], const uint8_t msg32[KEY_MSG_LEN], const uint8_t xonly[KEY_XONLY_LEN]);

#endif
