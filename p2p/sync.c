/* Sync owns struct sync (requests in flight, the hold of catch-up blocks,
 * their check stage and the blocks waiting for a parent, the window and
 * the progress line) and each peer's struct sync_peer (its best header
 * either way, blocks asked of it, its stall). Nothing else reads them. */
#include "p2p/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/sigcheck.h"
#include "chain/validate.h"
#include "p2p/cmpct.h"
#include "p2p/connman.h"
#include "p2p/gossip.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/pool.h"

#define SYNC_HOLD_BLOCKS 32
#define SYNC_HOLD_BYTES (4u << 20)
#define SYNC_WAIT_BLOCKS 64

struct sync_peer {
	struct block_index *best_known; /* its best header we know */
	struct block_index *best_sent;  /* the last header we sent it */
	int unconnecting;
	uint8_t inflight[SYNC_MAX_BLOCKS_IN_FLIGHT][32]; /* blocks requested from it */
	uint64_t inflight_at[SYNC_MAX_BLOCKS_IN_FLIGHT];
	size_t n_inflight;
	uint64_t stall_since;
};

/* A block held back during catch-up until its signatures are checked
 * together with its neighbours'. */
struct held_block {
	struct block b;
	uint64_t peer;
	char addr[NET_ADDR_TEXT_LEN];
	bool checked; /* every signature of b verified (by the check stage) */
	bool compact; /* rebuilt from a compact block */
};

struct window {
	struct block_index *b[SYNC_WINDOW];
	size_t n;
	struct block_index *fork;
};

struct sync {
	struct hmap blk_asked;   /* block hash -> struct peer * that has it in flight */
	struct held_block held[SYNC_HOLD_BLOCKS];
	size_t n_held, held_bytes;
	struct hmap held_map;    /* hash of a block held or being checked -> 1 */
	/* The previous hold, its signatures checked as a job of the node's
	 * pool while the loop connects the one before it. */
	struct held_block checking[SYNC_HOLD_BLOCKS];
	size_t n_checking;
	struct pool_batch check;
	bool check_running;
	bool check_ok;           /* every signature of checking[] verified */
	size_t check_sigs;       /* how many it checked */
	/* Checked blocks whose parent is not connected yet, kept (in arrival
	 * order) so they connect without a second check once it is. */
	struct held_block waiting[SYNC_WAIT_BLOCKS];
	size_t n_waiting;
	uint64_t next_progress;
	uint32_t progress_height;
	/* sync_download's scratch */
	struct window w;
	bool has[SYNC_WINDOW];
};

struct sync *sync_new(void)
{
	struct sync *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	hmap_init(&s->blk_asked, 32);
	hmap_init(&s->held_map, 32);
	return s;
}

struct sync_peer *sync_peer_new(void)
{
	return calloc(1, sizeof(struct sync_peer));
}

void sync_peer_free(struct sync_peer *sp)
{
	free(sp);
}

void sync_peer_info(const struct peer *p, int32_t *headers, int32_t *blocks, size_t *inflight)
{
	struct block_index *known = p->sync->best_known;
	struct block_index *f = known ? index_fork(chainstate_tip(p->net->cs), known) : NULL;
	*headers = known ? (int32_t)known->height : -1;
	*blocks = f ? (int32_t)f->height : -1;
	*inflight = p->sync->n_inflight;
}

/* bi is on the chain of a header the peer sent us or we sent it (Bitcoin
 * Core's PeerHasHeader). */
bool sync_peer_has_header(const struct peer *p, const struct block_index *bi)
{
	struct block_index *marks[2] = { p->sync->best_sent, p->sync->best_known };
	for (size_t k = 0; k < 2; k++)
		if (marks[k] && marks[k]->height >= bi->height && index_ancestor(marks[k], bi->height) == bi)
			return true;
	return false;
}

void sync_header_sent(struct peer *p, struct block_index *bi)
{
	p->sync->best_sent = bi;
}

