#include "rpc/asset_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/address.h"
#include "rpc/amount.h"
#include "rpc/chain_rpc.h"
#include "rpc/proof2_json.h"
#include "rpc/proof_json.h"
#include "rpc/txjson.h"
#include "rpc/wallet_fees.h"
#include "util/clock.h"
#include "util/hex.h"

/* ---- the chain's provenance, with Bitcoin Core's codes ---- */

/* A failure of chain/asset.h as an RPC error; not_found is the -5 message. */
static int asset_error(struct rpc_error *e, enum asset_status s, const char *not_found, const char *err)
{
	switch (s) {
	case ASSET_UNKNOWN:
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "%s", not_found);
	case ASSET_TOO_LONG:
		return rpc_error_set(e, RPC_MISC_ERROR, "%s", err);
	case ASSET_NO_MEMORY:
		return rpc_oom(e);
	default:
		return rpc_error_set(e, RPC_DATABASE_ERROR, "%s", err);
	}
}

int asset_rpc_history(struct chainstate *cs, struct mempool *mp, const uint8_t id[32], struct asset_history *out,
		      struct rpc_error *e)
{
	char err[ERR_LEN];
	enum asset_status s = asset_walk(cs, mp, out, id, err);
	return s == ASSET_OK ? 0 : asset_error(e, s, "Asset not found", err);
}

int asset_rpc_build_proof(struct chainstate *cs, const uint8_t id[32], struct proof_bundle *out, struct rpc_error *e)
{
	char err[ERR_LEN];
	enum asset_status s = asset_proof(cs, out, id, err);
	return s == ASSET_OK ? 0 : asset_error(e, s, "Asset not found in the block chain", err);
}

/* ---- params and JSON pieces ---- */

static int param_asset(uint8_t id[32], const cJSON *params, size_t i, struct rpc_error *e)
{
	const char *s;
	if (rpc_param_str(&s, params, i, "asset", true, e) != 0)
		return -1;
	if (!hex_decode(id, 32, s))
		return rpc_error_set(e, RPC_INVALID_PARAMETER,
				     "asset id must be 64 hexadecimal digits (the SHA-256 of a document), not '%.80s'", s);
	return 0;
}

static int param_address(uint8_t hash[20], const struct chain_params *p, const cJSON *params, size_t i,
			 bool required, bool *given, struct rpc_error *e)
{
	const char *s;
	char err[ERR_LEN];
	*given = false;
	if (rpc_param_str(&s, params, i, "address", required, e) != 0)
		return -1;
	if (!s)
		return 0;
	if (address_decode(hash, p->hrp, s, err) != 0)
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "%s", err);
	*given = true;
	return 0;
}

/* Metadata: the bytes of an even-length hex string, else the string's own
 * (UTF-8) bytes. */
static int param_metadata(uint8_t out[TX_META_MAX], size_t *len, const cJSON *params, size_t i, struct rpc_error *e)
{
	const char *s;
	*len = 0;
	if (rpc_param_str(&s, params, i, "metadata", false, e) != 0)
		return -1;
	if (!s)
		return 0;
	size_t n = strlen(s);
	bool hex = n > 0 && n % 2 == 0 && strspn(s, "0123456789abcdefABCDEF") == n;
	size_t bytes = hex ? n / 2 : n;
	if (bytes > TX_META_MAX)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Metadata is %zu bytes, longer than %d", bytes, TX_META_MAX);
	if (hex && !hex_decode(out, bytes, s))
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Metadata is not hexadecimal");
	if (!hex)
		memcpy(out, s, n);
	*len = bytes;
	return 0;
}

/* True when the bytes are UTF-8 text without control characters (for
 * showing metadata as text beside its hex). */
static bool printable_utf8(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		size_t k = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 && c >= 0xc2 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 4;
		if (k == 4 || (k == 0 && (c < 0x20 || c == 0x7f)))
			return false;
		for (size_t j = 1; j <= k; j++)
			if (i + j >= n || (p[i + j] & 0xc0) != 0x80)
				return false;
		i += k + 1;
	}
	return true;
}

