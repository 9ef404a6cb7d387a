/* Address relay driven in-process with peers on no connection
 * (peer_new_captured), the mesh listening on 127.0.0.1: an outbound peer
 * is asked for addresses and told where we listen at once; an inbound peer
 * hears our address only once it takes part in address relay, and after
 * the answer to its getaddr; the announcement comes again on its own
 * (on average daily); -externalip replaces the bound address; an address
 * fetch ends on the answer to its getaddr; a block-relay-only peer takes
 * no part in address relay either way. The mesh's 100 ms timer runs
 * only while such work waits: queued work arms it, and once the queues
 * are empty it stops. */
#include "tests/unit/chain_fixture.h"

#include <time.h>

#include <event2/event.h>

#include "chain/mempool.h"
#include "p2p/addrrelay.h"
#include "p2p/gossip.h"
#include "p2p/peer.h"
#include "util/clock.h"

#define DAY_US (86400ull * 1000000u)

struct mesh {
	struct fixture *f;
	struct mempool *mp;
	struct event_base *base;
	struct p2p *net;
	struct peer *peer;
	struct buf out;
};

struct frame {
	char cmd[MSG_COMMAND_SIZE + 1];
	struct msg_addr addr; /* decoded when cmd is addr */
};

static struct mesh *mesh_new_cfg(const char *externalip, bool connect_only)
{
	static const char *const bind[] = { "127.0.0.1:0" };
	const char *ext[] = { externalip };
	struct mesh *m = calloc(1, sizeof(*m));
	char err[ERR_LEN] = "";
	assert_non_null(m);
	m->f = fix_new();
	assert_non_null(m->mp = mempool_new(m->f->cs, NULL));
	assert_non_null(m->base = event_base_new());
	struct p2p_config cfg = { .max_connections = 8, .connect_only = connect_only, .listen = true, .bind = bind,
				  .n_bind = 1, .externalip = ext, .n_externalip = externalip ? 1 : 0,
				  .datadir = m->f->dir };
	m->net = p2p_new(m->base, m->f->cs, m->mp, &cfg, err);
	if (!m->net)
		fail_msg("p2p_new: %s", err);
	buf_init(&m->out);
	return m;
}

static struct mesh *mesh_new(const char *externalip)
{
	return mesh_new_cfg(externalip, true);
}

static void mesh_free(struct mesh *m)
{
	p2p_free(m->net);
	event_base_free(m->base);
	mempool_free(m->mp);
	buf_release(&m->out);
	fix_free(m->f);
	free(m);
}

/* A captured peer of this type at 127.0.0.9 (a loopback peer, which may
 * be told a loopback address). */
static struct peer *add_peer(struct mesh *m, enum p2p_conn_type type)
{
	char err[ERR_LEN];
	assert_non_null(m->peer = peer_new_captured(m->net, 1, type, &m->out));
	assert_int_equal(net_addr_parse(&m->peer->addr, "127.0.0.9:40000", 0, err), 0);
	return m->peer;
}

/* The messages sent since the last call, decoded; the outbox emptied. */
static size_t take(struct mesh *m, struct frame *fr, size_t max)
{
	size_t n = 0;
	char err[ERR_LEN];
	for (size_t off = 0; off < m->out.len; n++) {
		struct msg_header h;
		assert_true(n < max);
		assert_int_equal(msg_header_decode(&h, m->out.data + off, m->f->p->magic, err), MSG_OK);
		const uint8_t *payload = m->out.data + off + MSG_HEADER_SIZE;
		memcpy(fr[n].cmd, h.command, sizeof(fr[n].cmd));
		memset(&fr[n].addr, 0, sizeof(fr[n].addr));
		if (strcmp(h.command, MSG_ADDR) == 0)
			assert_int_equal(msg_addr_decode(&fr[n].addr, payload, h.len, err), 0);
		off += MSG_HEADER_SIZE + h.len;
	}
	buf_reset(&m->out);
	return n;
}

static void frames_free(struct frame *fr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		msg_addr_release(&fr[i].addr);
}

/* fr is an addr of one entry: text ("ip:port"), fresh. */
static void assert_self(const struct frame *fr, const char *text)
{
	char got[NET_ADDR_TEXT_LEN];
	assert_string_equal(fr->cmd, MSG_ADDR);
	assert_int_equal(fr->addr.n, 1);
	net_addr_to_text(&fr->addr.addrs[0], got);
	assert_string_equal(got, text);
	assert_true(fr->addr.addrs[0].time + 60 >= clock_now());
}

