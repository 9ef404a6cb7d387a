/* Proofs: the compact transaction proof and the asset proof bundle, built
 * from a real chain, verified, then altered everywhere and refused with the
 * right reason; and what a reorganisation does to them. */
#include "chain_fixture.h"

#include <sys/resource.h>
#include <sys/wait.h>

#include "chain/asset.h"
#include "chain/merkle.h"
#include "chain/txlookup.h"
#include "rpc/asset_rpc.h"
#include "rpc/proof_json.h"
#include "util/hex.h"

static struct fixture *F;
static uint8_t ID[32];
static struct tx REG, X1, X2, X3; /* the custody chain: key 2, 3, 1, then 2 */
static uint32_t REG_HEIGHT;

static int setup(void **state)
{
	(void)state;
	F = fix_new();
	memset(ID, 0xa1, 32);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tx_release(&REG);
	tx_release(&X1);
	tx_release(&X2);
	tx_release(&X3);
	fix_free(F);
	F = NULL;
	return 0;
}

static void accept(const struct block *b)
{
	struct verdict v;
	const char *why = fix_accept(F, b, &v);
	if (*why)
		fail_msg("refused: %s (%s)", why, v.debug);
}

static void block_with(const struct tx *txs, size_t n, int64_t fees)
{
	struct block b;
	fix_block_on(F, &b, NULL, txs, n, fees, 0);
	accept(&b);
	block_release(&b);
}

static void set_asset(struct txout *o, int owner, const char *meta)
{
	o->kind = TXOUT_ASSET;
	memcpy(o->asset, ID, 32);
	memcpy(o->addr, F->addr[owner], 20);
	assert_int_equal(txout_set_meta(o, (const uint8_t *)meta, strlen(meta)), 0);
}

static struct outpoint outpoint_of(const struct tx *tx, uint32_t index)
{
	struct outpoint op;
	memcpy(op.txid, tx->txid, 32);
	op.index = index;
	return op;
}

/* Key from (the owner) passes the asset output op of tx to key to. */
static void transfer(struct tx *tx, const struct outpoint *op, int from, int to)
{
	fix_spend(F, tx, op, 0, from, to);
	set_asset(&tx->out[0], to, "");
	fix_sign(F, tx, from);
}

/* 102 blocks, then at 103 the registration (index 2, after a payment), two
 * empty blocks, at 106 two transfers, one block, at 108 (the tip) the last
 * transfer. */
static void build_chain(void)
{
	struct tx pay;
	fix_mine(F, (int)F->p->coinbase_maturity + 2, 0);
	struct outpoint cb1 = fix_cb_outpoint(F, 1), cb2 = fix_cb_outpoint(F, 2);
	fix_spend(F, &pay, &cb2, 49 * COIN, 0, 1);
	fix_spend(F, &REG, &cb1, 49 * COIN, 0, 1);
	assert_int_equal(tx_resize(&REG, 1, 2), 0);
	set_asset(&REG.out[1], 2, "sha256 of a deed");
	fix_sign(F, &REG, 0);
	struct tx txs[2] = { pay, REG };
	block_with(txs, 2, 2 * COIN);
	REG_HEIGHT = chainstate_tip(F->cs)->height;
	tx_release(&pay);
	fix_mine(F, 2, 0);
	struct outpoint a = outpoint_of(&REG, 1);
	transfer(&X1, &a, 2, 3);
	struct outpoint b = outpoint_of(&X1, 0);
	transfer(&X2, &b, 3, 1);
	struct tx two[2] = { X1, X2 };
	block_with(two, 2, 0);
	fix_mine(F, 1, 0);
	struct outpoint c = outpoint_of(&X2, 0);
	transfer(&X3, &c, 1, 2);
	block_with(&X3, 1, 0);
}

static void build_bundle(struct proof_bundle *b)
{
	struct rpc_error e;
	memset(&e, 0, sizeof(e));
	if (asset_rpc_build_proof(F->cs, ID, b, &e) != 0)
		fail_msg("build: %d %s", e.code, e.message);
}

static char *bundle_text(const struct proof_bundle *b)
{
	cJSON *j = proof_json_encode(b);
	assert_non_null(j);
	char *s = cJSON_PrintUnformatted(j);
	assert_non_null(s);
	cJSON_Delete(j);
	return s;
}

/* NULL when the text is a valid bundle, else the reason (static). */
static const char *check_text(const char *text)
{
	static char err[ERR_LEN];
	struct proof_bundle b;
	cJSON *j = cJSON_Parse(text);
	if (!j)
		return "not JSON";
	int r = proof_json_decode(&b, j, err);
	cJSON_Delete(j);
	if (r != 0)
		return err;
	bool ok = proof_asset_verify(&b, NULL, err);
	proof_bundle_release(&b);
	return ok ? NULL : err;
}

/* The n-th (from 1) occurrence of needle in s. */
static char *nth(char *s, const char *needle, int n)
{
	char *p = s - 1;
	while (n-- > 0 && p)
		p = strstr(p + 1, needle);
	return p;
}

