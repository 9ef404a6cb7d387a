/* libFuzzer target for every payload decoder of p2p/msg.h. The first input
 * byte picks the decoder, the rest is the payload. Besides "never crash,
 * never leak", whatever a decoder accepts must re-encode to exactly the
 * payload it was given (one encoding per message), and a refusal must leave
 * the output empty and say why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p2p/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_bytes(struct buf *b, const uint8_t *p, size_t len)
{
	if (!buf_ok(b) || b->len != len || (len && memcmp(b->data, p, len) != 0))
		abort();
	buf_release(b);
}

static void refused(const void *out, size_t out_size, const char *err)
{
	const uint8_t *q = out;
	for (size_t i = 0; i < out_size; i++)
		if (q[i])
			abort();
	if (err[0] == '\0')
		abort();
}

static void fuzz_version(const uint8_t *p, size_t len, char *err)
{
	struct msg_version m;
	struct buf b = BUF_INIT;
	if (msg_version_decode(&m, p, len, err) != 0)
		return refused(&m, sizeof(m), err);
	if (msg_version_encode(&b, &m) != 0)
		abort();
	same_bytes(&b, p, len);
}

static void fuzz_ping(const uint8_t *p, size_t len, char *err)
{
	struct msg_ping m;
	struct buf b = BUF_INIT;
	if (msg_ping_decode(&m, p, len, err) != 0)
		return refused(&m, sizeof(m), err);
	if (msg_ping_encode(&b, &m) != 0)
		abort();
	same_bytes(&b, p, len);
}

static void fuzz_addr(const uint8_t *p, size_t len, char *err)
{
	struct msg_addr m;
	struct buf b = BUF_INIT;
	if (msg_addr_decode(&m, p, len, err) != 0)
		return refused(&m, sizeof(m), err);
	for (size_t i = 0; i < m.n; i++) {
		char text[NET_ADDR_TEXT_LEN];
		struct sockaddr_storage ss;
		struct net_addr back;
		net_addr_to_text(&m.addrs[i], text);
		(void)net_addr_is_routable(&m.addrs[i]);
		net_addr_to_sockaddr(&m.addrs[i], &ss);
		if (net_addr_from_sockaddr(&back, (struct sockaddr *)&ss, NULL) != 0 ||
		    !net_addr_equal(&back, &m.addrs[i]))
			abort();
		/* the text form parses back to the same address */
		if (net_addr_parse(&back, text, 0, NULL) != 0 || !net_addr_equal(&back, &m.addrs[i]))
			abort();
	}
	if (msg_addr_encode(&b, &m) != 0)
		abort();
	same_bytes(&b, p, len);
	msg_addr_release(&m);
}

static void fuzz_inv(const uint8_t *p, size_t len, char *err)
{
	struct msg_inv m;
	struct buf b = BUF_INIT;
	if (msg_inv_decode(&m, p, len, err) != 0)
		return refused(&m, sizeof(m), err);
	if (msg_inv_encode(&b, &m) != 0)
		abort();
	same_bytes(&b, p, len);
	msg_inv_release(&m);
}

static void fuzz_getheaders(const uint8_t *p, size_t len, char *err)
{
	static struct msg_getheaders m;
	struct buf b = BUF_INIT;
	if (msg_getheaders_decode(&m, p, len, err) != 0)
		return refused(&m, sizeof(m), err);
	if (msg_getheaders_encode(&b, &m) != 0)
		abort();
	same_bytes(&b, p, len);
}

static void fuzz_headers(const uint8_t *p, size_t len, char *err)
{
	struct msg_headers m;
	struct buf b = BUF_INIT;
	if (msg_headers_decode(&m, p, len, err) != 0)
		return refused(&m, sizeof(m), err);
	if (msg_headers_encode(&b, &m) != 0)
		abort();
	same_bytes(&b, p, len);
	msg_headers_release(&m);
}

static void fuzz_tx(const uint8_t *p, size_t len, char *err)
{
	struct tx tx;
	struct buf b = BUF_INIT;
	if (msg_tx_decode(&tx, p, len, err) != 0)
		return;
	tx_write(&b, &tx);
	same_bytes(&b, p, len);
	tx_release(&tx);
}

static void fuzz_block(const uint8_t *p, size_t len, char *err)
{
	struct block blk;
	struct buf b = BUF_INIT;
	if (msg_block_decode(&blk, p, len, err) != 0)
		return;
	block_write(&b, &blk);
	same_bytes(&b, p, len);
	block_release(&blk);
}

static void fuzz_empty(const uint8_t *p, size_t len, char *err)
{
	if ((msg_empty_decode(p, len, err) == 0) != (len == 0))
		abort();
}

static void fuzz_addr_text(const uint8_t *p, size_t len, char *err)
{
	char text[128], back[NET_ADDR_TEXT_LEN];
	struct net_addr a, again;
	if (len >= sizeof(text))
		len = sizeof(text) - 1;
	memcpy(text, p, len);
	text[len] = '\0';
	if (net_addr_parse(&a, text, 9733, err) != 0)
		return refused(&a, sizeof(a), err);
	net_addr_to_text(&a, back);
	if (net_addr_parse(&again, back, 1, NULL) != 0 || !net_addr_equal(&a, &again))
		abort();
}

typedef void (*fuzz_fn)(const uint8_t *p, size_t len, char *err);

static const fuzz_fn targets[] = {
	fuzz_version, fuzz_ping, fuzz_addr, fuzz_inv, fuzz_getheaders, fuzz_headers,
	fuzz_tx, fuzz_block, fuzz_empty, fuzz_addr_text,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERR_LEN] = "";
	if (size == 0)
		return 0;
	size_t n = sizeof(targets) / sizeof(targets[0]);
	targets[data[0] % n](data + 1, size - 1, err);
	return 0;
}
