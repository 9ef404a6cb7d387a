/* A delay relay for the scale harness (tests/scale/scale.py, docs/scale.md):
 * internet latency between nodes that all live on one machine's loopback,
 * where the kernel has no netem.
 *
 *   relay --map FILE [--delay-ms 50] [--jitter-ms 20] [--rate-kbit 0]
 *         [--max-buffer 1048576] [--seed 1]
 *
 * Every line of FILE is "PUBLIC PRIVATE PORT": the relay listens on
 * PUBLIC:PORT (the address a node advertises with -externalip and others
 * dial) and forwards each connection to PRIVATE:PORT (where the node is
 * really bound). Each direction of each connection gets a one-way delay
 * drawn uniformly from [delay - jitter, delay + jitter] when it opens; every
 * byte read is written out that long after it was read, so bytes of a
 * stream are never reordered. A connection that arrives from a PRIVATE
 * address (a node dialing out from where it is bound) is forwarded from that
 * node's PUBLIC address, so the far node sees its peer where the peer
 * listens, one /24 per group as without the relay.
 *
 * --rate-kbit caps each node's traffic, each direction on its own (upload:
 * what the relay reads from the node's sockets; download: what it writes to
 * them), with one token bucket per node (libevent rate-limit groups). Bytes
 * a direction holds (delayed plus not yet written) are capped by
 * --max-buffer: past it the relay stops reading that side until they drain.
 *
 * Prints "ready N" on stdout once every listener is bound; on SIGTERM or
 * SIGINT it prints its counters to stderr and exits. Test tooling only,
 * never linked into cairnd. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_MARKS 65536u     /* delayed chunks a direction may hold */
#define COALESCE_US 1000u    /* reads this close share one release time */

struct node {
	struct sockaddr_in pub, priv;
	struct bufferevent_rate_limit_group *group; /* NULL without --rate-kbit */
};

/* The bytes of one direction waiting for their time: they sit in 'held',
 * and mark k says that its next len bytes are due at due_us. */
struct mark {
	size_t len;
	uint64_t due_us;
};

struct dir {
	struct link *link;
	struct bufferevent *src, *dst;
	struct evbuffer *held;
	struct mark *marks;
	size_t head, n, cap;
	uint64_t delay_us, last_read_us;
	struct event *timer;
	bool src_closed;
};

struct link {
	struct bufferevent *a, *b; /* a: accepted (the dialer), b: to the node */
	struct dir ab, ba;
	bool connected; /* b's connect finished */
};

static struct {
	struct event_base *base;
	struct node *nodes;
	size_t n_nodes;
	uint64_t delay_us, jitter_us, rate_bps;
	size_t max_buffer;
	uint64_t accepted, open, peak_open, failed, bytes, throttled;
} R = { .delay_us = 50000, .jitter_us = 20000, .max_buffer = 1u << 20 };

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t draw_delay(void)
{
	if (R.jitter_us == 0)
		return R.delay_us;
	uint64_t lo = R.delay_us > R.jitter_us ? R.delay_us - R.jitter_us : 0;
	uint64_t span = R.delay_us + R.jitter_us - lo;
	return lo + (uint64_t)((double)random() / ((double)RAND_MAX + 1.0) * (double)(span + 1));
}

static struct node *node_by(const struct sockaddr_in *a, bool pub)
{
	for (size_t i = 0; i < R.n_nodes; i++) {
		const struct sockaddr_in *s = pub ? &R.nodes[i].pub : &R.nodes[i].priv;
		if (s->sin_addr.s_addr == a->sin_addr.s_addr && (!pub || s->sin_port == a->sin_port))
			return &R.nodes[i];
	}
	return NULL;
}

/* ---- closing ---- */

static void link_free(struct link *l)
{
	struct dir *d[2] = { &l->ab, &l->ba };
	for (int i = 0; i < 2; i++) {
		event_free(d[i]->timer);
		evbuffer_free(d[i]->held);
		free(d[i]->marks);
	}
	bufferevent_free(l->a);
	bufferevent_free(l->b);
	free(l);
	R.open--;
}

/* A direction is done once its source closed and all it read was written. */
static bool dir_drained(const struct dir *d)
{
	return d->n == 0 && evbuffer_get_length(bufferevent_get_output(d->dst)) == 0;
}

