#include "chain/proof2.h"

#include <stdlib.h>
#include <string.h>

#include "chain/proof_impl.h"
#include "util/hex.h"

static void put_step(struct buf *out, const struct proof2 *b, const struct proof2_step *s, size_t k)
{
	char to[ADDRESS_MAX_LEN], from[ADDRESS_MAX_LEN], txid[65], block[65], when[32];
	uint8_t hash[32];
	proof_addr(to, b->p, s->to);
	hex_encode(txid, s->tx.txid, 32);
	header_hash(hash, &s->block.header);
	hex_encode(block, hash, 32);
	proof_utc(when, s->block.header.time);
	if (s->has_from) {
		proof_addr(from, b->p, s->from);
		proof_put_fmt(out, "%3zu. transferred from %s\n     to %s\n", k + 1, from, to);
	} else {
		proof_put_fmt(out, "%3zu. registered to %s\n", k + 1, to);
	}
	proof_put_fmt(out, "     tx %s\n     block %s\n     height %u, %s, %u confirmations\n", txid, block,
		      s->block.height, when, b->tip_height - s->block.height + 1);
	if (!s->has_from)
		proof_put_metadata(out, &s->tx.out[s->out]);
}

char *proof2_report(const struct proof2 *b, const struct proof2_summary *sum)
{
	struct buf out = BUF_INIT;
	char id[65], owner[ADDRESS_MAX_LEN], work[U256_HEX_LEN + 1], tip[65], genesis[65];
	const char *w;
	hex_encode(id, b->asset, 32);
	hex_encode(tip, sum->tip_hash, 32);
	hex_encode(genesis, b->p->genesis_hash, 32);
	u256_hex(work, &sum->work);
	for (w = work; *w == '0' && w[1]; w++)
		;
	if (b->kind == PROOF2_ABSENCE) {
		proof_put_fmt(&out, "asset %s on %s\nnever registered: the tip's asset map does not hold it\n", id,
			      b->p->name);
	} else {
		proof_addr(owner, b->p, sum->owner);
		proof_put_fmt(&out, "asset %s on %s\ncustody history, oldest first:\n", id, b->p->name);
		for (size_t k = 0; k < b->n_steps; k++)
			put_step(&out, b, &b->steps[k], k);
		proof_put_fmt(&out, "current owner as of the tip: %s (the tip's asset map)\n", owner);
	}
	proof_put_fmt(&out, "tip: %s (height %u)\n", tip, sum->tip_height);
	proof_put_fmt(&out, "anchored at genesis %s\n", genesis);
	proof_put_fmt(&out, "proof valid: cumulative work 0x%s, checked by %zu samples\n", w, sum->samples);
	buf_u8(&out, 0);
	if (!buf_ok(&out)) {
		buf_release(&out);
		return NULL;
	}
	size_t len;
	return (char *)buf_take(&out, &len);
}
