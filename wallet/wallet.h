/* The wallet: keys from one seed, the coins they own, encryption, and the
 * transactions it builds and signs.
 *
 * Keys: BIP-32 from a 32-byte seed, all steps hardened: m/0'/0'/i' for
 * receiving addresses, m/0'/1'/i' for change. 20 keys past the last one
 * used are kept derived on each chain (the keypool), so that a wallet
 * restored from its seed recognises payments to any address handed out
 * before, up to 20 unused addresses in a row.
 *
 * Tracking: the node calls wallet_block_connected / _disconnected for every
 * block of the best chain and wallet_tx_added / _removed for the mempool.
 * A wallet transaction is active while it is confirmed or in the mempool;
 * only active transactions spend or credit, so balances follow reorgs
 * and evictions. What the mempool holds is not saved: at start-up every
 * unconfirmed transaction is inactive until the node offers it to the
 * mempool again (wallet_unconfirmed) and the mempool reports it added.
 *
 * Time: the wallet never reads the clock. Times (first seen, unlock
 * deadline) come from the caller.
 *
 * Every change is committed at once to the wallet's database (see
 * wstore.h), except the tip and the mempool flags; wallet_sync catches up
 * from the last block saved.
 *
 * Errors: functions return WALLET_OK or a negative enum wallet_status and
 * fill err with the reason. Not thread-safe: the node calls it from its one
 * event loop. Nothing here logs a secret. */
#ifndef CAIRN_WALLET_WALLET_H
#define CAIRN_WALLET_WALLET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/address.h"
#include "chain/chainstate.h"
#include "wallet/wstore.h"

/* Wallets live in wallets/NAME/ of the network's data folder; the one a
 * node loads when no -wallet is given is wallets/default/. */
#define WALLET_DIR "wallets"
#define WALLET_DEFAULT_NAME "default"
/* Keys kept derived beyond the last used one, per chain. */
#define WALLET_LOOKAHEAD 20
/* Fee rate used when the caller passes 0 (units per 1,000 bytes): Bitcoin
 * Core's -fallbackfee. */
#define WALLET_DEFAULT_FEE_RATE 20000
/* Longest walletpassphrase timeout, as in Bitcoin Core (about 3 years). */
#define WALLET_MAX_UNLOCK_SECONDS 100000000ULL
#define WALLET_SECKEY_HEX_LEN 65 /* 64 digits and the NUL */

/* The RPC code each maps to is Bitcoin Core's. */
enum wallet_status {
	WALLET_OK = 0,
	WALLET_ERROR = -1,               /* -4  RPC_WALLET_ERROR (disk, memory, key not known) */
	WALLET_LOCKED = -2,              /* -13 RPC_WALLET_UNLOCK_NEEDED */
	WALLET_BAD_PASSPHRASE = -3,      /* -14 RPC_WALLET_PASSPHRASE_INCORRECT */
	WALLET_WRONG_ENC_STATE = -4,     /* -15 RPC_WALLET_WRONG_ENC_STATE */
	WALLET_KEYPOOL_RAN_OUT = -5,     /* -12 RPC_WALLET_KEYPOOL_RAN_OUT */
	WALLET_INSUFFICIENT_FUNDS = -6,  /* -6  RPC_WALLET_INSUFFICIENT_FUNDS */
	WALLET_INVALID_PARAMETER = -7,   /* -8  RPC_INVALID_PARAMETER */
	WALLET_INVALID_ADDRESS = -8,     /* -5  RPC_INVALID_ADDRESS_OR_KEY */
	WALLET_NOT_FOUND = -9,           /* -5  invalid or non-wallet transaction id / output */
};

struct wallet;

/* ---- lifecycle ---- */

/* Creates a new wallet database in the folder path (which must not exist)
 * for network p, from seed (WSTORE_SEED_LEN bytes, a restore) or from
 * RAND_bytes when seed is NULL. Returns the wallet (wallet_free it), or
 * NULL with err filled. */
struct wallet *wallet_create(const char *path, const struct chain_params *p, const uint8_t *seed, char *err);
/* Opens the wallet database in the folder path; NULL with err filled when
 * it is missing, held by another process, damaged or of another network.
 * An encrypted wallet opens locked. A big wallet's transactions are read
 * side by side on pool (may be NULL). */
