/* Inventory relay driven in-process: peers on no connection
 * (peer_new_captured) announce, ask and answer, and what the mesh sends
 * them is decoded from their outbox. Blocks and transactions are offered
 * only to peers not known to have them, a peer's known set forgets its
 * oldest hashes first, a peer that sent sendheaders gets new blocks as
 * headers, a transaction is asked of one peer at a time (again of another
 * after notfound or when the first goes), a queued transaction leaves
 * in the next trickle and is served on getdata, and block-relay-only
 * peers are offered blocks but no transactions. */
#include "tests/unit/chain_fixture.h"

#include <event2/event.h>

#include "chain/mempool.h"
#include "p2p/gossip.h"
#include "p2p/peer.h"
#include "p2p/sync.h"
#include "util/clock.h"

struct mesh {
	struct fixture *f;
	struct mempool *mp;
	struct event_base *base;
	struct p2p *net;
	struct peer *peer[3];
	struct buf out[3]; /* what each peer was sent */
};

/* One message a peer was sent. */
struct frame {
	char cmd[MSG_COMMAND_SIZE + 1];
	uint8_t *payload;
	size_t len;
};

static struct mesh *mesh_new(int blocks)
{
	struct mesh *m = calloc(1, sizeof(*m));
	char err[ERR_LEN] = "";
	assert_non_null(m);
	m->f = fix_new();
	fix_mine(m->f, blocks, 0);
	assert_non_null(m->mp = mempool_new(m->f->cs, NULL));
	assert_non_null(m->base = event_base_new());
	struct p2p_config cfg = { .max_connections = 8, .connect_only = true, .datadir = m->f->dir };
	m->net = p2p_new(m->base, m->f->cs, m->mp, &cfg, err);
	if (!m->net)
		fail_msg("p2p_new: %s", err);
	for (int i = 0; i < 3; i++) {
		buf_init(&m->out[i]);
		assert_non_null(m->peer[i] = peer_new_captured(m->net, (uint64_t)i + 1, P2P_INBOUND, &m->out[i]));
	}
	return m;
}

static void mesh_free(struct mesh *m)
{
	p2p_free(m->net);
	event_base_free(m->base);
	mempool_free(m->mp);
	for (int i = 0; i < 3; i++)
		buf_release(&m->out[i]);
	fix_free(m->f);
	free(m);
}

/* Peer i's messages since the last call, each frame checked whole (magic,
 * checksum); its outbox is emptied. Free with frames_free. */
static size_t take(struct mesh *m, int i, struct frame *fr, size_t max)
{
	struct buf *out = &m->out[i];
	size_t n = 0;
	char err[ERR_LEN];
	for (size_t off = 0; off < out->len; n++) {
		struct msg_header h;
		assert_true(n < max);
		assert_true(out->len - off >= MSG_HEADER_SIZE);
		assert_int_equal(msg_header_decode(&h, out->data + off, m->f->p->magic, err), MSG_OK);
		const uint8_t *payload = out->data + off + MSG_HEADER_SIZE;
		assert_int_equal(msg_payload_check(&h, payload, h.len, err), MSG_OK);
		memcpy(fr[n].cmd, h.command, sizeof(fr[n].cmd));
		fr[n].len = h.len;
		assert_non_null(fr[n].payload = malloc(h.len ? h.len : 1));
		memcpy(fr[n].payload, payload, h.len);
		off += MSG_HEADER_SIZE + h.len;
	}
	buf_reset(out);
	return n;
}

static void frames_free(struct frame *fr, size_t n)
{
	for (size_t k = 0; k < n; k++)
		free(fr[k].payload);
}

/* Peer i was sent nothing since the last look. */
static void assert_silent(struct mesh *m, int i)
{
	assert_int_equal(m->out[i].len, 0);
}

/* Peer i was sent exactly one message, cmd, listing the one item
 * (type, hash). */
static void assert_one_item(struct mesh *m, int i, const char *cmd, uint32_t type, const uint8_t hash[32])
{
	struct frame fr[4];
	struct msg_inv inv;
	char err[ERR_LEN];
	size_t n = take(m, i, fr, 4);
	assert_int_equal(n, 1);
	assert_string_equal(fr[0].cmd, cmd);
	assert_int_equal(msg_inv_decode(&inv, fr[0].payload, fr[0].len, err), 0);
	assert_int_equal(inv.n, 1);
	assert_int_equal(inv.items[0].type, type);
	assert_memory_equal(inv.items[0].hash, hash, 32);
	msg_inv_release(&inv);
	frames_free(fr, n);
}

/* Peer i sends an inv-shaped message (inv, notfound) of one item. */
static void send_item(struct mesh *m, int i, void (*handler)(struct peer *, const uint8_t *, size_t),
		      uint32_t type, const uint8_t hash[32])
{
	struct inv_item it = { type, { 0 } };
	struct msg_inv inv = { 1, &it };
	struct buf b = BUF_INIT;
	memcpy(it.hash, hash, 32);
	assert_int_equal(msg_inv_encode(&b, &inv), 0);
	handler(m->peer[i], b.data, b.len);
	buf_release(&b);
}