void sync_locator(struct msg_getheaders *m, struct block_index *from)
{
	uint32_t step = 1;
	memset(m, 0, sizeof(*m));
	m->version = MSG_PROTOCOL_VERSION;
	for (struct block_index *b = from; b && m->n_locator < MSG_MAX_LOCATOR - 1;) {
		memcpy(m->locator[m->n_locator++], b->hash, 32);
		if (b->height == 0)
			return;
		if (m->n_locator >= 10)
			step *= 2;
		b = index_ancestor(b, b->height > step ? b->height - step : 0);
	}
	struct block_index *g = index_ancestor(from, 0);
	if (g)
		memcpy(m->locator[m->n_locator++], g->hash, 32);
}

static void getheaders_from(struct peer *p, struct block_index *from)
{
	struct msg_getheaders m;
	struct buf b = BUF_INIT;
	sync_locator(&m, from);
	if (msg_getheaders_encode(&b, &m) != 0) {
		buf_release(&b);
		return;
	}
	peer_send_buf(p, MSG_GETHEADERS, &b);
}

/* From the parent of our best header, as Bitcoin Core does, so that the
 * answer holds at least one header and tells where the peer stands. */
void sync_getheaders(struct peer *p)
{
	struct block_index *best = chainstate_best_header(p->net->cs);
	getheaders_from(p, best && best->prev ? best->prev : best);
}

void sync_peer_ready(struct peer *p)
{
	sync_getheaders(p);
}

static void set_best_known(struct peer *p, struct block_index *bi)
{
	if (!bi || index_failed(bi))
		return;
	if (!p->sync->best_known || u256_cmp(&bi->work, &p->sync->best_known->work) > 0)
		p->sync->best_known = bi;
}

void sync_block_announced(struct peer *p, const uint8_t hash[32])
{
	struct block_index *bi = chainstate_lookup(p->net->cs, hash);
	if (bi) {
		set_best_known(p, bi);
		sync_download(p->net);
		return;
	}
	sync_getheaders(p);
}

/* ---- serving headers ---- */

/* The best-chain block after which to answer: the first locator entry on
 * our best chain, else genesis. */
static struct block_index *fork_point(struct chainstate *cs, const struct msg_getheaders *m)
{
	for (size_t i = 0; i < m->n_locator; i++) {
		struct block_index *bi = chainstate_lookup(cs, m->locator[i]);
		if (bi && chainstate_on_best(cs, bi))
			return bi;
	}
	return chainstate_at(cs, 0);
}

