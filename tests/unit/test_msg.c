/* Mesh messages: the frame header at its byte offsets and every refusal of
 * its decoder; each payload's round trip, its refusal of every truncated
 * prefix and of trailing bytes, its count caps on both sides of the limit;
 * and the numeric address helpers (text, sockaddr, ranges). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "chain/hash.h"
#include "chain/params.h"
#include "p2p/msg.h"
#include "p2p/netaddr.h"

static const uint8_t magic[4] = { 0xfa, 0xbf, 0xb5, 0xda };

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + 1);
}

/* A decoder under test: decodes, releases what it allocated, returns 0/-1. */
typedef int (*decode_fn)(const uint8_t *p, size_t len, char *err);

/* The whole payload decodes; every shorter prefix and the payload with one
 * byte more are refused, each with a reason. */
static void check_strict(decode_fn dec, const uint8_t *p, size_t len)
{
	char err[ERR_LEN];
	uint8_t *longer = malloc(len + 1);
	assert_non_null(longer);
	assert_int_equal(dec(p, len, err), 0);
	for (size_t n = 0; n < len; n++) {
		err[0] = '\0';
		assert_int_equal(dec(p, n, err), -1);
		assert_true(err[0] != '\0');
	}
	memcpy(longer, p, len);
	longer[len] = 0;
	err[0] = '\0';
	assert_int_equal(dec(longer, len + 1, err), -1);
	assert_non_null(strstr(err, "trailing"));
	free(longer);
}

/* ---- the frame header ---- */

static void test_header_layout(void **state)
{
	uint8_t hdr[MSG_HEADER_SIZE];
	uint8_t payload[3] = { 1, 2, 3 };
	uint8_t h[32];
	(void)state;

	/* verack: the empty payload's checksum is SHA-256d("") = 5df6e0e2... */
	assert_int_equal(msg_header_encode(hdr, magic, MSG_VERACK, NULL, 0), 0);
	static const uint8_t verack[24] = { 0xfa, 0xbf, 0xb5, 0xda, 'v', 'e', 'r', 'a', 'c', 'k',
					    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x5d, 0xf6, 0xe0, 0xe2 };
	assert_memory_equal(hdr, verack, 24);

	assert_int_equal(msg_header_encode(hdr, magic, "ping", payload, 3), 0);
	assert_int_equal(hdr[16], 3);
	assert_int_equal(hdr[17] | hdr[18] | hdr[19], 0);
	hash_sha256d(h, payload, 3);
	assert_memory_equal(hdr + 20, h, 4);

	struct msg_header d;
	char err[ERR_LEN];
	assert_int_equal(msg_header_decode(&d, hdr, magic, err), MSG_OK);
	assert_string_equal(d.command, "ping");
	assert_int_equal(d.len, 3);
	assert_memory_equal(d.magic, magic, 4);
	assert_int_equal(msg_payload_check(&d, payload, 3, err), MSG_OK);

	/* a twelve-character command fills the field without a NUL */
	assert_int_equal(msg_header_encode(hdr, magic, "abcdefghijkl", NULL, 0), 0);
	assert_int_equal(msg_header_decode(&d, hdr, magic, err), MSG_OK);
	assert_string_equal(d.command, "abcdefghijkl");
}

static void test_header_encode_refusals(void **state)
{
	uint8_t hdr[MSG_HEADER_SIZE];
	uint8_t zero[MSG_HEADER_SIZE] = { 0 };
	(void)state;
	assert_int_equal(msg_header_encode(hdr, magic, "abcdefghijklm", NULL, 0), -1);
	assert_memory_equal(hdr, zero, sizeof(zero));
	assert_int_equal(msg_header_encode(hdr, magic, "", NULL, 0), -1);
	assert_int_equal(msg_header_encode(hdr, magic, NULL, NULL, 0), -1);
	assert_int_equal(msg_header_encode(hdr, magic, "a b", NULL, 0), -1);
	assert_int_equal(msg_header_encode(hdr, magic, "a\x01", NULL, 0), -1);
	assert_int_equal(msg_header_encode(hdr, magic, "caf\xc3\xa9", NULL, 0), -1);
	assert_int_equal(msg_header_encode(hdr, magic, "tx", NULL, MSG_MAX_PAYLOAD + 1), -1);
}

static void put_len(uint8_t hdr[24], uint32_t len)
{
	for (int i = 0; i < 4; i++)
		hdr[16 + i] = (uint8_t)(len >> (8 * i));
}

