#include "wallet/wallet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "util/hex.h"
#include "util/hmap.h"
#include "util/log.h"
#include "wallet/bip32.h"
#include "wallet/coinselect.h"
#include "wallet/key.h"

#define CHAIN_IMPORTED 2
/* How deep the trust of an unconfirmed transaction follows its parents. */
#define TRUST_DEPTH 32

/* One of the wallet's keys, found by the address it pays to. */
struct wkey {
	uint8_t addr[20];
	uint8_t pub[32];
	uint8_t chain;  /* WSTORE_EXTERNAL, WSTORE_CHANGE or CHAIN_IMPORTED */
	uint32_t index; /* in its chain, or in the import list */
};

/* An output of a wallet transaction that pays one of the wallet's keys. */
struct wout {
	struct outpoint op;
	struct wstore_tx *wtx;
	bool spent; /* by an active transaction; refreshed before each use */
};

struct wallet {
	struct wstore s;
	char *path;
	const struct chain_params *p;
	struct hmap keys;   /* address (20) -> struct wkey * */
	struct hmap txs;    /* txid (32) -> struct wstore_tx * (owned by s) */
	struct hmap outs;   /* outpoint (36) -> struct wout * */
	struct hmap locked; /* outpoint (36) -> (void *)1 */
	uint8_t aes_key[WSTORE_AES_KEY_LEN]; /* while an encrypted wallet is unlocked */
	uint64_t unlock_until;
	/* m/0'/chain' for each chain, derived once while secrets are at hand
	 * and wiped with them: a key is then one step away. */
	struct bip32_key hd_chain[WSTORE_CHAINS];
	bool hd_ready;
	uint32_t tip;
	bool fresh;         /* created from a random seed: no history to scan */
	bool batch;         /* a rescan saves once at its end */
};

/* ---- small helpers ---- */

static bool active(const struct wstore_tx *t)
{
	return t->confirmed || t->in_mempool;
}

static const struct txout *wout_txout(const struct wout *o)
{
	return &o->wtx->tx.out[o->op.index];
}

static bool has_secrets(const struct wallet *w)
{
	return w->s.have_secrets;
}

static int locked_error(char *err)
{
	err_set(err, "error: please enter the wallet passphrase with walletpassphrase first");
	return WALLET_LOCKED;
}

static void save(struct wallet *w)
{
	char err[ERR_LEN];
	if (w->batch)
		return;
	if (wstore_save(&w->s, w->path, err) != 0)
		log_error("wallet: %s", err);
}

static int save_now(struct wallet *w, char *err)
{
	return wstore_save(&w->s, w->path, err) == 0 ? WALLET_OK : WALLET_ERROR;
}

/* ---- keys ---- */

static int add_wkey(struct wallet *w, uint8_t chain, uint32_t index, const uint8_t pub[32])
{
	struct wkey *k = calloc(1, sizeof(*k));
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

static int seckey_of(struct wallet *w, const struct wkey *k, uint8_t sk[32], char *err)
{
	if (k->chain == CHAIN_IMPORTED) {
		memcpy(sk, w->s.imported_sk[k->index], 32);
		return 0;
	}
	return hd_seckey(w, k->chain, k->index, sk, err);
}

/* Derives keys until each chain holds WALLET_LOOKAHEAD beyond its next
 * index. Needs the seed: a locked wallet tops up when it is unlocked. */
static int topup(struct wallet *w, bool *grew, char *err)
{
	if (grew)
		*grew = false;
	if (!has_secrets(w))
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

/* Moves a chain's next index past a key seen used on the chain, so the
 * lookahead window follows the payments a restored wallet finds. */
static void mark_used(struct wallet *w, const struct tx *tx)
{
	bool moved = false;
	for (size_t i = 0; i < tx->n_out; i++) {
		const struct wkey *k = hmap_get(&w->keys, tx->out[i].addr);
		if (k && k->chain != CHAIN_IMPORTED && k->index >= w->s.next[k->chain]) {
			w->s.next[k->chain] = k->index + 1;
			moved = true;
		}
	}
	char err[ERR_LEN];
	if (moved && topup(w, NULL, err) != 0)
		log_error("wallet: %s", err);
}

static int next_key(struct wallet *w, enum wstore_chain c, const struct wkey **out, char *err)
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
	if (topup(w, NULL, err) != 0)
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
	const struct wkey *k;
	if (out_len)
		out[0] = '\0';
	if (label && strlen(label) > WSTORE_LABEL_MAX) {
		err_set(err, "invalid label: longer than %d bytes", WSTORE_LABEL_MAX);
		return WALLET_INVALID_PARAMETER;
	}
	int r = next_key(w, c, &k, err);
	if (r != WALLET_OK)
		return r;
	if (c == WSTORE_EXTERNAL && wstore_set_label(&w->s, k->addr, label ? label : "") != 0)
		return err_set(err, "cannot set a label: out of memory");
	if (save_now(w, err) != WALLET_OK)
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
	const struct wkey *k = hmap_get(&w->keys, addr);
	if (label) {
		const char *l = k ? wstore_label(&w->s, addr) : NULL;
		*label = l ? l : "";
	}
	if (change)
		*change = k && k->chain == WSTORE_CHANGE;
	return k != NULL;
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
	return save_now(w, err);
}

int wallet_dump_privkey(struct wallet *w, char out[WALLET_SECKEY_HEX_LEN], const char *address, char *err)
{
	uint8_t addr[20], sk[32];
	char why[ERR_LEN];
	memset(out, 0, WALLET_SECKEY_HEX_LEN);
	if (!address || address_decode(addr, w->p->hrp, address, why) != 0) {
		err_set(err, "invalid address: %s", address ? why : "missing");
		return WALLET_INVALID_ADDRESS;
	}
	const struct wkey *k = hmap_get(&w->keys, addr);
	if (!k) {
		err_set(err, "private key for address %s is not known", address);
		return WALLET_ERROR;
	}
	if (!has_secrets(w))
		return locked_error(err);
	if (seckey_of(w, k, sk, err) != 0)
		return WALLET_ERROR;
	hex_encode(out, sk, 32);
	OPENSSL_cleanse(sk, sizeof(sk));
	return WALLET_OK;
}

int wallet_export_seed(struct wallet *w, char out[WALLET_SECKEY_HEX_LEN], char *err)
{
	memset(out, 0, WALLET_SECKEY_HEX_LEN);
	if (!has_secrets(w))
		return locked_error(err);
	hex_encode(out, w->s.seed, WSTORE_SEED_LEN);
	return WALLET_OK;
}

static void index_outputs(struct wallet *w, struct wstore_tx *t);

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
	if (!has_secrets(w)) {
		OPENSSL_cleanse(sk, sizeof(sk));
		return locked_error(err);
	}
	int r = key_pubkey_xonly(pub, sk);
	tx_pubkey_hash(addr, pub);
	if (r == 0 && !hmap_get(&w->keys, addr)) {
		r = wstore_add_import(&w->s, sk, pub);
		r = r ? r : add_wkey(w, CHAIN_IMPORTED, (uint32_t)w->s.n_imported - 1, pub);
		if (r == 0 && w->s.encrypted)
			r = wstore_seal(&w->s, w->aes_key, err);
	}
	OPENSSL_cleanse(sk, sizeof(sk));
	if (r != 0 || wstore_set_label(&w->s, addr, label ? label : "") != 0)
		return err_set(err, "cannot import the key: out of memory");
	for (size_t i = 0; i < w->s.n_txs; i++)
		index_outputs(w, w->s.txs[i]);
	if (save_now(w, err) != WALLET_OK)
		return WALLET_ERROR;
	return cs && wallet_rescan(w, cs, 0, err) != 0 ? WALLET_ERROR : WALLET_OK;
}

