#include "chain/smt.h"

#include <stdlib.h>
#include <string.h>

#include "chain/hash.h"

#define KEY_BITS 256
/* The bit field of a leaf: no inner node splits at bit 256. */
#define LEAF_BIT KEY_BITS

static const uint8_t empty_hash[32];

/* The header shared by both kinds of node; a leaf or an inner node is
 * reached from a pointer to it (it is their first member). */
struct node {
	uint16_t bit;
};

/* Where the keys below diverge: every key under it shares bits 0..bit-1,
 * child[b] holds those whose bit `bit` is b. hash is the subtree's hash as
 * seen at level top (its parent's bit + 1, 0 for the root), valid unless
 * dirty; keeping it for one level saves re-hashing a compressed edge each
 * time the sibling side changes. */
struct inner {
	struct node n;
	uint16_t top;
	bool dirty;
	uint8_t hash[32];
	struct node *child[2];
};

/* Leaves keep no hash: hashing one costs a single SHA-256 when its parent
 * is recomputed, and a million leaves save 32 MB. */
struct leaf {
	struct node n;
	uint8_t key[32];
	uint8_t value[32];
};

struct smt {
	struct node *root;
	size_t count;
};

static inline struct inner *as_inner(struct node *n)
{
	return (struct inner *)n;
}

static inline struct leaf *as_leaf(struct node *n)
{
	return (struct leaf *)n;
}

static inline bool is_leaf(const struct node *n)
{
	return n->bit == LEAF_BIT;
}

static inline unsigned key_bit(const uint8_t key[32], unsigned i)
{
	return (key[i / 8] >> (7 - i % 8)) & 1;
}

/* The first bit where a and b differ, or 256 when they are equal. */
static unsigned first_diff(const uint8_t a[32], const uint8_t b[32])
{
	for (unsigned i = 0; i < 32; i++) {
		uint8_t x = a[i] ^ b[i];
		if (x) {
			unsigned j = 0;
			while (!(x & 0x80)) {
				x <<= 1;
				j++;
			}
			return i * 8 + j;
		}
	}
	return KEY_BITS;
}

/* ---- hashing ------------------------------------------------------------- */

static void leaf_hash(uint8_t out[32], const uint8_t key[32], const uint8_t value[32])
{
	uint8_t buf[65];
	buf[0] = 0x02;
	memcpy(buf + 1, key, 32);
	memcpy(buf + 33, value, 32);
	hash_sha256(out, buf, sizeof(buf));
}

/* out may alias l or r. */
static void node_hash(uint8_t out[32], const uint8_t l[32], const uint8_t r[32])
{
	uint8_t buf[65];
	buf[0] = 0x03;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	hash_sha256(out, buf, sizeof(buf));
}

/* Lifts h, the hash of a subtree holding two keys or more at level `from`
 * on the path of key, to level `to` <= from: each level between has one
 * empty side, the other on key's side of the split. */
static void lift(uint8_t h[32], const uint8_t key[32], unsigned from, unsigned to)
{
	while (from > to) {
		from--;
		if (key_bit(key, from))
			node_hash(h, empty_hash, h);
		else
			node_hash(h, h, empty_hash);
	}
}

/* Any key under n: the one the bits of a compressed edge are read from. */
static const uint8_t *some_key(struct node *n)
{
	while (!is_leaf(n))
		n = as_inner(n)->child[0];
	return as_leaf(n)->key;
}

/* The hash of n's subtree at level top (<= n's bit), refreshing the caches
 * under it; only dirty nodes and nodes asked at a new level are hashed.
 * Recursion depth is at most 257. */
static void subtree_hash(struct node *n, unsigned top, uint8_t out[32])
{
	struct inner *in;
	uint8_t l[32], r[32];

	if (is_leaf(n)) {
		leaf_hash(out, as_leaf(n)->key, as_leaf(n)->value);
		return;
	}
	in = as_inner(n);
	if (!in->dirty && in->top == top) {
		memcpy(out, in->hash, 32);
		return;
	}
	subtree_hash(in->child[0], n->bit + 1u, l);
	subtree_hash(in->child[1], n->bit + 1u, r);
	node_hash(in->hash, l, r);
	if (n->bit > top)
		lift(in->hash, some_key(n), n->bit, top);
	in->top = (uint16_t)top;
	in->dirty = false;
	memcpy(out, in->hash, 32);
}

