/* Shared by cairn-cli's files (rpc/cli.c, the offline proof commands of
 * rpc/cli_proof.c, stamp of rpc/cli_stamp.c); not part of the node. */
#ifndef CAIRN_RPC_CLI_IMPL_H
#define CAIRN_RPC_CLI_IMPL_H

#include <stddef.h>

#include <cJSON.h>

#include "rpc/cliargs.h"
#include "util/err.h"

#define CLI_MAX_PROOF_FILE (1024u * 1024 * 1024) /* ten million v1 headers fit */

/* A whole file, NUL-terminated (*len without the NUL), at most max bytes;
 * NULL with err. Caller frees. */
char *cli_read_file(const char *path, size_t max, size_t *len, char *err);
/* SHA-256 of a file's bytes, read in pieces, as 64 hex digits. */
int cli_hash_file(char hex[65], const char *path, char *err) WUR;
/* verifyassetproof FILE [DOCUMENT]: checks a proof file of either version
 * offline and prints what it proves; the exit status. */
int cli_verifyassetproof(char **words, size_t n);

/* What one call came to. */
enum outcome { CALL_OK, CALL_RPC_ERROR, CALL_NO_SERVER, CALL_FAILED };

struct call_result {
	cJSON *result;
	int code;
	char *message;
	char err[4 * ERR_LEN]; /* room for a host name and a hint */
};

/* method(params) on the node a names, with -rpcwait's retries; params
 * borrowed, may be NULL. CALL_OK with c->result the answer, else c->code
 * and c->message (an RPC error) or c->err. Release c in every case. */
enum outcome cli_call(struct call_result *c, const struct cliargs *a, const char *method, const cJSON *params);
void cli_call_release(struct call_result *c);
/* Prints a failed call's reason to stderr; returns the exit status, 1. */
int cli_report(const struct call_result *c, enum outcome o);

#endif
