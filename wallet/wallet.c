#include "wallet/wallet_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "util/hex.h"
#include "util/log.h"
#include "wallet/key.h"
#include "wallet/wfile.h"

/* The wallet's lifecycle, its keys and addresses, and encryption; what it
 * follows and lists is in track.c, what it builds and signs in spend.c. */

/* ---- small helpers ---- */

int wallet_locked_error(char *err)
{
	err_set(err, "error: please enter the wallet passphrase with walletpassphrase first");
	return WALLET_LOCKED;
}

void wallet_save(struct wallet *w)
{
	char err[ERR_LEN];
	if (w->batch)
		return;
	if (wstore_commit(&w->s, err) != 0)
		log_error("wallet: %s", err);
}

int wallet_save_now(struct wallet *w, char *err)
{
	return wstore_commit(&w->s, err) == 0 ? WALLET_OK : WALLET_ERROR;
}

/* After the secrets were sealed anew: the older secret record (the plain
 * one, or one sealed under the old passphrase) is dropped from the
 * database's files. */
static int erase_old_secrets(struct wallet *w, char *err)
{
	char why[ERR_LEN];
	if (wstore_compact(&w->s, why) == 0)
		return WALLET_OK;
	err_set(err, "the new secrets are saved, but the old ones could not be erased from the wallet's files: %s", why);
	return WALLET_ERROR;
}

/* ---- keys ---- */

static int add_wkey(struct wallet *w, uint8_t chain, uint32_t index, const uint8_t pub[32])
{
	struct wallet_key *k = calloc(1, sizeof(*k));
	if (!k)
		return -1;
	tx_pubkey_hash(k->addr, pub);
	memcpy(k->pub, pub, 32);
	k->chain = chain;
	k->index = index;
	if (hmap_get(&w->keys, k->addr)) {
		free(k); /* an imported copy of an HD key: the HD entry stays */
		return 0;
	}
	if (hmap_put(&w->keys, k->addr, k) != 0) {
		free(k);
		return -1;
	}
	return 0;
}

static void forget_hd(struct wallet *w)
{
	for (size_t c = 0; c < WSTORE_CHAINS; c++)
		bip32_key_release(&w->hd_chain[c]);
	w->hd_ready = false;
}

/* The secret key at m/0'/chain'/index' below the seed. */
static int hd_seckey(struct wallet *w, uint32_t chain, uint32_t index, uint8_t sk[32], char *err)
{
	if (!w->hd_ready) {
		struct bip32_key k;
		int r = bip32_master(&k, w->s.seed, WSTORE_SEED_LEN, err);
		r = r ? r : bip32_derive_child(&k, &k, 0 | BIP32_HARDENED, err);
		for (uint32_t c = 0; r == 0 && c < WSTORE_CHAINS; c++)
			r = bip32_derive_child(&w->hd_chain[c], &k, c | BIP32_HARDENED, err);
		bip32_key_release(&k);
		if (r != 0) {
			forget_hd(w);
			return -1;
		}
		w->hd_ready = true;
	}
	return bip32_derive_seckey(sk, &w->hd_chain[chain], index | BIP32_HARDENED, err);
}

int wallet_seckey_of(struct wallet *w, const struct wallet_key *k, uint8_t sk[32], char *err)
{
	if (k->chain == WALLET_CHAIN_IMPORTED) {
		memcpy(sk, w->s.imported_sk[k->index], 32);
		return 0;
	}
	return hd_seckey(w, k->chain, k->index, sk, err);
}

/* Derives keys until each chain holds WALLET_LOOKAHEAD beyond its next
 * index. Needs the seed: a locked wallet tops up when it is unlocked. */
int wallet_topup(struct wallet *w, bool *grew, char *err)
{
	if (grew)
		*grew = false;
	if (!wallet_has_secrets(w))
		return 0;
	for (uint32_t c = 0; c < WSTORE_CHAINS; c++)
		while (w->s.n_keys[c] < (size_t)w->s.next[c] + WALLET_LOOKAHEAD) {
			uint8_t pub[32], sk[32];
			uint32_t i = (uint32_t)w->s.n_keys[c];
			if (hd_seckey(w, c, i, sk, err) != 0)
				return -1;
			int r = key_pubkey_xonly(pub, sk);
			OPENSSL_cleanse(sk, sizeof(sk));
			if (r != 0 || wstore_add_key(&w->s, c, pub) != 0 || add_wkey(w, (uint8_t)c, i, pub) != 0)
				return err_set(err, "cannot derive wallet keys: out of memory");
			if (grew)
				*grew = true;
		}
	return 0;
}