/* reason: what the refusal must say, or alternatives separated by '|'. */
static void expect_reason(const char *text, const char *reason)
{
	char alts[256], *save = NULL;
	const char *why = check_text(text);
	if (!why)
		fail_msg("accepted, expected '%s'", reason);
	snprintf(alts, sizeof(alts), "%s", reason);
	for (char *r = strtok_r(alts, "|", &save); r; r = strtok_r(NULL, "|", &save))
		if (strstr(why, r))
			return;
	fail_msg("refused with '%s', expected '%s'", why, reason);
}

/* --- the bundle, verified --- */

static void test_bundle_verifies(void **state)
{
	(void)state;
	struct proof_bundle b, back;
	struct proof_summary sum;
	char err[ERR_LEN];
	build_chain();
	build_bundle(&b);
	assert_int_equal(b.n_steps, 4);
	assert_int_equal(b.n_headers, 6);
	assert_memory_equal(b.steps[0].tx.txid, REG.txid, 32);
	assert_memory_equal(b.steps[3].tx.txid, X3.txid, 32);
	assert_int_equal(b.steps[0].index, 2);
	assert_int_equal(b.steps[0].leaves, 3);
	assert_true(proof_asset_verify(&b, &sum, err));
	assert_int_equal(sum.first_height, REG_HEIGHT);
	assert_int_equal(sum.tip_height, REG_HEIGHT + 5);
	assert_int_equal(sum.confirmations, 6);
	assert_memory_equal(sum.owner, F->addr[2], 20);
	assert_false(b.steps[0].has_from);
	assert_memory_equal(b.steps[1].from, F->addr[2], 20);
	assert_memory_equal(b.steps[1].to, F->addr[3], 20);
	assert_memory_equal(b.steps[3].from, F->addr[1], 20);
	/* Six regtest blocks of work. */
	struct u256 one, six;
	pow_block_work(&one, F->p->pow.limit_bits);
	assert_false(u256_mul_u64(&six, &one, 6));
	assert_int_equal(u256_cmp(&sum.work, &six), 0);

	/* Through JSON and back, it says the same. */
	cJSON *j = proof_json_encode(&b);
	assert_int_equal(proof_json_decode(&back, j, err), 0);
	assert_true(proof_asset_verify(&back, &sum, err));
	cJSON *j2 = proof_json_encode(&back);
	char *s1 = cJSON_PrintUnformatted(j), *s2 = cJSON_PrintUnformatted(j2);
	assert_string_equal(s1, s2);
	char *report = proof_asset_report(&back, &sum);
	assert_non_null(report);
	assert_non_null(strstr(report, "proof valid: 6 confirmations"));
	assert_non_null(strstr(report, "registered to"));
	assert_non_null(strstr(report, "metadata: \"sha256 of a deed\""));
	free(report);
	free(s1);
	free(s2);
	cJSON_Delete(j);
	cJSON_Delete(j2);
	proof_bundle_release(&back);
	proof_bundle_release(&b);
	proof_bundle_release(&b); /* twice is safe */
}

/* --- every byte matters --- */

/* The span of a member's value in the compact text: for "leaves" (the one
 * field a verifier cannot pin down from the header, see below). */
static bool in_leaves_value(const char *text, size_t i)
{
	for (const char *p = text; (p = strstr(p, "\"leaves\":")); p++) {
		size_t start = (size_t)(p - text) + 9, end = start;
		while (text[end] >= '0' && text[end] <= '9')
			end++;
		if (i >= start && i < end)
			return true;
	}
	return false;
}

static char altered(char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
		return c == '0' ? '1' : '0';
	return c == 'x' ? 'y' : 'x';
}

/* Every single byte of the bundle, changed, makes it fail; the leaf counts
 * aside, which are checked against the path's length but can, like any
 * RFC 6962 tree size, take another value of the same tree shape around the
 * leaf: such a value proves exactly the same inclusion. */
static void test_every_byte_counts(void **state)
{
	(void)state;
	struct proof_bundle b;
	build_chain();
	build_bundle(&b);
	char *text = bundle_text(&b);
	size_t len = strlen(text), refused = 0, skipped = 0;
	assert_null(check_text(text));
	for (size_t i = 0; i < len; i++) {
		if (in_leaves_value(text, i)) {
			skipped++;
			continue;
		}
		char c = text[i];
		text[i] = altered(c);
		if (check_text(text))
			refused++;
		else
			fail_msg("byte %zu ('%c' -> '%c') altered and still accepted: ...%.40s", i, c, text[i],
				 text + (i > 20 ? i - 20 : 0));
		text[i] = c;
	}
	assert_int_equal(refused + skipped, len);
	assert_true(skipped < 16);
	free(text);
	proof_bundle_release(&b);
}

