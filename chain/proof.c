#include "chain/proof.h"
#include "chain/proof_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/address.h"
#include "chain/sigcheck.h"
#include "chain/validate.h"
#include "util/hex.h"

bool proof_fail(char *err, const char *fmt, ...)
{
	va_list ap;
	if (err) {
		va_start(ap, fmt);
		vsnprintf(err, ERR_LEN, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* ---- transaction proofs ---- */

void proof_txs_init(struct proof_txs *p)
{
	memset(p, 0, sizeof(*p));
}

void proof_txs_release(struct proof_txs *p)
{
	if (!p)
		return;
	free(p->txs);
	memset(p, 0, sizeof(*p));
}

/* The block's txids in order, malloc'd; NULL on no memory. */
static uint8_t (*block_txids(const struct block *b))[32]
{
	uint8_t (*ids)[32] = malloc((b->n_tx ? b->n_tx : 1) * 32);
	for (size_t i = 0; ids && i < b->n_tx; i++)
		memcpy(ids[i], b->txs[i].txid, 32);
	return ids;
}

static int find_txid(const struct block *b, const uint8_t txid[32], size_t *pos)
{
	for (size_t i = 0; i < b->n_tx; i++)
		if (memcmp(b->txs[i].txid, txid, 32) == 0) {
			*pos = i;
			return 0;
		}
	return -1;
}

static int fill_entry(struct proof_tx_entry *e, const uint8_t (*ids)[32], const struct block *b,
		      const uint8_t txid[32], char *err)
{
	size_t pos;
	char h[65];
	if (find_txid(b, txid, &pos) != 0) {
		hex_encode(h, txid, 32);
		return err_set(err, "transaction '%s' is not in the block", h);
	}
	memcpy(e->txid, txid, 32);
	e->index = (uint32_t)pos;
	if (merkle_path(e->path, &e->path_len, MERKLE_MAX_PATH, ids, b->n_tx, pos) != 0)
		return err_set(err, "cannot compute the audit path");
	return 0;
}

int proof_txs_build(struct proof_txs *out, const struct block *b, const uint8_t (*txids)[32], size_t n,
		    char *err)
{
	proof_txs_init(out);
	if (!b || !txids || n == 0 || n > PROOF_MAX_TXS)
		return err_set(err, "cannot build a proof of %zu transactions (1 to %d)", n, PROOF_MAX_TXS);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (memcmp(txids[i], txids[j], 32) == 0)
				return err_set(err, "invalid parameter, duplicated txid");
	uint8_t (*ids)[32] = block_txids(b);
	out->txs = calloc(n, sizeof(*out->txs));
	int r = ids && out->txs ? 0 : err_set(err, "cannot build the proof: out of memory");
	out->header = b->header;
	out->leaves = (uint32_t)b->n_tx;
	out->n = n;
	for (size_t i = 0; i < n && r == 0; i++)
		r = fill_entry(&out->txs[i], (const uint8_t (*)[32])ids, b, txids[i], err);
	free(ids);
	if (r != 0)
		proof_txs_release(out);
	return r;
}

void proof_txs_write(struct buf *b, const struct proof_txs *p)
{
	uint8_t h[BLOCK_HEADER_SIZE];
	header_write(h, &p->header);
	buf_put(b, h, sizeof(h));
	buf_varint(b, p->leaves);
	buf_varint(b, p->n);
	for (size_t i = 0; i < p->n; i++) {
		const struct proof_tx_entry *e = &p->txs[i];
		buf_varint(b, e->index);
		buf_put(b, e->txid, 32);
		buf_varint(b, e->path_len);
		for (size_t k = 0; k < e->path_len; k++)
			buf_put(b, e->path[k], 32);
	}
}

static int read_entry(struct cursor *c, struct proof_tx_entry *e, size_t i, char *err)
{
	uint64_t index, len;
	if (!cursor_varint(c, &index, UINT32_MAX) || !cursor_bytes(c, e->txid, 32) ||
	    !cursor_varint(c, &len, MERKLE_MAX_PATH))
		return err_set(err, "proof entry %zu: truncated or out of range", i);
	e->index = (uint32_t)index;
	e->path_len = (size_t)len;
	for (size_t k = 0; k < e->path_len; k++)
		if (!cursor_bytes(c, e->path[k], 32))
			return err_set(err, "proof entry %zu: truncated audit path", i);
	return 0;
}

/* The proof's fields; on failure *out may hold part of them. */
static int read_proof(struct proof_txs *out, struct cursor *c, char *err)
{
	uint64_t leaves, n;
	if (!header_read(c, &out->header))
		return err_set(err, "proof: truncated header");
	if (!cursor_varint(c, &leaves, BLOCK_MAX_TXS) || !cursor_varint(c, &n, PROOF_MAX_TXS) || n == 0)
		return err_set(err, "proof: bad leaf or transaction count");
	/* Each entry takes at least 34 bytes: refuse a count the bytes cannot hold. */
	if (n > c->len / 34 || !(out->txs = calloc((size_t)n, sizeof(*out->txs))))
		return err_set(err, "proof: transaction count %llu does not fit", (unsigned long long)n);
	out->leaves = (uint32_t)leaves;
	out->n = (size_t)n;
	for (size_t i = 0; i < out->n; i++)
		if (read_entry(c, &out->txs[i], i, err) != 0)
			return -1;
	if (!cursor_done(c))
		return err_set(err, "proof: %zu trailing bytes", c->len);
	return 0;
}

int proof_txs_parse(struct proof_txs *out, const uint8_t *p, size_t len, char *err)
{
	struct cursor c = cursor_make(p, len);
	proof_txs_init(out);
	if (!p)
		return err_set(err, "proof: truncated header");
	if (read_proof(out, &c, err) != 0) {
		proof_txs_release(out); /* the block header read before the fault too */
		return -1;
	}
	return 0;
}

bool proof_txs_verify(const struct proof_txs *p, uint32_t limit_bits, char *err)
{
	uint8_t hash[32];
	header_hash(hash, &p->header);
	if (!pow_check(hash, p->header.bits, limit_bits))
		return proof_fail(err, "proof: the header does not meet its proof of work");
	for (size_t i = 0; i < p->n; i++) {
		const struct proof_tx_entry *e = &p->txs[i];
		if (!merkle_verify(e->txid, e->index, p->leaves, (const uint8_t (*)[32])e->path, e->path_len,
				   p->header.merkle))
			return proof_fail(err, "proof: entry %zu: the audit path does not lead to the merkle root", i);
	}
	return true;
}

/* ---- bundles ---- */

void proof_bundle_init(struct proof_bundle *b)
{
	memset(b, 0, sizeof(*b));
	tx_init(&b->anchor);
}

void proof_bundle_release(struct proof_bundle *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_steps; i++)
		tx_release(&b->steps[i].tx);
	free(b->steps);
	free(b->headers);
	tx_release(&b->anchor);
	proof_bundle_init(b);
}

/* ---- verification ---- */

/* The bits the header at index i (height first + i) must carry, as far as
 * the bundle can tell: 0 when it cannot (a retarget whose period started
 * before the bundle's first header). */
static uint32_t expected_bits(const struct proof_bundle *b, size_t i, uint32_t first)
{
	const struct pow_params *pp = &b->p->pow;
	uint32_t height = first + (uint32_t)i;
	if (pp->no_retarget)
		return pp->limit_bits;
	if (i == 0)
		return 0;
	if (height % pp->interval != 0)
		return b->headers[i - 1].bits;
	if (i < pp->interval)
		return 0;
	return pow_next_bits(pp, height, b->headers[i - 1].bits, b->headers[i - pp->interval].time,
			     b->headers[i - 1].time);
}

static bool check_headers(const struct proof_bundle *b, uint32_t first, struct u256 *work, char *err)
{
	uint8_t hash[32], prev[32];
	u256_zero(work);
	for (size_t i = 0; i < b->n_headers; i++) {
		const struct block_header *h = &b->headers[i];
		uint32_t height = first + (uint32_t)i, want = expected_bits(b, i, first);
		struct u256 w;
		header_hash(hash, h);
		if (i > 0 && memcmp(h->prev, prev, 32) != 0)
			return proof_fail(err, "header at height %u does not link to the header before it", height);
		if (h->version < 1)
			return proof_fail(err, "header at height %u: bad version %u", height, h->version);
		if (want && h->bits != want)
			return proof_fail(err, "header at height %u: bits %08x, the network requires %08x", height, h->bits,
				       want);
		if (!pow_check(hash, h->bits, b->p->pow.limit_bits))
			return proof_fail(err, "header at height %u: the hash does not meet its proof of work", height);
		pow_block_work(&w, h->bits);
		u256_add(work, work, &w);
		memcpy(prev, hash, 32);
	}
	if (memcmp(prev, b->tip, 32) != 0)
		return proof_fail(err, "the tip is not the hash of the last header");
	return true;
}

/* The height of the first header, from the coinbase of its block. */
static bool check_anchor(const struct proof_bundle *b, uint32_t *first, char *err)
{
	*first = 0;
	if (!tx_is_coinbase(&b->anchor))
		return proof_fail(err, "anchor: not a coinbase");
	if (!merkle_verify(b->anchor.txid, 0, b->anchor_leaves, (const uint8_t (*)[32])b->anchor_path,
			   b->anchor_path_len, b->headers[0].merkle))
		return proof_fail(err, "anchor: the coinbase is not in the first header's block (audit path)");
	*first = b->anchor.in[0].prev.index;
	if ((uint64_t)*first + b->n_headers - 1 > UINT32_MAX)
		return proof_fail(err, "anchor: height %u with %zu headers overflows", *first, b->n_headers);
	return true;
}

static bool check_sigs(const struct tx *tx, const uint8_t magic[4], size_t k, char *err)
{
	uint8_t msg[32];
	tx_sighash(msg, tx, magic);
	for (size_t i = 0; i < tx->n_in; i++) {
		struct sig_job j;
		memcpy(j.msg, msg, 32);
		memcpy(j.pubkey, tx->in[i].pubkey, 32);
		memcpy(j.sig, tx->in[i].sig, 64);
		if (!sig_verify(&j))
			return proof_fail(err, "step %zu: the signature of input %zu does not verify", k, i);
	}
	return true;
}

/* Where step k sits: in the header at its height, after step k - 1. */
static bool check_place(const struct proof_bundle *b, size_t k, uint32_t first, char *err)
{
	const struct proof_step *s = &b->steps[k];
	uint8_t hash[32];
	if (s->height < first || s->height - first >= b->n_headers)
		return proof_fail(err, "step %zu: height %u is outside the headers (%u to %u)", k, s->height, first,
			       first + (uint32_t)b->n_headers - 1);
	if (k == 0 && s->height != first)
		return proof_fail(err, "step 0: the headers do not start at the registration's block");
	if (k > 0 && (s->height < s[-1].height || (s->height == s[-1].height && s->index <= s[-1].index)))
		return proof_fail(err, "step %zu: not after step %zu in the chain", k, k - 1);
	const struct block_header *h = &b->headers[s->height - first];
	header_hash(hash, h);
	if (memcmp(hash, s->block, 32) != 0)
		return proof_fail(err, "step %zu: 'blockhash' is not the header at height %u", k, s->height);
	if (!merkle_verify(s->tx.txid, s->index, s->leaves, (const uint8_t (*)[32])s->path, s->path_len, h->merkle))
		return proof_fail(err, "step %zu: the transaction is not in block %u at index %u (audit path)", k, s->height,
			       s->index);
	return true;
}

/* The one output of the asset in step k's transaction. */
static bool find_output(const struct tx *tx, const uint8_t id[32], size_t k, uint32_t *out, char *err)
{
	size_t found = 0;
	for (size_t i = 0; i < tx->n_out; i++)
		if (tx->out[i].kind == TXOUT_ASSET && memcmp(tx->out[i].asset, id, 32) == 0) {
			*out = (uint32_t)i;
			found++;
		}
	if (found != 1)
		return proof_fail(err, "step %zu: %zu outputs of the asset, one expected", k, found);
	return true;
}

/* Step k spends the previous step's asset output with its owner's key. */
static bool check_spend(const struct tx *tx, const struct proof_custody *prev, size_t k, char *err)
{
	size_t spends = 0, at = 0;
	uint8_t h[20];
	for (size_t i = 0; i < tx->n_in; i++)
		if (memcmp(tx->in[i].prev.txid, prev->txid, 32) == 0 && tx->in[i].prev.index == prev->out) {
			spends++;
			at = i;
		}
	if (spends != 1)
		return proof_fail(err, "step %zu: does not spend the asset output of step %zu", k, k - 1);
	tx_pubkey_hash(h, tx->in[at].pubkey);
	if (memcmp(h, prev->to, 20) != 0)
		return proof_fail(err, "step %zu: input %zu is signed by a key that is not the owner's", k, at);
	return true;
}

bool proof_custody_check(const struct tx *tx, const struct proof_custody *prev, const uint8_t id[32],
			 const uint8_t magic[4], size_t k, struct proof_custody *out, char *err)
{
	if (tx_is_coinbase(tx))
		return proof_fail(err, "step %zu: a coinbase cannot carry an asset", k);
	if (!check_sigs(tx, magic, k, err) || !find_output(tx, id, k, &out->out, err))
		return false;
	if (prev && !check_spend(tx, prev, k, err))
		return false;
	memcpy(out->txid, tx->txid, 32);
	memcpy(out->to, tx->out[out->out].addr, 20);
	out->has_from = prev != NULL;
	if (prev)
		memcpy(out->from, prev->to, 20);
	return true;
}

static bool check_step(struct proof_bundle *b, size_t k, uint32_t first, char *err)
{
	struct proof_step *s = &b->steps[k];
	struct proof_custody prev, now;
	if (!check_place(b, k, first, err))
		return false;
	if (k > 0) {
		memcpy(prev.txid, s[-1].tx.txid, 32);
		prev.out = s[-1].out;
		memcpy(prev.to, s[-1].to, 20);
	}
	if (!proof_custody_check(&s->tx, k ? &prev : NULL, b->asset, b->p->magic, k, &now, err))
		return false;
	s->out = now.out;
	s->has_from = now.has_from;
	memcpy(s->from, now.from, 20);
	memcpy(s->to, now.to, 20);
	return true;
}

bool proof_asset_verify(struct proof_bundle *b, struct proof_summary *sum, char *err)
{
	struct proof_summary tmp;
	uint32_t first = 0;
	if (!sum)
		sum = &tmp;
	memset(sum, 0, sizeof(*sum));
	if (!b || !b->p || b->n_steps == 0 || b->n_headers == 0)
		return proof_fail(err, "empty bundle");
	if (!check_anchor(b, &first, err) || !check_headers(b, first, &sum->work, err))
		return false;
	for (size_t k = 0; k < b->n_steps; k++)
		if (!check_step(b, k, first, err))
			return false;
	sum->first_height = first;
	sum->tip_height = first + (uint32_t)b->n_headers - 1;
	sum->confirmations = (uint32_t)b->n_headers;
	memcpy(sum->owner, b->steps[b->n_steps - 1].to, 20);
	return true;
}

/* ---- the report ---- */

void proof_put_fmt(struct buf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_put(b, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void proof_addr(char out[ADDRESS_MAX_LEN], const struct chain_params *p, const uint8_t h[20])
{
	if (address_encode(out, ADDRESS_MAX_LEN, p->hrp, h) != 0)
		snprintf(out, ADDRESS_MAX_LEN, "?");
}

static void addr_of(char out[ADDRESS_MAX_LEN], const struct proof_bundle *b, const uint8_t h[20])
{
	proof_addr(out, b->p, h);
}

void proof_utc(char out[32], uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "%llu", (unsigned long long)t);
}

void proof_put_metadata(struct buf *b, const struct txout *o)
{
	bool text = o->meta_len > 0;
	for (size_t i = 0; i < o->meta_len && text; i++)
		text = o->meta[i] >= 0x20 && o->meta[i] < 0x7f;
	if (text) {
		proof_put_fmt(b, "     metadata: \"%.*s\"\n", (int)o->meta_len, (const char *)o->meta);
	} else if (o->meta_len) {
		char *h = hex_alloc(o->meta, o->meta_len);
		proof_put_fmt(b, "     metadata (hex): %s\n", h ? h : "?");
		free(h);
	}
}

static void put_step(struct buf *out, const struct proof_bundle *b, const struct proof_step *s, size_t k,
		     uint32_t tip_height)
{
	char to[ADDRESS_MAX_LEN], from[ADDRESS_MAX_LEN], txid[65], block[65], when[32];
	const struct block_header *h = &b->headers[s->height - b->steps[0].height];
	addr_of(to, b, s->to);
	hex_encode(txid, s->tx.txid, 32);
	hex_encode(block, s->block, 32);
	proof_utc(when, h->time);
	if (s->has_from) {
		addr_of(from, b, s->from);
		proof_put_fmt(out, "%3zu. transferred from %s\n     to %s\n", k + 1, from, to);
	} else {
		proof_put_fmt(out, "%3zu. registered to %s\n", k + 1, to);
	}
	proof_put_fmt(out, "     tx %s\n     block %s\n     height %u, %s, %u confirmations\n", txid, block, s->height,
		when, tip_height - s->height + 1);
	if (!s->has_from)
		proof_put_metadata(out, &s->tx.out[s->out]);
}

char *proof_asset_report(const struct proof_bundle *b, const struct proof_summary *sum)
{
	struct buf out = BUF_INIT;
	char id[65], owner[ADDRESS_MAX_LEN], work[U256_HEX_LEN + 1], tip[65];
	const char *w;
	hex_encode(id, b->asset, 32);
	hex_encode(tip, b->tip, 32);
	addr_of(owner, b, sum->owner);
	u256_hex(work, &sum->work);
	for (w = work; *w == '0' && w[1]; w++)
		;
	proof_put_fmt(&out, "asset %s on %s\ncustody history, oldest first:\n", id, b->p->name);
	for (size_t k = 0; k < b->n_steps; k++)
		put_step(&out, b, &b->steps[k], k, sum->tip_height);
	proof_put_fmt(&out, "current owner: %s\n", owner);
	proof_put_fmt(&out, "tip: %s (height %u)\n", tip, sum->tip_height);
	proof_put_fmt(&out, "proof valid: %u confirmations, cumulative work 0x%s\n", sum->confirmations, w);
	buf_u8(&out, 0);
	if (!buf_ok(&out)) {
		buf_release(&out);
		return NULL;
	}
	size_t len;
	return (char *)buf_take(&out, &len);
}
