/* Asset proofs on long chains: v1 bundles (every header from the
 * registration to the tip) beside v2 bundles (the tip header, FlyClient
 * samples and history-tree paths), built, sized and verified on regtest
 * chains of 10,000, 100,000 and 1,000,000 blocks.
 *
 * One chain serves every size: for each size s an asset of its own is
 * registered at height 105 (the worst case for v1: the headers from there
 * to the tip) and transferred 10 times at heights spread up to s - 1; the
 * other blocks are empty. When the tip reaches s, that size's asset is
 * measured, every figure the median of REPS runs on the calling thread
 * (no worker pool: one core). The asset map then holds up to three
 * assets, which adds a hash or two to a state proof of one.
 *
 *   bench_proof [SIZE ...]            default 10000 100000 1000000
 *   BENCH_PROOF_SIZES=10000,100000    the same from the environment
 *
 * v2 is verified from its binary bundle (proof2_parse, proof2_verify) and
 * from its JSON file (text parsed, decoded, verified); v1, which has only
 * the JSON file, from the text (cJSON, proof_json_decode,
 * proof_asset_verify), with proof_asset_verify alone as v1_check.
 *
 * Prints a table, then one machine-readable line per size:
 *   proof size=N v2_build_ms= v2_bytes= v2_json_bytes= v2_verify_ms= ...
 * and PASS/MISS against the targets at 1,000,000 blocks: a v2 proof
 * within 100 KB, verified within 50 ms and built within 20 ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "chain/asset.h"
#include "chain/chainstate.h"
#include "chain/mine.h"
#include "chain/proof.h"
#include "chain/proof2.h"
#include "rpc/proof2_json.h"
#include "rpc/proof_json.h"
#include "wallet/key.h"

#define REPS 5
#define MAX_SIZES 8
#define TRANSFERS 10
#define REG_HEIGHT 105
#define TARGET_BYTES (100 * 1000)
#define TARGET_VERIFY_MS 50.0
#define TARGET_BUILD_MS 20.0

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, const char *err)
{
	fprintf(stderr, "bench_proof: %s: %s\n", what, err ? err : "");
	exit(1);
}

/* Keys as the tests' fixture makes them: 0 mines, 2 and 3 hold assets. */
static uint8_t sk[4][32], pk[4][32], addr[4][20];
static uint64_t block_time = 1795219200 + 60;
static const struct chain_params *P;

static void keys(void)
{
	for (int i = 0; i < 4; i++) {
		memset(sk[i], 0, 32);
		sk[i][31] = (uint8_t)(i + 1);
		sk[i][0] = 0x11;
		if (key_pubkey_xonly(pk[i], sk[i]) != 0)
			die("key", NULL);
		tx_pubkey_hash(addr[i], pk[i]);
	}
}

static void sign(struct tx *tx, int signer)
{
	uint8_t msg[32], aux[32] = { 0 };
	for (size_t i = 0; i < tx->n_in; i++)
		memcpy(tx->in[i].pubkey, pk[signer], 32);
	tx_sighash(msg, tx, P->magic);
	for (size_t i = 0; i < tx->n_in; i++)
		if (key_sign_aux(tx->in[i].sig, sk[signer], msg, aux) != 0)
			die("sign", NULL);
	tx_finalize(tx);
}

/* A block on the tip with txs, its asset root filled when it holds any
 * (an empty block keeps its parent's, as mine_build gives it), solved and
 * accepted. */
static void mine(struct chainstate *cs, const struct tx *txs, size_t n, int64_t fees)
{
	struct block b;
	struct verdict v;
	char err[ERR_LEN];
	if (mine_build(&b, chainstate_tip(cs), P, txs, n, addr[0], fees, block_time++, err) != 0)
		die("mine_build", err);
	if (n && chainstate_commit_assets(cs, &b, err) != 0)
		die("commit_assets", err);
	if (!mine_solve(&b, 1u << 20))
		die("mine_solve", NULL);
	verdict_init(&v);
	if (!chainstate_accept_block(cs, &b, block_time + 7200, SOURCE_RPC, NULL, &v))
		die(v.reason, v.debug);
	block_release(&b);
}

struct asset {
	uint32_t size;                    /* the chain length it is measured at */
	uint8_t id[32];
	uint32_t at[TRANSFERS];           /* heights of the transfers */
	struct outpoint cur;              /* its output now */
	int owner;
	size_t done;
};

struct figures {
	double build_s;                   /* chain building up to this size, cumulative */
	double v2_build, v2_build_min, v2_verify, v2_json_verify;
	size_t v2_bytes, v2_json;
	double v1_build, v1_encode, v1_verify, v1_check; /* v1_check: proof_asset_verify alone */
	size_t v1_json;
	double abs_build, abs_verify;
	size_t abs_bytes, abs_json;
};

