#include "p2p/gossip.h"

#include <stdlib.h>
#include <string.h>

#include "p2p/sync.h"
#include "util/clock.h"
#include "util/log.h"

/* A getdata for a transaction we sent and wait on. */
struct tx_ask {
	uint64_t peer;
	uint64_t at; /* monotonic us */
};

/* ---- transaction requests ---- */

static bool ask_tx(struct peer *p, const uint8_t txid[32])
{
	struct tx_ask *a = malloc(sizeof(*a));
	if (!a)
		return false;
	a->peer = p->id;
	a->at = clock_mono_us();
	if (hmap_put(&p->net->tx_asked, txid, a) != 0) {
		free(a);
		return false;
	}
	p->tx_requests++;
	return true;
}

static void ask_done(struct p2p *net, const uint8_t txid[32])
{
	struct tx_ask *a = hmap_del(&net->tx_asked, txid);
	if (!a)
		return;
	struct peer *p = peer_by_id(net, a->peer);
	if (p && p->tx_requests)
		p->tx_requests--;
	free(a);
}

/* Drops the requests matching (peer id, or every one when all). */
static void drop_asks(struct p2p *net, uint64_t peer, uint64_t older_than, bool all)
{
	const void *key;
	void *val;
	uint8_t(*keys)[32] = NULL;
	size_t n = 0, cap = 0;
	for (size_t it = 0; hmap_next(&net->tx_asked, &it, &key, &val);) {
		struct tx_ask *a = val;
		if (!all && a->peer != peer && a->at >= older_than)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			void *k = realloc(keys, nc * 32);
			if (!k)
				break;
			keys = k;
			cap = nc;
		}
		memcpy(keys[n++], key, 32);
	}
	for (size_t i = 0; i < n; i++)
		ask_done(net, keys[i]);
	free(keys);
}

void gossip_peer_closed(struct peer *p)
{
	drop_asks(p->net, p->id, 0, false);
}

void gossip_expire(struct p2p *net)
{
	uint64_t now = clock_mono_us();
	if (now > GOSSIP_TX_ASK_US)
		drop_asks(net, UINT64_MAX, now - GOSSIP_TX_ASK_US, false);
}

void gossip_release(struct p2p *net)
{
	drop_asks(net, 0, 0, true);
}

static bool tx_wanted(struct p2p *net, const uint8_t txid[32])
{
	return !mempool_has(net->mp, txid) && !mempool_has_orphan(net->mp, txid) &&
	       !invset_has(&net->rejects, txid) && !hmap_get(&net->tx_asked, txid);
}

/* ---- inv ---- */

static void send_inv(struct peer *p, const char *cmd, struct inv_item *items, size_t n)
{
	struct msg_inv m = { n, items };
	struct buf b = BUF_INIT;
	if (n == 0)
		return;
	if (msg_inv_encode(&b, &m) == 0)
		peer_send_buf(p, cmd, &b);
	else
		buf_release(&b);
}

