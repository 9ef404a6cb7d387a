#include "wallet/wallet_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "chain/mempool.h"
#include "wallet/coinselect.h"
#include "wallet/key.h"

/* Building the wallet's transactions around coin selection, and signing. */

/* The wallet's unspent output of asset, or NULL when it holds none. */
static const struct wallet_out *find_asset(struct wallet *w, const uint8_t asset[32])
{
	const struct wallet_out *o;
	wallet_refresh_spent(w);
	for (struct wallet_out_iter it = { 0 }; (o = wallet_out_next(w, &it));) {
		const struct txout *x = wallet_out_txout(o);
		if (!o->spent && wallet_tx_active(o->wtx) && x->kind == TXOUT_ASSET && memcmp(x->asset, asset, 32) == 0)
			return o;
	}
	return NULL;
}

/* Signs the inputs whose key is in mine[] (NULL for others). The public
 * keys go in first: the signature message covers them. */
static int sign_inputs(struct wallet *w, struct tx *tx, const struct wallet_key **mine, char *err)
{
	uint8_t msg[32], sk[32];
	for (size_t i = 0; i < tx->n_in; i++)
		if (mine[i])
			memcpy(tx->in[i].pubkey, mine[i]->pub, 32);
	tx_sighash(msg, tx, w->p->magic);
	for (size_t i = 0; i < tx->n_in; i++) {
		if (!mine[i])
			continue;
		int r = wallet_seckey_of(w, mine[i], sk, err);
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
	const struct wallet_out *fixed; /* an asset output spent as well, or NULL */
	int64_t fee_rate;
};

/* The coins selection may use, confirmed or trusted. Arrays malloc'd.
 * The mempool chains are counted only when an unconfirmed coin is among
 * them: a wallet whose coins are all confirmed pays nothing for it. */
static int candidates(struct wallet *w, struct coinselect_coin **coins, const struct wallet_out ***wouts, size_t *n)
{
	const struct wallet_out *o;
	struct wallet_chains chains;
	bool counted = false;
	int r = 0;
	*n = 0;
	wallet_refresh_spent(w);
	*coins = calloc(w->n_outs + 1, sizeof(**coins));
	*wouts = calloc(w->n_outs + 1, sizeof(**wouts));
	if (!*coins || !*wouts)
		return -1;
	for (struct wallet_out_iter it = { 0 }; r == 0 && (o = wallet_out_next(w, &it));) {
		if (!wallet_spendable(w, o) || !wallet_trusted(w, o->wtx, 0))
			continue;
		if (!o->wtx->confirmed && !counted) {
			counted = true;
			r = wallet_chains_init(&chains, w);
		}
		(*coins)[*n].value = wallet_out_txout(o)->value;
		(*coins)[*n].confirmed = o->wtx->confirmed;
		(*coins)[*n].chain = counted && r == 0 ? wallet_chains_len(&chains, w, o->wtx) : 0;
		(*wouts)[(*n)++] = o;
	}
	if (counted)
		wallet_chains_release(&chains);
	return r;
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
		    const struct wallet_out **wouts, const int64_t *values, const struct wallet_key *change, char *err)
{
	size_t n_in = (sp->fixed ? 1 : 0) + res->n_chosen, n_out = sp->n_outs + (change ? 1 : 0), pos = sp->n_outs;
	const struct wallet_key **mine = calloc(n_in + 1, sizeof(*mine));
	uint32_t rnd = 0;
	int r = err_set(err, "cannot build the transaction: out of memory");
	if (!mine || tx_resize(out, n_in, n_out) != 0)
		goto done;
	for (size_t i = 0; i < n_in; i++) {
		const struct wallet_out *o = sp->fixed && i == 0 ? sp->fixed : wouts[res->chosen[i - (sp->fixed ? 1 : 0)]];
		out->in[i].prev = wallet_out_op(o);
		mine[i] = hmap_get(&w->keys, wallet_out_txout(o)->addr);
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
	struct coinselect_req req = { .n_outputs = sp->n_outs, .n_fixed_inputs = sp->fixed ? 1 : 0,
				      .chain_limit = MEMPOOL_DEFAULT_CHAIN_LIMIT };
	struct coinselect_result res;
	struct coinselect_coin *coins = NULL;
	const struct wallet_out **wouts = NULL;
	const struct wallet_key *change = NULL;
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
		req.target -= wallet_out_txout(sp->fixed)->value;
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
	if (res.change > 0 && (r = wallet_next_key(w, WSTORE_CHANGE, &change, err)) != WALLET_OK)
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
		wallet_save(w); /* the change key was handed out */
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
	return wallet_has_secrets(w) ? WALLET_OK : wallet_locked_error(err);
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
		const struct wallet_key *k;
		if ((st = wallet_next_key(w, WSTORE_EXTERNAL, &k, err)) != WALLET_OK)
			return st;
		memcpy(o.addr, k->addr, 20);
		if (wstore_set_label(&w->s, k->addr, "") != 0)
			return err_set(err, "cannot set a label: out of memory");
		wallet_save(w);
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
	const struct wallet_out *cur = find_asset(w, asset);
	if (!cur) {
		err_set(err, "the wallet does not hold this asset");
		return WALLET_NOT_FOUND;
	}
	struct txout o = *wallet_out_txout(cur); /* same value, id and metadata */
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
	int r = view ? view->get_coin(view->ctx, op, &c) : 0;
	if (r < 0)
		return -1;
	if (r == 1) {
		memcpy(addr, c.out.addr, 20);
		coin_release(&c);
		return 1;
	}
	const struct wallet_out *o = wallet_find_out(w, op);
	if (!o || o->spent)
		return 0;
	memcpy(addr, wallet_out_txout(o)->addr, 20);
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
	const struct wallet_key **mine = calloc(tx->n_in + 1, sizeof(*mine));
	res->errors = calloc(tx->n_in + 1, sizeof(*res->errors));
	int r = addrs && found && mine && res->errors ? WALLET_OK : err_set(err, "cannot sign: out of memory");
	bool any = false;
	wallet_refresh_spent(w);
	for (size_t i = 0; i < tx->n_in && r == WALLET_OK; i++) {
		int f = input_addr(w, view, &tx->in[i].prev, addrs[i]);
		if (f < 0)
			r = err_set(err, "cannot sign: cannot read the coin database");
		found[i] = f == 1;
		mine[i] = found[i] ? hmap_get(&w->keys, addrs[i]) : NULL;
		any |= mine[i] != NULL;
	}
	if (r == WALLET_OK && any && !wallet_has_secrets(w))
		r = wallet_locked_error(err);
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

int wallet_sign_digest(struct wallet *w, const uint8_t addr[20], const uint8_t digest[32], uint8_t pubkey[32],
		       uint8_t sig[64], char *err)
{
	uint8_t sk[32];
	memset(pubkey, 0, 32);
	memset(sig, 0, 64);
	const struct wallet_key *k = hmap_get(&w->keys, addr);
	if (!k) {
		err_set(err, "the key of this address is not in the wallet");
		return WALLET_NOT_FOUND;
	}
	if (!wallet_has_secrets(w))
		return wallet_locked_error(err);
	int r = wallet_seckey_of(w, k, sk, err);
	r = r ? r : key_sign(sig, sk, digest);
	OPENSSL_cleanse(sk, sizeof(sk));
	if (r != 0) {
		memset(sig, 0, 64);
		err_set(err, "cannot sign the digest");
		return WALLET_ERROR;
	}
	memcpy(pubkey, k->pub, 32);
	return WALLET_OK;
}
