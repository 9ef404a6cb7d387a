/* rpc.discover's OpenRPC 1.2.6 document (https://spec.open-rpc.org),
 * generated from the method tables: each row's args and result in the
 * notation of rpc/schema.h and its errors, a list of JSON-RPC error codes
 * ("-5 -8"). `help` reads the same rows, so the two list the same methods
 * with the same parameters. */
#ifndef CAIRN_RPC_OPENRPC_H
#define CAIRN_RPC_OPENRPC_H

#include <stddef.h>

#include <cJSON.h>

#include "rpc/server.h"

#define RPC_OPENRPC_VERSION "1.2.6"

/* The Method Object of m: a new item the caller frees, or NULL with err
 * filled when a field of the row is malformed (registration refuses such a
 * row) or memory runs out. */
cJSON *rpc_openrpc_method(const struct rpc_method *m, char *err) WUR;

/* The whole document of the n methods in the order given, a new item the
 * caller frees; NULL with err filled as rpc_openrpc_method. */
cJSON *rpc_openrpc_document(const struct rpc_method *const *methods, size_t n, char *err) WUR;

#endif
