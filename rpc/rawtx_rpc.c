#include "rpc/rawtx_rpc.h"

#include <stdlib.h>
#include <string.h>

#include "chain/address.h"
#include "chain/merkle.h"
#include "chain/txlookup.h"
#include "rpc/amount.h"
#include "rpc/chain_rpc.h"
#include "rpc/txjson.h"
#include "util/clock.h"
#include "util/hex.h"

int rawtx_param_tx(struct tx *tx, const cJSON *params, size_t i, struct rpc_error *e)
{
	const char *hex;
	uint8_t *raw;
	size_t len;
	char err[ERR_LEN];
	if (rpc_param_str(&hex, params, i, "hexstring", true, e) != 0)
		return -1;
	if (!(raw = hex_decode_alloc(hex, &len)))
		return rpc_error_set(e, RPC_DESERIALIZATION_ERROR, "TX decode failed: not hex");
	int r = tx_parse(tx, raw, len, err);
	free(raw);
	return r == 0 ? 0 : rpc_error_set(e, RPC_DESERIALIZATION_ERROR, "TX decode failed: %s", err);
}

static char *tx_hex(const struct tx *tx)
{
	struct buf b = BUF_INIT;
	tx_write(&b, tx);
	char *h = buf_ok(&b) ? hex_alloc(b.data, b.len) : NULL;
	buf_release(&b);
	return h;
}

int rawtx_rpc_find(struct txlookup *l, struct tx *tx, struct block_index **bi, uint32_t *pos,
		   struct block_index *in_block, const uint8_t txid[32], struct rpc_error *e)
{
	char err[ERR_LEN];
	enum txlookup_result r;
	if (in_block) {
		*bi = in_block;
		r = txlookup_in_block(l, tx, pos, in_block, txid, err);
	} else {
		r = txlookup_find(l, tx, bi, pos, txid, err);
	}
	switch (r) {
	case TXLOOKUP_FOUND:
		return 0;
	case TXLOOKUP_MISSING:
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "%s",
				     in_block ? "No such transaction found in the provided block"
					      : "No such mempool or blockchain transaction");
	case TXLOOKUP_NO_MEMORY:
		return rpc_oom(e);
	default:
		return rpc_error_set(e, RPC_DATABASE_ERROR, "%s", err);
	}
}

/* The RFC 6962 audit path of the transaction at pos in its block (which
 * the lookup that found the transaction already holds). */
static cJSON *audit_path(struct txlookup *l, const struct block_index *bi, uint32_t pos)
{
	const struct block *b = txlookup_block(l, bi, NULL);
	uint8_t (*ids)[32] = NULL, path[MERKLE_MAX_PATH][32];
	size_t len = 0;
	cJSON *j = NULL;
	if (!b)
		return NULL;
	if ((ids = malloc(b->n_tx * 32))) {
		for (size_t i = 0; i < b->n_tx; i++)
			memcpy(ids[i], b->txs[i].txid, 32);
		if (merkle_path(path, &len, MERKLE_MAX_PATH, (const uint8_t (*)[32])ids, b->n_tx, pos) == 0 &&
		    (j = cJSON_CreateObject())) {
			cJSON *arr = cJSON_AddArrayToObject(j, "path");
			bool ok = arr && cJSON_AddNumberToObject(j, "index", pos) &&
				  cJSON_AddNumberToObject(j, "leaves", (double)b->n_tx) &&
				  txjson_add_hex(j, "merkleroot", b->header.merkle, 32);
			for (size_t i = 0; ok && i < len; i++)
				ok = rpc_array_add(arr, txjson_hash(path[i]));
			j = rpc_json_if(j, ok);
		}
	}
	free(ids);
	return j;
}

