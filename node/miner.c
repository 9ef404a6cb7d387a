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

struct miner {
	struct miner_config cfg;
	struct event_base *base;
	struct event *found_ev, *timer;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t *threads;
	int n_threads;
	bool stopping;
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

static void *worker(void *arg)
{
	struct miner *m = arg;
	pthread_mutex_lock(&m->lock);
	while (!m->stopping) {
		if (!m->have_work || m->found) {
			pthread_cond_wait(&m->wake, &m->lock);
			continue;
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
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

/* On the loop: a fresh template for the workers. */
static void refresh(struct miner *m)
{
	struct mempool_selection sel;
	char err[ERR_LEN];
	if (mempool_select(m->cfg.mp, &sel, BLOCK_MAX_SIZE - 1000) != 0)
		return;
	block_release(&m->tmpl);
	int r = mine_build(&m->tmpl, chainstate_tip(m->cfg.cs), chainstate_params(m->cfg.cs), sel.txs, sel.n,
			   m->cfg.payto, sel.fees, clock_now(), err);
	mempool_selection_release(&sel);
	pthread_mutex_lock(&m->lock);
	m->have_work = r == 0;
	m->gen++;
	m->found = false;
	if (r == 0) {
		m->header = m->tmpl.header;
		m->next_nonce = 0;
	}
	pthread_cond_broadcast(&m->wake);
	pthread_mutex_unlock(&m->lock);
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
		log_error("mined block refused: %s %s", v.reason, v.debug);
	}
	/* The node then tells every part of the new tip, this miner too
	 * (miner_tip_changed), which starts on the next block. */
	if (m->cfg.after_block)
		m->cfg.after_block(m->cfg.ctx);
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

struct miner *miner_new(struct event_base *base, const struct miner_config *cfg, char *err)
{
	struct miner *m = calloc(1, sizeof(*m));
	int n = cfg->threads < 1 ? 1 : cfg->threads > 64 ? 64 : cfg->threads;
	struct timeval tv = { regtest_interval(cfg), 0 };
	if (!m || !(m->threads = calloc((size_t)n, sizeof(*m->threads)))) {
		free(m);
		err_set(err, "out of memory");
		return NULL;
	}
	m->cfg = *cfg;
	m->base = base;
	block_init(&m->tmpl);
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	m->found_ev = event_new(base, -1, 0, on_found, m);
	m->timer = event_new(base, -1, EV_PERSIST, on_timer, m);
	if (!m->found_ev || !m->timer || event_add(m->timer, &tv) != 0) {
		miner_free(m);
		err_set(err, "cannot start the miner");
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		if (pthread_create(&m->threads[i], NULL, worker, m) != 0)
			break;
		m->n_threads++;
	}
	if (m->n_threads == 0) {
		miner_free(m);
		err_set(err, "cannot start miner threads");
		return NULL;
	}
	refresh(m);
	log_info("mining on %d thread%s", m->n_threads, m->n_threads == 1 ? "" : "s");
	return m;
}

void miner_free(struct miner *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->stopping = true;
	pthread_cond_broadcast(&m->wake);
	pthread_mutex_unlock(&m->lock);
	for (int i = 0; i < m->n_threads; i++)
		pthread_join(m->threads[i], NULL);
	if (m->found_ev)
		event_free(m->found_ev);
	if (m->timer)
		event_free(m->timer);
	block_release(&m->tmpl);
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
	free(m->threads);
	free(m);
}
