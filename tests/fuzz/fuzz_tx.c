/* libFuzzer target for tx_parse, the reader of every transaction a peer or
 * an RPC caller sends. Besides "never crash, never leak", it holds the
 * parser to its own invariant: whatever it accepts re-serializes to exactly
 * the bytes it was given (one encoding per transaction, so one txid). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"
#include "chain/tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct tx *tx, const uint8_t *data, size_t size)
{
	struct buf b = BUF_INIT;
	uint8_t id[32], sighash[32];
	static const uint8_t magic[4] = { 0xc4, 0x1a, 0x12, 0x4e };

	tx_write(&b, tx);
	if (!buf_ok(&b) || b.len != size || memcmp(b.data, data, size) != 0)
		abort(); /* accepted bytes do not round-trip */
	if (tx->size != size || tx_serialized_size(tx) != size)
		abort();
	hash_sha256d(id, data, size);
	if (memcmp(id, tx->txid, 32) != 0)
		abort();
	buf_release(&b);

	struct tx copy;
	if (tx_copy(&copy, tx) != 0)
		abort();
	tx_finalize(&copy);
	if (memcmp(copy.txid, tx->txid, 32) != 0 || copy.size != size)
		abort();
	tx_release(&copy);
	tx_sighash(sighash, tx, magic);
	(void)tx_is_coinbase(tx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx tx;
	char err[ERR_LEN];

	if (tx_parse(&tx, data, size, err) != 0) {
		/* a refusal leaves nothing behind and always says why */
		if (tx.in || tx.out || tx.n_in || tx.n_out || err[0] == '\0')
			abort();
		return 0;
	}
	check_accepted(&tx, data, size);
	tx_release(&tx);
	return 0;
}
