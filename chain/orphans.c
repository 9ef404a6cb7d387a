#include "chain/orphans.h"

#include <openssl/rand.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <string.h>

#include "util/grow.h"
#include "util/hmap.h"

void orphans_init(struct orphans *o, size_t max_count, size_t max_size, uint64_t lifetime)
{
	memset(o, 0, sizeof(*o));
	o->max_count = max_count;
	o->max_size = max_size;
	o->lifetime = lifetime;
}

void orphans_release(struct orphans *o)
{
	for (size_t i = 0; i < o->n; i++)
		tx_release(&o->v[i].tx);
	free(o->v);
	o->v = NULL;
	o->n = o->cap = 0;
}

static void drop_at(struct orphans *o, size_t i)
{
	tx_release(&o->v[i].tx);
	o->v[i] = o->v[--o->n];
}

static ssize_t find(const struct orphans *o, const uint8_t txid[32])
{
	for (size_t i = 0; i < o->n; i++)
		if (memcmp(o->v[i].tx.txid, txid, 32) == 0)
			return (ssize_t)i;
	return -1;
}

bool orphans_have(const struct orphans *o, const uint8_t txid[32])
{
	return find(o, txid) >= 0;
}

size_t orphans_expire(struct orphans *o, uint64_t now)
{
	size_t dropped = 0;
	for (size_t i = o->n; i-- > 0;)
		if (o->v[i].expire <= now) {
			drop_at(o, i);
			dropped++;
		}
	return dropped;
}

/* A random victim rather than the oldest: a peer flooding orphans cannot
 * tell which ones it pushes out. */
static void drop_random(struct orphans *o)
{
	uint64_t r = 0;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = 0;
	drop_at(o, (size_t)(r % o->n));
}

static int insert(struct orphans *o, struct tx *tx, uint64_t expire)
{
	if (o->max_count == 0 || tx->size > o->max_size || find(o, tx->txid) >= 0) {
		tx_release(tx);
		return 0;
	}
	while (o->n >= o->max_count)
		drop_random(o);
	if (grow_array(&o->v, &o->cap, o->n + 1, sizeof(*o->v), 16, SIZE_MAX) != 0) {
		tx_release(tx);
		return -1;
	}
	o->v[o->n].tx = *tx;
	o->v[o->n++].expire = expire;
	tx_init(tx);
	return 1;
}

int orphans_add(struct orphans *o, const struct tx *tx, uint64_t now)
{
	struct tx copy;
	orphans_expire(o, now);
	if (tx->size > o->max_size || o->max_count == 0 || find(o, tx->txid) >= 0)
		return 0;
	if (tx_copy(&copy, tx) != 0)
		return -1;
	return insert(o, &copy, now + o->lifetime);
}

int orphans_put_back(struct orphans *o, struct tx *tx, uint64_t expire)
{
	return insert(o, tx, expire);
}

bool orphans_take(struct orphans *o, const uint8_t txid[32], struct tx *tx, uint64_t *expire)
{
	ssize_t i = find(o, txid);
	tx_init(tx);
	*expire = 0;
	if (i < 0)
		return false;
	*tx = o->v[i].tx;
	*expire = o->v[i].expire;
	o->v[i] = o->v[--o->n];
	return true;
}

static bool spends_from(const struct tx *tx, const uint8_t parent[32])
{
	for (size_t i = 0; i < tx->n_in; i++)
		if (memcmp(tx->in[i].prev.txid, parent, 32) == 0)
			return true;
	return false;
}

static size_t collect(const struct orphans *o, const uint8_t *parent, uint8_t (**out)[32])
{
	*out = NULL;
	if (o->n == 0)
		return 0;
	uint8_t (*ids)[32] = malloc(o->n * 32);
	size_t n = 0;
	if (!ids)
		return (size_t)-1;
	for (size_t i = 0; i < o->n; i++)
		if (!parent || spends_from(&o->v[i].tx, parent))
			memcpy(ids[n++], o->v[i].tx.txid, 32);
	if (n == 0) {
		free(ids);
		ids = NULL;
	}
	*out = ids;
	return n;
}

size_t orphans_children(const struct orphans *o, const uint8_t parent[32], uint8_t (**out)[32])
{
	return collect(o, parent, out);
}

size_t orphans_list(const struct orphans *o, uint8_t (**out)[32])
{
	return collect(o, NULL, out);
}

static bool moot(const struct tx *tx, const struct hmap *txids, const struct hmap *spent)
{
	if (hmap_get(txids, tx->txid))
		return true;
	for (size_t i = 0; i < tx->n_in; i++) {
		uint8_t key[36];
		outpoint_write(key, &tx->in[i].prev);
		if (hmap_get(spent, key))
			return true;
	}
	return false;
}

size_t orphans_erase_for_block(struct orphans *o, const struct block *b)
{
	struct hmap txids, spent;
	size_t dropped = 0;
	bool ok = true;
	if (o->n == 0)
		return 0;
	hmap_init(&txids, 32);
	hmap_init(&spent, 36);
	for (size_t t = 1; t < b->n_tx && ok; t++) {
		ok = hmap_put(&txids, b->txs[t].txid, (void *)1) == 0;
		for (size_t i = 0; i < b->txs[t].n_in && ok; i++) {
			uint8_t key[36];
			outpoint_write(key, &b->txs[t].in[i].prev);
			ok = hmap_put(&spent, key, (void *)1) == 0;
		}
	}
	/* Out of memory: the orphans stay and expire in time, which is safe. */
	for (size_t i = o->n; ok && i-- > 0;)
		if (moot(&o->v[i].tx, &txids, &spent)) {
			drop_at(o, i);
			dropped++;
		}
	hmap_release(&txids);
	hmap_release(&spent);
	return dropped;
}
