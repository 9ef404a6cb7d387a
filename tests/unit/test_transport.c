/* The transport over loopback: two transports on one event_base exchange
 * frames both ways (a 3 MiB one arrives across many reads); raw sockets
 * sending bad frames are closed with the right reason code while the
 * listener keeps serving; the send bound, closing from inside on_message,
 * timers, refused connects, the inbound filter and freeing with open
 * connections. Every wait has a deadline, so no test can hang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "p2p/msg.h"
#include "p2p/transport.h"
#include "util/clock.h"

static const uint8_t magic[4] = { 0xfa, 0xbf, 0xb5, 0xda };
static const uint8_t other_magic[4] = { 0xc4, 0x1a, 0x12, 0x4e };

#define MAX_SEEN 8

/* What one transport's callbacks saw. */
struct side {
	struct transport *t;
	struct conn *conn;  /* the last connection opened */
	int opens, closes, msgs, ticks;
	enum transport_reason close_code;
	char close_reason[ERR_LEN];
	uint64_t closed_id;
	char cmd[MAX_SEEN][MSG_COMMAND_SIZE + 1];
	uint8_t *payload[MAX_SEEN];
	size_t len[MAX_SEEN];
	bool close_in_message; /* transport_close from inside on_message */
	bool refuse_inbound;
};

struct fixture {
	struct event_base *base;
	struct event *pulse;
	struct side a, b;
	uint16_t port; /* a listens here */
};

static void on_open(void *ctx, struct conn *c)
{
	struct side *s = ctx;
	s->conn = c;
	s->opens++;
	assert_true(transport_conn_is_open(c));
}

static void on_message(void *ctx, struct conn *c, const char *command, const uint8_t *payload,
		       size_t len)
{
	struct side *s = ctx;
	assert_true(transport_conn_is_open(c));
	if (s->msgs < MAX_SEEN) {
		strcpy(s->cmd[s->msgs], command);
		s->payload[s->msgs] = malloc(len ? len : 1);
		assert_non_null(s->payload[s->msgs]);
		if (len)
			memcpy(s->payload[s->msgs], payload, len);
		s->len[s->msgs] = len;
	}
	s->msgs++;
	if (s->close_in_message) {
		transport_close(c, "bye");
		transport_close(c, "twice");
		assert_false(transport_conn_is_open(c));
		assert_int_equal(transport_send(c, MSG_PONG, NULL, 0), -1);
	}
}

static void on_close(void *ctx, struct conn *c, const char *reason)
{
	struct side *s = ctx;
	s->closes++;
	s->close_code = transport_close_code(c);
	snprintf(s->close_reason, sizeof(s->close_reason), "%s", reason);
	s->closed_id = transport_conn_id(c);
	if (s->conn == c)
		s->conn = NULL;
}

static void on_tick(void *ctx)
{
	((struct side *)ctx)->ticks++;
}

static bool accept_ok(void *ctx, const struct sockaddr *sa)
{
	(void)sa;
	return !((struct side *)ctx)->refuse_inbound;
}

static const struct transport_callbacks callbacks = {
	.on_open = on_open,
	.on_message = on_message,
	.on_close = on_close,
	.on_tick = on_tick,
	.accept_ok = accept_ok,
};

static void side_clear_msgs(struct side *s)
{
	for (int i = 0; i < MAX_SEEN; i++) {
		free(s->payload[i]);
		s->payload[i] = NULL;
	}
	s->msgs = 0;
}

/* Wakes the loop every 10 ms so that EVLOOP_ONCE returns and deadlines are
 * checked even when nothing happens. */
static void pulse_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Runs the loop until *counter reaches target or ms pass; true when it did. */
static bool run_until(struct fixture *f, const int *counter, int target, unsigned ms)
{
	uint64_t end = clock_mono_us() + (uint64_t)ms * 1000;
	while (*counter < target && clock_mono_us() < end)
		event_base_loop(f->base, EVLOOP_ONCE);
	return *counter >= target;
}

