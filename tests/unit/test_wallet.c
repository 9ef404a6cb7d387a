/* The wallet against a real regtest chainstate: HD derivation and restore,
 * encryption and unlock deadlines, balances through maturity, spends and
 * reorgs, lockunspent, assets, raw signing, import/export and backups. */
#include "tests/unit/chain_fixture.h"
#include "tests/unit/folder_fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include "chain/address.h"
#include "chain/store.h"
#include "util/hex.h"
#include "wallet/bip32.h"
#include "wallet/coinselect.h"
#include "wallet/key.h"
#include "wallet/wallet.h"

#define RATE 1000

static struct fixture *F;
static struct wallet *W;
static char wdir[96], wpath[128];

static void on_connected(void *ctx, const struct block *b, const struct block_index *bi)
{
	wallet_block_connected(ctx, b, bi);
}

static void on_disconnected(void *ctx, const struct block *b, const struct block_index *bi)
{
	wallet_block_disconnected(ctx, b, bi);
}

static void listen(struct wallet *w)
{
	struct chain_events ev = { .connected = on_connected, .disconnected = on_disconnected, .ctx = w };
	assert_int_equal(chainstate_listen(F->cs, &ev), 0);
}

static int setup(void **state)
{
	(void)state;
	char err[ERR_LEN] = "";
	F = fix_new();
	snprintf(wdir, sizeof(wdir), "%s/w", F->dir);
	assert_int_equal(mkdir(wdir, 0700), 0);
	snprintf(wpath, sizeof(wpath), "%s/%s", wdir, WALLET_DEFAULT_NAME);
	W = wallet_create(wpath, F->p, NULL, err);
	if (!W)
		fail_msg("wallet_create: %s", err);
	listen(W);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	chainstate_unlisten(F->cs, W);
	wallet_free(W);
	fix_free(F);
	return 0;
}

static void decode(uint8_t h[20], const char *a)
{
	char err[ERR_LEN];
	assert_int_equal(address_decode(h, F->p->hrp, a, err), 0);
}

static void new_addr(struct wallet *w, uint8_t h[20])
{
	char a[ADDRESS_MAX_LEN], err[ERR_LEN] = "";
	if (wallet_get_new_address(w, a, sizeof(a), "", err) != WALLET_OK)
		fail_msg("getnewaddress: %s", err);
	decode(h, a);
}

/* A block on the tip holding txs whose coinbase pays addr. */
static void mine_to(const uint8_t addr[20], const struct tx *txs, size_t n, int64_t fees)
{
	struct block b;
	struct verdict v;
	char err[ERR_LEN];
	assert_int_equal(mine_build(&b, chainstate_tip(F->cs), F->p, txs, n, addr, fees, F->time++, err), 0);
	if (chainstate_commit_assets(F->cs, &b, err) != 0) /* meant to be refused */
		memcpy(b.header.assets, chainstate_tip(F->cs)->header.assets, 32);
	assert_true(mine_solve(&b, 1000000));
	assert_string_equal(fix_accept(F, &b, &v), "");
	block_release(&b);
}

/* One mature 50 CRN coinbase for the wallet: a block to it, then 100 more. */
static void fund(struct wallet *w)
{
	uint8_t a[20];
	new_addr(w, a);
	mine_to(a, NULL, 0, 0);
	fix_mine(F, 100, 3);
}

static struct wallet_balances balances(struct wallet *w)
{
	struct wallet_balances b;
	wallet_get_balances(w, &b);
	return b;
}

/* Every coin the wallet lists is unspent in the chainstate with that value
 * (for confirmed ones). */
static void assert_unspent_match_chain(struct wallet *w)
{
	struct wallet_utxo *u;
	size_t n;
	assert_int_equal(wallet_list_unspent(w, &u, &n, 1, UINT32_MAX, NULL), WALLET_OK);
	for (size_t i = 0; i < n; i++) {
		struct coin c;
		assert_int_equal(chainstate_get_coin(F->cs, &u[i].op, &c), 1);
		assert_int_equal(c.out.value, u[i].value);
		assert_memory_equal(c.out.addr, u[i].addr, 20);
		coin_release(&c);
	}
	free(u);
}

static void hd_address(uint8_t out[20], const uint8_t seed[32], const char *path)
{
	struct bip32_key m, k;
	uint8_t pub[32];
	char err[ERR_LEN];
	assert_int_equal(bip32_master(&m, seed, 32, err), 0);
	assert_int_equal(bip32_derive_path(&k, &m, path, err), 0);
	assert_int_equal(key_pubkey_xonly(pub, k.seckey), 0);
	tx_pubkey_hash(out, pub);
	bip32_key_release(&m);
	bip32_key_release(&k);
}

/* Addresses follow m/0'/0'/i' and m/0'/1'/i'; a wallet restored from the
 * seed hands out the same ones; a reopened wallet never repeats one. */