/* ---- transactions ---- */

static void index_outputs(struct wallet *w, struct wstore_tx *t)
{
	for (uint32_t i = 0; i < t->tx.n_out; i++) {
		uint8_t key[36];
		struct outpoint op;
		memcpy(op.txid, t->tx.txid, 32);
		op.index = i;
		outpoint_write(key, &op);
		if (!hmap_get(&w->keys, t->tx.out[i].addr) || hmap_get(&w->outs, key))
			continue;
		struct wout *o = calloc(1, sizeof(*o));
		if (!o || hmap_put(&w->outs, key, o) != 0) {
			free(o);
			log_error("wallet: out of memory indexing outputs");
			return;
		}
		o->op = op;
		o->wtx = t;
	}
}

static bool relevant(const struct wallet *w, const struct tx *tx)
{
	for (size_t i = 0; i < tx->n_out; i++)
		if (hmap_get(&w->keys, tx->out[i].addr))
			return true;
	if (tx_is_coinbase(tx))
		return false;
	for (size_t i = 0; i < tx->n_in; i++) {
		uint8_t key[36], addr[20];
		outpoint_write(key, &tx->in[i].prev);
		tx_pubkey_hash(addr, tx->in[i].pubkey);
		if (hmap_get(&w->outs, key) || hmap_get(&w->keys, addr))
			return true;
	}
	return false;
}

/* The wallet's record of tx, created when tx pays or spends the wallet. */
static struct wstore_tx *track(struct wallet *w, const struct tx *tx, uint64_t time, bool *added)
{
	struct wstore_tx *t = hmap_get(&w->txs, tx->txid);
	*added = false;
	if (t || !relevant(w, tx))
		return t;
	t = wstore_add_tx(&w->s, tx, time);
	if (!t || hmap_put(&w->txs, t->tx.txid, t) != 0) {
		if (t) { /* keep the store and the index in step */
			w->s.n_txs--;
			tx_release(&t->tx);
			free(t);
		}
		log_error("wallet: out of memory recording a transaction");
		return NULL;
	}
	index_outputs(w, t);
	mark_used(w, tx);
	*added = true;
	return t;
}

static void set_best(struct wallet *w, const uint8_t hash[32], uint32_t height)
{
	w->tip = height;
	w->s.have_best = true;
	memcpy(w->s.best_hash, hash, 32);
	w->s.best_height = height;
}

void wallet_block_connected(struct wallet *w, const struct block *b, const struct block_index *bi)
{
	bool changed = false;
	for (size_t i = 0; i < b->n_tx; i++) {
		bool added;
		struct wstore_tx *t = track(w, &b->txs[i], b->header.time, &added);
		if (!t)
			continue;
		if (added || !t->confirmed || memcmp(t->block, bi->hash, 32) != 0 || t->pos != i) {
			t->confirmed = true;
			memcpy(t->block, bi->hash, 32);
			t->height = bi->height;
			t->pos = (uint32_t)i;
			changed = true;
		}
	}
	set_best(w, bi->hash, bi->height);
	if (changed)
		save(w);
}

void wallet_block_disconnected(struct wallet *w, const struct block *b, const struct block_index *bi)
{
	bool changed = false;
	for (size_t i = 0; i < b->n_tx; i++) {
		struct wstore_tx *t = hmap_get(&w->txs, b->txs[i].txid);
		if (t && t->confirmed && memcmp(t->block, bi->hash, 32) == 0) {
			t->confirmed = false;
			t->in_mempool = false; /* until the mempool takes it back */
			changed = true;
		}
	}
	set_best(w, b->header.prev, bi->height ? bi->height - 1 : 0);
	if (changed)
		save(w);
}

void wallet_tx_added(struct wallet *w, const struct tx *tx, uint64_t now)
{
	bool added;
	struct wstore_tx *t = track(w, tx, now, &added);
	if (t)
		t->in_mempool = true;
	if (added)
		save(w);
}

void wallet_tx_removed(struct wallet *w, const uint8_t txid[32])
{
	struct wstore_tx *t = hmap_get(&w->txs, txid);
	if (t)
		t->in_mempool = false;
}

/* Confirmed transactions whose block is no longer on the best chain (a
 * reorg while the wallet was not listening) become unconfirmed. */
static void unconfirm_stale(struct wallet *w, struct chainstate *cs)
{
	for (size_t i = 0; i < w->s.n_txs; i++) {
		struct wstore_tx *t = w->s.txs[i];
		const struct block_index *bi = t->confirmed ? chainstate_lookup(cs, t->block) : NULL;
		if (t->confirmed && (!bi || !chainstate_on_best(cs, bi)))
			t->confirmed = false;
	}
}