static void test_header_decode_refusals(void **state)
{
	uint8_t good[MSG_HEADER_SIZE], bad[MSG_HEADER_SIZE];
	struct msg_header d;
	char err[ERR_LEN];
	(void)state;
	assert_int_equal(msg_header_encode(good, magic, "inv", NULL, 0), 0);

	const struct chain_params *main_net = params_get(NET_MAIN);
	assert_int_equal(msg_header_decode(&d, good, main_net->magic, err), MSG_BAD_MAGIC);
	assert_non_null(strstr(err, "magic"));
	assert_int_equal(d.len, 0);
	assert_int_equal(d.command[0], 0);

	static const char *const fields[] = {
		"\0\0\0\0\0\0\0\0\0\0\0\0", /* empty */
		"inv\0x\0\0\0\0\0\0\0",     /* not NUL-padded */
		"in v\0\0\0\0\0\0\0\0",     /* space */
		"in\x7fv\0\0\0\0\0\0\0\0",  /* DEL */
		"\x01nv\0\0\0\0\0\0\0\0\0", /* control */
		"inv\xff\0\0\0\0\0\0\0\0",  /* high bit */
		"inv\0\0\0\0\0\0\0\0\x01",  /* garbage in the last pad byte */
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		memcpy(bad, good, sizeof(bad));
		memcpy(bad + 4, fields[i], 12);
		assert_int_equal(msg_header_decode(&d, bad, magic, err), MSG_BAD_COMMAND);
	}

	memcpy(bad, good, sizeof(bad));
	put_len(bad, MSG_MAX_PAYLOAD);
	assert_int_equal(msg_header_decode(&d, bad, magic, err), MSG_OK);
	assert_int_equal(d.len, MSG_MAX_PAYLOAD);
	put_len(bad, MSG_MAX_PAYLOAD + 1);
	assert_int_equal(msg_header_decode(&d, bad, magic, err), MSG_OVERSIZE);
	put_len(bad, 0xffffffffu);
	assert_int_equal(msg_header_decode(&d, bad, magic, err), MSG_OVERSIZE);
}

static void test_payload_check(void **state)
{
	uint8_t hdr[MSG_HEADER_SIZE], payload[40];
	struct msg_header d;
	char err[ERR_LEN];
	(void)state;
	fill(payload, sizeof(payload), 3);
	assert_int_equal(msg_header_encode(hdr, magic, "block", payload, sizeof(payload)), 0);
	assert_int_equal(msg_header_decode(&d, hdr, magic, err), MSG_OK);
	assert_int_equal(msg_payload_check(&d, payload, sizeof(payload), err), MSG_OK);
	payload[17] ^= 1;
	assert_int_equal(msg_payload_check(&d, payload, sizeof(payload), err), MSG_BAD_CHECKSUM);
	assert_non_null(strstr(err, "checksum"));
	payload[17] ^= 1;
	assert_int_equal(msg_payload_check(&d, payload, sizeof(payload) - 1, err), MSG_BAD_CHECKSUM);
	d.checksum[0] ^= 0x80;
	assert_int_equal(msg_payload_check(&d, payload, sizeof(payload), err), MSG_BAD_CHECKSUM);
}

static void test_frame_encode(void **state)
{
	struct buf b = BUF_INIT;
	uint8_t payload[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };
	struct msg_header d;
	char err[ERR_LEN];
	(void)state;
	assert_int_equal(msg_frame_encode(&b, magic, MSG_PING, payload, 8), 0);
	assert_int_equal(b.len, MSG_HEADER_SIZE + 8);
	assert_int_equal(msg_header_decode(&d, b.data, magic, err), MSG_OK);
	assert_int_equal(msg_payload_check(&d, b.data + MSG_HEADER_SIZE, 8, err), MSG_OK);
	assert_int_equal(msg_frame_encode(&b, magic, "", payload, 8), -1);
	buf_release(&b);
}

static void test_commands(void **state)
{
	(void)state;
	static const char *const known[] = { "version", "verack", "ping", "pong", "getaddr",
					     "addr", "sendheaders", "inv", "getdata", "notfound",
					     "getheaders", "headers", "tx", "block", "sendcmpct",
					     "cmpctblock", "getblocktxn", "blocktxn" };
	assert_int_equal(sizeof(known) / sizeof(known[0]), MSG_N_COMMANDS);
	for (size_t i = 0; i < MSG_N_COMMANDS; i++) {
		assert_true(msg_command_known(known[i]));
		assert_true(msg_command_valid(known[i]));
		assert_string_equal(msg_command_name(msg_command_index(known[i])), known[i]);
	}
	assert_false(msg_command_known("reject"));
	assert_false(msg_command_known("Version"));
	assert_false(msg_command_known(NULL));
	assert_true(msg_command_valid("reject"));
	assert_int_equal(msg_command_index("reject"), MSG_N_COMMANDS);
	assert_string_equal(msg_command_name(MSG_N_COMMANDS), "*other*");
	assert_false(msg_command_valid(""));
	assert_false(msg_command_valid("abcdefghijklm"));
	assert_true(msg_command_valid("abcdefghijkl"));
}