static void test_hd_paths_and_restore(void **state)
{
	(void)state;
	uint8_t seed[32], a[3][20], expect[20];
	char err[ERR_LEN] = "", path2[160], hex[WALLET_SECKEY_HEX_LEN], c[ADDRESS_MAX_LEN];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(0xc0 + i);
	snprintf(path2, sizeof(path2), "%s/restored", wdir);
	struct wallet *w = wallet_create(path2, F->p, seed, err);
	assert_non_null(w);
	for (int i = 0; i < 3; i++) {
		char p[32];
		new_addr(w, a[i]);
		snprintf(p, sizeof(p), "m/0'/0'/%d'", i);
		hd_address(expect, seed, p);
		assert_memory_equal(a[i], expect, 20);
	}
	assert_int_equal(wallet_get_change_address(w, c, sizeof(c), err), WALLET_OK);
	decode(expect, c);
	uint8_t chg[20];
	hd_address(chg, seed, "m/0'/1'/0'");
	assert_memory_equal(expect, chg, 20);
	bool is_change;
	assert_true(wallet_is_mine(w, chg, NULL, &is_change));
	assert_true(is_change);
	assert_int_equal(wallet_export_seed(w, hex, err), WALLET_OK);
	char seed_hex[65];
	hex_encode(seed_hex, seed, 32);
	assert_string_equal(hex, seed_hex);
	wallet_free(w);

	/* Reopened: the fourth address is new. */
	w = wallet_open(path2, F->p, NULL, err);
	assert_non_null(w);
	uint8_t fourth[20];
	new_addr(w, fourth);
	hd_address(expect, seed, "m/0'/0'/3'");
	assert_memory_equal(fourth, expect, 20);
	wallet_free(w);

	/* Creating over an existing wallet is refused. */
	assert_null(wallet_create(path2, F->p, seed, err));
	assert_non_null(strstr(err, "already exists"));
}

/* Mined coins are immature until 100 confirmations, then trusted; a spend
 * moves the balance; invalidating its block makes it unconfirmed and out of
 * the balances; reconsidering brings it back. */
static void test_mine_mature_send_reorg(void **state)
{
	(void)state;
	char err[ERR_LEN] = "";
	uint8_t a[20];
	new_addr(W, a);
	mine_to(a, NULL, 0, 0);
	struct wallet_balances b = balances(W);
	assert_int_equal(b.immature, 50 * COIN);
	assert_int_equal(b.trusted, 0);
	struct wallet_tx_entry *e;
	size_t n;
	assert_int_equal(wallet_list_transactions(W, &e, &n, err), WALLET_OK);
	assert_int_equal(n, 1);
	assert_string_equal(wallet_category_name(e[0].category), "immature");
	assert_int_equal(e[0].amount, 50 * COIN);
	free(e);

	fix_mine(F, 98, 1);
	assert_int_equal(balances(W).immature, 50 * COIN); /* 99 confirmations */
	struct tx tx;
	int64_t fee;
	struct wallet_recipient r = { .value = 10 * COIN };
	memcpy(r.addr, F->addr[1], 20);
	assert_int_equal(wallet_create_tx(W, &tx, &fee, &r, 1, RATE, err), WALLET_INSUFFICIENT_FUNDS);
	assert_non_null(strstr(err, "insufficient funds"));
	fix_mine(F, 1, 1);
	b = balances(W);
	assert_int_equal(b.trusted, 50 * COIN);
	assert_int_equal(b.immature, 0);

	/* Spend: the consensus rules agree the coinbase is mature now. */
	assert_int_equal(wallet_create_tx(W, &tx, &fee, &r, 1, RATE, err), WALLET_OK);
	assert_int_equal(fee, coinselect_fee(RATE, tx.size));
	assert_int_equal(tx.n_out, 2);
	wallet_tx_added(W, &tx, FIX_T0 + 5000);
	b = balances(W);
	assert_int_equal(b.trusted, 40 * COIN - fee);
	assert_int_equal(b.untrusted_pending, 0);
	struct wallet_tx_info info;
	assert_int_equal(wallet_get_transaction(W, &info, tx.txid, err), WALLET_OK);
	assert_int_equal(info.amount, -10 * COIN);
	assert_true(info.has_fee);
	assert_int_equal(info.fee, fee);
	assert_int_equal(info.confirmations, 0);
	assert_true(info.in_mempool);
	assert_int_equal(info.n_details, 1);
	assert_string_equal(wallet_category_name(info.details[0].category), "send");
	wallet_tx_info_release(&info);

	struct block blk;
	struct verdict v;
	fix_block_on(F, &blk, NULL, &tx, 1, fee, 1);
	assert_string_equal(fix_accept(F, &blk, &v), "");
	wallet_tx_removed(W, tx.txid); /* the mempool lets it go once mined */
	assert_int_equal(balances(W).trusted, 40 * COIN - fee);
	assert_unspent_match_chain(W);
	struct wallet_utxo *u;
	assert_int_equal(wallet_list_unspent(W, &u, &n, 1, 9999, err), WALLET_OK);
	assert_int_equal(n, 1);
	assert_int_equal(u[0].value, 40 * COIN - fee);
	assert_true(u[0].change);
	free(u);

	/* Reorg: the block goes, the spend is unconfirmed and not in a mempool. */
	assert_int_equal(chainstate_invalidate(F->cs, chainstate_lookup(F->cs, blk.hash), err), 0);
	b = balances(W);
	assert_int_equal(b.trusted, 50 * COIN);
	assert_int_equal(b.untrusted_pending, 0);
	assert_int_equal(wallet_get_transaction(W, &info, tx.txid, err), WALLET_OK);
	assert_false(info.confirmed);
	assert_int_equal(info.confirmations, 0);
	wallet_tx_info_release(&info);
	assert_unspent_match_chain(W);
	struct tx *pending;
	assert_int_equal(wallet_unconfirmed(W, &pending, &n, err), WALLET_OK);
	assert_int_equal(n, 1);
	assert_memory_equal(pending[0].txid, tx.txid, 32);
	tx_release(&pending[0]);
	free(pending);
	/* Back into the mempool, then evicted. */
	wallet_tx_added(W, &tx, FIX_T0 + 6000);
	assert_int_equal(balances(W).trusted, 40 * COIN - fee);
	wallet_tx_removed(W, tx.txid);
	assert_int_equal(balances(W).trusted, 50 * COIN);

	assert_int_equal(chainstate_reconsider(F->cs, chainstate_lookup(F->cs, blk.hash), err), 0);
	assert_int_equal(balances(W).trusted, 40 * COIN - fee);
	assert_int_equal(wallet_get_transaction(W, &info, tx.txid, err), WALLET_OK);
	assert_int_equal(info.confirmations, 1);
	wallet_tx_info_release(&info);
	assert_int_equal(wallet_tip_height(W), chainstate_tip(F->cs)->height);

	/* The database holds it all: reopen and catch up. */
	chainstate_unlisten(F->cs, W);
	wallet_free(W);
	W = wallet_open(wpath, F->p, NULL, err);
	assert_non_null(W);
	assert_int_equal(wallet_sync(W, F->cs, err), WALLET_OK);
	listen(W);
	assert_int_equal(balances(W).trusted, 40 * COIN - fee);
	assert_int_equal(wallet_list_transactions(W, &e, &n, err), WALLET_OK);
	assert_int_equal(n, 2); /* the coinbase (generate) and the send */
	assert_string_equal(wallet_category_name(e[0].category), "generate");
	assert_string_equal(wallet_category_name(e[1].category), "send");
	assert_int_equal(e[1].amount, -10 * COIN);
	free(e);
	tx_release(&tx);
	block_release(&blk);
}