int wallet_next_key(struct wallet *w, enum wstore_chain c, const struct wallet_key **out, char *err)
{
	*out = NULL;
	if (w->s.next[c] >= w->s.n_keys[c]) {
		err_set(err, "error: keypool ran out, please call walletpassphrase first to refill it");
		return WALLET_KEYPOOL_RAN_OUT;
	}
	uint8_t addr[20];
	tx_pubkey_hash(addr, w->s.keys[c][w->s.next[c]]);
	*out = hmap_get(&w->keys, addr);
	w->s.next[c]++;
	if (wallet_topup(w, NULL, err) != 0)
		return WALLET_ERROR;
	return *out ? WALLET_OK : err_set(err, "cannot find a wallet key: index damaged");
}

static int encode(const struct wallet *w, char *out, size_t out_len, const uint8_t addr[20], char *err)
{
	if (address_encode(out, out_len, w->p->hrp, addr) != 0)
		return err_set(err, "cannot encode an address: buffer too small");
	return WALLET_OK;
}

static int new_address(struct wallet *w, enum wstore_chain c, char *out, size_t out_len, const char *label,
		       char *err)
{
	const struct wallet_key *k;
	if (out_len)
		out[0] = '\0';
	if (label && strlen(label) > WSTORE_LABEL_MAX) {
		err_set(err, "invalid label: longer than %d bytes", WSTORE_LABEL_MAX);
		return WALLET_INVALID_PARAMETER;
	}
	int r = wallet_next_key(w, c, &k, err);
	if (r != WALLET_OK)
		return r;
	if (c == WSTORE_EXTERNAL && wstore_set_label(&w->s, k->addr, label ? label : "") != 0)
		return err_set(err, "cannot set a label: out of memory");
	if (wallet_save_now(w, err) != WALLET_OK)
		return WALLET_ERROR;
	return encode(w, out, out_len, k->addr, err);
}

int wallet_get_new_address(struct wallet *w, char *out, size_t out_len, const char *label, char *err)
{
	return new_address(w, WSTORE_EXTERNAL, out, out_len, label, err);
}

int wallet_get_change_address(struct wallet *w, char *out, size_t out_len, char *err)
{
	return new_address(w, WSTORE_CHANGE, out, out_len, NULL, err);
}

bool wallet_is_mine(const struct wallet *w, const uint8_t addr[20], const char **label, bool *change)
{
	const struct wallet_key *k = hmap_get(&w->keys, addr);
	if (label) {
		const char *l = k ? wstore_label(&w->s, addr) : NULL;
		*label = l ? l : "";
	}
	if (change)
		*change = k && k->chain == WSTORE_CHANGE;
	return k != NULL;
}

bool wallet_address_info(const struct wallet *w, const uint8_t addr[20], struct wallet_address_info *out)
{
	const struct wallet_key *k = hmap_get(&w->keys, addr);
	memset(out, 0, sizeof(*out));
	if (!k)
		return false;
	const char *l = wstore_label(&w->s, addr);
	memcpy(out->pubkey, k->pub, 32);
	out->change = k->chain == WSTORE_CHANGE;
	out->imported = k->chain == WALLET_CHAIN_IMPORTED;
	out->chain = k->chain;
	out->index = k->index;
	out->has_label = l != NULL;
	snprintf(out->label, sizeof(out->label), "%s", l ? l : "");
	return true;
}

int wallet_set_label(struct wallet *w, const uint8_t addr[20], const char *label, char *err)
{
	if (!hmap_get(&w->keys, addr)) {
		err_set(err, "cannot set the label: the address is not in the wallet");
		return WALLET_INVALID_ADDRESS;
	}
	if (!label || wstore_set_label(&w->s, addr, label) != 0) {
		err_set(err, "invalid label: longer than %d bytes", WSTORE_LABEL_MAX);
		return WALLET_INVALID_PARAMETER;
	}
	return wallet_save_now(w, err);
}

