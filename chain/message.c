#include "chain/message.h"

#include <openssl/evp.h>
#include <string.h>

#include "chain/hash.h"
#include "chain/sigcheck.h"
#include "chain/tx.h"

int message_digest(uint8_t out[32], const void *msg, size_t len)
{
	uint8_t tag[32];
	unsigned n = 0;
	hash_sha256(tag, MESSAGE_TAG, strlen(MESSAGE_TAG));
	/* BIP-340's tagged hash, streamed: a message can be long. */
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(md, tag, 32) == 1 &&
		  EVP_DigestUpdate(md, tag, 32) == 1 && (!len || EVP_DigestUpdate(md, msg, len) == 1) &&
		  EVP_DigestFinal_ex(md, out, &n) == 1 && n == 32;
	EVP_MD_CTX_free(md);
	if (!ok)
		memset(out, 0, 32);
	return ok ? 0 : -1;
}

bool message_verify(const uint8_t addr[20], const uint8_t sig[MESSAGE_SIG_LEN], const void *msg, size_t len)
{
	struct sig_job j;
	uint8_t h[20];
	tx_pubkey_hash(h, sig);
	if (memcmp(h, addr, 20) != 0 || message_digest(j.msg, msg, len) != 0)
		return false;
	memcpy(j.pubkey, sig, 32);
	memcpy(j.sig, sig + 32, 64);
	return sig_verify(&j);
}
