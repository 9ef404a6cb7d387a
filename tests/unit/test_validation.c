/* One test per consensus rule: each violation is refused with its exact
 * reject string and verdict class, leaves the tip and the unspent set as
 * they were, and a valid block still connects afterwards. Boundaries are
 * tested on both sides (coinbase maturity, lock times, the clock, block
 * size, subsidy). The context-free and input rules are also called
 * directly on hand-built structures. */
#include "tests/unit/chain_fixture.h"

#include "chain/history.h"
#include "chain/pow.h"
#include "chain/smt.h"

static struct fixture *F;

static int setup(void **state)
{
	(void)state;
	F = fix_new();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fix_free(F);
	F = NULL;
	return 0;
}

/* --- checking verdicts and the state around them --- */

static void assert_verdict(const struct verdict *v, const char *reason, enum vresult r)
{
	if (strcmp(v->reason, reason) != 0 || v->result != r)
		fail_msg("got '%s' (%s: %s), want '%s' (%s)", v->reason, verdict_result_name(v->result), v->debug,
			 reason, verdict_result_name(r));
}

struct snap {
	struct block_index *tip;
	struct fix_utxo_digest utxo;
};

static struct snap take_snap(void)
{
	struct snap s = { chainstate_tip(F->cs), fix_utxo(F) };
	return s;
}

static void assert_unchanged(const struct snap *s)
{
	struct fix_utxo_digest now = fix_utxo(F);
	assert_ptr_equal(chainstate_tip(F->cs), s->tip);
	assert_int_equal(now.n, s->utxo.n);
	assert_memory_equal(now.x, s->utxo.x, 32);
}

/* Submits b with the clock at now; it must be refused as said, and change
 * neither the tip nor the unspent set. */
static void reject_at(const struct block *b, uint64_t now, const char *reason, enum vresult r)
{
	struct snap s = take_snap();
	struct verdict v;
	verdict_init(&v);
	assert_false(chainstate_accept_block(F->cs, b, now, SOURCE_PEER, "127.0.0.1:9", &v));
	assert_verdict(&v, reason, r);
	assert_unchanged(&s);
}

static void reject(const struct block *b, const char *reason, enum vresult r)
{
	reject_at(b, F->time + 3600, reason, r);
}

/* b must connect as the new tip. */
static void accept(const struct block *b)
{
	struct verdict v;
	const char *why = fix_accept(F, b, &v);
	if (*why)
		fail_msg("refused: %s (%s)", why, v.debug);
	assert_memory_equal(chainstate_tip(F->cs)->hash, b->hash, 32);
}

/* After a refusal the chain goes on: a valid block on the tip connects. */
static void still_valid(void)
{
	uint32_t h = chainstate_tip(F->cs)->height;
	fix_mine(F, 1, 0);
	assert_int_equal(chainstate_tip(F->cs)->height, h + 1);
}

static void reject_then_valid(const struct block *b, const char *reason, enum vresult r)
{
	reject(b, reason, r);
	still_valid();
}

/* A block on the tip holding txs (fees paid to key 0 by the coinbase). */
static void block_with(struct block *b, const struct tx *txs, size_t n, int64_t fees)
{
	fix_block_on(F, b, NULL, txs, n, fees, 0);
}

/* Mines so that the coinbases of heights 1..n are spendable in the next block. */
static void mature(uint32_t n)
{
	fix_mine(F, (int)(F->p->coinbase_maturity + n - 1), 0);
}

/* Signs every input of tx with signer over the message of network magic. */
static void sign_magic(struct tx *tx, int signer, const uint8_t magic[4])
{
	uint8_t msg[32], aux[32] = { 0 };
	for (size_t i = 0; i < tx->n_in; i++)
		memcpy(tx->in[i].pubkey, F->pk[signer], 32);
	tx_sighash(msg, tx, magic);
	for (size_t i = 0; i < tx->n_in; i++)
		assert_int_equal(key_sign_aux(tx->in[i].sig, F->sk[signer], msg, aux), 0);
	tx_finalize(tx);
}

static void set_asset(struct txout *o, uint8_t id_byte, int owner, const char *meta)
{
	o->kind = TXOUT_ASSET;
	memset(o->asset, id_byte, 32);
	memcpy(o->addr, F->addr[owner], 20);
	assert_int_equal(txout_set_meta(o, (const uint8_t *)meta, strlen(meta)), 0);
}

/* Spends op (50 CRN, key 0's coinbase) into a 49 CRN coin to key 1 and an
 * asset output registering id_byte×32 to key owner: 1 CRN fee. */
static void register_tx(struct tx *tx, const struct outpoint *op, uint8_t id_byte, int owner)
{
	fix_spend(F, tx, op, 49 * COIN, 0, 1);
	assert_int_equal(tx_resize(tx, 1, 2), 0);
	set_asset(&tx->out[1], id_byte, owner, "sha256 of a deed");
	fix_sign(F, tx, 0);
}

static struct outpoint outpoint_of(const struct tx *tx, uint32_t index)
{
	struct outpoint op;
	memcpy(op.txid, tx->txid, 32);
	op.index = index;
	return op;
}

/* --- context-free transaction rules: one table, checked directly by
 * tx_check and inside a block submitted to the chainstate --- */

static void set_inputs(struct tx *tx, size_t n)
{
	assert_int_equal(tx_resize(tx, n, tx->n_out), 0);
	for (size_t i = 0; i < n; i++) {
		memset(tx->in[i].prev.txid, 0x42, 32);
		tx->in[i].prev.index = (uint32_t)i;
	}
}

/* Two inputs, two coin outputs: valid as far as tx_check can tell. */
static void base_tx(struct tx *tx)
{
	tx_init(tx);
	assert_int_equal(tx_resize(tx, 2, 2), 0);
	set_inputs(tx, 2);
	tx->out[0].value = 1 * COIN;
	memcpy(tx->out[0].addr, F->addr[1], 20);
	tx->out[1].value = 2 * COIN;
	memcpy(tx->out[1].addr, F->addr[2], 20);
	tx_finalize(tx);
}

static void base_coinbase(struct tx *tx, uint32_t height)
{
	tx_init(tx);
	assert_int_equal(tx_resize(tx, 1, 1), 0);
	tx->in[0].prev.index = height;
	tx->out[0].value = 50 * COIN;
	memcpy(tx->out[0].addr, F->addr[0], 20);
	tx_finalize(tx);
}

static void m_vin_empty(struct tx *tx)
{
	assert_int_equal(tx_resize(tx, 0, tx->n_out), 0);
}

static void m_vout_empty(struct tx *tx)
{
	assert_int_equal(tx_resize(tx, tx->n_in, 0), 0);
}

/* The most outputs a transaction may hold in memory: 68,965 × 29 bytes
 * and the frame pass 2,000,000. */
static void m_oversize(struct tx *tx)
{
	assert_int_equal(tx_resize(tx, tx->n_in, TX_MAX_OUTPUTS), 0);
}

static void m_vout_negative(struct tx *tx)
{
	tx->out[1].value = -1;
}

static void m_vout_toolarge(struct tx *tx)
{
	tx->out[1].value = MAX_MONEY + 1;
}

static void m_outtotal(struct tx *tx)
{
	tx->out[0].value = MAX_MONEY;
	tx->out[1].value = 1;
}

static void m_vout_kind(struct tx *tx)
{
	tx->out[1].kind = 2;
}

/* 257 bytes of metadata: the parser never builds this, memory can. */
static void m_asset_meta(struct tx *tx)
{
	set_asset(&tx->out[1], 0x31, 2, "");
	assert_non_null(tx->out[1].meta = calloc(TX_META_MAX + 1, 1));
	tx->out[1].meta_len = TX_META_MAX + 1;
}

static void m_asset_multi(struct tx *tx)
{
	set_asset(&tx->out[0], 0x32, 1, "one");
	set_asset(&tx->out[1], 0x32, 2, "two");
}

static void m_dup_2(struct tx *tx)
{
	tx->in[1].prev = tx->in[0].prev;
}

/* 15 inputs: the largest list checked pairwise. */
static void m_dup_15(struct tx *tx)
{
	set_inputs(tx, 15);
	tx->in[14].prev = tx->in[7].prev;
}

/* 16 inputs: the smallest list checked through the hash set. */
static void m_dup_16(struct tx *tx)
{
	set_inputs(tx, 16);
	tx->in[15].prev = tx->in[0].prev;
}

static void m_dup_500(struct tx *tx)
{
	set_inputs(tx, 500);
	tx->in[499].prev = tx->in[250].prev;
}

