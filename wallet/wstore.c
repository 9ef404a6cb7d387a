#include "wallet/wstore.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "chain/hash.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/envelope.h"
#include "util/file.h"

#define FLAG_ENCRYPTED 0x01
/* A wallet of another kind or version is named as such, not as damaged:
 * the header is checked before the checksum. */
static const struct envelope_format file_format = {
	.magic = (const uint8_t *)WSTORE_MAGIC, .magic_len = WSTORE_MAGIC_LEN, .version = WSTORE_VERSION,
	.hash = hash_sha256, .max_len = WSTORE_MAX_FILE, .header_first = true,
	.kind = "a cairn wallet file", .too_short = "truncated file",
	.bad_sum = "checksum mismatch: the file is truncated or damaged", .bad_version = "unsupported version",
};
_Static_assert(WSTORE_CHECKSUM_LEN == ENVELOPE_SUM_LEN, "wallet.dat's checksum is the envelope's");
/* The secret block: seed ‖ varint n ‖ n × secret key. */
#define SECRET_MAX(n) (WSTORE_SEED_LEN + 9 + (size_t)(n) * WSTORE_SECKEY_LEN)

void wstore_init(struct wstore *s, const uint8_t net[4])
{
	memset(s, 0, sizeof(*s));
	memcpy(s->net, net, 4);
}

void wstore_forget_secrets(struct wstore *s)
{
	OPENSSL_cleanse(s->seed, sizeof(s->seed));
	if (s->imported_sk)
		OPENSSL_cleanse(s->imported_sk, s->n_imported * WSTORE_SECKEY_LEN);
	s->have_secrets = false;
}

void wstore_release(struct wstore *s)
{
	if (!s)
		return;
	wstore_forget_secrets(s);
	free(s->imported_sk);
	free(s->imported_pk);
	free(s->sealed);
	for (int c = 0; c < WSTORE_CHAINS; c++)
		free(s->keys[c]);
	for (size_t i = 0; i < s->n_labels; i++)
		free(s->labels[i].text);
	free(s->labels);
	for (size_t i = 0; i < s->n_txs; i++) {
		tx_release(&s->txs[i]->tx);
		free(s->txs[i]);
	}
	free(s->txs);
	uint8_t net[4];
	memcpy(net, s->net, 4);
	wstore_init(s, net);
}

/* ---- growing the lists ---- */

static int grow(void **p, size_t n, size_t elem)
{
	void *q = realloc(*p, (n + 1) * elem);
	if (!q)
		return -1;
	*p = q;
	return 0;
}

int wstore_add_key(struct wstore *s, enum wstore_chain chain, const uint8_t pub[WSTORE_PUBKEY_LEN])
{
	if (s->n_keys[chain] >= WSTORE_MAX_KEYS || grow((void **)&s->keys[chain], s->n_keys[chain], WSTORE_PUBKEY_LEN))
		return -1;
	memcpy(s->keys[chain][s->n_keys[chain]++], pub, WSTORE_PUBKEY_LEN);
	return 0;
}

/* The secret keys move to a fresh block that is wiped before the old one is
 * freed, so no copy is left behind in freed memory. */
int wstore_add_import(struct wstore *s, const uint8_t sk[WSTORE_SECKEY_LEN], const uint8_t pub[WSTORE_PUBKEY_LEN])
{
	size_t n = s->n_imported;
	if (!s->have_secrets || n >= WSTORE_MAX_KEYS)
		return -1;
	uint8_t (*nsk)[WSTORE_SECKEY_LEN] = malloc((n + 1) * WSTORE_SECKEY_LEN);
	if (!nsk || grow((void **)&s->imported_pk, n, WSTORE_PUBKEY_LEN)) {
		free(nsk);
		return -1;
	}
	if (n) {
		memcpy(nsk, s->imported_sk, n * WSTORE_SECKEY_LEN);
		OPENSSL_cleanse(s->imported_sk, n * WSTORE_SECKEY_LEN);
	}
	free(s->imported_sk);
	s->imported_sk = nsk;
	memcpy(nsk[n], sk, WSTORE_SECKEY_LEN);
	memcpy(s->imported_pk[n], pub, WSTORE_PUBKEY_LEN);
	s->n_imported = n + 1;
	return 0;
}

