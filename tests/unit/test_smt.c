/* smt: the compact sparse Merkle tree against a slow reference written
 * straight from the definition in chain/smt.h (recursive over a sorted array
 * of keys), after every operation of random insert / update / delete
 * sequences over random keys and keys crafted to share long prefixes; then
 * proofs of present and absent keys, every single-bit tampering of them, and
 * their byte format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/hash.h"
#include "chain/smt.h"

/* ---- deterministic randomness -------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void rand_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rng() >> 24);
}

static void flip(uint8_t *p, unsigned bit)
{
	p[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
}

/* ---- the reference ------------------------------------------------------- */

#define MAXKEYS 1024

struct entry {
	uint8_t key[32], value[32];
};

struct ref {
	struct entry e[MAXKEYS];
	size_t n;
};

static unsigned bit_of(const uint8_t key[32], unsigned i)
{
	return (key[i / 8] >> (7 - i % 8)) & 1;
}

static void ref_leaf(uint8_t out[32], const uint8_t key[32], const uint8_t value[32])
{
	uint8_t b[65];
	b[0] = 0x02;
	memcpy(b + 1, key, 32);
	memcpy(b + 33, value, 32);
	hash_sha256(out, b, sizeof(b));
}

static void ref_node(uint8_t out[32], const uint8_t l[32], const uint8_t r[32])
{
	uint8_t b[65];
	b[0] = 0x03;
	memcpy(b + 1, l, 32);
	memcpy(b + 33, r, 32);
	hash_sha256(out, b, sizeof(b));
}

/* The hash of the subtree at depth holding e[0..n), sorted by key: empty,
 * a lifted leaf, or the node of its two halves split on bit depth. */
static void ref_hash(uint8_t out[32], const struct entry *e, size_t n, unsigned depth)
{
	uint8_t l[32], r[32];
	size_t mid = 0;

	if (n == 0) {
		memset(out, 0, 32);
		return;
	}
	if (n == 1) {
		ref_leaf(out, e[0].key, e[0].value);
		return;
	}
	assert_true(depth < 256);
	while (mid < n && !bit_of(e[mid].key, depth))
		mid++;
	ref_hash(l, e, mid, depth + 1);
	ref_hash(r, e + mid, n - mid, depth + 1);
	ref_node(out, l, r);
}

static void ref_root(const struct ref *r, uint8_t out[32])
{
	ref_hash(out, r->e, r->n, 0);
}

/* The index of key, or of where it would go, in the sorted array. */
static size_t ref_find(const struct ref *r, const uint8_t key[32], bool *found)
{
	size_t i = 0;
	while (i < r->n && memcmp(r->e[i].key, key, 32) < 0)
		i++;
	*found = i < r->n && memcmp(r->e[i].key, key, 32) == 0;
	return i;
}

/* Mirrors smt_set: 1 when present before, 0 when not. */
static int ref_set(struct ref *r, const uint8_t key[32], const uint8_t *value, uint8_t old[32])
{
	bool found;
	size_t i = ref_find(r, key, &found);
	memset(old, 0, 32);
	if (found)
		memcpy(old, r->e[i].value, 32);
	if (!value) {
		if (found) {
			memmove(&r->e[i], &r->e[i + 1], (r->n - i - 1) * sizeof(r->e[0]));
			r->n--;
		}
	} else if (found) {
		memcpy(r->e[i].value, value, 32);
	} else {
		assert_true(r->n < MAXKEYS);
		memmove(&r->e[i + 1], &r->e[i], (r->n - i) * sizeof(r->e[0]));
		memcpy(r->e[i].key, key, 32);
		memcpy(r->e[i].value, value, 32);
		r->n++;
	}
	return found ? 1 : 0;
}

/* ---- key pools ----------------------------------------------------------- */

#define POOL 400

/* Random keys, and families around a few bases: the base with one bit
 * flipped (bit 0, the last bit, and bits between), with the last byte
 * varied, and the all-zero and all-one keys, so that compressed edges of
 * every length, up to 255 levels, occur. */
