/* The message codec (p2p/msg.h): commands, frame headers and every
 * payload, over bytes only. It owns no state and does no I/O. */
#include "p2p/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"
#include "util/cursor.h"

static const char *const commands[MSG_N_COMMANDS] = {
	MSG_VERSION, MSG_VERACK, MSG_PING, MSG_PONG, MSG_GETADDR, MSG_ADDR, MSG_SENDHEADERS,
	MSG_INV, MSG_GETDATA, MSG_NOTFOUND, MSG_GETHEADERS, MSG_HEADERS, MSG_TX, MSG_BLOCK,
	MSG_SENDCMPCT, MSG_CMPCTBLOCK, MSG_GETBLOCKTXN, MSG_BLOCKTXN,
};

#define ADDR_ENTRY_SIZE 30 /* time u32 | services u64 | ip 16 | port u16 */
#define INV_ITEM_SIZE 36
#define HEADERS_ENTRY_MIN (BLOCK_HEADER_SIZE + 1)

/* ---- commands and the frame header ---- */

static bool command_char(char ch)
{
	return ch > 0x20 && ch < 0x7f;
}

bool msg_command_valid(const char *command)
{
	if (!command)
		return false;
	size_t n = strnlen(command, MSG_COMMAND_SIZE + 1);
	if (n == 0 || n > MSG_COMMAND_SIZE)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!command_char(command[i]))
			return false;
	return true;
}

size_t msg_command_index(const char *command)
{
	for (size_t i = 0; command && i < MSG_N_COMMANDS; i++)
		if (strcmp(command, commands[i]) == 0)
			return i;
	return MSG_N_COMMANDS;
}

bool msg_command_known(const char *command)
{
	return msg_command_index(command) < MSG_N_COMMANDS;
}

const char *msg_command_name(size_t index)
{
	return index < MSG_N_COMMANDS ? commands[index] : "*other*";
}

void msg_checksum(uint8_t out[4], const uint8_t *payload, size_t len)
{
	uint8_t h[32];
	hash_sha256d(h, payload, len);
	memcpy(out, h, 4);
}

static void put_u32le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int msg_header_encode(uint8_t out[MSG_HEADER_SIZE], const uint8_t magic[4], const char *command,
		      const uint8_t *payload, size_t len)
{
	memset(out, 0, MSG_HEADER_SIZE);
	if (!msg_command_valid(command) || len > MSG_MAX_PAYLOAD || (len && !payload))
		return -1;
	memcpy(out, magic, 4);
	memcpy(out + 4, command, strlen(command));
	put_u32le(out + 16, (uint32_t)len);
	msg_checksum(out + 20, payload, len);
	return 0;
}

/* The 12 command bytes: printable characters, then only NULs. */
static bool command_field_ok(const uint8_t *field)
{
	size_t n = 0;
	while (n < MSG_COMMAND_SIZE && field[n] != 0) {
		if (!command_char((char)field[n]))
			return false;
		n++;
	}
	if (n == 0)
		return false;
	for (size_t i = n; i < MSG_COMMAND_SIZE; i++)
		if (field[i] != 0)
			return false;
	return true;
}

enum msg_fault msg_header_decode(struct msg_header *h, const uint8_t in[MSG_HEADER_SIZE],
				 const uint8_t magic[4], char *err)
{
	memset(h, 0, sizeof(*h));
	if (memcmp(in, magic, 4) != 0) {
		err_set(err, "wrong network magic %02x%02x%02x%02x", in[0], in[1], in[2], in[3]);
		return MSG_BAD_MAGIC;
	}
	if (!command_field_ok(in + 4)) {
		err_set(err, "malformed command field");
		return MSG_BAD_COMMAND;
	}
	uint32_t len = (uint32_t)in[16] | (uint32_t)in[17] << 8 | (uint32_t)in[18] << 16 |
		       (uint32_t)in[19] << 24;
	if (len > MSG_MAX_PAYLOAD) {
		err_set(err, "payload length %u over %u", len, MSG_MAX_PAYLOAD);
		return MSG_OVERSIZE;
	}
	memcpy(h->magic, in, 4);
	memcpy(h->command, in + 4, MSG_COMMAND_SIZE);
	h->len = len;
	memcpy(h->checksum, in + 20, 4);
	return MSG_OK;
}

