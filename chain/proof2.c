#include "chain/proof2.h"

#include <stdlib.h>
#include <string.h>

#include "chain/coin.h"
#include "chain/hash.h"
#include "chain/pow.h"
#include "chain/proof_impl.h"

static const uint8_t MAGIC[4] = { 'C', 'R', 'N', 'P' };

void proof2_init(struct proof2 *b)
{
	memset(b, 0, sizeof(*b));
}

void proof2_release(struct proof2 *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_steps; i++)
		tx_release(&b->steps[i].tx);
	free(b->steps);
	free(b->samples);
	proof2_init(b);
}

/* ---- encoding ---- */

static void put_path(struct buf *out, const struct proof2_path *p)
{
	buf_varint(out, p->n);
	buf_put(out, p->h, p->n * 32);
}

static void put_header(struct buf *out, const struct block_header *h)
{
	uint8_t raw[BLOCK_HEADER_SIZE];
	header_write(raw, h);
	buf_put(out, raw, sizeof(raw));
}

static void put_block(struct buf *out, const struct proof2_block *b)
{
	uint8_t work[32];
	put_header(out, &b->header);
	buf_u32(out, b->height);
	u256_to_be(work, &b->work);
	buf_put(out, work, 32);
	put_path(out, &b->path);
}

void proof2_write(struct buf *out, const struct proof2 *b)
{
	buf_put(out, MAGIC, 4);
	buf_u8(out, PROOF2_VERSION);
	buf_u8(out, b->kind);
	buf_put(out, b->p ? b->p->magic : (const uint8_t[4]){ 0 }, 4);
	buf_put(out, b->asset, 32);
	put_header(out, &b->tip);
	buf_u32(out, b->tip_height);
	buf_put(out, b->parent, HISTORY_LEAF_SIZE);
	put_path(out, &b->parent_path);
	put_path(out, &b->genesis_path);
	buf_varint(out, b->n_samples);
	for (size_t i = 0; i < b->n_samples; i++)
		put_block(out, &b->samples[i]);
	if (b->kind == PROOF2_CUSTODY) {
		buf_varint(out, b->n_steps);
		for (size_t i = 0; i < b->n_steps; i++) {
			const struct proof2_step *s = &b->steps[i];
			tx_write(out, &s->tx);
			buf_varint(out, s->index);
			buf_varint(out, s->leaves);
			put_path(out, &s->tx_path);
			put_block(out, &s->block);
		}
	}
	smt_proof_write(out, &b->state);
}

/* ---- decoding ---- */

static bool read_path(struct cursor *c, struct proof2_path *p)
{
	uint64_t n;
	if (!cursor_varint(c, &n, MERKLE_MAX_PATH))
		return false;
	p->n = (size_t)n;
	return cursor_bytes(c, p->h, p->n * 32);
}

static bool read_block(struct cursor *c, struct proof2_block *b)
{
	uint8_t work[32];
	if (!header_read(c, &b->header) || !cursor_u32(c, &b->height) || !cursor_bytes(c, work, 32))
		return false;
	u256_from_be(&b->work, work);
	return read_path(c, &b->path);
}

static const struct chain_params *network_of(const uint8_t magic[4])
{
	const struct chain_params *nets[] = { params_get(NET_MAIN), params_get(NET_REGTEST) };
	for (size_t i = 0; i < 2; i++)
		if (memcmp(nets[i]->magic, magic, 4) == 0)
			return nets[i];
	return NULL;
}

static int read_head(struct cursor *c, struct proof2 *out, char *err)
{
	uint8_t magic[4], version, net[4];
	if (!cursor_bytes(c, magic, 4) || memcmp(magic, MAGIC, 4) != 0)
		return err_set(err, "not a cairn proof bundle (no 'CRNP')");
	if (!cursor_u8(c, &version) || version != PROOF2_VERSION)
		return err_set(err, "bundle version is not 2");
	if (!cursor_u8(c, &out->kind) || (out->kind != PROOF2_CUSTODY && out->kind != PROOF2_ABSENCE))
		return err_set(err, "unknown bundle kind");
	if (!cursor_bytes(c, net, 4) || !(out->p = network_of(net)))
		return err_set(err, "unknown network");
	if (!cursor_bytes(c, out->asset, 32) || !header_read(c, &out->tip) || !cursor_u32(c, &out->tip_height) ||
	    !cursor_bytes(c, out->parent, HISTORY_LEAF_SIZE) || !read_path(c, &out->parent_path) ||
	    !read_path(c, &out->genesis_path))
		return err_set(err, "truncated or malformed tip section");
	return 0;
}