cJSON *rawtx_rpc_verbose_tx(struct rawtx_rpc *r, struct txlookup *l, const struct tx *tx, struct block_index *bi,
			    uint32_t pos)
{
	cJSON *j = txjson_tx(tx, chainstate_params(r->cs));
	char *hex = tx_hex(tx);
	bool ok = j && hex && cJSON_AddStringToObject(j, "hex", hex);
	free(hex);
	if (ok && bi) {
		bool best = chainstate_on_best(r->cs, bi);
		int64_t conf = best ? (int64_t)(chainstate_tip(r->cs)->height - bi->height) + 1 : 0;
		cJSON *proof = audit_path(l, bi, pos);
		ok = txjson_add_hex(j, "blockhash", bi->hash, 32) && cJSON_AddNumberToObject(j, "height", bi->height) &&
		     cJSON_AddNumberToObject(j, "confirmations", (double)conf) &&
		     cJSON_AddNumberToObject(j, "time", (double)bi->header.time) &&
		     cJSON_AddNumberToObject(j, "blocktime", (double)bi->header.time) &&
		     cJSON_AddBoolToObject(j, "in_active_chain", best) && proof &&
		     cJSON_AddItemToObject(j, "merkleproof", proof);
	}
	return rpc_json_if(j, ok);
}

static int getrawtransaction(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct rawtx_rpc *r = ctx;
	uint8_t txid[32];
	int64_t verbose = 0;
	struct block_index *in_block = NULL, *bi;
	uint32_t pos;
	struct tx tx;
	struct txlookup l;
	const cJSON *v = rpc_param(params, 1);
	if (chain_rpc_param_hash(txid, params, 0, "txid", e) != 0)
		return -1;
	if (v && cJSON_IsBool(v))
		verbose = cJSON_IsTrue(v);
	else if (rpc_param_int(&verbose, params, 1, "verbosity", 0, 0, 2, e) != 0)
		return -1;
	if (rpc_param(params, 2) && chain_rpc_find_block(r->cs, &in_block, params, 2, e) != 0)
		return -1;
	txlookup_init(&l, r->cs, r->mp);
	if (rawtx_rpc_find(&l, &tx, &bi, &pos, in_block, txid, e) != 0) {
		txlookup_release(&l);
		return -1;
	}
	cJSON *j;
	if (verbose) {
		j = rawtx_rpc_verbose_tx(r, &l, &tx, bi, pos);
	} else {
		char *hex = tx_hex(&tx);
		j = hex ? cJSON_CreateString(hex) : NULL;
		free(hex);
	}
	tx_release(&tx);
	txlookup_release(&l);
	return rpc_result(result, j, e);
}

static int decoderawtransaction(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct rawtx_rpc *r = ctx;
	struct tx tx;
	if (rawtx_param_tx(&tx, params, 0, e) != 0)
		return -1;
	cJSON *j = txjson_tx(&tx, chainstate_params(r->cs));
	tx_release(&tx);
	return rpc_result(result, j, e);
}

static int add_input(struct tx *tx, const cJSON *in, struct rpc_error *e)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(in, "txid");
	const cJSON *vout = cJSON_GetObjectItemCaseSensitive(in, "vout");
	size_t i = tx->n_in;
	if (!cJSON_IsString(id) || !cJSON_IsNumber(vout))
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Invalid parameter, an input needs txid and vout");
	if (vout->valuedouble < 0 || vout->valuedouble > UINT32_MAX || vout->valuedouble != (double)(uint32_t)vout->valuedouble)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Invalid parameter, vout cannot be negative or fractional");
	if (tx_resize(tx, i + 1, tx->n_out) != 0)
		return rpc_oom(e);
	if (!hex_decode(tx->in[i].prev.txid, 32, id->valuestring))
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Invalid parameter: txid must be of length 64 and hexadecimal");
	tx->in[i].prev.index = (uint32_t)vout->valuedouble;
	return 0;
}

static int add_output(struct tx *tx, const struct chain_params *p, const cJSON *item, struct rpc_error *e)
{
	char err[ERR_LEN];
	size_t i = tx->n_out;
	if (tx_resize(tx, tx->n_in, i + 1) != 0)
		return rpc_oom(e);
	if (address_decode(tx->out[i].addr, p->hrp, item->string, err) != 0)
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "'%s': %s", item->string, err);
	for (size_t j = 0; j < i; j++)
		if (memcmp(tx->out[j].addr, tx->out[i].addr, 20) == 0)
			return rpc_error_set(e, RPC_INVALID_PARAMETER, "Invalid parameter, duplicated address: %s", item->string);
	if (amount_from_json(&tx->out[i].value, item, err) != 0)
		return rpc_error_set(e, RPC_TYPE_ERROR, "Invalid amount: %s", err);
	return 0;
}