int wallet_rescan(struct wallet *w, struct chainstate *cs, uint32_t from_height, char *err)
{
	struct block_index *tip = chainstate_tip(cs);
	int r = WALLET_OK;
	unconfirm_stale(w, cs);
	w->batch = true;
	for (uint32_t h = from_height; tip && h <= tip->height && r == WALLET_OK; h++) {
		struct block b;
		struct block_index *bi = chainstate_at(cs, h);
		if (!bi || chainstate_read_block(cs, bi, &b, err) != 0) {
			r = bi ? WALLET_ERROR : err_set(err, "cannot rescan: no block at height %u", h);
			break;
		}
		wallet_block_connected(w, &b, bi);
		block_release(&b);
	}
	w->batch = false;
	if (r == WALLET_OK && tip)
		set_best(w, tip->hash, tip->height);
	return save_now(w, r == WALLET_OK ? err : NULL) == WALLET_OK ? r : WALLET_ERROR;
}

int wallet_sync(struct wallet *w, struct chainstate *cs, char *err)
{
	struct block_index *tip = chainstate_tip(cs);
	if (!tip)
		return err_set(err, "cannot sync the wallet: the chain has no tip");
	if (w->fresh && !w->s.have_best) {
		set_best(w, tip->hash, tip->height);
		return save_now(w, err);
	}
	uint32_t from = 0;
	struct block_index *best = w->s.have_best ? chainstate_lookup(cs, w->s.best_hash) : NULL;
	if (best && chainstate_on_best(cs, best))
		from = best->height + 1;
	else if (best)
		from = index_fork(best, tip)->height + 1;
	return wallet_rescan(w, cs, from, err);
}

uint32_t wallet_tip_height(const struct wallet *w)
{
	return w->tip;
}

int wallet_unconfirmed(struct wallet *w, struct tx **txs, size_t *n, char *err)
{
	*txs = NULL;
	*n = 0;
	struct tx *list = calloc(w->s.n_txs + 1, sizeof(*list));
	if (!list)
		return err_set(err, "cannot list transactions: out of memory");
	for (size_t i = 0; i < w->s.n_txs; i++) {
		const struct wstore_tx *t = w->s.txs[i];
		if (active(t) || tx_is_coinbase(&t->tx))
			continue;
		if (tx_copy(&list[*n], &t->tx) != 0) {
			for (size_t j = 0; j <= *n; j++)
				tx_release(&list[j]);
			free(list);
			*n = 0;
			return err_set(err, "cannot list transactions: out of memory");
		}
		(*n)++;
	}
	*txs = list;
	return WALLET_OK;
}

/* ---- state of outputs ---- */

static void refresh_spent(struct wallet *w)
{
	const void *key;
	void *val;
	for (size_t it = 0; hmap_next(&w->outs, &it, &key, &val);)
		((struct wout *)val)->spent = false;
	for (size_t i = 0; i < w->s.n_txs; i++) {
		const struct wstore_tx *t = w->s.txs[i];
		if (!active(t) || tx_is_coinbase(&t->tx))
			continue;
		for (size_t j = 0; j < t->tx.n_in; j++) {
			uint8_t k[36];
			outpoint_write(k, &t->tx.in[j].prev);
			struct wout *o = hmap_get(&w->outs, k);
			if (o)
				o->spent = true;
		}
	}
}

static uint32_t confirmations(const struct wallet *w, const struct wstore_tx *t)
{
	if (!t->confirmed)
		return 0;
	return w->tip >= t->height ? w->tip - t->height + 1 : 1;
}

/* Spendable in the next block: validate.c lets a coinbase at height h be
 * spent at height h + maturity, i.e. once it has `maturity` confirmations. */
static bool mature(const struct wallet *w, const struct wstore_tx *t)
{
	return !tx_is_coinbase(&t->tx) || (t->confirmed && confirmations(w, t) >= w->p->coinbase_maturity);
}

/* Bitcoin Core's CachedTxIsTrusted: confirmed, or in the mempool with every
 * input one of our outputs from a trusted transaction. */
static bool trusted(const struct wallet *w, const struct wstore_tx *t, int depth)
{
	if (t->confirmed)
		return true;
	if (!t->in_mempool || depth > TRUST_DEPTH || tx_is_coinbase(&t->tx))
		return false;
	for (size_t i = 0; i < t->tx.n_in; i++) {
		uint8_t k[36];
		outpoint_write(k, &t->tx.in[i].prev);
		const struct wout *o = hmap_get(&w->outs, k);
		if (!o || !trusted(w, o->wtx, depth + 1))
			return false;
	}
	return true;
}

void wallet_get_balances(struct wallet *w, struct wallet_balances *out)
{
	const void *key;
	void *val;
	memset(out, 0, sizeof(*out));
	refresh_spent(w);
	for (size_t it = 0; hmap_next(&w->outs, &it, &key, &val);) {
		const struct wout *o = val;
		const struct wstore_tx *t = o->wtx;
		int64_t v = wout_txout(o)->value;
		if (o->spent || wout_txout(o)->kind != TXOUT_COIN || !active(t))
			continue;
		if (tx_is_coinbase(&t->tx))
			*(mature(w, t) ? &out->trusted : &out->immature) += v;
		else
			*(trusted(w, t, 0) ? &out->trusted : &out->untrusted_pending) += v;
	}
}

static bool is_locked_coin(const struct wallet *w, const struct outpoint *op)
{
	uint8_t k[36];
	outpoint_write(k, op);
	return hmap_get(&w->locked, k) != NULL;
}

/* An output coin selection may use: a coin, active, unspent, mature, not
 * locked, and trusted when unconfirmed. */
static bool spendable(const struct wallet *w, const struct wout *o)
{
	const struct wstore_tx *t = o->wtx;
	return !o->spent && wout_txout(o)->kind == TXOUT_COIN && active(t) && mature(w, t) &&
	       !is_locked_coin(w, &o->op);
}

static int cmp_outpoint(const struct outpoint *a, const struct outpoint *b)
{
	int c = memcmp(a->txid, b->txid, 32);
	return c ? c : (a->index > b->index) - (a->index < b->index);
}