/* The reason names what was altered. */
static void test_reasons(void **state)
{
	(void)state;
	struct proof_bundle b;
	build_chain();
	build_bundle(&b);
	char *text = bundle_text(&b);
	char *bad = strdup(text), needle[32];
	assert_non_null(bad);
#define ALTER(at, reason)                                     \
	do {                                                  \
		char *p_ = (at);                              \
		assert_non_null(p_);                          \
		*p_ = altered(*p_);                           \
		expect_reason(bad, reason);                   \
		strcpy(bad, text);                            \
	} while (0)
	/* A byte inside the first transfer (its output's value). */
	ALTER(nth(bad, "\"tx\":\"", 2) + 6 + 2 * (4 + 1 + 132 + 1) + 3, "step 1: the transaction is not in block");
	ALTER(nth(bad, "\"tx\":\"", 1) + 6 + 2 * (4 + 1 + 132 + 1) + 3, "step 0: the transaction is not in block");
	/* A path element of the registration (the anchor's path comes first). */
	ALTER(nth(bad, "\"path\":[\"", 2) + 9 + 10, "step 0: the transaction is not in block");
	ALTER(nth(bad, "\"path\":[\"", 1) + 9 + 10, "anchor");
	/* A header in the middle (its nonce): the next one no longer links,
	 * unless the changed one already misses its own target. */
	ALTER(strstr(bad, "\"headers\":[\"") + 12 + 176 + 3 + 175, "does not link|does not meet its proof of work");
	/* The last header: the tip no longer matches. */
	ALTER(strstr(bad, "\"tip\":\"") - 5, "the tip is not the hash of the last header|does not meet its proof of work");
	ALTER(strstr(bad, "\"tip\":\"") + 7 + 30, "the tip is not the hash of the last header");
	/* The first header's merkle root: the anchor fails first. */
	ALTER(strstr(bad, "\"headers\":[\"") + 12 + 2 * 36 + 5, "anchor");
	ALTER(strstr(bad, "\"coinbase\":\"") + 12 + 80, "anchor");
	ALTER(strstr(bad, "\"asset\":\"") + 9 + 5, "outputs of the asset, one expected");
	/* A height (106 -> 107, still inside the headers) and an index. */
	snprintf(needle, sizeof(needle), "\"height\":%u", REG_HEIGHT + 3);
	char *ht = strstr(bad, needle);
	assert_non_null(ht);
	ht[strlen(needle) - 1]++;
	expect_reason(bad, "step 1: 'blockhash' is not the header at height");
	strcpy(bad, text);
	snprintf(needle, sizeof(needle), "\"height\":%u", REG_HEIGHT);
	ALTER(strstr(bad, needle) + strlen(needle) - 1, "is outside the headers");
	ALTER(strstr(bad, "\"index\":2") + 8, "step 0: the transaction is not in block");
	ALTER(strstr(bad, "\"network\":\"") + 11, "unknown network");
	ALTER(strstr(bad, "\"version\":1") + 10, "unsupported bundle version");
	ALTER(strstr(bad, "\"format\":\"") + 11, "not a cairn asset proof");
	ALTER(strstr(bad, "\"blockhash\":\"") + 13, "'blockhash' is not the header");
	ALTER(strstr(bad, "\"anchor\"") + 2, "unknown member");
	/* The same value spelt in capitals is refused too. */
	char *tip = strstr(bad, "\"tip\":\"") + 7;
	for (char *q = tip; q < tip + 64; q++)
		if (*q >= 'a' && *q <= 'f') {
			*q = (char)(*q - 'a' + 'A');
			break;
		}
	expect_reason(bad, "lowercase");
	strcpy(bad, text);
	/* The main network's rules on regtest headers. */
	cJSON *j = cJSON_Parse(text);
	cJSON_ReplaceItemInObject(j, "network", cJSON_CreateString("main"));
	char *main_text = cJSON_PrintUnformatted(j);
	expect_reason(main_text, "does not meet its proof of work");
	free(main_text);
	cJSON_Delete(j);
#undef ALTER
	free(bad);
	free(text);
	proof_bundle_release(&b);
}

/* Steps swapped, dropped or duplicated. */
static void test_step_order(void **state)
{
	(void)state;
	struct proof_bundle b;
	char err[ERR_LEN];
	build_chain();
	build_bundle(&b);
	struct proof_step t = b.steps[1];
	b.steps[1] = b.steps[2];
	b.steps[2] = t;
	assert_false(proof_asset_verify(&b, NULL, err));
	assert_non_null(strstr(err, "step 1: does not spend the asset output of step 0"));
	b.steps[2] = b.steps[1];
	b.steps[1] = t;
	assert_true(proof_asset_verify(&b, NULL, err));
	/* A step given twice. */
	struct proof_step third = b.steps[2];
	b.steps[2] = b.steps[1];
	assert_false(proof_asset_verify(&b, NULL, err));
	assert_non_null(strstr(err, "step 2: not after step 1"));
	b.steps[2] = third;
	/* Without the first transfer, the second spends nothing proven. */
	struct proof_step saved = b.steps[1];
	memmove(&b.steps[1], &b.steps[2], 2 * sizeof(b.steps[0]));
	b.n_steps = 3;
	assert_false(proof_asset_verify(&b, NULL, err));
	assert_non_null(strstr(err, "step 1: does not spend the asset output of step 0"));
	memmove(&b.steps[2], &b.steps[1], 2 * sizeof(b.steps[0]));
	b.steps[1] = saved;
	b.n_steps = 4;
	/* Fewer headers than the last step needs. */
	b.n_headers = 3;
	assert_false(proof_asset_verify(&b, NULL, err));
	b.n_headers = 6;
	assert_true(proof_asset_verify(&b, NULL, err));
	proof_bundle_release(&b);
}