/* Pays addr (20 bytes) value from the fixture's coinbase at height, which
 * pays fixture key signer. */
static void pay(struct tx *tx, uint32_t height, int signer, const uint8_t addr[20], int64_t value)
{
	struct outpoint op = fix_cb_outpoint(F, height);
	tx_init(tx);
	assert_int_equal(tx_resize(tx, 1, 1), 0);
	tx->in[0].prev = op;
	tx->out[0].value = value;
	memcpy(tx->out[0].addr, addr, 20);
	fix_sign(F, tx, signer);
}

/* A wallet restored from the seed finds, by rescanning, payments to the
 * 15th address and then to the 31st (found because the first moved the
 * lookahead window). */
static void test_restore_lookahead(void **state)
{
	(void)state;
	char err[ERR_LEN] = "", hex[WALLET_SECKEY_HEX_LEN], path2[160];
	uint8_t addrs[31][20], seed[32];
	fix_mine(F, 102, 0);
	for (int i = 0; i < 31; i++)
		new_addr(W, addrs[i]);
	struct tx t1, t2;
	pay(&t1, 1, 0, addrs[14], 7 * COIN);
	mine_to(F->addr[0], &t1, 1, 43 * COIN);
	pay(&t2, 2, 0, addrs[30], 3 * COIN);
	mine_to(F->addr[0], &t2, 1, 47 * COIN);
	assert_int_equal(balances(W).trusted, 10 * COIN);

	assert_int_equal(wallet_export_seed(W, hex, err), WALLET_OK);
	assert_true(hex_decode(seed, 32, hex));
	snprintf(path2, sizeof(path2), "%s/restored", wdir);
	struct wallet *r = wallet_create(path2, F->p, seed, err);
	assert_non_null(r);
	assert_int_equal(balances(r).trusted, 0);
	assert_int_equal(wallet_rescan(r, F->cs, 0, err), WALLET_OK);
	assert_int_equal(balances(r).trusted, 10 * COIN);
	/* The next address continues after the last one used. */
	uint8_t next[20];
	new_addr(r, next);
	uint8_t expect[20];
	hd_address(expect, seed, "m/0'/0'/31'");
	assert_memory_equal(next, expect, 20);
	wallet_free(r);
	tx_release(&t1);
	tx_release(&t2);
}