static int cmp_outpoint_q(const void *a, const void *b)
{
	return cmp_outpoint(a, b);
}

static int cmp_utxo(const void *a, const void *b)
{
	return cmp_outpoint(&((const struct wallet_utxo *)a)->op, &((const struct wallet_utxo *)b)->op);
}

static void copy_label(const struct wallet *w, char out[WSTORE_LABEL_MAX + 1], const uint8_t addr[20])
{
	const char *l = wstore_label(&w->s, addr);
	snprintf(out, WSTORE_LABEL_MAX + 1, "%s", l ? l : "");
}

int wallet_list_unspent(struct wallet *w, struct wallet_utxo **out, size_t *n, uint32_t minconf, uint32_t maxconf,
			char *err)
{
	const void *key;
	void *val;
	*out = NULL;
	*n = 0;
	refresh_spent(w);
	struct wallet_utxo *list = calloc(w->outs.count + 1, sizeof(*list));
	if (!list)
		return err_set(err, "cannot list unspent outputs: out of memory");
	for (size_t it = 0; hmap_next(&w->outs, &it, &key, &val);) {
		const struct wout *o = val;
		uint32_t conf = confirmations(w, o->wtx);
		if (!spendable(w, o) || conf < minconf || conf > maxconf)
			continue;
		struct wallet_utxo *u = &list[(*n)++];
		const struct wkey *k = hmap_get(&w->keys, wout_txout(o)->addr);
		u->op = o->op;
		memcpy(u->addr, wout_txout(o)->addr, 20);
		u->value = wout_txout(o)->value;
		u->confirmations = conf;
		u->coinbase = tx_is_coinbase(&o->wtx->tx);
		u->safe = trusted(w, o->wtx, 0);
		u->change = k && k->chain == WSTORE_CHANGE;
		copy_label(w, u->label, u->addr);
	}
	qsort(list, *n, sizeof(*list), cmp_utxo);
	*out = list;
	return WALLET_OK;
}

/* ---- listtransactions, gettransaction ---- */

const char *wallet_category_name(enum wallet_category c)
{
	static const char *names[] = { "send", "receive", "generate", "immature", "orphan" };
	return c <= WALLET_ORPHAN ? names[c] : "unknown";
}

/* What a transaction takes from and gives to the wallet. */
struct amounts {
	int64_t debit, credit, out_total;
	bool all_inputs_mine;
};

static void tx_amounts(const struct wallet *w, const struct wstore_tx *t, struct amounts *a)
{
	memset(a, 0, sizeof(*a));
	a->all_inputs_mine = !tx_is_coinbase(&t->tx);
	for (size_t i = 0; i < t->tx.n_in && !tx_is_coinbase(&t->tx); i++) {
		uint8_t k[36];
		outpoint_write(k, &t->tx.in[i].prev);
		const struct wout *o = hmap_get(&w->outs, k);
		if (o)
			a->debit += wout_txout(o)->value;
		else
			a->all_inputs_mine = false;
	}
	for (size_t i = 0; i < t->tx.n_out; i++) {
		a->out_total += t->tx.out[i].value;
		if (hmap_get(&w->keys, t->tx.out[i].addr))
			a->credit += t->tx.out[i].value;
	}
}

static enum wallet_category receive_category(const struct wallet *w, const struct wstore_tx *t)
{
	if (!tx_is_coinbase(&t->tx))
		return WALLET_RECEIVE;
	if (!t->confirmed)
		return WALLET_ORPHAN;
	return mature(w, t) ? WALLET_GENERATE : WALLET_IMMATURE;
}

static void fill_entry(const struct wallet *w, struct wallet_tx_entry *e, const struct wstore_tx *t, uint32_t vout,
		       enum wallet_category cat)
{
	const struct txout *o = &t->tx.out[vout];
	memset(e, 0, sizeof(*e));
	memcpy(e->txid, t->tx.txid, 32);
	e->category = cat;
	memcpy(e->addr, o->addr, 20);
	e->vout = vout;
	e->amount = cat == WALLET_SEND ? -o->value : o->value;
	e->confirmations = confirmations(w, t);
	e->trusted = trusted(w, t, 0);
	e->confirmed = t->confirmed;
	memcpy(e->block_hash, t->block, 32);
	e->block_height = t->height;
	e->block_pos = t->pos;
	e->time = t->time;
	e->is_asset = o->kind == TXOUT_ASSET;
	if (e->is_asset)
		memcpy(e->asset, o->asset, 32);
	if (cat != WALLET_SEND || hmap_get(&w->keys, o->addr))
		copy_label(w, e->label, o->addr);
}

/* Bitcoin Core's ListTransactions for one transaction: a send line per
 * output it pays away (change excluded), a receive line per output to us.
 * out has room for 2 × n_out entries. */
static size_t tx_entries(const struct wallet *w, const struct wstore_tx *t, struct wallet_tx_entry *out)
{
	struct amounts a;
	size_t n = 0;
	tx_amounts(w, t, &a);
	bool from_me = a.debit > 0;
	for (uint32_t j = 0; j < t->tx.n_out; j++) {
		const struct wkey *k = hmap_get(&w->keys, t->tx.out[j].addr);
		if (from_me && k && k->chain == WSTORE_CHANGE)
			continue;
		if (from_me) {
			fill_entry(w, &out[n], t, j, WALLET_SEND);
			out[n].has_fee = a.all_inputs_mine;
			out[n++].fee = a.all_inputs_mine ? a.debit - a.out_total : 0;
		}
		if (k)
			fill_entry(w, &out[n++], t, j, receive_category(w, t));
	}
	return n;
}

int wallet_list_transactions(struct wallet *w, struct wallet_tx_entry **out, size_t *n, char *err)
{
	size_t room = 1;
	*out = NULL;
	*n = 0;
	refresh_spent(w);
	for (size_t i = 0; i < w->s.n_txs; i++)
		room += 2 * w->s.txs[i]->tx.n_out;
	struct wallet_tx_entry *list = calloc(room, sizeof(*list));
	if (!list)
		return err_set(err, "cannot list transactions: out of memory");
	for (size_t i = 0; i < w->s.n_txs; i++)
		*n += tx_entries(w, w->s.txs[i], list + *n);
	*out = list;
	return WALLET_OK;
}