static struct outpoint coinbase_of(struct chainstate *cs, uint32_t height)
{
	struct block b;
	char err[ERR_LEN];
	struct outpoint op;
	if (chainstate_read_block(cs, chainstate_at(cs, height), &b, err) != 0)
		die("read_block", err);
	memcpy(op.txid, b.txs[0].txid, 32);
	op.index = 0;
	block_release(&b);
	return op;
}

/* Registrations of every asset in block REG_HEIGHT, each spending a
 * coinbase of its own: the coin back to key 1 less a fee, the asset to
 * key 2. */
static void register_all(struct chainstate *cs, struct asset *a, size_t n)
{
	struct tx txs[MAX_SIZES];
	for (size_t i = 0; i < n; i++) {
		struct tx *t = &txs[i];
		tx_init(t);
		if (tx_resize(t, 1, 2) != 0)
			die("tx_resize", NULL);
		t->in[0].prev = coinbase_of(cs, (uint32_t)i + 1);
		t->out[0].value = 49 * COIN;
		memcpy(t->out[0].addr, addr[1], 20);
		t->out[1].kind = TXOUT_ASSET;
		memcpy(t->out[1].asset, a[i].id, 32);
		memcpy(t->out[1].addr, addr[2], 20);
		sign(t, 0);
		memcpy(a[i].cur.txid, t->txid, 32);
		a[i].cur.index = 1;
		a[i].owner = 2;
	}
	mine(cs, txs, n, (int64_t)n * COIN);
	for (size_t i = 0; i < n; i++)
		tx_release(&txs[i]);
}

/* The transfers due in the block at height, one per asset at most. */
static void mine_next(struct chainstate *cs, struct asset *a, size_t n, uint32_t height)
{
	struct tx txs[MAX_SIZES];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (a[i].done == TRANSFERS || a[i].at[a[i].done] != height)
			continue;
		struct tx *t = &txs[k++];
		int to = a[i].owner == 2 ? 3 : 2;
		tx_init(t);
		if (tx_resize(t, 1, 1) != 0)
			die("tx_resize", NULL);
		t->in[0].prev = a[i].cur;
		t->out[0].kind = TXOUT_ASSET;
		memcpy(t->out[0].asset, a[i].id, 32);
		memcpy(t->out[0].addr, addr[to], 20);
		sign(t, a[i].owner);
		memcpy(a[i].cur.txid, t->txid, 32);
		a[i].cur.index = 0;
		a[i].owner = to;
		a[i].done++;
	}
	mine(cs, k ? txs : NULL, k, 0);
	for (size_t i = 0; i < k; i++)
		tx_release(&txs[i]);
}

static char *print_json(cJSON *j, size_t *len)
{
	char *s = cJSON_PrintUnformatted(j);
	if (!s)
		die("cJSON_PrintUnformatted", "no memory");
	*len = strlen(s);
	return s;
}

static void measure_v2(struct chainstate *cs, const struct asset *a, struct figures *f)
{
	double tb[REPS], tv[REPS], tj[REPS];
	char err[ERR_LEN];
	struct proof2 p;
	struct buf raw = BUF_INIT;
	for (int r = 0; r < REPS; r++) {
		double t = now_s();
		if (asset_proof_v2(cs, &p, a->id, 0, err) != ASSET_OK)
			die("asset_proof_v2", err);
		tb[r] = (now_s() - t) * 1e3;
		if (r < REPS - 1)
			proof2_release(&p);
	}
	proof2_write(&raw, &p);
	if (!buf_ok(&raw))
		die("proof2_write", "no memory");
	cJSON *j = proof2_json_encode(&p);
	if (!j)
		die("proof2_json_encode", "no memory");
	char *text = print_json(j, &f->v2_json);
	cJSON_Delete(j);
	proof2_release(&p);
	f->v2_bytes = raw.len;
	for (int r = 0; r < REPS; r++) {
		struct proof2 q;
		struct proof2_summary sum;
		double t = now_s();
		if (proof2_parse(&q, raw.data, raw.len, err) != 0)
			die("proof2_parse", err);
		if (!proof2_verify(&q, PROOF2_DEFAULT_SAMPLES, &sum, err))
			die("proof2_verify", err);
		tv[r] = (now_s() - t) * 1e3;
		proof2_release(&q);
		/* From the file as cairn-cli reads it: text, JSON, bundle. */
		t = now_s();
		cJSON *k = cJSON_Parse(text);
		if (!k || proof2_json_decode(&q, k, err) != 0)
			die("proof2_json_decode", err);
		if (!proof2_verify(&q, PROOF2_DEFAULT_SAMPLES, &sum, err))
			die("proof2_verify (json)", err);
		tj[r] = (now_s() - t) * 1e3;
		proof2_release(&q);
		cJSON_Delete(k);
	}
	free(text);
	buf_release(&raw);
	f->v2_build = median(tb, REPS);
	f->v2_build_min = tb[0]; /* sorted by median() */
	f->v2_verify = median(tv, REPS);
	f->v2_json_verify = median(tj, REPS);
}

