/* The wallet's RPC methods, with Bitcoin Core's names, parameter order and
 * result shapes: getnewaddress, getbalance(s), listunspent, lockunspent,
 * sendtoaddress, sendmany, listtransactions, gettransaction,
 * signrawtransactionwithwallet, encryptwallet, walletpassphrase(change),
 * walletlock, backupwallet, dumpprivkey, importprivkey, the seed, and
 * cairn's signassetownership (chain/ownership.h). */
#ifndef CAIRN_RPC_WALLET_RPC_H
#define CAIRN_RPC_WALLET_RPC_H

#include "chain/mempool.h"
#include "rpc/server.h"
#include "wallet/wallet.h"

struct wallets;

#define WALLET_RPC_NAME_LEN 256 /* a wallet's name, with the NUL */

/* One loaded wallet (rpc/wallets.h keeps the list of them). */
struct wallet_rpc {
	struct wallet *w;
	struct chainstate *cs;
	struct mempool *mp;
	struct wallets *set;    /* the list it is in */
	char name[WALLET_RPC_NAME_LEN]; /* getwalletinfo's walletname */
	char path[4096];        /* the wallet's folder */
	int64_t fee_rate;       /* -paytxfee, units per 1,000 bytes */
};

/* Registers the wallet's methods; each call reaches the wallet its request
 * picks (wallets_route). set must outlive the server. */
int wallet_rpc_register(struct rpc_server *srv, struct wallets *set, char *err) WUR;
/* Maps a wallet status to Bitcoin Core's RPC code. */
int wallet_rpc_code(int status);
/* One listtransactions entry as JSON (WALLET_RPC_ENTRY); NULL when out of
 * memory. */
cJSON *wallet_rpc_entry_json(struct wallet_rpc *r, const struct wallet_tx_entry *t);
#define WALLET_RPC_ENTRY                                                                                      \
	"{address:str,category:'send'|'receive'|'generate'|'immature'|'orphan',amount:amount,label:str,vout:int," \
	"fee?:amount,abandoned?:bool,asset?:hash,confirmations:int,blockhash?:hash,blockheight?:int,"            \
	"blockindex?:int,trusted?:bool,txid:hash,time:int,timereceived:int}"
/* Puts a transaction the wallet built into the mempool and relays it:
 * 0, or -1 with e filled (-26 with the reject reason). */
int wallet_rpc_submit(struct wallet_rpc *r, const struct tx *tx, struct rpc_error *e) WUR;

#endif
