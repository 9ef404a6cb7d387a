#include "p2p/addrman.h"

#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/envelope.h"
#include "util/file.h"
#include "util/hmap.h"

/* peers.dat: "CADR" | version u32 | key 32 | n_tried varint | n_new varint
 * | entries, tried first | SHA-256d of everything before. */
static const uint8_t file_magic[4] = { 'C', 'A', 'D', 'R' };
static const struct envelope_format file_format = {
	.magic = file_magic, .magic_len = sizeof(file_magic), .version = 1,
	.hash = hash_sha256d, .max_len = ADDRMAN_FILE_MAX, .header_first = false,
	.kind = "an address file", .too_short = "size out of range",
	.bad_sum = "bad checksum", .bad_version = "unknown version",
};

#define KEY_LEN 18          /* ip 16 | port big-endian */
#define RECENT_SECS 600     /* attempted this recently: much less likely */
#define FUTURE_SECS 600     /* a time further ahead than this is bogus */
#define OLD_TIME 100000000u /* before 1973: the sender does not know */
#define DAY 86400u

struct entry {
	struct addrman_info i;
	uint32_t bucket, slot; /* in its table */
	uint32_t pos;          /* in its table's vec */
};

/* A table is buckets × ADDRMAN_BUCKET_SIZE slots, plus every entry in a
 * dense vector so that a random pick is one draw. */
struct table {
	struct entry **slots;
	struct entry **vec;
	size_t n;
	size_t buckets;
};

struct addrman {
	uint8_t key[32];     /* keys the bucket hashes; kept in the file */
	uint8_t rng_key[32]; /* from the seed; never leaves memory */
	uint64_t rng_ctr;
	uint8_t rng_buf[32];
	unsigned rng_left;
	bool allow_local;
	struct hmap index; /* KEY_LEN key -> struct entry * */
	struct table t_new, t_tried;
};

/* ---- randomness and hashing ---- */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* SHA-256 in counter mode under the secret rng_key: fast enough for a few
 * thousand draws a second and unpredictable to peers without the seed. */
static uint64_t rand_u64(struct addrman *am)
{
	if (am->rng_left < 8) {
		uint8_t in[40];
		memcpy(in, am->rng_key, 32);
		for (int i = 0; i < 8; i++)
			in[32 + i] = (uint8_t)(am->rng_ctr >> (8 * i));
		am->rng_ctr++;
		hash_sha256(am->rng_buf, in, sizeof(in));
		am->rng_left = 32;
	}
	am->rng_left -= 8;
	return le64(am->rng_buf + am->rng_left);
}

static size_t rand_below(struct addrman *am, size_t n)
{
	return (size_t)(rand_u64(am) % n);
}

/* Uniform in [0, 1). */
static double rand_unit(struct addrman *am)
{
	return (double)(rand_u64(am) >> 11) * (1.0 / 9007199254740992.0);
}

/* The first 8 bytes of SHA-256(key | tag | a | b): where an attacker,
 * not knowing key, cannot aim an address. */
static uint64_t keyed_hash(const struct addrman *am, uint8_t tag, const uint8_t *a, size_t alen,
			   const uint8_t *b, size_t blen)
{
	uint8_t in[32 + 1 + 2 * KEY_LEN];
	memcpy(in, am->key, 32);
	in[32] = tag;
	memcpy(in + 33, a, alen);
	if (blen)
		memcpy(in + 33 + alen, b, blen);
	uint8_t h[HASH_LEN];
	hash_sha256(h, in, 33 + alen + blen);
	return le64(h);
}

static void addr_key(uint8_t key[KEY_LEN], const struct net_addr *a)
{
	memcpy(key, a->ip, 16);
	key[16] = (uint8_t)(a->port >> 8);
	key[17] = (uint8_t)a->port;
}

