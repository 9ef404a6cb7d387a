/* Compact block relay (p2p/cmpct.h). */
#include "p2p/cmpct.h"

#include <stdlib.h>
#include <string.h>

#include "chain/validate.h"
#include "p2p/cblock.h"
#include "p2p/gossip.h"
#include "p2p/partial.h"
#include "p2p/sync.h"
#include "util/clock.h"
#include "util/log.h"

struct cmpct_peer {
	bool capable;      /* sent sendcmpct version 1 */
	bool push_to;      /* asked us to push new blocks (sendcmpct 1) */
	bool pushes;       /* we asked it to push new blocks to us */
	struct partial pb; /* the block being rebuilt from it, n 0 when none */
};

struct cmpct {
	bool enabled;
	uint64_t hb[CMPCT_HB_PEERS]; /* ids of the peers pushing to us, oldest first */
	size_t n_hb;
	uint8_t last_hash[32];       /* the block last encoded as cmpctblock */
	struct buf last;
	struct cmpct_stats stats;
};

struct cmpct *cmpct_new(bool enabled)
{
	struct cmpct *c = calloc(1, sizeof(*c));
	if (c) {
		c->enabled = enabled;
		buf_init(&c->last);
	}
	return c;
}

void cmpct_free(struct p2p *net)
{
	if (!net->cmpct)
		return;
	buf_release(&net->cmpct->last);
	free(net->cmpct);
	net->cmpct = NULL;
}

struct cmpct_peer *cmpct_peer_new(void)
{
	return calloc(1, sizeof(struct cmpct_peer));
}

void cmpct_peer_free(struct cmpct_peer *cp)
{
	if (!cp)
		return;
	partial_release(&cp->pb);
	free(cp);
}

static void send_sendcmpct(struct peer *p, bool announce)
{
	struct cblock_sendcmpct m = { announce, CBLOCK_VERSION };
	struct buf b = BUF_INIT;
	if (cblock_sendcmpct_encode(&b, &m) == 0)
		peer_send_buf(p, MSG_SENDCMPCT, &b);
	else
		buf_release(&b);
}

void cmpct_peer_ready(struct peer *p)
{
	if (p->net->cmpct->enabled && p->type != P2P_ADDR_FETCH)
		send_sendcmpct(p, false);
}

static void hb_remove(struct cmpct *c, size_t i)
{
	memmove(&c->hb[i], &c->hb[i + 1], (c->n_hb - i - 1) * sizeof(c->hb[0]));
	c->n_hb--;
}

void cmpct_peer_closed(struct peer *p)
{
	struct cmpct *c = p->net->cmpct;
	for (size_t i = 0; i < c->n_hb; i++)
		if (c->hb[i] == p->id)
			return hb_remove(c, i);
}

bool cmpct_peer_capable(const struct peer *p)
{
	return p->net->cmpct->enabled && p->cmpct->capable;
}

void cmpct_peer_info(const struct peer *p, bool *hb_to, bool *hb_from)
{
	*hb_to = p->cmpct->push_to && p->net->cmpct->enabled;
	*hb_from = p->cmpct->pushes;
}

void cmpct_get_stats(const struct p2p *net, struct cmpct_stats *out)
{
	*out = net->cmpct->stats;
}

