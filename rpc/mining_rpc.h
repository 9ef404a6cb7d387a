/* The mining methods: generatetoaddress, generateblock-style helpers and
 * getmininginfo. The block template comes from a callback, so that this
 * area needs no knowledge of the mempool's insides. */
#ifndef CAIRN_RPC_MINING_RPC_H
#define CAIRN_RPC_MINING_RPC_H

#include "chain/chainstate.h"
#include "rpc/server.h"

struct mining_rpc {
	struct chainstate *cs;
	/* Fills *txs (an array the caller frees with mining_free_txs) with the
	 * transactions of the next block, parents first, within max_bytes, and
	 * *fees with their fees. NULL: empty blocks. */
	int (*select)(void *ctx, struct tx **txs, size_t *n, int64_t *fees, size_t max_bytes);
	/* Number of transactions waiting (getmininginfo's pooledtx). */
	size_t (*pooled)(void *ctx);
	void *ctx;
};

int mining_rpc_register(struct rpc_server *srv, struct mining_rpc *m, char *err) WUR;
void mining_free_txs(struct tx *txs, size_t n);
/* Builds, solves and submits one block paying payto. 0 with its hash, or
 * -1 with err (no solution within max_tries, refused, no memory). */
int mining_generate_one(struct mining_rpc *m, const uint8_t payto[20], uint64_t max_tries, uint8_t hash[32],
			char *err) WUR;

#endif
