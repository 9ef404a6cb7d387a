/* The one bounds-checked reader for every deserializer. Each read returns
 * false without advancing when the bytes are not there (or a value breaks
 * its cap) and then leaves its output zeroed; callers must check. */
#ifndef CAIRN_UTIL_CURSOR_H
#define CAIRN_UTIL_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct cursor {
	const uint8_t *p;
	size_t len;
};

static inline struct cursor cursor_make(const uint8_t *p, size_t len)
{
	struct cursor c = { p, len };
	return c;
}

bool cursor_u8(struct cursor *c, uint8_t *out) WUR;
bool cursor_u16(struct cursor *c, uint16_t *out) WUR;
bool cursor_u32(struct cursor *c, uint32_t *out) WUR;
bool cursor_u64(struct cursor *c, uint64_t *out) WUR;
bool cursor_i64(struct cursor *c, int64_t *out) WUR;
/* Bitcoin's CompactSize; refuses non-canonical encodings and values > max. */
bool cursor_varint(struct cursor *c, uint64_t *out, uint64_t max) WUR;
/* Copies exactly len bytes into out. */
bool cursor_bytes(struct cursor *c, void *out, size_t len) WUR;
/* Points *out at the next len bytes without copying. */
bool cursor_view(struct cursor *c, const uint8_t **out, size_t len) WUR;
/* A varint length (at most max) followed by that many bytes, copied into
 * out (which holds at least max bytes); *len receives the length. */
bool cursor_lenbytes(struct cursor *c, void *out, size_t *len, size_t max) WUR;
bool cursor_skip(struct cursor *c, size_t len) WUR;

static inline bool cursor_done(const struct cursor *c)
{
	return c->len == 0;
}

#endif