static void listen_text(struct mesh *m, char out[NET_ADDR_TEXT_LEN])
{
	snprintf(out, NET_ADDR_TEXT_LEN, "127.0.0.1:%u", (unsigned)p2p_listen_port(m->net));
}

static void test_outbound_told_at_once(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(NULL);
	struct frame fr[4];
	char self[NET_ADDR_TEXT_LEN];
	listen_text(m, self);
	addrrelay_peer_ready(add_peer(m, P2P_OUTBOUND));
	size_t n = take(m, fr, 4);
	assert_int_equal(n, 2);
	assert_string_equal(fr[0].cmd, MSG_GETADDR);
	assert_self(&fr[1], self);
	frames_free(fr, n);
	mesh_free(m);
}

/* A block-relay-only peer is neither asked for addresses nor told ours,
 * and what it sends is not learnt (Core: no address relay there). */
static void test_block_relay_only_no_addr(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(NULL);
	struct net_addr a;
	struct msg_addr msg = { 1, &a };
	struct buf b = BUF_INIT;
	char err[ERR_LEN];
	struct peer *p = add_peer(m, P2P_BLOCK_RELAY);
	addrrelay_peer_ready(p);
	assert_int_equal(m->out.len, 0);
	assert_int_equal(net_addr_parse(&a, "127.5.6.7:9733", 0, err), 0);
	a.time = (uint32_t)clock_now();
	assert_int_equal(msg_addr_encode(&b, &msg), 0);
	addrrelay_on_addr(p, b.data, b.len);
	buf_release(&b);
	assert_int_equal(addrman_size(m->net->am), 0);
	assert_false(p->closing);
	addrrelay_flush(p, clock_mono_us() + 100000000u);
	assert_int_equal(m->out.len, 0);
	mesh_free(m);
}

static void test_inbound_after_its_getaddr(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(NULL);
	struct frame fr[4];
	char self[NET_ADDR_TEXT_LEN];
	uint64_t now = clock_mono_us();
	listen_text(m, self);
	struct peer *p = add_peer(m, P2P_INBOUND);
	addrrelay_peer_ready(p);
	addrrelay_flush(p, now + 5000000u);
	assert_int_equal(m->out.len, 0); /* takes no part in address relay yet */

	addrrelay_on_getaddr(p, NULL, 0);
	size_t n = take(m, fr, 4);
	assert_int_equal(n, 1);
	assert_string_equal(fr[0].cmd, MSG_ADDR); /* the answer, at once */
	assert_int_equal(fr[0].addr.n, 0);
	frames_free(fr, n);

	addrrelay_flush(p, now + 5000000u);
	n = take(m, fr, 4);
	assert_int_equal(n, 1);
	assert_self(&fr[0], self);
	frames_free(fr, n);

	/* daily on average: thirty days on it is due again (but for a chance
	 * of e^-30), though the peer was sent it before */
	addrrelay_flush(p, now + 30 * DAY_US);
	n = take(m, fr, 4);
	assert_int_equal(n, 1);
	assert_self(&fr[0], self);
	frames_free(fr, n);
	mesh_free(m);
}

static void test_externalip_replaces_bind(void **state)
{
	(void)state;
	struct mesh *m = mesh_new("127.0.0.7:1234");
	struct p2p_local_info info[4];
	struct frame fr[4];
	assert_int_equal(p2p_local_addresses(m->net, info, 4), 1);
	assert_int_equal(info[0].addr.port, 1234);
	assert_int_equal(info[0].score, LOCALADDR_MANUAL);
	addrrelay_peer_ready(add_peer(m, P2P_OUTBOUND));
	size_t n = take(m, fr, 4);
	assert_int_equal(n, 2);
	assert_self(&fr[1], "127.0.0.7:1234");
	frames_free(fr, n);
	mesh_free(m);

	/* without a port, the listening one */
	m = mesh_new("127.0.0.7");
	assert_int_equal(p2p_local_addresses(m->net, info, 4), 1);
	assert_int_equal(info[0].addr.port, p2p_listen_port(m->net));
	mesh_free(m);
}

static void test_bad_externalip(void **state)
{
	(void)state;
	static const char *const bind[] = { "127.0.0.1:0" };
	static const char *const bad[] = { "not-an-ip", "0.0.0.0", "127.0.0.1:99999" };
	struct fixture *f = fix_new();
	struct mempool *mp = mempool_new(f->cs, NULL);
	struct event_base *base = event_base_new();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[ERR_LEN] = "", want[64];
		struct p2p_config cfg = { .max_connections = 8, .connect_only = true, .listen = true,
					  .bind = bind, .n_bind = 1, .externalip = &bad[i], .n_externalip = 1,
					  .datadir = f->dir };
		assert_null(p2p_new(base, f->cs, mp, &cfg, err));
		snprintf(want, sizeof(want), "invalid -externalip '%s'", bad[i]);
		assert_non_null(strstr(err, want));
	}
	event_base_free(base);
	mempool_free(mp);
	fix_free(f);
}

