#include "wallet/wstore.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "util/buf.h"
#include "util/cursor.h"
#include "util/file.h"
#include "util/grow.h"
#include "util/pool.h"

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

static void free_tx(struct wstore_tx *t)
{
	if (t)
		tx_release(&t->tx);
	free(t);
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
	for (size_t i = 0; i < s->n_txs; i++)
		free_tx(s->txs[i]);
	free(s->txs);
	free(s->touched);
	free(s->locks);
	free(s->lock_changes);
	store_close(s->db);
	free(s->dir);
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
	if (grow_array(&s->keys[chain], &s->cap_keys[chain], s->n_keys[chain] + 1, WSTORE_PUBKEY_LEN, 64,
		       WSTORE_MAX_KEYS) != 0)
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
	s->secrets_dirty = true;
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
			s->labels[i].dirty = s->labels_dirty = true;
			return 0;
		}
	if (grow((void **)&s->labels, s->n_labels, sizeof(*s->labels))) {
		free(copy);
		return -1;
	}
	memcpy(s->labels[s->n_labels].addr, addr, 20);
	s->labels[s->n_labels].dirty = s->labels_dirty = true;
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

/* Makes room for n transactions in all, so that loading a wallet grows
 * the list once. */
static int reserve_txs(struct wstore *s, size_t n)
{
	return grow_array(&s->txs, &s->cap_txs, n, sizeof(*s->txs), 64, WSTORE_MAX_TXS);
}

/* Takes t as the list's next transaction. */
static int append_tx(struct wstore *s, struct wstore_tx *t)
{
	if (reserve_txs(s, s->n_txs + 1) != 0)
		return -1;
	t->seq = s->n_txs;
	s->txs[s->n_txs++] = t;
	return 0;
}

struct wstore_tx *wstore_add_tx(struct wstore *s, const struct tx *tx, uint64_t time)
{
	struct wstore_tx *t = calloc(1, sizeof(*t));
	if (!t || tx_copy(&t->tx, tx) != 0 || append_tx(s, t) != 0) {
		if (t)
			tx_release(&t->tx);
		free(t);
		return NULL;
	}
	t->time = time;
	return t;
}

/* ---- persistent locks ---- */

static size_t find_lock(const struct wstore *s, const struct outpoint *op)
{
	size_t i = 0;
	while (i < s->n_locks && !(s->locks[i].index == op->index && memcmp(s->locks[i].txid, op->txid, 32) == 0))
		i++;
	return i;
}

/* Room for one more change is made before the set changes, so that a
 * failure leaves both as they were. */
static int note_lock_change(struct wstore *s, const struct outpoint *op, bool locked)
{
	if (grow_array(&s->lock_changes, &s->cap_lock_changes, s->n_lock_changes + 1, sizeof(*s->lock_changes), 8,
		       SIZE_MAX) != 0)
		return -1;
	s->lock_changes[s->n_lock_changes++] = (struct wstore_lock_change){ .op = *op, .locked = locked };
	return 0;
}

int wstore_lock(struct wstore *s, const struct outpoint *op)
{
	if (find_lock(s, op) < s->n_locks)
		return 0;
	if (grow((void **)&s->locks, s->n_locks, sizeof(*s->locks)) != 0 || note_lock_change(s, op, true) != 0)
		return -1;
	s->locks[s->n_locks++] = *op;
	return 0;
}

int wstore_unlock(struct wstore *s, const struct outpoint *op)
{
	size_t i = find_lock(s, op);
	if (i == s->n_locks)
		return 0;
	if (note_lock_change(s, op, false) != 0)
		return -1;
	s->locks[i] = s->locks[--s->n_locks];
	return 0;
}

/* ---- encryption ---- */

bool wstore_kdf_ok(uint8_t log2n, uint32_t r, uint32_t p)
{
	return log2n >= 1 && log2n <= WSTORE_KDF_LOG2N_MAX && r >= 1 && r <= WSTORE_KDF_R_MAX && p >= 1 &&
	       p <= WSTORE_KDF_P_MAX;
}

