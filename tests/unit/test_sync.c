/* Headers-first sync driven in-process: peers on no connection
 * (peer_new_captured) hand the mesh headers and blocks a second chainstate
 * mined, and the getdata the mesh sends them is decoded from their outbox.
 * The download window (at most SYNC_MAX_BLOCKS_IN_FLIGHT per peer, blocks
 * spread over the peers in chain order, a freed slot refilled), stall
 * re-assignment (the peer holding the next block past the stall timeout
 * loses its requests to one that waits) and catch-up through the check
 * stage, inline and on a worker pool. */
#include "tests/unit/chain_fixture.h"

#include <time.h>

#include <event2/event.h>

#include "chain/mempool.h"
#include "p2p/addrman.h"
#include "p2p/connman.h"
#include "p2p/gossip.h"
#include "p2p/peer.h"
#include "p2p/sync.h"
#include "util/clock.h"
#include "util/pool.h"

#define STALL_MS 100

struct mesh {
	struct fixture *src;  /* the chain the peers serve */
	struct fixture *node; /* the node under test */
	struct mempool *mp;
	struct event_base *base;
	struct p2p *net;
	struct pool *pool;
	struct peer *peer[3];
	struct buf out[3];    /* what each peer was sent */
};

static struct mesh *mesh_new_cfg(int blocks, bool with_pool, bool connect_only)
{
	struct mesh *m = calloc(1, sizeof(*m));
	char err[ERR_LEN] = "";
	assert_non_null(m);
	m->src = fix_new();
	fix_mine(m->src, blocks, 0);
	m->node = fix_new();
	assert_non_null(m->mp = mempool_new(m->node->cs, NULL));
	assert_non_null(m->base = event_base_new());
	if (with_pool)
		assert_non_null(m->pool = pool_new(2, err));
	struct p2p_config cfg = {
		.max_connections = 8,
		.connect_only = connect_only,
		.stall_timeout_ms = STALL_MS,
		.datadir = m->node->dir,
		.pool = m->pool,
	};
	m->net = p2p_new(m->base, m->node->cs, m->mp, &cfg, err);
	if (!m->net)
		fail_msg("p2p_new: %s", err);
	for (int i = 0; i < 3; i++) {
		buf_init(&m->out[i]);
		assert_non_null(m->peer[i] = peer_new_captured(m->net, (uint64_t)i + 1, P2P_OUTBOUND, &m->out[i]));
	}
	return m;
}

static struct mesh *mesh_new(int blocks, bool with_pool)
{
	return mesh_new_cfg(blocks, with_pool, true);
}

static void mesh_free(struct mesh *m)
{
	p2p_free(m->net);
	pool_free(m->pool);
	event_base_free(m->base);
	mempool_free(m->mp);
	for (int i = 0; i < 3; i++)
		buf_release(&m->out[i]);
	fix_free(m->node);
	fix_free(m->src);
	free(m);
}

/* The source chain's block at height. */
static const uint8_t *src_hash(struct mesh *m, uint32_t height)
{
	return chainstate_at(m->src->cs, height)->hash;
}

/* Peer i sends the headers of the source chain's blocks 1..n. */
static void send_headers(struct mesh *m, int i, uint32_t n)
{
	struct block_header *h = calloc(n, sizeof(*h));
	struct buf b = BUF_INIT;
	assert_non_null(h);
	for (uint32_t k = 0; k < n; k++)
		h[k] = chainstate_at(m->src->cs, k + 1)->header;
	struct msg_headers msg = { n, h };
	assert_int_equal(msg_headers_encode(&b, &msg), 0);
	sync_on_headers(m->peer[i], b.data, b.len);
	buf_release(&b);
	free(h);
}

/* Peer i delivers the source chain's block at height. */
static void send_block(struct mesh *m, int i, uint32_t height)
{
	struct block blk;
	struct buf b = BUF_INIT;
	char err[ERR_LEN];
	assert_int_equal(chainstate_read_block(m->src->cs, chainstate_at(m->src->cs, height), &blk, err), 0);
	block_write(&b, &blk);
	block_release(&blk);
	sync_on_block(m->peer[i], b.data, b.len);
	buf_release(&b);
}

/* The heights (on the source chain) of every block peer i was asked for
 * since the last call, in the order asked; its outbox is emptied. Every
 * frame must be well formed, and a getdata for blocks only. */