static bool add_metadata(cJSON *j, const struct txout *o)
{
	char *h = hex_alloc(o->meta ? o->meta : (const uint8_t *)"", o->meta_len);
	bool ok = h && cJSON_AddStringToObject(j, "metadata", h);
	free(h);
	if (ok && o->meta_len && printable_utf8(o->meta, o->meta_len)) {
		char *t = malloc((size_t)o->meta_len + 1);
		ok = t != NULL;
		if (ok) {
			memcpy(t, o->meta, o->meta_len);
			t[o->meta_len] = '\0';
			ok = cJSON_AddStringToObject(j, "metadata_text", t) != NULL;
		}
		free(t);
	}
	return ok;
}

static bool add_address(cJSON *j, const char *name, const struct chain_params *p, const uint8_t h[20])
{
	char a[ADDRESS_MAX_LEN];
	txjson_address(a, sizeof(a), p, h);
	return cJSON_AddStringToObject(j, name, a) != NULL;
}

/* A block's confirmations: -1 off the best chain. */
static int64_t confirmations(struct chainstate *cs, const struct block_index *bi)
{
	if (!chainstate_on_best(cs, bi))
		return -1;
	return (int64_t)chainstate_tip(cs)->height - bi->height + 1;
}

/* A step's blockhash, height, time (null when unconfirmed) and confirmations. */
static bool add_place(cJSON *j, const struct asset_step *s)
{
	const struct block_index *bi = s->bi;
	bool ok = cJSON_AddBoolToObject(j, "confirmed", bi != NULL) &&
		  cJSON_AddNumberToObject(j, "confirmations", s->confirmations);
	if (!bi)
		return ok && cJSON_AddNullToObject(j, "blockhash") && cJSON_AddNullToObject(j, "height") &&
		       cJSON_AddNullToObject(j, "time");
	return ok && txjson_add_hex(j, "blockhash", bi->hash, 32) && cJSON_AddNumberToObject(j, "height", s->height) &&
	       cJSON_AddNumberToObject(j, "time", (double)bi->header.time);
}

/* ctx of the methods that use a wallet: the one the request picks. */
static struct wallet *wallet_of(struct wallet_rpc *r)
{
	wallet_is_locked(r->w, clock_now()); /* let an expired unlock lapse */
	return r->w;
}

/* ---- registerasset, transferasset, listassets ---- */

/* Refuses an id the chain or the mempool already registers. */
static int check_unregistered(struct wallet_rpc *r, const uint8_t id[32], struct rpc_error *e)
{
	struct asset_entry ae;
	struct mempool_asset_info mi;
	char h[65];
	int in_chain = chainstate_get_asset(r->cs, id, &ae);
	if (in_chain < 0)
		return rpc_error_set(e, RPC_DATABASE_ERROR, "Cannot read the asset index");
	if (in_chain) {
		txjson_hash_hex(h, ae.reg.txid);
		return rpc_error_set(e, RPC_VERIFY_ALREADY_IN_CHAIN, "Asset already registered in block chain by %s", h);
	}
	if (mempool_asset(r->mp, id, &mi) && mi.registered) {
		txjson_hash_hex(h, mi.reg_txid);
		return rpc_error_set(e, RPC_VERIFY_REJECTED, "bad-asset-duplicate (already registered in the mempool by %s)", h);
	}
	return 0;
}

static int submit(struct wallet_rpc *r, struct tx *tx, cJSON **result, struct rpc_error *e)
{
	char h[65];
	txjson_hash_hex(h, tx->txid);
	int rc = wallet_rpc_submit(r, tx, e);
	tx_release(tx);
	return rc != 0 ? -1 : rpc_result(result, cJSON_CreateString(h), e);
}

/* The fee rate of an asset's transaction: the wallet's sends' choice with
 * nothing asked (-paytxfee, the estimate, -fallbackfee). */
static int asset_fee_rate(struct wallet_rpc *r, int64_t *rate, struct rpc_error *e)
{
	struct wallet_fee_request req;
	const char *reason;
	wallet_fees_default(&req);
	return wallet_fees_pick(r, &req, rate, &reason, e);
}