/* ---- version ---- */

static void sample_version(struct msg_version *v)
{
	memset(v, 0, sizeof(*v));
	v->version = MSG_PROTOCOL_VERSION;
	v->services = MSG_NODE_NETWORK | 0x8000000000000000ULL;
	v->time = -5;
	v->addr_recv.services = 0x0102030405060708ULL;
	fill(v->addr_recv.ip, 16, 7);
	v->addr_recv.port = 0x2605; /* 9733 */
	v->nonce = 0xfedcba9876543210ULL;
	strcpy(v->user_agent, "/cairn:0.1.0/");
	v->height = 123456;
	v->relay = true;
}

static int dec_version(const uint8_t *p, size_t len, char *err)
{
	struct msg_version v;
	return msg_version_decode(&v, p, len, err);
}

static void test_version(void **state)
{
	struct msg_version v, d;
	struct buf b = BUF_INIT;
	char err[ERR_LEN];
	(void)state;
	sample_version(&v);
	assert_int_equal(msg_version_encode(&b, &v), 0);
	assert_int_equal(b.len, 4 + 8 + 8 + 26 + 8 + 1 + 13 + 4 + 1);
	/* the port inside addr_recv is big-endian, right after services and ip */
	assert_int_equal(b.data[20 + 24], 0x26);
	assert_int_equal(b.data[20 + 25], 0x05);
	assert_int_equal(msg_version_decode(&d, b.data, b.len, err), 0);
	assert_int_equal(d.version, v.version);
	assert_true(d.services == v.services);
	assert_true(d.time == -5);
	assert_true(d.addr_recv.services == v.addr_recv.services);
	assert_memory_equal(d.addr_recv.ip, v.addr_recv.ip, 16);
	assert_int_equal(d.addr_recv.port, 9733);
	assert_true(d.nonce == v.nonce);
	assert_string_equal(d.user_agent, "/cairn:0.1.0/");
	assert_int_equal(d.height, 123456);
	assert_true(d.relay);
	check_strict(dec_version, b.data, b.len);

	/* relay must be 0 or 1 */
	b.data[b.len - 1] = 2;
	assert_int_equal(msg_version_decode(&d, b.data, b.len, err), -1);
	assert_non_null(strstr(err, "relay"));
	assert_int_equal(d.version, 0);
	/* a control character in the user agent */
	b.data[b.len - 1] = 0;
	b.data[4 + 8 + 8 + 26 + 8 + 1] = '\n';
	assert_int_equal(msg_version_decode(&d, b.data, b.len, err), -1);
	assert_non_null(strstr(err, "user agent"));
	buf_release(&b);
}

static void test_version_user_agent_limit(void **state)
{
	struct msg_version v, d;
	struct buf b = BUF_INIT;
	char err[ERR_LEN];
	(void)state;
	sample_version(&v);
	memset(v.user_agent, 'a', MSG_MAX_USER_AGENT);
	v.user_agent[MSG_MAX_USER_AGENT] = '\0';
	assert_int_equal(msg_version_encode(&b, &v), 0);
	assert_int_equal(msg_version_decode(&d, b.data, b.len, err), 0);
	assert_int_equal(strlen(d.user_agent), MSG_MAX_USER_AGENT);

	/* 257 bytes: build it by hand, the encoder refuses it */
	struct buf big = BUF_INIT;
	uint8_t ua[MSG_MAX_USER_AGENT + 1];
	memset(ua, 'a', sizeof(ua));
	buf_put(&big, b.data, 4 + 8 + 8 + 26 + 8);
	buf_lenbytes(&big, ua, sizeof(ua));
	buf_u32(&big, 1);
	buf_u8(&big, 1);
	assert_int_equal(msg_version_decode(&d, big.data, big.len, err), -1);
	assert_non_null(strstr(err, "user agent"));
	buf_release(&big);
	buf_reset(&b);
	v.user_agent[0] = '\t';
	assert_int_equal(msg_version_encode(&b, &v), -1);
	buf_release(&b);
}