struct wallet *wallet_open(const char *path, const struct chain_params *p, struct pool *pool, char *err);
/* Converts a wallet file of the single-file format (wallet/wfile.h), such
 * as backupwallet writes, into a new wallet database in the folder path
 * (which must not exist), in one synced batch; the file is left as it is
 * (restorewallet). *n_txs is the number of transactions carried over. 0,
 * or -1 with err filled. */
int wallet_restore(const char *file, const char *path, const struct chain_params *p, size_t *n_txs, char *err) WUR;
/* As wallet_restore, for a wallet.dat of earlier versions: then renames
 * the file to file.bak. *n_txs is the number of transactions carried over.
 * 0, or -1 with err filled (the file is then left as it was, and no
 * database is made unless only the rename failed). */
int wallet_migrate(const char *file, const char *path, const struct chain_params *p, size_t *n_txs, char *err) WUR;
/* Replaces the seed of a blank, unencrypted wallet and derives its keys
 * anew (sethdseed); the caller rescans. WALLET_OK, or WALLET_ERROR with
 * err filled (also when the wallet is not blank or is encrypted). */
int wallet_set_seed(struct wallet *w, const uint8_t seed[WSTORE_SEED_LEN], char *err) WUR;
/* Wipes the secrets and frees w; takes NULL. */
void wallet_free(struct wallet *w);
/* Writes the wallet's current state atomically as one file of the
 * single-file format to dest (a file, or a folder that then gets
 * dest/wallet.dat), mode 0600: backupwallet. */
int wallet_backup(struct wallet *w, const char *dest, char *err) WUR;

/* ---- keys and addresses ---- */

/* A fresh receiving address (bech32m, into out of out_len bytes; 45 are
 * enough) labelled label (NULL: ""). A locked wallet hands out its
 * remaining keypool and then answers WALLET_KEYPOOL_RAN_OUT; unlocking tops
 * the keypool up. */
int wallet_get_new_address(struct wallet *w, char *out, size_t out_len, const char *label, char *err) WUR;
/* A fresh change address; the same rules. */
int wallet_get_change_address(struct wallet *w, char *out, size_t out_len, char *err) WUR;
/* True when the address hash belongs to one of the wallet's keys; *label
 * (may be NULL) then points at its label or "" (owned by w, valid until the
 * next change), *change tells a change key (may be NULL). */
bool wallet_is_mine(const struct wallet *w, const uint8_t addr[20], const char **label, bool *change);
/* What getaddressinfo tells of one of the wallet's addresses. */
struct wallet_address_info {
	uint8_t pubkey[32];   /* the x-only key */
	bool change;          /* a change key */
	bool imported;        /* imported (importprivkey), not derived */
	uint32_t chain;       /* derived: m/0'/chain'/index' */
	uint32_t index;
	bool has_label;       /* in the address book (it may be "") */
	char label[WSTORE_LABEL_MAX + 1];
};
/* True with *out filled when addr is one of the wallet's keys; false with
 * *out zeroed otherwise. */
bool wallet_address_info(const struct wallet *w, const uint8_t addr[20], struct wallet_address_info *out);
/* Sets the label of one of the wallet's addresses. */
int wallet_set_label(struct wallet *w, const uint8_t addr[20], const char *label, char *err) WUR;
/* The secret key of address as 64 hex digits (dumpprivkey). WALLET_LOCKED,
 * WALLET_INVALID_ADDRESS for a malformed address, WALLET_ERROR when the key
 * is not the wallet's. out is zeroed on failure. */
int wallet_dump_privkey(struct wallet *w, char out[WALLET_SECKEY_HEX_LEN], const char *address, char *err) WUR;
/* Adds the secret key given as 64 hex digits under label (NULL: a new
 * key gets "", a known one keeps its label); an already known key only
 * gets the label. With cs, rescans the whole chain
 * afterwards (importprivkey's rescan). WALLET_INVALID_ADDRESS for a bad
 * key, WALLET_LOCKED. */
int wallet_import_privkey(struct wallet *w, const char *hex, const char *label, struct chainstate *cs, char *err) WUR;
/* The HD seed as 64 hex digits: the backup that restores every derived key
 * (not imported ones, labels or history). WALLET_LOCKED. */
int wallet_export_seed(struct wallet *w, char out[WALLET_SECKEY_HEX_LEN], char *err) WUR;