int wstore_set_label(struct wstore *s, const uint8_t addr[20], const char *text)
{
	size_t len = strlen(text);
	if (len > WSTORE_LABEL_MAX)
		return -1;
	char *copy = malloc(len + 1);
	if (!copy)
		return -1;
	memcpy(copy, text, len + 1);
	for (size_t i = 0; i < s->n_labels; i++)
		if (memcmp(s->labels[i].addr, addr, 20) == 0) {
			free(s->labels[i].text);
			s->labels[i].text = copy;
			return 0;
		}
	if (grow((void **)&s->labels, s->n_labels, sizeof(*s->labels))) {
		free(copy);
		return -1;
	}
	memcpy(s->labels[s->n_labels].addr, addr, 20);
	s->labels[s->n_labels++].text = copy;
	return 0;
}

const char *wstore_label(const struct wstore *s, const uint8_t addr[20])
{
	for (size_t i = 0; i < s->n_labels; i++)
		if (memcmp(s->labels[i].addr, addr, 20) == 0)
			return s->labels[i].text;
	return NULL;
}

struct wstore_tx *wstore_add_tx(struct wstore *s, const struct tx *tx, uint64_t time)
{
	struct wstore_tx *t = calloc(1, sizeof(*t));
	if (!t || s->n_txs >= WSTORE_MAX_TXS || grow((void **)&s->txs, s->n_txs, sizeof(*s->txs)))
		goto fail;
	if (tx_copy(&t->tx, tx) != 0) {
		tx_release(&t->tx);
		goto fail;
	}
	t->time = time;
	s->txs[s->n_txs++] = t;
	return t;
fail:
	free(t);
	return NULL;
}

/* ---- encryption ---- */

int wstore_derive_key(uint8_t key[WSTORE_AES_KEY_LEN], const char *pass, const uint8_t salt[WSTORE_SALT_LEN],
		      uint8_t log2n, uint32_t r, uint32_t p, char *err)
{
	memset(key, 0, WSTORE_AES_KEY_LEN);
	if (log2n < 1 || log2n > WSTORE_KDF_LOG2N_MAX || r < 1 || r > WSTORE_KDF_R_MAX || p < 1 || p > WSTORE_KDF_P_MAX)
		return err_set(err, "cannot derive the wallet key: scrypt cost out of range");
	uint64_t n = (uint64_t)1 << log2n;
	uint64_t maxmem = 256 * (uint64_t)r * (n + p) + (1u << 20);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pass, strlen(pass)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, WSTORE_SALT_LEN),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
		OSSL_PARAM_construct_end(),
	};
	int ok = ctx && EVP_KDF_derive(ctx, key, WSTORE_AES_KEY_LEN, params) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	if (!ok) {
		OPENSSL_cleanse(key, WSTORE_AES_KEY_LEN);
		return err_set(err, "cannot derive the wallet key: scrypt failed");
	}
	return 0;
}

/* The parameters the sealed block is bound to (GCM's additional data): a
 * block moved to another file, network or cost does not open. */
static void seal_aad(struct buf *b, const struct wstore *s)
{
	buf_put(b, WSTORE_MAGIC, WSTORE_MAGIC_LEN);
	buf_u32(b, WSTORE_VERSION);
	buf_put(b, s->net, 4);
	buf_put(b, s->salt, WSTORE_SALT_LEN);
	buf_u8(b, s->kdf_log2n);
	buf_u32(b, s->kdf_r);
	buf_u32(b, s->kdf_p);
}

/* The secret block in a buffer reserved at its exact size up front, so no
 * reallocation leaves a copy behind; the caller wipes it. */
static int secret_block(struct buf *b, const struct wstore *s)
{
	buf_init(b);
	if (!buf_reserve(b, SECRET_MAX(s->n_imported)))
		return -1;
	buf_put(b, s->seed, WSTORE_SEED_LEN);
	buf_varint(b, s->n_imported);
	if (s->n_imported)
		buf_put(b, s->imported_sk, s->n_imported * WSTORE_SECKEY_LEN);
	return buf_ok(b) ? 0 : -1;
}

static void wipe_buf(struct buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	buf_release(b);
}

/* Reads a secret block into s's secrets, wiping any held before. */
static int secret_parse(struct wstore *s, const uint8_t *p, size_t len, char *err)
{
	struct cursor c = cursor_make(p, len);
	uint64_t n;
	wstore_forget_secrets(s);
	free(s->imported_sk);
	s->imported_sk = NULL;
	if (!cursor_bytes(&c, s->seed, WSTORE_SEED_LEN) || !cursor_varint(&c, &n, WSTORE_MAX_KEYS))
		return err_set(err, "cannot read the wallet secrets: truncated");
	if (n != s->n_imported || c.len != n * WSTORE_SECKEY_LEN)
		return err_set(err, "cannot read the wallet secrets: %llu secret keys for %zu imported keys",
			       (unsigned long long)n, s->n_imported);
	if (n && !(s->imported_sk = malloc(n * WSTORE_SECKEY_LEN)))
		return err_set(err, "cannot read the wallet secrets: out of memory");
	if (n && !cursor_bytes(&c, s->imported_sk, n * WSTORE_SECKEY_LEN))
		return err_set(err, "cannot read the wallet secrets: truncated");
	s->have_secrets = true;
	return 0;
}