static int read_samples(struct cursor *c, struct proof2 *out, char *err)
{
	uint64_t n;
	/* a sample is at least header, height, work and a path count */
	if (!cursor_varint(c, &n, PROOF2_MAX_SAMPLES) || n > c->len / (BLOCK_HEADER_SIZE + 37))
		return err_set(err, "bad sample count");
	if (n && !(out->samples = calloc((size_t)n, sizeof(*out->samples))))
		return err_set(err, "out of memory");
	out->n_samples = (size_t)n;
	for (size_t i = 0; i < out->n_samples; i++)
		if (!read_block(c, &out->samples[i]))
			return err_set(err, "sample %zu is truncated or malformed", i);
	return 0;
}

static int read_steps(struct cursor *c, struct proof2 *out, char *err)
{
	uint64_t n, v;
	char why[ERR_LEN];
	if (!cursor_varint(c, &n, PROOF2_MAX_STEPS) || n > c->len / (BLOCK_HEADER_SIZE + 60))
		return err_set(err, "bad step count");
	if (n && !(out->steps = calloc((size_t)n, sizeof(*out->steps))))
		return err_set(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct proof2_step *s = &out->steps[i];
		if (tx_read(c, &s->tx, why) != 0)
			return err_set(err, "step %zu: %s", i, why);
		out->n_steps = i + 1;
		tx_finalize(&s->tx);
		if (!cursor_varint(c, &v, UINT32_MAX) || (s->index = (uint32_t)v, !cursor_varint(c, &v, BLOCK_MAX_TXS)) ||
		    (s->leaves = (uint32_t)v, !read_path(c, &s->tx_path)) || !read_block(c, &s->block))
			return err_set(err, "step %zu is truncated or malformed", i);
	}
	return 0;
}

int proof2_parse(struct proof2 *out, const uint8_t *p, size_t len, char *err)
{
	struct cursor c = cursor_make(p, len);
	char why[ERR_LEN];
	proof2_init(out);
	int r = read_head(&c, out, err);
	if (r == 0)
		r = read_samples(&c, out, err);
	if (r == 0 && out->kind == PROOF2_CUSTODY)
		r = read_steps(&c, out, err);
	if (r == 0 && !smt_proof_read(&c, &out->state, why))
		r = err_set(err, "asset map proof: %s", why);
	if (r == 0 && !cursor_done(&c))
		r = err_set(err, "%zu trailing bytes after the bundle", c.len);
	if (r != 0)
		proof2_release(out);
	return r;
}

/* ---- verification ---- */

void proof2_sample_target(struct u256 *w, const uint8_t tip_hash[32], uint32_t i, const struct u256 *total)
{
	static const char tag[] = "cairn/sample";
	uint8_t in[sizeof(tag) - 1 + 32 + 4], h[32];
	struct u256 r, span, rem, one;
	memcpy(in, tag, sizeof(tag) - 1);
	memcpy(in + sizeof(tag) - 1, tip_hash, 32);
	for (int k = 0; k < 4; k++)
		in[sizeof(tag) - 1 + 32 + k] = (uint8_t)(i >> (8 * k));
	hash_sha256(h, in, sizeof(in));
	unsigned bits = u256_bits(total);
	unsigned s = bits ? (unsigned)(h[0] | h[1] << 8) % bits : 0;
	u256_from_be(&r, h);
	u256_from_u64(&one, 1);
	u256_shr(&span, total, s);
	if (u256_is_zero(&span))
		span = one;
	if (u256_divmod(NULL, &rem, &r, &span) != 0)
		u256_zero(&rem);
	u256_sub(w, total, &one);
	u256_sub(w, w, &rem);
}