static void measure_absence(struct chainstate *cs, struct figures *f)
{
	double tb[REPS], tv[REPS];
	uint8_t id[32];
	char err[ERR_LEN];
	struct proof2 p;
	struct buf raw = BUF_INIT;
	memset(id, 0x5a, 32);
	for (int r = 0; r < REPS; r++) {
		double t = now_s();
		if (asset_absence_proof(cs, &p, id, 0, err) != ASSET_OK)
			die("asset_absence_proof", err);
		tb[r] = (now_s() - t) * 1e3;
		if (r < REPS - 1)
			proof2_release(&p);
	}
	proof2_write(&raw, &p);
	cJSON *j = proof2_json_encode(&p);
	if (!buf_ok(&raw) || !j)
		die("absence encode", "no memory");
	free(print_json(j, &f->abs_json));
	cJSON_Delete(j);
	proof2_release(&p);
	f->abs_bytes = raw.len;
	for (int r = 0; r < REPS; r++) {
		struct proof2 q;
		double t = now_s();
		if (proof2_parse(&q, raw.data, raw.len, err) != 0 || !proof2_verify(&q, PROOF2_DEFAULT_SAMPLES, NULL, err))
			die("absence verify", err);
		tv[r] = (now_s() - t) * 1e3;
		proof2_release(&q);
	}
	buf_release(&raw);
	f->abs_build = median(tb, REPS);
	f->abs_verify = median(tv, REPS);
}

/* v1: produced (asset_proof), its JSON printed, then verified from the
 * text as cairn-cli does (parse, decode, verify). */
static void measure_v1(struct chainstate *cs, const struct asset *a, struct figures *f)
{
	double tb[REPS], te[REPS], tv[REPS], tc[REPS];
	char err[ERR_LEN];
	struct proof_bundle b;
	char *text = NULL;
	for (int r = 0; r < REPS; r++) {
		double t = now_s();
		if (asset_proof(cs, &b, a->id, err) != ASSET_OK)
			die("asset_proof", err);
		tb[r] = (now_s() - t) * 1e3;
		t = now_s();
		cJSON *j = proof_json_encode(&b);
		if (!j)
			die("proof_json_encode", "no memory");
		free(text);
		text = print_json(j, &f->v1_json);
		te[r] = (now_s() - t) * 1e3;
		cJSON_Delete(j);
		proof_bundle_release(&b);
	}
	for (int r = 0; r < REPS; r++) {
		struct proof_summary sum;
		double t = now_s();
		cJSON *j = cJSON_Parse(text);
		if (!j || proof_json_decode(&b, j, err) != 0)
			die("proof_json_decode", err);
		double t1 = now_s();
		if (!proof_asset_verify(&b, &sum, err))
			die("proof_asset_verify", err);
		tv[r] = (now_s() - t) * 1e3;
		tc[r] = (now_s() - t1) * 1e3;
		proof_bundle_release(&b);
		cJSON_Delete(j);
	}
	free(text);
	f->v1_build = median(tb, REPS);
	f->v1_encode = median(te, REPS);
	f->v1_verify = median(tv, REPS);
	f->v1_check = median(tc, REPS);
}

static size_t parse_sizes(uint32_t *out, int argc, char **argv)
{
	size_t n = 0;
	const char *env = getenv("BENCH_PROOF_SIZES");
	if (argc > 1) {
		for (int i = 1; i < argc && n < MAX_SIZES; i++)
			out[n++] = (uint32_t)strtoul(argv[i], NULL, 10);
	} else if (env && *env) {
		char *copy = strdup(env), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t && n < MAX_SIZES; t = strtok_r(NULL, ",", &save))
			out[n++] = (uint32_t)strtoul(t, NULL, 10);
		free(copy);
	} else {
		out[n++] = 10000;
		out[n++] = 100000;
		out[n++] = 1000000;
	}
	/* ascending, and long enough to hold the registration and transfers */
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			if (out[k] < out[i]) {
				uint32_t t = out[i];
				out[i] = out[k];
				out[k] = t;
			}
	for (size_t i = 0; i < n; i++)
		if (out[i] < REG_HEIGHT + 2 * TRANSFERS)
			die("size too small", "at least 125 blocks");
	return n;
}

