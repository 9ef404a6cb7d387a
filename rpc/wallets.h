/* The wallets a node has loaded, by name, and the methods that manage
 * them with Bitcoin Core's names: createwallet, loadwallet, unloadwallet,
 * listwallets, listwalletdir, restorewallet. The one owner of that list.
 *
 * Each wallet is a LevelDB folder wallets/NAME/ of the network's data
 * directory; a loaded one is a struct wallet_rpc, the ctx its methods get.
 * A request reaches a wallet as in Bitcoin Core: through the wallet
 * endpoint /wallet/NAME, or through / when exactly one is loaded (-19 when
 * several are, -18 when none is or NAME is not loaded). */
#ifndef CAIRN_RPC_WALLETS_H
#define CAIRN_RPC_WALLETS_H

#include "rpc/wallet_rpc.h"

#define WALLETS_MAX 64
#define WALLETS_NAME_MAX WALLET_RPC_NAME_LEN /* bytes of a name, with the NUL */

/* A loaded wallet's transaction recorded or confirmed (block NULL: from
 * the mempool), with the wallet's name. */
typedef void (*wallets_tx_hook)(void *ctx, const char *wallet, const uint8_t txid[32], const uint8_t *block,
				uint32_t height);

struct wallets {
	struct wallet_rpc *items[WALLETS_MAX]; /* loaded, in the order loaded */
	size_t n;
	/* With w NULL: what a method that only reads a wallet when one is
	 * picked (getassetinfo's "mine") gets otherwise. */
	struct wallet_rpc none;
	const struct chain_params *p;
	struct pool *pool;  /* what loading a wallet may use */
	char dir[4096]; /* the wallets/ folder; "" with -disablewallet */
	wallets_tx_hook on_tx;
	void *on_tx_ctx;
	/* What a send pays when it names no fee rate (rpc/wallet_fees.h). */
	struct fees *fees;        /* the node's estimator; NULL: none */
	int64_t fallback_fee;     /* -fallbackfee, units per 1,000 bytes; 0: refuse to guess */
	unsigned confirm_target;  /* -txconfirmtarget, blocks */
};

/* Starts an empty list of wallets in the folder dir (which must exist)
 * that follow cs and send through mp, paying fee_rate; loading a wallet
 * reads it on pool (may be NULL). */
void wallets_init(struct wallets *set, const char *dir, struct chainstate *cs, struct mempool *mp, int64_t fee_rate,
		  struct pool *pool);
/* Tells fn of every loaded wallet's transactions from now on, and of
 * those of wallets loaded later. */
void wallets_set_tx_hook(struct wallets *set, wallets_tx_hook fn, void *ctx);
/* The estimator (may be NULL), -fallbackfee (CRN per 1,000 bytes, as
 * text) and -txconfirmtarget every wallet's sends use. 0, or -1 with err
 * naming the bad option. */
int wallets_set_fees(struct wallets *set, struct fees *fees, const char *fallback, int64_t target, char *err) WUR;
/* Unloads every wallet. */
void wallets_free(struct wallets *set);

/* 0 when name can be a wallet's folder name: not empty, at most
 * WALLETS_NAME_MAX - 1 bytes, no '/', '\' or "..", not starting with a
 * dot, not ending in ".new", no control characters. Otherwise -1 with err
 * filled. */
int wallets_check_name(const char *name, char *err) WUR;
/* Loads wallets/NAME/, creating it from a fresh seed when create and it
 * does not exist; brings it up to the chain's tip and offers its
 * unconfirmed transactions to the mempool again. 0 with *out (may be
 * NULL) the loaded wallet, or -1 with e filled with Bitcoin Core's code:
 * -4 a bad name or a failure, -18 not found, -35 already loaded. */
int wallets_load(struct wallets *set, const char *name, bool create, struct wallet_rpc **out, struct rpc_error *e) WUR;
/* The loaded wallet called name, or NULL. */
struct wallet_rpc *wallets_find(const struct wallets *set, const char *name);
/* The loaded wallet, or NULL when none or several are loaded. */
struct wallet_rpc *wallets_only(const struct wallets *set);

/* The chain's and the mempool's news, for every loaded wallet. */
void wallets_block_connected(struct wallets *set, const struct block *b, const struct block_index *bi);
void wallets_block_disconnected(struct wallets *set, const struct block *b, const struct block_index *bi);
void wallets_tx_added(struct wallets *set, const struct tx *tx, uint64_t now);
void wallets_tx_removed(struct wallets *set, const uint8_t txid[32]);

/* rpc_route for methods that need a wallet (ctx: the struct wallets): the
 * one the request picks, or NULL with -18 or -19. */
void *wallets_route(void *set, const char *wallet, struct rpc_error *e);
/* rpc_route for methods that use a wallet when the request picks one:
 * as wallets_route, but &set->none instead of -18 or -19 on /. */
void *wallets_route_optional(void *set, const char *wallet, struct rpc_error *e);

/* Registers the wallet-managing methods; set must outlive the server. */
int wallets_register(struct rpc_server *srv, struct wallets *set, char *err) WUR;

#endif