static void leaf_of(uint8_t out[32], const uint8_t hash[32], uint32_t height, const struct u256 *work)
{
	uint8_t rec[HISTORY_LEAF_SIZE];
	history_record(rec, hash, height, work);
	merkle_leaf_hash(out, rec, sizeof(rec));
}

static bool in_tree(const struct proof2 *b, const uint8_t leaf[32], uint32_t index, const struct proof2_path *p)
{
	return index < b->tip_height &&
	       merkle_verify_hashed(leaf, index, b->tip_height, (const uint8_t (*)[32])p->h, p->n, b->tip.history);
}

/* A block proven against the tip: its own proof of work, and its leaf in
 * the tip's tree, or the tip itself. *lo gets the work before it. */
static bool check_block(const struct proof2 *b, const struct proof2_block *x, const struct u256 *total,
			struct u256 *lo, const char *what, size_t k, char *err)
{
	uint8_t hash[32], leaf[32], a[BLOCK_HEADER_SIZE], t[BLOCK_HEADER_SIZE];
	struct u256 own;
	pow_block_work(&own, x->header.bits);
	if (x->height == b->tip_height) {
		header_write(a, &x->header);
		header_write(t, &b->tip);
		if (memcmp(a, t, sizeof(a)) != 0 || x->path.n != 0 || u256_cmp(&x->work, total) != 0)
			return proof_fail(err, "%s %zu: at the tip's height but not the tip", what, k);
		return !u256_sub(lo, total, &own);
	}
	header_hash(hash, &x->header);
	if (!pow_check(hash, x->header.bits, b->p->pow.limit_bits))
		return proof_fail(err, "%s %zu: the header at height %u does not meet its proof of work", what, k, x->height);
	leaf_of(leaf, hash, x->height, &x->work);
	if (!in_tree(b, leaf, x->height, &x->path))
		return proof_fail(err, "%s %zu: block %u is not in the tip's history tree", what, k, x->height);
	if (u256_sub(lo, &x->work, &own))
		return proof_fail(err, "%s %zu: block %u claims less work than its own", what, k, x->height);
	return true;
}

/* The tip, its parent and genesis: the chain's total work. */
static bool check_tip(const struct proof2 *b, uint8_t tip_hash[32], struct u256 *total, char *err)
{
	uint8_t leaf[32], gleaf[32];
	struct u256 pwork, own, gwork;
	uint32_t pheight = 0;
	header_hash(tip_hash, &b->tip);
	if (!pow_check(tip_hash, b->tip.bits, b->p->pow.limit_bits))
		return proof_fail(err, "the tip does not meet its proof of work");
	if (b->tip_height == 0)
		return proof_fail(err, "the tip is the genesis block: nothing to prove against");
	for (int i = 0; i < 4; i++)
		pheight |= (uint32_t)b->parent[32 + i] << (8 * i);
	if (memcmp(b->parent, b->tip.prev, 32) != 0 || pheight != b->tip_height - 1)
		return proof_fail(err, "the parent record is not the tip's parent");
	merkle_leaf_hash(leaf, b->parent, HISTORY_LEAF_SIZE);
	if (!in_tree(b, leaf, b->tip_height - 1, &b->parent_path))
		return proof_fail(err, "the tip's parent is not in its history tree");
	pow_block_work(&gwork, b->p->pow.limit_bits);
	leaf_of(gleaf, b->p->genesis_hash, 0, &gwork);
	if (!in_tree(b, gleaf, 0, &b->genesis_path))
		return proof_fail(err, "the %s genesis block is not at index 0 of the tip's history", b->p->name);
	u256_from_be(&pwork, b->parent + 36);
	pow_block_work(&own, b->tip.bits);
	if (u256_add(total, &pwork, &own))
		return proof_fail(err, "the tip's work overflows");
	return true;
}

