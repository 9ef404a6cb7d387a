#include "chain/index.h"

#include <stdlib.h>
#include <string.h>

static uint32_t clear_lowest_bit(uint32_t n)
{
	return n & (n - 1);
}

/* The height a block at height h skips to: below h, and spread so that
 * walks from any height to any lower one take O(log h) jumps. */
static uint32_t skip_height(uint32_t h)
{
	if (h < 2)
		return 0;
	return (h & 1) ? clear_lowest_bit(clear_lowest_bit(h - 1)) + 1 : clear_lowest_bit(h);
}

void index_link_skip(struct block_index *b)
{
	b->skip = b->prev ? index_ancestor(b->prev, skip_height(b->height)) : NULL;
}

struct block_index *index_ancestor(struct block_index *b, uint32_t height)
{
	if (!b || height > b->height)
		return NULL;
	while (b && b->height > height) {
		uint32_t jump = skip_height(b->height), next_jump = skip_height(b->height - 1);
		/* take the skip unless it overshoots, or the parent's skip lands
		 * closer without overshooting */
		if (b->skip && (jump == height || (jump > height && !(next_jump + 2 < jump && next_jump >= height))))
			b = b->skip;
		else
			b = b->prev;
	}
	return b;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

uint64_t index_median_time(const struct block_index *b)
{
	uint64_t t[11];
	size_t n = 0;
	for (; b && n < 11; b = b->prev)
		t[n++] = b->header.time;
	if (n == 0)
		return 0;
	qsort(t, n, sizeof(t[0]), cmp_u64);
	return t[n / 2];
}

uint32_t index_next_bits(const struct block_index *prev, const struct chain_params *p)
{
	uint32_t height = prev->height + 1;
	uint64_t first = 0;
	if (!p->pow.no_retarget && height % p->pow.interval == 0) {
		const struct block_index *f = prev;
		while (f && f->height > height - p->pow.interval)
			f = f->prev;
		first = f ? f->header.time : 0;
	}
	return pow_next_bits(&p->pow, height, prev->header.bits, first, prev->header.time);
}

struct block_index *index_fork(struct block_index *a, struct block_index *b)
{
	if (!a || !b)
		return NULL;
	if (a->height > b->height)
		a = index_ancestor(a, b->height);
	else if (b->height > a->height)
		b = index_ancestor(b, a->height);
	while (a != b) {
		a = a->prev;
		b = b->prev;
	}
	return a;
}

bool index_failed(const struct block_index *b)
{
	return (b->status & BLOCK_FAILED_MASK) != 0;
}

void index_write(uint8_t out[BLOCK_INDEX_RECORD_SIZE], const struct block_index *b)
{
	struct buf w = BUF_INIT;
	uint8_t hdr[BLOCK_HEADER_SIZE], work[32];
	header_write(hdr, &b->header);
	u256_to_be(work, &b->work);
	buf_put(&w, hdr, sizeof(hdr));
	buf_u32(&w, b->height);
	buf_u32(&w, b->status);
	buf_u32(&w, b->n_tx);
	buf_put(&w, work, 32);
	buf_u64(&w, b->seq);
	buf_u64(&w, b->received);
	buf_u8(&w, b->source);
	buf_u32(&w, b->data_file);
	buf_u32(&w, b->data_pos);
	buf_u32(&w, b->data_len);
	buf_put(&w, b->source_peer, sizeof(b->source_peer));
	if (!buf_ok(&w) || w.len != BLOCK_INDEX_RECORD_SIZE)
		abort(); /* fixed-size record: a mismatch is our bug */
	memcpy(out, w.data, w.len);
	buf_release(&w);
}

int index_read(struct block_index *b, const uint8_t *p, size_t len, char *err)
{
	struct cursor c = cursor_make(p, len);
	uint8_t work[32];
	memset(b, 0, sizeof(*b));
	if (len != BLOCK_INDEX_RECORD_SIZE || !header_read(&c, &b->header) ||
	    !cursor_u32(&c, &b->height) || !cursor_u32(&c, &b->status) ||
	    !cursor_u32(&c, &b->n_tx) || !cursor_bytes(&c, work, 32) ||
	    !cursor_u64(&c, &b->seq) || !cursor_u64(&c, &b->received) ||
	    !cursor_u8(&c, &b->source) || !cursor_u32(&c, &b->data_file) ||
	    !cursor_u32(&c, &b->data_pos) || !cursor_u32(&c, &b->data_len) || !cursor_bytes(&c, b->source_peer, sizeof(b->source_peer)))
		return err_set(err, "malformed block index record of %zu bytes", len);
	b->source_peer[sizeof(b->source_peer) - 1] = '\0';
	u256_from_be(&b->work, work);
	header_hash(b->hash, &b->header);
	return 0;
}