/* ---- encryption (Bitcoin Core's semantics) ---- */

/* Encrypts the secrets under pass, once; the wallet is then locked. The
 * seed is kept, so earlier seed backups stay valid. WALLET_WRONG_ENC_STATE
 * when already encrypted, WALLET_INVALID_PARAMETER for an empty pass. */
int wallet_encrypt(struct wallet *w, const char *pass, char *err) WUR;
/* Unlocks until now + seconds (at most WALLET_MAX_UNLOCK_SECONDS): the node
 * calls wallet_lock then, or wallet_is_locked(w, now) does. Unlocking an
 * unlocked wallet moves the deadline. WALLET_BAD_PASSPHRASE,
 * WALLET_WRONG_ENC_STATE when not encrypted. */
int wallet_unlock(struct wallet *w, const char *pass, uint64_t seconds, uint64_t now, char *err) WUR;
/* Wipes the secrets from memory; nothing for an unencrypted wallet. */
void wallet_lock(struct wallet *w);
/* Re-encrypts under new_pass; the lock state stays as it was. */
int wallet_change_passphrase(struct wallet *w, const char *old_pass, const char *new_pass, char *err) WUR;
bool wallet_is_encrypted(const struct wallet *w);
/* True while the wallet has handed out no address, imported no key and
 * seen no transaction: replacing its seed (a restore) loses nothing. */
bool wallet_is_blank(const struct wallet *w);
/* True when encrypted and locked at now; locks first if the deadline has
 * passed. */
bool wallet_is_locked(struct wallet *w, uint64_t now);
/* The unlock deadline (getwalletinfo's unlocked_until), 0 when locked. */
uint64_t wallet_unlocked_until(const struct wallet *w);

/* ---- tracking ---- */

/* Chain events, in order, from the best chain. Failures to save are logged
 * and retried at the next save. */
void wallet_block_connected(struct wallet *w, const struct block *b, const struct block_index *bi);
/* Told of each transaction the wallet records, from the mempool (block
 * NULL) or a block, and of each it sees confirmed (-walletnotify). */
typedef void (*wallet_tx_hook)(void *ctx, const uint8_t txid[32], const uint8_t *block, uint32_t height);
void wallet_set_tx_hook(struct wallet *w, wallet_tx_hook fn, void *ctx);
void wallet_block_disconnected(struct wallet *w, const struct block *b, const struct block_index *bi);
/* Mempool events: tx entered (first seen at now) or left the mempool. */
void wallet_tx_added(struct wallet *w, const struct tx *tx, uint64_t now);
void wallet_tx_removed(struct wallet *w, const uint8_t txid[32]);
/* Re-reads the best chain from from_height to the tip: first unconfirms
 * transactions whose block left the best chain, then feeds every block to
 * wallet_block_connected. For restores and imports. Logs its progress
 * (wallet_set_rescan_log_interval) when there is any block to read. */
int wallet_rescan(struct wallet *w, struct chainstate *cs, uint32_t from_height, char *err) WUR;
/* How often a running rescan logs "Still rescanning. At block N.
 * Progress=P" (it always logs its start and its end): at most once every
 * ms milliseconds, for every wallet of the process (0: after each block).
 * The node sets it at start (-rescanloginterval on regtest). */
#define WALLET_RESCAN_LOG_MS 10000
void wallet_set_rescan_log_interval(uint64_t ms);
/* At start-up: catches up from the last block saved (or the fork below it)
 * to the tip. A wallet created with a random seed starts at the tip. */
int wallet_sync(struct wallet *w, struct chainstate *cs, char *err) WUR;
/* Height of the last block the wallet saw connected. */
uint32_t wallet_tip_height(const struct wallet *w);
/* Copies of the wallet's unconfirmed transactions not known to be in the
 * mempool, oldest first, for the node to resubmit. *txs is malloc'd (each
 * tx_release'd then free the array). */
int wallet_unconfirmed(struct wallet *w, struct tx **txs, size_t *n, char *err) WUR;

/* ---- queries ---- */

/* Bitcoin Core's getbalances "mine": trusted = confirmed, plus unconfirmed
 * outputs of our own mempool transactions whose inputs are all ours and
 * trusted; untrusted_pending = other unconfirmed outputs in the mempool;
 * immature = coinbase outputs with fewer than coinbase_maturity
 * confirmations. Asset outputs are not counted. */
