/* The mempool journal: every transaction the mempool accepts is appended
 * to `mempool.journal` at once, so that `kill -9` at any instant loses no
 * accepted transaction. At start-up the journal is replayed on top of
 * `mempool.dat` (each transaction revalidated), then folded into a fresh
 * `mempool.dat` and emptied; a clean shut-down does the same.
 *
 *   file   = "CRNJRNL1" | record*
 *   record = length u32 | time u64 | checksum (4: SHA-256d of the tx) | tx
 *
 * A record cut short by a crash (or damaged) ends the replay there. */
#ifndef CAIRN_NODE_JOURNAL_H
#define CAIRN_NODE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "chain/tx.h"

#define JOURNAL_MAX_BYTES (64u << 20) /* past this, the node folds it in */

struct journal;

/* Opens path for appending, creating it (mode 0600) when missing. NULL
 * with err on failure. */
struct journal *journal_open(const char *path, char *err);
void journal_close(struct journal *j);
/* Appends one record with a single write(). 0, or -1 with err. */
int journal_append(struct journal *j, const struct tx *tx, uint64_t time, char *err) WUR;
/* Bytes written so far. */
size_t journal_size(const struct journal *j);
/* Empties the journal (after its contents reached mempool.dat). */
int journal_reset(struct journal *j, char *err) WUR;
/* Calls fn for each whole record of the file at path, oldest first; a
 * missing file replays nothing. *n gets the number of records, *torn
 * whether the file ended in a partial or damaged record. 0, or -1 with err
 * when the file cannot be read or has a foreign header. */
int journal_replay(const char *path, void (*fn)(void *ctx, const struct tx *tx, uint64_t time), void *ctx,
		   size_t *n, bool *torn, char *err) WUR;

#endif