/* ---- the map ------------------------------------------------------------- */

struct smt *smt_new(void)
{
	return calloc(1, sizeof(struct smt));
}

static void free_node(struct node *n)
{
	if (!n)
		return;
	if (!is_leaf(n)) {
		free_node(as_inner(n)->child[0]);
		free_node(as_inner(n)->child[1]);
	}
	free(n);
}

void smt_free(struct smt *t)
{
	if (!t)
		return;
	free_node(t->root);
	free(t);
}

size_t smt_count(const struct smt *t)
{
	return t ? t->count : 0;
}

/* The leaf that key's bits lead to (the only one that can hold key), or
 * NULL for an empty tree. */
static struct leaf *descend(const struct smt *t, const uint8_t key[32])
{
	struct node *n = t->root;
	if (!n)
		return NULL;
	while (!is_leaf(n))
		n = as_inner(n)->child[key_bit(key, n->bit)];
	return as_leaf(n);
}

int smt_get(const struct smt *t, const uint8_t key[32], uint8_t value[32])
{
	struct leaf *lf = t && key ? descend(t, key) : NULL;
	if (!lf || memcmp(lf->key, key, 32) != 0) {
		if (value)
			memset(value, 0, 32);
		return 0;
	}
	if (value)
		memcpy(value, lf->value, 32);
	return 1;
}

/* Marks dirty every inner node on key's path above bit `stop` (exclusive):
 * the ones whose hash a change at or under that point alters. */
static void mark_path(struct smt *t, const uint8_t key[32], unsigned stop)
{
	struct node *n = t->root;
	while (n && !is_leaf(n) && n->bit < stop) {
		as_inner(n)->dirty = true;
		n = as_inner(n)->child[key_bit(key, n->bit)];
	}
}

static struct leaf *leaf_new(const uint8_t key[32], const uint8_t value[32])
{
	struct leaf *lf = malloc(sizeof(*lf));
	if (!lf)
		return NULL;
	lf->n.bit = LEAF_BIT;
	memcpy(lf->key, key, 32);
	memcpy(lf->value, value, 32);
	return lf;
}

/* Adds key, absent and with near the leaf its bits lead to, by splitting
 * the first edge that reaches past the bit where key and near differ. */
static int insert(struct smt *t, struct leaf *near, const uint8_t key[32], const uint8_t value[32])
{
	struct leaf *lf = leaf_new(key, value);
	struct inner *in = malloc(sizeof(*in));
	struct node **link = &t->root;
	unsigned c, side;

	if (!lf || !in) {
		free(lf);
		free(in);
		return -1;
	}
	if (!near) {
		free(in);
		t->root = &lf->n;
		t->count++;
		return 0;
	}
	c = first_diff(key, near->key);
	while (!is_leaf(*link) && (*link)->bit < c) {
		as_inner(*link)->dirty = true;
		link = &as_inner(*link)->child[key_bit(key, (*link)->bit)];
	}
	side = key_bit(key, c);
	in->n.bit = (uint16_t)c;
	in->top = 0;
	in->dirty = true;
	in->child[side] = &lf->n;
	in->child[!side] = *link;
	*link = &in->n;
	t->count++;
	return 0;
}

/* Removes the leaf of key (present): its parent, left with one child, is
 * replaced by that child, so the tree stays compressed. */
static void erase(struct smt *t, const uint8_t key[32])
{
	struct node **link = &t->root, **parent_link = NULL, *gone;

	while (!is_leaf(*link)) {
		as_inner(*link)->dirty = true;
		parent_link = link;
		link = &as_inner(*link)->child[key_bit(key, (*link)->bit)];
	}
	gone = *link;
	if (parent_link) {
		struct inner *p = as_inner(*parent_link);
		*parent_link = p->child[p->child[0] == gone];
		free(p);
	} else {
		t->root = NULL;
	}
	free(gone);
	t->count--;
}