static size_t make_pool(uint8_t pool[][32])
{
	static const unsigned flips[] = { 0, 1, 7, 8, 100, 200, 254, 255 };
	size_t n = 0;

	memset(pool[n++], 0x00, 32);
	memset(pool[n++], 0xff, 32);
	for (int b = 0; b < 4; b++) {
		uint8_t base[32];
		rand_bytes(base, 32);
		memcpy(pool[n++], base, 32);
		for (size_t f = 0; f < sizeof(flips) / sizeof(flips[0]); f++) {
			memcpy(pool[n], base, 32);
			flip(pool[n++], flips[f]);
		}
		for (int v = 0; v < 8; v++) {
			memcpy(pool[n], base, 32);
			pool[n++][31] ^= (uint8_t)(v * 37 + 3); /* never a single bit */
		}
	}
	for (uint8_t z = 1; z < 4; z++) { /* near the all-zero key */
		memset(pool[n], 0, 32);
		pool[n++][31] = z;
	}
	while (n < POOL)
		rand_bytes(pool[n++], 32);
	return n;
}

static void assert_roots_equal(struct smt *t, const struct ref *r)
{
	uint8_t a[32], b[32];
	smt_root(t, a);
	ref_root(r, b);
	assert_memory_equal(a, b, 32);
	assert_int_equal(smt_count(t), r->n);
}

/* ---- roots --------------------------------------------------------------- */

static void test_empty_and_single(void **state)
{
	(void)state;
	struct smt *t = smt_new();
	uint8_t root[32], zero[32] = { 0 }, key[32], value[32], leaf[32], got[32];

	assert_non_null(t);
	smt_root(t, root);
	assert_memory_equal(root, zero, 32);
	assert_int_equal(smt_count(t), 0);

	memset(key, 0xab, 32);
	memset(value, 0x11, 32);
	assert_int_equal(smt_set(t, key, value, NULL), 0);
	smt_root(t, root);
	ref_leaf(leaf, key, value);
	assert_memory_equal(root, leaf, 32);
	assert_int_equal(smt_get(t, key, got), 1);
	assert_memory_equal(got, value, 32);

	assert_int_equal(smt_set(t, key, NULL, got), 1);
	assert_memory_equal(got, value, 32);
	assert_int_equal(smt_set(t, key, NULL, got), 0);
	assert_memory_equal(got, zero, 32);
	smt_root(t, root);
	assert_memory_equal(root, zero, 32);
	assert_int_equal(smt_get(t, key, got), 0);

	/* old may alias value: a swap */
	uint8_t swap[32];
	memset(swap, 0x22, 32);
	assert_int_equal(smt_set(t, key, value, NULL), 0);
	assert_int_equal(smt_set(t, key, swap, swap), 1);
	assert_memory_equal(swap, value, 32);
	assert_int_equal(smt_get(t, key, got), 1);
	memset(swap, 0x22, 32);
	assert_memory_equal(got, swap, 32);
	assert_int_equal(smt_set(t, key, NULL, NULL), 1);

	assert_int_equal(smt_set(NULL, key, value, NULL), -1);
	assert_int_equal(smt_set(t, NULL, value, NULL), -1);
	assert_int_equal(smt_count(NULL), 0);
	smt_free(t);
	smt_free(NULL);
}

/* Two keys differing only in the last bit hang 255 levels down: the root
 * is that node lifted through 255 one-sided levels. */
static void test_deep_pair(void **state)
{
	(void)state;
	struct smt *t = smt_new();
	struct ref r = { .n = 0 };
	uint8_t k0[32] = { 0 }, k1[32] = { 0 }, v[32], old[32];

	memset(v, 0x5a, 32);
	k1[31] = 1;
	assert_int_equal(smt_set(t, k1, v, NULL), 0);
	assert_int_equal(ref_set(&r, k1, v, old), 0);
	assert_roots_equal(t, &r);
	assert_int_equal(smt_set(t, k0, v, NULL), 0);
	assert_int_equal(ref_set(&r, k0, v, old), 0);
	assert_roots_equal(t, &r);
	assert_int_equal(smt_set(t, k1, NULL, NULL), 1);
	assert_int_equal(ref_set(&r, k1, NULL, old), 1);
	assert_roots_equal(t, &r);
	smt_free(t);
}

/* Random sets, updates and deletes over the pool, with the root, the count,
 * every return value and lookups checked against the reference each time. */