/* ---- empty payloads, ping/pong ---- */

static int dec_ping(const uint8_t *p, size_t len, char *err)
{
	struct msg_ping m;
	return msg_ping_decode(&m, p, len, err);
}

static void test_empty_and_ping(void **state)
{
	struct buf b = BUF_INIT;
	struct msg_ping m = { 0x1122334455667788ULL }, d;
	uint8_t one = 0;
	char err[ERR_LEN];
	(void)state;
	assert_int_equal(msg_empty_decode(NULL, 0, err), 0);
	assert_int_equal(msg_empty_decode(&one, 1, err), -1);
	assert_int_equal(msg_ping_encode(&b, &m), 0);
	assert_int_equal(b.len, 8);
	assert_int_equal(b.data[0], 0x88);
	assert_int_equal(msg_ping_decode(&d, b.data, b.len, err), 0);
	assert_true(d.nonce == m.nonce);
	check_strict(dec_ping, b.data, b.len);
	buf_release(&b);
}

/* ---- addr ---- */

static void make_addrs(struct msg_addr *m, size_t n)
{
	m->n = n;
	m->addrs = calloc(n ? n : 1, sizeof(*m->addrs));
	assert_non_null(m->addrs);
	for (size_t i = 0; i < n; i++) {
		struct net_addr *a = &m->addrs[i];
		if (i % 2) {
			uint8_t ip4[4] = { 1, 2, (uint8_t)(i >> 8), (uint8_t)i };
			net_addr_set_ipv4(a, ip4, (uint16_t)(9733 + i));
		} else {
			fill(a->ip, 16, (unsigned)i);
			a->port = (uint16_t)(1000 + i);
		}
		a->services = i * 3;
		a->time = (uint32_t)(1700000000u + i);
	}
}

static int dec_addr(const uint8_t *p, size_t len, char *err)
{
	struct msg_addr m;
	int r = msg_addr_decode(&m, p, len, err);
	if (r != 0 && (m.addrs || m.n))
		return 1; /* a refusal must leave nothing behind */
	msg_addr_release(&m);
	return r;
}

static void test_addr(void **state)
{
	struct msg_addr m, d;
	struct buf b = BUF_INIT;
	char err[ERR_LEN];
	(void)state;
	make_addrs(&m, 3);
	assert_int_equal(msg_addr_encode(&b, &m), 0);
	assert_int_equal(b.len, 1 + 3 * 30);
	/* entry 1: time LE at 1, services at 5, ip at 13, port BE at 29 */
	assert_int_equal(b.data[1 + 30 + 28], (9734 >> 8) & 0xff);
	assert_int_equal(b.data[1 + 30 + 29], 9734 & 0xff);
	assert_int_equal(msg_addr_decode(&d, b.data, b.len, err), 0);
	assert_int_equal(d.n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_memory_equal(d.addrs[i].ip, m.addrs[i].ip, 16);
		assert_int_equal(d.addrs[i].port, m.addrs[i].port);
		assert_true(d.addrs[i].services == m.addrs[i].services);
		assert_int_equal(d.addrs[i].time, m.addrs[i].time);
	}
	check_strict(dec_addr, b.data, b.len);
	msg_addr_release(&d);
	msg_addr_release(&d);
	msg_addr_release(&m);
	buf_release(&b);
}

static void test_addr_limit(void **state)
{
	struct msg_addr m, d;
	struct buf b = BUF_INIT;
	char err[ERR_LEN];
	(void)state;
	make_addrs(&m, MSG_MAX_ADDR + 1);
	m.n = MSG_MAX_ADDR;
	assert_int_equal(msg_addr_encode(&b, &m), 0);
	assert_int_equal(msg_addr_decode(&d, b.data, b.len, err), 0);
	assert_int_equal(d.n, MSG_MAX_ADDR);
	msg_addr_release(&d);

	m.n = MSG_MAX_ADDR + 1;
	buf_reset(&b);
	assert_int_equal(msg_addr_encode(&b, &m), -1);
	/* 1,001 whole entries written by hand */
	buf_reset(&b);
	buf_varint(&b, MSG_MAX_ADDR + 1);
	for (size_t i = 0; i < MSG_MAX_ADDR + 1; i++) {
		buf_u32(&b, m.addrs[i].time);
		buf_u64(&b, m.addrs[i].services);
		buf_put(&b, m.addrs[i].ip, 16);
		buf_u16(&b, m.addrs[i].port);
	}
	assert_int_equal(msg_addr_decode(&d, b.data, b.len, err), -1);
	assert_non_null(strstr(err, "over"));
	assert_null(d.addrs);
	/* a huge count announced in a few bytes */
	uint8_t huge[] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 1, 2, 3 };
	assert_int_equal(msg_addr_decode(&d, huge, sizeof(huge), err), -1);
	/* a non-canonical count */
	uint8_t noncanon[] = { 0xfd, 0x00, 0x00 };
	assert_int_equal(msg_addr_decode(&d, noncanon, sizeof(noncanon), err), -1);
	msg_addr_release(&m);
	buf_release(&b);
}

