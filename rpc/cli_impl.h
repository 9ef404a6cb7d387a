/* cairn-cli's insides, shared by rpc/cli.c and the commands it hands on
 * to other files (rpc/cli_stamp.c): one call to the node, with -rpcwait's
 * retries, and how a failed one is told. Nothing else includes this. */
#ifndef CAIRN_RPC_CLI_IMPL_H
#define CAIRN_RPC_CLI_IMPL_H

#include <cJSON.h>

#include "rpc/cliargs.h"

/* What one call came to. */
enum outcome { CALL_OK, CALL_RPC_ERROR, CALL_NO_SERVER, CALL_FAILED };

struct call_result {
	cJSON *result;
	int code;
	char *message;
	char err[4 * ERR_LEN]; /* room for a host name and a hint */
};

/* method(params) on the node a names; params borrowed, may be NULL. CALL_OK
 * with c->result the answer, else c->code and c->message (an RPC error) or
 * c->err. Release c in every case. */
enum outcome cli_call(struct call_result *c, const struct cliargs *a, const char *method, const cJSON *params);
void cli_call_release(struct call_result *c);
/* Prints a failed call's reason to stderr; returns the exit status, 1. */
int cli_report(const struct call_result *c, enum outcome o);

#endif