static size_t asked(struct mesh *m, int i, uint32_t *heights, size_t max)
{
	struct buf *out = &m->out[i];
	size_t n = 0;
	char err[ERR_LEN];
	for (size_t off = 0; off < out->len;) {
		struct msg_header h;
		assert_true(out->len - off >= MSG_HEADER_SIZE);
		assert_int_equal(msg_header_decode(&h, out->data + off, m->node->p->magic, err), MSG_OK);
		const uint8_t *payload = out->data + off + MSG_HEADER_SIZE;
		assert_int_equal(msg_payload_check(&h, payload, h.len, err), MSG_OK);
		off += MSG_HEADER_SIZE + h.len;
		if (strcmp(h.command, MSG_GETDATA) != 0)
			continue;
		struct msg_inv inv;
		assert_int_equal(msg_inv_decode(&inv, payload, h.len, err), 0);
		for (size_t k = 0; k < inv.n; k++) {
			assert_int_equal(inv.items[k].type, INV_BLOCK);
			struct block_index *bi = chainstate_lookup(m->src->cs, inv.items[k].hash);
			assert_non_null(bi);
			assert_true(n < max);
			heights[n++] = bi->height;
		}
		msg_inv_release(&inv);
	}
	buf_reset(out);
	return n;
}

static void assert_heights(const uint32_t *got, size_t n, uint32_t from, uint32_t to)
{
	assert_int_equal(n, to - from + 1);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(got[k], from + k);
}

static size_t inflight(const struct peer *p)
{
	int32_t headers, blocks;
	size_t n;
	sync_peer_info(p, &headers, &blocks, &n);
	return n;
}

/* Each peer that shows it has the chain gets the next
 * SYNC_MAX_BLOCKS_IN_FLIGHT blocks nobody else has been asked for, in
 * chain order; a delivered block frees its slot for the next one. */
static void test_download_window(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(50, false);
	uint32_t h[64];
	size_t n;

	send_headers(m, 0, 50);
	assert_memory_equal(chainstate_best_header(m->node->cs)->hash, src_hash(m, 50), 32);
	n = asked(m, 0, h, 64);
	assert_heights(h, n, 1, SYNC_MAX_BLOCKS_IN_FLIGHT);
	assert_int_equal(inflight(m->peer[0]), SYNC_MAX_BLOCKS_IN_FLIGHT);

	send_headers(m, 1, 50);
	assert_heights(h, asked(m, 1, h, 64), 17, 32);
	send_headers(m, 2, 50);
	assert_heights(h, asked(m, 2, h, 64), 33, 48);
	assert_int_equal(asked(m, 0, h, 64), 0); /* a full peer gets nothing more */

	/* block 1 arrives: its slot goes to the first block nobody holds */
	send_block(m, 0, 1);
	assert_heights(h, asked(m, 0, h, 64), 49, 49);
	assert_int_equal(inflight(m->peer[0]), SYNC_MAX_BLOCKS_IN_FLIGHT);
	assert_int_equal(asked(m, 1, h, 64) + asked(m, 2, h, 64), 0);

	/* a peer that goes frees its requests for the others */
	sync_peer_closed(m->peer[1]);
	peer_free(m->peer[1]);
	m->peer[1] = NULL;
	send_block(m, 0, 2);
	assert_heights(h, asked(m, 0, h, 64), 17, 17);
	send_block(m, 2, 33);
	assert_heights(h, asked(m, 2, h, 64), 18, 18);
	mesh_free(m);
}

/* A peer that knows only part of the chain is asked only for that part. */
static void test_download_follows_what_peer_has(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(30, false);
	uint32_t h[64];

	send_headers(m, 0, 5);
	assert_heights(h, asked(m, 0, h, 64), 1, 5);
	send_headers(m, 1, 30);
	assert_heights(h, asked(m, 1, h, 64), 6, 21);
	mesh_free(m);
}

/* The peer holding the block the tip needs next, past the stall timeout,
 * loses every old request to a peer with free slots, and gets no new
 * requests until it delivers. */
static void test_stall_reassigns(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(20, false);
	uint32_t h[64];

	send_headers(m, 0, 20);
	assert_heights(h, asked(m, 0, h, 64), 1, 16);
	send_headers(m, 1, 20);
	assert_heights(h, asked(m, 1, h, 64), 17, 20);

	sync_tick(m->net); /* within the timeout: nothing moves */
	assert_int_equal(asked(m, 0, h, 64) + asked(m, 1, h, 64), 0);
	assert_int_equal(inflight(m->peer[0]), 16);

	usleep(3 * STALL_MS * 1000 / 2);
	sync_tick(m->net);
	assert_int_equal(inflight(m->peer[0]), 0);
	assert_int_equal(asked(m, 0, h, 64), 0);
	assert_heights(h, asked(m, 1, h, 64), 1, 12);
	assert_int_equal(inflight(m->peer[1]), SYNC_MAX_BLOCKS_IN_FLIGHT);
	assert_false(m->peer[0]->closing);

	/* the stalled peer is passed over while it has free slots */
	send_block(m, 1, 1);
	assert_heights(h, asked(m, 1, h, 64), 13, 13);
	assert_int_equal(asked(m, 0, h, 64), 0);
	mesh_free(m);
}