/* The last custody step sits in the tip block: a changed transaction can
 * be put into a re-solved tip, so every path, link and hash still agrees
 * and only the custody and signature checks stand between it and
 * acceptance. */
static void reseal_tip(struct proof_bundle *b, const struct tx *tx)
{
	struct block blk;
	struct proof_txs p;
	char err[ERR_LEN];
	struct proof_step *s = &b->steps[b->n_steps - 1];
	assert_int_equal(chainstate_read_block(F->cs, chainstate_tip(F->cs), &blk, err), 0);
	tx_release(&blk.txs[s->index]);
	assert_int_equal(tx_copy(&blk.txs[s->index], tx), 0);
	fix_resolve(&blk);
	assert_int_equal(proof_txs_build(&p, &blk, (const uint8_t (*)[32])tx->txid, 1, err), 0);
	b->headers[b->n_headers - 1] = blk.header;
	memcpy(b->tip, blk.hash, 32);
	memcpy(s->block, blk.hash, 32);
	s->path_len = p.txs[0].path_len;
	memcpy(s->path, p.txs[0].path, sizeof(s->path));
	tx_release(&s->tx);
	assert_int_equal(tx_copy(&s->tx, tx), 0);
	proof_txs_release(&p);
	block_release(&blk);
}

static void expect_tip_refused(const struct tx *tx, const char *reason)
{
	struct proof_bundle b;
	char err[ERR_LEN] = "";
	build_bundle(&b);
	reseal_tip(&b, tx);
	if (proof_asset_verify(&b, NULL, err))
		fail_msg("accepted, expected '%s'", reason);
	if (!strstr(err, reason))
		fail_msg("refused with '%s', expected '%s'", err, reason);
	proof_bundle_release(&b);
}

static void test_custody_rules(void **state)
{
	(void)state;
	struct tx t;
	struct proof_bundle b;
	char err[ERR_LEN];
	build_chain();
	/* The genuine transaction, resealed, passes: the harness is fair. */
	build_bundle(&b);
	reseal_tip(&b, &X3);
	assert_true(proof_asset_verify(&b, NULL, err));
	proof_bundle_release(&b);
	/* A signature byte. */
	assert_int_equal(tx_copy(&t, &X3), 0);
	t.in[0].sig[10] ^= 1;
	tx_finalize(&t);
	expect_tip_refused(&t, "step 3: the signature of input 0 does not verify");
	tx_release(&t);
	/* Signed well, by a key that is not the owner's (key 0, not key 1). */
	struct outpoint c = outpoint_of(&X2, 0);
	transfer(&t, &c, 0, 2);
	expect_tip_refused(&t, "step 3: input 0 is signed by a key that is not the owner's");
	tx_release(&t);
	/* Spending another output. */
	struct outpoint other = outpoint_of(&X2, 1);
	transfer(&t, &other, 1, 2);
	expect_tip_refused(&t, "step 3: does not spend the asset output of step 2");
	tx_release(&t);
	/* Two outputs of the asset. */
	fix_spend(F, &t, &c, 0, 1, 2);
	assert_int_equal(tx_resize(&t, 1, 2), 0);
	set_asset(&t.out[0], 2, "");
	set_asset(&t.out[1], 3, "");
	fix_sign(F, &t, 1);
	expect_tip_refused(&t, "step 3: 2 outputs of the asset, one expected");
	tx_release(&t);
	/* None: the asset vanished. */
	fix_spend(F, &t, &c, 0, 1, 2);
	expect_tip_refused(&t, "step 3: 0 outputs of the asset, one expected");
	tx_release(&t);
}

/* --- strict reading --- */