int wstore_derive_key(uint8_t key[WSTORE_AES_KEY_LEN], const char *pass, const uint8_t salt[WSTORE_SALT_LEN],
		      uint8_t log2n, uint32_t r, uint32_t p, char *err)
{
	memset(key, 0, WSTORE_AES_KEY_LEN);
	if (!wstore_kdf_ok(log2n, r, p))
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
int wstore_secret_block(struct buf *b, const struct wstore *s)
{
	buf_init(b);
	if (!buf_reserve(b, WSTORE_SECRET_MAX(s->n_imported)))
		return -1;
	buf_put(b, s->seed, WSTORE_SEED_LEN);
	buf_varint(b, s->n_imported);
	if (s->n_imported)
		buf_put(b, s->imported_sk, s->n_imported * WSTORE_SECKEY_LEN);
	return buf_ok(b) ? 0 : -1;
}

void wstore_buf_wipe(struct buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	buf_release(b);
}

/* Reads a secret block into s's secrets, wiping any held before. */
int wstore_secret_parse(struct wstore *s, const uint8_t *p, size_t len, char *err)
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
	if (wstore_secret_block(&plain, s) != 0) {
		wstore_buf_wipe(&plain);
		return err_set(err, "cannot seal the wallet secrets: out of memory");
	}
	uint8_t *sealed = malloc(plain.len + WSTORE_TAG_LEN);
	seal_aad(&aad, s);
	int ok = sealed && buf_ok(&aad) && RAND_bytes(nonce, sizeof(nonce)) == 1 &&
		 gcm(true, sealed, plain.data, plain.len, sealed + plain.len, key, nonce, &aad) == 0;
	size_t len = plain.len + WSTORE_TAG_LEN;
	wstore_buf_wipe(&plain);
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
	s->secrets_dirty = true;
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
	r = wstore_secret_parse(s, plain, len, err);
	OPENSSL_cleanse(plain, len);
	free(plain);
	if (r != 0)
		wstore_forget_secrets(s);
	return r;
}


/* ---- one transaction, as the file and the database hold it ---- */

void wstore_tx_write(struct buf *b, const struct wstore_tx *t)
{
	tx_write(b, &t->tx);
	buf_u64(b, t->time);
	/* bit 0 confirmed, bit 1 abandoned (docs/wallet.md) */
	buf_u8(b, (uint8_t)((t->confirmed ? 1 : 0) | (t->abandoned ? 2 : 0)));
	buf_put(b, t->block, 32);
	buf_u32(b, t->height);
	buf_u32(b, t->pos);
}

/* Parsed in place: a wallet of a million transactions is loaded without a
 * copy of each. NULL with err filled. */
static struct wstore_tx *tx_from(struct cursor *c, char *err)
{
	uint8_t confirmed;
	struct wstore_tx *t = calloc(1, sizeof(*t));
	if (!t) {
		err_set(err, "out of memory");
		return NULL;
	}
	if (tx_read(c, &t->tx, err) != 0) {
		free(t);
		return NULL;
	}
	if (!cursor_u64(c, &t->time) || !cursor_u8(c, &confirmed) || confirmed > 3 || !cursor_bytes(c, t->block, 32) ||
	    !cursor_u32(c, &t->height) || !cursor_u32(c, &t->pos)) {
		err_set(err, "truncated record");
		free_tx(t);
		return NULL;
	}
	t->confirmed = confirmed & 1;
	t->abandoned = (confirmed & 2) != 0;
	return t;
}

int wstore_tx_read(struct cursor *c, struct wstore *s, char *err)
{
	struct wstore_tx *t = tx_from(c, err);
	if (!t)
		return -1;
	if (append_tx(s, t) != 0) {
		free_tx(t);
		return err_set(err, "out of memory");
	}
	return 0;
}

/* ---- the database ----
 *
 * One record per thing, a one-byte prefix and a fixed key (docs/wallet.md):
 * 'M' meta, 'S' secrets, 'C' counters, 'B' best block, 'K' chain ‖ index
 * key, 'I' index imported key, 'L' address label, 'T' seq transaction,
 * 'U' txid vout persistent lock.
 * Indexes are big-endian so that key order is list order. */