static void test_random_ops(void **state)
{
	(void)state;
	static uint8_t pool[POOL][32];
	static struct ref r;
	struct smt *t = smt_new();
	size_t np;

	rng_state = 0x9e3779b97f4a7c15ULL;
	np = make_pool(pool);
	r.n = 0;
	for (int op = 0; op < 4000; op++) {
		const uint8_t *key = pool[rng() % np];
		uint8_t value[32], old_t[32], old_r[32], got[32];
		bool del = rng() % 3 == 0;
		rand_bytes(value, 32);
		int a = smt_set(t, key, del ? NULL : value, old_t);
		int b = ref_set(&r, key, del ? NULL : value, old_r);
		assert_int_equal(a, b);
		assert_memory_equal(old_t, old_r, 32);
		/* roots are asked for after most operations, not all, so that
		 * several changes accumulate between recomputations too */
		if (rng() % 4)
			assert_roots_equal(t, &r);
		key = pool[rng() % np];
		bool found;
		size_t i = ref_find(&r, key, &found);
		assert_int_equal(smt_get(t, key, got), found ? 1 : 0);
		if (found)
			assert_memory_equal(got, r.e[i].value, 32);
	}
	assert_roots_equal(t, &r);
	/* and down to empty again */
	while (r.n) {
		uint8_t k[32], old[32];
		memcpy(k, r.e[rng() % r.n].key, 32);
		assert_int_equal(smt_set(t, k, NULL, NULL), 1);
		assert_int_equal(ref_set(&r, k, NULL, old), 1);
		assert_roots_equal(t, &r);
	}
	smt_free(t);
}

/* A thousand random keys, bulk-loaded then thinned, with roots compared at
 * checkpoints only: many changes between recomputations. */
static void test_bulk(void **state)
{
	(void)state;
	static struct ref r;
	struct smt *t = smt_new();
	uint8_t k[32], v[32], old[32];

	rng_state = 4242;
	r.n = 0;
	for (int i = 0; i < 1000; i++) {
		rand_bytes(k, 32);
		rand_bytes(v, 32);
		assert_int_equal(smt_set(t, k, v, NULL), 0);
		ref_set(&r, k, v, old);
		if (i % 250 == 249)
			assert_roots_equal(t, &r);
	}
	for (int i = 0; i < 500; i++) {
		memcpy(k, r.e[rng() % r.n].key, 32);
		assert_int_equal(smt_set(t, k, NULL, NULL), 1);
		ref_set(&r, k, NULL, old);
	}
	assert_roots_equal(t, &r);
	smt_free(t);
}

static void test_order_independence(void **state)
{
	(void)state;
	static uint8_t pool[POOL][32];
	uint8_t vals[POOL][32], a[32], b[32];
	size_t np, perm[POOL];
	struct smt *t1 = smt_new(), *t2 = smt_new();

	rng_state = 12345;
	np = make_pool(pool);
	for (size_t i = 0; i < np; i++) {
		rand_bytes(vals[i], 32);
		perm[i] = i;
	}
	for (size_t i = np - 1; i > 0; i--) {
		size_t j = rng() % (i + 1), x = perm[i];
		perm[i] = perm[j];
		perm[j] = x;
	}
	for (size_t i = 0; i < np; i++) {
		assert_int_equal(smt_set(t1, pool[i], vals[i], NULL), 0);
		assert_int_equal(smt_set(t2, pool[perm[i]], vals[perm[i]], NULL), 0);
	}
	smt_root(t1, a);
	smt_root(t2, b);
	assert_memory_equal(a, b, 32);
	/* a tree that held extra keys and lost them has the same root */
	for (int i = 0; i < 50; i++) {
		uint8_t k[32];
		rand_bytes(k, 32);
		assert_int_equal(smt_set(t2, k, vals[0], NULL), 0);
		smt_root(t2, b);
		assert_int_equal(smt_set(t2, k, NULL, NULL), 1);
	}
	smt_root(t2, b);
	assert_memory_equal(a, b, 32);
	smt_free(t1);
	smt_free(t2);
}

/* ---- proofs -------------------------------------------------------------- */

/* A map of the pool's keys, every other one left out, so that absent keys
 * next to present ones (one bit apart, sharing 255 bits) are asked about. */
static struct smt *proof_map(uint8_t pool[][32], size_t *np, struct ref *r)
{
	struct smt *t = smt_new();
	rng_state = 777;
	*np = make_pool(pool);
	r->n = 0;
	for (size_t i = 0; i < *np; i += 2) {
		uint8_t v[32], old[32];
		rand_bytes(v, 32);
		assert_int_equal(smt_set(t, pool[i], v, NULL), 0);
		ref_set(r, pool[i], v, old);
	}
	return t;
}