int smt_set(struct smt *t, const uint8_t key_in[32], const uint8_t *value_in, uint8_t old[32])
{
	uint8_t key[32], vbuf[32];
	const uint8_t *value = value_in ? vbuf : NULL;
	struct leaf *lf;
	bool present;

	/* copied first, so that old may alias them (a swap for undo data) */
	if (key_in)
		memcpy(key, key_in, 32);
	if (value_in)
		memcpy(vbuf, value_in, 32);
	if (old)
		memset(old, 0, 32);
	if (!t || !key_in)
		return -1;
	lf = descend(t, key);
	present = lf && memcmp(lf->key, key, 32) == 0;
	if (present && old)
		memcpy(old, lf->value, 32);
	if (!value) {
		if (present)
			erase(t, key);
		return present ? 1 : 0;
	}
	if (!present)
		return insert(t, lf, key, value);
	if (memcmp(lf->value, value, 32) != 0) {
		memcpy(lf->value, value, 32);
		mark_path(t, key, LEAF_BIT);
	}
	return 1;
}

void smt_root(struct smt *t, uint8_t root[32])
{
	if (!t || !t->root) {
		memset(root, 0, 32);
		return;
	}
	subtree_hash(t->root, 0, root);
}

/* ---- proofs -------------------------------------------------------------- */

/* Where key's terminal sits. Walks key's path from the root; at each inner
 * node the levels of its compressed edge have empty siblings and its split
 * has the other child's hash. Stops at the leaf of key (present), at the
 * leaf lifted over key's position, or, when key leaves the path of a
 * compressed edge at bit c, at the empty side of that bit (depth c + 1,
 * whose sibling is the subtree lifted to level c + 1). sib[j] is the
 * sibling at the split of bit j; returns the depth of the terminal. */
static unsigned walk_proof(struct smt *t, const uint8_t key[32], uint8_t sib[][32], struct smt_proof *out)
{
	struct node *n = t->root;
	struct leaf *near = descend(t, key);
	unsigned c = first_diff(key, near->key), top = 0;

	while (!is_leaf(n) && n->bit < c) {
		struct inner *in = as_inner(n);
		unsigned b = key_bit(key, n->bit);
		for (unsigned j = top; j < n->bit; j++)
			memset(sib[j], 0, 32);
		subtree_hash(in->child[!b], n->bit + 1u, sib[n->bit]);
		top = n->bit + 1u;
		n = in->child[b];
	}
	if (is_leaf(n)) {
		struct leaf *lf = as_leaf(n);
		bool mine = c == KEY_BITS;
		out->present = mine;
		memcpy(mine ? out->value : out->other_value, lf->value, 32);
		if (!mine) {
			out->other_present = true;
			memcpy(out->other_key, lf->key, 32);
		}
		return top;
	}
	/* key leaves n's compressed edge at bit c < n->bit */
	for (unsigned j = top; j < c; j++)
		memset(sib[j], 0, 32);
	subtree_hash(n, c + 1u, sib[c]);
	return c + 1u;
}

int smt_prove(struct smt *t, const uint8_t key[32], struct smt_proof *out)
{
	uint8_t sib[KEY_BITS][32];
	unsigned depth;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!t || !key || !out)
		return -1;
	memcpy(out->key, key, 32);
	if (!t->root)
		return 0;
	depth = walk_proof(t, key, sib, out);
	out->n = depth;
	for (unsigned i = 0; i < depth; i++)
		memcpy(out->sibling[i], sib[depth - 1 - i], 32);
	return 0;
}

static bool is_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

/* The canonical-form rules of smt_verify, apart from the root itself. */
static bool proof_canonical(const struct smt_proof *p, char *err)
{
	if (p->n > SMT_MAX_PROOF)
		return err_set(err, "smt proof: %zu siblings, more than %d", p->n, SMT_MAX_PROOF), false;
	if (p->present && p->other_present)
		return err_set(err, "smt proof: both membership and another leaf"), false;
	if (!p->present && !is_zero(p->value, 32))
		return err_set(err, "smt proof: value set in an absence proof"), false;
	if (!p->other_present && (!is_zero(p->other_key, 32) || !is_zero(p->other_value, 32)))
		return err_set(err, "smt proof: other leaf set but not present"), false;
	if (p->other_present) {
		unsigned d = first_diff(p->key, p->other_key);
		if (d == KEY_BITS)
			return err_set(err, "smt proof: other leaf has the key itself"), false;
		if (d < p->n)
			return err_set(err, "smt proof: other leaf off the key's path"), false;
	}
	if (p->n > 0 && is_zero(p->sibling[0], 32))
		return err_set(err, "smt proof: deepest sibling empty"), false;
	return true;
}