/* ---- inv, getdata, notfound ---- */

static int dec_inv(const uint8_t *p, size_t len, char *err)
{
	struct msg_inv m;
	int r = msg_inv_decode(&m, p, len, err);
	if (r != 0 && (m.items || m.n))
		return 1;
	msg_inv_release(&m);
	return r;
}

static void make_inv(struct msg_inv *m, size_t n)
{
	m->n = n;
	m->items = calloc(n ? n : 1, sizeof(*m->items));
	assert_non_null(m->items);
	for (size_t i = 0; i < n; i++) {
		m->items[i].type = i % 2 ? INV_BLOCK : INV_TX;
		fill(m->items[i].hash, 32, (unsigned)i);
	}
}

static void test_inv(void **state)
{
	struct msg_inv m, d;
	struct buf b = BUF_INIT;
	char err[ERR_LEN];
	(void)state;
	make_inv(&m, 4);
	assert_int_equal(msg_inv_encode(&b, &m), 0);
	assert_int_equal(b.len, 1 + 4 * 36);
	assert_int_equal(b.data[1], INV_TX);
	assert_int_equal(b.data[1 + 36], INV_BLOCK);
	assert_int_equal(msg_inv_decode(&d, b.data, b.len, err), 0);
	assert_int_equal(d.n, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(d.items[i].type, m.items[i].type);
		assert_memory_equal(d.items[i].hash, m.items[i].hash, 32);
	}
	msg_inv_release(&d);
	check_strict(dec_inv, b.data, b.len);

	/* unknown inventory types */
	static const uint32_t bad_types[] = { 0, 3, 5, 0x40000001 };
	for (size_t i = 0; i < 3; i++) {
		b.data[1 + 36] = (uint8_t)bad_types[i];
		b.data[1 + 36 + 3] = (uint8_t)(bad_types[i] >> 24);
		assert_int_equal(msg_inv_decode(&d, b.data, b.len, err), -1);
		assert_non_null(strstr(err, "type"));
		assert_null(d.items);
	}
	msg_inv_release(&m);
	buf_release(&b);
}

static void test_inv_limit(void **state)
{
	struct msg_inv m, d;
	struct buf b = BUF_INIT;
	char err[ERR_LEN];
	(void)state;
	make_inv(&m, MSG_MAX_INV + 1);
	m.n = MSG_MAX_INV;
	assert_int_equal(msg_inv_encode(&b, &m), 0);
	assert_int_equal(msg_inv_decode(&d, b.data, b.len, err), 0);
	assert_int_equal(d.n, MSG_MAX_INV);
	msg_inv_release(&d);
	m.n = MSG_MAX_INV + 1;
	buf_reset(&b);
	assert_int_equal(msg_inv_encode(&b, &m), -1);
	buf_reset(&b);
	buf_varint(&b, MSG_MAX_INV + 1);
	for (size_t i = 0; i < MSG_MAX_INV + 1; i++) {
		buf_u32(&b, m.items[i].type);
		buf_put(&b, m.items[i].hash, 32);
	}
	assert_int_equal(msg_inv_decode(&d, b.data, b.len, err), -1);
	assert_non_null(strstr(err, "over"));
	/* the cap holds before the length check: 50,000 announced, 1 entry sent */
	buf_reset(&b);
	buf_varint(&b, MSG_MAX_INV);
	buf_u32(&b, INV_TX);
	buf_put(&b, m.items[0].hash, 32);
	assert_int_equal(msg_inv_decode(&d, b.data, b.len, err), -1);
	assert_non_null(strstr(err, "truncated"));
	msg_inv_release(&m);
	buf_release(&b);
}

/* ---- getheaders, headers ---- */

static int dec_getheaders(const uint8_t *p, size_t len, char *err)
{
	struct msg_getheaders m;
	return msg_getheaders_decode(&m, p, len, err);
}

