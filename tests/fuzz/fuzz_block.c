/* libFuzzer target for block_parse, the reader of every block that arrives
 * from a peer. Accepted bytes must re-serialize exactly (our own invariant:
 * one encoding per block), and the cached hash, size and txids must be
 * those of the bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/block.h"
#include "chain/hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct block *b, const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	uint8_t h[32], root[32];
	size_t off = BLOCK_HEADER_SIZE + buf_varint_size(b->n_tx);

	block_write(&out, b);
	if (!buf_ok(&out) || out.len != size || memcmp(out.data, data, size) != 0)
		abort(); /* accepted bytes do not round-trip */
	buf_release(&out);
	if (b->size != size || size > BLOCK_MAX_SIZE)
		abort();
	hash_sha256d(h, data, BLOCK_HEADER_SIZE);
	if (memcmp(h, b->hash, 32) != 0)
		abort();
	for (size_t i = 0; i < b->n_tx; i++) {
		const struct tx *tx = &b->txs[i];
		hash_sha256d(h, data + off, tx->size);
		if (memcmp(h, tx->txid, 32) != 0)
			abort();
		off += tx->size;
	}
	if (off != size)
		abort();
	block_merkle_root(root, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct block b;
	char err[ERR_LEN];

	if (block_parse(&b, data, size, err) != 0) {
		if (b.txs || b.n_tx || err[0] == '\0')
			abort();
		return 0;
	}
	check_accepted(&b, data, size);
	block_release(&b);
	return 0;
}
