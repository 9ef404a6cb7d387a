/* Utility methods of the RPC, as Bitcoin Core answers them: signed
 * messages (signmessage on a wallet, verifymessage and
 * signmessagewithprivkey without one; chain/message.h has the format),
 * getrpcinfo, logging and getmemoryinfo. */
#ifndef CAIRN_RPC_UTIL_RPC_H
#define CAIRN_RPC_UTIL_RPC_H

#include <limits.h>

#include "chain/params.h"
#include "rpc/server.h"
#include "rpc/wallets.h"

struct util_rpc {
	const struct chain_params *p;
	struct rpc_server *srv; /* for getrpcinfo's active commands */
	char log_path[PATH_MAX]; /* getrpcinfo's logpath */
};

/* Registers the methods without a wallet; r must outlive the server. */
int util_rpc_register(struct rpc_server *srv, struct util_rpc *r, char *err) WUR;
/* Registers signmessage, routed to the wallet a request names. */
int util_rpc_register_wallet(struct rpc_server *srv, struct wallets *set, char *err) WUR;

/* The signature's text: base64 of the MESSAGE_SIG_LEN bytes (RFC 4648,
 * padded). out holds at least UTIL_RPC_SIG_TEXT_LEN bytes. */
#define UTIL_RPC_SIG_TEXT_LEN 129
void util_rpc_sig_text(char out[UTIL_RPC_SIG_TEXT_LEN], const uint8_t sig[96]);

#endif