void wallet_tx_info_release(struct wallet_tx_info *info)
{
	if (!info)
		return;
	tx_release(&info->tx);
	free(info->details);
	memset(info, 0, sizeof(*info));
	tx_init(&info->tx);
}

int wallet_get_transaction(struct wallet *w, struct wallet_tx_info *out, const uint8_t txid[32], char *err)
{
	memset(out, 0, sizeof(*out));
	tx_init(&out->tx);
	const struct wstore_tx *t = hmap_get(&w->txs, txid);
	if (!t) {
		err_set(err, "invalid or non-wallet transaction id");
		return WALLET_NOT_FOUND;
	}
	struct amounts a;
	tx_amounts(w, t, &a);
	out->details = calloc(2 * t->tx.n_out + 1, sizeof(*out->details));
	if (!out->details || tx_copy(&out->tx, &t->tx) != 0) {
		wallet_tx_info_release(out);
		return err_set(err, "cannot read the transaction: out of memory");
	}
	out->n_details = tx_entries(w, t, out->details);
	bool from_me = a.debit > 0;
	out->amount = from_me ? a.credit - a.out_total : a.credit;
	out->has_fee = from_me && a.all_inputs_mine;
	out->fee = out->has_fee ? a.debit - a.out_total : 0;
	out->confirmations = confirmations(w, t);
	out->trusted = trusted(w, t, 0);
	out->confirmed = t->confirmed;
	out->in_mempool = t->in_mempool;
	memcpy(out->block_hash, t->block, 32);
	out->block_height = t->height;
	out->block_pos = t->pos;
	out->time = t->time;
	return WALLET_OK;
}

/* ---- lockunspent ---- */

int wallet_lock_coin(struct wallet *w, const struct outpoint *op, char *err)
{
	uint8_t k[36];
	outpoint_write(k, op);
	refresh_spent(w);
	const struct wout *o = hmap_get(&w->outs, k);
	if (!o) {
		err_set(err, "invalid parameter, unknown transaction or output");
		return WALLET_NOT_FOUND;
	}
	if (o->spent || !active(o->wtx)) {
		err_set(err, "invalid parameter, expected unspent output");
		return WALLET_INVALID_PARAMETER;
	}
	if (hmap_get(&w->locked, k)) {
		err_set(err, "invalid parameter, output already locked");
		return WALLET_INVALID_PARAMETER;
	}
	return hmap_put(&w->locked, k, (void *)1) == 0 ? WALLET_OK : err_set(err, "cannot lock: out of memory");
}

int wallet_unlock_coin(struct wallet *w, const struct outpoint *op, char *err)
{
	uint8_t k[36];
	outpoint_write(k, op);
	if (!hmap_del(&w->locked, k)) {
		err_set(err, "invalid parameter, expected locked output");
		return WALLET_INVALID_PARAMETER;
	}
	return WALLET_OK;
}

void wallet_unlock_all_coins(struct wallet *w)
{
	hmap_release(&w->locked);
	hmap_init(&w->locked, 36);
}

int wallet_list_locked(struct wallet *w, struct outpoint **out, size_t *n, char *err)
{
	const void *key;
	void *val;
	*n = 0;
	*out = calloc(w->locked.count + 1, sizeof(**out));
	if (!*out)
		return err_set(err, "cannot list locked outputs: out of memory");
	for (size_t it = 0; hmap_next(&w->locked, &it, &key, &val);) {
		const uint8_t *k = key;
		struct outpoint *op = &(*out)[(*n)++];
		memcpy(op->txid, k, 32);
		op->index = (uint32_t)k[32] | (uint32_t)k[33] << 8 | (uint32_t)k[34] << 16 | (uint32_t)k[35] << 24;
	}
	qsort(*out, *n, sizeof(**out), cmp_outpoint_q);
	return WALLET_OK;
}

/* ---- assets ---- */

static const struct wout *find_asset(struct wallet *w, const uint8_t asset[32])
{
	const void *key;
	void *val;
	refresh_spent(w);
	for (size_t it = 0; hmap_next(&w->outs, &it, &key, &val);) {
		const struct wout *o = val;
		const struct txout *x = wout_txout(o);
		if (!o->spent && active(o->wtx) && x->kind == TXOUT_ASSET && memcmp(x->asset, asset, 32) == 0)
			return o;
	}
	return NULL;
}

int wallet_list_assets(struct wallet *w, struct wallet_asset **out, size_t *n, char *err)
{
	const void *key;
	void *val;
	*n = 0;
	refresh_spent(w);
	*out = calloc(w->outs.count + 1, sizeof(**out));
	if (!*out)
		return err_set(err, "cannot list assets: out of memory");
	for (size_t it = 0; hmap_next(&w->outs, &it, &key, &val);) {
		const struct wout *o = val;
		const struct txout *x = wout_txout(o);
		if (o->spent || !active(o->wtx) || x->kind != TXOUT_ASSET)
			continue;
		struct wallet_asset *a = &(*out)[(*n)++];
		memcpy(a->asset, x->asset, 32);
		a->op = o->op;
		memcpy(a->addr, x->addr, 20);
		a->value = x->value;
		a->confirmations = confirmations(w, o->wtx);
		a->meta_len = x->meta_len;
		if (x->meta_len)
			memcpy(a->meta, x->meta, x->meta_len);
	}
	return WALLET_OK;
}

/* ---- building and signing ---- */

/* Signs the inputs whose key is in mine[] (NULL for others). The public
 * keys go in first: the signature message covers them. */
static int sign_inputs(struct wallet *w, struct tx *tx, const struct wkey **mine, char *err)
{
	uint8_t msg[32], sk[32];
	for (size_t i = 0; i < tx->n_in; i++)
		if (mine[i])
			memcpy(tx->in[i].pubkey, mine[i]->pub, 32);
	tx_sighash(msg, tx, w->p->magic);
	for (size_t i = 0; i < tx->n_in; i++) {
		if (!mine[i])
			continue;
		int r = seckey_of(w, mine[i], sk, err);
		r = r ? r : key_sign(tx->in[i].sig, sk, msg);
		OPENSSL_cleanse(sk, sizeof(sk));
		if (r != 0)
			return err_set(err, "cannot sign input %zu", i);
	}
	tx_finalize(tx);
	return 0;
}