/* Two inputs, one of them null: not a coinbase (that has exactly one). */
static void m_prevout_null(struct tx *tx)
{
	memset(tx->in[1].prev.txid, 0, 32);
}

static void m_cb_asset(struct tx *tx)
{
	tx->out[0].kind = TXOUT_ASSET;
	memset(tx->out[0].asset, 0x33, 32);
}

struct tx_case {
	const char *name;
	void (*mutate)(struct tx *tx);
	bool coinbase;          /* mutates the coinbase rather than a spend */
	const char *reason;     /* from tx_check */
	const char *blk_reason; /* from the chainstate, when it differs */
	enum vresult blk_result;
};

static const struct tx_case tx_cases[] = {
	{ "bad-txns-vin-empty", m_vin_empty, false, "bad-txns-vin-empty", NULL, VR_CONSENSUS },
	{ "bad-txns-vout-empty", m_vout_empty, false, "bad-txns-vout-empty", NULL, VR_CONSENSUS },
	/* A block holding it is over the block limit first. */
	{ "bad-txns-oversize", m_oversize, false, "bad-txns-oversize", "bad-blk-length", VR_CONSENSUS },
	{ "bad-txns-vout-negative", m_vout_negative, false, "bad-txns-vout-negative", NULL, VR_CONSENSUS },
	{ "bad-txns-vout-toolarge", m_vout_toolarge, false, "bad-txns-vout-toolarge", NULL, VR_CONSENSUS },
	{ "bad-txns-txouttotal-toolarge", m_outtotal, false, "bad-txns-txouttotal-toolarge", NULL, VR_CONSENSUS },
	{ "bad-txns-vout-kind", m_vout_kind, false, "bad-txns-vout-kind", NULL, VR_CONSENSUS },
	{ "bad-asset-metadata", m_asset_meta, false, "bad-asset-metadata", NULL, VR_CONSENSUS },
	{ "bad-asset-multiple-outputs", m_asset_multi, false, "bad-asset-multiple-outputs", NULL, VR_CONSENSUS },
	{ "bad-txns-inputs-duplicate/2", m_dup_2, false, "bad-txns-inputs-duplicate", NULL, VR_CONSENSUS },
	{ "bad-txns-inputs-duplicate/15", m_dup_15, false, "bad-txns-inputs-duplicate", NULL, VR_CONSENSUS },
	{ "bad-txns-inputs-duplicate/16", m_dup_16, false, "bad-txns-inputs-duplicate", NULL, VR_CONSENSUS },
	{ "bad-txns-inputs-duplicate/500", m_dup_500, false, "bad-txns-inputs-duplicate", NULL, VR_CONSENSUS },
	{ "bad-txns-prevout-null", m_prevout_null, false, "bad-txns-prevout-null", NULL, VR_CONSENSUS },
	{ "bad-cb-asset", m_cb_asset, true, "bad-cb-asset", NULL, VR_CONSENSUS },
};
#define N_TX_CASES (sizeof(tx_cases) / sizeof(tx_cases[0]))

static void test_tx_case(void **state)
{
	const struct tx_case *c = *state;
	struct tx tx, spend;
	struct verdict v;
	struct block b;
	uint32_t height = chainstate_tip(F->cs)->height + 1;

	/* Directly: the unmutated transaction passes, the mutated one fails. */
	if (c->coinbase)
		base_coinbase(&tx, height);
	else
		base_tx(&tx);
	verdict_init(&v);
	assert_true(tx_check(&tx, &v));
	c->mutate(&tx);
	tx_finalize(&tx);
	verdict_init(&v);
	assert_false(tx_check(&tx, &v));
	assert_verdict(&v, c->reason, VR_CONSENSUS);
	tx_release(&tx);

	/* In a block: the same change made to a block's transaction. */
	base_tx(&spend);
	block_with(&b, &spend, 1, 0);
	struct tx *t = &b.txs[c->coinbase ? 0 : 1];
	c->mutate(t);
	tx_finalize(t);
	fix_resolve(&b);
	reject_then_valid(&b, c->blk_reason ? c->blk_reason : c->reason, c->blk_result);
	tx_release(&spend);
	block_release(&b);
}

/* The limits themselves are allowed: the edges of the table above. */
static void test_tx_check_limits_pass(void **state)
{
	(void)state;
	struct tx tx;
	struct verdict v;
	verdict_init(&v);
	base_tx(&tx);
	tx.out[0].value = MAX_MONEY;
	tx.out[1].value = 0;
	assert_true(tx_check(&tx, &v));
	assert_int_equal(tx_resize(&tx, 2, 20000), 0); /* about 580 kB */
	assert_true(tx_check(&tx, &v));
	assert_int_equal(tx_resize(&tx, 2, 2), 0);
	set_asset(&tx.out[1], 0x34, 2, "");
	uint8_t meta[TX_META_MAX];
	memset(meta, 'm', sizeof(meta));
	assert_int_equal(txout_set_meta(&tx.out[1], meta, sizeof(meta)), 0);
	set_asset(&tx.out[0], 0x35, 2, "another asset");
	assert_true(tx_check(&tx, &v));
	/* Same txid, different index: no duplicate, in either path. */
	for (size_t n = 15; n <= 16; n++) {
		set_inputs(&tx, n);
		assert_true(tx_check(&tx, &v));
	}
	/* A one-input transaction with a null outpoint is a coinbase. */
	set_inputs(&tx, 1);
	memset(tx.in[0].prev.txid, 0, 32);
	assert_true(tx_is_coinbase(&tx));
	verdict_init(&v);
	assert_false(tx_check(&tx, &v)); /* ...and a coinbase carries no assets */
	assert_verdict(&v, "bad-cb-asset", VR_CONSENSUS);
	tx_release(&tx);
}

/* --- block_check on hand-built blocks --- */

/* A block at height 1 on the regtest genesis: one coinbase plus extra
 * copies of a base spend, solved. */
static void hand_block(struct block *b, size_t n_extra)
{
	block_init(b);
	assert_int_equal(block_resize(b, 1 + n_extra), 0);
	tx_release(&b->txs[0]);
	base_coinbase(&b->txs[0], 1);
	for (size_t i = 1; i <= n_extra; i++) {
		tx_release(&b->txs[i]);
		base_tx(&b->txs[i]);
		b->txs[i].out[0].value += (int64_t)i; /* distinct txids */
		tx_finalize(&b->txs[i]);
	}
	b->header.version = 1;
	memcpy(b->header.prev, F->p->genesis_hash, 32);
	b->header.time = F->p->genesis_time + 60;
	b->header.bits = F->p->pow.limit_bits;
	fix_resolve(b);
}

static void expect_block_check(const struct block *b, const char *reason, enum vresult r)
{
	struct verdict v;
	verdict_init(&v);
	assert_false(block_check(b, F->p, &v));
	assert_verdict(&v, reason, r);
}

static void test_block_check_direct(void **state)
{
	(void)state;
	struct block b;
	struct verdict v;
	struct tx tmp;

	hand_block(&b, 2);
	verdict_init(&v);
	assert_true(block_check(&b, F->p, &v));

	/* high-hash: a nonce whose hash is above the target. */
	do {
		b.header.nonce++;
		block_finalize(&b);
	} while (pow_check(b.hash, b.header.bits, F->p->pow.limit_bits));
	expect_block_check(&b, "high-hash", VR_INVALID_HEADER);
	/* Bits easier than the network's limit are never a usable target. */
	b.header.bits = 0x2100ffff;
	block_finalize(&b);
	expect_block_check(&b, "high-hash", VR_INVALID_HEADER);
	b.header.bits = F->p->pow.limit_bits;
	fix_resolve(&b);

	/* bad-blk-merkle: a transaction changed under a solved header. */
	b.txs[1].out[0].value--;
	tx_finalize(&b.txs[1]);
	expect_block_check(&b, "bad-blk-merkle", VR_MUTATED);
	b.txs[1].out[0].value++;
	tx_finalize(&b.txs[1]);
	assert_true(block_check(&b, F->p, &v));

	/* bad-txns-duplicate: the same transaction twice (its own root, so
	 * the header commits to the duplicate). */
	tx_release(&b.txs[2]);
	assert_int_equal(tx_copy(&b.txs[2], &b.txs[1]), 0);
	fix_resolve(&b);
	expect_block_check(&b, "bad-txns-duplicate", VR_CONSENSUS);

	/* bad-cb-multiple: a second coinbase-shaped transaction. */
	tx_release(&b.txs[2]);
	base_coinbase(&b.txs[2], 1);
	b.txs[2].out[0].value = 1;
	tx_finalize(&b.txs[2]);
	fix_resolve(&b);
	expect_block_check(&b, "bad-cb-multiple", VR_CONSENSUS);

	/* bad-cb-missing: the coinbase is not first. */
	tmp = b.txs[0];
	b.txs[0] = b.txs[1];
	b.txs[1] = tmp;
	fix_resolve(&b);
	expect_block_check(&b, "bad-cb-missing", VR_CONSENSUS);
	block_release(&b);

	/* A transaction's own rule comes out with its own reason. */
	hand_block(&b, 1);
	b.txs[1].out[1].value = -5;
	tx_finalize(&b.txs[1]);
	fix_resolve(&b);
	expect_block_check(&b, "bad-txns-vout-negative", VR_CONSENSUS);
	block_release(&b);

	/* No transactions at all. */
	hand_block(&b, 0);
	tx_release(&b.txs[0]);
	b.n_tx = 0;
	fix_resolve(&b);
	expect_block_check(&b, "bad-blk-length", VR_CONSENSUS);
	block_release(&b);
}

