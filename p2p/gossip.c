/* Gossip owns struct gossip (transactions refused since the tip changed,
 * our transaction requests, the tip last announced) and each peer's struct
 * gossip_peer (what it knows, its trickle, its getdata queue, our requests
 * to it, whether it takes headers). Nothing else reads them. */
#include "p2p/gossip.h"

#include <stdlib.h>
#include <string.h>

#include "p2p/cmpct.h"
#include "p2p/sync.h"
#include "util/clock.h"
#include "util/grow.h"
#include "util/log.h"

#define GOSSIP_TXQ_MAX 50000
#define GOSSIP_GETDATA_MAX 50000
#define GOSSIP_MAX_TX_REQUESTS 5000

struct gossip_peer {
	struct invset known;    /* hashes the peer has or was told of */
	uint8_t (*txq)[32];     /* transactions waiting for the next trickle */
	size_t txq_n, txq_cap;
	uint64_t next_trickle;
	struct inv_item *gd;    /* getdata items not yet served */
	size_t gd_n, gd_head, gd_cap;
	size_t tx_requests;     /* our getdata for tx in flight to this peer */
	bool wants_headers;     /* sent sendheaders: new blocks go to it as headers */
};

struct gossip {
	struct invset rejects;  /* transactions refused since the last tip change */
	struct hmap tx_asked;   /* txid -> struct tx_ask */
	uint8_t announced[32];  /* the tip last announced */
};

struct gossip *gossip_new(const uint8_t tip[32])
{
	struct gossip *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	invset_init(&g->rejects, GOSSIP_REJECTS_MAX);
	hmap_init(&g->tx_asked, 32);
	memcpy(g->announced, tip, 32);
	return g;
}

struct gossip_peer *gossip_peer_new(void)
{
	struct gossip_peer *gp = calloc(1, sizeof(*gp));
	if (gp)
		invset_init(&gp->known, GOSSIP_KNOWN_MAX);
	return gp;
}

void gossip_peer_free(struct gossip_peer *gp)
{
	if (!gp)
		return;
	invset_release(&gp->known);
	free(gp->txq);
	free(gp->gd);
	free(gp);
}

void gossip_known(struct peer *p, const uint8_t h[32])
{
	if (invset_add(&p->gossip->known, h) != 0)
		log_debug(LOG_NET, "out of memory for the inventory of peer=%llu", (unsigned long long)p->id);
}

bool gossip_knows(const struct peer *p, const uint8_t h[32])
{
	return invset_has(&p->gossip->known, h);
}

/* BIP 130: the peer takes new blocks as headers, which saves it the
 * getheaders round trip an inv costs before it can ask for the block. */