static int registerasset(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	uint8_t id[32], meta[TX_META_MAX], owner[20];
	size_t meta_len;
	bool has_owner;
	char err[ERR_LEN];
	int64_t fee, rate;
	struct tx tx;
	struct wallet *w = wallet_of(r);
	if (param_asset(id, params, 0, e) != 0 || param_metadata(meta, &meta_len, params, 1, e) != 0 ||
	    param_address(owner, chainstate_params(r->cs), params, 2, false, &has_owner, e) != 0 ||
	    check_unregistered(r, id, e) != 0 || asset_fee_rate(r, &rate, e) != 0)
		return -1;
	int s = wallet_create_asset_register(w, &tx, &fee, id, meta, meta_len, has_owner ? owner : NULL, rate, err);
	if (s != WALLET_OK)
		return rpc_error_set(e, wallet_rpc_code(s), "%s", err);
	return submit(r, &tx, result, e);
}

static int transferasset(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	uint8_t id[32], to[20], reg[32];
	struct outpoint cur;
	bool given;
	char err[ERR_LEN];
	int64_t fee, rate;
	struct tx tx;
	struct wallet *w = wallet_of(r);
	if (param_asset(id, params, 0, e) != 0 ||
	    param_address(to, chainstate_params(r->cs), params, 1, true, &given, e) != 0)
		return -1;
	enum asset_status known = asset_ends(r->cs, r->mp, reg, &cur, id, err);
	if (known != ASSET_OK)
		return asset_error(e, known, "Asset not found", err);
	if (asset_fee_rate(r, &rate, e) != 0)
		return -1;
	int s = wallet_create_asset_transfer(w, &tx, &fee, id, to, rate, err);
	if (s == WALLET_NOT_FOUND)
		return rpc_error_set(e, RPC_WALLET_ERROR, "Asset not owned by this wallet");
	if (s != WALLET_OK)
		return rpc_error_set(e, wallet_rpc_code(s), "%s", err);
	return submit(r, &tx, result, e);
}

static cJSON *wallet_asset_json(const struct wallet_asset *a, const struct chain_params *p)
{
	struct txout o;
	memset(&o, 0, sizeof(o));
	o.meta = (uint8_t *)a->meta;
	o.meta_len = a->meta_len;
	cJSON *j = cJSON_CreateObject();
	bool ok = j && txjson_add_hex(j, "asset", a->asset, 32) && txjson_add_hex(j, "txid", a->op.txid, 32) &&
		  cJSON_AddNumberToObject(j, "vout", a->op.index) && add_address(j, "address", p, a->addr) &&
		  cJSON_AddNumberToObject(j, "confirmations", a->confirmations) && add_metadata(j, &o);
	return rpc_json_if(j, ok);
}

static int listassets(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	struct wallet_asset *list;
	size_t n;
	char err[ERR_LEN];
	struct wallet *w = wallet_of(r);
	(void)params;
	if (wallet_list_assets(w, &list, &n, err) != 0)
		return rpc_error_set(e, RPC_WALLET_ERROR, "%s", err);
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (size_t i = 0; ok && i < n; i++)
		ok = rpc_array_add(arr, wallet_asset_json(&list[i], chainstate_params(r->cs)));
	free(list);
	return rpc_result_if(result, arr, ok, e);
}

/* ---- getassetinfo, getassethistory, getassetproof ---- */

static cJSON *step_json(const struct chain_params *p, const struct asset_step *s)
{
	cJSON *j = cJSON_CreateObject();
	bool ok = j && txjson_add_hex(j, "txid", s->tx.txid, 32) &&
		  cJSON_AddStringToObject(j, "type", s->has_from ? "transfer" : "register") &&
		  (s->has_from ? add_address(j, "from", p, s->from) : cJSON_AddNullToObject(j, "from") != NULL) &&
		  add_address(j, "to", p, s->to) && cJSON_AddNumberToObject(j, "vout", s->out) && add_place(j, s);
	return rpc_json_if(j, ok);
}

int asset_rpc_history_json(struct chainstate *cs, struct mempool *mp, cJSON **out, const uint8_t id[32],
			   struct rpc_error *e)
{
	struct asset_history h;
	*out = NULL;
	if (asset_rpc_history(cs, mp, id, &h, e) != 0)
		return -1;
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (size_t i = 0; ok && i < h.n; i++)
		ok = rpc_array_add(arr, step_json(chainstate_params(cs), &h.steps[i]));
	asset_history_release(&h);
	return rpc_result_if(out, arr, ok, e);
}

