#include "chain/ownership.h"

#include <string.h>

#include "chain/hash.h"
#include "chain/sigcheck.h"
#include "chain/tx.h"
#include "util/err.h"

void ownership_digest(uint8_t out[32], const uint8_t id[32], const uint8_t tip[32], const void *challenge, size_t len)
{
	/* SHA-256(tag) twice, then the message: 64 + 96 bytes in one buffer. */
	uint8_t buf[64 + OWNERSHIP_MSG_LEN];
	hash_sha256(buf, OWNERSHIP_TAG, strlen(OWNERSHIP_TAG));
	memcpy(buf + 32, buf, 32);
	memcpy(buf + 64, id, 32);
	memcpy(buf + 96, tip, 32);
	hash_sha256(buf + 128, len ? challenge : "", len);
	hash_sha256(out, buf, sizeof(buf));
}

bool ownership_verify(const uint8_t digest[32], const uint8_t pubkey_xonly[32], const uint8_t sig[64])
{
	struct sig_job j;
	memcpy(j.msg, digest, 32);
	memcpy(j.pubkey, pubkey_xonly, 32);
	memcpy(j.sig, sig, 64);
	return sig_verify(&j);
}

bool ownership_check(const struct ownership_claim *c, const void *challenge, size_t len, char *err)
{
	uint8_t d[32], h[20];
	ownership_digest(d, c->asset, c->tip, challenge, len);
	if (!ownership_verify(d, c->pubkey, c->sig)) {
		err_set(err, "the signature is not the key's over this asset, tip and challenge");
		return false;
	}
	tx_pubkey_hash(h, c->pubkey);
	if (memcmp(h, c->owner, 20) != 0) {
		err_set(err, "the key does not pay to the claimed owner");
		return false;
	}
	return true;
}

bool ownership_match_proof(const struct ownership_claim *c, const uint8_t proof_asset[32],
			   const struct proof2_summary *sum, char *err)
{
	if (memcmp(c->asset, proof_asset, 32) != 0)
		err_set(err, "the proof is of another asset");
	else if (memcmp(c->tip, sum->tip_hash, 32) != 0)
		err_set(err, "the proof is against another tip than the signature");
	else if (c->height != sum->tip_height)
		err_set(err, "the signature's height %u is not the proof's tip height %u", (unsigned)c->height,
			(unsigned)sum->tip_height);
	else if (memcmp(c->owner, sum->owner, 20) != 0)
		err_set(err, "the signer is not the owner at the proof's tip");
	else
		return true;
	return false;
}