/* The network an address belongs to, as Bitcoin Core groups them: /16 for
 * IPv4, /32 for IPv6; every loopback address is one group and every other
 * unroutable address another. A manager that allows local addresses (the
 * regtest policy) groups every IPv4 address, loopback and private ones
 * included, by its /24 instead, so that nodes simulated on 127.0.0.0/8
 * form many groups and the limits per group still bite. Returns the
 * group's length. */
static size_t group_of(const struct addrman *am, uint8_t g[ADDRMAN_GROUP_MAX], const uint8_t ip[16])
{
	struct net_addr a = { .port = 1 };
	memcpy(a.ip, ip, 16);
	if (am->allow_local && net_addr_is_ipv4(&a)) {
		g[0] = 24;
		memcpy(g + 1, ip + 12, 3);
		return 4;
	}
	if (net_addr_is_loopback(&a)) {
		g[0] = 0;
		return 1;
	}
	if (!net_addr_is_routable(&a)) {
		g[0] = 1;
		return 1;
	}
	if (net_addr_is_ipv4(&a)) {
		g[0] = 4;
		memcpy(g + 1, ip + 12, 2);
		return 3;
	}
	g[0] = 6;
	memcpy(g + 1, ip, 4);
	return 5;
}

size_t addrman_group(const struct addrman *am, uint8_t g[ADDRMAN_GROUP_MAX], const struct net_addr *a)
{
	memset(g, 0, ADDRMAN_GROUP_MAX);
	return group_of(am, g, a->ip);
}

bool addrman_same_group(const struct addrman *am, const struct net_addr *a, const struct net_addr *b)
{
	uint8_t ga[ADDRMAN_GROUP_MAX], gb[ADDRMAN_GROUP_MAX];
	size_t na = addrman_group(am, ga, a), nb = addrman_group(am, gb, b);
	return na == nb && memcmp(ga, gb, na) == 0;
}