static bool ref_has(const struct ref *r, const uint8_t key[32])
{
	bool found;
	(void)ref_find(r, key, &found);
	return found;
}

static void test_proofs_verify(void **state)
{
	(void)state;
	static uint8_t pool[POOL][32];
	static struct ref r;
	static struct smt_proof p;
	size_t np, kinds[3] = { 0 };
	uint8_t root[32], other_root[32];
	char err[ERR_LEN];
	struct smt *t = proof_map(pool, &np, &r);

	smt_root(t, root);
	memcpy(other_root, root, 32);
	other_root[5] ^= 1;
	for (size_t i = 0; i < np; i++) {
		assert_int_equal(smt_prove(t, pool[i], &p), 0);
		assert_memory_equal(p.key, pool[i], 32);
		assert_int_equal(p.present, ref_has(&r, pool[i]));
		kinds[p.present ? 0 : p.other_present ? 1 : 2]++;
		assert_true(smt_verify(&p, root, err));
		assert_false(smt_verify(&p, other_root, err));
		assert_string_equal(err, "smt proof: root mismatch");
	}
	/* every kind met: members, absent under another leaf, absent under an
	 * empty side */
	assert_true(kinds[0] > 0 && kinds[1] > 0 && kinds[2] > 0);
	/* proving did not disturb the root */
	smt_root(t, other_root);
	assert_memory_equal(root, other_root, 32);

	assert_int_equal(smt_prove(NULL, pool[0], &p), -1);
	assert_int_equal(smt_prove(t, NULL, &p), -1);
	assert_int_equal(smt_prove(t, pool[0], NULL), -1);
	assert_false(smt_verify(NULL, root, err));
	assert_false(smt_verify(&p, NULL, err));
	smt_free(t);

	/* the empty map: every key is absent with no siblings */
	t = smt_new();
	smt_root(t, root);
	assert_int_equal(smt_prove(t, pool[3], &p), 0);
	assert_false(p.present);
	assert_false(p.other_present);
	assert_int_equal(p.n, 0);
	assert_true(smt_verify(&p, root, err));
	smt_free(t);
}

/* Every bit of every sibling for paths up to 40 deep; past that (n^2 x 256
 * hashes) every bit of the deepest and the top sibling, and of the others
 * bit 0, bit 255 and one bit that moves with the sibling's index. */
static bool every_sibling_bit(size_t n, size_t i, unsigned b)
{
	return n <= 40 || i == 0 || i == n - 1 || b == 0 || b == 255 || b == (i * 31) % 256;
}

/* A tampered proof must fail, except where it still states a truth: an
 * absence proof also proves the absence of the keys sharing its first n
 * bits, so a key flipped past bit n gives a valid proof about that key. */
static void check_tampered(const struct smt_proof *p, const uint8_t root[32], const struct ref *r)
{
	static struct smt_proof q;
	char err[ERR_LEN];

	for (unsigned b = 0; b < 256; b++) {
		q = *p;
		flip(q.key, b);
		if (smt_verify(&q, root, err)) {
			assert_false(p->present);
			assert_true(b >= p->n);
			assert_false(ref_has(r, q.key));
		}
		q = *p;
		flip(q.value, b);
		assert_false(smt_verify(&q, root, err));
		q = *p;
		flip(q.other_key, b);
		assert_false(smt_verify(&q, root, err));
		q = *p;
		flip(q.other_value, b);
		assert_false(smt_verify(&q, root, err));
		for (size_t i = 0; i < p->n; i++) {
			if (!every_sibling_bit(p->n, i, b))
				continue;
			q = *p;
			flip(q.sibling[i], b);
			assert_false(smt_verify(&q, root, err));
		}
	}
	for (unsigned b = 0; b < 8 * sizeof(size_t); b++) {
		q = *p;
		q.n ^= (size_t)1 << b;
		assert_false(smt_verify(&q, root, err));
	}
	q = *p;
	q.n++;
	assert_false(smt_verify(&q, root, err));
	if (p->n) {
		q = *p;
		q.n--;
		assert_false(smt_verify(&q, root, err));
	}
	q = *p;
	q.present = !q.present;
	assert_false(smt_verify(&q, root, err));
	q = *p;
	q.other_present = !q.other_present;
	assert_false(smt_verify(&q, root, err));
}