/* Delivered in any order during catch-up, held blocks go through the
 * check stage and connect in chain order up to the best header. */
static void catch_up(bool with_pool)
{
	struct mesh *m = mesh_new(40, with_pool);
	uint32_t h[2][64];
	size_t n[2];

	send_headers(m, 0, 40);
	send_headers(m, 1, 40);
	send_headers(m, 2, 40);
	n[0] = asked(m, 0, h[0], 64);
	n[1] = asked(m, 1, h[1], 64);
	assert_heights(h[0], n[0], 1, 16);
	assert_heights(h[1], n[1], 17, 32);
	/* the second peer answers first */
	for (size_t k = 0; k < n[1]; k++)
		send_block(m, 1, h[1][k]);
	assert_int_equal(chainstate_tip(m->node->cs)->height, 0);
	for (size_t k = 0; k < n[0]; k++)
		send_block(m, 0, h[0][k]);
	uint32_t rest[64];
	size_t n_rest = asked(m, 2, rest, 64);
	assert_heights(rest, n_rest, 33, 40);
	for (size_t k = 0; k < n_rest; k++)
		send_block(m, 2, rest[k]);
	assert_int_equal(chainstate_tip(m->node->cs)->height, 40);
	assert_memory_equal(chainstate_tip(m->node->cs)->hash, src_hash(m, 40), 32);
	mesh_free(m);
}

static void test_catch_up_inline(void **state)
{
	(void)state;
	catch_up(false);
}

static void test_catch_up_on_pool(void **state)
{
	(void)state;
	catch_up(true);
}

/* The headers messages in peer i's outbox since the last call (the
 * outbox is emptied): how many, and the heights of the first and last
 * header of the last one. */
static size_t headers_sent(struct mesh *m, int i, uint32_t *first, uint32_t *last)
{
	struct buf *out = &m->out[i];
	size_t n = 0;
	char err[ERR_LEN];
	for (size_t off = 0; off < out->len;) {
		struct msg_header h;
		assert_int_equal(msg_header_decode(&h, out->data + off, m->node->p->magic, err), MSG_OK);
		const uint8_t *payload = out->data + off + MSG_HEADER_SIZE;
		off += MSG_HEADER_SIZE + h.len;
		if (strcmp(h.command, MSG_HEADERS) != 0)
			continue;
		struct msg_headers hs;
		uint8_t hash[32];
		assert_int_equal(msg_headers_decode(&hs, payload, h.len, err), 0);
		assert_true(hs.n > 0);
		header_hash(hash, &hs.headers[0]);
		*first = chainstate_lookup(m->src->cs, hash)->height;
		header_hash(hash, &hs.headers[hs.n - 1]);
		*last = chainstate_lookup(m->src->cs, hash)->height;
		msg_headers_release(&hs);
		n++;
	}
	buf_reset(out);
	return n;
}

/* Peer i delivers the source chain's blocks from..to, and the held ones
 * connect (two flushes: one starts their check, one connects them). */
static void deliver(struct mesh *m, int i, uint32_t from, uint32_t to)
{
	for (uint32_t ht = from; ht <= to; ht++)
		send_block(m, i, ht);
	sync_flush(m->net);
	sync_flush(m->net);
}

/* While catching up, a peer that lacks our tip's header (peer 2, a
 * newcomer that told us of nothing) hears of our progress every
 * SYNC_PROGRESS_STEP blocks, with the headers connected since it last
 * heard; the peers we download from, which have the chain, hear nothing. */
static void test_progress_told_to_newcomer(void **state)
{
	(void)state;
	static struct chain_events ev;
	struct mesh *m = mesh_new(60, false);
	uint32_t h[64], first = 0, last = 0;
	ev = p2p_chain_events(m->net);
	assert_int_equal(chainstate_listen(m->node->cs, &ev), 0);

	send_headers(m, 0, 60);
	send_headers(m, 1, 60);
	assert_heights(h, asked(m, 0, h, 64), 1, 16);
	assert_heights(h, asked(m, 1, h, 64), 17, 32);
	assert_true(sync_far_behind(m->net));

	deliver(m, 0, 1, 16);
	assert_int_equal(chainstate_tip(m->node->cs)->height, 16);
	assert_int_equal(headers_sent(m, 2, &first, &last), 1);
	assert_int_equal(first, 1);
	assert_int_equal(last, 16);
	assert_int_equal(headers_sent(m, 0, &first, &last) + headers_sent(m, 1, &first, &last), 0);

	/* fewer than a step since: nothing; a step: the headers since */
	deliver(m, 1, 17, 31);
	assert_int_equal(chainstate_tip(m->node->cs)->height, 31);
	assert_int_equal(headers_sent(m, 2, &first, &last), 0);
	deliver(m, 1, 32, 32);
	assert_int_equal(headers_sent(m, 2, &first, &last), 1);
	assert_int_equal(first, 17);
	assert_int_equal(last, 32);
	assert_int_equal(headers_sent(m, 0, &first, &last) + headers_sent(m, 1, &first, &last), 0);
	chainstate_unlisten(m->node->cs, m->net);
	mesh_free(m);
}