/* Closes the link when a side has closed and what it sent has gone out (a
 * peer's last message before it hangs up still arrives, late as it should). */
static void link_check(struct link *l)
{
	if ((l->ab.src_closed && dir_drained(&l->ab)) || (l->ba.src_closed && dir_drained(&l->ba)) ||
	    (l->ab.src_closed && l->ba.src_closed))
		link_free(l);
}

/* ---- the delay ---- */

static size_t dir_pending(const struct dir *d)
{
	return evbuffer_get_length(d->held) + evbuffer_get_length(bufferevent_get_output(d->dst));
}

static void dir_arm(struct dir *d, uint64_t now)
{
	if (d->n == 0)
		return;
	uint64_t due = d->marks[d->head].due_us, wait = due > now ? due - now : 0;
	struct timeval tv = { .tv_sec = (time_t)(wait / 1000000u), .tv_usec = (suseconds_t)(wait % 1000000u) };
	event_add(d->timer, &tv);
}

/* Reading resumes once what a direction holds is under half the cap; bytes
 * left in the input when it stopped are taken now (no read event comes for
 * them). */
static void read_cb(struct bufferevent *bev, void *arg);

static void dir_resume(struct dir *d)
{
	if (d->src_closed || (d->n == d->cap && d->cap == MAX_MARKS) || dir_pending(d) >= R.max_buffer / 2)
		return;
	bufferevent_enable(d->src, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(d->src)))
		read_cb(d->src, d->link);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dir *d = arg;
	(void)fd;
	(void)what;
	uint64_t now = now_us();
	while (d->n && d->marks[d->head].due_us <= now) {
		struct mark *m = &d->marks[d->head];
		evbuffer_remove_buffer(d->held, bufferevent_get_output(d->dst), m->len);
		d->head = (d->head + 1) % d->cap;
		d->n--;
	}
	dir_arm(d, now);
	dir_resume(d);
}

static bool dir_push(struct dir *d, size_t len, uint64_t now)
{
	uint64_t due = now + d->delay_us;
	if (d->n && now - d->last_read_us < COALESCE_US) {
		/* the earlier bytes of the chunk wait up to a millisecond more */
		struct mark *last = &d->marks[(d->head + d->n - 1) % d->cap];
		last->len += len;
		last->due_us = due;
		return true;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		if (cap > MAX_MARKS)
			return false;
		struct mark *m = malloc(cap * sizeof(*m));
		if (!m)
			return false;
		for (size_t i = 0; i < d->n; i++)
			m[i] = d->marks[(d->head + i) % d->cap];
		free(d->marks);
		d->marks = m;
		d->head = 0;
		d->cap = cap;
	}
	d->marks[(d->head + d->n) % d->cap] = (struct mark){ len, due };
	d->n++;
	d->last_read_us = now;
	if (d->n == 1)
		dir_arm(d, now);
	return true;
}

static struct dir *dir_of(struct link *l, struct bufferevent *src)
{
	return src == l->a ? &l->ab : &l->ba;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct link *l = arg;
	struct dir *d = dir_of(l, bev);
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	if (len == 0)
		return;
	if (!dir_push(d, len, now_us())) {
		bufferevent_disable(bev, EV_READ); /* too many chunks: wait for them */
		R.throttled++;
		return;
	}
	R.bytes += len;
	evbuffer_add_buffer(d->held, in);
	if (dir_pending(d) >= R.max_buffer) {
		bufferevent_disable(bev, EV_READ);
		R.throttled++;
	}
}

/* Output drained (the low watermark is 0): resume reading, or finish a
 * closing link. */