/* --- block rules through the chainstate --- */

static void test_high_hash(void **state)
{
	(void)state;
	struct block b;
	fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
	do {
		b.header.nonce++;
		block_finalize(&b);
	} while (pow_check(b.hash, b.header.bits, F->p->pow.limit_bits));
	reject_then_valid(&b, "high-hash", VR_INVALID_HEADER);
	assert_null(chainstate_lookup(F->cs, b.hash)); /* never entered the index */
	block_release(&b);
}

/* A body that does not match its header is the messenger's fault: the
 * header stays unjudged, and the true body is accepted afterwards. */
static void test_bad_merkle(void **state)
{
	(void)state;
	struct block b;
	fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
	b.txs[0].out[0].value--;
	tx_finalize(&b.txs[0]);
	reject(&b, "bad-blk-merkle", VR_MUTATED);
	struct block_index *bi = chainstate_lookup(F->cs, b.hash);
	assert_non_null(bi);
	assert_false(index_failed(bi));
	b.txs[0].out[0].value++;
	tx_finalize(&b.txs[0]);
	accept(&b);
	block_release(&b);
}

/* A block of exactly 2,000,000 bytes is accepted, one byte more is not.
 * The size is set with an asset's metadata length next to ~69,000 coin
 * outputs in one transaction. */
static void big_spend(struct tx *tx, const struct outpoint *op, size_t n_coins, size_t meta_len)
{
	static uint8_t meta[TX_META_MAX];
	fix_spend(F, tx, op, 50 * COIN, 0, 1);
	assert_int_equal(tx_resize(tx, 1, n_coins + 1), 0);
	for (size_t i = 1; i < n_coins; i++)
		memcpy(tx->out[i].addr, F->addr[2], 20);
	set_asset(&tx->out[n_coins], 0x36, 2, "");
	assert_int_equal(txout_set_meta(&tx->out[n_coins], meta, meta_len), 0);
	fix_sign(F, tx, 0);
}

static void test_block_length(void **state)
{
	(void)state;
	struct tx tx;
	struct block b;
	mature(1);
	struct outpoint op = fix_cb_outpoint(F, 1);
	const size_t n = 68947;
	big_spend(&tx, &op, n, 0);
	block_with(&b, &tx, 1, 0);
	assert_true(b.size <= BLOCK_MAX_SIZE);
	size_t gap = BLOCK_MAX_SIZE - b.size;
	assert_true(gap < 253); /* the metadata length stays a one-byte varint */
	tx_release(&tx);
	block_release(&b);

	big_spend(&tx, &op, n, gap + 1);
	block_with(&b, &tx, 1, 0);
	assert_int_equal(b.size, BLOCK_MAX_SIZE + 1);
	reject_then_valid(&b, "bad-blk-length", VR_CONSENSUS);
	tx_release(&tx);
	block_release(&b);

	big_spend(&tx, &op, n, gap);
	block_with(&b, &tx, 1, 0);
	assert_int_equal(b.size, BLOCK_MAX_SIZE);
	accept(&b);
	tx_release(&tx);
	block_release(&b);
}

/* Rules a block's body breaks while its header is fine: the header is
 * marked invalid, so the same block comes back as duplicate-invalid. */
static void reject_body(struct block *b, const char *reason)
{
	reject(b, reason, VR_CONSENSUS);
	struct block_index *bi = chainstate_lookup(F->cs, b->hash);
	assert_non_null(bi);
	assert_true(index_failed(bi));
	reject(b, "duplicate-invalid", VR_CACHED_INVALID);
	still_valid();
}

static void test_cb_missing_multiple_duplicate(void **state)
{
	(void)state;
	struct block b;
	struct tx tmp, spend;
	mature(1);
	struct outpoint op = fix_cb_outpoint(F, 1);
	fix_spend(F, &spend, &op, 50 * COIN, 0, 1);

	block_with(&b, &spend, 1, 0);
	tmp = b.txs[0];
	b.txs[0] = b.txs[1];
	b.txs[1] = tmp;
	fix_resolve(&b);
	reject_body(&b, "bad-cb-missing");
	block_release(&b);

	block_with(&b, &spend, 1, 0);
	tx_release(&b.txs[1]);
	assert_int_equal(tx_copy(&b.txs[1], &b.txs[0]), 0);
	b.txs[1].out[0].value = 1;
	tx_finalize(&b.txs[1]);
	fix_resolve(&b);
	reject_body(&b, "bad-cb-multiple");
	block_release(&b);

	struct tx two[2] = { spend, spend };
	block_with(&b, two, 2, 0);
	reject_body(&b, "bad-txns-duplicate");
	block_release(&b);

	block_with(&b, &spend, 1, 0);
	accept(&b);
	block_release(&b);
	tx_release(&spend);
}

static void test_bad_version(void **state)
{
	(void)state;
	struct block b;
	fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
	b.header.version = 0;
	fix_resolve(&b);
	reject_then_valid(&b, "bad-version", VR_CONSENSUS);
	assert_null(chainstate_lookup(F->cs, b.hash));
	block_release(&b);
	/* Any version from 1 up is accepted. */
	fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
	b.header.version = 0xffffffffu;
	fix_resolve(&b);
	accept(&b);
	block_release(&b);
}

static void test_bad_diffbits(void **state)
{
	(void)state;
	struct block b;
	/* Harder than required is as wrong as easier: bits must be exact. */
	fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
	b.header.bits = F->p->pow.limit_bits - 1;
	fix_resolve(&b);
	reject_then_valid(&b, "bad-diffbits", VR_INVALID_HEADER);
	assert_null(chainstate_lookup(F->cs, b.hash));
	block_release(&b);
}

/* The time must be above the median of the previous 11 blocks, not the
 * parent's: a block older than its parent is fine. */
static void test_time_too_old(void **state)
{
	(void)state;
	struct block b;
	fix_mine(F, 11, 0);
	struct block_index *tip = chainstate_tip(F->cs);
	uint64_t mtp = index_median_time(tip);
	assert_true(mtp < tip->header.time - 1);

	fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
	b.header.time = mtp;
	fix_resolve(&b);
	reject_then_valid(&b, "time-too-old", VR_CONSENSUS);
	assert_null(chainstate_lookup(F->cs, b.hash));
	block_release(&b);

	mtp = index_median_time(chainstate_tip(F->cs));
	fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
	b.header.time = mtp + 1;
	fix_resolve(&b);
	assert_true(b.header.time < chainstate_tip(F->cs)->header.time);
	accept(&b);
	block_release(&b);
}

/* At most two hours ahead of the clock the caller passes: now + 7200 is
 * accepted, now + 7201 refused as "future", which is not an offence and
 * not remembered, so the same block is accepted once the clock moves. */
static void test_time_too_new(void **state)
{
	(void)state;
	struct block b;
	fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
	uint64_t t = b.header.time;
	reject_at(&b, t - MAX_FUTURE_BLOCK_TIME - 1, "time-too-new", VR_TIME_FUTURE);
	assert_null(chainstate_lookup(F->cs, b.hash));
	struct verdict v;
	verdict_init(&v);
	assert_true(chainstate_accept_block(F->cs, &b, t - MAX_FUTURE_BLOCK_TIME, SOURCE_PEER, NULL, &v));
	assert_memory_equal(chainstate_tip(F->cs)->hash, b.hash, 32);
	block_release(&b);
	still_valid();
}

