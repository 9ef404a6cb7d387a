#include "wallet/bip32.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <secp256k1.h>

#include "chain/hash.h"
#include "wallet/key.h"

#define HMAC_LEN 64
#define RIPEMD160_LEN 20

static const uint8_t version_xprv[4] = { 0x04, 0x88, 0xad, 0xe4 };
static const uint8_t version_xpub[4] = { 0x04, 0x88, 0xb2, 0x1e };

static int hmac_sha512(uint8_t out[HMAC_LEN], const void *key, size_t key_len, const uint8_t *data,
		       size_t data_len)
{
	size_t n = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA512", NULL, key, key_len, data, data_len, out, HMAC_LEN, &n) ||
	    n != HMAC_LEN) {
		OPENSSL_cleanse(out, HMAC_LEN);
		return -1;
	}
	return 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void bip32_key_release(struct bip32_key *key)
{
	if (key)
		OPENSSL_cleanse(key, sizeof(*key));
}

int bip32_master(struct bip32_key *out, const uint8_t *seed, size_t seed_len, char *err)
{
	static const char tag[] = "Bitcoin seed";
	uint8_t i[HMAC_LEN];

	bip32_key_release(out);
	if (!out || !seed)
		return err_set(err, "cannot derive master key: null argument");
	if (seed_len < BIP32_SEED_MIN || seed_len > BIP32_SEED_MAX)
		return err_set(err, "cannot derive master key: seed of %zu bytes, not %d..%d", seed_len,
			       BIP32_SEED_MIN, BIP32_SEED_MAX);
	if (hmac_sha512(i, tag, sizeof(tag) - 1, seed, seed_len) < 0)
		return err_set(err, "cannot derive master key: hmac-sha512 failed");
	memcpy(out->seckey, i, 32);
	memcpy(out->chain_code, i + 32, 32);
	OPENSSL_cleanse(i, sizeof(i));
	if (!key_seckey_valid(out->seckey)) {
		bip32_key_release(out);
		return err_set(err, "cannot derive master key: seed gives an invalid key, use another seed");
	}
	return 0;
}

int bip32_pubkey(uint8_t pub[BIP32_PUBKEY_LEN], const struct bip32_key *key)
{
	const secp256k1_context *ctx = key_context();
	secp256k1_pubkey pk;
	size_t len = BIP32_PUBKEY_LEN;

	if (!pub)
		return -1;
	memset(pub, 0, BIP32_PUBKEY_LEN);
	if (!ctx || !key || !secp256k1_ec_pubkey_create(ctx, &pk, key->seckey) ||
	    !secp256k1_ec_pubkey_serialize(ctx, pub, &len, &pk, SECP256K1_EC_COMPRESSED) ||
	    len != BIP32_PUBKEY_LEN) {
		memset(pub, 0, BIP32_PUBKEY_LEN);
		return -1;
	}
	return 0;
}

