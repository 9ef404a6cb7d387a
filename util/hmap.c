#include "util/hmap.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { EMPTY, FULL, TOMB };

struct hmap_slot {
	uint8_t state;
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

static uint64_t hash_key(const uint8_t *k, size_t len)
{
	uint64_t h = seed ^ (len * 0xff51afd7ed558ccdULL);
	for (size_t i = 0; i < len; i++) {
		h ^= k[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
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
	m->cap = m->count = m->tombs = 0;
}

static struct hmap_slot *find(const struct hmap *m, const void *key)
{
	if (!m->cap)
		return NULL;
	size_t mask = m->cap - 1;
	for (size_t i = hash_key(key, m->key_len) & mask;; i = (i + 1) & mask) {
		struct hmap_slot *s = &m->slots[i];
		if (s->state == EMPTY)
			return NULL;
		if (s->state == FULL && memcmp(s->key, key, m->key_len) == 0)
			return s;
	}
}

void *hmap_get(const struct hmap *m, const void *key)
{
	struct hmap_slot *s = find(m, key);
	return s ? s->value : NULL;
}

static void place(struct hmap_slot *slots, size_t cap, size_t key_len, const void *key, void *value)
{
	size_t mask = cap - 1;
	size_t i = hash_key(key, key_len) & mask;
	while (slots[i].state == FULL)
		i = (i + 1) & mask;
	slots[i].state = FULL;
	memcpy(slots[i].key, key, key_len);
	slots[i].value = value;
}

static int grow(struct hmap *m)
{
	size_t cap = m->cap ? m->cap : 16;
	while ((m->count + 1) * 4 > cap * 3)
		cap *= 2;
	struct hmap_slot *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].state == FULL)
			place(slots, cap, m->key_len, m->slots[i].key, m->slots[i].value);
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	m->tombs = 0;
	return 0;
}

int hmap_put(struct hmap *m, const void *key, void *value)
{
	struct hmap_slot *s = find(m, key);
	if (s) {
		s->value = value;
		return 0;
	}
	if ((m->count + m->tombs + 1) * 4 > m->cap * 3 && grow(m) != 0)
		return -1;
	size_t mask = m->cap - 1;
	size_t i = hash_key(key, m->key_len) & mask;
	while (m->slots[i].state == FULL)
		i = (i + 1) & mask;
	if (m->slots[i].state == TOMB)
		m->tombs--;
	m->slots[i].state = FULL;
	memcpy(m->slots[i].key, key, m->key_len);
	m->slots[i].value = value;
	m->count++;
	return 0;
}

void *hmap_del(struct hmap *m, const void *key)
{
	struct hmap_slot *s = find(m, key);
	if (!s)
		return NULL;
	void *v = s->value;
	s->state = TOMB;
	s->value = NULL;
	m->count--;
	m->tombs++;
	return v;
}

bool hmap_next(const struct hmap *m, size_t *it, const void **key, void **value)
{
	for (; *it < m->cap; (*it)++) {
		struct hmap_slot *s = &m->slots[*it];
		if (s->state == FULL) {
			*key = s->key;
			*value = s->value;
			(*it)++;
			return true;
		}
	}
	return false;
}