static void test_bad_cb_height(void **state)
{
	(void)state;
	struct block b;
	fix_mine(F, 3, 0);
	for (int delta = -1; delta <= 1; delta += 2) {
		fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
		b.txs[0].in[0].prev.index = (uint32_t)((int)b.txs[0].in[0].prev.index + delta);
		tx_finalize(&b.txs[0]);
		fix_resolve(&b);
		reject_body(&b, "bad-cb-height");
		block_release(&b);
	}
}

/* A block at height h holding a transaction with lock time lt. */
static void lock_block(struct block *b, struct tx *tx, uint32_t cb_height, uint32_t lt)
{
	struct outpoint op = fix_cb_outpoint(F, cb_height);
	fix_spend(F, tx, &op, 50 * COIN, 0, 1);
	tx->lock_time = lt;
	fix_sign(F, tx, 0);
	block_with(b, tx, 1, 0);
}

/* Height lock times (< 500,000,000) are final in a block above them; time
 * lock times are final once below the median time past of the parent,
 * not the block's own time. */
static void test_nonfinal(void **state)
{
	(void)state;
	struct block b;
	struct tx tx;
	mature(6);
	uint32_t h = chainstate_tip(F->cs)->height + 1;

	lock_block(&b, &tx, 1, h);
	reject_body(&b, "bad-txns-nonfinal");
	tx_release(&tx);
	block_release(&b);
	h++;
	lock_block(&b, &tx, 1, h - 1);
	accept(&b);
	tx_release(&tx);
	block_release(&b);

	/* The largest height lock time is still a height. */
	lock_block(&b, &tx, 2, LOCKTIME_THRESHOLD - 1);
	reject_body(&b, "bad-txns-nonfinal");
	tx_release(&tx);
	block_release(&b);
	/* The smallest time lock time is a time, long past. */
	lock_block(&b, &tx, 2, LOCKTIME_THRESHOLD);
	accept(&b);
	tx_release(&tx);
	block_release(&b);

	uint64_t mtp = index_median_time(chainstate_tip(F->cs));
	lock_block(&b, &tx, 3, (uint32_t)mtp);
	reject_body(&b, "bad-txns-nonfinal");
	tx_release(&tx);
	block_release(&b);
	/* Below the block's own time, yet not below the median: not final. */
	mtp = index_median_time(chainstate_tip(F->cs));
	lock_block(&b, &tx, 3, (uint32_t)(F->time - 1));
	assert_true(tx.lock_time < b.header.time && tx.lock_time >= mtp);
	reject_body(&b, "bad-txns-nonfinal");
	tx_release(&tx);
	block_release(&b);
	mtp = index_median_time(chainstate_tip(F->cs));
	lock_block(&b, &tx, 3, (uint32_t)mtp - 1);
	accept(&b);
	tx_release(&tx);
	block_release(&b);
}

static void test_prev_not_found(void **state)
{
	(void)state;
	struct block b;
	fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
	memset(b.header.prev, 0x5a, 32);
	fix_resolve(&b);
	reject_then_valid(&b, "prev-blk-not-found", VR_MISSING_PREV);
	assert_null(chainstate_lookup(F->cs, b.hash));
	block_release(&b);
}

/* Building on a block invalidated by hand, or on one that failed to
 * connect; and those blocks themselves come back as duplicate-invalid. */
static void test_bad_prevblk_and_duplicates(void **state)
{
	(void)state;
	char err[ERR_LEN];
	struct block b1, b2;
	fix_mine(F, 2, 0);

	fix_block_on(F, &b1, NULL, NULL, 0, 0, 0);
	accept(&b1);
	reject(&b1, "duplicate", VR_DUPLICATE);
	struct block_index *bi1 = chainstate_lookup(F->cs, b1.hash);
	assert_int_equal(chainstate_invalidate(F->cs, bi1, err), 0);
	fix_block_on(F, &b2, bi1, NULL, 0, 0, 0);
	reject(&b2, "bad-prevblk", VR_INVALID_PREV);
	reject(&b1, "duplicate-invalid", VR_CACHED_INVALID);
	still_valid();
	block_release(&b1);
	block_release(&b2);

	/* b1 claims one unit too many: stored, fails to connect, marked. */
	fix_block_on(F, &b1, NULL, NULL, 0, 1, 0);
	reject(&b1, "bad-cb-amount", VR_CONSENSUS);
	bi1 = chainstate_lookup(F->cs, b1.hash);
	assert_true(bi1->status & BLOCK_HAVE_DATA);
	assert_true(index_failed(bi1));
	reject(&b1, "duplicate-invalid", VR_CACHED_INVALID);
	fix_block_on(F, &b2, bi1, NULL, 0, 0, 0);
	reject(&b2, "bad-prevblk", VR_INVALID_PREV);
	still_valid();
	block_release(&b1);
	block_release(&b2);
}

/* --- inputs --- */

static void test_missing_or_spent(void **state)
{
	(void)state;
	struct block b;
	struct tx tx[2];
	mature(3);

	struct outpoint unknown = { .index = 0 };
	memset(unknown.txid, 0x77, 32);
	fix_spend(F, &tx[0], &unknown, 1 * COIN, 0, 1);
	block_with(&b, tx, 1, 0);
	reject_then_valid(&b, "bad-txns-inputs-missingorspent", VR_MISSING_INPUTS);
	tx_release(&tx[0]);
	block_release(&b);

	/* Spent in an earlier block. */
	struct outpoint op = fix_cb_outpoint(F, 1);
	fix_spend(F, &tx[0], &op, 50 * COIN, 0, 1);
	block_with(&b, tx, 1, 0);
	accept(&b);
	block_release(&b);
	fix_spend(F, &tx[1], &op, 50 * COIN, 0, 2);
	block_with(&b, &tx[1], 1, 0);
	reject_then_valid(&b, "bad-txns-inputs-missingorspent", VR_MISSING_INPUTS);
	tx_release(&tx[0]);
	tx_release(&tx[1]);
	block_release(&b);

	/* Spent twice in one block by two transactions: the first spend's
	 * changes are dropped with the block. */
	op = fix_cb_outpoint(F, 2);
	fix_spend(F, &tx[0], &op, 50 * COIN, 0, 1);
	fix_spend(F, &tx[1], &op, 50 * COIN, 0, 2);
	block_with(&b, tx, 2, 0);
	reject_then_valid(&b, "bad-txns-inputs-missingorspent", VR_MISSING_INPUTS);
	block_release(&b);
	block_with(&b, tx, 1, 0);
	accept(&b);
	tx_release(&tx[0]);
	tx_release(&tx[1]);
	block_release(&b);

	/* Spending an output that a later transaction of the block creates:
	 * transactions connect in block order. */
	op = fix_cb_outpoint(F, 3);
	fix_spend(F, &tx[1], &op, 50 * COIN, 0, 1);
	struct outpoint later = outpoint_of(&tx[1], 0);
	fix_spend(F, &tx[0], &later, 50 * COIN, 1, 2);
	block_with(&b, tx, 2, 0);
	reject_then_valid(&b, "bad-txns-inputs-missingorspent", VR_MISSING_INPUTS);
	block_release(&b);
	struct tx ordered[2] = { tx[1], tx[0] };
	block_with(&b, ordered, 2, 0);
	accept(&b);
	tx_release(&tx[0]);
	tx_release(&tx[1]);
	block_release(&b);
}

/* A coinbase of height c is spendable in a block at height c + 100 (its
 * depth, height - c, must reach the maturity), not at c + 99. */
static void test_coinbase_maturity(void **state)
{
	(void)state;
	struct block b;
	struct tx tx;
	struct outpoint op1, op2;
	fix_mine(F, 99, 0);
	op1 = fix_cb_outpoint(F, 1);
	op2 = fix_cb_outpoint(F, 2);

	fix_spend(F, &tx, &op1, 50 * COIN, 0, 1);
	block_with(&b, &tx, 1, 0); /* height 100: depth 99 */
	assert_int_equal(chainstate_tip(F->cs)->height + 1, 100);
	reject_then_valid(&b, "bad-txns-premature-spend-of-coinbase", VR_PREMATURE);
	block_release(&b);
	tx_release(&tx);

	fix_spend(F, &tx, &op2, 50 * COIN, 0, 1);
	block_with(&b, &tx, 1, 0); /* height 101: depth 99 for the coinbase of 2 */
	reject(&b, "bad-txns-premature-spend-of-coinbase", VR_PREMATURE);
	block_release(&b);
	tx_release(&tx);

	fix_spend(F, &tx, &op1, 50 * COIN, 0, 1);
	block_with(&b, &tx, 1, 0); /* height 101: depth 100 */
	accept(&b);
	assert_int_equal(chainstate_tip(F->cs)->height, 101);
	block_release(&b);
	tx_release(&tx);

	/* A transaction's own outputs are not coinbases: spendable at once. */
	struct outpoint mid = { .index = 0 };
	struct tx two[2];
	op2 = fix_cb_outpoint(F, 2);
	fix_spend(F, &two[0], &op2, 50 * COIN, 0, 1);
	mid = outpoint_of(&two[0], 0);
	fix_spend(F, &two[1], &mid, 50 * COIN, 1, 2);
	block_with(&b, two, 2, 0);
	accept(&b);
	tx_release(&two[0]);
	tx_release(&two[1]);
	block_release(&b);

	/* A block's own coinbase, at depth 0. The coinbase does not depend on
	 * the other transactions (no fees here), so it is known in advance. */
	block_with(&b, NULL, 0, 0);
	struct outpoint own = outpoint_of(&b.txs[0], 0);
	block_release(&b);
	fix_spend(F, &tx, &own, 50 * COIN, 0, 1);
	block_with(&b, &tx, 1, 0);
	assert_memory_equal(b.txs[0].txid, own.txid, 32);
	reject_then_valid(&b, "bad-txns-premature-spend-of-coinbase", VR_PREMATURE);
	block_release(&b);
	tx_release(&tx);
}