static void test_getheaders(void **state)
{
	static struct msg_getheaders m, d;
	struct buf b = BUF_INIT;
	char err[ERR_LEN];
	(void)state;
	memset(&m, 0, sizeof(m));
	m.version = MSG_PROTOCOL_VERSION;
	m.n_locator = 3;
	for (size_t i = 0; i < MSG_MAX_LOCATOR; i++)
		fill(m.locator[i], 32, (unsigned)i);
	fill(m.stop, 32, 999);
	assert_int_equal(msg_getheaders_encode(&b, &m), 0);
	assert_int_equal(b.len, 4 + 1 + 3 * 32 + 32);
	assert_int_equal(msg_getheaders_decode(&d, b.data, b.len, err), 0);
	assert_int_equal(d.version, m.version);
	assert_int_equal(d.n_locator, 3);
	assert_memory_equal(d.locator, m.locator, 3 * 32);
	assert_memory_equal(d.stop, m.stop, 32);
	check_strict(dec_getheaders, b.data, b.len);

	/* no locator at all is allowed (the stop hash alone) */
	m.n_locator = 0;
	buf_reset(&b);
	assert_int_equal(msg_getheaders_encode(&b, &m), 0);
	assert_int_equal(msg_getheaders_decode(&d, b.data, b.len, err), 0);
	assert_int_equal(d.n_locator, 0);

	m.n_locator = MSG_MAX_LOCATOR;
	buf_reset(&b);
	assert_int_equal(msg_getheaders_encode(&b, &m), 0);
	assert_int_equal(msg_getheaders_decode(&d, b.data, b.len, err), 0);
	assert_int_equal(d.n_locator, MSG_MAX_LOCATOR);

	m.n_locator = MSG_MAX_LOCATOR + 1;
	buf_reset(&b);
	assert_int_equal(msg_getheaders_encode(&b, &m), -1);
	buf_reset(&b);
	buf_u32(&b, 1);
	buf_varint(&b, MSG_MAX_LOCATOR + 1);
	for (size_t i = 0; i < MSG_MAX_LOCATOR + 1; i++)
		buf_put(&b, m.locator[0], 32);
	buf_put(&b, m.stop, 32);
	assert_int_equal(msg_getheaders_decode(&d, b.data, b.len, err), -1);
	assert_non_null(strstr(err, "over"));
	assert_int_equal(d.n_locator, 0);
	buf_release(&b);
}

static int dec_headers(const uint8_t *p, size_t len, char *err)
{
	struct msg_headers m;
	int r = msg_headers_decode(&m, p, len, err);
	if (r != 0 && (m.headers || m.n))
		return 1;
	msg_headers_release(&m);
	return r;
}

static void make_headers(struct msg_headers *m, size_t n)
{
	m->n = n;
	m->headers = calloc(n ? n : 1, sizeof(*m->headers));
	assert_non_null(m->headers);
	for (size_t i = 0; i < n; i++) {
		struct block_header *h = &m->headers[i];
		h->version = (uint32_t)i + 1;
		fill(h->prev, 32, (unsigned)i);
		fill(h->merkle, 32, (unsigned)i + 7);
		h->time = 1700000000ULL + i;
		h->bits = 0x207fffff;
		h->nonce = i * 0x100000001ULL;
	}
}

static void test_headers(void **state)
{
	struct msg_headers m, d;
	struct buf b = BUF_INIT;
	uint8_t raw[BLOCK_HEADER_SIZE];
	char err[ERR_LEN];
	(void)state;
	make_headers(&m, 3);
	assert_int_equal(msg_headers_encode(&b, &m), 0);
	assert_int_equal(b.len, 1 + 3 * (BLOCK_HEADER_SIZE + 1));
	header_write(raw, &m.headers[1]);
	assert_memory_equal(b.data + 1 + BLOCK_HEADER_SIZE + 1, raw, BLOCK_HEADER_SIZE);
	assert_int_equal(b.data[1 + 2 * BLOCK_HEADER_SIZE + 1], 0);
	assert_int_equal(msg_headers_decode(&d, b.data, b.len, err), 0);
	assert_int_equal(d.n, 3);
	assert_memory_equal(d.headers, m.headers, 3 * sizeof(*m.headers));
	msg_headers_release(&d);
	check_strict(dec_headers, b.data, b.len);

	/* a header with transactions after it, as in a block, is refused */
	b.data[1 + 2 * BLOCK_HEADER_SIZE + 1] = 1;
	assert_int_equal(msg_headers_decode(&d, b.data, b.len + 0, err), -1);
	assert_null(d.headers);
	msg_headers_release(&m);
	buf_release(&b);
}