static void test_json_misuse(void **state)
{
	(void)state;
	struct proof_bundle b;
	char err[ERR_LEN];
	build_chain();
	build_bundle(&b);
	char *text = bundle_text(&b);
	proof_bundle_release(&b);
	assert_int_equal(proof_json_decode(&b, NULL, err), -1);
	cJSON *arr = cJSON_CreateArray();
	assert_int_equal(proof_json_decode(&b, arr, err), -1);
	assert_non_null(strstr(err, "not an object"));
	cJSON_Delete(arr);

	cJSON *j = cJSON_Parse(text);
	cJSON_DeleteItemFromObject(j, "tip");
	assert_int_equal(proof_json_decode(&b, j, err), -1);
	assert_non_null(strstr(err, "member 'tip' missing"));
	cJSON_AddStringToObject(j, "tip", "00");
	cJSON_AddStringToObject(j, "tip", "00");
	assert_int_equal(proof_json_decode(&b, j, err), -1);
	assert_non_null(strstr(err, "given twice"));
	cJSON_Delete(j);

	/* No steps; too long a path; a header of the wrong size. */
	j = cJSON_Parse(text);
	cJSON_ReplaceItemInObject(j, "steps", cJSON_CreateArray());
	assert_int_equal(proof_json_decode(&b, j, err), -1);
	assert_non_null(strstr(err, "'steps' must be an array of 1"));
	cJSON_Delete(j);
	j = cJSON_Parse(text);
	cJSON *path = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "steps"), 0), "path");
	while (cJSON_GetArraySize(path) <= MERKLE_MAX_PATH)
		cJSON_AddItemToArray(path, cJSON_CreateString("0000000000000000000000000000000000000000000000000000000000000000"));
	assert_int_equal(proof_json_decode(&b, j, err), -1);
	assert_non_null(strstr(err, "step 0: 'path' must be an array of at most 64"));
	cJSON_Delete(j);
	j = cJSON_Parse(text);
	cJSON_ReplaceItemInArray(cJSON_GetObjectItem(j, "headers"), 0, cJSON_CreateString("00"));
	assert_int_equal(proof_json_decode(&b, j, err), -1);
	assert_non_null(strstr(err, "header 0 must be 176"));
	cJSON_Delete(j);
	/* A height that is no integer, a transaction with trailing bytes. */
	j = cJSON_Parse(text);
	cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "steps"), 0);
	cJSON_ReplaceItemInObject(s0, "height", cJSON_CreateNumber(1.5));
	assert_int_equal(proof_json_decode(&b, j, err), -1);
	assert_non_null(strstr(err, "'height' must be an integer"));
	cJSON_ReplaceItemInObject(s0, "height", cJSON_CreateNumber(-1));
	assert_int_equal(proof_json_decode(&b, j, err), -1);
	cJSON_Delete(j);
	j = cJSON_Parse(text);
	s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "steps"), 0);
	char *longer = malloc(strlen(cJSON_GetObjectItem(s0, "tx")->valuestring) + 3);
	sprintf(longer, "%s00", cJSON_GetObjectItem(s0, "tx")->valuestring);
	cJSON_ReplaceItemInObject(s0, "tx", cJSON_CreateString(longer));
	free(longer);
	assert_int_equal(proof_json_decode(&b, j, err), -1);
	assert_non_null(strstr(err, "step 0: 'tx' is not a transaction"));
	cJSON_Delete(j);
	/* An empty bundle verifies nothing. */
	proof_bundle_init(&b);
	assert_false(proof_asset_verify(&b, NULL, err));
	assert_false(proof_asset_verify(NULL, NULL, err));
	free(text);
}

/* --- reorganisations --- */

