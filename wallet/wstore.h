/* The wallet file: one `wallet.dat` in the network's data folder, mode
 * 0600, replaced atomically (a fresh `wallet.dat.tmp`, fsync, rename over
 * the old file, fsync of the folder) so that a crash at any instant leaves
 * the old or the new file, never a torn one.
 *
 * struct wstore is the file's image in memory; the wallet keeps its state in
 * one and saves it whole after each change. Its secret part (the HD seed and
 * the imported secret keys) is either stored in the clear or sealed with
 * AES-256-GCM under a key that scrypt derives from a passphrase; everything
 * else (public keys, labels, transactions) stays readable so that a locked
 * wallet still tracks its coins. The byte layout is in docs/wallet.md.
 * Not thread-safe. */
#ifndef CAIRN_WALLET_WSTORE_H
#define CAIRN_WALLET_WSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/tx.h"
#include "util/err.h"

#define WSTORE_FILE "wallet.dat"
#define WSTORE_MAGIC "CAIRNWLT"
#define WSTORE_MAGIC_LEN 8
#define WSTORE_VERSION 1
#define WSTORE_SEED_LEN 32
#define WSTORE_SECKEY_LEN 32
#define WSTORE_PUBKEY_LEN 32
#define WSTORE_AES_KEY_LEN 32
#define WSTORE_SALT_LEN 16
#define WSTORE_NONCE_LEN 12
#define WSTORE_TAG_LEN 16
#define WSTORE_CHECKSUM_LEN 32
#define WSTORE_LABEL_MAX 255
/* scrypt cost written into new files: N = 2^15, r = 8, p = 1 (about 32 MiB
 * and a tenth of a second per attempt). Files may carry other costs up to
 * the caps, which bound what a damaged file can make us allocate. */
#define WSTORE_KDF_LOG2N 15
#define WSTORE_KDF_R 8
#define WSTORE_KDF_P 1
#define WSTORE_KDF_LOG2N_MAX 20
#define WSTORE_KDF_R_MAX 32
#define WSTORE_KDF_P_MAX 16
/* Caps on counts read from a file, checked before anything is allocated. */
#define WSTORE_MAX_KEYS 1000000
#define WSTORE_MAX_TXS 1000000
#define WSTORE_MAX_FILE (512u * 1024 * 1024)

/* Chains of HD keys: m/0'/0'/i' receives, m/0'/1'/i' takes change. */
enum wstore_chain { WSTORE_EXTERNAL = 0, WSTORE_CHANGE = 1, WSTORE_CHAINS = 2 };

/* Returned by wstore_unseal when the GCM tag does not match: a wrong
 * passphrase (or a damaged sealed block). */
#define WSTORE_BAD_KEY (-2)

struct wstore_label {
	uint8_t addr[20];
	char *text; /* owned, NUL-terminated, at most WSTORE_LABEL_MAX bytes */
};

/* A transaction of the wallet. Heap-allocated one by one so that pointers
 * to it stay valid while the list grows. */
struct wstore_tx {
	struct tx tx;
	uint64_t time;       /* when the wallet first saw it, unix seconds */
	bool confirmed;      /* in a block of the best chain */
	uint8_t block[32];   /* that block when confirmed */
	uint32_t height;     /* its height when confirmed */
	uint32_t pos;        /* position in the block when confirmed */
	bool in_mempool;     /* in memory only: the node's mempool holds it */
};

struct wstore {
	uint8_t net[4];      /* the network's magic: a file of another network is refused */

	bool encrypted;
	uint8_t salt[WSTORE_SALT_LEN];
	uint8_t kdf_log2n;
	uint32_t kdf_r, kdf_p;
	uint8_t nonce[WSTORE_NONCE_LEN];
	uint8_t *sealed;     /* ciphertext ‖ tag of the secret block, when encrypted */
	size_t sealed_len;

	/* The secrets, valid only when have_secrets: always for a plain file,
	 * after wstore_unseal for an encrypted one. */
	bool have_secrets;
	uint8_t seed[WSTORE_SEED_LEN];
	uint8_t (*imported_sk)[WSTORE_SECKEY_LEN]; /* n_imported entries */