void gossip_on_sendheaders(struct peer *p, const uint8_t *payload, size_t len)
{
	char err[ERR_LEN];
	if (msg_empty_decode(payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed sendheaders");
	p->gossip->wants_headers = true;
}

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
	if (hmap_put(&p->net->gossip->tx_asked, txid, a) != 0) {
		free(a);
		return false;
	}
	p->gossip->tx_requests++;
	return true;
}

static void ask_done(struct p2p *net, const uint8_t txid[32])
{
	struct tx_ask *a = hmap_del(&net->gossip->tx_asked, txid);
	if (!a)
		return;
	struct peer *p = peer_by_id(net, a->peer);
	if (p && p->gossip->tx_requests)
		p->gossip->tx_requests--;
	free(a);
}

/* Drops the requests matching (peer id, or every one when all). */
static void drop_asks(struct p2p *net, uint64_t peer, uint64_t older_than, bool all)
{
	const void *key;
	void *val;
	uint8_t(*keys)[32] = NULL;
	size_t n = 0, cap = 0;
	for (size_t it = 0; hmap_next(&net->gossip->tx_asked, &it, &key, &val);) {
		struct tx_ask *a = val;
		if (!all && a->peer != peer && a->at >= older_than)
			continue;
		if (grow_array(&keys, &cap, n + 1, sizeof(*keys), 64, SIZE_MAX) != 0)
			break;
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

void gossip_free(struct p2p *net)
{
	struct gossip *g = net->gossip;
	if (!g)
		return;
	drop_asks(net, 0, 0, true);
	hmap_release(&g->tx_asked);
	invset_release(&g->rejects);
	free(g);
	net->gossip = NULL;
}

static bool tx_wanted(struct p2p *net, const uint8_t txid[32])
{
	return !mempool_has(net->mp, txid) && !mempool_has_orphan(net->mp, txid) &&
	       !invset_has(&net->gossip->rejects, txid) && !hmap_get(&net->gossip->tx_asked, txid);
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
		gossip_known(p, it->hash);
		if (it->type == INV_BLOCK) {
			sync_block_announced(p, it->hash);
		} else if (it->type == INV_TX && p->type == P2P_BLOCK_RELAY) {
			/* we asked it for none in our version (Core disconnects) */
			net_log_peer(p->net, "peer=%llu %s: transaction inv on a block-relay-only connection",
				     (unsigned long long)p->id, p->addr_text);
			peer_disconnect(p, "transaction inv on a block-relay-only connection");
		} else if (it->type == INV_TX && p->gossip->tx_requests < GOSSIP_MAX_TX_REQUESTS && tx_wanted(p->net, it->hash) &&
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
		struct tx_ask *a = hmap_get(&p->net->gossip->tx_asked, m.items[i].hash);
		if (m.items[i].type == INV_TX && a && a->peer == p->id)
			ask_done(p->net, m.items[i].hash);
		else if (m.items[i].type == INV_BLOCK || m.items[i].type == INV_CMPCT_BLOCK)
			sync_block_notfound(p, m.items[i].hash);
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
	if (p->gossip->gd_head == p->gossip->gd_n)
		p->gossip->gd_head = p->gossip->gd_n = 0;
	size_t room = GOSSIP_GETDATA_MAX - (p->gossip->gd_n - p->gossip->gd_head), n = m.n < room ? m.n : room;
	if (p->gossip->gd_head && p->gossip->gd_n + n > p->gossip->gd_cap) {
		memmove(p->gossip->gd, p->gossip->gd + p->gossip->gd_head, (p->gossip->gd_n - p->gossip->gd_head) * sizeof(*p->gossip->gd));
		p->gossip->gd_n -= p->gossip->gd_head;
		p->gossip->gd_head = 0;
	}
	if (p->gossip->gd_n + n > p->gossip->gd_cap) {
		void *g = realloc(p->gossip->gd, (p->gossip->gd_n + n) * sizeof(*p->gossip->gd));
		if (!g)
			n = 0;
		else {
			p->gossip->gd = g;
			p->gossip->gd_cap = p->gossip->gd_n + n;
		}
	}
	if (n)
		memcpy(p->gossip->gd + p->gossip->gd_n, m.items, n * sizeof(*p->gossip->gd));
	p->gossip->gd_n += n;
	msg_inv_release(&m);
	gossip_serve(p);
	if (gossip_peer_pending(p))
		net_wake(p->net); /* the rest when the send queue drains */
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
	gossip_known(p, hash);
	return peer_send_buf(p, MSG_BLOCK, &out);
}

static bool serve_tx(struct peer *p, const uint8_t txid[32])
{
	const struct tx *tx = mempool_get(p->net->mp, txid);
	if (!tx)
		return false;
	struct buf out = BUF_INIT;
	tx_write(&out, tx);
	gossip_known(p, txid);
	return peer_send_buf(p, MSG_TX, &out);
}

void gossip_serve(struct peer *p)
{
	struct inv_item nf[64];
	size_t n_nf = 0;
	while (p->gossip->gd_head < p->gossip->gd_n && !p->closing && peer_sendq(p) < GOSSIP_SERVE_SENDQ) {
		struct inv_item *it = &p->gossip->gd[p->gossip->gd_head++];
		bool ok = it->type == INV_BLOCK	      ? serve_block(p, it->hash)
			  : it->type == INV_CMPCT_BLOCK ? cmpct_serve(p, it->hash)
							: serve_tx(p, it->hash);
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
	if (p->gossip->gd_head == p->gossip->gd_n)
		p->gossip->gd_head = p->gossip->gd_n = 0;
}

/* ---- transactions ---- */

/* An orphan: ask the peer that sent it for the parents we lack. */
static void ask_parents(struct peer *p, const struct tx *tx)
{
	struct inv_item *want = malloc(sizeof(*want) * (tx->n_in ? tx->n_in : 1));
	size_t n = 0;
	for (size_t i = 0; want && i < tx->n_in; i++) {
		const uint8_t *prev = tx->in[i].prev.txid;
		if (p->gossip->tx_requests < GOSSIP_MAX_TX_REQUESTS && tx_wanted(p->net, prev) && ask_tx(p, prev)) {
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
	if (p->type == P2P_BLOCK_RELAY) {
		tx_release(&tx);
		return peer_disconnect(p, "transaction on a block-relay-only connection");
	}
	gossip_known(p, tx.txid);
	ask_done(net, tx.txid);
	if (mempool_has(net->mp, tx.txid) || invset_has(&net->gossip->rejects, tx.txid))
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
	if (v.result != VR_ERROR && v.result != VR_MISSING_INPUTS && invset_add(&net->gossip->rejects, tx.txid) != 0)
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
		if (!p->ready || p->closing || !peer_relays_txs(p) || invset_has(&p->gossip->known, txid))
			continue;
		if (grow_array(&p->gossip->txq, &p->gossip->txq_cap, p->gossip->txq_n + 1, sizeof(*p->gossip->txq), 64,
			       GOSSIP_TXQ_MAX) != 0)
			continue;
		memcpy(p->gossip->txq[p->gossip->txq_n++], txid, 32);
	}
	net_wake(net);
}

bool gossip_peer_pending(const struct peer *p)
{
	return p->gossip->txq_n > 0 || p->gossip->gd_head < p->gossip->gd_n;
}

void gossip_trickle(struct peer *p, uint64_t now_us)
{
	struct inv_item items[GOSSIP_INV_BATCH];
	size_t n = 0, used = 0;
	if (!p->ready || p->closing || now_us < p->gossip->next_trickle || p->gossip->txq_n == 0)
		return;
	p->gossip->next_trickle = now_us + 100000u + (p->net->nonce ^ now_us ^ p->id * 7919u) % 400000u;
	for (; used < p->gossip->txq_n && n < GOSSIP_INV_BATCH; used++) {
		const uint8_t *h = p->gossip->txq[used];
		if (invset_has(&p->gossip->known, h) || !mempool_has(p->net->mp, h))
			continue;
		items[n].type = INV_TX;
		memcpy(items[n++].hash, h, 32);
		gossip_known(p, h);
	}
	memmove(p->gossip->txq, p->gossip->txq + used, (p->gossip->txq_n - used) * 32);
	p->gossip->txq_n -= used;
	send_inv(p, MSG_INV, items, n);
}

/* A peer that asked for compact blocks in high bandwidth gets the block
 * itself as one; a peer that asked for headers and has the block's parent
 * gets the header, so it can ask for the block at once; any other an inv. */
static void announce_to(struct peer *p, struct block_index *bi)
{
	if (cmpct_announce(p, bi))
		return;
	if (p->gossip->wants_headers && bi->prev && sync_peer_has_header(p, bi->prev)) {
		struct block_header hdr = bi->header;
		struct msg_headers h = { 1, &hdr };
		struct buf b = BUF_INIT;
		if (msg_headers_encode(&b, &h) == 0 && peer_send_buf(p, MSG_HEADERS, &b)) {
			sync_header_sent(p, bi);
			return;
		}
		buf_release(&b);
	}
	struct inv_item it = { INV_BLOCK, { 0 } };
	memcpy(it.hash, bi->hash, 32);
	send_inv(p, MSG_INV, &it, 1);
}

bool gossip_tip_is_new(const struct p2p *net, const uint8_t tip[32])
{
	return memcmp(tip, net->gossip->announced, 32) != 0;
}

/* Announced once the tip is within a few blocks of the best header, so a
 * syncing node does not shower its peers with every block it connects;
 * until then only the peers behind us hear of our progress, in steps. */
bool gossip_tip_changed(struct p2p *net)
{
	struct block_index *tip = chainstate_tip(net->cs), *best = chainstate_best_header(net->cs);
	invset_clear(&net->gossip->rejects);
	if (best && best->height > tip->height + 8) {
		sync_announce_progress(net);
		return false;
	}
	memcpy(net->gossip->announced, tip->hash, 32);
	gossip_announce_block(net, tip->hash);
	return true;
}

void gossip_announce_block(struct p2p *net, const uint8_t hash[32])
{
	struct block_index *bi = chainstate_lookup(net->cs, hash);
	if (!bi)
		return;
	for (struct peer *p = net->peers; p; p = p->next) {
		if (!p->ready || p->closing || p->type == P2P_ADDR_FETCH || invset_has(&p->gossip->known, hash))
			continue;
		gossip_known(p, hash);
		announce_to(p, bi);
	}
}
