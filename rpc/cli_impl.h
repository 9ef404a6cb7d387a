/* Shared by cairn-cli's files (rpc/cli.c, the offline proof commands of
 * rpc/cli_proof.c); not part of the node. */
#ifndef CAIRN_RPC_CLI_IMPL_H
#define CAIRN_RPC_CLI_IMPL_H

#include <stddef.h>

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

#endif