static void print_results(const struct asset *a, const struct figures *f, size_t n)
{
	printf("\nproof: one asset registered at height %d and transferred %d times, 1 core, median of %d\n",
	       REG_HEIGHT, TRANSFERS, REPS);
	printf("%10s %9s | %9s %10s %10s %9s %9s | %9s %12s %10s | %9s %9s\n", "blocks", "build s", "v2 ms",
	       "v2 bytes", "v2 json", "verify ms", "json+vfy", "v1 ms", "v1 json", "verify ms", "abs bytes",
	       "abs vfy");
	for (size_t i = 0; i < n; i++)
		printf("%10u %9.1f | %9.2f %10zu %10zu %9.2f %9.2f | %9.1f %12zu %10.1f | %9zu %9.2f\n", a[i].size,
		       f[i].build_s, f[i].v2_build, f[i].v2_bytes, f[i].v2_json, f[i].v2_verify, f[i].v2_json_verify,
		       f[i].v1_build, f[i].v1_json, f[i].v1_verify, f[i].abs_bytes, f[i].abs_verify);
	for (size_t i = 0; i < n; i++)
		printf("proof size=%u build_s=%.1f v2_build_ms=%.3f v2_build_min_ms=%.3f v2_bytes=%zu "
		       "v2_json_bytes=%zu v2_verify_ms=%.3f v2_json_verify_ms=%.3f v1_build_ms=%.1f "
		       "v1_json_encode_ms=%.1f v1_json_bytes=%zu v1_verify_ms=%.1f v1_check_ms=%.1f "
		       "abs_build_ms=%.3f abs_bytes=%zu abs_json_bytes=%zu abs_verify_ms=%.3f\n",
		       a[i].size, f[i].build_s, f[i].v2_build, f[i].v2_build_min, f[i].v2_bytes, f[i].v2_json,
		       f[i].v2_verify, f[i].v2_json_verify, f[i].v1_build, f[i].v1_encode, f[i].v1_json, f[i].v1_verify,
		       f[i].v1_check, f[i].abs_build, f[i].abs_bytes, f[i].abs_json, f[i].abs_verify);
	for (size_t i = 0; i < n; i++) {
		if (a[i].size != 1000000)
			continue;
		printf("target v2 size <= 100 KB at 1,000,000 blocks: %zu bytes (json %zu)  %s\n", f[i].v2_bytes,
		       f[i].v2_json, f[i].v2_bytes <= TARGET_BYTES ? "PASS" : "MISS");
		printf("target v2 verify <= 50 ms at 1,000,000 blocks: %.2f ms  %s\n", f[i].v2_verify,
		       f[i].v2_verify <= TARGET_VERIFY_MS ? "PASS" : "MISS");
		printf("target v2 build <= 20 ms at 1,000,000 blocks: %.2f ms  %s\n", f[i].v2_build,
		       f[i].v2_build <= TARGET_BUILD_MS ? "PASS" : "MISS");
	}
}

int main(int argc, char **argv)
{
	uint32_t sizes[MAX_SIZES];
	size_t n = parse_sizes(sizes, argc, argv);
	struct asset a[MAX_SIZES];
	struct figures f[MAX_SIZES];
	char dir[] = "/tmp/cairn-bench-proof-XXXXXX", cmd[128], err[ERR_LEN];
	memset(a, 0, sizeof(a));
	memset(f, 0, sizeof(f));
	P = params_get(NET_REGTEST);
	keys();
	for (size_t i = 0; i < n; i++) {
		a[i].size = sizes[i];
		memset(a[i].id, 0xa0 + (int)i, 32);
		/* spread over (REG_HEIGHT, size): the last one in the block below the tip */
		for (uint32_t k = 0; k < TRANSFERS; k++)
			a[i].at[k] = REG_HEIGHT + (uint32_t)((uint64_t)(k + 1) * (sizes[i] - REG_HEIGHT - 1) / TRANSFERS);
	}
	if (!mkdtemp(dir))
		die("mkdtemp", dir);
	struct chainstate_opts o = { .path = dir, .cache_bytes = 512u << 20, .pool = NULL };
	struct chainstate *cs = chainstate_open(P, &o, err);
	if (!cs)
		die("chainstate_open", err);
	double t0 = now_s(), building = 0;
	size_t next = 0;
	for (uint32_t h = 1; next < n; h++) {
		if (h == REG_HEIGHT)
			register_all(cs, a, n);
		else
			mine_next(cs, a, n, h);
		if (h % 100000 == 0) {
			fprintf(stderr, "bench_proof: %u blocks, %.1f s\n", h, building + now_s() - t0);
			fflush(stderr);
		}
		if (h != a[next].size)
			continue;
		building += now_s() - t0;
		f[next].build_s = building;
		measure_v2(cs, &a[next], &f[next]);
		measure_absence(cs, &f[next]);
		measure_v1(cs, &a[next], &f[next]);
		fprintf(stderr, "bench_proof: measured at %u blocks\n", h);
		next++;
		t0 = now_s();
	}
	print_results(a, f, n);
	chainstate_close(cs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return 0;
}