/* outputs: {"address": amount, ...} or [{"address": amount}, ...]. */
static int add_outputs(struct tx *tx, const struct chain_params *p, const cJSON *outs, struct rpc_error *e)
{
	const cJSON *o, *kv;
	if (cJSON_IsObject(outs)) {
		cJSON_ArrayForEach(kv, outs)
			if (add_output(tx, p, kv, e) != 0)
				return -1;
		return 0;
	}
	if (!cJSON_IsArray(outs))
		return rpc_error_set(e, RPC_TYPE_ERROR, "Invalid parameter: outputs must be an object or an array of objects");
	cJSON_ArrayForEach(o, outs) {
		if (!cJSON_IsObject(o))
			return rpc_error_set(e, RPC_TYPE_ERROR, "Invalid parameter: outputs must be an object or an array of objects");
		cJSON_ArrayForEach(kv, o)
			if (add_output(tx, p, kv, e) != 0)
				return -1;
	}
	return 0;
}

static int createrawtransaction(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct rawtx_rpc *r = ctx;
	const cJSON *ins = rpc_param(params, 0), *outs = rpc_param(params, 1), *in;
	int64_t locktime;
	struct tx tx;
	if (!cJSON_IsArray(ins))
		return rpc_error_set(e, RPC_TYPE_ERROR, "Invalid parameter: inputs must be an array");
	if (!outs)
		return rpc_error_set(e, RPC_INVALID_PARAMS, "Invalid parameter: outputs are required");
	if (rpc_param_int(&locktime, params, 2, "locktime", 0, 0, UINT32_MAX, e) != 0)
		return -1;
	tx_init(&tx);
	tx.lock_time = (uint32_t)locktime;
	int rc = 0;
	cJSON_ArrayForEach(in, ins)
		if (rc == 0)
			rc = add_input(&tx, in, e);
	if (rc == 0)
		rc = add_outputs(&tx, chainstate_params(r->cs), outs, e);
	char *hex = rc == 0 ? tx_hex(&tx) : NULL;
	tx_release(&tx);
	if (rc != 0)
		return -1;
	cJSON *j = hex ? cJSON_CreateString(hex) : NULL;
	free(hex);
	return rpc_result(result, j, e);
}

/* Maps a refusal to Bitcoin Core's codes: -27 already confirmed, -25
 * missing inputs, -26 every other rule or policy. */
static int reject(const struct verdict *v, struct rpc_error *e)
{
	if (v->code == VC_IN_CHAIN)
		return rpc_error_set(e, RPC_VERIFY_ALREADY_IN_CHAIN, "Transaction already in block chain");
	if (v->result == VR_MISSING_INPUTS)
		return rpc_error_set(e, RPC_VERIFY_ERROR, "%s", v->reason);
	if (v->result == VR_ERROR)
		return rpc_error_set(e, RPC_DATABASE_ERROR, "Cannot check the transaction: %s", v->reason);
	if (v->debug[0])
		return rpc_error_set(e, RPC_VERIFY_REJECTED, "%s (%s)", v->reason, v->debug);
	return rpc_error_set(e, RPC_VERIFY_REJECTED, "%s", v->reason);
}

/* Bitcoin Core's default -maxfeerate guard: 0.10 CRN per 1,000 bytes. */
#define DEFAULT_MAX_FEE_RATE (COIN / 10)

/* The fee tx pays when its inputs are all known to the chain or the
 * mempool; false when one is not (the mempool then says why). */
static bool known_fee(struct rawtx_rpc *r, const struct tx *tx, int64_t *fee)
{
	struct coin_view view = mempool_view(r->mp);
	int64_t in = 0, out = 0;
	for (size_t i = 0; i < tx->n_in; i++) {
		struct coin c;
		if (view.get_coin(view.ctx, &tx->in[i].prev, &c) != 1)
			return false;
		in += c.out.value;
		coin_release(&c);
		if (!money_range(in))
			return false;
	}
	for (size_t i = 0; i < tx->n_out; i++)
		out += tx->out[i].value;
	*fee = in - out;
	return true;
}

