/* Wallet queries beside rpc/wallet_rpc.c's, as Bitcoin Core answers them:
 * getaddressinfo and listsinceblock. Routed like the wallet's methods
 * (wallets_route): each call's ctx is the struct wallet_rpc of the wallet
 * the request picks. */
#ifndef CAIRN_RPC_WALLETINFO_RPC_H
#define CAIRN_RPC_WALLETINFO_RPC_H

#include "rpc/wallets.h"

/* Registers the methods; set must outlive the server. */
int walletinfo_rpc_register(struct rpc_server *srv, struct wallets *set, char *err) WUR;

#endif