static int gcm(bool enc, uint8_t *out, const uint8_t *in, size_t len, uint8_t tag[WSTORE_TAG_LEN],
	       const uint8_t key[WSTORE_AES_KEY_LEN], const uint8_t nonce[WSTORE_NONCE_LEN], const struct buf *aad)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok = ctx != NULL && len <= INT32_MAX && aad->len <= INT32_MAX;
	ok = ok && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, enc ? 1 : 0) == 1;
	ok = ok && EVP_CipherUpdate(ctx, NULL, &n, aad->data, (int)aad->len) == 1;
	ok = ok && EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, WSTORE_TAG_LEN, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(ctx, out + n, &n) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, WSTORE_TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int wstore_seal(struct wstore *s, const uint8_t key[WSTORE_AES_KEY_LEN], char *err)
{
	struct buf plain, aad = BUF_INIT;
	uint8_t nonce[WSTORE_NONCE_LEN];
	if (!s->have_secrets)
		return err_set(err, "cannot seal the wallet secrets: they are locked");
	if (secret_block(&plain, s) != 0) {
		wipe_buf(&plain);
		return err_set(err, "cannot seal the wallet secrets: out of memory");
	}
	uint8_t *sealed = malloc(plain.len + WSTORE_TAG_LEN);
	seal_aad(&aad, s);
	int ok = sealed && buf_ok(&aad) && RAND_bytes(nonce, sizeof(nonce)) == 1 &&
		 gcm(true, sealed, plain.data, plain.len, sealed + plain.len, key, nonce, &aad) == 0;
	size_t len = plain.len + WSTORE_TAG_LEN;
	wipe_buf(&plain);
	buf_release(&aad);
	if (!ok) {
		free(sealed);
		return err_set(err, "cannot seal the wallet secrets: encryption failed");
	}
	free(s->sealed);
	s->sealed = sealed;
	s->sealed_len = len;
	memcpy(s->nonce, nonce, sizeof(nonce));
	s->encrypted = true;
	return 0;
}

int wstore_unseal(struct wstore *s, const uint8_t key[WSTORE_AES_KEY_LEN], char *err)
{
	if (!s->encrypted || !s->sealed || s->sealed_len < WSTORE_TAG_LEN + WSTORE_SEED_LEN)
		return err_set(err, "cannot open the wallet secrets: the wallet is not encrypted");
	size_t len = s->sealed_len - WSTORE_TAG_LEN;
	uint8_t *plain = malloc(len);
	struct buf aad = BUF_INIT;
	uint8_t tag[WSTORE_TAG_LEN];
	if (!plain)
		return err_set(err, "cannot open the wallet secrets: out of memory");
	memcpy(tag, s->sealed + len, WSTORE_TAG_LEN);
	seal_aad(&aad, s);
	int r = buf_ok(&aad) ? gcm(false, plain, s->sealed, len, tag, key, s->nonce, &aad) : -1;
	buf_release(&aad);
	if (r != 0) {
		OPENSSL_cleanse(plain, len);
		free(plain);
		err_set(err, "cannot open the wallet secrets: the passphrase is incorrect");
		return WSTORE_BAD_KEY;
	}
	r = secret_parse(s, plain, len, err);
	OPENSSL_cleanse(plain, len);
	free(plain);
	if (r != 0)
		wstore_forget_secrets(s);
	return r;
}

/* ---- the file ---- */

static void write_public(struct buf *b, const struct wstore *s)
{
	buf_varint(b, s->n_imported);
	if (s->n_imported)
		buf_put(b, s->imported_pk, s->n_imported * WSTORE_PUBKEY_LEN);
	for (int c = 0; c < WSTORE_CHAINS; c++) {
		buf_u32(b, s->next[c]);
		buf_varint(b, s->n_keys[c]);
		if (s->n_keys[c])
			buf_put(b, s->keys[c], s->n_keys[c] * WSTORE_PUBKEY_LEN);
	}
	buf_varint(b, s->n_labels);
	for (size_t i = 0; i < s->n_labels; i++) {
		buf_put(b, s->labels[i].addr, 20);
		buf_lenbytes(b, s->labels[i].text, strlen(s->labels[i].text));
	}
	buf_u8(b, s->have_best);
	buf_put(b, s->best_hash, 32);
	buf_u32(b, s->best_height);
	buf_varint(b, s->n_txs);
	for (size_t i = 0; i < s->n_txs; i++) {
		const struct wstore_tx *t = s->txs[i];
		tx_write(b, &t->tx);
		buf_u64(b, t->time);
		buf_u8(b, t->confirmed);
		buf_put(b, t->block, 32);
		buf_u32(b, t->height);
		buf_u32(b, t->pos);
	}
}