/* A fee rate above max (units per 1,000 bytes; 0 means no limit) is most
 * likely a mistake: Bitcoin Core refuses it unless the caller raises the
 * limit. */
static bool fee_too_high(struct rawtx_rpc *r, const struct tx *tx, int64_t max)
{
	int64_t fee;
	return max > 0 && known_fee(r, tx, &fee) && fee > 0 && (__int128)fee * 1000 > (__int128)max * (int64_t)tx->size;
}

static int param_max_fee_rate(int64_t *out, const cJSON *params, size_t i, struct rpc_error *e)
{
	*out = DEFAULT_MAX_FEE_RATE;
	if (!rpc_param(params, i))
		return 0;
	return rpc_param_amount(out, params, i, "maxfeerate", e);
}

/* Accepts tx into the mempool and answers its txid. */
static int finish_send(struct rawtx_rpc *r, const struct tx *tx, int64_t max_fee_rate, cJSON **result,
		       struct rpc_error *e)
{
	struct verdict v;
	verdict_init(&v);
	/* Resending a transaction the pool holds is not an error (Bitcoin Core). */
	if (!mempool_has(r->mp, tx->txid)) {
		if (fee_too_high(r, tx, max_fee_rate))
			return rpc_error_set(e, RPC_VERIFY_ERROR,
					     "max-fee-exceeded: fee rate above maxfeerate (set maxfeerate 0 to allow)");
		if (!mempool_accept_local(r->mp, tx, clock_now(), &v))
			return reject(&v, e);
	}
	return rpc_result(result, txjson_hash(tx->txid), e);
}

/* A submission whose signatures are checked on a worker thread first: the
 * checks that pass land in the signature cache, so the mempool's own
 * check, back on the loop, costs nothing. Clients that submit at once
 * thus use every core, and the loop keeps serving while they wait. */
struct send_job {
	struct rawtx_rpc *r;
	int64_t max_fee_rate;
	struct tx tx;
	struct sig_job *jobs;
	size_t n;
};

static void send_work(void *arg)
{
	struct send_job *j = arg;
	sig_verify_batch(j->jobs, j->n, NULL, true);
}

static int send_done(void *arg, bool ran, cJSON **result, struct rpc_error *e)
{
	struct send_job *j = arg;
	(void)ran; /* without the worker, the mempool checks the signatures itself */
	int rc = finish_send(j->r, &j->tx, j->max_fee_rate, result, e);
	tx_release(&j->tx);
	free(j->jobs);
	free(j);
	return rc;
}

static int sendrawtransaction(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct rawtx_rpc *r = ctx;
	struct tx tx;
	int64_t max_fee_rate;
	if (param_max_fee_rate(&max_fee_rate, params, 1, e) != 0 || rawtx_param_tx(&tx, params, 0, e) != 0)
		return -1;
	struct send_job *j = NULL;
	if (!mempool_has(r->mp, tx.txid) && !tx_is_coinbase(&tx) && tx.n_in > 0 && (j = calloc(1, sizeof(*j))) &&
	    (j->jobs = malloc(tx.n_in * sizeof(*j->jobs)))) {
		j->r = r;
		j->max_fee_rate = max_fee_rate;
		j->n = tx.n_in;
		j->tx = tx;
		tx_sig_jobs(j->jobs, &j->tx, chainstate_params(r->cs)->magic);
		if (rpc_defer(send_work, send_done, j))
			return RPC_DEFERRED;
		return send_done(j, false, result, e);
	}
	if (j)
		free(j);
	int rc = finish_send(r, &tx, max_fee_rate, result, e);
	tx_release(&tx);
	return rc;
}

