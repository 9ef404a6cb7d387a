/* The event stream's buffer and wire format, served by a real evhttp on
 * loopback in this process: numbers that go up by one and are printed
 * exactly, a replay of everything after Last-Event-ID while the ring
 * holds it, a reset once it does not (wrapped, foreign, not a number),
 * topic filters and their 400, and 405 for a method other than GET. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/http.h>

#include "rpc/events.h"

#define FIRST 1000

struct fixture {
	struct event_base *base;
	struct evhttp *http;
	struct events *ev;
	int port;
};

static void serve(struct evhttp_request *req, void *arg)
{
	events_serve(arg, req);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct events_config cfg = { .replay = 4, .first_seq = FIRST };
	char err[ERR_LEN];
	struct evhttp_bound_socket *bound;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	assert_non_null(f);
	assert_non_null(f->base = event_base_new());
	assert_non_null(f->http = evhttp_new(f->base));
	assert_non_null(f->ev = events_new(f->base, &cfg, err));
	evhttp_set_gencb(f->http, serve, f->ev);
	assert_non_null(bound = evhttp_bind_socket_with_handle(f->http, "127.0.0.1", 0));
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&sa, &len), 0);
	f->port = ntohs(sa.sin_port);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	events_free(f->ev);
	evhttp_free(f->http);
	event_base_free(f->base);
	free(f);
	return 0;
}

static uint64_t publish(struct fixture *f, enum events_topic topic, int n)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "n", n);
	return events_publish(f->ev, topic, o);
}

/* Sends a request and turns the loop until the answer holds `until`
 * (or 2 s pass); the bytes read, which the caller frees. */
static char *fetch(struct fixture *f, const char *request, const char *until)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)f->port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t n = 0, cap = 1 << 16;
	char *got = calloc(1, cap);

	assert_true(fd >= 0 && got);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, request, strlen(request), 0), (ssize_t)strlen(request));
	for (int i = 0; i < 2000 && !strstr(got, until); i++) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		ssize_t r = recv(fd, got + n, cap - 1 - n, MSG_DONTWAIT);
		if (r > 0)
			n += (size_t)r;
		else
			usleep(1000);
	}
	close(fd);
	event_base_loop(f->base, EVLOOP_NONBLOCK); /* let the server see the close */
	return got;
}

static char *stream(struct fixture *f, const char *query, const char *last_id, const char *until)
{
	char req[256];
	snprintf(req, sizeof(req), "GET /events%s HTTP/1.1\r\nHost: x\r\n%s%s%s\r\n", query, last_id ? "Last-Event-ID: " : "",
		 last_id ? last_id : "", last_id ? "\r\n" : "");
	return fetch(f, req, until);
}

static void test_numbers(void **state)
{
	struct fixture *f = *state;
	cJSON *o = cJSON_CreateObject();
	char *text;

	assert_int_equal(events_last(f->ev), FIRST - 1);
	assert_int_equal(publish(f, EVENTS_BLOCK, 1), FIRST);
	assert_int_equal(publish(f, EVENTS_TX, 2), FIRST + 1);
	assert_int_equal(events_last(f->ev), FIRST + 1);
	assert_string_equal(events_topic_name(EVENTS_ASSET), "asset");
	/* a number past 2^53 would lose digits as a double */
	assert_true(events_add_last(o, "sequence", f->ev));
	text = cJSON_PrintUnformatted(o);
	assert_string_equal(text, "{\"sequence\":1001}");
	cJSON_free(text);
	cJSON_Delete(o);
}

static void test_live_and_replay(void **state)
{
	struct fixture *f = *state;
	char *got;

	for (int i = 0; i < 3; i++)
		publish(f, i == 1 ? EVENTS_TIP : EVENTS_BLOCK, i);
	/* after 1000: 1001 and 1002, and nothing before */
	got = stream(f, "", "1000", "id: 1002");
	assert_non_null(strstr(got, "Content-Type: text/event-stream"));
	assert_non_null(strstr(got, "retry: 1000\n\n"));
	assert_null(strstr(got, "id: 1000\n"));
	assert_non_null(strstr(got, "id: 1001\nevent: tip\ndata: {\"n\":1,\"seq\":1001}\n\n"));
	assert_non_null(strstr(got, "id: 1002\nevent: block\n"));
	free(got);
	/* the newest number: nothing to replay, no reset */
	got = stream(f, "", "1002", "retry: 1000\n\n");
	assert_null(strstr(got, "id: "));
	assert_null(strstr(got, "reset"));
	free(got);
	/* a filter: only tips */
	got = stream(f, "?topics=tip", "999", "id: 1001");
	assert_null(strstr(got, "event: block"));
	free(got);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;
	char *got;

	for (int i = 0; i < 6; i++) /* 1000..1005; the ring keeps 1002..1005 */
		publish(f, EVENTS_BLOCK, i);
	got = stream(f, "", "1001", "id: 1005");
	assert_non_null(strstr(got, "id: 1002\n"));
	free(got);
	got = stream(f, "", "1000", "reset");
	assert_non_null(strstr(got, "event: reset\ndata: {\"seq\":1005,\"asked\":\"1000\"}\n\n"));
	assert_null(strstr(got, "id: 1002\n"));
	free(got);
	/* a number from the future (another run) and a word */
	got = stream(f, "", "99999", "reset");
	assert_non_null(strstr(got, "\"asked\":\"99999\""));
	free(got);
	got = stream(f, "", "x\"y", "reset");
	assert_non_null(strstr(got, "\"asked\":\"invalid\""));
	free(got);
}