/* Header ‖ secret or sealed block ‖ public part, in one buffer reserved at
 * its exact size (the checksum envelope_save appends included) so the
 * secrets of a plain file are never copied by a reallocation. The caller
 * wipes it. */
static int serialize(struct buf *out, const struct wstore *s)
{
	struct buf head = BUF_INIT, pub = BUF_INIT, secret = BUF_INIT;
	int r = -1;
	buf_init(out);
	envelope_begin(&head, &file_format);
	buf_put(&head, s->net, 4);
	buf_u8(&head, s->encrypted ? FLAG_ENCRYPTED : 0);
	if (s->encrypted) {
		buf_put(&head, s->salt, WSTORE_SALT_LEN);
		buf_u8(&head, s->kdf_log2n);
		buf_u32(&head, s->kdf_r);
		buf_u32(&head, s->kdf_p);
		buf_put(&head, s->nonce, WSTORE_NONCE_LEN);
		buf_lenbytes(&head, s->sealed, s->sealed_len);
	} else if (!s->have_secrets || secret_block(&secret, s) != 0) {
		goto done;
	}
	write_public(&pub, s);
	if (!buf_ok(&head) || !buf_ok(&pub))
		goto done;
	size_t slen = buf_varint_size(secret.len) + secret.len;
	if (!buf_reserve(out, head.len + (s->encrypted ? 0 : slen) + pub.len + ENVELOPE_SUM_LEN))
		goto done;
	buf_put(out, head.data, head.len);
	if (!s->encrypted)
		buf_lenbytes(out, secret.data, secret.len);
	buf_put(out, pub.data, pub.len);
	r = buf_ok(out) ? 0 : -1;
done:
	buf_release(&head);
	buf_release(&pub);
	wipe_buf(&secret);
	return r;
}

int wstore_save(const struct wstore *s, const char *path, char *err)
{
	struct buf b;
	if (serialize(&b, s) != 0) {
		wipe_buf(&b);
		return err_set(err, "cannot save '%s': out of memory", path);
	}
	int r = envelope_save(&file_format, &b, path, err);
	wipe_buf(&b);
	return r;
}

static int read_pubkeys(struct cursor *c, uint8_t (**out)[WSTORE_PUBKEY_LEN], size_t *n_out)
{
	uint64_t n;
	if (!cursor_varint(c, &n, WSTORE_MAX_KEYS) || c->len < n * WSTORE_PUBKEY_LEN)
		return -1;
	*n_out = (size_t)n;
	if (n == 0)
		return 0;
	*out = malloc(n * WSTORE_PUBKEY_LEN);
	return *out && cursor_bytes(c, *out, n * WSTORE_PUBKEY_LEN) ? 0 : -1;
}

static int read_labels(struct cursor *c, struct wstore *s)
{
	uint64_t n;
	if (!cursor_varint(c, &n, WSTORE_MAX_KEYS) || c->len < n * 21)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t addr[20];
		char text[WSTORE_LABEL_MAX + 1];
		size_t len;
		if (!cursor_bytes(c, addr, 20) || !cursor_lenbytes(c, text, &len, WSTORE_LABEL_MAX))
			return -1;
		text[len] = '\0';
		if (strlen(text) != len || wstore_set_label(s, addr, text) != 0)
			return -1;
	}
	return 0;
}

static int read_txs(struct cursor *c, struct wstore *s, char *err)
{
	uint64_t n;
	if (!cursor_varint(c, &n, WSTORE_MAX_TXS))
		return err_set(err, "bad transaction count");
	for (uint64_t i = 0; i < n; i++) {
		struct tx tx;
		uint8_t confirmed;
		if (tx_read(c, &tx, err) != 0)
			return -1;
		struct wstore_tx *t = wstore_add_tx(s, &tx, 0);
		tx_release(&tx);
		if (!t)
			return err_set(err, "out of memory");
		if (!cursor_u64(c, &t->time) || !cursor_u8(c, &confirmed) || confirmed > 1 ||
		    !cursor_bytes(c, t->block, 32) || !cursor_u32(c, &t->height) || !cursor_u32(c, &t->pos))
			return err_set(err, "transaction %llu: truncated record", (unsigned long long)i);
		t->confirmed = confirmed;
	}
	return 0;
}

