#include "chain/validate.h"

#include <stdlib.h>
#include <string.h>

#include "chain/history.h"
#include "chain/merkle.h"
#include "chain/pow.h"
#include "util/hmap.h"

static bool check_outputs(const struct tx *tx, struct verdict *v)
{
	int64_t total = 0;
	for (size_t i = 0; i < tx->n_out; i++) {
		const struct txout *o = &tx->out[i];
		if (o->value < 0)
			return verdict_fail(v, VR_CONSENSUS, "bad-txns-vout-negative", "output %zu", i);
		if (o->value > MAX_MONEY)
			return verdict_fail(v, VR_CONSENSUS, "bad-txns-vout-toolarge", "output %zu", i);
		total += o->value;
		if (!money_range(total))
			return verdict_fail(v, VR_CONSENSUS, "bad-txns-txouttotal-toolarge", NULL);
		if (o->kind != TXOUT_COIN && o->kind != TXOUT_ASSET)
			return verdict_fail(v, VR_CONSENSUS, "bad-txns-vout-kind", "output %zu", i);
		if (o->kind == TXOUT_ASSET && o->meta_len > TX_META_MAX)
			return verdict_fail(v, VR_CONSENSUS, "bad-asset-metadata", "output %zu", i);
		for (size_t j = 0; j < i && o->kind == TXOUT_ASSET; j++)
			if (tx->out[j].kind == TXOUT_ASSET && memcmp(tx->out[j].asset, o->asset, 32) == 0)
				return verdict_fail(v, VR_CONSENSUS, "bad-asset-multiple-outputs",
						    "outputs %zu and %zu carry one asset", j, i);
	}
	return true;
}

/* Duplicate inputs: a sort-free hash set once there are many of them. */
static bool check_duplicate_inputs(const struct tx *tx, struct verdict *v)
{
	if (tx->n_in < 16) {
		for (size_t i = 1; i < tx->n_in; i++)
			for (size_t j = 0; j < i; j++)
				if (memcmp(&tx->in[i].prev.txid, &tx->in[j].prev.txid, 32) == 0 &&
				    tx->in[i].prev.index == tx->in[j].prev.index)
					return verdict_fail(v, VR_CONSENSUS, "bad-txns-inputs-duplicate", NULL);
		return true;
	}
	struct hmap seen;
	bool ok = true;
	hmap_init(&seen, 36);
	for (size_t i = 0; i < tx->n_in && ok; i++) {
		uint8_t key[36];
		outpoint_write(key, &tx->in[i].prev);
		if (hmap_get(&seen, key))
			ok = verdict_fail(v, VR_CONSENSUS, "bad-txns-inputs-duplicate", NULL);
		else if (hmap_put(&seen, key, (void *)1) != 0)
			ok = verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
	}
	hmap_release(&seen);
	return ok;
}

bool tx_check(const struct tx *tx, struct verdict *v)
{
	if (tx->n_in == 0)
		return verdict_fail(v, VR_CONSENSUS, "bad-txns-vin-empty", NULL);
	if (tx->n_out == 0)
		return verdict_fail(v, VR_CONSENSUS, "bad-txns-vout-empty", NULL);
	if (tx_serialized_size(tx) > BLOCK_MAX_SIZE)
		return verdict_fail(v, VR_CONSENSUS, "bad-txns-oversize", NULL);
	if (!check_outputs(tx, v) || !check_duplicate_inputs(tx, v))
		return false;
	if (tx_is_coinbase(tx)) {
		for (size_t i = 0; i < tx->n_out; i++)
			if (tx->out[i].kind != TXOUT_COIN)
				return verdict_fail(v, VR_CONSENSUS, "bad-cb-asset", "coinbase output %zu", i);
		return true;
	}
	for (size_t i = 0; i < tx->n_in; i++)
		if (outpoint_is_null(&tx->in[i].prev))
			return verdict_fail(v, VR_CONSENSUS, "bad-txns-prevout-null", "input %zu", i);
	return true;
}

