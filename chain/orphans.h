/* The orphan pool: transactions that spend outputs the node does not know
 * yet, kept a while in case their parents arrive. Bounded three ways, as
 * Bitcoin Core bounds its own: a count (one random orphan leaves when a new
 * one needs the room, so a peer cannot choose which ones it pushes out),
 * an age, and a largest transaction size. The mempool owns one; it is not
 * thread-safe. */
#ifndef CAIRN_CHAIN_ORPHANS_H
#define CAIRN_CHAIN_ORPHANS_H

#include "chain/block.h"

struct orphan {
	struct tx tx;
	uint64_t expire; /* unix time after which it is dropped */
};

struct orphans {
	struct orphan *v;
	size_t n, cap;
	size_t max_count;   /* 0: keep none */
	size_t max_size;    /* serialized bytes */
	uint64_t lifetime;  /* seconds */
};

void orphans_init(struct orphans *o, size_t max_count, size_t max_size, uint64_t lifetime);
/* Frees every orphan; safe twice. */
void orphans_release(struct orphans *o);

/* Keeps a copy of tx received at now, first dropping the expired ones and,
 * when full, one at random. Returns 1 when kept, 0 when not (too large,
 * already kept, no room allowed), -1 on no memory. */
int orphans_add(struct orphans *o, const struct tx *tx, uint64_t now);
/* Puts back an orphan taken with orphans_take, keeping its expiry; takes
 * tx over (left released). 1, 0 or -1 as orphans_add. */
int orphans_put_back(struct orphans *o, struct tx *tx, uint64_t expire);
bool orphans_have(const struct orphans *o, const uint8_t txid[32]);
/* Moves the orphan txid out into *tx (initialised by the call) and its
 * expiry into *expire. false when there is no such orphan. */
bool orphans_take(struct orphans *o, const uint8_t txid[32], struct tx *tx, uint64_t *expire);
/* The txids of the orphans spending an output of parent, into *out (caller
 * frees; NULL when none). Returns the count, or (size_t)-1 on no memory. */
size_t orphans_children(const struct orphans *o, const uint8_t parent[32], uint8_t (**out)[32]);
/* The txids of every orphan (caller frees), as orphans_children. */
size_t orphans_list(const struct orphans *o, uint8_t (**out)[32]);
/* Drops the orphans whose time is up; returns how many. */
size_t orphans_expire(struct orphans *o, uint64_t now);
/* Drops the orphans a block made moot: included in it, or spending an
 * output one of its transactions spends. Returns how many. */
size_t orphans_erase_for_block(struct orphans *o, const struct block *b);

static inline size_t orphans_count(const struct orphans *o)
{
	return o->n;
}

#endif