static void filler(uint8_t h[32], uint32_t k)
{
	memset(h, 0x5a, 32);
	memcpy(h, &k, sizeof(k));
}

/* A block goes to every peer not known to have it, once. */
static void test_block_inv_once(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(1);
	const uint8_t *tip = chainstate_tip(m->f->cs)->hash;

	gossip_known(m->peer[0], tip);
	gossip_announce_block(m->net, tip);
	assert_silent(m, 0);
	assert_one_item(m, 1, MSG_INV, INV_BLOCK, tip);
	assert_one_item(m, 2, MSG_INV, INV_BLOCK, tip);

	gossip_announce_block(m->net, tip);
	for (int i = 0; i < 3; i++)
		assert_silent(m, i);
	mesh_free(m);
}

/* A peer that sent sendheaders and has the parent's header gets the new
 * block's header itself; the others an inv. */
static void test_block_as_header(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(2);
	struct block_header h1 = chainstate_at(m->f->cs, 1)->header;
	struct msg_headers msg = { 1, &h1 };
	struct buf b = BUF_INIT;
	struct frame fr[4];
	struct msg_headers got;
	uint8_t hash[32];
	char err[ERR_LEN];
	const uint8_t *tip = chainstate_tip(m->f->cs)->hash;

	gossip_on_sendheaders(m->peer[1], NULL, 0);
	gossip_on_sendheaders(m->peer[2], NULL, 0);
	assert_int_equal(msg_headers_encode(&b, &msg), 0);
	sync_on_headers(m->peer[1], b.data, b.len); /* peer 1 has block 1's header */
	buf_release(&b);
	assert_silent(m, 1);

	gossip_announce_block(m->net, tip);
	size_t n = take(m, 1, fr, 4);
	assert_int_equal(n, 1);
	assert_string_equal(fr[0].cmd, MSG_HEADERS);
	assert_int_equal(msg_headers_decode(&got, fr[0].payload, fr[0].len, err), 0);
	assert_int_equal(got.n, 1);
	header_hash(hash, &got.headers[0]);
	assert_memory_equal(hash, tip, 32);
	msg_headers_release(&got);
	frames_free(fr, n);
	/* peer 2 asked for headers but may lack the parent's: an inv */
	assert_one_item(m, 2, MSG_INV, INV_BLOCK, tip);
	assert_one_item(m, 0, MSG_INV, INV_BLOCK, tip);
	mesh_free(m);
}

/* A peer's known set holds GOSSIP_KNOWN_MAX hashes and forgets the oldest
 * first: one more and the tip is offered again. */
static void test_known_set_forgets_oldest(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(1);
	const uint8_t *tip = chainstate_tip(m->f->cs)->hash;
	uint8_t h[32];

	gossip_known(m->peer[0], tip);
	gossip_known(m->peer[1], tip);
	for (uint32_t k = 0; k < GOSSIP_KNOWN_MAX; k++) {
		filler(h, k);
		gossip_known(m->peer[0], h);
		if (k + 1 < GOSSIP_KNOWN_MAX)
			gossip_known(m->peer[1], h);
	}
	filler(h, 0);
	gossip_known(m->peer[1], h); /* known already: takes no room */
	gossip_announce_block(m->net, tip);
	assert_one_item(m, 0, MSG_INV, INV_BLOCK, tip);
	assert_silent(m, 1);
	assert_one_item(m, 2, MSG_INV, INV_BLOCK, tip);
	mesh_free(m);
}

/* A transaction is asked of the first peer that offers it; others offering
 * it meanwhile are not asked, until the first answers notfound or goes. */
static void test_tx_asked_once(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(1);
	uint8_t t[32];

	filler(t, 7);
	send_item(m, 0, gossip_on_inv, INV_TX, t);
	assert_one_item(m, 0, MSG_GETDATA, INV_TX, t);
	send_item(m, 1, gossip_on_inv, INV_TX, t);
	send_item(m, 0, gossip_on_inv, INV_TX, t);
	assert_silent(m, 0);
	assert_silent(m, 1);

	send_item(m, 1, gossip_on_notfound, INV_TX, t); /* not peer 1's to answer */
	send_item(m, 2, gossip_on_inv, INV_TX, t);
	assert_silent(m, 2);
	send_item(m, 0, gossip_on_notfound, INV_TX, t);
	send_item(m, 1, gossip_on_inv, INV_TX, t);
	assert_one_item(m, 1, MSG_GETDATA, INV_TX, t);

	gossip_peer_closed(m->peer[1]);
	send_item(m, 2, gossip_on_inv, INV_TX, t);
	assert_one_item(m, 2, MSG_GETDATA, INV_TX, t);
	mesh_free(m);
}