static void test_pubkey_mismatch(void **state)
{
	(void)state;
	struct block b;
	struct tx tx;
	mature(1);
	struct outpoint op = fix_cb_outpoint(F, 1);
	fix_spend(F, &tx, &op, 50 * COIN, 1, 1); /* key 1 signs for key 0's coin */
	block_with(&b, &tx, 1, 0);
	reject_then_valid(&b, "bad-txns-pubkey-mismatch", VR_CONSENSUS);
	tx_release(&tx);
	block_release(&b);
}

static void test_bad_sig(void **state)
{
	(void)state;
	struct block b;
	struct tx tx, other;
	mature(1);
	struct outpoint op = fix_cb_outpoint(F, 1);

	/* A corrupted signature. */
	fix_spend(F, &tx, &op, 50 * COIN, 0, 1);
	tx.in[0].sig[10] ^= 0x01;
	tx_finalize(&tx);
	block_with(&b, &tx, 1, 0);
	reject_then_valid(&b, "bad-txns-sig", VR_CONSENSUS);
	tx_release(&tx);
	block_release(&b);

	/* The right key's valid signature, over another transaction. */
	fix_spend(F, &other, &op, 49 * COIN, 0, 1);
	fix_spend(F, &tx, &op, 48 * COIN, 0, 1);
	memcpy(tx.in[0].sig, other.in[0].sig, 64);
	tx_finalize(&tx);
	block_with(&b, &tx, 1, 2 * COIN);
	reject_then_valid(&b, "bad-txns-sig", VR_CONSENSUS);
	tx_release(&tx);
	tx_release(&other);
	block_release(&b);

	/* Signed for main, replayed on regtest. */
	fix_spend(F, &tx, &op, 50 * COIN, 0, 1);
	sign_magic(&tx, 0, params_get(NET_MAIN)->magic);
	block_with(&b, &tx, 1, 0);
	reject_then_valid(&b, "bad-txns-sig", VR_CONSENSUS);
	tx_release(&tx);
	block_release(&b);

	/* The second input of two is the bad one. */
	struct outpoint op2 = fix_cb_outpoint(F, 2);
	fix_spend(F, &tx, &op, 100 * COIN, 0, 1);
	assert_int_equal(tx_resize(&tx, 2, 1), 0);
	tx.in[1].prev = op2;
	fix_sign(F, &tx, 0);
	tx.in[1].sig[63] ^= 0x80;
	tx_finalize(&tx);
	block_with(&b, &tx, 1, 0);
	reject_then_valid(&b, "bad-txns-sig", VR_CONSENSUS);
	fix_sign(F, &tx, 0);
	block_release(&b);
	block_with(&b, &tx, 1, 0);
	accept(&b);
	tx_release(&tx);
	block_release(&b);
}

static void test_in_below_out(void **state)
{
	(void)state;
	struct block b;
	struct tx tx;
	mature(1);
	struct outpoint op = fix_cb_outpoint(F, 1);
	fix_spend(F, &tx, &op, 50 * COIN + 1, 0, 1);
	block_with(&b, &tx, 1, 0);
	reject_then_valid(&b, "bad-txns-in-belowout", VR_CONSENSUS);
	tx_release(&tx);
	block_release(&b);
	fix_spend(F, &tx, &op, 50 * COIN, 0, 1);
	block_with(&b, &tx, 1, 0);
	accept(&b);
	tx_release(&tx);
	block_release(&b);
}

static void test_cb_amount(void **state)
{
	(void)state;
	struct block b;
	struct tx tx;
	mature(2);
	struct outpoint op = fix_cb_outpoint(F, 1);
	fix_spend(F, &tx, &op, 49 * COIN, 0, 1); /* fee: 1 CRN */
	block_with(&b, &tx, 1, 1 * COIN + 1);
	reject_then_valid(&b, "bad-cb-amount", VR_CONSENSUS);
	block_release(&b);
	block_with(&b, &tx, 1, 1 * COIN);
	accept(&b);
	assert_int_equal(b.txs[0].out[0].value, 51 * COIN);
	tx_release(&tx);
	block_release(&b);

	/* Claiming less is allowed: the rest is gone. */
	op = fix_cb_outpoint(F, 2);
	fix_spend(F, &tx, &op, 49 * COIN, 0, 1);
	block_with(&b, &tx, 1, 0);
	accept(&b);
	tx_release(&tx);
	block_release(&b);
}

/* Regtest halves every 150 blocks: 50 CRN up to height 149, 25 at 150. */
static void test_cb_amount_halving(void **state)
{
	(void)state;
	struct block b;
	struct coin c;
	fix_mine(F, 149, 0);
	struct outpoint op = fix_cb_outpoint(F, 149);
	assert_int_equal(chainstate_get_coin(F->cs, &op, &c), 1);
	assert_int_equal(c.out.value, 50 * COIN);
	coin_release(&c);

	fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
	assert_int_equal(b.txs[0].out[0].value, 25 * COIN);
	b.txs[0].out[0].value = 50 * COIN;
	tx_finalize(&b.txs[0]);
	fix_resolve(&b);
	reject(&b, "bad-cb-amount", VR_CONSENSUS);
	block_release(&b);
	fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
	b.txs[0].out[0].value = 25 * COIN + 1;
	tx_finalize(&b.txs[0]);
	fix_resolve(&b);
	reject(&b, "bad-cb-amount", VR_CONSENSUS);
	block_release(&b);
	fix_block_on(F, &b, NULL, NULL, 0, 0, 0);
	accept(&b);
	assert_int_equal(chainstate_tip(F->cs)->height, 150);
	op = fix_cb_outpoint(F, 150);
	assert_int_equal(chainstate_get_coin(F->cs, &op, &c), 1);
	assert_int_equal(c.out.value, 25 * COIN);
	coin_release(&c);
	block_release(&b);
}

/* --- assets --- */