static bool check_block_txs(const struct block *b, struct verdict *v)
{
	if (b->n_tx == 0 || !tx_is_coinbase(&b->txs[0]))
		return verdict_fail(v, VR_CONSENSUS, "bad-cb-missing", NULL);
	struct hmap ids;
	bool ok = true;
	hmap_init(&ids, 32);
	for (size_t i = 0; i < b->n_tx && ok; i++) {
		const struct tx *tx = &b->txs[i];
		if (i > 0 && tx_is_coinbase(tx))
			ok = verdict_fail(v, VR_CONSENSUS, "bad-cb-multiple", "transaction %zu", i);
		else if (!tx_check(tx, v))
			ok = false;
		else if (hmap_get(&ids, tx->txid))
			ok = verdict_fail(v, VR_CONSENSUS, "bad-txns-duplicate", "transaction %zu", i);
		else if (hmap_put(&ids, tx->txid, (void *)1) != 0)
			ok = verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
	}
	hmap_release(&ids);
	return ok;
}

bool block_check(const struct block *b, const struct chain_params *p, struct verdict *v)
{
	uint8_t root[32];
	if (!pow_check(b->hash, b->header.bits, p->pow.limit_bits))
		return verdict_fail(v, VR_INVALID_HEADER, "high-hash", "proof of work failed");
	block_merkle_root(root, b);
	if (memcmp(root, b->header.merkle, 32) != 0)
		return verdict_fail(v, VR_MUTATED, "bad-blk-merkle", "merkle root mismatch");
	size_t size = BLOCK_HEADER_SIZE + buf_varint_size(b->n_tx);
	for (size_t i = 0; i < b->n_tx; i++)
		size += tx_serialized_size(&b->txs[i]);
	if (b->n_tx == 0 || size > BLOCK_MAX_SIZE)
		return verdict_fail(v, VR_CONSENSUS, "bad-blk-length", "%zu bytes", size);
	return check_block_txs(b, v);
}

bool header_check_contextual(const struct block_header *h, const struct block_index *prev,
			     const struct chain_params *p, uint64_t now, struct verdict *v)
{
	if (h->version < 1)
		return verdict_fail(v, VR_CONSENSUS, "bad-version", "version %u", h->version);
	if (h->bits != index_next_bits(prev, p))
		return verdict_fail(v, VR_INVALID_HEADER, "bad-diffbits", "incorrect proof of work target");
	if (h->time <= index_median_time(prev))
		return verdict_fail(v, VR_CONSENSUS, "time-too-old", "block's timestamp is too early");
	uint8_t history[32];
	if (history_root(history, prev) != 0)
		return verdict_fail(v, VR_ERROR, "history-unavailable", "the parent's history tree is not linked");
	if (memcmp(history, h->history, 32) != 0)
		return verdict_fail(v, VR_INVALID_HEADER, "bad-history-root",
				    "header does not commit to the history of the blocks before it");
	if (h->time > now + MAX_FUTURE_BLOCK_TIME)
		return verdict_fail(v, VR_TIME_FUTURE, "time-too-new", "block timestamp too far in the future");
	return true;
}

bool tx_is_final(const struct tx *tx, uint32_t height, uint64_t median_time)
{
	if (tx->lock_time == 0)
		return true;
	if (tx->lock_time < LOCKTIME_THRESHOLD)
		return tx->lock_time < height;
	return tx->lock_time < median_time;
}

bool block_check_contextual(const struct block *b, const struct block_index *prev, struct verdict *v)
{
	uint32_t height = prev->height + 1;
	uint64_t mtp = index_median_time(prev);
	if (b->n_tx == 0 || b->txs[0].in[0].prev.index != height)
		return verdict_fail(v, VR_CONSENSUS, "bad-cb-height", "coinbase does not carry height %u", height);
	for (size_t i = 0; i < b->n_tx; i++)
		if (!tx_is_final(&b->txs[i], height, mtp))
			return verdict_fail(v, VR_CONSENSUS, "bad-txns-nonfinal", "transaction %zu", i);
	return true;
}

/* The asset rules for one transaction, given the asset ids its inputs
 * spend: each spent id leaves through exactly one output (context-free
 * checks already refuse two), and every other asset output registers an id
 * the chain has never seen. */
