/* Makes signed regtest transactions for the RPC benchmarks, which drive a
 * real cairnd from Python (whose standard library cannot sign).
 *
 *   tool_txgen address                 prints the address of the bench key
 *   tool_txgen fanout TXID VALUE N     a tx spending TXID:0 (worth VALUE units)
 *                                      into N equal outputs: prints its hex
 *   tool_txgen spends TXID VALUE N     N txs, the i-th spending TXID:i (worth
 *                                      VALUE units each): prints one hex a line
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/address.h"
#include "chain/params.h"
#include "util/hex.h"
#include "wallet/key.h"

static uint8_t sk[32], pk[32], addr[20];

static void sign_and_print(struct tx *tx)
{
	uint8_t msg[32];
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < tx->n_in; i++)
		memcpy(tx->in[i].pubkey, pk, 32);
	tx_sighash(msg, tx, params_get(NET_REGTEST)->magic);
	for (size_t i = 0; i < tx->n_in; i++)
		if (key_sign(tx->in[i].sig, sk, msg) != 0)
			exit(1);
	tx_finalize(tx);
	tx_write(&b, tx);
	char *h = hex_alloc(b.data, b.len);
	if (!h)
		exit(1);
	puts(h);
	free(h);
	buf_release(&b);
}

static struct tx make(const uint8_t txid[32], uint32_t index, int64_t value, size_t n_out)
{
	struct tx tx;
	tx_init(&tx);
	if (tx_resize(&tx, 1, n_out) != 0)
		exit(1);
	memcpy(tx.in[0].prev.txid, txid, 32);
	tx.in[0].prev.index = index;
	for (size_t i = 0; i < n_out; i++) {
		tx.out[i].value = value;
		memcpy(tx.out[i].addr, addr, 20);
	}
	return tx;
}

int main(int argc, char **argv)
{
	uint8_t txid[32];
	memset(sk, 0x5a, 32);
	if (key_pubkey_xonly(pk, sk) != 0)
		return 1;
	tx_pubkey_hash(addr, pk);
	if (argc == 2 && !strcmp(argv[1], "address")) {
		char a[100];
		if (address_encode(a, sizeof(a), "rcrn", addr) != 0)
			return 1;
		puts(a);
		return 0;
	}
	if (argc != 5 || !hex_decode(txid, 32, argv[2])) {
		fprintf(stderr, "usage: tool_txgen address | fanout|spends TXID VALUE N\n");
		return 2;
	}
	int64_t value = atoll(argv[3]);
	size_t n = (size_t)atol(argv[4]);
	if (!strcmp(argv[1], "fanout")) {
		/* 1,000 units of fee per output keeps it above the relay minimum. */
		struct tx tx = make(txid, 0, (value - 1000 * (int64_t)n) / (int64_t)n, n);
		sign_and_print(&tx);
		tx_release(&tx);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct tx tx = make(txid, (uint32_t)i, value - 1000, 1);
		sign_and_print(&tx);
		tx_release(&tx);
	}
	return 0;
}