static bool check_samples(const struct proof2 *b, const uint8_t tip_hash[32], const struct u256 *total,
			  size_t min_samples, char *err)
{
	if (b->n_samples < min_samples)
		return proof_fail(err, "%zu samples, at least %zu wanted", b->n_samples, min_samples);
	for (size_t i = 0; i < b->n_samples; i++) {
		const struct proof2_block *x = &b->samples[i];
		struct u256 w, lo;
		proof2_sample_target(&w, tip_hash, (uint32_t)i, total);
		if (!check_block(b, x, total, &lo, "sample", i, err))
			return false;
		if (u256_cmp(&lo, &w) > 0 || u256_cmp(&w, &x->work) >= 0)
			return proof_fail(err, "sample %zu: block %u is not the block that holds the sampled work", i, x->height);
	}
	return true;
}

static bool check_step_place(const struct proof2 *b, size_t k, const struct u256 *total, char *err)
{
	const struct proof2_step *s = &b->steps[k];
	struct u256 lo;
	if (s->block.height > b->tip_height)
		return proof_fail(err, "step %zu: block %u is above the tip", k, s->block.height);
	if (k > 0 && (s->block.height < s[-1].block.height ||
		      (s->block.height == s[-1].block.height && s->index <= s[-1].index)))
		return proof_fail(err, "step %zu: not after step %zu in the chain", k, k - 1);
	if (!check_block(b, &s->block, total, &lo, "step", k, err))
		return false;
	if (!merkle_verify(s->tx.txid, s->index, s->leaves, (const uint8_t (*)[32])s->tx_path.h, s->tx_path.n,
			   s->block.header.merkle))
		return proof_fail(err, "step %zu: the transaction is not in block %u at index %u (audit path)", k,
			     s->block.height, s->index);
	return true;
}

static bool check_custody(struct proof2 *b, struct proof2_summary *sum, char *err)
{
	struct proof_custody prev, now;
	if (b->n_steps == 0)
		return proof_fail(err, "a custody bundle without steps");
	for (size_t k = 0; k < b->n_steps; k++) {
		struct proof2_step *s = &b->steps[k];
		if (!check_step_place(b, k, &sum->work, err) ||
		    !proof_custody_check(&s->tx, k ? &prev : NULL, b->asset, b->p->magic, k, &now, err))
			return false;
		s->out = now.out;
		s->has_from = now.has_from;
		memcpy(s->from, now.from, 20);
		memcpy(s->to, now.to, 20);
		prev = now;
	}
	struct asset_entry e = { 0 };
	memcpy(e.reg.txid, b->steps[0].tx.txid, 32);
	e.reg.index = b->steps[0].out;
	memcpy(e.cur.txid, prev.txid, 32);
	e.cur.index = prev.out;
	memcpy(e.owner, prev.to, 20);
	uint8_t value[32];
	asset_state_hash(value, &e);
	if (!b->state.present || memcmp(b->state.value, value, 32) != 0)
		return proof_fail(err, "the tip's asset map does not hold the asset at the last step's output");
	sum->first_height = b->steps[0].block.height;
	memcpy(sum->owner, prev.to, 20);
	sum->cur = e.cur;
	return true;
}

bool proof2_verify(struct proof2 *b, size_t min_samples, struct proof2_summary *sum, char *err)
{
	struct proof2_summary tmp;
	char why[ERR_LEN];
	if (!sum)
		sum = &tmp;
	memset(sum, 0, sizeof(*sum));
	if (!b || !b->p)
		return proof_fail(err, "empty bundle");
	if (!check_tip(b, sum->tip_hash, &sum->work, err) ||
	    !check_samples(b, sum->tip_hash, &sum->work, min_samples ? min_samples : 1, err))
		return false;
	if (memcmp(b->state.key, b->asset, 32) != 0)
		return proof_fail(err, "the asset map proof is about another id");
	if (!smt_verify(&b->state, b->tip.assets, why))
		return proof_fail(err, "the asset map proof does not lead to the tip's asset root: %s", why);
	if (b->kind == PROOF2_CUSTODY && !check_custody(b, sum, err))
		return false;
	if (b->kind == PROOF2_ABSENCE && (b->n_steps || b->state.present))
		return proof_fail(err, "the tip's asset map holds the id: it was registered");
	sum->tip_height = b->tip_height;
	sum->samples = b->n_samples;
	return true;
}
