/* Runs the address index (-addressindex) in the node: makes it the
 * chainstate's writer, so that it moves in the same batch as every block,
 * and builds what it lacks from the stored blocks in slices on the event
 * loop, one slice a loop turn, so that RPC calls and peers are served in
 * between. getindexinfo shows it syncing until it reaches the tip. */
#ifndef CAIRN_NODE_ADDRBUILD_H
#define CAIRN_NODE_ADDRBUILD_H

#include "chain/addrindex.h"

struct event_base;
struct addrbuild;

/* Starts the index on cs (which must outlive it) and its build on base;
 * pause_ms, for tests that watch the build, waits that long between
 * slices of one block each (0: full slices, back to back). NULL with err
 * filled on no memory. */
struct addrbuild *addrbuild_start(struct event_base *base, struct chainstate *cs, unsigned pause_ms, char *err);
/* The index, for the RPC. */
struct addrindex *addrbuild_index(struct addrbuild *b);
/* Stops the build, takes the writer off cs and frees everything; safe on
 * NULL. Call before cs is closed. */
void addrbuild_free(struct addrbuild *b);

#endif
