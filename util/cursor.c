#include "util/cursor.h"

#include <string.h>

static bool take(struct cursor *c, const uint8_t **p, size_t n)
{
	if (c->len < n)
		return false;
	*p = c->p;
	c->p += n;
	c->len -= n;
	return true;
}

static uint64_t le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = n; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

bool cursor_u8(struct cursor *c, uint8_t *out)
{
	const uint8_t *p;
	*out = 0;
	if (!take(c, &p, 1))
		return false;
	*out = p[0];
	return true;
}

bool cursor_u16(struct cursor *c, uint16_t *out)
{
	const uint8_t *p;
	*out = 0;
	if (!take(c, &p, 2))
		return false;
	*out = (uint16_t)le(p, 2);
	return true;
}

bool cursor_u32(struct cursor *c, uint32_t *out)
{
	const uint8_t *p;
	*out = 0;
	if (!take(c, &p, 4))
		return false;
	*out = (uint32_t)le(p, 4);
	return true;
}

bool cursor_u64(struct cursor *c, uint64_t *out)
{
	const uint8_t *p;
	*out = 0;
	if (!take(c, &p, 8))
		return false;
	*out = le(p, 8);
	return true;
}

bool cursor_i64(struct cursor *c, int64_t *out)
{
	uint64_t v;
	bool ok = cursor_u64(c, &v);
	*out = (int64_t)v;
	return ok;
}

bool cursor_varint(struct cursor *c, uint64_t *out, uint64_t max)
{
	struct cursor save = *c;
	uint8_t tag;
	uint64_t v = 0, min = 0;
	*out = 0;
	if (!cursor_u8(c, &tag))
		return false;
	if (tag < 0xfd) {
		v = tag;
	} else {
		const uint8_t *p;
		size_t n = tag == 0xfd ? 2 : tag == 0xfe ? 4 : 8;
		min = tag == 0xfd ? 0xfd : tag == 0xfe ? 0x10000 : 0x100000000ULL;
		if (!take(c, &p, n))
			goto fail;
		v = le(p, n);
		if (v < min)
			goto fail;
	}
	if (v > max)
		goto fail;
	*out = v;
	return true;
fail:
	*c = save;
	return false;
}

bool cursor_bytes(struct cursor *c, void *out, size_t len)
{
	const uint8_t *p;
	if (!take(c, &p, len)) {
		memset(out, 0, len);
		return false;
	}
	memcpy(out, p, len);
	return true;
}

bool cursor_view(struct cursor *c, const uint8_t **out, size_t len)
{
	*out = NULL;
	return take(c, out, len);
}

bool cursor_lenbytes(struct cursor *c, void *out, size_t *len, size_t max)
{
	struct cursor save = *c;
	uint64_t n;
	*len = 0;
	if (!cursor_varint(c, &n, max))
		return false;
	if (!cursor_bytes(c, out, (size_t)n)) {
		*c = save;
		return false;
	}
	*len = (size_t)n;
	return true;
}

bool cursor_skip(struct cursor *c, size_t len)
{
	const uint8_t *p;
	return take(c, &p, len);
}
