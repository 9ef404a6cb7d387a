/* libFuzzer target for header_read, the reader of the headers a peer sends
 * during sync (2,000 at a time). A read takes exactly BLOCK_HEADER_SIZE
 * (152) bytes and writes back the same; a refused read consumes nothing
 * and leaves a zeroed header. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/block.h"
#include "chain/hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_refused(const struct cursor *c, const struct block_header *h, const uint8_t *data,
			  size_t size)
{
	static const struct block_header zero;
	if (size >= BLOCK_HEADER_SIZE || c->p != data || c->len != size)
		abort();
	if (memcmp(h, &zero, sizeof(zero)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Read headers one after another, as a `headers` message holds them. */
	struct cursor c = cursor_make(data, size);
	for (;;) {
		struct block_header h;
		const uint8_t *at = c.p;
		size_t left = c.len;
		uint8_t raw[BLOCK_HEADER_SIZE], id[32], want[32];

		if (!header_read(&c, &h)) {
			check_refused(&c, &h, at, left);
			return 0;
		}
		if (c.p != at + BLOCK_HEADER_SIZE || c.len != left - BLOCK_HEADER_SIZE)
			abort();
		header_write(raw, &h);
		if (memcmp(raw, at, BLOCK_HEADER_SIZE) != 0)
			abort(); /* accepted bytes do not round-trip */
		header_hash(id, &h);
		hash_sha256d(want, at, BLOCK_HEADER_SIZE);
		if (memcmp(id, want, 32) != 0)
			abort();
	}
}
