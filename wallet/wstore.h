/* The wallet store: struct wstore is the wallet's state in memory, kept in
 * a LevelDB database of its own (a folder, e.g. `wallets/default/` in the
 * network's data folder; folders 0700, files 0600) through chain/store.h.
 * The database holds one record per key, transaction, label and
 * persistent lock, so that a commit writes one batch of only what changed
 * since the one before: its cost does not grow with the wallet. The record map is in
 * docs/wallet.md.
 *
 * The secret part (the HD seed and the imported secret keys) is one record,
 * either in the clear or sealed with AES-256-GCM under a key that scrypt
 * derives from a passphrase; everything else (public keys, labels,
 * transactions) stays readable so that a locked wallet still tracks its
 * coins. A commit that changes the secrets is synced to the disk; the
 * others survive the process being killed, not a power cut (the wallet
 * then rescans from its best block).
 *
 * The single-file format of earlier versions (`wallet.dat`), now the
 * backup format, is wallet/wfile.h; it shares the sealed block with the
 * database. Not thread-safe. */
#ifndef CAIRN_WALLET_WSTORE_H
#define CAIRN_WALLET_WSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/store.h"
#include "chain/tx.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/err.h"

#define WSTORE_FILE "wallet.dat"
#define WSTORE_MAGIC "CAIRNWLT"
#define WSTORE_MAGIC_LEN 8
#define WSTORE_VERSION 1    /* of the file, and of the sealed block's binding */
#define WSTORE_DB_VERSION 1 /* of the database's records */
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
#define WSTORE_MAX_TXS 10000000
#define WSTORE_MAX_FILE (2048u * 1024 * 1024)
/* Longest plain secret block for n imported keys: seed ‖ varint n ‖ n × key. */
#define WSTORE_SECRET_MAX(n) (WSTORE_SEED_LEN + 9 + (size_t)(n) * WSTORE_SECKEY_LEN)

/* Chains of HD keys: m/0'/0'/i' receives, m/0'/1'/i' takes change. */
enum wstore_chain { WSTORE_EXTERNAL = 0, WSTORE_CHANGE = 1, WSTORE_CHAINS = 2 };

/* Returned by wstore_unseal when the GCM tag does not match: a wrong
 * passphrase (or a damaged sealed block). */
#define WSTORE_BAD_KEY (-2)

struct wstore_label {
	uint8_t addr[20];
	char *text; /* owned, NUL-terminated, at most WSTORE_LABEL_MAX bytes */
	bool dirty; /* set since the last commit */
};

/* A transaction of the wallet. Heap-allocated one by one so that pointers
 * to it stay valid while the list grows. */
struct wallet_out;
struct pool;

struct wstore_tx {
	struct tx tx;
	uint64_t time;       /* when the wallet first saw it, unix seconds */
	bool confirmed;      /* in a block of the best chain */
	uint8_t block[32];   /* that block when confirmed */
	uint32_t height;     /* its height when confirmed */
	uint32_t pos;        /* position in the block when confirmed */
	bool in_mempool;     /* in memory only: the node's mempool holds it */
	bool abandoned;      /* abandontransaction: not resubmitted until seen again */
	uint64_t seq;        /* its place in the list, and its record's key */
	bool touched;        /* changed since the last commit (wstore_tx_touch) */
	/* In memory only, the wallet's to keep: the outputs that pay it, in
	 * output order. */
	struct wallet_out *outs;
	uint32_t n_outs;
};

/* A persistent lock set (locked) or removed since the last commit. */
struct wstore_lock_change {
	struct outpoint op;
	bool locked;
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
	size_t cap_keys[WSTORE_CHAINS];

	size_t n_labels;
	struct wstore_label *labels;

	size_t n_txs, cap_txs;
	struct wstore_tx **txs;

	/* Outputs locked with lockunspent's `persistent`; the memory-only locks
	 * are the wallet's alone. */
	size_t n_locks;
	struct outpoint *locks;

	bool have_best;      /* the last block the wallet has seen connected */
	uint8_t best_hash[32];
	uint32_t best_height;