static size_t outbound(struct p2p *net)
{
	size_t n = 0;
	for (struct peer *p = net->peers; p; p = p->next)
		n += p->type == P2P_OUTBOUND;
	return n;
}

/* An outbound slot a tick, except far behind the best header: then every
 * free slot is filled at once, when the headers that leave the node far
 * behind arrive (here from twelve addresses in twelve /24s,
 * nothing listening: the connections are only started). The three
 * captured peers take three of the eight slots. */
static void test_far_behind_fills_every_slot(void **state)
{
	(void)state;
	struct mesh *m = mesh_new_cfg(40, false, false);
	struct net_addr a[12];
	char err[ERR_LEN], text[32];
	uint64_t now = (uint64_t)time(NULL);
	for (int i = 0; i < 12; i++) {
		snprintf(text, sizeof(text), "127.77.%d.1:1", i + 1);
		assert_int_equal(net_addr_parse(&a[i], text, 0, err), 0);
	}
	assert_int_equal(addrman_add(m->net->am, a, 12, &a[0], now), 12);
	assert_int_equal(outbound(m->net), 3);
	connman_open(m->net, clock_mono_us());
	assert_int_equal(outbound(m->net), 4);

	send_headers(m, 0, 10); /* 10 behind: one a tick still */
	assert_false(sync_far_behind(m->net));
	connman_open(m->net, clock_mono_us());
	assert_int_equal(outbound(m->net), 5);

	/* 40 behind: the other three at once, as the headers come */
	send_headers(m, 0, 40);
	assert_true(sync_far_behind(m->net));
	assert_int_equal(outbound(m->net), SLOTS_FULL_RELAY);
	connman_open(m->net, clock_mono_us());
	assert_int_equal(outbound(m->net), SLOTS_FULL_RELAY);
	mesh_free(m);
}

/* Peer i answers notfound for the source chain's block at height. */
static void send_notfound(struct mesh *m, int i, uint32_t height)
{
	struct inv_item it = { INV_BLOCK, { 0 } };
	struct msg_inv inv = { 1, &it };
	struct buf b = BUF_INIT;
	memcpy(it.hash, src_hash(m, height), 32);
	assert_int_equal(msg_inv_encode(&b, &inv), 0);
	gossip_on_notfound(m->peer[i], b.data, b.len);
	buf_release(&b);
}

/* A block a peer answers notfound for goes at once to a peer with free
 * slots; the first is not asked for it, nor for any block above it, until
 * it announces them again. A notfound for a block asked of another peer
 * changes nothing. */
static void test_notfound_reassigns(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(20, false);
	uint32_t h[64];

	send_headers(m, 0, 20);
	assert_heights(h, asked(m, 0, h, 64), 1, 16);
	send_headers(m, 1, 20);
	assert_heights(h, asked(m, 1, h, 64), 17, 20);

	send_notfound(m, 1, 5); /* not asked of peer 1 */
	assert_int_equal(inflight(m->peer[0]), 16);
	assert_int_equal(asked(m, 1, h, 64), 0);

	send_notfound(m, 0, 5);
	assert_int_equal(inflight(m->peer[0]), 15);
	assert_heights(h, asked(m, 1, h, 64), 5, 5);
	assert_int_equal(asked(m, 0, h, 64), 0);
	send_block(m, 0, 1); /* a slot frees: not filled with anything above 4 */
	assert_int_equal(asked(m, 0, h, 64), 0);

	send_headers(m, 0, 20); /* it has them after all */
	send_block(m, 0, 2);
	assert_int_equal(asked(m, 0, h, 64), 0); /* all 20 are in flight or here */
	assert_int_equal(inflight(m->peer[0]) + inflight(m->peer[1]), 18);
	mesh_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_download_window),
		cmocka_unit_test(test_download_follows_what_peer_has),
		cmocka_unit_test(test_stall_reassigns),
		cmocka_unit_test(test_catch_up_inline),
		cmocka_unit_test(test_catch_up_on_pool),
		cmocka_unit_test(test_progress_told_to_newcomer),
		cmocka_unit_test(test_far_behind_fills_every_slot),
		cmocka_unit_test(test_notfound_reassigns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