static void test_encryption(void **state)
{
	(void)state;
	char err[ERR_LEN] = "", hex[WALLET_SECKEY_HEX_LEN], a[ADDRESS_MAX_LEN], dumped[WALLET_SECKEY_HEX_LEN];
	uint8_t seed[32], sk[32];
	const uint64_t now = 1000000;
	assert_int_equal(wallet_unlock(W, "x", 10, now, err), WALLET_WRONG_ENC_STATE);
	assert_int_equal(wallet_change_passphrase(W, "x", "y", err), WALLET_WRONG_ENC_STATE);
	assert_false(wallet_is_locked(W, now));
	assert_int_equal(wallet_export_seed(W, hex, err), WALLET_OK);
	assert_true(hex_decode(seed, 32, hex));
	assert_true(fix_folder_contains(wpath, seed, 32)); /* a plain wallet holds it */
	assert_int_equal(wallet_get_new_address(W, a, sizeof(a), "mine", err), WALLET_OK);
	assert_int_equal(wallet_dump_privkey(W, dumped, a, err), WALLET_OK);
	assert_true(hex_decode(sk, 32, dumped));

	assert_int_equal(wallet_encrypt(W, "", err), WALLET_INVALID_PARAMETER);
	assert_int_equal(wallet_encrypt(W, "pass one", err), WALLET_OK);
	assert_true(wallet_is_encrypted(W));
	assert_true(wallet_is_locked(W, now));
	assert_false(fix_folder_contains(wpath, seed, 32));
	assert_false(fix_folder_contains(wpath, sk, 32));
	assert_int_equal(wallet_encrypt(W, "again", err), WALLET_WRONG_ENC_STATE);
	assert_int_equal(wallet_dump_privkey(W, dumped, a, err), WALLET_LOCKED);
	assert_string_equal(dumped, "");
	assert_int_equal(wallet_export_seed(W, hex, err), WALLET_LOCKED);
	struct tx tx;
	int64_t fee;
	struct wallet_recipient r = { .value = COIN };
	assert_int_equal(wallet_create_tx(W, &tx, &fee, &r, 1, RATE, err), WALLET_LOCKED);
	char imp[65];
	hex_encode(imp, F->sk[2], 32);
	assert_int_equal(wallet_import_privkey(W, imp, "", NULL, err), WALLET_LOCKED);

	assert_int_equal(wallet_unlock(W, "pass two", 60, now, err), WALLET_BAD_PASSPHRASE);
	assert_non_null(strstr(err, "incorrect"));
	assert_int_equal(wallet_unlock(W, "pass one", 60, now, err), WALLET_OK);
	assert_false(wallet_is_locked(W, now + 59));
	assert_int_equal(wallet_unlocked_until(W), now + 60);
	assert_int_equal(wallet_dump_privkey(W, hex, a, err), WALLET_OK);
	uint8_t again[32];
	assert_true(hex_decode(again, 32, hex));
	assert_memory_equal(again, sk, 32);
	/* An import while unlocked is sealed with the rest. */
	assert_int_equal(wallet_import_privkey(W, imp, "imported", NULL, err), WALLET_OK);
	assert_false(fix_folder_contains(wpath, F->sk[2], 32));
	assert_true(wallet_is_locked(W, now + 60)); /* the deadline passed */
	assert_int_equal(wallet_unlocked_until(W), 0);
	assert_int_equal(wallet_dump_privkey(W, hex, a, err), WALLET_LOCKED);

	/* Passphrase change while locked: stays locked, old one stops working. */
	assert_int_equal(wallet_change_passphrase(W, "wrong", "pass two", err), WALLET_BAD_PASSPHRASE);
	assert_int_equal(wallet_change_passphrase(W, "pass one", "pass two", err), WALLET_OK);
	assert_true(wallet_is_locked(W, now));
	assert_int_equal(wallet_unlock(W, "pass one", 60, now, err), WALLET_BAD_PASSPHRASE);

	/* Reopened: locked; the keypool still hands out addresses, then runs
	 * out; unlocking refills it. */
	wallet_free(W);
	W = wallet_open(wpath, F->p, NULL, err);
	assert_non_null(W);
	listen(W);
	assert_true(wallet_is_locked(W, now));
	int handed = 0;
	while (wallet_get_new_address(W, a, sizeof(a), NULL, err) == WALLET_OK)
		handed++;
	assert_int_equal(handed, WALLET_LOOKAHEAD);
	assert_int_equal(wallet_get_new_address(W, a, sizeof(a), NULL, err), WALLET_KEYPOOL_RAN_OUT);
	assert_int_equal(wallet_unlock(W, "pass two", 100, now, err), WALLET_OK);
	assert_int_equal(wallet_get_new_address(W, a, sizeof(a), NULL, err), WALLET_OK);
	uint8_t h[20];
	tx_pubkey_hash(h, F->pk[2]);
	char ia[ADDRESS_MAX_LEN];
	assert_int_equal(address_encode(ia, sizeof(ia), F->p->hrp, h), 0);
	assert_int_equal(wallet_dump_privkey(W, hex, ia, err), WALLET_OK);
	assert_string_equal(hex, imp);
	assert_int_equal(wallet_export_seed(W, hex, err), WALLET_OK);
	char seed_hex[65];
	hex_encode(seed_hex, seed, 32);
	assert_string_equal(hex, seed_hex); /* the seed survives encryption */
	wallet_lock(W);
	assert_true(wallet_is_locked(W, now));
}

