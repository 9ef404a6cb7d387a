#include "chain/tx.h"

#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"

void tx_init(struct tx *tx)
{
	memset(tx, 0, sizeof(*tx));
	tx->version = 1;
}

void tx_release(struct tx *tx)
{
	if (!tx)
		return;
	for (size_t i = 0; i < tx->n_out && tx->out; i++)
		free(tx->out[i].meta);
	free(tx->in);
	free(tx->out);
	tx_init(tx);
}

int tx_resize(struct tx *tx, size_t n_in, size_t n_out)
{
	if (n_in > TX_MAX_INPUTS || n_out > TX_MAX_OUTPUTS)
		return -1;
	for (size_t i = n_out; i < tx->n_out; i++) {
		free(tx->out[i].meta);
		tx->out[i].meta = NULL;
		tx->out[i].meta_len = 0;
	}
	struct txin *in = realloc(tx->in, (n_in ? n_in : 1) * sizeof(*in));
	if (!in)
		return -1;
	tx->in = in;
	if (n_in > tx->n_in)
		memset(in + tx->n_in, 0, (n_in - tx->n_in) * sizeof(*in));
	tx->n_in = n_in;
	struct txout *out = realloc(tx->out, (n_out ? n_out : 1) * sizeof(*out));
	if (!out) {
		tx->n_out = n_out < tx->n_out ? n_out : tx->n_out;
		return -1;
	}
	tx->out = out;
	if (n_out > tx->n_out)
		memset(out + tx->n_out, 0, (n_out - tx->n_out) * sizeof(*out));
	tx->n_out = n_out;
	return 0;
}

int txout_set_meta(struct txout *o, const uint8_t *meta, size_t len)
{
	if (len > TX_META_MAX)
		return -1;
	uint8_t *p = NULL;
	if (len && !(p = malloc(len)))
		return -1;
	if (len)
		memcpy(p, meta, len);
	free(o->meta);
	o->meta = p;
	o->meta_len = (uint16_t)len;
	return 0;
}

int tx_copy(struct tx *dst, const struct tx *src)
{
	tx_init(dst);
	if (tx_resize(dst, src->n_in, src->n_out) != 0)
		goto fail;
	if (src->n_in)
		memcpy(dst->in, src->in, src->n_in * sizeof(*src->in));
	for (size_t i = 0; i < src->n_out; i++) {
		dst->out[i] = src->out[i];
		dst->out[i].meta = NULL;
		dst->out[i].meta_len = 0;
		if (txout_set_meta(&dst->out[i], src->out[i].meta, src->out[i].meta_len) != 0)
			goto fail;
	}
	dst->version = src->version;
	dst->lock_time = src->lock_time;
	memcpy(dst->txid, src->txid, 32);
	dst->size = src->size;
	return 0;
fail:
	tx_release(dst);
	return -1;
}

void txout_write(struct buf *b, const struct txout *o)
{
	buf_i64(b, o->value);
	buf_put(b, o->addr, 20);
	buf_u8(b, o->kind);
	if (o->kind == TXOUT_ASSET) {
		buf_put(b, o->asset, 32);
		buf_lenbytes(b, o->meta, o->meta_len);
	}
}

static int read_txout(struct cursor *c, struct txout *o, char *err)
{
	uint8_t meta[TX_META_MAX];
	size_t len;
	if (!cursor_i64(c, &o->value) || !cursor_bytes(c, o->addr, 20) || !cursor_u8(c, &o->kind))
		return err_set(err, "truncated output");
	if (o->kind == TXOUT_COIN)
		return 0;
	if (o->kind != TXOUT_ASSET)
		return err_set(err, "unknown output kind %u", o->kind);
	if (!cursor_bytes(c, o->asset, 32))
		return err_set(err, "truncated asset id");
	if (!cursor_lenbytes(c, meta, &len, TX_META_MAX))
		return err_set(err, "asset metadata truncated or over %d bytes", TX_META_MAX);
	if (txout_set_meta(o, meta, len) != 0)
		return err_set(err, "out of memory");
	return 0;
}

/* A refused output is left cleared, not half read: the callers release
 * what they read and a half-read value must never pass for a real one. */
int txout_read(struct cursor *c, struct txout *o, char *err)
{
	memset(o, 0, sizeof(*o));
	if (read_txout(c, o, err) != 0) {
		memset(o, 0, sizeof(*o));
		return -1;
	}
	return 0;
}