/* An address fetch hangs up on the answer to its getaddr, whatever its
 * size, and not before. */
static void test_addr_fetch_ends_on_answer(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(NULL);
	struct frame fr[4];
	struct peer *p = add_peer(m, P2P_ADDR_FETCH);
	addrrelay_peer_ready(p);
	size_t n = take(m, fr, 4);
	assert_int_equal(n, 2); /* getaddr, and where we listen: the seed passes it on */
	frames_free(fr, n);
	assert_false(p->closing);
	struct msg_addr empty = { 0, NULL };
	struct buf b = BUF_INIT;
	assert_int_equal(msg_addr_encode(&b, &empty), 0);
	addrrelay_on_addr(p, b.data, b.len);
	buf_release(&b);
	assert_true(p->closing);
	mesh_free(m);
}

static size_t outbound(const struct mesh *m)
{
	size_t n = 0;
	for (const struct peer *p = m->net->peers; p; p = p->next)
		n += p->type == P2P_OUTBOUND;
	return n;
}

/* A newcomer whose seed answers with new addresses opens an outbound
 * connection at once (nothing listens there: it is only started), not at
 * the next tick; a second answer, with an outbound peer under way, opens
 * nothing more. */
static void test_seed_answer_opens_outbound(void **state)
{
	(void)state;
	struct mesh *m = mesh_new_cfg(NULL, false);
	struct frame fr[4];
	char err[ERR_LEN];
	struct net_addr a[3];
	for (int i = 0; i < 3; i++) {
		char text[32];
		snprintf(text, sizeof(text), "127.78.%d.1:1", i + 1);
		assert_int_equal(net_addr_parse(&a[i], text, 0, err), 0);
		a[i].time = (uint32_t)time(NULL);
	}
	for (int round = 0; round < 2; round++) {
		struct peer *p = add_peer(m, P2P_ADDR_FETCH);
		addrrelay_peer_ready(p);
		frames_free(fr, take(m, fr, 4));
		struct msg_addr answer = { round ? 1 : 2, a + 2 * round };
		struct buf b = BUF_INIT;
		assert_int_equal(msg_addr_encode(&b, &answer), 0);
		addrrelay_on_addr(p, b.data, b.len);
		buf_release(&b);
		assert_true(p->closing);
		assert_int_equal(outbound(m), 1);
	}
	mesh_free(m);
}

static bool fast_armed(const struct mesh *m)
{
	return evtimer_pending(m->net->fast, NULL) != 0;
}

static void test_short_timer_only_with_work(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(NULL);
	struct frame fr[4];
	char self[NET_ADDR_TEXT_LEN];
	listen_text(m, self);
	assert_false(fast_armed(m)); /* an idle node does not wake ten times a second */
	struct peer *p = add_peer(m, P2P_INBOUND);
	addrrelay_on_getaddr(p, NULL, 0); /* our address is now due to it */
	assert_true(fast_armed(m));
	for (int i = 0; i < 50 && fast_armed(m); i++)
		event_base_loop(m->base, EVLOOP_ONCE);
	assert_false(fast_armed(m));
	size_t n = take(m, fr, 4);
	assert_int_equal(n, 2); /* the getaddr answer, then our address from the timer */
	assert_self(&fr[1], self);
	frames_free(fr, n);

	uint8_t txid[32];
	memset(txid, 0x42, sizeof(txid));
	gossip_queue_tx(m->net, txid);
	assert_true(fast_armed(m));
	for (int i = 0; i < 50 && fast_armed(m); i++)
		event_base_loop(m->base, EVLOOP_ONCE);
	assert_false(fast_armed(m)); /* the trickle took it (not in the mempool: no inv) */
	assert_int_equal(m->out.len, 0);
	mesh_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outbound_told_at_once),
		cmocka_unit_test(test_block_relay_only_no_addr),
		cmocka_unit_test(test_inbound_after_its_getaddr),
		cmocka_unit_test(test_externalip_replaces_bind),
		cmocka_unit_test(test_bad_externalip),
		cmocka_unit_test(test_addr_fetch_ends_on_answer),
		cmocka_unit_test(test_seed_answer_opens_outbound),
		cmocka_unit_test(test_short_timer_only_with_work),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