struct wallet_balances {
	int64_t trusted, untrusted_pending, immature;
};
void wallet_get_balances(struct wallet *w, struct wallet_balances *out);

struct wallet_utxo {
	struct outpoint op;
	uint8_t addr[20];
	int64_t value;
	uint32_t confirmations; /* 0: unconfirmed */
	bool coinbase;
	bool safe;              /* confirmed, or unconfirmed and trusted */
	bool change;
	char label[WSTORE_LABEL_MAX + 1];
};
/* Spendable coin outputs (listunspent): unspent, not locked, mature, not
 * assets, with minconf <= confirmations <= maxconf. *out malloc'd (free). */
int wallet_list_unspent(struct wallet *w, struct wallet_utxo **out, size_t *n, uint32_t minconf, uint32_t maxconf,
			char *err) WUR;

enum wallet_category { WALLET_SEND, WALLET_RECEIVE, WALLET_GENERATE, WALLET_IMMATURE, WALLET_ORPHAN };
/* "send", "receive", "generate", "immature", "orphan". */
const char *wallet_category_name(enum wallet_category c);

/* One line of listtransactions / gettransaction's details. */
struct wallet_tx_entry {
	uint8_t txid[32];
	enum wallet_category category;
	uint8_t addr[20];
	uint32_t vout;
	int64_t amount;          /* negative for send */
	bool has_fee;
	int64_t fee;             /* paid, positive (Bitcoin Core prints it negated), send only */
	uint32_t confirmations;  /* 0: unconfirmed */
	bool trusted;
	bool confirmed;
	bool abandoned;          /* abandontransaction marked it */
	uint8_t block_hash[32];
	uint32_t block_height, block_pos;
	uint64_t time;           /* first seen */
	bool is_asset;
	uint8_t asset[32];
	char label[WSTORE_LABEL_MAX + 1];
};
/* Every entry of every wallet transaction, oldest first (the RPC applies
 * count, skip and the label filter). *out malloc'd (free). */
int wallet_list_transactions(struct wallet *w, struct wallet_tx_entry **out, size_t *n, char *err) WUR;

struct wallet_tx_info {
	struct tx tx;            /* a copy */
	int64_t amount;          /* net effect on the wallet, fee excluded */
	bool has_fee;
	int64_t fee;             /* positive */
	uint32_t confirmations;
	bool trusted, confirmed, in_mempool;
	uint8_t block_hash[32];
	uint32_t block_height, block_pos;
	uint64_t time;
	struct wallet_tx_entry *details;
	size_t n_details;
};
/* gettransaction: WALLET_NOT_FOUND when txid is not a wallet transaction.
 * Release *out with wallet_tx_info_release. */
int wallet_get_transaction(struct wallet *w, struct wallet_tx_info *out, const uint8_t txid[32], char *err) WUR;
void wallet_tx_info_release(struct wallet_tx_info *info);

/* ---- lockunspent ---- */

/* Locks (unlock false) or unlocks outputs of the wallet against coin
 * selection, all or nothing: when one is refused, the ones before it are
 * put back as they were. A lock lives in memory unless persistent, then in
 * the database too until it is unlocked; unlocking always drops its
 * record (Bitcoin Core's lockunspent). WALLET_NOT_FOUND when locking an
 * output that is not the wallet's, WALLET_INVALID_PARAMETER when it is
 * spent or already locked, or when unlocking one not locked; WALLET_ERROR
 * when the database change could not be saved (it stays pending). */
int wallet_lock_coins(struct wallet *w, const struct outpoint *ops, size_t n, bool unlock, bool persistent,
		      char *err) WUR;
/* Releases every lock, persistent ones' records too. WALLET_OK, or
 * WALLET_ERROR with err filled. */
int wallet_unlock_all_coins(struct wallet *w, char *err) WUR;
/* The locked outputs; *out malloc'd (free). */
int wallet_list_locked(struct wallet *w, struct outpoint **out, size_t *n, char *err) WUR;

/* abandontransaction: marks txid, a wallet transaction neither confirmed
 * nor in the mempool (nor a coinbase), and the wallet's transactions that
 * spend it, abandoned: the node no longer resubmits them at load, and
 * their inputs (free already, as of any inactive transaction) stay so. A
 * block or the mempool taking one back clears its mark. WALLET_NOT_FOUND
 * ("invalid or non-wallet transaction id"), WALLET_INVALID_PARAMETER
 * ("transaction not eligible for abandonment"), WALLET_ERROR when it
 * cannot be saved. */
