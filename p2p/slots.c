/* The outbound slot policy (p2p/slots.h): Bitcoin Core's order of
 * automatic connections and its rule for the extra block-relay-only
 * peer, apart from the sockets so that the rules are tested alone. */
#include "p2p/slots.h"

#include <math.h>

uint64_t slots_exp_wait(uint64_t now, uint64_t mean_us, uint64_t rnd)
{
	/* 53 random bits as a uniform in (0, 1] */
	double u = (double)((rnd >> 11) + 1) * (1.0 / 9007199254740992.0);
	return now + (uint64_t)(-log(u) * (double)mean_us);
}

void slots_init(struct slots *s, size_t max_full, size_t max_block, uint64_t feeler_us, uint64_t extra_us,
		uint64_t now, uint64_t rnd1, uint64_t rnd2)
{
	s->max_full = max_full;
	s->max_block = max_block;
	s->feeler_us = feeler_us ? feeler_us : SLOTS_FEELER_US;
	s->extra_us = extra_us ? extra_us : SLOTS_EXTRA_US;
	s->min_connect_us = s->extra_us / 2 < SLOTS_MIN_CONNECT_US ? s->extra_us / 2 : SLOTS_MIN_CONNECT_US;
	s->next_feeler = slots_exp_wait(now, s->feeler_us, rnd1);
	s->next_extra = slots_exp_wait(now, s->extra_us, rnd2);
	s->extra_started = false;
}

enum slots_open slots_next(struct slots *s, size_t full, size_t block, bool synced, uint64_t now, uint64_t rnd)
{
	if (synced)
		s->extra_started = true;
	if (full < s->max_full)
		return SLOTS_OPEN_FULL_RELAY;
	if (block < s->max_block)
		return SLOTS_OPEN_BLOCK_RELAY;
	if (s->extra_started && now >= s->next_extra) {
		s->next_extra = slots_exp_wait(now, s->extra_us, rnd);
		return SLOTS_OPEN_EXTRA_BLOCK_RELAY;
	}
	if (now >= s->next_feeler) {
		s->next_feeler = slots_exp_wait(now, s->feeler_us, rnd);
		return SLOTS_OPEN_FEELER;
	}
	return SLOTS_NONE;
}

int slots_evict_extra(const struct slots *s, const struct slots_peer *peers, size_t n, uint64_t now)
{
	if (n <= s->max_block)
		return -1;
	int young = -1, next = -1;
	for (size_t i = 0; i < n; i++) {
		if (young < 0 || peers[i].id > peers[young].id) {
			next = young;
			young = (int)i;
		} else if (next < 0 || peers[i].id > peers[next].id) {
			next = (int)i;
		}
	}
	/* the newcomer proved itself: the next youngest makes room (with no
	 * block-relay slots there is none, and the newcomer stays) */
	int go = young;
	if (peers[young].last_block > (next < 0 ? 0 : peers[next].last_block))
		go = next;
	if (go < 0 || now < peers[go].since + s->min_connect_us || peers[go].busy)
		return -1;
	return go;
}