	/* The database the image lives in (NULL for an image of a file), and
	 * what of the image it holds already: the first saved_* keys, imports
	 * and transactions, every label not dirty, the secrets unless
	 * secrets_dirty, and every transaction not touched. */
	struct store *db;
	char *dir;                        /* its folder, owned */
	size_t saved_keys[WSTORE_CHAINS], saved_imported, saved_txs;
	size_t stale_keys[WSTORE_CHAINS]; /* key records up to here past n_keys go */
	bool secrets_dirty, labels_dirty;
	struct wstore_tx **touched;       /* saved transactions changed since */
	size_t n_touched, cap_touched;
	bool touch_lost;                  /* a touch found no memory: rewrite all */
	struct wstore_lock_change *lock_changes; /* since, in order */
	size_t n_lock_changes, cap_lock_changes;
	bool locks_unsaved;               /* a fresh database: write every lock */
	size_t last_commit;               /* records the last commit wrote */
};

/* An empty image for network magic net: no secrets, no keys. */
void wstore_init(struct wstore *s, const uint8_t net[4]);
/* Wipes the secrets and frees everything; safe twice. */
void wstore_release(struct wstore *s);
/* Wipes the secrets in memory (the sealed copy stays) and clears
 * have_secrets. Only meaningful for an encrypted image. */
void wstore_forget_secrets(struct wstore *s);

/* Creates the wallet database at dir (which must not exist) and writes the
 * whole image into it in one synced batch; s keeps the database open. The
 * folder is built as `dir.new` and renamed into place once complete, so a
 * crash leaves no half-made wallet (a leftover `dir.new` is deleted first).
 * Returns 0, or -1 with err filled and s without a database. */
int wstore_create(struct wstore *s, const char *dir, char *err) WUR;
/* Opens the wallet database at dir into s (initialised by the call) and
 * keeps it open (its lock keeps other processes out). Returns 0, or -1
 * with s released and err filled when the folder is missing, locked, of
 * another network or version, or a record is missing or malformed. An
 * encrypted wallet loads without its secrets. The transactions of a big
 * wallet are read in slices on pool (NULL: all on the caller's thread). */
int wstore_open(struct wstore *s, const char *dir, const uint8_t net[4], struct pool *pool, char *err) WUR;
/* Writes what changed since the last commit (or the open) as one batch:
 * the new keys, imports and transactions, the dirty labels and touched
 * transactions, the persistent locks set or removed, the secrets when they
 * changed, and the small fixed records.
 * Synced when the secrets changed. Returns 0, or -1 with err filled and
 * the changes still pending for the next commit. */
int wstore_commit(struct wstore *s, char *err) WUR;
/* Compacts the database so that no overwritten record (an older secret
 * record above all) is left in its files. 0, or -1 with err filled. */
int wstore_compact(struct wstore *s, char *err) WUR;
/* Marks a saved transaction whose confirmation fields changed, for the next
 * commit. */
void wstore_tx_touch(struct wstore *s, struct wstore_tx *t);
/* Replaces the seed (the secrets must be present) and drops every derived
 * key, for a restore into a blank wallet; the next commit replaces their
 * records. */
void wstore_reset_seed(struct wstore *s, const uint8_t seed[WSTORE_SEED_LEN]);

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
/* True when an scrypt cost is within the caps. */
bool wstore_kdf_ok(uint8_t log2n, uint32_t r, uint32_t p);
/* The plain secret block (seed ‖ varint n ‖ n × secret key) into b
 * (initialised by the call), reserved at its exact size so that no
 * reallocation leaves a copy behind. 0, or -1 on no memory. The caller
 * wipes it with wstore_buf_wipe, also on failure. */
int wstore_secret_block(struct buf *b, const struct wstore *s) WUR;
/* Reads a plain secret block into s's secrets (n_imported must already be
 * known) and sets have_secrets. 0, or -1 with err filled. */
int wstore_secret_parse(struct wstore *s, const uint8_t *p, size_t len, char *err) WUR;
/* Wipes and frees a buffer that held secrets. */
void wstore_buf_wipe(struct buf *b);

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
/* Adds op to the persistent locks (nothing when it is one already); the
 * next commit writes its record. 0, or -1 on no memory with s unchanged. */
int wstore_lock(struct wstore *s, const struct outpoint *op) WUR;
/* Removes op from the persistent locks (nothing when it is not one); the
 * next commit deletes its record. 0, or -1 on no memory with s unchanged. */
int wstore_unlock(struct wstore *s, const struct outpoint *op) WUR;
/* One transaction as the file and the database record it: the transaction,
 * then time (u64), confirmed (u8), block (32), height and position (u32). */
void wstore_tx_write(struct buf *b, const struct wstore_tx *t);
/* Reads one such transaction from c and appends it to s. 0, or -1 with err
 * filled. */
int wstore_tx_read(struct cursor *c, struct wstore *s, char *err) WUR;

#endif
