/* Upgrades of the chainstate database's format, run by chainstate_open
 * before anything is loaded (docs/storage.md lists the formats). */
#ifndef CAIRN_CHAIN_DBMIGRATE_H
#define CAIRN_CHAIN_DBMIGRATE_H

#include "chain/blockfile.h"
#include "chain/store.h"

/* Format 2 to 3: moves every block body out of the database (its `B`
 * records) into the block files, parents first, and rewrites each block
 * index record with the body's position; then writes format 3. Each
 * body is appended and synced before the batch that both points the
 * record at it and deletes the `B` record, so a crash at any instant
 * leaves every body in one place or the other, and running it again
 * finishes the job (records already moved are skipped). 0, or -1 with err. */
int dbmigrate_v2_to_v3(struct store *s, struct blockfile *bf, char *err) WUR;

#endif