static void u64_le(uint8_t out[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

/* The source group picks one of its ADDRMAN_NEW_BUCKETS_PER_SOURCE buckets
 * by the address group, so one source spreads its addresses over few
 * buckets and cannot reach the rest of the table. */
static uint32_t new_bucket(const struct addrman *am, const uint8_t ip[16], const uint8_t src[16])
{
	uint8_t g[ADDRMAN_GROUP_MAX], sg[ADDRMAN_GROUP_MAX], n8[8];
	size_t glen = group_of(am, g, ip), sglen = group_of(am, sg, src);
	uint64_t h1 = keyed_hash(am, 'n', g, glen, sg, sglen) % ADDRMAN_NEW_BUCKETS_PER_SOURCE;
	u64_le(n8, h1);
	return (uint32_t)(keyed_hash(am, 'N', sg, sglen, n8, 8) % ADDRMAN_NEW_BUCKETS);
}

static uint32_t tried_bucket(const struct addrman *am, const struct net_addr *a)
{
	uint8_t key[KEY_LEN], g[ADDRMAN_GROUP_MAX], n8[8];
	addr_key(key, a);
	size_t glen = group_of(am, g, a->ip);
	uint64_t h1 = keyed_hash(am, 't', key, KEY_LEN, NULL, 0) % ADDRMAN_TRIED_BUCKETS_PER_GROUP;
	u64_le(n8, h1);
	return (uint32_t)(keyed_hash(am, 'T', g, glen, n8, 8) % ADDRMAN_TRIED_BUCKETS);
}

/* ---- policy ---- */

static bool admitted(const struct addrman *am, const struct net_addr *a)
{
	if (a->port == 0)
		return false;
	if (net_addr_is_routable(a))
		return true;
	return am->allow_local && (net_addr_is_loopback(a) || net_addr_is_private(a));
}

static uint64_t since(uint64_t now, uint64_t then)
{
	return now >= then ? now - then : 0;
}

/* Not worth keeping (Bitcoin Core's IsTerrible). */
static bool terrible(const struct addrman_info *i, uint64_t now)
{
	if (i->last_try && i->last_try <= now && now - i->last_try < ADDRMAN_RETRY_SECS)
		return false; /* just tried: give it its chance */
	if (i->addr.time > now + FUTURE_SECS)
		return true;
	if (i->addr.time == 0 || since(now, i->addr.time) > ADDRMAN_HORIZON_SECS)
		return true;
	if (i->last_success == 0 && i->attempts >= 3)
		return true;
	return since(now, i->last_success) > 7 * DAY && i->attempts >= 10;
}

/* How long after an attempt the entry may be picked again. */
static uint64_t backoff(uint32_t attempts)
{
	uint64_t wait = ADDRMAN_RETRY_SECS;
	for (uint32_t k = 1; k < attempts && wait < ADDRMAN_BACKOFF_MAX_SECS; k++)
		wait *= 2;
	return wait < ADDRMAN_BACKOFF_MAX_SECS ? wait : ADDRMAN_BACKOFF_MAX_SECS;
}

static bool eligible(const struct addrman_info *i, uint64_t now)
{
	if (i->last_try == 0 || i->last_try > now)
		return true; /* never tried, or the clock went back */
	return now - i->last_try >= backoff(i->attempts);
}

/* Relative odds of picking the entry (Bitcoin Core's GetChance). */
static double chance(const struct addrman_info *i, uint64_t now)
{
	double c = 1.0;
	if (i->last_try && since(now, i->last_try) < RECENT_SECS)
		c *= 0.01;
	for (uint32_t k = 0; k < i->attempts && k < 8; k++)
		c *= 0.66;
	return c;
}

/* True when x should give way to y: terrible first, then the one unseen
 * longest, then the one failed most. */
static bool worse(const struct addrman_info *x, const struct addrman_info *y, uint64_t now)
{
	bool tx = terrible(x, now), ty = terrible(y, now);
	if (tx != ty)
		return tx;
	if (x->addr.time != y->addr.time)
		return x->addr.time < y->addr.time;
	return x->attempts > y->attempts;
}

/* ---- tables ---- */

static int table_init(struct table *t, size_t buckets)
{
	t->buckets = buckets;
	t->n = 0;
	t->slots = calloc(buckets * ADDRMAN_BUCKET_SIZE, sizeof(*t->slots));
	t->vec = calloc(buckets * ADDRMAN_BUCKET_SIZE, sizeof(*t->vec));
	return t->slots && t->vec ? 0 : -1;
}

static struct entry **slot_at(struct table *t, uint32_t bucket, uint32_t slot)
{
	return &t->slots[(size_t)bucket * ADDRMAN_BUCKET_SIZE + slot];
}

static void table_put(struct table *t, struct entry *e, uint32_t bucket, uint32_t slot)
{
	*slot_at(t, bucket, slot) = e;
	e->bucket = bucket;
	e->slot = slot;
	e->pos = (uint32_t)t->n;
	t->vec[t->n++] = e;
}

static void table_take(struct table *t, struct entry *e)
{
	*slot_at(t, e->bucket, e->slot) = NULL;
	struct entry *last = t->vec[--t->n];
	t->vec[e->pos] = last;
	last->pos = e->pos;
}

static struct table *table_of(struct addrman *am, const struct entry *e)
{
	return e->i.tried ? &am->t_tried : &am->t_new;
}

static struct entry *find(const struct addrman *am, const struct net_addr *a)
{
	uint8_t key[KEY_LEN];
	addr_key(key, a);
	return hmap_get(&am->index, key);
}

static void forget(struct addrman *am, struct entry *e)
{
	uint8_t key[KEY_LEN];
	table_take(table_of(am, e), e);
	addr_key(key, &e->i.addr);
	hmap_del(&am->index, key);
	free(e);
}

/* A free slot of the bucket, or ADDRMAN_BUCKET_SIZE when it is full. */
static uint32_t free_slot(struct table *t, uint32_t bucket)
{
	uint32_t s = 0;
	while (s < ADDRMAN_BUCKET_SIZE && *slot_at(t, bucket, s))
		s++;
	return s;
}

static struct entry *worst_in(struct table *t, uint32_t bucket, uint64_t now)
{
	struct entry *w = *slot_at(t, bucket, 0);
	for (uint32_t s = 1; s < ADDRMAN_BUCKET_SIZE; s++) {
		struct entry *e = *slot_at(t, bucket, s);
		if (worse(&e->i, &w->i, now))
			w = e;
	}
	return w;
}

/* Puts e (indexed, in no table) into its new bucket, evicting the bucket's
 * worst entry when e is better; otherwise forgets e. Returns true when e
 * stays. */
static bool place_new(struct addrman *am, struct entry *e, uint64_t now)
{
	struct table *t = &am->t_new;
	uint32_t b = new_bucket(am, e->i.addr.ip, e->i.source);
	uint32_t s = free_slot(t, b);
	if (s == ADDRMAN_BUCKET_SIZE) {
		struct entry *w = worst_in(t, b, now);
		if (!worse(&w->i, &e->i, now)) {
			uint8_t key[KEY_LEN];
			addr_key(key, &e->i.addr);
			hmap_del(&am->index, key);
			free(e);
			return false;
		}
		s = w->slot;
		forget(am, w);
	}
	e->i.tried = false;
	table_put(t, e, b, s);
	return true;
}

/* Puts e (indexed, in no table) into its tried bucket; a full bucket sends
 * the entry that succeeded longest ago back to the new table. */
static void place_tried(struct addrman *am, struct entry *e, uint64_t now)
{
	struct table *t = &am->t_tried;
	uint32_t b = tried_bucket(am, &e->i.addr);
	uint32_t s = free_slot(t, b);
	if (s == ADDRMAN_BUCKET_SIZE) {
		struct entry *w = *slot_at(t, b, 0);
		for (uint32_t k = 1; k < ADDRMAN_BUCKET_SIZE; k++) {
			struct entry *x = *slot_at(t, b, k);
			if (x->i.last_success < w->i.last_success)
				w = x;
		}
		s = w->slot;
		table_take(t, w);
		place_new(am, w, now);
	}
	e->i.tried = true;
	table_put(t, e, b, s);
}

/* An entry for a heard from src, indexed but in no table; NULL when out of
 * memory. */
static struct entry *index_new(struct addrman *am, const struct net_addr *a, const uint8_t src[16])
{
	struct entry *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->i.addr = *a;
	memcpy(e->i.source, src, 16);
	uint8_t key[KEY_LEN];
	addr_key(key, a);
	if (hmap_put(&am->index, key, e) != 0) {
		free(e);
		return NULL;
	}
	return e;
}

/* ---- lifecycle ---- */

/* out = SHA-256(tag | seed): the bucket key and the random stream come
 * from one seed but cannot be told from each other. */
static void derive(uint8_t out[32], const char *tag, uint64_t seed)
{
	uint8_t in[64];
	size_t n = strlen(tag);
	memcpy(in, tag, n);
	u64_le(in + n, seed);
	hash_sha256(out, in, n + 8);
}

struct addrman *addrman_new(uint64_t seed, bool allow_local)
{
	struct addrman *am = calloc(1, sizeof(*am));
	if (!am)
		return NULL;
	derive(am->key, "cairn addrman bucket key", seed);
	derive(am->rng_key, "cairn addrman random", seed);
	am->allow_local = allow_local;
	hmap_init(&am->index, KEY_LEN);
	if (table_init(&am->t_new, ADDRMAN_NEW_BUCKETS) != 0 ||
	    table_init(&am->t_tried, ADDRMAN_TRIED_BUCKETS) != 0) {
		addrman_free(am);
		return NULL;
	}
	return am;
}

void addrman_clear(struct addrman *am)
{
	struct table *ts[2] = { &am->t_new, &am->t_tried };
	for (int k = 0; k < 2; k++) {
		struct table *t = ts[k];
		for (size_t i = 0; i < t->n; i++)
			free(t->vec[i]);
		t->n = 0;
		if (t->slots)
			memset(t->slots, 0, t->buckets * ADDRMAN_BUCKET_SIZE * sizeof(*t->slots));
	}
	hmap_release(&am->index);
	hmap_init(&am->index, KEY_LEN);
}

void addrman_free(struct addrman *am)
{
	if (!am)
		return;
	addrman_clear(am);
	hmap_release(&am->index);
	free(am->t_new.slots);
	free(am->t_new.vec);
	free(am->t_tried.slots);
	free(am->t_tried.vec);
	free(am);
}

size_t addrman_size(const struct addrman *am)
{
	return am->t_new.n + am->t_tried.n;
}

size_t addrman_size_new(const struct addrman *am)
{
	return am->t_new.n;
}

size_t addrman_size_tried(const struct addrman *am)
{
	return am->t_tried.n;
}

bool addrman_lookup(const struct addrman *am, struct addrman_info *out, const struct net_addr *a)
{
	memset(out, 0, sizeof(*out));
	const struct entry *e = find(am, a);
	if (!e)
		return false;
	*out = e->i;
	return true;
}

/* ---- learning ---- */

/* The time an address was last heard of, as the sender claims it, made
 * sane: nothing from the future, nothing from before the sender knew. */
static uint32_t sane_time(uint32_t t, uint64_t now)
{
	if (t > now + FUTURE_SECS)
		return (uint32_t)now;
	if (t < OLD_TIME)
		return (uint32_t)(now > 5 * DAY ? now - 5 * DAY : 0);
	return t;
}

static bool add_one(struct addrman *am, const struct net_addr *in, const uint8_t src[16], uint64_t now)
{
	if (!admitted(am, in))
		return false;
	struct net_addr a = *in;
	a.time = sane_time(a.time, now);
	if (since(now, a.time) > ADDRMAN_HORIZON_SECS)
		return false;
	struct entry *e = find(am, &a);
	if (e) {
		e->i.addr.services |= a.services;
		if (a.time > e->i.addr.time)
			e->i.addr.time = a.time;
		return false;
	}
	e = index_new(am, &a, src);
	return e && place_new(am, e, now);
}

size_t addrman_add(struct addrman *am, const struct net_addr *addrs, size_t n,
		   const struct net_addr *source, uint64_t now)
{
	size_t added = 0;
	for (size_t i = 0; i < n; i++)
		if (add_one(am, &addrs[i], source ? source->ip : addrs[i].ip, now))
			added++;
	return added;
}

bool addrman_good(struct addrman *am, const struct net_addr *a, uint64_t now)
{
	struct entry *e = find(am, a);
	if (!e) {
		struct net_addr fresh = *a;
		fresh.time = (uint32_t)now;
		if (!add_one(am, &fresh, a->ip, now))
			return false;
		e = find(am, a);
	}
	e->i.last_success = now;
	e->i.last_try = now;
	e->i.attempts = 0;
	e->i.addr.time = (uint32_t)now;
	if (!e->i.tried) {
		table_take(&am->t_new, e);
		place_tried(am, e, now);
	}
	return true;
}

bool addrman_attempt(struct addrman *am, const struct net_addr *a, uint64_t now)
{
	struct entry *e = find(am, a);
	if (!e)
		return false;
	e->i.last_try = now;
	if (e->i.attempts < UINT32_MAX)
		e->i.attempts++;
	return true;
}

bool addrman_connected(struct addrman *am, const struct net_addr *a, uint64_t now)
{
	struct entry *e = find(am, a);
	if (!e)
		return false;
	e->i.addr.time = (uint32_t)now;
	return true;
}

bool addrman_remove(struct addrman *am, const struct net_addr *a)
{
	struct entry *e = find(am, a);
	if (!e)
		return false;
	forget(am, e);
	return true;
}

size_t addrman_sweep(struct addrman *am, uint64_t now)
{
	size_t gone = 0;
	struct table *ts[2] = { &am->t_new, &am->t_tried };
	for (int k = 0; k < 2; k++) {
		for (size_t i = ts[k]->n; i-- > 0;) {
			struct entry *e = ts[k]->vec[i];
			if (terrible(&e->i, now)) {
				forget(am, e);
				gone++;
			}
		}
	}
	return gone;
}

/* ---- choosing ---- */

static bool any_eligible(const struct table *t, uint64_t now)
{
	for (size_t i = 0; i < t->n; i++)
		if (eligible(&t->vec[i]->i, now))
			return true;
	return false;
}

/* Draws until an eligible entry passes its chance; each refusal raises the
 * odds by a fifth, so a table of unlikely entries still ends quickly. The
 * caller made sure one eligible entry exists; the scan at the end only
 * runs when the draws were unlucky. */
static struct entry *pick(struct addrman *am, struct table *t, uint64_t now)
{
	double factor = 1.0;
	for (int round = 0; round < 10000; round++) {
		struct entry *e = t->vec[rand_below(am, t->n)];
		if (!eligible(&e->i, now))
			continue;
		if (rand_unit(am) < factor * chance(&e->i, now))
			return e;
		factor *= 1.2;
	}
	size_t start = rand_below(am, t->n);
	for (size_t k = 0; k < t->n; k++) {
		struct entry *e = t->vec[(start + k) % t->n];
		if (eligible(&e->i, now))
			return e;
	}
	return NULL;
}

bool addrman_select(struct addrman *am, struct net_addr *out, bool new_only, uint64_t now)
{
	memset(out, 0, sizeof(*out));
	bool tried_ok = !new_only && any_eligible(&am->t_tried, now);
	bool new_ok = any_eligible(&am->t_new, now);
	struct table *t;
	if (tried_ok && new_ok)
		t = rand_u64(am) & 1 ? &am->t_tried : &am->t_new;
	else if (tried_ok)
		t = &am->t_tried;
	else if (new_ok)
		t = &am->t_new;
	else
		return false;
	struct entry *e = pick(am, t, now);
	if (!e)
		return false;
	*out = e->i.addr;
	return true;
}

size_t addrman_get_addr(struct addrman *am, struct net_addr *out, size_t max, uint64_t now)
{
	size_t total = addrman_size(am);
	size_t want = total * ADDRMAN_GETADDR_PCT / 100;
	if (want < ADDRMAN_GETADDR_FLOOR)
		want = total < ADDRMAN_GETADDR_FLOOR ? total : ADDRMAN_GETADDR_FLOOR;
	if (want > ADDRMAN_GETADDR_MAX)
		want = ADDRMAN_GETADDR_MAX;
	if (want > max)
		want = max;
	if (want == 0)
		return 0;
	struct entry **all = malloc(total * sizeof(*all));
	if (!all)
		return 0;
	memcpy(all, am->t_new.vec, am->t_new.n * sizeof(*all));
	memcpy(all + am->t_new.n, am->t_tried.vec, am->t_tried.n * sizeof(*all));
	size_t k = 0;
	/* A partial Fisher-Yates shuffle: each step draws from the rest. */
	for (size_t i = 0; i < total && k < want; i++) {
		size_t j = i + rand_below(am, total - i);
		struct entry *e = all[j];
		all[j] = all[i];
		all[i] = e;
		if (!terrible(&e->i, now))
			out[k++] = e->i.addr;
	}
	free(all);
	return k;
}

/* ---- the file ---- */

static void write_entry(struct buf *b, const struct addrman_info *i)
{
	buf_put(b, i->addr.ip, 16);
	buf_u16(b, i->addr.port);
	buf_u64(b, i->addr.services);
	buf_u32(b, i->addr.time);
	buf_put(b, i->source, 16);
	buf_u64(b, i->last_try);
	buf_u64(b, i->last_success);
	buf_u32(b, i->attempts);
}

static bool read_entry(struct cursor *c, struct addrman_info *i)
{
	memset(i, 0, sizeof(*i));
	return cursor_bytes(c, i->addr.ip, 16) && cursor_u16(c, &i->addr.port) &&
	       cursor_u64(c, &i->addr.services) && cursor_u32(c, &i->addr.time) &&
	       cursor_bytes(c, i->source, 16) && cursor_u64(c, &i->last_try) &&
	       cursor_u64(c, &i->last_success) && cursor_u32(c, &i->attempts);
}

int addrman_save(const struct addrman *am, const char *path, char *err)
{
	struct buf b = BUF_INIT;
	envelope_begin(&b, &file_format);
	buf_put(&b, am->key, sizeof(am->key));
	buf_varint(&b, am->t_tried.n);
	buf_varint(&b, am->t_new.n);
	for (size_t i = 0; i < am->t_tried.n; i++)
		write_entry(&b, &am->t_tried.vec[i]->i);
	for (size_t i = 0; i < am->t_new.n; i++)
		write_entry(&b, &am->t_new.vec[i]->i);
	int r = envelope_save(&file_format, &b, path, err);
	buf_release(&b);
	return r;
}

/* Reads n entries into the (empty) tables; tried ones go straight to the
 * tried table. Entries the policy does not admit are skipped. Placement
 * uses the time of the newest entry seen, so no clock is needed. */
static int read_entries(struct addrman *am, struct cursor *c, uint64_t n, bool tried, char *why)
{
	for (uint64_t k = 0; k < n; k++) {
		struct addrman_info i;
		if (!read_entry(c, &i))
			return err_set(why, "entry %llu cut short", (unsigned long long)k);
		if (!admitted(am, &i.addr))
			continue;
		if (find(am, &i.addr))
			return err_set(why, "entry %llu repeated", (unsigned long long)k);
		struct entry *e = index_new(am, &i.addr, i.source);
		if (!e)
			return err_set(why, "out of memory");
		e->i = i;
		uint64_t now = i.last_try > i.addr.time ? i.last_try : i.addr.time;
		if (tried)
			place_tried(am, e, now);
		else
			place_new(am, e, now);
	}
	return 0;
}

static int parse_body(struct addrman *am, struct cursor *c, char *why)
{
	uint64_t n_tried, n_new;
	if (!cursor_bytes(c, am->key, sizeof(am->key)))
		return err_set(why, "no hash key");
	if (!cursor_varint(c, &n_tried, ADDRMAN_TRIED_MAX) || !cursor_varint(c, &n_new, ADDRMAN_NEW_MAX))
		return err_set(why, "bad table sizes");
	if (read_entries(am, c, n_tried, true, why) != 0 || read_entries(am, c, n_new, false, why) != 0)
		return -1;
	if (!cursor_done(c))
		return err_set(why, "trailing bytes");
	return 0;
}

/* Fills am (cleared) from the bytes, or gives -1 with the bare reason in
 * why and am cleared under its old key. */
static int load_bytes(struct addrman *am, const uint8_t *p, size_t len, char *why)
{
	uint8_t old_key[32];
	memcpy(old_key, am->key, sizeof(old_key));
	addrman_clear(am);
	struct cursor c;
	if (envelope_open(&file_format, &c, p, len, why) != 0)
		return -1;
	if (parse_body(am, &c, why) != 0) {
		addrman_clear(am);
		memcpy(am->key, old_key, sizeof(old_key));
		return -1;
	}
	return 0;
}

int addrman_load_mem(struct addrman *am, const uint8_t *p, size_t len, char *err)
{
	char why[ERR_LEN];
	if (load_bytes(am, p, len, why) != 0)
		return err_set(err, "cannot load the address table: %s", why);
	return 0;
}

static int load_file_bytes(void *am, const uint8_t *p, size_t len, char *err)
{
	return addrman_load_mem(am, p, len, err);
}

int addrman_load(struct addrman *am, const char *path, char *err)
{
	addrman_clear(am);
	return file_load(path, ADDRMAN_FILE_MAX, load_file_bytes, am, err);
}