	size_t n_imported;
	uint8_t (*imported_pk)[WSTORE_PUBKEY_LEN]; /* x-only public keys */

	uint32_t next[WSTORE_CHAINS];   /* next index to hand out per chain */
	size_t n_keys[WSTORE_CHAINS];   /* keys derived so far (next <= n_keys) */
	uint8_t (*keys[WSTORE_CHAINS])[WSTORE_PUBKEY_LEN]; /* x-only public keys by index */

	size_t n_labels;
	struct wstore_label *labels;

	size_t n_txs;
	struct wstore_tx **txs;

	bool have_best;      /* the last block the wallet has seen connected */
	uint8_t best_hash[32];
	uint32_t best_height;
};

/* An empty image for network magic net: no secrets, no keys. */
void wstore_init(struct wstore *s, const uint8_t net[4]);
/* Wipes the secrets and frees everything; safe twice. */
void wstore_release(struct wstore *s);
/* Wipes the secrets in memory (the sealed copy stays) and clears
 * have_secrets. Only meaningful for an encrypted image. */
void wstore_forget_secrets(struct wstore *s);

/* Reads path into s (initialised by the call). A leftover `path.tmp` of an
 * interrupted save is removed first. Returns 0, or -1 with s released and
 * err filled when the file is missing, unreadable, of another network or
 * version, truncated or damaged (checksum). An encrypted file loads
 * without its secrets. */
int wstore_load(struct wstore *s, const char *path, const uint8_t net[4], char *err) WUR;
/* Writes s atomically to path with mode 0600: path.tmp (O_EXCL), fsync,
 * rename, fsync of the folder. An encrypted image writes its sealed block
 * and never its secrets. Returns 0, or -1 with err filled and the old file
 * untouched. */
int wstore_save(const struct wstore *s, const char *path, char *err) WUR;

/* scrypt(pass, salt, 2^log2n, r, p) into key. Returns 0, or -1 with key
 * zeroed and err filled. */
int wstore_derive_key(uint8_t key[WSTORE_AES_KEY_LEN], const char *pass, const uint8_t salt[WSTORE_SALT_LEN],
		      uint8_t log2n, uint32_t r, uint32_t p, char *err) WUR;
/* Seals the secrets in memory (have_secrets must hold) under key with a
 * fresh nonce, and marks s encrypted. The salt and cost must already be in
 * s. Returns 0, or -1 with s unchanged and err filled. */
int wstore_seal(struct wstore *s, const uint8_t key[WSTORE_AES_KEY_LEN], char *err) WUR;
/* Opens the sealed block with key into the secrets and sets have_secrets.
 * Returns 0; WSTORE_BAD_KEY when the tag does not match; -1 with err on a
 * malformed block. On failure no secret is left in s. */
int wstore_unseal(struct wstore *s, const uint8_t key[WSTORE_AES_KEY_LEN], char *err) WUR;

/* Appends one key to a chain's list. Returns 0, or -1 on no memory. */
int wstore_add_key(struct wstore *s, enum wstore_chain chain, const uint8_t pub[WSTORE_PUBKEY_LEN]) WUR;
/* Appends an imported key pair (secrets must be present). 0 or -1. */
int wstore_add_import(struct wstore *s, const uint8_t sk[WSTORE_SECKEY_LEN], const uint8_t pub[WSTORE_PUBKEY_LEN]) WUR;
/* Sets addr's label (replacing any). 0, or -1 on no memory or a label
 * longer than WSTORE_LABEL_MAX. */
int wstore_set_label(struct wstore *s, const uint8_t addr[20], const char *text) WUR;
/* addr's label, or NULL when it has none. Owned by s. */
const char *wstore_label(const struct wstore *s, const uint8_t addr[20]);
/* Appends a copy of tx; returns the new entry (owned by s), NULL on no
 * memory. */
struct wstore_tx *wstore_add_tx(struct wstore *s, const struct tx *tx, uint64_t time);

#endif