static int read_public(struct cursor *c, struct wstore *s, char *err)
{
	uint8_t best;
	if (read_pubkeys(c, &s->imported_pk, &s->n_imported) != 0)
		return err_set(err, "bad imported keys");
	for (int k = 0; k < WSTORE_CHAINS; k++)
		if (!cursor_u32(c, &s->next[k]) || read_pubkeys(c, &s->keys[k], &s->n_keys[k]) != 0 ||
		    s->next[k] > s->n_keys[k])
			return err_set(err, "bad key chain %d", k);
	if (read_labels(c, s) != 0)
		return err_set(err, "bad labels");
	if (!cursor_u8(c, &best) || best > 1 || !cursor_bytes(c, s->best_hash, 32) || !cursor_u32(c, &s->best_height))
		return err_set(err, "bad best block");
	s->have_best = best;
	return read_txs(c, s, err);
}

static int read_secret_part(struct cursor *c, struct wstore *s, uint8_t flags, char *err)
{
	uint64_t len;
	const uint8_t *p;
	if (flags & FLAG_ENCRYPTED) {
		s->encrypted = true;
		if (!cursor_bytes(c, s->salt, WSTORE_SALT_LEN) || !cursor_u8(c, &s->kdf_log2n) ||
		    !cursor_u32(c, &s->kdf_r) || !cursor_u32(c, &s->kdf_p) ||
		    !cursor_bytes(c, s->nonce, WSTORE_NONCE_LEN))
			return err_set(err, "bad encryption header");
		if (s->kdf_log2n < 1 || s->kdf_log2n > WSTORE_KDF_LOG2N_MAX || s->kdf_r < 1 ||
		    s->kdf_r > WSTORE_KDF_R_MAX || s->kdf_p < 1 || s->kdf_p > WSTORE_KDF_P_MAX)
			return err_set(err, "scrypt cost out of range");
	}
	if (!cursor_varint(c, &len, SECRET_MAX(WSTORE_MAX_KEYS) + WSTORE_TAG_LEN) || !cursor_view(c, &p, (size_t)len))
		return err_set(err, "bad secret block");
	if (!s->encrypted)
		return 0; /* parsed once the imported public keys are known */
	if (len < WSTORE_SEED_LEN + 1 + WSTORE_TAG_LEN || !(s->sealed = malloc((size_t)len)))
		return err_set(err, "bad sealed block");
	memcpy(s->sealed, p, (size_t)len);
	s->sealed_len = (size_t)len;
	return 0;
}

static int parse(struct wstore *s, const uint8_t *p, size_t len, char *err)
{
	char why[ERR_LEN] = "";
	uint8_t net[4], flags;
	struct cursor c;
	if (envelope_open(&file_format, &c, p, len, err) != 0)
		return -1;
	if (!cursor_bytes(&c, net, 4) || !cursor_u8(&c, &flags))
		return err_set(err, "truncated header");
	if (memcmp(net, s->net, 4) != 0)
		return err_set(err, "the wallet belongs to another network");
	if (flags & ~FLAG_ENCRYPTED)
		return err_set(err, "unknown flags 0x%02x", flags);
	struct cursor secret = c;
	if (read_secret_part(&c, s, flags, why) != 0 || read_public(&c, s, why) != 0)
		return err_set(err, "malformed: %s", why);
	if (!cursor_done(&c))
		return err_set(err, "malformed: %zu trailing bytes", c.len);
	if (s->encrypted)
		return 0;
	uint64_t slen;
	const uint8_t *sp;
	if (!cursor_varint(&secret, &slen, UINT64_MAX) || !cursor_view(&secret, &sp, (size_t)slen) ||
	    secret_parse(s, sp, (size_t)slen, why) != 0)
		return err_set(err, "malformed: %s", why);
	return 0;
}

int wstore_load(struct wstore *s, const char *path, const uint8_t net[4], char *err)
{
	char why[ERR_LEN] = "";
	size_t len;
	wstore_init(s, net);
	/* A .tmp left by a save that was interrupted is garbage: the real file
	 * is only ever replaced by a rename. */
	if (file_remove_tmp(path, err) != 0)
		return -1;
	uint8_t *p = file_read_bounded(path, WSTORE_MAX_FILE, &len, NULL, err);
	if (!p)
		return -1;
	int r = parse(s, p, len, why);
	OPENSSL_cleanse(p, len);
	free(p);
	if (r != 0) {
		wstore_release(s);
		return err_set(err, "cannot load '%s': %s", path, why);
	}
	return 0;
}