static int getassethistory(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct asset_rpc *r = ctx;
	uint8_t id[32];
	if (param_asset(id, params, 0, e) != 0)
		return -1;
	return asset_rpc_history_json(r->cs, r->mp, result, id, e);
}

static bool add_current(cJSON *j, const struct asset_step *cur)
{
	cJSON *now = cJSON_AddObjectToObject(j, "current");
	return now && txjson_add_hex(now, "txid", cur->tx.txid, 32) && cJSON_AddNumberToObject(now, "vout", cur->out) &&
	       add_place(now, cur);
}

static bool add_info(cJSON *j, const struct chain_params *p, struct wallet *w, const struct asset_history *h)
{
	const struct asset_step *reg = &h->steps[0], *cur = &h->steps[h->n - 1];
	size_t unconfirmed = 0;
	for (size_t i = 1; i < h->n; i++)
		unconfirmed += h->steps[i].bi == NULL;
	bool ok = txjson_add_hex(j, "registration_txid", reg->tx.txid, 32) &&
		  cJSON_AddNumberToObject(j, "registration_vout", reg->out) && add_place(j, reg) &&
		  add_address(j, "first_owner", p, reg->to) && add_metadata(j, &reg->tx.out[reg->out]) &&
		  add_address(j, "owner", p, cur->to) && add_current(j, cur) &&
		  cJSON_AddNumberToObject(j, "transfers", (double)(h->n - 1)) &&
		  cJSON_AddNumberToObject(j, "unconfirmed_transfers", (double)unconfirmed);
	if (ok && w)
		ok = cJSON_AddBoolToObject(j, "mine", wallet_is_mine(w, cur->to, NULL, NULL)) != NULL;
	return ok;
}

/* The history walk gives everything getassetinfo shows; one block read per
 * custody step, through the indexes. */
int asset_rpc_info_json(struct chainstate *cs, struct mempool *mp, struct wallet *w, cJSON **out,
			const uint8_t id[32], struct rpc_error *e)
{
	struct asset_history h;
	*out = NULL;
	if (asset_rpc_history(cs, mp, id, &h, e) != 0)
		return -1;
	cJSON *j = cJSON_CreateObject();
	bool ok = j && txjson_add_hex(j, "asset", id, 32) && add_info(j, chainstate_params(cs), w, &h);
	asset_history_release(&h);
	return rpc_result_if(out, j, ok, e);
}

/* ctx: the wallet the request picks, or one without a wallet
 * (wallets_route_optional). */
static int getassetinfo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct wallet_rpc *r = ctx;
	uint8_t id[32];
	if (param_asset(id, params, 0, e) != 0)
		return -1;
	return asset_rpc_info_json(r->cs, r->mp, r->w, result, id, e);
}

int asset_rpc_proof_json(struct chainstate *cs, cJSON **out, const uint8_t id[32], struct rpc_error *e)
{
	struct proof_bundle b;
	*out = NULL;
	if (asset_rpc_build_proof(cs, id, &b, e) != 0)
		return -1;
	cJSON *j = proof_json_encode(&b);
	proof_bundle_release(&b);
	return rpc_result(out, j, e);
}

static int param_samples(size_t *samples, const cJSON *params, size_t i, struct rpc_error *e)
{
	int64_t n;
	if (rpc_param_int(&n, params, i, "samples", PROOF2_DEFAULT_SAMPLES, 1, PROOF2_MAX_SAMPLES, e) != 0)
		return -1;
	*samples = (size_t)n;
	return 0;
}

static int proof2_result(cJSON **result, struct proof2 *b, struct rpc_error *e)
{
	cJSON *j = proof2_json_encode(b);
	proof2_release(b);
	return rpc_result(result, j, e);
}