static void test_assets(void **state)
{
	(void)state;
	char err[ERR_LEN];
	struct block b, reg_block;
	struct tx reg, tx[2], xfer;
	struct asset_entry ae;
	uint8_t x[32];
	memset(x, 0xa1, 32);
	mature(6);

	/* Registration. */
	struct outpoint cb1 = fix_cb_outpoint(F, 1);
	register_tx(&reg, &cb1, 0xa1, 2);
	fix_block_on(F, &reg_block, NULL, &reg, 1, 1 * COIN, 0);
	accept(&reg_block);
	assert_int_equal(chainstate_get_asset(F->cs, x, &ae), 1);
	assert_memory_equal(ae.reg.txid, reg.txid, 32);
	assert_int_equal(ae.reg.index, 1);
	assert_memory_equal(&ae.cur, &ae.reg, sizeof(ae.reg));
	assert_int_equal(ae.transfers, 0);

	/* Registering the same id again, in a later block. */
	struct outpoint cb2 = fix_cb_outpoint(F, 2);
	register_tx(&tx[0], &cb2, 0xa1, 3);
	block_with(&b, tx, 1, 1 * COIN);
	reject_then_valid(&b, "bad-asset-duplicate", VR_CONSENSUS);
	tx_release(&tx[0]);
	block_release(&b);

	/* Two registrations of a new id in one block. */
	uint8_t y[32];
	memset(y, 0xb2, 32);
	struct outpoint cb3 = fix_cb_outpoint(F, 3), cb4 = fix_cb_outpoint(F, 4);
	register_tx(&tx[0], &cb3, 0xb2, 2);
	register_tx(&tx[1], &cb4, 0xb2, 3);
	block_with(&b, tx, 2, 2 * COIN);
	reject_then_valid(&b, "bad-asset-duplicate", VR_CONSENSUS);
	assert_int_equal(chainstate_get_asset(F->cs, y, &ae), 0);
	tx_release(&tx[0]);
	tx_release(&tx[1]);
	block_release(&b);

	/* Transfer: key 2 spends the asset output, re-creates it for key 3. */
	struct outpoint asset_op = outpoint_of(&reg, 1);
	fix_spend(F, &xfer, &asset_op, 0, 2, 3);
	set_asset(&xfer.out[0], 0xa1, 3, "sha256 of a deed");
	fix_sign(F, &xfer, 2);
	block_with(&b, &xfer, 1, 0);
	accept(&b);
	assert_int_equal(chainstate_get_asset(F->cs, x, &ae), 1);
	assert_memory_equal(ae.reg.txid, reg.txid, 32);
	assert_memory_equal(ae.cur.txid, xfer.txid, 32);
	assert_int_equal(ae.cur.index, 0);
	assert_int_equal(ae.transfers, 1);
	/* Disconnecting the transfer puts the asset back where it was. */
	struct block_index *xfer_bi = chainstate_lookup(F->cs, b.hash);
	assert_int_equal(chainstate_invalidate(F->cs, xfer_bi, err), 0);
	assert_int_equal(chainstate_get_asset(F->cs, x, &ae), 1);
	assert_memory_equal(&ae.cur, &asset_op, sizeof(asset_op));
	assert_int_equal(ae.transfers, 0);
	assert_int_equal(chainstate_reconsider(F->cs, xfer_bi, err), 0);
	assert_ptr_equal(chainstate_tip(F->cs), xfer_bi);
	assert_int_equal(chainstate_get_asset(F->cs, x, &ae), 1);
	assert_memory_equal(ae.cur.txid, xfer.txid, 32);
	assert_int_equal(ae.transfers, 1);
	block_release(&b);

	/* Spending it without re-creating it: a coin output only, or an
	 * output with another id (which would register that id). */
	struct outpoint now_op = outpoint_of(&xfer, 0);
	fix_spend(F, &tx[0], &now_op, 0, 3, 1);
	block_with(&b, tx, 1, 0);
	reject_then_valid(&b, "bad-asset-missing-output", VR_CONSENSUS);
	tx_release(&tx[0]);
	block_release(&b);
	fix_spend(F, &tx[0], &now_op, 0, 3, 1);
	set_asset(&tx[0].out[0], 0xc3, 1, "");
	fix_sign(F, &tx[0], 3);
	block_with(&b, tx, 1, 0);
	reject_then_valid(&b, "bad-asset-missing-output", VR_CONSENSUS);
	tx_release(&tx[0]);
	block_release(&b);
	/* Two outputs of the transferred id. */
	fix_spend(F, &tx[0], &now_op, 0, 3, 1);
	assert_int_equal(tx_resize(&tx[0], 1, 2), 0);
	set_asset(&tx[0].out[0], 0xa1, 1, "");
	set_asset(&tx[0].out[1], 0xa1, 2, "");
	fix_sign(F, &tx[0], 3);
	block_with(&b, tx, 1, 0);
	reject_then_valid(&b, "bad-asset-multiple-outputs", VR_CONSENSUS);
	tx_release(&tx[0]);
	block_release(&b);

	/* Disconnecting the registration (and the transfer on top of it)
	 * forgets the id: it can be registered again. */
	assert_int_equal(chainstate_invalidate(F->cs, chainstate_lookup(F->cs, reg_block.hash), err), 0);
	assert_int_equal(chainstate_get_asset(F->cs, x, &ae), 0);
	struct outpoint cb5 = fix_cb_outpoint(F, 5);
	register_tx(&tx[0], &cb5, 0xa1, 1);
	block_with(&b, tx, 1, 1 * COIN);
	accept(&b);
	assert_int_equal(chainstate_get_asset(F->cs, x, &ae), 1);
	assert_memory_equal(ae.reg.txid, tx[0].txid, 32);
	assert_int_equal(ae.transfers, 0);
	tx_release(&tx[0]);
	tx_release(&reg);
	tx_release(&xfer);
	block_release(&b);
	block_release(&reg_block);
}

/* Registered and transferred twice inside one block, in order. */
static void test_asset_chain_in_block(void **state)
{
	(void)state;
	struct block b;
	struct tx tx[3];
	struct asset_entry ae;
	uint8_t id[32];
	memset(id, 0xd4, 32);
	mature(1);
	struct outpoint cb1 = fix_cb_outpoint(F, 1);
	register_tx(&tx[0], &cb1, 0xd4, 2);
	struct outpoint a = outpoint_of(&tx[0], 1);
	fix_spend(F, &tx[1], &a, 0, 2, 3);
	set_asset(&tx[1].out[0], 0xd4, 3, "");
	fix_sign(F, &tx[1], 2);
	struct outpoint b1 = outpoint_of(&tx[1], 0);
	fix_spend(F, &tx[2], &b1, 0, 3, 1);
	set_asset(&tx[2].out[0], 0xd4, 1, "");
	fix_sign(F, &tx[2], 3);
	block_with(&b, tx, 3, 1 * COIN);
	accept(&b);
	assert_int_equal(chainstate_get_asset(F->cs, id, &ae), 1);
	assert_memory_equal(ae.reg.txid, tx[0].txid, 32);
	assert_memory_equal(ae.cur.txid, tx[2].txid, 32);
	assert_int_equal(ae.transfers, 2);
	/* Undone newest first, the id is forgotten again. */
	char err[ERR_LEN];
	assert_int_equal(chainstate_invalidate(F->cs, chainstate_lookup(F->cs, b.hash), err), 0);
	assert_int_equal(chainstate_get_asset(F->cs, id, &ae), 0);
	for (int i = 0; i < 3; i++)
		tx_release(&tx[i]);
	block_release(&b);
}

/* --- the input rules called directly, on a view made by hand --- */

struct fake_view {
	struct outpoint ops[3];
	struct coin coins[3];
	size_t n;
	uint8_t known[32]; /* the one registered asset id */
	bool fail_coin, fail_asset;
};

static int fake_get_coin(void *ctx, const struct outpoint *op, struct coin *out)
{
	struct fake_view *fv = ctx;
	coin_init(out);
	if (fv->fail_coin)
		return -1;
	for (size_t i = 0; i < fv->n; i++)
		if (memcmp(fv->ops[i].txid, op->txid, 32) == 0 && fv->ops[i].index == op->index)
			return coin_copy(out, &fv->coins[i]) == 0 ? 1 : -1;
	return 0;
}

static int fake_asset_known(void *ctx, const uint8_t id[32])
{
	struct fake_view *fv = ctx;
	return fv->fail_asset ? -1 : memcmp(fv->known, id, 32) == 0;
}

static void fake_add(struct fake_view *fv, uint8_t txid_byte, int64_t value, int owner, bool coinbase, uint32_t height)
{
	size_t i = fv->n++;
	memset(fv->ops[i].txid, txid_byte, 32);
	fv->ops[i].index = 0;
	coin_init(&fv->coins[i]);
	fv->coins[i].out.value = value;
	memcpy(fv->coins[i].out.addr, F->addr[owner], 20);
	fv->coins[i].coinbase = coinbase;
	fv->coins[i].height = height;
}

static void expect_inputs(const struct tx *tx, struct fake_view *fv, uint32_t height, const char *reason,
			  enum vresult r)
{
	struct coin_view view = { fake_get_coin, fake_asset_known, fv };
	struct verdict v;
	int64_t fee = 123;
	verdict_init(&v);
	assert_false(tx_check_inputs(tx, &view, height, F->p, &fee, &v));
	assert_verdict(&v, reason, r);
	assert_int_equal(fee, 0);
}

static int64_t inputs_ok(const struct tx *tx, struct fake_view *fv, uint32_t height)
{
	struct coin_view view = { fake_get_coin, fake_asset_known, fv };
	struct verdict v;
	int64_t fee = -1;
	verdict_init(&v);
	if (!tx_check_inputs(tx, &view, height, F->p, &fee, &v))
		fail_msg("refused: %s (%s)", v.reason, v.debug);
	return fee;
}