/* What a transaction the wallet builds must pay and spend besides coins. */
struct spend {
	const struct txout *outs; /* outputs, in order */
	size_t n_outs;
	const bool *sffo;         /* per output: pays a share of the fee (may be NULL) */
	const struct wout *fixed; /* an asset output spent as well, or NULL */
	int64_t fee_rate;
};

/* The coins selection may use, confirmed or trusted. Arrays malloc'd. */
static int candidates(struct wallet *w, struct coinselect_coin **coins, const struct wout ***wouts, size_t *n)
{
	const void *key;
	void *val;
	*n = 0;
	refresh_spent(w);
	*coins = calloc(w->outs.count + 1, sizeof(**coins));
	*wouts = calloc(w->outs.count + 1, sizeof(**wouts));
	if (!*coins || !*wouts)
		return -1;
	for (size_t it = 0; hmap_next(&w->outs, &it, &key, &val);) {
		const struct wout *o = val;
		if (!spendable(w, o) || !trusted(w, o->wtx, 0))
			continue;
		(*coins)[*n].value = wout_txout(o)->value;
		(*coins)[*n].confirmed = o->wtx->confirmed;
		(*wouts)[(*n)++] = o;
	}
	return 0;
}

/* Takes the fee out of the outputs that agreed to pay it, evenly, the
 * first of them paying the remainder (as Bitcoin Core does). */
static int subtract_fee(int64_t *values, const struct spend *sp, int64_t fee, char *err)
{
	size_t k = 0;
	bool first = true;
	for (size_t j = 0; j < sp->n_outs; j++)
		k += sp->sffo && sp->sffo[j];
	for (size_t j = 0; j < sp->n_outs && k; j++) {
		if (!sp->sffo || !sp->sffo[j])
			continue;
		values[j] -= fee / (int64_t)k + (first ? fee % (int64_t)k : 0);
		first = false;
		if (values[j] < COINSELECT_DUST)
			return err_set(err, "the transaction amount is too small to pay the fee");
	}
	return 0;
}

static size_t txout_size(const struct txout *o)
{
	if (o->kind != TXOUT_ASSET)
		return COINSELECT_OUTPUT_SIZE;
	return COINSELECT_OUTPUT_SIZE + 32 + buf_varint_size(o->meta_len) + o->meta_len;
}

static int put_output(struct txout *dst, const struct txout *src, int64_t value)
{
	dst->value = value;
	memcpy(dst->addr, src->addr, 20);
	dst->kind = src->kind;
	memcpy(dst->asset, src->asset, 32);
	return src->kind == TXOUT_ASSET ? txout_set_meta(dst, src->meta, src->meta_len) : 0;
}

/* Lays out inputs (the fixed one first) and outputs (change at a random
 * place) and signs. */
static int assemble(struct wallet *w, struct tx *out, const struct spend *sp, const struct coinselect_result *res,
		    const struct wout **wouts, const int64_t *values, const struct wkey *change, char *err)
{
	size_t n_in = (sp->fixed ? 1 : 0) + res->n_chosen, n_out = sp->n_outs + (change ? 1 : 0), pos = sp->n_outs;
	const struct wkey **mine = calloc(n_in + 1, sizeof(*mine));
	uint32_t rnd = 0;
	int r = err_set(err, "cannot build the transaction: out of memory");
	if (!mine || tx_resize(out, n_in, n_out) != 0)
		goto done;
	for (size_t i = 0; i < n_in; i++) {
		const struct wout *o = sp->fixed && i == 0 ? sp->fixed : wouts[res->chosen[i - (sp->fixed ? 1 : 0)]];
		out->in[i].prev = o->op;
		mine[i] = hmap_get(&w->keys, wout_txout(o)->addr);
	}
	if (change && RAND_bytes((uint8_t *)&rnd, sizeof(rnd)) == 1)
		pos = rnd % (sp->n_outs + 1);
	for (size_t j = 0; j < sp->n_outs; j++)
		if (put_output(&out->out[j < pos || !change ? j : j + 1], &sp->outs[j], values[j]) != 0)
			goto done;
	if (change) {
		out->out[pos].value = res->change;
		memcpy(out->out[pos].addr, change->addr, 20);
		out->out[pos].kind = TXOUT_COIN;
	}
	r = sign_inputs(w, out, mine, err);
done:
	free(mine);
	return r;
}

static int select_status(int r)
{
	return r == COINSELECT_INSUFFICIENT ? WALLET_INSUFFICIENT_FUNDS : WALLET_INVALID_PARAMETER;
}

static int build(struct wallet *w, struct tx *out, int64_t *fee, const struct spend *sp, char *err)
{
	struct coinselect_req req = { .n_outputs = sp->n_outs, .n_fixed_inputs = sp->fixed ? 1 : 0 };
	struct coinselect_result res;
	struct coinselect_coin *coins = NULL;
	const struct wout **wouts = NULL;
	const struct wkey *change = NULL;
	int64_t *values = calloc(sp->n_outs + 1, sizeof(*values));
	size_t n = 0;
	int r = WALLET_ERROR;
	memset(&res, 0, sizeof(res));
	req.fee_rate = sp->fee_rate ? sp->fee_rate : WALLET_DEFAULT_FEE_RATE;
	for (size_t j = 0; j < sp->n_outs; j++) {
		req.target += values ? (values[j] = sp->outs[j].value) : 0;
		req.outputs_size += txout_size(&sp->outs[j]);
		req.subtract_fee |= sp->sffo && sp->sffo[j];
	}
	if (sp->fixed)
		req.target -= wout_txout(sp->fixed)->value;
	if (req.target < 0)
		req.target = 0;
	if (!values || candidates(w, &coins, &wouts, &n) != 0) {
		err_set(err, "cannot build the transaction: out of memory");
		goto done;
	}
	int s = coinselect_select(&res, coins, n, &req, err);
	if (s != COINSELECT_OK) {
		r = select_status(s);
		goto done;
	}
	if (req.subtract_fee && subtract_fee(values, sp, res.subtracted, err) != 0)
		goto done;
	if (res.change > 0 && (r = next_key(w, WSTORE_CHANGE, &change, err)) != WALLET_OK)
		goto done;
	r = WALLET_ERROR;
	if (assemble(w, out, sp, &res, wouts, values, change, err) != 0)
		goto done;
	if (tx_serialized_size(out) != res.size) {
		err_set(err, "cannot build the transaction: size %zu differs from the %zu estimated",
			tx_serialized_size(out), res.size);
		goto done;
	}
	*fee = res.fee;
	r = WALLET_OK;
done:
	if (change)
		save(w); /* the change key was handed out */
	if (r != WALLET_OK) {
		tx_release(out);
		tx_init(out);
	}
	coinselect_result_release(&res);
	free(coins);
	free(wouts);
	free(values);
	return r;
}

