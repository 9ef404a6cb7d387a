#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void buf_release(struct buf *b)
{
	if (!b)
		return;
	free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = false;
}

bool buf_reserve(struct buf *b, size_t n)
{
	if (b->failed)
		return false;
	if (n <= b->cap - b->len)
		return true;
	if (n > SIZE_MAX / 2 - b->len) {
		b->failed = true;
		return false;
	}
	size_t cap = b->cap ? b->cap : 64;
	while (cap - b->len < n)
		cap *= 2;
	uint8_t *p = realloc(b->data, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void buf_put(struct buf *b, const void *p, size_t n)
{
	if (n == 0 || !buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put_le(struct buf *b, uint64_t v, size_t n)
{
	uint8_t tmp[8];
	for (size_t i = 0; i < n; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	buf_put(b, tmp, n);
}

void buf_u8(struct buf *b, uint8_t v) { put_le(b, v, 1); }
void buf_u16(struct buf *b, uint16_t v) { put_le(b, v, 2); }
void buf_u32(struct buf *b, uint32_t v) { put_le(b, v, 4); }
void buf_u64(struct buf *b, uint64_t v) { put_le(b, v, 8); }
void buf_i64(struct buf *b, int64_t v) { put_le(b, (uint64_t)v, 8); }

void buf_varint(struct buf *b, uint64_t v)
{
	if (v < 0xfd) {
		put_le(b, v, 1);
	} else if (v <= 0xffff) {
		put_le(b, 0xfd, 1);
		put_le(b, v, 2);
	} else if (v <= 0xffffffffULL) {
		put_le(b, 0xfe, 1);
		put_le(b, v, 4);
	} else {
		put_le(b, 0xff, 1);
		put_le(b, v, 8);
	}
}

void buf_lenbytes(struct buf *b, const void *p, size_t n)
{
	buf_varint(b, n);
	buf_put(b, p, n);
}

uint8_t *buf_take(struct buf *b, size_t *len)
{
	uint8_t *p = b->data;
	*len = b->len;
	buf_init(b);
	return p;
}

size_t buf_varint_size(uint64_t v)
{
	return v < 0xfd ? 1 : v <= 0xffff ? 3 : v <= 0xffffffffULL ? 5 : 9;
}