void cmpct_on_sendcmpct(struct peer *p, const uint8_t *payload, size_t len)
{
	struct cblock_sendcmpct m;
	char err[ERR_LEN];
	if (cblock_sendcmpct_decode(&m, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed sendcmpct");
	if (m.version != CBLOCK_VERSION)
		return; /* other versions are ignored, as BIP 152 asks */
	p->cmpct->capable = true;
	p->cmpct->push_to = m.announce;
}

/* ---- high-bandwidth peers (Bitcoin Core's MaybeSetPeerAsAnnouncingHeaderAndIDs) ---- */

void cmpct_block_delivered(struct peer *p)
{
	struct cmpct *c = p->net->cmpct;
	if (!cmpct_peer_capable(p) || p->type == P2P_ADDR_FETCH)
		return;
	for (size_t i = 0; i < c->n_hb; i++)
		if (c->hb[i] == p->id) {
			hb_remove(c, i); /* to the back: the freshest */
			c->hb[c->n_hb++] = p->id;
			return;
		}
	if (c->n_hb == CMPCT_HB_PEERS) {
		struct peer *old = peer_by_id(p->net, c->hb[0]);
		if (old && !old->closing) {
			send_sendcmpct(old, false);
			old->cmpct->pushes = false;
		}
		hb_remove(c, 0);
	}
	c->hb[c->n_hb++] = p->id;
	p->cmpct->pushes = true;
	send_sendcmpct(p, true);
}

/* ---- sending ---- */

/* net->cmpct->last holds b as a cmpctblock payload (built once a block,
 * however many peers get it). */
static bool encode_last(struct p2p *net, const struct block *b)
{
	struct cmpct *c = net->cmpct;
	struct cblock cb;
	if (c->last.len && memcmp(c->last_hash, b->hash, 32) == 0)
		return true;
	buf_reset(&c->last);
	memset(c->last_hash, 0, 32);
	if (cblock_build(&cb, b, net_random()) != 0)
		return false;
	int r = cblock_encode(&c->last, &cb);
	cblock_release(&cb);
	if (r != 0) {
		buf_reset(&c->last);
		return false;
	}
	memcpy(c->last_hash, b->hash, 32);
	return true;
}

static bool encode_stored(struct p2p *net, const struct block_index *bi)
{
	struct block b;
	char err[ERR_LEN];
	if (net->cmpct->last.len && memcmp(net->cmpct->last_hash, bi->hash, 32) == 0)
		return true;
	if (!(bi->status & BLOCK_HAVE_DATA) || chainstate_read_block(net->cs, bi, &b, err) != 0)
		return false;
	bool ok = encode_last(net, &b);
	block_release(&b);
	return ok;
}

static bool send_last(struct peer *p)
{
	return peer_send(p, MSG_CMPCTBLOCK, p->net->cmpct->last.data, p->net->cmpct->last.len);
}

static bool send_full(struct peer *p, const struct block_index *bi)
{
	struct block b;
	struct buf out = BUF_INIT;
	char err[ERR_LEN];
	if (chainstate_read_block(p->net->cs, bi, &b, err) != 0)
		return false;
	block_write(&out, &b);
	block_release(&b);
	return peer_send_buf(p, MSG_BLOCK, &out);
}

bool cmpct_serve(struct peer *p, const uint8_t hash[32])
{
	struct block_index *bi = chainstate_lookup(p->net->cs, hash);
	struct block_index *tip = chainstate_tip(p->net->cs);
	if (!bi || !(bi->status & BLOCK_HAVE_DATA) || index_failed(bi))
		return false;
	gossip_known(p, hash);
	if (!p->net->cmpct->enabled || bi->height + CMPCT_BLOCK_DEPTH < tip->height)
		return send_full(p, bi);
	return encode_stored(p->net, bi) ? send_last(p) : send_full(p, bi);
}

void cmpct_relay_early(struct p2p *net, const struct peer *from, const struct block *b)
{
	struct block_index *bi = NULL, *tip = chainstate_tip(net->cs);
	struct verdict v;
	bool any = false;
	if (!net->cmpct->enabled || memcmp(b->header.prev, tip->hash, 32) != 0)
		return;
	for (struct peer *p = net->peers; p && !any; p = p->next)
		any = p != from && p->ready && !p->closing && p->cmpct->push_to && !gossip_knows(p, b->hash);
	if (!any)
		return;
	verdict_init(&v);
	if (!chainstate_accept_header(net->cs, &b->header, clock_now(), &bi, &v) || !block_check(b, net->params, &v))
		return; /* the full check says why, and scores the sender */
	if (!encode_last(net, b))
		return;
	for (struct peer *p = net->peers; p; p = p->next) {
		if (p == from || !p->ready || p->closing || !p->cmpct->push_to || gossip_knows(p, b->hash))
			continue;
		gossip_known(p, b->hash);
		if (send_last(p))
			sync_header_sent(p, bi);
	}
}

bool cmpct_announce(struct peer *p, struct block_index *bi)
{
	if (!p->net->cmpct->enabled || !p->cmpct->push_to || !bi->prev || !sync_peer_has_header(p, bi->prev) ||
	    !encode_stored(p->net, bi) || !send_last(p))
		return false;
	sync_header_sent(p, bi);
	return true;
}

/* ---- receiving ---- */

static const struct tx *pool_next(void *ctx, size_t *it)
{
	return mempool_next(ctx, it);
}

static void ask_full(struct peer *p, const uint8_t hash[32])
{
	struct inv_item it = { INV_BLOCK, { 0 } };
	struct msg_inv m = { 1, &it };
	struct buf b = BUF_INIT;
	memcpy(it.hash, hash, 32);
	p->net->cmpct->stats.fallbacks++;
	if (msg_inv_encode(&b, &m) == 0)
		peer_send_buf(p, MSG_GETDATA, &b);
	else
		buf_release(&b);
}

/* Nothing is missing any more: the block goes the way of a whole one. */
static void finish(struct peer *p)
{
	struct block b;
	uint8_t hash[32];
	size_t from_pool = p->cmpct->pb.from_pool;
	memcpy(hash, p->cmpct->pb.hash, 32);
	if (partial_finish(&p->cmpct->pb, &b) != PARTIAL_OK)
		return ask_full(p, hash);
	p->net->cmpct->stats.rebuilt++;
	p->net->cmpct->stats.from_pool += from_pool;
	sync_take_block(p, &b, b.size, true);
}

static void request_missing(struct peer *p)
{
	struct cblock_request r;
	struct buf b = BUF_INIT;
	if (partial_request(&p->cmpct->pb, &r) != 0 || cblock_request_encode(&b, &r) != 0) {
		buf_release(&b);
		cblock_request_release(&r);
		uint8_t hash[32];
		memcpy(hash, p->cmpct->pb.hash, 32);
		partial_release(&p->cmpct->pb);
		return ask_full(p, hash);
	}
	p->net->cmpct->stats.requested += r.n;
	cblock_request_release(&r);
	peer_send_buf(p, MSG_GETBLOCKTXN, &b);
}

/* The header checks out and extends our tip: rebuild the block. */
static void rebuild(struct peer *p, const struct cblock *c)
{
	partial_release(&p->cmpct->pb);
	sync_block_claim(p, c->hash);
	enum partial_status st = partial_init(&p->cmpct->pb, c, pool_next, p->net->mp);
	if (st != PARTIAL_OK)
		return ask_full(p, c->hash);
	if (p->cmpct->pb.missing == 0)
		return finish(p);
	request_missing(p);
}

void cmpct_on_cmpctblock(struct peer *p, const uint8_t *payload, size_t len)
{
	struct p2p *net = p->net;
	struct cblock c;
	struct verdict v;
	struct block_index *bi = NULL;
	char err[ERR_LEN];
	if (cblock_decode(&c, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed cmpctblock");
	gossip_known(p, c.hash);
	bi = chainstate_lookup(net->cs, c.hash);
	if (bi && (bi->status & BLOCK_HAVE_DATA))
		goto out;
	verdict_init(&v);
	if (!chainstate_accept_header(net->cs, &c.header, clock_now(), &bi, &v)) {
		int score = peer_verdict_score(v.result);
		if (v.result == VR_MISSING_PREV)
			sync_getheaders(p);
		else if (score)
			peer_misbehaving(p, score, v.reason);
		goto out;
	}
	if (net->cmpct->enabled && memcmp(c.header.prev, chainstate_tip(net->cs)->hash, 32) == 0)
		rebuild(p, &c);
	/* Either way the peer has it: a block that does not extend the tip is
	 * downloaded whole, as after a headers announcement. */
	if (!p->closing)
		sync_block_announced(p, c.hash);
out:
	cblock_release(&c);
}

void cmpct_on_blocktxn(struct peer *p, const uint8_t *payload, size_t len)
{
	struct cblock_txns t;
	char err[ERR_LEN];
	if (cblock_txns_decode(&t, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed blocktxn");
	struct partial *pb = &p->cmpct->pb;
	if (pb->n == 0 || memcmp(t.hash, pb->hash, 32) != 0) {
		log_debug(LOG_NET, "peer=%llu: blocktxn for no block asked", (unsigned long long)p->id);
	} else if (partial_fill(pb, &t) != 0) {
		partial_release(pb);
		peer_misbehaving(p, PEER_BAN_SCORE, "blocktxn does not match getblocktxn");
	} else {
		finish(p);
	}
	cblock_txns_release(&t);
}

void cmpct_on_getblocktxn(struct peer *p, const uint8_t *payload, size_t len)
{
	struct cblock_request r;
	struct cblock_txns t = { { 0 }, 0, NULL };
	struct block b;
	char err[ERR_LEN];
	if (cblock_request_decode(&r, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed getblocktxn");
	struct block_index *bi = chainstate_lookup(p->net->cs, r.hash);
	struct block_index *tip = chainstate_tip(p->net->cs);
	if (!bi || !(bi->status & BLOCK_HAVE_DATA) || index_failed(bi))
		goto out;
	if (bi->height + CMPCT_TXN_DEPTH < tip->height) {
		send_full(p, bi);
		goto out;
	}
	if (chainstate_read_block(p->net->cs, bi, &b, err) != 0)
		goto out;
	if (r.n && r.idx[r.n - 1] >= b.n_tx) {
		peer_misbehaving(p, PEER_BAN_SCORE, "getblocktxn index out of range");
	} else if ((t.txs = malloc((r.n ? r.n : 1) * sizeof(*t.txs)))) {
		struct buf out = BUF_INIT;
		memcpy(t.hash, r.hash, 32);
		t.n = r.n;
		for (size_t i = 0; i < r.n; i++)
			t.txs[i] = b.txs[r.idx[i]]; /* borrowed: only written out */
		if (cblock_txns_encode(&out, &t) == 0)
			peer_send_buf(p, MSG_BLOCKTXN, &out);
		else
			buf_release(&out);
		free(t.txs);
	}
	block_release(&b);
out:
	cblock_request_release(&r);
}
