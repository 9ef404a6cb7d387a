/* cairn-cli verifyassetownership SIGFILE PROOFFILE: checks, offline, an
 * ownership file (signassetownership's result) against a v2 proof bundle
 * file (getassetproof ID 2): the signature is the claimed
 * owner's key's over the asset, the tip and the challenge
 * (chain/ownership.h), the bundle verifies with nothing but the parameters
 * of the network it names (chain/proof2.h), and the bundle proves that
 * address the asset's owner at the very tip the signature names. */
#ifndef CAIRN_RPC_CLI_OWN_H
#define CAIRN_RPC_CLI_OWN_H

#include <stddef.h>

/* Ownership files are small; proof files are read up to cairn-cli's cap
 * (rpc/cli_impl.h). */
#define CLI_OWN_MAX_SIG_FILE (64u * 1024)

/* Runs the command on its words (SIGFILE PROOFFILE): prints what was
 * proven to stdout and returns 0, or prints "error: ownership refused:
 * REASON" to stderr and returns 1 (the process's exit status). */
int cli_own_verify(char **words, size_t n);

#endif