enum msg_fault msg_payload_check(const struct msg_header *h, const uint8_t *payload, size_t len,
				 char *err)
{
	uint8_t sum[4];
	if (len != h->len) {
		err_set(err, "payload of %zu bytes, header says %u", len, h->len);
		return MSG_BAD_CHECKSUM;
	}
	msg_checksum(sum, payload, len);
	if (memcmp(sum, h->checksum, 4) != 0) {
		err_set(err, "bad checksum on '%s'", h->command);
		return MSG_BAD_CHECKSUM;
	}
	return MSG_OK;
}

int msg_frame_encode(struct buf *out, const uint8_t magic[4], const char *command,
		     const uint8_t *payload, size_t len)
{
	uint8_t hdr[MSG_HEADER_SIZE];
	if (msg_header_encode(hdr, magic, command, payload, len) != 0)
		return -1;
	buf_put(out, hdr, sizeof(hdr));
	buf_put(out, payload, len);
	return buf_ok(out) ? 0 : -1;
}

/* ---- payload helpers ---- */

static void put_port(struct buf *out, uint16_t port)
{
	uint8_t be[2] = { (uint8_t)(port >> 8), (uint8_t)port };
	buf_put(out, be, 2);
}

static bool read_port(struct cursor *c, uint16_t *port)
{
	uint8_t be[2];
	if (!cursor_bytes(c, be, 2)) {
		*port = 0;
		return false;
	}
	*port = (uint16_t)(be[0] << 8 | be[1]);
	return true;
}

/* services u64 | ip 16 | port u16 BE: the address inside version and addr. */
static void put_netaddr(struct buf *out, const struct net_addr *a)
{
	buf_u64(out, a->services);
	buf_put(out, a->ip, 16);
	put_port(out, a->port);
}

static bool read_netaddr(struct cursor *c, struct net_addr *a)
{
	return cursor_u64(c, &a->services) && cursor_bytes(c, a->ip, 16) && read_port(c, &a->port);
}

static int finish_encode(const struct buf *out)
{
	return buf_ok(out) ? 0 : -1;
}

/* Decoders end here: every byte must have been used. */
static int expect_end(const struct cursor *c, const char *what, char *err)
{
	if (!cursor_done(c))
		return err_set(err, "%zu trailing bytes after %s", c->len, what);
	return 0;
}

static bool user_agent_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* ---- version ---- */

int msg_version_encode(struct buf *out, const struct msg_version *m)
{
	size_t ua = strnlen(m->user_agent, sizeof(m->user_agent));
	if (ua > MSG_MAX_USER_AGENT || !user_agent_ok(m->user_agent, ua))
		return -1;
	buf_u32(out, m->version);
	buf_u64(out, m->services);
	buf_i64(out, m->time);
	put_netaddr(out, &m->addr_recv);
	buf_u64(out, m->nonce);
	buf_lenbytes(out, m->user_agent, ua);
	buf_u32(out, m->height);
	buf_u8(out, m->relay ? 1 : 0);
	return finish_encode(out);
}

static int read_version(struct cursor *c, struct msg_version *m, char *err)
{
	size_t ua;
	uint8_t relay;
	if (!cursor_u32(c, &m->version) || !cursor_u64(c, &m->services) ||
	    !cursor_i64(c, &m->time) || !read_netaddr(c, &m->addr_recv) ||
	    !cursor_u64(c, &m->nonce))
		return err_set(err, "truncated version");
	if (!cursor_lenbytes(c, m->user_agent, &ua, MSG_MAX_USER_AGENT))
		return err_set(err, "truncated or oversized user agent in version");
	if (!user_agent_ok(m->user_agent, ua))
		return err_set(err, "user agent in version is not printable ascii");
	if (!cursor_u32(c, &m->height) || !cursor_u8(c, &relay))
		return err_set(err, "truncated version");
	if (relay > 1)
		return err_set(err, "relay flag %u in version is not 0 or 1", relay);
	m->relay = relay == 1;
	return expect_end(c, "version", err);
}

int msg_version_decode(struct msg_version *m, const uint8_t *p, size_t len, char *err)
{
	struct cursor c = cursor_make(p, len);
	memset(m, 0, sizeof(*m));
	if (read_version(&c, m, err) != 0) {
		memset(m, 0, sizeof(*m));
		return -1;
	}
	return 0;
}