int bip32_fingerprint(uint8_t fp[BIP32_FINGERPRINT_LEN], const struct bip32_key *key)
{
	uint8_t pub[BIP32_PUBKEY_LEN], sha[HASH_LEN], rmd[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD *md;
	int ok;

	if (!fp)
		return -1;
	memset(fp, 0, BIP32_FINGERPRINT_LEN);
	if (bip32_pubkey(pub, key) < 0)
		return -1;
	hash_sha256(sha, pub, sizeof(pub));
	/* In OpenSSL's default provider since 3.0.7; older builds keep it in
	 * the legacy one, and then this fails rather than guesses. */
	if (!(md = EVP_MD_fetch(NULL, "RIPEMD160", NULL)))
		return -1;
	ok = EVP_Digest(sha, sizeof(sha), rmd, &n, md, NULL) == 1 && n == RIPEMD160_LEN;
	EVP_MD_free(md);
	if (!ok)
		return -1;
	memcpy(fp, rmd, BIP32_FINGERPRINT_LEN);
	return 0;
}

/* HMAC-SHA512(parent chain code, 0x00 || k || index) for a hardened child,
 * HMAC-SHA512(parent chain code, compressed K || index) otherwise. */
static int child_hmac(uint8_t i[HMAC_LEN], const struct bip32_key *parent, uint32_t index)
{
	uint8_t data[1 + 32 + 4];
	int rc;

	if (index & BIP32_HARDENED) {
		data[0] = 0;
		memcpy(data + 1, parent->seckey, 32);
	} else if (bip32_pubkey(data, parent) < 0) {
		return -1;
	}
	put_be32(data + 33, index);
	rc = hmac_sha512(i, parent->chain_code, sizeof(parent->chain_code), data, sizeof(data));
	OPENSSL_cleanse(data, sizeof(data));
	return rc;
}

/* Fills tmp with the child of parent; child fields come from parent, which
 * stays untouched, so the caller may derive in place. */
static int derive(struct bip32_key *tmp, const struct bip32_key *parent, uint32_t index, char *err)
{
	const secp256k1_context *ctx = key_context();
	uint8_t i[HMAC_LEN];
	int ok;

	if (!ctx)
		return err_set(err, "cannot derive child key: no secp256k1 context");
	if (bip32_fingerprint(tmp->parent_fingerprint, parent) < 0)
		return err_set(err, "cannot derive child key: cannot fingerprint the parent");
	if (child_hmac(i, parent, index) < 0)
		return err_set(err, "cannot derive child key: hmac-sha512 failed");
	/* child key = parse256(IL) + k mod n; the call refuses IL >= n and a
	 * zero sum, the two cases BIP-32 declares invalid. */
	memcpy(tmp->seckey, parent->seckey, 32);
	ok = secp256k1_ec_seckey_tweak_add(ctx, tmp->seckey, i);
	memcpy(tmp->chain_code, i + 32, 32);
	OPENSSL_cleanse(i, sizeof(i));
	if (!ok)
		return err_set(err, "cannot derive child key %u: invalid child, use the next index", index);
	tmp->child_number = index;
	tmp->depth = (uint8_t)(parent->depth + 1);
	return 0;
}

int bip32_derive_child(struct bip32_key *child, const struct bip32_key *parent, uint32_t index, char *err)
{
	struct bip32_key tmp;
	int rc;

	if (!child || !parent) {
		bip32_key_release(child);
		return err_set(err, "cannot derive child key: null argument");
	}
	if (parent->depth >= BIP32_MAX_DEPTH) {
		bip32_key_release(child);
		return err_set(err, "cannot derive child key: depth limit %d reached", BIP32_MAX_DEPTH);
	}
	memset(&tmp, 0, sizeof(tmp));
	rc = derive(&tmp, parent, index, err);
	if (rc == 0)
		memcpy(child, &tmp, sizeof(tmp));
	else
		bip32_key_release(child);
	bip32_key_release(&tmp);
	return rc;
}

int bip32_derive_seckey(uint8_t sk[32], const struct bip32_key *parent, uint32_t index, char *err)
{
	const secp256k1_context *ctx = key_context();
	uint8_t i[HMAC_LEN];
	int ok;
	memset(sk, 0, 32);
	if (!ctx || !parent)
		return err_set(err, "cannot derive child key: no parent or no secp256k1 context");
	if (child_hmac(i, parent, index) < 0)
		return err_set(err, "cannot derive child key: hmac-sha512 failed");
	memcpy(sk, parent->seckey, 32);
	ok = secp256k1_ec_seckey_tweak_add(ctx, sk, i);
	OPENSSL_cleanse(i, sizeof(i));
	if (!ok) {
		OPENSSL_cleanse(sk, 32);
		return err_set(err, "cannot derive child key %u: invalid child, use the next index", index);
	}
	return 0;
}

/* Parses one step of a path ("0", "44'", "2147483647h") ending at *end. */
static int parse_step(uint32_t *index, const char *s, const char **end, char *err)
{
	uint64_t v = 0;
	size_t digits = 0;

	while (s[digits] >= '0' && s[digits] <= '9') {
		v = v * 10 + (uint64_t)(s[digits] - '0');
		if (++digits > 10 || v >= BIP32_HARDENED)
			return err_set(err, "invalid path: index too large (at most %u)", BIP32_HARDENED - 1);
	}
	if (digits == 0)
		return err_set(err, "invalid path: step without a number");
	s += digits;
	if (*s == '\'' || *s == 'h' || *s == 'H') {
		v |= BIP32_HARDENED;
		s++;
	}
	if (*s != '/' && *s != '\0')
		return err_set(err, "invalid path: unexpected character in a step");
	*index = (uint32_t)v;
	*end = s;
	return 0;
}

int bip32_parse_path(uint32_t *indices, size_t *count, const char *path, char *err)
{
	size_t cap = count ? *count : 0, n = 0;

	if (count)
		*count = 0;
	if (!count || (!indices && cap) || !path)
		return err_set(err, "invalid path: null argument");
	if (path[0] != 'm')
		return err_set(err, "invalid path: must start with 'm'");
	for (const char *p = path + 1; *p;) {
		uint32_t v = 0;
		if (*p != '/')
			return err_set(err, "invalid path: expected '/' after 'm'");
		if (n == cap)
			return err_set(err, "invalid path: more than %zu steps", cap);
		if (parse_step(&v, p + 1, &p, err) < 0)
			return -1;
		indices[n++] = v;
	}
	*count = n;
	return 0;
}

int bip32_derive_path(struct bip32_key *out, const struct bip32_key *master, const char *path, char *err)
{
	uint32_t steps[BIP32_MAX_DEPTH];
	size_t n = BIP32_MAX_DEPTH;
	struct bip32_key k;

	if (!out || !master) {
		bip32_key_release(out);
		return err_set(err, "cannot derive path: null argument");
	}
	if (master->depth != 0) {
		bip32_key_release(out);
		return err_set(err, "cannot derive path: not a master key");
	}
	if (bip32_parse_path(steps, &n, path, err) < 0) {
		bip32_key_release(out);
		return -1;
	}
	memcpy(&k, master, sizeof(k));
	for (size_t i = 0; i < n; i++) {
		if (bip32_derive_child(&k, &k, steps[i], err) < 0) {
			bip32_key_release(out);
			return -1;
		}
	}
	memcpy(out, &k, sizeof(k));
	bip32_key_release(&k);
	return 0;
}

int bip32_serialize(uint8_t out[BIP32_SERIALIZED_LEN], const struct bip32_key *key, bool private_key)
{
	if (!out)
		return -1;
	memset(out, 0, BIP32_SERIALIZED_LEN);
	if (!key)
		return -1;
	memcpy(out, private_key ? version_xprv : version_xpub, 4);
	out[4] = key->depth;
	memcpy(out + 5, key->parent_fingerprint, 4);
	put_be32(out + 9, key->child_number);
	memcpy(out + 13, key->chain_code, 32);
	if (private_key) {
		out[45] = 0;
		memcpy(out + 46, key->seckey, 32);
	} else if (bip32_pubkey(out + 45, key) < 0) {
		OPENSSL_cleanse(out, BIP32_SERIALIZED_LEN);
		return -1;
	}
	return 0;
}