/* Locked coins and asset outputs are never spent as plain coins. */
static void test_locked_and_asset_outputs_skipped(void **state)
{
	(void)state;
	char err[ERR_LEN] = "";
	uint8_t a[20];
	fund(W);
	/* An asset output worth 20 CRN pays the wallet too. */
	new_addr(W, a);
	struct tx t;
	pay(&t, 2, 3, F->addr[1], 29 * COIN);
	assert_int_equal(tx_resize(&t, 1, 2), 0);
	t.out[1].kind = TXOUT_ASSET;
	t.out[1].value = 20 * COIN;
	memset(t.out[1].asset, 0x5a, 32);
	memcpy(t.out[1].addr, a, 20);
	fix_sign(F, &t, 3);
	mine_to(F->addr[3], &t, 1, 1 * COIN);
	assert_int_equal(balances(W).trusted, 50 * COIN); /* the asset's value is not a balance */

	struct wallet_asset *as;
	size_t n;
	assert_int_equal(wallet_list_assets(W, &as, &n, err), WALLET_OK);
	assert_int_equal(n, 1);
	assert_int_equal(as[0].value, 20 * COIN);
	free(as);

	struct tx tx;
	int64_t fee;
	struct wallet_recipient r = { .value = 60 * COIN };
	memcpy(r.addr, F->addr[1], 20);
	assert_int_equal(wallet_create_tx(W, &tx, &fee, &r, 1, RATE, err), WALLET_INSUFFICIENT_FUNDS);

	struct wallet_utxo *u;
	assert_int_equal(wallet_list_unspent(W, &u, &n, 1, UINT32_MAX, err), WALLET_OK);
	assert_int_equal(n, 1);
	struct outpoint coin = u[0].op;
	free(u);
	assert_int_equal(wallet_lock_coins(W, &coin, 1, false, false, err), WALLET_OK);
	assert_int_equal(wallet_lock_coins(W, &coin, 1, false, false, err), WALLET_INVALID_PARAMETER);
	struct outpoint *locked;
	assert_int_equal(wallet_list_locked(W, &locked, &n, err), WALLET_OK);
	assert_int_equal(n, 1);
	assert_memory_equal(&locked[0], &coin, sizeof(coin));
	free(locked);
	assert_int_equal(wallet_list_unspent(W, &u, &n, 1, UINT32_MAX, err), WALLET_OK);
	assert_int_equal(n, 0);
	free(u);
	r.value = 1 * COIN;
	assert_int_equal(wallet_create_tx(W, &tx, &fee, &r, 1, RATE, err), WALLET_INSUFFICIENT_FUNDS);
	assert_int_equal(wallet_lock_coins(W, &coin, 1, true, false, err), WALLET_OK);
	assert_int_equal(wallet_lock_coins(W, &coin, 1, true, false, err), WALLET_INVALID_PARAMETER);
	struct outpoint unknown = { .index = 7 };
	assert_int_equal(wallet_lock_coins(W, &unknown, 1, false, false, err), WALLET_NOT_FOUND);

	assert_int_equal(wallet_create_tx(W, &tx, &fee, &r, 1, RATE, err), WALLET_OK);
	assert_int_equal(tx.n_in, 1);
	assert_memory_equal(&tx.in[0].prev, &coin, sizeof(coin));
	/* The transaction is valid: a block takes it. */
	mine_to(F->addr[3], &tx, 1, fee);
	assert_int_equal(balances(W).trusted, 49 * COIN - fee);
	tx_release(&tx);
	tx_release(&t);
}

/* Registration then transfer, both built by the wallet and accepted by
 * the chainstate. */