#define REC_META 'M'
#define REC_SECRET 'S'
#define REC_COUNTS 'C'
#define REC_BEST 'B'
#define REC_KEY 'K'
#define REC_IMPORT 'I'
#define REC_LABEL 'L'
#define REC_TX 'T'
#define REC_LOCK 'U'
#define LOCK_KEY_LEN 37
#define META_ENCRYPTED 0x01
/* The block cache of a wallet's database: its records are read once, at
 * open, and kept in the image. */
#define DB_CACHE (1u << 20)

static void be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void be64(uint8_t *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

static uint64_t rd_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* A batch being filled: each record's value goes through v, reused. */
struct commit {
	struct store_batch *b;
	struct buf v;
	size_t n;
	bool ok;
};

static void put(struct commit *c, const uint8_t *key, size_t klen)
{
	if (buf_ok(&c->v))
		store_batch_put(c->b, key, klen, c->v.len ? c->v.data : (const uint8_t *)"", c->v.len);
	else
		c->ok = false;
	c->n++;
	buf_reset(&c->v);
}

static void put1(struct commit *c, uint8_t prefix)
{
	put(c, &prefix, 1);
}

static void put_fixed(struct commit *c, const struct wstore *s)
{
	buf_put(&c->v, s->net, 4);
	buf_u32(&c->v, WSTORE_DB_VERSION);
	buf_u8(&c->v, s->encrypted ? META_ENCRYPTED : 0);
	if (s->encrypted) {
		buf_put(&c->v, s->salt, WSTORE_SALT_LEN);
		buf_u8(&c->v, s->kdf_log2n);
		buf_u32(&c->v, s->kdf_r);
		buf_u32(&c->v, s->kdf_p);
	}
	put1(c, REC_META);
	for (int ch = 0; ch < WSTORE_CHAINS; ch++) {
		buf_u32(&c->v, s->next[ch]);
		buf_u32(&c->v, (uint32_t)s->n_keys[ch]);
	}
	buf_u32(&c->v, (uint32_t)s->n_imported);
	buf_u64(&c->v, s->n_txs);
	put1(c, REC_COUNTS);
	buf_u8(&c->v, s->have_best);
	buf_put(&c->v, s->best_hash, 32);
	buf_u32(&c->v, s->best_height);
	put1(c, REC_BEST);
}

/* The sealed block as it is, or the plain secrets in a buffer of their own
 * that is wiped (LevelDB's batch keeps its copy until the batch is freed). */
static void put_secret(struct commit *c, const struct wstore *s)
{
	const uint8_t k = REC_SECRET;
	if (s->encrypted) {
		buf_put(&c->v, s->nonce, WSTORE_NONCE_LEN);
		buf_put(&c->v, s->sealed, s->sealed_len);
		put1(c, REC_SECRET);
		return;
	}
	struct buf plain;
	if (!s->have_secrets || wstore_secret_block(&plain, s) != 0)
		c->ok = false;
	else
		store_batch_put(c->b, &k, 1, plain.data, plain.len);
	wstore_buf_wipe(&plain);
	c->n++;
}

/* K chain index (6 bytes) or I index (5 bytes) -> x-only public key. */
static size_t key_key(uint8_t k[6], uint8_t prefix, int chain, size_t i)
{
	k[0] = prefix;
	if (prefix == REC_KEY)
		k[1] = (uint8_t)chain;
	be32(k + (prefix == REC_KEY ? 2 : 1), (uint32_t)i);
	return prefix == REC_KEY ? 6 : 5;
}

static void put_key(struct commit *c, uint8_t prefix, int chain, size_t i, const uint8_t pub[WSTORE_PUBKEY_LEN])
{
	uint8_t k[6];
	size_t klen = key_key(k, prefix, chain, i);
	buf_put(&c->v, pub, WSTORE_PUBKEY_LEN);
	put(c, k, klen);
}

static void put_tx(struct commit *c, const struct wstore_tx *t)
{
	uint8_t k[9] = { REC_TX };
	be64(k + 1, t->seq);
	wstore_tx_write(&c->v, t);
	put(c, k, sizeof(k));
}

static void put_labels(struct commit *c, const struct wstore *s)
{
	uint8_t k[21] = { REC_LABEL };
	for (size_t i = 0; s->labels_dirty && i < s->n_labels; i++)
		if (s->labels[i].dirty) {
			memcpy(k + 1, s->labels[i].addr, 20);
			buf_put(&c->v, s->labels[i].text, strlen(s->labels[i].text));
			put(c, k, sizeof(k));
		}
}

/* U txid vout (big-endian) -> nothing. */
static void lock_key(uint8_t k[LOCK_KEY_LEN], const struct outpoint *op)
{
	k[0] = REC_LOCK;
	memcpy(k + 1, op->txid, 32);
	be32(k + 33, op->index);
}

/* The changes in the order they were made: in one batch the last one of
 * an outpoint wins. */
static void put_locks(struct commit *c, const struct wstore *s)
{
	uint8_t k[LOCK_KEY_LEN];
	if (s->locks_unsaved)
		for (size_t i = 0; i < s->n_locks; i++) {
			lock_key(k, &s->locks[i]);
			put(c, k, sizeof(k));
		}
	for (size_t i = 0; i < s->n_lock_changes; i++) {
		lock_key(k, &s->lock_changes[i].op);
		if (s->lock_changes[i].locked) {
			put(c, k, sizeof(k));
		} else {
			store_batch_del(c->b, k, sizeof(k));
			c->n++;
		}
	}
}

static void put_lists(struct commit *c, const struct wstore *s)
{
	for (int ch = 0; ch < WSTORE_CHAINS; ch++) {
		for (size_t i = s->saved_keys[ch]; i < s->n_keys[ch]; i++)
			put_key(c, REC_KEY, ch, i, s->keys[ch][i]);
		for (size_t i = s->n_keys[ch]; i < s->stale_keys[ch]; i++) {
			uint8_t k[6];
			store_batch_del(c->b, k, key_key(k, REC_KEY, ch, i));
			c->n++;
		}
	}
	for (size_t i = s->saved_imported; i < s->n_imported; i++)
		put_key(c, REC_IMPORT, 0, i, s->imported_pk[i]);
	put_labels(c, s);
	if (s->touch_lost)
		for (size_t i = 0; i < s->saved_txs; i++)
			put_tx(c, s->txs[i]);
	else
		for (size_t i = 0; i < s->n_touched; i++)
			put_tx(c, s->touched[i]);
	for (size_t i = s->saved_txs; i < s->n_txs; i++)
		put_tx(c, s->txs[i]);
	put_locks(c, s);
}

/* After a commit (or a load): the database holds the whole image. */
static void mark_saved(struct wstore *s)
{
	for (int ch = 0; ch < WSTORE_CHAINS; ch++)
		s->saved_keys[ch] = s->stale_keys[ch] = s->n_keys[ch];
	s->saved_imported = s->n_imported;
	s->saved_txs = s->n_txs;
	for (size_t i = 0; s->labels_dirty && i < s->n_labels; i++)
		s->labels[i].dirty = false;
	for (size_t i = 0; i < s->n_touched; i++)
		s->touched[i]->touched = false;
	s->n_touched = s->n_lock_changes = 0;
	s->touch_lost = s->secrets_dirty = s->labels_dirty = s->locks_unsaved = false;
}

/* Before the first commit into a fresh database: it holds nothing. */
static void mark_unsaved(struct wstore *s)
{
	mark_saved(s);
	for (int ch = 0; ch < WSTORE_CHAINS; ch++)
		s->saved_keys[ch] = s->stale_keys[ch] = 0;
	s->saved_imported = s->saved_txs = 0;
	for (size_t i = 0; i < s->n_labels; i++)
		s->labels[i].dirty = true;
	s->labels_dirty = s->secrets_dirty = s->locks_unsaved = true;
}

int wstore_commit(struct wstore *s, char *err)
{
	char why[ERR_LEN] = "out of memory";
	struct commit c = { .b = store_batch_new(), .v = BUF_INIT, .ok = true };
	if (!s->db) {
		store_batch_free(c.b);
		return err_set(err, "cannot save the wallet: it has no database");
	}
	if (c.b) {
		put_fixed(&c, s);
		if (s->secrets_dirty)
			put_secret(&c, s);
		put_lists(&c, s);
	}
	int r = c.b && c.ok ? store_write(s->db, c.b, s->secrets_dirty, why) : -1;
	buf_release(&c.v);
	store_batch_free(c.b);
	if (r != 0)
		return err_set(err, "cannot save the wallet: %s", why);
	mark_saved(s);
	s->last_commit = c.n;
	return 0;
}

void wstore_tx_touch(struct wstore *s, struct wstore_tx *t)
{
	if (t->seq >= s->saved_txs || t->touched || s->touch_lost)
		return;
	if (grow_array(&s->touched, &s->cap_touched, s->n_touched + 1, sizeof(*s->touched), 16, SIZE_MAX) != 0) {
		s->touch_lost = true; /* the next commit rewrites every transaction */
		return;
	}
	t->touched = true;
	s->touched[s->n_touched++] = t;
}

void wstore_reset_seed(struct wstore *s, const uint8_t seed[WSTORE_SEED_LEN])
{
	memcpy(s->seed, seed, WSTORE_SEED_LEN);
	s->have_secrets = s->secrets_dirty = true;
	for (int ch = 0; ch < WSTORE_CHAINS; ch++) {
		if (s->saved_keys[ch] > s->stale_keys[ch])
			s->stale_keys[ch] = s->saved_keys[ch];
		free(s->keys[ch]);
		s->keys[ch] = NULL;
		s->n_keys[ch] = s->saved_keys[ch] = s->cap_keys[ch] = 0;
		s->next[ch] = 0;
	}
}

/* ---- reading the database ---- */

/* The value of a one-byte key; a missing record is named as such. */
static int get_record(struct wstore *s, uint8_t prefix, uint8_t **val, size_t *len, const char *what, char *err)
{
	char why[ERR_LEN];
	int r = store_get(s->db, &prefix, 1, val, len, why);
	if (r < 0)
		return err_set(err, "%s", why);
	return r ? 0 : err_set(err, "no %s record", what);
}

static int read_meta(struct wstore *s, char *err)
{
	char why[ERR_LEN];
	uint8_t *v, net[4], flags;
	size_t len;
	uint32_t version;
	const uint8_t k = REC_META;
	int found = store_get(s->db, &k, 1, &v, &len, why);
	if (found <= 0)
		return err_set(err, "%s", found < 0 ? why : "not a cairn wallet database");
	struct cursor c = cursor_make(v, len);
	int r = -1;
	if (!cursor_bytes(&c, net, 4) || !cursor_u32(&c, &version) || !cursor_u8(&c, &flags))
		err_set(err, "meta record: truncated");
	else if (memcmp(net, s->net, 4) != 0)
		err_set(err, "the wallet belongs to another network");
	else if (version != WSTORE_DB_VERSION)
		err_set(err, "unsupported version %u", version);
	else if (flags & ~META_ENCRYPTED)
		err_set(err, "meta record: unknown flags 0x%02x", flags);
	else if ((s->encrypted = flags & META_ENCRYPTED) &&
		 (!cursor_bytes(&c, s->salt, WSTORE_SALT_LEN) || !cursor_u8(&c, &s->kdf_log2n) ||
		  !cursor_u32(&c, &s->kdf_r) || !cursor_u32(&c, &s->kdf_p) ||
		  !wstore_kdf_ok(s->kdf_log2n, s->kdf_r, s->kdf_p)))
		err_set(err, "meta record: bad encryption parameters");
	else
		r = cursor_done(&c) ? 0 : err_set(err, "meta record: trailing bytes");
	store_free(v);
	return r;
}

/* The counters, checked against the records once they are read. */
struct counts {
	uint32_t next[WSTORE_CHAINS], n_keys[WSTORE_CHAINS], n_imported;
	uint64_t n_txs;
};

static int read_fixed(struct wstore *s, struct counts *n, char *err)
{
	uint8_t *v, best;
	size_t len;
	if (get_record(s, REC_COUNTS, &v, &len, "counters", err) != 0)
		return -1;
	struct cursor c = cursor_make(v, len);
	bool ok = true;
	for (int ch = 0; ch < WSTORE_CHAINS; ch++)
		ok = ok && cursor_u32(&c, &n->next[ch]) && cursor_u32(&c, &n->n_keys[ch]) && n->next[ch] <= n->n_keys[ch];
	ok = ok && cursor_u32(&c, &n->n_imported) && cursor_u64(&c, &n->n_txs) && cursor_done(&c);
	store_free(v);
	if (!ok)
		return err_set(err, "counters record: malformed");
	if (get_record(s, REC_BEST, &v, &len, "best block", err) != 0)
		return -1;
	c = cursor_make(v, len);
	ok = cursor_u8(&c, &best) && best <= 1 && cursor_bytes(&c, s->best_hash, 32) && cursor_u32(&c, &s->best_height) &&
	     cursor_done(&c);
	s->have_best = best;
	store_free(v);
	return ok ? 0 : err_set(err, "best block record: malformed");
}

/* Walks the records of one prefix in key order; each must be the next of
 * its list. */
typedef int (*record_fn)(struct wstore *s, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen, char *err);

static int read_prefix(struct wstore *s, uint8_t prefix, record_fn fn, char *err)
{
	const uint8_t *k, *v;
	size_t klen, vlen;
	struct store_iter *it = store_iter_new(s->db, &prefix, 1);
	int r = it ? 0 : err_set(err, "out of memory");
	while (r == 0 && it && store_iter_next(it, &k, &klen, &v, &vlen))
		r = fn(s, k, klen, v, vlen, err);
	store_iter_free(it);
	return r;
}

static int read_key(struct wstore *s, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen, char *err)
{
	int ch = klen == 6 ? k[1] : -1;
	if (ch < 0 || ch >= WSTORE_CHAINS || rd_be(k + 2, 4) != s->n_keys[ch] || vlen != WSTORE_PUBKEY_LEN)
		return err_set(err, "key record: malformed or out of order");
	return wstore_add_key(s, (enum wstore_chain)ch, v) == 0 ? 0 : err_set(err, "too many keys");
}

static int read_import(struct wstore *s, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen, char *err)
{
	if (klen != 5 || rd_be(k + 1, 4) != s->n_imported || vlen != WSTORE_PUBKEY_LEN)
		return err_set(err, "imported key record: malformed or out of order");
	if (s->n_imported >= WSTORE_MAX_KEYS || grow((void **)&s->imported_pk, s->n_imported, WSTORE_PUBKEY_LEN) != 0)
		return err_set(err, "too many imported keys");
	memcpy(s->imported_pk[s->n_imported++], v, WSTORE_PUBKEY_LEN);
	return 0;
}

static int read_label(struct wstore *s, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen, char *err)
{
	char text[WSTORE_LABEL_MAX + 1];
	if (klen != 21 || vlen > WSTORE_LABEL_MAX || memchr(v, '\0', vlen))
		return err_set(err, "label record: malformed");
	memcpy(text, v, vlen);
	text[vlen] = '\0';
	return wstore_set_label(s, k + 1, text) == 0 ? 0 : err_set(err, "out of memory");
}

/* The transaction records [lo, hi), each parsed into its slot: the slices
 * of a big wallet are read side by side on the pool. */
struct tx_slice {
	struct wstore *s;
	uint64_t lo, hi;
	int r;
	char err[ERR_LEN];
};

static int slice_record(struct tx_slice *sl, uint64_t want, const uint8_t *k, size_t klen, const uint8_t *v,
			size_t vlen)
{
	char why[ERR_LEN] = "";
	uint64_t seq = klen == 9 ? rd_be(k + 1, 8) : UINT64_MAX;
	if (seq != want)
		return err_set(sl->err, "transaction record %llu: out of order (expected %llu)", (unsigned long long)seq,
			       (unsigned long long)want);
	struct cursor c = cursor_make(v, vlen);
	struct wstore_tx *t = tx_from(&c, why);
	if (!t || !cursor_done(&c)) {
		free_tx(t);
		return err_set(sl->err, "transaction record %llu: %s", (unsigned long long)seq,
			       why[0] ? why : "trailing bytes");
	}
	t->seq = seq;
	sl->s->txs[seq] = t;
	return 0;
}

static void read_slice(void *arg)
{
	struct tx_slice *sl = arg;
	const uint8_t *k, *v, prefix = REC_TX;
	size_t klen, vlen;
	uint8_t from[9] = { REC_TX };
	be64(from + 1, sl->lo);
	struct store_iter *it = store_iter_new(sl->s->db, &prefix, 1);
	uint64_t seq = sl->lo;
	sl->r = !it || store_iter_from(it, from, sizeof(from)) != 0 ? err_set(sl->err, "out of memory") : 0;
	while (sl->r == 0 && seq < sl->hi && store_iter_next(it, &k, &klen, &v, &vlen))
		sl->r = slice_record(sl, seq++, k, klen, v, vlen);
	if (sl->r == 0 && seq < sl->hi)
		sl->r = err_set(sl->err, "transaction record %llu: missing", (unsigned long long)seq);
	/* The last slice sees that no record follows the counted ones. */
	if (sl->r == 0 && sl->hi == sl->s->n_txs && store_iter_next(it, &k, &klen, &v, &vlen))
		sl->r = err_set(sl->err, "more transaction records than the %llu counted", (unsigned long long)sl->hi);
	store_iter_free(it);
}

#define SLICE_MIN 8192

static int read_txs(struct wstore *s, uint64_t n, struct pool *pool, char *err)
{
	if (n > WSTORE_MAX_TXS || reserve_txs(s, (size_t)n) != 0)
		return err_set(err, "no room for %llu transactions", (unsigned long long)n);
	if (n)
		memset(s->txs, 0, (size_t)n * sizeof(*s->txs));
	s->n_txs = (size_t)n; /* every slot NULL or filled: released either way */
	size_t k = (size_t)pool_threads(pool) + 1;
	if (k > n / SLICE_MIN)
		k = n / SLICE_MIN ? (size_t)(n / SLICE_MIN) : 1;
	struct tx_slice *sl = calloc(k, sizeof(*sl));
	if (!sl)
		return err_set(err, "out of memory");
	struct pool_batch b;
	pool_batch_init(&b, pool);
	for (size_t i = 0; i < k; i++) {
		sl[i] = (struct tx_slice){ .s = s, .lo = n * i / k, .hi = n * (i + 1) / k };
		pool_batch_add(&b, read_slice, &sl[i]);
	}
	pool_batch_wait(&b);
	int r = 0;
	for (size_t i = 0; i < k && r == 0; i++)
		if (sl[i].r != 0)
			r = err_set(err, "%s", sl[i].err);
	free(sl);
	return r;
}

static int read_lock(struct wstore *s, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen, char *err)
{
	(void)v;
	struct outpoint op;
	if (klen != LOCK_KEY_LEN || vlen != 0)
		return err_set(err, "lock record: malformed");
	memcpy(op.txid, k + 1, 32);
	op.index = (uint32_t)rd_be(k + 33, 4);
	if (wstore_lock(s, &op) != 0)
		return err_set(err, "out of memory");
	s->n_lock_changes = 0; /* read, not changed */
	return 0;
}

static int read_secret(struct wstore *s, char *err)
{
	uint8_t *v;
	size_t len;
	int r = 0;
	if (get_record(s, REC_SECRET, &v, &len, "secret", err) != 0)
		return -1;
	if (!s->encrypted)
		r = wstore_secret_parse(s, v, len, err);
	else if (len < WSTORE_NONCE_LEN + WSTORE_SEED_LEN + 1 + WSTORE_TAG_LEN || !(s->sealed = malloc(len)))
		r = err_set(err, "secret record: malformed");
	else {
		memcpy(s->nonce, v, WSTORE_NONCE_LEN);
		s->sealed_len = len - WSTORE_NONCE_LEN;
		memcpy(s->sealed, v + WSTORE_NONCE_LEN, s->sealed_len);
	}
	OPENSSL_cleanse(v, len);
	store_free(v);
	return r;
}

static int read_records(struct wstore *s, struct pool *pool, char *err)
{
	struct counts n;
	if (read_meta(s, err) != 0 || read_fixed(s, &n, err) != 0 || read_prefix(s, REC_KEY, read_key, err) != 0 ||
	    read_prefix(s, REC_IMPORT, read_import, err) != 0 || read_secret(s, err) != 0 ||
	    read_prefix(s, REC_LABEL, read_label, err) != 0)
		return -1;
	if (read_txs(s, n.n_txs, pool, err) != 0 || read_prefix(s, REC_LOCK, read_lock, err) != 0)
		return -1;
	for (int ch = 0; ch < WSTORE_CHAINS; ch++) {
		if (s->n_keys[ch] != n.n_keys[ch])
			return err_set(err, "chain %d: %zu key records for %u keys", ch, s->n_keys[ch], n.n_keys[ch]);
		s->next[ch] = n.next[ch];
	}
	if (s->n_imported != n.n_imported)
		return err_set(err, "%zu imported key records for %u keys", s->n_imported, n.n_imported);
	return 0;
}

/* ---- opening and creating ---- */

/* LevelDB makes its files with mode 0644 (less the umask): the folder is
 * kept 0700 and the files present are set to 0600. */
static int secure_files(const char *dir, char *err)
{
	char path[4096];
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = d ? 0 : err_set(err, "cannot read the folder '%s': %s", dir, strerror(errno));
	while (r == 0 && (e = readdir(d))) {
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) != 0600 && chmod(path, 0600) != 0)
			r = err_set(err, "cannot set the mode of '%s': %s", path, strerror(errno));
	}
	if (d)
		closedir(d);
	if (r == 0 && chmod(dir, 0700) != 0)
		r = err_set(err, "cannot set the mode of '%s': %s", dir, strerror(errno));
	return r;
}

