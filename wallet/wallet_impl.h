/* What the wallet's files share and nobody else sees: the struct, the
 * in-memory indexes and the helpers each part calls in another.
 *
 *   wallet.c  lifecycle, keys and addresses, encryption
 *   outs.c    the index of the outputs that pay the wallet
 *   track.c   following blocks and the mempool, balances, listings,
 *             history, locked coins
 *   spend.c   building transactions (coin selection glue) and signing
 *
 * Included by those three files only; the API is wallet.h. */
#ifndef CAIRN_WALLET_WALLET_IMPL_H
#define CAIRN_WALLET_WALLET_IMPL_H

#include <string.h>

#include "util/hmap.h"
#include "wallet/bip32.h"
#include "wallet/wallet.h"

/* The key list of a wallet_key for imported keys, beside the HD chains. */
#define WALLET_CHAIN_IMPORTED 2

/* The values of struct wallet's locked map: where a lock lives (a
 * persistent one is in the store's locks too). */
#define WALLET_LOCK_MEMORY ((void *)1)
#define WALLET_LOCK_PERSISTENT ((void *)2)

/* One of the wallet's keys, found by the address it pays to. */
struct wallet_key {
	uint8_t addr[20];
	uint8_t pub[32];
	uint8_t chain;  /* WSTORE_EXTERNAL, WSTORE_CHANGE or WALLET_CHAIN_IMPORTED */
	uint32_t index; /* in its chain, or in the import list */
};

/* An output of a wallet transaction that pays one of the wallet's keys,
 * kept in its transaction's list (wstore_tx.outs). */
struct wallet_out {
	struct wstore_tx *wtx;
	uint32_t index;
	bool spent; /* by an active transaction; refreshed by wallet_refresh_spent */
};

struct wallet_out_block;

struct wallet {
	struct wstore s;   /* with the database it is kept in */
	const struct chain_params *p;
	struct hmap keys;   /* address (20) -> struct wallet_key * */
	struct hmap txs;    /* txid (32) -> struct wstore_tx * (owned by s) */
	/* The outputs that pay the wallet live in their transactions' lists,
	 * found through txs: no index of their own. */
	size_t n_outs;
	struct wallet_out_block *out_blocks;
	struct hmap locked; /* outpoint (36) -> WALLET_LOCK_MEMORY or _PERSISTENT */
	uint8_t aes_key[WSTORE_AES_KEY_LEN]; /* while an encrypted wallet is unlocked */
	uint64_t unlock_until;
	/* m/0'/chain' for each chain, derived once while secrets are at hand
	 * and wiped with them: a key is then one step away. */
	struct bip32_key hd_chain[WSTORE_CHAINS];
	bool hd_ready;
	uint32_t tip;
	bool fresh;         /* created from a random seed: no history to scan */
	bool batch;         /* a rescan saves once at its end */
	wallet_tx_hook on_tx;
	void *on_tx_ctx;
};

/* A transaction spends and credits only while confirmed or in the mempool. */
static inline bool wallet_tx_active(const struct wstore_tx *t)
{
	return t->confirmed || t->in_mempool;
}

static inline const struct txout *wallet_out_txout(const struct wallet_out *o)
{
	return &o->wtx->tx.out[o->index];
}

static inline struct outpoint wallet_out_op(const struct wallet_out *o)
{
	struct outpoint op;
	memcpy(op.txid, o->wtx->tx.txid, 32);
	op.index = o->index;
	return op;
}

/* Unencrypted, or encrypted and unlocked. */
static inline bool wallet_has_secrets(const struct wallet *w)
{
	return w->s.have_secrets;
}

/* ---- wallet.c ---- */

/* Fills err with Bitcoin Core's "please enter the wallet passphrase" and
 * returns WALLET_LOCKED. */
int wallet_locked_error(char *err);
/* Saves the store; a failure is logged (the next save retries). Nothing
 * while a rescan batches its saves. */
void wallet_save(struct wallet *w);
/* Saves the store now: WALLET_OK, or WALLET_ERROR with err filled. */
int wallet_save_now(struct wallet *w, char *err) WUR;
/* The secret key of k into sk (the caller wipes it). Needs the secrets.
 * 0, or -1 with err filled. */
int wallet_seckey_of(struct wallet *w, const struct wallet_key *k, uint8_t sk[32], char *err) WUR;
/* Derives keys until each chain holds WALLET_LOOKAHEAD beyond its next
 * index; nothing while locked. *grew (may be NULL) tells whether any key
 * was added. 0, or -1 with err filled. */
int wallet_topup(struct wallet *w, bool *grew, char *err) WUR;
/* Hands out the next unused key of chain c (*out owned by w), then tops
 * the keypool up. WALLET_OK, WALLET_KEYPOOL_RAN_OUT or WALLET_ERROR. */
int wallet_next_key(struct wallet *w, enum wstore_chain c, const struct wallet_key **out, char *err) WUR;

/* ---- outs.c ---- */

/* Lists t's outputs that pay the wallet's keys (again after keys were
 * added: an output only ever starts paying the wallet). */
void wallet_index_outputs(struct wallet *w, struct wstore_tx *t);
/* The wallet's output op, or NULL when op does not pay the wallet. */
struct wallet_out *wallet_find_out(const struct wallet *w, const struct outpoint *op);
/* Walks every output that pays the wallet:
 *   for (struct wallet_out_iter it = { 0 }; (o = wallet_out_next(w, &it));) */
struct wallet_out_iter {
	size_t tx;
	uint32_t out;
};
struct wallet_out *wallet_out_next(const struct wallet *w, struct wallet_out_iter *it);
/* Frees the output lists. */
void wallet_free_outputs(struct wallet *w);
/* Recomputes every output's spent flag from the active transactions. */
void wallet_refresh_spent(struct wallet *w);

/* ---- chains.c ---- */

/* The descendants each unconfirmed wallet transaction has in the mempool,
 * counted once for a coin selection. */
struct wallet_chains {
	struct hmap index; /* txid (32) -> slot + 1 in desc, as a pointer */
	uint32_t *desc;
	size_t n;
};
/* 0, or -1 out of memory (release it either way). */
int wallet_chains_init(struct wallet_chains *c, const struct wallet *w) WUR;
/* The longest mempool chain a spend of t's outputs joins, before the
 * spend: t's ancestors with itself, or the most descendants one of them
 * has, whichever is more; 0 when t is confirmed. */
uint32_t wallet_chains_len(const struct wallet_chains *c, const struct wallet *w, const struct wstore_tx *t);
void wallet_chains_release(struct wallet_chains *c);

/* ---- track.c ---- */

/* Bitcoin Core's CachedTxIsTrusted (call with depth 0). */
bool wallet_trusted(const struct wallet *w, const struct wstore_tx *t, int depth);
/* An output coin selection may use (spent flags refreshed first). */
bool wallet_spendable(const struct wallet *w, const struct wallet_out *o);

#endif