static bool check_assets(const struct tx *tx, const uint8_t (*spent)[32], size_t n_spent,
			 const struct coin_view *view, struct verdict *v)
{
	for (size_t s = 0; s < n_spent; s++) {
		bool found = false;
		for (size_t i = 0; i < tx->n_out && !found; i++)
			found = tx->out[i].kind == TXOUT_ASSET && memcmp(tx->out[i].asset, spent[s], 32) == 0;
		if (!found)
			return verdict_fail(v, VR_CONSENSUS, "bad-asset-missing-output",
					    "a spent asset is not re-created");
	}
	for (size_t i = 0; i < tx->n_out; i++) {
		const struct txout *o = &tx->out[i];
		bool transfer = false;
		if (o->kind != TXOUT_ASSET)
			continue;
		for (size_t s = 0; s < n_spent && !transfer; s++)
			transfer = memcmp(o->asset, spent[s], 32) == 0;
		if (transfer)
			continue;
		int known = view->asset_known(view->ctx, o->asset);
		if (known < 0)
			return verdict_fail(v, VR_ERROR, "db-error", "cannot read the asset index");
		if (known)
			return verdict_fail(v, VR_CONSENSUS, "bad-asset-duplicate",
					    "output %zu registers an asset that exists", i);
	}
	return true;
}

static bool check_input(const struct txin *in, const struct coin *c, uint32_t height,
			const struct chain_params *p, size_t i, struct verdict *v)
{
	uint8_t h[32];
	if (c->coinbase && height - c->height < p->coinbase_maturity)
		return verdict_fail(v, VR_PREMATURE, "bad-txns-premature-spend-of-coinbase",
				    "tried to spend coinbase at depth %u", height - c->height);
	tx_pubkey_hash(h, in->pubkey);
	if (memcmp(h, c->out.addr, 20) != 0)
		return verdict_fail(v, VR_CONSENSUS, "bad-txns-pubkey-mismatch",
				    "input %zu: key does not match the address", i);
	return true;
}

bool tx_check_inputs(const struct tx *tx, const struct coin_view *view, uint32_t height,
		     const struct chain_params *p, int64_t *fee, struct verdict *v)
{
	uint8_t (*spent)[32] = NULL;
	size_t n_spent = 0;
	int64_t in_total = 0, out_total = 0;
	bool ok = true;
	*fee = 0;
	for (size_t i = 0; i < tx->n_in && ok; i++) {
		struct coin c;
		int r = view->get_coin(view->ctx, &tx->in[i].prev, &c);
		if (r < 0)
			return verdict_fail(v, VR_ERROR, "db-error", "cannot read the coin database");
		if (r == 0) {
			ok = verdict_fail(v, VR_MISSING_INPUTS, "bad-txns-inputs-missingorspent", "input %zu", i);
			break;
		}
		ok = check_input(&tx->in[i], &c, height, p, i, v);
		in_total += c.out.value;
		if (ok && (!money_range(c.out.value) || !money_range(in_total)))
			ok = verdict_fail(v, VR_CONSENSUS, "bad-txns-inputvalues-outofrange", NULL);
		if (ok && c.out.kind == TXOUT_ASSET) {
			void *grown = realloc(spent, (n_spent + 1) * 32);
			if (!grown)
				ok = verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
			else
				memcpy((spent = grown)[n_spent++], c.out.asset, 32);
		}
		coin_release(&c);
	}
	for (size_t i = 0; i < tx->n_out; i++)
		out_total += tx->out[i].value;
	if (ok && in_total < out_total)
		ok = verdict_fail(v, VR_CONSENSUS, "bad-txns-in-belowout",
				  "value in %lld < value out %lld", (long long)in_total, (long long)out_total);
	if (ok)
		ok = check_assets(tx, (const uint8_t (*)[32])spent, n_spent, view, v);
	free(spent);
	if (ok)
		*fee = in_total - out_total;
	return ok;
}

void tx_sig_jobs(struct sig_job *jobs, const struct tx *tx, const uint8_t magic[4])
{
	uint8_t msg[32];
	tx_sighash(msg, tx, magic);
	for (size_t i = 0; i < tx->n_in; i++) {
		memcpy(jobs[i].msg, msg, 32);
		memcpy(jobs[i].pubkey, tx->in[i].pubkey, 32);
		memcpy(jobs[i].sig, tx->in[i].sig, 64);
	}
}

bool tx_check_sigs(const struct tx *tx, const uint8_t magic[4], struct verdict *v)
{
	struct sig_job *jobs = malloc((tx->n_in ? tx->n_in : 1) * sizeof(*jobs));
	if (!jobs)
		return verdict_fail(v, VR_ERROR, "out-of-memory", NULL);
	tx_sig_jobs(jobs, tx, magic);
	size_t bad = sig_verify_batch(jobs, tx->n_in, NULL, true);
	free(jobs);
	if (bad < tx->n_in)
		return verdict_fail(v, VR_CONSENSUS, "bad-txns-sig", "input %zu: signature does not verify", bad);
	return true;
}