static int attach(struct wstore *s, const char *dir, char *err)
{
	char why[ERR_LEN];
	if (!(s->dir = strdup(dir)))
		return err_set(err, "out of memory");
	if (!(s->db = store_open(dir, DB_CACHE, why)))
		return err_set(err, "%s", why);
	return secure_files(dir, err);
}

int wstore_open(struct wstore *s, const char *dir, const uint8_t net[4], struct pool *pool, char *err)
{
	char why[ERR_LEN] = "";
	struct stat st;
	wstore_init(s, net);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return err_set(err, "cannot open the wallet '%s': no such folder", dir);
	if (attach(s, dir, why) != 0 || read_records(s, pool, why) != 0) {
		wstore_release(s);
		return err_set(err, "cannot open the wallet '%s': %s", dir, why);
	}
	mark_saved(s);
	return 0;
}

/* Writes the image into a fresh database at tmp and closes it. */
static int build(struct wstore *s, const char *tmp, char *err)
{
	char why[ERR_LEN];
	if (store_destroy(tmp, why) != 0)
		return err_set(err, "cannot remove the leftover '%s': %s", tmp, why);
	rmdir(tmp); /* LevelDB leaves the folder when it held more than its files */
	if (mkdir(tmp, 0700) != 0)
		return err_set(err, "cannot create '%s': %s", tmp, strerror(errno));
	if (!(s->db = store_open(tmp, DB_CACHE, why)))
		return err_set(err, "%s", why);
	mark_unsaved(s);
	int r = wstore_commit(s, err);
	store_close(s->db);
	s->db = NULL;
	if (r != 0) {
		mark_unsaved(s);
		if (store_destroy(tmp, why) == 0)
			rmdir(tmp);
	}
	return r;
}