/* Checks shared by every builder; out and fee cleared. */
static int build_prologue(struct wallet *w, struct tx *out, int64_t *fee, int64_t fee_rate, char *err)
{
	tx_init(out);
	*fee = 0;
	if (fee_rate < 0 || fee_rate > COINSELECT_MAX_FEE_RATE) {
		err_set(err, "invalid fee rate: %lld units per 1000 bytes (0 to %lld)", (long long)fee_rate,
			(long long)COINSELECT_MAX_FEE_RATE);
		return WALLET_INVALID_PARAMETER;
	}
	return has_secrets(w) ? WALLET_OK : locked_error(err);
}

int wallet_create_tx(struct wallet *w, struct tx *out, int64_t *fee, const struct wallet_recipient *r, size_t n,
		     int64_t fee_rate, char *err)
{
	int st = build_prologue(w, out, fee, fee_rate, err);
	if (st != WALLET_OK)
		return st;
	if (!r || n == 0 || n > TX_MAX_OUTPUTS) {
		err_set(err, "invalid parameter: no recipients");
		return WALLET_INVALID_PARAMETER;
	}
	struct txout *outs = calloc(n, sizeof(*outs));
	bool *sffo = calloc(n, sizeof(*sffo));
	int64_t total = 0;
	st = outs && sffo ? WALLET_OK : err_set(err, "cannot build the transaction: out of memory");
	for (size_t i = 0; i < n && st == WALLET_OK; i++) {
		total += money_range(r[i].value) ? r[i].value : 0;
		if (r[i].value <= 0 || !money_range(r[i].value) || !money_range(total)) {
			st = WALLET_INVALID_PARAMETER;
			err_set(err, "invalid amount for recipient %zu", i);
		} else if (!r[i].subtract_fee && r[i].value < COINSELECT_DUST) {
			st = WALLET_INVALID_PARAMETER;
			err_set(err, "transaction amount too small: recipient %zu gets less than %lld units", i,
				(long long)COINSELECT_DUST);
		}
		if (st == WALLET_OK) {
			outs[i].value = r[i].value;
			memcpy(outs[i].addr, r[i].addr, 20);
			sffo[i] = r[i].subtract_fee;
		}
	}
	struct spend sp = { outs, n, sffo, NULL, fee_rate };
	if (st == WALLET_OK)
		st = build(w, out, fee, &sp, err);
	free(outs);
	free(sffo);
	return st;
}

int wallet_create_asset_register(struct wallet *w, struct tx *out, int64_t *fee, const uint8_t asset[32],
				 const uint8_t *meta, size_t meta_len, const uint8_t *owner, int64_t fee_rate,
				 char *err)
{
	int st = build_prologue(w, out, fee, fee_rate, err);
	if (st != WALLET_OK)
		return st;
	if (meta_len > TX_META_MAX || (meta_len && !meta)) {
		err_set(err, "invalid parameter: metadata longer than %d bytes", TX_META_MAX);
		return WALLET_INVALID_PARAMETER;
	}
	if (find_asset(w, asset)) {
		err_set(err, "invalid parameter: the wallet already holds this asset");
		return WALLET_INVALID_PARAMETER;
	}
	struct txout o;
	memset(&o, 0, sizeof(o));
	o.kind = TXOUT_ASSET;
	memcpy(o.asset, asset, 32);
	o.meta = (uint8_t *)meta; /* read only: put_output copies it */
	o.meta_len = (uint16_t)meta_len;
	if (owner) {
		memcpy(o.addr, owner, 20);
	} else {
		const struct wkey *k;
		if ((st = next_key(w, WSTORE_EXTERNAL, &k, err)) != WALLET_OK)
			return st;
		memcpy(o.addr, k->addr, 20);
		if (wstore_set_label(&w->s, k->addr, "") != 0)
			return err_set(err, "cannot set a label: out of memory");
		save(w);
	}
	struct spend sp = { &o, 1, NULL, NULL, fee_rate };
	return build(w, out, fee, &sp, err);
}

int wallet_create_asset_transfer(struct wallet *w, struct tx *out, int64_t *fee, const uint8_t asset[32],
				 const uint8_t to[20], int64_t fee_rate, char *err)
{
	int st = build_prologue(w, out, fee, fee_rate, err);
	if (st != WALLET_OK)
		return st;
	const struct wout *cur = find_asset(w, asset);
	if (!cur) {
		err_set(err, "the wallet does not hold this asset");
		return WALLET_NOT_FOUND;
	}
	struct txout o = *wout_txout(cur); /* same value, id and metadata */
	memcpy(o.addr, to, 20);
	struct spend sp = { &o, 1, NULL, cur, fee_rate };
	return build(w, out, fee, &sp, err);
}

void wallet_sign_result_release(struct wallet_sign_result *res)
{
	if (!res)
		return;
	free(res->errors);
	memset(res, 0, sizeof(*res));
}

/* The address the coin spent by input i pays: from view, else from the
 * wallet's own outputs. 1 found, 0 not, -1 on a read error. */