static void test_asset_register_transfer(void **state)
{
	(void)state;
	char err[ERR_LEN] = "";
	struct verdict v;
	struct block b;
	fund(W);
	uint8_t id[32];
	hash_sha256(id, "a deed", 6);
	struct tx reg, xfer;
	int64_t fee;
	assert_int_equal(wallet_create_asset_register(W, &reg, &fee, id, (const uint8_t *)"deed #1", 7, NULL, RATE, err),
			 WALLET_OK);
	fix_block_on(F, &b, NULL, &reg, 1, fee, 3);
	assert_string_equal(fix_accept(F, &b, &v), "");
	block_release(&b);
	struct wallet_asset *as;
	size_t n;
	assert_int_equal(wallet_list_assets(W, &as, &n, err), WALLET_OK);
	assert_int_equal(n, 1);
	assert_memory_equal(as[0].asset, id, 32);
	assert_int_equal(as[0].value, 0);
	assert_int_equal(as[0].meta_len, 7);
	assert_memory_equal(as[0].meta, "deed #1", 7);
	struct outpoint reg_op = as[0].op;
	free(as);
	struct asset_entry ae;
	assert_int_equal(chainstate_get_asset(F->cs, id, &ae), 1);
	assert_memory_equal(&ae.reg, &reg_op, sizeof(reg_op));
	/* Registering it again is refused by the wallet. */
	struct tx again;
	assert_int_equal(wallet_create_asset_register(W, &again, &fee, id, NULL, 0, NULL, RATE, err),
			 WALLET_INVALID_PARAMETER);

	assert_int_equal(wallet_create_asset_transfer(W, &xfer, &fee, id, F->addr[2], RATE, err), WALLET_OK);
	assert_int_equal(fee, coinselect_fee(RATE, xfer.size));
	fix_block_on(F, &b, NULL, &xfer, 1, fee, 3);
	assert_string_equal(fix_accept(F, &b, &v), "");
	block_release(&b);
	assert_int_equal(wallet_list_assets(W, &as, &n, err), WALLET_OK);
	assert_int_equal(n, 0);
	free(as);
	assert_int_equal(chainstate_get_asset(F->cs, id, &ae), 1);
	assert_memory_equal(ae.cur.txid, xfer.txid, 32);
	assert_int_equal(ae.transfers, 1);
	struct coin c;
	assert_int_equal(chainstate_get_coin(F->cs, &ae.cur, &c), 1);
	assert_memory_equal(c.out.addr, F->addr[2], 20);
	assert_int_equal(c.out.meta_len, 7);
	coin_release(&c);
	assert_int_equal(wallet_create_asset_transfer(W, &again, &fee, id, F->addr[2], RATE, err), WALLET_NOT_FOUND);
	/* A second registration of the id, even built on purpose, is refused by
	 * the chain. */
	assert_int_equal(wallet_create_asset_register(W, &again, &fee, id, NULL, 0, NULL, RATE, err), WALLET_OK);
	fix_block_on(F, &b, NULL, &again, 1, fee, 3);
	assert_string_equal(fix_accept(F, &b, &v), "bad-asset-duplicate");
	block_release(&b);
	tx_release(&again);
	tx_release(&reg);
	tx_release(&xfer);
}

/* signrawtransactionwithwallet: the wallet's inputs get signed, others are
 * reported; the signed transaction is valid. */
static void test_sign_raw(void **state)
{
	(void)state;
	char err[ERR_LEN] = "";
	fund(W);
	struct wallet_utxo *u;
	size_t n;
	assert_int_equal(wallet_list_unspent(W, &u, &n, 1, UINT32_MAX, err), WALLET_OK);
	assert_int_equal(n, 1);
	struct tx tx;
	tx_init(&tx);
	assert_int_equal(tx_resize(&tx, 2, 1), 0);
	tx.in[0].prev = u[0].op;
	tx.in[1].prev = fix_cb_outpoint(F, 2); /* the fixture's coin */
	tx.out[0].value = 99 * COIN;
	memcpy(tx.out[0].addr, F->addr[1], 20);
	free(u);
	struct coin_view view = chainstate_view(F->cs);
	struct wallet_sign_result res;
	assert_int_equal(wallet_sign_tx(W, &tx, &view, &res, err), WALLET_OK);
	assert_false(res.complete);
	assert_int_equal(res.n_errors, 1);
	assert_int_equal(res.errors[0].input, 1);
	assert_non_null(strstr(res.errors[0].reason, "key not in the wallet"));
	wallet_sign_result_release(&res);

	/* With only the wallet's input it is complete and valid. */
	assert_int_equal(tx_resize(&tx, 1, 1), 0);
	tx.out[0].value = 49 * COIN;
	assert_int_equal(wallet_sign_tx(W, &tx, &view, &res, err), WALLET_OK);
	assert_true(res.complete);
	assert_int_equal(res.n_errors, 0);
	wallet_sign_result_release(&res);
	mine_to(F->addr[3], &tx, 1, COIN);

	/* An input that does not exist. */
	tx.in[0].prev.index = 5;
	assert_int_equal(wallet_sign_tx(W, &tx, &view, &res, err), WALLET_OK);
	assert_false(res.complete);
	assert_non_null(strstr(res.errors[0].reason, "not found"));
	wallet_sign_result_release(&res);
	tx_release(&tx);
}