void sync_on_getheaders(struct peer *p, const uint8_t *payload, size_t len)
{
	struct chainstate *cs = p->net->cs;
	struct msg_getheaders m;
	struct msg_headers h = { 0, NULL };
	struct block_header hdrs[1];
	char err[ERR_LEN];
	static const uint8_t zero[32];
	if (msg_getheaders_decode(&m, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed getheaders");
	struct block_header *all = NULL;
	struct buf b = BUF_INIT;
	if (m.n_locator == 0) {
		struct block_index *bi = chainstate_lookup(cs, m.stop);
		if (!bi || !(bi->status & BLOCK_HAVE_DATA))
			return;
		hdrs[0] = bi->header;
		h.headers = hdrs;
		h.n = 1;
	} else {
		struct block_index *start = fork_point(cs, &m);
		all = malloc(sizeof(*all) * MSG_MAX_HEADERS);
		if (!all)
			return;
		h.headers = all;
		for (uint32_t ht = start ? start->height + 1 : 1; h.n < MSG_MAX_HEADERS; ht++) {
			struct block_index *bi = chainstate_at(cs, ht);
			if (!bi)
				break;
			all[h.n++] = bi->header;
			if (memcmp(m.stop, zero, 32) != 0 && memcmp(bi->hash, m.stop, 32) == 0)
				break;
		}
		if (h.n) {
			p->sync->best_sent = chainstate_at(cs, (start ? start->height : 0) + (uint32_t)h.n);
			gossip_known(p, p->sync->best_sent->hash);
		}
	}
	if (msg_headers_encode(&b, &h) == 0)
		peer_send_buf(p, MSG_HEADERS, &b);
	else
		buf_release(&b);
	free(all);
}

/* ---- telling newcomers while catching up ---- */

/* The highest block of our best chain the peer has the header of: where
 * its best header we know, or the last one we sent it, meets our chain
 * (genesis when neither). */
static struct block_index *peer_shared(struct peer *p, struct block_index *tip)
{
	struct block_index *marks[2] = { p->sync->best_sent, p->sync->best_known };
	struct block_index *best = index_ancestor(tip, 0);
	for (size_t k = 0; k < 2; k++) {
		struct block_index *f = marks[k] ? index_fork(tip, marks[k]) : NULL;
		if (f && (!best || f->height > best->height))
			best = f;
	}
	return best;
}

/* Sends p the headers of our best chain after from, up to tip (at most
 * MSG_MAX_HEADERS), and remembers the last as sent. */
static void send_headers_after(struct peer *p, struct block_index *from, struct block_index *tip)
{
	struct chainstate *cs = p->net->cs;
	uint32_t n = tip->height - from->height;
	if (n > MSG_MAX_HEADERS)
		n = MSG_MAX_HEADERS;
	struct block_header *all = malloc(sizeof(*all) * n);
	struct msg_headers h = { 0, all };
	struct buf b = BUF_INIT;
	if (!all)
		return;
	for (uint32_t ht = from->height + 1; h.n < n; ht++)
		all[h.n++] = chainstate_at(cs, ht)->header;
	if (msg_headers_encode(&b, &h) == 0 && peer_send_buf(p, MSG_HEADERS, &b)) {
		p->sync->best_sent = chainstate_at(cs, from->height + n);
		gossip_known(p, p->sync->best_sent->hash);
	} else {
		buf_release(&b);
	}
	free(all);
}

/* While catching up the tip is not announced: the peers we download from
 * have it already, and each block would be a message to each of them. A
 * peer that lacks our tip's header (a newcomer that connected to us, or
 * one further behind) is told every SYNC_PROGRESS_STEP blocks, with the
 * headers of what we connected since it last heard, so that it can fetch
 * from us what we already have while we fetch the rest. */
void sync_announce_progress(struct p2p *net)
{
	struct block_index *tip = chainstate_tip(net->cs);
	for (struct peer *p = net->peers; p; p = p->next) {
		if (!p->ready || p->closing || p->type == P2P_ADDR_FETCH || sync_peer_has_header(p, tip))
			continue;
		struct block_index *from = peer_shared(p, tip);
		if (from && tip->height >= from->height + SYNC_PROGRESS_STEP)
			send_headers_after(p, from, tip);
	}
}

/* ---- receiving headers ---- */

static bool headers_continuous(const struct msg_headers *h)
{
	uint8_t prev[32];
	for (size_t i = 0; i < h->n; i++) {
		if (i && memcmp(h->headers[i].prev, prev, 32) != 0)
			return false;
		header_hash(prev, &h->headers[i]);
	}
	return true;
}

/* Headers whose first does not connect: Bitcoin Core's answer, ask again
 * from our best header and count; every tenth in a row costs 20. */
static void unconnecting(struct peer *p)
{
	if (++p->sync->unconnecting % 10 == 0)
		peer_misbehaving(p, 20, "headers that do not connect");
	sync_getheaders(p);
}

static void accept_headers(struct peer *p, const struct msg_headers *h)
{
	struct block_index *last = NULL;
	uint64_t now = clock_now();
	for (size_t i = 0; i < h->n; i++) {
		struct verdict v;
		struct block_index *bi = NULL;
		verdict_init(&v);
		if (!chainstate_accept_header(p->net->cs, &h->headers[i], now, &bi, &v)) {
			int score = peer_verdict_score(v.result);
			if (score)
				peer_misbehaving(p, score, v.reason);
			else
				log_debug(LOG_NET, "header from peer=%llu not accepted: %s", (unsigned long long)p->id,
					  v.reason);
			break;
		}
		last = bi;
	}
	if (!last)
		return;
	set_best_known(p, last);
	if (h->n == MSG_MAX_HEADERS && !p->closing)
		getheaders_from(p, last);
}

void sync_on_headers(struct peer *p, const uint8_t *payload, size_t len)
{
	struct msg_headers h;
	char err[ERR_LEN];
	if (msg_headers_decode(&h, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed headers");
	if (h.n == 0)
		goto out;
	if (!chainstate_lookup(p->net->cs, h.headers[0].prev)) {
		unconnecting(p);
		goto out;
	}
	if (!headers_continuous(&h)) {
		peer_misbehaving(p, PEER_BAN_SCORE, "non-continuous headers");
		goto out;
	}
	p->sync->unconnecting = 0;
	accept_headers(p, &h);
	/* Far behind now: the free outbound slots are filled at once, not
	 * at the next tick (a short chain is fetched within one). */
	if (sync_far_behind(p->net))
		connman_open(p->net, clock_mono_us());
	sync_download(p->net);
out:
	msg_headers_release(&h);
}

/* ---- blocks in flight ---- */

static void inflight_drop(struct peer *p, size_t i)
{
	hmap_del(&p->net->sync->blk_asked, p->sync->inflight[i]);
	p->sync->n_inflight--;
	memmove(p->sync->inflight[i], p->sync->inflight[p->sync->n_inflight], 32);
	p->sync->inflight_at[i] = p->sync->inflight_at[p->sync->n_inflight];
}

/* Forgets the request for hash, whoever it went to. */
static void request_done(struct p2p *net, const uint8_t hash[32])
{
	struct peer *owner = hmap_get(&net->sync->blk_asked, hash);
	if (!owner)
		return;
	for (size_t i = 0; i < owner->sync->n_inflight; i++)
		if (memcmp(owner->sync->inflight[i], hash, 32) == 0)
			return inflight_drop(owner, i);
	hmap_del(&net->sync->blk_asked, hash);
}

/* The peer answered notfound for a block (it told us of a header before
 * it had the block, or no longer has it): the request goes back to the
 * others at once, not after the stall timeout, and the peer is taken to
 * hold nothing from that block on until it tells us of more. */
void sync_block_notfound(struct peer *p, const uint8_t hash[32])
{
	struct p2p *net = p->net;
	if (hmap_get(&net->sync->blk_asked, hash) != p)
		return;
	for (size_t i = 0; i < p->sync->n_inflight; i++)
		if (memcmp(p->sync->inflight[i], hash, 32) == 0) {
			inflight_drop(p, i);
			break;
		}
	struct block_index *bi = chainstate_lookup(net->cs, hash), *known = p->sync->best_known;
	if (bi && known && known->height >= bi->height && index_ancestor(known, bi->height) == bi)
		p->sync->best_known = bi->prev;
	sync_download(net);
}

void sync_peer_closed(struct peer *p)
{
	while (p->sync->n_inflight)
		inflight_drop(p, p->sync->n_inflight - 1);
}

static bool catching_up(struct p2p *net);

/* Hands one block to the chainstate and answers for it: the peer (when
 * still there) is credited, asked for headers, or scored, except for a
 * rule a compact block broke: BIP 152 lets a peer push a block before it
 * has validated it, so that is not its fault (its header was checked). */
static void accept_block(struct p2p *net, uint64_t peer_id, const char *addr, const struct block *b, bool verified,
			 bool compact)
{
	struct verdict v;
	struct peer *p = peer_by_id(net, peer_id);
	bool ok;
	verdict_init(&v);
	if (verified)
		ok = chainstate_accept_verified(net->cs, b, clock_now(), SOURCE_PEER, addr, &v);
	else
		ok = chainstate_accept_block(net->cs, b, clock_now(), SOURCE_PEER, addr, &v);
	if (ok) {
		if (p) {
			struct block_index *bi = chainstate_lookup(net->cs, b->hash);
			p->last_block = clock_mono_us();
			set_best_known(p, bi);
			if (bi == chainstate_tip(net->cs) && !catching_up(net))
				cmpct_block_delivered(p);
		}
	} else if (v.result == VR_ERROR) {
		log_error("cannot store block from %s: %s %s", addr, v.reason, v.debug);
	} else if (p && !p->closing && v.result == VR_MISSING_PREV) {
		sync_getheaders(p);
	} else if (p && !p->closing) {
		int score = compact ? 0 : peer_verdict_score(v.result);
		if (score)
			peer_misbehaving(p, score, v.reason);
		else if (compact)
			net_log_peer(net, "compact block from peer=%llu %s is invalid: %s", (unsigned long long)p->id,
				     p->addr_text, v.reason);
	}
}

/* Catching up: more than this block to go. A block at the tip is never
 * held, so propagation pays no wait. */
static bool catching_up(struct p2p *net)
{
	struct block_index *tip = chainstate_tip(net->cs), *best = chainstate_best_header(net->cs);
	return best && best->height > tip->height + 1;
}

bool sync_far_behind(const struct p2p *net)
{
	struct block_index *tip = chainstate_tip(net->cs), *best = chainstate_best_header(net->cs);
	return best && best->height > tip->height + SYNC_MAX_BLOCKS_IN_FLIGHT;
}

/* Keeps b (moved in) for the next flush; false when it cannot be held. */
static bool hold(struct p2p *net, const struct peer *p, struct block *b, size_t bytes, bool compact)
{
	if (net->sync->n_held == SYNC_HOLD_BLOCKS || hmap_get(&net->sync->held_map, b->hash))
		return false;
	struct held_block *h = &net->sync->held[net->sync->n_held];
	if (hmap_put(&net->sync->held_map, b->hash, (void *)1) != 0)
		return false;
	h->b = *b;
	h->peer = p->id;
	h->compact = compact;
	snprintf(h->addr, sizeof(h->addr), "%s", p->addr_text);
	net->sync->n_held++;
	net->sync->held_bytes += bytes;
	net_wake(net);
	return true;
}

static int check_threads(const struct p2p *net)
{
	return pool_threads(net->cfg.pool);
}

/* The check job: every input signature of the blocks in checking[], over
 * every core, past the signature cache (no one checked them before, and
 * connecting them right after does not look again). Only reads the blocks;
 * check_ok is read after the batch is waited for. A bad signature stops
 * the check early: its block fails on its own when connected with a full
 * check. */
static void check_job(void *arg)
{
	struct p2p *net = arg;
	size_t n = 0, at = 0;
	for (size_t k = 0; k < net->sync->n_checking; k++)
		for (size_t i = 1; i < net->sync->checking[k].b.n_tx; i++)
			n += net->sync->checking[k].b.txs[i].n_in;
	struct sig_job *jobs = malloc((n ? n : 1) * sizeof(*jobs));
	if (!jobs)
		return;
	for (size_t k = 0; k < net->sync->n_checking; k++)
		for (size_t i = 1; i < net->sync->checking[k].b.n_tx; i++) {
			tx_sig_jobs(jobs + at, &net->sync->checking[k].b.txs[i], net->params->magic);
			at += net->sync->checking[k].b.txs[i].n_in;
		}
	net->sync->check_ok = sig_verify_uncached(jobs, n, net->cfg.pool) == n;
	net->sync->check_sigs = n;
	free(jobs);
}

/* Moves the hold to checking[] and starts its check on the node's pool
 * (inline without one); on one core the blocks go through the ordinary
 * full check. */
static void check_start(struct p2p *net)
{
	memcpy(net->sync->checking, net->sync->held, net->sync->n_held * sizeof(net->sync->held[0]));
	net->sync->n_checking = net->sync->n_held;
	net->sync->n_held = net->sync->held_bytes = 0;
	net->sync->check_ok = false;
	net->sync->check_sigs = 0;
	if (check_threads(net) < 2)
		return;
	pool_batch_init(&net->sync->check, net->cfg.pool);
	pool_batch_add(&net->sync->check, check_job, net);
	net->sync->check_running = true;
}

/* Waits for the check under way and moves its blocks to ready; returns
 * how many, *ok whether every signature of theirs verified. */
static size_t check_take(struct p2p *net, struct held_block *ready, bool *ok)
{
	size_t n = net->sync->n_checking;
	*ok = false;
	if (net->sync->check_running) {
		pool_batch_wait(&net->sync->check);
		net->sync->check_running = false;
		*ok = net->sync->check_ok;
		log_debug(LOG_NET, "checked %zu signatures of %zu held blocks over %d threads: %s", net->sync->check_sigs, n,
			  check_threads(net), *ok ? "all pass" : "not all pass");
	}
	memcpy(ready, net->sync->checking, n * sizeof(ready[0]));
	net->sync->n_checking = 0;
	return n;
}

static void hand_over(struct p2p *net, struct held_block *h)
{
	hmap_del(&net->sync->held_map, h->b.hash);
	accept_block(net, h->peer, h->addr, &h->b, h->checked, h->compact);
	block_release(&h->b);
}

static void wait_drop(struct p2p *net, size_t k)
{
	memmove(&net->sync->waiting[k], &net->sync->waiting[k + 1], (net->sync->n_waiting - k - 1) * sizeof(net->sync->waiting[0]));
	net->sync->n_waiting--;
}

/* Connects checked blocks in chain order. A block connects from memory
 * when its parent is the tip: those of a batch that passed whole skip the
 * second signature check (they are the very objects the check job checked).
 * One whose parent is not connected yet (a slower peer's block still on
 * its way) waits for it here rather than being stored and later read back
 * and checked again; with nothing more on its way, or no room, the
 * waiting go to the chainstate as they are. */
static void connect_ready(struct p2p *net, struct held_block *ready, size_t n, bool ok)
{
	for (size_t k = 0; k < n; k++) {
		if (net->sync->n_waiting == SYNC_WAIT_BLOCKS) {
			struct held_block oldest = net->sync->waiting[0];
			wait_drop(net, 0);
			hand_over(net, &oldest);
		}
		ready[k].checked = ok;
		net->sync->waiting[net->sync->n_waiting++] = ready[k];
	}
	for (size_t k = 0; k < net->sync->n_waiting;) {
		struct block_index *tip = chainstate_tip(net->cs);
		if (memcmp(net->sync->waiting[k].b.header.prev, tip->hash, 32) != 0) {
			k++;
			continue;
		}
		struct held_block h = net->sync->waiting[k];
		wait_drop(net, k);
		hand_over(net, &h);
		k = 0;
	}
	if (net->sync->blk_asked.count == 0 && net->sync->n_held == 0 && net->sync->n_checking == 0)
		while (net->sync->n_waiting) {
			struct held_block h = net->sync->waiting[0];
			wait_drop(net, 0);
			hand_over(net, &h);
		}
}

/* A two-stage pipeline: the hold just filled is checked on the pool
 * while the loop connects the batch checked before it. */
void sync_flush(struct p2p *net)
{
	struct held_block ready[SYNC_HOLD_BLOCKS];
	bool ok;
	size_t n = check_take(net, ready, &ok);
	if (net->sync->n_held)
		check_start(net);
	connect_ready(net, ready, n, ok);
	/* Nothing more coming: the last batch need not wait for the timer. */
	if (net->sync->blk_asked.count == 0 && (net->sync->n_checking || net->sync->n_waiting)) {
		n = check_take(net, ready, &ok);
		connect_ready(net, ready, n, ok);
	}
}

bool sync_pending(const struct p2p *net)
{
	const struct sync *s = net->sync;
	return s->n_held || s->n_checking || s->n_waiting || s->blk_asked.count;
}

void sync_free(struct p2p *net)
{
	struct sync *s = net->sync;
	if (!s)
		return;
	if (s->check_running)
		pool_batch_wait(&s->check);
	for (size_t k = 0; k < s->n_checking; k++)
		block_release(&s->checking[k].b);
	for (size_t k = 0; k < s->n_waiting; k++)
		block_release(&s->waiting[k].b);
	for (size_t k = 0; k < s->n_held; k++)
		block_release(&s->held[k].b);
	hmap_release(&s->blk_asked);
	hmap_release(&s->held_map);
	free(s);
	net->sync = NULL;
}

/* During catch-up blocks are held and connected in batches whose
 * signatures were checked over every core at once (a block of a few dozen
 * inputs is too small to split); at the tip each block connects at once,
 * pushed first to the peers that asked for compact blocks in high
 * bandwidth. */
void sync_take_block(struct peer *p, struct block *b, size_t len, bool compact)
{
	struct p2p *net = p->net;
	request_done(net, b->hash);
	gossip_known(p, b->hash);
	p->sync->stall_since = 0;
	if (catching_up(net) && hold(net, p, b, len, compact)) {
		if (net->sync->n_held == SYNC_HOLD_BLOCKS || net->sync->held_bytes >= SYNC_HOLD_BYTES || net->sync->blk_asked.count == 0)
			sync_flush(net);
	} else {
		if (!catching_up(net))
			cmpct_relay_early(net, p, b);
		accept_block(net, p->id, p->addr_text, b, false, compact);
		block_release(b);
	}
	sync_download(net);
}

void sync_on_block(struct peer *p, const uint8_t *payload, size_t len)
{
	struct block b;
	char err[ERR_LEN];
	if (msg_block_decode(&b, payload, len, err) != 0)
		return peer_misbehaving(p, PEER_BAN_SCORE, "malformed block");
	sync_take_block(p, &b, len, false);
}

bool sync_block_claim(struct peer *p, const uint8_t hash[32])
{
	struct p2p *net = p->net;
	if (hmap_get(&net->sync->blk_asked, hash))
		return true;
	if (p->sync->n_inflight == SYNC_MAX_BLOCKS_IN_FLIGHT || hmap_put(&net->sync->blk_asked, hash, p) != 0)
		return false;
	memcpy(p->sync->inflight[p->sync->n_inflight], hash, 32);
	p->sync->inflight_at[p->sync->n_inflight++] = clock_mono_us();
	net_wake(net);
	return true;
}

/* ---- the download window ---- */

/* The blocks after the fork of tip and best header, on the best header's
 * chain, up to SYNC_WINDOW of them; n 0 when there is nothing to fetch. */
static void window_fill(struct p2p *net, struct window *w)
{
	struct block_index *tip = chainstate_tip(net->cs), *best = chainstate_best_header(net->cs);
	w->n = 0;
	if (!best || u256_cmp(&best->work, &tip->work) <= 0)
		return;
	w->fork = index_fork(tip, best);
	if (!w->fork)
		return;
	uint32_t top = best->height;
	if (top - w->fork->height > SYNC_WINDOW)
		top = w->fork->height + SYNC_WINDOW;
	w->n = top - w->fork->height;
	struct block_index *b = index_ancestor(best, top);
	for (size_t i = w->n; i > 0 && b; i--, b = b->prev)
		w->b[i - 1] = b;
}

/* has[i]: the peer's best known chain holds w->b[i]. */
static void peer_has(const struct peer *p, const struct window *w, bool *has)
{
	memset(has, 0, w->n);
	if (!p->sync->best_known || p->sync->best_known->height <= w->fork->height)
		return;
	uint32_t top = w->fork->height + (uint32_t)w->n;
	struct block_index *b = index_ancestor(p->sync->best_known, p->sync->best_known->height < top ? p->sync->best_known->height : top);
	for (; b && b->height > w->fork->height; b = b->prev)
		has[b->height - w->fork->height - 1] = (b == w->b[b->height - w->fork->height - 1]);
}

static void request_blocks(struct peer *p, const struct window *w, bool *has)
{
	struct inv_item items[SYNC_MAX_BLOCKS_IN_FLIGHT];
	struct msg_inv m = { 0, items };
	uint64_t now = clock_mono_us();
	/* The one block the tip needs, asked of a peer that speaks BIP 152,
	 * comes as a compact block: the mempool likely has its transactions. */
	bool compact = w->n == 1 && w->fork == chainstate_tip(p->net->cs) && cmpct_peer_capable(p);
	peer_has(p, w, has);
	for (size_t i = 0; i < w->n && p->sync->n_inflight < SYNC_MAX_BLOCKS_IN_FLIGHT; i++) {
		struct block_index *b = w->b[i];
		if (!has[i] || (b->status & BLOCK_HAVE_DATA) || hmap_get(&p->net->sync->blk_asked, b->hash) ||
		    hmap_get(&p->net->sync->held_map, b->hash))
			continue;
		if (hmap_put(&p->net->sync->blk_asked, b->hash, p) != 0)
			break;
		memcpy(p->sync->inflight[p->sync->n_inflight], b->hash, 32);
		p->sync->inflight_at[p->sync->n_inflight++] = now;
		items[m.n].type = compact ? INV_CMPCT_BLOCK : INV_BLOCK;
		memcpy(items[m.n++].hash, b->hash, 32);
	}
	if (m.n == 0)
		return;
	net_wake(p->net);
	struct buf out = BUF_INIT;
	if (msg_inv_encode(&out, &m) == 0)
		peer_send_buf(p, MSG_GETDATA, &out);
	else
		buf_release(&out);
}

void sync_download(struct p2p *net)
{
	struct window *w = &net->sync->w;
	window_fill(net, w);
	if (w->n == 0)
		return;
	for (struct peer *p = net->peers; p; p = p->next)
		if (p->ready && !p->closing && !p->sync->stall_since && p->type != P2P_ADDR_FETCH &&
		    p->sync->n_inflight < SYNC_MAX_BLOCKS_IN_FLIGHT)
			request_blocks(p, w, net->sync->has);
}

/* ---- stalls and progress ---- */

static bool someone_waits(struct p2p *net, const struct peer *except)
{
	for (struct peer *p = net->peers; p; p = p->next)
		if (p != except && p->ready && !p->closing && !p->sync->stall_since &&
		    p->sync->n_inflight < SYNC_MAX_BLOCKS_IN_FLIGHT && p->type != P2P_ADDR_FETCH && p->sync->best_known)
			return true;
	return false;
}

/* The holder of the block the tip needs next stalls the download: every
 * request of its older than the stall timeout goes back to the pool at
 * once (not one a tick, which would crawl), and the peer gets no new
 * requests until it delivers a block. */
static void unstall(struct p2p *net, struct peer *holder, uint64_t now)
{
	size_t moved = 0;
	for (size_t i = holder->sync->n_inflight; i > 0; i--)
		if (now - holder->sync->inflight_at[i - 1] > net->stall_us) {
			inflight_drop(holder, i - 1);
			moved++;
		}
	if (!holder->sync->stall_since)
		holder->sync->stall_since = now;
	net_log_peer(net, "peer=%llu %s stalls the download: %zu blocks re-assigned", (unsigned long long)holder->id,
		     holder->addr_text, moved);
}

/* Stalls: the peer holding the block the tip needs next for longer than
 * the stall timeout loses its requests to whoever waits. A peer with a
 * request older than the block timeout, or marked stalling that long
 * without delivering, is dropped when someone else can serve (else it may
 * try again). */
static void check_stalls(struct p2p *net)
{
	uint64_t now = clock_mono_us();
	struct block_index *tip = chainstate_tip(net->cs), *best = chainstate_best_header(net->cs);
	struct block_index *next = best && best->height > tip->height ? index_ancestor(best, tip->height + 1) : NULL;
	struct peer *holder = next ? hmap_get(&net->sync->blk_asked, next->hash) : NULL;
	for (size_t i = 0; holder && i < holder->sync->n_inflight; i++)
		if (memcmp(holder->sync->inflight[i], next->hash, 32) == 0) {
			if (now - holder->sync->inflight_at[i] > net->stall_us && someone_waits(net, holder))
				unstall(net, holder, now);
			break;
		}
	for (struct peer *p = net->peers; p; p = p->next) {
		bool late = p->sync->stall_since && now - p->sync->stall_since > net->block_timeout_us;
		for (size_t i = 0; !late && i < p->sync->n_inflight; i++)
			late = now - p->sync->inflight_at[i] > net->block_timeout_us;
		if (!late || p->closing)
			continue;
		if (someone_waits(net, p)) {
			net_log_peer(net, "peer=%llu %s: block download timed out", (unsigned long long)p->id,
				     p->addr_text);
			peer_disconnect(p, "block download stalled");
		} else {
			p->sync->stall_since = 0; /* nobody else serves: it may try again */
		}
	}
}

static void progress(struct p2p *net)
{
	uint64_t now = clock_mono_us();
	struct block_index *tip = chainstate_tip(net->cs), *best = chainstate_best_header(net->cs);
	if (now < net->sync->next_progress)
		return;
	if (net->sync->next_progress && best && best->height > tip->height) {
		double secs = (double)(now - net->sync->next_progress + 5000000u) / 1e6;
		log_info("sync: height %u of %u headers, %.1f blocks/s, %zu peers", tip->height, best->height,
			 (double)(tip->height - (tip->height < net->sync->progress_height ? tip->height : net->sync->progress_height)) /
				 secs,
			 net->n_peers);
	}
	net->sync->progress_height = tip->height;
	net->sync->next_progress = now + 5000000u;
}

void sync_tick(struct p2p *net)
{
	check_stalls(net);
	progress(net);
	sync_download(net);
}