/* A mempool transaction is queued for the peers not known to have it,
 * leaves in the next trickle, once, and is served on getdata. */
static void test_tx_trickle_and_serve(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(101);
	struct outpoint op = fix_cb_outpoint(m->f, 1);
	struct tx tx, got;
	struct verdict v;
	struct frame fr[4];
	char err[ERR_LEN];

	fix_spend(m->f, &tx, &op, 50 * 100000000LL - 100000, 0, 1);
	verdict_init(&v);
	assert_true(mempool_accept(m->mp, &tx, m->f->time, &v));
	gossip_known(m->peer[1], tx.txid);
	gossip_queue_tx(m->net, tx.txid);
	uint64_t now = clock_mono_us();
	for (int i = 0; i < 3; i++)
		gossip_trickle(m->peer[i], now);
	assert_one_item(m, 0, MSG_INV, INV_TX, tx.txid);
	assert_silent(m, 1);
	assert_one_item(m, 2, MSG_INV, INV_TX, tx.txid);
	gossip_queue_tx(m->net, tx.txid); /* every peer knows it now */
	for (int i = 0; i < 3; i++) {
		gossip_trickle(m->peer[i], now + 10000000u);
		assert_silent(m, i);
	}

	send_item(m, 0, gossip_on_getdata, INV_TX, tx.txid);
	size_t n = take(m, 0, fr, 4);
	assert_int_equal(n, 1);
	assert_string_equal(fr[0].cmd, MSG_TX);
	assert_int_equal(msg_tx_decode(&got, fr[0].payload, fr[0].len, err), 0);
	assert_memory_equal(got.txid, tx.txid, 32);
	tx_release(&got);
	frames_free(fr, n);

	uint8_t missing[32];
	filler(missing, 9);
	send_item(m, 2, gossip_on_getdata, INV_TX, missing);
	assert_one_item(m, 2, MSG_NOTFOUND, INV_TX, missing);
	tx_release(&tx);
	mesh_free(m);
}

/* A block-relay-only peer (ours) and an inbound peer whose version said
 * relay 0 are offered blocks but no transactions; a transaction inv or a
 * transaction from our block-relay-only peer ends the connection, while
 * the relay-0 peer's inv is still answered (Core's RejectIncomingTxs). */
static void test_block_relay_only(void **state)
{
	(void)state;
	struct mesh *m = mesh_new(101);
	struct outpoint op = fix_cb_outpoint(m->f, 1);
	const uint8_t *tip = chainstate_tip(m->f->cs)->hash;
	struct tx tx;
	struct verdict v;
	struct buf b = BUF_INIT;
	uint8_t t[32];

	m->peer[1]->type = P2P_BLOCK_RELAY;
	m->peer[2]->ver.relay = false;
	assert_true(peer_relays_txs(m->peer[0]));
	assert_false(peer_relays_txs(m->peer[1]));
	assert_false(peer_relays_txs(m->peer[2]));
	assert_false(peer_relays_addrs(m->peer[1]));
	assert_true(peer_relays_addrs(m->peer[2]));
	fix_spend(m->f, &tx, &op, 50 * 100000000LL - 100000, 0, 1);
	verdict_init(&v);
	assert_true(mempool_accept(m->mp, &tx, m->f->time, &v));
	gossip_queue_tx(m->net, tx.txid);
	uint64_t now = clock_mono_us();
	for (int i = 0; i < 3; i++)
		gossip_trickle(m->peer[i], now + 10000000u);
	assert_one_item(m, 0, MSG_INV, INV_TX, tx.txid);
	assert_silent(m, 1);
	assert_silent(m, 2);
	gossip_announce_block(m->net, tip);
	for (int i = 0; i < 3; i++)
		assert_one_item(m, i, MSG_INV, INV_BLOCK, tip);

	filler(t, 3);
	send_item(m, 2, gossip_on_inv, INV_TX, t);
	assert_one_item(m, 2, MSG_GETDATA, INV_TX, t);
	assert_false(m->peer[2]->closing);
	filler(t, 4);
	send_item(m, 1, gossip_on_inv, INV_TX, t);
	assert_true(m->peer[1]->closing);
	assert_silent(m, 1);

	m->peer[0]->type = P2P_BLOCK_RELAY;
	tx_write(&b, &tx);
	gossip_on_tx(m->peer[0], b.data, b.len);
	assert_true(m->peer[0]->closing);
	buf_release(&b);
	tx_release(&tx);
	mesh_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_relay_only),
		cmocka_unit_test(test_block_inv_once),
		cmocka_unit_test(test_block_as_header),
		cmocka_unit_test(test_known_set_forgets_oldest),
		cmocka_unit_test(test_tx_asked_once),
		cmocka_unit_test(test_tx_trickle_and_serve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
