/* libFuzzer target for the compact block decoders of p2p/cblock.h and the
 * rebuilding of p2p/partial.h. The first input byte picks the decoder, the
 * rest is the payload. What a decoder accepts must re-encode to exactly
 * the payload (one encoding per message); an accepted cmpctblock is laid
 * out for rebuilding against its own prefilled transactions as the
 * mempool, and what it then lacks must be exactly what getblocktxn asks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p2p/cblock.h"
#include "p2p/partial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_bytes(struct buf *b, const uint8_t *p, size_t len)
{
	if (!buf_ok(b) || b->len != len || (len && memcmp(b->data, p, len) != 0))
		abort();
	buf_release(b);
}

static const struct tx *prefilled_next(void *ctx, size_t *it)
{
	const struct cblock *c = ctx;
	return *it < c->n_pre ? &c->pre[(*it)++].tx : NULL;
}

static void rebuild(const struct cblock *c)
{
	struct partial pb;
	struct cblock_request r;
	if (partial_init(&pb, c, prefilled_next, (void *)c) != PARTIAL_OK)
		return;
	if (pb.n != c->n_ids + c->n_pre || pb.missing > c->n_ids)
		abort();
	if (partial_request(&pb, &r) == 0) {
		if (r.n != pb.missing)
			abort();
		cblock_request_release(&r);
	}
	partial_release(&pb);
}

static void fuzz_cblock(const uint8_t *p, size_t len, char *err)
{
	struct cblock c;
	struct buf b = BUF_INIT;
	if (cblock_decode(&c, p, len, err) != 0) {
		if (c.ids || c.pre || err[0] == '\0')
			abort();
		return;
	}
	if (cblock_encode(&b, &c) != 0)
		abort();
	same_bytes(&b, p, len);
	rebuild(&c);
	cblock_release(&c);
}

static void fuzz_request(const uint8_t *p, size_t len, char *err)
{
	struct cblock_request r;
	struct buf b = BUF_INIT;
	if (cblock_request_decode(&r, p, len, err) != 0) {
		if (r.idx || err[0] == '\0')
			abort();
		return;
	}
	if (cblock_request_encode(&b, &r) != 0)
		abort();
	same_bytes(&b, p, len);
	cblock_request_release(&r);
}

static void fuzz_txns(const uint8_t *p, size_t len, char *err)
{
	struct cblock_txns t;
	struct buf b = BUF_INIT;
	if (cblock_txns_decode(&t, p, len, err) != 0) {
		if (t.txs || err[0] == '\0')
			abort();
		return;
	}
	if (cblock_txns_encode(&b, &t) != 0)
		abort();
	same_bytes(&b, p, len);
	cblock_txns_release(&t);
}

static void fuzz_sendcmpct(const uint8_t *p, size_t len, char *err)
{
	struct cblock_sendcmpct m;
	struct buf b = BUF_INIT;
	if (cblock_sendcmpct_decode(&m, p, len, err) != 0) {
		if (err[0] == '\0')
			abort();
		return;
	}
	if (cblock_sendcmpct_encode(&b, &m) != 0)
		abort();
	same_bytes(&b, p, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERR_LEN] = "";
	if (size == 0)
		return 0;
	void (*const fns[])(const uint8_t *, size_t, char *) = { fuzz_cblock, fuzz_request, fuzz_txns,
								  fuzz_sendcmpct };
	fns[data[0] % 4](data + 1, size - 1, err);
	return 0;
}