bool smt_verify(const struct smt_proof *p, const uint8_t root[32], char *err)
{
	uint8_t h[32];

	if (!p || !root)
		return err_set(err, "smt proof: missing argument"), false;
	if (!proof_canonical(p, err))
		return false;
	if (p->present)
		leaf_hash(h, p->key, p->value);
	else if (p->other_present)
		leaf_hash(h, p->other_key, p->other_value);
	else
		memset(h, 0, 32);
	for (size_t i = 0; i < p->n; i++) {
		unsigned level = (unsigned)(p->n - 1 - i);
		if (key_bit(p->key, level))
			node_hash(h, p->sibling[i], h);
		else
			node_hash(h, h, p->sibling[i]);
	}
	if (memcmp(h, root, 32) != 0)
		return err_set(err, "smt proof: root mismatch"), false;
	return true;
}

/* ---- serialization ------------------------------------------------------- */

#define FLAG_PRESENT 0x01
#define FLAG_OTHER 0x02

void smt_proof_write(struct buf *b, const struct smt_proof *p)
{
	uint8_t bitmap[SMT_MAX_PROOF / 8] = { 0 };
	size_t n = p->n > SMT_MAX_PROOF ? SMT_MAX_PROOF : p->n;

	buf_u8(b, (uint8_t)((p->present ? FLAG_PRESENT : 0) | (p->other_present ? FLAG_OTHER : 0)));
	buf_put(b, p->key, 32);
	if (p->present)
		buf_put(b, p->value, 32);
	if (p->other_present) {
		buf_put(b, p->other_key, 32);
		buf_put(b, p->other_value, 32);
	}
	buf_varint(b, n);
	for (size_t i = 0; i < n; i++)
		if (!is_zero(p->sibling[i], 32))
			bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
	buf_put(b, bitmap, (n + 7) / 8);
	for (size_t i = 0; i < n; i++)
		if (bitmap[i / 8] & (1u << (i % 8)))
			buf_put(b, p->sibling[i], 32);
}

/* The part after the flags and the leaves: n, the bitmap, the siblings. */
static bool read_siblings(struct cursor *c, struct smt_proof *out, char *err)
{
	uint8_t bitmap[SMT_MAX_PROOF / 8];
	uint64_t n;
	size_t nbytes;

	if (!cursor_varint(c, &n, SMT_MAX_PROOF))
		return err_set(err, "smt proof: bad sibling count"), false;
	nbytes = ((size_t)n + 7) / 8;
	if (!cursor_bytes(c, bitmap, nbytes))
		return err_set(err, "smt proof: truncated bitmap"), false;
	if (n % 8 && (bitmap[nbytes - 1] >> (n % 8)))
		return err_set(err, "smt proof: bitmap bits past the count"), false;
	out->n = (size_t)n;
	for (size_t i = 0; i < out->n; i++) {
		if (!(bitmap[i / 8] & (1u << (i % 8))))
			continue;
		if (!cursor_bytes(c, out->sibling[i], 32))
			return err_set(err, "smt proof: truncated sibling %zu", i), false;
		if (is_zero(out->sibling[i], 32))
			return err_set(err, "smt proof: empty sibling %zu written out", i), false;
	}
	return true;
}

static bool read_proof(struct cursor *c, struct smt_proof *out, char *err)
{
	uint8_t flags;

	if (!cursor_u8(c, &flags))
		return err_set(err, "smt proof: truncated flags"), false;
	if (flags & ~(FLAG_PRESENT | FLAG_OTHER) || flags == (FLAG_PRESENT | FLAG_OTHER))
		return err_set(err, "smt proof: bad flags 0x%02x", flags), false;
	out->present = flags & FLAG_PRESENT;
	out->other_present = flags & FLAG_OTHER;
	if (!cursor_bytes(c, out->key, 32) || (out->present && !cursor_bytes(c, out->value, 32)) ||
	    (out->other_present &&
	     (!cursor_bytes(c, out->other_key, 32) || !cursor_bytes(c, out->other_value, 32))))
		return err_set(err, "smt proof: truncated leaf"), false;
	return read_siblings(c, out, err);
}

bool smt_proof_read(struct cursor *c, struct smt_proof *out, char *err)
{
	struct cursor save;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!c || !out)
		return err_set(err, "smt proof: missing argument"), false;
	save = *c;
	if (!read_proof(c, out, err)) {
		*c = save;
		memset(out, 0, sizeof(*out));
		return false;
	}
	return true;
}