void gossip_on_inv(struct peer *p, const uint8_t *payload, size_t len)
{
	struct msg_inv m;
	char err[ERR_LEN];
	if (msg_inv_decode(&m, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed inv");
	struct inv_item *want = malloc(sizeof(*want) * (m.n ? m.n : 1));
	size_t n_want = 0;
	for (size_t i = 0; want && i < m.n && !p->closing; i++) {
		struct inv_item *it = &m.items[i];
		peer_known(p, it->hash);
		if (it->type == INV_BLOCK) {
			sync_block_announced(p, it->hash);
		} else if (p->tx_requests < PEER_MAX_TX_REQUESTS && tx_wanted(p->net, it->hash) &&
			   ask_tx(p, it->hash)) {
			want[n_want++] = *it;
		}
	}
	if (want && !p->closing)
		send_inv(p, MSG_GETDATA, want, n_want);
	free(want);
	msg_inv_release(&m);
}

void gossip_on_notfound(struct peer *p, const uint8_t *payload, size_t len)
{
	struct msg_inv m;
	char err[ERR_LEN];
	if (msg_inv_decode(&m, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed notfound");
	for (size_t i = 0; i < m.n; i++) {
		struct tx_ask *a = hmap_get(&p->net->tx_asked, m.items[i].hash);
		if (m.items[i].type == INV_TX && a && a->peer == p->id)
			ask_done(p->net, m.items[i].hash);
	}
	msg_inv_release(&m);
}

/* ---- getdata ---- */

void gossip_on_getdata(struct peer *p, const uint8_t *payload, size_t len)
{
	struct msg_inv m;
	char err[ERR_LEN];
	if (msg_inv_decode(&m, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed getdata");
	if (p->gd_head == p->gd_n)
		p->gd_head = p->gd_n = 0;
	size_t room = PEER_GETDATA_MAX - (p->gd_n - p->gd_head), n = m.n < room ? m.n : room;
	if (p->gd_head && p->gd_n + n > p->gd_cap) {
		memmove(p->gd, p->gd + p->gd_head, (p->gd_n - p->gd_head) * sizeof(*p->gd));
		p->gd_n -= p->gd_head;
		p->gd_head = 0;
	}
	if (p->gd_n + n > p->gd_cap) {
		void *g = realloc(p->gd, (p->gd_n + n) * sizeof(*p->gd));
		if (!g)
			n = 0;
		else {
			p->gd = g;
			p->gd_cap = p->gd_n + n;
		}
	}
	if (n)
		memcpy(p->gd + p->gd_n, m.items, n * sizeof(*p->gd));
	p->gd_n += n;
	msg_inv_release(&m);
	gossip_serve(p);
}

static bool serve_block(struct peer *p, const uint8_t hash[32])
{
	struct block_index *bi = chainstate_lookup(p->net->cs, hash);
	struct block b;
	char err[ERR_LEN];
	if (!bi || !(bi->status & BLOCK_HAVE_DATA) || index_failed(bi))
		return false;
	if (chainstate_read_block(p->net->cs, bi, &b, err) != 0) {
		log_error("cannot read block for peer=%llu: %s", (unsigned long long)p->id, err);
		return false;
	}
	struct buf out = BUF_INIT;
	block_write(&out, &b);
	block_release(&b);
	peer_known(p, hash);
	return peer_send_buf(p, MSG_BLOCK, &out);
}

static bool serve_tx(struct peer *p, const uint8_t txid[32])
{
	const struct tx *tx = mempool_get(p->net->mp, txid);
	if (!tx)
		return false;
	struct buf out = BUF_INIT;
	tx_write(&out, tx);
	peer_known(p, txid);
	return peer_send_buf(p, MSG_TX, &out);
}

static size_t sendq(const struct peer *p)
{
	struct transport_stats st;
	transport_conn_stats(p->c, &st);
	return st.sendq;
}

void gossip_serve(struct peer *p)
{
	struct inv_item nf[64];
	size_t n_nf = 0;
	while (p->gd_head < p->gd_n && !p->closing && sendq(p) < GOSSIP_SERVE_SENDQ) {
		struct inv_item *it = &p->gd[p->gd_head++];
		bool ok = it->type == INV_BLOCK ? serve_block(p, it->hash) : serve_tx(p, it->hash);
		if (!ok && !p->closing) {
			nf[n_nf++] = *it;
			if (n_nf == sizeof(nf) / sizeof(nf[0])) {
				send_inv(p, MSG_NOTFOUND, nf, n_nf);
				n_nf = 0;
			}
		}
	}
	if (!p->closing)
		send_inv(p, MSG_NOTFOUND, nf, n_nf);
	if (p->gd_head == p->gd_n)
		p->gd_head = p->gd_n = 0;
}

/* ---- transactions ---- */

/* An orphan: ask the peer that sent it for the parents we lack. */
static void ask_parents(struct peer *p, const struct tx *tx)
{
	struct inv_item *want = malloc(sizeof(*want) * (tx->n_in ? tx->n_in : 1));
	size_t n = 0;
	for (size_t i = 0; want && i < tx->n_in; i++) {
		const uint8_t *prev = tx->in[i].prev.txid;
		if (p->tx_requests < PEER_MAX_TX_REQUESTS && tx_wanted(p->net, prev) && ask_tx(p, prev)) {
			want[n].type = INV_TX;
			memcpy(want[n++].hash, prev, 32);
		}
	}
	if (want)
		send_inv(p, MSG_GETDATA, want, n);
	free(want);
}

void gossip_on_tx(struct peer *p, const uint8_t *payload, size_t len)
{
	struct p2p *net = p->net;
	struct tx tx;
	struct verdict v;
	struct mempool_result res;
	char err[ERR_LEN];
	if (msg_tx_decode(&tx, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed tx");
	peer_known(p, tx.txid);
	ask_done(net, tx.txid);
	if (mempool_has(net->mp, tx.txid) || invset_has(&net->rejects, tx.txid))
		goto out;
	verdict_init(&v);
	if (mempool_accept_ex(net->mp, &tx, clock_now(), &res, &v)) {
		p->last_tx = clock_mono_us();
		goto out;
	}
	if (res.orphan) {
		ask_parents(p, &tx);
		goto out;
	}
	if (v.result != VR_ERROR && v.result != VR_MISSING_INPUTS && invset_add(&net->rejects, tx.txid) != 0)
		log_debug(LOG_NET, "out of memory for the reject set");
	int score = peer_verdict_score(v.result);
	if (score)
		peer_misbehaving(p, score, v.reason);
	else
		log_debug(LOG_NET, "tx from peer=%llu not accepted: %s", (unsigned long long)p->id, v.reason);
out:
	tx_release(&tx);
}

/* ---- announcing ---- */

void gossip_queue_tx(struct p2p *net, const uint8_t txid[32])
{
	for (struct peer *p = net->peers; p; p = p->next) {
		if (!p->ready || p->closing || p->type == P2P_ADDR_FETCH || invset_has(&p->known, txid))
			continue;
		if (p->txq_n == p->txq_cap) {
			size_t nc = p->txq_cap ? p->txq_cap * 2 : 64;
			void *q = nc <= PEER_TXQ_MAX ? realloc(p->txq, nc * 32) : NULL;
			if (!q)
				continue;
			p->txq = q;
			p->txq_cap = nc;
		}
		memcpy(p->txq[p->txq_n++], txid, 32);
	}
}

void gossip_trickle(struct peer *p, uint64_t now_us)
{
	struct inv_item items[GOSSIP_INV_BATCH];
	size_t n = 0, used = 0;
	if (!p->ready || p->closing || now_us < p->next_trickle || p->txq_n == 0)
		return;
	p->next_trickle = now_us + 100000u + (p->net->nonce ^ now_us ^ p->id * 7919u) % 400000u;
	for (; used < p->txq_n && n < GOSSIP_INV_BATCH; used++) {
		const uint8_t *h = p->txq[used];
		if (invset_has(&p->known, h) || !mempool_has(p->net->mp, h))
			continue;
		items[n].type = INV_TX;
		memcpy(items[n++].hash, h, 32);
		peer_known(p, h);
	}
	memmove(p->txq, p->txq + used, (p->txq_n - used) * 32);
	p->txq_n -= used;
	send_inv(p, MSG_INV, items, n);
}

/* bi is on the chain of a header the peer sent us or we sent it, so the
 * peer has bi's header (Bitcoin Core's PeerHasHeader). Being told of a
 * block is not enough: the peer may still be fetching its header. */
static bool peer_has_header(const struct peer *p, struct block_index *bi)
{
	struct block_index *marks[2] = { p->best_sent, p->best_known };
	for (size_t k = 0; k < 2; k++)
		if (marks[k] && marks[k]->height >= bi->height && index_ancestor(marks[k], bi->height) == bi)
			return true;
	return false;
}

/* A peer that asked for headers and has the block's parent gets the
 * header itself, so it can ask for the block at once; any other an inv. */
static void announce_to(struct peer *p, struct block_index *bi)
{
	if (p->wants_headers && bi->prev && peer_has_header(p, bi->prev)) {
		struct block_header hdr = bi->header;
		struct msg_headers h = { 1, &hdr };
		struct buf b = BUF_INIT;
		if (msg_headers_encode(&b, &h) == 0 && peer_send_buf(p, MSG_HEADERS, &b)) {
			p->best_sent = bi;
			return;
		}
		buf_release(&b);
	}
	struct inv_item it = { INV_BLOCK, { 0 } };
	memcpy(it.hash, bi->hash, 32);
	send_inv(p, MSG_INV, &it, 1);
}

void gossip_announce_block(struct p2p *net, const uint8_t hash[32])
{
	struct block_index *bi = chainstate_lookup(net->cs, hash);
	if (!bi)
		return;
	for (struct peer *p = net->peers; p; p = p->next) {
		if (!p->ready || p->closing || p->type == P2P_ADDR_FETCH || invset_has(&p->known, hash))
			continue;
		peer_known(p, hash);
		announce_to(p, bi);
	}
}