static int getassetproof(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct asset_rpc *r = ctx;
	uint8_t id[32];
	int64_t version;
	size_t samples;
	struct proof2 b;
	char err[ERR_LEN];
	if (param_asset(id, params, 0, e) != 0 || rpc_param_int(&version, params, 1, "version", 1, 1, 2, e) != 0 ||
	    param_samples(&samples, params, 2, e) != 0)
		return -1;
	if (version == 1)
		return asset_rpc_proof_json(r->cs, result, id, e);
	enum asset_status s = asset_proof_v2(r->cs, &b, id, samples, err);
	if (s != ASSET_OK)
		return asset_error(e, s, "Asset not found in the block chain", err);
	return proof2_result(result, &b, e);
}

static int getassetabsenceproof(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct asset_rpc *r = ctx;
	uint8_t id[32];
	size_t samples;
	struct proof2 b;
	char err[ERR_LEN];
	if (param_asset(id, params, 0, e) != 0 || param_samples(&samples, params, 1, e) != 0)
		return -1;
	enum asset_status s = asset_absence_proof(r->cs, &b, id, samples, err);
	if (s == ASSET_EXISTS)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "The asset is registered: getassetproof proves its custody");
	if (s != ASSET_OK)
		return asset_error(e, s, "The chain holds only its genesis block", err);
	return proof2_result(result, &b, e);
}

/* ---- getblockprovenance ---- */

static const char *source_name(uint8_t s)
{
	switch (s) {
	case SOURCE_PEER: return "peer";
	case SOURCE_MINED: return "mined";
	case SOURCE_RPC: return "rpc";
	case SOURCE_GENESIS: return "genesis";
	default: return "unknown";
	}
}

static int param_block(struct asset_rpc *r, struct block_index **bi, const cJSON *params, struct rpc_error *e)
{
	const cJSON *v = rpc_param(params, 0);
	int64_t h;
	if (cJSON_IsNumber(v)) {
		if (rpc_param_int(&h, params, 0, "height", -1, 0, UINT32_MAX, e) != 0)
			return -1;
		if (!(*bi = chainstate_at(r->cs, (uint32_t)h)))
			return rpc_error_set(e, RPC_INVALID_PARAMETER, "Block height out of range");
		return 0;
	}
	return chain_rpc_find_block(r->cs, bi, params, 0, e);
}

/* Where a block stands: the best chain, or a side branch from a fork. */
static bool add_chain_place(cJSON *j, struct asset_rpc *r, struct block_index *bi)
{
	bool best = chainstate_on_best(r->cs, bi);
	uint8_t work[32];
	u256_to_be(work, &bi->work);
	bool ok = txjson_add_hex(j, "chainwork", work, 32) && cJSON_AddBoolToObject(j, "in_best_chain", best);
	if (best) {
		struct block_index *next = chainstate_at(r->cs, bi->height + 1);
		return ok && cJSON_AddNullToObject(j, "branch") &&
		       (next ? txjson_add_hex(j, "nextblockhash", next->hash, 32) : cJSON_AddNullToObject(j, "nextblockhash") != NULL);
	}
	struct block_index *fork = index_fork(chainstate_tip(r->cs), bi);
	cJSON *br = cJSON_CreateObject();
	const char *status = index_failed(bi) ? "invalid" : !bi->linked ? "headers-only" :
			     (bi->status & BLOCK_VALID_TXS) ? "valid-fork" : "valid-headers";
	return ok && br && cJSON_AddItemToObject(j, "branch", br) && cJSON_AddStringToObject(br, "status", status) &&
	       (fork ? txjson_add_hex(br, "fork_hash", fork->hash, 32) && cJSON_AddNumberToObject(br, "fork_height", fork->height) &&
			       cJSON_AddNumberToObject(br, "branch_length", bi->height - fork->height)
		     : cJSON_AddNullToObject(br, "fork_hash") != NULL) &&
	       cJSON_AddNullToObject(j, "nextblockhash");
}