static void test_inputs_direct(void **state)
{
	(void)state;
	struct fake_view fv;
	struct tx tx;
	memset(&fv, 0, sizeof(fv));
	memset(fv.known, 0xee, 32);
	fake_add(&fv, 0x01, 10 * COIN, 0, true, 5); /* a coinbase of height 5 */
	fake_add(&fv, 0x02, MAX_MONEY, 1, false, 7);
	fake_add(&fv, 0x03, MAX_MONEY, 1, false, 7);

	fix_spend(F, &tx, &fv.ops[0], 9 * COIN, 0, 1);
	expect_inputs(&tx, &fv, 104, "bad-txns-premature-spend-of-coinbase", VR_PREMATURE);
	assert_int_equal(inputs_ok(&tx, &fv, 105), 1 * COIN);
	tx.out[0].value = 10 * COIN + 1;
	expect_inputs(&tx, &fv, 105, "bad-txns-in-belowout", VR_CONSENSUS);
	tx.out[0].value = 10 * COIN;
	assert_int_equal(inputs_ok(&tx, &fv, 105), 0);
	memcpy(tx.in[0].pubkey, F->pk[1], 32);
	expect_inputs(&tx, &fv, 105, "bad-txns-pubkey-mismatch", VR_CONSENSUS);
	memset(tx.in[0].prev.txid, 0x09, 32);
	expect_inputs(&tx, &fv, 105, "bad-txns-inputs-missingorspent", VR_MISSING_INPUTS);
	tx.in[0].prev = fv.ops[0];
	memcpy(tx.in[0].pubkey, F->pk[0], 32);
	fv.fail_coin = true;
	expect_inputs(&tx, &fv, 105, "db-error", VR_ERROR);
	fv.fail_coin = false;
	tx_release(&tx);

	/* Input values are each in range, their sum is not. */
	fix_spend(F, &tx, &fv.ops[1], 1, 1, 1);
	assert_int_equal(inputs_ok(&tx, &fv, 10), MAX_MONEY - 1);
	assert_int_equal(tx_resize(&tx, 2, 1), 0);
	tx.in[1].prev = fv.ops[2];
	memcpy(tx.in[1].pubkey, F->pk[1], 32);
	expect_inputs(&tx, &fv, 10, "bad-txns-inputvalues-outofrange", VR_CONSENSUS);
	tx_release(&tx);

	/* An asset input, its transfer, and registrations. */
	fv.coins[1].out.value = 0;
	fv.coins[1].out.kind = TXOUT_ASSET;
	memset(fv.coins[1].out.asset, 0xaa, 32);
	fix_spend(F, &tx, &fv.ops[1], 0, 1, 2);
	expect_inputs(&tx, &fv, 10, "bad-asset-missing-output", VR_CONSENSUS);
	set_asset(&tx.out[0], 0xaa, 2, "");
	assert_int_equal(inputs_ok(&tx, &fv, 10), 0);
	assert_int_equal(tx_resize(&tx, 1, 2), 0);
	set_asset(&tx.out[1], 0xee, 2, "");
	expect_inputs(&tx, &fv, 10, "bad-asset-duplicate", VR_CONSENSUS);
	set_asset(&tx.out[1], 0xef, 2, "");
	assert_int_equal(inputs_ok(&tx, &fv, 10), 0);
	fv.fail_asset = true;
	expect_inputs(&tx, &fv, 10, "db-error", VR_ERROR);
	tx_release(&tx);
	coin_release(&fv.coins[1]);
}

/* The signature message is SHA-256d(magic ‖ tx with every signature
 * zeroed): it ignores the signatures, and differs between networks. */
static void test_sigs_direct(void **state)
{
	(void)state;
	struct tx tx, z;
	struct verdict v;
	struct buf w = BUF_INIT;
	uint8_t msg[32], want[32];
	const uint8_t *rmagic = F->p->magic, *mmagic = params_get(NET_MAIN)->magic;
	struct outpoint op = { .index = 3 };
	memset(op.txid, 0x61, 32);
	fix_spend(F, &tx, &op, 5 * COIN, 0, 1);
	assert_int_equal(tx_resize(&tx, 2, 1), 0);
	tx.in[1].prev.index = 4;
	memcpy(tx.in[1].prev.txid, op.txid, 32);
	fix_sign(F, &tx, 0);

	assert_int_equal(tx_copy(&z, &tx), 0);
	for (size_t i = 0; i < z.n_in; i++)
		memset(z.in[i].sig, 0, 64);
	buf_put(&w, rmagic, 4);
	tx_write(&w, &z);
	assert_true(buf_ok(&w));
	hash_sha256d(want, w.data, w.len);
	tx_sighash(msg, &tx, rmagic);
	assert_memory_equal(msg, want, 32);
	tx_sighash(msg, &z, rmagic);
	assert_memory_equal(msg, want, 32);
	tx_sighash(msg, &tx, mmagic);
	assert_memory_not_equal(msg, want, 32);
	struct sig_job jobs[2];
	tx_sig_jobs(jobs, &tx, rmagic);
	assert_memory_equal(jobs[1].msg, want, 32);
	assert_memory_equal(jobs[1].sig, tx.in[1].sig, 64);

	verdict_init(&v);
	assert_true(tx_check_sigs(&tx, rmagic, &v));
	assert_false(tx_check_sigs(&tx, mmagic, &v));
	assert_verdict(&v, "bad-txns-sig", VR_CONSENSUS);
	sign_magic(&tx, 0, mmagic);
	assert_true(tx_check_sigs(&tx, mmagic, &v));
	verdict_init(&v);
	assert_false(tx_check_sigs(&tx, rmagic, &v));
	assert_verdict(&v, "bad-txns-sig", VR_CONSENSUS);
	assert_non_null(strstr(v.debug, "input 0"));
	fix_sign(F, &tx, 0);
	tx.in[1].sig[0] ^= 1;
	verdict_init(&v);
	assert_false(tx_check_sigs(&tx, rmagic, &v));
	assert_verdict(&v, "bad-txns-sig", VR_CONSENSUS);
	assert_non_null(strstr(v.debug, "input 1"));
	buf_release(&w);
	tx_release(&tx);
	tx_release(&z);
}

/* The asset map a header must commit to, rebuilt here from what the chain
 * should hold: (id, registration, current output, owner) per asset. */
static void expect_assets_root(const uint8_t root[32], const uint8_t (*ids)[32], const struct asset_entry *e,
			       size_t n)
{
	struct smt *t = smt_new();
	uint8_t value[32], got[32];
	assert_non_null(t);
	for (size_t i = 0; i < n; i++) {
		asset_state_hash(value, &e[i]);
		assert_int_equal(smt_set(t, ids[i], value, NULL), 0);
	}
	smt_root(t, got);
	smt_free(t);
	assert_memory_equal(got, root, 32);
}

static void test_assets_root(void **state)
{
	(void)state;
	char err[ERR_LEN];
	struct block b, good;
	struct tx reg, xfer;
	uint8_t ids[1][32], zero[32] = { 0 };
	struct asset_entry e[1];
	memset(ids[0], 0xd4, 32);
	mature(2);
	assert_memory_equal(chainstate_tip(F->cs)->header.assets, zero, 32); /* the empty map */

	/* A registration with the parent's root, or any other wrong one, is
	 * refused, and the map is as before: the right block then connects. */
	struct outpoint cb1 = fix_cb_outpoint(F, 1);
	register_tx(&reg, &cb1, 0xd4, 2);
	block_with(&good, &reg, 1, 1 * COIN);
	b = good;
	memcpy(b.header.assets, chainstate_tip(F->cs)->header.assets, 32);
	assert_true(mine_solve(&b, 1000000));
	reject(&b, "bad-assets-root", VR_CONSENSUS);
	b.header.assets[31] = 1;
	assert_true(mine_solve(&b, 1000000));
	reject(&b, "bad-assets-root", VR_CONSENSUS);
	accept(&good);
	e[0] = (struct asset_entry){ .reg = outpoint_of(&reg, 1), .cur = outpoint_of(&reg, 1) };
	memcpy(e[0].owner, F->addr[2], 20);
	expect_assets_root(chainstate_tip(F->cs)->header.assets, (const uint8_t (*)[32])ids, e, 1);
	uint8_t after_reg[32];
	memcpy(after_reg, good.header.assets, 32);
	block_release(&good);

	/* A block with no asset in it keeps the root; one that changes it
	 * without an asset is refused. */
	block_with(&b, NULL, 0, 0);
	assert_memory_equal(b.header.assets, after_reg, 32);
	b.header.assets[0] ^= 1;
	assert_true(mine_solve(&b, 1000000));
	reject(&b, "bad-assets-root", VR_CONSENSUS);
	block_release(&b);

	/* A transfer moves the current output and the owner. */
	struct outpoint asset_op = outpoint_of(&reg, 1);
	fix_spend(F, &xfer, &asset_op, 0, 2, 3);
	set_asset(&xfer.out[0], 0xd4, 3, "");
	fix_sign(F, &xfer, 2);
	block_with(&b, &xfer, 1, 0);
	accept(&b);
	e[0].cur = outpoint_of(&xfer, 0);
	memcpy(e[0].owner, F->addr[3], 20);
	expect_assets_root(chainstate_tip(F->cs)->header.assets, (const uint8_t (*)[32])ids, e, 1);

	/* Invalidating the transfer restores the map exactly; a longer branch
	 * without it wins; the registration's root is the tip's again. */
	struct block_index *xfer_bi = chainstate_lookup(F->cs, b.hash);
	assert_int_equal(chainstate_invalidate(F->cs, xfer_bi, err), 0);
	assert_memory_equal(chainstate_tip(F->cs)->header.assets, after_reg, 32);
	fix_mine(F, 2, 0);
	assert_int_equal(chainstate_reconsider(F->cs, xfer_bi, err), 0);
	assert_memory_equal(chainstate_tip(F->cs)->header.assets, after_reg, 32);
	/* And the map rebuilt from the index at a restart agrees with the tip. */
	chainstate_close(F->cs);
	fix_open(F);
	assert_memory_equal(chainstate_tip(F->cs)->header.assets, after_reg, 32);
	block_release(&b);
	tx_release(&reg);
	tx_release(&xfer);
	still_valid();
}