static void run_for(struct fixture *f, unsigned ms)
{
	int never = 0;
	(void)run_until(f, &never, 1, ms);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct timeval tv = { 0, 10000 };
	char err[ERR_LEN];
	assert_non_null(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	f->pulse = event_new(f->base, -1, EV_PERSIST, pulse_cb, NULL);
	assert_int_equal(event_add(f->pulse, &tv), 0);
	f->a.t = transport_new(f->base, magic, &callbacks, &f->a, err);
	f->b.t = transport_new(f->base, magic, &callbacks, &f->b, err);
	assert_non_null(f->a.t);
	assert_non_null(f->b.t);
	assert_int_equal(transport_listen(f->a.t, "127.0.0.1:0", err), 0);
	f->port = transport_listen_port(f->a.t);
	assert_true(f->port != 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	transport_free(f->a.t);
	transport_free(f->b.t);
	side_clear_msgs(&f->a);
	side_clear_msgs(&f->b);
	event_free(f->pulse);
	event_base_free(f->base);
	free(f);
	return 0;
}

static void loopback(struct net_addr *a, uint16_t port)
{
	static const uint8_t lo[4] = { 127, 0, 0, 1 };
	net_addr_set_ipv4(a, lo, port);
}

/* b connects to a; both sides open. */
static void connect_pair(struct fixture *f)
{
	struct net_addr a;
	char err[ERR_LEN];
	int a_opens = f->a.opens, b_opens = f->b.opens;
	loopback(&a, f->port);
	struct conn *c = transport_connect(f->b.t, &a, err);
	assert_non_null(c);
	assert_false(transport_conn_is_open(c));
	assert_true(run_until(f, &f->a.opens, a_opens + 1, 3000));
	assert_true(run_until(f, &f->b.opens, b_opens + 1, 3000));
	assert_ptr_equal(f->b.conn, c);
}

/* A raw client socket to a's listener (blocking). */
static int raw_connect(uint16_t port)
{
	struct sockaddr_in sa = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void raw_write(int fd, const void *p, size_t n)
{
	assert_int_equal(write(fd, p, n), (ssize_t)n);
}

/* True when the peer closed fd: a read returns 0 (or a reset). */
static bool raw_sees_close(struct fixture *f, int fd)
{
	uint8_t junk[256];
	for (int i = 0; i < 200; i++) {
		struct pollfd p = { fd, POLLIN, 0 };
		run_for(f, 5);
		if (poll(&p, 1, 0) == 1) {
			ssize_t r = read(fd, junk, sizeof(junk));
			if (r == 0 || (r < 0 && errno == ECONNRESET))
				return true;
		}
	}
	return false;
}

/* ---- tests ---- */

static void test_exchange(void **state)
{
	struct fixture *f = *state;
	struct transport_stats st;
	uint8_t nonce[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	char text[NET_ADDR_TEXT_LEN];

	connect_pair(f);
	struct conn *ca = f->a.conn, *cb = f->b.conn;
	assert_true(transport_conn_inbound(ca));
	assert_false(transport_conn_inbound(cb));
	assert_true(transport_conn_id(ca) >= 1);
	assert_int_equal(transport_conn_count(f->a.t), 1);
	snprintf(text, sizeof(text), "127.0.0.1:%u", (unsigned)f->port);
	assert_string_equal(transport_conn_addr_text(cb), text);
	assert_int_equal(transport_conn_addr(cb)->port, f->port);
	assert_true(net_addr_is_loopback(transport_conn_addr(ca)));
	assert_null(transport_conn_user(ca));
	transport_conn_set_user(ca, f);
	assert_ptr_equal(transport_conn_user(ca), f);

	assert_int_equal(transport_send(cb, MSG_PING, nonce, 8), 0);
	assert_int_equal(transport_send(cb, MSG_VERACK, NULL, 0), 0);
	assert_int_equal(transport_send(cb, "future", nonce, 3), 0);
	assert_true(run_until(f, &f->a.msgs, 3, 3000));
	assert_string_equal(f->a.cmd[0], "ping");
	assert_int_equal(f->a.len[0], 8);
	assert_memory_equal(f->a.payload[0], nonce, 8);
	assert_string_equal(f->a.cmd[1], "verack");
	assert_int_equal(f->a.len[1], 0);
	assert_string_equal(f->a.cmd[2], "future"); /* unknown commands are delivered */

	assert_int_equal(transport_send(ca, MSG_PONG, nonce, 8), 0);
	assert_true(run_until(f, &f->b.msgs, 1, 3000));
	assert_string_equal(f->b.cmd[0], "pong");
	assert_memory_equal(f->b.payload[0], nonce, 8);

	transport_conn_stats(cb, &st);
	assert_int_equal(st.msgs_sent, 3);
	assert_int_equal(st.bytes_sent, 3 * 24 + 8 + 3);
	assert_int_equal(st.bytes_sent_per_msg[msg_command_index("ping")], 32);
	assert_int_equal(st.bytes_sent_per_msg[MSG_N_COMMANDS], 27);
	assert_int_equal(st.bytes_recv, 32);
	transport_conn_stats(ca, &st);
	assert_int_equal(st.msgs_recv, 3);
	uint64_t sent, recv;
	transport_totals(f->a.t, &sent, &recv);
	assert_int_equal(sent, 32);
	assert_int_equal(recv, 3 * 24 + 8 + 3);

	/* b closes: a hears the peer go */
	transport_close(cb, NULL);
	assert_true(run_until(f, &f->a.closes, 1, 3000));
	assert_int_equal(f->a.close_code, TRANSPORT_PEER_CLOSED);
	assert_int_equal(f->b.closes, 1);
	assert_int_equal(f->b.close_code, TRANSPORT_LOCAL);
	assert_string_equal(f->b.close_reason, "closed");
	assert_int_equal(transport_conn_count(f->a.t), 0);
}

static void test_large_payloads(void **state)
{
	struct fixture *f = *state;
	size_t big = 3u << 20;
	uint8_t *p = malloc(MSG_MAX_PAYLOAD);
	assert_non_null(p);
	for (size_t i = 0; i < MSG_MAX_PAYLOAD; i++)
		p[i] = (uint8_t)(i * 2654435761u >> 13);
	connect_pair(f);
	assert_int_equal(transport_send(f->b.conn, MSG_BLOCK, p, big), 0);
	assert_int_equal(transport_send(f->b.conn, MSG_TX, p + 5, 100), 0);
	assert_int_equal(transport_send(f->b.conn, MSG_BLOCK, p, MSG_MAX_PAYLOAD), 0);
	assert_true(run_until(f, &f->a.msgs, 3, 10000));
	assert_int_equal(f->a.len[0], big);
	assert_memory_equal(f->a.payload[0], p, big);
	assert_int_equal(f->a.len[1], 100);
	assert_memory_equal(f->a.payload[1], p + 5, 100);
	assert_int_equal(f->a.len[2], MSG_MAX_PAYLOAD);
	assert_memory_equal(f->a.payload[2], p, MSG_MAX_PAYLOAD);
	/* one byte more is refused locally and the connection stays */
	assert_int_equal(transport_send(f->b.conn, MSG_BLOCK, p, MSG_MAX_PAYLOAD + 1), -1);
	assert_true(transport_conn_is_open(f->b.conn));
	assert_int_equal(transport_send(f->b.conn, "bad cmd", p, 1), -1);
	assert_int_equal(transport_send(f->b.conn, "", p, 1), -1);
	assert_true(transport_conn_is_open(f->b.conn));
	free(p);
}

/* A frame whose header or payload is bad, written by hand. */
enum bad_kind { BAD_MAGIC, BAD_CHECKSUM, BAD_SIZE, BAD_COMMAND };

static size_t bad_frame(uint8_t *out, enum bad_kind kind)
{
	uint8_t payload[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	assert_int_equal(msg_header_encode(out, kind == BAD_MAGIC ? other_magic : magic, MSG_PING,
					   payload, 8), 0);
	memcpy(out + MSG_HEADER_SIZE, payload, 8);
	if (kind == BAD_CHECKSUM)
		out[20] ^= 1;
	if (kind == BAD_SIZE) {
		uint32_t len = MSG_MAX_PAYLOAD + 1;
		for (int i = 0; i < 4; i++)
			out[16 + i] = (uint8_t)(len >> (8 * i));
	}
	if (kind == BAD_COMMAND)
		memcpy(out + 4, "pi\x01g\0\0\0\0\0\0\0\0", 12);
	return MSG_HEADER_SIZE + 8;
}

static void test_bad_frames(void **state)
{
	struct fixture *f = *state;
	static const struct {
		enum bad_kind kind;
		enum transport_reason code;
		const char *name;
	} cases[] = {
		{ BAD_MAGIC, TRANSPORT_BAD_MAGIC, "bad-magic" },
		{ BAD_CHECKSUM, TRANSPORT_BAD_CHECKSUM, "bad-checksum" },
		{ BAD_SIZE, TRANSPORT_OVERSIZE, "oversize" },
		{ BAD_COMMAND, TRANSPORT_BAD_COMMAND, "bad-command" },
	};
	uint8_t frame[64], good[MSG_HEADER_SIZE];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = raw_connect(f->port);
		int opens = f->a.opens, closes = f->a.closes;
		assert_true(run_until(f, &f->a.opens, opens + 1, 3000));
		/* a good frame first, delivered; then the bad one, split in two writes */
		assert_int_equal(msg_header_encode(good, magic, MSG_VERACK, NULL, 0), 0);
		raw_write(fd, good, sizeof(good));
		size_t n = bad_frame(frame, cases[i].kind);
		raw_write(fd, frame, 10);
		run_for(f, 20);
		assert_int_equal(f->a.closes, closes);
		raw_write(fd, frame + 10, n - 10);
		assert_true(run_until(f, &f->a.closes, closes + 1, 3000));
		assert_int_equal(f->a.close_code, cases[i].code);
		assert_string_equal(transport_reason_name(f->a.close_code), cases[i].name);
		assert_true(transport_reason_is_peer_fault(f->a.close_code));
		assert_true(f->a.close_reason[0] != '\0');
		assert_int_equal(f->a.msgs, 1); /* only the verack */
		assert_string_equal(f->a.cmd[0], "verack");
		assert_true(raw_sees_close(f, fd));
		close(fd);
		side_clear_msgs(&f->a);
	}

	/* the listener still serves a good connection */
	connect_pair(f);
	assert_int_equal(transport_send(f->b.conn, MSG_GETADDR, NULL, 0), 0);
	assert_true(run_until(f, &f->a.msgs, 1, 3000));
	assert_string_equal(f->a.cmd[0], "getaddr");
	assert_false(transport_reason_is_peer_fault(TRANSPORT_PEER_CLOSED));
}

static void test_oversize_closes_before_payload(void **state)
{
	struct fixture *f = *state;
	uint8_t frame[64];
	int fd = raw_connect(f->port);
	assert_true(run_until(f, &f->a.opens, 1, 3000));
	bad_frame(frame, BAD_SIZE);
	raw_write(fd, frame, MSG_HEADER_SIZE); /* the header alone */
	assert_true(run_until(f, &f->a.closes, 1, 3000));
	assert_int_equal(f->a.close_code, TRANSPORT_OVERSIZE);
	close(fd);
}

static void test_send_bound(void **state)
{
	struct fixture *f = *state;
	static uint8_t chunk[20000];
	transport_set_sendbuf_max(f->a.t, 65536);
	connect_pair(f);
	struct conn *c = f->a.conn;
	/* Nothing is written before the loop turns, so the queue only grows. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(transport_send(c, MSG_BLOCK, chunk, sizeof(chunk)), 0);
	struct transport_stats st;
	transport_conn_stats(c, &st);
	assert_int_equal(st.sendq, 3 * (sizeof(chunk) + 24));
	assert_int_equal(transport_send(c, MSG_BLOCK, chunk, sizeof(chunk)), -1);
	assert_false(transport_conn_is_open(c));
	assert_int_equal(transport_send(c, MSG_PING, chunk, 8), -1);
	assert_true(run_until(f, &f->a.closes, 1, 3000));
	assert_int_equal(f->a.close_code, TRANSPORT_SEND_FULL);
	assert_true(run_until(f, &f->b.closes, 1, 3000));
	assert_int_equal(f->b.close_code, TRANSPORT_PEER_CLOSED);
	assert_int_equal(f->b.msgs, 0); /* closing drops what was queued */
}

static void test_close_inside_on_message(void **state)
{
	struct fixture *f = *state;
	uint8_t two[2 * (MSG_HEADER_SIZE + 8)];
	uint8_t nonce[8] = { 0 };
	f->a.close_in_message = true;
	connect_pair(f);
	/* both frames in one write, so both sit in one read */
	assert_int_equal(msg_header_encode(two, magic, MSG_PING, nonce, 8), 0);
	memcpy(two + MSG_HEADER_SIZE, nonce, 8);
	memcpy(two + MSG_HEADER_SIZE + 8, two, MSG_HEADER_SIZE + 8);
	int fd = raw_connect(f->port);
	assert_true(run_until(f, &f->a.opens, 2, 3000));
	raw_write(fd, two, sizeof(two));
	assert_true(run_until(f, &f->a.closes, 1, 3000));
	assert_int_equal(f->a.msgs, 1); /* nothing is delivered after the close */
	assert_int_equal(f->a.close_code, TRANSPORT_LOCAL);
	assert_string_equal(f->a.close_reason, "bye");
	assert_true(raw_sees_close(f, fd));
	close(fd);
	/* the same through a transport peer */
	assert_int_equal(transport_send(f->b.conn, MSG_PING, nonce, 8), 0);
	assert_int_equal(transport_send(f->b.conn, MSG_PING, nonce, 8), 0);
	assert_true(run_until(f, &f->b.closes, 1, 3000));
	assert_int_equal(f->a.msgs, 2);
	assert_int_equal(f->a.closes, 2);
}

static void test_free_with_open_connections(void **state)
{
	struct fixture *f = *state;
	static uint8_t data[100000];
	connect_pair(f);
	connect_pair(f);
	assert_int_equal(transport_conn_count(f->a.t), 2);
	assert_int_equal(transport_send(f->b.conn, MSG_BLOCK, data, sizeof(data)), 0);
	transport_free(f->b.t);
	f->b.t = NULL;
	assert_int_equal(f->b.closes, 2);
	assert_int_equal(f->b.close_code, TRANSPORT_SHUTDOWN);
	transport_free(f->a.t);
	f->a.t = NULL;
	assert_int_equal(f->a.closes, 2);
	transport_free(NULL);
}

static void test_connect_refused(void **state)
{
	struct fixture *f = *state;
	struct net_addr a;
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);
	char err[ERR_LEN];

	/* a port that was just free: bind, read it back, close */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	loopback(&a, ntohs(sa.sin_port));
	struct conn *c = transport_connect(f->b.t, &a, err);
	assert_non_null(c);
	assert_true(run_until(f, &f->b.closes, 1, 3000));
	assert_int_equal(f->b.close_code, TRANSPORT_CONNECT_FAILED);
	assert_int_equal(f->b.opens, 0);
	assert_non_null(strstr(f->b.close_reason, "cannot connect"));

	loopback(&a, 0);
	assert_null(transport_connect(f->b.t, &a, err));
	assert_non_null(strstr(err, "port 0"));
}

static void test_accept_filter(void **state)
{
	struct fixture *f = *state;
	f->a.refuse_inbound = true;
	int fd = raw_connect(f->port);
	assert_true(raw_sees_close(f, fd));
	close(fd);
	assert_int_equal(f->a.opens, 0);
	assert_int_equal(f->a.closes, 0);
	assert_int_equal(transport_conn_count(f->a.t), 0);
}

static void test_timeout_and_tick(void **state)
{
	struct fixture *f = *state;
	connect_pair(f);
	transport_set_timeout(f->a.conn, 1);
	transport_set_timeout(f->b.conn, 1);
	transport_set_timeout(f->b.conn, 0); /* cancelled */
	assert_true(run_until(f, &f->a.closes, 1, 3000));
	assert_int_equal(f->a.close_code, TRANSPORT_TIMEOUT);
	assert_string_equal(f->a.close_reason, "timeout");
	assert_true(run_until(f, &f->b.closes, 1, 3000));
	assert_int_equal(f->b.close_code, TRANSPORT_PEER_CLOSED);
	assert_true(run_until(f, &f->a.ticks, 1, 3000));
}

static void test_listen_errors_and_ipv6(void **state)
{
	struct fixture *f = *state;
	char err[ERR_LEN], bind_addr[64];
	snprintf(bind_addr, sizeof(bind_addr), "127.0.0.1:%u", (unsigned)f->port);
	assert_int_equal(transport_listen(f->b.t, bind_addr, err), -1);
	assert_non_null(strstr(err, "cannot listen"));
	assert_int_equal(transport_listen(f->b.t, "localhost:1", err), -1);
	assert_int_equal(transport_listen_port(f->b.t), 0);

	if (transport_listen(f->b.t, "[::1]:0", err) != 0)
		skip(); /* no IPv6 loopback here */
	struct net_addr a;
	assert_int_equal(net_addr_parse(&a, "::1", transport_listen_port(f->b.t), err), 0);
	assert_non_null(transport_connect(f->a.t, &a, err));
	assert_true(run_until(f, &f->b.opens, 1, 3000));
	assert_true(run_until(f, &f->a.opens, 1, 3000));
	assert_false(net_addr_is_ipv4(transport_conn_addr(f->b.conn)));
	assert_int_equal(transport_send(f->a.conn, MSG_SENDHEADERS, NULL, 0), 0);
	assert_true(run_until(f, &f->b.msgs, 1, 3000));
	assert_string_equal(f->b.cmd[0], "sendheaders");
}

/* With a source set, b's connections leave from it: a sees b at
 * 127.0.0.2. A loopback source is not used toward another address, and a
 * source that cannot be bound fails the connect with the reason. */
static void test_source_address(void **state)
{
	struct fixture *f = *state;
	struct net_addr src, a, seen;
	char err[ERR_LEN];
	assert_int_equal(net_addr_parse(&src, "127.0.0.2", 0, err), 0);
	transport_set_source(f->b.t, &src);
	connect_pair(f);
	seen = *transport_conn_addr(f->a.conn);
	assert_memory_equal(seen.ip, src.ip, 16);
	assert_true(seen.port != 0);

	/* 192.0.2.1 (TEST-NET) is unreachable from loopback: no bind is
	 * attempted, the connect itself starts (and later fails). */
	assert_int_equal(net_addr_parse(&a, "192.0.2.1:9", 0, err), 0);
	struct conn *c = transport_connect(f->b.t, &a, err);
	assert_non_null(c);
	transport_close(c, "enough");

	/* a source address this machine does not have */
	assert_int_equal(net_addr_parse(&src, "192.0.2.7", 0, err), 0);
	transport_set_source(f->b.t, &src);
	assert_null(transport_connect(f->b.t, &a, err));
	assert_non_null(strstr(err, "from 192.0.2.7"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_exchange),
		T(test_source_address),
		T(test_large_payloads),
		T(test_bad_frames),
		T(test_oversize_closes_before_payload),
		T(test_send_bound),
		T(test_close_inside_on_message),
		T(test_free_with_open_connections),
		T(test_connect_refused),
		T(test_accept_filter),
		T(test_timeout_and_tick),
		T(test_listen_errors_and_ipv6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