static bool add_coinbase(cJSON *j, struct asset_rpc *r, const struct block_index *bi)
{
	struct block b;
	const struct chain_params *p = chainstate_params(r->cs);
	if (!(bi->status & BLOCK_HAVE_DATA) || chainstate_read_block(r->cs, bi, &b, NULL) != 0)
		return cJSON_AddNullToObject(j, "coinbase_recipient") && cJSON_AddNullToObject(j, "coinbase_value");
	int64_t value = 0;
	for (size_t i = 0; i < b.txs[0].n_out; i++)
		value += b.txs[0].out[i].value;
	bool ok = b.n_tx > 0 && b.txs[0].n_out > 0 && add_address(j, "coinbase_recipient", p, b.txs[0].out[0].addr) &&
		  cJSON_AddItemToObject(j, "coinbase_value", amount_to_json(value)) &&
		  txjson_add_hex(j, "coinbase_txid", b.txs[0].txid, 32);
	block_release(&b);
	return ok;
}

static bool add_received(cJSON *j, const struct block_index *bi)
{
	cJSON *rc = cJSON_AddObjectToObject(j, "received");
	bool ok = rc && (bi->received ? cJSON_AddNumberToObject(rc, "time", (double)bi->received) != NULL
				      : cJSON_AddNullToObject(rc, "time") != NULL) &&
		  cJSON_AddStringToObject(rc, "source", source_name(bi->source));
	if (ok && bi->source == SOURCE_PEER) {
		char peer[sizeof(bi->source_peer) + 1];
		memcpy(peer, bi->source_peer, sizeof(bi->source_peer));
		peer[sizeof(bi->source_peer)] = '\0';
		ok = cJSON_AddStringToObject(rc, "peer", peer) != NULL;
	}
	return ok;
}

static int getblockprovenance(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct asset_rpc *r = ctx;
	struct block_index *bi;
	if (param_block(r, &bi, params, e) != 0)
		return -1;
	cJSON *j = cJSON_CreateObject();
	bool ok = j && txjson_add_hex(j, "hash", bi->hash, 32) && cJSON_AddNumberToObject(j, "height", bi->height) &&
		  cJSON_AddNumberToObject(j, "confirmations", (double)confirmations(r->cs, bi)) &&
		  add_chain_place(j, r, bi) &&
		  (bi->prev ? txjson_add_hex(j, "previousblockhash", bi->prev->hash, 32)
			    : cJSON_AddNullToObject(j, "previousblockhash") != NULL) &&
		  cJSON_AddNumberToObject(j, "time", (double)bi->header.time) &&
		  cJSON_AddNumberToObject(j, "mediantime", (double)index_median_time(bi)) &&
		  cJSON_AddNumberToObject(j, "nTx", bi->n_tx) && add_coinbase(j, r, bi) && add_received(j, bi);
	return rpc_result_if(result, j, ok, e);
}

/* ---- gettxoutproof, verifytxoutproof ---- */

static int param_txids(uint8_t (**ids)[32], size_t *n, const cJSON *params, struct rpc_error *e)
{
	const cJSON *arr = rpc_param(params, 0), *x;
	*ids = NULL;
	*n = 0;
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1 || cJSON_GetArraySize(arr) > PROOF_MAX_TXS)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Invalid parameter: txids must be an array of 1 to %d txids", PROOF_MAX_TXS);
	if (!(*ids = calloc((size_t)cJSON_GetArraySize(arr), 32)))
		return rpc_oom(e);
	cJSON_ArrayForEach(x, arr) {
		if (!cJSON_IsString(x) || !hex_decode((*ids)[*n], 32, x->valuestring)) {
			free(*ids);
			*ids = NULL;
			return rpc_error_set(e, RPC_INVALID_PARAMETER, "Invalid parameter: txid %zu must be of length 64 and hexadecimal", *n);
		}
		(*n)++;
	}
	return 0;
}

/* The block holding the first of the txids that the chain knows. */
static int block_of(struct asset_rpc *r, struct block_index **bi, const uint8_t (*ids)[32], size_t n, struct rpc_error *e)
{
	uint32_t pos;
	for (size_t i = 0; i < n; i++) {
		int rc = chainstate_find_tx(r->cs, ids[i], bi, &pos);
		if (rc < 0)
			return rpc_error_set(e, RPC_DATABASE_ERROR, "Cannot read the transaction index");
		if (rc == 1)
			return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (mempool_has(r->mp, ids[i]))
			return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "Transaction not yet in block");
	return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "Transaction not yet in block or not found");
}