static int input_addr(struct wallet *w, const struct coin_view *view, const struct outpoint *op, uint8_t addr[20])
{
	struct coin c;
	uint8_t k[36];
	int r = view ? view->get_coin(view->ctx, op, &c) : 0;
	if (r < 0)
		return -1;
	if (r == 1) {
		memcpy(addr, c.out.addr, 20);
		coin_release(&c);
		return 1;
	}
	outpoint_write(k, op);
	const struct wout *o = hmap_get(&w->outs, k);
	if (!o || o->spent)
		return 0;
	memcpy(addr, wout_txout(o)->addr, 20);
	return 1;
}

static void sign_error(struct wallet_sign_result *res, size_t input, const char *reason)
{
	struct wallet_sign_error *e = &res->errors[res->n_errors++];
	e->input = input;
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
}

int wallet_sign_tx(struct wallet *w, struct tx *tx, const struct coin_view *view, struct wallet_sign_result *res,
		   char *err)
{
	memset(res, 0, sizeof(*res));
	uint8_t (*addrs)[20] = calloc(tx->n_in + 1, 20);
	bool *found = calloc(tx->n_in + 1, sizeof(bool));
	const struct wkey **mine = calloc(tx->n_in + 1, sizeof(*mine));
	res->errors = calloc(tx->n_in + 1, sizeof(*res->errors));
	int r = addrs && found && mine && res->errors ? WALLET_OK : err_set(err, "cannot sign: out of memory");
	bool any = false;
	refresh_spent(w);
	for (size_t i = 0; i < tx->n_in && r == WALLET_OK; i++) {
		int f = input_addr(w, view, &tx->in[i].prev, addrs[i]);
		if (f < 0)
			r = err_set(err, "cannot sign: cannot read the coin database");
		found[i] = f == 1;
		mine[i] = found[i] ? hmap_get(&w->keys, addrs[i]) : NULL;
		any |= mine[i] != NULL;
	}
	if (r == WALLET_OK && any && !has_secrets(w))
		r = locked_error(err);
	if (r == WALLET_OK && any && sign_inputs(w, tx, mine, err) != 0)
		r = WALLET_ERROR;
	uint8_t msg[32];
	tx_sighash(msg, tx, w->p->magic);
	for (size_t i = 0; i < tx->n_in && r == WALLET_OK; i++) {
		uint8_t h[20];
		tx_pubkey_hash(h, tx->in[i].pubkey);
		if (!found[i])
			sign_error(res, i, "input not found or already spent");
		/* key_sign verified the signatures it made; only others' are checked here. */
		else if (memcmp(h, addrs[i], 20) != 0 || (!mine[i] && !key_verify(tx->in[i].sig, msg, tx->in[i].pubkey)))
			sign_error(res, i, mine[i] ? "signing failed" : "unable to sign input: key not in the wallet");
	}
	res->complete = r == WALLET_OK && res->n_errors == 0;
	free(addrs);
	free(found);
	free(mine);
	if (r != WALLET_OK)
		wallet_sign_result_release(res);
	return r;
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
	if (r == WALLET_OK && (r = save_now(w, err)) != WALLET_OK) {
		w->s.encrypted = false; /* the file on disk is still the plain one */
		free(w->s.sealed);
		w->s.sealed = NULL;
		w->s.sealed_len = 0;
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (r == WALLET_OK)
		wallet_lock(w);
	return r;
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
	if (topup(w, &grew, err) != 0)
		return WALLET_ERROR;
	return grew ? save_now(w, err) : WALLET_OK;
}

/* What wallet_change_passphrase restores when the new file cannot be
 * written. */
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
	r = r ? r : save_now(w, err);
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
	return r;
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

static struct wallet *wallet_alloc(const char *path, const struct chain_params *p)
{
	struct wallet *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->path = strdup(path);
	w->p = p;
	wstore_init(&w->s, p->magic);
	hmap_init(&w->keys, 20);
	hmap_init(&w->txs, 32);
	hmap_init(&w->outs, 36);
	hmap_init(&w->locked, 36);
	if (!w->path) {
		free(w);
		return NULL;
	}
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
	free_values(&w->outs);
	hmap_release(&w->txs);
	hmap_release(&w->locked);
	OPENSSL_cleanse(w->aes_key, sizeof(w->aes_key));
	forget_hd(w);
	wstore_release(&w->s);
	free(w->path);
	free(w);
}

/* Builds the in-memory indexes from a loaded store. */
static int index_store(struct wallet *w, char *err)
{
	for (uint8_t c = 0; c < WSTORE_CHAINS; c++)
		for (size_t i = 0; i < w->s.n_keys[c]; i++)
			if (add_wkey(w, c, (uint32_t)i, w->s.keys[c][i]) != 0)
				return err_set(err, "cannot load the wallet: out of memory");
	for (size_t i = 0; i < w->s.n_imported; i++)
		if (add_wkey(w, CHAIN_IMPORTED, (uint32_t)i, w->s.imported_pk[i]) != 0)
			return err_set(err, "cannot load the wallet: out of memory");
	for (size_t i = 0; i < w->s.n_txs; i++) {
		struct wstore_tx *t = w->s.txs[i];
		if (hmap_get(&w->txs, t->tx.txid))
			return err_set(err, "cannot load the wallet: transaction recorded twice");
		if (hmap_put(&w->txs, t->tx.txid, t) != 0)
			return err_set(err, "cannot load the wallet: out of memory");
	}
	for (size_t i = 0; i < w->s.n_txs; i++)
		index_outputs(w, w->s.txs[i]);
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
	struct wallet *w = wallet_alloc(path, p);
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
	if (topup(w, NULL, err) != 0 || save_now(w, err) != WALLET_OK) {
		wallet_free(w);
		return NULL;
	}
	return w;
}

struct wallet *wallet_open(const char *path, const struct chain_params *p, char *err)
{
	struct wallet *w = wallet_alloc(path, p);
	if (!w) {
		err_set(err, "cannot open the wallet: out of memory");
		return NULL;
	}
	if (wstore_load(&w->s, path, p->magic, err) != 0 || index_store(w, err) != 0 || topup(w, NULL, err) != 0) {
		wallet_free(w);
		return NULL;
	}
	return w;
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
	return wstore_save(&w->s, path, err) == 0 ? WALLET_OK : WALLET_ERROR;
}