static int testmempoolaccept(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct rawtx_rpc *r = ctx;
	const cJSON *txs = rpc_param(params, 0), *item;
	int64_t max_fee_rate;
	if (!cJSON_IsArray(txs))
		return rpc_error_set(e, RPC_TYPE_ERROR, "Invalid parameter: rawtxs must be an array of hex strings");
	if (param_max_fee_rate(&max_fee_rate, params, 1, e) != 0)
		return -1;
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	cJSON_ArrayForEach(item, txs) {
		struct tx tx;
		struct verdict v;
		int64_t fee = 0;
		cJSON *one = cJSON_CreateArray(), *res;
		ok = ok && one && cJSON_AddItemToArray(one, cJSON_Duplicate(item, true));
		if (!ok || rawtx_param_tx(&tx, one, 0, e) != 0) {
			cJSON_Delete(one);
			cJSON_Delete(arr);
			return ok ? -1 : rpc_oom(e);
		}
		cJSON_Delete(one);
		verdict_init(&v);
		bool allowed = mempool_test_accept(r->mp, &tx, &fee, &v);
		if (allowed && fee_too_high(r, &tx, max_fee_rate)) {
			allowed = false;
			verdict_fail(&v, VR_POLICY, "max-fee-exceeded", NULL);
		}
		ok = (res = cJSON_CreateObject()) && cJSON_AddItemToArray(arr, res) &&
		     txjson_add_hex(res, "txid", tx.txid, 32) && cJSON_AddBoolToObject(res, "allowed", allowed);
		if (ok && allowed) {
			cJSON *fees = cJSON_AddObjectToObject(res, "fees"), *base = amount_to_json(fee);
			ok = cJSON_AddNumberToObject(res, "vsize", (double)tx.size) && fees && base &&
			     cJSON_AddItemToObject(fees, "base", base);
		} else if (ok) {
			ok = cJSON_AddStringToObject(res, "reject-reason", v.reason) != NULL;
		}
		tx_release(&tx);
	}
	return rpc_result_if(result, arr, ok, e);
}

static cJSON *hash_list(const uint8_t (*h)[32], size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (size_t i = 0; ok && i < n; i++)
		ok = rpc_array_add(arr, txjson_hash(h[i]));
	return rpc_json_if(arr, ok);
}

cJSON *rawtx_rpc_entry_json(const struct mempool_entry_info *m)
{
	cJSON *j = cJSON_CreateObject(), *fees = NULL, *dep = NULL, *spent = NULL;
	bool ok = j && cJSON_AddNumberToObject(j, "vsize", (double)m->size) &&
		  cJSON_AddNumberToObject(j, "size", (double)m->size) && cJSON_AddNumberToObject(j, "time", (double)m->time) &&
		  cJSON_AddNumberToObject(j, "height", m->height) &&
		  cJSON_AddNumberToObject(j, "descendantcount", (double)m->descendant_count) &&
		  cJSON_AddNumberToObject(j, "descendantsize", (double)m->descendant_size) &&
		  cJSON_AddNumberToObject(j, "ancestorcount", (double)m->ancestor_count) &&
		  cJSON_AddNumberToObject(j, "ancestorsize", (double)m->ancestor_size) &&
		  (fees = cJSON_AddObjectToObject(j, "fees")) &&
		  cJSON_AddItemToObject(fees, "base", amount_to_json(m->fee)) &&
		  cJSON_AddItemToObject(fees, "ancestor", amount_to_json(m->ancestor_fees)) &&
		  cJSON_AddItemToObject(fees, "descendant", amount_to_json(m->descendant_fees)) &&
		  (dep = hash_list((const uint8_t (*)[32])m->depends, m->n_depends)) &&
		  cJSON_AddItemToObject(j, "depends", dep) &&
		  (spent = hash_list((const uint8_t (*)[32])m->spentby, m->n_spentby)) &&
		  cJSON_AddItemToObject(j, "spentby", spent);
	return rpc_json_if(j, ok);
}