int wallet_dump_privkey(struct wallet *w, char out[WALLET_SECKEY_HEX_LEN], const char *address, char *err)
{
	uint8_t addr[20], sk[32];
	char why[ERR_LEN];
	memset(out, 0, WALLET_SECKEY_HEX_LEN);
	if (!address || address_decode(addr, w->p->hrp, address, why) != 0) {
		err_set(err, "%s", address ? why : "invalid address: missing");
		return WALLET_INVALID_ADDRESS;
	}
	const struct wallet_key *k = hmap_get(&w->keys, addr);
	if (!k) {
		err_set(err, "private key for address %s is not known", address);
		return WALLET_ERROR;
	}
	if (!wallet_has_secrets(w))
		return wallet_locked_error(err);
	if (wallet_seckey_of(w, k, sk, err) != 0)
		return WALLET_ERROR;
	hex_encode(out, sk, 32);
	OPENSSL_cleanse(sk, sizeof(sk));
	return WALLET_OK;
}

int wallet_export_seed(struct wallet *w, char out[WALLET_SECKEY_HEX_LEN], char *err)
{
	memset(out, 0, WALLET_SECKEY_HEX_LEN);
	if (!wallet_has_secrets(w))
		return wallet_locked_error(err);
	hex_encode(out, w->s.seed, WSTORE_SEED_LEN);
	return WALLET_OK;
}

int wallet_import_privkey(struct wallet *w, const char *hex, const char *label, struct chainstate *cs, char *err)
{
	uint8_t sk[32], pub[32], addr[20];
	if (!hex || strlen(hex) != 64 || !hex_decode(sk, 32, hex) || !key_seckey_valid(sk)) {
		OPENSSL_cleanse(sk, sizeof(sk));
		err_set(err, "invalid private key encoding: expected 64 hex digits of a valid secret key");
		return WALLET_INVALID_ADDRESS;
	}
	if (label && strlen(label) > WSTORE_LABEL_MAX) {
		OPENSSL_cleanse(sk, sizeof(sk));
		err_set(err, "invalid label: longer than %d bytes", WSTORE_LABEL_MAX);
		return WALLET_INVALID_PARAMETER;
	}
	if (!wallet_has_secrets(w)) {
		OPENSSL_cleanse(sk, sizeof(sk));
		return wallet_locked_error(err);
	}
	int r = key_pubkey_xonly(pub, sk);
	tx_pubkey_hash(addr, pub);
	if (r == 0 && !hmap_get(&w->keys, addr)) {
		r = wstore_add_import(&w->s, sk, pub);
		r = r ? r : add_wkey(w, WALLET_CHAIN_IMPORTED, (uint32_t)w->s.n_imported - 1, pub);
		if (r == 0 && w->s.encrypted)
			r = wstore_seal(&w->s, w->aes_key, err);
	}
	OPENSSL_cleanse(sk, sizeof(sk));
	/* No label given (NULL) keeps the one the address has (Bitcoin Core). */
	if (r != 0 || (label && wstore_set_label(&w->s, addr, label) != 0))
		return err_set(err, "cannot import the key: out of memory");
	for (size_t i = 0; i < w->s.n_txs; i++)
		wallet_index_outputs(w, w->s.txs[i]);
	if (wallet_save_now(w, err) != WALLET_OK)
		return WALLET_ERROR;
	return cs && wallet_rescan(w, cs, 0, err) != 0 ? WALLET_ERROR : WALLET_OK;
}

bool wallet_is_blank(const struct wallet *w)
{
	for (size_t c = 0; c < WSTORE_CHAINS; c++)
		if (w->s.next[c] > 0)
			return false;
	return w->s.n_txs == 0 && w->s.n_imported == 0;
}

/* ---- encryption ---- */

bool wallet_is_encrypted(const struct wallet *w)
{
	return w->s.encrypted;
}

void wallet_lock(struct wallet *w)
{
	if (!w->s.encrypted)
		return;
	wstore_forget_secrets(&w->s);
	forget_hd(w);
	OPENSSL_cleanse(w->aes_key, sizeof(w->aes_key));
	w->unlock_until = 0;
}

bool wallet_is_locked(struct wallet *w, uint64_t now)
{
	if (!w->s.encrypted)
		return false;
	if (w->s.have_secrets && now >= w->unlock_until)
		wallet_lock(w);
	return !w->s.have_secrets;
}

uint64_t wallet_unlocked_until(const struct wallet *w)
{
	return w->s.encrypted && w->s.have_secrets ? w->unlock_until : 0;
}

static int check_pass(const char *pass, char *err)
{
	if (!pass || !*pass) {
		err_set(err, "invalid parameter: the passphrase cannot be empty");
		return WALLET_INVALID_PARAMETER;
	}
	return WALLET_OK;
}