static void write_cb(struct bufferevent *bev, void *arg)
{
	struct link *l = arg;
	struct dir *d = bev == l->a ? &l->ba : &l->ab; /* the direction writing to bev */
	dir_resume(d);
	link_check(l);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct link *l = arg;
	if (what & BEV_EVENT_CONNECTED) {
		int one = 1;
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		l->connected = true;
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (bev == l->b && !l->connected)
		R.failed++; /* the node refused or is gone */
	struct dir *d = dir_of(l, bev);
	d->src_closed = true;
	bufferevent_disable(bev, EV_READ);
	/* a reset socket takes nothing more: what waits for it is dropped */
	if (what & BEV_EVENT_ERROR)
		link_free(l);
	else
		link_check(l);
}

/* ---- accepting ---- */

static void die(const char *what)
{
	fprintf(stderr, "relay: %s\n", what);
	exit(1);
}

static void dir_init(struct dir *d, struct link *l, struct bufferevent *src, struct bufferevent *dst)
{
	d->link = l;
	d->src = src;
	d->dst = dst;
	d->delay_us = draw_delay();
	d->held = evbuffer_new();
	d->timer = evtimer_new(R.base, timer_cb, d);
	if (!d->held || !d->timer)
		die("out of memory");
}

/* A socket to the node, bound to the dialer's public address when the
 * dialer is a node, so that the node sees it where it listens. */
static evutil_socket_t dial_socket(const struct node *from)
{
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || !from)
		return fd;
	int one = 1;
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	struct sockaddr_in src = from->pub;
	src.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void accept_cb(struct evconnlistener *lst, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
	struct node *to = arg;
	(void)lst;
	(void)len;
	R.accepted++;
	const struct node *from = sa->sa_family == AF_INET ? node_by((struct sockaddr_in *)sa, false) : NULL;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	evutil_socket_t out = dial_socket(from);
	if (out < 0) {
		evutil_closesocket(fd); /* out of descriptors: the dialer sees a refusal */
		R.failed++;
		return;
	}
	struct link *l = calloc(1, sizeof(*l));
	if (!l || !(l->a = bufferevent_socket_new(R.base, fd, BEV_OPT_CLOSE_ON_FREE)) ||
	    !(l->b = bufferevent_socket_new(R.base, out, BEV_OPT_CLOSE_ON_FREE)))
		die("out of memory");
	dir_init(&l->ab, l, l->a, l->b);
	dir_init(&l->ba, l, l->b, l->a);
	if (++R.open > R.peak_open)
		R.peak_open = R.open;
	bufferevent_setwatermark(l->a, EV_READ, 0, R.max_buffer);
	bufferevent_setwatermark(l->b, EV_READ, 0, R.max_buffer);
	bufferevent_setcb(l->a, read_cb, write_cb, event_cb, l);
	bufferevent_setcb(l->b, read_cb, write_cb, event_cb, l);
	if (from && from->group)
		bufferevent_add_to_rate_limit_group(l->a, from->group);
	if (to->group)
		bufferevent_add_to_rate_limit_group(l->b, to->group);
	bufferevent_enable(l->a, EV_READ | EV_WRITE);
	bufferevent_enable(l->b, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(l->b, (struct sockaddr *)&to->priv, sizeof(to->priv)) != 0) {
		R.failed++;
		link_free(l);
	}
}

/* ---- setup ---- */

static int parse_host(struct sockaddr_in *s, const char *host, unsigned port)
{
	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	s->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &s->sin_addr) == 1 ? 0 : -1;
}

static int load_map(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "relay: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	char pub[64], priv[64];
	unsigned port;
	size_t cap = 0;
	int got;
	while ((got = fscanf(f, "%63s %63s %u", pub, priv, &port)) == 3) {
		if (R.n_nodes == cap) {
			cap = cap ? cap * 2 : 64;
			struct node *n = realloc(R.nodes, cap * sizeof(*n));
			if (!n)
				break;
			R.nodes = n;
		}
		struct node *nd = &R.nodes[R.n_nodes];
		memset(nd, 0, sizeof(*nd));
		if (port == 0 || port > 65535 || parse_host(&nd->pub, pub, port) || parse_host(&nd->priv, priv, port)) {
			fprintf(stderr, "relay: %s: bad line '%s %s %u'\n", path, pub, priv, port);
			fclose(f);
			return -1;
		}
		R.n_nodes++;
	}
	fclose(f);
	if (got != EOF || R.n_nodes == 0) {
		fprintf(stderr, "relay: %s: expected lines 'PUBLIC PRIVATE PORT'\n", path);
		return -1;
	}
	return 0;
}

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	event_base_loopbreak(R.base);
}