/* ---- empty payloads, ping/pong ---- */

int msg_empty_decode(const uint8_t *p, size_t len, char *err)
{
	(void)p;
	if (len != 0)
		return err_set(err, "%zu bytes in a payload that must be empty", len);
	return 0;
}

int msg_ping_encode(struct buf *out, const struct msg_ping *m)
{
	buf_u64(out, m->nonce);
	return finish_encode(out);
}

int msg_ping_decode(struct msg_ping *m, const uint8_t *p, size_t len, char *err)
{
	struct cursor c = cursor_make(p, len);
	memset(m, 0, sizeof(*m));
	if (!cursor_u64(&c, &m->nonce))
		return err_set(err, "truncated ping nonce");
	if (expect_end(&c, "ping nonce", err) != 0) {
		m->nonce = 0;
		return -1;
	}
	return 0;
}

/* ---- counted lists ---- */

/* Reads a list count (at most max), and checks that the rest of the payload
 * can hold that many entries of at least min_entry bytes before anyone
 * allocates for them. */
static int read_count(struct cursor *c, size_t *n, size_t max, size_t min_entry, const char *what,
		      char *err)
{
	uint64_t v;
	*n = 0;
	if (!cursor_varint(c, &v, max)) {
		if (cursor_varint(c, &v, UINT64_MAX))
			return err_set(err, "%s count %llu over %zu", what, (unsigned long long)v, max);
		return err_set(err, "truncated or non-canonical %s count", what);
	}
	if (v > c->len / min_entry)
		return err_set(err, "truncated %s: %llu entries announced", what, (unsigned long long)v);
	*n = (size_t)v;
	return 0;
}

void msg_addr_release(struct msg_addr *m)
{
	if (!m)
		return;
	free(m->addrs);
	m->addrs = NULL;
	m->n = 0;
}

int msg_addr_encode(struct buf *out, const struct msg_addr *m)
{
	if (m->n > MSG_MAX_ADDR)
		return -1;
	buf_varint(out, m->n);
	for (size_t i = 0; i < m->n; i++) {
		buf_u32(out, m->addrs[i].time);
		put_netaddr(out, &m->addrs[i]);
	}
	return finish_encode(out);
}

int msg_addr_decode(struct msg_addr *m, const uint8_t *p, size_t len, char *err)
{
	struct cursor c = cursor_make(p, len);
	size_t n;
	memset(m, 0, sizeof(*m));
	if (read_count(&c, &n, MSG_MAX_ADDR, ADDR_ENTRY_SIZE, "addr", err) != 0)
		return -1;
	if (n && !(m->addrs = calloc(n, sizeof(*m->addrs))))
		return err_set(err, "cannot decode addr: out of memory");
	m->n = n;
	for (size_t i = 0; i < n; i++) {
		/* read_count saw room for every entry */
		if (!cursor_u32(&c, &m->addrs[i].time) || !read_netaddr(&c, &m->addrs[i]))
			goto fail;
	}
	if (expect_end(&c, "addr", err) != 0) {
		msg_addr_release(m);
		return -1;
	}
	return 0;
fail:
	msg_addr_release(m);
	return err_set(err, "truncated addr entry");
}

void msg_inv_release(struct msg_inv *m)
{
	if (!m)
		return;
	free(m->items);
	m->items = NULL;
	m->n = 0;
}

int msg_inv_encode(struct buf *out, const struct msg_inv *m)
{
	if (m->n > MSG_MAX_INV)
		return -1;
	buf_varint(out, m->n);
	for (size_t i = 0; i < m->n; i++) {
		buf_u32(out, m->items[i].type);
		buf_put(out, m->items[i].hash, 32);
	}
	return finish_encode(out);
}

static int read_inv_items(struct cursor *c, struct msg_inv *m, char *err)
{
	for (size_t i = 0; i < m->n; i++) {
		struct inv_item *it = &m->items[i];
		if (!cursor_u32(c, &it->type) || !cursor_bytes(c, it->hash, 32))
			return err_set(err, "truncated inventory entry");
		if (it->type != INV_TX && it->type != INV_BLOCK && it->type != INV_CMPCT_BLOCK)
			return err_set(err, "unknown inventory type %u", it->type);
	}
	return expect_end(c, "inventory", err);
}

