#include "node/miner.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "chain/mine.h"
#include "chain/pow.h"
#include "util/clock.h"
#include "util/log.h"

#define BATCH 4096           /* nonces between looks at the template */
#define REFRESH_SECONDS 5    /* new transactions join the template this often */

/* Mining runs as slices on the node's pool: a slice tries BATCH nonces
 * and, while there is work and no solution, queues itself again behind
 * whatever else the pool has to do. */
struct miner {
	struct miner_config cfg;
	struct event_base *base;
	struct event *found_ev, *timer;
	pthread_mutex_t lock;
	struct pool_batch slices; /* waited for by miner_free */
	int n_slices;             /* -minethreads: slices in flight at most */
	int running;              /* slices queued or running */
	/* The work, guarded by lock: */
	bool have_work;
	uint64_t gen;             /* bumped with each new template */
	struct block_header header;
	uint64_t next_nonce;
	bool found;
	uint64_t found_gen, found_nonce;
	/* The loop's own: */
	struct block tmpl;
	uint64_t last_block_time; /* regtest spacing */
	uint64_t blocks;
};

static bool regtest(const struct miner *m)
{
	return chainstate_params(m->cfg.cs)->net == NET_REGTEST;
}

/* Regtest mines a block a second; elsewhere the template is refreshed
 * every few seconds to take in new transactions. */
static long regtest_interval(const struct miner_config *cfg)
{
	return chainstate_params(cfg->cs)->net == NET_REGTEST ? 1 : REFRESH_SECONDS;
}

static void slice(void *arg);

/* Queues slices up to -minethreads while there is work. Without the lock. */
static void start_slices(struct miner *m)
{
	for (;;) {
		pthread_mutex_lock(&m->lock);
		bool more = !pool_batch_closing(&m->slices) && m->have_work && !m->found && m->running < m->n_slices;
		if (more)
			m->running++;
		pthread_mutex_unlock(&m->lock);
		if (!more)
			return;
		if (pool_batch_submit(&m->slices, slice, m) != 0) {
			pthread_mutex_lock(&m->lock);
			m->running--;
			pthread_mutex_unlock(&m->lock);
			return;
		}
	}
}

/* On a worker: BATCH nonces of the current template. */
static void slice(void *arg)
{
	struct miner *m = arg;
	pthread_mutex_lock(&m->lock);
	if (pool_batch_closing(&m->slices) || !m->have_work || m->found) {
		m->running--;
		pthread_mutex_unlock(&m->lock);
		return;
	}
	struct block_header h = m->header;
	uint64_t gen = m->gen, start = m->next_nonce;
	m->next_nonce += BATCH;
	pthread_mutex_unlock(&m->lock);
	uint8_t hash[32];
	uint64_t hit = 0;
	bool ok = false;
	for (uint64_t i = 0; i < BATCH && !ok; i++) {
		h.nonce = start + i;
		header_hash(hash, &h);
		if (pow_check(hash, h.bits, h.bits)) {
			ok = true;
			hit = h.nonce;
		}
	}
	pthread_mutex_lock(&m->lock);
	if (ok && gen == m->gen && !m->found) {
		m->found = true;
		m->found_gen = gen;
		m->found_nonce = hit;
		event_active(m->found_ev, EV_READ, 0);
	}
	m->running--;
	pthread_mutex_unlock(&m->lock);
	start_slices(m);
}

/* On the loop: a fresh template for the workers. */
static void refresh(struct miner *m)
{
	struct mempool_selection sel;
	char err[ERR_LEN];
	if (mempool_select(m->cfg.mp, &sel, m->cfg.max_bytes ? m->cfg.max_bytes : BLOCK_MAX_SIZE - 1000) != 0)
		return;
	block_release(&m->tmpl);
	int r = mine_build(&m->tmpl, chainstate_tip(m->cfg.cs), chainstate_params(m->cfg.cs), sel.txs, sel.n,
			   m->cfg.payto, sel.fees, clock_now(), err);
	if (r == 0 && (r = chainstate_commit_assets(m->cfg.cs, &m->tmpl, err)) != 0)
		block_release(&m->tmpl);
	mempool_selection_release(&sel);
	pthread_mutex_lock(&m->lock);
	m->have_work = r == 0;
	m->gen++;
	m->found = false;
	if (r == 0) {
		m->header = m->tmpl.header;
		m->next_nonce = 0;
	}
	pthread_mutex_unlock(&m->lock);
	start_slices(m);
	if (r != 0)
		log_error("miner: %s", err);
}