static int parse_num(const char *opt, const char *v, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v ? v : "", &end, 10);
	if (!v || !*v || *end || errno || x > 1000000000ull) {
		fprintf(stderr, "relay: %s needs a number, got '%s'\n", opt, v ? v : "");
		return -1;
	}
	*out = x;
	return 0;
}

static int parse_args(int argc, char **argv, const char **map)
{
	uint64_t seed = 1, v;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(o, "--map") == 0 && val)
			*map = val;
		else if (strcmp(o, "--delay-ms") == 0 && parse_num(o, val, &v) == 0)
			R.delay_us = v * 1000u;
		else if (strcmp(o, "--jitter-ms") == 0 && parse_num(o, val, &v) == 0)
			R.jitter_us = v * 1000u;
		else if (strcmp(o, "--rate-kbit") == 0 && parse_num(o, val, &v) == 0)
			R.rate_bps = v * 1000u / 8u;
		else if (strcmp(o, "--max-buffer") == 0 && parse_num(o, val, &v) == 0 && v >= 4096)
			R.max_buffer = (size_t)v;
		else if (strcmp(o, "--seed") == 0 && parse_num(o, val, &v) == 0)
			seed = v;
		else {
			fprintf(stderr, "usage: relay --map FILE [--delay-ms 50] [--jitter-ms 20] [--rate-kbit 0] "
					"[--max-buffer 1048576 (at least 4096)] [--seed 1]\n");
			return -1;
		}
		i++;
	}
	if (!*map) {
		fprintf(stderr, "relay: --map FILE is required\n");
		return -1;
	}
	srandom((unsigned)seed);
	return 0;
}

/* One token bucket per node: rate_bps each way, a burst of a tenth of a
 * second (at least 1,500 bytes), refilled every 10 ms. */
static int make_groups(void)
{
	if (!R.rate_bps)
		return 0;
	size_t burst = R.rate_bps / 10 > 1500 ? R.rate_bps / 10 : 1500;
	struct timeval tick = { 0, 10000 };
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(R.rate_bps / 100 ? R.rate_bps / 100 : 1, burst,
								  R.rate_bps / 100 ? R.rate_bps / 100 : 1, burst, &tick);
	if (!cfg)
		return -1;
	for (size_t i = 0; i < R.n_nodes; i++)
		if (!(R.nodes[i].group = bufferevent_rate_limit_group_new(R.base, cfg)))
			return -1;
	ev_token_bucket_cfg_free(cfg);
	return 0;
}

int main(int argc, char **argv)
{
	const char *map = NULL;
	if (parse_args(argc, argv, &map) != 0 || load_map(map) != 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	struct event_config *cfg = event_config_new();
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	R.base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (!R.base || make_groups() != 0) {
		fprintf(stderr, "relay: cannot set up libevent\n");
		return 1;
	}
	struct evconnlistener **lst = calloc(R.n_nodes, sizeof(*lst));
	for (size_t i = 0; lst && i < R.n_nodes; i++) {
		lst[i] = evconnlistener_new_bind(R.base, accept_cb, &R.nodes[i],
						 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
						 (struct sockaddr *)&R.nodes[i].pub, sizeof(R.nodes[i].pub));
		if (!lst[i]) {
			char h[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &R.nodes[i].pub.sin_addr, h, sizeof(h));
			fprintf(stderr, "relay: cannot listen on %s:%u: %s\n", h, ntohs(R.nodes[i].pub.sin_port),
				strerror(errno));
			return 1;
		}
	}
	struct event *term = evsignal_new(R.base, SIGTERM, stop_cb, NULL);
	struct event *intr = evsignal_new(R.base, SIGINT, stop_cb, NULL);
	if (!lst || !term || !intr || event_add(term, NULL) || event_add(intr, NULL))
		return 1;
	printf("ready %zu\n", R.n_nodes);
	fflush(stdout);
	event_base_dispatch(R.base);
	fprintf(stderr,
		"relay: accepted %llu, open %llu, peak open %llu, failed %llu, bytes %llu, throttled %llu\n",
		(unsigned long long)R.accepted, (unsigned long long)R.open, (unsigned long long)R.peak_open,
		(unsigned long long)R.failed, (unsigned long long)R.bytes, (unsigned long long)R.throttled);
	return 0;
}