static int gettxoutproof(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct asset_rpc *r = ctx;
	uint8_t (*ids)[32];
	size_t n;
	struct block_index *bi;
	struct block b;
	struct proof_txs p;
	char err[ERR_LEN];
	if (param_txids(&ids, &n, params, e) != 0)
		return -1;
	int rc = rpc_param(params, 1) ? chain_rpc_find_block(r->cs, &bi, params, 1, e)
				      : block_of(r, &bi, (const uint8_t (*)[32])ids, n, e);
	if (rc == 0 && chainstate_read_block(r->cs, bi, &b, err) != 0)
		rc = rpc_error_set(e, RPC_DATABASE_ERROR, "%s", err);
	if (rc != 0) {
		free(ids);
		return -1;
	}
	rc = proof_txs_build(&p, &b, (const uint8_t (*)[32])ids, n, err);
	block_release(&b);
	free(ids);
	if (rc != 0)
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "Not all transactions found in specified or retrieved block (%s)", err);
	struct buf out = BUF_INIT;
	proof_txs_write(&out, &p);
	proof_txs_release(&p);
	char *hex = buf_ok(&out) ? hex_alloc(out.data, out.len) : NULL;
	buf_release(&out);
	cJSON *j = hex ? cJSON_CreateString(hex) : NULL;
	free(hex);
	return rpc_result(result, j, e);
}

static int verifytxoutproof(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct asset_rpc *r = ctx;
	const char *hex;
	uint8_t *raw, hash[32];
	size_t len;
	struct proof_txs p;
	char err[ERR_LEN];
	if (rpc_param_str(&hex, params, 0, "proof", true, e) != 0)
		return -1;
	if (!(raw = hex_decode_alloc(hex, &len)))
		return rpc_error_set(e, RPC_DESERIALIZATION_ERROR, "Proof must be hexadecimal");
	int rc = proof_txs_parse(&p, raw, len, err);
	free(raw);
	if (rc != 0)
		return rpc_error_set(e, RPC_DESERIALIZATION_ERROR, "%s", err);
	if (!proof_txs_verify(&p, chainstate_params(r->cs)->pow.limit_bits, err)) {
		proof_txs_release(&p);
		return rpc_error_set(e, RPC_VERIFY_ERROR, "%s", err);
	}
	header_hash(hash, &p.header);
	struct block_index *bi = chainstate_lookup(r->cs, hash);
	bool best = bi && chainstate_on_best(r->cs, bi);
	if (best && bi->n_tx != p.leaves) {
		proof_txs_release(&p);
		return rpc_error_set(e, RPC_VERIFY_ERROR, "Proof has %u leaves, the block has %u transactions", p.leaves, bi->n_tx);
	}
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (size_t i = 0; best && ok && i < p.n; i++)
		ok = rpc_array_add(arr, txjson_hash(p.txs[i].txid));
	proof_txs_release(&p);
	return rpc_result_if(result, arr, ok, e);
}

/* Where a step is (add_place): null block fields while unconfirmed. */
#define PLACE "confirmed:bool,confirmations:int,blockhash:hash|null,height:int|null,time:int|null"
#define ASSET "asset:hash (64 hex digits: the SHA-256 of the document)"
#define PROOF2_RESULT \
	"{format:str,version:int,network:str,kind:'custody'|'absence',asset:hash,tip:hash,height:int,samples:int,bundle:hex}"
#define SUBMITTED "-27 -26 -25 -20 -13 -6 -4"