static int getmempoolentry(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct rawtx_rpc *r = ctx;
	uint8_t txid[32];
	struct mempool_entry_info m;
	if (chain_rpc_param_hash(txid, params, 0, "txid", e) != 0)
		return -1;
	int rc = mempool_entry(r->mp, txid, &m);
	if (rc < 0)
		return rpc_oom(e);
	if (rc == 0)
		return rpc_error_set(e, RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool");
	cJSON *j = rawtx_rpc_entry_json(&m);
	mempool_entry_info_release(&m);
	return rpc_result(result, j, e);
}

cJSON *rawtx_rpc_mempool(struct rawtx_rpc *r, bool verbose)
{
	const struct tx *tx;
	cJSON *j = verbose ? cJSON_CreateObject() : cJSON_CreateArray();
	bool ok = j != NULL;
	for (size_t it = 0; ok && (tx = mempool_next(r->mp, &it));) {
		char h[65];
		txjson_hash_hex(h, tx->txid);
		if (!verbose) {
			ok = rpc_array_add(j, cJSON_CreateString(h));
			continue;
		}
		struct mempool_entry_info m;
		ok = mempool_entry(r->mp, tx->txid, &m) == 1;
		cJSON *x = ok ? rawtx_rpc_entry_json(&m) : NULL;
		if (ok)
			mempool_entry_info_release(&m);
		ok = x && cJSON_AddItemToObject(j, h, x);
	}
	return rpc_json_if(j, ok);
}

static int getrawmempool(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	bool verbose;
	if (rpc_param_bool(&verbose, params, 0, "verbose", false, e) != 0)
		return -1;
	return rpc_result(result, rawtx_rpc_mempool(ctx, verbose), e);
}

cJSON *rawtx_rpc_mempool_info(struct rawtx_rpc *r)
{
	struct mempool_info m;
	mempool_get_info(r->mp, &m);
	cJSON *j = cJSON_CreateObject();
	bool ok = j && cJSON_AddBoolToObject(j, "loaded", true) && cJSON_AddNumberToObject(j, "size", (double)m.count) &&
		  cJSON_AddNumberToObject(j, "bytes", (double)m.bytes) && cJSON_AddNumberToObject(j, "usage", (double)m.usage) &&
		  cJSON_AddItemToObject(j, "total_fee", amount_to_json(m.total_fee)) &&
		  cJSON_AddNumberToObject(j, "maxmempool", (double)m.max_usage) &&
		  cJSON_AddItemToObject(j, "mempoolminfee", amount_to_json(m.min_relay_fee)) &&
		  cJSON_AddItemToObject(j, "minrelaytxfee", amount_to_json(m.min_relay_fee)) &&
		  cJSON_AddNumberToObject(j, "orphans", (double)m.orphans) &&
		  (!r->events || events_add_last(j, "sequence", r->events));
	return rpc_json_if(j, ok);
}

static int getmempoolinfo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	(void)params;
	return rpc_result(result, rawtx_rpc_mempool_info(ctx), e);
}

static int gettxout(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct rawtx_rpc *r = ctx;
	struct outpoint op;
	int64_t n;
	bool mem;
	struct coin c;
	if (chain_rpc_param_hash(op.txid, params, 0, "txid", e) != 0 ||
	    rpc_param_int(&n, params, 1, "n", -1, 0, UINT32_MAX, e) != 0 ||
	    rpc_param_bool(&mem, params, 2, "include_mempool", true, e) != 0)
		return -1;
	op.index = (uint32_t)n;
	struct coin_view view = mem ? mempool_view(r->mp) : chainstate_view(r->cs);
	int rc = view.get_coin(view.ctx, &op, &c);
	if (rc < 0)
		return rpc_error_set(e, RPC_DATABASE_ERROR, "Cannot read the coin database");
	if (rc == 0) {
		*result = NULL;
		return 0;
	}
	const struct block_index *tip = chainstate_tip(r->cs);
	int64_t conf = c.height == MEMPOOL_HEIGHT ? 0 : (int64_t)(tip->height - c.height) + 1;
	/* The output's fields (value, address, kind, asset) at the top level,
	 * as Bitcoin Core puts value beside its scriptPubKey. */
	cJSON *j = txjson_output(&c.out, op.index, chainstate_params(r->cs));
	bool ok = j && txjson_add_hex(j, "bestblock", tip->hash, 32) &&
		  cJSON_AddNumberToObject(j, "confirmations", (double)conf) &&
		  cJSON_AddBoolToObject(j, "coinbase", c.coinbase);
	if (ok)
		cJSON_DeleteItemFromObject(j, "n");
	coin_release(&c);
	return rpc_result_if(result, j, ok, e);
}