static void test_subtract_fee_and_dust(void **state)
{
	(void)state;
	char err[ERR_LEN] = "";
	fund(W);
	struct tx tx;
	int64_t fee;
	struct wallet_recipient r = { .value = 100 };
	memcpy(r.addr, F->addr[1], 20);
	assert_int_equal(wallet_create_tx(W, &tx, &fee, &r, 1, RATE, err), WALLET_INVALID_PARAMETER);
	assert_non_null(strstr(err, "too small"));
	r.value = 0;
	assert_int_equal(wallet_create_tx(W, &tx, &fee, &r, 1, RATE, err), WALLET_INVALID_PARAMETER);
	r.value = 50 * COIN;
	assert_int_equal(wallet_create_tx(W, &tx, &fee, &r, 1, -1, err), WALLET_INVALID_PARAMETER);
	assert_int_equal(wallet_create_tx(W, &tx, &fee, &r, 1, RATE, err), WALLET_INSUFFICIENT_FUNDS);
	r.subtract_fee = true;
	assert_int_equal(wallet_create_tx(W, &tx, &fee, &r, 1, RATE, err), WALLET_OK);
	assert_int_equal(tx.n_out, 1);
	assert_int_equal(fee, coinselect_fee(RATE, coinselect_tx_size(1, 1, COINSELECT_OUTPUT_SIZE)));
	assert_int_equal(tx.out[0].value, 50 * COIN - fee);
	mine_to(F->addr[3], &tx, 1, fee);
	struct wallet_balances b = balances(W);
	assert_int_equal(b.trusted + b.untrusted_pending + b.immature, 0);
	tx_release(&tx);
}