static const struct rpc_method methods[] = {
	{ "getassethistory", "provenance", ASSET,
	  "Returns every custody step of an asset, oldest first, unconfirmed ones from the mempool included.", getassethistory,
	  "[{txid:hash,type:'register'|'transfer',from:str|null,to:str,vout:int," PLACE "}]", "-5 -20 -1" },
	{ "getassetproof", "provenance",
	  ASSET " [version:int (1: the headers since the registration; 2: anchored at genesis, O(log n); default 1)] "
	  "[samples:int (version 2: headers sampled by work, 1 to 1000; default 50)]",
	  "Returns a self-contained proof of an asset's confirmed custody history (version 2: and of its owner at the "
	  "tip), for cairn-cli verifyassetproof.",
	  getassetproof,
	  "{format:str,version:int,network:str,asset:hash,anchor:{coinbase:hex,leaves:int,path:[hash]},"
	  "steps:[{tx:hex,blockhash:hash,height:int,index:int,leaves:int,path:[hash]}],headers:[hex],tip:hash}|"
	  PROOF2_RESULT,
	  "-5 -8 -20 -1" },
	{ "getassetabsenceproof", "provenance",
	  ASSET " [samples:int (headers sampled by work, 1 to 1000; default 50)]",
	  "Returns a self-contained proof that the best chain never registered the asset id, as of its tip, for "
	  "cairn-cli verifyassetproof.",
	  getassetabsenceproof, PROOF2_RESULT, "-5 -8 -20 -1" },
	{ "getblockprovenance", "provenance", "block:hash|int (a block's hash or best-chain height)",
	  "Returns where a block (hash or height) stands in the chain, who mined it and where this node first got it.",
	  getblockprovenance,
	  "{hash:hash,height:int,confirmations:int,chainwork:hash,in_best_chain:bool,"
	  "branch:null|{status:str,fork_hash:hash|null,fork_height?:int,branch_length?:int},"
	  "nextblockhash:hash|null,previousblockhash:hash|null,time:int,mediantime:int,nTx:int,"
	  "coinbase_recipient:str|null,coinbase_value:amount|null,coinbase_txid?:hash,"
	  "received:{time:int|null,source:'peer'|'mined'|'rpc'|'genesis'|'unknown',peer?:str}}",
	  "-5" },
	{ "gettxoutproof", "blockchain", "txids:[hash] (transactions of one block) [blockhash:hash (the block)]",
	  "Returns a hex proof that the transactions are in a block: header, RFC 6962 audit paths.", gettxoutproof,
	  "hex", "-5 -20" },
	{ "verifytxoutproof", "blockchain", "proof:hex (a gettxoutproof proof)",
	  "Checks a gettxoutproof proof; returns the txids it proves, or [] when its block is not in the best chain.",
	  verifytxoutproof, "[hash]", "-22 -25" },
};

/* The methods that need a wallet, and the one that uses it when picked. */
static const struct rpc_method wallet_methods[] = {
	{ "registerasset", "provenance",
	  ASSET " [metadata:str (up to 256 bytes: hex, or text taken as UTF-8)] "
	  "[address:str (the first owner; default: a new wallet address)]",
	  "Registers an asset id (64 hex digits: the SHA-256 of a document) with up to 256 bytes of metadata "
	  "(hex when the string is hex, else its UTF-8 bytes), owned by address or a new wallet address; returns the txid.",
	  registerasset, "hash", "-18 -19 -5 " SUBMITTED },
	{ "transferasset", "provenance", ASSET " address:str (the new owner)",
	  "Passes an asset this wallet owns on to address; returns the txid.", transferasset, "hash",
	  "-18 -19 -5 " SUBMITTED },
	{ "listassets", "provenance", "", "Returns the assets this wallet owns.", listassets,
	  "[{asset:hash,txid:hash,vout:int,address:str,confirmations:int,metadata:hex,metadata_text?:str}]",
	  "-18 -19 -4" },
};

static const struct rpc_method picked_methods[] = {
	{ "getassetinfo", "provenance", ASSET,
	  "Returns an asset's registration, first owner, metadata, current owner and output, and transfers.", getassetinfo,
	  "{asset:hash,registration_txid:hash,registration_vout:int," PLACE ",first_owner:str,metadata:hex,"
	  "metadata_text?:str,owner:str,current:{txid:hash,vout:int," PLACE "},transfers:int,"
	  "unconfirmed_transfers:int,mine?:bool}",
	  "-5 -20 -1" },
};

int asset_rpc_register(struct rpc_server *srv, struct asset_rpc *r, struct wallets *wallets, char *err)
{
	return rpc_server_add_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), r, err) != 0 ||
			       rpc_server_add_routed_methods(srv, wallet_methods,
							     sizeof(wallet_methods) / sizeof(wallet_methods[0]),
							     wallets_route, wallets, err) != 0 ||
			       rpc_server_add_routed_methods(srv, picked_methods, 1, wallets_route_optional, wallets, err) != 0
		       ? -1
		       : 0;
}
