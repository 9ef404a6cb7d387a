#include "chain/mine.h"

#include <string.h>

#include "chain/history.h"
#include "chain/pow.h"

static int make_coinbase(struct tx *cb, uint32_t height, const uint8_t payto[20], int64_t value)
{
	if (tx_resize(cb, 1, 1) != 0)
		return -1;
	cb->in[0].prev.index = height;
	memcpy(cb->out[0].addr, payto, 20);
	cb->out[0].value = value;
	tx_finalize(cb);
	return 0;
}

int mine_build(struct block *out, const struct block_index *prev, const struct chain_params *p,
	       const struct tx *txs, size_t n, const uint8_t payto[20], int64_t fees, uint64_t time,
	       char *err)
{
	uint32_t height = prev->height + 1;
	uint64_t mtp = index_median_time(prev);
	block_init(out);
	if (block_resize(out, n + 1) != 0 ||
	    make_coinbase(&out->txs[0], height, payto, params_subsidy(p, height) + fees) != 0)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		tx_release(&out->txs[i + 1]);
		if (tx_copy(&out->txs[i + 1], &txs[i]) != 0)
			goto oom;
	}
	out->header.version = 1;
	memcpy(out->header.prev, prev->hash, 32);
	out->header.time = time > mtp ? time : mtp + 1;
	out->header.bits = index_next_bits(prev, p);
	out->header.nonce = 0;
	/* A block without asset outputs leaves the map as its parent had it;
	 * one with them needs chainstate_commit_assets. */
	memcpy(out->header.assets, prev->header.assets, 32);
	if (history_root(out->header.history, prev) != 0) {
		block_release(out);
		return err_set(err, "the history tree of the parent is not linked");
	}
	block_finalize(out);
	return 0;
oom:
	block_release(out);
	return err_set(err, "out of memory");
}

bool mine_solve(struct block *b, uint64_t max_tries)
{
	for (uint64_t i = 0; i < max_tries; i++) {
		header_hash(b->hash, &b->header);
		if (pow_check(b->hash, b->header.bits, b->header.bits))
			return true;
		b->header.nonce++;
	}
	header_hash(b->hash, &b->header);
	return false;
}