static void test_proofs_tampered(void **state)
{
	(void)state;
	static uint8_t pool[POOL][32];
	static struct ref r;
	static struct smt_proof p;
	size_t np, done[3] = { 0 };
	uint8_t root[32];
	struct smt *t = proof_map(pool, &np, &r);

	smt_root(t, root);
	/* the crafted keys first (deep paths), then random ones: a few of each
	 * kind of proof */
	for (size_t i = 0; i < np; i++) {
		assert_int_equal(smt_prove(t, pool[i], &p), 0);
		size_t k = p.present ? 0 : p.other_present ? 1 : 2;
		if (done[k] >= 6)
			continue;
		done[k]++;
		check_tampered(&p, root, &r);
	}
	assert_true(done[0] > 0 && done[1] > 0 && done[2] > 0);
	smt_free(t);
}

/* Canonical form: proofs that hash to the root by other means are refused. */
static void test_proofs_canonical(void **state)
{
	(void)state;
	struct smt *t = smt_new();
	static struct smt_proof p;
	uint8_t k0[32] = { 0 }, k1[32] = { 0 }, v[32], root[32], lf[32];
	char err[ERR_LEN];

	memset(v, 7, 32);
	k1[0] = 0x80; /* differs in bit 0 */
	assert_int_equal(smt_set(t, k0, v, NULL), 0);
	smt_root(t, root);
	ref_leaf(lf, k0, v);
	assert_memory_equal(root, lf, 32);

	/* the lone key's proof has no siblings; an empty one under it would
	 * not be lifted */
	assert_int_equal(smt_prove(t, k0, &p), 0);
	assert_int_equal(p.n, 0);
	assert_true(smt_verify(&p, root, err));
	p.n = 1;
	assert_false(smt_verify(&p, root, err));
	assert_string_equal(err, "smt proof: deepest sibling empty");

	/* k1 is absent: the lone leaf of k0 is where it would be */
	assert_int_equal(smt_prove(t, k1, &p), 0);
	assert_false(p.present);
	assert_true(p.other_present);
	assert_memory_equal(p.other_key, k0, 32);
	assert_true(smt_verify(&p, root, err));
	/* ... but it cannot claim k0 itself is absent */
	memcpy(p.key, k0, 32);
	assert_false(smt_verify(&p, root, err));
	assert_string_equal(err, "smt proof: other leaf has the key itself");

	/* with both keys, an other leaf off the key's path is refused */
	assert_int_equal(smt_set(t, k1, v, NULL), 0);
	smt_root(t, root);
	assert_int_equal(smt_prove(t, k0, &p), 0);
	assert_true(p.present && p.n == 1);
	p.present = false;
	memset(p.value, 0, 32);
	p.other_present = true;
	memcpy(p.other_key, k1, 32);
	memcpy(p.other_value, v, 32);
	assert_false(smt_verify(&p, root, err));
	assert_string_equal(err, "smt proof: other leaf off the key's path");

	p.present = true;
	assert_false(smt_verify(&p, root, err));
	assert_string_equal(err, "smt proof: both membership and another leaf");
	p.n = 257;
	assert_false(smt_verify(&p, root, err));
	smt_free(t);
}

/* ---- serialization ------------------------------------------------------- */

static void assert_proofs_equal(const struct smt_proof *a, const struct smt_proof *b)
{
	assert_memory_equal(a->key, b->key, 32);
	assert_int_equal(a->present, b->present);
	assert_memory_equal(a->value, b->value, 32);
	assert_int_equal(a->other_present, b->other_present);
	assert_memory_equal(a->other_key, b->other_key, 32);
	assert_memory_equal(a->other_value, b->other_value, 32);
	assert_int_equal(a->n, b->n);
	assert_memory_equal(a->sibling, b->sibling, sizeof(a->sibling));
}