static void new_kdf(struct wstore *s)
{
	s->kdf_log2n = WSTORE_KDF_LOG2N;
	s->kdf_r = WSTORE_KDF_R;
	s->kdf_p = WSTORE_KDF_P;
}

static int derive(const struct wallet *w, uint8_t key[WSTORE_AES_KEY_LEN], const char *pass, char *err)
{
	const struct wstore *s = &w->s;
	return wstore_derive_key(key, pass, s->salt, s->kdf_log2n, s->kdf_r, s->kdf_p, err) == 0 ? WALLET_OK
												 : WALLET_ERROR;
}

int wallet_encrypt(struct wallet *w, const char *pass, char *err)
{
	uint8_t key[WSTORE_AES_KEY_LEN];
	if (w->s.encrypted) {
		err_set(err, "error: running with an encrypted wallet, but encryptwallet was called");
		return WALLET_WRONG_ENC_STATE;
	}
	int r = check_pass(pass, err);
	if (r != WALLET_OK)
		return r;
	if (RAND_bytes(w->s.salt, WSTORE_SALT_LEN) != 1)
		return err_set(err, "cannot encrypt the wallet: no random salt");
	new_kdf(&w->s);
	r = derive(w, key, pass, err);
	if (r == WALLET_OK && wstore_seal(&w->s, key, err) != 0)
		r = WALLET_ERROR;
	if (r == WALLET_OK && (r = wallet_save_now(w, err)) != WALLET_OK) {
		w->s.encrypted = false; /* the database still holds the plain wallet */
		free(w->s.sealed);
		w->s.sealed = NULL;
		w->s.sealed_len = 0;
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (r != WALLET_OK)
		return r;
	wallet_lock(w);
	return erase_old_secrets(w, err);
}

int wallet_unlock(struct wallet *w, const char *pass, uint64_t seconds, uint64_t now, char *err)
{
	uint8_t key[WSTORE_AES_KEY_LEN];
	bool grew;
	if (!w->s.encrypted) {
		err_set(err, "error: running with an unencrypted wallet, but walletpassphrase was called");
		return WALLET_WRONG_ENC_STATE;
	}
	int r = check_pass(pass, err);
	r = r ? r : derive(w, key, pass, err);
	if (r != WALLET_OK)
		return r;
	int u = wstore_unseal(&w->s, key, err);
	if (u != 0) {
		OPENSSL_cleanse(key, sizeof(key));
		if (u == WSTORE_BAD_KEY)
			err_set(err, "error: the wallet passphrase entered was incorrect");
		return u == WSTORE_BAD_KEY ? WALLET_BAD_PASSPHRASE : WALLET_ERROR;
	}
	memcpy(w->aes_key, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	w->unlock_until = now + (seconds > WALLET_MAX_UNLOCK_SECONDS ? WALLET_MAX_UNLOCK_SECONDS : seconds);
	if (wallet_topup(w, &grew, err) != 0)
		return WALLET_ERROR;
	return grew ? wallet_save_now(w, err) : WALLET_OK;
}

/* What wallet_change_passphrase restores when the new secret record cannot
 * be written. */
struct seal_state {
	uint8_t salt[WSTORE_SALT_LEN], nonce[WSTORE_NONCE_LEN];
	uint8_t *sealed;
	size_t sealed_len;
};

static int rekey(struct wallet *w, const char *new_pass, char *err)
{
	uint8_t key[WSTORE_AES_KEY_LEN];
	struct seal_state old;
	memcpy(old.salt, w->s.salt, sizeof(old.salt));
	memcpy(old.nonce, w->s.nonce, sizeof(old.nonce));
	old.sealed_len = w->s.sealed_len;
	old.sealed = malloc(old.sealed_len);
	if (!old.sealed)
		return err_set(err, "cannot change the passphrase: out of memory");
	memcpy(old.sealed, w->s.sealed, old.sealed_len);
	int r = RAND_bytes(w->s.salt, WSTORE_SALT_LEN) == 1 ? WALLET_OK : err_set(err, "no random salt");
	r = r ? r : derive(w, key, new_pass, err);
	if (r == WALLET_OK && wstore_seal(&w->s, key, err) != 0)
		r = WALLET_ERROR;
	r = r ? r : wallet_save_now(w, err);
	if (r != WALLET_OK) {
		memcpy(w->s.salt, old.salt, sizeof(old.salt));
		memcpy(w->s.nonce, old.nonce, sizeof(old.nonce));
		free(w->s.sealed);
		w->s.sealed = old.sealed;
		w->s.sealed_len = old.sealed_len;
	} else {
		free(old.sealed);
		memcpy(w->aes_key, key, sizeof(key));
	}
	OPENSSL_cleanse(key, sizeof(key));
	return r == WALLET_OK ? erase_old_secrets(w, err) : r;
}

int wallet_change_passphrase(struct wallet *w, const char *old_pass, const char *new_pass, char *err)
{
	uint8_t key[WSTORE_AES_KEY_LEN];
	if (!w->s.encrypted) {
		err_set(err, "error: running with an unencrypted wallet, but walletpassphrasechange was called");
		return WALLET_WRONG_ENC_STATE;
	}
	int r = check_pass(old_pass, err);
	r = r ? r : check_pass(new_pass, err);
	r = r ? r : derive(w, key, old_pass, err);
	if (r != WALLET_OK)
		return r;
	bool was_unlocked = w->s.have_secrets;
	int u = wstore_unseal(&w->s, key, err);
	OPENSSL_cleanse(key, sizeof(key));
	if (u != 0) {
		if (u == WSTORE_BAD_KEY)
			err_set(err, "error: the wallet passphrase entered was incorrect");
		return u == WSTORE_BAD_KEY ? WALLET_BAD_PASSPHRASE : WALLET_ERROR;
	}
	r = rekey(w, new_pass, err);
	if (!was_unlocked)
		wallet_lock(w);
	return r;
}

/* ---- lifecycle ---- */

static struct wallet *wallet_alloc(const struct chain_params *p)
{
	struct wallet *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->p = p;
	wstore_init(&w->s, p->magic);
	hmap_init(&w->keys, 20);
	hmap_init(&w->txs, 32);
	hmap_init(&w->locked, 36);
	return w;
}

static void free_values(struct hmap *m)
{
	const void *key;
	void *val;
	for (size_t it = 0; hmap_next(m, &it, &key, &val);)
		free(val);
	hmap_release(m);
}

void wallet_free(struct wallet *w)
{
	if (!w)
		return;
	free_values(&w->keys);
	wallet_free_outputs(w);
	hmap_release(&w->txs);
	hmap_release(&w->locked);
	OPENSSL_cleanse(w->aes_key, sizeof(w->aes_key));
	forget_hd(w);
	wstore_release(&w->s);
	free(w);
}

#define PREFETCH 8

/* Builds the in-memory indexes from a loaded store. */
static int index_store(struct wallet *w, char *err)
{
	for (uint8_t c = 0; c < WSTORE_CHAINS; c++)
		for (size_t i = 0; i < w->s.n_keys[c]; i++)
			if (add_wkey(w, c, (uint32_t)i, w->s.keys[c][i]) != 0)
				return err_set(err, "cannot load the wallet: out of memory");
	for (size_t i = 0; i < w->s.n_imported; i++)
		if (add_wkey(w, WALLET_CHAIN_IMPORTED, (uint32_t)i, w->s.imported_pk[i]) != 0)
			return err_set(err, "cannot load the wallet: out of memory");
	/* Sized ahead, the index fills without a rehash. */
	if (hmap_reserve(&w->txs, w->s.n_txs) != 0)
		return err_set(err, "cannot load the wallet: out of memory");
	/* A table of a million entries is far bigger than the caches: asking
	 * for the slot a few transactions ahead overlaps the misses. */
	for (size_t i = 0; i < w->s.n_txs; i++) {
		struct wstore_tx *t = w->s.txs[i];
		/* Two steps ahead: the transaction (its txid) first, its slot
		 * once the txid is at hand. */
		if (i + 2 * PREFETCH < w->s.n_txs)
			__builtin_prefetch(w->s.txs[i + 2 * PREFETCH]->tx.txid);
		if (i + PREFETCH < w->s.n_txs)
			hmap_prefetch(&w->txs, w->s.txs[i + PREFETCH]->tx.txid);
		int r = hmap_put_new(&w->txs, t->tx.txid, t);
		if (r != 0)
			return err_set(err, "cannot load the wallet: %s", r > 0 ? "transaction recorded twice" : "out of memory");
	}
	for (size_t i = 0; i < w->s.n_txs; i++) {
		/* The same two steps: the transaction, then its outputs. */
		if (i + 2 * PREFETCH < w->s.n_txs) {
			__builtin_prefetch(w->s.txs[i + 2 * PREFETCH]);
			__builtin_prefetch(&w->s.txs[i + 2 * PREFETCH]->outs);
		}
		if (i + PREFETCH < w->s.n_txs)
			__builtin_prefetch(w->s.txs[i + PREFETCH]->tx.out);
		wallet_index_outputs(w, w->s.txs[i]);
	}
	for (size_t i = 0; i < w->s.n_locks; i++) {
		uint8_t k[36];
		outpoint_write(k, &w->s.locks[i]);
		if (hmap_put(&w->locked, k, WALLET_LOCK_PERSISTENT) != 0)
			return err_set(err, "cannot load the wallet: out of memory");
	}
	w->tip = w->s.best_height;
	return 0;
}

struct wallet *wallet_create(const char *path, const struct chain_params *p, const uint8_t *seed, char *err)
{
	struct stat st;
	if (stat(path, &st) == 0 || errno != ENOENT) {
		err_set(err, "cannot create the wallet '%s': it already exists", path);
		return NULL;
	}
	struct wallet *w = wallet_alloc(p);
	if (!w) {
		err_set(err, "cannot create the wallet: out of memory");
		return NULL;
	}
	if (seed)
		memcpy(w->s.seed, seed, WSTORE_SEED_LEN);
	else if (RAND_bytes(w->s.seed, WSTORE_SEED_LEN) != 1) {
		err_set(err, "cannot create the wallet: the random generator failed");
		wallet_free(w);
		return NULL;
	}
	w->s.have_secrets = true;
	w->fresh = seed == NULL;
	if (wallet_topup(w, NULL, err) != 0 || wstore_create(&w->s, path, err) != 0) {
		wallet_free(w);
		return NULL;
	}
	return w;
}

struct wallet *wallet_open(const char *path, const struct chain_params *p, struct pool *pool, char *err)
{
	struct wallet *w = wallet_alloc(p);
	if (!w) {
		err_set(err, "cannot open the wallet: out of memory");
		return NULL;
	}
	if (wstore_open(&w->s, path, p->magic, pool, err) != 0 || index_store(w, err) != 0 ||
	    wallet_topup(w, NULL, err) != 0) {
		wallet_free(w);
		return NULL;
	}
	return w;
}

int wallet_restore(const char *file, const char *path, const struct chain_params *p, size_t *n_txs, char *err)
{
	struct wstore s;
	*n_txs = 0;
	if (wfile_load(&s, file, p->magic, err) != 0)
		return -1;
	int r = wstore_create(&s, path, err);
	*n_txs = s.n_txs;
	wstore_release(&s);
	return r != 0 ? -1 : 0;
}

int wallet_migrate(const char *file, const char *path, const struct chain_params *p, size_t *n_txs, char *err)
{
	char bak[4096];
	*n_txs = 0;
	int n = snprintf(bak, sizeof(bak), "%s.bak", file);
	if (n < 0 || (size_t)n >= sizeof(bak))
		return err_set(err, "cannot migrate '%s': path too long", file);
	if (wallet_restore(file, path, p, n_txs, err) != 0)
		return -1;
	if (rename(file, bak) != 0)
		return err_set(err, "'%s' is migrated, but cannot be renamed to '%s': %s", file, bak, strerror(errno));
	return 0;
}

int wallet_set_seed(struct wallet *w, const uint8_t seed[WSTORE_SEED_LEN], char *err)
{
	if (w->s.encrypted || !wallet_is_blank(w))
		return err_set(err, "cannot restore a seed: only into a blank, unencrypted wallet");
	free_values(&w->keys);
	hmap_init(&w->keys, 20);
	forget_hd(w);
	wstore_reset_seed(&w->s, seed);
	w->fresh = false;
	if (wallet_topup(w, NULL, err) != 0)
		return WALLET_ERROR;
	return wallet_save_now(w, err);
}

int wallet_backup(struct wallet *w, const char *dest, char *err)
{
	char path[4096];
	struct stat st;
	if (!dest || !*dest) {
		err_set(err, "invalid parameter: no destination");
		return WALLET_INVALID_PARAMETER;
	}
	int n = stat(dest, &st) == 0 && S_ISDIR(st.st_mode) ? snprintf(path, sizeof(path), "%s/%s", dest, WSTORE_FILE)
							      : snprintf(path, sizeof(path), "%s", dest);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		err_set(err, "invalid parameter: destination path too long");
		return WALLET_INVALID_PARAMETER;
	}
	return wfile_save(&w->s, path, err) == 0 ? WALLET_OK : WALLET_ERROR;
}
