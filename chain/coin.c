#include "chain/coin.h"

#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"

void coin_init(struct coin *c)
{
	memset(c, 0, sizeof(*c));
}

void coin_release(struct coin *c)
{
	if (!c)
		return;
	free(c->out.meta);
	coin_init(c);
}

int coin_copy(struct coin *dst, const struct coin *src)
{
	*dst = *src;
	dst->out.meta = NULL;
	dst->out.meta_len = 0;
	return txout_set_meta(&dst->out, src->out.meta, src->out.meta_len);
}

int coin_from_tx(struct coin *c, const struct tx *tx, uint32_t index, uint32_t height)
{
	coin_init(c);
	struct coin tmp = { .out = tx->out[index], .height = height, .coinbase = tx_is_coinbase(tx) };
	return coin_copy(c, &tmp);
}

void coin_write(struct buf *b, const struct coin *c)
{
	buf_u32(b, c->height);
	buf_u8(b, c->coinbase ? 1 : 0);
	txout_write(b, &c->out);
}

int coin_read(struct cursor *cur, struct coin *c, char *err)
{
	uint8_t cb;
	coin_init(c);
	if (!cursor_u32(cur, &c->height) || !cursor_u8(cur, &cb) || cb > 1) {
		coin_init(c);
		return err_set(err, "truncated or malformed coin");
	}
	c->coinbase = cb;
	if (txout_read(cur, &c->out, err) != 0) {
		coin_init(c);
		return -1;
	}
	/* The store holds outputs of valid transactions only; validation adds
	 * input values up trusting that each is in range. */
	if (!money_range(c->out.value)) {
		coin_release(c);
		return err_set(err, "coin value out of range");
	}
	return 0;
}

void asset_entry_write(uint8_t out[ASSET_ENTRY_SIZE], const struct asset_entry *e)
{
	outpoint_write(out, &e->reg);
	outpoint_write(out + 36, &e->cur);
	for (int i = 0; i < 4; i++)
		out[72 + i] = (uint8_t)(e->transfers >> (8 * i));
	memcpy(out + 76, e->owner, 20);
}

void asset_state_record(uint8_t out[ASSET_STATE_SIZE], const struct asset_entry *e)
{
	outpoint_write(out, &e->reg);
	outpoint_write(out + 36, &e->cur);
	memcpy(out + 72, e->owner, 20);
}

void asset_state_hash(uint8_t out[32], const struct asset_entry *e)
{
	uint8_t rec[ASSET_STATE_SIZE];
	asset_state_record(rec, e);
	hash_sha256(out, rec, sizeof(rec));
}

bool asset_entry_read(struct asset_entry *e, const uint8_t *p, size_t len)
{
	struct cursor c = cursor_make(p, len);
	memset(e, 0, sizeof(*e));
	return len == ASSET_ENTRY_SIZE && cursor_bytes(&c, e->reg.txid, 32) &&
	       cursor_u32(&c, &e->reg.index) && cursor_bytes(&c, e->cur.txid, 32) &&
	       cursor_u32(&c, &e->cur.index) && cursor_u32(&c, &e->transfers) &&
	       cursor_bytes(&c, e->owner, 20);
}
