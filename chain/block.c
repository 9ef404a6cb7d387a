#include "chain/block.h"

#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"
#include "chain/merkle.h"
#include "util/grow.h"

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void header_write(uint8_t out[BLOCK_HEADER_SIZE], const struct block_header *h)
{
	put_le(out, h->version, 4);
	memcpy(out + 4, h->prev, 32);
	memcpy(out + 36, h->merkle, 32);
	memcpy(out + 68, h->history, 32);
	memcpy(out + 100, h->assets, 32);
	put_le(out + 132, h->time, 8);
	put_le(out + 140, h->bits, 4);
	put_le(out + 144, h->nonce, 8);
}

bool header_read(struct cursor *c, struct block_header *h)
{
	memset(h, 0, sizeof(*h));
	if (c->len < BLOCK_HEADER_SIZE)
		return false;
	return cursor_u32(c, &h->version) && cursor_bytes(c, h->prev, 32) &&
	       cursor_bytes(c, h->merkle, 32) && cursor_bytes(c, h->history, 32) &&
	       cursor_bytes(c, h->assets, 32) && cursor_u64(c, &h->time) &&
	       cursor_u32(c, &h->bits) && cursor_u64(c, &h->nonce);
}

void header_hash(uint8_t out[32], const struct block_header *h)
{
	uint8_t raw[BLOCK_HEADER_SIZE];
	header_write(raw, h);
	hash_sha256d(out, raw, sizeof(raw));
}

void block_init(struct block *b)
{
	memset(b, 0, sizeof(*b));
}

void block_release(struct block *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_tx; i++)
		tx_release(&b->txs[i]);
	free(b->txs);
	block_init(b);
}

int block_resize(struct block *b, size_t n)
{
	if (n > BLOCK_MAX_TXS)
		return -1;
	for (size_t i = n; i < b->n_tx; i++)
		tx_release(&b->txs[i]);
	struct tx *txs = realloc(b->txs, (n ? n : 1) * sizeof(*txs));
	if (!txs) {
		if (n < b->n_tx)
			b->n_tx = n;
		return -1;
	}
	for (size_t i = b->n_tx; i < n; i++)
		tx_init(&txs[i]);
	b->txs = txs;
	b->n_tx = n;
	return 0;
}

void block_write(struct buf *out, const struct block *b)
{
	uint8_t raw[BLOCK_HEADER_SIZE];
	header_write(raw, &b->header);
	buf_put(out, raw, sizeof(raw));
	buf_varint(out, b->n_tx);
	for (size_t i = 0; i < b->n_tx; i++)
		tx_write(out, &b->txs[i]);
}

static int parse_txs(struct cursor *c, struct block *b, char *err)
{
	uint64_t n;
	char why[ERR_LEN];
	if (!cursor_varint(c, &n, BLOCK_MAX_TXS) || n * 39 > c->len)
		return err_set(err, "bad transaction count");
	/* Grow as transactions arrive rather than trusting the count. */
	size_t cap = 0;
	for (size_t i = 0; i < n; i++) {
		if (grow_array(&b->txs, &cap, i + 1, sizeof(*b->txs), 16, (size_t)n) != 0)
			return err_set(err, "out of memory");
		if (tx_read(c, &b->txs[i], why) != 0)
			return err_set(err, "transaction %zu: %s", i, why);
		b->n_tx = i + 1;
	}
	return 0;
}

int block_parse(struct block *b, const uint8_t *p, size_t len, char *err)
{
	block_init(b);
	if (len > BLOCK_MAX_SIZE)
		return err_set(err, "block of %zu bytes is over %d", len, BLOCK_MAX_SIZE);
	struct cursor c = cursor_make(p, len);
	if (!header_read(&c, &b->header))
		return err_set(err, "truncated block header");
	if (parse_txs(&c, b, err) != 0)
		goto fail;
	if (!cursor_done(&c)) {
		err_set(err, "%zu trailing bytes after block", c.len);
		goto fail;
	}
	header_hash(b->hash, &b->header);
	b->size = len;
	return 0;
fail:
	block_release(b);
	return -1;
}

void block_merkle_root(uint8_t out[32], const struct block *b)
{
	uint8_t (*ids)[32] = malloc((b->n_tx ? b->n_tx : 1) * 32);
	if (!ids)
		abort();
	for (size_t i = 0; i < b->n_tx; i++)
		memcpy(ids[i], b->txs[i].txid, 32);
	merkle_root(out, (const uint8_t (*)[32])ids, b->n_tx);
	free(ids);
}

void block_finalize(struct block *b)
{
	size_t size = BLOCK_HEADER_SIZE + buf_varint_size(b->n_tx);
	for (size_t i = 0; i < b->n_tx; i++)
		size += b->txs[i].size;
	block_merkle_root(b->header.merkle, b);
	header_hash(b->hash, &b->header);
	b->size = size;
}
