#include "node/addrbuild.h"

#include <event2/event.h>
#include <stdlib.h>

#include "util/log.h"

/* Records written in one slice: a few milliseconds of work. */
#define SLICE_RECORDS 4000
/* A progress line every this many blocks. */
#define LOG_EVERY 1000

struct addrbuild {
	struct chainstate *cs;
	struct addrindex *ai;
	struct event *ev;
	long long logged; /* the height last logged */
	unsigned pause_ms;
};

static void schedule(struct addrbuild *b)
{
	struct timeval tv = { b->pause_ms / 1000, (b->pause_ms % 1000) * 1000 };
	(void)evtimer_add(b->ev, &tv);
}

/* One slice; queues the next until the index reaches the tip. After that
 * the writer keeps it there, block by block. */
static void on_slice(evutil_socket_t fd, short what, void *arg)
{
	struct addrbuild *b = arg;
	char err[ERR_LEN];
	(void)fd;
	(void)what;
	int r = addrindex_build_step(b->ai, b->pause_ms ? 1 : SLICE_RECORDS, err);
	struct block_index *best = addrindex_best(b->ai);
	long long h = best ? (long long)best->height : -1LL;
	if (r < 0) {
		log_error("address index: %s; building stopped", err);
		return;
	}
	if (r == 0) {
		log_info("address index synced at height %lld", h);
		return;
	}
	if (h >= b->logged + LOG_EVERY) {
		log_info("address index: built to height %lld of %u", h, chainstate_tip(b->cs)->height);
		b->logged = h;
	}
	schedule(b);
}

struct addrbuild *addrbuild_start(struct event_base *base, struct chainstate *cs, unsigned pause_ms, char *err)
{
	struct addrbuild *b = calloc(1, sizeof(*b));
	if (!b || !(b->ai = addrindex_new(cs)) || !(b->ev = evtimer_new(base, on_slice, b))) {
		if (b)
			addrindex_free(b->ai);
		free(b);
		err_set(err, "out of memory");
		return NULL;
	}
	b->cs = cs;
	b->pause_ms = pause_ms;
	struct connect_writer w = addrindex_writer(b->ai);
	chainstate_set_writer(cs, &w);
	schedule(b);
	return b;
}

struct addrindex *addrbuild_index(struct addrbuild *b)
{
	return b ? b->ai : NULL;
}

void addrbuild_free(struct addrbuild *b)
{
	if (!b)
		return;
	chainstate_set_writer(b->cs, NULL);
	event_free(b->ev);
	addrindex_free(b->ai);
	free(b);
}