static void on_found(evutil_socket_t fd, short what, void *arg)
{
	struct miner *m = arg;
	struct verdict v;
	(void)fd;
	(void)what;
	pthread_mutex_lock(&m->lock);
	bool mine = m->found && m->found_gen == m->gen;
	m->tmpl.header.nonce = m->found_nonce;
	m->have_work = false; /* until the new template */
	pthread_mutex_unlock(&m->lock);
	if (!mine)
		return;
	header_hash(m->tmpl.hash, &m->tmpl.header);
	verdict_init(&v);
	if (chainstate_accept_block(m->cfg.cs, &m->tmpl, clock_now(), SOURCE_MINED, NULL, &v)) {
		m->blocks++;
		m->last_block_time = clock_now();
		log_info("mined block %u", chainstate_tip(m->cfg.cs)->height);
	} else {
		/* No new tip will restart the work: start over here. */
		log_error("mined block refused: %s %s", v.reason, v.debug);
		miner_tip_changed(m);
	}
	/* An accepted block reaches this miner as the chainstate's
	 * tip_changed, like every other listener. */
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct miner *m = arg;
	(void)fd;
	(void)what;
	if (!regtest(m) || clock_now() > m->last_block_time)
		refresh(m);
}

void miner_tip_changed(struct miner *m)
{
	if (!m)
		return;
	/* Regtest waits for the next timer tick; elsewhere, mine on at once. */
	if (regtest(m)) {
		pthread_mutex_lock(&m->lock);
		m->have_work = false;
		m->gen++;
		pthread_mutex_unlock(&m->lock);
	} else {
		refresh(m);
	}
}

uint64_t miner_blocks_found(const struct miner *m)
{
	return m ? m->blocks : 0;
}

static void on_tip_changed(void *ctx, const struct block_index *tip)
{
	(void)tip;
	miner_tip_changed(ctx);
}

struct chain_events miner_chain_events(struct miner *m)
{
	return (struct chain_events){ .tip_changed = on_tip_changed, .ctx = m };
}

void miner_free(struct miner *m)
{
	if (!m)
		return;
	pool_batch_close(&m->slices); /* queued slices see it and end */
	if (m->found_ev)
		event_free(m->found_ev);
	if (m->timer)
		event_free(m->timer);
	block_release(&m->tmpl);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

struct miner *miner_new(struct event_base *base, const struct miner_config *cfg, char *err)
{
	struct miner *m = calloc(1, sizeof(*m));
	struct timeval tv = { regtest_interval(cfg), 0 };
	if (!m) {
		err_set(err, "out of memory");
		return NULL;
	}
	if (!cfg->pool) {
		free(m);
		err_set(err, "the miner needs worker threads");
		return NULL;
	}
	m->cfg = *cfg;
	m->base = base;
	m->n_slices = cfg->threads < 1 ? 1 : cfg->threads > 64 ? 64 : cfg->threads;
	block_init(&m->tmpl);
	pthread_mutex_init(&m->lock, NULL);
	pool_batch_init(&m->slices, cfg->pool);
	m->found_ev = event_new(base, -1, 0, on_found, m);
	m->timer = event_new(base, -1, EV_PERSIST, on_timer, m);
	if (!m->found_ev || !m->timer || event_add(m->timer, &tv) != 0) {
		miner_free(m);
		err_set(err, "cannot start the miner");
		return NULL;
	}
	refresh(m);
	log_info("mining on %d thread%s", m->n_slices, m->n_slices == 1 ? "" : "s");
	return m;
}