/* The verbose form adds where the transaction is, with the audit path of
 * its txid to the block's merkle root. */
#define VERBOSE_TX                                                                                          \
	"{" TXJSON_TX_FIELDS ",hex:hex,blockhash?:hash,height?:int,confirmations?:int,time?:int,blocktime?:int," \
	"in_active_chain?:bool,merkleproof?:{index:int,leaves:int,merkleroot:hash,path:[hash]}}"
#define MEMPOOL_ENTRY RAWTX_MEMPOOL_ENTRY
#define REFUSED "-25 -26 -27 -20"

static const struct rpc_method methods[] = {
	{ "getrawtransaction", "rawtransactions",
	  "txid:hash (the transaction's id) [verbose:int|bool=0 (0 or false: hex; 1, 2 or true: an object)] "
	  "[blockhash:hash (the block to look in)]",
	  "Returns a transaction from the mempool or the chain: hex, or with verbose an object with its block, confirmations and merkle audit path.",
	  getrawtransaction, "hex|" VERBOSE_TX, "-5 -20" },
	{ "createrawtransaction", "rawtransactions",
	  "inputs:[{txid:hash,vout:int}] (the outputs to spend) "
	  "outputs:{*:amount}|[{*:amount}] (address: amount, as one object or an array of one-key objects) "
	  "[locktime:int=0 (the transaction's lock time)]",
	  "Creates an unsigned transaction from [{\"txid\":..,\"vout\":n},..] and {\"address\":amount,..}; returns its hex.",
	  createrawtransaction, "hex", "-5" },
	{ "decoderawtransaction", "rawtransactions", "hexstring:hex (the serialized transaction)",
	  "Returns a transaction's fields as JSON.", decoderawtransaction, TXJSON_TX, "-22" },
	{ "sendrawtransaction", "rawtransactions",
	  "hexstring:hex (the signed transaction) [maxfeerate:amount=0.1 (CRN per 1,000 bytes; 0: no limit)]",
	  "Submits a signed transaction to the mempool and relays it; returns its txid. A fee rate above maxfeerate (CRN per 1,000 bytes, default 0.10; 0: no limit) is refused.",
	  sendrawtransaction, "hash", "-22 " REFUSED },
	{ "testmempoolaccept", "rawtransactions",
	  "rawtxs:[hex] (the serialized transactions) [maxfeerate:amount=0.1 (CRN per 1,000 bytes; 0: no limit)]",
	  "Tells whether each transaction would be accepted to the mempool, without adding it.", testmempoolaccept,
	  "[{txid:hash,allowed:bool,vsize:int,fees:{base:amount}}|{txid:hash,allowed:bool,reject-reason:str}]",
	  "-22" },
	{ "getrawmempool", "blockchain", "[verbose:bool=false (true: an object of entries by txid)]",
	  "Returns the txids in the mempool, or with verbose an object of entries.", getrawmempool,
	  "[hash]|{*:" MEMPOOL_ENTRY "}", NULL },
	{ "getmempoolinfo", "blockchain", "", "Returns the mempool's size, usage and fee limits.", getmempoolinfo,
	  "{loaded:bool,size:int,bytes:int,usage:int,total_fee:amount,maxmempool:int,mempoolminfee:amount,"
	  "minrelaytxfee:amount,orphans:int,sequence:int}",
	  NULL },
	{ "getmempoolentry", "blockchain", "txid:hash (a transaction in the mempool)", "Returns one mempool entry.",
	  getmempoolentry, MEMPOOL_ENTRY, "-5" },
	{ "gettxout", "blockchain",
	  "txid:hash (the transaction) n:int (the output's index) "
	  "[include_mempool:bool=true (see the mempool's spends and outputs)]",
	  "Returns an unspent output, or null when spent or unknown.", gettxout,
	  "null|{" TXJSON_OUTPUT_FIELDS_NO_N ",bestblock:hash,confirmations:int,coinbase:bool}", "-20" },
};

int rawtx_rpc_register(struct rpc_server *srv, struct rawtx_rpc *r, char *err)
{
	return rpc_server_add_methods(srv, methods, sizeof(methods) / sizeof(methods[0]), r, err);
}
