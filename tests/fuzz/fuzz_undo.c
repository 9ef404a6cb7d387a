/* libFuzzer target for a block's undo data (the coins it spent, in spending
 * order), which the chainstate reads back from LevelDB when it disconnects
 * the block in a reorganisation; a damaged record must be refused, never
 * crash the node. The reader is static in chain/connect.c, so the harness
 * goes through the public path, disconnect_block, on one store in a
 * temporary folder kept for the whole run.
 *
 * Input: a flags byte (bits 0-1: how many transactions after the coinbase,
 * bit 2: the store holds an asset entry, bit 3: each transaction creates an
 * output of that asset), then one byte per transaction (its input count,
 * 1 to 4), then with bit 2 the 76-byte asset entry, then the undo record.
 *
 * Besides "never crash, never leak": the answer is 0, or -1 with a reason;
 * and 0 only when the record holds exactly one well-formed coin per input
 * of the transactions after the coinbase. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/connect.h"
#include "chain/dbkeys.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static struct store *st;
static const uint8_t asset_id[32] = { 0xa5, 0xa5, 0xa5, 0xa5 };

static int remove_one(const char *p, const struct stat *s, int flag, struct FTW *ftw)
{
	(void)s;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void shut_down(void)
{
	store_close(st);
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[ERR_LEN] = "";
	snprintf(dir, sizeof(dir), "%s/cairn-fuzz-undo-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir) || !(st = store_open(dir, 1 << 20, err)))
		abort();
	atexit(shut_down);
	return 0;
}

/* A block of a coinbase and n transactions with the given input counts;
 * none of it needs to be valid, disconnecting checks none of it. */
static void make_block(struct block *b, size_t n, const uint8_t *n_in, bool asset_out)
{
	block_init(b);
	if (block_resize(b, n + 1) != 0 || tx_resize(&b->txs[0], 1, 1) != 0)
		abort();
	b->txs[0].in[0].prev.index = 7;
	for (size_t i = 1; i <= n; i++) {
		struct tx *tx = &b->txs[i];
		if (tx_resize(tx, n_in[i - 1] % 4 + 1, 2) != 0)
			abort();
		for (size_t k = 0; k < tx->n_in; k++) {
			memcpy(tx->in[k].prev.txid, asset_id, 32);
			tx->in[k].prev.txid[31] = (uint8_t)(16 * i + k);
		}
		tx->out[0].value = (int64_t)i;
		if (asset_out) {
			tx->out[1].kind = TXOUT_ASSET;
			memcpy(tx->out[1].asset, asset_id, 32);
		}
	}
	for (size_t i = 0; i <= n; i++)
		tx_finalize(&b->txs[i]);
	block_finalize(b);
}

static void put_records(const struct block_index *bi, const uint8_t *entry, const uint8_t *undo, size_t len)
{
	char err[ERR_LEN] = "";
	struct store_batch *batch = store_batch_new();
	struct dbkey ku = dbkey_hash(DB_UNDO, bi->hash), ka = dbkey_hash(DB_ASSET, asset_id);
	if (!batch)
		abort();
	store_batch_put(batch, ku.b, ku.len, undo, len);
	if (entry)
		store_batch_put(batch, ka.b, ka.len, entry, ASSET_ENTRY_SIZE);
	else
		store_batch_del(batch, ka.b, ka.len);
	if (store_write(st, batch, false, err) != 0)
		abort();
	store_batch_free(batch);
}

/* Whether the record is exactly want well-formed coins. */
static bool well_formed(const uint8_t *p, size_t len, size_t want)
{
	struct cursor c = cursor_make(p, len);
	for (size_t i = 0; i < want; i++) {
		struct coin coin;
		if (coin_read(&c, &coin, NULL) != 0)
			return false;
		coin_release(&coin);
	}
	return cursor_done(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = data[0] & 3, want = 0;
	bool has_entry = data[0] & 4, asset_out = data[0] & 8;
	if (size < 1 + n + (has_entry ? ASSET_ENTRY_SIZE : 0))
		return 0;
	const uint8_t *n_in = data + 1, *entry = has_entry ? data + 1 + n : NULL;
	const uint8_t *undo = data + 1 + n + (has_entry ? ASSET_ENTRY_SIZE : 0);
	size_t len = size - (size_t)(undo - data);

	struct block b;
	struct block_index bi;
	memset(&bi, 0, sizeof(bi));
	make_block(&b, n, n_in, asset_out);
	memcpy(bi.hash, b.hash, 32);
	bi.header = b.header;
	bi.height = 1000;
	for (size_t i = 1; i <= n; i++)
		want += b.txs[i].n_in;
	put_records(&bi, entry, undo, len);

	char err[ERR_LEN] = "";
	struct store_batch *batch = store_batch_new();
	if (!batch)
		abort();
	int r = disconnect_block(st, &b, &bi, batch, NULL, err);
	if (r != 0 && (r != -1 || err[0] == '\0'))
		abort();
	if (r == 0 && !well_formed(undo, len, want))
		abort();
	store_batch_free(batch);
	block_release(&b);
	return 0;
}