static void test_headers_nonzero_txcount(void **state)
{
	struct msg_headers m, d;
	struct buf b = BUF_INIT;
	uint8_t raw[BLOCK_HEADER_SIZE];
	char err[ERR_LEN];
	(void)state;
	make_headers(&m, 2);
	buf_varint(&b, 2);
	header_write(raw, &m.headers[0]);
	buf_put(&b, raw, sizeof(raw));
	buf_varint(&b, 0);
	header_write(raw, &m.headers[1]);
	buf_put(&b, raw, sizeof(raw));
	buf_varint(&b, 300); /* three-byte count, the last thing in the payload */
	assert_int_equal(msg_headers_decode(&d, b.data, b.len, err), -1);
	assert_non_null(strstr(err, "transaction count"));
	msg_headers_release(&m);
	buf_release(&b);
}

static void test_headers_limit(void **state)
{
	struct msg_headers m, d;
	struct buf b = BUF_INIT;
	uint8_t raw[BLOCK_HEADER_SIZE];
	char err[ERR_LEN];
	(void)state;
	make_headers(&m, MSG_MAX_HEADERS + 1);
	m.n = MSG_MAX_HEADERS;
	assert_int_equal(msg_headers_encode(&b, &m), 0);
	assert_int_equal(msg_headers_decode(&d, b.data, b.len, err), 0);
	assert_int_equal(d.n, MSG_MAX_HEADERS);
	msg_headers_release(&d);
	m.n = MSG_MAX_HEADERS + 1;
	buf_reset(&b);
	assert_int_equal(msg_headers_encode(&b, &m), -1);
	buf_reset(&b);
	buf_varint(&b, MSG_MAX_HEADERS + 1);
	for (size_t i = 0; i < MSG_MAX_HEADERS + 1; i++) {
		header_write(raw, &m.headers[i]);
		buf_put(&b, raw, sizeof(raw));
		buf_varint(&b, 0);
	}
	assert_int_equal(msg_headers_decode(&d, b.data, b.len, err), -1);
	assert_non_null(strstr(err, "over"));
	msg_headers_release(&m);
	buf_release(&b);
}

/* ---- tx, block ---- */

static void test_tx_block_payloads(void **state)
{
	const struct chain_params *p = params_get(NET_REGTEST);
	struct block g, d;
	struct tx tx;
	struct buf b = BUF_INIT;
	char err[ERR_LEN];
	(void)state;
	assert_int_equal(params_genesis(p, &g), 0);
	block_write(&b, &g);
	assert_int_equal(msg_block_decode(&d, b.data, b.len, err), 0);
	assert_memory_equal(d.hash, p->genesis_hash, 32);
	block_release(&d);
	assert_int_equal(msg_block_decode(&d, b.data, b.len - 1, err), -1);

	buf_reset(&b);
	tx_write(&b, &g.txs[0]);
	assert_int_equal(msg_tx_decode(&tx, b.data, b.len, err), 0);
	assert_memory_equal(tx.txid, g.txs[0].txid, 32);
	tx_release(&tx);
	buf_u8(&b, 0);
	assert_int_equal(msg_tx_decode(&tx, b.data, b.len, err), -1);
	assert_non_null(strstr(err, "trailing"));
	block_release(&g);
	buf_release(&b);
}

/* ---- addresses ---- */

static void parse_ok(const char *text, uint16_t def, const char *expect_text)
{
	struct net_addr a;
	char out[NET_ADDR_TEXT_LEN], err[ERR_LEN];
	assert_int_equal(net_addr_parse(&a, text, def, err), 0);
	net_addr_to_text(&a, out);
	assert_string_equal(out, expect_text);
}

static void test_addr_text(void **state)
{
	struct net_addr a;
	char err[ERR_LEN];
	(void)state;
	parse_ok("1.2.3.4:9733", 1, "1.2.3.4:9733");
	parse_ok("1.2.3.4", 19733, "1.2.3.4:19733");
	parse_ok("127.0.0.1:0", 5, "127.0.0.1:0");
	parse_ok("[::1]:9733", 1, "[::1]:9733");
	parse_ok("[::1]", 9733, "[::1]:9733");
	parse_ok("::1", 9733, "[::1]:9733");
	parse_ok("[2001:db8::ff00:42:8329]:65535", 1, "[2001:db8::ff00:42:8329]:65535");
	parse_ok("::ffff:10.0.0.1", 3, "10.0.0.1:3"); /* mapped is IPv4 */

	static const char *const bad[] = {
		"", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:12a", "1.2.3.4:+80",
		"1.2.3", "256.1.1.1", "localhost:9733", "seed.example.org", "[::1", "[::1]x",
		"[::1]:", "[1.2.3.4]:80", "[]:80", ":80", "1.2.3.4:80:90x", "1.2.3.4 :80",
		"[::1]:123456",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (net_addr_parse(&a, bad[i], 1, err) == 0)
			fail_msg("accepted '%s'", bad[i]);
		assert_true(err[0] != '\0');
		assert_int_equal(a.port, 0);
	}
	assert_int_equal(net_addr_parse(&a, NULL, 1, err), -1);
}