int wstore_create(struct wstore *s, const char *dir, char *err)
{
	char tmp[4096], why[ERR_LEN] = "";
	struct stat st;
	if (stat(dir, &st) == 0 || errno != ENOENT)
		return err_set(err, "cannot create the wallet '%s': it already exists", dir);
	int n = snprintf(tmp, sizeof(tmp), "%s.new", dir);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return err_set(err, "cannot create the wallet '%s': path too long", dir);
	if (build(s, tmp, why) != 0)
		return err_set(err, "cannot create the wallet '%s': %s", dir, why);
	if (rename(tmp, dir) != 0)
		return err_set(err, "cannot create the wallet '%s': cannot rename '%s': %s", dir, tmp, strerror(errno));
	if (file_sync_dir_of(dir, why) != 0)
		return err_set(err, "cannot create the wallet '%s': %s", dir, why);
	if (attach(s, dir, why) != 0) {
		store_close(s->db);
		s->db = NULL;
		return err_set(err, "cannot open the wallet '%s': %s", dir, why);
	}
	mark_saved(s);
	return 0;
}

int wstore_compact(struct wstore *s, char *err)
{
	char why[ERR_LEN];
	if (!s->db)
		return err_set(err, "cannot compact the wallet: it has no database");
	if (store_compact(s->db, why) != 0)
		return err_set(err, "cannot compact the wallet: %s", why);
	return secure_files(s->dir, err);
}