/* An open stream: a socket, and what it has read so far. */
struct open_stream {
	int fd;
	size_t n;
	char got[1 << 16];
};

static void pump(struct fixture *f, struct open_stream *s, const char *until)
{
	for (int i = 0; i < 2000 && !strstr(s->got, until); i++) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		ssize_t r = recv(s->fd, s->got + s->n, sizeof(s->got) - 1 - s->n, MSG_DONTWAIT);
		if (r > 0)
			s->n += (size_t)r;
		else
			usleep(1000);
	}
}

/* Connects; with wait, until the stream has begun (which takes a write). */
static struct open_stream *open_stream(struct fixture *f, const char *query, bool wait)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)f->port) };
	struct open_stream *s = calloc(1, sizeof(*s));
	char req[128];

	assert_non_null(s);
	snprintf(req, sizeof(req), "GET /events%s HTTP/1.1\r\nHost: x\r\n\r\n", query);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(s->fd, req, strlen(req), 0), (ssize_t)strlen(req));
	if (wait) {
		pump(f, s, "retry: 1000\n\n");
		assert_non_null(strstr(s->got, "retry: 1000\n\n"));
	} else {
		size_t before = events_clients(f->ev);
		for (int i = 0; i < 2000 && events_clients(f->ev) == before; i++)
			event_base_loop(f->base, EVLOOP_NONBLOCK);
	}
	return s;
}

static void close_stream(struct fixture *f, struct open_stream *s)
{
	close(s->fd);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	free(s);
}

/* Each "id: N" in text once, in order from first to last, and no other. */
static void assert_ids(const char *text, uint64_t first, uint64_t last, uint64_t step)
{
	const char *p = text;
	uint64_t want = first;
	while ((p = strstr(p, "id: "))) {
		assert_int_equal(strtoull(p + 4, NULL, 10), want);
		want += step;
		p += 4;
	}
	assert_int_equal(want, last + step);
}

/* Live events go out in batches: more events than the ring holds between
 * two writes still reach every stream once each, in order, whatever it
 * follows, and a stream that joins between two writes gets nothing twice. */
static void test_live_batches(void **state)
{
	struct fixture *f = *state;
	struct open_stream *all = open_stream(f, "", true), *tips = open_stream(f, "?topics=tip", true);

	for (int i = 0; i < 10; i++) /* 1000..1009 in one turn of the loop; the ring keeps 4 */
		publish(f, i % 2 ? EVENTS_TIP : EVENTS_BLOCK, i);
	pump(f, all, "id: 1009\n");
	pump(f, tips, "id: 1009\n");
	assert_ids(all->got, 1000, 1009, 1);
	assert_ids(tips->got, 1001, 1009, 2);
	assert_null(strstr(tips->got, "event: block"));

	/* 1010 just after a write, so it waits for the next one; a stream
	 * joins and 1011 comes before that write */
	publish(f, EVENTS_BLOCK, 10);
	struct open_stream *late = open_stream(f, "", false);
	publish(f, EVENTS_BLOCK, 11);
	pump(f, all, "id: 1011\n");
	pump(f, late, "id: 1011\n");
	assert_ids(all->got, 1000, 1011, 1);
	assert_ids(late->got, 1011, 1011, 1);
	assert_int_equal(events_clients(f->ev), 3);
	close_stream(f, all);
	close_stream(f, tips);
	close_stream(f, late);
}

static void test_refused(void **state)
{
	struct fixture *f = *state;
	char *got;

	got = stream(f, "?topics=tip,nosuch", NULL, "\r\n\r\n");
	assert_non_null(strstr(got, "HTTP/1.1 400"));
	free(got);
	got = fetch(f, "POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "\r\n\r\n");
	assert_non_null(strstr(got, "HTTP/1.1 405"));
	assert_non_null(strstr(got, "Allow: GET"));
	free(got);
	assert_int_equal(events_clients(f->ev), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_and_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