static void write_body(struct buf *b, const struct tx *tx, bool zero_sigs)
{
	static const uint8_t zero[64];
	buf_u32(b, tx->version);
	buf_varint(b, tx->n_in);
	for (size_t i = 0; i < tx->n_in; i++) {
		const struct txin *in = &tx->in[i];
		buf_put(b, in->prev.txid, 32);
		buf_u32(b, in->prev.index);
		buf_put(b, in->pubkey, 32);
		buf_put(b, zero_sigs ? zero : in->sig, 64);
	}
	buf_varint(b, tx->n_out);
	for (size_t i = 0; i < tx->n_out; i++)
		txout_write(b, &tx->out[i]);
	buf_u32(b, tx->lock_time);
}

void tx_write(struct buf *b, const struct tx *tx)
{
	write_body(b, tx, false);
}

static int read_body(struct cursor *c, struct tx *tx, char *err)
{
	uint64_t n_in, n_out;
	if (!cursor_u32(c, &tx->version))
		return err_set(err, "truncated transaction version");
	/* Each input takes 132 bytes: a count the remaining bytes cannot hold is
	 * refused before anything is allocated. */
	if (!cursor_varint(c, &n_in, TX_MAX_INPUTS) || n_in * TX_INPUT_SIZE > c->len)
		return err_set(err, "bad input count");
	if (tx_resize(tx, (size_t)n_in, 0) != 0)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < n_in; i++) {
		struct txin *in = &tx->in[i];
		if (!cursor_bytes(c, in->prev.txid, 32) || !cursor_u32(c, &in->prev.index) ||
		    !cursor_bytes(c, in->pubkey, 32) || !cursor_bytes(c, in->sig, 64))
			return err_set(err, "truncated input");
	}
	if (!cursor_varint(c, &n_out, TX_MAX_OUTPUTS) || n_out * 29 > c->len)
		return err_set(err, "bad output count");
	if (tx_resize(tx, (size_t)n_in, (size_t)n_out) != 0)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < n_out; i++)
		if (txout_read(c, &tx->out[i], err) != 0)
			return -1;
	if (!cursor_u32(c, &tx->lock_time))
		return err_set(err, "truncated lock time");
	return 0;
}

int tx_read(struct cursor *c, struct tx *tx, char *err)
{
	const uint8_t *start = c->p;
	tx_init(tx);
	if (read_body(c, tx, err) != 0) {
		tx_release(tx);
		return -1;
	}
	tx->size = (size_t)(c->p - start);
	hash_sha256d(tx->txid, start, tx->size);
	return 0;
}

int tx_parse(struct tx *tx, const uint8_t *p, size_t len, char *err)
{
	struct cursor c = cursor_make(p, len);
	if (tx_read(&c, tx, err) != 0)
		return -1;
	if (!cursor_done(&c)) {
		tx_release(tx);
		return err_set(err, "%zu trailing bytes after transaction", c.len);
	}
	return 0;
}

void tx_finalize(struct tx *tx)
{
	struct buf b = BUF_INIT;
	tx_write(&b, tx);
	if (!buf_ok(&b))
		abort(); /* a transaction in memory always fits */
	hash_sha256d(tx->txid, b.data, b.len);
	tx->size = b.len;
	buf_release(&b);
}

size_t tx_serialized_size(const struct tx *tx)
{
	size_t n = 4 + buf_varint_size(tx->n_in) + tx->n_in * TX_INPUT_SIZE + buf_varint_size(tx->n_out) + 4;
	for (size_t i = 0; i < tx->n_out; i++) {
		n += 29;
		if (tx->out[i].kind == TXOUT_ASSET)
			n += 32 + buf_varint_size(tx->out[i].meta_len) + tx->out[i].meta_len;
	}
	return n;
}

bool outpoint_is_null(const struct outpoint *op)
{
	static const uint8_t zero[32];
	return memcmp(op->txid, zero, 32) == 0;
}

bool tx_is_coinbase(const struct tx *tx)
{
	return tx->n_in == 1 && outpoint_is_null(&tx->in[0].prev);
}

void tx_sighash(uint8_t out[32], const struct tx *tx, const uint8_t magic[4])
{
	struct buf b = BUF_INIT;
	buf_put(&b, magic, 4);
	write_body(&b, tx, true);
	if (!buf_ok(&b))
		abort();
	hash_sha256d(out, b.data, b.len);
	buf_release(&b);
}

void outpoint_write(uint8_t out[36], const struct outpoint *op)
{
	memcpy(out, op->txid, 32);
	for (int i = 0; i < 4; i++)
		out[32 + i] = (uint8_t)(op->index >> (8 * i));
}

void tx_pubkey_hash(uint8_t out[20], const uint8_t pubkey[32])
{
	uint8_t h[32];
	hash_sha256(h, pubkey, 32);
	memcpy(out, h, 20);
}