static void test_reorg(void **state)
{
	(void)state;
	struct proof_bundle b;
	struct rpc_error e;
	struct proof_summary sum;
	char err[ERR_LEN];
	build_chain();
	struct block_index *tip = chainstate_tip(F->cs), *reg = chainstate_at(F->cs, REG_HEIGHT);
	/* Without the tip, the history ends one step earlier, with key 1. */
	assert_int_equal(chainstate_invalidate(F->cs, tip, err), 0);
	build_bundle(&b);
	assert_int_equal(b.n_steps, 3);
	assert_true(proof_asset_verify(&b, &sum, err));
	assert_memory_equal(sum.owner, F->addr[1], 20);
	assert_int_equal(sum.confirmations, 5);
	proof_bundle_release(&b);
	/* Without the registration's block the asset is unknown: no proof. */
	assert_int_equal(chainstate_invalidate(F->cs, reg, err), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(asset_rpc_build_proof(F->cs, ID, &b, &e), -1);
	assert_int_equal(e.code, RPC_INVALID_ADDRESS_OR_KEY);
	assert_non_null(strstr(e.message, "not found"));
	struct asset_history h;
	assert_int_equal(asset_rpc_history(F->cs, NULL, ID, &h, &e), -1);
	assert_null(h.steps);
	/* A side branch outgrows the asset's: reconsidered, the asset's
	 * branch has less work and stays aside; the asset is still unknown. */
	fix_mine(F, 8, 0);
	assert_int_equal(chainstate_reconsider(F->cs, reg, err), 0);
	assert_ptr_not_equal(chainstate_tip(F->cs), tip);
	assert_int_equal(asset_rpc_build_proof(F->cs, ID, &b, &e), -1);
	/* Three more blocks on the asset's branch bring it back. */
	struct block_index *prev = tip;
	for (int i = 0; i < 3; i++) {
		struct block blk;
		fix_block_on(F, &blk, prev, NULL, 0, 0, 0);
		accept(&blk);
		prev = chainstate_lookup(F->cs, blk.hash);
		block_release(&blk);
	}
	assert_ptr_equal(chainstate_tip(F->cs), prev);
	build_bundle(&b);
	assert_int_equal(b.n_steps, 4);
	assert_true(proof_asset_verify(&b, &sum, err));
	assert_memory_equal(sum.owner, F->addr[2], 20);
	assert_int_equal(sum.confirmations, 9);
	proof_bundle_release(&b);
	/* The history walks the same four steps. */
	assert_int_equal(asset_rpc_history(F->cs, NULL, ID, &h, &e), 0);
	assert_int_equal(h.n, 4);
	assert_non_null(h.steps[3].bi);
	assert_memory_equal(h.steps[2].tx.txid, X2.txid, 32);
	assert_memory_equal(h.steps[2].from, F->addr[3], 20);
	asset_history_release(&h);
	asset_history_release(&h);
}

/* --- transaction proofs --- */

static void test_txs_proof(void **state)
{
	(void)state;
	struct block blk;
	struct proof_txs p, q;
	struct buf out = BUF_INIT;
	char err[ERR_LEN];
	build_chain();
	assert_int_equal(chainstate_read_block(F->cs, chainstate_at(F->cs, REG_HEIGHT), &blk, err), 0);
	uint8_t ids[2][32];
	memcpy(ids[0], blk.txs[2].txid, 32);
	memcpy(ids[1], blk.txs[0].txid, 32);
	assert_int_equal(proof_txs_build(&p, &blk, (const uint8_t (*)[32])ids, 2, err), 0);
	assert_int_equal(p.leaves, 3);
	assert_int_equal(p.txs[0].index, 2);
	assert_true(proof_txs_verify(&p, F->p->pow.limit_bits, err));
	proof_txs_write(&out, &p);
	assert_true(buf_ok(&out));
	/* header + 1 + 1 + (1 + 32 + 1 + 32) + (1 + 32 + 1 + 2 * 32) */
	assert_int_equal(out.len, BLOCK_HEADER_SIZE + 2 + 66 + 98);
	assert_int_equal(proof_txs_parse(&q, out.data, out.len, err), 0);
	assert_true(proof_txs_verify(&q, F->p->pow.limit_bits, err));
	assert_memory_equal(q.txs[1].txid, ids[1], 32);
	proof_txs_release(&q);
	/* Every byte flipped: refused when parsing or verifying, or, for a
	 * header byte outside the merkle root (which on regtest may still meet
	 * the easy target), naming a block that is not the real one, which the
	 * node's lookup then refuses. */
	for (size_t i = 0; i < out.len; i++) {
		uint8_t hash[32];
		out.data[i] ^= 0x01;
		bool ok = proof_txs_parse(&q, out.data, out.len, err) == 0 && proof_txs_verify(&q, F->p->pow.limit_bits, err);
		if (ok && i < BLOCK_HEADER_SIZE && (i < 36 || i >= 68)) {
			header_hash(hash, &q.header);
			ok = memcmp(hash, blk.hash, 32) == 0;
		}
		if (ok)
			fail_msg("byte %zu flipped and still accepted", i);
		proof_txs_release(&q);
		out.data[i] ^= 0x01;
	}
	/* Truncated, trailing bytes, a count the bytes cannot hold. */
	assert_int_equal(proof_txs_parse(&q, out.data, out.len - 1, err), -1);
	assert_int_equal(proof_txs_parse(&q, out.data, 50, err), -1);
	assert_non_null(strstr(err, "truncated header"));
	uint8_t *longer = malloc(out.len + 1);
	memcpy(longer, out.data, out.len);
	longer[out.len] = 0;
	assert_int_equal(proof_txs_parse(&q, longer, out.len + 1, err), -1);
	assert_non_null(strstr(err, "trailing"));
	longer[89] = 0xfd; /* n = 0xffff as a varint, in 3 bytes */
	longer[90] = 0xff;
	assert_int_equal(proof_txs_parse(&q, longer, out.len + 1, err), -1);
	free(longer);
	assert_int_equal(proof_txs_parse(&q, NULL, 0, err), -1);
	/* Under the main network's limit the regtest header fails its work. */
	assert_false(proof_txs_verify(&p, POW_MAIN_LIMIT_BITS, err));
	assert_non_null(strstr(err, "proof of work"));
	/* Building: a txid not in the block, a duplicate, none. */
	memset(ids[1], 0x77, 32);
	assert_int_equal(proof_txs_build(&q, &blk, (const uint8_t (*)[32])ids, 2, err), -1);
	assert_non_null(strstr(err, "is not in the block"));
	memcpy(ids[1], ids[0], 32);
	assert_int_equal(proof_txs_build(&q, &blk, (const uint8_t (*)[32])ids, 2, err), -1);
	assert_non_null(strstr(err, "duplicated"));
	assert_int_equal(proof_txs_build(&q, &blk, (const uint8_t (*)[32])ids, 0, err), -1);
	assert_null(q.txs);
	proof_txs_release(&p);
	proof_txs_release(&p);
	buf_release(&out);
	block_release(&blk);
}

/* A refused proof is empty, even when it failed after the block header:
 * the header read first used to stay behind. */
static void test_txs_refusal_empty(void **state)
{
	(void)state;
	static const struct proof_txs empty;
	uint8_t raw[BLOCK_HEADER_SIZE + 40];
	struct proof_txs q;
	char err[ERR_LEN] = "";
	memset(raw, 0x5c, sizeof(raw));
	raw[BLOCK_HEADER_SIZE] = 1;     /* leaves */
	raw[BLOCK_HEADER_SIZE + 1] = 0; /* no transactions */
	assert_int_equal(proof_txs_parse(&q, raw, sizeof(raw), err), -1);
	assert_non_null(strstr(err, "count"));
	assert_memory_equal(&q, &empty, sizeof(empty));
	raw[BLOCK_HEADER_SIZE + 1] = 1; /* one entry, its path cut short */
	raw[BLOCK_HEADER_SIZE + 2] = 0;
	raw[BLOCK_HEADER_SIZE + 35] = 2;
	assert_int_equal(proof_txs_parse(&q, raw, sizeof(raw), err), -1);
	assert_non_null(strstr(err, "audit path"));
	assert_memory_equal(&q, &empty, sizeof(empty));
}

/* A few megabytes of "{}" claim a million steps: the reader refuses the
 * first one without first making room for all of them (2 GB of audit
 * paths), so it says why even where memory is limited. Checked in a child
 * whose address space is capped, except under AddressSanitizer, whose
 * shadow memory needs the space. */
static void test_json_claimed_length(void **state)
{
	(void)state;
	struct proof_bundle b;
	build_chain();
	build_bundle(&b);
	char *text = bundle_text(&b);
	proof_bundle_release(&b);
	cJSON *j = cJSON_Parse(text), *steps = cJSON_CreateArray();
	assert_non_null(steps);
	for (int i = 0; i < PROOF_MAX_STEPS; i++) {
		cJSON *o = cJSON_CreateObject();
		assert_non_null(o);
		assert_true(cJSON_AddItemToArray(steps, o));
	}
	assert_true(cJSON_ReplaceItemInObject(j, "steps", steps));
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[ERR_LEN] = "";
#ifndef __SANITIZE_ADDRESS__
		struct rlimit lim = { 1536u << 20, 1536u << 20 };
		if (setrlimit(RLIMIT_AS, &lim) != 0)
			_exit(3);
#endif
		if (proof_json_decode(&b, j, err) != -1)
			_exit(1);
		_exit(strstr(err, "step 0: member") ? 0 : 2);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	cJSON_Delete(j);
	free(text);
}

/* --- the lookup and the walk, as chain/ answers them --- */

/* A pool on the chain, free of fees: the custody transfers pay none. */
static struct mempool *open_pool(void)
{
	struct mempool_opts o;
	mempool_opts_default(&o);
	o.min_relay_fee = 0;
	struct mempool *mp = mempool_new(F->cs, &o);
	assert_non_null(mp);
	return mp;
}

static void pool_accept(struct mempool *mp, const struct tx *tx)
{
	struct verdict v;
	verdict_init(&v);
	if (!mempool_accept_local(mp, tx, F->time, &v))
		fail_msg("pool refused: %s (%s)", v.reason, v.debug);
}

static void test_lookup(void **state)
{
	(void)state;
	struct txlookup l;
	struct tx tx, x4;
	struct block_index *bi;
	uint32_t pos;
	uint8_t nowhere[32];
	char err[ERR_LEN];
	build_chain();
	struct mempool *mp = open_pool();
	struct outpoint cur = outpoint_of(&X3, 0);
	transfer(&x4, &cur, 2, 0);
	pool_accept(mp, &x4);
	struct block_index *reg = chainstate_at(F->cs, REG_HEIGHT);
	txlookup_init(&l, F->cs, mp);
	/* On the chain: its block and place, through the index. */
	assert_int_equal(txlookup_find(&l, &tx, &bi, &pos, REG.txid, err), TXLOOKUP_FOUND);
	assert_ptr_equal(bi, reg);
	assert_int_equal(pos, 2);
	assert_memory_equal(tx.txid, REG.txid, 32);
	tx_release(&tx);
	/* In the pool: no block. */
	assert_int_equal(txlookup_find(&l, &tx, &bi, &pos, x4.txid, err), TXLOOKUP_FOUND);
	assert_null(bi);
	assert_int_equal(pos, 0);
	assert_memory_equal(tx.txid, x4.txid, 32);
	tx_release(&tx);
	/* Nowhere: nothing to release. */
	memset(nowhere, 0x5a, 32);
	assert_int_equal(txlookup_find(&l, &tx, &bi, &pos, nowhere, err), TXLOOKUP_MISSING);
	assert_null(bi);
	assert_int_equal(tx.n_in + tx.n_out, 0);
	/* One given block only: the registration is in its own, not the tip's. */
	assert_int_equal(txlookup_in_block(&l, &tx, &pos, reg, REG.txid, err), TXLOOKUP_FOUND);
	assert_int_equal(pos, 2);
	tx_release(&tx);
	assert_int_equal(txlookup_in_block(&l, &tx, &pos, chainstate_tip(F->cs), REG.txid, err), TXLOOKUP_MISSING);
	assert_int_equal(txlookup_in_block(&l, &tx, &pos, reg, x4.txid, err), TXLOOKUP_MISSING);
	/* The block read last is kept, not read again. */
	const struct block *b = txlookup_block(&l, reg, err);
	assert_non_null(b);
	assert_int_equal(b->n_tx, 3);
	assert_ptr_equal(txlookup_block(&l, reg, err), b);
	txlookup_release(&l);
	txlookup_release(&l);
	/* Without the pool the lookup sees the chain only. */
	txlookup_init(&l, F->cs, NULL);
	assert_int_equal(txlookup_find(&l, &tx, &bi, &pos, x4.txid, err), TXLOOKUP_MISSING);
	txlookup_release(&l);
	tx_release(&x4);
	mempool_free(mp);
}

static void test_walk(void **state)
{
	(void)state;
	struct asset_history h;
	struct proof_bundle b;
	struct outpoint cur;
	struct tx x4, reg2;
	uint8_t reg[32], id2[32];
	char err[ERR_LEN];
	build_chain();
	struct mempool *mp = open_pool();
	struct outpoint op = outpoint_of(&X3, 0);
	transfer(&x4, &op, 2, 0);
	pool_accept(mp, &x4);
	/* A second asset, registered in the pool only. */
	memset(id2, 0xb2, 32);
	struct outpoint cb = fix_cb_outpoint(F, 3);
	fix_spend(F, &reg2, &cb, 49 * COIN, 0, 1);
	assert_int_equal(tx_resize(&reg2, 1, 2), 0);
	reg2.out[1].kind = TXOUT_ASSET;
	memcpy(reg2.out[1].asset, id2, 32);
	memcpy(reg2.out[1].addr, F->addr[3], 20);
	fix_sign(F, &reg2, 0);
	pool_accept(mp, &reg2);
	/* The ends: the pool's transfer is the current output. */
	assert_int_equal(asset_ends(F->cs, mp, reg, &cur, ID, err), ASSET_OK);
	assert_memory_equal(reg, REG.txid, 32);
	assert_memory_equal(cur.txid, x4.txid, 32);
	assert_int_equal(asset_ends(F->cs, NULL, reg, &cur, ID, err), ASSET_OK);
	assert_memory_equal(cur.txid, X3.txid, 32);
	/* With the pool: five steps, the last one unconfirmed. */
	assert_int_equal(asset_walk(F->cs, mp, &h, ID, err), ASSET_OK);
	assert_int_equal(h.n, 5);
	assert_false(h.steps[0].has_from);
	assert_int_equal(h.steps[0].bi->height, REG_HEIGHT);
	assert_int_equal(h.steps[0].pos, 2);
	assert_int_equal(h.steps[0].out, 1);
	assert_memory_equal(h.steps[0].to, F->addr[2], 20);
	assert_int_equal(h.steps[1].bi->height, REG_HEIGHT + 3);
	assert_int_equal(h.steps[2].bi->height, REG_HEIGHT + 3);
	assert_int_equal(h.steps[2].pos, h.steps[1].pos + 1);
	assert_int_equal(h.steps[3].bi->height, REG_HEIGHT + 5);
	assert_int_equal(h.steps[0].height, REG_HEIGHT);
	assert_int_equal(h.steps[0].confirmations, 6); /* 103 to the tip at 108 */
	assert_int_equal(h.steps[3].height, REG_HEIGHT + 5);
	assert_int_equal(h.steps[3].confirmations, 1);
	assert_null(h.steps[4].bi);
	assert_int_equal(h.steps[4].height + h.steps[4].confirmations, 0);
	assert_true(h.steps[4].has_from);
	assert_memory_equal(h.steps[4].from, F->addr[2], 20);
	assert_memory_equal(h.steps[4].to, F->addr[0], 20);
	asset_history_release(&h);
	asset_history_release(&h);
	/* The chain alone stops at the tip's transfer. */
	assert_int_equal(asset_walk(F->cs, NULL, &h, ID, err), ASSET_OK);
	assert_int_equal(h.n, 4);
	assert_memory_equal(h.steps[3].tx.txid, X3.txid, 32);
	asset_history_release(&h);
	/* Registered in the pool only: one unconfirmed step, unknown to the chain. */
	assert_int_equal(asset_walk(F->cs, mp, &h, id2, err), ASSET_OK);
	assert_int_equal(h.n, 1);
	assert_null(h.steps[0].bi);
	assert_memory_equal(h.steps[0].to, F->addr[3], 20);
	asset_history_release(&h);
	assert_int_equal(asset_walk(F->cs, NULL, &h, id2, err), ASSET_UNKNOWN);
	assert_null(h.steps);
	assert_int_equal(asset_proof(F->cs, &b, id2, err), ASSET_UNKNOWN);
	assert_int_equal(b.n_steps + b.n_headers, 0);
	/* The bundle holds the confirmed steps only, and verifies. */
	assert_int_equal(asset_proof(F->cs, &b, ID, err), ASSET_OK);
	assert_int_equal(b.n_steps, 4);
	assert_int_equal(b.n_headers, chainstate_tip(F->cs)->height - REG_HEIGHT + 1);
	assert_true(proof_asset_verify(&b, NULL, err));
	proof_bundle_release(&b);
	tx_release(&x4);
	tx_release(&reg2);
	mempool_free(mp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bundle_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_byte_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_custody_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_misuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txs_proof, setup, teardown),
		cmocka_unit_test(test_txs_refusal_empty),
		cmocka_unit_test_setup_teardown(test_json_claimed_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