static void test_dump_import_backup(void **state)
{
	(void)state;
	char err[ERR_LEN] = "", a[ADDRESS_MAX_LEN], hex[WALLET_SECKEY_HEX_LEN], hex2[WALLET_SECKEY_HEX_LEN];
	char path2[160], bdir[160], bpath[200];
	assert_int_equal(wallet_get_new_address(W, a, sizeof(a), "rent", err), WALLET_OK);
	uint8_t h[20];
	decode(h, a);
	mine_to(h, NULL, 0, 0);
	fix_mine(F, 100, 3);
	assert_int_equal(wallet_dump_privkey(W, hex, a, err), WALLET_OK);
	assert_int_equal(strlen(hex), 64);
	const char *label;
	assert_true(wallet_is_mine(W, h, &label, NULL));
	assert_string_equal(label, "rent");
	assert_int_equal(wallet_dump_privkey(W, hex2, "rcrn1notanaddress", err), WALLET_INVALID_ADDRESS);
	char other[ADDRESS_MAX_LEN];
	assert_int_equal(address_encode(other, sizeof(other), F->p->hrp, F->addr[0]), 0);
	assert_int_equal(wallet_dump_privkey(W, hex2, other, err), WALLET_ERROR);
	assert_non_null(strstr(err, "not known"));

	snprintf(path2, sizeof(path2), "%s/other", wdir);
	struct wallet *w2 = wallet_create(path2, F->p, NULL, err);
	assert_non_null(w2);
	assert_int_equal(wallet_import_privkey(w2, "zz", NULL, NULL, err), WALLET_INVALID_ADDRESS);
	assert_int_equal(wallet_import_privkey(w2, hex, "imported", F->cs, err), WALLET_OK);
	assert_true(wallet_is_mine(w2, h, &label, NULL));
	assert_string_equal(label, "imported");
	assert_int_equal(balances(w2).trusted, 50 * COIN);
	assert_int_equal(wallet_dump_privkey(w2, hex2, a, err), WALLET_OK);
	assert_string_equal(hex, hex2);
	wallet_free(w2);

	/* backupwallet to a folder: wallet.dat in it, 0600, opens. */
	snprintf(bdir, sizeof(bdir), "%s/backup", wdir);
	assert_int_equal(mkdir(bdir, 0700), 0);
	assert_int_equal(wallet_backup(W, bdir, err), WALLET_OK);
	snprintf(bpath, sizeof(bpath), "%s/%s", bdir, WSTORE_FILE);
	struct stat st;
	assert_int_equal(stat(bpath, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* It is a wallet file of the single-file format: migrated, it opens. */
	size_t n_txs;
	snprintf(path2, sizeof(path2), "%s/from-backup", wdir);
	assert_int_equal(wallet_migrate(bpath, path2, F->p, &n_txs, err), 0);
	w2 = wallet_open(path2, F->p, NULL, err);
	assert_non_null(w2);
	assert_true(wallet_is_mine(w2, h, &label, NULL));
	assert_string_equal(label, "rent");
	assert_int_equal(balances(w2).trusted, 50 * COIN); /* the copy knows the tip it was made at */
	wallet_free(w2);
	assert_int_equal(wallet_backup(W, "", err), WALLET_INVALID_PARAMETER);
	/* A wallet of another network does not open; nor one that is open. */
	assert_null(wallet_open(path2, params_get(NET_MAIN), NULL, err));
	assert_non_null(strstr(err, "another network"));
	assert_null(wallet_open(wpath, F->p, NULL, err));
	assert_non_null(strstr(err, "lock"));
}

/* A transaction already in the wallet pays a key imported later: its list
 * of the wallet's outputs grows (vout 1, then 1 and 2), the balance counts
 * both, listunspent lists both, and so does the wallet reopened. */
static void test_import_grows_outputs(void **state)
{
	(void)state;
	char err[ERR_LEN] = "", imp[65];
	uint8_t mine[20];
	new_addr(W, mine);
	fix_mine(F, 1, 0);
	fix_mine(F, 100, 3);
	struct tx tx;
	struct outpoint op = fix_cb_outpoint(F, chainstate_tip(F->cs)->height - 100);
	tx_init(&tx);
	assert_int_equal(tx_resize(&tx, 1, 3), 0);
	tx.in[0].prev = op;
	int64_t v[3] = { 10 * COIN, 20 * COIN, 19 * COIN };
	const uint8_t *to[3] = { F->addr[1], mine, F->addr[2] };
	for (int i = 0; i < 3; i++) {
		tx.out[i].value = v[i];
		memcpy(tx.out[i].addr, to[i], 20);
	}
	fix_sign(F, &tx, 0);
	mine_to(F->addr[3], &tx, 1, COIN);
	assert_int_equal(balances(W).trusted, v[1]);
	hex_encode(imp, F->sk[2], 32);
	assert_int_equal(wallet_import_privkey(W, imp, "", NULL, err), WALLET_OK);
	assert_int_equal(balances(W).trusted, v[1] + v[2]);
	for (int round = 0; round < 2; round++) {
		struct wallet_utxo *u;
		size_t n;
		assert_int_equal(wallet_list_unspent(W, &u, &n, 1, UINT32_MAX, err), WALLET_OK);
		assert_int_equal(n, 2);
		assert_memory_equal(u[0].op.txid, tx.txid, 32);
		assert_memory_equal(u[1].op.txid, tx.txid, 32);
		assert_int_equal(u[0].op.index + u[1].op.index, 3); /* 1 and 2 */
		free(u);
		chainstate_unlisten(F->cs, W);
		wallet_free(W);
		W = wallet_open(wpath, F->p, NULL, err);
		assert_non_null(W);
		listen(W);
	}
	assert_int_equal(balances(W).trusted, v[1] + v[2]);
	tx_release(&tx);

	/* The same transaction recorded twice (record 1, a coinbase, made a
	 * copy of record 0) is refused by name. */
	mine_to(mine, NULL, 0, 0);
	chainstate_unlisten(F->cs, W);
	wallet_free(W);
	W = NULL;
	struct store *db = store_open(wpath, 0, err);
	assert_non_null(db);
	const uint8_t t0[9] = { 'T', 0, 0, 0, 0, 0, 0, 0, 0 }, t1[9] = { 'T', 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t *val;
	size_t len;
	assert_int_equal(store_get(db, t0, sizeof(t0), &val, &len, err), 1);
	struct store_batch *b = store_batch_new();
	store_batch_put(b, t1, sizeof(t1), val, len);
	assert_int_equal(store_write(db, b, true, err), 0);
	store_batch_free(b);
	store_free(val);
	store_close(db);
	assert_null(wallet_open(wpath, F->p, NULL, err));
	assert_non_null(strstr(err, "transaction recorded twice"));
}

/* wallet_sign_digest: signs with the address's key and hands out that key;
 * refuses an address not its own, and a locked wallet. */
static void test_sign_digest(void **state)
{
	(void)state;
	char err[ERR_LEN] = "";
	uint8_t addr[20], digest[32], pub[32], sig[64], h[20];
	const uint64_t now = 1000000;
	memset(digest, 0x3c, sizeof(digest));
	new_addr(W, addr);
	assert_int_equal(wallet_sign_digest(W, addr, digest, pub, sig, err), WALLET_OK);
	tx_pubkey_hash(h, pub);
	assert_memory_equal(h, addr, 20);
	assert_true(key_verify(sig, digest, pub));
	digest[0] ^= 1;
	assert_false(key_verify(sig, digest, pub));
	assert_int_equal(wallet_sign_digest(W, F->addr[2], digest, pub, sig, err), WALLET_NOT_FOUND);
	static const uint8_t zero[64];
	assert_memory_equal(sig, zero, 64);
	assert_memory_equal(pub, zero, 32);
	assert_int_equal(wallet_encrypt(W, "pass", err), WALLET_OK);
	assert_int_equal(wallet_sign_digest(W, addr, digest, pub, sig, err), WALLET_LOCKED);
	assert_memory_equal(sig, zero, 64);
	assert_int_equal(wallet_unlock(W, "pass", 60, now, err), WALLET_OK);
	assert_int_equal(wallet_sign_digest(W, addr, digest, pub, sig, err), WALLET_OK);
	assert_true(key_verify(sig, digest, pub));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hd_paths_and_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mine_mature_send_reorg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_lookahead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encryption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_and_asset_outputs_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_asset_register_transfer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sign_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sign_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subtract_fee_and_dust, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_import_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_grows_outputs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
