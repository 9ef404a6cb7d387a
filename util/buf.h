/* The one growable writer for every serializer. Writes never fail on the
 * spot: running out of memory (or past SIZE_MAX) sets a sticky flag that
 * buf_ok() reports once the whole object is written. */
#ifndef CAIRN_UTIL_BUF_H
#define CAIRN_UTIL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool failed;
};

#define BUF_INIT { NULL, 0, 0, false }

void buf_init(struct buf *b);
/* Frees the bytes; safe on a released buffer. */
void buf_release(struct buf *b);
/* Empties the buffer but keeps its memory. */
void buf_reset(struct buf *b);
/* Makes room for n more bytes; false (and the sticky flag) on failure. */
bool buf_reserve(struct buf *b, size_t n);
void buf_put(struct buf *b, const void *p, size_t n);
void buf_u8(struct buf *b, uint8_t v);
void buf_u16(struct buf *b, uint16_t v);
void buf_u32(struct buf *b, uint32_t v);
void buf_u64(struct buf *b, uint64_t v);
void buf_i64(struct buf *b, int64_t v);
void buf_varint(struct buf *b, uint64_t v);
void buf_lenbytes(struct buf *b, const void *p, size_t n);
/* Moves the bytes to the caller (free() them); the buffer is left empty. */
uint8_t *buf_take(struct buf *b, size_t *len);

static inline bool buf_ok(const struct buf *b)
{
	return !b->failed;
}

/* Size in bytes of v as a varint. */
size_t buf_varint_size(uint64_t v);

#endif
