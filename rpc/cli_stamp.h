/* cairn-cli stamp: one registration for a batch of documents, and a
 * .cairnproof file beside each (rpc/stamp.h has the definitions). */
#ifndef CAIRN_RPC_CLI_STAMP_H
#define CAIRN_RPC_CLI_STAMP_H

#include <stddef.h>

#include "rpc/cliargs.h"

#define CLI_STAMP_DEFAULT_WAIT 600 /* seconds for the registration's first confirmation */

/* stamp [-wait=SECONDS] DIR|FILE...: hashes the files (a DIR's regular
 * files, not recursive, *.cairnproof left out), registers their batch id
 * with registerasset (or finds the registration an earlier run made),
 * waits up to SECONDS for one confirmation, then writes PATH.cairnproof
 * beside every PATH and prints one line per file. words are the words
 * after "stamp". Returns the exit status: 0, or 1 with the reason on
 * stderr (no files, too many, a file unreadable, the node's refusal, not
 * confirmed in time). */
int cli_stamp_run(const struct cliargs *a, char *const *words, size_t n);

#endif
