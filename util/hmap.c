#include "util/hmap.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/grow.h"

/* Linear probing with backward-shift deletion: no tombstones, so lookups
 * of absent keys stay short however many keys come and go (a mempool
 * removes thousands at a time). Each slot keeps its key's hash. */
struct hmap_slot {
	uint64_t h; /* 0: empty (hash_key never returns 0) */
	uint8_t key[HMAP_KEY_MAX];
	void *value;
};

static uint64_t seed;
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void make_seed(void)
{
	if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1)
		seed = 0x9e3779b97f4a7c15ULL;
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static uint64_t hash_key(const uint8_t *k, size_t len)
{
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, k + i, 8);
		h = mix(h ^ w);
	}
	for (; i < len; i++)
		h = (h ^ k[i]) * 0x100000001b3ULL;
	h = mix(h);
	return h ? h : 1;
}

uint64_t hmap_hash(const void *key, size_t len)
{
	pthread_once(&seed_once, make_seed);
	return hash_key(key, len);
}

void hmap_init(struct hmap *m, size_t key_len)
{
	pthread_once(&seed_once, make_seed);
	memset(m, 0, sizeof(*m));
	m->key_len = key_len > HMAP_KEY_MAX ? HMAP_KEY_MAX : key_len;
}

void hmap_release(struct hmap *m)
{
	if (!m)
		return;
	free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}

static struct hmap_slot *find(const struct hmap *m, const void *key, uint64_t h)
{
	if (!m->cap)
		return NULL;
	size_t mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct hmap_slot *s = &m->slots[i];
		if (s->h == 0)
			return NULL;
		if (s->h == h && memcmp(s->key, key, m->key_len) == 0)
			return s;
	}
}

void *hmap_get(const struct hmap *m, const void *key)
{
	struct hmap_slot *s = find(m, key, hash_key(key, m->key_len));
	return s ? s->value : NULL;
}

static void place(struct hmap_slot *slots, size_t cap, const struct hmap_slot *from)
{
	size_t mask = cap - 1, i = from->h & mask;
	while (slots[i].h)
		i = (i + 1) & mask;
	slots[i] = *from;
}

/* Rehashes into a table of at least need slots. */
static int resize(struct hmap *m, size_t need)
{
	/* Doubling from 16 keeps the capacity a power of two for the mask. */
	size_t cap = grow_cap(m->cap, need, sizeof(struct hmap_slot), 16, SIZE_MAX);
	struct hmap_slot *slots = cap ? calloc(cap, sizeof(*slots)) : NULL;
	if (!slots)
		return -1;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].h)
			place(slots, cap, &m->slots[i]);
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

static int grow(struct hmap *m)
{
	return resize(m, m->cap + 1);
}

int hmap_reserve(struct hmap *m, size_t n)
{
	if (n > SIZE_MAX / 4)
		return -1;
	/* The load stays under 3/4 (hmap_put). */
	size_t need = n / 3 * 4 + 4;
	return need <= m->cap ? 0 : resize(m, need);
}

/* Adds a key known to be absent. */
static int insert(struct hmap *m, const void *key, uint64_t h, void *value)
{
	struct hmap_slot n;
	if ((m->count + 1) * 4 > m->cap * 3 && grow(m) != 0)
		return -1;
	n.h = h;
	memcpy(n.key, key, m->key_len);
	n.value = value;
	place(m->slots, m->cap, &n);
	m->count++;
	return 0;
}

void hmap_prefetch(const struct hmap *m, const void *key)
{
	if (m->cap)
		__builtin_prefetch(&m->slots[hash_key(key, m->key_len) & (m->cap - 1)]);
}

int hmap_put_new(struct hmap *m, const void *key, void *value)
{
	uint64_t h = hash_key(key, m->key_len);
	if (find(m, key, h))
		return 1;
	return insert(m, key, h, value);
}

int hmap_put(struct hmap *m, const void *key, void *value)
{
	uint64_t h = hash_key(key, m->key_len);
	struct hmap_slot *s = find(m, key, h);
	if (s) {
		s->value = value;
		return 0;
	}
	return insert(m, key, h, value);
}

void *hmap_del(struct hmap *m, const void *key)
{
	struct hmap_slot *s = find(m, key, hash_key(key, m->key_len));
	if (!s)
		return NULL;
	void *v = s->value;
	size_t mask = m->cap - 1, i = (size_t)(s - m->slots), j = i;
	/* Shift back every following entry of the run that may move closer
	 * to its home slot, so that no probe sequence breaks. */
	for (;;) {
		j = (j + 1) & mask;
		if (m->slots[j].h == 0)
			break;
		size_t home = m->slots[j].h & mask;
		bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
		if (movable) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].h = 0;
	m->slots[i].value = NULL;
	m->count--;
	return v;
}

bool hmap_next(const struct hmap *m, size_t *it, const void **key, void **value)
{
	for (; *it < m->cap; (*it)++) {
		struct hmap_slot *s = &m->slots[*it];
		if (s->h) {
			*key = s->key;
			*value = s->value;
			(*it)++;
			return true;
		}
	}
	return false;
}