static void test_addr_sockaddr(void **state)
{
	struct net_addr a, b;
	struct sockaddr_storage ss;
	char err[ERR_LEN];
	(void)state;
	assert_int_equal(net_addr_parse(&a, "10.20.30.40:9733", 0, err), 0);
	assert_true(net_addr_is_ipv4(&a));
	socklen_t len = net_addr_to_sockaddr(&a, &ss);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
	assert_int_equal(s4->sin_family, AF_INET);
	assert_int_equal(ntohs(s4->sin_port), 9733);
	assert_int_equal(ntohl(s4->sin_addr.s_addr), 0x0a141e28);
	assert_int_equal(net_addr_from_sockaddr(&b, (struct sockaddr *)&ss, err), 0);
	assert_true(net_addr_equal(&a, &b));

	assert_int_equal(net_addr_parse(&a, "[fe80::1]:1", 0, err), 0);
	assert_false(net_addr_is_ipv4(&a));
	len = net_addr_to_sockaddr(&a, &ss);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(net_addr_from_sockaddr(&b, (struct sockaddr *)&ss, err), 0);
	assert_true(net_addr_equal(&a, &b));
	b.port = 2;
	assert_false(net_addr_equal(&a, &b));

	ss.ss_family = AF_UNIX;
	assert_int_equal(net_addr_from_sockaddr(&b, (struct sockaddr *)&ss, err), -1);
	assert_int_equal(b.port, 0);
}

static bool routable(const char *text)
{
	struct net_addr a;
	char err[ERR_LEN];
	assert_int_equal(net_addr_parse(&a, text, 9733, err), 0);
	return net_addr_is_routable(&a);
}

static void test_addr_ranges(void **state)
{
	struct net_addr a;
	char err[ERR_LEN];
	(void)state;
	assert_int_equal(net_addr_parse(&a, "127.0.0.1", 1, err), 0);
	assert_true(net_addr_is_loopback(&a));
	assert_false(net_addr_is_private(&a));
	assert_int_equal(net_addr_parse(&a, "::1", 1, err), 0);
	assert_true(net_addr_is_loopback(&a));
	assert_int_equal(net_addr_parse(&a, "192.168.1.1", 1, err), 0);
	assert_true(net_addr_is_private(&a));
	assert_false(net_addr_is_loopback(&a));

	static const char *const yes[] = { "1.2.3.4", "8.8.8.8", "172.32.0.1", "100.128.0.1",
					   "[2a00:1450::1]", "223.255.255.255", "192.0.3.1" };
	static const char *const no[] = {
		"127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255",
		"192.168.0.1", "100.64.0.1", "169.254.1.1", "0.0.0.0", "0.1.2.3", "224.0.0.1",
		"255.255.255.255", "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.19.0.1",
		"[::1]", "[::]", "[fe80::1]", "[fc00::1]", "[fd12::1]", "[ff02::1]", "[2001:db8::1]",
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!routable(yes[i]))
			fail_msg("'%s' should be routable", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (routable(no[i]))
			fail_msg("'%s' should not be routable", no[i]);
	assert_int_equal(net_addr_parse(&a, "1.2.3.4:0", 1, err), 0);
	assert_false(net_addr_is_routable(&a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_layout),
		cmocka_unit_test(test_header_encode_refusals),
		cmocka_unit_test(test_header_decode_refusals),
		cmocka_unit_test(test_payload_check),
		cmocka_unit_test(test_frame_encode),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_version_user_agent_limit),
		cmocka_unit_test(test_empty_and_ping),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_addr_limit),
		cmocka_unit_test(test_inv),
		cmocka_unit_test(test_inv_limit),
		cmocka_unit_test(test_getheaders),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_headers_nonzero_txcount),
		cmocka_unit_test(test_headers_limit),
		cmocka_unit_test(test_tx_block_payloads),
		cmocka_unit_test(test_addr_text),
		cmocka_unit_test(test_addr_sockaddr),
		cmocka_unit_test(test_addr_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