int msg_inv_decode(struct msg_inv *m, const uint8_t *p, size_t len, char *err)
{
	struct cursor c = cursor_make(p, len);
	size_t n;
	memset(m, 0, sizeof(*m));
	if (read_count(&c, &n, MSG_MAX_INV, INV_ITEM_SIZE, "inventory", err) != 0)
		return -1;
	if (n && !(m->items = calloc(n, sizeof(*m->items))))
		return err_set(err, "cannot decode inventory: out of memory");
	m->n = n;
	if (read_inv_items(&c, m, err) != 0) {
		msg_inv_release(m);
		return -1;
	}
	return 0;
}

/* ---- getheaders, headers ---- */

int msg_getheaders_encode(struct buf *out, const struct msg_getheaders *m)
{
	if (m->n_locator > MSG_MAX_LOCATOR)
		return -1;
	buf_u32(out, m->version);
	buf_varint(out, m->n_locator);
	for (size_t i = 0; i < m->n_locator; i++)
		buf_put(out, m->locator[i], 32);
	buf_put(out, m->stop, 32);
	return finish_encode(out);
}

static int read_getheaders(struct cursor *c, struct msg_getheaders *m, char *err)
{
	if (!cursor_u32(c, &m->version))
		return err_set(err, "truncated getheaders");
	if (read_count(c, &m->n_locator, MSG_MAX_LOCATOR, 32, "locator", err) != 0)
		return -1;
	for (size_t i = 0; i < m->n_locator; i++)
		if (!cursor_bytes(c, m->locator[i], 32))
			return err_set(err, "truncated locator");
	if (!cursor_bytes(c, m->stop, 32))
		return err_set(err, "truncated getheaders stop hash");
	return expect_end(c, "getheaders", err);
}

int msg_getheaders_decode(struct msg_getheaders *m, const uint8_t *p, size_t len, char *err)
{
	struct cursor c = cursor_make(p, len);
	memset(m, 0, sizeof(*m));
	if (read_getheaders(&c, m, err) != 0) {
		memset(m, 0, sizeof(*m));
		return -1;
	}
	return 0;
}

void msg_headers_release(struct msg_headers *m)
{
	if (!m)
		return;
	free(m->headers);
	m->headers = NULL;
	m->n = 0;
}

int msg_headers_encode(struct buf *out, const struct msg_headers *m)
{
	uint8_t raw[BLOCK_HEADER_SIZE];
	if (m->n > MSG_MAX_HEADERS)
		return -1;
	buf_varint(out, m->n);
	for (size_t i = 0; i < m->n; i++) {
		header_write(raw, &m->headers[i]);
		buf_put(out, raw, sizeof(raw));
		buf_varint(out, 0);
	}
	return finish_encode(out);
}

static int read_headers(struct cursor *c, struct msg_headers *m, char *err)
{
	for (size_t i = 0; i < m->n; i++) {
		uint64_t n_tx;
		if (!header_read(c, &m->headers[i]))
			return err_set(err, "truncated header %zu", i);
		if (!cursor_varint(c, &n_tx, UINT64_MAX))
			return err_set(err, "truncated transaction count after header %zu", i);
		if (n_tx != 0)
			return err_set(err, "header %zu carries transaction count %llu, not 0", i,
				       (unsigned long long)n_tx);
	}
	return expect_end(c, "headers", err);
}

int msg_headers_decode(struct msg_headers *m, const uint8_t *p, size_t len, char *err)
{
	struct cursor c = cursor_make(p, len);
	size_t n;
	memset(m, 0, sizeof(*m));
	if (read_count(&c, &n, MSG_MAX_HEADERS, HEADERS_ENTRY_MIN, "headers", err) != 0)
		return -1;
	if (n && !(m->headers = calloc(n, sizeof(*m->headers))))
		return err_set(err, "cannot decode headers: out of memory");
	m->n = n;
	if (read_headers(&c, m, err) != 0) {
		msg_headers_release(m);
		return -1;
	}
	return 0;
}

/* ---- tx, block ---- */

int msg_tx_decode(struct tx *tx, const uint8_t *p, size_t len, char *err)
{
	return tx_parse(tx, p, len, err);
}

int msg_block_decode(struct block *b, const uint8_t *p, size_t len, char *err)
{
	return block_parse(b, p, len, err);
}