static void test_proof_roundtrip(void **state)
{
	(void)state;
	static uint8_t pool[POOL][32];
	static struct ref r;
	static struct smt_proof p, q;
	size_t np;
	uint8_t root[32];
	char err[ERR_LEN];
	struct smt *t = proof_map(pool, &np, &r);

	smt_root(t, root);
	for (size_t i = 0; i < np; i++) {
		struct buf b = BUF_INIT;
		assert_int_equal(smt_prove(t, pool[i], &p), 0);
		smt_proof_write(&b, &p);
		buf_u8(&b, 0xee); /* the caller's next byte */
		assert_true(buf_ok(&b));
		struct cursor c = cursor_make(b.data, b.len);
		assert_true(smt_proof_read(&c, &q, err));
		assert_int_equal(c.len, 1);
		assert_proofs_equal(&p, &q);
		assert_true(smt_verify(&q, root, err));
		/* every truncation is refused and leaves the cursor alone */
		for (size_t len = 0; len < b.len - 1; len++) {
			c = cursor_make(b.data, len);
			assert_false(smt_proof_read(&c, &q, err));
			assert_int_equal(c.len, len);
			assert_ptr_equal(c.p, b.data);
		}
		buf_release(&b);
	}
	smt_free(t);
}

static bool read_bytes(const uint8_t *p, size_t len, char *err)
{
	static struct smt_proof q;
	struct cursor c = cursor_make(p, len);
	return smt_proof_read(&c, &q, err);
}

static void test_proof_garbage(void **state)
{
	(void)state;
	uint8_t b[1 + 32 + 9 + 32 + 32];
	uint8_t sib[32];
	char err[ERR_LEN];

	memset(b, 0, sizeof(b));
	memset(sib, 0x42, 32);
	/* absent, no siblings: valid */
	assert_true(read_bytes(b, 1 + 32 + 1, err));
	/* unknown flag bits, both leaves */
	b[0] = 0x04;
	assert_false(read_bytes(b, 1 + 32 + 1, err));
	assert_string_equal(err, "smt proof: bad flags 0x04");
	b[0] = 0x03;
	assert_false(read_bytes(b, sizeof(b), err));
	b[0] = 0x00;
	/* n = 257, and n = 2^32 */
	b[33] = 0xfd;
	b[34] = 0x01;
	b[35] = 0x01;
	assert_false(read_bytes(b, sizeof(b), err));
	assert_string_equal(err, "smt proof: bad sibling count");
	b[33] = 0xff;
	memset(b + 34, 0, 8);
	b[38] = 1;
	assert_false(read_bytes(b, sizeof(b), err));
	/* a non-canonical varint for 1 */
	b[33] = 0xfd;
	b[34] = 0x01;
	b[35] = 0x00;
	assert_false(read_bytes(b, sizeof(b), err));
	/* n = 3 with a bitmap bit past it */
	memset(b + 33, 0, sizeof(b) - 33);
	b[33] = 3;
	b[34] = 0x08;
	assert_false(read_bytes(b, sizeof(b), err));
	assert_string_equal(err, "smt proof: bitmap bits past the count");
	/* n = 3, sibling 0 written out but all zero */
	b[34] = 0x01;
	assert_false(read_bytes(b, 35 + 32, err));
	assert_string_equal(err, "smt proof: empty sibling 0 written out");
	/* ... and a real one: valid, then truncated */
	memcpy(b + 35, sib, 32);
	assert_true(read_bytes(b, 35 + 32, err));
	assert_false(read_bytes(b, 35 + 31, err));
	assert_string_equal(err, "smt proof: truncated sibling 0");
	/* n = 256 needs 32 bitmap bytes */
	b[33] = 0xfd;
	b[34] = 0x00;
	b[35] = 0x01;
	assert_false(read_bytes(b, 36 + 31, err));
	assert_string_equal(err, "smt proof: truncated bitmap");
	/* random bytes never crash the reader */
	rng_state = 99;
	for (int i = 0; i < 20000; i++) {
		uint8_t g[200];
		size_t len = rng() % sizeof(g);
		rand_bytes(g, len);
		g[0] &= 3;
		(void)read_bytes(g, len, err);
	}
	assert_false(smt_proof_read(NULL, NULL, err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_single),
		cmocka_unit_test(test_deep_pair),
		cmocka_unit_test(test_random_ops),
		cmocka_unit_test(test_bulk),
		cmocka_unit_test(test_order_independence),
		cmocka_unit_test(test_proofs_verify),
		cmocka_unit_test(test_proofs_tampered),
		cmocka_unit_test(test_proofs_canonical),
		cmocka_unit_test(test_proof_roundtrip),
		cmocka_unit_test(test_proof_garbage),
	};
	if (getenv("SMT_TEST"))
		cmocka_set_test_filter(getenv("SMT_TEST"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