int wallet_abandon(struct wallet *w, const uint8_t txid[32], char *err) WUR;

/* ---- building and signing ---- */

struct wallet_recipient {
	uint8_t addr[20];
	int64_t value;
	bool subtract_fee; /* this recipient pays a share of the fee */
};

/* sendtoaddress / sendmany: a signed transaction paying the recipients
 * from coins chosen by coinselect (see coinselect.h), change to a fresh
 * change key at a random position, fee_rate units per 1,000 bytes (0:
 * WALLET_DEFAULT_FEE_RATE). The wallet records it only when the mempool
 * reports it added (or a block confirms it). *out initialised by the call
 * (tx_release it), *fee the fee paid. WALLET_LOCKED,
 * WALLET_INSUFFICIENT_FUNDS, WALLET_INVALID_PARAMETER (amounts, dust). */
int wallet_create_tx(struct wallet *w, struct tx *out, int64_t *fee, const struct wallet_recipient *r, size_t n,
		     int64_t fee_rate, char *err) WUR;
/* Registers asset id with metadata (at most TX_META_MAX bytes) in an asset
 * output of value 0 to owner (NULL: a fresh receiving address of this
 * wallet), paying the fee from coins. The caller checks that the chain does
 * not know the id yet. */
int wallet_create_asset_register(struct wallet *w, struct tx *out, int64_t *fee, const uint8_t asset[32],
				 const uint8_t *meta, size_t meta_len, const uint8_t *owner, int64_t fee_rate,
				 char *err) WUR;
/* Spends the wallet's current output of asset and re-creates it (same
 * value and metadata) to to, paying the fee from coins. WALLET_NOT_FOUND
 * when the wallet does not hold the asset. */
int wallet_create_asset_transfer(struct wallet *w, struct tx *out, int64_t *fee, const uint8_t asset[32],
				 const uint8_t to[20], int64_t fee_rate, char *err) WUR;

struct wallet_asset {
	uint8_t asset[32];
	struct outpoint op;
	uint8_t addr[20];
	int64_t value;
	uint32_t confirmations;
	uint16_t meta_len;
	uint8_t meta[TX_META_MAX];
};
/* The assets the wallet holds now (unspent asset outputs of active
 * transactions). *out malloc'd (free). */
int wallet_list_assets(struct wallet *w, struct wallet_asset **out, size_t *n, char *err) WUR;

struct wallet_sign_error {
	size_t input;
	char reason[96];
};
struct wallet_sign_result {
	bool complete;                   /* every input carries a valid signature */
	size_t n_errors;
	struct wallet_sign_error *errors; /* malloc'd, one per input left unsigned */
};
/* signrawtransactionwithwallet: puts the wallet's public key into every
 * input whose coin (looked up in view, then among the wallet's outputs)
 * pays one of its addresses, then signs those inputs. The signature message
 * covers every input's public key, so a transaction that others sign too
 * must carry all public keys before anyone signs. Returns WALLET_OK with
 * *res filled (wallet_sign_result_release it) even when some inputs stay
 * unsigned; WALLET_LOCKED when an input is ours and the wallet is locked.
 * view may be NULL. */
int wallet_sign_tx(struct wallet *w, struct tx *tx, const struct coin_view *view, struct wallet_sign_result *res,
		   char *err) WUR;
void wallet_sign_result_release(struct wallet_sign_result *res);
/* Signs a 32-byte digest (BIP-340, fresh auxiliary randomness) with the
 * key of the wallet's address addr, for proofs of holding a key such as
 * chain/ownership.h's challenges; never a transaction's sighash (the
 * caller's digest is tagged so that it cannot be one). pubkey gets the
 * x-only key, sig the signature. WALLET_NOT_FOUND when addr is not one of
 * the wallet's keys, WALLET_LOCKED, WALLET_ERROR; pubkey and sig are zeroed
 * on failure. */
int wallet_sign_digest(struct wallet *w, const uint8_t addr[20], const uint8_t digest[32], uint8_t pubkey[32],
		       uint8_t sig[64], char *err) WUR;

#endif
