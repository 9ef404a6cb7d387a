/* libFuzzer target for the records of chain/coin.c as the chainstate reads
 * them back from LevelDB: a coin (coin_read), an output (txout_read, also
 * the output reader of tx_parse) and an asset index entry
 * (asset_entry_read). A damaged database must be refused, never crash the
 * node. The first input byte picks the reader (modulo 3); the rest holds
 * the record (and, for the cursor readers, whatever follows it, as undo
 * data holds coins back to back).
 *
 * Besides "never crash, never leak": an accepted record writes back to
 * exactly the bytes it consumed (one encoding per record); an
 * accepted coin holds a value in money range (the store only keeps outputs
 * of valid transactions, and the input sums of validation rely on it); a
 * refusal leaves the output cleared and says why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/coin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_bytes(const struct buf *b, const uint8_t *data, size_t size)
{
	if (!buf_ok(b) || b->len != size || memcmp(b->data, data, size) != 0)
		abort(); /* accepted bytes do not round-trip */
}

static void fuzz_coin(const uint8_t *data, size_t size)
{
	static const struct coin zero;
	struct cursor c = cursor_make(data, size);
	struct coin coin;
	char err[ERR_LEN] = "";
	if (coin_read(&c, &coin, err) != 0) {
		if (memcmp(&coin, &zero, sizeof(zero)) != 0 || err[0] == '\0')
			abort();
		return;
	}
	if (!money_range(coin.out.value) || coin.out.meta_len > TX_META_MAX ||
	    (coin.out.meta_len > 0) != (coin.out.meta != NULL))
		abort();
	struct buf b = BUF_INIT;
	coin_write(&b, &coin);
	same_bytes(&b, data, size - c.len);
	buf_release(&b);

	struct coin copy;
	if (coin_copy(&copy, &coin) != 0)
		abort();
	b = (struct buf)BUF_INIT;
	coin_write(&b, &copy);
	same_bytes(&b, data, size - c.len);
	buf_release(&b);
	coin_release(&copy);
	coin_release(&coin);
}

static void fuzz_txout(const uint8_t *data, size_t size)
{
	static const struct txout zero;
	struct cursor c = cursor_make(data, size);
	struct txout o;
	char err[ERR_LEN] = "";
	if (txout_read(&c, &o, err) != 0) {
		if (memcmp(&o, &zero, sizeof(zero)) != 0 || err[0] == '\0')
			abort();
		return;
	}
	if (o.kind != TXOUT_COIN && o.kind != TXOUT_ASSET)
		abort();
	struct buf b = BUF_INIT;
	txout_write(&b, &o);
	same_bytes(&b, data, size - c.len);
	buf_release(&b);
	free(o.meta);
}

static void fuzz_asset_entry(const uint8_t *data, size_t size)
{
	static const struct asset_entry zero;
	struct asset_entry e;
	uint8_t back[ASSET_ENTRY_SIZE];
	if (!asset_entry_read(&e, data, size)) {
		if (size == ASSET_ENTRY_SIZE || memcmp(&e, &zero, sizeof(zero)) != 0)
			abort();
		return;
	}
	if (size != ASSET_ENTRY_SIZE)
		abort();
	asset_entry_write(back, &e);
	if (memcmp(back, data, size) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_coin(data + 1, size - 1);
		break;
	case 1:
		fuzz_txout(data + 1, size - 1);
		break;
	default:
		fuzz_asset_entry(data + 1, size - 1);
		break;
	}
	return 0;
}