/* --- the contextual checks called directly on a hand-made index --- */

static void test_contextual_direct(void **state)
{
	(void)state;
	struct block_index idx[12];
	struct block_header h;
	struct verdict v;
	/* Times out of order, so the median (of the last 11) is not the last. */
	static const uint64_t dt[12] = { 0, 50, 10, 90, 20, 80, 30, 70, 40, 60, 100, 5 };
	memset(idx, 0, sizeof(idx));
	for (int i = 0; i < 12; i++) {
		idx[i].height = (uint32_t)i;
		idx[i].prev = i ? &idx[i - 1] : NULL;
		idx[i].header.time = FIX_T0 + dt[i];
		idx[i].header.bits = F->p->pow.limit_bits;
		idx[i].hash[0] = (uint8_t)i;
		assert_int_equal(history_link(&idx[i]), 0);
	}
	struct block_index *prev = &idx[11];
	/* Median of heights 1..11: {50,10,90,20,80,30,70,40,60,100,5} -> 50. */
	assert_int_equal(index_median_time(prev), FIX_T0 + 50);
	memset(&h, 0, sizeof(h));
	h.version = 1;
	h.bits = F->p->pow.limit_bits;
	h.time = FIX_T0 + 51;
	assert_int_equal(history_root(h.history, prev), 0);
	uint64_t now = FIX_T0;
	verdict_init(&v);
	assert_true(header_check_contextual(&h, prev, F->p, now, &v));

	/* The history root must be the tree over blocks 0..11: the tree over
	 * 0..10, or any changed byte, is refused. */
	uint8_t good[32];
	memcpy(good, h.history, 32);
	assert_int_equal(history_root(h.history, &idx[10]), 0);
	assert_false(header_check_contextual(&h, prev, F->p, now, &v));
	assert_verdict(&v, "bad-history-root", VR_INVALID_HEADER);
	for (int i = 0; i < 32; i++) {
		memcpy(h.history, good, 32);
		h.history[i] ^= 0x40;
		verdict_init(&v);
		assert_false(header_check_contextual(&h, prev, F->p, now, &v));
		assert_verdict(&v, "bad-history-root", VR_INVALID_HEADER);
	}
	memcpy(h.history, good, 32);
	verdict_init(&v);

	h.time = FIX_T0 + 50;
	assert_false(header_check_contextual(&h, prev, F->p, now, &v));
	assert_verdict(&v, "time-too-old", VR_CONSENSUS);
	h.time = now + MAX_FUTURE_BLOCK_TIME;
	verdict_init(&v);
	assert_true(header_check_contextual(&h, prev, F->p, now, &v));
	h.time++;
	assert_false(header_check_contextual(&h, prev, F->p, now, &v));
	assert_verdict(&v, "time-too-new", VR_TIME_FUTURE);
	h.time = FIX_T0 + 60;
	h.bits = POW_MAIN_LIMIT_BITS;
	assert_false(header_check_contextual(&h, prev, F->p, now, &v));
	assert_verdict(&v, "bad-diffbits", VR_INVALID_HEADER);
	h.bits = F->p->pow.limit_bits;
	h.version = 0;
	assert_false(header_check_contextual(&h, prev, F->p, now, &v));
	assert_verdict(&v, "bad-version", VR_CONSENSUS);

	/* The body: the coinbase carries height 12; lock times. */
	struct block b;
	hand_block(&b, 1);
	b.txs[0].in[0].prev.index = 12;
	verdict_init(&v);
	assert_true(block_check_contextual(&b, prev, &v));
	b.txs[0].in[0].prev.index = 11;
	assert_false(block_check_contextual(&b, prev, &v));
	assert_verdict(&v, "bad-cb-height", VR_CONSENSUS);
	b.txs[0].in[0].prev.index = 12;
	b.txs[1].lock_time = 12;
	assert_false(block_check_contextual(&b, prev, &v));
	assert_verdict(&v, "bad-txns-nonfinal", VR_CONSENSUS);
	assert_non_null(strstr(v.debug, "transaction 1"));
	b.txs[1].lock_time = 11;
	verdict_init(&v);
	assert_true(block_check_contextual(&b, prev, &v));
	block_release(&b);
	for (int i = 0; i < 12; i++)
		history_unlink(&idx[i]);

	/* tx_is_final itself, both kinds and both edges. */
	struct tx tx;
	tx_init(&tx);
	assert_true(tx_is_final(&tx, 0, 0)); /* lock time 0: always final */
	tx.lock_time = 100;
	assert_false(tx_is_final(&tx, 100, UINT64_MAX));
	assert_true(tx_is_final(&tx, 101, 0));
	tx.lock_time = LOCKTIME_THRESHOLD - 1;
	assert_false(tx_is_final(&tx, LOCKTIME_THRESHOLD - 1, UINT64_MAX));
	assert_true(tx_is_final(&tx, LOCKTIME_THRESHOLD, 0));
	tx.lock_time = LOCKTIME_THRESHOLD;
	assert_false(tx_is_final(&tx, UINT32_MAX, LOCKTIME_THRESHOLD));
	assert_true(tx_is_final(&tx, 0, LOCKTIME_THRESHOLD + 1));
	tx.lock_time = UINT32_MAX;
	assert_false(tx_is_final(&tx, UINT32_MAX, UINT32_MAX));
	assert_true(tx_is_final(&tx, 0, (uint64_t)UINT32_MAX + 1));
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TX_CASE(i) { tx_cases[i].name, test_tx_case, setup, teardown, (void *)&tx_cases[i] }

int main(void)
{
	const struct CMUnitTest tests[] = {
		TX_CASE(0), TX_CASE(1), TX_CASE(2), TX_CASE(3), TX_CASE(4),
		TX_CASE(5), TX_CASE(6), TX_CASE(7), TX_CASE(8), TX_CASE(9),
		TX_CASE(10), TX_CASE(11), TX_CASE(12), TX_CASE(13), TX_CASE(14),
		TEST(test_tx_check_limits_pass),
		TEST(test_block_check_direct),
		TEST(test_high_hash),
		TEST(test_bad_merkle),
		TEST(test_block_length),
		TEST(test_cb_missing_multiple_duplicate),
		TEST(test_bad_version),
		TEST(test_bad_diffbits),
		TEST(test_time_too_old),
		TEST(test_time_too_new),
		TEST(test_bad_cb_height),
		TEST(test_nonfinal),
		TEST(test_prev_not_found),
		TEST(test_bad_prevblk_and_duplicates),
		TEST(test_missing_or_spent),
		TEST(test_coinbase_maturity),
		TEST(test_pubkey_mismatch),
		TEST(test_bad_sig),
		TEST(test_in_below_out),
		TEST(test_cb_amount),
		TEST(test_cb_amount_halving),
		TEST(test_assets),
		TEST(test_assets_root),
		TEST(test_asset_chain_in_block),
		TEST(test_inputs_direct),
		TEST(test_sigs_direct),
		TEST(test_contextual_direct),
	};
	_Static_assert(N_TX_CASES == 15, "every transaction case has its test entry");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
