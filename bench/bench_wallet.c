/* Wallet signing beside libsecp256k1's raw BIP-340 signing rate, measured
 * in the same run: the wallet signs a 200-input transaction whose inputs
 * pay 200 of its addresses. */
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/address.h"
#include "chain/hash.h"
#include "wallet/key.h"
#include "wallet/wallet.h"

#define N_IN 200
#define ROUNDS 10

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s\n", what);
	exit(1);
}

/* The coins the transaction spends: input i pays address i. */
static uint8_t addrs[N_IN][20];

static int view_get(void *ctx, const struct outpoint *op, struct coin *out)
{
	(void)ctx;
	coin_init(out);
	if (op->index >= N_IN)
		return 0;
	out->out.value = COIN;
	memcpy(out->out.addr, addrs[op->index], 20);
	out->height = 1;
	return 1;
}

static int view_asset(void *ctx, const uint8_t id[32])
{
	(void)ctx;
	(void)id;
	return 0;
}

static double raw_sign_rate(void)
{
	enum { N = 4000 };
	secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	secp256k1_keypair kp;
	uint8_t sk[32], msg[32] = { 0 }, aux[32] = { 0 }, sig[64];
	memset(sk, 0x42, 32);
	if (!secp256k1_keypair_create(ctx, &kp, sk))
		die("keypair");
	double t = now_s();
	for (int i = 0; i < N; i++) {
		memcpy(msg, &i, sizeof(i));
		if (!secp256k1_schnorrsig_sign32(ctx, sig, msg, &kp, aux))
			die("sign");
	}
	double rate = N / (now_s() - t);
	secp256k1_context_destroy(ctx);
	return rate;
}

int main(void)
{
	char dir[] = "/tmp/cairn-bench-XXXXXX", path[128], err[ERR_LEN], cmd[128];
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(path, sizeof(path), "%s/wallet.dat", dir);
	struct wallet *w = wallet_create(path, params_get(NET_REGTEST), NULL, err);
	if (!w)
		die(err);
	for (int i = 0; i < N_IN; i++) {
		char a[100];
		if (wallet_get_new_address(w, a, sizeof(a), "", err) != 0 || address_decode(addrs[i], "rcrn", a, err) != 0)
			die(err);
	}
	struct tx tx;
	tx_init(&tx);
	if (tx_resize(&tx, N_IN, 1) != 0)
		die("oom");
	for (uint32_t i = 0; i < N_IN; i++) {
		memset(tx.in[i].prev.txid, 0x77, 32);
		tx.in[i].prev.index = i;
	}
	tx.out[0].value = N_IN * COIN - 100000;
	struct coin_view view = { view_get, view_asset, NULL };

	double raw = raw_sign_rate();
	double t = now_s();
	for (int r = 0; r < ROUNDS; r++) {
		struct wallet_sign_result res;
		if (wallet_sign_tx(w, &tx, &view, &res, err) != 0 || !res.complete)
			die("wallet could not sign");
		wallet_sign_result_release(&res);
	}
	double wallet_rate = ROUNDS * N_IN / (now_s() - t);
	double raw2 = raw_sign_rate();
	raw = (raw + raw2) / 2;

	printf("wallet signing: a %d-input transaction, %d times\n", N_IN, ROUNDS);
	printf("  raw libsecp256k1 BIP-340 sign, 1 core    : %8.0f sig/s\n", raw);
	printf("  wallet_sign_tx (each signature verified) : %8.0f sig/s  (ratio to raw %.2f)\n", wallet_rate,
	       wallet_rate / raw);
	tx_release(&tx);
	wallet_free(w);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
